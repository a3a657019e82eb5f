//! SMRP work-management metrics (standards notes §4.4): ready and planned backlog in crew-weeks
//! (5.4.9), the age of open work orders (5.4.6), and whether a job was planned before work on it
//! started (what counts as *planned work* for 5.3.1).

use crate::time::Instant;
use crate::work_order::{WorkOrderStatus, WorkOrderType};
use serde::Serialize;

/// An open work order as the backlog sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenWork {
    pub kind: WorkOrderType,
    pub status: WorkOrderStatus,
    pub created_at: Instant,
    /// Labour estimate (from the procedure it follows); `None` = not estimated.
    pub estimated_hours: Option<f64>,
}

/// Backlog in hours and crew-weeks.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Backlog {
    /// Crew capacity the weeks are counted in (straight time + scheduled overtime − indirect).
    pub crew_hours_per_week: Option<f64>,
    /// Work orders ready to execute (status `ready` or `scheduled`: planned, materials on hand,
    /// labour estimated) and their estimated hours.
    pub ready_work_orders: usize,
    pub ready_hours: f64,
    /// SMRP 5.4.9: ready hours / crew hours per week (target 2–4 weeks).
    pub ready_weeks: Option<f64>,
    /// Planned backlog: `planned`, `ready` and `scheduled` work.
    pub planned_work_orders: usize,
    pub planned_hours: f64,
    pub planned_weeks: Option<f64>,
    /// Backlog work orders without a labour estimate: counted above, not in the hours.
    pub unestimated: usize,
}

/// Ready and planned backlog. A capacity that is not a positive number is refused; without a
/// capacity the hours are given and the weeks are not.
pub fn backlog(open: &[OpenWork], crew_hours_per_week: Option<f64>) -> Result<Backlog, String> {
    if crew_hours_per_week.is_some_and(|c| !c.is_finite() || c <= 0.0) {
        return Err("crew capacity must be a positive number of hours per week".into());
    }
    use WorkOrderStatus::*;
    let mut b = Backlog {
        crew_hours_per_week,
        ready_work_orders: 0,
        ready_hours: 0.0,
        ready_weeks: None,
        planned_work_orders: 0,
        planned_hours: 0.0,
        planned_weeks: None,
        unestimated: 0,
    };
    for w in open {
        let ready = matches!(w.status, Ready | Scheduled);
        if !(ready || w.status == Planned) {
            continue;
        }
        let hours = w.estimated_hours.filter(|h| h.is_finite() && *h >= 0.0);
        if hours.is_none() {
            b.unestimated += 1;
        }
        let h = hours.unwrap_or(0.0);
        b.planned_work_orders += 1;
        b.planned_hours += h;
        if ready {
            b.ready_work_orders += 1;
            b.ready_hours += h;
        }
    }
    b.ready_weeks = crew_hours_per_week.map(|c| b.ready_hours / c);
    b.planned_weeks = crew_hours_per_week.map(|c| b.planned_hours / c);
    Ok(b)
}

/// Open work orders of one age range.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AgeBucket {
    pub label: &'static str,
    /// Age in whole days, inclusive; `to_days` `None` = and older.
    pub from_days: i64,
    pub to_days: Option<i64>,
    pub work_orders: usize,
    /// Of which corrective or emergency work.
    pub reactive: usize,
}

const AGES: [(&str, i64, Option<i64>); 5] = [
    ("0–7 days", 0, Some(7)),
    ("8–30 days", 8, Some(30)),
    ("31–90 days", 31, Some(90)),
    ("91–180 days", 91, Some(180)),
    ("over 180 days", 181, None),
];

/// The statuses a work order is open in (not done, not cancelled).
pub fn is_open(s: WorkOrderStatus) -> bool {
    !matches!(
        s,
        WorkOrderStatus::Completed | WorkOrderStatus::Closed | WorkOrderStatus::Cancelled
    )
}

/// WO aging (SMRP 5.4.6): open work orders by whole days since creation. Work created "in the
/// future" (clock skew) counts as age 0; finished work is ignored.
pub fn aging(open: &[OpenWork], now: Instant) -> Vec<AgeBucket> {
    let mut out: Vec<AgeBucket> = AGES
        .iter()
        .map(|(label, from_days, to_days)| AgeBucket {
            label,
            from_days: *from_days,
            to_days: *to_days,
            work_orders: 0,
            reactive: 0,
        })
        .collect();
    for w in open.iter().filter(|w| is_open(w.status)) {
        let age = (now - w.created_at).num_days().max(0);
        if let Some(b) = out
            .iter_mut()
            .find(|b| age >= b.from_days && b.to_days.is_none_or(|t| age <= t))
        {
            b.work_orders += 1;
            if matches!(w.kind, WorkOrderType::Corrective | WorkOrderType::Emergency) {
                b.reactive += 1;
            }
        }
    }
    out
}

/// Whether a job went through planning before work started: its history reaches `planned`,
/// `ready` or `scheduled` before it first reaches `in_progress` (or completion). Changes are
/// taken in time order whatever order they are given in.
pub fn went_through_planning(changes: &[(WorkOrderStatus, Instant)]) -> bool {
    let mut c: Vec<&(WorkOrderStatus, Instant)> = changes.iter().collect();
    c.sort_by_key(|(_, t)| *t);
    for (s, _) in c {
        match s {
            WorkOrderStatus::Planned | WorkOrderStatus::Ready | WorkOrderStatus::Scheduled => {
                return true;
            }
            WorkOrderStatus::InProgress | WorkOrderStatus::Completed | WorkOrderStatus::Closed => {
                return false;
            }
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use WorkOrderStatus::*;
    use WorkOrderType::*;
    use chrono::{Duration, TimeZone, Utc};

    fn now() -> Instant {
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).single().unwrap()
    }
    fn wo(kind: WorkOrderType, status: WorkOrderStatus, age_h: i64, est: Option<f64>) -> OpenWork {
        OpenWork {
            kind,
            status,
            created_at: now() - Duration::hours(age_h),
            estimated_hours: est,
        }
    }

    #[test]
    fn ready_and_planned_backlog_in_crew_weeks() {
        let open = [
            wo(Preventive, Ready, 10, Some(8.0)),
            wo(Corrective, Scheduled, 10, Some(12.0)),
            wo(Corrective, Planned, 10, Some(40.0)),
            wo(Corrective, Planned, 10, None), // counted, no hours
            wo(Corrective, Approved, 10, Some(100.0)), // not planned yet: not backlog
            wo(Corrective, InProgress, 10, Some(100.0)), // being worked
            wo(Preventive, Ready, 10, Some(f64::NAN)), // a broken estimate is no estimate
        ];
        // 2 technicians × 40 h = 80 h a week
        let b = backlog(&open, Some(80.0)).unwrap();
        assert_eq!(b.ready_work_orders, 3);
        assert_eq!(b.ready_hours, 20.0);
        assert_eq!(b.ready_weeks, Some(0.25));
        assert_eq!(b.planned_work_orders, 5);
        assert_eq!(b.planned_hours, 60.0);
        assert_eq!(b.planned_weeks, Some(0.75));
        assert_eq!(b.unestimated, 2);
        // no capacity: hours but no weeks
        let b = backlog(&open, None).unwrap();
        assert_eq!((b.ready_hours, b.ready_weeks), (20.0, None));
        for bad in [0.0, -40.0, f64::INFINITY, f64::NAN] {
            assert!(backlog(&open, Some(bad)).is_err(), "{bad}");
        }
        let empty = backlog(&[], Some(40.0)).unwrap();
        assert_eq!(
            (empty.ready_weeks, empty.planned_weeks),
            (Some(0.0), Some(0.0))
        );
    }

    #[test]
    fn aging_buckets_by_whole_days() {
        let open = [
            wo(Corrective, Requested, 0, None),          // 0 d
            wo(Corrective, Approved, 7 * 24 + 23, None), // 7 d 23 h → 7
            wo(Preventive, Planned, 8 * 24, None),       // 8
            wo(Emergency, OnHold, 30 * 24, None),        // 30
            wo(Inspection, Ready, 31 * 24, None),        // 31
            wo(Corrective, Scheduled, 180 * 24, None),   // 180
            wo(Corrective, InProgress, 181 * 24, None),  // 181
            wo(Corrective, Requested, -5, None),         // created in the future: 0
            wo(Corrective, Completed, 500 * 24, None),   // done: not open
            wo(Corrective, Cancelled, 500 * 24, None),
        ];
        let a = aging(&open, now());
        let counts: Vec<(usize, usize)> = a.iter().map(|b| (b.work_orders, b.reactive)).collect();
        assert_eq!(counts, vec![(3, 3), (2, 1), (1, 0), (1, 1), (1, 1)]);
        assert_eq!(a[4].to_days, None);
        assert_eq!(
            aging(&[], now())
                .iter()
                .map(|b| b.work_orders)
                .sum::<usize>(),
            0
        );
    }

    #[test]
    fn planned_work_is_work_planned_before_it_started() {
        let t = |h: i64| now() + Duration::hours(h);
        let cases: [(&[(WorkOrderStatus, Instant)], bool); 6] = [
            (
                &[
                    (Requested, t(0)),
                    (Approved, t(1)),
                    (Planned, t(2)),
                    (InProgress, t(3)),
                ],
                true,
            ),
            (
                &[(Requested, t(0)), (InProgress, t(1)), (Planned, t(2))],
                false,
            ),
            // given out of order: sorted by time first
            (
                &[(InProgress, t(5)), (Ready, t(2)), (Requested, t(0))],
                true,
            ),
            (&[(Approved, t(0)), (Completed, t(1))], false),
            (&[(Scheduled, t(0))], true),
            (&[], false),
        ];
        for (i, (changes, want)) in cases.iter().enumerate() {
            assert_eq!(went_through_planning(changes), *want, "case {i}");
        }
    }
}
