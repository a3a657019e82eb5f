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

#[derive(serde::Deserialize)]
pub struct CalendarQuery {
    /// `month` (default) or `week`.
    view: Option<String>,
    /// Any day in the month or week to show, `YYYY-MM-DD`; default today.
    date: Option<String>,
    /// The site whose plans and time zone the calendar shows; default the first by code.
    site: Option<String>,
}

/// One day in the calendar: date, in the shown month, occurrences (first few), how many,
/// estimated hours per craft, occurrences without an estimate.
pub struct CalDay {
    date: String,
    day: u32,
    inside: bool,
    titles: Vec<String>,
    count: usize,
    load: Vec<(String, String)>,
    unestimated: usize,
}

/// One row of the load table: craft, hours per column, total.
type LoadRow = (String, Vec<String>, String);

#[derive(Template)]
#[template(path = "pm/calendar.html")]
struct CalendarPage {
    chrome: Chrome,
    heading: String,
    month_view: bool,
    zone: String,
    site: Uuid,
    /// (id, code, shown)
    sites: Vec<(Uuid, String, bool)>,
    prev: String,
    next: String,
    today: String,
    anchor: String,
    weekdays: [&'static str; 7],
    weeks: Vec<Vec<CalDay>>,
    columns: Vec<String>,
    load: Vec<LoadRow>,
    unestimated: usize,
    total: usize,
}

fn hours(minutes: f64) -> String {
    // `+ 0.0` turns the -0.0 an empty float sum starts from into 0.0.
    format!("{:.1}", minutes / 60.0 + 0.0)
}

/// The PM calendar (month or week) from the forecast, with the estimated hours per craft per
/// day and per week or day column: what the plans will ask of each craft. Nothing is created.
/// An occurrence's estimate is its plan's procedure revision: its duration counts once for
/// each craft the revision lists.
pub async fn calendar(
    State(s): State<AppState>,
    v: Viewer,
    axum::extract::Query(q): axum::extract::Query<CalendarQuery>,
) -> UiResult {
    // One site at a time: its plans, in its time zone (days are local days).
    let mut sites = s.app.list_sites(&v.ctx).await?;
    sites.sort_by(|a, b| a.site.code.cmp(&b.site.code));
    let wanted = match q.site.as_deref().filter(|x| !x.is_empty()) {
        Some(raw) => Some(super::work_orders::uuid_field("site", raw)?),
        None => None,
    };
    let Some(site) = sites
        .iter()
        .find(|x| wanted.is_none_or(|w| x.site.id == w))
        .map(|x| x.site.clone())
    else {
        return Err(super::UiError::bad("site: no such site"));
    };
    let tz = site
        .timezone
        .parse::<chrono_tz::Tz>()
        .unwrap_or(chrono_tz::UTC);
    let today = v.ctx.now.with_timezone(&tz).date_naive();
    let anchor = match q.date.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| super::UiError::bad("date: enter a date like 2027-01-31"))?,
        None => today,
    };
    let month_view = q.view.as_deref() != Some("week");
    let monday_of =
        |d: NaiveDate| d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
    let (first, last, prev, next, heading) = if month_view {
        let first = anchor.with_day(1).unwrap_or(anchor);
        let next_month = overhaul_core::pm::calendar::add_months_clamped(first, 1)
            .map(|s| s.date)
            .unwrap_or(first + Duration::days(31));
        let prev_month = overhaul_core::pm::calendar::add_months_clamped(first, -1)
            .map(|s| s.date)
            .unwrap_or(first - Duration::days(28));
        (
            monday_of(first),
            monday_of(next_month - Duration::days(1)) + Duration::days(6),
            prev_month,
            next_month,
            first.format("%B %Y").to_string(),
        )
    } else {
        let m = monday_of(anchor);
        (
            m,
            m + Duration::days(6),
            m - Duration::days(7),
            m + Duration::days(7),
            format!("Week of {}", m.format("%Y-%m-%d")),
        )
    };
    let from = overhaul_core::kpi::local_midnight(tz, first);
    let until = overhaul_core::kpi::local_midnight(tz, last + Duration::days(1));
    let forecast = if until > v.ctx.now {
        s.app
            .pm_forecast(
                &v.ctx,
                ForecastQuery {
                    site_id: Some(site.id),
                    from: Some(from.max(v.ctx.now)),
                    until: Some(until),
                    ..Default::default()
                },
            )
            .await?
    } else {
        vec![]
    };
    // Each plan's estimate: minutes and crafts of its procedure revision.
    let plans = s.app.list_pm_plans(&v.ctx, Some(site.id), None).await?;
    let mut estimate: HashMap<Uuid, (Option<i64>, Vec<String>)> = HashMap::new();
    let mut revisions: HashMap<Uuid, (Option<i64>, Vec<String>)> = HashMap::new();
    for p in &plans {
        let e = match p.procedure_revision_id {
            Some(r) => match revisions.get(&r) {
                Some(e) => e.clone(),
                None => {
                    let rev = overhaul_store::procedure::get_revision(&s.app.db, r)
                        .await
                        .map_err(AppError::from)?;
                    let e = (rev.estimated_minutes, rev.crafts.0.clone());
                    revisions.insert(r, e.clone());
                    e
                }
            },
            None => (None, vec![]),
        };
        estimate.insert(p.id, e);
    }
    let asset_ids: Vec<Uuid> = forecast.iter().map(|f| f.asset_id).collect();
    let names = overhaul_store::overview::asset_names(&s.app.db, &asset_ids)
        .await
        .map_err(AppError::from)?;
    // day → (titles, craft → minutes, unestimated)
    type DayLoad = (Vec<String>, std::collections::BTreeMap<String, f64>, usize);
    let mut by_day: HashMap<NaiveDate, DayLoad> = HashMap::new();
    let mut crafts: std::collections::BTreeSet<String> = Default::default();
    let mut unestimated = 0;
    let mut total = 0;
    for f in &forecast {
        if !f.occurrence.is_due() {
            continue;
        }
        let day = f.occurrence.due.with_timezone(&tz).date_naive();
        if day < first || day > last {
            continue;
        }
        total += 1;
        let entry = by_day.entry(day).or_default();
        let code = names
            .get(&f.asset_id)
            .map(|a| a.code.clone())
            .unwrap_or_default();
        entry.0.push(format!("{code}: {}", f.title));
        match estimate.get(&f.plan_id) {
            Some((Some(m), cs)) if !cs.is_empty() => {
                for c in cs {
                    *entry.1.entry(c.clone()).or_default() += *m as f64;
                    crafts.insert(c.clone());
                }
            }
            _ => {
                entry.2 += 1;
                unestimated += 1;
            }
        }
    }
    let n_days = (last - first).num_days() + 1;
    let weeks: Vec<Vec<CalDay>> = (0..n_days / 7)
        .map(|w| {
            (0..7)
                .map(|d| {
                    let date = first + Duration::days(w * 7 + d);
                    let (titles, load, un) = by_day.get(&date).cloned().unwrap_or_default();
                    CalDay {
                        date: date.format("%Y-%m-%d").to_string(),
                        day: date.day(),
                        inside: !month_view || date.month() == anchor.month(),
                        count: titles.len(),
                        // A week has room for every title; a month shows the first few.
                        titles: titles
                            .into_iter()
                            .take(if month_view { PER_DAY } else { usize::MAX })
                            .collect(),
                        load: load.iter().map(|(c, m)| (c.clone(), hours(*m))).collect(),
                        unestimated: un,
                    }
                })
                .collect()
        })
        .collect();
    // Load table columns: the weeks of a month, the days of a week.
    let columns: Vec<(String, NaiveDate, NaiveDate)> = if month_view {
        (0..n_days / 7)
            .map(|w| {
                let s = first + Duration::days(w * 7);
                (
                    format!("wk {}", s.format("%m-%d")),
                    s,
                    s + Duration::days(6),
                )
            })
            .collect()
    } else {
        (0..7)
            .map(|d| {
                let s = first + Duration::days(d);
                (s.format("%a %d").to_string(), s, s)
            })
            .collect()
    };
    let load = crafts
        .iter()
        .map(|c| {
            let per: Vec<f64> = columns
                .iter()
                .map(|(_, a, b)| {
                    by_day
                        .iter()
                        .filter(|(d, _)| *d >= a && *d <= b)
                        .filter_map(|(_, l)| l.1.get(c))
                        .sum()
                })
                .collect();
            let sum: f64 = per.iter().sum();
            (c.clone(), per.into_iter().map(hours).collect(), hours(sum))
        })
        .collect();
    let view = if month_view { "month" } else { "week" };
    let site_q = format!("&site={}", site.id);
    Ok(render(&CalendarPage {
        chrome: Chrome::for_viewer(&v, "PM calendar", "/pm"),
        heading,
        month_view,
        zone: tz.name().to_owned(),
        prev: format!("/pm/calendar?view={view}&date={prev}{site_q}"),
        next: format!("/pm/calendar?view={view}&date={next}{site_q}"),
        today: format!("/pm/calendar?view={view}{site_q}"),
        site: site.id,
        sites: sites
            .iter()
            .map(|x| (x.site.id, x.site.code.clone(), x.site.id == site.id))
            .collect(),
        anchor: anchor.format("%Y-%m-%d").to_string(),
        weekdays: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        weeks,
        columns: columns.into_iter().map(|c| c.0).collect(),
        load,
        unestimated,
        total,
    }))
}
