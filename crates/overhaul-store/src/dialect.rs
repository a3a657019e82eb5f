//! Everything that differs between SQLite and PostgreSQL, side by side.

use crate::db::Tx;
use crate::error::StoreResult;
use crate::schema::{Counters, FailureCodes};
use crate::{ActorRef, Backend, Db};
use sea_query::{Expr, ExprTrait, OnConflict, Query};

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
