//! Work requests: problems reported on an asset, waiting for triage.

use crate::audit::PendingAudit;
use crate::db::Tx;
use crate::error::StoreResult;
use crate::schema::WorkRequests;
use crate::{Db, StoreError};
use chrono::{DateTime, Utc};
use sea_query::{Cond, Expr, ExprTrait, Order, Query};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct WorkRequest {
    pub id: Uuid,
    pub site_id: Uuid,
    pub asset_id: Uuid,
    /// Reference people quote, e.g. `WR-000042`.
    pub number: String,
    pub title: String,
    pub description: String,
    pub priority: String,
    /// `open`, `approved`, `rejected` or `converted`.
    pub status: String,
    pub reject_reason: Option<String>,
    /// The work order this request became.
    pub work_order_id: Option<Uuid>,
    pub requester_name: Option<String>,
    pub requested_by: Option<Uuid>,
    /// References of attached files (JSON array of strings).
    #[schema(value_type = Vec<String>)]
    pub attachments: sqlx::types::Json<Vec<String>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLS: [WorkRequests; 16] = [
    WorkRequests::Id,
    WorkRequests::SiteId,
    WorkRequests::AssetId,
    WorkRequests::Number,
    WorkRequests::Title,
    WorkRequests::Description,
    WorkRequests::Priority,
    WorkRequests::Status,
    WorkRequests::RejectReason,
    WorkRequests::WorkOrderId,
    WorkRequests::RequesterName,
    WorkRequests::RequestedBy,
    WorkRequests::Attachments,
    WorkRequests::Version,
    WorkRequests::CreatedAt,
    WorkRequests::UpdatedAt,
];

/// Attachments are bound as JSON (a `jsonb` column on PostgreSQL, text on SQLite).
pub(crate) fn attachments_json(a: &[String]) -> serde_json::Value {
    serde_json::Value::from(a.to_vec())
}

pub async fn insert(tx: &mut Tx, r: &WorkRequest) -> StoreResult<()> {
    tx.execute(
        Query::insert()
            .into_table(WorkRequests::Table)
            .columns(COLS)
            .values_panic([
                r.id.into(),
                r.site_id.into(),
                r.asset_id.into(),
                r.number.clone().into(),
                r.title.clone().into(),
                r.description.clone().into(),
                r.priority.clone().into(),
                r.status.clone().into(),
                r.reject_reason.clone().into(),
                r.work_order_id.into(),
                r.requester_name.clone().into(),
                r.requested_by.into(),
                attachments_json(&r.attachments).into(),
                r.version.into(),
                r.created_at.into(),
                r.updated_at.into(),
            ]),
    )
    .await?;
    tx.audit(PendingAudit::new("create", "work_request", r.id).new_value(r));
    Ok(())
}

/// Writes triage changes (status, reason, linked work order) of a request read at `old.version`.
pub async fn update(
    tx: &mut Tx,
    old: &WorkRequest,
    new: &WorkRequest,
    action: &str,
    reason: Option<&str>,
) -> StoreResult<()> {
    let n = tx
        .execute(
            Query::update()
                .table(WorkRequests::Table)
                .value(WorkRequests::Title, new.title.clone())
                .value(WorkRequests::Description, new.description.clone())
                .value(WorkRequests::Priority, new.priority.clone())
                .value(WorkRequests::Status, new.status.clone())
                .value(WorkRequests::RejectReason, new.reject_reason.clone())
                .value(WorkRequests::WorkOrderId, new.work_order_id)
                .value(WorkRequests::Version, new.version)
                .value(WorkRequests::UpdatedAt, new.updated_at)
                .and_where(Expr::col(WorkRequests::Id).eq(old.id))
                .and_where(Expr::col(WorkRequests::Version).eq(old.version)),
        )
        .await?;
    if n == 0 {
        return Err(StoreError::Stale);
    }
    tx.audit(
        PendingAudit::new(action, "work_request", old.id)
            .old(old)
            .new_value(new)
            .reason(reason),
    );
    Ok(())
}

pub async fn get(db: &Db, id: Uuid) -> StoreResult<WorkRequest> {
    db.fetch_one(
        Query::select()
            .columns(COLS)
            .from(WorkRequests::Table)
            .and_where(Expr::col(WorkRequests::Id).eq(id)),
    )
    .await
}

/// The request with this reference number (e.g. `WR-000042`).
pub async fn by_number(db: &Db, number: &str) -> StoreResult<Option<WorkRequest>> {
    db.fetch_optional(
        Query::select()
            .columns(COLS)
            .from(WorkRequests::Table)
            .and_where(Expr::col(WorkRequests::Number).eq(number)),
    )
    .await
}

pub async fn get_tx(tx: &mut Tx, id: Uuid) -> StoreResult<WorkRequest> {
    tx.fetch_one(
        Query::select()
            .columns(COLS)
            .from(WorkRequests::Table)
            .and_where(Expr::col(WorkRequests::Id).eq(id)),
    )
    .await
}

#[derive(Debug, Default, Clone)]
pub struct RequestFilter {
    pub sites: Option<Vec<Uuid>>,
    pub site_id: Option<Uuid>,
    pub asset_id: Option<Uuid>,
    pub status: Option<String>,
    pub before: Option<(DateTime<Utc>, Uuid)>,
    pub limit: u64,
}

/// Newest first.
pub async fn list(db: &Db, f: &RequestFilter) -> StoreResult<Vec<WorkRequest>> {
    let mut q = Query::select();
    q.columns(COLS)
        .from(WorkRequests::Table)
        .order_by(WorkRequests::CreatedAt, Order::Desc)
        .order_by(WorkRequests::Id, Order::Desc)
        .limit(f.limit);
    if let Some(s) = &f.sites {
        q.and_where(Expr::col(WorkRequests::SiteId).is_in(s.iter().copied()));
    }
    if let Some(s) = f.site_id {
        q.and_where(Expr::col(WorkRequests::SiteId).eq(s));
    }
    if let Some(a) = f.asset_id {
        q.and_where(Expr::col(WorkRequests::AssetId).eq(a));
    }
    if let Some(s) = &f.status {
        q.and_where(Expr::col(WorkRequests::Status).eq(s.as_str()));
    }
    if let Some((t, id)) = f.before {
        q.cond_where(
            Cond::any()
                .add(Expr::col(WorkRequests::CreatedAt).lt(t))
                .add(
                    Cond::all()
                        .add(Expr::col(WorkRequests::CreatedAt).eq(t))
                        .add(Expr::col(WorkRequests::Id).lt(id)),
                ),
        );
    }
    db.fetch_all(&q).await
}
