//! Shared data location, a fresh database, and row counts straight from the tables.

use overhaul_app::{App, Ctx, Db};
use overhaul_store::testing::{self, TestDb};
use std::path::PathBuf;

/// `../shared/data/<rel>` beside the workspace, or `None` (with a visible notice) when it is
/// absent. With `OVERHAUL_REQUIRE_SHARED_DATA=1` (CI) an absent data set fails the test.
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel);
    if p.exists() {
        return Some(p);
    }
    if std::env::var("OVERHAUL_REQUIRE_SHARED_DATA").is_ok_and(|v| v == "1") {
        panic!(
            "{} is missing and OVERHAUL_REQUIRE_SHARED_DATA=1 requires it",
            p.display()
        );
    }
    eprintln!("NOTICE: {} not found; test skipped", p.display());
    None
}

pub async fn fresh_app() -> (TestDb, App) {
    let t = testing::fresh().await.expect("test database");
    let app = App::new(t.db.clone());
    (t, app)
}

pub fn ctx() -> Ctx {
    Ctx::system("import test", chrono::Utc::now())
}

pub async fn count(db: &Db, table: &str) -> i64 {
    scalar(db, &format!("SELECT COUNT(*) FROM {table}")).await
}

/// A query answering one integer.
pub async fn scalar(db: &Db, sql: &str) -> i64 {
    let sql = sql.to_owned();
    match db {
        Db::Sqlite { read, .. } => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(read)
            .await
            .expect("count"),
        Db::Postgres(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(p)
            .await
            .expect("count"),
    }
}

/// Rows of every table an import writes, and the audit records.
pub async fn footprint(db: &Db) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    for t in [
        "sites",
        "assets",
        "work_orders",
        "downtime_events",
        "asset_state_intervals",
        "work_order_status_changes",
        "audit_log",
    ] {
        out.push((t, count(db, t).await));
    }
    // The work-order counter must not move when nothing is created.
    out.push((
        "counters (sum)",
        scalar(
            db,
            "SELECT CAST(COALESCE(SUM(value), 0) AS BIGINT) FROM counters",
        )
        .await,
    ));
    out
}
