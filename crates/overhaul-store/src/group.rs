//! Group commit for SQLite.
//!
//! SQLite has one writer, and with `synchronous=FULL` every commit waits for an fsync of the
//! write-ahead log. Instead of one SQLite transaction (and one fsync) per unit of work, the
//! writer connection keeps an outer transaction open while units of work queue for it: each unit
//! runs inside a savepoint, is released into the outer transaction when it commits, and waits
//! until the outer transaction is committed. The outer transaction commits — one fsync for the
//! whole group — as soon as no other unit is queued, when the group is large or old, or when a
//! unit ends with a rollback and nothing else is queued.
//!
//! Nothing is acknowledged before its group's `COMMIT` returned: a unit's `commit()` only
//! returns `Ok` after that, so a process killed at any moment loses no acknowledged write. If the
//! outer transaction fails (disk full, I/O error) every unit in the group gets the error.
//! A unit sees the released (not yet durable) writes of the units before it in its group; it
//! commits or fails together with them, so nothing it read can outlive them.

use crate::error::{StoreError, StoreResult};
use sqlx::pool::PoolConnection;
use sqlx::{Executor, Sqlite, SqliteConnection, SqlitePool};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

/// At most this many units share one commit.
const MAX_UNITS: usize = 128;
/// A group that has been open this long commits at the next unit's end, queue or not.
const MAX_AGE_MS: u64 = 25;

type Outcome = Result<(), String>;

/// The SQLite write side: the one writer connection's pool and the open group.
pub struct Writer {
    pool: SqlitePool,
    group: Arc<Mutex<Group>>,
    /// Units waiting for the group lock. While one waits, a finishing unit leaves the commit to
    /// a later one.
    queued: AtomicUsize,
    /// Units released into a group, and groups committed, since start (for /metrics and tests).
    units: AtomicU64,
    groups: AtomicU64,
    max_age_ms: AtomicU64,
}

/// Counters of the SQLite writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteStats {
    /// Units of work waiting for the writer now.
    pub queued: usize,
    /// Units committed since start.
    pub units: u64,
    /// Commits (fsyncs) that made them durable.
    pub groups: u64,
}

impl fmt::Debug for Writer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer")
            .field("queued", &self.queued.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
pub(crate) struct Group {
    /// The writer connection while an outer transaction is open on it.
    conn: Option<PoolConnection<Sqlite>>,
    opened: Option<Instant>,
    /// Units released into the outer transaction, waiting for its commit.
    waiters: Vec<oneshot::Sender<Outcome>>,
}

/// Decrements the queue count however the wait for the lock ends (a cancelled request too).
struct Queued<'a>(&'a AtomicUsize);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Writer {
    pub(crate) fn new(pool: SqlitePool) -> Arc<Writer> {
        Arc::new(Writer {
            pool,
            group: Arc::new(Mutex::new(Group::default())),
            queued: AtomicUsize::new(0),
            units: AtomicU64::new(0),
            groups: AtomicU64::new(0),
            max_age_ms: AtomicU64::new(MAX_AGE_MS),
        })
    }

    /// Tests: lets a group stay open longer than a slow machine takes to fill it.
    #[cfg(test)]
    pub(crate) fn set_max_age(&self, ms: u64) {
        self.max_age_ms.store(ms, Ordering::Relaxed);
    }

    pub(crate) fn stats(&self) -> WriteStats {
        WriteStats {
            queued: self.queued.load(Ordering::SeqCst),
            units: self.units.load(Ordering::SeqCst),
            groups: self.groups.load(Ordering::SeqCst),
        }
    }

    /// Starts a unit of work: joins the open group or opens one.
    pub(crate) async fn begin(self: &Arc<Self>) -> StoreResult<Unit> {
        let mut g = {
            self.queued.fetch_add(1, Ordering::SeqCst);
            let _q = Queued(&self.queued);
            self.group.clone().lock_owned().await
        };
        if g.conn.is_none() {
            // The first unit of a group needs no savepoint: if it fails, rolling back the
            // whole (otherwise empty) transaction undoes exactly it.
            let mut c = self.pool.acquire().await?;
            c.execute("BEGIN IMMEDIATE").await?;
            g.conn = Some(c);
            g.opened = Some(Instant::now());
            return Ok(Unit {
                guard: Some(g),
                writer: self.clone(),
                first: true,
            });
        }
        let started = match g.conn.as_mut() {
            Some(c) => c.execute("SAVEPOINT unit").await.map(|_| ()),
            None => unreachable_conn(),
        };
        if let Err(e) = started {
            fail(g, &e.to_string()).await;
            return Err(e.into());
        }
        Ok(Unit {
            guard: Some(g),
            writer: self.clone(),
            first: false,
        })
    }

    fn should_commit(&self, g: &Group) -> bool {
        self.queued.load(Ordering::SeqCst) == 0
            || g.waiters.len() >= MAX_UNITS
            || g.opened.is_some_and(|t| {
                t.elapsed() >= Duration::from_millis(self.max_age_ms.load(Ordering::Relaxed))
            })
    }
}

fn unreachable_conn() -> Result<(), sqlx::Error> {
    Err(sqlx::Error::Protocol(
        "group commit: no open writer connection".into(),
    ))
}

/// One unit of work inside a group (what a `Tx` is on SQLite).
pub(crate) struct Unit {
    guard: Option<OwnedMutexGuard<Group>>,
    writer: Arc<Writer>,
    /// Opened the group: runs without a savepoint.
    first: bool,
}

impl Unit {
    /// The writer connection; an error only if the unit has already ended (a bug).
    pub(crate) fn conn(&mut self) -> StoreResult<&mut SqliteConnection> {
        self.guard
            .as_mut()
            .and_then(|g| g.conn.as_mut())
            .map(|c| &mut **c)
            .ok_or_else(|| StoreError::Corrupt("the unit of work has ended".into()))
    }

    /// Releases the unit into its group and waits until the group is durably committed.
    pub(crate) async fn commit(mut self) -> StoreResult<()> {
        let Some(g) = self.guard.take() else {
            return Err(StoreError::Corrupt("a unit of work ended twice".into()));
        };
        let (tx, rx) = oneshot::channel();
        // In a task of its own, so that a cancelled request cannot stop a release or a commit
        // half-way.
        tokio::spawn(release(g, self.writer.clone(), tx, self.first));
        match rx.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(msg)) => Err(StoreError::NotCommitted(msg)),
            Err(_) => Err(StoreError::NotCommitted(
                "the group ended without an answer".into(),
            )),
        }
    }

    /// Undoes the unit's writes; the rest of the group is unaffected.
    pub(crate) async fn rollback(mut self) -> StoreResult<()> {
        match self.guard.take() {
            Some(g) => tokio::spawn(end_without_commit(g, self.writer.clone(), self.first))
                .await
                .map_err(|e| StoreError::Corrupt(format!("rollback: {e}")))?,
            None => Ok(()),
        }
    }
}

impl Drop for Unit {
    fn drop(&mut self) {
        // Dropped without commit or rollback (an early return on an error, or a cancelled
        // request): undo the unit in a task, since the statements are asynchronous.
        if let Some(g) = self.guard.take() {
            let writer = self.writer.clone();
            let first = self.first;
            match tokio::runtime::Handle::try_current() {
                Ok(h) => {
                    h.spawn(async move {
                        let _ = end_without_commit(g, writer, first).await;
                    });
                }
                Err(_) => {
                    // No runtime (process shutting down): fail the group rather than leave
                    // its waiters hanging; the uncommitted outer transaction is discarded with
                    // the connection.
                    let mut g = g;
                    for w in g.waiters.drain(..) {
                        let _ = w.send(Err("the process is shutting down".into()));
                    }
                    if let Some(c) = g.conn.take() {
                        drop(c.detach());
                    }
                }
            }
        }
    }
}

async fn release(
    mut g: OwnedMutexGuard<Group>,
    writer: Arc<Writer>,
    tx: oneshot::Sender<Outcome>,
    first: bool,
) {
    let released = match g.conn.as_mut() {
        Some(_) if first => Ok(()),
        Some(c) => c.execute("RELEASE unit").await.map(|_| ()),
        None => unreachable_conn(),
    };
    g.waiters.push(tx);
    if let Err(e) = released {
        // The outer transaction is gone (SQLite rolls it back after a severe error).
        fail(g, &e.to_string()).await;
    } else if writer.should_commit(&g) {
        commit_group(g, &writer).await;
    }
}

async fn end_without_commit(
    mut g: OwnedMutexGuard<Group>,
    writer: Arc<Writer>,
    first: bool,
) -> StoreResult<()> {
    if first {
        // Nothing else is in the group yet: undo the whole transaction.
        fail(g, "rolled back").await;
        return Ok(());
    }
    let undone = match g.conn.as_mut() {
        Some(c) => match c.execute("ROLLBACK TO unit").await {
            Ok(_) => c.execute("RELEASE unit").await.map(|_| ()),
            Err(e) => Err(e),
        },
        None => unreachable_conn(),
    };
    if let Err(e) = undone {
        fail(g, &e.to_string()).await;
        return Err(e.into());
    }
    if writer.should_commit(&g) {
        commit_group(g, &writer).await;
    }
    Ok(())
}

/// Commits the outer transaction and tells every waiting unit the outcome.
async fn commit_group(mut g: OwnedMutexGuard<Group>, writer: &Writer) {
    let Some(mut c) = g.conn.take() else { return };
    g.opened = None;
    match c.execute("COMMIT").await {
        Ok(_) => {
            writer.groups.fetch_add(1, Ordering::SeqCst);
            writer
                .units
                .fetch_add(g.waiters.len() as u64, Ordering::SeqCst);
            for w in g.waiters.drain(..) {
                let _ = w.send(Ok(()));
            }
        }
        Err(e) => {
            let msg = e.to_string();
            tracing::error!(error = %msg, "group commit failed; every write of the group is refused");
            g.conn = Some(c);
            fail(g, &msg).await;
        }
    }
}

/// Ends a broken group: rolls the outer transaction back and refuses every waiting unit.
async fn fail(mut g: OwnedMutexGuard<Group>, msg: &str) {
    g.opened = None;
    if let Some(mut c) = g.conn.take()
        && c.execute("ROLLBACK").await.is_err()
    {
        // The connection's state is unknown: close it; the pool opens a fresh one.
        drop(c.detach());
    }
    for w in g.waiters.drain(..) {
        let _ = w.send(Err(msg.to_owned()));
    }
}
