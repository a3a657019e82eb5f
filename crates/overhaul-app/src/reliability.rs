//! Reliability analysis of an asset or a subtree from its recorded history: operating
//! lifetimes between failures, Weibull fits, Kaplan–Meier, Crow-AMSAA trend, and a recommended
//! preventive replacement interval.

use crate::access::Action;
use crate::{App, AppError, AppResult, Ctx};
use chrono::{DateTime, Duration, Utc};
use overhaul_core::asset_state::Span;
use overhaul_core::kpi::{FailureEvent, Window, state_hours};
use overhaul_core::reliability::{
    AgeReplacement, CrowAmsaaFit, KmPoint, RegressionAxis, WeibullFit, WeibullRegressionFit,
    crow_amsaa, fit_weibull_mle, fit_weibull_rank_regression, kaplan_meier,
    optimal_age_replacement,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReliabilityQuery {
    /// Start of the history used (default: one year before `to`).
    pub from: Option<DateTime<Utc>>,
    /// End of the history used (default and latest: now).
    pub to: Option<DateTime<Utc>>,
    /// Include every asset below this one (default true).
    pub subtree: Option<bool>,
    /// Cost of one preventive replacement, for the recommended interval.
    pub cost_preventive: Option<f64>,
    /// Cost of one failure (repair, lost production), for the recommended interval.
    pub cost_failure: Option<f64>,
}

/// Operating hours between failures: failures end a lifetime; the time from the last failure
/// (or the start) to the end of the window is right-censored.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Lifetimes {
    pub failures: Vec<f64>,
    pub censored: Vec<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReliabilityReport {
    pub asset_id: Uuid,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub assets: usize,
    pub lifetimes: Lifetimes,
    /// Weibull 2P by maximum likelihood with censoring and 95 % bounds.
    #[schema(value_type = Option<Object>)]
    pub weibull_mle: Option<WeibullFit>,
    /// Weibull 2P by rank regression on X (Johnson ranks, Benard positions).
    #[schema(value_type = Option<Object>)]
    pub weibull_rrx: Option<WeibullRegressionFit>,
    #[schema(value_type = Vec<Object>)]
    pub kaplan_meier: Vec<KmPoint>,
    /// Crow-AMSAA over the failure times of the whole group (time-terminated at the window end).
    #[schema(value_type = Option<Object>)]
    pub crow_amsaa: Option<CrowAmsaaFit>,
    /// Optimal age-replacement interval from the MLE fit and the given costs.
    #[schema(value_type = Option<Object>)]
    pub recommendation: Option<AgeReplacement>,
    /// Hours from `from` at which the counted failures happened, in order (the Crow-AMSAA
    /// data: failure i is the i-th point of the cumulative plot).
    pub failure_hours: Vec<f64>,
    /// Fraction of the window's calendar time the assets spent running (operating hours per
    /// calendar hour), to turn operating-hour intervals into calendar days.
    pub running_fraction: Option<f64>,
    /// Why a part of the analysis is missing (too few failures, no costs given, …).
    pub notes: Vec<String>,
}

/// Splits an asset's history into operating lifetimes between failures; also returns the
/// failure instants that ended a lifetime (several reports of one outage end only one).
pub fn lifetimes(
    spans: &[Span],
    failures: &[FailureEvent],
    w: Window,
) -> (Lifetimes, Vec<DateTime<Utc>>) {
    let mut times: Vec<DateTime<Utc>> = failures
        .iter()
        .filter(|f| f.impact.as_deref() != Some("I") && f.at >= w.from && f.at < w.to)
        .map(|f| f.at)
        .collect();
    times.sort();
    let mut out = Lifetimes::default();
    let mut counted = Vec::new();
    let mut start = w.from;
    for t in times {
        let Ok(seg) = Window::new(start, t) else {
            continue;
        };
        // No running time since the last failure: another report of the same outage.
        let h = state_hours(spans, seg).running;
        if h > 0.0 {
            out.failures.push(h);
            counted.push(t);
            start = t;
        }
    }
    if let Ok(rest) = Window::new(start, w.to) {
        let h = state_hours(spans, rest).running;
        if h > 0.0 {
            out.censored.push(h);
        }
    }
    (out, counted)
}

impl App {
    pub async fn asset_reliability(
        &self,
        ctx: &Ctx,
        asset_id: Uuid,
        q: ReliabilityQuery,
    ) -> AppResult<ReliabilityReport> {
        let a = self.load_asset(ctx, asset_id, Action::Read).await?;
        let to = q.to.unwrap_or(ctx.now).min(ctx.now);
        let from = q.from.unwrap_or(to - Duration::days(365));
        let w = Window::new(from, to).map_err(|m| AppError::invalid("to", m))?;
        for (field, v) in [
            ("cost_preventive", q.cost_preventive),
            ("cost_failure", q.cost_failure),
        ] {
            if v.is_some_and(|c| !c.is_finite() || c <= 0.0) {
                return Err(AppError::invalid(field, "must be a positive number"));
            }
        }
        let crate::kpis::History {
            ids,
            spans,
            failures: fails,
            ..
        } = self
            .history(&a, q.subtree.unwrap_or(true), from, to)
            .await?;
        let mut life = Lifetimes::default();
        let mut failure_hours: Vec<f64> = Vec::new();
        for id in &ids {
            let s = spans.get(id).map(Vec::as_slice).unwrap_or_default();
            let f = fails.get(id).map(Vec::as_slice).unwrap_or_default();
            let (l, counted) = lifetimes(s, f, w);
            life.failures.extend(&l.failures);
            life.censored.extend(&l.censored);
            failure_hours.extend(
                counted
                    .iter()
                    .map(|t| (*t - from).num_milliseconds() as f64 / 3_600_000.0),
            );
        }
        let mut notes = Vec::new();
        let weibull_mle = fit_weibull_mle(&life.failures, &life.censored)
            .map_err(|e| notes.push(format!("Weibull MLE: {e}")))
            .ok();
        let weibull_rrx =
            fit_weibull_rank_regression(&life.failures, &life.censored, RegressionAxis::X)
                .map_err(|e| notes.push(format!("Weibull rank regression: {e}")))
                .ok();
        let kaplan_meier = kaplan_meier(&life.failures, &life.censored)
            .map_err(|e| notes.push(format!("Kaplan–Meier: {e}")))
            .unwrap_or_default();
        failure_hours.sort_by(f64::total_cmp);
        failure_hours.retain(|h| *h > 0.0);
        let window_hours = (to - from).num_milliseconds() as f64 / 3_600_000.0;
        let crow = crow_amsaa(&failure_hours, Some(window_hours))
            .map_err(|e| notes.push(format!("Crow-AMSAA: {e}")))
            .ok();
        let recommendation = match (q.cost_preventive, q.cost_failure, &weibull_mle) {
            (Some(cp), Some(cf), Some(fit)) => optimal_age_replacement(cp, cf, fit.eta, fit.beta)
                .map_err(|e| notes.push(format!("Replacement interval: {e}")))
                .ok(),
            (Some(_), Some(_), None) => {
                notes.push("Replacement interval: needs a Weibull fit".into());
                None
            }
            _ => {
                notes.push(
                    "Replacement interval: give cost_preventive and cost_failure to get one".into(),
                );
                None
            }
        };
        Ok(ReliabilityReport {
            asset_id,
            from,
            to,
            assets: ids.len(),
            weibull_mle,
            weibull_rrx,
            kaplan_meier,
            crow_amsaa: crow,
            recommendation,
            running_fraction: (window_hours > 0.0 && !ids.is_empty())
                .then(|| {
                    (life.failures.iter().sum::<f64>() + life.censored.iter().sum::<f64>())
                        / (window_hours * ids.len() as f64)
                })
                .filter(|f| f.is_finite() && *f > 0.0),
            failure_hours,
            lifetimes: life,
            notes,
        })
    }
}
