//! SMRP work-management KPIs of a site (or an asset subtree of it): planned vs reactive work
//! from the labour booked in a window, ready and planned backlog in crew-weeks, and WO aging.

use crate::access::Action;
use crate::{App, AppError, AppResult, Ctx};
use chrono::{DateTime, Duration, Utc};
use overhaul_core::backlog::{
    AgeBucket, Backlog, OpenWork, aging, backlog, is_open, went_through_planning,
};
use overhaul_core::kpi::{LaborOnWork, WorkMix, work_mix};
use overhaul_core::work_order::{WorkOrderStatus, WorkOrderType};
use overhaul_store::work_kpi;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

/// Straight-time hours of one technician per week, for the default crew capacity.
pub const HOURS_PER_TECHNICIAN_WEEK: f64 = 40.0;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorkKpiQuery {
    /// Start of the labour window (default: 30 days before `to`).
    pub from: Option<DateTime<Utc>>,
    /// End of the labour window, exclusive (default and latest: now).
    pub to: Option<DateTime<Utc>>,
    /// Only work on this asset and everything below it.
    pub asset_id: Option<Uuid>,
    /// Crew capacity for the backlog weeks (default: technicians of the site × 40 h).
    pub crew_hours_per_week: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkKpis {
    pub site_id: Uuid,
    pub asset_id: Option<Uuid>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Labour hours in the window split into planned (SMRP 5.3.1), reactive (5.4.1) and
    /// proactive (5.4.2) work.
    pub work_mix: WorkMix,
    /// Ready and planned backlog now (SMRP 5.4.9).
    pub backlog: Backlog,
    /// Where the crew capacity comes from.
    pub capacity_basis: String,
    /// Open work orders by age now (SMRP 5.4.6).
    pub aging: Vec<AgeBucket>,
    pub definitions: &'static str,
}

pub const DEFINITIONS: &str = "Planned work (SMRP 5.3.1) = labour hours on work orders that reached planned, ready or \
scheduled before work started / all labour hours started in the window × 100. Reactive work (5.4.1) = hours on \
corrective and emergency work orders / all hours × 100; proactive (5.4.2) = preventive, predictive, inspection and \
calibration hours / all hours × 100. Ready backlog (5.4.9) = estimated hours of ready and scheduled work orders / \
crew hours per week; planned backlog adds planned work orders; work orders without an estimate (from their \
procedure) are counted but add no hours. WO aging (5.4.6) = open work orders by whole days since creation.";

const OPEN: [&str; 7] = [
    "requested",
    "approved",
    "planned",
    "ready",
    "scheduled",
    "in_progress",
    "on_hold",
];

impl App {
    pub async fn work_kpis(
        &self,
        ctx: &Ctx,
        site_id: Uuid,
        q: WorkKpiQuery,
    ) -> AppResult<WorkKpis> {
        let site = overhaul_store::site::get(&self.db, site_id)
            .await
            .map_err(crate::missing("site"))?;
        ctx.actor.check(site.id, Action::Read, "site")?;
        let to = q.to.unwrap_or(ctx.now).min(ctx.now);
        let from = q.from.unwrap_or(to - Duration::days(30));
        if to <= from {
            return Err(AppError::invalid("to", "must be after from"));
        }
        if to - from > Duration::days(3_660) {
            return Err(AppError::invalid(
                "from",
                "the window can be at most ten years",
            ));
        }
        let assets = match q.asset_id {
            Some(id) => {
                let a = self.load_asset(ctx, id, Action::Read).await?;
                if a.site_id != site.id {
                    return Err(AppError::invalid(
                        "asset_id",
                        "is not an asset of this site",
                    ));
                }
                Some(
                    overhaul_store::asset::list(
                        &self.db,
                        &overhaul_store::asset::AssetFilter {
                            subtree_path: Some(a.path.clone()),
                            limit: 100_000,
                            ..Default::default()
                        },
                    )
                    .await?
                    .into_iter()
                    .map(|x| x.id)
                    .collect::<Vec<_>>(),
                )
            }
            None => None,
        };
        let (capacity, capacity_basis) = match q.crew_hours_per_week {
            Some(c) => (Some(c), "given".to_owned()),
            None => {
                let techs = overhaul_store::overview::users_at_site(&self.db, site.id)
                    .await?
                    .into_iter()
                    .filter(|u| u.role == "technician")
                    .map(|u| u.user_id)
                    .collect::<std::collections::HashSet<_>>()
                    .len();
                if techs == 0 {
                    (
                        None,
                        "no technicians at the site: give crew_hours_per_week".into(),
                    )
                } else {
                    (
                        Some(techs as f64 * HOURS_PER_TECHNICIAN_WEEK),
                        format!("{techs} technicians × {HOURS_PER_TECHNICIAN_WEEK} h"),
                    )
                }
            }
        };
        let open_rows = work_kpi::open_work(&self.db, site.id, assets.as_deref(), &OPEN).await?;
        let mut open = Vec::with_capacity(open_rows.len());
        for r in open_rows {
            let (Ok(kind), Ok(status)) = (
                WorkOrderType::parse(&r.kind),
                WorkOrderStatus::parse(&r.status),
            ) else {
                return Err(AppError::Internal(format!(
                    "work order {} has type {} / status {}",
                    r.id, r.kind, r.status
                )));
            };
            if is_open(status) {
                open.push(OpenWork {
                    kind,
                    status,
                    created_at: r.created_at,
                    estimated_hours: r.estimated_minutes.map(|m| m as f64 / 60.0),
                });
            }
        }
        let backlog =
            backlog(&open, capacity).map_err(|m| AppError::invalid("crew_hours_per_week", m))?;
        let labor = work_kpi::labor_in(&self.db, site.id, assets.as_deref(), from, to).await?;
        let mut wo_ids: Vec<Uuid> = labor.iter().map(|l| l.work_order_id).collect();
        wo_ids.sort();
        wo_ids.dedup();
        let mut histories: HashMap<Uuid, Vec<(WorkOrderStatus, DateTime<Utc>)>> = HashMap::new();
        for c in work_kpi::status_histories(&self.db, &wo_ids).await? {
            if let Ok(s) = WorkOrderStatus::parse(&c.to_status) {
                histories
                    .entry(c.work_order_id)
                    .or_default()
                    .push((s, c.changed_at));
            }
        }
        let planned: HashMap<Uuid, bool> = histories
            .iter()
            .map(|(id, h)| (*id, went_through_planning(h)))
            .collect();
        let mut on_work = Vec::with_capacity(labor.len());
        for l in &labor {
            let kind = WorkOrderType::parse(&l.kind).map_err(AppError::Internal)?;
            on_work.push(LaborOnWork {
                kind,
                minutes: l.minutes,
                planned: planned.get(&l.work_order_id).copied().unwrap_or(false),
            });
        }
        Ok(WorkKpis {
            site_id: site.id,
            asset_id: q.asset_id,
            from,
            to,
            work_mix: work_mix(&on_work),
            backlog,
            capacity_basis,
            aging: aging(&open, ctx.now),
            definitions: DEFINITIONS,
        })
    }
}
