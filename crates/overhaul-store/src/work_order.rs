//! Work orders, their status history, labour and comments.

use crate::asset::subtree_cond;
use crate::audit::PendingAudit;
use crate::db::Tx;
use crate::error::StoreResult;
use crate::schema::{Assets, LaborEntries, WorkOrderComments, WorkOrderStatusChanges, WorkOrders};
use crate::work_request::attachments_json;
use crate::{Db, StoreError};
use chrono::{DateTime, Utc};
use sea_query::{Cond, Expr, ExprTrait, Order, Query, SelectStatement};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct WorkOrder {
    pub id: Uuid,
    pub site_id: Uuid,
    pub asset_id: Uuid,
    /// Reference people quote, e.g. `WO-000123`.
    pub number: String,
    pub title: String,
    pub description: String,
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    pub priority: String,
    pub status: String,
    pub hold_reason: Option<String>,
    pub request_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub due_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// ISO 14224 failure impact: C critical, D degraded, I incipient.
    pub failure_impact: Option<String>,
    pub failure_mode: Option<String>,
    pub failure_mechanism: Option<String>,
    pub failure_cause: Option<String>,
    pub failure_detection: Option<String>,
    pub failure_activity: Option<String>,
    pub failure_notes: Option<String>,
    #[schema(value_type = Vec<String>)]
    pub attachments: sqlx::types::Json<Vec<String>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The procedure revision this work follows, pinned at creation (later revisions of the
    /// procedure do not change it).
    pub procedure_revision_id: Option<Uuid>,
}

const COLS: [WorkOrders; 29] = [
    WorkOrders::Id,
    WorkOrders::SiteId,
    WorkOrders::AssetId,
    WorkOrders::Number,
    WorkOrders::Title,
    WorkOrders::Description,
    WorkOrders::Type,
    WorkOrders::Priority,
    WorkOrders::Status,
    WorkOrders::HoldReason,
    WorkOrders::RequestId,
    WorkOrders::CreatedBy,
    WorkOrders::AssigneeId,
    WorkOrders::DueAt,
    WorkOrders::StartedAt,
    WorkOrders::CompletedAt,
    WorkOrders::ClosedAt,
    WorkOrders::FailureImpact,
    WorkOrders::FailureMode,
    WorkOrders::FailureMechanism,
    WorkOrders::FailureCause,
    WorkOrders::FailureDetection,
    WorkOrders::FailureActivity,
    WorkOrders::FailureNotes,
    WorkOrders::Attachments,
    WorkOrders::Version,
    WorkOrders::CreatedAt,
    WorkOrders::UpdatedAt,
    WorkOrders::ProcedureRevisionId,
];

fn cols() -> impl Iterator<Item = (WorkOrders, WorkOrders)> {
    COLS.iter().map(|c| (WorkOrders::Table, *c))
}

fn values(w: &WorkOrder) -> [sea_query::Value; 29] {
    [
        w.id.into(),
        w.site_id.into(),
        w.asset_id.into(),
        w.number.clone().into(),
        w.title.clone().into(),
        w.description.clone().into(),
        w.kind.clone().into(),
        w.priority.clone().into(),
        w.status.clone().into(),
        w.hold_reason.clone().into(),
        w.request_id.into(),
        w.created_by.into(),
        w.assignee_id.into(),
        w.due_at.into(),
        w.started_at.into(),
        w.completed_at.into(),
        w.closed_at.into(),
        w.failure_impact.clone().into(),
        w.failure_mode.clone().into(),
        w.failure_mechanism.clone().into(),
        w.failure_cause.clone().into(),
        w.failure_detection.clone().into(),
        w.failure_activity.clone().into(),
        w.failure_notes.clone().into(),
        attachments_json(&w.attachments).into(),
        w.version.into(),
        w.created_at.into(),
        w.updated_at.into(),
        w.procedure_revision_id.into(),
    ]
}

pub async fn insert(tx: &mut Tx, w: &WorkOrder) -> StoreResult<()> {
    tx.execute(
        Query::insert()
            .into_table(WorkOrders::Table)
            .columns(COLS)
            .values_panic(values(w).map(sea_query::Expr::from)),
    )
    .await?;
    tx.audit(PendingAudit::new("create", "work_order", w.id).new_value(w));
    Ok(())
}

/// Writes every mutable field of a work order read at `old.version` (`new.version` must be
/// `old.version + 1`). `Stale` when someone else changed it in between.
pub async fn update(
    tx: &mut Tx,
    old: &WorkOrder,
    new: &WorkOrder,
    action: &str,
    reason: Option<&str>,
) -> StoreResult<()> {
    let mut q = Query::update();
    q.table(WorkOrders::Table);
    // id, site, number and creation are immutable: skip them.
    for (col, v) in COLS.iter().zip(values(new)) {
        if !matches!(
            col,
            WorkOrders::Id
                | WorkOrders::SiteId
                | WorkOrders::Number
                | WorkOrders::CreatedAt
                | WorkOrders::CreatedBy
        ) {
            q.value(*col, v);
        }
    }
    q.and_where(Expr::col(WorkOrders::Id).eq(old.id))
        .and_where(Expr::col(WorkOrders::Version).eq(old.version));
    if tx.execute(&q).await? == 0 {
        return Err(StoreError::Stale);
    }
    tx.audit(
        PendingAudit::new(action, "work_order", old.id)
            .old(old)
            .new_value(new)
            .reason(reason),
    );
    Ok(())
}

fn select() -> SelectStatement {
    Query::select()
        .columns(cols())
        .from(WorkOrders::Table)
        .to_owned()
}

pub async fn get(db: &Db, id: Uuid) -> StoreResult<WorkOrder> {
    db.fetch_one(select().and_where(Expr::col((WorkOrders::Table, WorkOrders::Id)).eq(id)))
        .await
}

pub async fn get_tx(tx: &mut Tx, id: Uuid) -> StoreResult<WorkOrder> {
    tx.fetch_one(select().and_where(Expr::col((WorkOrders::Table, WorkOrders::Id)).eq(id)))
        .await
}

#[derive(Debug, Default, Clone)]
pub struct WorkOrderFilter {
    /// Sites the reader may see (`None` = all).
    pub sites: Option<Vec<Uuid>>,
    pub site_id: Option<Uuid>,
    pub statuses: Vec<String>,
    pub kinds: Vec<String>,
    pub priorities: Vec<String>,
    pub asset_id: Option<Uuid>,
    /// Path of an asset: only work on it or below it.
    pub subtree_path: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    /// Due strictly before this instant (overdue work: open statuses and `now`).
    pub due_before: Option<DateTime<Utc>>,
    pub q: Option<String>,
    /// Keyset cursor: (created_at, id) of the last row of the previous page.
    pub before: Option<(DateTime<Utc>, Uuid)>,
    pub limit: u64,
}

/// Work orders newest first (created_at, then id), filtered.
///
/// Two steps in one statement: the page's ids are found from (created_at, id) alone — for an
/// asset subtree that comes straight from the `work_orders_asset` index, so only those small
/// tuples are sorted — and then the page's rows are read by id.
pub async fn list(db: &Db, f: &WorkOrderFilter) -> StoreResult<Vec<WorkOrder>> {
    let col = |c: WorkOrders| Expr::col((WorkOrders::Table, c));
    let mut ids = Query::select();
    ids.column((WorkOrders::Table, WorkOrders::Id))
        .from(WorkOrders::Table);
    if let Some(s) = &f.sites {
        ids.and_where(col(WorkOrders::SiteId).is_in(s.iter().copied()));
    }
    if let Some(s) = f.site_id {
        ids.and_where(col(WorkOrders::SiteId).eq(s));
    }
    if !f.statuses.is_empty() {
        ids.and_where(col(WorkOrders::Status).is_in(f.statuses.iter().cloned()));
    }
    if !f.kinds.is_empty() {
        ids.and_where(col(WorkOrders::Type).is_in(f.kinds.iter().cloned()));
    }
    if !f.priorities.is_empty() {
        ids.and_where(col(WorkOrders::Priority).is_in(f.priorities.iter().cloned()));
    }
    if let Some(a) = f.asset_id {
        ids.and_where(col(WorkOrders::AssetId).eq(a));
    }
    if let Some(p) = &f.subtree_path {
        ids.and_where(
            col(WorkOrders::AssetId).in_subquery(
                Query::select()
                    .column(Assets::Id)
                    .from(Assets::Table)
                    .cond_where(subtree_cond(Expr::col((Assets::Table, Assets::Path)), p))
                    .to_owned(),
            ),
        );
    }
    if let Some(u) = f.assignee_id {
        ids.and_where(col(WorkOrders::AssigneeId).eq(u));
    }
    if let Some(t) = f.created_from {
        ids.and_where(col(WorkOrders::CreatedAt).gte(t));
    }
    if let Some(t) = f.created_to {
        ids.and_where(col(WorkOrders::CreatedAt).lt(t));
    }
    if let Some(t) = f.due_before {
        ids.and_where(col(WorkOrders::DueAt).lt(t));
    }
    if let Some(text) = &f.q
        && let Some(cond) = crate::dialect::text_search(db.backend(), text)
    {
        ids.and_where(cond);
    }
    if let Some((t, id)) = f.before {
        ids.cond_where(
            Cond::any().add(col(WorkOrders::CreatedAt).lt(t)).add(
                Cond::all()
                    .add(col(WorkOrders::CreatedAt).eq(t))
                    .add(col(WorkOrders::Id).lt(id)),
            ),
        );
    }
    ids.order_by((WorkOrders::Table, WorkOrders::CreatedAt), Order::Desc)
        .order_by((WorkOrders::Table, WorkOrders::Id), Order::Desc)
        .limit(f.limit);
    let mut q = select();
    q.and_where(col(WorkOrders::Id).in_subquery(ids))
        .order_by((WorkOrders::Table, WorkOrders::CreatedAt), Order::Desc)
        .order_by((WorkOrders::Table, WorkOrders::Id), Order::Desc);
    db.fetch_all(&q).await
}

// ---- status history -------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StatusChange {
    pub id: Uuid,
    pub work_order_id: Uuid,
    pub from_status: Option<String>,
    pub to_status: String,
    pub reason: Option<String>,
    pub changed_by: Option<Uuid>,
    pub changed_at: DateTime<Utc>,
}

const SC_COLS: [WorkOrderStatusChanges; 7] = [
    WorkOrderStatusChanges::Id,
    WorkOrderStatusChanges::WorkOrderId,
    WorkOrderStatusChanges::FromStatus,
    WorkOrderStatusChanges::ToStatus,
    WorkOrderStatusChanges::Reason,
    WorkOrderStatusChanges::ChangedBy,
    WorkOrderStatusChanges::ChangedAt,
];

/// Appends to the status history (the audit record is written by the work-order update that
/// goes with it).
pub async fn insert_status_change(tx: &mut Tx, c: &StatusChange) -> StoreResult<()> {
    tx.execute(
        Query::insert()
            .into_table(WorkOrderStatusChanges::Table)
            .columns(SC_COLS)
            .values_panic([
                c.id.into(),
                c.work_order_id.into(),
                c.from_status.clone().into(),
                c.to_status.clone().into(),
                c.reason.clone().into(),
                c.changed_by.into(),
                c.changed_at.into(),
            ]),
    )
    .await?;
    Ok(())
}

pub async fn status_changes(db: &Db, wo: Uuid) -> StoreResult<Vec<StatusChange>> {
    db.fetch_all(
        Query::select()
            .columns(SC_COLS)
            .from(WorkOrderStatusChanges::Table)
            .and_where(Expr::col(WorkOrderStatusChanges::WorkOrderId).eq(wo))
            .order_by(WorkOrderStatusChanges::ChangedAt, Order::Asc)
            .order_by(WorkOrderStatusChanges::Id, Order::Asc),
    )
    .await
}

// ---- labour ---------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Labor {
    pub id: Uuid,
    pub work_order_id: Uuid,
    pub user_id: Option<Uuid>,
    pub craft: Option<String>,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub minutes: i64,
    pub notes: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

const LABOR_COLS: [LaborEntries; 10] = [
    LaborEntries::Id,
    LaborEntries::WorkOrderId,
    LaborEntries::UserId,
    LaborEntries::Craft,
    LaborEntries::StartedAt,
    LaborEntries::EndedAt,
    LaborEntries::Minutes,
    LaborEntries::Notes,
    LaborEntries::CreatedBy,
    LaborEntries::CreatedAt,
];

pub async fn insert_labor(tx: &mut Tx, l: &Labor) -> StoreResult<()> {
    tx.execute(
        Query::insert()
            .into_table(LaborEntries::Table)
            .columns(LABOR_COLS)
            .values_panic([
                l.id.into(),
                l.work_order_id.into(),
                l.user_id.into(),
                l.craft.clone().into(),
                l.started_at.into(),
                l.ended_at.into(),
                l.minutes.into(),
                l.notes.clone().into(),
                l.created_by.into(),
                l.created_at.into(),
            ]),
    )
    .await?;
    tx.audit(PendingAudit::new("create", "labor", l.id).new_value(l));
    Ok(())
}

pub async fn labor(db: &Db, wo: Uuid) -> StoreResult<Vec<Labor>> {
    db.fetch_all(
        Query::select()
            .columns(LABOR_COLS)
            .from(LaborEntries::Table)
            .and_where(Expr::col(LaborEntries::WorkOrderId).eq(wo))
            .order_by(LaborEntries::StartedAt, Order::Asc),
    )
    .await
}

// ---- comments -------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Comment {
    pub id: Uuid,
    pub work_order_id: Uuid,
    pub author_id: Option<Uuid>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_comment(tx: &mut Tx, c: &Comment) -> StoreResult<()> {
    tx.execute(
        Query::insert()
            .into_table(WorkOrderComments::Table)
            .columns([
                WorkOrderComments::Id,
                WorkOrderComments::WorkOrderId,
                WorkOrderComments::AuthorId,
                WorkOrderComments::Body,
                WorkOrderComments::CreatedAt,
            ])
            .values_panic([
                c.id.into(),
                c.work_order_id.into(),
                c.author_id.into(),
                c.body.clone().into(),
                c.created_at.into(),
            ]),
    )
    .await?;
    tx.audit(PendingAudit::new("create", "comment", c.id).new_value(c));
    Ok(())
}

pub async fn comments(db: &Db, wo: Uuid) -> StoreResult<Vec<Comment>> {
    db.fetch_all(
        Query::select()
            .columns([
                WorkOrderComments::Id,
                WorkOrderComments::WorkOrderId,
                WorkOrderComments::AuthorId,
                WorkOrderComments::Body,
                WorkOrderComments::CreatedAt,
            ])
            .from(WorkOrderComments::Table)
            .and_where(Expr::col(WorkOrderComments::WorkOrderId).eq(wo))
            .order_by(WorkOrderComments::CreatedAt, Order::Asc),
    )
    .await
}

/// Attachment references as stored (JSON array of strings).
pub type Attachments = sqlx::types::Json<Vec<String>>;

pub fn attachments(v: Vec<String>) -> Attachments {
    sqlx::types::Json(v)
}

/// Inserts many work orders in multi-row statements, each with its audit record (imports and
/// benchmark seeding). Status history rows are not written: imported work arrives in its final
/// state.
pub async fn insert_many(tx: &mut Tx, rows: &[WorkOrder]) -> StoreResult<()> {
    for chunk in rows.chunks(500) {
        let mut q = Query::insert();
        q.into_table(WorkOrders::Table).columns(COLS);
        for w in chunk {
            q.values_panic(values(w).map(sea_query::Expr::from));
        }
        tx.execute(&q).await?;
        for w in chunk {
            tx.audit(PendingAudit::new("import", "work_order", w.id).new_value(w));
        }
    }
    Ok(())
}

/// A failure on record: a work order (not cancelled) with a failure report.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FailureRow {
    pub asset_id: Uuid,
    /// Start of the unplanned downtime linked to the work order, else its creation.
    pub at: DateTime<Utc>,
    pub failure_impact: Option<String>,
    pub failure_mode: Option<String>,
}

pub async fn failure_events(
    db: &Db,
    assets: &[Uuid],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<FailureRow>> {
    let mut out = Vec::new();
    for chunk in assets.chunks(500) {
        let at = Expr::cust(
            "COALESCE((SELECT MIN(d.started_at) FROM downtime_events d WHERE d.work_order_id = work_orders.id AND NOT d.planned), work_orders.created_at)",
        );
        let rows: Vec<FailureRow> = db
            .fetch_all(
                Query::select()
                    .column((WorkOrders::Table, WorkOrders::AssetId))
                    .expr_as(at, "at")
                    .column((WorkOrders::Table, WorkOrders::FailureImpact))
                    .column((WorkOrders::Table, WorkOrders::FailureMode))
                    .from(WorkOrders::Table)
                    .and_where(
                        Expr::col((WorkOrders::Table, WorkOrders::AssetId))
                            .is_in(chunk.iter().copied()),
                    )
                    .and_where(Expr::col((WorkOrders::Table, WorkOrders::Status)).ne("cancelled"))
                    .cond_where(
                        Cond::any()
                            .add(
                                Expr::col((WorkOrders::Table, WorkOrders::FailureMode))
                                    .is_not_null(),
                            )
                            .add(
                                Expr::col((WorkOrders::Table, WorkOrders::FailureImpact))
                                    .is_not_null(),
                            ),
                    )
                    // created within a margin of the window; the exact window is applied by the KPI rules
                    .and_where(Expr::col((WorkOrders::Table, WorkOrders::CreatedAt)).lt(to))
                    .and_where(
                        Expr::col((WorkOrders::Table, WorkOrders::CreatedAt))
                            .gte(from - chrono::Duration::days(60)),
                    ),
            )
            .await?;
        out.extend(rows);
    }
    Ok(out)
}
