//! Reads that importers of historic records need in bulk: which ids are already stored, the
//! assets a batch refers to, and where each asset's recorded timeline begins.

use crate::Db;
use crate::asset::Asset;
use crate::db::Tx;
use crate::error::StoreResult;
use crate::schema::{AssetStateIntervals, Assets, DowntimeEvents, WorkOrders};
use chrono::{DateTime, Utc};
use sea_query::{Expr, ExprTrait, Query};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Ids per statement: far below the bind-parameter limits of both backends.
const CHUNK: usize = 500;

#[derive(sqlx::FromRow)]
struct IdRow {
    id: Uuid,
}

/// The ids among `ids` that already name a work order (read inside the importing transaction,
/// so a concurrent import of the same rows cannot slip in between the check and the insert
/// without hitting the primary key).
pub async fn existing_work_orders(tx: &mut Tx, ids: &[Uuid]) -> StoreResult<HashSet<Uuid>> {
    let mut out = HashSet::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<IdRow> = tx
            .fetch_all(
                Query::select()
                    .column(WorkOrders::Id)
                    .from(WorkOrders::Table)
                    .and_where(Expr::col(WorkOrders::Id).is_in(chunk.iter().copied())),
            )
            .await?;
        out.extend(rows.into_iter().map(|r| r.id));
    }
    Ok(out)
}

/// The ids among `ids` that already name a downtime record.
pub async fn existing_downtime(tx: &mut Tx, ids: &[Uuid]) -> StoreResult<HashSet<Uuid>> {
    let mut out = HashSet::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<IdRow> = tx
            .fetch_all(
                Query::select()
                    .column(DowntimeEvents::Id)
                    .from(DowntimeEvents::Table)
                    .and_where(Expr::col(DowntimeEvents::Id).is_in(chunk.iter().copied())),
            )
            .await?;
        out.extend(rows.into_iter().map(|r| r.id));
    }
    Ok(out)
}

/// The assets with these ids (missing ids are simply absent from the map).
pub async fn assets_by_ids(db: &Db, ids: &[Uuid]) -> StoreResult<HashMap<Uuid, Asset>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<Asset> = db
            .fetch_all(
                Query::select()
                    .columns([
                        Assets::Id,
                        Assets::SiteId,
                        Assets::ParentId,
                        Assets::Path,
                        Assets::Code,
                        Assets::Name,
                        Assets::Level,
                        Assets::EquipmentClass,
                        Assets::Consequence,
                        Assets::Likelihood,
                        Assets::Status,
                        Assets::ReplacementValue,
                        Assets::Version,
                        Assets::CreatedAt,
                        Assets::UpdatedAt,
                    ])
                    .from(Assets::Table)
                    .and_where(Expr::col(Assets::Id).is_in(chunk.iter().copied())),
            )
            .await?;
        out.extend(rows.into_iter().map(|a| (a.id, a)));
    }
    Ok(out)
}

#[derive(sqlx::FromRow)]
struct FirstSpan {
    asset_id: Uuid,
    first: DateTime<Utc>,
}

/// Where the recorded state timeline of each asset begins (assets without any interval are
/// absent from the map).
pub async fn timeline_starts(
    tx: &mut Tx,
    ids: &[Uuid],
) -> StoreResult<HashMap<Uuid, DateTime<Utc>>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<FirstSpan> = tx
            .fetch_all(
                Query::select()
                    .column(AssetStateIntervals::AssetId)
                    .expr_as(Expr::col(AssetStateIntervals::StartedAt).min(), "first")
                    .from(AssetStateIntervals::Table)
                    .and_where(Expr::col(AssetStateIntervals::AssetId).is_in(chunk.iter().copied()))
                    .group_by_col(AssetStateIntervals::AssetId),
            )
            .await?;
        out.extend(rows.into_iter().map(|r| (r.asset_id, r.first)));
    }
    Ok(out)
}
