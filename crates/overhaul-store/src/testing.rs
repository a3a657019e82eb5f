//! Fresh databases for tests, on the backend chosen by the environment.
//!
//! Without `OVERHAUL_TEST_DATABASE_URL`, each test gets a SQLite file in its own temporary
//! directory. With `OVERHAUL_TEST_DATABASE_URL=postgres://…/postgres`, each test gets a new
//! PostgreSQL database on that server, dropped when the test ends.

use crate::{Db, StoreResult};
use std::path::PathBuf;

pub const ENV: &str = "OVERHAUL_TEST_DATABASE_URL";

pub struct TestDb {
    pub db: Db,
    pub url: String,
    dir: Option<PathBuf>,
    pg: Option<(String, String)>,
}

/// The PostgreSQL server URL tests should use, if any.
pub fn postgres_url() -> Option<String> {
    std::env::var(ENV)
        .ok()
        .filter(|u| u.starts_with("postgres"))
}

/// A URL for a brand-new database (not yet connected), with its cleanup guard.
pub async fn fresh_url() -> StoreResult<(String, Cleanup)> {
    match postgres_url() {
        Some(admin) => {
            let name = format!("ovt_{}", uuid::Uuid::now_v7().simple());
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect(&admin)
                .await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&pool)
                .await?;
            pool.close().await;
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b.to_owned())
                .unwrap_or(admin.clone());
            Ok((
                format!("{base}/{name}"),
                Cleanup {
                    dir: None,
                    pg: Some((admin, name)),
                },
            ))
        }
        None => {
            let dir = std::env::temp_dir()
                .join(format!("overhaul-test-{}", uuid::Uuid::now_v7().simple()));
            std::fs::create_dir_all(&dir)?;
            let url = format!("sqlite://{}/test.db", dir.display());
            Ok((
                url,
                Cleanup {
                    dir: Some(dir),
                    pg: None,
                },
            ))
        }
    }
}

/// A connected, migrated, empty database.
pub async fn fresh() -> StoreResult<TestDb> {
    let (url, mut c) = fresh_url().await?;
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    Ok(TestDb {
        db,
        url,
        dir: c.dir.take(),
        pg: c.pg.take(),
    })
}

/// Removes a test database when dropped.
pub struct Cleanup {
    dir: Option<PathBuf>,
    pg: Option<(String, String)>,
}

fn drop_pg(admin: String, name: String) {
    // Drop runs outside async code: use a private runtime on a plain thread.
    let _ = std::thread::spawn(move || {
        if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            rt.block_on(async {
                if let Ok(pool) = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect(&admin)
                    .await
                {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&pool)
                    .await;
                    pool.close().await;
                }
            });
        }
    })
    .join();
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(d) = self.dir.take() {
            let _ = std::fs::remove_dir_all(d);
        }
        if let Some((admin, name)) = self.pg.take() {
            drop_pg(admin, name);
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(d) = self.dir.take() {
            let _ = std::fs::remove_dir_all(d);
        }
        if let Some((admin, name)) = self.pg.take() {
            drop_pg(admin, name);
        }
    }
}
