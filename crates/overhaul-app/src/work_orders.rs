//! Work orders: creation, the guarded life cycle, planning fields, failure report, labour,
//! downtime and comments.

use crate::access::Action;
use crate::assets::NewDowntime;
use crate::work_requests::{check_attachments, sqlx_json};
use crate::{App, AppError, AppResult, Ctx, Page, cursor, page_limit};
use chrono::{DateTime, Utc};
use overhaul_core::failure_code::{self, FailureCodeKind};
use overhaul_core::validation::{Checks, parse_line, parse_text};
use overhaul_core::work_order::{
    Priority, TransitionError, WorkOrderStatus, WorkOrderType, allowed_transitions, labor_minutes,
    transition,
};
use overhaul_store::Tx;
use overhaul_store::asset::Downtime;
use overhaul_store::work_order::{self, Comment, Labor, StatusChange, WorkOrder, WorkOrderFilter};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWorkOrder {
    pub asset_id: Uuid,
    pub title: String,
    #[serde(rename = "type")]
    pub kind: WorkOrderType,
    pub priority: Priority,
    pub description: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub assignee_id: Option<Uuid>,
    #[serde(default)]
    pub attachments: Vec<String>,
    /// The published procedure revision to follow. Pinned: later revisions of the procedure do
    /// not change it. A draft or an older revision is refused (422).
    pub procedure_revision_id: Option<Uuid>,
}

/// The failure report (ISO 14224 codes plus free text). Send `null` to clear a code.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FailureReport {
    /// C critical, D degraded, I incipient.
    #[serde(default, deserialize_with = "crate::patch_field")]
    #[schema(value_type = Option<String>)]
    pub impact: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::patch_field")]
    #[schema(value_type = Option<String>)]
    pub mode: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::patch_field")]
    #[schema(value_type = Option<String>)]
    pub mechanism: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::patch_field")]
    #[schema(value_type = Option<String>)]
    pub cause: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::patch_field")]
    #[schema(value_type = Option<String>)]
    pub detection: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::patch_field")]
    #[schema(value_type = Option<String>)]
    pub activity: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::patch_field")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkOrderPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub priority: Option<Priority>,
    #[serde(rename = "type")]
    pub kind: Option<WorkOrderType>,
    #[serde(default, deserialize_with = "crate::patch_field")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub due_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "crate::patch_field")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    pub failure: Option<FailureReport>,
    pub attachments: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    pub to: WorkOrderStatus,
    /// Required for on_hold, cancelled and reopening completed work.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLabor {
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    /// Trade, e.g. `mechanical`, `electrical`.
    pub craft: Option<String>,
    /// Who worked; default the caller.
    pub user_id: Option<Uuid>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    pub body: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorkOrderQuery {
    /// One status or several separated by commas; `open` = every status before completion.
    pub status: Option<String>,
    /// One type or several separated by commas.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    pub priority: Option<String>,
    pub site_id: Option<Uuid>,
    /// Work on this asset or anything below it.
    pub asset_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_to: Option<DateTime<Utc>>,
    /// Due before this instant (with `status=open` and now: overdue work).
    pub due_before: Option<DateTime<Utc>>,
    /// Words in the title or description.
    pub q: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// A work order with what the client may do next.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkOrderView {
    #[serde(flatten)]
    pub work_order: WorkOrder,
    /// Statuses this work order may move to now.
    pub allowed_transitions: Vec<WorkOrderStatus>,
}

impl From<WorkOrder> for WorkOrderView {
    fn from(w: WorkOrder) -> Self {
        let allowed = match (
            WorkOrderStatus::parse(&w.status),
            WorkOrderType::parse(&w.kind),
        ) {
            (Ok(s), Ok(k)) => allowed_transitions(s, k),
            _ => vec![],
        };
        Self {
            work_order: w,
            allowed_transitions: allowed,
        }
    }
}

fn parse_list<T>(
    field: &str,
    raw: &Option<String>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> AppResult<Vec<T>> {
    let Some(raw) = raw else { return Ok(vec![]) };
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| parse(s).map_err(|m| AppError::invalid(field, m)))
        .collect()
}

fn apply_code(
    c: &mut Checks,
    field: &str,
    kind: FailureCodeKind,
    v: &Option<Option<String>>,
    slot: &mut Option<String>,
) {
    match v {
        None => {}
        Some(None) => *slot = None,
        Some(Some(code)) => {
            if let Err(m) = failure_code::check(kind, code) {
                c.push(field, m);
            } else {
                *slot = Some(code.clone());
            }
        }
    }
}

impl App {
    pub(crate) async fn load_work_order(
        &self,
        ctx: &Ctx,
        id: Uuid,
        action: Action,
    ) -> AppResult<WorkOrder> {
        let w = work_order::get(&self.db, id)
            .await
            .map_err(crate::missing("work order"))?;
        ctx.actor.check(w.site_id, action, "work order")?;
        Ok(w)
    }

    async fn check_assignee(
        &self,
        c: &mut Checks,
        site: Uuid,
        assignee: Option<Uuid>,
    ) -> AppResult<()> {
        if let Some(u) = assignee {
            match self.principal(u).await {
                Ok(p) if p.sees(site) => {}
                _ => c.push("assignee_id", "no active user with access to this site"),
            }
        }
        Ok(())
    }

    /// Validates a new work order and returns it without a number (all reads happen here, before
    /// any transaction is opened, so a request never holds two pooled connections at once).
    pub(crate) async fn prepare_work_order(
        &self,
        ctx: &Ctx,
        input: NewWorkOrder,
        request_id: Option<Uuid>,
    ) -> AppResult<WorkOrder> {
        let a = self
            .load_asset_ref(ctx, input.asset_id, Action::CreateWorkOrder)
            .await?;
        let mut c = Checks::new();
        let title = c.take("title", parse_line(&input.title, 200));
        let description = c.take(
            "description",
            parse_text(input.description.as_deref().unwrap_or(""), 20_000),
        );
        check_attachments(&mut c, &input.attachments);
        if a.status == "decommissioned" {
            c.push("asset_id", "the asset is decommissioned");
        }
        self.check_assignee(&mut c, a.site_id, input.assignee_id)
            .await?;
        c.finish()?;
        if let Some(rev) = input.procedure_revision_id {
            self.check_attach_revision("procedure_revision_id", a.site_id, a.id, rev)
                .await?;
        }
        Ok(WorkOrder {
            id: Uuid::now_v7(),
            site_id: a.site_id,
            asset_id: a.id,
            number: String::new(),
            title: title.unwrap_or_default(),
            description: description.unwrap_or_default(),
            kind: input.kind.as_str().to_owned(),
            priority: input.priority.as_str().to_owned(),
            status: WorkOrderStatus::Requested.as_str().to_owned(),
            hold_reason: None,
            request_id,
            created_by: ctx.actor.user_id(),
            assignee_id: input.assignee_id,
            due_at: input.due_at.map(overhaul_core::time::micros),
            started_at: None,
            completed_at: None,
            closed_at: None,
            failure_impact: None,
            failure_mode: None,
            failure_mechanism: None,
            failure_cause: None,
            failure_detection: None,
            failure_activity: None,
            failure_notes: None,
            attachments: sqlx_json(input.attachments),
            version: 1,
            created_at: ctx.now,
            updated_at: ctx.now,
            procedure_revision_id: input.procedure_revision_id,
        })
    }

    /// Numbers and stores a prepared work order with its first status-history row.
    pub(crate) async fn store_work_order(
        &self,
        ctx: &Ctx,
        tx: &mut Tx,
        mut w: WorkOrder,
    ) -> AppResult<WorkOrder> {
        let n = overhaul_store::dialect::next_counter(tx, "work_order").await?;
        w.number = format!("WO-{n:06}");
        work_order::insert(tx, &w).await?;
        work_order::insert_status_change(
            tx,
            &StatusChange {
                id: Uuid::now_v7(),
                work_order_id: w.id,
                from_status: None,
                to_status: w.status.clone(),
                reason: None,
                changed_by: ctx.actor.user_id(),
                changed_at: ctx.now,
            },
        )
        .await?;
        Ok(w)
    }

    pub async fn create_work_order(
        &self,
        ctx: &Ctx,
        input: NewWorkOrder,
    ) -> AppResult<WorkOrderView> {
        let draft = self.prepare_work_order(ctx, input, None).await?;
        let mut tx = ctx.begin(&self.db).await?;
        let w = self.store_work_order(ctx, &mut tx, draft).await?;
        tx.commit().await?;
        Ok(w.into())
    }

    pub async fn get_work_order(&self, ctx: &Ctx, id: Uuid) -> AppResult<WorkOrderView> {
        Ok(self.load_work_order(ctx, id, Action::Read).await?.into())
    }

    pub async fn list_work_orders(
        &self,
        ctx: &Ctx,
        q: WorkOrderQuery,
    ) -> AppResult<Page<WorkOrderView>> {
        let limit = page_limit(q.limit)?;
        let before = match &q.cursor {
            Some(c) => Some(cursor::decode_time(c).map_err(|m| AppError::invalid("cursor", m))?),
            None => None,
        };
        let mut statuses: Vec<String> = Vec::new();
        for s in parse_list("status", &q.status, |s| {
            if s == "open" {
                Ok(None)
            } else {
                WorkOrderStatus::parse(s)
                    .map(Some)
                    .map_err(|m| format!("{m}, open"))
            }
        })? {
            match s {
                None => statuses.extend(
                    WorkOrderStatus::open_statuses()
                        .iter()
                        .map(|s| s.as_str().to_owned()),
                ),
                Some(s) => statuses.push(s.as_str().to_owned()),
            }
        }
        let kinds = parse_list("type", &q.kind, WorkOrderType::parse)?;
        let priorities = parse_list("priority", &q.priority, Priority::parse)?;
        if let (Some(f), Some(t)) = (q.created_from, q.created_to)
            && t < f
        {
            return Err(AppError::invalid(
                "created_to",
                "must not be before created_from",
            ));
        }
        let subtree_path = match q.asset_id {
            Some(id) => Some(self.load_asset_ref(ctx, id, Action::Read).await?.path),
            None => None,
        };
        let f = WorkOrderFilter {
            sites: ctx.actor.visible_sites(),
            site_id: q.site_id,
            statuses,
            kinds: kinds.iter().map(|k| k.as_str().to_owned()).collect(),
            priorities: priorities.iter().map(|p| p.as_str().to_owned()).collect(),
            asset_id: None,
            subtree_path,
            assignee_id: q.assignee_id,
            created_from: q.created_from,
            created_to: q.created_to,
            due_before: q.due_before,
            q: q.q.filter(|s| !s.trim().is_empty()),
            before,
            limit: limit + 1,
        };
        let mut items = work_order::list(&self.db, &f).await?;
        let next_cursor = if items.len() as u64 > limit {
            items.truncate(limit as usize);
            items
                .last()
                .map(|w| cursor::encode_time(w.created_at, w.id))
        } else {
            None
        };
        Ok(Page {
            items: items.into_iter().map(WorkOrderView::from).collect(),
            next_cursor,
        })
    }

    pub async fn update_work_order(
        &self,
        ctx: &Ctx,
        id: Uuid,
        if_version: Option<i64>,
        p: WorkOrderPatch,
    ) -> AppResult<WorkOrderView> {
        let old = self.load_work_order(ctx, id, Action::Read).await?;
        // Planning fields need PlanWork; the failure report may be written by whoever executes.
        let planning = p.title.is_some()
            || p.description.is_some()
            || p.priority.is_some()
            || p.kind.is_some()
            || p.due_at.is_some()
            || p.assignee_id.is_some();
        if planning {
            ctx.actor
                .check(old.site_id, Action::PlanWork, "work order")?;
        }
        if p.failure.is_some() || p.attachments.is_some() {
            let ok = ctx
                .actor
                .check(old.site_id, Action::ExecuteWork, "work order")
                .is_ok()
                || ctx
                    .actor
                    .check(old.site_id, Action::PlanWork, "work order")
                    .is_ok();
            if !ok {
                return Err(AppError::Forbidden(
                    "your role cannot edit the failure report".into(),
                ));
            }
        }
        if if_version.is_some_and(|v| v != old.version) {
            return Err(AppError::Stale);
        }
        let status = WorkOrderStatus::parse(&old.status).map_err(AppError::Internal)?;
        if matches!(status, WorkOrderStatus::Closed | WorkOrderStatus::Cancelled) {
            return Err(AppError::rule(format!(
                "a {status} work order cannot be changed"
            )));
        }
        let mut c = Checks::new();
        let mut new = old.clone();
        if let Some(t) = &p.title
            && let Some(t) = c.take("title", parse_line(t, 200))
        {
            new.title = t;
        }
        if let Some(d) = &p.description
            && let Some(d) = c.take("description", parse_text(d, 20_000))
        {
            new.description = d;
        }
        if let Some(pr) = p.priority {
            new.priority = pr.as_str().to_owned();
        }
        if let Some(k) = p.kind {
            new.kind = k.as_str().to_owned();
        }
        if let Some(d) = p.due_at {
            new.due_at = d.map(overhaul_core::time::micros);
        }
        if let Some(a) = p.assignee_id {
            self.check_assignee(&mut c, old.site_id, a).await?;
            new.assignee_id = a;
        }
        if let Some(f) = &p.failure {
            apply_code(
                &mut c,
                "failure.impact",
                FailureCodeKind::Impact,
                &f.impact,
                &mut new.failure_impact,
            );
            apply_code(
                &mut c,
                "failure.mode",
                FailureCodeKind::Mode,
                &f.mode,
                &mut new.failure_mode,
            );
            apply_code(
                &mut c,
                "failure.mechanism",
                FailureCodeKind::Mechanism,
                &f.mechanism,
                &mut new.failure_mechanism,
            );
            apply_code(
                &mut c,
                "failure.cause",
                FailureCodeKind::Cause,
                &f.cause,
                &mut new.failure_cause,
            );
            apply_code(
                &mut c,
                "failure.detection",
                FailureCodeKind::Detection,
                &f.detection,
                &mut new.failure_detection,
            );
            apply_code(
                &mut c,
                "failure.activity",
                FailureCodeKind::Activity,
                &f.activity,
                &mut new.failure_activity,
            );
            match &f.notes {
                None => {}
                Some(None) => new.failure_notes = None,
                Some(Some(n)) => new.failure_notes = c.take("failure.notes", parse_text(n, 20_000)),
            }
        }
        if let Some(a) = &p.attachments {
            check_attachments(&mut c, a);
            new.attachments = sqlx_json(a.clone());
        }
        c.finish()?;
        new.version += 1;
        new.updated_at = ctx.now;
        let mut tx = ctx.begin(&self.db).await?;
        work_order::update(&mut tx, &old, &new, "update", None).await?;
        tx.commit().await?;
        Ok(new.into())
    }

    /// Moves a work order through its life cycle; refused moves name the allowed ones.
    pub async fn transition_work_order(
        &self,
        ctx: &Ctx,
        id: Uuid,
        if_version: Option<i64>,
        req: TransitionRequest,
    ) -> AppResult<WorkOrderView> {
        let old = self.load_work_order(ctx, id, Action::Read).await?;
        let action = match req.to {
            WorkOrderStatus::InProgress | WorkOrderStatus::OnHold | WorkOrderStatus::Completed => {
                Action::ExecuteWork
            }
            _ => Action::PlanWork,
        };
        ctx.actor.check(old.site_id, action, "work order")?;
        if if_version.is_some_and(|v| v != old.version) {
            return Err(AppError::Stale);
        }
        let reason = match &req.reason {
            Some(r) => Some(parse_line(r, 500).map_err(|m| AppError::invalid("reason", m))?),
            None => None,
        };
        let from = WorkOrderStatus::parse(&old.status).map_err(AppError::Internal)?;
        let kind = WorkOrderType::parse(&old.kind).map_err(AppError::Internal)?;
        let t = transition(from, req.to, kind, reason.as_deref()).map_err(|e| match &e {
            TransitionError::NotAllowed { allowed, .. } => AppError::Rule {
                message: e.to_string(),
                allowed: Some(allowed.iter().map(|s| s.as_str().to_owned()).collect()),
            },
            TransitionError::ReasonRequired { .. } => AppError::Rule {
                message: e.to_string(),
                allowed: None,
            },
        })?;
        let mut new = old.clone();
        new.status = t.to.as_str().to_owned();
        new.hold_reason = t.hold_reason.clone();
        if t.sets_started && new.started_at.is_none() {
            new.started_at = Some(ctx.now);
        }
        if t.sets_completed {
            new.completed_at = Some(ctx.now);
        }
        if t.clears_completed {
            new.completed_at = None;
        }
        if t.sets_closed {
            new.closed_at = Some(ctx.now);
        }
        new.version += 1;
        new.updated_at = ctx.now;
        // Completing PM work restarts its plan's floating / meter cycle (read before the
        // transaction opens).
        if t.sets_completed {
            self.check_procedure_complete(&old).await?;
        }
        let pm_completion = if t.sets_completed {
            match overhaul_store::pm::plan_of_work_order(&self.db, id).await? {
                Some(plan) => Some((plan, self.pm_completion_reading(plan).await?)),
                None => None,
            }
        } else {
            None
        };
        let mut tx = ctx.begin(&self.db).await?;
        work_order::update(
            &mut tx,
            &old,
            &new,
            &format!("transition:{}", t.to),
            reason.as_deref(),
        )
        .await?;
        if let Some((plan, reading)) = pm_completion {
            overhaul_store::pm::set_completion(&mut tx, plan, ctx.now, reading).await?;
        }
        work_order::insert_status_change(
            &mut tx,
            &StatusChange {
                id: Uuid::now_v7(),
                work_order_id: id,
                from_status: Some(t.from.as_str().to_owned()),
                to_status: t.to.as_str().to_owned(),
                reason,
                changed_by: ctx.actor.user_id(),
                changed_at: ctx.now,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(new.into())
    }

    pub async fn work_order_history(&self, ctx: &Ctx, id: Uuid) -> AppResult<Vec<StatusChange>> {
        self.load_work_order(ctx, id, Action::Read).await?;
        Ok(work_order::status_changes(&self.db, id).await?)
    }

    /// People who may be given work at a site (their role lets them execute work), by name.
    pub async fn assignable_users(&self, ctx: &Ctx, site: Uuid) -> AppResult<Vec<(Uuid, String)>> {
        ctx.actor.check(site, Action::Read, "site")?;
        let mut v: Vec<(Uuid, String)> = overhaul_store::overview::users_at_site(&self.db, site)
            .await?
            .into_iter()
            .filter(|g| {
                overhaul_core::role::Role::parse(&g.role)
                    .is_ok_and(|r| crate::access::permits(r, Action::ExecuteWork))
            })
            .map(|g| (g.user_id, g.name))
            .collect();
        v.dedup_by_key(|(id, _)| *id);
        Ok(v)
    }

    /// The audit records of one work order, for its page (anyone who may read the work order
    /// may read its own trail; the whole trail stays with auditors).
    pub async fn work_order_audit(
        &self,
        ctx: &Ctx,
        id: Uuid,
    ) -> AppResult<Vec<overhaul_store::audit::AuditRecord>> {
        self.load_work_order(ctx, id, Action::Read).await?;
        Ok(overhaul_store::audit::list(
            &self.db,
            &overhaul_store::audit::AuditFilter {
                entity: Some("work_order".to_owned()),
                entity_id: Some(id.to_string()),
                after_seq: None,
                limit: 500,
            },
        )
        .await?)
    }

    pub async fn add_labor(&self, ctx: &Ctx, id: Uuid, input: NewLabor) -> AppResult<Labor> {
        let w = self.load_work_order(ctx, id, Action::RecordLabor).await?;
        let mut c = Checks::new();
        let start = overhaul_core::time::micros(input.started_at);
        let end = overhaul_core::time::micros(input.ended_at);
        let minutes = c.take("ended_at", labor_minutes(start, end));
        if end > ctx.now + chrono::Duration::minutes(5) {
            c.push("ended_at", "must not be in the future");
        }
        let craft = match &input.craft {
            Some(k) => c.take("craft", parse_line(k, 64)),
            None => None,
        };
        let notes = match &input.notes {
            Some(n) => c.take("notes", parse_text(n, 5_000)),
            None => None,
        };
        let user_id = input.user_id.or(ctx.actor.user_id());
        if let Some(u) = input.user_id {
            match self.principal(u).await {
                Ok(p) if p.sees(w.site_id) => {}
                _ => c.push("user_id", "no active user with access to this site"),
            }
        }
        let status = WorkOrderStatus::parse(&w.status).map_err(AppError::Internal)?;
        if matches!(status, WorkOrderStatus::Closed | WorkOrderStatus::Cancelled) {
            c.push(
                "work_order",
                format!("labour cannot be added to a {status} work order"),
            );
        }
        c.finish()?;
        let l = Labor {
            id: Uuid::now_v7(),
            work_order_id: id,
            user_id,
            craft,
            started_at: start,
            ended_at: end,
            minutes: minutes.unwrap_or_default(),
            notes,
            created_by: ctx.actor.user_id(),
            created_at: ctx.now,
        };
        let mut tx = ctx.begin(&self.db).await?;
        work_order::insert_labor(&mut tx, &l).await?;
        tx.commit().await?;
        Ok(l)
    }

    pub async fn list_labor(&self, ctx: &Ctx, id: Uuid) -> AppResult<Vec<Labor>> {
        self.load_work_order(ctx, id, Action::Read).await?;
        Ok(work_order::labor(&self.db, id).await?)
    }

    /// Records downtime of the work order's asset, linked to the work order.
    pub async fn add_work_order_downtime(
        &self,
        ctx: &Ctx,
        id: Uuid,
        input: NewDowntime,
    ) -> AppResult<Downtime> {
        let w = self
            .load_work_order(ctx, id, Action::RecordDowntime)
            .await?;
        self.record_downtime(ctx, w.asset_id, Some(w.id), input)
            .await
    }

    pub async fn add_comment(&self, ctx: &Ctx, id: Uuid, input: NewComment) -> AppResult<Comment> {
        self.load_work_order(ctx, id, Action::Comment).await?;
        let body =
            parse_text(input.body.trim(), 10_000).map_err(|m| AppError::invalid("body", m))?;
        if body.is_empty() {
            return Err(AppError::invalid("body", "must not be empty"));
        }
        let cm = Comment {
            id: Uuid::now_v7(),
            work_order_id: id,
            author_id: ctx.actor.user_id(),
            body,
            created_at: ctx.now,
        };
        let mut tx = ctx.begin(&self.db).await?;
        work_order::insert_comment(&mut tx, &cm).await?;
        tx.commit().await?;
        Ok(cm)
    }

    pub async fn list_comments(&self, ctx: &Ctx, id: Uuid) -> AppResult<Vec<Comment>> {
        self.load_work_order(ctx, id, Action::Read).await?;
        Ok(work_order::comments(&self.db, id).await?)
    }
}
