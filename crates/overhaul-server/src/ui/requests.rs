//! The planner's request inbox: approve, reject with a reason, mark as a duplicate, convert.

use super::form::Fields;
use super::work_orders::site_zones;
use super::{Chrome, UiError, UiResult, Viewer, local, refresh, render};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use overhaul_app::AppError;
use overhaul_app::work_requests::{ConvertRequest, RejectRequest, RequestQuery};
use overhaul_core::work_order::{WorkOrderType, WorkRequestStatus};
use uuid::Uuid;

pub struct Item {
    id: Uuid,
    number: String,
    title: String,
    description: String,
    asset_id: Uuid,
    asset: String,
    priority: String,
    status: String,
    requester: String,
    created: String,
    version: i64,
}

#[derive(Template)]
#[template(path = "requests/inbox.html")]
struct Inbox {
    chrome: Chrome,
    items: Vec<Item>,
    types: Vec<&'static str>,
}

pub async fn inbox(State(s): State<AppState>, v: Viewer) -> UiResult {
    let mut reqs = vec![];
    for status in [WorkRequestStatus::Open, WorkRequestStatus::Approved] {
        let page = s
            .app
            .list_work_requests(
                &v.ctx,
                RequestQuery {
                    status: Some(status),
                    limit: Some(200),
                    ..Default::default()
                },
            )
            .await?;
        reqs.extend(page.items);
    }
    reqs.sort_by_key(|r| r.created_at);
    let zones = site_zones(&s.app, &v.ctx).await?;
    let asset_ids: Vec<Uuid> = reqs.iter().map(|r| r.asset_id).collect();
    let assets = overhaul_store::overview::asset_names(&s.app.db, &asset_ids)
        .await
        .map_err(AppError::from)?;
    let items = reqs
        .into_iter()
        .map(|r| {
            let tz = zones.get(&r.site_id).map(|z| z.0).unwrap_or(chrono_tz::UTC);
            Item {
                id: r.id,
                number: r.number,
                title: r.title,
                description: r.description,
                asset_id: r.asset_id,
                asset: assets
                    .get(&r.asset_id)
                    .map(|a| format!("{} — {}", a.code, a.name))
                    .unwrap_or_default(),
                priority: r.priority,
                status: r.status,
                requester: r.requester_name.unwrap_or_default(),
                created: local(r.created_at, tz),
                version: r.version,
            }
        })
        .collect();
    Ok(render(&Inbox {
        chrome: Chrome::for_viewer(&v, "Requests", "/requests"),
        items,
        types: WorkOrderType::ALL.iter().map(|t| t.as_str()).collect(),
    }))
}

pub async fn triage(
    State(s): State<AppState>,
    v: Viewer,
    Path((id, action)): Path<(String, String)>,
    f: Fields,
) -> UiResult {
    let id = Uuid::parse_str(&id).map_err(|_| UiError::bad("not a request id"))?;
    let version = f.get("version").and_then(|v| v.parse().ok());
    match action.as_str() {
        "approve" => {
            s.app.approve_work_request(&v.ctx, id, version).await?;
            Ok(refresh())
        }
        "reject" => {
            let reason = f.req("reason")?.to_owned();
            s.app
                .reject_work_request(&v.ctx, id, version, RejectRequest { reason })
                .await?;
            Ok(refresh())
        }
        "duplicate" => {
            let of = f.req("of")?.trim().to_uppercase();
            let me = s.app.get_work_request(&v.ctx, id).await?;
            let other = s
                .app
                .work_request_by_number(&v.ctx, &of)
                .await?
                .ok_or_else(|| UiError::bad(format!("of: no request {of} is visible to you")))?;
            if other.id == me.id {
                return Err(UiError::bad("of: a request cannot duplicate itself"));
            }
            if other.site_id != me.site_id {
                return Err(UiError::bad("of: that request belongs to another site"));
            }
            let reason = format!("duplicate of {}", other.number);
            s.app
                .reject_work_request(&v.ctx, id, version, RejectRequest { reason })
                .await?;
            Ok(refresh())
        }
        "convert" => {
            let kind = f
                .get("type")
                .map(WorkOrderType::parse)
                .transpose()
                .map_err(|m| UiError::bad(format!("type: {m}")))?;
            let w = s
                .app
                .convert_work_request(
                    &v.ctx,
                    id,
                    version,
                    ConvertRequest {
                        kind,
                        priority: None,
                    },
                )
                .await?;
            // Go to the new work order to plan it.
            Ok(axum::response::IntoResponse::into_response((
                [("hx-redirect", format!("/work-orders/{}", w.id))],
                "",
            )))
        }
        _ => Err(UiError::bad("unknown action")),
    }
}
