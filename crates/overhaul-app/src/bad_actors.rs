//! Bad actors: the assets, equipment classes or failure modes behind most unplanned downtime
//! and failures (a Pareto), and repeat failures.

use crate::access::Action;
use crate::{App, AppError, AppResult, Ctx};
use chrono::{DateTime, Duration, Utc};
use overhaul_core::kpi::{Window, count_failures, state_hours};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    #[default]
    Asset,
    EquipmentClass,
    FailureMode,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BadActorQuery {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// `asset` (default), `equipment_class` or `failure_mode`.
    pub group_by: Option<GroupBy>,
    /// A failure within this many days of the previous one on the same asset is a repeat
    /// failure (default 30).
    pub repeat_days: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BadActor {
    /// Asset id, class code or failure-mode code (`unrecorded` when missing).
    pub key: String,
    /// Asset code for asset rows.
    pub label: Option<String>,
    pub failures: usize,
    pub repeat_failures: usize,
    pub unplanned_downtime_hours: f64,
    /// Share of all unplanned downtime in the list, and the running total (the Pareto line).
    pub downtime_share: f64,
    pub cumulative_share: f64,
}

impl App {
    /// Ranks what lies below `asset_id` by unplanned downtime (then failures).
    pub async fn bad_actors(
        &self,
        ctx: &Ctx,
        asset_id: Uuid,
        q: BadActorQuery,
    ) -> AppResult<Vec<BadActor>> {
        let root = self.load_asset(ctx, asset_id, Action::Read).await?;
        let assets = overhaul_store::asset::list(
            &self.db,
            &overhaul_store::asset::AssetFilter {
                subtree_path: Some(root.path.clone()),
                limit: 100_000,
                ..Default::default()
            },
        )
        .await?;
        self.rank_bad_actors(ctx, assets, q).await
    }

    /// Ranks every asset of a site (or its classes, or failure modes) the same way.
    pub async fn site_bad_actors(
        &self,
        ctx: &Ctx,
        site_id: Uuid,
        q: BadActorQuery,
    ) -> AppResult<Vec<BadActor>> {
        let site = overhaul_store::site::get(&self.db, site_id)
            .await
            .map_err(crate::missing("site"))?;
        ctx.actor.check(site.id, Action::Read, "site")?;
        let assets = overhaul_store::asset::list(
            &self.db,
            &overhaul_store::asset::AssetFilter {
                site_id: Some(site.id),
                limit: 100_000,
                ..Default::default()
            },
        )
        .await?;
        self.rank_bad_actors(ctx, assets, q).await
    }

    async fn rank_bad_actors(
        &self,
        ctx: &Ctx,
        assets: Vec<overhaul_store::asset::Asset>,
        q: BadActorQuery,
    ) -> AppResult<Vec<BadActor>> {
        let to = q.to.unwrap_or(ctx.now).min(ctx.now);
        let from = q.from.unwrap_or(to - Duration::days(365));
        let w = Window::new(from, to).map_err(|m| AppError::invalid("to", m))?;
        // Checked before building the duration: `Duration::days` panics on huge values.
        let days = q.repeat_days.unwrap_or(30);
        if !(0..=3_660).contains(&days) {
            return Err(AppError::invalid(
                "repeat_days",
                "must be between 0 and 3660 days",
            ));
        }
        let repeat = Duration::days(days);
        let h = self
            .history_of(assets.iter().map(|a| a.id).collect(), from, to)
            .await?;
        let assets: HashMap<Uuid, overhaul_store::asset::Asset> =
            assets.into_iter().map(|a| (a.id, a)).collect();
        let group_by = q.group_by.unwrap_or_default();
        // (failures, repeats, downtime hours, label) per key
        let mut groups: HashMap<String, (usize, usize, f64, Option<String>)> = HashMap::new();
        for id in &h.ids {
            let spans = h.spans.get(id).map(Vec::as_slice).unwrap_or_default();
            let events = h.failures.get(id).map(Vec::as_slice).unwrap_or_default();
            let modes = h.modes.get(id).map(Vec::as_slice).unwrap_or_default();
            let a = assets.get(id);
            let asset_key = || match group_by {
                GroupBy::Asset => id.to_string(),
                _ => a
                    .and_then(|a| a.equipment_class.clone())
                    .unwrap_or_else(|| "unrecorded".into()),
            };
            let label = if group_by == GroupBy::Asset {
                a.map(|a| a.code.clone())
            } else {
                None
            };
            let down = state_hours(spans, w).down_unplanned;
            let mut times: Vec<(DateTime<Utc>, Option<String>)> = events
                .iter()
                .zip(modes.iter().chain(std::iter::repeat(&None)))
                .filter(|(e, _)| e.impact.as_deref() != Some("I") && e.at >= from && e.at < to)
                .map(|(e, m)| (e.at, m.clone()))
                .collect();
            times.sort_by_key(|(t, _)| *t);
            let n_fail = count_failures(events, spans, w);
            let repeats = times
                .windows(2)
                .filter(|p| p[1].0 - p[0].0 <= repeat)
                .count();
            if group_by == GroupBy::FailureMode {
                // Downtime is attributed to the modes of the asset's failures, evenly.
                let share = if times.is_empty() {
                    0.0
                } else {
                    down / times.len() as f64
                };
                for (_, m) in &times {
                    let g = groups
                        .entry(m.clone().unwrap_or_else(|| "unrecorded".into()))
                        .or_default();
                    g.0 += 1;
                    g.2 += share;
                }
                continue;
            }
            if n_fail == 0 && down == 0.0 {
                continue;
            }
            let g = groups.entry(asset_key()).or_default();
            g.0 += n_fail;
            g.1 += repeats;
            g.2 += down;
            g.3 = label;
        }
        let total: f64 = groups.values().map(|g| g.2).sum();
        let mut rows: Vec<BadActor> = groups
            .into_iter()
            .map(
                |(key, (failures, repeat_failures, hours, label))| BadActor {
                    key,
                    label,
                    failures,
                    repeat_failures,
                    unplanned_downtime_hours: hours,
                    downtime_share: if total > 0.0 { hours / total } else { 0.0 },
                    cumulative_share: 0.0,
                },
            )
            .collect();
        rows.sort_by(|a, b| {
            b.unplanned_downtime_hours
                .total_cmp(&a.unplanned_downtime_hours)
                .then(b.failures.cmp(&a.failures))
                .then(a.key.cmp(&b.key))
        });
        let mut cum = 0.0;
        for r in &mut rows {
            cum += r.downtime_share;
            r.cumulative_share = cum.min(1.0);
        }
        Ok(rows)
    }
}
