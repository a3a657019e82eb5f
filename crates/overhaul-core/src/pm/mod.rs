//! Preventive maintenance: the pure scheduling engine.
//!
//! A PM [`Plan`] says *when* work is due; this module decides, from the plan, its
//! [`PlanState`] (last completion, generation cursor, meter progress) and an instant `now`
//! passed in by the caller, which occurrences exist, which must be generated, and which were
//! skipped or missed. It never reads the clock, never stores anything and never disables a plan:
//! storage persists what it returns, keyed by [`OccurrenceKey`] under a unique constraint, so
//! any number of runs or instances generate each occurrence exactly once.
//!
//! # Entry points
//! - [`Plan::parse`] validates a [`PlanDraft`] (field-level [`crate::Invalid`] errors).
//! - [`forecast`] lists every occurrence in a window (nothing is created).
//! - [`due_for_generation`] returns what must be recorded now, and the next cursor.
//! - [`preview`] gives the next N due dates for a plan editor; [`plan_flags`] raises warnings.
//! - [`compliance`] holds the SMRP 5.4.14 grace table, [`on_time`] and the aggregate.
//! - [`counter`] keeps a counter meter's lifetime total across resets and rollovers.
//!
//! # Policies (each one tested in `tests.rs`)
//! - **Time zones.** Rules are expanded in the site's IANA zone on wall-clock time, so 06:00
//!   stays 06:00 local across DST changes; instants are returned in UTC. A wall-clock time that
//!   does not exist (the spring-forward gap) moves forward to the first valid instant after the
//!   gap (02:30 on 2026-03-29 in Europe/Berlin becomes 03:00 CEST). A time that exists twice
//!   (fall-back) takes the first occurrence, in summer time. See [`resolve_local`].
//! - **Month ends.** Structured "every N months" rules clamp a missing day to the last day of
//!   the month (31st → 30 Apr, 29 Feb → 28 Feb in common years), always counted from the
//!   anchor date, so Jan 31 gives Feb 28, Mar 31, Apr 30 and never drifts to the 28th. RRULE
//!   strings keep RFC 5545 semantics (a missing day is skipped; use `BYMONTHDAY=-1` for the
//!   last day).
//! - **Fixed vs floating.** Fixed plans keep their grid whatever the completions; floating
//!   plans restart from the local date of the last completion.
//! - **Seasons, skip dates, holidays.** Occurrences outside the active months or on a skip
//!   date are reported as skipped. A plan may move an occurrence that falls on a site holiday
//!   to the next business day (open per the site's business hours and not a holiday); if
//!   the move would reach the next slot of the rule, the moved one is reported as skipped,
//!   merged into that slot, so the same work is not done twice; if that slot is itself skipped
//!   (season, skip date) the move is cancelled and the holiday date kept, so no work is lost.
//! - **Missed.** When generation catches up after an outage, a fixed occurrence whose next
//!   occurrence is already due is recorded as missed (superseded), not generated; nothing is
//!   dropped silently.

pub mod calendar;
pub mod compliance;
pub mod counter;
pub mod plan;
pub mod schedule;
pub mod trigger;

#[cfg(test)]
mod tests;

pub use calendar::{
    DstResolution, HolidayPolicy, Interval, IntervalUnit, Season, SiteCalendar, SkipRange,
    resolve_local,
};
pub use compliance::{
    Compliance, ComplianceRecord, Frequency, compliance, grace, grace_for_span, on_time,
};
pub use counter::{CounterTotal, MeterEvent, usage_rate_per_day};
pub use plan::{IntervalDraft, MeterDraft, Plan, PlanDraft, RuleDraft, SkipDraft, TriggerDraft};
pub use schedule::{
    Adjustment, Completion, Cursor, Generation, MeterProgress, MissReason, Occurrence,
    OccurrenceStatus, PlanFlag, PlanState, SkipReason, Source, due_for_generation, forecast,
    plan_flags, preview,
};
pub use trigger::{
    DayOfWeek, FixedRule, FloatingRule, MeterTrigger, Recurrence, Trigger, WeekOfMonth,
};

use crate::time::{Instant, canonical};
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// Identifies a PM plan (UUIDv7, like every other id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PmPlanId(pub Uuid);

impl PmPlanId {
    /// A fresh time-ordered id.
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }
}

impl Default for PmPlanId {
    fn default() -> Self {
        Self::new()
    }
}

impl From<Uuid> for PmPlanId {
    fn from(u: Uuid) -> Self {
        Self(u)
    }
}

impl fmt::Display for PmPlanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Which occurrence of a plan this is: the identity storage makes unique per plan.
///
/// It never depends on `now`, on meter readings taken after the cycle began, or on holiday
/// lists (which may be edited after generation), so two runners given the same plan and state
/// always compute the same slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Slot {
    /// Calendar plans (fixed and floating): the instant the rule put the occurrence at, before
    /// any holiday move. This is the frozen due instant of the rule.
    Due(Instant),
    /// Meter plans: the counter value (lifetime units × 1000, rounded) at which it falls due.
    Reading(i64),
    /// Whichever-first plans: the cycle, named by the instant it started from (the last
    /// completion, or the plan start). Both triggers reset together, so one cycle is one
    /// occurrence whichever trigger fires.
    Cycle(Instant),
}

impl Slot {
    /// The canonical text form, for a unique `(plan_id, slot)` column.
    pub fn as_text(&self) -> String {
        match self {
            Slot::Due(t) => format!("due:{}", canonical(*t)),
            Slot::Reading(milli) => {
                let sign = if *milli < 0 { "-" } else { "" };
                let abs = milli.unsigned_abs();
                format!("reading:{sign}{}.{:03}", abs / 1000, abs % 1000)
            }
            Slot::Cycle(t) => format!("cycle:{}", canonical(*t)),
        }
    }

    /// A meter value as a slot (thousandths, rounded half away from zero).
    pub fn reading(value: f64) -> Self {
        Slot::Reading((value * 1000.0).round() as i64)
    }

    fn same_kind(&self, other: &Slot) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

/// The exactly-once key of an occurrence: plan id + slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OccurrenceKey {
    pub plan: PmPlanId,
    pub slot: Slot,
}

impl fmt::Display for OccurrenceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.plan, self.slot.as_text())
    }
}
