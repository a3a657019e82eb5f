//! KPIs of an asset or a subtree of assets over a window.

use crate::access::Action;
use crate::{App, AppError, AppResult, Ctx};
use chrono::{DateTime, Duration, Utc};
use overhaul_core::asset_state::Span;
use overhaul_core::kpi::{FailureEvent, ReliabilityKpis, Window, aggregate, reliability_kpis};
use overhaul_store::asset::{self, AssetFilter};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KpiQuery {
    /// Start of the window (default: 30 days before `to`).
    pub from: Option<DateTime<Utc>>,
    /// End of the window, exclusive (default: now).
    pub to: Option<DateTime<Utc>>,
    /// Include every asset below this one (default true).
    pub subtree: Option<bool>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KpiReport {
    pub asset_id: Uuid,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Assets the figures cover (the asset and, with `subtree`, everything below it).
    pub assets: usize,
    pub kpis: ReliabilityKpis,
    /// How each figure is computed.
    pub definitions: &'static str,
}

pub const DEFINITIONS: &str = "MTBF = running hours / failures (SMRP 3.5.1); a failure is a work order with a failure \
report (mode or impact) that is not incipient (I); reports inside one unplanned outage count once; with no failure MTBF \
is reported as more than the running hours. MTTR = mean time to restoration = unplanned downtime hours / unplanned \
outages. MDT = downtime hours / downtime events. A_i = MTBF / (MTBF + MTTR). A_o = (running + standby) / (running + \
standby + downtime). Hours are clipped to the window; assets count from their commissioning.";

/// The recorded history of an asset (and optionally its subtree) over a window: the assets,
/// their state spans and their failures, per asset.
pub(crate) struct History {
    pub ids: Vec<Uuid>,
    pub spans: HashMap<Uuid, Vec<Span>>,
    pub failures: HashMap<Uuid, Vec<FailureEvent>>,
    /// Failure modes of the failures, per asset, in the same order as `failures`.
    pub modes: HashMap<Uuid, Vec<Option<String>>>,
}

impl App {
    pub(crate) async fn history(
        &self,
        a: &overhaul_store::asset::Asset,
        subtree: bool,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> AppResult<History> {
        let ids: Vec<Uuid> = if subtree {
            asset::list(
                &self.db,
                &AssetFilter {
                    subtree_path: Some(a.path.clone()),
                    limit: 100_000,
                    ..AssetFilter::default()
                },
            )
            .await?
            .into_iter()
            .map(|x| x.id)
            .collect()
        } else {
            vec![a.id]
        };
        self.history_of(ids, from, to).await
    }

    /// The recorded history of the given assets over a window.
    pub(crate) async fn history_of(
        &self,
        ids: Vec<Uuid>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> AppResult<History> {
        let mut spans: HashMap<Uuid, Vec<Span>> = HashMap::new();
        for iv in asset::intervals_of(&self.db, &ids, from, to).await? {
            spans.entry(iv.asset_id).or_default().push(iv.to_span()?);
        }
        let mut failures: HashMap<Uuid, Vec<FailureEvent>> = HashMap::new();
        let mut modes: HashMap<Uuid, Vec<Option<String>>> = HashMap::new();
        for f in overhaul_store::work_order::failure_events(&self.db, &ids, from, to).await? {
            modes.entry(f.asset_id).or_default().push(f.failure_mode);
            failures.entry(f.asset_id).or_default().push(FailureEvent {
                at: f.at,
                impact: f.failure_impact,
            });
        }
        Ok(History {
            ids,
            spans,
            failures,
            modes,
        })
    }

    pub async fn asset_kpis(&self, ctx: &Ctx, asset_id: Uuid, q: KpiQuery) -> AppResult<KpiReport> {
        let a = self.load_asset(ctx, asset_id, Action::Read).await?;
        // The future has no history: the window ends now at the latest.
        let to = q.to.unwrap_or(ctx.now).min(ctx.now);
        let from = q.from.unwrap_or(to - Duration::days(30));
        let w = Window::new(from, to).map_err(|m| AppError::invalid("to", m))?;
        if to - from > Duration::days(3_660) {
            return Err(AppError::invalid(
                "from",
                "the window can be at most ten years",
            ));
        }
        let History {
            ids,
            spans,
            failures,
            ..
        } = self
            .history(&a, q.subtree.unwrap_or(true), from, to)
            .await?;
        let parts: Vec<ReliabilityKpis> = ids
            .iter()
            .map(|id| {
                reliability_kpis(
                    spans.get(id).map(Vec::as_slice).unwrap_or_default(),
                    failures.get(id).map(Vec::as_slice).unwrap_or_default(),
                    w,
                )
            })
            .collect();
        Ok(KpiReport {
            asset_id,
            from,
            to,
            assets: ids.len(),
            kpis: aggregate(&parts, w),
            definitions: DEFINITIONS,
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KpiPeriodQuery {
    /// `week`, `month` (default), `quarter` or `year`, in the site's time zone.
    pub period: Option<overhaul_core::kpi::Period>,
    /// Default: one year before `to`.
    pub from: Option<DateTime<Utc>>,
    /// Default and latest: now.
    pub to: Option<DateTime<Utc>>,
    /// Include every asset below this one (default true).
    pub subtree: Option<bool>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PeriodKpis {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub kpis: ReliabilityKpis,
}

impl App {
    /// KPIs per calendar period (for period comparison tables and trends).
    pub async fn asset_kpi_periods(
        &self,
        ctx: &Ctx,
        asset_id: Uuid,
        q: KpiPeriodQuery,
    ) -> AppResult<Vec<PeriodKpis>> {
        let a = self.load_asset(ctx, asset_id, Action::Read).await?;
        let site = overhaul_store::site::get(&self.db, a.site_id).await?;
        let tz = overhaul_core::site::parse_timezone(&site.timezone).map_err(AppError::Internal)?;
        let to = q.to.unwrap_or(ctx.now).min(ctx.now);
        let from = q.from.unwrap_or(to - Duration::days(365));
        let w = Window::new(from, to).map_err(|m| AppError::invalid("to", m))?;
        if to - from > Duration::days(3_660) {
            return Err(AppError::invalid(
                "from",
                "the window can be at most ten years",
            ));
        }
        let h = self
            .history(&a, q.subtree.unwrap_or(true), from, to)
            .await?;
        Ok(per_period(&h, tz, q.period, w))
    }

    /// KPIs per calendar period over every asset of a site.
    pub async fn site_kpi_periods(
        &self,
        ctx: &Ctx,
        site_id: Uuid,
        q: KpiPeriodQuery,
    ) -> AppResult<Vec<PeriodKpis>> {
        let site = overhaul_store::site::get(&self.db, site_id)
            .await
            .map_err(crate::missing("site"))?;
        ctx.actor.check(site.id, Action::Read, "site")?;
        let tz = overhaul_core::site::parse_timezone(&site.timezone).map_err(AppError::Internal)?;
        let (from, to, w) = period_window(ctx, q.from, q.to)?;
        let ids = self.site_asset_ids(site.id).await?;
        let h = self.history_of(ids, from, to).await?;
        Ok(per_period(&h, tz, q.period, w))
    }

    /// Every asset of a site.
    pub(crate) async fn site_asset_ids(&self, site_id: Uuid) -> AppResult<Vec<Uuid>> {
        Ok(asset::list(
            &self.db,
            &AssetFilter {
                site_id: Some(site_id),
                limit: 100_000,
                ..AssetFilter::default()
            },
        )
        .await?
        .into_iter()
        .map(|x| x.id)
        .collect())
    }
}

/// The window of a period table: default one year up to now, at most ten years.
fn period_window(
    ctx: &Ctx,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> AppResult<(DateTime<Utc>, DateTime<Utc>, Window)> {
    let to = to.unwrap_or(ctx.now).min(ctx.now);
    let from = from.unwrap_or(to - Duration::days(365));
    let w = Window::new(from, to).map_err(|m| AppError::invalid("to", m))?;
    if to - from > Duration::days(3_660) {
        return Err(AppError::invalid(
            "from",
            "the window can be at most ten years",
        ));
    }
    Ok((from, to, w))
}

/// Fleet KPIs of a history per calendar period of the site's time zone.
fn per_period(
    h: &History,
    tz: chrono_tz::Tz,
    period: Option<overhaul_core::kpi::Period>,
    w: Window,
) -> Vec<PeriodKpis> {
    {
        let period = period.unwrap_or(overhaul_core::kpi::Period::Month);
        overhaul_core::kpi::periods(tz, period, w)
            .into_iter()
            .map(|pw| {
                let parts: Vec<ReliabilityKpis> = h
                    .ids
                    .iter()
                    .map(|id| {
                        reliability_kpis(
                            h.spans.get(id).map(Vec::as_slice).unwrap_or_default(),
                            h.failures.get(id).map(Vec::as_slice).unwrap_or_default(),
                            pw,
                        )
                    })
                    .collect();
                PeriodKpis {
                    from: pw.from,
                    to: pw.to,
                    kpis: aggregate(&parts, pw),
                }
            })
            .collect()
    }
}
