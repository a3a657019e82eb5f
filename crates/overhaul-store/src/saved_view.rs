//! Named views of the work-order list, per user.

use crate::Db;
use crate::audit::PendingAudit;
use crate::db::Tx;
use crate::error::StoreResult;
use crate::schema::SavedViews;
use chrono::{DateTime, Utc};
use sea_query::{Expr, ExprTrait, Order, Query};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct SavedView {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub query: String,
    pub created_at: DateTime<Utc>,
}

const COLS: [SavedViews; 5] = [
    SavedViews::Id,
    SavedViews::UserId,
    SavedViews::Name,
    SavedViews::Query,
    SavedViews::CreatedAt,
];

pub async fn insert(tx: &mut Tx, v: &SavedView) -> StoreResult<()> {
    tx.execute(
        Query::insert()
            .into_table(SavedViews::Table)
            .columns(COLS)
            .values_panic([
                v.id.into(),
                v.user_id.into(),
                v.name.clone().into(),
                v.query.clone().into(),
                v.created_at.into(),
            ]),
    )
    .await?;
    tx.audit(PendingAudit::new("create", "saved_view", v.id).new_value(v));
    Ok(())
}

pub async fn delete(tx: &mut Tx, v: &SavedView) -> StoreResult<()> {
    tx.execute(
        Query::delete()
            .from_table(SavedViews::Table)
            .and_where(Expr::col(SavedViews::Id).eq(v.id)),
    )
    .await?;
    tx.audit(PendingAudit::new("delete", "saved_view", v.id).old(v));
    Ok(())
}

pub async fn get(db: &Db, id: Uuid) -> StoreResult<SavedView> {
    db.fetch_one(
        Query::select()
            .columns(COLS)
            .from(SavedViews::Table)
            .and_where(Expr::col(SavedViews::Id).eq(id)),
    )
    .await
}

pub async fn of_user(db: &Db, user: Uuid) -> StoreResult<Vec<SavedView>> {
    db.fetch_all(
        Query::select()
            .columns(COLS)
            .from(SavedViews::Table)
            .and_where(Expr::col(SavedViews::UserId).eq(user))
            .order_by(SavedViews::Name, Order::Asc),
    )
    .await
}
