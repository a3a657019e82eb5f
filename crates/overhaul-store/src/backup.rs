//! Online backup and restore.
//!
//! SQLite: `VACUUM INTO` writes a consistent, compact copy of the live database to a new file;
//! restoring copies such a file into place. PostgreSQL: a logical dump of Overhaul's own tables
//! as JSON lines, read inside one `REPEATABLE READ` snapshot; restoring loads it into a freshly
//! migrated, empty database in one transaction.

use crate::schema::TABLES;
use crate::{Db, StoreError, StoreResult};
use sqlx::{AssertSqlSafe, Row};
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;

const FORMAT: &str = "overhaul-backup-v1";

/// Columns computed by the database, never restored.
const GENERATED: &[(&str, &str)] = &[("work_orders", "search")];
/// Links that form a cycle between tables; restored in a second pass.
const DEFERRED: &[(&str, &str)] = &[("work_requests", "work_order_id")];

/// Order rows so parents come before children within one table.
fn order_by(table: &str) -> &'static str {
    match table {
        "assets" => " ORDER BY length(path), id",
        "audit_log" => " ORDER BY seq",
        _ => "",
    }
}

/// Writes a backup of the live database to `file` (which must not exist). Returns rows written
/// (PostgreSQL) or 0 (SQLite, a file copy).
pub async fn backup(db: &Db, file: &Path) -> StoreResult<u64> {
    if file.exists() {
        return Err(StoreError::Conflict(format!(
            "{} already exists",
            file.display()
        )));
    }
    match db {
        Db::Sqlite { write, .. } => {
            let target = file.to_string_lossy().to_string();
            sqlx::query("VACUUM INTO ?")
                .bind(target)
                .execute(write)
                .await?;
            Ok(0)
        }
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .execute(&mut *tx)
                .await?;
            let out = std::fs::File::create_new(file)?;
            let mut w = BufWriter::new(out);
            writeln!(
                w,
                "{}",
                serde_json::json!({ "format": FORMAT, "backend": "postgres" })
            )?;
            let mut n = 0_u64;
            for table in TABLES {
                let sql = format!(
                    "SELECT row_to_json(t)::text AS j FROM {table} t{}",
                    order_by(table)
                );
                let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(&mut *tx).await?;
                for r in rows {
                    let j: String = r.try_get("j")?;
                    writeln!(w, "{{\"table\":\"{table}\",\"row\":{j}}}")?;
                    n += 1;
                }
            }
            w.flush()?;
            w.get_ref().sync_all()?;
            tx.commit().await?;
            Ok(n)
        }
    }
}

/// Restores a PostgreSQL backup into `db`, which must be migrated and hold no data yet.
pub async fn restore_postgres(db: &Db, file: &Path) -> StoreResult<u64> {
    let Db::Postgres(pool) = db else {
        return Err(StoreError::Conflict("not a PostgreSQL database".into()));
    };
    let f = std::fs::File::open(file)?;
    let mut lines = std::io::BufReader::new(f).lines();
    let header: serde_json::Value =
        serde_json::from_str(&lines.next().transpose()?.unwrap_or_default())
            .map_err(|_| StoreError::Corrupt("not an Overhaul backup file".into()))?;
    if header.get("format").and_then(|v| v.as_str()) != Some(FORMAT) {
        return Err(StoreError::Corrupt(
            "not an Overhaul PostgreSQL backup (a SQLite backup is restored by copying the file)"
                .into(),
        ));
    }
    let mut tx = pool.begin().await?;
    for t in ["sites", "users", "assets", "work_orders", "audit_log"] {
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {t}) AS e");
        let row = sqlx::query(AssertSqlSafe(sql)).fetch_one(&mut *tx).await?;
        if row.try_get::<bool, _>("e")? {
            return Err(StoreError::Conflict(format!(
                "the target database already holds data (table {t}); restore into an empty database"
            )));
        }
    }
    // Reference data and the chain head come from the backup.
    sqlx::query("DELETE FROM failure_codes")
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM audit_head")
        .execute(&mut *tx)
        .await?;
    let mut deferred: Vec<(String, String, serde_json::Value, serde_json::Value)> = Vec::new();
    let mut n = 0_u64;
    for line in lines {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(&line)
            .map_err(|e| StoreError::Corrupt(format!("backup line {}: {e}", n + 2)))?;
        let table = v
            .get("table")
            .and_then(|t| t.as_str())
            .unwrap_or_default()
            .to_owned();
        if !TABLES.contains(&table.as_str()) {
            return Err(StoreError::Corrupt(format!(
                "backup names an unknown table '{table}'"
            )));
        }
        let mut row = v.get("row").cloned().unwrap_or_default();
        let Some(obj) = row.as_object_mut() else {
            return Err(StoreError::Corrupt(format!(
                "backup line {}: no row",
                n + 2
            )));
        };
        for (t, c) in GENERATED {
            if *t == table {
                obj.remove(*c);
            }
        }
        for (t, c) in DEFERRED {
            if *t == table
                && let Some(val) = obj.get(*c).cloned()
                && !val.is_null()
            {
                obj.insert((*c).to_owned(), serde_json::Value::Null);
                let id = obj.get("id").cloned().unwrap_or_default();
                deferred.push((table.clone(), (*c).to_owned(), id, val));
            }
        }
        // Column names come from our own table list and are checked to be plain identifiers.
        let cols: Vec<String> = obj.keys().cloned().collect();
        if cols
            .iter()
            .any(|c| !c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'))
        {
            return Err(StoreError::Corrupt(format!(
                "backup line {}: bad column name",
                n + 2
            )));
        }
        let list = cols.join(", ");
        let sql = format!(
            "INSERT INTO {table} ({list}) SELECT {list} FROM json_populate_record(NULL::{table}, $1::json)"
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(row.to_string())
            .execute(&mut *tx)
            .await?;
        n += 1;
    }
    for (table, col, id, val) in deferred {
        let sql = format!(
            "UPDATE {table} SET {col} = ($1::json #>> '{{}}')::uuid WHERE id = ($2::json #>> '{{}}')::uuid"
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(val.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(n)
}

/// Restores a SQLite backup by copying it to `target` (which must not exist yet).
pub fn restore_sqlite(file: &Path, target: &Path) -> StoreResult<()> {
    if target.exists() {
        return Err(StoreError::Conflict(format!(
            "{} already exists; restore into a new file",
            target.display()
        )));
    }
    let mut head = [0u8; 16];
    use std::io::Read;
    std::fs::File::open(file)?.read_exact(&mut head)?;
    if &head != b"SQLite format 3\0" {
        return Err(StoreError::Corrupt(format!(
            "{} is not a SQLite backup",
            file.display()
        )));
    }
    std::fs::copy(file, target)?;
    Ok(())
}
