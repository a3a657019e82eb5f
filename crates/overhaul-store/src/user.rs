//! Users, their roles per site, and API tokens (stored as SHA-256 hashes only).

use crate::Db;
use crate::audit::PendingAudit;
use crate::db::Tx;
use crate::error::StoreResult;
use crate::schema::{ApiTokens, UserRoles, Users};
use chrono::{DateTime, Utc};
use sea_query::{Expr, ExprTrait, Order, Query};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub is_active: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RoleGrant {
    pub id: Uuid,
    pub user_id: Uuid,
    /// `null` = the role applies at every site.
    pub site_id: Option<Uuid>,
    pub role: String,
    pub created_at: DateTime<Utc>,
}

/// An API token's record. The secret itself is never stored; its hash is never shown.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    #[serde(skip)]
    #[schema(ignore)]
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const USER_COLS: [Users; 8] = [
    Users::Id,
    Users::Email,
    Users::Name,
    Users::PasswordHash,
    Users::IsActive,
    Users::Version,
    Users::CreatedAt,
    Users::UpdatedAt,
];

pub async fn insert(tx: &mut Tx, u: &User, roles: &[RoleGrant]) -> StoreResult<()> {
    tx.execute(
        Query::insert()
            .into_table(Users::Table)
            .columns(USER_COLS)
            .values_panic([
                u.id.into(),
                u.email.clone().into(),
                u.name.clone().into(),
                u.password_hash.clone().into(),
                u.is_active.into(),
                u.version.into(),
                u.created_at.into(),
                u.updated_at.into(),
            ]),
    )
    .await?;
    tx.audit(PendingAudit::new("create", "user", u.id).new_value(u));
    for r in roles {
        grant(tx, r).await?;
    }
    Ok(())
}

pub async fn grant(tx: &mut Tx, r: &RoleGrant) -> StoreResult<()> {
    tx.execute(
        Query::insert()
            .into_table(UserRoles::Table)
            .columns([
                UserRoles::Id,
                UserRoles::UserId,
                UserRoles::SiteId,
                UserRoles::Role,
                UserRoles::CreatedAt,
            ])
            .values_panic([
                r.id.into(),
                r.user_id.into(),
                r.site_id.into(),
                r.role.clone().into(),
                r.created_at.into(),
            ]),
    )
    .await?;
    tx.audit(PendingAudit::new("grant_role", "user", r.user_id).new_value(r));
    Ok(())
}

pub async fn get(db: &Db, id: Uuid) -> StoreResult<User> {
    db.fetch_one(
        Query::select()
            .columns(USER_COLS)
            .from(Users::Table)
            .and_where(Expr::col(Users::Id).eq(id)),
    )
    .await
}

pub async fn by_email(db: &Db, email: &str) -> StoreResult<Option<User>> {
    db.fetch_optional(
        Query::select()
            .columns(USER_COLS)
            .from(Users::Table)
            .and_where(Expr::col(Users::Email).eq(email)),
    )
    .await
}

pub async fn list(db: &Db) -> StoreResult<Vec<User>> {
    db.fetch_all(
        Query::select()
            .columns(USER_COLS)
            .from(Users::Table)
            .order_by(Users::Email, Order::Asc),
    )
    .await
}

pub async fn roles(db: &Db, user_id: Uuid) -> StoreResult<Vec<RoleGrant>> {
    db.fetch_all(
        Query::select()
            .columns([
                UserRoles::Id,
                UserRoles::UserId,
                UserRoles::SiteId,
                UserRoles::Role,
                UserRoles::CreatedAt,
            ])
            .from(UserRoles::Table)
            .and_where(Expr::col(UserRoles::UserId).eq(user_id))
            .order_by(UserRoles::CreatedAt, Order::Asc),
    )
    .await
}

const TOKEN_COLS: [ApiTokens; 7] = [
    ApiTokens::Id,
    ApiTokens::UserId,
    ApiTokens::Name,
    ApiTokens::TokenHash,
    ApiTokens::CreatedAt,
    ApiTokens::LastUsedAt,
    ApiTokens::RevokedAt,
];

pub async fn insert_token(tx: &mut Tx, t: &ApiToken) -> StoreResult<()> {
    tx.execute(
        Query::insert()
            .into_table(ApiTokens::Table)
            .columns(TOKEN_COLS)
            .values_panic([
                t.id.into(),
                t.user_id.into(),
                t.name.clone().into(),
                t.token_hash.clone().into(),
                t.created_at.into(),
                t.last_used_at.into(),
                t.revoked_at.into(),
            ]),
    )
    .await?;
    // The hash is not written to the audit trail either: the view skips it.
    tx.audit(PendingAudit::new("create", "api_token", t.id).new_value(t));
    Ok(())
}

/// An active token with its user, read in one statement (every API request does this).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenUser {
    pub token_id: Uuid,
    pub last_used_at: Option<DateTime<Utc>>,
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub is_active: bool,
}

/// The active (not revoked) token with this hash, and its user.
pub async fn token_user_by_hash(db: &Db, hash: &str) -> StoreResult<Option<TokenUser>> {
    db.fetch_optional(
        Query::select()
            .expr_as(Expr::col((ApiTokens::Table, ApiTokens::Id)), "token_id")
            .expr_as(
                Expr::col((ApiTokens::Table, ApiTokens::LastUsedAt)),
                "last_used_at",
            )
            .expr_as(Expr::col((Users::Table, Users::Id)), "user_id")
            .column((Users::Table, Users::Name))
            .column((Users::Table, Users::Email))
            .column((Users::Table, Users::IsActive))
            .from(ApiTokens::Table)
            .inner_join(
                Users::Table,
                Expr::col((Users::Table, Users::Id)).equals((ApiTokens::Table, ApiTokens::UserId)),
            )
            .and_where(Expr::col((ApiTokens::Table, ApiTokens::TokenHash)).eq(hash))
            .and_where(Expr::col((ApiTokens::Table, ApiTokens::RevokedAt)).is_null()),
    )
    .await
}

/// The active (not revoked) token with this hash.
pub async fn token_by_hash(db: &Db, hash: &str) -> StoreResult<Option<ApiToken>> {
    db.fetch_optional(
        Query::select()
            .columns(TOKEN_COLS)
            .from(ApiTokens::Table)
            .and_where(Expr::col(ApiTokens::TokenHash).eq(hash))
            .and_where(Expr::col(ApiTokens::RevokedAt).is_null()),
    )
    .await
}

/// A user's tokens, newest first (revoked ones too, for the record).
pub async fn tokens_of_user(db: &Db, user_id: Uuid) -> StoreResult<Vec<ApiToken>> {
    db.fetch_all(
        Query::select()
            .columns(TOKEN_COLS)
            .from(ApiTokens::Table)
            .and_where(Expr::col(ApiTokens::UserId).eq(user_id))
            .order_by(ApiTokens::CreatedAt, Order::Desc)
            .order_by(ApiTokens::Id, Order::Desc),
    )
    .await
}

pub async fn token_by_id(db: &Db, id: Uuid) -> StoreResult<Option<ApiToken>> {
    db.fetch_optional(
        Query::select()
            .columns(TOKEN_COLS)
            .from(ApiTokens::Table)
            .and_where(Expr::col(ApiTokens::Id).eq(id)),
    )
    .await
}

/// Revokes an active token; `false` when it was already revoked (nothing written).
pub async fn revoke_token(tx: &mut Tx, t: &ApiToken) -> StoreResult<bool> {
    let at = tx.now();
    let n = tx
        .execute(
            Query::update()
                .table(ApiTokens::Table)
                .value(ApiTokens::RevokedAt, at)
                .and_where(Expr::col(ApiTokens::Id).eq(t.id))
                .and_where(Expr::col(ApiTokens::RevokedAt).is_null()),
        )
        .await?;
    if n == 1 {
        let mut after = t.clone();
        after.revoked_at = Some(at);
        tx.audit(
            PendingAudit::new("revoke", "api_token", t.id)
                .old(t)
                .new_value(&after),
        );
    }
    Ok(n == 1)
}

/// Records when a token was last used. Operational metadata, not a change of the record's
/// meaning: not audited (every API request would otherwise add to the trail).
pub async fn touch_token(db: &Db, id: Uuid, at: DateTime<Utc>) -> StoreResult<()> {
    let mut tx = db.begin(&crate::ActorRef::system("token-use"), at).await?;
    let now = tx.now();
    tx.execute_unaudited(
        Query::update()
            .table(ApiTokens::Table)
            .value(ApiTokens::LastUsedAt, now)
            .and_where(Expr::col(ApiTokens::Id).eq(id)),
    )
    .await?;
    tx.commit().await
}
