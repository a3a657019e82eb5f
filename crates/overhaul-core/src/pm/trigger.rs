//! What makes PM work due: calendar rules (fixed grid or floating from completion), counter
//! meters, or whichever of a calendar and a meter comes first.
//!
//! Fixed rules are expanded here into site-local wall-clock slots; turning them into instants
//! (DST), seasons, skips and holidays happen in [`super::schedule`].

use super::calendar::{Interval, add_months_clamped, months_between, week_start, weekday_of_month};
use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Weekday};
use chrono_tz::Tz;
use std::num::NonZeroU32;

text_enum!(
    /// A day of the week.
    DayOfWeek {
        Monday => "monday",
        Tuesday => "tuesday",
        Wednesday => "wednesday",
        Thursday => "thursday",
        Friday => "friday",
        Saturday => "saturday",
        Sunday => "sunday",
    }
);

impl DayOfWeek {
    pub fn weekday(self) -> Weekday {
        match self {
            DayOfWeek::Monday => Weekday::Mon,
            DayOfWeek::Tuesday => Weekday::Tue,
            DayOfWeek::Wednesday => Weekday::Wed,
            DayOfWeek::Thursday => Weekday::Thu,
            DayOfWeek::Friday => Weekday::Fri,
            DayOfWeek::Saturday => Weekday::Sat,
            DayOfWeek::Sunday => Weekday::Sun,
        }
    }
}

text_enum!(
    /// Which week of the month a "first Monday of the quarter" style rule picks.
    WeekOfMonth {
        First => "first",
        Second => "second",
        Third => "third",
        Fourth => "fourth",
        Last => "last",
    }
);

impl WeekOfMonth {
    fn ordinal(self) -> Option<u32> {
        match self {
            WeekOfMonth::First => Some(1),
            WeekOfMonth::Second => Some(2),
            WeekOfMonth::Third => Some(3),
            WeekOfMonth::Fourth => Some(4),
            WeekOfMonth::Last => None,
        }
    }
}

/// A calendar-fixed rule: due dates follow it whatever happens to the work.
///
/// Every rule is anchored at the plan's start date (site-local) and never yields a slot
/// before it.
#[derive(Debug, Clone, PartialEq)]
pub enum FixedRule {
    /// Every N days/weeks/months/years from the start date, at a local time. Months clamp to
    /// the month end, counted from the start date (see [`Interval::step`]).
    Every { every: Interval, at: NaiveTime },
    /// Every N weeks on the given weekdays (counted from the week holding the start date).
    Weekly {
        every_weeks: NonZeroU32,
        on: Vec<Weekday>,
        at: NaiveTime,
    },
    /// The first…fourth or last weekday of every N-th month, counted from the start date's
    /// month: `every_months = 3` from a January start is "first Monday of each quarter".
    MonthlyByWeekday {
        every_months: NonZeroU32,
        week: WeekOfMonth,
        weekday: Weekday,
        at: NaiveTime,
    },
    /// An RFC 5545 RRULE, started at the plan start date and time.
    RRule(Box<Recurrence>),
}

/// A slot of a fixed rule in site-local wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalSlot {
    pub local: NaiveDateTime,
    /// The rule asked for a day the month does not have and got the month's last day.
    pub clamped: bool,
}

impl FixedRule {
    /// The local time of day the rule is due at (an RRULE may override it with BYHOUR).
    pub fn at(&self) -> NaiveTime {
        match self {
            FixedRule::Every { at, .. }
            | FixedRule::Weekly { at, .. }
            | FixedRule::MonthlyByWeekday { at, .. } => *at,
            FixedRule::RRule(r) => r.start.time(),
        }
    }

    /// Slots in ascending local time, starting with the first at or after `from` and never
    /// before `start`. Structured rules jump straight to `from`; an RRULE is iterated from its
    /// start (RFC 5545 offers no way to seek).
    pub(crate) fn local_slots<'a>(
        &'a self,
        start: NaiveDate,
        from: NaiveDateTime,
    ) -> Box<dyn Iterator<Item = LocalSlot> + 'a> {
        let from_date = from.date().max(start);
        let keep = move |s: &LocalSlot| s.local >= from && s.local.date() >= start;
        match self {
            FixedRule::Every { every, at } => {
                let at = *at;
                let every = *every;
                let k0 = match every.unit {
                    super::IntervalUnit::Days | super::IntervalUnit::Weeks => {
                        let step = every.min_days().max(1);
                        (from_date - start).num_days() / step
                    }
                    super::IntervalUnit::Months | super::IntervalUnit::Years => {
                        let months = if every.unit == super::IntervalUnit::Years {
                            12
                        } else {
                            1
                        } * i64::from(every.count.get());
                        (months_between(start, from_date) / months - 1).max(0)
                    }
                };
                let k0 = u32::try_from(k0.max(0)).unwrap_or(u32::MAX);
                Box::new(
                    (k0..)
                        .map_while(move |k| every.step(start, k))
                        .map(move |s| LocalSlot {
                            local: s.date.and_time(at),
                            clamped: s.clamped,
                        })
                        .filter(keep),
                )
            }
            FixedRule::Weekly {
                every_weeks,
                on,
                at,
            } => {
                let at = *at;
                let anchor = week_start(start);
                let period = i64::from(every_weeks.get());
                let p0 = ((from_date - anchor).num_days() / 7 / period).max(0);
                let offsets: Vec<u64> = on
                    .iter()
                    .map(|w| u64::from(w.num_days_from_monday()))
                    .collect();
                Box::new(
                    (p0..)
                        .map_while(move |p| {
                            let days =
                                u64::try_from(p.checked_mul(period)?.checked_mul(7)?).ok()?;
                            anchor.checked_add_days(Days::new(days))
                        })
                        .flat_map(move |monday| {
                            offsets
                                .clone()
                                .into_iter()
                                .filter_map(move |o| monday.checked_add_days(Days::new(o)))
                        })
                        .map(move |date| LocalSlot {
                            local: date.and_time(at),
                            clamped: false,
                        })
                        .filter(keep),
                )
            }
            FixedRule::MonthlyByWeekday {
                every_months,
                week,
                weekday,
                at,
            } => {
                let (at, week, weekday) = (*at, *week, *weekday);
                let first_month = start.with_day(1).unwrap_or(start);
                let period = i64::from(every_months.get());
                let k0 = (months_between(start, from_date) / period - 1).max(0);
                Box::new(
                    (k0..)
                        .map_while(move |k| add_months_clamped(first_month, k.checked_mul(period)?))
                        .filter_map(move |m| {
                            weekday_of_month(m.date.year(), m.date.month(), weekday, week.ordinal())
                        })
                        .map(move |date| LocalSlot {
                            local: date.and_time(at),
                            clamped: false,
                        })
                        .filter(keep),
                )
            }
            FixedRule::RRule(r) => Box::new(
                r.wall_clock()
                    .map(|local| LocalSlot {
                        local,
                        clamped: false,
                    })
                    .skip_while(move |s| !keep(s)),
            ),
        }
    }
}

/// A validated RFC 5545 recurrence rule.
///
/// It is expanded on wall-clock time: the start is handed to the `rrule` crate as if the site's
/// local time were UTC, so "06:00" means 06:00 on every date whatever the offset; each result
/// is then resolved in the site's zone with our DST policy ([`super::resolve_local`]). An
/// `UNTIL` in UTC is converted to the site's wall-clock time first.
#[derive(Debug, Clone, PartialEq)]
pub struct Recurrence {
    text: String,
    start: NaiveDateTime,
    set: rrule::RRuleSet,
}

/// How many occurrences validation looks at to find the shortest gap.
const RRULE_SAMPLE: usize = 1000;

fn wall(local: NaiveDateTime) -> chrono::DateTime<rrule::Tz> {
    rrule::Tz::UTC.from_utc_datetime(&local)
}

impl Recurrence {
    /// Parses `FREQ=…;…` (an `RRULE:` prefix is accepted) starting at the local `start`.
    /// `DTSTART`, `RDATE` and `EXDATE` lines are refused: the plan has its own start, and skip
    /// dates cover exclusions.
    pub fn parse(text: &str, start: NaiveDateTime, tz: Tz) -> Result<Self, String> {
        let trimmed = text.trim();
        let body = match trimmed.get(..6) {
            Some(p) if p.eq_ignore_ascii_case("rrule:") => &trimmed[6..],
            _ => trimmed,
        };
        if body.is_empty() {
            return Err(
                "must not be empty: write a rule such as FREQ=WEEKLY;INTERVAL=2;BYDAY=MO".into(),
            );
        }
        if body.contains(['\n', '\r']) {
            return Err(
                "must be a single RRULE line (the plan supplies the start date and time)".into(),
            );
        }
        let mut rule: rrule::RRule<rrule::Unvalidated> = body
            .parse()
            .map_err(|e| format!("is not a valid RRULE (RFC 5545): {e}"))?;
        if let Some(until) = rule.get_until().copied() {
            let local = if until.timezone() == rrule::Tz::UTC {
                until.with_timezone(&tz).naive_local()
            } else {
                until.naive_local()
            };
            rule = rule.until(wall(local));
        }
        let validated = rule
            .validate(wall(start))
            .map_err(|e| format!("is not a valid RRULE (RFC 5545): {e}"))?;
        let set = rrule::RRuleSet::new(wall(start)).rrule(validated).limit();
        Ok(Self {
            text: body.to_owned(),
            start,
            set,
        })
    }

    /// The rule text as given (without an `RRULE:` prefix).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Occurrences in site wall-clock time, ascending. The iterator is bounded by the crate's
    /// loop limit, so a rule that never fires ends instead of spinning.
    fn wall_clock(&self) -> impl Iterator<Item = NaiveDateTime> + '_ {
        (&self.set).into_iter().map(|d| d.naive_utc())
    }

    /// Refuses a rule that never fires or fires more often than once an hour.
    pub(crate) fn check_frequency(&self) -> Result<(), String> {
        let sample: Vec<NaiveDateTime> = self.wall_clock().take(RRULE_SAMPLE).collect();
        if sample.is_empty() {
            return Err(
                "never produces a due date (e.g. BYMONTHDAY=31 with BYMONTH=2, or UNTIL before the start)"
                    .into(),
            );
        }
        if let Some(gap) = min_gap(&sample)
            && gap < chrono::Duration::hours(1)
        {
            return Err(format!(
                "fires more often than once an hour (every {} minutes); PM due times must be at least an hour apart",
                gap.num_minutes()
            ));
        }
        Ok(())
    }
}

pub(crate) fn min_gap(sorted: &[NaiveDateTime]) -> Option<chrono::Duration> {
    sorted.windows(2).map(|w| w[1] - w[0]).min()
}

/// Rules that statically cannot fire (the crate would otherwise loop to its limit first).
pub(crate) fn never_fires_statically(rule: &str) -> bool {
    let mut months: Vec<u32> = Vec::new();
    let mut days: Vec<i64> = Vec::new();
    for part in rule.split(';') {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        let nums = || v.split(',').filter_map(|x| x.trim().parse::<i64>().ok());
        match k.trim().to_ascii_uppercase().as_str() {
            "BYMONTH" => months = nums().filter_map(|m| u32::try_from(m).ok()).collect(),
            "BYMONTHDAY" => days = nums().collect(),
            _ => {}
        }
    }
    if days.is_empty() || days.iter().any(|d| *d < 0) {
        return false;
    }
    let longest = |m: u32| match m {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let max_len = if months.is_empty() {
        31
    } else {
        months.iter().map(|m| longest(*m)).max().unwrap_or(31)
    };
    days.iter().all(|d| *d > max_len)
}

/// Floating: the next due date is the last completion's local date plus the interval, at a
/// local time (the first due date is the plan start).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FloatingRule {
    pub every: Interval,
    pub at: NaiveTime,
}

/// Every N units of a counter meter (a gauge is refused at validation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeterTrigger {
    /// Units between services (> 0).
    pub every: f64,
    /// Generate this many units before due (0 ≤ warning < every); the meter's lead time.
    pub warning: f64,
    /// The counter's lifetime total the first interval counts from (before any completion).
    pub start_reading: f64,
}

/// What makes a plan's work due.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    Fixed(FixedRule),
    Floating(FloatingRule),
    Meter(MeterTrigger),
    /// The calendar part restarts from each completion like a floating plan, the meter part
    /// from the completion's reading: one occurrence per cycle, whichever comes first.
    WhicheverFirst {
        calendar: FloatingRule,
        meter: MeterTrigger,
    },
}

impl Trigger {
    pub fn meter(&self) -> Option<&MeterTrigger> {
        match self {
            Trigger::Meter(m) | Trigger::WhicheverFirst { meter: m, .. } => Some(m),
            _ => None,
        }
    }

    /// Whether the plan has a calendar part (seasons, skips, holidays and lead apply to it).
    pub fn has_calendar(&self) -> bool {
        !matches!(self, Trigger::Meter(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pm::IntervalUnit;

    fn dt(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    fn six() -> NaiveTime {
        NaiveTime::from_hms_opt(6, 0, 0).unwrap()
    }

    fn slots(
        rule: &FixedRule,
        start: NaiveDate,
        from: NaiveDateTime,
        n: usize,
    ) -> Vec<NaiveDateTime> {
        rule.local_slots(start, from)
            .take(n)
            .map(|s| s.local)
            .collect()
    }

    #[test]
    fn structured_rules_jump_to_from_without_losing_the_grid() {
        let start = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(); // a Monday
        // every 10 days from Jan 5: Jan 5, 15, 25, Feb 4, 14, …; from Feb 10 → Feb 14, Feb 24
        let every10 = FixedRule::Every {
            every: Interval::new(10, IntervalUnit::Days).unwrap(),
            at: six(),
        };
        assert_eq!(
            slots(&every10, start, dt(2026, 2, 10, 0, 0), 2),
            [dt(2026, 2, 14, 6, 0), dt(2026, 2, 24, 6, 0)]
        );
        // from exactly a slot's time includes it
        assert_eq!(
            slots(&every10, start, dt(2026, 2, 14, 6, 0), 1),
            [dt(2026, 2, 14, 6, 0)]
        );
        // every 2 weeks on Monday and Thursday: weeks of Jan 5, Jan 19, Feb 2 …
        let biweekly = FixedRule::Weekly {
            every_weeks: NonZeroU32::new(2).unwrap(),
            on: vec![Weekday::Mon, Weekday::Thu],
            at: six(),
        };
        assert_eq!(
            slots(&biweekly, start, dt(2026, 1, 13, 0, 0), 3),
            [
                dt(2026, 1, 19, 6, 0),
                dt(2026, 1, 22, 6, 0),
                dt(2026, 2, 2, 6, 0)
            ]
        );
        // last Friday of every 2nd month from January: Jan 30, Mar 27, May 29
        let last_fri = FixedRule::MonthlyByWeekday {
            every_months: NonZeroU32::new(2).unwrap(),
            week: WeekOfMonth::Last,
            weekday: Weekday::Fri,
            at: six(),
        };
        assert_eq!(
            slots(&last_fri, start, dt(2026, 1, 1, 0, 0), 3),
            [
                dt(2026, 1, 30, 6, 0),
                dt(2026, 3, 27, 6, 0),
                dt(2026, 5, 29, 6, 0)
            ]
        );
    }

    #[test]
    fn rrule_parsing_and_limits() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let start = dt(2026, 1, 5, 6, 0);
        let ok = Recurrence::parse("RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", start, tz).unwrap();
        assert_eq!(ok.as_str(), "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO");
        assert!(ok.check_frequency().is_ok());
        assert!(Recurrence::parse("garbage", start, tz).is_err());
        assert!(Recurrence::parse("", start, tz).is_err());
        assert!(
            Recurrence::parse("DTSTART:20260101T000000Z\nRRULE:FREQ=DAILY", start, tz).is_err()
        );
        let secondly = Recurrence::parse("FREQ=SECONDLY", start, tz).unwrap();
        assert!(
            secondly
                .check_frequency()
                .unwrap_err()
                .contains("once an hour")
        );
        let half_hourly =
            Recurrence::parse("FREQ=DAILY;BYHOUR=6,7;BYMINUTE=0,30", start, tz).unwrap();
        assert!(
            half_hourly
                .check_frequency()
                .unwrap_err()
                .contains("every 30 minutes")
        );
        let hourly = Recurrence::parse("FREQ=HOURLY", start, tz).unwrap();
        assert!(hourly.check_frequency().is_ok());
        assert!(never_fires_statically(
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"
        ));
        assert!(never_fires_statically(
            "FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=4,6"
        ));
        assert!(!never_fires_statically(
            "FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=4,5"
        ));
        assert!(!never_fires_statically(
            "FREQ=MONTHLY;BYMONTHDAY=-1;BYMONTH=2"
        ));
        // UNTIL in UTC is read as the same instant in Berlin: 2026-01-07T05:00Z = 06:00 CET,
        // so the 06:00 occurrence on Jan 7 is the last one.
        let until = Recurrence::parse("FREQ=DAILY;UNTIL=20260107T050000Z", start, tz).unwrap();
        let all: Vec<_> = until.wall_clock().collect();
        assert_eq!(
            all,
            [
                dt(2026, 1, 5, 6, 0),
                dt(2026, 1, 6, 6, 0),
                dt(2026, 1, 7, 6, 0)
            ]
        );
    }
}
