//! Read models for screens: the manager's front page counts, and names of assets and users
//! for lists that show many rows at once (one query per page, not one per row).

use crate::Db;
use crate::error::StoreResult;
use crate::schema::{Assets, Users, WorkOrders, WorkRequests};
use chrono::{DateTime, Utc};
use sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement};
use std::collections::HashMap;
use uuid::Uuid;

/// Restricts a query on a table with a `site_id` column to some sites (`None` = all).
fn scope(q: &mut SelectStatement, col: Expr, sites: Option<&[Uuid]>) {
    if let Some(s) = sites {
        q.and_where(col.is_in(s.to_vec()));
    }
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StatusPriorityCount {
    pub status: String,
    pub priority: String,
    pub n: i64,
}

/// Open work orders counted by status and priority.
pub async fn open_work_by_status(
    db: &Db,
    sites: Option<&[Uuid]>,
    open: &[&str],
) -> StoreResult<Vec<StatusPriorityCount>> {
    let mut q = Query::select()
        .column(WorkOrders::Status)
        .column(WorkOrders::Priority)
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from(WorkOrders::Table)
        .and_where(Expr::col(WorkOrders::Status).is_in(open.iter().map(|s| s.to_string())))
        .group_by_col(WorkOrders::Status)
        .group_by_col(WorkOrders::Priority)
        .to_owned();
    scope(&mut q, Expr::col(WorkOrders::SiteId), sites);
    db.fetch_all(&q).await
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
struct N {
    n: i64,
}

/// Open work orders whose due time has passed.
pub async fn overdue_count(
    db: &Db,
    sites: Option<&[Uuid]>,
    open: &[&str],
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    let mut q = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from(WorkOrders::Table)
        .and_where(Expr::col(WorkOrders::Status).is_in(open.iter().map(|s| s.to_string())))
        .and_where(Expr::col(WorkOrders::DueAt).lt(now))
        .to_owned();
    scope(&mut q, Expr::col(WorkOrders::SiteId), sites);
    Ok(db.fetch_one::<N, _>(&q).await?.n)
}

/// Work requests waiting for triage.
pub async fn waiting_requests(db: &Db, sites: Option<&[Uuid]>) -> StoreResult<i64> {
    let mut q = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from(WorkRequests::Table)
        .and_where(Expr::col(WorkRequests::Status).eq("open"))
        .to_owned();
    scope(&mut q, Expr::col(WorkRequests::SiteId), sites);
    Ok(db.fetch_one::<N, _>(&q).await?.n)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DownAsset {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub status: String,
    pub updated_at: DateTime<Utc>,
}

/// Assets down now (planned or not), most recently changed first.
pub async fn assets_down(
    db: &Db,
    sites: Option<&[Uuid]>,
    limit: u64,
) -> StoreResult<Vec<DownAsset>> {
    let mut q = Query::select()
        .columns([
            Assets::Id,
            Assets::Code,
            Assets::Name,
            Assets::Status,
            Assets::UpdatedAt,
        ])
        .from(Assets::Table)
        .and_where(Expr::col(Assets::Status).is_in(["down_planned", "down_unplanned"]))
        .order_by(Assets::UpdatedAt, Order::Desc)
        .limit(limit)
        .to_owned();
    scope(&mut q, Expr::col(Assets::SiteId), sites);
    db.fetch_all(&q).await
}

/// Work orders completed since `from`, as their completion instants (the caller buckets them
/// into the site's local days).
pub async fn completed_since(
    db: &Db,
    sites: Option<&[Uuid]>,
    from: DateTime<Utc>,
) -> StoreResult<Vec<DateTime<Utc>>> {
    #[derive(sqlx::FromRow)]
    struct C {
        completed_at: DateTime<Utc>,
    }
    let mut q = Query::select()
        .column(WorkOrders::CompletedAt)
        .from(WorkOrders::Table)
        .and_where(Expr::col(WorkOrders::CompletedAt).gte(from))
        .to_owned();
    scope(&mut q, Expr::col(WorkOrders::SiteId), sites);
    Ok(db
        .fetch_all::<C, _>(&q)
        .await?
        .into_iter()
        .map(|c| c.completed_at)
        .collect())
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AssetName {
    pub id: Uuid,
    pub code: String,
    pub name: String,
}

/// Codes and names of these assets.
pub async fn asset_names(db: &Db, ids: &[Uuid]) -> StoreResult<HashMap<Uuid, AssetName>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<AssetName> = db
        .fetch_all(
            Query::select()
                .columns([Assets::Id, Assets::Code, Assets::Name])
                .from(Assets::Table)
                .and_where(Expr::col(Assets::Id).is_in(ids.to_vec())),
        )
        .await?;
    Ok(rows.into_iter().map(|r| (r.id, r)).collect())
}

/// Display names of these users.
pub async fn user_names(db: &Db, ids: &[Uuid]) -> StoreResult<HashMap<Uuid, String>> {
    #[derive(sqlx::FromRow)]
    struct U {
        id: Uuid,
        name: String,
    }
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<U> = db
        .fetch_all(
            Query::select()
                .columns([Users::Id, Users::Name])
                .from(Users::Table)
                .and_where(Expr::col(Users::Id).is_in(ids.to_vec())),
        )
        .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

/// How many direct children each of these assets has.
pub async fn child_counts(db: &Db, parents: &[Uuid]) -> StoreResult<HashMap<Uuid, i64>> {
    #[derive(sqlx::FromRow)]
    struct C {
        parent_id: Uuid,
        n: i64,
    }
    if parents.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<C> = db
        .fetch_all(
            Query::select()
                .column(Assets::ParentId)
                .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
                .from(Assets::Table)
                .and_where(Expr::col(Assets::ParentId).is_in(parents.to_vec()))
                .group_by_col(Assets::ParentId),
        )
        .await?;
    Ok(rows.into_iter().map(|r| (r.parent_id, r.n)).collect())
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct UserGrant {
    pub user_id: Uuid,
    pub name: String,
    pub role: String,
}

/// Active users with a role at this site (or at every site), with that role.
pub async fn users_at_site(db: &Db, site: Uuid) -> StoreResult<Vec<UserGrant>> {
    use crate::schema::UserRoles;
    db.fetch_all(
        Query::select()
            .expr_as(Expr::col((Users::Table, Users::Id)), Alias::new("user_id"))
            .column((Users::Table, Users::Name))
            .column((UserRoles::Table, UserRoles::Role))
            .from(Users::Table)
            .inner_join(
                UserRoles::Table,
                Expr::col((UserRoles::Table, UserRoles::UserId)).equals((Users::Table, Users::Id)),
            )
            .and_where(Expr::col((Users::Table, Users::IsActive)).eq(true))
            .and_where(
                Expr::col((UserRoles::Table, UserRoles::SiteId))
                    .eq(site)
                    .or(Expr::col((UserRoles::Table, UserRoles::SiteId)).is_null()),
            )
            .order_by((Users::Table, Users::Name), Order::Asc)
            .order_by((Users::Table, Users::Id), Order::Asc),
    )
    .await
}
