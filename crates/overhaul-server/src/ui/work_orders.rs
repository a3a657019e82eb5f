//! Work-order pages: the planner's list (filters, search, paging, bulk moves), the work-order
//! page with every record of the job, the form for new work, and the technician's "My work".

use super::form::{Fields, parse_local};
use super::{Chrome, UiError, UiResult, Viewer, local, refresh, render, words};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use chrono_tz::Tz;
use overhaul_app::work_orders::{
    FailureReport, NewComment, NewLabor, NewWorkOrder, TransitionRequest, WorkOrderPatch,
    WorkOrderQuery, WorkOrderView,
};
use overhaul_app::{Action, App, AppError, Ctx};
use overhaul_core::failure_code::{self, FailureCodeKind};
use overhaul_core::work_order::{Priority, WorkOrderStatus, WorkOrderType};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

/// Zone and name of every site the viewer can see.
pub(super) async fn site_zones(
    app: &App,
    ctx: &Ctx,
) -> Result<HashMap<Uuid, (Tz, String)>, UiError> {
    Ok(app
        .list_sites(ctx)
        .await?
        .into_iter()
        .map(|s| {
            let tz = s.site.timezone.parse::<Tz>().unwrap_or(chrono_tz::UTC);
            (
                s.site.id,
                (tz, format!("{} — {}", s.site.code, s.site.name)),
            )
        })
        .collect())
}

fn zone_of(zones: &HashMap<Uuid, (Tz, String)>, site: Uuid) -> Tz {
    zones.get(&site).map(|z| z.0).unwrap_or(chrono_tz::UTC)
}

pub(super) fn uuid_field(name: &str, raw: &str) -> Result<Uuid, UiError> {
    Uuid::parse_str(raw).map_err(|_| UiError::bad(format!("{name}: not a valid id")))
}

pub struct Row {
    id: Uuid,
    number: String,
    title: String,
    kind: String,
    asset: String,
    priority: String,
    status: String,
    status_words: String,
    assignee: String,
    due: String,
}

pub struct Rows {
    items: Vec<Row>,
    next: Option<String>,
    selectable: bool,
}

#[derive(Template)]
#[template(path = "work_orders/list.html")]
struct ListPage {
    chrome: Chrome,
    f: ListFilter,
    rows: Rows,
    asset_label: String,
    can_create: bool,
    can_plan: bool,
    status_options: Vec<(String, String, bool)>,
    type_options: Vec<(String, String, bool)>,
    priority_options: Vec<(String, String, bool)>,
    assignee_options: Vec<(String, String, bool)>,
    due_options: Vec<(String, String, bool)>,
    bulk_targets: Vec<(String, String)>,
    /// (id, query, name)
    views: Vec<(Uuid, String, String)>,
    current_query: String,
}

#[derive(Template)]
#[template(path = "work_orders/_rows_fragment.html")]
struct RowsFragment {
    rows: Rows,
}

/// The list's filters as they appear in the URL (so a filtered list can be bookmarked and
/// shared: a saved view is a link).
#[derive(Debug, Default, Deserialize)]
pub struct ListFilter {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    priority: String,
    /// `me`, `none`… or empty.
    #[serde(default)]
    assignee: String,
    /// `overdue` or empty.
    #[serde(default)]
    due: String,
    /// An asset id: its subtree.
    #[serde(default)]
    asset: String,
    #[serde(default)]
    cursor: String,
}

impl ListFilter {
    fn query_string(&self, cursor: Option<&str>) -> String {
        let mut parts = vec![];
        for (k, v) in [
            ("q", &self.q),
            ("status", &self.status),
            ("type", &self.kind),
            ("priority", &self.priority),
            ("assignee", &self.assignee),
            ("due", &self.due),
            ("asset", &self.asset),
        ] {
            if !v.is_empty() {
                parts.push(format!("{k}={}", super::session::percent_encode(v)));
            }
        }
        if let Some(c) = cursor {
            parts.push(format!("cursor={c}"));
        }
        parts.join("&")
    }
}

fn options(values: &[(&str, &str)], current: &str) -> Vec<(String, String, bool)> {
    values
        .iter()
        .map(|(v, l)| (v.to_string(), l.to_string(), *v == current))
        .collect()
}

async fn rows_of(
    app: &App,
    ctx: &Ctx,
    zones: &HashMap<Uuid, (Tz, String)>,
    items: &[WorkOrderView],
) -> Result<Vec<Row>, UiError> {
    let asset_ids: Vec<Uuid> = items.iter().map(|w| w.work_order.asset_id).collect();
    let user_ids: Vec<Uuid> = items
        .iter()
        .filter_map(|w| w.work_order.assignee_id)
        .collect();
    let assets = overhaul_store::overview::asset_names(&app.db, &asset_ids)
        .await
        .map_err(AppError::from)?;
    let users = overhaul_store::overview::user_names(&app.db, &user_ids)
        .await
        .map_err(AppError::from)?;
    let _ = ctx;
    Ok(items
        .iter()
        .map(|v| {
            let w = &v.work_order;
            let tz = zone_of(zones, w.site_id);
            Row {
                id: w.id,
                number: w.number.clone(),
                title: w.title.clone(),
                kind: w.kind.clone(),
                asset: assets
                    .get(&w.asset_id)
                    .map(|a| format!("{} — {}", a.code, a.name))
                    .unwrap_or_default(),
                priority: w.priority.clone(),
                status: w.status.clone(),
                status_words: words(&w.status),
                assignee: w
                    .assignee_id
                    .and_then(|u| users.get(&u).cloned())
                    .unwrap_or_default(),
                due: w.due_at.map(|t| local(t, tz)).unwrap_or_default(),
            }
        })
        .collect())
}

pub async fn list(
    State(s): State<AppState>,
    v: Viewer,
    headers: HeaderMap,
    Query(f): Query<ListFilter>,
) -> UiResult {
    let me = v.session.principal.user_id;
    let asset_id = match f.asset.as_str() {
        "" => None,
        a => Some(uuid_field("asset", a)?),
    };
    let q = WorkOrderQuery {
        status: Some(f.status.clone()).filter(|s| !s.is_empty()),
        kind: Some(f.kind.clone()).filter(|s| !s.is_empty()),
        priority: Some(f.priority.clone()).filter(|s| !s.is_empty()),
        assignee_id: (f.assignee == "me").then_some(me),
        asset_id,
        due_before: (f.due == "overdue").then_some(v.ctx.now),
        q: Some(f.q.clone()).filter(|s| !s.is_empty()),
        limit: Some(50),
        cursor: Some(f.cursor.clone()).filter(|s| !s.is_empty()),
        ..Default::default()
    };
    let page = s.app.list_work_orders(&v.ctx, q).await?;
    let zones = site_zones(&s.app, &v.ctx).await?;
    let can_plan = v.session.principal.can_anywhere(Action::PlanWork);
    let rows = Rows {
        items: rows_of(&s.app, &v.ctx, &zones, &page.items).await?,
        next: page
            .next_cursor
            .as_deref()
            .map(|c| format!("/work-orders?{}", f.query_string(Some(c)))),
        selectable: can_plan,
    };
    // htmx asks for rows only (filter changes and "Load more").
    if headers.contains_key("hx-request") && !headers.contains_key("hx-boosted") {
        return Ok(render(&RowsFragment { rows }));
    }
    let asset_label = match asset_id {
        Some(a) => s
            .app
            .get_asset(&v.ctx, a)
            .await
            .map(|a| format!("{} — {}", a.asset.code, a.asset.name))
            .unwrap_or_default(),
        None => String::new(),
    };
    let mut statuses = vec![("", "any"), ("open", "open (not completed)")];
    let all_status: Vec<(String, String)> = WorkOrderStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), words(s.as_str())))
        .collect();
    statuses.extend(all_status.iter().map(|(a, b)| (a.as_str(), b.as_str())));
    let mut types = vec![("", "any")];
    types.extend(WorkOrderType::ALL.iter().map(|t| (t.as_str(), t.as_str())));
    let mut priorities = vec![("", "any")];
    priorities.extend(Priority::ALL.iter().map(|p| (p.as_str(), p.as_str())));
    let bulk_targets = WorkOrderStatus::ALL
        .iter()
        .filter(|s| **s != WorkOrderStatus::Requested)
        .map(|s| (s.as_str().to_owned(), format!("→ {}", words(s.as_str()))))
        .collect();
    let views = s
        .app
        .saved_views(&v.ctx)
        .await?
        .into_iter()
        .map(|sv| (sv.id, sv.query, sv.name))
        .collect();
    Ok(render(&ListPage {
        chrome: Chrome::for_viewer(&v, "Work orders", "/work-orders"),
        views,
        current_query: f.query_string(None),
        status_options: options(&statuses, &f.status),
        type_options: options(&types, &f.kind),
        priority_options: options(&priorities, &f.priority),
        assignee_options: options(&[("", "anyone"), ("me", "me")], &f.assignee),
        due_options: options(&[("", "any time"), ("overdue", "overdue")], &f.due),
        bulk_targets,
        can_create: v.session.principal.can_anywhere(Action::CreateWorkOrder),
        can_plan,
        rows,
        asset_label,
        f,
    }))
}

/// Moves several work orders at once; reports each one that could not move and why.
pub async fn bulk(State(s): State<AppState>, v: Viewer, form: Fields) -> UiResult {
    let to =
        WorkOrderStatus::parse(form.req("to")?).map_err(|m| UiError::bad(format!("to: {m}")))?;
    let ids = form.all("ids");
    if ids.is_empty() {
        return Err(UiError::bad("Pick at least one work order first."));
    }
    if ids.len() > 200 {
        return Err(UiError::bad("At most 200 work orders at once."));
    }
    let mut refused = vec![];
    for raw in ids {
        let id = uuid_field("ids", raw)?;
        let req = TransitionRequest {
            to,
            reason: form.get("reason").map(str::to_owned),
        };
        if let Err(e) = s.app.transition_work_order(&v.ctx, id, None, req).await {
            let label = s
                .app
                .get_work_order(&v.ctx, id)
                .await
                .map(|w| w.work_order.number)
                .unwrap_or_else(|_| id.to_string());
            refused.push((label, UiError::from(e).message));
        }
    }
    if refused.is_empty() {
        return Ok(refresh());
    }
    let mut e = UiError::bad(format!(
        "{} of the selected work orders could not move to {}.",
        refused.len(),
        words(to.as_str())
    ));
    e.heading = "Some were not moved";
    e.status = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    e.fields = refused;
    Err(e)
}

/// Saves the list's current filters under a name (the planner's saved view).
pub async fn save_view(State(s): State<AppState>, v: Viewer, f: Fields) -> UiResult {
    s.app
        .save_view(&v.ctx, f.req("name")?, f.get("query").unwrap_or_default())
        .await?;
    Ok(refresh())
}

pub async fn delete_view(State(s): State<AppState>, v: Viewer, Path(id): Path<String>) -> UiResult {
    s.app.delete_view(&v.ctx, uuid_field("id", &id)?).await?;
    Ok(refresh())
}

#[derive(Template)]
#[template(path = "work_orders/new.html")]
struct NewPage {
    chrome: Chrome,
    asset: String,
    title: String,
    due: String,
    description: String,
    error: Option<String>,
    types: Vec<(&'static str, bool)>,
    priorities: Vec<(&'static str, bool)>,
}

#[derive(Deserialize)]
pub struct NewQuery {
    asset: Option<String>,
}

fn new_page(v: &Viewer, f: &Fields) -> NewPage {
    let kind = f.get("type").unwrap_or("corrective");
    let priority = f.get("priority").unwrap_or("normal");
    NewPage {
        chrome: Chrome::for_viewer(v, "New work order", "/work-orders"),
        asset: f.get("asset").unwrap_or_default().to_owned(),
        title: f.get("title").unwrap_or_default().to_owned(),
        due: f.get("due").unwrap_or_default().to_owned(),
        description: f.get("description").unwrap_or_default().to_owned(),
        error: None,
        types: WorkOrderType::ALL
            .iter()
            .map(|t| (t.as_str(), t.as_str() == kind))
            .collect(),
        priorities: Priority::ALL
            .iter()
            .map(|p| (p.as_str(), p.as_str() == priority))
            .collect(),
    }
}

pub async fn new_form(v: Viewer, Query(q): Query<NewQuery>) -> UiResult {
    let mut f = Fields::default();
    if let Some(a) = q.asset {
        f.0.push(("asset".into(), a));
    }
    Ok(render(&new_page(&v, &f)))
}

pub async fn create(State(s): State<AppState>, v: Viewer, f: Fields) -> UiResult {
    let attempt = async {
        let code = f.req("asset")?;
        let asset = find_asset_by_code(&s.app, &v.ctx, code).await?;
        let zones = site_zones(&s.app, &v.ctx).await?;
        let tz = zone_of(&zones, asset.site_id);
        let due_at = f
            .get("due")
            .map(|d| parse_local("due", d, tz))
            .transpose()?;
        let input = NewWorkOrder {
            asset_id: asset.id,
            title: f.req("title")?.to_owned(),
            kind: WorkOrderType::parse(f.get("type").unwrap_or("corrective"))
                .map_err(|m| UiError::bad(format!("type: {m}")))?,
            priority: Priority::parse(f.get("priority").unwrap_or("normal"))
                .map_err(|m| UiError::bad(format!("priority: {m}")))?,
            description: f.get("description").map(str::to_owned),
            due_at,
            assignee_id: None,
            attachments: vec![],
            procedure_revision_id: None,
        };
        Ok::<_, UiError>(s.app.create_work_order(&v.ctx, input).await?)
    };
    match attempt.await {
        Ok(w) => Ok(Redirect::to(&format!("/work-orders/{}", w.work_order.id)).into_response()),
        Err(e) => {
            // The form again, with what was typed and why it was refused.
            let mut page = new_page(&v, &f);
            let fields: String = e
                .fields
                .iter()
                .map(|(k, m)| format!(" {k}: {m}."))
                .collect();
            page.error = Some(format!("{}: {}{fields}", e.heading, e.message));
            let mut r = render(&page);
            *r.status_mut() = e.status;
            Ok(r)
        }
    }
}

pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// An asset by code among the sites the viewer sees (codes are unique per site; with the same
/// code at several sites the viewer must be more specific).
pub(super) async fn find_asset_by_code(
    app: &App,
    ctx: &Ctx,
    code: &str,
) -> Result<overhaul_store::asset::Asset, UiError> {
    let mut found = vec![];
    for s in app.list_sites(ctx).await? {
        match app.asset_by_code(ctx, s.site.id, code).await {
            Ok(a) => found.push(a.asset),
            Err(AppError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    match found.len() {
        0 => Err(UiError::bad(format!("asset: no asset has the code {code}"))),
        1 => Ok(found.remove(0)),
        _ => Err(UiError::bad(format!(
            "asset: several sites have an asset {code}; open the asset's page and start from there"
        ))),
    }
}

pub struct TransitionButton {
    to: String,
    label: String,
    needs_reason: bool,
    danger: bool,
}

pub struct FailureSelect {
    name: &'static str,
    label: &'static str,
    options: Vec<(&'static str, &'static str, bool)>,
}

#[derive(Template)]
#[template(path = "work_orders/page.html")]
struct WorkOrderPage {
    chrome: Chrome,
    w: overhaul_store::work_order::WorkOrder,
    status_words: String,
    transitions: Vec<TransitionButton>,
    asset_label: String,
    site_label: String,
    assignee: String,
    due: String,
    created: String,
    started: String,
    completed: String,
    labour_total: String,
    zone: String,
    failure_selects: Vec<FailureSelect>,
    failure_notes: String,
    labour: Vec<(String, String, String, String, i64)>,
    downtime: Vec<(String, String, &'static str, String)>,
    comments: Vec<(String, String, String)>,
    history: Vec<(String, String, String)>,
    can_plan: bool,
    /// (id, file name, is image, size)
    files: Vec<(Uuid, String, bool, String)>,
    assignable: Vec<(Uuid, String, bool)>,
    due_input: String,
    priorities: Vec<(&'static str, bool)>,
    can_execute: bool,
    can_labour: bool,
    can_downtime: bool,
    can_comment: bool,
    /// The procedure's checklist for this work (rendered; empty without a procedure).
    checklist: String,
}

fn transition_label(from: WorkOrderStatus, to: WorkOrderStatus) -> (&'static str, bool) {
    use WorkOrderStatus::*;
    match (from, to) {
        (Completed, InProgress) => ("reopen", true),
        (_, Approved) => ("approve", false),
        (_, Planned) => ("mark planned", false),
        (_, Ready) => ("mark ready", false),
        (_, Scheduled) => ("schedule", false),
        (OnHold, InProgress) => ("resume", false),
        (_, InProgress) => ("start", false),
        (_, OnHold) => ("put on hold", true),
        (_, Completed) => ("complete", false),
        (_, Closed) => ("close", false),
        (_, Cancelled) => ("cancel", true),
        (_, Requested) => ("back to requested", false),
    }
}

pub async fn page(State(s): State<AppState>, v: Viewer, Path(id): Path<String>) -> UiResult {
    let id = uuid_field("id", &id)?;
    let view = s.app.get_work_order(&v.ctx, id).await?;
    let w = view.work_order.clone();
    let zones = site_zones(&s.app, &v.ctx).await?;
    let tz = zone_of(&zones, w.site_id);
    let from = WorkOrderStatus::parse(&w.status).unwrap_or(WorkOrderStatus::Requested);
    let transitions = view
        .allowed_transitions
        .iter()
        .map(|t| {
            let (label, needs_reason) = transition_label(from, *t);
            TransitionButton {
                to: t.as_str().to_owned(),
                label: label.to_owned(),
                needs_reason,
                danger: *t == WorkOrderStatus::Cancelled,
            }
        })
        .collect();
    let asset = s.app.get_asset(&v.ctx, w.asset_id).await?;
    let labour = s.app.list_labor(&v.ctx, id).await?;
    let comments = s.app.list_comments(&v.ctx, id).await?;
    let downtime = s.app.list_downtime(&v.ctx, None, Some(id)).await?;
    let audit = s.app.work_order_audit(&v.ctx, id).await?;
    let mut files = s
        .app
        .attachments_of(&v.ctx, overhaul_app::attachments::Owner::WorkOrder(id))
        .await?;
    if let Some(r) = w.request_id {
        // What the requester sent (a photo from the QR form) belongs to the job too.
        files.extend(
            s.app
                .attachments_of(&v.ctx, overhaul_app::attachments::Owner::WorkRequest(r))
                .await?,
        );
    }
    let mut people: Vec<Uuid> = labour.iter().filter_map(|l| l.user_id).collect();
    people.extend(comments.iter().filter_map(|c| c.author_id));
    people.extend(w.assignee_id);
    let names = overhaul_store::overview::user_names(&s.app.db, &people)
        .await
        .map_err(AppError::from)?;
    let name = |u: Option<Uuid>| {
        u.and_then(|u| names.get(&u).cloned())
            .unwrap_or_else(|| "—".to_owned())
    };
    let total_minutes: i64 = labour.iter().map(|l| l.minutes).sum();
    let current = |kind: FailureCodeKind| -> Option<String> {
        match kind {
            FailureCodeKind::Impact => w.failure_impact.clone(),
            FailureCodeKind::Mode => w.failure_mode.clone(),
            FailureCodeKind::Mechanism => w.failure_mechanism.clone(),
            FailureCodeKind::Cause => w.failure_cause.clone(),
            FailureCodeKind::Detection => w.failure_detection.clone(),
            FailureCodeKind::Activity => w.failure_activity.clone(),
        }
    };
    let failure_selects = [
        (FailureCodeKind::Impact, "impact", "Impact"),
        (FailureCodeKind::Mode, "mode", "Failure mode"),
        (FailureCodeKind::Mechanism, "mechanism", "Mechanism"),
        (FailureCodeKind::Cause, "cause", "Cause"),
        (FailureCodeKind::Detection, "detection", "Detection"),
        (FailureCodeKind::Activity, "activity", "Activity"),
    ]
    .into_iter()
    .map(|(k, name, label)| {
        let cur = current(k);
        FailureSelect {
            name,
            label,
            options: failure_code::list(k)
                .iter()
                .map(|c| (c.code, c.label, cur.as_deref() == Some(c.code)))
                .collect(),
        }
    })
    .collect();
    let p = &v.session.principal;
    let site = Some(w.site_id);
    let assignable = if p.can(site, Action::PlanWork) {
        s.app.assignable_users(&v.ctx, w.site_id).await?
    } else {
        vec![]
    };
    let history = audit
        .iter()
        .rev()
        .map(|r| {
            let what = match (&r.action[..], &r.reason) {
                (a, Some(reason)) => format!("{} — {}", words(a), reason),
                (a, None) => words(a),
            };
            (local(r.at, tz), r.actor_name.clone(), what)
        })
        .collect();
    Ok(render(&WorkOrderPage {
        chrome: Chrome::for_viewer(&v, format!("{} {}", w.number, w.title), "/work-orders"),
        status_words: words(&w.status),
        transitions,
        asset_label: format!("{} — {}", asset.asset.code, asset.asset.name),
        site_label: zones
            .get(&w.site_id)
            .map(|z| z.1.clone())
            .unwrap_or_default(),
        assignee: name(w.assignee_id),
        due: w.due_at.map(|t| local(t, tz)).unwrap_or_else(|| "—".into()),
        created: local(w.created_at, tz),
        started: w
            .started_at
            .map(|t| local(t, tz))
            .unwrap_or_else(|| "—".into()),
        completed: w
            .completed_at
            .map(|t| local(t, tz))
            .unwrap_or_else(|| "—".into()),
        labour_total: format!("{} h {:02} min", total_minutes / 60, total_minutes % 60),
        zone: tz.name().to_owned(),
        failure_selects,
        failure_notes: w.failure_notes.clone().unwrap_or_default(),
        labour: labour
            .iter()
            .map(|l| {
                (
                    name(l.user_id),
                    l.craft.clone().unwrap_or_default(),
                    local(l.started_at, tz),
                    local(l.ended_at, tz),
                    l.minutes,
                )
            })
            .collect(),
        downtime: downtime
            .iter()
            .map(|d| {
                (
                    local(d.started_at, tz),
                    d.ended_at
                        .map(|t| local(t, tz))
                        .unwrap_or_else(|| "still down".into()),
                    if d.planned { "planned" } else { "unplanned" },
                    d.reason.clone(),
                )
            })
            .collect(),
        comments: comments
            .iter()
            .map(|c| (name(c.author_id), local(c.created_at, tz), c.body.clone()))
            .collect(),
        history,
        can_plan: p.can(site, Action::PlanWork),
        files: files
            .iter()
            .map(|f| {
                (
                    f.id,
                    f.filename.clone(),
                    f.kind != "pdf",
                    format!("{:.1} MB", f.size_bytes as f64 / (1024.0 * 1024.0)),
                )
            })
            .collect(),
        assignable: assignable
            .into_iter()
            .map(|(id, n)| (id, n, Some(id) == w.assignee_id))
            .collect(),
        due_input: w
            .due_at
            .map(|t| t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string())
            .unwrap_or_default(),
        priorities: Priority::ALL
            .iter()
            .map(|x| (x.as_str(), x.as_str() == w.priority))
            .collect(),
        can_execute: p.can(site, Action::ExecuteWork),
        can_labour: p.can(site, Action::RecordLabor),
        can_downtime: p.can(site, Action::RecordDowntime),
        can_comment: p.can(site, Action::Comment),
        checklist: super::procedures::checklist_html(&s, &v, &w, tz).await?,
        w,
    }))
}

fn version(f: &Fields) -> Option<i64> {
    f.get("version").and_then(|v| v.parse().ok())
}

pub async fn transition(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> UiResult {
    let id = uuid_field("id", &id)?;
    let to = WorkOrderStatus::parse(f.req("to")?).map_err(|m| UiError::bad(format!("to: {m}")))?;
    let req = TransitionRequest {
        to,
        reason: f.get("reason").map(str::to_owned),
    };
    s.app
        .transition_work_order(&v.ctx, id, version(&f), req)
        .await?;
    Ok(refresh())
}

/// Assignee, due time and priority (planners).
pub async fn plan(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> UiResult {
    let id = uuid_field("id", &id)?;
    let w = s.app.get_work_order(&v.ctx, id).await?.work_order;
    let zones = site_zones(&s.app, &v.ctx).await?;
    let tz = zone_of(&zones, w.site_id);
    let patch = WorkOrderPatch {
        assignee_id: Some(
            f.get("assignee")
                .map(|a| uuid_field("assignee", a))
                .transpose()?,
        ),
        due_at: Some(
            f.get("due")
                .map(|d| parse_local("due", d, tz))
                .transpose()?,
        ),
        priority: f
            .get("priority")
            .map(Priority::parse)
            .transpose()
            .map_err(|m| UiError::bad(format!("priority: {m}")))?,
        ..Default::default()
    };
    s.app
        .update_work_order(&v.ctx, id, version(&f), patch)
        .await?;
    Ok(refresh())
}

/// A photo or document onto the work order (taken with the phone's camera on site).
pub async fn add_attachment(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    sub: super::form::Submission,
) -> UiResult {
    let id = uuid_field("id", &id)?;
    if sub.files.is_empty() {
        return Err(UiError::bad("Choose a photo or a PDF first."));
    }
    for (_, upload) in sub.files {
        s.app
            .attach(
                &v.ctx,
                overhaul_app::attachments::Owner::WorkOrder(id),
                upload,
            )
            .await?;
    }
    Ok(refresh())
}

pub async fn add_labor(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> UiResult {
    let id = uuid_field("id", &id)?;
    let w = s.app.get_work_order(&v.ctx, id).await?.work_order;
    let zones = site_zones(&s.app, &v.ctx).await?;
    let tz = zone_of(&zones, w.site_id);
    let input = NewLabor {
        started_at: parse_local("from", f.req("started_at")?, tz)?,
        ended_at: parse_local("to", f.req("ended_at")?, tz)?,
        craft: f.get("craft").map(str::to_owned),
        user_id: None,
        notes: f.get("notes").map(str::to_owned),
    };
    s.app.add_labor(&v.ctx, id, input).await?;
    Ok(refresh())
}

pub async fn add_comment(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> UiResult {
    let id = uuid_field("id", &id)?;
    let body = f.req("body")?.to_owned();
    s.app.add_comment(&v.ctx, id, NewComment { body }).await?;
    Ok(refresh())
}

pub async fn failure_report(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> UiResult {
    let id = uuid_field("id", &id)?;
    let pick = |name: &str| Some(f.get(name).map(str::to_owned));
    let patch = WorkOrderPatch {
        failure: Some(FailureReport {
            impact: pick("impact"),
            mode: pick("mode"),
            mechanism: pick("mechanism"),
            cause: pick("cause"),
            detection: pick("detection"),
            activity: pick("activity"),
            notes: pick("notes"),
        }),
        ..Default::default()
    };
    s.app
        .update_work_order(&v.ctx, id, version(&f), patch)
        .await?;
    Ok(refresh())
}

pub async fn add_downtime(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> UiResult {
    let id = uuid_field("id", &id)?;
    let w = s.app.get_work_order(&v.ctx, id).await?.work_order;
    let zones = site_zones(&s.app, &v.ctx).await?;
    let tz = zone_of(&zones, w.site_id);
    let input = overhaul_app::assets::NewDowntime {
        started_at: parse_local("from", f.req("started_at")?, tz)?,
        ended_at: f
            .get("ended_at")
            .map(|t| parse_local("to", t, tz))
            .transpose()?,
        planned: f.get("planned") == Some("true"),
        reason: f.req("reason")?.to_owned(),
    };
    s.app.add_work_order_downtime(&v.ctx, id, input).await?;
    Ok(refresh())
}

pub struct Job {
    id: Uuid,
    number: String,
    title: String,
    asset: String,
    priority: String,
    status: String,
    status_words: String,
    due: String,
    overdue: bool,
    running_since: Option<String>,
    can_start: bool,
    can_pause: bool,
    can_complete: bool,
}

#[derive(Template)]
#[template(path = "work_orders/my_work.html")]
struct MyWorkPage {
    chrome: Chrome,
    items: Vec<Job>,
}

fn priority_rank(p: &str) -> u8 {
    match p {
        "urgent" => 0,
        "high" => 1,
        "normal" => 2,
        _ => 3,
    }
}

/// When the viewer last started (or resumed) this job, if it is running now.
async fn running_since(
    app: &App,
    ctx: &Ctx,
    w: &overhaul_store::work_order::WorkOrder,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, UiError> {
    if w.status != "in_progress" {
        return Ok(None);
    }
    let me = ctx.actor.user_id();
    Ok(app
        .work_order_history(ctx, w.id)
        .await?
        .into_iter()
        .filter(|c| c.to_status == "in_progress" && c.changed_by == me)
        .map(|c| c.changed_at)
        .max())
}

pub async fn my_work(State(s): State<AppState>, v: Viewer) -> UiResult {
    let me = v.session.principal.user_id;
    let page = s
        .app
        .list_work_orders(
            &v.ctx,
            WorkOrderQuery {
                status: Some("open".into()),
                assignee_id: Some(me),
                limit: Some(200),
                ..Default::default()
            },
        )
        .await?;
    let zones = site_zones(&s.app, &v.ctx).await?;
    let mut items = page.items;
    // Due first (undated last), then priority.
    items.sort_by_key(|w| {
        (
            w.work_order.due_at.is_none(),
            w.work_order.due_at,
            priority_rank(&w.work_order.priority),
        )
    });
    let rows = rows_of(&s.app, &v.ctx, &zones, &items).await?;
    let mut jobs = vec![];
    for (w, r) in items.iter().zip(rows) {
        let tz = zone_of(&zones, w.work_order.site_id);
        let allowed = &w.allowed_transitions;
        let since = running_since(&s.app, &v.ctx, &w.work_order).await?;
        jobs.push(Job {
            id: r.id,
            number: r.number,
            title: r.title,
            asset: r.asset,
            priority: r.priority,
            status: r.status,
            status_words: r.status_words,
            due: if r.due.is_empty() {
                "—".into()
            } else {
                r.due
            },
            overdue: w.work_order.due_at.is_some_and(|d| d < v.ctx.now),
            running_since: since.map(|t| local(t, tz)),
            can_start: allowed.contains(&WorkOrderStatus::InProgress),
            can_pause: allowed.contains(&WorkOrderStatus::OnHold)
                && w.work_order.status == "in_progress",
            can_complete: allowed.contains(&WorkOrderStatus::Completed),
        });
    }
    Ok(render(&MyWorkPage {
        chrome: Chrome::for_viewer(&v, "My work", "/my-work"),
        items: jobs,
    }))
}

/// Start, pause or complete with one tap. Pausing and completing record the time since the
/// technician started as a labour entry (the timer).
pub async fn my_work_action(
    State(s): State<AppState>,
    v: Viewer,
    Path((id, action)): Path<(String, String)>,
) -> UiResult {
    let id = uuid_field("id", &id)?;
    let w = s.app.get_work_order(&v.ctx, id).await?.work_order;
    let (to, reason) = match action.as_str() {
        "start" => (WorkOrderStatus::InProgress, None),
        "pause" => (
            WorkOrderStatus::OnHold,
            Some("paused by the technician".to_owned()),
        ),
        "complete" => (WorkOrderStatus::Completed, None),
        _ => return Err(UiError::bad("unknown action")),
    };
    let since = running_since(&s.app, &v.ctx, &w).await?;
    s.app
        .transition_work_order(
            &v.ctx,
            id,
            Some(w.version),
            TransitionRequest { to, reason },
        )
        .await?;
    if to != WorkOrderStatus::InProgress
        && let Some(start) = since
        && v.ctx.now - start >= chrono::Duration::minutes(1)
    {
        // A shift-long job is split into 24-hour pieces by the labour rule; record what fits.
        let end = v.ctx.now.min(start + chrono::Duration::hours(24));
        s.app
            .add_labor(
                &v.ctx,
                id,
                NewLabor {
                    started_at: start,
                    ended_at: end,
                    craft: None,
                    user_id: None,
                    notes: Some("timer".to_owned()),
                },
            )
            .await?;
    }
    Ok(refresh())
}
