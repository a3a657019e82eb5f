//! Preventive maintenance at a glance: SMRP PM compliance, and a week-by-week calendar of
//! what the plans will bring in the next eight weeks (the forecast; nothing is created).

use super::work_orders::site_zones;
use super::{Chrome, UiResult, Viewer, render};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use chrono::{Datelike, Duration, NaiveDate};
use overhaul_app::AppError;
use overhaul_app::pm::{ComplianceQuery, ForecastQuery};
use std::collections::HashMap;
use uuid::Uuid;

/// Titles shown per calendar day before "+n more".
const PER_DAY: usize = 3;

/// A calendar day: how many occurrences, and the first few titles.
type Day = (usize, Vec<String>);
/// A week: its Monday, its days, its total.
type Week = (String, Vec<Day>, usize);
/// (plan, asset, every, due, on time, late, not done, %)
type ComplianceRow = (String, String, String, u32, u32, u32, u32, String);

#[derive(Template)]
#[template(path = "pm.html")]
struct PmPage {
    chrome: Chrome,
    plans: usize,
    compliance: String,
    upcoming: usize,
    zone: String,
    weekdays: [&'static str; 7],
    weeks: Vec<Week>,
    rows: Vec<ComplianceRow>,
}

fn percent(p: Option<f64>) -> String {
    p.map(|x| format!("{x:.0} %")).unwrap_or_else(|| "—".into())
}

pub async fn page(State(s): State<AppState>, v: Viewer) -> UiResult {
    let zones = site_zones(&s.app, &v.ctx).await?;
    // One zone for the calendar: the first visible site's (plants rarely span zones).
    let tz = zones.values().next().map(|z| z.0).unwrap_or(chrono_tz::UTC);
    let plans = s.app.list_pm_plans(&v.ctx, None, None).await?;
    let active = plans.iter().filter(|p| p.status == "active").count();
    let today = v.ctx.now.with_timezone(&tz).date_naive();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let from = overhaul_core::kpi::local_midnight(tz, monday);
    let until = overhaul_core::kpi::local_midnight(tz, monday + Duration::days(56));
    let forecast = s
        .app
        .pm_forecast(
            &v.ctx,
            ForecastQuery {
                from: Some(from.max(v.ctx.now)),
                until: Some(until),
                ..Default::default()
            },
        )
        .await?;
    let mut by_day: HashMap<NaiveDate, Vec<String>> = HashMap::new();
    let asset_ids: Vec<Uuid> = forecast.iter().map(|f| f.asset_id).collect();
    let names = overhaul_store::overview::asset_names(&s.app.db, &asset_ids)
        .await
        .map_err(AppError::from)?;
    for f in &forecast {
        let day = f.occurrence.due.with_timezone(&tz).date_naive();
        let code = names
            .get(&f.asset_id)
            .map(|a| a.code.clone())
            .unwrap_or_default();
        by_day
            .entry(day)
            .or_default()
            .push(format!("{code}: {}", f.title));
    }
    let weeks = (0..8)
        .map(|w| {
            let start = monday + Duration::days(w * 7);
            let days: Vec<Day> = (0..7)
                .map(|d| {
                    let all = by_day
                        .get(&(start + Duration::days(d)))
                        .cloned()
                        .unwrap_or_default();
                    (all.len(), all.into_iter().take(PER_DAY).collect())
                })
                .collect();
            let total = days.iter().map(|d| d.0).sum();
            (start.format("%Y-%m-%d").to_string(), days, total)
        })
        .collect();
    let report = s
        .app
        .pm_compliance(&v.ctx, ComplianceQuery::default())
        .await?;
    let plan_assets: Vec<Uuid> = report.plans.iter().map(|p| p.asset_id).collect();
    let plan_names = overhaul_store::overview::asset_names(&s.app.db, &plan_assets)
        .await
        .map_err(AppError::from)?;
    let rows = report
        .plans
        .iter()
        .filter(|p| p.compliance.due > 0 || p.compliance.pending > 0)
        .map(|p| {
            (
                p.title.clone(),
                plan_names
                    .get(&p.asset_id)
                    .map(|a| format!("{} — {}", a.code, a.name))
                    .unwrap_or_default(),
                format!("{:.0}", p.frequency_days),
                p.compliance.due,
                p.compliance.on_time,
                p.compliance.late,
                p.compliance.not_done,
                percent(p.compliance.percent),
            )
        })
        .collect();
    Ok(render(&PmPage {
        chrome: Chrome::for_viewer(&v, "Preventive maintenance", "/pm"),
        plans: active,
        compliance: percent(report.total.percent),
        upcoming: forecast.len(),
        zone: tz.name().to_owned(),
        weekdays: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        weeks,
        rows,
    }))
}
