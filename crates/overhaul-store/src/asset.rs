//! Assets (the ISA-95 hierarchy), their state timeline and downtime.

use crate::audit::PendingAudit;
use crate::db::Tx;
use crate::error::{StoreResult, parse_stored};
use crate::schema::{
    AssetStateIntervals, Assets, DowntimeEvents, Meters, WorkOrders, WorkRequests,
};
use crate::{Db, StoreError};
use chrono::{DateTime, Utc};
use overhaul_core::asset::AssetStatus;
use overhaul_core::asset_state::Span;
use sea_query::{Cond, Expr, ExprTrait, Order, Query, SelectStatement};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Asset {
    pub id: Uuid,
    pub site_id: Uuid,
    pub parent_id: Option<Uuid>,
    /// Materialised path of ids from the root to this asset (for subtree queries).
    #[serde(skip)]
    pub path: String,
    pub code: String,
    pub name: String,
    pub level: String,
    /// ISO 14224 equipment class code (e.g. `PU` pumps).
    pub equipment_class: Option<String>,
    #[serde(skip)]
    pub consequence: Option<i64>,
    #[serde(skip)]
    pub likelihood: Option<i64>,
    pub status: String,
    /// Replacement asset value in minor units of the site currency (cents).
    pub replacement_value: Option<i64>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Asset {
    /// The path segment of one asset id.
    pub fn segment(id: Uuid) -> String {
        format!("{}/", id.simple())
    }

    pub fn child_path(parent_path: Option<&str>, id: Uuid) -> String {
        format!("{}{}", parent_path.unwrap_or("/"), Self::segment(id))
    }

    /// Ids of this asset's ancestors, nearest first, read from the path.
    pub fn ancestry(&self) -> Vec<Uuid> {
        let mut v: Vec<Uuid> = self
            .path
            .split('/')
            .filter(|s| !s.is_empty())
            .filter_map(|s| Uuid::parse_str(s).ok())
            .collect();
        v.pop();
        v.reverse();
        v
    }
}

const COLS: [Assets; 15] = [
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
];

/// `path` range of a subtree: all paths that start with `path` (ids are hex, so the byte after
/// the trailing '/' — '0' — bounds the range; PostgreSQL compares this column with collation C).
pub fn subtree_cond(col: Expr, path: &str) -> Cond {
    let upper = format!("{}0", &path[..path.len().saturating_sub(1)]);
    Cond::all()
        .add(col.clone().gte(path.to_owned()))
        .add(col.lt(upper))
}

pub async fn insert(tx: &mut Tx, a: &Asset) -> StoreResult<()> {
    tx.execute(
        Query::insert()
            .into_table(Assets::Table)
            .columns(COLS)
            .values_panic([
                a.id.into(),
                a.site_id.into(),
                a.parent_id.into(),
                a.path.clone().into(),
                a.code.clone().into(),
                a.name.clone().into(),
                a.level.clone().into(),
                a.equipment_class.clone().into(),
                a.consequence.into(),
                a.likelihood.into(),
                a.status.clone().into(),
                a.replacement_value.into(),
                a.version.into(),
                a.created_at.into(),
                a.updated_at.into(),
            ]),
    )
    .await?;
    tx.audit(PendingAudit::new("create", "asset", a.id).new_value(a));
    insert_span(
        tx,
        a.id,
        &Span {
            state: parse_stored(AssetStatus::parse(&a.status))?,
            start: a.created_at,
            end: None,
            reason: Some("commissioned".into()),
            downtime_id: None,
        },
    )
    .await
}

/// Writes the new state of an asset read at `old.version`. When the path changed (moved to a
/// new parent) the paths of all descendants are rewritten in the same transaction.
pub async fn update(
    tx: &mut Tx,
    old: &Asset,
    new: &Asset,
    reason: Option<&str>,
) -> StoreResult<()> {
    let n = tx
        .execute(
            Query::update()
                .table(Assets::Table)
                .value(Assets::ParentId, new.parent_id)
                .value(Assets::Path, new.path.clone())
                .value(Assets::Code, new.code.clone())
                .value(Assets::Name, new.name.clone())
                .value(Assets::Level, new.level.clone())
                .value(Assets::EquipmentClass, new.equipment_class.clone())
                .value(Assets::Consequence, new.consequence)
                .value(Assets::Likelihood, new.likelihood)
                .value(Assets::Status, new.status.clone())
                .value(Assets::ReplacementValue, new.replacement_value)
                .value(Assets::Version, new.version)
                .value(Assets::UpdatedAt, new.updated_at)
                .and_where(Expr::col(Assets::Id).eq(old.id))
                .and_where(Expr::col(Assets::Version).eq(old.version)),
        )
        .await?;
    if n == 0 {
        return Err(StoreError::Stale);
    }
    if old.path != new.path {
        // Descendants: replace the old prefix by the new one.
        let descendants: Vec<IdPath> = tx
            .fetch_all(
                Query::select()
                    .columns([Assets::Id, Assets::Path])
                    .from(Assets::Table)
                    .cond_where(subtree_cond(Expr::col(Assets::Path), &old.path))
                    .and_where(Expr::col(Assets::Id).ne(old.id)),
            )
            .await?;
        for d in descendants {
            let rest = d.path.get(old.path.len()..).unwrap_or_default();
            tx.execute(
                Query::update()
                    .table(Assets::Table)
                    .value(Assets::Path, format!("{}{}", new.path, rest))
                    .and_where(Expr::col(Assets::Id).eq(d.id)),
            )
            .await?;
        }
    }
    tx.audit(
        PendingAudit::new("update", "asset", old.id)
            .old(old)
            .new_value(new)
            .reason(reason),
    );
    Ok(())
}

#[derive(sqlx::FromRow)]
struct IdPath {
    id: Uuid,
    path: String,
}

fn select() -> SelectStatement {
    Query::select().columns(COLS).from(Assets::Table).to_owned()
}

pub async fn get(db: &Db, id: Uuid) -> StoreResult<Asset> {
    db.fetch_one(select().and_where(Expr::col(Assets::Id).eq(id)))
        .await
}

pub async fn get_tx(tx: &mut Tx, id: Uuid) -> StoreResult<Asset> {
    tx.fetch_one(select().and_where(Expr::col(Assets::Id).eq(id)))
        .await
}

pub async fn by_code(db: &Db, site_id: Uuid, code: &str) -> StoreResult<Option<Asset>> {
    db.fetch_optional(
        select()
            .and_where(Expr::col(Assets::SiteId).eq(site_id))
            .and_where(Expr::col(Assets::Code).eq(code)),
    )
    .await
}

#[derive(Debug, Default, Clone)]
pub struct AssetFilter {
    pub sites: Option<Vec<Uuid>>,
    pub site_id: Option<Uuid>,
    /// Direct children of this asset.
    pub parent_id: Option<Uuid>,
    /// Only root assets (directly under the site).
    pub roots_only: bool,
    /// Everything below (and including) the asset with this path.
    pub subtree_path: Option<String>,
    pub level: Option<String>,
    pub status: Option<String>,
    /// Code or name contains this text (case-insensitive).
    pub q: Option<String>,
    /// Keyset cursor: code and id of the last item of the previous page.
    pub after: Option<(String, Uuid)>,
    pub limit: u64,
}

/// Assets ordered by code, then id.
pub async fn list(db: &Db, f: &AssetFilter) -> StoreResult<Vec<Asset>> {
    let mut q = select();
    // With roots only, the site conditions go into the roots query below (see there).
    if !f.roots_only {
        if let Some(s) = &f.sites {
            q.and_where(Expr::col(Assets::SiteId).is_in(s.iter().copied()));
        }
        if let Some(s) = f.site_id {
            q.and_where(Expr::col(Assets::SiteId).eq(s));
        }
    }
    if let Some(p) = f.parent_id {
        q.and_where(Expr::col(Assets::ParentId).eq(p));
    }
    if f.roots_only {
        // Roots are found first, on their own, and the page is read by id: with the site
        // condition in the page query, SQLite prefers walking the (site_id, code) index for its
        // order and reads every asset of the site (100,000 of them) to find a handful of roots.
        #[derive(sqlx::FromRow)]
        struct Id {
            id: Uuid,
        }
        let mut roots = Query::select();
        roots
            .column(Assets::Id)
            .from(Assets::Table)
            .and_where(Expr::col(Assets::ParentId).is_null())
            .limit(100_000);
        if let Some(s) = &f.sites {
            roots.and_where(Expr::col(Assets::SiteId).is_in(s.iter().copied()));
        }
        if let Some(s) = f.site_id {
            roots.and_where(Expr::col(Assets::SiteId).eq(s));
        }
        let ids: Vec<Id> = db.fetch_all(&roots).await?;
        if ids.is_empty() {
            return Ok(vec![]);
        }
        q.and_where(Expr::col(Assets::Id).is_in(ids.into_iter().map(|i| i.id)));
    }
    if let Some(p) = &f.subtree_path {
        q.cond_where(subtree_cond(Expr::col(Assets::Path), p));
    }
    if let Some(l) = &f.level {
        q.and_where(Expr::col(Assets::Level).eq(l.as_str()));
    }
    if let Some(s) = &f.status {
        q.and_where(Expr::col(Assets::Status).eq(s.as_str()));
    }
    if let Some(text) = &f.q {
        let pat = format!("%{}%", escape_like(&text.to_lowercase()));
        // sea-query passes custom SQL through as written: the placeholder is the backend's own.
        let ph = match db.backend() {
            crate::Backend::Sqlite => "?",
            crate::Backend::Postgres => "$1",
        };
        q.cond_where(
            Cond::any()
                .add(Expr::cust_with_values(
                    format!("LOWER(code) LIKE {ph} ESCAPE '!'"),
                    [pat.clone()],
                ))
                .add(Expr::cust_with_values(
                    format!("LOWER(name) LIKE {ph} ESCAPE '!'"),
                    [pat],
                )),
        );
    }
    if let Some((code, id)) = &f.after {
        q.cond_where(
            Cond::any()
                .add(Expr::col(Assets::Code).gt(code.as_str()))
                .add(
                    Cond::all()
                        .add(Expr::col(Assets::Code).eq(code.as_str()))
                        .add(Expr::col(Assets::Id).gt(*id)),
                ),
        );
    }
    q.order_by(Assets::Code, Order::Asc)
        .order_by(Assets::Id, Order::Asc)
        .limit(f.limit);
    db.fetch_all(&q).await
}

/// Escapes `%`, `_` and the escape character itself for a LIKE pattern with `ESCAPE '!'`.
/// (`!` rather than a backslash, whose meaning in SQL text differs between the databases.)
pub fn escape_like(s: &str) -> String {
    s.replace('!', "!!").replace('%', "!%").replace('_', "!_")
}

#[derive(sqlx::FromRow)]
struct Count {
    n: i64,
}

/// Whether anything refers to the asset: children, work, requests, meters, downtime.
pub async fn has_history(tx: &mut Tx, id: Uuid) -> StoreResult<Option<&'static str>> {
    let checks: [(&'static str, SelectStatement); 5] = [
        (
            "child assets",
            count_where(Assets::Table, Expr::col(Assets::ParentId).eq(id)),
        ),
        (
            "work orders",
            count_where(WorkOrders::Table, Expr::col(WorkOrders::AssetId).eq(id)),
        ),
        (
            "work requests",
            count_where(WorkRequests::Table, Expr::col(WorkRequests::AssetId).eq(id)),
        ),
        (
            "meters",
            count_where(Meters::Table, Expr::col(Meters::AssetId).eq(id)),
        ),
        (
            "downtime records",
            count_where(
                DowntimeEvents::Table,
                Expr::col(DowntimeEvents::AssetId).eq(id),
            ),
        ),
    ];
    for (what, q) in checks {
        let c: Count = tx.fetch_one(&q).await?;
        if c.n > 0 {
            return Ok(Some(what));
        }
    }
    Ok(None)
}

fn count_where<T: sea_query::IntoIden + Copy>(table: T, cond: Expr) -> SelectStatement {
    Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from(table)
        .and_where(cond)
        .to_owned()
}

/// Deletes an asset that has no history (checked by the caller with [`has_history`]).
pub async fn delete(tx: &mut Tx, a: &Asset, reason: Option<&str>) -> StoreResult<()> {
    tx.execute(
        Query::delete()
            .from_table(AssetStateIntervals::Table)
            .and_where(Expr::col(AssetStateIntervals::AssetId).eq(a.id)),
    )
    .await?;
    let n = tx
        .execute(
            Query::delete()
                .from_table(Assets::Table)
                .and_where(Expr::col(Assets::Id).eq(a.id))
                .and_where(Expr::col(Assets::Version).eq(a.version)),
        )
        .await?;
    if n == 0 {
        return Err(StoreError::Stale);
    }
    tx.audit(
        PendingAudit::new("delete", "asset", a.id)
            .old(a)
            .reason(reason),
    );
    Ok(())
}

// ---- state timeline ------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StateInterval {
    pub id: Uuid,
    pub asset_id: Uuid,
    pub state: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub downtime_id: Option<Uuid>,
}

impl StateInterval {
    fn span(&self) -> StoreResult<Span> {
        Ok(Span {
            state: parse_stored(AssetStatus::parse(&self.state))?,
            start: self.started_at,
            end: self.ended_at,
            reason: self.reason.clone(),
            downtime_id: self.downtime_id,
        })
    }
}

const SPAN_COLS: [AssetStateIntervals; 7] = [
    AssetStateIntervals::Id,
    AssetStateIntervals::AssetId,
    AssetStateIntervals::State,
    AssetStateIntervals::StartedAt,
    AssetStateIntervals::EndedAt,
    AssetStateIntervals::Reason,
    AssetStateIntervals::DowntimeId,
];

async fn insert_span(tx: &mut Tx, asset_id: Uuid, s: &Span) -> StoreResult<()> {
    tx.execute(
        Query::insert()
            .into_table(AssetStateIntervals::Table)
            .columns(SPAN_COLS)
            .values_panic([
                Uuid::now_v7().into(),
                asset_id.into(),
                s.state.as_str().into(),
                s.start.into(),
                s.end.into(),
                s.reason.clone().into(),
                s.downtime_id.into(),
            ]),
    )
    .await?;
    Ok(())
}

/// Lays `new` over the asset's timeline (see `overhaul_core::asset_state::splice`) and returns
/// the state the asset is in afterwards.
pub async fn splice_state(
    tx: &mut Tx,
    asset_id: Uuid,
    new: Span,
) -> StoreResult<Option<AssetStatus>> {
    let mut q = Query::select();
    q.columns(SPAN_COLS)
        .from(AssetStateIntervals::Table)
        .and_where(Expr::col(AssetStateIntervals::AssetId).eq(asset_id))
        .cond_where(
            Cond::any()
                .add(Expr::col(AssetStateIntervals::EndedAt).is_null())
                .add(Expr::col(AssetStateIntervals::EndedAt).gt(new.start)),
        );
    if let Some(e) = new.end {
        q.and_where(Expr::col(AssetStateIntervals::StartedAt).lt(e));
    }
    let old: Vec<StateInterval> = tx.fetch_all(&q).await?;
    let spans = old
        .iter()
        .map(StateInterval::span)
        .collect::<StoreResult<Vec<_>>>()?;
    let replaced = overhaul_core::asset_state::splice(&spans, new);
    if !old.is_empty() {
        tx.execute(
            Query::delete()
                .from_table(AssetStateIntervals::Table)
                .and_where(Expr::col(AssetStateIntervals::Id).is_in(old.iter().map(|s| s.id))),
        )
        .await?;
    }
    for s in &replaced {
        insert_span(tx, asset_id, s).await?;
    }
    let view = |v: &[Span]| -> Vec<serde_json::Value> {
        v.iter()
            .map(|s| {
                serde_json::json!({
                    "state": s.state, "started_at": s.start, "ended_at": s.end,
                    "reason": s.reason, "downtime_id": s.downtime_id,
                })
            })
            .collect()
    };
    tx.audit(
        PendingAudit::new("state_timeline", "asset", asset_id)
            .old(&view(&spans))
            .new_value(&view(&replaced)),
    );
    // The state after the change is that of the open-ended span, which may or may not have been
    // among the replaced ones.
    let current: Option<StateInterval> = tx
        .fetch_optional(
            Query::select()
                .columns(SPAN_COLS)
                .from(AssetStateIntervals::Table)
                .and_where(Expr::col(AssetStateIntervals::AssetId).eq(asset_id))
                .and_where(Expr::col(AssetStateIntervals::EndedAt).is_null()),
        )
        .await?;
    current
        .map(|c| parse_stored(AssetStatus::parse(&c.state)))
        .transpose()
}

/// The state the asset was in just before `t` (the span ending at or covering `t`).
pub async fn state_before(
    tx: &mut Tx,
    asset_id: Uuid,
    t: DateTime<Utc>,
) -> StoreResult<Option<AssetStatus>> {
    let s: Option<StateInterval> = tx
        .fetch_optional(
            Query::select()
                .columns(SPAN_COLS)
                .from(AssetStateIntervals::Table)
                .and_where(Expr::col(AssetStateIntervals::AssetId).eq(asset_id))
                .and_where(Expr::col(AssetStateIntervals::StartedAt).lt(t))
                .order_by(AssetStateIntervals::StartedAt, Order::Desc)
                .limit(1),
        )
        .await?;
    s.map(|c| parse_stored(AssetStatus::parse(&c.state)))
        .transpose()
}

/// Sets the stored current status (kept on the asset row for fast filtering).
pub async fn set_status(tx: &mut Tx, asset_id: Uuid, status: AssetStatus) -> StoreResult<()> {
    tx.execute(
        Query::update()
            .table(Assets::Table)
            .value(Assets::Status, status.as_str())
            .value(Assets::UpdatedAt, tx.now())
            .value(Assets::Version, Expr::col(Assets::Version).add(1_i64))
            .and_where(Expr::col(Assets::Id).eq(asset_id)),
    )
    .await?;
    Ok(())
}

/// State intervals of many assets overlapping `[from, to)`, per asset in time order.
pub async fn intervals_of(
    db: &Db,
    assets: &[Uuid],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<StateInterval>> {
    let mut out = Vec::new();
    for chunk in assets.chunks(500) {
        let rows: Vec<StateInterval> = db
            .fetch_all(
                Query::select()
                    .columns(SPAN_COLS)
                    .from(AssetStateIntervals::Table)
                    .and_where(Expr::col(AssetStateIntervals::AssetId).is_in(chunk.iter().copied()))
                    .cond_where(
                        Cond::any()
                            .add(Expr::col(AssetStateIntervals::EndedAt).is_null())
                            .add(Expr::col(AssetStateIntervals::EndedAt).gt(from)),
                    )
                    .and_where(Expr::col(AssetStateIntervals::StartedAt).lt(to))
                    .order_by(AssetStateIntervals::AssetId, Order::Asc)
                    .order_by(AssetStateIntervals::StartedAt, Order::Asc),
            )
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

impl StateInterval {
    /// The interval as a core timeline span.
    pub fn to_span(&self) -> StoreResult<Span> {
        self.span()
    }
}

pub async fn intervals(
    db: &Db,
    asset_id: Uuid,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> StoreResult<Vec<StateInterval>> {
    let mut q = Query::select();
    q.columns(SPAN_COLS)
        .from(AssetStateIntervals::Table)
        .and_where(Expr::col(AssetStateIntervals::AssetId).eq(asset_id))
        .order_by(AssetStateIntervals::StartedAt, Order::Asc);
    if let Some(f) = from {
        q.cond_where(
            Cond::any()
                .add(Expr::col(AssetStateIntervals::EndedAt).is_null())
                .add(Expr::col(AssetStateIntervals::EndedAt).gt(f)),
        );
    }
    if let Some(t) = to {
        q.and_where(Expr::col(AssetStateIntervals::StartedAt).lt(t));
    }
    db.fetch_all(&q).await
}

// ---- downtime ------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Downtime {
    pub id: Uuid,
    pub asset_id: Uuid,
    pub work_order_id: Option<Uuid>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub planned: bool,
    pub reason: String,
    pub version: i64,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

const DT_COLS: [DowntimeEvents; 10] = [
    DowntimeEvents::Id,
    DowntimeEvents::AssetId,
    DowntimeEvents::WorkOrderId,
    DowntimeEvents::StartedAt,
    DowntimeEvents::EndedAt,
    DowntimeEvents::Planned,
    DowntimeEvents::Reason,
    DowntimeEvents::Version,
    DowntimeEvents::CreatedBy,
    DowntimeEvents::CreatedAt,
];

pub async fn insert_downtime(tx: &mut Tx, d: &Downtime) -> StoreResult<()> {
    tx.execute(
        Query::insert()
            .into_table(DowntimeEvents::Table)
            .columns(DT_COLS)
            .values_panic([
                d.id.into(),
                d.asset_id.into(),
                d.work_order_id.into(),
                d.started_at.into(),
                d.ended_at.into(),
                d.planned.into(),
                d.reason.clone().into(),
                d.version.into(),
                d.created_by.into(),
                d.created_at.into(),
            ]),
    )
    .await?;
    tx.audit(PendingAudit::new("create", "downtime", d.id).new_value(d));
    Ok(())
}

pub async fn end_downtime(tx: &mut Tx, old: &Downtime, new: &Downtime) -> StoreResult<()> {
    let n = tx
        .execute(
            Query::update()
                .table(DowntimeEvents::Table)
                .value(DowntimeEvents::EndedAt, new.ended_at)
                .value(DowntimeEvents::Version, new.version)
                .and_where(Expr::col(DowntimeEvents::Id).eq(old.id))
                .and_where(Expr::col(DowntimeEvents::Version).eq(old.version)),
        )
        .await?;
    if n == 0 {
        return Err(StoreError::Stale);
    }
    tx.audit(
        PendingAudit::new("update", "downtime", old.id)
            .old(old)
            .new_value(new),
    );
    Ok(())
}

pub async fn get_downtime(db: &Db, id: Uuid) -> StoreResult<Downtime> {
    db.fetch_one(
        Query::select()
            .columns(DT_COLS)
            .from(DowntimeEvents::Table)
            .and_where(Expr::col(DowntimeEvents::Id).eq(id)),
    )
    .await
}

#[derive(Debug, Default, Clone)]
pub struct DowntimeFilter {
    pub asset_id: Option<Uuid>,
    pub work_order_id: Option<Uuid>,
}

pub async fn list_downtime(db: &Db, f: &DowntimeFilter) -> StoreResult<Vec<Downtime>> {
    let mut q = Query::select();
    q.columns(DT_COLS)
        .from(DowntimeEvents::Table)
        .order_by(DowntimeEvents::StartedAt, Order::Desc)
        .limit(500);
    if let Some(a) = f.asset_id {
        q.and_where(Expr::col(DowntimeEvents::AssetId).eq(a));
    }
    if let Some(w) = f.work_order_id {
        q.and_where(Expr::col(DowntimeEvents::WorkOrderId).eq(w));
    }
    db.fetch_all(&q).await
}
