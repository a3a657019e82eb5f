//! Alarms (one per rule) and their history of transitions.

use crate::audit::PendingAudit;
use crate::db::Tx;
use crate::error::StoreResult;
use crate::schema::{AlarmEvents, Alarms, Assets, Signals};
use crate::{Db, StoreError};
use chrono::{DateTime, Utc};
use sea_query::{Expr, ExprTrait, Order, Query};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AlarmRow {
    pub id: Uuid,
    pub signal_id: Uuid,
    pub rule_id: Uuid,
    /// `normal`, `active_unacknowledged`, `active_acknowledged` or `returned_unacknowledged`.
    pub state: String,
    pub priority: String,
    pub activated_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<Uuid>,
    pub shelved_until: Option<DateTime<Utc>>,
    pub shelve_reason: Option<String>,
    /// The last activation came while the asset was down for planned maintenance.
    pub suppressed: bool,
    pub chattering: bool,
    /// Activation reading times (epoch ms) inside the chatter window (JSON array).
    #[serde(skip)]
    pub recent_activations: String,
    pub activation_count: i64,
    /// The work request this alarm raised; occurrences are added to it while it is open.
    pub work_request_id: Option<Uuid>,
    /// Reading time (epoch ms) of the first activation of the current episode of work.
    pub first_reading_ms: Option<i64>,
    /// Reading time (epoch ms) and value of the last transition.
    pub last_reading_ms: Option<i64>,
    pub last_value: Option<f64>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The work order this alarm raised from its rule's template; occurrences are added to it
    /// while it is open.
    pub work_order_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AlarmEvent {
    pub id: Uuid,
    pub alarm_id: Uuid,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub from_state: String,
    pub to_state: String,
    /// The reading behind the event (epoch ms) and its value.
    pub reading_ms: Option<i64>,
    pub value: Option<f64>,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    pub note: Option<String>,
}

/// An alarm with where it sits (for lists and access checks).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AlarmListItem {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub alarm: AlarmRow,
    pub asset_id: Uuid,
    pub site_id: Uuid,
    pub signal_name: String,
}

const COLS: [Alarms; 22] = [
    Alarms::Id,
    Alarms::SignalId,
    Alarms::RuleId,
    Alarms::State,
    Alarms::Priority,
    Alarms::ActivatedAt,
    Alarms::AcknowledgedAt,
    Alarms::AcknowledgedBy,
    Alarms::ShelvedUntil,
    Alarms::ShelveReason,
    Alarms::Suppressed,
    Alarms::Chattering,
    Alarms::RecentActivations,
    Alarms::ActivationCount,
    Alarms::WorkRequestId,
    Alarms::FirstReadingMs,
    Alarms::LastReadingMs,
    Alarms::LastValue,
    Alarms::Version,
    Alarms::CreatedAt,
    Alarms::UpdatedAt,
    Alarms::WorkOrderId,
];

fn cols() -> [Alarms; 22] {
    COLS
}

fn audit_value(a: &AlarmRow) -> serde_json::Value {
    let mut v = serde_json::to_value(a).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "recent_activations".into(),
            serde_json::from_str(&a.recent_activations).unwrap_or(serde_json::Value::Null),
        );
    }
    v
}

pub async fn insert(tx: &mut Tx, a: &AlarmRow) -> StoreResult<()> {
    tx.execute(
        Query::insert()
            .into_table(Alarms::Table)
            .columns(cols())
            .values_panic([
                a.id.into(),
                a.signal_id.into(),
                a.rule_id.into(),
                a.state.clone().into(),
                a.priority.clone().into(),
                a.activated_at.into(),
                a.acknowledged_at.into(),
                a.acknowledged_by.into(),
                a.shelved_until.into(),
                a.shelve_reason.clone().into(),
                a.suppressed.into(),
                a.chattering.into(),
                a.recent_activations.clone().into(),
                a.activation_count.into(),
                a.work_request_id.into(),
                a.first_reading_ms.into(),
                a.last_reading_ms.into(),
                a.last_value.into(),
                a.version.into(),
                a.created_at.into(),
                a.updated_at.into(),
                a.work_order_id.into(),
            ]),
    )
    .await?;
    let mut p = PendingAudit::new("create", "alarm", a.id);
    p.new = Some(audit_value(a));
    tx.audit(p);
    Ok(())
}

/// Writes an alarm read at `old.version`, with its history events, audited as `action`.
pub async fn update(
    tx: &mut Tx,
    old: &AlarmRow,
    new: &AlarmRow,
    action: &str,
    events: &[AlarmEvent],
    reason: Option<&str>,
) -> StoreResult<()> {
    let n = tx
        .execute(
            Query::update()
                .table(Alarms::Table)
                .value(Alarms::State, new.state.clone())
                .value(Alarms::Priority, new.priority.clone())
                .value(Alarms::ActivatedAt, new.activated_at)
                .value(Alarms::AcknowledgedAt, new.acknowledged_at)
                .value(Alarms::AcknowledgedBy, new.acknowledged_by)
                .value(Alarms::ShelvedUntil, new.shelved_until)
                .value(Alarms::ShelveReason, new.shelve_reason.clone())
                .value(Alarms::Suppressed, new.suppressed)
                .value(Alarms::Chattering, new.chattering)
                .value(Alarms::RecentActivations, new.recent_activations.clone())
                .value(Alarms::ActivationCount, new.activation_count)
                .value(Alarms::WorkRequestId, new.work_request_id)
                .value(Alarms::WorkOrderId, new.work_order_id)
                .value(Alarms::FirstReadingMs, new.first_reading_ms)
                .value(Alarms::LastReadingMs, new.last_reading_ms)
                .value(Alarms::LastValue, new.last_value)
                .value(Alarms::Version, new.version)
                .value(Alarms::UpdatedAt, new.updated_at)
                .and_where(Expr::col(Alarms::Id).eq(old.id))
                .and_where(Expr::col(Alarms::Version).eq(old.version)),
        )
        .await?;
    if n == 0 {
        return Err(StoreError::Stale);
    }
    for e in events {
        tx.execute(
            Query::insert()
                .into_table(AlarmEvents::Table)
                .columns([
                    AlarmEvents::Id,
                    AlarmEvents::AlarmId,
                    AlarmEvents::At,
                    AlarmEvents::Kind,
                    AlarmEvents::FromState,
                    AlarmEvents::ToState,
                    AlarmEvents::ReadingMs,
                    AlarmEvents::Value,
                    AlarmEvents::ActorId,
                    AlarmEvents::ActorName,
                    AlarmEvents::Note,
                ])
                .values_panic([
                    e.id.into(),
                    e.alarm_id.into(),
                    e.at.into(),
                    e.kind.clone().into(),
                    e.from_state.clone().into(),
                    e.to_state.clone().into(),
                    e.reading_ms.into(),
                    e.value.into(),
                    e.actor_id.into(),
                    e.actor_name.clone().into(),
                    e.note.clone().into(),
                ]),
        )
        .await?;
    }
    let mut p = PendingAudit::new(action, "alarm", old.id).reason(reason);
    p.old = Some(audit_value(old));
    p.new = Some(audit_value(new));
    tx.audit(p);
    Ok(())
}

pub async fn get(db: &Db, id: Uuid) -> StoreResult<AlarmRow> {
    db.fetch_one(
        Query::select()
            .columns(cols())
            .from(Alarms::Table)
            .and_where(Expr::col(Alarms::Id).eq(id)),
    )
    .await
}

/// The alarm of a rule, read inside the transaction that will change it (locked on
/// PostgreSQL, so two instances handle one alarm one after the other).
pub async fn for_rule_for_update(tx: &mut Tx, rule: Uuid) -> StoreResult<AlarmRow> {
    tx.fetch_one(
        Query::select()
            .columns(cols())
            .from(Alarms::Table)
            .and_where(Expr::col(Alarms::RuleId).eq(rule))
            .lock(sea_query::LockType::Update),
    )
    .await
}

pub async fn get_for_update(tx: &mut Tx, id: Uuid) -> StoreResult<AlarmRow> {
    tx.fetch_one(
        Query::select()
            .columns(cols())
            .from(Alarms::Table)
            .and_where(Expr::col(Alarms::Id).eq(id))
            .lock(sea_query::LockType::Update),
    )
    .await
}

/// Alarms of the given signals.
pub async fn of_signals(db: &Db, signals: &[Uuid]) -> StoreResult<Vec<AlarmRow>> {
    if signals.is_empty() {
        return Ok(Vec::new());
    }
    db.fetch_all(
        Query::select()
            .columns(cols())
            .from(Alarms::Table)
            .and_where(Expr::col(Alarms::SignalId).is_in(signals.iter().copied())),
    )
    .await
}

#[derive(Debug, Default, Clone)]
pub struct AlarmFilter {
    pub sites: Option<Vec<Uuid>>,
    pub site_id: Option<Uuid>,
    pub asset_id: Option<Uuid>,
    pub signal_id: Option<Uuid>,
    /// Only alarms not in `normal` state.
    pub active_only: bool,
    pub limit: u64,
}

/// Most recently changed first.
pub async fn list(db: &Db, f: &AlarmFilter) -> StoreResult<Vec<AlarmListItem>> {
    let mut q = Query::select();
    q.columns(cols().map(|c| (Alarms::Table, c)))
        .column((Signals::Table, Signals::AssetId))
        .column((Assets::Table, Assets::SiteId))
        .expr_as(Expr::col((Signals::Table, Signals::Name)), "signal_name")
        .from(Alarms::Table)
        .inner_join(
            Signals::Table,
            Expr::col((Signals::Table, Signals::Id)).equals((Alarms::Table, Alarms::SignalId)),
        )
        .inner_join(
            Assets::Table,
            Expr::col((Assets::Table, Assets::Id)).equals((Signals::Table, Signals::AssetId)),
        )
        .order_by((Alarms::Table, Alarms::UpdatedAt), Order::Desc)
        .order_by((Alarms::Table, Alarms::Id), Order::Desc)
        .limit(f.limit);
    if let Some(s) = &f.sites {
        q.and_where(Expr::col((Assets::Table, Assets::SiteId)).is_in(s.iter().copied()));
    }
    if let Some(s) = f.site_id {
        q.and_where(Expr::col((Assets::Table, Assets::SiteId)).eq(s));
    }
    if let Some(a) = f.asset_id {
        q.and_where(Expr::col((Signals::Table, Signals::AssetId)).eq(a));
    }
    if let Some(s) = f.signal_id {
        q.and_where(Expr::col((Alarms::Table, Alarms::SignalId)).eq(s));
    }
    if f.active_only {
        q.and_where(Expr::col((Alarms::Table, Alarms::State)).ne("normal"));
    }
    db.fetch_all(&q).await
}

/// History of an alarm, oldest first.
pub async fn events(db: &Db, alarm: Uuid, limit: u64) -> StoreResult<Vec<AlarmEvent>> {
    db.fetch_all(
        Query::select()
            .columns([
                AlarmEvents::Id,
                AlarmEvents::AlarmId,
                AlarmEvents::At,
                AlarmEvents::Kind,
                AlarmEvents::FromState,
                AlarmEvents::ToState,
                AlarmEvents::ReadingMs,
                AlarmEvents::Value,
                AlarmEvents::ActorId,
                AlarmEvents::ActorName,
                AlarmEvents::Note,
            ])
            .from(AlarmEvents::Table)
            .and_where(Expr::col(AlarmEvents::AlarmId).eq(alarm))
            .order_by(AlarmEvents::At, Order::Asc)
            .order_by(AlarmEvents::Id, Order::Asc)
            .limit(limit),
    )
    .await
}
