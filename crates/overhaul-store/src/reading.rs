//! Sensor readings of signals: raw rows kept for the retention period, hourly rollups kept for
//! years. Written through the narrow unaudited path of [`crate::dialect::insert_readings`]
//! (see there why).

use crate::Db;
use crate::db::Tx;
use crate::dialect::{self, HOUR_MS, RollupDelta};
use crate::error::StoreResult;
use crate::schema::{ReadingRollups, Readings};
use sea_query::{Expr, ExprTrait, Order, Query};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StoredReading {
    pub signal_id: Uuid,
    pub ts_ms: i64,
    pub value: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Rollup {
    pub signal_id: Uuid,
    /// Start of the hour, epoch milliseconds.
    pub hour_ms: i64,
    pub min_value: f64,
    pub max_value: f64,
    pub sum_value: f64,
    pub count_value: i64,
}

/// Stores readings `(signal, ts_ms, value)` and brings the hourly rollups up to date, in the
/// caller's transaction. Returns how many were new (already stored ones are skipped).
pub async fn store(tx: &mut Tx, rows: &[(Uuid, i64, f64)]) -> StoreResult<u64> {
    if rows.is_empty() {
        return Ok(0);
    }
    let inserted = dialect::insert_readings(tx, rows).await?;
    if inserted == rows.len() as u64 {
        let mut hours: HashMap<(Uuid, i64), RollupDelta> = HashMap::new();
        for (s, t, v) in rows {
            let h = t.div_euclid(HOUR_MS) * HOUR_MS;
            hours
                .entry((*s, h))
                .and_modify(|d| {
                    d.min = d.min.min(*v);
                    d.max = d.max.max(*v);
                    d.sum += v;
                    d.count += 1;
                })
                .or_insert(RollupDelta {
                    signal_id: *s,
                    hour_ms: h,
                    min: *v,
                    max: *v,
                    sum: *v,
                    count: 1,
                });
        }
        let deltas: Vec<RollupDelta> = hours.into_values().collect();
        dialect::merge_rollups(tx, &deltas).await?;
    } else {
        // Some were stored before (a replay): which ones is not known here, so the touched
        // hours are recomputed from the raw rows instead of merged.
        let mut span: HashMap<Uuid, (i64, i64)> = HashMap::new();
        for (s, t, _) in rows {
            let e = span.entry(*s).or_insert((*t, *t));
            e.0 = Ord::min(e.0, *t);
            e.1 = Ord::max(e.1, *t);
        }
        for (s, (from, to)) in span {
            dialect::rebuild_rollups(tx, Some(s), from, to).await?;
        }
    }
    Ok(inserted)
}

/// Deletes raw readings older than the hour that contains `cutoff_ms` (whole hours only, so a
/// rollup can always be rebuilt from what is left). Rollups are kept. Returns rows deleted.
pub async fn delete_before(tx: &mut Tx, cutoff_ms: i64) -> StoreResult<u64> {
    let hour = cutoff_ms.div_euclid(HOUR_MS) * HOUR_MS;
    tx.execute_unaudited(
        Query::delete()
            .from_table(Readings::Table)
            .and_where(Expr::col(Readings::TsMs).lt(hour)),
    )
    .await
}

/// The time of the oldest raw reading before `cutoff_ms`, if any.
pub async fn oldest_before(db: &Db, cutoff_ms: i64) -> StoreResult<Option<i64>> {
    #[derive(sqlx::FromRow)]
    struct T {
        ts: Option<i64>,
    }
    let t: T = db
        .fetch_one(
            Query::select()
                .expr_as(Expr::col(Readings::TsMs).min(), "ts")
                .from(Readings::Table)
                .and_where(Expr::col(Readings::TsMs).lt(cutoff_ms)),
        )
        .await?;
    Ok(t.ts)
}

/// Raw readings of a signal in `[from_ms, to_ms)`, oldest first.
pub async fn range(
    db: &Db,
    signal: Uuid,
    from_ms: i64,
    to_ms: i64,
    limit: u64,
) -> StoreResult<Vec<StoredReading>> {
    db.fetch_all(
        Query::select()
            .columns([Readings::SignalId, Readings::TsMs, Readings::Value])
            .from(Readings::Table)
            .and_where(Expr::col(Readings::SignalId).eq(signal))
            .and_where(Expr::col(Readings::TsMs).gte(from_ms))
            .and_where(Expr::col(Readings::TsMs).lt(to_ms))
            .order_by(Readings::TsMs, Order::Asc)
            .limit(limit),
    )
    .await
}

/// The last `n` readings of a signal, oldest first.
pub async fn latest(db: &Db, signal: Uuid, n: u64) -> StoreResult<Vec<StoredReading>> {
    let mut v: Vec<StoredReading> = db
        .fetch_all(
            Query::select()
                .columns([Readings::SignalId, Readings::TsMs, Readings::Value])
                .from(Readings::Table)
                .and_where(Expr::col(Readings::SignalId).eq(signal))
                .order_by(Readings::TsMs, Order::Desc)
                .limit(n),
        )
        .await?;
    v.reverse();
    Ok(v)
}

/// Hourly rollups of a signal for hours starting in `[from_ms, to_ms)`, oldest first.
pub async fn rollups(
    db: &Db,
    signal: Uuid,
    from_ms: i64,
    to_ms: i64,
    limit: u64,
) -> StoreResult<Vec<Rollup>> {
    db.fetch_all(
        Query::select()
            .columns([
                ReadingRollups::SignalId,
                ReadingRollups::HourMs,
                ReadingRollups::MinValue,
                ReadingRollups::MaxValue,
                ReadingRollups::SumValue,
                ReadingRollups::CountValue,
            ])
            .from(ReadingRollups::Table)
            .and_where(Expr::col(ReadingRollups::SignalId).eq(signal))
            .and_where(Expr::col(ReadingRollups::HourMs).gte(from_ms))
            .and_where(Expr::col(ReadingRollups::HourMs).lt(to_ms))
            .order_by(ReadingRollups::HourMs, Order::Asc)
            .limit(limit),
    )
    .await
}
