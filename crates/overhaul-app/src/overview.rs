//! The manager's front page: open work by status and priority, overdue work, requests waiting,
//! assets down now and the last 30 days of completed work, for the sites the viewer can see.

use crate::{App, AppResult, Ctx};
use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;
use overhaul_core::work_order::{Priority, WorkOrderStatus};
use overhaul_store::overview::{self, DownAsset};
use uuid::Uuid;

/// One row of the open-work table: a status and its count per priority (low → urgent).
#[derive(Debug, Clone, PartialEq)]
pub struct StatusRow {
    pub status: WorkOrderStatus,
    pub by_priority: [i64; 4],
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    pub open: Vec<StatusRow>,
    pub open_total: i64,
    pub urgent_open: i64,
    pub overdue: i64,
    pub requests_waiting: i64,
    pub assets_down: Vec<DownAsset>,
    /// Completed work orders per local day, oldest first, 30 days ending today.
    pub completed_per_day: Vec<(NaiveDate, i64)>,
    pub completed_total: i64,
    /// The zone the days are counted in.
    pub zone: Tz,
}

const PRIORITIES: [Priority; 4] = [
    Priority::Low,
    Priority::Normal,
    Priority::High,
    Priority::Urgent,
];

impl App {
    /// Front-page figures. `site` narrows to one site (and counts days in its time zone);
    /// otherwise every visible site, days in the zone of the first of them (UTC when none).
    pub async fn overview(&self, ctx: &Ctx, site: Option<Uuid>) -> AppResult<Overview> {
        let visible = ctx.actor.visible_sites();
        let sites: Option<Vec<Uuid>> = match (site, visible) {
            (Some(s), Some(v)) if v.contains(&s) => Some(vec![s]),
            (Some(_), Some(_)) => Some(vec![]),
            (Some(s), None) => Some(vec![s]),
            (None, v) => v,
        };
        let scope = sites.as_deref();
        let open_statuses: Vec<&str> = WorkOrderStatus::open_statuses()
            .iter()
            .map(|s| s.as_str())
            .collect();
        let counts = overview::open_work_by_status(&self.db, scope, &open_statuses).await?;
        let mut open = Vec::new();
        for st in WorkOrderStatus::open_statuses() {
            let mut by_priority = [0_i64; 4];
            for c in counts.iter().filter(|c| c.status == st.as_str()) {
                if let Some(i) = PRIORITIES.iter().position(|p| p.as_str() == c.priority) {
                    by_priority[i] += c.n;
                }
            }
            open.push(StatusRow {
                status: st,
                total: by_priority.iter().sum(),
                by_priority,
            });
        }
        let open_total = open.iter().map(|r| r.total).sum();
        let urgent_open = open.iter().map(|r| r.by_priority[3]).sum();
        let overdue = overview::overdue_count(&self.db, scope, &open_statuses, ctx.now).await?;
        let requests_waiting = overview::waiting_requests(&self.db, scope).await?;
        let assets_down = overview::assets_down(&self.db, scope, 20).await?;
        let zone_site = match (&sites, site) {
            (_, Some(s)) => Some(s),
            (Some(v), None) => v.first().copied(),
            (None, None) => None,
        };
        let zone = match zone_site {
            Some(s) => overhaul_store::site::get(&self.db, s)
                .await
                .ok()
                .and_then(|s| s.timezone.parse::<Tz>().ok())
                .unwrap_or(chrono_tz::UTC),
            None => match overhaul_store::site::list(&self.db, None).await?.first() {
                Some(s) => s.timezone.parse::<Tz>().unwrap_or(chrono_tz::UTC),
                None => chrono_tz::UTC,
            },
        };
        let today = ctx.now.with_timezone(&zone).date_naive();
        let first = today - Duration::days(29);
        let from = overhaul_core::kpi::local_midnight(zone, first);
        let done = overview::completed_since(&self.db, scope, from).await?;
        let mut completed_per_day: Vec<(NaiveDate, i64)> =
            (0..30).map(|i| (first + Duration::days(i), 0)).collect();
        for t in done {
            let d = t.with_timezone(&zone).date_naive();
            if let Some(slot) = completed_per_day.iter_mut().find(|(day, _)| *day == d) {
                slot.1 += 1;
            }
        }
        let completed_total = completed_per_day.iter().map(|(_, n)| n).sum();
        Ok(Overview {
            open,
            open_total,
            urgent_open,
            overdue,
            requests_waiting,
            assets_down,
            completed_per_day,
            completed_total,
            zone,
        })
    }
}
