//! KPI and reliability pages: the dashboard of a site or an area (this period against the
//! previous one, trends, SMRP work mix, backlog and aging), an asset's reliability analysis
//! (Weibull plot, survival curve, MTBF trend, Crow-AMSAA), and the bad-actor Pareto.
//!
//! Every chart is drawn by [`super::chart`] and has its numbers in a table on the page and as a
//! CSV download (`?format=csv`, with `chart=` naming the chart where a page has several).

use super::chart::{self, Axis, Mark, Plot, Series};
use super::form::Fields;
use super::work_orders::{site_zones, uuid_field};
use super::{Chrome, UiError, UiResult, Viewer, refresh, render};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use overhaul_app::Action;
use overhaul_app::bad_actors::{BadActor, BadActorQuery, GroupBy};
use overhaul_app::kpis::{KpiPeriodQuery, PeriodKpis};
use overhaul_app::pm::{AcceptInterval, ComplianceQuery};
use overhaul_app::reliability::{ReliabilityQuery, ReliabilityReport};
use overhaul_app::work_kpis::{WorkKpiQuery, WorkKpis};
use overhaul_core::kpi::{Mtbf, Period};
use overhaul_core::reliability::AgeReplacement;
use serde::Deserialize;
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// formatting and CSV

/// A number for people; "—" for what is not a finite number.
fn num(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        format!("{v:.decimals$}")
    } else {
        "—".into()
    }
}

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map(|x| num(x, decimals)).unwrap_or_else(|| "—".into())
}

fn pct(v: Option<f64>) -> String {
    v.filter(|x| x.is_finite())
        .map(|x| format!("{:.1} %", x * 100.0))
        .unwrap_or_else(|| "—".into())
}

fn mtbf_text(m: Mtbf) -> String {
    match m {
        Mtbf::Hours(h) => format!("{} h", num(h, 1)),
        Mtbf::MoreThan(h) => format!("> {} h (no failure)", num(h, 0)),
    }
}

fn mtbf_value(m: Mtbf) -> Option<f64> {
    match m {
        Mtbf::Hours(h) if h.is_finite() => Some(h),
        _ => None,
    }
}

/// A CSV cell: quoted when needed; text that a spreadsheet would run as a formula is defused.
fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// A number in a CSV file: plain, empty when not finite.
fn csv_num(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        String::new()
    }
}

fn csv_opt(v: Option<f64>) -> String {
    v.map(csv_num).unwrap_or_default()
}

/// A table as a CSV download.
fn csv(filename: &str, head: &[&str], rows: &[Vec<String>]) -> Response {
    let mut body = head.join(",");
    body.push_str("\r\n");
    for r in rows {
        body.push_str(&r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        body.push_str("\r\n");
    }
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    let safe: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// A chart with its table and its CSV link, as the templates show them.
pub struct ChartBlock {
    pub id: &'static str,
    pub svg: String,
    pub head: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    pub csv_url: String,
}

fn wants_csv(format: &Option<String>) -> Result<bool, UiError> {
    match format.as_deref() {
        None | Some("") | Some("html") => Ok(false),
        Some("csv") => Ok(true),
        Some(_) => Err(UiError::bad("format: html or csv")),
    }
}

fn parse_period(p: &Option<String>) -> Result<Period, UiError> {
    match p.as_deref() {
        None | Some("") => Ok(Period::Month),
        Some(s) => match Period::parse(s) {
            Ok(Period::Week) | Err(_) => Err(UiError::bad("period: month, quarter or year")),
            Ok(p) => Ok(p),
        },
    }
}

fn optional_uuid(name: &str, raw: &Option<String>) -> Result<Option<Uuid>, UiError> {
    match raw.as_deref() {
        None | Some("") => Ok(None),
        Some(s) => uuid_field(name, s).map(Some),
    }
}

/// Start of the first of the last `n` periods (the current one included), local midnight.
fn first_period_start(tz: chrono_tz::Tz, p: Period, now: DateTime<Utc>) -> DateTime<Utc> {
    let today = now.with_timezone(&tz).date_naive();
    let first = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(today);
    let d = match p {
        Period::Year => first(today.year() - 4, 1),
        Period::Quarter => first(today.year(), (today.month() - 1) / 3 * 3 + 1)
            .checked_sub_months(Months::new(21))
            .unwrap_or(today),
        _ => first(today.year(), today.month())
            .checked_sub_months(Months::new(11))
            .unwrap_or(today),
    };
    overhaul_core::kpi::local_midnight(tz, d)
}

fn period_label(p: Period, from: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    let d = from.with_timezone(&tz).date_naive();
    match p {
        Period::Year => format!("{}", d.year()),
        Period::Quarter => format!("{} Q{}", d.year(), (d.month() - 1) / 3 + 1),
        _ => d.format("%Y-%m").to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// dashboard

#[derive(Debug, Default, Deserialize)]
pub struct DashboardQuery {
    site: Option<String>,
    asset: Option<String>,
    period: Option<String>,
    format: Option<String>,
}

/// (metric, this period, previous period, change)
type CompareRow = (String, String, String, String);

#[derive(Template)]
#[template(path = "kpi/dashboard.html")]
struct Dashboard {
    chrome: Chrome,
    sites: Vec<(Uuid, String, bool)>,
    areas: Vec<(Uuid, String, bool)>,
    periods: Vec<(&'static str, bool)>,
    scope: String,
    current_label: String,
    previous_label: String,
    compare: Vec<CompareRow>,
    trend: ChartBlock,
    availability: ChartBlock,
    work: WorkKpis,
    work_mix: Vec<(String, String)>,
    backlog: Vec<(String, String)>,
    bad_actors_url: String,
    reliability_url: Option<String>,
    definitions: &'static str,
}

pub async fn dashboard(
    State(s): State<AppState>,
    v: Viewer,
    Query(q): Query<DashboardQuery>,
) -> UiResult {
    let csv_wanted = wants_csv(&q.format)?;
    let period = parse_period(&q.period)?;
    let zones = site_zones(&s.app, &v.ctx).await?;
    let mut site_list: Vec<(Uuid, String)> =
        zones.iter().map(|(id, z)| (*id, z.1.clone())).collect();
    site_list.sort_by(|a, b| a.1.cmp(&b.1));
    let asset = optional_uuid("asset", &q.asset)?;
    let asset_view = match asset {
        Some(a) => Some(s.app.get_asset(&v.ctx, a).await?.asset),
        None => None,
    };
    let site = match (optional_uuid("site", &q.site)?, &asset_view) {
        (_, Some(a)) => a.site_id,
        (Some(id), None) => id,
        (None, None) => site_list
            .first()
            .map(|x| x.0)
            .ok_or_else(|| UiError::bad("no site is visible to you"))?,
    };
    let tz = zones.get(&site).map(|z| z.0).unwrap_or(chrono_tz::UTC);
    let now = v.ctx.now;
    let from = first_period_start(tz, period, now);
    let pq = KpiPeriodQuery {
        period: Some(period),
        from: Some(from),
        to: Some(now),
        subtree: Some(true),
    };
    let rows: Vec<PeriodKpis> = match asset {
        Some(a) => s.app.asset_kpi_periods(&v.ctx, a, pq).await?,
        None => s.app.site_kpi_periods(&v.ctx, site, pq).await?,
    };
    let labels: Vec<String> = rows
        .iter()
        .map(|r| period_label(period, r.from, tz))
        .collect();
    let scope_code = asset_view
        .as_ref()
        .map(|a| a.code.clone())
        .or_else(|| {
            site_list
                .iter()
                .find(|x| x.0 == site)
                .map(|x| x.1.split(' ').next().unwrap_or_default().to_owned())
        })
        .unwrap_or_default();
    let head = vec![
        "period",
        "from",
        "to",
        "failures",
        "mtbf_hours",
        "mttr_hours",
        "availability_inherent",
        "availability_operational",
        "running_hours",
        "unplanned_downtime_hours",
        "planned_downtime_hours",
    ];
    let table: Vec<Vec<String>> = rows
        .iter()
        .zip(&labels)
        .map(|(r, l)| {
            let k = &r.kpis;
            vec![
                l.clone(),
                r.from.to_rfc3339(),
                r.to.to_rfc3339(),
                k.failures.to_string(),
                match k.mtbf {
                    Mtbf::Hours(h) => csv_num(h),
                    Mtbf::MoreThan(h) => format!(">{}", csv_num(h)),
                },
                csv_opt(k.mttr_hours),
                csv_opt(k.availability_inherent),
                csv_opt(k.availability_operational),
                csv_num(k.hours.running),
                csv_num(k.hours.down_unplanned),
                csv_num(k.hours.down_planned),
            ]
        })
        .collect();
    if csv_wanted {
        return Ok(csv(
            &format!("kpis-{}-{}.csv", scope_code, period.as_str()),
            &head,
            &table,
        ));
    }
    let shown_rows: Vec<Vec<String>> = rows
        .iter()
        .zip(&labels)
        .map(|(r, l)| {
            let k = &r.kpis;
            vec![
                l.clone(),
                k.failures.to_string(),
                mtbf_text(k.mtbf),
                opt(k.mttr_hours, 1),
                pct(k.availability_inherent),
                pct(k.availability_operational),
                num(k.hours.down_unplanned, 1),
            ]
        })
        .collect();
    let query = format!(
        "site={site}{}&period={}",
        asset.map(|a| format!("&asset={a}")).unwrap_or_default(),
        period.as_str()
    );
    let mut trend_plot = Plot::new(
        format!("MTBF per {} ({scope_code})", period.as_str()),
        period.as_str(),
        "MTBF, operating hours",
    );
    trend_plot.x_names = Some(labels.clone());
    trend_plot.series = vec![Series::new(
        "MTBF (periods with failures)",
        Mark::Line,
        rows.iter()
            .enumerate()
            .filter_map(|(i, r)| mtbf_value(r.kpis.mtbf).map(|m| (i as f64, m)))
            .collect(),
    )];
    let mut avail_plot = Plot::new(
        format!("Availability per {} ({scope_code})", period.as_str()),
        period.as_str(),
        "availability, %",
    );
    avail_plot.x_names = Some(labels.clone());
    avail_plot.y_range = Some((0.0, 100.0));
    avail_plot.series = vec![
        Series::new(
            "A_o (operational)",
            Mark::Line,
            rows.iter()
                .enumerate()
                .filter_map(|(i, r)| {
                    r.kpis
                        .availability_operational
                        .map(|a| (i as f64, a * 100.0))
                })
                .collect(),
        ),
        Series::new(
            "A_i (inherent)",
            Mark::Line,
            rows.iter()
                .enumerate()
                .filter_map(|(i, r)| r.kpis.availability_inherent.map(|a| (i as f64, a * 100.0)))
                .collect(),
        )
        .dashed(),
    ];
    let trend = ChartBlock {
        id: "mtbf-trend",
        svg: chart::plot("mtbf-trend", &trend_plot),
        head: vec![
            "Period",
            "Failures",
            "MTBF",
            "MTTR (restoration), h",
            "A_i",
            "A_o",
            "Unplanned downtime, h",
        ],
        rows: shown_rows.clone(),
        csv_url: format!("/kpis?{query}&format=csv"),
    };
    let availability = ChartBlock {
        id: "availability",
        svg: chart::plot("availability", &avail_plot),
        head: vec![],
        rows: vec![],
        csv_url: format!("/kpis?{query}&format=csv"),
    };
    // This period (to date) against the previous full one.
    let n = rows.len();
    let (cur, prev) = (
        n.checked_sub(1).map(|i| &rows[i]),
        n.checked_sub(2).map(|i| &rows[i]),
    );
    let work_in = |r: Option<&PeriodKpis>| {
        let app = s.app.clone();
        let ctx = v.ctx.clone();
        let r = r.map(|r| (r.from, r.to));
        async move {
            match r {
                Some((from, to)) => app
                    .work_kpis(
                        &ctx,
                        site,
                        WorkKpiQuery {
                            from: Some(from),
                            to: Some(to),
                            asset_id: asset,
                            crew_hours_per_week: None,
                        },
                    )
                    .await
                    .map(Some),
                None => Ok(None),
            }
        }
    };
    let work_cur = work_in(cur).await?;
    let work_prev = work_in(prev).await?;
    let compliance_in = |r: Option<&PeriodKpis>| {
        let app = s.app.clone();
        let ctx = v.ctx.clone();
        let r = r.map(|r| (r.from, r.to));
        async move {
            match r {
                Some((from, to)) => app
                    .pm_compliance(
                        &ctx,
                        ComplianceQuery {
                            site_id: if asset.is_none() { Some(site) } else { None },
                            asset_id: asset,
                            from: Some(from),
                            to: Some(to),
                            ..Default::default()
                        },
                    )
                    .await
                    .map(|c| c.total.percent),
                None => Ok(None),
            }
        }
    };
    let pm_cur = compliance_in(cur).await?;
    let pm_prev = compliance_in(prev).await?;
    let mut compare: Vec<CompareRow> = Vec::new();
    let mut line =
        |name: &str, a: Option<f64>, b: Option<f64>, text: &dyn Fn(Option<f64>) -> String| {
            let change = match (a, b) {
                (Some(x), Some(y)) if x.is_finite() && y.is_finite() => {
                    let d = x - y;
                    if d.abs() < 1e-12 {
                        "no change".to_owned()
                    } else {
                        format!("{}{}", if d > 0.0 { "+" } else { "−" }, text(Some(d.abs())))
                    }
                }
                _ => "—".into(),
            };
            compare.push((name.to_owned(), text(a), text(b), change));
        };
    let k = |r: Option<&PeriodKpis>| r.map(|r| r.kpis.clone());
    let (kc, kp) = (k(cur), k(prev));
    let hours = |x: Option<f64>| opt(x, 1);
    let count = |x: Option<f64>| opt(x, 0);
    let percent = |x: Option<f64>| {
        x.filter(|v| v.is_finite())
            .map(|v| format!("{v:.1} %"))
            .unwrap_or_else(|| "—".into())
    };
    line(
        "Failures",
        kc.as_ref().map(|k| k.failures as f64),
        kp.as_ref().map(|k| k.failures as f64),
        &count,
    );
    line(
        "MTBF, operating h (SMRP 3.5.1)",
        kc.as_ref().and_then(|k| mtbf_value(k.mtbf)),
        kp.as_ref().and_then(|k| mtbf_value(k.mtbf)),
        &hours,
    );
    line(
        "MTTR = mean time to restoration, h",
        kc.as_ref().and_then(|k| k.mttr_hours),
        kp.as_ref().and_then(|k| k.mttr_hours),
        &hours,
    );
    line(
        "Inherent availability A_i",
        kc.as_ref()
            .and_then(|k| k.availability_inherent)
            .map(|a| a * 100.0),
        kp.as_ref()
            .and_then(|k| k.availability_inherent)
            .map(|a| a * 100.0),
        &percent,
    );
    line(
        "Operational availability A_o",
        kc.as_ref()
            .and_then(|k| k.availability_operational)
            .map(|a| a * 100.0),
        kp.as_ref()
            .and_then(|k| k.availability_operational)
            .map(|a| a * 100.0),
        &percent,
    );
    line(
        "Unplanned downtime, h",
        kc.as_ref().map(|k| k.hours.down_unplanned),
        kp.as_ref().map(|k| k.hours.down_unplanned),
        &hours,
    );
    line(
        "Planned downtime, h",
        kc.as_ref().map(|k| k.hours.down_planned),
        kp.as_ref().map(|k| k.hours.down_planned),
        &hours,
    );
    line(
        "Planned work, % of labour hours (SMRP 5.3.1)",
        work_cur.as_ref().and_then(|w| w.work_mix.planned_percent),
        work_prev.as_ref().and_then(|w| w.work_mix.planned_percent),
        &percent,
    );
    line(
        "Reactive work, % of labour hours (SMRP 5.4.1)",
        work_cur.as_ref().and_then(|w| w.work_mix.reactive_percent),
        work_prev.as_ref().and_then(|w| w.work_mix.reactive_percent),
        &percent,
    );
    line("PM compliance (SMRP 5.4.14)", pm_cur, pm_prev, &percent);
    // Work mix of the last 30 days and backlog now.
    let work = s
        .app
        .work_kpis(
            &v.ctx,
            site,
            WorkKpiQuery {
                asset_id: asset,
                ..Default::default()
            },
        )
        .await?;
    let work_mix = vec![
        ("Labour hours".into(), num(work.work_mix.total_hours, 1)),
        (
            "Planned work".into(),
            percent(work.work_mix.planned_percent),
        ),
        (
            "Reactive work".into(),
            percent(work.work_mix.reactive_percent),
        ),
        (
            "Proactive work".into(),
            percent(work.work_mix.proactive_percent),
        ),
    ];
    let b = &work.backlog;
    let backlog = vec![
        (
            "Ready backlog".into(),
            format!(
                "{} crew-weeks ({} h, {} work orders)",
                opt(b.ready_weeks, 1),
                num(b.ready_hours, 1),
                b.ready_work_orders
            ),
        ),
        (
            "Planned backlog".into(),
            format!(
                "{} crew-weeks ({} h, {} work orders)",
                opt(b.planned_weeks, 1),
                num(b.planned_hours, 1),
                b.planned_work_orders
            ),
        ),
        (
            "Crew capacity".into(),
            format!(
                "{} h/week ({})",
                opt(b.crew_hours_per_week, 0),
                work.capacity_basis
            ),
        ),
        ("Without estimate".into(), b.unestimated.to_string()),
    ];
    let areas = s
        .app
        .list_assets(
            &v.ctx,
            overhaul_app::assets::AssetQuery {
                site_id: Some(site),
                level: Some(overhaul_core::asset::AssetLevel::Area),
                limit: Some(200),
                ..Default::default()
            },
        )
        .await?
        .items
        .into_iter()
        .map(|a| {
            (
                a.asset.id,
                format!("{} — {}", a.asset.code, a.asset.name),
                Some(a.asset.id) == asset,
            )
        })
        .collect();
    let scope = match &asset_view {
        Some(a) => format!("{} — {} and everything below it", a.code, a.name),
        None => site_list
            .iter()
            .find(|x| x.0 == site)
            .map(|x| format!("{} (whole site)", x.1))
            .unwrap_or_default(),
    };
    Ok(render(&Dashboard {
        chrome: Chrome::for_viewer(&v, "KPIs", "/kpis"),
        sites: site_list
            .into_iter()
            .map(|(id, name)| (id, name, id == site))
            .collect(),
        areas,
        periods: [Period::Month, Period::Quarter, Period::Year]
            .into_iter()
            .map(|p| (p.as_str(), p == period))
            .collect(),
        scope,
        current_label: labels.last().cloned().unwrap_or_default() + " (to date)",
        previous_label: labels
            .len()
            .checked_sub(2)
            .and_then(|i| labels.get(i))
            .cloned()
            .unwrap_or_else(|| "—".into()),
        compare,
        trend,
        availability,
        work,
        work_mix,
        backlog,
        bad_actors_url: format!(
            "/bad-actors?site={site}{}",
            asset.map(|a| format!("&asset={a}")).unwrap_or_default()
        ),
        reliability_url: asset.map(|a| format!("/assets/{a}/reliability")),
        definitions: overhaul_app::kpis::DEFINITIONS,
    }))
}

// ---------------------------------------------------------------------------------------------
// asset reliability

#[derive(Debug, Default, Deserialize)]
pub struct ReliabilityPageQuery {
    cost_preventive: Option<String>,
    cost_failure: Option<String>,
    chart: Option<String>,
    format: Option<String>,
}

fn cost_field(name: &str, raw: &Option<String>) -> Result<Option<f64>, UiError> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => match s.parse::<f64>() {
            Ok(x) if x.is_finite() && x > 0.0 => Ok(Some(x)),
            _ => Err(UiError::bad(format!("{name}: a positive number"))),
        },
    }
}

/// A recommended interval, for people, and what would go into a PM plan.
pub struct Recommendation {
    pub text: String,
    /// Calendar days to accept into a plan (none when running to failure is best).
    pub days: Option<f64>,
    pub plans: Vec<(Uuid, String, String)>,
    pub basis: String,
}

#[derive(Template)]
#[template(path = "kpi/reliability.html")]
struct ReliabilityPage {
    chrome: Chrome,
    asset_id: Uuid,
    code: String,
    name: String,
    from: String,
    to: String,
    assets: usize,
    failures: usize,
    censored: usize,
    fits: Vec<Vec<String>>,
    crow: Vec<(String, String)>,
    weibull: ChartBlock,
    survival: ChartBlock,
    trend: ChartBlock,
    crow_chart: ChartBlock,
    notes: Vec<String>,
    cost_preventive: String,
    cost_failure: String,
    recommendation: Option<Recommendation>,
    can_plan: bool,
}

/// Points along a fitted Weibull line on the probability plot, log-spaced over `[t0, t1]`.
fn weibull_line(eta: f64, beta: f64, t0: f64, t1: f64) -> Vec<(f64, f64)> {
    if !(t0 > 0.0 && t1 > t0 && eta > 0.0 && beta > 0.0) {
        return vec![];
    }
    (0..=40)
        .map(|i| {
            let t = t0 * (t1 / t0).powf(i as f64 / 40.0);
            (t, 1.0 - (-(t / eta).powf(beta)).exp())
        })
        .filter(|(_, f)| f.is_finite() && *f > 0.0 && *f < 1.0)
        .collect()
}

fn reliability_blocks(
    r: &ReliabilityReport,
    periods: &[PeriodKpis],
    labels: &[String],
    base: &str,
) -> (ChartBlock, ChartBlock, ChartBlock, ChartBlock) {
    // Weibull probability plot
    let points = overhaul_core::reliability::plotting_positions(
        &r.lifetimes.failures,
        &r.lifetimes.censored,
    )
    .unwrap_or_default();
    let t_all: Vec<f64> = points.iter().map(|p| p.time).filter(|t| *t > 0.0).collect();
    let t0 = t_all.iter().copied().fold(f64::INFINITY, f64::min);
    let t1 = t_all.iter().copied().fold(0.0, f64::max);
    let (lo, hi) = if t0.is_finite() && t1 > t0 {
        (t0 / 2.0, t1 * 2.0)
    } else {
        (t0 / 2.0, t0 * 2.0)
    };
    let mut wp = Plot::new(
        "Weibull probability plot",
        "operating hours to failure",
        "unreliability F(t)",
    );
    wp.x_axis = Axis::Log;
    wp.y_axis = Axis::Weibull;
    wp.series.push(Series::new(
        "failures (Benard median ranks)",
        Mark::Points,
        points.iter().map(|p| (p.time, p.unreliability)).collect(),
    ));
    if let Some(f) = &r.weibull_mle {
        wp.series.push(Series::new(
            format!("MLE β={:.2} η={:.0}", f.beta, f.eta),
            Mark::Line,
            weibull_line(f.eta, f.beta, lo, hi),
        ));
    }
    if let Some(f) = &r.weibull_rrx {
        wp.series.push(
            Series::new(
                format!("RRX β={:.2} η={:.0}", f.beta, f.eta),
                Mark::Line,
                weibull_line(f.eta, f.beta, lo, hi),
            )
            .dashed(),
        );
    }
    let weibull = ChartBlock {
        id: "weibull",
        svg: if points.len() < 2 {
            chart::not_enough_data(
                "weibull",
                "Weibull probability plot",
                "at least two failures are needed",
            )
        } else {
            chart::plot("weibull", &wp)
        },
        head: vec!["Operating hours", "Unreliability F (median rank)"],
        rows: points
            .iter()
            .map(|p| vec![num(p.time, 1), num(p.unreliability, 4)])
            .collect(),
        csv_url: format!("{base}?chart=weibull&format=csv"),
    };
    // Kaplan–Meier with Greenwood band; the curve starts at (0, 1).
    let mut km = Plot::new(
        "Survival (Kaplan–Meier, 95 % Greenwood band)",
        "operating hours",
        "survival R(t)",
    );
    km.y_range = Some((0.0, 1.0));
    let mut pts = vec![(0.0, 1.0)];
    let mut lower = vec![(0.0, 1.0)];
    let mut upper = vec![1.0];
    for p in &r.kaplan_meier {
        pts.push((p.time, p.survival));
        lower.push((p.time, p.lower));
        upper.push(p.upper);
    }
    km.series = vec![
        Series::new("95 % band", Mark::StepBand(upper), lower),
        Series::new("Kaplan–Meier", Mark::Step, pts),
    ];
    let survival = ChartBlock {
        id: "survival",
        svg: if r.kaplan_meier.is_empty() {
            chart::not_enough_data(
                "survival",
                "Survival (Kaplan–Meier)",
                "no failure in the window",
            )
        } else {
            chart::plot("survival", &km)
        },
        head: vec![
            "Operating hours",
            "At risk",
            "Failed",
            "Survival",
            "Lower 95 %",
            "Upper 95 %",
        ],
        rows: r
            .kaplan_meier
            .iter()
            .map(|p| {
                vec![
                    num(p.time, 1),
                    p.at_risk.to_string(),
                    p.failures.to_string(),
                    num(p.survival, 4),
                    num(p.lower, 4),
                    num(p.upper, 4),
                ]
            })
            .collect(),
        csv_url: format!("{base}?chart=survival&format=csv"),
    };
    // MTBF trend per month
    let mut tp = Plot::new("MTBF per month", "month", "MTBF, operating hours");
    tp.x_names = Some(labels.to_vec());
    tp.series = vec![Series::new(
        "MTBF (months with failures)",
        Mark::Line,
        periods
            .iter()
            .enumerate()
            .filter_map(|(i, p)| mtbf_value(p.kpis.mtbf).map(|m| (i as f64, m)))
            .collect(),
    )];
    let trend = ChartBlock {
        id: "mtbf",
        svg: chart::plot("mtbf", &tp),
        head: vec!["Month", "Failures", "Running hours", "MTBF"],
        rows: periods
            .iter()
            .zip(labels)
            .map(|(p, l)| {
                vec![
                    l.clone(),
                    p.kpis.failures.to_string(),
                    num(p.kpis.hours.running, 1),
                    mtbf_text(p.kpis.mtbf),
                ]
            })
            .collect(),
        csv_url: format!("{base}?chart=mtbf&format=csv"),
    };
    // Crow-AMSAA: cumulative failures against cumulative time, log-log.
    let mut cp = Plot::new(
        "Crow-AMSAA: cumulative failures",
        "hours since the start of the window",
        "cumulative failures N(t)",
    );
    cp.x_axis = Axis::Log;
    cp.y_axis = Axis::Log;
    let observed: Vec<(f64, f64)> = r
        .failure_hours
        .iter()
        .enumerate()
        .map(|(i, t)| (*t, (i + 1) as f64))
        .collect();
    cp.series
        .push(Series::new("failures", Mark::Points, observed.clone()));
    if let Some(c) = &r.crow_amsaa
        && let Some(first) = r.failure_hours.first()
    {
        let (a, b) = (*first, c.observed_to.max(*first * 1.01));
        cp.series.push(Series::new(
            format!("N(t) = λ t^β, β={:.2}", c.beta),
            Mark::Line,
            (0..=30)
                .map(|i| {
                    let t = a * (b / a).powf(i as f64 / 30.0);
                    (t, c.lambda * t.powf(c.beta))
                })
                .collect(),
        ));
    }
    let crow_chart = ChartBlock {
        id: "crow",
        svg: if r.failure_hours.len() < 2 {
            chart::not_enough_data(
                "crow",
                "Crow-AMSAA: cumulative failures",
                "at least two failures are needed",
            )
        } else {
            chart::plot("crow", &cp)
        },
        head: vec!["Failure", "Hours since start"],
        rows: observed
            .iter()
            .map(|(t, n)| vec![num(*n, 0), num(*t, 1)])
            .collect(),
        csv_url: format!("{base}?chart=crow&format=csv"),
    };
    (weibull, survival, trend, crow_chart)
}

fn recommendation_text(r: &ReliabilityReport) -> Option<(String, Option<f64>)> {
    let rec = r.recommendation.as_ref()?;
    Some(match rec {
        AgeReplacement::Optimal {
            interval,
            cost_rate,
            run_to_failure_cost_rate,
        } => {
            let days = r
                .running_fraction
                .map(|f| interval / f / 24.0)
                .filter(|d| d.is_finite() && *d >= 1.0);
            (
                format!(
                    "Replace preventively every {} operating hours{}: cost {} per hour against {} per hour running to failure.",
                    num(*interval, 0),
                    days.map(|d| format!(
                        " ≈ {} calendar days at the observed {:.0} % running time",
                        num(d, 0),
                        r.running_fraction.unwrap_or(0.0) * 100.0
                    ))
                    .unwrap_or_default(),
                    num(*cost_rate, 4),
                    num(*run_to_failure_cost_rate, 4)
                ),
                days,
            )
        }
        AgeReplacement::RunToFailure {
            reason,
            run_to_failure_cost_rate,
        } => (
            format!(
                "Run to failure ({}); cost {} per operating hour.",
                match reason {
                    overhaul_core::reliability::NoFiniteOptimum::NotWearingOut =>
                        "β ≤ 1: failures do not grow with age, so replacing early buys nothing",
                    overhaul_core::reliability::NoFiniteOptimum::PreventiveNotCheaper =>
                        "a preventive replacement is not cheaper than a failure",
                    overhaul_core::reliability::NoFiniteOptimum::NegligibleSaving =>
                        "the optimum lies where nearly every unit has already failed",
                },
                num(*run_to_failure_cost_rate, 4)
            ),
            None,
        ),
    })
}

pub async fn reliability(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(q): Query<ReliabilityPageQuery>,
) -> UiResult {
    let id = uuid_field("id", &id)?;
    let csv_wanted = wants_csv(&q.format)?;
    let a = s.app.get_asset(&v.ctx, id).await?.asset;
    let zones = site_zones(&s.app, &v.ctx).await?;
    let tz = zones.get(&a.site_id).map(|z| z.0).unwrap_or(chrono_tz::UTC);
    let cost_preventive = cost_field("cost_preventive", &q.cost_preventive)?;
    let cost_failure = cost_field("cost_failure", &q.cost_failure)?;
    let r = s
        .app
        .asset_reliability(
            &v.ctx,
            id,
            ReliabilityQuery {
                cost_preventive,
                cost_failure,
                ..Default::default()
            },
        )
        .await?;
    let periods = s
        .app
        .asset_kpi_periods(
            &v.ctx,
            id,
            KpiPeriodQuery {
                period: Some(Period::Month),
                from: Some(r.from),
                to: Some(r.to),
                subtree: Some(true),
            },
        )
        .await?;
    let labels: Vec<String> = periods
        .iter()
        .map(|p| period_label(Period::Month, p.from, tz))
        .collect();
    let base = format!("/assets/{id}/reliability");
    let (weibull, survival, trend, crow_chart) = reliability_blocks(&r, &periods, &labels, &base);
    if csv_wanted {
        let block = match q.chart.as_deref() {
            Some("weibull") => &weibull,
            Some("survival") => &survival,
            Some("mtbf") => &trend,
            Some("crow") => &crow_chart,
            _ => return Err(UiError::bad("chart: weibull, survival, mtbf or crow")),
        };
        let head: Vec<&str> = block.head.to_vec();
        return Ok(csv(
            &format!("{}-{}.csv", a.code, block.id),
            &head,
            &block.rows,
        ));
    }
    let mut fits = Vec::new();
    if let Some(f) = &r.weibull_mle {
        fits.push(vec![
            "Maximum likelihood (with censoring)".into(),
            num(f.beta, 3),
            format!(
                "{} – {}",
                num(f.beta_bounds.lower, 3),
                num(f.beta_bounds.upper, 3)
            ),
            num(f.eta, 1),
            format!(
                "{} – {}",
                num(f.eta_bounds.lower, 1),
                num(f.eta_bounds.upper, 1)
            ),
            format!("{} failed, {} censored", f.failures, f.censored),
        ]);
    }
    if let Some(f) = &r.weibull_rrx {
        fits.push(vec![
            "Rank regression on X (Johnson, Benard)".into(),
            num(f.beta, 3),
            "—".into(),
            num(f.eta, 1),
            "—".into(),
            format!("R² = {}", num(f.r_squared, 4)),
        ]);
    }
    let crow = r
        .crow_amsaa
        .as_ref()
        .map(|c| {
            vec![
                ("β (MLE)".to_owned(), num(c.beta, 3)),
                ("β unbiased".to_owned(), num(c.beta_unbiased, 3)),
                ("λ".to_owned(), format!("{:.4e}", c.lambda)),
                ("Laplace U".to_owned(), num(c.laplace_u, 2)),
                (
                    "Trend (5 %)".to_owned(),
                    match c.trend {
                        overhaul_core::reliability::Trend::Improving => "improving".to_owned(),
                        overhaul_core::reliability::Trend::NoTrend => {
                            "no significant trend".to_owned()
                        }
                        overhaul_core::reliability::Trend::Deteriorating => {
                            "deteriorating".to_owned()
                        }
                    },
                ),
                (
                    "Instantaneous MTBF, h".to_owned(),
                    num(c.instantaneous_mtbf, 1),
                ),
            ]
        })
        .unwrap_or_default();
    let can_plan = v.session.principal.can_anywhere(Action::PlanWork);
    let recommendation = match recommendation_text(&r) {
        Some((text, days)) => {
            let plans = s
                .app
                .list_pm_plans(&v.ctx, None, Some(id))
                .await?
                .into_iter()
                .filter(|p| p.status == "active")
                .map(|p| (p.id, p.title, p.version.to_string()))
                .collect();
            let basis = serde_json::json!({
                "source": "asset reliability page",
                "asset_id": id,
                "from": r.from,
                "to": r.to,
                "weibull_mle": r.weibull_mle,
                "recommendation": r.recommendation,
                "running_fraction": r.running_fraction,
                "cost_preventive": cost_preventive,
                "cost_failure": cost_failure,
            })
            .to_string();
            Some(Recommendation {
                text,
                days,
                plans,
                basis,
            })
        }
        None => None,
    };
    Ok(render(&ReliabilityPage {
        chrome: Chrome::for_viewer(&v, format!("Reliability · {}", a.code), "/kpis"),
        asset_id: id,
        code: a.code.clone(),
        name: a.name.clone(),
        from: super::local(r.from, tz),
        to: super::local(r.to, tz),
        assets: r.assets,
        failures: r.lifetimes.failures.len(),
        censored: r.lifetimes.censored.len(),
        fits,
        crow,
        weibull,
        survival,
        trend,
        crow_chart,
        notes: r.notes.clone(),
        cost_preventive: cost_preventive.map(|c| c.to_string()).unwrap_or_default(),
        cost_failure: cost_failure.map(|c| c.to_string()).unwrap_or_default(),
        recommendation,
        can_plan,
    }))
}

/// Accepts the recommended interval into a PM plan of the asset (the app's `accept_interval`,
/// the same operation as `POST /api/v1/pm-plans/{id}/accept-interval`).
pub async fn accept(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> UiResult {
    let _asset = uuid_field("id", &id)?;
    let plan = uuid_field("plan", f.req("plan")?)?;
    let days: f64 = f
        .req("interval_days")?
        .parse()
        .map_err(|_| UiError::bad("interval_days: a number of days"))?;
    let version: Option<i64> = f.get("version").and_then(|x| x.parse().ok());
    let basis: serde_json::Value = serde_json::from_str(f.req("basis")?)
        .map_err(|_| UiError::bad("basis: not the analysis sent with the page"))?;
    s.app
        .accept_interval(
            &v.ctx,
            plan,
            version,
            AcceptInterval {
                interval_days: days,
                basis,
                reason: format!(
                    "accepted from the reliability analysis: every {} days",
                    days.round()
                ),
            },
        )
        .await?;
    Ok(refresh())
}

// ---------------------------------------------------------------------------------------------
// bad actors

#[derive(Debug, Default, Deserialize)]
pub struct BadActorPageQuery {
    site: Option<String>,
    asset: Option<String>,
    group_by: Option<String>,
    measure: Option<String>,
    format: Option<String>,
}

#[derive(Template)]
#[template(path = "kpi/bad_actors.html")]
struct BadActorsPage {
    chrome: Chrome,
    scope: String,
    site: Uuid,
    asset: Option<Uuid>,
    groups: Vec<(&'static str, &'static str, bool)>,
    measures: Vec<(&'static str, &'static str, bool)>,
    chart: ChartBlock,
    /// (asset id, code) of the top assets, for their reliability pages.
    top_assets: Vec<(String, String)>,
}

pub async fn bad_actors(
    State(s): State<AppState>,
    v: Viewer,
    Query(q): Query<BadActorPageQuery>,
) -> UiResult {
    let csv_wanted = wants_csv(&q.format)?;
    let group_by = match q.group_by.as_deref() {
        None | Some("") | Some("asset") => GroupBy::Asset,
        Some("equipment_class") => GroupBy::EquipmentClass,
        Some("failure_mode") => GroupBy::FailureMode,
        Some(_) => {
            return Err(UiError::bad(
                "group_by: asset, equipment_class or failure_mode",
            ));
        }
    };
    let by_failures = match q.measure.as_deref() {
        None | Some("") | Some("downtime") => false,
        Some("failures") => true,
        Some(_) => return Err(UiError::bad("measure: downtime or failures")),
    };
    let zones = site_zones(&s.app, &v.ctx).await?;
    let asset = optional_uuid("asset", &q.asset)?;
    let asset_view = match asset {
        Some(a) => Some(s.app.get_asset(&v.ctx, a).await?.asset),
        None => None,
    };
    let site = match (optional_uuid("site", &q.site)?, &asset_view) {
        (_, Some(a)) => a.site_id,
        (Some(id), None) => id,
        (None, None) => {
            let mut l: Vec<(Uuid, String)> =
                zones.iter().map(|(id, z)| (*id, z.1.clone())).collect();
            l.sort_by(|a, b| a.1.cmp(&b.1));
            l.first()
                .map(|x| x.0)
                .ok_or_else(|| UiError::bad("no site is visible to you"))?
        }
    };
    let bq = BadActorQuery {
        group_by: Some(group_by),
        ..Default::default()
    };
    let mut rows: Vec<BadActor> = match asset {
        Some(a) => s.app.bad_actors(&v.ctx, a, bq).await?,
        None => s.app.site_bad_actors(&v.ctx, site, bq).await?,
    };
    if by_failures {
        rows.sort_by(|a, b| {
            b.failures.cmp(&a.failures).then(
                b.unplanned_downtime_hours
                    .total_cmp(&a.unplanned_downtime_hours),
            )
        });
    }
    let total_failures: usize = rows.iter().map(|r| r.failures).sum();
    let mut cum = 0usize;
    let name = |r: &BadActor| r.label.clone().unwrap_or_else(|| r.key.clone());
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            cum += r.failures;
            vec![
                name(r),
                r.failures.to_string(),
                r.repeat_failures.to_string(),
                num(r.unplanned_downtime_hours, 1),
                format!("{:.1}", r.downtime_share * 100.0),
                if by_failures {
                    if total_failures > 0 {
                        format!("{:.1}", cum as f64 * 100.0 / total_failures as f64)
                    } else {
                        "—".into()
                    }
                } else {
                    format!("{:.1}", r.cumulative_share * 100.0)
                },
            ]
        })
        .collect();
    let head = vec![
        "Name",
        "Failures",
        "Repeat failures (≤ 30 days)",
        "Unplanned downtime, h",
        "Share of downtime, %",
        if by_failures {
            "Cumulative share of failures, %"
        } else {
            "Cumulative share of downtime, %"
        },
    ];
    let group_name = match group_by {
        GroupBy::Asset => "asset",
        GroupBy::EquipmentClass => "equipment_class",
        GroupBy::FailureMode => "failure_mode",
    };
    let measure_name = if by_failures { "failures" } else { "downtime" };
    if csv_wanted {
        return Ok(csv(
            &format!("bad-actors-{group_name}-{measure_name}.csv"),
            &head,
            &table,
        ));
    }
    let top: Vec<(String, f64)> = rows
        .iter()
        .take(20)
        .map(|r| {
            (
                name(r),
                if by_failures {
                    r.failures as f64
                } else {
                    r.unplanned_downtime_hours
                },
            )
        })
        .collect();
    let top_assets: Vec<(String, String)> = if group_by == GroupBy::Asset {
        rows.iter()
            .take(5)
            .filter_map(|r| Some((Uuid::parse_str(&r.key).ok()?.to_string(), name(r))))
            .collect()
    } else {
        vec![]
    };
    let title = format!(
        "Bad actors by {} ({}), last 12 months",
        if by_failures {
            "failures"
        } else {
            "unplanned downtime"
        },
        group_name.replace('_', " ")
    );
    let query = format!(
        "site={site}{}&group_by={group_name}&measure={measure_name}",
        asset.map(|a| format!("&asset={a}")).unwrap_or_default()
    );
    let chart = ChartBlock {
        id: "pareto",
        svg: chart::pareto(
            "pareto",
            &title,
            if by_failures { "failures" } else { "hours" },
            &top,
        ),
        head,
        rows: table,
        csv_url: format!("/bad-actors?{query}&format=csv"),
    };
    let scope = match &asset_view {
        Some(a) => format!("{} — {} and everything below it", a.code, a.name),
        None => zones
            .get(&site)
            .map(|z| format!("{} (whole site)", z.1))
            .unwrap_or_default(),
    };
    Ok(render(&BadActorsPage {
        chrome: Chrome::for_viewer(&v, "Bad actors", "/kpis"),
        scope,
        site,
        asset,
        groups: [
            ("asset", "Assets", group_by == GroupBy::Asset),
            (
                "equipment_class",
                "Equipment classes",
                group_by == GroupBy::EquipmentClass,
            ),
            (
                "failure_mode",
                "Failure modes",
                group_by == GroupBy::FailureMode,
            ),
        ]
        .to_vec(),
        measures: [
            ("downtime", "Unplanned downtime", !by_failures),
            ("failures", "Failures", by_failures),
        ]
        .to_vec(),
        chart,
        top_assets,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("P-101"), "P-101");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(cell("-12.5"), "-12.5");
        assert_eq!(csv_num(f64::NAN), "");
        assert_eq!(num(f64::INFINITY, 1), "—");
    }

    #[test]
    fn weibull_line_passes_the_characteristic_life_at_63_percent() {
        let l = weibull_line(1000.0, 2.0, 10.0, 100_000.0);
        // F rounds to exactly 1 beyond t ≈ 6000 h (e^−36 < half an ulp of 1): those are dropped
        assert_eq!(l.len(), 28);
        assert!(l.iter().all(|p| p.1 > 0.0 && p.1 < 1.0));
        let near = l
            .iter()
            .min_by(|a, b| (a.0 - 1000.0).abs().total_cmp(&(b.0 - 1000.0).abs()))
            .unwrap();
        // t = 10 · 10^(4·i/40): i = 20 gives t = 1000 exactly, F = 1 − e^−1
        assert!((near.0 - 1000.0).abs() < 1e-6);
        assert!((near.1 - (1.0 - (-1.0f64).exp())).abs() < 1e-12);
        assert!(weibull_line(0.0, 2.0, 1.0, 10.0).is_empty());
    }

    #[test]
    fn the_first_period_is_aligned_to_the_calendar() {
        use chrono::TimeZone;
        let now = Utc
            .with_ymd_and_hms(2026, 5, 17, 10, 0, 0)
            .single()
            .unwrap();
        let tz = chrono_tz::UTC;
        let start = |p| {
            first_period_start(tz, p, now)
                .format("%Y-%m-%d")
                .to_string()
        };
        assert_eq!(start(Period::Month), "2025-06-01"); // 12 months incl. May 2026
        assert_eq!(start(Period::Quarter), "2024-07-01"); // 8 quarters incl. Q2 2026
        assert_eq!(start(Period::Year), "2022-01-01"); // 5 years incl. 2026
        assert_eq!(period_label(Period::Quarter, now, tz), "2026 Q2");
    }
}
