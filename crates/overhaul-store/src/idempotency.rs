//! Idempotency keys: a POST retried with the same key gets the first response back.

use crate::error::StoreResult;
use crate::schema::IdempotencyKeys;
use crate::{ActorRef, Db};
use chrono::{DateTime, Utc};
use sea_query::{Expr, ExprTrait, Query};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StoredResponse {
    pub request_hash: String,
    pub status_code: Option<i64>,
    pub response_body: Option<String>,
    pub response_headers: Option<String>,
}

/// What a POST with an idempotency key should do.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// First use of the key: run the request, then call [`complete`] (or [`release`]).
    Fresh,
    /// The key was used before: answer with the stored response.
    Replay(StoredResponse),
    /// The key is being used by a request that has not finished.
    InProgress,
    /// The key was used with a different request.
    Mismatch,
}

/// Reserves `key` for this user and request, or tells what happened to it before.
pub async fn claim(
    db: &Db,
    user: Uuid,
    key: &str,
    request_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Claim> {
    // The key row is bookkeeping, not business data: it is not audited.
    let mut tx = db.begin(&ActorRef::system("idempotency"), now).await?;
    let inserted = tx
        .execute_unaudited(
            Query::insert()
                .into_table(IdempotencyKeys::Table)
                .columns([
                    IdempotencyKeys::UserId,
                    IdempotencyKeys::Key,
                    IdempotencyKeys::RequestHash,
                    IdempotencyKeys::CreatedAt,
                ])
                .values_panic([user.into(), key.into(), request_hash.into(), now.into()])
                .on_conflict(
                    sea_query::OnConflict::columns([IdempotencyKeys::UserId, IdempotencyKeys::Key])
                        .do_nothing()
                        .to_owned(),
                ),
        )
        .await?;
    tx.commit().await?;
    if inserted == 1 {
        return Ok(Claim::Fresh);
    }
    let stored: StoredResponse = db
        .fetch_one(
            Query::select()
                .columns([
                    IdempotencyKeys::RequestHash,
                    IdempotencyKeys::StatusCode,
                    IdempotencyKeys::ResponseBody,
                    IdempotencyKeys::ResponseHeaders,
                ])
                .from(IdempotencyKeys::Table)
                .and_where(Expr::col(IdempotencyKeys::UserId).eq(user))
                .and_where(Expr::col(IdempotencyKeys::Key).eq(key)),
        )
        .await?;
    Ok(if stored.request_hash != request_hash {
        Claim::Mismatch
    } else if stored.status_code.is_none() {
        Claim::InProgress
    } else {
        Claim::Replay(stored)
    })
}

/// Stores the response of a request that ran under `key`.
pub async fn complete(
    db: &Db,
    user: Uuid,
    key: &str,
    status: u16,
    body: &str,
    headers: &str,
) -> StoreResult<()> {
    let mut tx = db
        .begin(&ActorRef::system("idempotency"), Utc::now())
        .await?;
    tx.execute_unaudited(
        Query::update()
            .table(IdempotencyKeys::Table)
            .value(IdempotencyKeys::StatusCode, i64::from(status))
            .value(IdempotencyKeys::ResponseBody, body)
            .value(IdempotencyKeys::ResponseHeaders, headers)
            .and_where(Expr::col(IdempotencyKeys::UserId).eq(user))
            .and_where(Expr::col(IdempotencyKeys::Key).eq(key)),
    )
    .await?;
    tx.commit().await
}

/// Frees a key whose request failed without effect (so the client may retry with it).
pub async fn release(db: &Db, user: Uuid, key: &str) -> StoreResult<()> {
    let mut tx = db
        .begin(&ActorRef::system("idempotency"), Utc::now())
        .await?;
    tx.execute_unaudited(
        Query::delete()
            .from_table(IdempotencyKeys::Table)
            .and_where(Expr::col(IdempotencyKeys::UserId).eq(user))
            .and_where(Expr::col(IdempotencyKeys::Key).eq(key))
            .and_where(Expr::col(IdempotencyKeys::StatusCode).is_null()),
    )
    .await?;
    tx.commit().await
}
