//! Meters and readings.

use crate::audit::PendingAudit;
use crate::db::Tx;
use crate::error::StoreResult;
use crate::schema::{MeterReadings, Meters};
use crate::{Db, StoreError};
use chrono::{DateTime, Utc};
use sea_query::{Expr, ExprTrait, Order, Query};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Meter {
    pub id: Uuid,
    pub asset_id: Uuid,
    pub code: String,
    pub name: String,
    /// `counter` (only grows) or `gauge`.
    pub kind: String,
    pub unit: String,
    pub last_value: Option<f64>,
    pub last_read_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Reading {
    pub id: Uuid,
    pub meter_id: Uuid,
    pub read_at: DateTime<Utc>,
    pub value: f64,
    /// Where the value came from: `manual`, `api`, `import`, …
    pub source: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

const COLS: [Meters; 10] = [
    Meters::Id,
    Meters::AssetId,
    Meters::Code,
    Meters::Name,
    Meters::Kind,
    Meters::Unit,
    Meters::LastValue,
    Meters::LastReadAt,
    Meters::Version,
    Meters::CreatedAt,
];

const READING_COLS: [MeterReadings; 7] = [
    MeterReadings::Id,
    MeterReadings::MeterId,
    MeterReadings::ReadAt,
    MeterReadings::Value,
    MeterReadings::Source,
    MeterReadings::CreatedBy,
    MeterReadings::CreatedAt,
];

pub async fn insert(tx: &mut Tx, m: &Meter) -> StoreResult<()> {
    tx.execute(
        Query::insert()
            .into_table(Meters::Table)
            .columns(COLS)
            .values_panic([
                m.id.into(),
                m.asset_id.into(),
                m.code.clone().into(),
                m.name.clone().into(),
                m.kind.clone().into(),
                m.unit.clone().into(),
                m.last_value.into(),
                m.last_read_at.into(),
                m.version.into(),
                m.created_at.into(),
            ]),
    )
    .await?;
    tx.audit(PendingAudit::new("create", "meter", m.id).new_value(m));
    Ok(())
}

pub async fn get(db: &Db, id: Uuid) -> StoreResult<Meter> {
    db.fetch_one(
        Query::select()
            .columns(COLS)
            .from(Meters::Table)
            .and_where(Expr::col(Meters::Id).eq(id)),
    )
    .await
}

/// Reads the meter inside the transaction that will add a reading (PostgreSQL: row locked, so
/// two concurrent readings of one counter are checked one after the other).
pub async fn get_for_update(tx: &mut Tx, id: Uuid) -> StoreResult<Meter> {
    tx.fetch_one(
        Query::select()
            .columns(COLS)
            .from(Meters::Table)
            .and_where(Expr::col(Meters::Id).eq(id))
            .lock(sea_query::LockType::Update),
    )
    .await
}

pub async fn list(
    db: &Db,
    asset_id: Option<Uuid>,
    sites: Option<&[Uuid]>,
) -> StoreResult<Vec<Meter>> {
    let mut q = Query::select();
    q.columns(COLS.map(|c| (Meters::Table, c)))
        .from(Meters::Table)
        .order_by((Meters::Table, Meters::Code), Order::Asc)
        .limit(1000);
    if let Some(a) = asset_id {
        q.and_where(Expr::col((Meters::Table, Meters::AssetId)).eq(a));
    }
    if let Some(s) = sites {
        q.inner_join(
            crate::schema::Assets::Table,
            Expr::col((crate::schema::Assets::Table, crate::schema::Assets::Id))
                .equals((Meters::Table, Meters::AssetId)),
        )
        .and_where(
            Expr::col((crate::schema::Assets::Table, crate::schema::Assets::SiteId))
                .is_in(s.iter().copied()),
        );
    }
    db.fetch_all(&q).await
}

/// Stores a reading and, when it is the newest, moves the meter's last value.
pub async fn insert_reading(tx: &mut Tx, m: &Meter, r: &Reading) -> StoreResult<()> {
    tx.execute(
        Query::insert()
            .into_table(MeterReadings::Table)
            .columns(READING_COLS)
            .values_panic([
                r.id.into(),
                r.meter_id.into(),
                r.read_at.into(),
                r.value.into(),
                r.source.clone().into(),
                r.created_by.into(),
                r.created_at.into(),
            ]),
    )
    .await?;
    if m.last_read_at.is_none_or(|t| r.read_at >= t) {
        let n = tx
            .execute(
                Query::update()
                    .table(Meters::Table)
                    .value(Meters::LastValue, r.value)
                    .value(Meters::LastReadAt, r.read_at)
                    .value(Meters::Version, m.version + 1)
                    .and_where(Expr::col(Meters::Id).eq(m.id))
                    .and_where(Expr::col(Meters::Version).eq(m.version)),
            )
            .await?;
        if n == 0 {
            return Err(StoreError::Stale);
        }
    }
    tx.audit(PendingAudit::new("create", "reading", r.id).new_value(r));
    Ok(())
}

pub async fn readings(
    db: &Db,
    meter_id: Uuid,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: u64,
) -> StoreResult<Vec<Reading>> {
    let mut q = Query::select();
    q.columns(READING_COLS)
        .from(MeterReadings::Table)
        .and_where(Expr::col(MeterReadings::MeterId).eq(meter_id))
        .order_by(MeterReadings::ReadAt, Order::Desc)
        .order_by(MeterReadings::Id, Order::Desc)
        .limit(limit);
    if let Some((t, id)) = before {
        q.cond_where(
            sea_query::Cond::any()
                .add(Expr::col(MeterReadings::ReadAt).lt(t))
                .add(
                    sea_query::Cond::all()
                        .add(Expr::col(MeterReadings::ReadAt).eq(t))
                        .add(Expr::col(MeterReadings::Id).lt(id)),
                ),
        );
    }
    db.fetch_all(&q).await
}
