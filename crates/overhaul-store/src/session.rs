//! Browser sessions (only the SHA-256 of the cookie secret is stored) and the failed-login
//! counters that throttle password guessing. Both live in the database so that several
//! instances behind a load balancer share them.

use crate::audit::PendingAudit;
use crate::db::Tx;
use crate::error::StoreResult;
use crate::schema::{LoginThrottle, Sessions};
use crate::{ActorRef, Db};
use chrono::{DateTime, Utc};
use sea_query::{Expr, ExprTrait, OnConflict, Query};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Session {
    pub id: Uuid,
    #[serde(skip)]
    pub token_hash: String,
    pub user_id: Uuid,
    #[serde(skip)]
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

const COLS: [Sessions; 9] = [
    Sessions::Id,
    Sessions::TokenHash,
    Sessions::UserId,
    Sessions::CsrfToken,
    Sessions::CreatedAt,
    Sessions::LastSeenAt,
    Sessions::ExpiresAt,
    Sessions::Ip,
    Sessions::UserAgent,
];

/// Opens a session; the login is audited (the secret and CSRF token are not written there).
pub async fn insert(tx: &mut Tx, s: &Session) -> StoreResult<()> {
    tx.execute(
        Query::insert()
            .into_table(Sessions::Table)
            .columns(COLS)
            .values_panic([
                s.id.into(),
                s.token_hash.clone().into(),
                s.user_id.into(),
                s.csrf_token.clone().into(),
                s.created_at.into(),
                s.last_seen_at.into(),
                s.expires_at.into(),
                s.ip.clone().into(),
                s.user_agent.clone().into(),
            ]),
    )
    .await?;
    tx.audit(PendingAudit::new("login", "session", s.id).new_value(s));
    Ok(())
}

/// The live (not expired) session with this secret's hash.
pub async fn by_hash(db: &Db, hash: &str, now: DateTime<Utc>) -> StoreResult<Option<Session>> {
    db.fetch_optional(
        Query::select()
            .columns(COLS)
            .from(Sessions::Table)
            .and_where(Expr::col(Sessions::TokenHash).eq(hash))
            .and_where(Expr::col(Sessions::ExpiresAt).gt(now)),
    )
    .await
}

/// Slides the idle expiry forward. Bookkeeping, not a business change: not audited.
pub async fn touch(
    db: &Db,
    id: Uuid,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    let mut tx = db.begin(&ActorRef::system("session"), now).await?;
    tx.execute_unaudited(
        Query::update()
            .table(Sessions::Table)
            .value(Sessions::LastSeenAt, now)
            .value(Sessions::ExpiresAt, expires_at)
            .and_where(Expr::col(Sessions::Id).eq(id)),
    )
    .await?;
    tx.commit().await
}

/// Ends a session (logout), audited.
pub async fn delete(tx: &mut Tx, s: &Session) -> StoreResult<()> {
    tx.execute(
        Query::delete()
            .from_table(Sessions::Table)
            .and_where(Expr::col(Sessions::Id).eq(s.id)),
    )
    .await?;
    tx.audit(PendingAudit::new("logout", "session", s.id).old(s));
    Ok(())
}

/// Removes sessions that expired before `now`; returns how many.
pub async fn purge_expired(db: &Db, now: DateTime<Utc>) -> StoreResult<u64> {
    let mut tx = db.begin(&ActorRef::system("session"), now).await?;
    let n = tx
        .execute_unaudited(
            Query::delete()
                .from_table(Sessions::Table)
                .and_where(Expr::col(Sessions::ExpiresAt).lte(now)),
        )
        .await?;
    tx.commit().await?;
    Ok(n)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Throttle {
    pub key: String,
    pub failures: i64,
    pub window_started_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
}

pub async fn throttle(db: &Db, key: &str) -> StoreResult<Option<Throttle>> {
    db.fetch_optional(
        Query::select()
            .columns([
                LoginThrottle::Key,
                LoginThrottle::Failures,
                LoginThrottle::WindowStartedAt,
                LoginThrottle::LockedUntil,
            ])
            .from(LoginThrottle::Table)
            .and_where(Expr::col(LoginThrottle::Key).eq(key)),
    )
    .await
}

/// Stores a key's counter as decided by the caller (bookkeeping: not audited).
pub async fn put_throttle(db: &Db, t: &Throttle, now: DateTime<Utc>) -> StoreResult<()> {
    let mut tx = db.begin(&ActorRef::system("login"), now).await?;
    tx.execute_unaudited(
        Query::insert()
            .into_table(LoginThrottle::Table)
            .columns([
                LoginThrottle::Key,
                LoginThrottle::Failures,
                LoginThrottle::WindowStartedAt,
                LoginThrottle::LockedUntil,
            ])
            .values_panic([
                t.key.clone().into(),
                t.failures.into(),
                t.window_started_at.into(),
                t.locked_until.into(),
            ])
            .on_conflict(
                OnConflict::column(LoginThrottle::Key)
                    .update_columns([
                        LoginThrottle::Failures,
                        LoginThrottle::WindowStartedAt,
                        LoginThrottle::LockedUntil,
                    ])
                    .to_owned(),
            ),
    )
    .await?;
    tx.commit().await
}

pub async fn clear_throttle(db: &Db, key: &str, now: DateTime<Utc>) -> StoreResult<()> {
    let mut tx = db.begin(&ActorRef::system("login"), now).await?;
    tx.execute_unaudited(
        Query::delete()
            .from_table(LoginThrottle::Table)
            .and_where(Expr::col(LoginThrottle::Key).eq(key)),
    )
    .await?;
    tx.commit().await
}
