//! Work requests and their triage: approve, reject with a reason, convert into a work order.

use crate::access::Action;
use crate::work_orders::NewWorkOrder;
use crate::{App, AppError, AppResult, Ctx, Page, cursor, page_limit};
use overhaul_core::validation::{Checks, parse_line, parse_text};
use overhaul_core::work_order::{Priority, WorkOrderType, WorkRequestStatus, check_request_triage};
use overhaul_store::work_order::WorkOrder;
use overhaul_store::work_request::{self, RequestFilter, WorkRequest};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWorkRequest {
    pub asset_id: Uuid,
    pub title: String,
    pub description: Option<String>,
    /// How bad: default `normal`.
    pub priority: Option<Priority>,
    /// Name of the person reporting (for requests filed on someone's behalf).
    pub requester_name: Option<String>,
    /// References of files already uploaded.
    #[serde(default)]
    pub attachments: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    pub reason: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConvertRequest {
    /// Default `corrective`.
    #[serde(rename = "type")]
    pub kind: Option<WorkOrderType>,
    /// Default: the request's priority.
    pub priority: Option<Priority>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestQuery {
    pub site_id: Option<Uuid>,
    pub asset_id: Option<Uuid>,
    pub status: Option<WorkRequestStatus>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

pub(crate) fn check_attachments(c: &mut Checks, refs: &[String]) {
    if refs.len() > 50 {
        c.push("attachments", "at most 50 attachments");
    }
    for (i, r) in refs.iter().enumerate() {
        if let Err(m) = parse_line(r, 300) {
            c.push(format!("attachments[{i}]"), m);
        }
    }
}

impl App {
    pub async fn create_work_request(
        &self,
        ctx: &Ctx,
        input: NewWorkRequest,
    ) -> AppResult<WorkRequest> {
        let a = self
            .load_asset_ref(ctx, input.asset_id, Action::CreateRequest)
            .await?;
        let mut c = Checks::new();
        let title = c.take("title", parse_line(&input.title, 200));
        let description = c.take(
            "description",
            parse_text(input.description.as_deref().unwrap_or(""), 20_000),
        );
        let requester = match &input.requester_name {
            Some(n) => c.take("requester_name", parse_line(n, 200)),
            None => None,
        };
        check_attachments(&mut c, &input.attachments);
        if a.status == "decommissioned" {
            c.push("asset_id", "the asset is decommissioned");
        }
        c.finish()?;
        let mut tx = ctx.begin(&self.db).await?;
        let n = overhaul_store::dialect::next_counter(&mut tx, "work_request").await?;
        let r = WorkRequest {
            id: Uuid::now_v7(),
            site_id: a.site_id,
            asset_id: a.id,
            number: format!("WR-{n:06}"),
            title: title.unwrap_or_default(),
            description: description.unwrap_or_default(),
            priority: input
                .priority
                .unwrap_or(Priority::Normal)
                .as_str()
                .to_owned(),
            status: WorkRequestStatus::Open.as_str().to_owned(),
            reject_reason: None,
            work_order_id: None,
            requester_name: requester,
            requested_by: ctx.actor.user_id(),
            attachments: sqlx_json(input.attachments),
            version: 1,
            created_at: ctx.now,
            updated_at: ctx.now,
        };
        work_request::insert(&mut tx, &r).await?;
        tx.commit().await?;
        Ok(r)
    }

    async fn load_request(&self, ctx: &Ctx, id: Uuid, action: Action) -> AppResult<WorkRequest> {
        let r = work_request::get(&self.db, id)
            .await
            .map_err(crate::missing("work request"))?;
        ctx.actor.check(r.site_id, action, "work request")?;
        Ok(r)
    }

    pub async fn get_work_request(&self, ctx: &Ctx, id: Uuid) -> AppResult<WorkRequest> {
        self.load_request(ctx, id, Action::Read).await
    }

    /// A request by its reference number; `None` when there is none the caller may see.
    pub async fn work_request_by_number(
        &self,
        ctx: &Ctx,
        number: &str,
    ) -> AppResult<Option<WorkRequest>> {
        match overhaul_store::work_request::by_number(&self.db, number).await? {
            Some(r)
                if ctx
                    .actor
                    .check(r.site_id, Action::Read, "work request")
                    .is_ok() =>
            {
                Ok(Some(r))
            }
            _ => Ok(None),
        }
    }

    pub async fn list_work_requests(
        &self,
        ctx: &Ctx,
        q: RequestQuery,
    ) -> AppResult<Page<WorkRequest>> {
        let limit = page_limit(q.limit)?;
        let before = match &q.cursor {
            Some(c) => Some(cursor::decode_time(c).map_err(|m| AppError::invalid("cursor", m))?),
            None => None,
        };
        let f = RequestFilter {
            sites: ctx.actor.visible_sites(),
            site_id: q.site_id,
            asset_id: q.asset_id,
            status: q.status.map(|s| s.as_str().to_owned()),
            before,
            limit: limit + 1,
        };
        let mut items = work_request::list(&self.db, &f).await?;
        let next_cursor = if items.len() as u64 > limit {
            items.truncate(limit as usize);
            items
                .last()
                .map(|r| cursor::encode_time(r.created_at, r.id))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    async fn triage(
        &self,
        ctx: &Ctx,
        id: Uuid,
        if_version: Option<i64>,
        to: WorkRequestStatus,
        reason: Option<String>,
    ) -> AppResult<WorkRequest> {
        let old = self.load_request(ctx, id, Action::TriageRequest).await?;
        if if_version.is_some_and(|v| v != old.version) {
            return Err(AppError::Stale);
        }
        let from = WorkRequestStatus::parse(&old.status).map_err(AppError::Internal)?;
        check_request_triage(from, to).map_err(AppError::rule)?;
        let mut new = old.clone();
        new.status = to.as_str().to_owned();
        new.reject_reason = reason.clone();
        new.version += 1;
        new.updated_at = ctx.now;
        let mut tx = ctx.begin(&self.db).await?;
        work_request::update(&mut tx, &old, &new, to.as_str(), reason.as_deref()).await?;
        tx.commit().await?;
        Ok(new)
    }

    pub async fn approve_work_request(
        &self,
        ctx: &Ctx,
        id: Uuid,
        if_version: Option<i64>,
    ) -> AppResult<WorkRequest> {
        self.triage(ctx, id, if_version, WorkRequestStatus::Approved, None)
            .await
    }

    pub async fn reject_work_request(
        &self,
        ctx: &Ctx,
        id: Uuid,
        if_version: Option<i64>,
        input: RejectRequest,
    ) -> AppResult<WorkRequest> {
        let reason = parse_line(&input.reason, 500).map_err(|m| AppError::invalid("reason", m))?;
        self.triage(
            ctx,
            id,
            if_version,
            WorkRequestStatus::Rejected,
            Some(reason),
        )
        .await
    }

    /// Turns a request into a work order that keeps its title, description and attachment
    /// references; both changes are written in one transaction.
    pub async fn convert_work_request(
        &self,
        ctx: &Ctx,
        id: Uuid,
        if_version: Option<i64>,
        input: ConvertRequest,
    ) -> AppResult<WorkOrder> {
        let old = self.load_request(ctx, id, Action::TriageRequest).await?;
        ctx.actor
            .check(old.site_id, Action::CreateWorkOrder, "work request")?;
        if if_version.is_some_and(|v| v != old.version) {
            return Err(AppError::Stale);
        }
        let from = WorkRequestStatus::parse(&old.status).map_err(AppError::Internal)?;
        check_request_triage(from, WorkRequestStatus::Converted).map_err(AppError::rule)?;
        let priority = match input.priority {
            Some(p) => p,
            None => Priority::parse(&old.priority).map_err(AppError::Internal)?,
        };
        let wo_input = NewWorkOrder {
            asset_id: old.asset_id,
            title: old.title.clone(),
            kind: input.kind.unwrap_or(WorkOrderType::Corrective),
            priority,
            description: Some(old.description.clone()),
            due_at: None,
            assignee_id: None,
            attachments: old.attachments.0.clone(),
            procedure_revision_id: None,
        };
        let draft = self.prepare_work_order(ctx, wo_input, Some(old.id)).await?;
        let mut tx = ctx.begin(&self.db).await?;
        let wo = self.store_work_order(ctx, &mut tx, draft).await?;
        let mut new = old.clone();
        new.status = WorkRequestStatus::Converted.as_str().to_owned();
        new.work_order_id = Some(wo.id);
        new.version += 1;
        new.updated_at = ctx.now;
        work_request::update(&mut tx, &old, &new, "convert", None).await?;
        tx.commit().await?;
        Ok(wo)
    }
}

pub(crate) fn sqlx_json(v: Vec<String>) -> overhaul_store::work_order::Attachments {
    overhaul_store::work_order::attachments(v)
}
