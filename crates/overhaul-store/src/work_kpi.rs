//! Read models for the SMRP work-management metrics: the open work of a site (with labour
//! estimates), the labour booked in a window, and the status history that says whether a job
//! was planned before it started.

use crate::Db;
use crate::error::StoreResult;
use crate::schema::{LaborEntries, ProcedureRevisions, WorkOrderStatusChanges, WorkOrders};
use chrono::{DateTime, Utc};
use sea_query::{Expr, ExprTrait, Order, Query, SelectStatement};
use uuid::Uuid;

/// Restricts a query on work orders to a site and, when given, to some assets.
fn scope(q: &mut SelectStatement, site: Uuid, assets: Option<&[Uuid]>) {
    q.and_where(Expr::col((WorkOrders::Table, WorkOrders::SiteId)).eq(site));
    if let Some(a) = assets {
        q.and_where(Expr::col((WorkOrders::Table, WorkOrders::AssetId)).is_in(a.to_vec()));
    }
}

/// Runs `build` once per chunk of assets (or once for the whole site).
async fn chunked<T: crate::db::Rows>(
    db: &Db,
    site: Uuid,
    assets: Option<&[Uuid]>,
    build: impl Fn() -> SelectStatement,
) -> StoreResult<Vec<T>> {
    let mut out = Vec::new();
    match assets {
        None => {
            let mut q = build();
            scope(&mut q, site, None);
            out.extend(db.fetch_all::<T, _>(&q).await?);
        }
        Some(ids) => {
            for chunk in ids.chunks(500) {
                let mut q = build();
                scope(&mut q, site, Some(chunk));
                out.extend(db.fetch_all::<T, _>(&q).await?);
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OpenWorkRow {
    pub id: Uuid,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    /// The estimate of the procedure revision the work follows.
    pub estimated_minutes: Option<i64>,
}

/// Work orders in the given statuses, with their labour estimates.
pub async fn open_work(
    db: &Db,
    site: Uuid,
    assets: Option<&[Uuid]>,
    statuses: &[&str],
) -> StoreResult<Vec<OpenWorkRow>> {
    let statuses: Vec<String> = statuses.iter().map(|s| s.to_string()).collect();
    chunked(db, site, assets, || {
        Query::select()
            .column((WorkOrders::Table, WorkOrders::Id))
            .column((WorkOrders::Table, WorkOrders::Type))
            .column((WorkOrders::Table, WorkOrders::Status))
            .column((WorkOrders::Table, WorkOrders::CreatedAt))
            .column((
                ProcedureRevisions::Table,
                ProcedureRevisions::EstimatedMinutes,
            ))
            .from(WorkOrders::Table)
            .left_join(
                ProcedureRevisions::Table,
                Expr::col((ProcedureRevisions::Table, ProcedureRevisions::Id))
                    .equals((WorkOrders::Table, WorkOrders::ProcedureRevisionId)),
            )
            .and_where(Expr::col((WorkOrders::Table, WorkOrders::Status)).is_in(statuses.clone()))
            .to_owned()
    })
    .await
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LaborRow {
    pub work_order_id: Uuid,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub minutes: i64,
}

/// Labour entries that started in `[from, to)`, with the type of their work order.
pub async fn labor_in(
    db: &Db,
    site: Uuid,
    assets: Option<&[Uuid]>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<LaborRow>> {
    chunked(db, site, assets, || {
        Query::select()
            .column((LaborEntries::Table, LaborEntries::WorkOrderId))
            .column((WorkOrders::Table, WorkOrders::Type))
            .column((LaborEntries::Table, LaborEntries::Minutes))
            .from(LaborEntries::Table)
            .inner_join(
                WorkOrders::Table,
                Expr::col((WorkOrders::Table, WorkOrders::Id))
                    .equals((LaborEntries::Table, LaborEntries::WorkOrderId)),
            )
            .and_where(Expr::col((LaborEntries::Table, LaborEntries::StartedAt)).gte(from))
            .and_where(Expr::col((LaborEntries::Table, LaborEntries::StartedAt)).lt(to))
            .to_owned()
    })
    .await
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StatusRow {
    pub work_order_id: Uuid,
    pub to_status: String,
    pub changed_at: DateTime<Utc>,
}

/// The status histories of some work orders, oldest change first.
pub async fn status_histories(db: &Db, work_orders: &[Uuid]) -> StoreResult<Vec<StatusRow>> {
    let mut out = Vec::new();
    for chunk in work_orders.chunks(500) {
        out.extend(
            db.fetch_all::<StatusRow, _>(
                Query::select()
                    .columns([
                        WorkOrderStatusChanges::WorkOrderId,
                        WorkOrderStatusChanges::ToStatus,
                        WorkOrderStatusChanges::ChangedAt,
                    ])
                    .from(WorkOrderStatusChanges::Table)
                    .and_where(Expr::col(WorkOrderStatusChanges::WorkOrderId).is_in(chunk.to_vec()))
                    .order_by(WorkOrderStatusChanges::ChangedAt, Order::Asc),
            )
            .await?,
        );
    }
    Ok(out)
}
