//! Schema invariants: both backends have the same tables and columns; every foreign key is
//! covered by an index whose first column is the key's column.

use overhaul_store::testing;
use overhaul_store::{Backend, Db};
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};

type Columns = BTreeMap<String, BTreeSet<String>>;

/// Tables and columns as the database reports them (Overhaul's own tables only).
async fn columns(db: &Db) -> Columns {
    let mut out = Columns::new();
    match db {
        Db::Sqlite { read, .. } => {
            let tables = sqlx::query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
                 AND name NOT LIKE '_sqlx%' AND name NOT LIKE 'work_orders_fts%'",
            )
            .fetch_all(read)
            .await
            .expect("tables");
            for t in tables {
                let name: String = t.get("name");
                let cols = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT name FROM pragma_table_info('{name}')"
                )))
                .fetch_all(read)
                .await
                .expect("columns");
                out.insert(
                    name,
                    cols.iter().map(|c| c.get::<String, _>("name")).collect(),
                );
            }
        }
        Db::Postgres(p) => {
            let rows = sqlx::query(
                "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
            )
            .fetch_all(p)
            .await
            .expect("columns");
            for r in rows {
                out.entry(r.get("t")).or_default().insert(r.get("c"));
            }
        }
    }
    out
}

/// Columns that exist on one backend only, on purpose: PostgreSQL's generated full-text column
/// (SQLite keeps the same index in the `work_orders_fts` virtual table).
const BACKEND_ONLY: &[(&str, &str)] = &[("work_orders", "search")];

#[tokio::test]
async fn both_backends_have_the_same_tables_and_columns() {
    let Some(_) = testing::postgres_url() else {
        eprintln!(
            "NOTICE: schema comparison needs PostgreSQL; set {} (CI does)",
            testing::ENV
        );
        return;
    };
    let pg = testing::fresh().await.expect("pg");
    let dir =
        std::env::temp_dir().join(format!("overhaul-schema-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let lite = Db::connect(&format!("sqlite://{}/s.db", dir.display()))
        .await
        .expect("sqlite");
    lite.migrate().await.expect("migrate sqlite");
    let mut a = columns(&lite).await;
    let mut b = columns(&pg.db).await;
    for (t, c) in BACKEND_ONLY {
        a.get_mut(*t).map(|s| s.remove(*c));
        b.get_mut(*t).map(|s| s.remove(*c));
    }
    assert!(
        a.len() >= 19,
        "expected the foundation tables, got {:?}",
        a.keys()
    );
    assert_eq!(a, b, "SQLite and PostgreSQL schemas differ");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn every_foreign_key_is_indexed() {
    let t = testing::fresh().await.expect("db");
    // (table, fk column) pairs without an index that starts with that column
    let mut missing = Vec::new();
    match &t.db {
        Db::Sqlite { read, .. } => {
            let tables: Vec<String> = columns(&t.db).await.into_keys().collect();
            for table in tables {
                let fks = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT \"from\" AS c FROM pragma_foreign_key_list('{table}')"
                )))
                .fetch_all(read)
                .await
                .expect("fks");
                let mut leading: BTreeSet<String> = BTreeSet::new();
                let idx = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT name FROM pragma_index_list('{table}')"
                )))
                .fetch_all(read)
                .await
                .expect("indexes");
                for i in idx {
                    let name: String = i.get("name");
                    let first = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT name FROM pragma_index_info('{name}') ORDER BY seqno LIMIT 1"
                    )))
                    .fetch_optional(read)
                    .await
                    .expect("index info");
                    if let Some(f) = first {
                        leading.insert(f.get("name"));
                    }
                }
                for fk in fks {
                    let c: String = fk.get("c");
                    if !leading.contains(&c) {
                        missing.push(format!("{table}.{c}"));
                    }
                }
            }
        }
        Db::Postgres(p) => {
            let rows = sqlx::query(
                "SELECT c.conrelid::regclass::text AS t, a.attname::text AS col \
                 FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
                 WHERE c.contype = 'f' AND NOT EXISTS ( \
                   SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])",
            )
            .fetch_all(p)
            .await
            .expect("fks");
            for r in rows {
                missing.push(format!(
                    "{}.{}",
                    r.get::<String, _>("t"),
                    r.get::<String, _>("col")
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "foreign keys without an index: {missing:?}"
    );
    assert!(matches!(
        t.db.backend(),
        Backend::Sqlite | Backend::Postgres
    ));
}

#[tokio::test]
async fn migrations_are_idempotent_and_safe_to_run_concurrently() {
    let (url, _guard) = testing::fresh_url().await.expect("url");
    // Several "instances" start at once against one empty database.
    let mut tasks = Vec::new();
    let n = if testing::postgres_url().is_some() {
        4
    } else {
        1
    };
    for _ in 0..n {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let db = Db::connect(&url).await.expect("connect");
            db.migrate().await.expect("migrate");
            db.close().await;
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let db = Db::connect(&url).await.expect("connect");
    db.migrate().await.expect("second migrate is a no-op");
    let cols = columns(&db).await;
    assert!(cols.contains_key("work_orders") && cols.contains_key("audit_log"));
    db.close().await;
}
