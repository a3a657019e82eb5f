//! A PM plan's schedule as submitted ([`PlanDraft`]) and as validated ([`Plan`]).
//!
//! Validation happens once, here; the engine only ever sees a [`Plan`], which cannot hold a
//! zero interval, an unknown zone, a silent or sub-hourly RRULE, a gauge meter interval, a
//! lead time as long as the interval or a malformed time of day.

use super::PmPlanId;
use super::calendar::{
    HolidayPolicy, Interval, IntervalUnit, Season, SiteCalendar, SkipRange, parse_time_of_day,
};
use super::trigger::{
    DayOfWeek, FixedRule, FloatingRule, LocalSlot, MeterTrigger, Recurrence, Trigger, WeekOfMonth,
    min_gap, never_fires_statically,
};
use crate::meter::MeterKind;
use crate::validation::{Checks, Invalid};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};
use std::num::NonZeroU32;
use std::sync::Arc;

/// Upper bound for an interval count (10,000 days is 27 years; 10,000 months is plenty).
const MAX_COUNT: i64 = 10_000;
/// Longest lead time accepted, in days.
const MAX_LEAD_DAYS: i64 = 3_660;
/// How many slots of a fixed rule validation looks at to find its shortest gap.
const GAP_SAMPLE: usize = 400;

/// A plan's schedule as the API receives it (JSON, snake_case).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanDraft {
    pub trigger: TriggerDraft,
    /// First local date the plan runs on; a floating plan's first due date.
    #[schema(value_type = String, format = Date)]
    pub start: NaiveDate,
    /// Create the work order this many days before it is due (calendar triggers).
    #[serde(default)]
    pub lead_days: i64,
    /// Months (1–12) the plan is active in; absent = all year.
    #[serde(default)]
    pub active_months: Option<Vec<i64>>,
    /// Local date ranges on which occurrences are skipped.
    #[serde(default)]
    pub skips: Vec<SkipDraft>,
    /// What happens to an occurrence on a site holiday.
    #[serde(default)]
    pub holidays: HolidayPolicy,
}

/// The trigger of a plan, tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TriggerDraft {
    /// Due dates on a rule, regardless of completion.
    Fixed { rule: RuleDraft },
    /// Next due = last completion + interval.
    Floating { calendar: IntervalDraft },
    /// Every N units of a counter meter.
    Meter { meter: MeterDraft },
    /// One calendar and one meter trigger; both restart at each completion.
    WhicheverFirst {
        calendar: IntervalDraft,
        meter: MeterDraft,
    },
}

/// A fixed rule, tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleDraft {
    /// Every N units from the start date, at `at`.
    Every {
        every: i64,
        unit: IntervalUnit,
        at: String,
    },
    /// Every N weeks on the listed weekdays.
    Weekly {
        every_weeks: i64,
        on: Vec<DayOfWeek>,
        at: String,
    },
    /// e.g. the first Monday of every 3rd month ("of the quarter" from a January start).
    MonthlyByWeekday {
        every_months: i64,
        week: WeekOfMonth,
        weekday: DayOfWeek,
        at: String,
    },
    /// An RFC 5545 RRULE such as `FREQ=MONTHLY;BYDAY=1MO;BYMONTH=1,4,7,10`.
    Rrule { rrule: String, at: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntervalDraft {
    pub every: i64,
    pub unit: IntervalUnit,
    /// Local time of day `HH:MM`.
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeterDraft {
    /// Units between services (e.g. 500 run hours).
    pub every: f64,
    /// Generate the work this many units before due.
    #[serde(default)]
    pub warning: Option<f64>,
    /// The counter total the first interval counts from.
    #[serde(default)]
    pub start_reading: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkipDraft {
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    /// Inclusive; absent = the single day `from`.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub until: Option<NaiveDate>,
}

/// A validated plan schedule, ready for the engine.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    id: PmPlanId,
    trigger: Trigger,
    start: NaiveDate,
    lead_days: u32,
    season: Option<Season>,
    skips: Vec<SkipRange>,
    holidays: HolidayPolicy,
    site: Arc<SiteCalendar>,
}

fn positive_count(checks: &mut Checks, field: &str, n: i64) -> Option<NonZeroU32> {
    if n <= 0 {
        checks.push(field, format!("must be at least 1 (got {n})"));
        return None;
    }
    if n > MAX_COUNT {
        checks.push(field, format!("must be at most {MAX_COUNT}"));
        return None;
    }
    u32::try_from(n).ok().and_then(NonZeroU32::new)
}

fn interval(checks: &mut Checks, prefix: &str, d: &IntervalDraft) -> Option<FloatingRule> {
    let count = positive_count(checks, &format!("{prefix}.every"), d.every);
    let at = checks.take(&format!("{prefix}.at"), parse_time_of_day(&d.at));
    Some(FloatingRule {
        every: Interval {
            count: count?,
            unit: d.unit,
        },
        at: at?,
    })
}

fn meter(
    checks: &mut Checks,
    prefix: &str,
    d: &MeterDraft,
    kind: Option<MeterKind>,
) -> Option<MeterTrigger> {
    let mut ok = true;
    match kind {
        None => {
            checks.push(
                prefix.to_owned(),
                "the plan has no meter: pick a counter meter of the asset",
            );
            ok = false;
        }
        Some(MeterKind::Gauge) => {
            checks.push(
                prefix.to_owned(),
                "is a gauge (a value that goes up and down, such as a temperature); a meter interval needs a counter such as run hours",
            );
            ok = false;
        }
        Some(MeterKind::Counter) => {}
    }
    if !d.every.is_finite() || d.every < 0.001 {
        checks.push(
            format!("{prefix}.every"),
            "must be a positive number of meter units (at least 0.001)",
        );
        ok = false;
    }
    let warning = d.warning.unwrap_or(0.0);
    if !warning.is_finite() || warning < 0.0 {
        checks.push(
            format!("{prefix}.warning"),
            "must be zero or a positive number of meter units",
        );
        ok = false;
    } else if d.every.is_finite() && d.every >= 0.001 && warning >= d.every {
        checks.push(
            format!("{prefix}.warning"),
            format!("must be less than the interval ({})", d.every),
        );
        ok = false;
    }
    if !d.start_reading.is_finite() || d.start_reading < 0.0 {
        checks.push(
            format!("{prefix}.start_reading"),
            "must be zero or a positive counter total",
        );
        ok = false;
    }
    ok.then_some(MeterTrigger {
        every: d.every,
        warning,
        start_reading: d.start_reading,
    })
}

fn weekdays(on: &[DayOfWeek]) -> Vec<Weekday> {
    let mut v: Vec<Weekday> = on.iter().map(|d| d.weekday()).collect();
    v.sort_by_key(|w| w.num_days_from_monday());
    v.dedup();
    v
}

fn fixed(
    checks: &mut Checks,
    d: &RuleDraft,
    start: NaiveDate,
    site: &SiteCalendar,
) -> Option<FixedRule> {
    let p = "trigger.rule";
    match d {
        RuleDraft::Every { every, unit, at } => {
            let count = positive_count(checks, &format!("{p}.every"), *every);
            let at = checks.take(&format!("{p}.at"), parse_time_of_day(at));
            Some(FixedRule::Every {
                every: Interval {
                    count: count?,
                    unit: *unit,
                },
                at: at?,
            })
        }
        RuleDraft::Weekly {
            every_weeks,
            on,
            at,
        } => {
            let count = positive_count(checks, &format!("{p}.every_weeks"), *every_weeks);
            if on.is_empty() {
                checks.push(format!("{p}.on"), "must name at least one weekday");
            }
            let at = checks.take(&format!("{p}.at"), parse_time_of_day(at));
            if on.is_empty() {
                return None;
            }
            Some(FixedRule::Weekly {
                every_weeks: count?,
                on: weekdays(on),
                at: at?,
            })
        }
        RuleDraft::MonthlyByWeekday {
            every_months,
            week,
            weekday,
            at,
        } => {
            let count = positive_count(checks, &format!("{p}.every_months"), *every_months);
            let at = checks.take(&format!("{p}.at"), parse_time_of_day(at));
            Some(FixedRule::MonthlyByWeekday {
                every_months: count?,
                week: *week,
                weekday: weekday.weekday(),
                at: at?,
            })
        }
        RuleDraft::Rrule { rrule, at } => {
            // A bad time of day is reported, and the rule is still checked (from midnight).
            let at = checks.take(&format!("{p}.at"), parse_time_of_day(at));
            let field = format!("{p}.rrule");
            if never_fires_statically(rrule) {
                checks.push(
                    field,
                    "never produces a due date: no month has that day (e.g. BYMONTHDAY=31 with BYMONTH=2)",
                );
                return None;
            }
            let rec = checks.take(
                &field,
                Recurrence::parse(
                    rrule,
                    start.and_time(at.unwrap_or(NaiveTime::MIN)),
                    site.tz(),
                ),
            )?;
            checks.take(&field, rec.check_frequency())?;
            at?;
            Some(FixedRule::RRule(Box::new(rec)))
        }
    }
}

/// The shortest gap between consecutive slots of a fixed rule, in whole days (floored).
fn shortest_gap_days(rule: &FixedRule, start: NaiveDate) -> Option<i64> {
    let from: NaiveDateTime = start.and_time(NaiveTime::MIN);
    let sample: Vec<NaiveDateTime> = rule
        .local_slots(start, from)
        .take(GAP_SAMPLE)
        .map(|s: LocalSlot| s.local)
        .collect();
    min_gap(&sample).map(|g| g.num_days())
}

impl Plan {
    /// Validates a draft. `site` is the calendar of the plan's site (time zone, business
    /// hours, holidays; see [`SiteCalendar::parse`]); `meter_kind` the kind of the meter a
    /// meter trigger refers to (`None` when the plan has no meter). Every problem is reported
    /// with the path of its field.
    pub fn parse(
        id: PmPlanId,
        draft: &PlanDraft,
        site: Arc<SiteCalendar>,
        meter_kind: Option<MeterKind>,
    ) -> Result<Plan, Invalid> {
        let mut checks = Checks::new();
        let start = draft.start;

        let trigger = match &draft.trigger {
            TriggerDraft::Fixed { rule } => {
                fixed(&mut checks, rule, start, &site).map(Trigger::Fixed)
            }
            TriggerDraft::Floating { calendar } => {
                interval(&mut checks, "trigger.calendar", calendar).map(Trigger::Floating)
            }
            TriggerDraft::Meter { meter: m } => {
                meter(&mut checks, "trigger.meter", m, meter_kind).map(Trigger::Meter)
            }
            TriggerDraft::WhicheverFirst { calendar, meter: m } => {
                let c = interval(&mut checks, "trigger.calendar", calendar);
                let m = meter(&mut checks, "trigger.meter", m, meter_kind);
                c.zip(m)
                    .map(|(calendar, meter)| Trigger::WhicheverFirst { calendar, meter })
            }
        };
        let calendar_part = !matches!(draft.trigger, TriggerDraft::Meter { .. });

        let mut lead_days = 0u32;
        if draft.lead_days < 0 {
            checks.push("lead_days", "must not be negative");
        } else if draft.lead_days > MAX_LEAD_DAYS {
            checks.push("lead_days", format!("must be at most {MAX_LEAD_DAYS} days"));
        } else if draft.lead_days > 0 && !calendar_part {
            checks.push(
                "lead_days",
                "applies to calendar triggers; a meter plan is generated early with its warning threshold",
            );
        } else {
            lead_days = u32::try_from(draft.lead_days).unwrap_or(0);
        }

        let shortest = match &trigger {
            _ if lead_days == 0 => None,
            Some(Trigger::Fixed(rule)) => shortest_gap_days(rule, start),
            Some(Trigger::Floating(f)) | Some(Trigger::WhicheverFirst { calendar: f, .. }) => {
                Some(f.every.min_days())
            }
            _ => None,
        };
        if let Some(gap) = shortest
            && i64::from(lead_days) >= gap
        {
            checks.push(
                "lead_days",
                format!(
                    "must be shorter than the interval between due dates ({gap} days), or work would be created before the previous one is due"
                ),
            );
        }

        let season = match &draft.active_months {
            None => None,
            Some(_) if !calendar_part => {
                checks.push(
                    "active_months",
                    "apply to calendar triggers only; meter work follows usage",
                );
                None
            }
            Some(months) => checks.take("active_months", Season::from_months(months)),
        };

        let mut skips = Vec::with_capacity(draft.skips.len());
        for (i, s) in draft.skips.iter().enumerate() {
            let until = s.until.unwrap_or(s.from);
            if !calendar_part {
                checks.push(format!("skips[{i}]"), "apply to calendar triggers only");
            } else if until < s.from {
                checks.push(format!("skips[{i}].until"), "must not be before `from`");
            } else {
                skips.push(SkipRange {
                    from: s.from,
                    until,
                });
            }
        }
        if !calendar_part && draft.holidays != HolidayPolicy::Keep {
            checks.push(
                "holidays",
                "apply to calendar triggers only; use `keep` for a meter plan",
            );
        }

        checks.finish()?;
        let trigger = trigger.ok_or_else(|| Invalid::one("trigger", "is not valid"))?;
        Ok(Plan {
            id,
            trigger,
            start,
            lead_days,
            season,
            skips,
            holidays: draft.holidays,
            site,
        })
    }

    pub fn id(&self) -> PmPlanId {
        self.id
    }

    pub fn trigger(&self) -> &Trigger {
        &self.trigger
    }

    pub fn start(&self) -> NaiveDate {
        self.start
    }

    pub fn lead_days(&self) -> u32 {
        self.lead_days
    }

    pub fn season(&self) -> Option<Season> {
        self.season
    }

    pub fn skips(&self) -> &[SkipRange] {
        &self.skips
    }

    pub fn holiday_policy(&self) -> HolidayPolicy {
        self.holidays
    }

    pub fn site(&self) -> &SiteCalendar {
        &self.site
    }
}
