//! PM plans, their occurrences (unique per plan and slot: the exactly-once guarantee) and site
//! holidays.

use crate::audit::PendingAudit;
use crate::db::Tx;
use crate::error::StoreResult;
use crate::schema::{PmOccurrences, PmPlans, SiteHolidays, WorkOrders};
use crate::{Db, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PmPlanRow {
    pub id: Uuid,
    pub site_id: Uuid,
    pub asset_id: Uuid,
    pub meter_id: Option<Uuid>,
    pub title: String,
    pub description: String,
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    pub priority: String,
    /// The schedule as JSON (a `PlanDraft`).
    #[serde(skip)]
    pub schedule: String,
    /// `active` or `paused` (set by people only; the system never disables a plan).
    pub status: String,
    /// The generation cursor as JSON.
    #[serde(skip)]
    pub cursor: Option<String>,
    pub last_completed_at: Option<DateTime<Utc>>,
    pub last_completion_reading: Option<f64>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The procedure revision generated work orders carry.
    pub procedure_revision_id: Option<Uuid>,
}

const PLAN_COLS: [PmPlans; 17] = [
    PmPlans::Id,
    PmPlans::SiteId,
    PmPlans::AssetId,
    PmPlans::MeterId,
    PmPlans::Title,
    PmPlans::Description,
    PmPlans::Type,
    PmPlans::Priority,
    PmPlans::Schedule,
    PmPlans::Status,
    PmPlans::Cursor,
    PmPlans::LastCompletedAt,
    PmPlans::LastCompletionReading,
    PmPlans::Version,
    PmPlans::CreatedAt,
    PmPlans::UpdatedAt,
    PmPlans::ProcedureRevisionId,
];

fn plan_audit(p: &PmPlanRow) -> serde_json::Value {
    let mut v = serde_json::to_value(p).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "schedule".into(),
            serde_json::from_str(&p.schedule).unwrap_or_default(),
        );
    }
    v
}

pub async fn insert_plan(tx: &mut Tx, p: &PmPlanRow) -> StoreResult<()> {
    tx.execute(
        Query::insert()
            .into_table(PmPlans::Table)
            .columns(PLAN_COLS)
            .values_panic([
                p.id.into(),
                p.site_id.into(),
                p.asset_id.into(),
                p.meter_id.into(),
                p.title.clone().into(),
                p.description.clone().into(),
                p.kind.clone().into(),
                p.priority.clone().into(),
                p.schedule.clone().into(),
                p.status.clone().into(),
                p.cursor.clone().into(),
                p.last_completed_at.into(),
                p.last_completion_reading.into(),
                p.version.into(),
                p.created_at.into(),
                p.updated_at.into(),
                p.procedure_revision_id.into(),
            ]),
    )
    .await?;
    tx.audit(PendingAudit::new("create", "pm_plan", p.id).new_value(&plan_audit(p)));
    Ok(())
}

/// Moves the generation cursor of a plan (bookkeeping of the generator, audited with it).
pub async fn set_cursor(tx: &mut Tx, plan: Uuid, cursor: &str) -> StoreResult<()> {
    tx.execute(
        Query::update()
            .table(PmPlans::Table)
            .value(PmPlans::Cursor, cursor)
            .and_where(Expr::col(PmPlans::Id).eq(plan)),
    )
    .await?;
    Ok(())
}

/// Records the completion the next floating / meter cycle starts from.
pub async fn set_completion(
    tx: &mut Tx,
    plan: Uuid,
    at: DateTime<Utc>,
    reading: Option<f64>,
) -> StoreResult<()> {
    tx.execute(
        Query::update()
            .table(PmPlans::Table)
            .value(PmPlans::LastCompletedAt, at)
            .value(PmPlans::LastCompletionReading, reading)
            .and_where(Expr::col(PmPlans::Id).eq(plan)),
    )
    .await?;
    tx.audit(PendingAudit::new("completion", "pm_plan", plan).new_value(
        &serde_json::json!({"last_completed_at": at, "last_completion_reading": reading}),
    ));
    Ok(())
}

pub async fn get_plan(db: &Db, id: Uuid) -> StoreResult<PmPlanRow> {
    db.fetch_one(
        Query::select()
            .columns(PLAN_COLS)
            .from(PmPlans::Table)
            .and_where(Expr::col(PmPlans::Id).eq(id)),
    )
    .await
}

/// Re-reads a plan inside the generating transaction (PostgreSQL: locked, so two runners
/// handle one plan one after the other).
pub async fn get_plan_for_update(tx: &mut Tx, id: Uuid) -> StoreResult<PmPlanRow> {
    tx.fetch_one(
        Query::select()
            .columns(PLAN_COLS)
            .from(PmPlans::Table)
            .and_where(Expr::col(PmPlans::Id).eq(id))
            .lock(sea_query::LockType::Update),
    )
    .await
}

#[derive(Debug, Default, Clone)]
pub struct PlanFilter {
    pub sites: Option<Vec<Uuid>>,
    pub site_id: Option<Uuid>,
    pub asset_id: Option<Uuid>,
    pub active_only: bool,
}

pub async fn list_plans(db: &Db, f: &PlanFilter) -> StoreResult<Vec<PmPlanRow>> {
    let mut q = Query::select();
    q.columns(PLAN_COLS)
        .from(PmPlans::Table)
        .order_by(PmPlans::CreatedAt, Order::Asc)
        .limit(100_000);
    if let Some(s) = &f.sites {
        q.and_where(Expr::col(PmPlans::SiteId).is_in(s.iter().copied()));
    }
    if let Some(s) = f.site_id {
        q.and_where(Expr::col(PmPlans::SiteId).eq(s));
    }
    if let Some(a) = f.asset_id {
        q.and_where(Expr::col(PmPlans::AssetId).eq(a));
    }
    if f.active_only {
        q.and_where(Expr::col(PmPlans::Status).eq("active"));
    }
    db.fetch_all(&q).await
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct OccurrenceRow {
    pub id: Uuid,
    pub plan_id: Uuid,
    /// The occurrence key within the plan (frozen due instant, counter value or cycle start).
    pub slot: String,
    /// `due` (work order created), `skipped` or `missed`.
    pub status: String,
    pub reason: Option<String>,
    pub nominal_at: DateTime<Utc>,
    /// Frozen at generation.
    pub due_at: DateTime<Utc>,
    pub create_at: DateTime<Utc>,
    pub work_order_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

const OCC_COLS: [PmOccurrences; 10] = [
    PmOccurrences::Id,
    PmOccurrences::PlanId,
    PmOccurrences::Slot,
    PmOccurrences::Status,
    PmOccurrences::Reason,
    PmOccurrences::NominalAt,
    PmOccurrences::DueAt,
    PmOccurrences::CreateAt,
    PmOccurrences::WorkOrderId,
    PmOccurrences::CreatedAt,
];

/// Inserts an occurrence unless one with the same (plan, slot) exists. Returns false when it
/// existed (another run or instance recorded it first): the caller then creates nothing.
pub async fn claim_occurrence(tx: &mut Tx, o: &OccurrenceRow) -> StoreResult<bool> {
    let n = tx
        .execute(
            Query::insert()
                .into_table(PmOccurrences::Table)
                .columns(OCC_COLS)
                .values_panic([
                    o.id.into(),
                    o.plan_id.into(),
                    o.slot.clone().into(),
                    o.status.clone().into(),
                    o.reason.clone().into(),
                    o.nominal_at.into(),
                    o.due_at.into(),
                    o.create_at.into(),
                    o.work_order_id.into(),
                    o.created_at.into(),
                ])
                .on_conflict(
                    OnConflict::columns([PmOccurrences::PlanId, PmOccurrences::Slot])
                        .do_nothing()
                        .to_owned(),
                ),
        )
        .await?;
    if n == 1 {
        tx.audit(PendingAudit::new("create", "pm_occurrence", o.id).new_value(o));
    }
    Ok(n == 1)
}

pub async fn link_work_order(
    tx: &mut Tx,
    occurrence: Uuid,
    plan: Uuid,
    work_order: Uuid,
) -> StoreResult<()> {
    tx.execute(
        Query::update()
            .table(PmOccurrences::Table)
            .value(PmOccurrences::WorkOrderId, work_order)
            .and_where(Expr::col(PmOccurrences::Id).eq(occurrence)),
    )
    .await?;
    tx.execute(
        Query::update()
            .table(WorkOrders::Table)
            .value(WorkOrders::PmPlanId, plan)
            .and_where(Expr::col(WorkOrders::Id).eq(work_order)),
    )
    .await?;
    Ok(())
}

pub async fn occurrences(db: &Db, plan: Uuid, limit: u64) -> StoreResult<Vec<OccurrenceRow>> {
    db.fetch_all(
        Query::select()
            .columns(OCC_COLS)
            .from(PmOccurrences::Table)
            .and_where(Expr::col(PmOccurrences::PlanId).eq(plan))
            .order_by(PmOccurrences::DueAt, Order::Desc)
            .limit(limit),
    )
    .await
}

/// The plan a work order was generated from, if any.
pub async fn plan_of_work_order(db: &Db, work_order: Uuid) -> StoreResult<Option<Uuid>> {
    #[derive(sqlx::FromRow)]
    struct P {
        pm_plan_id: Option<Uuid>,
    }
    let p: Option<P> = db
        .fetch_optional(
            Query::select()
                .column(WorkOrders::PmPlanId)
                .from(WorkOrders::Table)
                .and_where(Expr::col(WorkOrders::Id).eq(work_order)),
        )
        .await?;
    Ok(p.and_then(|p| p.pm_plan_id))
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Holiday {
    pub id: Uuid,
    pub site_id: Uuid,
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_holiday(tx: &mut Tx, h: &Holiday) -> StoreResult<()> {
    tx.execute(
        Query::insert()
            .into_table(SiteHolidays::Table)
            .columns([
                SiteHolidays::Id,
                SiteHolidays::SiteId,
                SiteHolidays::Day,
                SiteHolidays::Name,
                SiteHolidays::CreatedAt,
            ])
            .values_panic([
                h.id.into(),
                h.site_id.into(),
                h.day.into(),
                h.name.clone().into(),
                h.created_at.into(),
            ]),
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => StoreError::Conflict("site_holidays day".into()),
        e => e,
    })?;
    tx.audit(PendingAudit::new("create", "site_holiday", h.id).new_value(h));
    Ok(())
}

pub async fn holidays(db: &Db, site: Uuid) -> StoreResult<Vec<Holiday>> {
    db.fetch_all(
        Query::select()
            .columns([
                SiteHolidays::Id,
                SiteHolidays::SiteId,
                SiteHolidays::Day,
                SiteHolidays::Name,
                SiteHolidays::CreatedAt,
            ])
            .from(SiteHolidays::Table)
            .and_where(Expr::col(SiteHolidays::SiteId).eq(site))
            .order_by(SiteHolidays::Day, Order::Asc),
    )
    .await
}

/// Replaces a plan's schedule (read at `old.version`), e.g. to accept a recommended interval;
/// the audit record carries the reason and the analysis that justified it.
pub async fn update_schedule(
    tx: &mut Tx,
    old: &PmPlanRow,
    new: &PmPlanRow,
    action: &str,
    reason: &str,
    basis: &serde_json::Value,
) -> StoreResult<()> {
    let n = tx
        .execute(
            Query::update()
                .table(PmPlans::Table)
                .value(PmPlans::Schedule, new.schedule.clone())
                .value(PmPlans::Cursor, new.cursor.clone())
                .value(PmPlans::Version, new.version)
                .value(PmPlans::UpdatedAt, new.updated_at)
                .and_where(Expr::col(PmPlans::Id).eq(old.id))
                .and_where(Expr::col(PmPlans::Version).eq(old.version)),
        )
        .await?;
    if n == 0 {
        return Err(StoreError::Stale);
    }
    let mut after = plan_audit(new);
    if let Some(o) = after.as_object_mut() {
        o.insert("basis".into(), basis.clone());
    }
    tx.audit(
        PendingAudit::new(action, "pm_plan", old.id)
            .old(&plan_audit(old))
            .new_value(&after)
            .reason(Some(reason)),
    );
    Ok(())
}

/// Replaces what a planner edits on a plan (read at `old.version`): text, kind, priority,
/// meter, schedule, cursor, status and procedure revision. The asset never changes.
pub async fn update_plan(tx: &mut Tx, old: &PmPlanRow, new: &PmPlanRow) -> StoreResult<()> {
    let n = tx
        .execute(
            Query::update()
                .table(PmPlans::Table)
                .value(PmPlans::Title, new.title.clone())
                .value(PmPlans::Description, new.description.clone())
                .value(PmPlans::Type, new.kind.clone())
                .value(PmPlans::Priority, new.priority.clone())
                .value(PmPlans::MeterId, new.meter_id)
                .value(PmPlans::Schedule, new.schedule.clone())
                .value(PmPlans::Cursor, new.cursor.clone())
                .value(PmPlans::Status, new.status.clone())
                .value(PmPlans::ProcedureRevisionId, new.procedure_revision_id)
                .value(PmPlans::Version, new.version)
                .value(PmPlans::UpdatedAt, new.updated_at)
                .and_where(Expr::col(PmPlans::Id).eq(old.id))
                .and_where(Expr::col(PmPlans::Version).eq(old.version)),
        )
        .await?;
    if n == 0 {
        return Err(StoreError::Stale);
    }
    tx.audit(
        PendingAudit::new("update", "pm_plan", old.id)
            .old(&plan_audit(old))
            .new_value(&plan_audit(new)),
    );
    Ok(())
}
