//! Everything that differs between SQLite and PostgreSQL, side by side.

use crate::db::{Conn, Tx};
use crate::error::StoreResult;
use crate::schema::{Counters, FailureCodes};
use crate::{ActorRef, Backend, Db};
use sea_query::{Expr, ExprTrait, OnConflict, Query};
use sqlx::AssertSqlSafe;
use uuid::Uuid;

/// Condition "title or description contains every word of `q`" (whole words, case-insensitive),
/// using FTS5 on SQLite and a generated `tsvector` with a GIN index on PostgreSQL. `None` when
/// `q` has no words.
pub fn text_search(backend: Backend, q: &str) -> Option<Expr> {
    let words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(str::to_lowercase)
        .collect();
    if words.is_empty() {
        return None;
    }
    Some(match backend {
        Backend::Sqlite => {
            // Each word quoted, so FTS5 operators typed by a user are plain text.
            let fts: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
            Expr::cust_with_values(
                "work_orders.rowid IN (SELECT rowid FROM work_orders_fts WHERE work_orders_fts MATCH ?)",
                [fts.join(" ")],
            )
        }
        Backend::Postgres => Expr::cust_with_values(
            "work_orders.search @@ plainto_tsquery('simple', $1)",
            [words.join(" ")],
        ),
    })
}

/// Takes the next number of a named counter (work-order and request numbers). The row lock
/// it takes is held to the end of the transaction, so numbers are never handed out twice.
pub async fn next_counter(tx: &mut Tx, name: &str) -> StoreResult<i64> {
    #[derive(sqlx::FromRow)]
    struct V {
        value: i64,
    }
    let v: V = tx
        .fetch_one(
            Query::insert()
                .into_table(Counters::Table)
                .columns([Counters::Name, Counters::Value])
                .values_panic([name.into(), 1_i64.into()])
                .on_conflict(
                    OnConflict::column(Counters::Name)
                        .value(
                            Counters::Value,
                            Expr::col((Counters::Table, Counters::Value)).add(1_i64),
                        )
                        .to_owned(),
                )
                .returning_col(Counters::Value),
        )
        .await?;
    Ok(v.value)
}

/// Reserves `n` consecutive numbers of a counter; returns the first.
pub async fn reserve_counter(tx: &mut Tx, name: &str, n: i64) -> StoreResult<i64> {
    #[derive(sqlx::FromRow)]
    struct V {
        value: i64,
    }
    let v: V = tx
        .fetch_one(
            Query::insert()
                .into_table(Counters::Table)
                .columns([Counters::Name, Counters::Value])
                .values_panic([name.into(), n.into()])
                .on_conflict(
                    OnConflict::column(Counters::Name)
                        .value(
                            Counters::Value,
                            Expr::col((Counters::Table, Counters::Value)).add(n),
                        )
                        .to_owned(),
                )
                .returning_col(Counters::Value),
        )
        .await?;
    Ok(v.value - n + 1)
}

/// Writes the ISO 14224 code lists shipped with this version (idempotent).
pub(crate) async fn seed_reference_data(db: &Db) -> StoreResult<()> {
    let mut tx = db
        .begin(&ActorRef::system("migrate"), chrono::Utc::now())
        .await?;
    let mut q = Query::insert();
    q.into_table(FailureCodes::Table)
        .columns([FailureCodes::Kind, FailureCodes::Code, FailureCodes::Label])
        .on_conflict(
            OnConflict::columns([FailureCodes::Kind, FailureCodes::Code])
                .update_column(FailureCodes::Label)
                .to_owned(),
        );
    for c in overhaul_core::failure_code::all() {
        q.values_panic([c.kind.as_str().into(), c.code.into(), c.label.into()]);
    }
    tx.execute_unaudited(&q).await?;
    tx.commit().await
}

/// Makes the SQLite write-ahead log part of the main file (before a file copy or at shutdown).
pub async fn checkpoint(db: &Db) -> StoreResult<()> {
    if let Db::Sqlite { write, .. } = db {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(write)
            .await?;
    }
    Ok(())
}

/// Counts for the landing page.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// (code, name, assets, open work orders) per site.
    pub sites: Vec<(String, String, i64, i64)>,
    pub assets: i64,
    pub work_orders: i64,
    pub open_work_orders: i64,
    pub work_requests: i64,
}

pub async fn stats(db: &Db) -> StoreResult<Stats> {
    use crate::schema::{Assets, Sites, WorkOrders, WorkRequests};
    #[derive(sqlx::FromRow)]
    struct N {
        n: i64,
    }
    #[derive(sqlx::FromRow)]
    struct SiteRow {
        code: String,
        name: String,
        assets: i64,
        open: i64,
    }
    let count = |t: sea_query::DynIden| {
        Query::select()
            .expr_as(Expr::cust("COUNT(*)"), "n")
            .from(t)
            .to_owned()
    };
    let open: Vec<String> = overhaul_core::work_order::WorkOrderStatus::open_statuses()
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect();
    let assets: N = db
        .fetch_one(&count(sea_query::IntoIden::into_iden(Assets::Table)))
        .await?;
    let wos: N = db
        .fetch_one(&count(sea_query::IntoIden::into_iden(WorkOrders::Table)))
        .await?;
    let reqs: N = db
        .fetch_one(&count(sea_query::IntoIden::into_iden(WorkRequests::Table)))
        .await?;
    let open_n: N = db
        .fetch_one(
            count(sea_query::IntoIden::into_iden(WorkOrders::Table))
                .and_where(Expr::col(WorkOrders::Status).is_in(open.clone())),
        )
        .await?;
    let per_site: Vec<SiteRow> = db
        .fetch_all(
            Query::select()
                .column((Sites::Table, Sites::Code))
                .column((Sites::Table, Sites::Name))
                .expr_as(
                    Expr::cust("(SELECT COUNT(*) FROM assets a WHERE a.site_id = sites.id)"),
                    "assets",
                )
                .expr_as(
                    Expr::cust(
                        "(SELECT COUNT(*) FROM work_orders w WHERE w.site_id = sites.id AND w.status IN ('requested','approved','planned','ready','scheduled','in_progress','on_hold'))",
                    ),
                    "open",
                )
                .from(Sites::Table)
                .order_by((Sites::Table, Sites::Code), sea_query::Order::Asc),
        )
        .await?;
    Ok(Stats {
        sites: per_site
            .into_iter()
            .map(|r| (r.code, r.name, r.assets, r.open))
            .collect(),
        assets: assets.n,
        work_orders: wos.n,
        open_work_orders: open_n.n,
        work_requests: reqs.n,
    })
}

/// SQLite refuses statements with more than this many bound parameters.
const SQLITE_MAX_PARAMS: usize = 32_766;
/// Rows per PostgreSQL `UNNEST` statement (bounds the memory of one statement).
const PG_ROWS_PER_STATEMENT: usize = 50_000;

/// Bulk insert of sensor readings `(signal_id, ts_ms, value)`; a reading already stored (same
/// signal and time, e.g. a QoS 1 redelivery) is skipped. Returns how many rows were inserted.
///
/// This is the one deliberate write path that bypasses the audit trail. Readings are
/// measurements, not changes that someone made: auditing each of them would put 100,000
/// hash-chained records a second into the trail and drown the changes an auditor looks for.
/// What readings cause is audited: signal and rule configuration, every alarm transition and
/// every work request or note raised from them, each naming the readings behind it. Only the
/// `readings` and `reading_rollups` tables are written this way.
pub async fn insert_readings(tx: &mut Tx, rows: &[(Uuid, i64, f64)]) -> StoreResult<u64> {
    let mut inserted = 0;
    match tx.conn()? {
        Conn::Sqlite(c) => {
            for chunk in rows.chunks(SQLITE_MAX_PARAMS / 3) {
                let mut sql = String::with_capacity(64 + chunk.len() * 8);
                sql.push_str("INSERT INTO readings (signal_id, ts_ms, value) VALUES ");
                for i in 0..chunk.len() {
                    sql.push_str(if i == 0 { "(?,?,?)" } else { ",(?,?,?)" });
                }
                sql.push_str(" ON CONFLICT DO NOTHING");
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for (s, t, v) in chunk {
                    q = q.bind(*s).bind(*t).bind(*v);
                }
                inserted += q.execute(&mut *c).await?.rows_affected();
            }
        }
        Conn::Postgres(c) => {
            for chunk in rows.chunks(PG_ROWS_PER_STATEMENT) {
                let ids: Vec<Uuid> = chunk.iter().map(|r| r.0).collect();
                let ts: Vec<i64> = chunk.iter().map(|r| r.1).collect();
                let vs: Vec<f64> = chunk.iter().map(|r| r.2).collect();
                inserted += sqlx::query(
                    "INSERT INTO readings (signal_id, ts_ms, value) \
                     SELECT * FROM UNNEST($1::uuid[], $2::int8[], $3::float8[]) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(ids)
                .bind(ts)
                .bind(vs)
                .execute(&mut *c)
                .await?
                .rows_affected();
            }
        }
    }
    Ok(inserted)
}

/// One hour of one signal, to be merged into `reading_rollups`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RollupDelta {
    pub signal_id: Uuid,
    pub hour_ms: i64,
    pub min: f64,
    pub max: f64,
    pub sum: f64,
    pub count: i64,
}

/// Merges hourly aggregates of newly inserted readings into the rollups (min of mins, max of
/// maxes, sums added). Each (signal, hour) may appear once. Not audited, like the readings.
pub async fn merge_rollups(tx: &mut Tx, rows: &[RollupDelta]) -> StoreResult<()> {
    let (least, greatest) = match tx.backend() {
        Backend::Sqlite => ("min", "max"),
        Backend::Postgres => ("LEAST", "GREATEST"),
    };
    let tail = format!(
        " ON CONFLICT (signal_id, hour_ms) DO UPDATE SET \
         min_value = {least}(reading_rollups.min_value, excluded.min_value), \
         max_value = {greatest}(reading_rollups.max_value, excluded.max_value), \
         sum_value = reading_rollups.sum_value + excluded.sum_value, \
         count_value = reading_rollups.count_value + excluded.count_value"
    );
    match tx.conn()? {
        Conn::Sqlite(c) => {
            for chunk in rows.chunks(SQLITE_MAX_PARAMS / 6) {
                let mut sql = String::from(
                    "INSERT INTO reading_rollups \
                     (signal_id, hour_ms, min_value, max_value, sum_value, count_value) VALUES ",
                );
                for i in 0..chunk.len() {
                    sql.push_str(if i == 0 {
                        "(?,?,?,?,?,?)"
                    } else {
                        ",(?,?,?,?,?,?)"
                    });
                }
                sql.push_str(&tail);
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for r in chunk {
                    q = q
                        .bind(r.signal_id)
                        .bind(r.hour_ms)
                        .bind(r.min)
                        .bind(r.max)
                        .bind(r.sum)
                        .bind(r.count);
                }
                q.execute(&mut *c).await?;
            }
        }
        Conn::Postgres(c) => {
            for chunk in rows.chunks(PG_ROWS_PER_STATEMENT) {
                let sql = format!(
                    "INSERT INTO reading_rollups \
                     (signal_id, hour_ms, min_value, max_value, sum_value, count_value) \
                     SELECT * FROM UNNEST($1::uuid[], $2::int8[], $3::float8[], $4::float8[], \
                     $5::float8[], $6::int8[]){tail}"
                );
                sqlx::query(AssertSqlSafe(sql))
                    .bind(chunk.iter().map(|r| r.signal_id).collect::<Vec<_>>())
                    .bind(chunk.iter().map(|r| r.hour_ms).collect::<Vec<_>>())
                    .bind(chunk.iter().map(|r| r.min).collect::<Vec<_>>())
                    .bind(chunk.iter().map(|r| r.max).collect::<Vec<_>>())
                    .bind(chunk.iter().map(|r| r.sum).collect::<Vec<_>>())
                    .bind(chunk.iter().map(|r| r.count).collect::<Vec<_>>())
                    .execute(&mut *c)
                    .await?;
            }
        }
    }
    Ok(())
}

/// Recomputes the rollups of whole hours `[from_ms, to_ms)` (rounded out to hours) from the raw
/// readings, for one signal or all. Hours must still hold all their raw readings (retention
/// deletes whole hours only, so any hour with readings left is complete).
pub async fn rebuild_rollups(
    tx: &mut Tx,
    signal: Option<Uuid>,
    from_ms: i64,
    to_ms: i64,
) -> StoreResult<u64> {
    let from = from_ms.div_euclid(HOUR_MS) * HOUR_MS;
    let to = (to_ms.div_euclid(HOUR_MS) + 1) * HOUR_MS;
    let filter = if signal.is_some() {
        " AND signal_id = $3"
    } else {
        ""
    };
    let sql = format!(
        "INSERT INTO reading_rollups \
         (signal_id, hour_ms, min_value, max_value, sum_value, count_value) \
         SELECT signal_id, (ts_ms / {HOUR_MS}) * {HOUR_MS}, MIN(value), MAX(value), SUM(value), COUNT(*) \
         FROM readings WHERE ts_ms >= $1 AND ts_ms < $2{filter} \
         GROUP BY signal_id, ts_ms / {HOUR_MS} \
         ON CONFLICT (signal_id, hour_ms) DO UPDATE SET \
         min_value = excluded.min_value, max_value = excluded.max_value, \
         sum_value = excluded.sum_value, count_value = excluded.count_value"
    );
    let n = match tx.conn()? {
        Conn::Sqlite(c) => {
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(from).bind(to);
            if let Some(s) = signal {
                q = q.bind(s);
            }
            q.execute(&mut *c).await?.rows_affected()
        }
        Conn::Postgres(c) => {
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(from).bind(to);
            if let Some(s) = signal {
                q = q.bind(s);
            }
            q.execute(&mut *c).await?.rows_affected()
        }
    };
    Ok(n)
}

pub const HOUR_MS: i64 = 3_600_000;

/// Refreshes the query planner's statistics (after bulk loads; SQLite's planner picks indexes
/// from them).
pub async fn analyze(db: &Db) -> StoreResult<()> {
    match db {
        Db::Sqlite { write, .. } => {
            sqlx::query("ANALYZE").execute(write).await?;
        }
        Db::Postgres(p) => {
            sqlx::query("ANALYZE").execute(p).await?;
        }
    }
    Ok(())
}
