//! Sites.

use crate::audit::PendingAudit;
use crate::db::Tx;
use crate::error::StoreResult;
use crate::schema::Sites;
use crate::{Db, StoreError};
use chrono::{DateTime, Utc};
use sea_query::{Expr, ExprTrait, Order, Query};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Site {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    /// IANA time zone the site's calendars are kept in.
    pub timezone: String,
    /// Business hours as JSON (see `BusinessHours`).
    #[serde(skip)]
    pub business_hours: String,
    /// ISO 4217 currency of money amounts at this site.
    pub currency: String,
    pub allow_anonymous_requests: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLS: [Sites; 10] = [
    Sites::Id,
    Sites::Code,
    Sites::Name,
    Sites::Timezone,
    Sites::BusinessHours,
    Sites::Currency,
    Sites::AllowAnonymousRequests,
    Sites::Version,
    Sites::CreatedAt,
    Sites::UpdatedAt,
];

pub async fn insert(tx: &mut Tx, s: &Site) -> StoreResult<()> {
    tx.execute(
        Query::insert()
            .into_table(Sites::Table)
            .columns(COLS)
            .values_panic([
                s.id.into(),
                s.code.clone().into(),
                s.name.clone().into(),
                s.timezone.clone().into(),
                s.business_hours.clone().into(),
                s.currency.clone().into(),
                s.allow_anonymous_requests.into(),
                s.version.into(),
                s.created_at.into(),
                s.updated_at.into(),
            ]),
    )
    .await?;
    tx.audit(PendingAudit::new("create", "site", s.id).new_value(&audit_view(s)));
    Ok(())
}

fn audit_view(s: &Site) -> serde_json::Value {
    let mut v = serde_json::to_value(s).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "business_hours".into(),
            serde_json::from_str(&s.business_hours).unwrap_or_default(),
        );
    }
    v
}

/// Writes the new state of a site read at `old.version`; `Stale` when it changed meanwhile.
pub async fn update(tx: &mut Tx, old: &Site, new: &Site) -> StoreResult<()> {
    let n = tx
        .execute(
            Query::update()
                .table(Sites::Table)
                .value(Sites::Name, new.name.clone())
                .value(Sites::Timezone, new.timezone.clone())
                .value(Sites::BusinessHours, new.business_hours.clone())
                .value(Sites::Currency, new.currency.clone())
                .value(Sites::AllowAnonymousRequests, new.allow_anonymous_requests)
                .value(Sites::Version, new.version)
                .value(Sites::UpdatedAt, new.updated_at)
                .and_where(Expr::col(Sites::Id).eq(old.id))
                .and_where(Expr::col(Sites::Version).eq(old.version)),
        )
        .await?;
    if n == 0 {
        return Err(StoreError::Stale);
    }
    tx.audit(
        PendingAudit::new("update", "site", old.id)
            .old(&audit_view(old))
            .new_value(&audit_view(new)),
    );
    Ok(())
}

pub async fn get(db: &Db, id: Uuid) -> StoreResult<Site> {
    db.fetch_one(
        Query::select()
            .columns(COLS)
            .from(Sites::Table)
            .and_where(Expr::col(Sites::Id).eq(id)),
    )
    .await
}

pub async fn get_tx(tx: &mut Tx, id: Uuid) -> StoreResult<Site> {
    tx.fetch_one(
        Query::select()
            .columns(COLS)
            .from(Sites::Table)
            .and_where(Expr::col(Sites::Id).eq(id)),
    )
    .await
}

pub async fn by_code(db: &Db, code: &str) -> StoreResult<Option<Site>> {
    db.fetch_optional(
        Query::select()
            .columns(COLS)
            .from(Sites::Table)
            .and_where(Expr::col(Sites::Code).eq(code)),
    )
    .await
}

/// All sites, or only those in `only` when given.
pub async fn list(db: &Db, only: Option<&[Uuid]>) -> StoreResult<Vec<Site>> {
    let mut q = Query::select();
    q.columns(COLS)
        .from(Sites::Table)
        .order_by(Sites::Code, Order::Asc);
    if let Some(ids) = only {
        q.and_where(Expr::col(Sites::Id).is_in(ids.iter().copied()));
    }
    db.fetch_all(&q).await
}
