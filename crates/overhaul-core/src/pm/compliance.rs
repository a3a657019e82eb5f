//! PM & PdM compliance per SMRP Best Practice metric 5.4.14.
//!
//! Compliance = PM work orders completed on time / PM work orders due × 100, where "on time"
//! means completed no later than the (frozen) due instant plus a grace that depends on the
//! frequency: 20 % of the frequency, at most 28 days, as tabulated by SMRP.
//!
//! Grace table (SMRP 5.4.14): 1 wk → 1 d, 2 wk → 3 d, 4 wk or 1 mo → 6 d, 6 wk → 8 d,
//! 8 wk → 11 d, 2 mo → 12 d, 3 mo → 18 d, 4 mo → 24 d, 6 mo and longer → 28 d.
//!
//! Between and beyond the table: the table is exactly 20 % of the frequency rounded to the
//! nearest whole day (months as the average Gregorian month, 30.436875 d), capped at 28 days,
//! so every other frequency uses that same formula: 3 weeks → 4.2 → 4 d, 10 days → 2 d,
//! 5 months → 30.4 → 28 d. It never decreases as the frequency grows. Frequencies under three
//! days round to zero grace: a daily PM is on time only when done by its due time.

use super::calendar::{Interval, IntervalUnit};
use crate::time::Instant;
use chrono::Duration;
use serde::Serialize;

/// How often a PM recurs, for its grace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    /// A calendar interval (the table is written in weeks and months).
    Every(Interval),
    /// A length of time, e.g. the gap between two RRULE occurrences or a meter interval
    /// converted with the usage rate.
    Span(Duration),
}

impl From<Interval> for Frequency {
    fn from(i: Interval) -> Self {
        Frequency::Every(i)
    }
}

/// The cap on grace: 28 days.
pub const MAX_GRACE_DAYS: i64 = 28;

fn table(i: Interval) -> Option<i64> {
    let n = i.count.get();
    match (i.unit, n) {
        (IntervalUnit::Weeks, 1) | (IntervalUnit::Days, 7) => Some(1),
        (IntervalUnit::Weeks, 2) | (IntervalUnit::Days, 14) => Some(3),
        (IntervalUnit::Weeks, 4) | (IntervalUnit::Days, 28) | (IntervalUnit::Months, 1) => Some(6),
        (IntervalUnit::Weeks, 6) | (IntervalUnit::Days, 42) => Some(8),
        (IntervalUnit::Weeks, 8) | (IntervalUnit::Days, 56) => Some(11),
        (IntervalUnit::Months, 2) => Some(12),
        (IntervalUnit::Months, 3) => Some(18),
        (IntervalUnit::Months, 4) => Some(24),
        (IntervalUnit::Months, m) if m >= 6 => Some(MAX_GRACE_DAYS),
        (IntervalUnit::Years, _) => Some(MAX_GRACE_DAYS),
        _ => None,
    }
}

fn twenty_percent_days(days: f64) -> i64 {
    // round half up, then cap; f64 → i64 saturates on absurd inputs
    ((days * 0.2 + 0.5).floor() as i64).clamp(0, MAX_GRACE_DAYS)
}

/// Grace for a calendar frequency: the SMRP table, else 20 % rounded to whole days, ≤ 28 d.
pub fn grace(frequency: Frequency) -> Duration {
    match frequency {
        Frequency::Every(i) => {
            Duration::days(table(i).unwrap_or_else(|| twenty_percent_days(i.approx_days())))
        }
        Frequency::Span(d) => grace_for_span(d),
    }
}

/// Grace for a frequency given as a length of time (20 % rounded to whole days, ≤ 28 d); equal
/// to the table at the table's lengths.
pub fn grace_for_span(span: Duration) -> Duration {
    let days = span.num_seconds() as f64 / 86_400.0;
    Duration::days(twenty_percent_days(days.max(0.0)))
}

/// Whether work due at `due` and completed at `completed` was on time: completed no later than
/// `due` + grace (early completion is on time).
pub fn on_time(due: Instant, completed: Instant, frequency: Frequency) -> bool {
    completed <= due + grace(frequency)
}

/// One PM occurrence as compliance sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ComplianceRecord {
    /// The due instant frozen at generation.
    pub due: Instant,
    /// When the work was completed, if it was.
    pub completed: Option<Instant>,
    pub frequency: Frequency,
}

/// PM compliance over a period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Compliance {
    /// Occurrences due in the period whose outcome is known (completed, or grace expired).
    pub due: u32,
    pub on_time: u32,
    /// Completed after due + grace.
    pub late: u32,
    /// Not completed and grace expired.
    pub not_done: u32,
    /// Not completed, still within grace at `now`: left out of the ratio until decided.
    pub pending: u32,
    /// on_time / due × 100; `None` when nothing was due.
    pub percent: Option<f64>,
}

/// SMRP 5.4.14 over the occurrences whose due instant lies in `[from, until)`, judged at `now`.
///
/// Pass every occurrence that was due: generated work orders and occurrences recorded as
/// missed (they count as not done). Skipped occurrences (season, skip date, holiday merge) were
/// never due and are not passed. An open occurrence still inside its grace is `pending`: it
/// counts neither for nor against until it is done or its grace runs out.
pub fn compliance(
    records: &[ComplianceRecord],
    from: Instant,
    until: Instant,
    now: Instant,
) -> Compliance {
    let mut c = Compliance {
        due: 0,
        on_time: 0,
        late: 0,
        not_done: 0,
        pending: 0,
        percent: None,
    };
    for r in records.iter().filter(|r| from <= r.due && r.due < until) {
        match r.completed {
            Some(done) if on_time(r.due, done, r.frequency) => c.on_time += 1,
            Some(_) => c.late += 1,
            None if now <= r.due + grace(r.frequency) => c.pending += 1,
            None => c.not_done += 1,
        }
    }
    c.due = c.on_time + c.late + c.not_done;
    if c.due > 0 {
        c.percent = Some(f64::from(c.on_time) * 100.0 / f64::from(c.due));
    }
    c
}
