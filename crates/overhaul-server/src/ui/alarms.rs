//! The alarm list (ISA-18.2 states) with acknowledge, shelve and unshelve; it refreshes itself.

use super::form::Fields;
use super::work_orders::{site_zones, uuid_field};
use super::{Chrome, UiError, UiResult, Viewer, local, refresh, render, words};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use overhaul_app::alarms::{AlarmQuery, ShelveAlarm};
use overhaul_app::{Action, AppError};
use serde::Deserialize;
use uuid::Uuid;

pub struct AlarmLine {
    id: Uuid,
    signal: String,
    asset_id: Uuid,
    asset: String,
    priority: String,
    state: String,
    unacknowledged: bool,
    shelved: Option<String>,
    chattering: bool,
    suppressed: bool,
    since: String,
    value: String,
    can_handle: bool,
}

#[derive(Template)]
#[template(path = "alarms.html")]
struct AlarmsPage {
    chrome: Chrome,
    alarms: Vec<AlarmLine>,
}

#[derive(Template)]
#[template(path = "_alarm_rows.html")]
struct AlarmRows {
    alarms: Vec<AlarmLine>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    rows: Option<String>,
}

pub async fn list(State(s): State<AppState>, v: Viewer, Query(q): Query<ListQuery>) -> UiResult {
    let items = s
        .app
        .list_alarms(
            &v.ctx,
            AlarmQuery {
                active: Some(true),
                limit: Some(500),
                ..Default::default()
            },
        )
        .await?;
    let zones = site_zones(&s.app, &v.ctx).await?;
    let ids: Vec<Uuid> = items.iter().map(|a| a.asset_id).collect();
    let assets = overhaul_store::overview::asset_names(&s.app.db, &ids)
        .await
        .map_err(AppError::from)?;
    let alarms = items
        .into_iter()
        .map(|i| {
            let tz = zones.get(&i.site_id).map(|z| z.0).unwrap_or(chrono_tz::UTC);
            let a = i.alarm;
            let shelved = a
                .shelved_until
                .filter(|u| *u > v.ctx.now)
                .map(|u| local(u, tz));
            AlarmLine {
                id: a.id,
                signal: i.signal_name,
                asset_id: i.asset_id,
                asset: assets
                    .get(&i.asset_id)
                    .map(|x| format!("{} — {}", x.code, x.name))
                    .unwrap_or_default(),
                priority: a.priority,
                unacknowledged: a.state.ends_with("unacknowledged"),
                state: words(&a.state),
                shelved,
                chattering: a.chattering,
                suppressed: a.suppressed,
                since: a.activated_at.map(|t| local(t, tz)).unwrap_or_default(),
                value: a.last_value.map(|x| format!("{x:.2}")).unwrap_or_default(),
                can_handle: v
                    .session
                    .principal
                    .can(Some(i.site_id), Action::HandleAlarms),
            }
        })
        .collect();
    if q.rows.is_some() {
        return Ok(render(&AlarmRows { alarms }));
    }
    Ok(render(&AlarmsPage {
        chrome: Chrome::for_viewer(&v, "Alarms", "/alarms"),
        alarms,
    }))
}

pub async fn command(
    State(s): State<AppState>,
    v: Viewer,
    Path((id, action)): Path<(String, String)>,
    f: Fields,
) -> UiResult {
    let id = uuid_field("id", &id)?;
    match action.as_str() {
        "acknowledge" => {
            s.app.acknowledge_alarm(&v.ctx, id).await?;
        }
        "unshelve" => {
            s.app.unshelve_alarm(&v.ctx, id).await?;
        }
        "shelve" => {
            let hours: i64 = f
                .req("hours")?
                .parse()
                .map_err(|_| UiError::bad("hours: a number of hours"))?;
            s.app
                .shelve_alarm(
                    &v.ctx,
                    id,
                    ShelveAlarm {
                        until: v.ctx.now + chrono::Duration::hours(hours),
                        reason: f.req("reason")?.to_owned(),
                    },
                )
                .await?;
        }
        _ => return Err(UiError::bad("unknown action")),
    }
    Ok(refresh())
}
