//! The hash-chained audit trail: appended inside the transaction that made the change.

use crate::Db;
use crate::db::Tx;
use crate::error::{StoreError, StoreResult};
use crate::schema::{AuditHead, AuditLog};
use chrono::{DateTime, Utc};
use overhaul_core::audit::{AuditFields, ChainBreak, ChainVerifier, record_hash};
use sea_query::{Expr, ExprTrait, LockType, Order, Query};
use serde::Serialize;
use serde_json::Value;

/// An audit entry waiting for its sequence number; `old`/`new` are the entity before and after.
#[derive(Debug, Clone)]
pub struct PendingAudit {
    pub action: String,
    pub entity: &'static str,
    pub entity_id: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
    pub reason: Option<String>,
}

impl PendingAudit {
    pub fn new(action: &str, entity: &'static str, entity_id: impl ToString) -> Self {
        Self {
            action: action.to_owned(),
            entity,
            entity_id: entity_id.to_string(),
            old: None,
            new: None,
            reason: None,
        }
    }

    pub fn old<T: Serialize>(mut self, v: &T) -> Self {
        self.old = serde_json::to_value(v).ok();
        self
    }

    pub fn new_value<T: Serialize>(mut self, v: &T) -> Self {
        self.new = serde_json::to_value(v).ok();
        self
    }

    pub fn reason(mut self, r: Option<&str>) -> Self {
        self.reason = r.map(str::to_owned);
        self
    }
}

/// A stored audit record.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, Serialize)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRecord {
    pub fn fields(&self) -> AuditFields<'_> {
        AuditFields {
            seq: self.seq,
            at: self.at,
            actor_id: self.actor_id.as_deref(),
            actor_name: &self.actor_name,
            action: &self.action,
            entity: &self.entity,
            entity_id: &self.entity_id,
            old_value: self.old_value.as_deref(),
            new_value: self.new_value.as_deref(),
            reason: self.reason.as_deref(),
            prev_hash: &self.prev_hash,
        }
    }
}

#[derive(sqlx::FromRow)]
struct Head {
    seq: i64,
    hash: String,
}

/// Locks the chain head (serialising writers on PostgreSQL; SQLite has one writer anyway),
/// appends the records and moves the head. Called by `Tx::commit` as the last step, so the lock
/// is held only for the end of the transaction.
pub(crate) async fn append(tx: &mut Tx, pending: Vec<PendingAudit>) -> StoreResult<()> {
    let head: Head = tx
        .fetch_one(
            Query::select()
                .columns([AuditHead::Seq, AuditHead::Hash])
                .from(AuditHead::Table)
                .and_where(Expr::col(AuditHead::Id).eq(1))
                .lock(LockType::Update),
        )
        .await?;
    let mut seq = head.seq;
    let mut prev = head.hash;
    let at = tx.now();
    let actor = tx.actor().clone();
    let actor_id = actor.id.map(|u| u.to_string());
    let mut rows: Vec<[sea_query::Value; 12]> = Vec::with_capacity(pending.len());
    for p in pending {
        seq += 1;
        // serde_json's default map is ordered by key, so this text is canonical.
        let old = p.old.as_ref().map(Value::to_string);
        let new = p.new.as_ref().map(Value::to_string);
        let hash = record_hash(&AuditFields {
            seq,
            at,
            actor_id: actor_id.as_deref(),
            actor_name: &actor.name,
            action: &p.action,
            entity: p.entity,
            entity_id: &p.entity_id,
            old_value: old.as_deref(),
            new_value: new.as_deref(),
            reason: p.reason.as_deref(),
            prev_hash: &prev,
        });
        rows.push([
            seq.into(),
            at.into(),
            actor_id.clone().into(),
            actor.name.clone().into(),
            p.action.into(),
            p.entity.into(),
            p.entity_id.into(),
            old.into(),
            new.into(),
            p.reason.into(),
            prev.into(),
            hash.clone().into(),
        ]);
        prev = hash;
    }
    // Multi-row inserts: 12 parameters a row stays far below both backends' limits.
    for chunk in rows.chunks(400) {
        let mut q = Query::insert();
        q.into_table(AuditLog::Table).columns(COLUMNS);
        for r in chunk {
            q.values_panic(r.clone().map(sea_query::Expr::from));
        }
        tx.execute_unaudited(&q).await?;
    }
    tx.execute_unaudited(
        Query::update()
            .table(AuditHead::Table)
            .value(AuditHead::Seq, seq)
            .value(AuditHead::Hash, prev)
            .and_where(Expr::col(AuditHead::Id).eq(1)),
    )
    .await?;
    Ok(())
}

const COLUMNS: [AuditLog; 12] = [
    AuditLog::Seq,
    AuditLog::At,
    AuditLog::ActorId,
    AuditLog::ActorName,
    AuditLog::Action,
    AuditLog::Entity,
    AuditLog::EntityId,
    AuditLog::OldValue,
    AuditLog::NewValue,
    AuditLog::Reason,
    AuditLog::PrevHash,
    AuditLog::Hash,
];

/// Filters for reading the trail.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub after_seq: Option<i64>,
    pub limit: u64,
}

pub async fn list(db: &Db, f: &AuditFilter) -> StoreResult<Vec<AuditRecord>> {
    let mut q = Query::select();
    q.columns(COLUMNS)
        .from(AuditLog::Table)
        .order_by(AuditLog::Seq, Order::Asc)
        .limit(f.limit);
    if let Some(e) = &f.entity {
        q.and_where(Expr::col(AuditLog::Entity).eq(e.as_str()));
    }
    if let Some(id) = &f.entity_id {
        q.and_where(Expr::col(AuditLog::EntityId).eq(id.as_str()));
    }
    if let Some(s) = f.after_seq {
        q.and_where(Expr::col(AuditLog::Seq).gt(s));
    }
    db.fetch_all(&q).await
}

/// Outcome of a full verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    Intact { records: i64 },
    Broken(ChainBreak),
}

/// Walks the whole chain in pages, in sequence order, and checks every link and hash, then the
/// head kept beside the chain (which catches records deleted from the end).
pub async fn verify(db: &Db) -> StoreResult<Verification> {
    let mut v = ChainVerifier::new();
    let mut after = 0_i64;
    loop {
        let page = list(
            db,
            &AuditFilter {
                after_seq: Some(after),
                limit: 5_000,
                ..AuditFilter::default()
            },
        )
        .await?;
        if page.is_empty() {
            break;
        }
        for r in &page {
            if let Err(b) = v.check(&r.fields(), &r.hash) {
                return Ok(Verification::Broken(b));
            }
        }
        after = page.last().map(|r| r.seq).unwrap_or(after);
    }
    let head: Head = db
        .fetch_one(
            Query::select()
                .columns([AuditHead::Seq, AuditHead::Hash])
                .from(AuditHead::Table)
                .and_where(Expr::col(AuditHead::Id).eq(1)),
        )
        .await
        .map_err(|e| match e {
            StoreError::NotFound => StoreError::Corrupt("the audit chain head is missing".into()),
            e => e,
        })?;
    Ok(match v.finish(head.seq, &head.hash) {
        Ok(n) => Verification::Intact { records: n },
        Err(b) => Verification::Broken(b),
    })
}
