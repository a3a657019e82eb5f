//! Site-local calendar arithmetic: intervals with month-end clamping, wall-clock → UTC resolution
//! across DST changes, business days and holidays, seasons and skip ranges.

use crate::site::{BusinessHours, parse_timezone};
use crate::time::Instant;
use crate::validation::{Checks, Invalid};
use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Weekday};
use chrono_tz::Tz;
use serde::Serialize;
use std::collections::BTreeSet;
use std::num::NonZeroU32;

text_enum!(
    /// The unit of a calendar interval.
    IntervalUnit {
        Days => "days",
        Weeks => "weeks",
        Months => "months",
        Years => "years",
    }
);

/// "Every N days / weeks / months / years"; N ≥ 1 by construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Interval {
    pub count: NonZeroU32,
    pub unit: IntervalUnit,
}

/// A local date `k` intervals after an anchor, and whether the day of month had to be clamped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub date: NaiveDate,
    pub clamped: bool,
}

/// Average Gregorian month in days (365.2425 / 12), used where a month must become a length.
pub const AVERAGE_MONTH_DAYS: f64 = 30.436_875;

impl Interval {
    /// `None` when `count` is zero.
    pub fn new(count: u32, unit: IntervalUnit) -> Option<Self> {
        NonZeroU32::new(count).map(|count| Self { count, unit })
    }

    /// The date `k` intervals after `anchor` in local calendar terms.
    ///
    /// Months and years are counted from the anchor each time (never step by step), and a day
    /// that does not exist in the target month is clamped to the month's last day: from Jan 31,
    /// k = 1, 2, 3 give Feb 28 (29 in leap years), Mar 31, Apr 30. `None` past chrono's range.
    pub fn step(&self, anchor: NaiveDate, k: u32) -> Option<Step> {
        let n = u64::from(self.count.get()).checked_mul(u64::from(k))?;
        match self.unit {
            IntervalUnit::Days => plain(anchor.checked_add_days(Days::new(n))?),
            IntervalUnit::Weeks => plain(anchor.checked_add_days(Days::new(n.checked_mul(7)?))?),
            IntervalUnit::Months => add_months_clamped(anchor, i64::try_from(n).ok()?),
            IntervalUnit::Years => {
                add_months_clamped(anchor, i64::try_from(n.checked_mul(12)?).ok()?)
            }
        }
    }

    /// Length in days, months counted as the average Gregorian month, years as 365.2425 days.
    pub fn approx_days(&self) -> f64 {
        let n = f64::from(self.count.get());
        match self.unit {
            IntervalUnit::Days => n,
            IntervalUnit::Weeks => 7.0 * n,
            IntervalUnit::Months => AVERAGE_MONTH_DAYS * n,
            IntervalUnit::Years => 365.2425 * n,
        }
    }

    /// The shortest this interval can be, in whole days (a month can be 28 days).
    pub fn min_days(&self) -> i64 {
        let n = i64::from(self.count.get());
        match self.unit {
            IntervalUnit::Days => n,
            IntervalUnit::Weeks => 7 * n,
            // n consecutive months are at least 28 + 30·(n−1)… keep it simple and safe: 28·n.
            IntervalUnit::Months => 28 * n,
            IntervalUnit::Years => 365 * n,
        }
    }
}

fn plain(date: NaiveDate) -> Option<Step> {
    Some(Step {
        date,
        clamped: false,
    })
}

/// Number of days in a month, `None` outside chrono's range.
pub fn days_in_month(year: i32, month: u32) -> Option<u32> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year.checked_add(1)?, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    u32::try_from((next - first).num_days()).ok()
}

/// `anchor` plus `months` calendar months, the day clamped to the target month's last day.
pub fn add_months_clamped(anchor: NaiveDate, months: i64) -> Option<Step> {
    let total = i64::from(anchor.year())
        .checked_mul(12)?
        .checked_add(i64::from(anchor.month0()))?
        .checked_add(months)?;
    let year = i32::try_from(total.div_euclid(12)).ok()?;
    let month = u32::try_from(total.rem_euclid(12)).ok()? + 1;
    let last = days_in_month(year, month)?;
    let day = anchor.day().min(last);
    Some(Step {
        date: NaiveDate::from_ymd_opt(year, month, day)?,
        clamped: day != anchor.day(),
    })
}

/// Whole calendar months from `a`'s month to `b`'s month (negative when `b` is earlier).
pub fn months_between(a: NaiveDate, b: NaiveDate) -> i64 {
    (i64::from(b.year()) - i64::from(a.year())) * 12 + i64::from(b.month0()) - i64::from(a.month0())
}

/// How a wall-clock time was turned into an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DstResolution {
    /// The local time exists exactly once.
    Exact,
    /// The local time falls in a spring-forward gap and was moved to the first valid instant
    /// after the gap (the moment the clocks jump).
    MovedPastGap,
    /// The local time exists twice (fall-back); the first occurrence (still summer time) was
    /// taken.
    FirstOfRepeated,
}

/// Turns a site-local wall-clock time into a UTC instant.
///
/// Policy: a time inside a spring-forward gap moves forward to the first valid instant (the
/// end of the gap: 02:30 in Europe/Berlin on 2026-03-29 → 03:00 CEST = 01:00 UTC); a time
/// repeated at fall-back takes its first occurrence (02:30 on 2026-10-25 → 02:30 CEST =
/// 00:30 UTC). RFC 5545 would move a gap time by the gap length (02:30 → 03:30); we prefer
/// the earliest valid instant so work never becomes due later than the planner asked.
pub fn resolve_local(tz: Tz, local: NaiveDateTime) -> (Instant, DstResolution) {
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => (t.to_utc(), DstResolution::Exact),
        chrono::LocalResult::Ambiguous(a, b) => (a.min(b).to_utc(), DstResolution::FirstOfRepeated),
        chrono::LocalResult::None => (
            first_instant_at_or_after(tz, local),
            DstResolution::MovedPastGap,
        ),
    }
}

/// The earliest instant whose local time is at or after `local`. Local time only jumps
/// forward inside a gap, so over the ±15 h window around any wall-clock time (offsets are
/// within −12 h … +14 h) the predicate "local(u) ≥ local" switches once: a binary search on
/// whole seconds finds the switch.
fn first_instant_at_or_after(tz: Tz, local: NaiveDateTime) -> Instant {
    let guess = local.and_utc().timestamp();
    let local_at =
        |secs: i64| DateTime::from_timestamp(secs, 0).map(|u| u.with_timezone(&tz).naive_local());
    let (mut lo, mut hi) = (guess - 15 * 3600, guess + 15 * 3600);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        match local_at(mid) {
            Some(l) if l >= local => hi = mid,
            Some(_) => lo = mid,
            None => return local.and_utc(),
        }
    }
    DateTime::from_timestamp(hi, 0).unwrap_or_else(|| local.and_utc())
}

/// The site-local wall-clock time of an instant.
pub fn to_local(tz: Tz, t: Instant) -> NaiveDateTime {
    t.with_timezone(&tz).naive_local()
}

/// Parses a local time of day written `HH:MM` (24-hour, two digits each).
pub fn parse_time_of_day(raw: &str) -> Result<NaiveTime, String> {
    let bad = || format!("'{raw}' is not a time of day HH:MM such as 06:00");
    let b = raw.as_bytes();
    if b.len() != 5
        || b[2] != b':'
        || !b
            .iter()
            .enumerate()
            .all(|(i, c)| i == 2 || c.is_ascii_digit())
    {
        return Err(bad());
    }
    let h = u32::from(b[0] - b'0') * 10 + u32::from(b[1] - b'0');
    let m = u32::from(b[3] - b'0') * 10 + u32::from(b[4] - b'0');
    NaiveTime::from_hms_opt(h, m, 0).ok_or_else(bad)
}

text_enum!(
    /// What happens to an occurrence that falls on a site holiday.
    HolidayPolicy {
        Keep => "keep",
        NextBusinessDay => "next_business_day",
    }
);

// text_enum! cannot mark a variant #[default], hence the manual impl.
#[allow(clippy::derivable_impls)]
impl Default for HolidayPolicy {
    fn default() -> Self {
        HolidayPolicy::Keep
    }
}

/// The calendar of one site: time zone, open weekdays and holidays (local dates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteCalendar {
    tz: Tz,
    open: [bool; 7],
    holidays: BTreeSet<NaiveDate>,
}

/// A holiday move looks this many days ahead for a business day; past that the date is kept.
pub const MAX_HOLIDAY_MOVE_DAYS: u64 = 31;

impl SiteCalendar {
    /// A calendar from parsed parts; a weekday is open when its business hours are set.
    pub fn new(
        tz: Tz,
        hours: &BusinessHours,
        holidays: impl IntoIterator<Item = NaiveDate>,
    ) -> Self {
        let mut open = [false; 7];
        for (i, d) in hours.days.iter().take(7).enumerate() {
            open[i] = d.is_some();
        }
        Self {
            tz,
            open,
            holidays: holidays.into_iter().collect(),
        }
    }

    /// Builds a calendar from the site's stored fields; an unknown zone or bad business hours
    /// are reported under `timezone` and `business_hours…`.
    pub fn parse(
        timezone: &str,
        hours: &BusinessHours,
        holidays: &[NaiveDate],
    ) -> Result<Self, Invalid> {
        let mut checks = Checks::new();
        let tz = checks.take("timezone", parse_timezone(timezone));
        hours.check("business_hours", &mut checks);
        checks.finish()?;
        let tz = tz.ok_or_else(|| Invalid::one("timezone", "is required"))?;
        Ok(Self::new(tz, hours, holidays.iter().copied()))
    }

    pub fn tz(&self) -> Tz {
        self.tz
    }

    pub fn is_holiday(&self, d: NaiveDate) -> bool {
        self.holidays.contains(&d)
    }

    /// Open per the business hours and not a holiday.
    pub fn is_business_day(&self, d: NaiveDate) -> bool {
        self.open[d.weekday().num_days_from_monday() as usize] && !self.is_holiday(d)
    }

    /// The first business day strictly after `d`, looking at most
    /// [`MAX_HOLIDAY_MOVE_DAYS`] ahead.
    pub fn next_business_day(&self, d: NaiveDate) -> Option<NaiveDate> {
        (1..=MAX_HOLIDAY_MOVE_DAYS)
            .filter_map(|n| d.checked_add_days(Days::new(n)))
            .find(|c| self.is_business_day(*c))
    }
}

/// The months of the year a plan is active in (1 = January).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Season {
    mask: u16,
}

impl Season {
    /// From month numbers 1–12; a season may wrap the year end (`[11, 12, 1, 2, 3]`).
    pub fn from_months(months: &[i64]) -> Result<Self, String> {
        if months.is_empty() {
            return Err("must name at least one month (leave it out for all year)".into());
        }
        let mut mask = 0u16;
        for m in months {
            if !(1..=12).contains(m) {
                return Err(format!("{m} is not a month number 1–12"));
            }
            mask |= 1 << (m - 1);
        }
        Ok(Self { mask })
    }

    pub fn contains(&self, month: u32) -> bool {
        (1..=12).contains(&month) && self.mask & (1 << (month - 1)) != 0
    }

    pub fn months(&self) -> Vec<u32> {
        (1..=12).filter(|m| self.contains(*m)).collect()
    }
}

/// Local dates on which a plan does not run (a shutdown week, a single day), inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct SkipRange {
    pub from: NaiveDate,
    pub until: NaiveDate,
}

impl SkipRange {
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.until
    }
}

/// The Monday that starts `d`'s week.
pub fn week_start(d: NaiveDate) -> NaiveDate {
    d.checked_sub_days(Days::new(u64::from(d.weekday().num_days_from_monday())))
        .unwrap_or(d)
}

/// The `n`-th (1-based) `weekday` of a month, or its last one when `n` is `None`.
pub fn weekday_of_month(
    year: i32,
    month: u32,
    weekday: Weekday,
    n: Option<u32>,
) -> Option<NaiveDate> {
    match n {
        Some(n) => {
            NaiveDate::from_weekday_of_month_opt(year, month, weekday, u8::try_from(n).ok()?)
        }
        None => {
            let last = NaiveDate::from_ymd_opt(year, month, days_in_month(year, month)?)?;
            let back =
                (7 + last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
            last.checked_sub_days(Days::new(u64::from(back)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn times_of_day() {
        assert_eq!(
            parse_time_of_day("06:00"),
            Ok(NaiveTime::from_hms_opt(6, 0, 0).unwrap())
        );
        assert_eq!(
            parse_time_of_day("23:59"),
            Ok(NaiveTime::from_hms_opt(23, 59, 0).unwrap())
        );
        for bad in [
            "6:00", "24:00", "12:60", "06-00", "0600", "", "06:00:00", "ab:cd", " 6:00",
        ] {
            assert!(parse_time_of_day(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn month_clamping_counts_from_the_anchor() {
        let monthly = Interval::new(1, IntervalUnit::Months).unwrap();
        // (anchor, k, expected date, clamped) — worked out on a calendar.
        let cases = [
            (d(2026, 1, 31), 1, d(2026, 2, 28), true), // 2026 is a common year
            (d(2026, 1, 31), 2, d(2026, 3, 31), false), // back to the 31st: no drift
            (d(2026, 1, 31), 3, d(2026, 4, 30), true),
            (d(2028, 1, 31), 1, d(2028, 2, 29), true), // 2028 is a leap year
            (d(2026, 12, 15), 1, d(2027, 1, 15), false),
            (d(2026, 3, 31), 11, d(2027, 2, 28), true),
        ];
        for (anchor, k, want, clamped) in cases {
            assert_eq!(
                monthly.step(anchor, k),
                Some(Step {
                    date: want,
                    clamped
                }),
                "{anchor} +{k}"
            );
        }
        let yearly = Interval::new(1, IntervalUnit::Years).unwrap();
        assert_eq!(
            yearly.step(d(2024, 2, 29), 1).map(|s| s.date),
            Some(d(2025, 2, 28))
        );
        assert_eq!(
            yearly.step(d(2024, 2, 29), 4).map(|s| s.date),
            Some(d(2028, 2, 29))
        );
        assert_eq!(months_between(d(2026, 11, 5), d(2027, 2, 1)), 3);
    }

    #[test]
    fn nth_weekday() {
        // January 2026 starts on a Thursday: first Monday is the 5th, last Friday the 30th.
        assert_eq!(
            weekday_of_month(2026, 1, Weekday::Mon, Some(1)),
            Some(d(2026, 1, 5))
        );
        assert_eq!(
            weekday_of_month(2026, 1, Weekday::Fri, None),
            Some(d(2026, 1, 30))
        );
        assert_eq!(
            weekday_of_month(2026, 2, Weekday::Sat, None),
            Some(d(2026, 2, 28))
        );
        assert_eq!(week_start(d(2026, 1, 1)), d(2025, 12, 29));
    }

    #[test]
    fn seasons() {
        let winter = Season::from_months(&[11, 12, 1, 2, 3]).unwrap();
        assert!(winter.contains(1) && winter.contains(11) && !winter.contains(4));
        assert_eq!(winter.months(), [1, 2, 3, 11, 12]);
        assert!(Season::from_months(&[]).is_err());
        assert!(Season::from_months(&[0]).is_err());
        assert!(Season::from_months(&[13]).is_err());
    }

    #[test]
    fn site_calendar_parse_reports_fields() {
        let err = SiteCalendar::parse("Mars/Olympus", &BusinessHours::default(), &[]).unwrap_err();
        assert_eq!(err.0[0].field, "timezone");
        assert!(SiteCalendar::parse("Europe/Berlin", &BusinessHours::default(), &[]).is_ok());
    }
}
