//! Procedures, their revisions and steps, and the results recorded against steps on work
//! orders.

use crate::audit::PendingAudit;
use crate::db::Tx;
use crate::error::StoreResult;
use crate::schema::{ProcedureRevisions, ProcedureSteps, Procedures, StepResults};
use crate::{Db, StoreError};
use chrono::{DateTime, Utc};
use overhaul_core::procedure::StepParams;
use sea_query::{Cond, Expr, ExprTrait, LockType, Order, Query, SelectStatement};
use serde::Serialize;
/// JSON columns (re-exported so the app builds rows without depending on sqlx).
pub use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Procedure {
    pub id: Uuid,
    pub site_id: Uuid,
    /// Unique per site, e.g. `PM-PUMP-01`.
    pub code: String,
    pub title: String,
    pub description: String,
    pub version: i64,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Revision {
    pub id: Uuid,
    pub procedure_id: Uuid,
    /// 1, 2, 3, … per procedure.
    pub number: i64,
    /// `draft`, `published`, `superseded` or `retired`.
    pub state: String,
    /// What changed in this revision.
    pub notes: Option<String>,
    /// Safety and lockout-tagout notes for the whole job.
    pub safety_notes: Option<String>,
    #[schema(value_type = Vec<String>)]
    pub qualifications: Json<Vec<String>>,
    pub estimated_minutes: Option<i64>,
    #[schema(value_type = Vec<String>)]
    pub crafts: Json<Vec<String>>,
    pub version: i64,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub published_by: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StepRow {
    pub id: Uuid,
    pub revision_id: Uuid,
    /// 1-based order within the revision.
    pub position: i64,
    /// `check`, `pass_fail`, `measurement`, `meter_reading`, `text`, `photo` or `signature`.
    pub kind: String,
    pub title: String,
    pub instructions: String,
    pub required: bool,
    pub safety_note: Option<String>,
    pub raise_follow_up_on_fail: bool,
    /// Kind-specific: `unit`, `lower`, `upper` (measurement), `meter_code` (meter_reading).
    #[schema(value_type = StepParams)]
    pub params: Json<StepParams>,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StepResult {
    pub id: Uuid,
    pub work_order_id: Uuid,
    pub step_id: Uuid,
    pub kind: String,
    /// The answer as given (`{"kind": "measurement", "value": 4.8, "unit": "mm/s"}`).
    #[schema(value_type = Object)]
    pub answer: Json<serde_json::Value>,
    /// `passed`, `failed` or `recorded`.
    pub outcome: String,
    pub reason: Option<String>,
    pub note: Option<String>,
    /// The meter reading a meter_reading step recorded.
    pub reading_id: Option<Uuid>,
    /// The work request a failed step raised.
    pub follow_up_request_id: Option<Uuid>,
    pub recorded_by: Option<Uuid>,
    pub recorded_at: DateTime<Utc>,
}

const PROC_COLS: [Procedures; 9] = [
    Procedures::Id,
    Procedures::SiteId,
    Procedures::Code,
    Procedures::Title,
    Procedures::Description,
    Procedures::Version,
    Procedures::CreatedBy,
    Procedures::CreatedAt,
    Procedures::UpdatedAt,
];

const REV_COLS: [ProcedureRevisions; 15] = [
    ProcedureRevisions::Id,
    ProcedureRevisions::ProcedureId,
    ProcedureRevisions::Number,
    ProcedureRevisions::State,
    ProcedureRevisions::Notes,
    ProcedureRevisions::SafetyNotes,
    ProcedureRevisions::Qualifications,
    ProcedureRevisions::EstimatedMinutes,
    ProcedureRevisions::Crafts,
    ProcedureRevisions::Version,
    ProcedureRevisions::CreatedBy,
    ProcedureRevisions::CreatedAt,
    ProcedureRevisions::UpdatedAt,
    ProcedureRevisions::PublishedAt,
    ProcedureRevisions::PublishedBy,
];

const STEP_COLS: [ProcedureSteps; 10] = [
    ProcedureSteps::Id,
    ProcedureSteps::RevisionId,
    ProcedureSteps::Position,
    ProcedureSteps::Kind,
    ProcedureSteps::Title,
    ProcedureSteps::Instructions,
    ProcedureSteps::Required,
    ProcedureSteps::SafetyNote,
    ProcedureSteps::RaiseFollowUpOnFail,
    ProcedureSteps::Params,
];

const RESULT_COLS: [StepResults; 12] = [
    StepResults::Id,
    StepResults::WorkOrderId,
    StepResults::StepId,
    StepResults::Kind,
    StepResults::Answer,
    StepResults::Outcome,
    StepResults::Reason,
    StepResults::Note,
    StepResults::ReadingId,
    StepResults::FollowUpRequestId,
    StepResults::RecordedBy,
    StepResults::RecordedAt,
];

fn json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

/// A revision with its steps, as the audit trail keeps it.
fn revision_audit(r: &Revision, steps: &[StepRow]) -> serde_json::Value {
    let mut v = json(r);
    if let Some(o) = v.as_object_mut() {
        o.insert("steps".into(), json(&steps));
    }
    v
}

// ---- procedures -----------------------------------------------------------------------------

pub async fn insert_procedure(tx: &mut Tx, p: &Procedure) -> StoreResult<()> {
    tx.execute(
        Query::insert()
            .into_table(Procedures::Table)
            .columns(PROC_COLS)
            .values_panic([
                p.id.into(),
                p.site_id.into(),
                p.code.clone().into(),
                p.title.clone().into(),
                p.description.clone().into(),
                p.version.into(),
                p.created_by.into(),
                p.created_at.into(),
                p.updated_at.into(),
            ]),
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => StoreError::Conflict("procedures site_id code".into()),
        e => e,
    })?;
    tx.audit(PendingAudit::new("create", "procedure", p.id).new_value(p));
    Ok(())
}

fn select_procedure() -> SelectStatement {
    Query::select()
        .columns(PROC_COLS)
        .from(Procedures::Table)
        .to_owned()
}

pub async fn get_procedure(db: &Db, id: Uuid) -> StoreResult<Procedure> {
    db.fetch_one(select_procedure().and_where(Expr::col(Procedures::Id).eq(id)))
        .await
}

/// Reads a procedure inside a transaction that changes its revisions (PostgreSQL: locked, so
/// two publications of one procedure happen one after the other).
pub async fn lock_procedure(tx: &mut Tx, id: Uuid) -> StoreResult<Procedure> {
    tx.fetch_one(
        select_procedure()
            .and_where(Expr::col(Procedures::Id).eq(id))
            .lock(LockType::Update),
    )
    .await
}

#[derive(Debug, Default, Clone)]
pub struct ProcedureFilter {
    pub sites: Option<Vec<Uuid>>,
    pub site_id: Option<Uuid>,
    /// Keyset cursor: (code, id) of the last row of the previous page.
    pub after: Option<(String, Uuid)>,
    pub limit: u64,
}

/// Procedures ordered by code (then id).
pub async fn list_procedures(db: &Db, f: &ProcedureFilter) -> StoreResult<Vec<Procedure>> {
    let mut q = select_procedure();
    q.order_by(Procedures::Code, Order::Asc)
        .order_by(Procedures::Id, Order::Asc)
        .limit(f.limit);
    if let Some(s) = &f.sites {
        q.and_where(Expr::col(Procedures::SiteId).is_in(s.iter().copied()));
    }
    if let Some(s) = f.site_id {
        q.and_where(Expr::col(Procedures::SiteId).eq(s));
    }
    if let Some((code, id)) = &f.after {
        q.cond_where(
            Cond::any()
                .add(Expr::col(Procedures::Code).gt(code.as_str()))
                .add(
                    Cond::all()
                        .add(Expr::col(Procedures::Code).eq(code.as_str()))
                        .add(Expr::col(Procedures::Id).gt(*id)),
                ),
        );
    }
    db.fetch_all(&q).await
}

// ---- revisions ------------------------------------------------------------------------------

fn select_revision() -> SelectStatement {
    Query::select()
        .columns(REV_COLS)
        .from(ProcedureRevisions::Table)
        .to_owned()
}

fn step_values(s: &StepRow) -> [sea_query::Expr; 10] {
    [
        s.id.into(),
        s.revision_id.into(),
        s.position.into(),
        s.kind.clone().into(),
        s.title.clone().into(),
        s.instructions.clone().into(),
        s.required.into(),
        s.safety_note.clone().into(),
        s.raise_follow_up_on_fail.into(),
        json(&s.params.0).into(),
    ]
}

async fn insert_steps(tx: &mut Tx, steps: &[StepRow]) -> StoreResult<()> {
    for chunk in steps.chunks(100) {
        let mut q = Query::insert();
        q.into_table(ProcedureSteps::Table).columns(STEP_COLS);
        for s in chunk {
            q.values_panic(step_values(s));
        }
        tx.execute(&q).await?;
    }
    Ok(())
}

/// Stores a new revision with its steps (one audit record holding both).
pub async fn insert_revision(tx: &mut Tx, r: &Revision, steps: &[StepRow]) -> StoreResult<()> {
    tx.execute(
        Query::insert()
            .into_table(ProcedureRevisions::Table)
            .columns(REV_COLS)
            .values_panic([
                r.id.into(),
                r.procedure_id.into(),
                r.number.into(),
                r.state.clone().into(),
                r.notes.clone().into(),
                r.safety_notes.clone().into(),
                json(&r.qualifications.0).into(),
                r.estimated_minutes.into(),
                json(&r.crafts.0).into(),
                r.version.into(),
                r.created_by.into(),
                r.created_at.into(),
                r.updated_at.into(),
                r.published_at.into(),
                r.published_by.into(),
            ]),
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => StoreError::Conflict("procedure_revisions number".into()),
        e => e,
    })?;
    insert_steps(tx, steps).await?;
    tx.audit(
        PendingAudit::new("create", "procedure_revision", r.id)
            .new_value(&revision_audit(r, steps)),
    );
    Ok(())
}

/// Replaces the content (revision-level fields and the whole step list) of a draft read at
/// `old.version`. `Stale` when it changed in between.
pub async fn replace_content(
    tx: &mut Tx,
    old: &Revision,
    old_steps: &[StepRow],
    new: &Revision,
    steps: &[StepRow],
) -> StoreResult<()> {
    let n = tx
        .execute(
            Query::update()
                .table(ProcedureRevisions::Table)
                .value(ProcedureRevisions::Notes, new.notes.clone())
                .value(ProcedureRevisions::SafetyNotes, new.safety_notes.clone())
                .value(
                    ProcedureRevisions::Qualifications,
                    json(&new.qualifications.0),
                )
                .value(ProcedureRevisions::EstimatedMinutes, new.estimated_minutes)
                .value(ProcedureRevisions::Crafts, json(&new.crafts.0))
                .value(ProcedureRevisions::Version, new.version)
                .value(ProcedureRevisions::UpdatedAt, new.updated_at)
                .and_where(Expr::col(ProcedureRevisions::Id).eq(old.id))
                .and_where(Expr::col(ProcedureRevisions::Version).eq(old.version))
                // a published revision is never rewritten, whatever the caller decided
                .and_where(Expr::col(ProcedureRevisions::State).eq("draft")),
        )
        .await?;
    if n == 0 {
        return Err(StoreError::Stale);
    }
    tx.execute(
        Query::delete()
            .from_table(ProcedureSteps::Table)
            .and_where(Expr::col(ProcedureSteps::RevisionId).eq(old.id)),
    )
    .await?;
    insert_steps(tx, steps).await?;
    tx.audit(
        PendingAudit::new("update", "procedure_revision", old.id)
            .old(&revision_audit(old, old_steps))
            .new_value(&revision_audit(new, steps)),
    );
    Ok(())
}

/// Moves a revision (read at `old.version`) to `new.state`, with its publication stamp.
pub async fn set_state(
    tx: &mut Tx,
    old: &Revision,
    new: &Revision,
    action: &str,
) -> StoreResult<()> {
    let n = tx
        .execute(
            Query::update()
                .table(ProcedureRevisions::Table)
                .value(ProcedureRevisions::State, new.state.clone())
                .value(ProcedureRevisions::PublishedAt, new.published_at)
                .value(ProcedureRevisions::PublishedBy, new.published_by)
                .value(ProcedureRevisions::Version, new.version)
                .value(ProcedureRevisions::UpdatedAt, new.updated_at)
                .and_where(Expr::col(ProcedureRevisions::Id).eq(old.id))
                .and_where(Expr::col(ProcedureRevisions::Version).eq(old.version)),
        )
        .await?;
    if n == 0 {
        return Err(StoreError::Stale);
    }
    tx.audit(
        PendingAudit::new(action, "procedure_revision", old.id)
            .old(old)
            .new_value(new),
    );
    Ok(())
}

pub async fn get_revision(db: &Db, id: Uuid) -> StoreResult<Revision> {
    db.fetch_one(select_revision().and_where(Expr::col(ProcedureRevisions::Id).eq(id)))
        .await
}

/// Every revision of a procedure, oldest first (read inside a transaction).
pub async fn revisions_tx(tx: &mut Tx, procedure: Uuid) -> StoreResult<Vec<Revision>> {
    tx.fetch_all(
        select_revision()
            .and_where(Expr::col(ProcedureRevisions::ProcedureId).eq(procedure))
            .order_by(ProcedureRevisions::Number, Order::Asc),
    )
    .await
}

/// Every revision of a procedure, oldest first.
pub async fn revisions(db: &Db, procedure: Uuid) -> StoreResult<Vec<Revision>> {
    db.fetch_all(
        select_revision()
            .and_where(Expr::col(ProcedureRevisions::ProcedureId).eq(procedure))
            .order_by(ProcedureRevisions::Number, Order::Asc),
    )
    .await
}

// ---- steps ----------------------------------------------------------------------------------

fn select_steps(revision: Uuid) -> SelectStatement {
    Query::select()
        .columns(STEP_COLS)
        .from(ProcedureSteps::Table)
        .and_where(Expr::col(ProcedureSteps::RevisionId).eq(revision))
        .order_by(ProcedureSteps::Position, Order::Asc)
        .to_owned()
}

/// The steps of a revision in order.
pub async fn steps(db: &Db, revision: Uuid) -> StoreResult<Vec<StepRow>> {
    db.fetch_all(&select_steps(revision)).await
}

pub async fn steps_tx(tx: &mut Tx, revision: Uuid) -> StoreResult<Vec<StepRow>> {
    tx.fetch_all(&select_steps(revision)).await
}

pub async fn get_step(db: &Db, id: Uuid) -> StoreResult<StepRow> {
    db.fetch_one(
        Query::select()
            .columns(STEP_COLS)
            .from(ProcedureSteps::Table)
            .and_where(Expr::col(ProcedureSteps::Id).eq(id)),
    )
    .await
}

// ---- results --------------------------------------------------------------------------------

/// Stores a step result. A second result for the same step of the same work order is a
/// `Conflict` (the unique key), so a failed step raises its follow-up once.
pub async fn insert_result(tx: &mut Tx, r: &StepResult) -> StoreResult<()> {
    tx.execute(
        Query::insert()
            .into_table(StepResults::Table)
            .columns(RESULT_COLS)
            .values_panic([
                r.id.into(),
                r.work_order_id.into(),
                r.step_id.into(),
                r.kind.clone().into(),
                r.answer.0.clone().into(),
                r.outcome.clone().into(),
                r.reason.clone().into(),
                r.note.clone().into(),
                r.reading_id.into(),
                r.follow_up_request_id.into(),
                r.recorded_by.into(),
                r.recorded_at.into(),
            ]),
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => {
            StoreError::Conflict("step_results work_order_id step_id".into())
        }
        e => e,
    })?;
    tx.audit(PendingAudit::new("create", "step_result", r.id).new_value(r));
    Ok(())
}

fn select_results(work_order: Uuid) -> SelectStatement {
    Query::select()
        .columns(RESULT_COLS)
        .from(StepResults::Table)
        .and_where(Expr::col(StepResults::WorkOrderId).eq(work_order))
        .order_by(StepResults::RecordedAt, Order::Asc)
        .order_by(StepResults::Id, Order::Asc)
        .to_owned()
}

/// Results recorded on a work order, oldest first.
pub async fn results(db: &Db, work_order: Uuid) -> StoreResult<Vec<StepResult>> {
    db.fetch_all(&select_results(work_order)).await
}

pub async fn results_tx(tx: &mut Tx, work_order: Uuid) -> StoreResult<Vec<StepResult>> {
    tx.fetch_all(&select_results(work_order)).await
}
