//! The database handle and transaction type shared by both backends.

use crate::ActorRef;
use crate::audit::PendingAudit;
use crate::error::{StoreError, StoreResult};
use crate::group::{Unit, Writer};
use chrono::{DateTime, Utc};
use sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};
use sea_query_sqlx::SqlxBinder;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, FromRow, Postgres};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// A row type that decodes from both backends.
pub trait Rows: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Rows for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connected database. SQLite keeps one writer connection (SQLite allows one writer at a time;
/// queueing in the pool avoids `SQLITE_BUSY`) and a pool of readers; PostgreSQL has one pool.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite {
        write: SqlitePool,
        read: SqlitePool,
        path: String,
        /// Units of work on `write`, committed in groups (see [`crate::group`]).
        group: Arc<Writer>,
    },
    Postgres(PgPool),
}

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// Connects to `sqlite://path` or `postgres://…`. A SQLite file is created when missing.
    pub async fn connect(url: &str) -> StoreResult<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // Custom plans for every execution: with the generic plan PostgreSQL picks after
            // five runs of a prepared statement, the work-order list (a subtree filter whose
            // selectivity depends on the asset) took 13 ms at p95 instead of 4.6 ms.
            let opts = PgConnectOptions::from_str(url)?
                .options([("plan_cache_mode", "force_custom_plan")]);
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Db::Postgres(pool))
        } else if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//").to_owned();
            if path.is_empty() || path.contains(":memory:") || path.contains("mode=memory") {
                return Err(StoreError::Corrupt(
                    "an in-memory SQLite database is not supported: give a file path".into(),
                ));
            }
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: a commit is on disk (WAL fsynced) before it is acknowledged.
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts.clone())
                .await?;
            let read = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts.read_only(true))
                .await?;
            let group = Writer::new(write.clone());
            Ok(Db::Sqlite {
                write,
                read,
                path,
                group,
            })
        } else {
            Err(StoreError::Corrupt(format!(
                "unsupported database URL '{}': use sqlite://FILE or postgres://…",
                url.split('@').next_back().unwrap_or("")
            )))
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies pending migrations. On PostgreSQL the migrator holds an advisory lock, so several
    /// instances starting at once apply each migration exactly once.
    pub async fn migrate(&self) -> StoreResult<()> {
        match self {
            Db::Sqlite { write, .. } => SQLITE_MIGRATOR.run(write).await?,
            Db::Postgres(p) => POSTGRES_MIGRATOR.run(p).await?,
        }
        crate::dialect::seed_reference_data(self).await
    }

    /// SQLite only: `false` relaxes fsync to the end of each WAL checkpoint (for bulk seeding
    /// of a demo, where losing the last commits on power loss is acceptable); `true` restores
    /// the durable default.
    pub async fn set_durable(&self, durable: bool) -> StoreResult<()> {
        if let Db::Sqlite { write, .. } = self {
            let sql = if durable {
                "PRAGMA synchronous = FULL"
            } else {
                "PRAGMA synchronous = NORMAL"
            };
            sqlx::query(sql).execute(write).await?;
        }
        Ok(())
    }

    /// SQLite only: the group-commit counters of the writer.
    pub fn write_stats(&self) -> Option<crate::WriteStats> {
        match self {
            Db::Sqlite { group, .. } => Some(group.stats()),
            Db::Postgres(_) => None,
        }
    }

    /// True when the database answers.
    pub async fn ping(&self) -> bool {
        match self {
            Db::Sqlite { read, .. } => sqlx::query("SELECT 1").execute(read).await.is_ok(),
            Db::Postgres(p) => sqlx::query("SELECT 1").execute(p).await.is_ok(),
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { write, read, .. } => {
                read.close().await;
                write.close().await;
            }
            Db::Postgres(p) => p.close().await,
        }
    }

    pub async fn fetch_all<T: Rows, S: SqlxBinder>(&self, stmt: &S) -> StoreResult<Vec<T>> {
        match self {
            Db::Sqlite { read, .. } => {
                let (sql, values) = stmt.build_sqlx(SqliteQueryBuilder);
                Ok(sqlx::query_as_with::<_, T, _>(AssertSqlSafe(sql), values)
                    .fetch_all(read)
                    .await?)
            }
            Db::Postgres(p) => {
                let (sql, values) = stmt.build_sqlx(PostgresQueryBuilder);
                Ok(sqlx::query_as_with::<_, T, _>(AssertSqlSafe(sql), values)
                    .fetch_all(p)
                    .await?)
            }
        }
    }

    pub async fn fetch_optional<T: Rows, S: SqlxBinder>(&self, stmt: &S) -> StoreResult<Option<T>> {
        match self {
            Db::Sqlite { read, .. } => {
                let (sql, values) = stmt.build_sqlx(SqliteQueryBuilder);
                Ok(sqlx::query_as_with::<_, T, _>(AssertSqlSafe(sql), values)
                    .fetch_optional(read)
                    .await?)
            }
            Db::Postgres(p) => {
                let (sql, values) = stmt.build_sqlx(PostgresQueryBuilder);
                Ok(sqlx::query_as_with::<_, T, _>(AssertSqlSafe(sql), values)
                    .fetch_optional(p)
                    .await?)
            }
        }
    }

    pub async fn fetch_one<T: Rows, S: SqlxBinder>(&self, stmt: &S) -> StoreResult<T> {
        self.fetch_optional(stmt).await?.ok_or(StoreError::NotFound)
    }

    /// Starts a transaction whose writes are attributed to `actor` at `now`.
    pub async fn begin(&self, actor: &ActorRef, now: DateTime<Utc>) -> StoreResult<Tx> {
        let inner = match self {
            Db::Sqlite { group, .. } => TxInner::Sqlite(group.begin().await?),
            Db::Postgres(p) => TxInner::Postgres(p.begin().await?),
        };
        Ok(Tx {
            inner,
            actor: actor.clone(),
            now: overhaul_core::time::micros(now),
            writes: 0,
            audit: Vec::new(),
        })
    }
}

pub(crate) enum Conn<'a> {
    Sqlite(&'a mut sqlx::SqliteConnection),
    Postgres(&'a mut sqlx::PgConnection),
}

enum TxInner {
    Sqlite(Unit),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

/// A unit of work. Writes made through it are committed together with their audit records; a
/// transaction that wrote something but recorded no audit entry refuses to commit.
pub struct Tx {
    inner: TxInner,
    actor: ActorRef,
    now: DateTime<Utc>,
    writes: usize,
    audit: Vec<PendingAudit>,
}

impl Tx {
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    pub fn actor(&self) -> &ActorRef {
        &self.actor
    }

    pub fn backend(&self) -> Backend {
        match self.inner {
            TxInner::Sqlite(_) => Backend::Sqlite,
            TxInner::Postgres(_) => Backend::Postgres,
        }
    }

    /// Records an audit entry to be appended to the chain at commit.
    pub fn audit(&mut self, entry: PendingAudit) {
        self.audit.push(entry);
    }

    pub(crate) async fn execute<S: SqlxBinder>(&mut self, stmt: &S) -> StoreResult<u64> {
        let n = self.execute_unaudited(stmt).await?;
        // A statement that changed no row wrote nothing that needs an audit record.
        if n > 0 {
            self.writes += 1;
        }
        Ok(n)
    }

    /// For the audit chain itself and for reference data.
    pub(crate) async fn execute_unaudited<S: SqlxBinder>(&mut self, stmt: &S) -> StoreResult<u64> {
        let n = match &mut self.inner {
            TxInner::Sqlite(tx) => {
                let (sql, values) = stmt.build_sqlx(SqliteQueryBuilder);
                sqlx::query_with(AssertSqlSafe(sql), values)
                    .execute(tx.conn()?)
                    .await?
                    .rows_affected()
            }
            TxInner::Postgres(tx) => {
                let (sql, values) = stmt.build_sqlx(PostgresQueryBuilder);
                sqlx::query_with(AssertSqlSafe(sql), values)
                    .execute(&mut **tx)
                    .await?
                    .rows_affected()
            }
        };
        Ok(n)
    }

    /// The raw connection, for the few hand-written statements of [`crate::dialect`] (bulk
    /// insert of sensor readings). Nothing written through it is audited, so only measurement
    /// tables may be written this way.
    pub(crate) fn conn(&mut self) -> StoreResult<Conn<'_>> {
        Ok(match &mut self.inner {
            TxInner::Sqlite(tx) => Conn::Sqlite(tx.conn()?),
            TxInner::Postgres(tx) => Conn::Postgres(tx),
        })
    }

    pub async fn fetch_all<T: Rows, S: SqlxBinder>(&mut self, stmt: &S) -> StoreResult<Vec<T>> {
        match &mut self.inner {
            TxInner::Sqlite(tx) => {
                let (sql, values) = stmt.build_sqlx(SqliteQueryBuilder);
                Ok(sqlx::query_as_with::<_, T, _>(AssertSqlSafe(sql), values)
                    .fetch_all(tx.conn()?)
                    .await?)
            }
            TxInner::Postgres(tx) => {
                let (sql, values) = stmt.build_sqlx(PostgresQueryBuilder);
                Ok(sqlx::query_as_with::<_, T, _>(AssertSqlSafe(sql), values)
                    .fetch_all(&mut **tx)
                    .await?)
            }
        }
    }

    pub async fn fetch_optional<T: Rows, S: SqlxBinder>(
        &mut self,
        stmt: &S,
    ) -> StoreResult<Option<T>> {
        match &mut self.inner {
            TxInner::Sqlite(tx) => {
                let (sql, values) = stmt.build_sqlx(SqliteQueryBuilder);
                Ok(sqlx::query_as_with::<_, T, _>(AssertSqlSafe(sql), values)
                    .fetch_optional(tx.conn()?)
                    .await?)
            }
            TxInner::Postgres(tx) => {
                let (sql, values) = stmt.build_sqlx(PostgresQueryBuilder);
                Ok(sqlx::query_as_with::<_, T, _>(AssertSqlSafe(sql), values)
                    .fetch_optional(&mut **tx)
                    .await?)
            }
        }
    }

    pub async fn fetch_one<T: Rows, S: SqlxBinder>(&mut self, stmt: &S) -> StoreResult<T> {
        self.fetch_optional(stmt).await?.ok_or(StoreError::NotFound)
    }

    /// Appends the pending audit records to the chain and commits.
    pub async fn commit(mut self) -> StoreResult<()> {
        if self.writes > 0 && self.audit.is_empty() {
            return Err(StoreError::Corrupt(
                "a transaction wrote business data without an audit record".into(),
            ));
        }
        let pending = std::mem::take(&mut self.audit);
        if !pending.is_empty() {
            crate::audit::append(&mut self, pending).await?;
        }
        match self.inner {
            TxInner::Sqlite(tx) => tx.commit().await?,
            TxInner::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> StoreResult<()> {
        match self.inner {
            TxInner::Sqlite(tx) => tx.rollback().await?,
            TxInner::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::schema::Counters;
    use crate::{ActorRef, StoreError, testing};
    use sea_query::{ExprTrait, Query};

    #[tokio::test]
    async fn a_write_without_an_audit_record_cannot_commit() {
        let t = testing::fresh().await.expect("db");
        let mut tx =
            t.db.begin(&ActorRef::system("test"), chrono::Utc::now())
                .await
                .expect("begin");
        tx.execute(
            Query::insert()
                .into_table(Counters::Table)
                .columns([Counters::Name, Counters::Value])
                .values_panic(["sneaky".into(), 1_i64.into()]),
        )
        .await
        .expect("insert");
        assert!(matches!(tx.commit().await, Err(StoreError::Corrupt(_))));
        // nothing was written
        #[derive(sqlx::FromRow)]
        struct N {
            n: i64,
        }
        let n: N =
            t.db.fetch_one(
                Query::select()
                    .expr_as(sea_query::Expr::cust("COUNT(*)"), "n")
                    .from(Counters::Table),
            )
            .await
            .expect("count");
        assert_eq!(n.n, 0);
    }

    async fn insert_counter(db: crate::Db, name: String, fail: bool) -> crate::StoreResult<()> {
        let mut tx = db
            .begin(&ActorRef::system("test"), chrono::Utc::now())
            .await?;
        tx.execute(
            Query::insert()
                .into_table(Counters::Table)
                .columns([Counters::Name, Counters::Value])
                .values_panic([name.clone().into(), 1_i64.into()]),
        )
        .await?;
        tx.audit(crate::audit::PendingAudit::new("test", "counter", &name));
        if fail {
            // an error after a write: the unit is dropped without commit
            return Err(StoreError::Stale);
        }
        tx.commit().await
    }

    async fn counter_names(db: &crate::Db) -> Vec<String> {
        #[derive(sqlx::FromRow)]
        struct N {
            name: String,
        }
        let rows: Vec<N> = db
            .fetch_all(
                Query::select()
                    .column(Counters::Name)
                    .from(Counters::Table)
                    .and_where(sea_query::Expr::col(Counters::Name).like("u%"))
                    .order_by(Counters::Name, sea_query::Order::Asc),
            )
            .await
            .expect("names");
        rows.into_iter().map(|r| r.name).collect()
    }

    /// Holds the writer with an open unit until `n` others queue behind it.
    async fn wait_queued(db: &crate::Db, n: usize) {
        for _ in 0..10_000 {
            if db.write_stats().expect("sqlite").queued == n {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        panic!("{n} units never queued");
    }

    fn sqlite_group(db: &crate::Db) -> Option<&crate::group::Writer> {
        match db {
            crate::Db::Sqlite { group, .. } => Some(group),
            crate::Db::Postgres(_) => None,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queued_units_share_one_commit_and_every_one_is_stored() {
        let t = testing::fresh().await.expect("db");
        let Some(w) = sqlite_group(&t.db) else { return };
        w.set_max_age(60_000);
        let before = t.db.write_stats().expect("sqlite");
        let mut first =
            t.db.begin(&ActorRef::system("test"), chrono::Utc::now())
                .await
                .expect("begin");
        first
            .execute(
                Query::insert()
                    .into_table(Counters::Table)
                    .columns([Counters::Name, Counters::Value])
                    .values_panic(["u0".into(), 1_i64.into()]),
            )
            .await
            .expect("insert");
        first.audit(crate::audit::PendingAudit::new("test", "counter", "u0"));
        let others: Vec<_> = (1..8)
            .map(|i| tokio::spawn(insert_counter(t.db.clone(), format!("u{i}"), false)))
            .collect();
        wait_queued(&t.db, 7).await;
        first.commit().await.expect("first commits");
        for h in others {
            h.await.expect("join").expect("commit");
        }
        let after = t.db.write_stats().expect("sqlite");
        assert_eq!(after.units - before.units, 8);
        assert_eq!(after.groups - before.groups, 1, "eight units, one fsync");
        assert_eq!(
            counter_names(&t.db).await,
            (0..8).map(|i| format!("u{i}")).collect::<Vec<_>>()
        );
        let v = crate::audit::verify(&t.db).await.expect("verify");
        assert!(
            matches!(v, crate::audit::Verification::Intact { .. }),
            "{v:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_unit_leaves_the_rest_of_its_group_intact() {
        let t = testing::fresh().await.expect("db");
        let Some(w) = sqlite_group(&t.db) else { return };
        w.set_max_age(60_000);
        let hold =
            t.db.begin(&ActorRef::system("test"), chrono::Utc::now())
                .await
                .expect("begin");
        let a = tokio::spawn(insert_counter(t.db.clone(), "ua".into(), false));
        wait_queued(&t.db, 1).await;
        let b = tokio::spawn(insert_counter(t.db.clone(), "ub".into(), true));
        wait_queued(&t.db, 2).await;
        let c = tokio::spawn(insert_counter(t.db.clone(), "uc".into(), false));
        wait_queued(&t.db, 3).await;
        hold.commit().await.expect("nothing written, commits");
        a.await.expect("join").expect("a commits");
        assert!(matches!(b.await.expect("join"), Err(StoreError::Stale)));
        c.await.expect("join").expect("c commits");
        assert_eq!(counter_names(&t.db).await, vec!["ua", "uc"]);
        let v = crate::audit::verify(&t.db).await.expect("verify");
        assert!(
            matches!(v, crate::audit::Verification::Intact { .. }),
            "{v:?}"
        );
        // The writer is free again: a later unit commits on its own.
        insert_counter(t.db.clone(), "ud".into(), false)
            .await
            .expect("later unit");
        assert_eq!(counter_names(&t.db).await, vec!["ua", "uc", "ud"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_unit_sees_the_writes_of_the_units_before_it_in_its_group() {
        let t = testing::fresh().await.expect("db");
        let Some(w) = sqlite_group(&t.db) else { return };
        w.set_max_age(60_000);
        let mut first =
            t.db.begin(&ActorRef::system("test"), chrono::Utc::now())
                .await
                .expect("begin");
        first
            .execute(
                Query::insert()
                    .into_table(Counters::Table)
                    .columns([Counters::Name, Counters::Value])
                    .values_panic(["ux".into(), 1_i64.into()]),
            )
            .await
            .expect("insert");
        first.audit(crate::audit::PendingAudit::new("test", "counter", "ux"));
        let db = t.db.clone();
        let second = tokio::spawn(async move {
            let mut tx = db
                .begin(&ActorRef::system("test"), chrono::Utc::now())
                .await?;
            #[derive(sqlx::FromRow)]
            struct V {
                value: i64,
            }
            let v: V = tx
                .fetch_one(
                    Query::select()
                        .column(Counters::Value)
                        .from(Counters::Table)
                        .and_where(sea_query::Expr::col(Counters::Name).eq("ux")),
                )
                .await?;
            tx.commit().await?;
            Ok::<i64, StoreError>(v.value)
        });
        wait_queued(&t.db, 1).await;
        // Not yet durable, so not visible to readers outside the group.
        assert!(counter_names(&t.db).await.is_empty());
        first.commit().await.expect("commit");
        assert_eq!(second.await.expect("join").expect("second"), 1);
        assert_eq!(counter_names(&t.db).await, vec!["ux"]);
    }
}
