//! Signals (machine values bound to an asset) and their rules.

use crate::audit::PendingAudit;
use crate::db::Tx;
use crate::error::StoreResult;
use crate::schema::{Assets, SignalRules, Signals};
use crate::{Db, StoreError};
use chrono::{DateTime, Utc};
use sea_query::{Expr, ExprTrait, Order, Query};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Signal {
    pub id: Uuid,
    pub asset_id: Uuid,
    /// The counter meter a run signal's hours are added to.
    pub meter_id: Option<Uuid>,
    pub name: String,
    /// `counter`, `gauge` or `run`.
    pub kind: String,
    pub unit: String,
    /// Engineering value = raw × scale + offset.
    pub scale: f64,
    #[serde(rename = "offset")]
    pub value_offset: f64,
    /// `mqtt_json`, `sparkplug`, `opc_ua` or `http`.
    pub source_kind: String,
    #[serde(skip)]
    pub source_key: Option<String>,
    /// The source binding as JSON.
    #[serde(skip)]
    pub source: String,
    /// Run signals: a silence longer than this (seconds) is not counted as run time.
    pub max_gap_s: i64,
    pub enabled: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SignalRule {
    pub id: Uuid,
    pub signal_id: Uuid,
    pub name: String,
    /// `threshold`, `rate_of_change` or `drift`.
    pub kind: String,
    /// The rule's parameters as JSON.
    #[serde(skip)]
    pub params: String,
    /// Priority of the work request an activation raises.
    pub priority: String,
    pub enabled: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The work-order template (JSON) an activation raises work from; `None`: a work request.
    #[serde(skip)]
    pub work_template: Option<String>,
}

/// A signal with the site of its asset (for access checks and filters).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SignalSite {
    #[sqlx(flatten)]
    pub signal: Signal,
    pub site_id: Uuid,
}

const COLS: [Signals; 16] = [
    Signals::Id,
    Signals::AssetId,
    Signals::MeterId,
    Signals::Name,
    Signals::Kind,
    Signals::Unit,
    Signals::Scale,
    Signals::ValueOffset,
    Signals::SourceKind,
    Signals::SourceKey,
    Signals::Source,
    Signals::MaxGapS,
    Signals::Enabled,
    Signals::Version,
    Signals::CreatedAt,
    Signals::UpdatedAt,
];

const RULE_COLS: [SignalRules; 11] = [
    SignalRules::Id,
    SignalRules::SignalId,
    SignalRules::Name,
    SignalRules::Kind,
    SignalRules::Params,
    SignalRules::Priority,
    SignalRules::Enabled,
    SignalRules::Version,
    SignalRules::CreatedAt,
    SignalRules::UpdatedAt,
    SignalRules::WorkTemplate,
];

/// The audit view of a signal: the row plus its binding as JSON.
fn audit_value(s: &Signal) -> serde_json::Value {
    let mut v = serde_json::to_value(s).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "source".into(),
            serde_json::from_str(&s.source).unwrap_or(serde_json::Value::Null),
        );
    }
    v
}

fn rule_audit_value(r: &SignalRule) -> serde_json::Value {
    let mut v = serde_json::to_value(r).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "params".into(),
            serde_json::from_str(&r.params).unwrap_or(serde_json::Value::Null),
        );
        o.insert(
            "work_template".into(),
            r.work_template
                .as_deref()
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or(serde_json::Value::Null),
        );
    }
    v
}

pub async fn insert(tx: &mut Tx, s: &Signal) -> StoreResult<()> {
    tx.execute(
        Query::insert()
            .into_table(Signals::Table)
            .columns(COLS)
            .values_panic([
                s.id.into(),
                s.asset_id.into(),
                s.meter_id.into(),
                s.name.clone().into(),
                s.kind.clone().into(),
                s.unit.clone().into(),
                s.scale.into(),
                s.value_offset.into(),
                s.source_kind.clone().into(),
                s.source_key.clone().into(),
                s.source.clone().into(),
                s.max_gap_s.into(),
                s.enabled.into(),
                s.version.into(),
                s.created_at.into(),
                s.updated_at.into(),
            ]),
    )
    .await?;
    let mut p = PendingAudit::new("create", "signal", s.id);
    p.new = Some(audit_value(s));
    tx.audit(p);
    Ok(())
}

/// Writes a changed signal read at `old.version`.
pub async fn update(tx: &mut Tx, old: &Signal, new: &Signal) -> StoreResult<()> {
    let n = tx
        .execute(
            Query::update()
                .table(Signals::Table)
                .value(Signals::Name, new.name.clone())
                .value(Signals::Unit, new.unit.clone())
                .value(Signals::Scale, new.scale)
                .value(Signals::ValueOffset, new.value_offset)
                .value(Signals::SourceKind, new.source_kind.clone())
                .value(Signals::SourceKey, new.source_key.clone())
                .value(Signals::Source, new.source.clone())
                .value(Signals::MaxGapS, new.max_gap_s)
                .value(Signals::Enabled, new.enabled)
                .value(Signals::Version, new.version)
                .value(Signals::UpdatedAt, new.updated_at)
                .and_where(Expr::col(Signals::Id).eq(old.id))
                .and_where(Expr::col(Signals::Version).eq(old.version)),
        )
        .await?;
    if n == 0 {
        return Err(StoreError::Stale);
    }
    let mut p = PendingAudit::new("update", "signal", old.id);
    p.old = Some(audit_value(old));
    p.new = Some(audit_value(new));
    tx.audit(p);
    Ok(())
}

fn select_with_site() -> sea_query::SelectStatement {
    let mut q = Query::select();
    q.columns(COLS.map(|c| (Signals::Table, c)))
        .column((Assets::Table, Assets::SiteId))
        .from(Signals::Table)
        .inner_join(
            Assets::Table,
            Expr::col((Assets::Table, Assets::Id)).equals((Signals::Table, Signals::AssetId)),
        );
    q
}

pub async fn get(db: &Db, id: Uuid) -> StoreResult<SignalSite> {
    db.fetch_one(
        &select_with_site()
            .and_where(Expr::col((Signals::Table, Signals::Id)).eq(id))
            .to_owned(),
    )
    .await
}

/// Signals by id (unknown ids are left out).
pub async fn get_many(db: &Db, ids: &[Uuid]) -> StoreResult<Vec<SignalSite>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    db.fetch_all(
        &select_with_site()
            .and_where(Expr::col((Signals::Table, Signals::Id)).is_in(ids.iter().copied()))
            .to_owned(),
    )
    .await
}

/// Signals by name on any asset (names are unique per asset only): for imports naming signals.
pub async fn by_name(db: &Db, name: &str) -> StoreResult<Vec<SignalSite>> {
    db.fetch_all(
        &select_with_site()
            .and_where(Expr::col((Signals::Table, Signals::Name)).eq(name))
            .to_owned(),
    )
    .await
}

/// The signal bound to a source (connectors look signals up by their binding key).
pub async fn by_source_key(db: &Db, key: &str) -> StoreResult<Option<SignalSite>> {
    db.fetch_optional(
        &select_with_site()
            .and_where(Expr::col((Signals::Table, Signals::SourceKey)).eq(key))
            .to_owned(),
    )
    .await
}

#[derive(Debug, Default, Clone)]
pub struct SignalFilter {
    pub sites: Option<Vec<Uuid>>,
    pub site_id: Option<Uuid>,
    pub asset_id: Option<Uuid>,
    pub source_kind: Option<String>,
}

pub async fn list(db: &Db, f: &SignalFilter) -> StoreResult<Vec<SignalSite>> {
    let mut q = select_with_site();
    q.order_by((Signals::Table, Signals::Name), Order::Asc)
        .order_by((Signals::Table, Signals::Id), Order::Asc)
        .limit(5000);
    if let Some(s) = &f.sites {
        q.and_where(Expr::col((Assets::Table, Assets::SiteId)).is_in(s.iter().copied()));
    }
    if let Some(s) = f.site_id {
        q.and_where(Expr::col((Assets::Table, Assets::SiteId)).eq(s));
    }
    if let Some(a) = f.asset_id {
        q.and_where(Expr::col((Signals::Table, Signals::AssetId)).eq(a));
    }
    if let Some(k) = &f.source_kind {
        q.and_where(Expr::col((Signals::Table, Signals::SourceKind)).eq(k.as_str()));
    }
    db.fetch_all(&q).await
}

pub async fn insert_rule(tx: &mut Tx, r: &SignalRule) -> StoreResult<()> {
    tx.execute(
        Query::insert()
            .into_table(SignalRules::Table)
            .columns(RULE_COLS)
            .values_panic([
                r.id.into(),
                r.signal_id.into(),
                r.name.clone().into(),
                r.kind.clone().into(),
                r.params.clone().into(),
                r.priority.clone().into(),
                r.enabled.into(),
                r.version.into(),
                r.created_at.into(),
                r.updated_at.into(),
                r.work_template.clone().into(),
            ]),
    )
    .await?;
    let mut p = PendingAudit::new("create", "signal_rule", r.id);
    p.new = Some(rule_audit_value(r));
    tx.audit(p);
    Ok(())
}

pub async fn update_rule(tx: &mut Tx, old: &SignalRule, new: &SignalRule) -> StoreResult<()> {
    let n = tx
        .execute(
            Query::update()
                .table(SignalRules::Table)
                .value(SignalRules::Name, new.name.clone())
                .value(SignalRules::Params, new.params.clone())
                .value(SignalRules::Priority, new.priority.clone())
                .value(SignalRules::Enabled, new.enabled)
                .value(SignalRules::WorkTemplate, new.work_template.clone())
                .value(SignalRules::Version, new.version)
                .value(SignalRules::UpdatedAt, new.updated_at)
                .and_where(Expr::col(SignalRules::Id).eq(old.id))
                .and_where(Expr::col(SignalRules::Version).eq(old.version)),
        )
        .await?;
    if n == 0 {
        return Err(StoreError::Stale);
    }
    let mut p = PendingAudit::new("update", "signal_rule", old.id);
    p.old = Some(rule_audit_value(old));
    p.new = Some(rule_audit_value(new));
    tx.audit(p);
    Ok(())
}

/// Rules of the given signals, in creation order.
pub async fn rules_of(db: &Db, signals: &[Uuid]) -> StoreResult<Vec<SignalRule>> {
    if signals.is_empty() {
        return Ok(Vec::new());
    }
    db.fetch_all(
        Query::select()
            .columns(RULE_COLS)
            .from(SignalRules::Table)
            .and_where(Expr::col(SignalRules::SignalId).is_in(signals.iter().copied()))
            .order_by(SignalRules::Id, Order::Asc),
    )
    .await
}

pub async fn get_rule(db: &Db, id: Uuid) -> StoreResult<SignalRule> {
    db.fetch_one(
        Query::select()
            .columns(RULE_COLS)
            .from(SignalRules::Table)
            .and_where(Expr::col(SignalRules::Id).eq(id)),
    )
    .await
}
