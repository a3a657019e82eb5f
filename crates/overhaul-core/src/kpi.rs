//! Maintenance KPIs over an asset's state timeline and its work, per the definitions in our
//! standards notes (§4): MTBF (SMRP 3.5.1, operating time / failures), MTTR as mean time to
//! *restoration* (failure → back in service, IEC 60050-192), MDT, inherent and operational
//! availability, and the work mix (planned, reactive, proactive).

use crate::asset::AssetStatus;
use crate::asset_state::Span;
use crate::time::Instant;
use crate::work_order::WorkOrderType;
use serde::Serialize;

/// A reporting window `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: Instant,
    pub to: Instant,
}

impl Window {
    pub fn new(from: Instant, to: Instant) -> Result<Self, String> {
        if to <= from {
            Err("the end of the window must be after its start".into())
        } else {
            Ok(Self { from, to })
        }
    }

    fn hours(&self) -> f64 {
        (self.to - self.from).num_milliseconds() as f64 / 3_600_000.0
    }

    /// Hours of `[start, end)` inside the window (open spans end at the window's end).
    fn clip_hours(&self, start: Instant, end: Option<Instant>) -> f64 {
        let s = start.max(self.from);
        let e = end.unwrap_or(self.to).min(self.to);
        if e <= s {
            0.0
        } else {
            (e - s).num_milliseconds() as f64 / 3_600_000.0
        }
    }
}

/// Hours spent in each state inside the window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StateHours {
    pub running: f64,
    pub standby: f64,
    pub down_planned: f64,
    pub down_unplanned: f64,
    pub decommissioned: f64,
    /// Window hours not covered by any span (before the asset existed).
    pub unrecorded: f64,
}

impl StateHours {
    pub fn uptime(&self) -> f64 {
        self.running + self.standby
    }
    pub fn downtime(&self) -> f64 {
        self.down_planned + self.down_unplanned
    }
}

/// Sums the time in each state, clipped to the window. Overlapping spans (which the timeline
/// never holds) would be counted twice; inverted ones count zero.
pub fn state_hours(spans: &[Span], w: Window) -> StateHours {
    let mut h = StateHours::default();
    for s in spans {
        let d = w.clip_hours(s.start, s.end);
        match s.state {
            AssetStatus::Running => h.running += d,
            AssetStatus::Standby => h.standby += d,
            AssetStatus::DownPlanned => h.down_planned += d,
            AssetStatus::DownUnplanned => h.down_unplanned += d,
            AssetStatus::Decommissioned => h.decommissioned += d,
        }
    }
    let covered = h.running + h.standby + h.down_planned + h.down_unplanned + h.decommissioned;
    h.unrecorded = (w.hours() - covered).max(0.0);
    h
}

/// MTBF is undefined without failures: it is then reported as "more than the operating time".
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", content = "hours", rename_all = "snake_case")]
pub enum Mtbf {
    Hours(f64),
    /// No failure in the window: MTBF exceeds this many operating hours.
    MoreThan(f64),
}

/// A failure found on a work order: when it happened and its ISO 14224 impact
/// (`C` critical, `D` degraded, `I` incipient; `None` = not recorded).
#[derive(Debug, Clone, PartialEq)]
pub struct FailureEvent {
    pub at: Instant,
    pub impact: Option<String>,
}

/// Counts functional failures in the window (§4.5): incipient findings are not failures; several
/// reports inside the same unplanned downtime are one event.
pub fn count_failures(events: &[FailureEvent], spans: &[Span], w: Window) -> usize {
    let mut times: Vec<Instant> = events
        .iter()
        .filter(|e| e.impact.as_deref() != Some("I"))
        .map(|e| e.at)
        .filter(|t| *t >= w.from && *t < w.to)
        .collect();
    times.sort();
    let down: Vec<&Span> = spans
        .iter()
        .filter(|s| s.state == AssetStatus::DownUnplanned)
        .collect();
    let outage_of = |t: Instant| {
        down.iter()
            .position(|s| s.start <= t && s.end.is_none_or(|e| t < e))
    };
    let mut count = 0;
    let mut last_outage: Option<usize> = None;
    for t in times {
        match outage_of(t) {
            Some(o) if last_outage == Some(o) => {}
            o => {
                count += 1;
                last_outage = o;
            }
        }
    }
    count
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReliabilityKpis {
    pub calendar_hours: f64,
    pub hours: StateHours,
    pub failures: usize,
    /// Operating (running) hours per failure.
    pub mtbf: Mtbf,
    /// Mean time to restoration: unplanned downtime hours per unplanned outage.
    pub mttr_hours: Option<f64>,
    /// Mean downtime: all downtime hours per downtime event (planned and unplanned).
    pub mdt_hours: Option<f64>,
    /// A_i = MTBF / (MTBF + MTTR), corrective only; `None` without failures or repairs.
    pub availability_inherent: Option<f64>,
    /// A_o = uptime / (uptime + downtime); `None` when nothing was recorded.
    pub availability_operational: Option<f64>,
    pub outages_unplanned: usize,
    pub outages_planned: usize,
}

/// KPIs of one asset (or, with concatenated spans and events, of several) in a window.
pub fn reliability_kpis(spans: &[Span], failures: &[FailureEvent], w: Window) -> ReliabilityKpis {
    let hours = state_hours(spans, w);
    let n_fail = count_failures(failures, spans, w);
    let in_window = |s: &&Span| w.clip_hours(s.start, s.end) > 0.0;
    let outages_unplanned = spans
        .iter()
        .filter(|s| s.state == AssetStatus::DownUnplanned)
        .filter(in_window)
        .count();
    let outages_planned = spans
        .iter()
        .filter(|s| s.state == AssetStatus::DownPlanned)
        .filter(in_window)
        .count();
    derive(w.hours(), hours, n_fail, outages_unplanned, outages_planned)
}

/// Combines per-asset KPIs of one window into fleet KPIs (hours, failures and outages add up;
/// the ratios are recomputed from the sums, never averaged).
pub fn aggregate(parts: &[ReliabilityKpis], w: Window) -> ReliabilityKpis {
    let mut hours = StateHours::default();
    let (mut failures, mut unplanned, mut planned) = (0, 0, 0);
    for p in parts {
        hours.running += p.hours.running;
        hours.standby += p.hours.standby;
        hours.down_planned += p.hours.down_planned;
        hours.down_unplanned += p.hours.down_unplanned;
        hours.decommissioned += p.hours.decommissioned;
        hours.unrecorded += p.hours.unrecorded;
        failures += p.failures;
        unplanned += p.outages_unplanned;
        planned += p.outages_planned;
    }
    derive(
        w.hours() * parts.len() as f64,
        hours,
        failures,
        unplanned,
        planned,
    )
}

fn derive(
    calendar_hours: f64,
    hours: StateHours,
    n_fail: usize,
    outages_unplanned: usize,
    outages_planned: usize,
) -> ReliabilityKpis {
    let mtbf = if n_fail == 0 {
        Mtbf::MoreThan(hours.running)
    } else {
        Mtbf::Hours(hours.running / n_fail as f64)
    };
    let mttr_hours =
        (outages_unplanned > 0).then(|| hours.down_unplanned / outages_unplanned as f64);
    let events = outages_unplanned + outages_planned;
    let mdt_hours = (events > 0).then(|| hours.downtime() / events as f64);
    let availability_inherent = match (mtbf, mttr_hours) {
        (Mtbf::Hours(m), Some(r)) if m + r > 0.0 => Some(m / (m + r)),
        _ => None,
    };
    let recorded = hours.uptime() + hours.downtime();
    let availability_operational = (recorded > 0.0).then(|| hours.uptime() / recorded);
    ReliabilityKpis {
        calendar_hours,
        hours,
        failures: n_fail,
        mtbf,
        mttr_hours,
        mdt_hours,
        availability_inherent,
        availability_operational,
        outages_unplanned,
        outages_planned,
    }
}

text_enum!(
    /// Reporting period for KPI tables.
    Period {
        Week => "week",
        Month => "month",
        Quarter => "quarter",
        Year => "year",
    }
);

/// Local midnight of `d` in `tz` as an instant (the first instant of the day when midnight
/// falls in a DST gap).
pub fn local_midnight(tz: chrono_tz::Tz, d: chrono::NaiveDate) -> Instant {
    use chrono::TimeZone;
    let mut t = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..4 {
        if let Some(x) = tz.from_local_datetime(&t).earliest() {
            return x.with_timezone(&chrono::Utc);
        }
        t += chrono::Duration::minutes(30);
    }
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// Start of the period containing local date `d`.
fn period_start(p: Period, d: chrono::NaiveDate) -> chrono::NaiveDate {
    use chrono::Datelike;
    let first_of = |m: u32| chrono::NaiveDate::from_ymd_opt(d.year(), m, 1).unwrap_or(d);
    match p {
        Period::Week => d - chrono::Duration::days(i64::from(d.weekday().num_days_from_monday())),
        Period::Month => first_of(d.month()),
        Period::Quarter => first_of((d.month() - 1) / 3 * 3 + 1),
        Period::Year => first_of(1),
    }
}

fn next_start(p: Period, d: chrono::NaiveDate) -> chrono::NaiveDate {
    match p {
        Period::Week => d + chrono::Duration::days(7),
        Period::Month => d.checked_add_months(chrono::Months::new(1)).unwrap_or(d),
        Period::Quarter => d.checked_add_months(chrono::Months::new(3)).unwrap_or(d),
        Period::Year => d.checked_add_months(chrono::Months::new(12)).unwrap_or(d),
    }
}

/// The calendar periods (weeks from Monday, months, quarters, years) of the site's time zone
/// that overlap `[from, to)`, each clipped to it; boundaries are local midnights, so a month
/// holds 743 or 745 hours across a DST change. At most 600 periods.
pub fn periods(tz: chrono_tz::Tz, p: Period, w: Window) -> Vec<Window> {
    let mut out = Vec::new();
    let mut d = period_start(p, w.from.with_timezone(&tz).date_naive());
    while out.len() < 600 {
        let start = local_midnight(tz, d).max(w.from);
        let n = next_start(p, d);
        if n <= d {
            break;
        }
        let end = local_midnight(tz, n).min(w.to);
        if start >= w.to {
            break;
        }
        if end > start {
            out.push(Window {
                from: start,
                to: end,
            });
        }
        d = n;
    }
    out
}

/// Labour on one work order, for the work mix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LaborOnWork {
    pub kind: WorkOrderType,
    pub minutes: i64,
    /// The work went through planning (status planned or later before it started).
    pub planned: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WorkMix {
    pub total_hours: f64,
    /// SMRP 5.3.1: planned work hours / total maintenance labour hours × 100.
    pub planned_percent: Option<f64>,
    /// Corrective and emergency hours (work that breaks in) / total × 100.
    pub reactive_percent: Option<f64>,
    /// Preventive, predictive, inspection and calibration hours / total × 100.
    pub proactive_percent: Option<f64>,
}

pub fn work_mix(labor: &[LaborOnWork]) -> WorkMix {
    let total: i64 = labor.iter().map(|l| l.minutes.max(0)).sum();
    let pct = |f: &dyn Fn(&LaborOnWork) -> bool| -> Option<f64> {
        (total > 0).then(|| {
            labor
                .iter()
                .filter(|l| f(l))
                .map(|l| l.minutes.max(0))
                .sum::<i64>() as f64
                * 100.0
                / total as f64
        })
    };
    use WorkOrderType::*;
    WorkMix {
        total_hours: total as f64 / 60.0,
        planned_percent: pct(&|l| l.planned),
        reactive_percent: pct(&|l| matches!(l.kind, Corrective | Emergency)),
        proactive_percent: pct(&|l| {
            matches!(l.kind, Preventive | Predictive | Inspection | Calibration)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AssetStatus::*;
    use chrono::{Duration, TimeZone, Utc};

    fn t(h: i64) -> Instant {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap() + Duration::hours(h)
    }
    fn span(state: AssetStatus, a: i64, b: Option<i64>) -> Span {
        Span {
            state,
            start: t(a),
            end: b.map(t),
            reason: None,
            downtime_id: None,
        }
    }
    fn fail(h: i64, impact: Option<&str>) -> FailureEvent {
        FailureEvent {
            at: t(h),
            impact: impact.map(str::to_owned),
        }
    }
    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    /// A 100-hour window: running 0–40, down unplanned 40–44 (failure at 40), running 44–70,
    /// down planned 70–76, running 76–90, down unplanned 90–92 (failure at 90, two reports),
    /// standby 92–open.
    fn timeline() -> Vec<Span> {
        vec![
            span(Running, 0, Some(40)),
            span(DownUnplanned, 40, Some(44)),
            span(Running, 44, Some(70)),
            span(DownPlanned, 70, Some(76)),
            span(Running, 76, Some(90)),
            span(DownUnplanned, 90, Some(92)),
            span(Standby, 92, None),
        ]
    }

    #[test]
    fn hand_checked_asset_kpis() {
        let w = Window::new(t(0), t(100)).unwrap();
        let failures = [
            fail(40, Some("C")),
            fail(90, Some("D")),
            fail(91, Some("C")),
            fail(60, Some("I")),
        ];
        let k = reliability_kpis(&timeline(), &failures, w);
        // running 40 + 26 + 14 = 80 h; standby 8 h; planned 6 h; unplanned 4 + 2 = 6 h
        assert!(close(k.hours.running, 80.0) && close(k.hours.standby, 8.0));
        assert!(close(k.hours.down_planned, 6.0) && close(k.hours.down_unplanned, 6.0));
        // the incipient finding is not a failure; two reports in one outage are one failure
        assert_eq!(k.failures, 2);
        assert_eq!(k.mtbf, Mtbf::Hours(40.0));
        assert_eq!(k.mttr_hours, Some(3.0));
        assert_eq!(k.mdt_hours, Some(4.0)); // 12 h over 3 outages
        assert!(close(k.availability_inherent.unwrap(), 40.0 / 43.0));
        assert!(close(k.availability_operational.unwrap(), 88.0 / 100.0));
        assert_eq!((k.outages_unplanned, k.outages_planned), (2, 1));
    }

    #[test]
    fn window_edges_clip() {
        // 30–95: running 10 + 26 + 14 = 50, unplanned 4 + 2, planned 6, standby 3
        let w = Window::new(t(30), t(95)).unwrap();
        let h = state_hours(&timeline(), w);
        assert!(close(h.running, 50.0) && close(h.standby, 3.0) && close(h.downtime(), 12.0));
        assert!(close(h.unrecorded, 0.0));
        // before the asset existed
        let w = Window::new(t(-10), t(10)).unwrap();
        assert!(close(state_hours(&timeline(), w).unrecorded, 10.0));
    }

    #[test]
    fn zero_failures_is_more_than_operating_time_not_infinity() {
        let w = Window::new(t(0), t(24)).unwrap();
        let k = reliability_kpis(&[span(Running, 0, None)], &[], w);
        assert_eq!(k.mtbf, Mtbf::MoreThan(24.0));
        assert_eq!((k.mttr_hours, k.availability_inherent), (None, None));
        assert_eq!(k.availability_operational, Some(1.0));
    }

    #[test]
    fn empty_and_inverted_inputs() {
        assert!(Window::new(t(5), t(5)).is_err());
        let w = Window::new(t(0), t(10)).unwrap();
        let k = reliability_kpis(&[], &[], w);
        assert_eq!(k.availability_operational, None);
        assert!(close(k.hours.unrecorded, 10.0));
        let inverted = [Span {
            state: Running,
            start: t(8),
            end: Some(t(2)),
            reason: None,
            downtime_id: None,
        }];
        assert!(close(state_hours(&inverted, w).running, 0.0));
    }

    #[test]
    fn mtbf_times_failures_is_operating_time() {
        for n in 1..20_i64 {
            let mut spans = Vec::new();
            let mut failures = Vec::new();
            for i in 0..n {
                spans.push(span(Running, i * 10, Some(i * 10 + 9)));
                spans.push(span(DownUnplanned, i * 10 + 9, Some(i * 10 + 10)));
                failures.push(fail(i * 10 + 9, None));
            }
            let w = Window::new(t(0), t(n * 10)).unwrap();
            let k = reliability_kpis(&spans, &failures, w);
            let Mtbf::Hours(m) = k.mtbf else {
                panic!("failures expected")
            };
            assert!(close(m * k.failures as f64, k.hours.running));
            let a = k.availability_operational.unwrap();
            assert!((0.0..=1.0).contains(&a));
        }
    }

    #[test]
    fn aggregate_adds_up_and_recomputes_ratios() {
        let w = Window::new(t(0), t(100)).unwrap();
        let a = reliability_kpis(&timeline(), &[fail(40, Some("C")), fail(90, None)], w);
        let b = reliability_kpis(&[span(Running, 0, None)], &[], w);
        let f = aggregate(&[a.clone(), b], w);
        assert_eq!(f.failures, 2);
        assert!(close(f.hours.running, 180.0));
        assert_eq!(f.mtbf, Mtbf::Hours(90.0));
        assert!(close(f.calendar_hours, 200.0));
        assert!(close(f.availability_operational.unwrap(), 188.0 / 200.0));
        assert_eq!(aggregate(std::slice::from_ref(&a), w), a);
    }

    #[test]
    fn periods_follow_the_local_calendar() {
        let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        let utc = |y, m, d, h| Utc.with_ymd_and_hms(y, m, d, h, 0, 0).single().unwrap();
        // March 2026 in Berlin: 2026-02-28T23:00Z to 2026-03-31T22:00Z, 743 hours (DST on the 29th).
        let w = Window::new(utc(2026, 3, 10, 0), utc(2026, 5, 1, 0)).unwrap();
        let months = periods(berlin, Period::Month, w);
        assert_eq!(months.len(), 3);
        assert_eq!(
            (months[0].from, months[0].to),
            (utc(2026, 3, 10, 0), utc(2026, 3, 31, 22))
        );
        assert_eq!(
            (months[1].from, months[1].to),
            (utc(2026, 3, 31, 22), utc(2026, 4, 30, 22))
        );
        assert_eq!(months[2].to, utc(2026, 5, 1, 0));
        let full = periods(
            berlin,
            Period::Month,
            Window::new(utc(2026, 2, 28, 23), utc(2026, 3, 31, 22)).unwrap(),
        );
        assert_eq!(full.len(), 1);
        assert!(close(full[0].hours(), 743.0));
        // ISO weeks start on Monday: 2026-01-05 is a Monday.
        let weeks = periods(
            berlin,
            Period::Week,
            Window::new(utc(2026, 1, 7, 0), utc(2026, 1, 20, 0)).unwrap(),
        );
        assert_eq!(weeks.len(), 3);
        assert_eq!(weeks[1].from, utc(2026, 1, 11, 23));
        // Quarters and years.
        let q = periods(
            chrono_tz::UTC,
            Period::Quarter,
            Window::new(utc(2026, 2, 1, 0), utc(2026, 12, 31, 0)).unwrap(),
        );
        assert_eq!(
            q.iter().map(|w| w.from).collect::<Vec<_>>(),
            [
                utc(2026, 2, 1, 0),
                utc(2026, 4, 1, 0),
                utc(2026, 7, 1, 0),
                utc(2026, 10, 1, 0)
            ]
        );
        assert_eq!(
            periods(
                chrono_tz::UTC,
                Period::Year,
                Window::new(utc(2025, 6, 1, 0), utc(2027, 1, 2, 0)).unwrap()
            )
            .len(),
            3
        );
    }

    #[test]
    fn work_mix_percentages() {
        use WorkOrderType::*;
        let l = [
            LaborOnWork {
                kind: Preventive,
                minutes: 120,
                planned: true,
            },
            LaborOnWork {
                kind: Corrective,
                minutes: 60,
                planned: true,
            },
            LaborOnWork {
                kind: Emergency,
                minutes: 60,
                planned: false,
            },
        ];
        let m = work_mix(&l);
        assert!(close(m.total_hours, 4.0));
        assert!(close(m.planned_percent.unwrap(), 75.0));
        assert!(close(m.reactive_percent.unwrap(), 50.0));
        assert!(close(m.proactive_percent.unwrap(), 50.0));
        assert_eq!(work_mix(&[]).planned_percent, None);
    }
}
