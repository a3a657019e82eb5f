//! Table-driven cases for the PM engine, each worked out by hand (the comments show the
//! arithmetic), and property tests for determinism, ordering and exactly-once generation.

use super::*;
use crate::meter::MeterKind;
use crate::site::BusinessHours;
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use std::sync::Arc;

// ------------------------------------------------------------------------------------------
// helpers

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> Instant {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).single().unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn site(tz: &str, holidays: &[NaiveDate]) -> Arc<SiteCalendar> {
    Arc::new(SiteCalendar::parse(tz, &BusinessHours::default(), holidays).unwrap())
}

fn draft(trigger: TriggerDraft, start: NaiveDate) -> PlanDraft {
    PlanDraft {
        trigger,
        start,
        lead_days: 0,
        active_months: None,
        skips: vec![],
        holidays: HolidayPolicy::Keep,
    }
}

fn every(n: i64, unit: IntervalUnit, at: &str) -> TriggerDraft {
    TriggerDraft::Fixed {
        rule: RuleDraft::Every {
            every: n,
            unit,
            at: at.into(),
        },
    }
}

fn rrule(rule: &str, at: &str) -> TriggerDraft {
    TriggerDraft::Fixed {
        rule: RuleDraft::Rrule {
            rrule: rule.into(),
            at: at.into(),
        },
    }
}

fn floating(n: i64, unit: IntervalUnit, at: &str) -> TriggerDraft {
    TriggerDraft::Floating {
        calendar: IntervalDraft {
            every: n,
            unit,
            at: at.into(),
        },
    }
}

fn meter_draft(every: f64, warning: Option<f64>, start_reading: f64) -> MeterDraft {
    MeterDraft {
        every,
        warning,
        start_reading,
    }
}

fn plan_id() -> PmPlanId {
    PmPlanId(uuid::Uuid::from_u128(
        0x0190_0000_0000_7000_8000_0000_0000_0001,
    ))
}

fn plan(d: &PlanDraft, site: Arc<SiteCalendar>) -> Plan {
    match Plan::parse(plan_id(), d, site, Some(MeterKind::Counter)) {
        Ok(p) => p,
        Err(e) => panic!("plan did not validate: {e}"),
    }
}

fn dues(occ: &[Occurrence]) -> Vec<Instant> {
    occ.iter().map(|o| o.due).collect()
}

fn due_only(occ: &[Occurrence]) -> Vec<Instant> {
    occ.iter().filter(|o| o.is_due()).map(|o| o.due).collect()
}

fn forecast_all(p: &Plan, from: Instant, until: Instant) -> Vec<Occurrence> {
    forecast(p, &PlanState::default(), from, until)
}

fn applied(state: PlanState, g: &Generation) -> PlanState {
    PlanState {
        cursor: g.cursor,
        ..state
    }
}

// ------------------------------------------------------------------------------------------
// DST: 06:00 local stays 06:00 local; gap times move forward; repeated times take the first.

#[test]
fn dst_daily_expansion_in_berlin_and_new_york() {
    // (zone, at, from, until, expected UTC instants, expected DST adjustment per day)
    //
    // Europe/Berlin: CET = UTC+1, CEST = UTC+2; clocks go 02:00 → 03:00 on 2026-03-29 and
    // 03:00 → 02:00 on 2026-10-25. America/New_York: EST = UTC−5, EDT = UTC−4; 02:00 → 03:00 on
    // 2026-03-08 and 02:00 → 01:00 on 2026-11-01.
    type Case = (
        &'static str,
        &'static str,
        Instant,
        Instant,
        Vec<Instant>,
        Vec<Option<Adjustment>>,
    );
    let gap = |y, m, d, h, min| {
        Some(Adjustment::DstGap {
            requested: date(y, m, d).and_hms_opt(h, min, 0).unwrap(),
        })
    };
    let cases: Vec<Case> = vec![
        // 06:00 Berlin across spring-forward: 05:00Z (CET), then 04:00Z (CEST).
        (
            "Europe/Berlin",
            "06:00",
            utc(2026, 3, 28, 0, 0),
            utc(2026, 3, 30, 23, 0),
            vec![
                utc(2026, 3, 28, 5, 0),
                utc(2026, 3, 29, 4, 0),
                utc(2026, 3, 30, 4, 0),
            ],
            vec![None, None, None],
        ),
        // 06:00 Berlin across fall-back: 04:00Z (CEST), then 05:00Z (CET).
        (
            "Europe/Berlin",
            "06:00",
            utc(2026, 10, 24, 0, 0),
            utc(2026, 10, 26, 23, 0),
            vec![
                utc(2026, 10, 24, 4, 0),
                utc(2026, 10, 25, 5, 0),
                utc(2026, 10, 26, 5, 0),
            ],
            vec![None, None, None],
        ),
        // 02:30 Berlin: on 03-29 it does not exist → first valid instant 03:00 CEST = 01:00Z.
        (
            "Europe/Berlin",
            "02:30",
            utc(2026, 3, 28, 0, 0),
            utc(2026, 3, 30, 23, 0),
            vec![
                utc(2026, 3, 28, 1, 30),
                utc(2026, 3, 29, 1, 0),
                utc(2026, 3, 30, 0, 30),
            ],
            vec![None, gap(2026, 3, 29, 2, 30), None],
        ),
        // 02:30 Berlin on 10-25 happens twice (00:30Z CEST, 01:30Z CET) → first, 00:30Z.
        (
            "Europe/Berlin",
            "02:30",
            utc(2026, 10, 24, 0, 0),
            utc(2026, 10, 26, 23, 0),
            vec![
                utc(2026, 10, 24, 0, 30),
                utc(2026, 10, 25, 0, 30),
                utc(2026, 10, 26, 1, 30),
            ],
            vec![None, Some(Adjustment::DstRepeated), None],
        ),
        // 06:00 New York: 11:00Z (EST) then 10:00Z (EDT) from 03-08.
        (
            "America/New_York",
            "06:00",
            utc(2026, 3, 7, 0, 0),
            utc(2026, 3, 9, 23, 0),
            vec![
                utc(2026, 3, 7, 11, 0),
                utc(2026, 3, 8, 10, 0),
                utc(2026, 3, 9, 10, 0),
            ],
            vec![None, None, None],
        ),
        // 06:00 New York in fall: 10:00Z (EDT), then 11:00Z (EST) from 11-01.
        (
            "America/New_York",
            "06:00",
            utc(2026, 10, 31, 0, 0),
            utc(2026, 11, 2, 23, 0),
            vec![
                utc(2026, 10, 31, 10, 0),
                utc(2026, 11, 1, 11, 0),
                utc(2026, 11, 2, 11, 0),
            ],
            vec![None, None, None],
        ),
        // 02:30 New York on 03-08 does not exist → 03:00 EDT = 07:00Z.
        (
            "America/New_York",
            "02:30",
            utc(2026, 3, 7, 0, 0),
            utc(2026, 3, 9, 23, 0),
            vec![
                utc(2026, 3, 7, 7, 30),
                utc(2026, 3, 8, 7, 0),
                utc(2026, 3, 9, 6, 30),
            ],
            vec![None, gap(2026, 3, 8, 2, 30), None],
        ),
        // 01:30 New York on 11-01 happens twice (05:30Z EDT, 06:30Z EST) → first, 05:30Z.
        (
            "America/New_York",
            "01:30",
            utc(2026, 10, 31, 0, 0),
            utc(2026, 11, 2, 23, 0),
            vec![
                utc(2026, 10, 31, 5, 30),
                utc(2026, 11, 1, 5, 30),
                utc(2026, 11, 2, 6, 30),
            ],
            vec![None, Some(Adjustment::DstRepeated), None],
        ),
    ];
    for (tz, at, from, until, want, adj) in cases {
        let p = plan(
            &draft(every(1, IntervalUnit::Days, at), date(2026, 1, 1)),
            site(tz, &[]),
        );
        let got = forecast_all(&p, from, until);
        assert_eq!(dues(&got), want, "{tz} {at}");
        let got_adj: Vec<Option<Adjustment>> =
            got.iter().map(|o| o.adjustments.first().copied()).collect();
        assert_eq!(got_adj, adj, "{tz} {at}");
    }
}

#[test]
fn dst_every_two_weeks_on_monday_stays_at_six_local() {
    let berlin = site("Europe/Berlin", &[]);
    let biweekly = TriggerDraft::Fixed {
        rule: RuleDraft::Weekly {
            every_weeks: 2,
            on: vec![DayOfWeek::Monday],
            at: "06:00".into(),
        },
    };
    // Start Monday 2026-03-16: Mar 16 06:00 CET = 05:00Z; Mar 30 06:00 CEST = 04:00Z; Apr 13.
    let p = plan(&draft(biweekly.clone(), date(2026, 3, 16)), berlin.clone());
    assert_eq!(
        dues(&forecast_all(
            &p,
            utc(2026, 3, 1, 0, 0),
            utc(2026, 4, 20, 0, 0)
        )),
        [
            utc(2026, 3, 16, 5, 0),
            utc(2026, 3, 30, 4, 0),
            utc(2026, 4, 13, 4, 0)
        ]
    );
    // Start Monday 2026-10-12: Oct 12 06:00 CEST = 04:00Z; Oct 26 06:00 CET = 05:00Z; Nov 9.
    let p = plan(&draft(biweekly, date(2026, 10, 12)), berlin);
    assert_eq!(
        dues(&forecast_all(
            &p,
            utc(2026, 10, 1, 0, 0),
            utc(2026, 11, 15, 0, 0)
        )),
        [
            utc(2026, 10, 12, 4, 0),
            utc(2026, 10, 26, 5, 0),
            utc(2026, 11, 9, 5, 0)
        ]
    );
}

#[test]
fn lead_time_is_counted_in_local_days_across_dst() {
    // Weekly Monday 06:00 Berlin, lead 2 days: due Mon 2026-03-30 06:00 CEST = 04:00Z;
    // created Sat 03-28 06:00 CET = 05:00Z (two local days earlier, same wall-clock time).
    let mut d = draft(
        TriggerDraft::Fixed {
            rule: RuleDraft::Weekly {
                every_weeks: 1,
                on: vec![DayOfWeek::Monday],
                at: "06:00".into(),
            },
        },
        date(2026, 3, 23),
    );
    d.lead_days = 2;
    let p = plan(&d, site("Europe/Berlin", &[]));
    let got = forecast_all(&p, utc(2026, 3, 29, 0, 0), utc(2026, 3, 31, 0, 0));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].due, utc(2026, 3, 30, 4, 0));
    assert_eq!(got[0].create_at, utc(2026, 3, 28, 5, 0));
    // Generation: not before the creation time, exactly at it.
    assert!(
        due_for_generation(
            &p,
            &PlanState {
                cursor: Some(Cursor {
                    slot: Slot::Due(utc(2026, 3, 23, 5, 0)),
                    work_created: true
                }),
                ..PlanState::default()
            },
            utc(2026, 3, 28, 4, 59)
        )
        .occurrences
        .is_empty()
    );
    let g = due_for_generation(
        &p,
        &PlanState {
            cursor: Some(Cursor {
                slot: Slot::Due(utc(2026, 3, 23, 5, 0)),
                work_created: true,
            }),
            ..PlanState::default()
        },
        utc(2026, 3, 28, 5, 0),
    );
    assert_eq!(dues(&g.occurrences), [utc(2026, 3, 30, 4, 0)]);
}

// ------------------------------------------------------------------------------------------
// Month ends and 29 February.

#[test]
fn month_end_and_leap_day_rules() {
    // (trigger, start, from, until, expected due dates at 06:00 UTC, expected clamped flags)
    type Case = (
        TriggerDraft,
        NaiveDate,
        Instant,
        Instant,
        Vec<NaiveDate>,
        Vec<bool>,
    );
    let six = |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(6, 0, 0).unwrap());
    let cases: Vec<Case> = vec![
        // Every month from Jan 31 clamps to Feb 28 and Apr 30 but returns to the 31st.
        (
            every(1, IntervalUnit::Months, "06:00"),
            date(2026, 1, 31),
            utc(2026, 1, 1, 0, 0),
            utc(2026, 5, 31, 23, 0),
            vec![
                date(2026, 1, 31),
                date(2026, 2, 28),
                date(2026, 3, 31),
                date(2026, 4, 30),
                date(2026, 5, 31),
            ],
            vec![false, true, false, true, false],
        ),
        // Far from the start the grid is unchanged: Jan 31 + 25 months = Feb 2028, a leap year.
        (
            every(1, IntervalUnit::Months, "06:00"),
            date(2026, 1, 31),
            utc(2028, 2, 1, 0, 0),
            utc(2028, 3, 31, 23, 0),
            vec![date(2028, 2, 29), date(2028, 3, 31)],
            vec![true, false],
        ),
        // Every year from 29 Feb 2024: 28 Feb in common years, 29 Feb in 2028.
        (
            every(1, IntervalUnit::Years, "06:00"),
            date(2024, 2, 29),
            utc(2024, 1, 1, 0, 0),
            utc(2028, 12, 31, 0, 0),
            vec![
                date(2024, 2, 29),
                date(2025, 2, 28),
                date(2026, 2, 28),
                date(2027, 2, 28),
                date(2028, 2, 29),
            ],
            vec![false, true, true, true, false],
        ),
        // Every 3 months from Nov 30: Feb 28 (clamped), May 30, Aug 30, Nov 30.
        (
            every(3, IntervalUnit::Months, "06:00"),
            date(2025, 11, 30),
            utc(2025, 11, 1, 0, 0),
            utc(2026, 11, 30, 23, 0),
            vec![
                date(2025, 11, 30),
                date(2026, 2, 28),
                date(2026, 5, 30),
                date(2026, 8, 30),
                date(2026, 11, 30),
            ],
            vec![false, true, false, false, false],
        ),
        // RRULE keeps RFC 5545 semantics: BYMONTHDAY=31 skips months without a 31st.
        (
            rrule("FREQ=MONTHLY;BYMONTHDAY=31", "06:00"),
            date(2026, 1, 1),
            utc(2026, 1, 1, 0, 0),
            utc(2026, 8, 31, 23, 0),
            vec![
                date(2026, 1, 31),
                date(2026, 3, 31),
                date(2026, 5, 31),
                date(2026, 7, 31),
                date(2026, 8, 31),
            ],
            vec![false; 5],
        ),
        // …and BYMONTHDAY=-1 is the last day of every month.
        (
            rrule("FREQ=MONTHLY;BYMONTHDAY=-1", "06:00"),
            date(2026, 1, 1),
            utc(2026, 1, 1, 0, 0),
            utc(2026, 4, 30, 23, 0),
            vec![
                date(2026, 1, 31),
                date(2026, 2, 28),
                date(2026, 3, 31),
                date(2026, 4, 30),
            ],
            vec![false; 4],
        ),
        // RRULE on 29 Feb fires only in leap years.
        (
            rrule("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "06:00"),
            date(2024, 1, 1),
            utc(2024, 1, 1, 0, 0),
            utc(2032, 12, 31, 0, 0),
            vec![date(2024, 2, 29), date(2028, 2, 29), date(2032, 2, 29)],
            vec![false; 3],
        ),
    ];
    for (trigger, start, from, until, want, clamped) in cases {
        let p = plan(&draft(trigger.clone(), start), site("UTC", &[]));
        let got = forecast_all(&p, from, until);
        assert_eq!(
            dues(&got),
            want.iter().map(|d| six(*d)).collect::<Vec<_>>(),
            "{trigger:?}"
        );
        let got_clamped: Vec<bool> = got
            .iter()
            .map(|o| o.adjustments.contains(&Adjustment::DayClamped))
            .collect();
        assert_eq!(got_clamped, clamped, "{trigger:?}");
    }
}

#[test]
fn first_monday_of_the_quarter_structured_and_rrule_agree() {
    // Quarters from January 2026: Jan 1 is a Thursday → Jan 5; Apr 1 Wed → Apr 6; Jul 1 Wed →
    // Jul 6; Oct 1 Thu → Oct 5; Jan 1 2027 Fri → Jan 4.
    let want: Vec<Instant> = [
        date(2026, 1, 5),
        date(2026, 4, 6),
        date(2026, 7, 6),
        date(2026, 10, 5),
        date(2027, 1, 4),
    ]
    .iter()
    .map(|d| Utc.from_utc_datetime(&d.and_hms_opt(6, 0, 0).unwrap()))
    .collect();
    let structured = TriggerDraft::Fixed {
        rule: RuleDraft::MonthlyByWeekday {
            every_months: 3,
            week: WeekOfMonth::First,
            weekday: DayOfWeek::Monday,
            at: "06:00".into(),
        },
    };
    let as_rrule = rrule("FREQ=MONTHLY;INTERVAL=3;BYDAY=1MO", "06:00");
    for t in [structured, as_rrule] {
        let p = plan(&draft(t.clone(), date(2026, 1, 1)), site("UTC", &[]));
        assert_eq!(
            dues(&forecast_all(
                &p,
                utc(2026, 1, 1, 0, 0),
                utc(2027, 1, 31, 0, 0)
            )),
            want,
            "{t:?}"
        );
    }
}

// ------------------------------------------------------------------------------------------
// Completion early / late: fixed keeps its grid, floating moves from the completion.

#[test]
fn early_and_late_completion_fixed_versus_floating() {
    let utc_site = site("UTC", &[]);
    let fixed = plan(
        &draft(every(7, IntervalUnit::Days, "08:00"), date(2026, 1, 5)),
        utc_site.clone(),
    );
    let float = plan(
        &draft(floating(7, IntervalUnit::Days, "08:00"), date(2026, 1, 5)),
        utc_site.clone(),
    );
    let state = |done: Option<Instant>| PlanState {
        last_completion: done.map(|at| Completion { at, reading: None }),
        cursor: Some(Cursor {
            slot: Slot::Due(utc(2026, 1, 5, 8, 0)),
            work_created: true,
        }),
        meter: None,
    };
    // (completion of the Jan 5 work, next fixed due, next floating due)
    let cases = [
        // early, Sat Jan 3 10:00: fixed stays Jan 12; floating = Jan 3 + 7 d = Jan 10 08:00
        (
            utc(2026, 1, 3, 10, 0),
            utc(2026, 1, 12, 8, 0),
            utc(2026, 1, 10, 8, 0),
        ),
        // on time: both Jan 12
        (
            utc(2026, 1, 5, 9, 0),
            utc(2026, 1, 12, 8, 0),
            utc(2026, 1, 12, 8, 0),
        ),
        // late, Thu Jan 8 15:00: fixed stays Jan 12; floating = Jan 8 + 7 d = Jan 15 08:00
        (
            utc(2026, 1, 8, 15, 0),
            utc(2026, 1, 12, 8, 0),
            utc(2026, 1, 15, 8, 0),
        ),
        // very late, Jan 13 (after the next fixed date): floating Jan 20
        (
            utc(2026, 1, 13, 7, 0),
            utc(2026, 1, 12, 8, 0),
            utc(2026, 1, 20, 8, 0),
        ),
    ];
    for (done, next_fixed, next_float) in cases {
        let s = state(Some(done));
        let f = forecast(&fixed, &s, utc(2026, 1, 6, 0, 0), utc(2026, 2, 1, 0, 0));
        assert_eq!(f[0].due, next_fixed, "fixed after {done}");
        let g = due_for_generation(&fixed, &s, next_fixed);
        assert_eq!(
            dues(&g.occurrences),
            [next_fixed],
            "fixed generation after {done}"
        );
        let fl = forecast(&float, &s, utc(2026, 1, 6, 0, 0), utc(2026, 2, 1, 0, 0));
        assert_eq!(fl[0].due, next_float, "floating after {done}");
        assert!(!fl[0].estimated);
        assert!(fl[1].estimated, "later floating dates are projections");
        // floating generation: nothing before the new due, then exactly that one
        assert!(
            due_for_generation(&float, &s, next_float - Duration::minutes(1))
                .occurrences
                .is_empty()
        );
        let g = due_for_generation(&float, &s, next_float);
        assert_eq!(dues(&g.occurrences), [next_float]);
    }
    // Floating waits for completion: with the Jan 5 work generated and not completed, nothing
    // more is generated however late it gets.
    let open = PlanState {
        last_completion: None,
        ..state(None)
    };
    assert!(
        due_for_generation(&float, &open, utc(2026, 3, 1, 0, 0))
            .occurrences
            .is_empty()
    );
    // Monthly floating from a completion on Jan 31 → Feb 28; completed Feb 28 → Mar 28:
    // floating restarts from each completion, by design.
    let monthly = plan(
        &draft(floating(1, IntervalUnit::Months, "08:00"), date(2026, 1, 1)),
        utc_site,
    );
    let after = |at| PlanState {
        last_completion: Some(Completion { at, reading: None }),
        ..PlanState::default()
    };
    assert_eq!(
        forecast(
            &monthly,
            &after(utc(2026, 1, 31, 12, 0)),
            utc(2026, 2, 1, 0, 0),
            utc(2026, 3, 1, 0, 0)
        )[0]
        .due,
        utc(2026, 2, 28, 8, 0)
    );
    assert_eq!(
        forecast(
            &monthly,
            &after(utc(2026, 2, 28, 12, 0)),
            utc(2026, 3, 1, 0, 0),
            utc(2026, 4, 1, 0, 0)
        )[0]
        .due,
        utc(2026, 3, 28, 8, 0)
    );
}

#[test]
fn floating_dst_is_local_calendar_arithmetic() {
    // Completed Sat 2026-03-28 10:00 CET (09:00Z); every 1 day at 06:00 → Sun 03-29 06:00 CEST
    // = 04:00Z, not 24 h later in UTC.
    let p = plan(
        &draft(floating(1, IntervalUnit::Days, "06:00"), date(2026, 3, 1)),
        site("Europe/Berlin", &[]),
    );
    let s = PlanState {
        last_completion: Some(Completion {
            at: utc(2026, 3, 28, 9, 0),
            reading: None,
        }),
        ..PlanState::default()
    };
    assert_eq!(
        forecast(&p, &s, utc(2026, 3, 28, 10, 0), utc(2026, 3, 29, 12, 0))[0].due,
        utc(2026, 3, 29, 4, 0)
    );
}

// ------------------------------------------------------------------------------------------
// Missed occurrences when generation catches up.

#[test]
fn catch_up_records_superseded_occurrences_as_missed() {
    // Weekly Monday 08:00 UTC from Jan 5; the Jan 5 one was generated; the generator was down
    // until Tue Jan 27 09:00. Jan 12 and Jan 19 were overtaken by the next one being due (Jan 19,
    // Jan 26 ≤ now) → missed; Jan 26 is generated (overdue); Feb 2 is not ready.
    let p = plan(
        &draft(every(1, IntervalUnit::Weeks, "08:00"), date(2026, 1, 5)),
        site("UTC", &[]),
    );
    let s = PlanState {
        cursor: Some(Cursor {
            slot: Slot::Due(utc(2026, 1, 5, 8, 0)),
            work_created: true,
        }),
        ..PlanState::default()
    };
    let g = due_for_generation(&p, &s, utc(2026, 1, 27, 9, 0));
    let got: Vec<(Instant, OccurrenceStatus)> =
        g.occurrences.iter().map(|o| (o.due, o.status)).collect();
    let missed = |by| OccurrenceStatus::Missed {
        reason: MissReason::Superseded { by },
    };
    assert_eq!(
        got,
        [
            (utc(2026, 1, 12, 8, 0), missed(utc(2026, 1, 19, 8, 0))),
            (utc(2026, 1, 19, 8, 0), missed(utc(2026, 1, 26, 8, 0))),
            (utc(2026, 1, 26, 8, 0), OccurrenceStatus::Due),
        ]
    );
    assert_eq!(
        g.cursor,
        Some(Cursor {
            slot: Slot::Due(utc(2026, 1, 26, 8, 0)),
            work_created: true
        })
    );
    assert!(g.complete);
    // Running again from the new cursor at the same instant records nothing more.
    assert!(
        due_for_generation(&p, &applied(s, &g), utc(2026, 1, 27, 9, 0))
            .occurrences
            .is_empty()
    );
}

// ------------------------------------------------------------------------------------------
// Holidays, seasons, skip dates.

#[test]
fn holiday_moves_over_the_weekend() {
    // Good Friday 2026-04-03 and Easter Monday 04-06 are holidays; the site is open Mon–Fri.
    let berlin = site("Europe/Berlin", &[date(2026, 4, 3), date(2026, 4, 6)]);
    let weekly_friday = TriggerDraft::Fixed {
        rule: RuleDraft::Weekly {
            every_weeks: 1,
            on: vec![DayOfWeek::Friday],
            at: "06:00".into(),
        },
    };
    // (policy, expected due of the Apr 3 occurrence, expected adjustment)
    let cases = [
        // keep: Fri Apr 3 06:00 CEST = 04:00Z
        (HolidayPolicy::Keep, utc(2026, 4, 3, 4, 0), None),
        // next business day: Sat, Sun closed, Mon Apr 6 holiday → Tue Apr 7 06:00 CEST = 04:00Z
        (
            HolidayPolicy::NextBusinessDay,
            utc(2026, 4, 7, 4, 0),
            Some(Adjustment::HolidayMoved {
                from: date(2026, 4, 3),
                to: date(2026, 4, 7),
            }),
        ),
    ];
    for (policy, want, adj) in cases {
        let mut d = draft(weekly_friday.clone(), date(2026, 3, 27));
        d.holidays = policy;
        let p = plan(&d, berlin.clone());
        let got = forecast_all(&p, utc(2026, 4, 1, 0, 0), utc(2026, 4, 12, 0, 0));
        // Apr 3 (moved or not) and Apr 10 06:00 CEST = 04:00Z.
        assert_eq!(dues(&got), [want, utc(2026, 4, 10, 4, 0)], "{policy}");
        assert_eq!(got[0].nominal, utc(2026, 4, 3, 4, 0));
        assert_eq!(
            got[0].key.slot,
            Slot::Due(utc(2026, 4, 3, 4, 0)),
            "key stays on the rule's instant"
        );
        assert_eq!(got[0].adjustments.first().copied(), adj);
    }
}

#[test]
fn holiday_move_past_the_next_occurrence_is_merged_into_it() {
    // Daily 06:00 Berlin with the same holidays. Fri Apr 3 would move to Tue Apr 7, past the
    // Saturday Apr 4 occurrence → skipped, merged into Apr 4 (04:00Z). Mon Apr 6 would move to
    // Apr 7 06:00, which is Apr 7's own time → merged into Apr 7.
    let berlin = site("Europe/Berlin", &[date(2026, 4, 3), date(2026, 4, 6)]);
    let mut d = draft(every(1, IntervalUnit::Days, "06:00"), date(2026, 4, 1));
    d.holidays = HolidayPolicy::NextBusinessDay;
    let p = plan(&d, berlin);
    let got = forecast_all(&p, utc(2026, 4, 1, 0, 0), utc(2026, 4, 7, 12, 0));
    let merged = |into| OccurrenceStatus::Skipped {
        reason: SkipReason::HolidayMerged { into },
    };
    let summary: Vec<(Instant, OccurrenceStatus)> =
        got.iter().map(|o| (o.effective(), o.status)).collect();
    assert_eq!(
        summary,
        [
            (utc(2026, 4, 1, 4, 0), OccurrenceStatus::Due),
            (utc(2026, 4, 2, 4, 0), OccurrenceStatus::Due),
            (utc(2026, 4, 3, 4, 0), merged(utc(2026, 4, 4, 4, 0))),
            (utc(2026, 4, 4, 4, 0), OccurrenceStatus::Due),
            (utc(2026, 4, 5, 4, 0), OccurrenceStatus::Due),
            (utc(2026, 4, 6, 4, 0), merged(utc(2026, 4, 7, 4, 0))),
            (utc(2026, 4, 7, 4, 0), OccurrenceStatus::Due),
        ]
    );
}

#[test]
fn holiday_move_into_a_skipped_slot_keeps_the_holiday() {
    // Daily 06:00 UTC, active February–December, holiday Thu 2026-12-31. Its move would go to
    // Fri 2027-01-01 06:00, exactly the next slot, which is out of season (skipped): merging
    // into it would lose the work, so the move is cancelled and Dec 31 stays due.
    let mut d = draft(every(1, IntervalUnit::Days, "06:00"), date(2026, 1, 1));
    d.active_months = Some((2..=12).collect());
    d.holidays = HolidayPolicy::NextBusinessDay;
    let p = plan(&d, site("UTC", &[date(2026, 12, 31)]));
    let got = forecast_all(&p, utc(2026, 12, 30, 0, 0), utc(2027, 1, 1, 12, 0));
    let summary: Vec<(Instant, bool)> = got.iter().map(|o| (o.effective(), o.is_due())).collect();
    assert_eq!(
        summary,
        [
            (utc(2026, 12, 30, 6, 0), true),
            (utc(2026, 12, 31, 6, 0), true),
            (utc(2027, 1, 1, 6, 0), false)
        ]
    );
    assert!(got[1].adjustments.is_empty());
}

#[test]
fn season_boundaries_use_the_local_month() {
    // Daily 00:30 Berlin, active April–October. 2026-04-01 00:30 CEST is 2026-03-31 22:30Z: a
    // March instant in UTC but an April date on site → due. 2026-11-01 00:30 CET is
    // 2026-10-31 23:30Z → November on site → skipped.
    let mut d = draft(every(1, IntervalUnit::Days, "00:30"), date(2026, 1, 1));
    d.active_months = Some(vec![4, 5, 6, 7, 8, 9, 10]);
    let p = plan(&d, site("Europe/Berlin", &[]));
    let out = |m| OccurrenceStatus::Skipped {
        reason: SkipReason::OutOfSeason { month: m },
    };
    let cases = [
        (utc(2026, 3, 30, 22, 30), out(3)), // Mar 31 00:30 CEST
        (utc(2026, 3, 31, 22, 30), OccurrenceStatus::Due), // Apr 1 00:30 CEST
        (utc(2026, 10, 30, 23, 30), OccurrenceStatus::Due), // Oct 31 00:30 CET
        (utc(2026, 10, 31, 23, 30), out(11)), // Nov 1 00:30 CET
    ];
    for (instant, status) in cases {
        let got = forecast_all(&p, instant, instant);
        assert_eq!(got.len(), 1, "{instant}");
        assert_eq!(got[0].status, status, "{instant}");
    }
    // A season wrapping the year end (Nov–Mar), monthly on the 1st at 06:00 UTC.
    let mut d = draft(every(1, IntervalUnit::Months, "06:00"), date(2026, 1, 1));
    d.active_months = Some(vec![11, 12, 1, 2, 3]);
    let p = plan(&d, site("UTC", &[]));
    let got = forecast_all(&p, utc(2026, 1, 1, 0, 0), utc(2026, 12, 31, 0, 0));
    let due_months: Vec<u32> = got
        .iter()
        .filter(|o| o.is_due())
        .map(|o| o.due.month())
        .collect();
    let skipped_months: Vec<u32> = got
        .iter()
        .filter(|o| !o.is_due())
        .map(|o| o.nominal.month())
        .collect();
    assert_eq!(due_months, [1, 2, 3, 11, 12]);
    assert_eq!(
        skipped_months,
        [4, 5, 6, 7, 8, 9, 10],
        "skipped ones are reported, not dropped"
    );
}

#[test]
fn floating_through_the_off_season() {
    // Monthly floating on the 15th at 06:00 UTC, active April–October, completed 2026-10-15:
    // Nov 15, Dec 15, Jan 15, Feb 15, Mar 15 skipped (counted from the completion, no drift),
    // Apr 15 2027 due.
    let mut d = draft(floating(1, IntervalUnit::Months, "06:00"), date(2026, 1, 1));
    d.active_months = Some(vec![4, 5, 6, 7, 8, 9, 10]);
    let p = plan(&d, site("UTC", &[]));
    let s = PlanState {
        last_completion: Some(Completion {
            at: utc(2026, 10, 15, 9, 0),
            reading: None,
        }),
        ..PlanState::default()
    };
    // Generation on Dec 1: only Nov 15 has passed → recorded as skipped; cursor not waiting.
    let g1 = due_for_generation(&p, &s, utc(2026, 12, 1, 0, 0));
    assert_eq!(g1.occurrences.len(), 1);
    assert!(matches!(
        g1.occurrences[0].status,
        OccurrenceStatus::Skipped { .. }
    ));
    assert_eq!(
        g1.cursor,
        Some(Cursor {
            slot: Slot::Due(utc(2026, 11, 15, 6, 0)),
            work_created: false
        })
    );
    // Generation on 2027-04-15 from there: Dec … Mar skipped, Apr 15 due, then it waits.
    let s2 = applied(s, &g1);
    let g2 = due_for_generation(&p, &s2, utc(2027, 4, 15, 6, 0));
    let got: Vec<(Instant, bool)> = g2
        .occurrences
        .iter()
        .map(|o| (o.nominal, o.is_due()))
        .collect();
    assert_eq!(
        got,
        [
            (utc(2026, 12, 15, 6, 0), false),
            (utc(2027, 1, 15, 6, 0), false),
            (utc(2027, 2, 15, 6, 0), false),
            (utc(2027, 3, 15, 6, 0), false),
            (utc(2027, 4, 15, 6, 0), true),
        ]
    );
    let s3 = applied(s2, &g2);
    assert!(
        due_for_generation(&p, &s3, utc(2027, 9, 1, 0, 0))
            .occurrences
            .is_empty()
    );
}

#[test]
fn skip_dates_are_reported() {
    // Weekly Monday 06:00 UTC from Jan 5; skip the shutdown week Jan 19–23 (one range) and the
    // single day Feb 2.
    let mut d = draft(every(1, IntervalUnit::Weeks, "06:00"), date(2026, 1, 5));
    d.skips = vec![
        SkipDraft {
            from: date(2026, 1, 19),
            until: Some(date(2026, 1, 23)),
        },
        SkipDraft {
            from: date(2026, 2, 2),
            until: None,
        },
    ];
    let p = plan(&d, site("UTC", &[]));
    let got = forecast_all(&p, utc(2026, 1, 12, 0, 0), utc(2026, 2, 9, 23, 0));
    let st: Vec<bool> = got.iter().map(Occurrence::is_due).collect();
    assert_eq!(st, [true, false, true, false, true]); // Jan 12, 19, 26, Feb 2, 9
    assert_eq!(
        got[1].status,
        OccurrenceStatus::Skipped {
            reason: SkipReason::SkipDate {
                from: date(2026, 1, 19),
                until: date(2026, 1, 23)
            }
        }
    );
}

// ------------------------------------------------------------------------------------------
// Meters.

#[test]
fn counter_rollover_and_backwards_reading() {
    let t = |h| utc(2026, 5, 1, h, 0);
    // A 5-digit hour meter: 99,990 → 99,998 → rolls over (99,999 → 0) → 7.
    // Lifetime = 7 + (99,999 − 0) = 100,006.
    let events = [
        MeterEvent::Reading {
            at: t(1),
            value: 99_990.0,
        },
        MeterEvent::Reading {
            at: t(2),
            value: 99_998.0,
        },
        MeterEvent::Reset {
            at: t(3),
            before: 99_999.0,
            after: 0.0,
        },
        MeterEvent::Reading {
            at: t(4),
            value: 7.0,
        },
    ];
    let total = CounterTotal::replay(&events).unwrap().unwrap();
    assert_eq!(total.lifetime(), 100_006.0);
    // (event after the total above, accepted?)
    let cases = [
        (
            MeterEvent::Reading {
                at: t(5),
                value: 7.0,
            },
            true,
        ), // unchanged is fine
        (
            MeterEvent::Reading {
                at: t(5),
                value: 5.0,
            },
            false,
        ), // backwards without a reset
        (
            MeterEvent::Reading {
                at: t(3),
                value: 9.0,
            },
            false,
        ), // older than the last event
        (
            MeterEvent::Reading {
                at: t(5),
                value: f64::NAN,
            },
            false,
        ),
        (
            MeterEvent::Reset {
                at: t(5),
                before: 6.0,
                after: 0.0,
            },
            false,
        ), // before < last reading
        (
            MeterEvent::Reset {
                at: t(5),
                before: 12.0,
                after: 0.0,
            },
            true,
        ), // meter replaced
    ];
    for (e, ok) in cases {
        assert_eq!(total.apply(e).is_ok(), ok, "{e:?}");
    }
    let err = total
        .apply(MeterEvent::Reading {
            at: t(5),
            value: 5.0,
        })
        .unwrap_err();
    assert!(err.contains("backwards"), "{err}");
    assert_eq!(
        CounterTotal::replay(&[
            events[0],
            MeterEvent::Reading {
                at: t(2),
                value: 1.0
            }
        ])
        .unwrap_err()
        .0,
        1
    );
    // Rate: 8 units in one hour between the first two readings = 192 units per day.
    let a = CounterTotal::first(99_990.0, t(1)).unwrap();
    let b = a.apply(events[1]).unwrap();
    assert_eq!(usage_rate_per_day(&a, &b), Some(192.0));
}

#[test]
fn meter_plan_generation_across_a_rollover() {
    // Every 500 h with a 100 h warning, counted from lifetime 99,600 → due at 100,100,
    // generated from 100,000. After the rollover above the lifetime is 100,006 → generate now.
    let d = draft(
        TriggerDraft::Meter {
            meter: meter_draft(500.0, Some(100.0), 99_600.0),
        },
        date(2026, 1, 1),
    );
    let p = plan(&d, site("UTC", &[]));
    let at = utc(2026, 5, 1, 4, 0);
    let with = |lifetime| PlanState {
        meter: Some(MeterProgress {
            lifetime,
            read_at: at,
            rate_per_day: None,
        }),
        ..PlanState::default()
    };
    assert!(
        due_for_generation(&p, &with(99_999.0), at)
            .occurrences
            .is_empty()
    );
    let g = due_for_generation(&p, &with(100_006.0), at);
    assert_eq!(g.occurrences.len(), 1);
    let o = &g.occurrences[0];
    assert_eq!(o.key.slot, Slot::Reading(100_100_000));
    assert_eq!(o.key.slot.as_text(), "reading:100100.000");
    assert_eq!(o.due_reading, Some(100_100.0));
    assert_eq!(o.source, Source::Meter);
}

#[test]
fn meter_plan_cycles() {
    let d = draft(
        TriggerDraft::Meter {
            meter: meter_draft(500.0, None, 0.0),
        },
        date(2026, 1, 1),
    );
    let p = plan(&d, site("UTC", &[]));
    let done = Completion {
        at: utc(2026, 1, 1, 0, 0),
        reading: Some(1_000.0),
    };
    let read_at = utc(2026, 2, 1, 0, 0);
    let st = |lifetime: f64, cursor: Option<Cursor>, completion: Completion| PlanState {
        last_completion: Some(completion),
        cursor,
        meter: Some(MeterProgress {
            lifetime,
            read_at,
            rate_per_day: Some(10.0),
        }),
    };
    // (lifetime, cursor, completion, expected slot generated)
    let generated = Some(Cursor {
        slot: Slot::Reading(1_500_000),
        work_created: true,
    });
    let cases = [
        (1_499.9, None, done, None), // 1,000 + 500 not reached
        (1_500.0, None, done, Some(Slot::Reading(1_500_000))), // exactly due
        (1_900.0, generated, done, None), // generated, not completed: wait
        // completed at 1,520 → next due 2,020
        (
            1_900.0,
            generated,
            Completion {
                at: utc(2026, 1, 20, 0, 0),
                reading: Some(1_520.0),
            },
            None,
        ),
        (
            2_020.0,
            generated,
            Completion {
                at: utc(2026, 1, 20, 0, 0),
                reading: Some(1_520.0),
            },
            Some(Slot::Reading(2_020_000)),
        ),
    ];
    for (lifetime, cursor, completion, want) in cases {
        let g = due_for_generation(&p, &st(lifetime, cursor, completion), read_at);
        assert_eq!(
            g.occurrences.first().map(|o| o.key.slot),
            want,
            "{lifetime} {cursor:?}"
        );
    }
    // The crossing time is interpolated with the rate: 1,500 at 10/day with 1,510 read on
    // Feb 1 00:00 → reached one day earlier, Jan 31 00:00.
    let g = due_for_generation(&p, &st(1_510.0, None, done), read_at);
    assert_eq!(g.occurrences[0].due, utc(2026, 1, 31, 0, 0));
    // Forecast at 10 units/day from 1,200 on Feb 1: 1,500 on Mar 3; 2,000 on Apr 22.
    let f = forecast(&p, &st(1_200.0, None, done), read_at, utc(2026, 5, 1, 0, 0));
    assert_eq!(dues(&f), [utc(2026, 3, 3, 0, 0), utc(2026, 4, 22, 0, 0)]);
}

#[test]
fn whichever_first() {
    // Every 90 days at 06:00 UTC or every 500 h. Last completion 2026-01-01 06:00 at 1,000 h:
    // calendar due Jan 1 + 90 d = Apr 1 06:00 (31 + 28 + 31 = 90); meter due at 1,500 h.
    let d = draft(
        TriggerDraft::WhicheverFirst {
            calendar: IntervalDraft {
                every: 90,
                unit: IntervalUnit::Days,
                at: "06:00".into(),
            },
            meter: meter_draft(500.0, None, 0.0),
        },
        date(2025, 10, 1),
    );
    let p = plan(&d, site("UTC", &[]));
    let cycle = Slot::Cycle(utc(2026, 1, 1, 6, 0));
    let st = |lifetime: f64, read_at: Instant, rate: Option<f64>| PlanState {
        last_completion: Some(Completion {
            at: utc(2026, 1, 1, 6, 0),
            reading: Some(1_000.0),
        }),
        cursor: None,
        meter: Some(MeterProgress {
            lifetime,
            read_at,
            rate_per_day: rate,
        }),
    };
    // (state, now, expected due, expected source)
    let cases = [
        // Both on Apr 1: 1,502 h at 14:00 with 24 h/day → 1,500 reached at 12:00. Due = the
        // earlier, 06:00 (calendar).
        (
            st(1_502.0, utc(2026, 4, 1, 14, 0), Some(24.0)),
            utc(2026, 4, 1, 15, 0),
            utc(2026, 4, 1, 6, 0),
            Source::Both,
        ),
        // Meter first: 1,500 h read Mar 1 10:00 (no rate: dated at the reading).
        (
            st(1_500.0, utc(2026, 3, 1, 10, 0), None),
            utc(2026, 3, 1, 11, 0),
            utc(2026, 3, 1, 10, 0),
            Source::Meter,
        ),
        // Calendar first: 1,200 h at 3 h/day → 1,500 only ~100 days later.
        (
            st(1_200.0, utc(2026, 4, 1, 5, 0), Some(3.0)),
            utc(2026, 4, 1, 6, 0),
            utc(2026, 4, 1, 6, 0),
            Source::Calendar,
        ),
    ];
    for (s, now, due, source) in cases {
        let g = due_for_generation(&p, &s, now);
        assert_eq!(g.occurrences.len(), 1, "{source:?}");
        let o = &g.occurrences[0];
        assert_eq!((o.key.slot, o.due, o.source), (cycle, due, source));
        // Once generated, the other trigger firing later in the cycle adds nothing.
        let later = PlanState {
            cursor: g.cursor,
            meter: Some(MeterProgress {
                lifetime: 1_700.0,
                read_at: utc(2026, 4, 20, 0, 0),
                rate_per_day: None,
            }),
            ..s
        };
        assert!(
            due_for_generation(&p, &later, utc(2026, 4, 20, 1, 0))
                .occurrences
                .is_empty()
        );
    }
    // Nothing before either fires.
    assert!(
        due_for_generation(
            &p,
            &st(1_200.0, utc(2026, 3, 1, 0, 0), Some(3.0)),
            utc(2026, 3, 1, 1, 0)
        )
        .occurrences
        .is_empty()
    );
    // Forecast from 1,020 h read on Jan 2 06:00: 480 h to go. Calendar due Apr 1 06:00, which
    // is Jan 2 06:00 + 89 days. (rate h/day, days to 1,500 h, expected source, expected due)
    let cases = [
        // 480 / 5.5 = 87.27 d → Mar 30 ≈ 12:33, two days before the calendar: meter.
        (5.5, Source::Meter, None),
        // 480 / 5.4 = 88.89 d → Apr 1 ≈ 03:20, the calendar's day: both, due at the earlier 03:20.
        (5.4, Source::Both, None),
        // 480 / 5.375 = 89.30 d → Apr 1 ≈ 13:15: both, due at the calendar's 06:00.
        (5.375, Source::Both, Some(utc(2026, 4, 1, 6, 0))),
        // 480 / 5 = 96 d → Apr 8: the calendar comes first.
        (5.0, Source::Calendar, Some(utc(2026, 4, 1, 6, 0))),
    ];
    for (rate, source, due) in cases {
        let f = forecast(
            &p,
            &st(1_020.0, utc(2026, 1, 2, 6, 0), Some(rate)),
            utc(2026, 1, 2, 0, 0),
            utc(2026, 12, 31, 0, 0),
        );
        assert_eq!(f[0].source, source, "{rate}");
        assert_eq!(f[0].key.slot, cycle);
        let meter_time = utc(2026, 1, 2, 6, 0)
            + Duration::milliseconds((480.0 / rate * 86_400_000.0_f64).round() as i64);
        assert_eq!(f[0].due, due.unwrap_or(meter_time), "{rate}");
        // the next cycle starts from the (projected) completion at that due time
        assert!(
            f.len() >= 2 && f[1].key.slot == Slot::Cycle(f[0].due) && f[1].estimated,
            "{rate}"
        );
    }
}

// ------------------------------------------------------------------------------------------
// SMRP 5.4.14 compliance.

#[test]
fn grace_table() {
    let i = |n, u| Frequency::Every(Interval::new(n, u).unwrap());
    use IntervalUnit::{Days, Months, Weeks, Years};
    // (frequency, grace in days) — the SMRP table, then interpolated points (20 %, rounded).
    let cases = [
        (i(1, Weeks), 1),
        (i(2, Weeks), 3),
        (i(4, Weeks), 6),
        (i(1, Months), 6),
        (i(6, Weeks), 8),
        (i(8, Weeks), 11),
        (i(2, Months), 12),
        (i(3, Months), 18),
        (i(4, Months), 24),
        (i(6, Months), 28),
        (i(12, Months), 28),
        (i(1, Years), 28),
        (i(7, Days), 1),                           // same as one week
        (i(3, Weeks), 4),                          // 21 d × 0.2 = 4.2 → 4
        (i(10, Days), 2),                          // 2.0
        (i(5, Weeks), 7),                          // 35 × 0.2 = 7
        (i(5, Months), 28),                        // 152.2 × 0.2 = 30.4 → capped at 28
        (i(1, Days), 0), // 0.2 → 0: a daily PM is on time only by its due time
        (i(3, Days), 1), // 0.6 → 1
        (Frequency::Span(Duration::days(91)), 18), // 18.2 → 18, same as 3 months
        (Frequency::Span(Duration::days(400)), 28),
    ];
    for (f, want) in cases {
        assert_eq!(grace(f), Duration::days(want), "{f:?}");
    }
    // The table equals 20 % rounded at its own points (so interpolation is continuous).
    for (n, u, want) in [
        (1, Weeks, 1),
        (2, Weeks, 3),
        (4, Weeks, 6),
        (6, Weeks, 8),
        (8, Weeks, 11),
        (2, Months, 12),
        (3, Months, 18),
        (4, Months, 24),
    ] {
        let days = Interval::new(n, u).unwrap().approx_days();
        assert_eq!(
            grace_for_span(Duration::seconds((days * 86_400.0) as i64)),
            Duration::days(want),
            "{n} {u}"
        );
    }
}

#[test]
fn on_time_and_compliance() {
    let monthly = Frequency::Every(Interval::new(1, IntervalUnit::Months).unwrap());
    let due = utc(2026, 3, 10, 6, 0);
    // grace 6 days → deadline Mar 16 06:00
    assert!(on_time(due, utc(2026, 3, 1, 0, 0), monthly)); // early
    assert!(on_time(due, utc(2026, 3, 16, 6, 0), monthly)); // last instant of grace
    assert!(!on_time(due, utc(2026, 3, 16, 6, 1), monthly));
    let r = |d: Instant, c: Option<Instant>| ComplianceRecord {
        due: d,
        completed: c,
        frequency: monthly,
    };
    let records = [
        r(utc(2026, 3, 1, 6, 0), Some(utc(2026, 3, 2, 0, 0))), // on time
        r(utc(2026, 3, 5, 6, 0), Some(utc(2026, 3, 20, 0, 0))), // late (deadline Mar 11)
        r(utc(2026, 3, 8, 6, 0), None),                        // not done, grace over at now
        r(utc(2026, 3, 28, 6, 0), None),                       // pending: grace until Apr 3
        r(utc(2026, 3, 30, 6, 0), Some(utc(2026, 4, 2, 0, 0))), // on time (within grace)
        r(utc(2026, 4, 1, 6, 0), Some(utc(2026, 4, 1, 7, 0))), // outside the period
    ];
    let c = compliance(
        &records,
        utc(2026, 3, 1, 0, 0),
        utc(2026, 4, 1, 0, 0),
        utc(2026, 4, 2, 12, 0),
    );
    // due = 2 on time + 1 late + 1 not done = 4; 2 / 4 = 50 %
    assert_eq!(
        (c.due, c.on_time, c.late, c.not_done, c.pending),
        (4, 2, 1, 1, 1)
    );
    assert_eq!(c.percent, Some(50.0));
    assert_eq!(
        compliance(
            &[],
            utc(2026, 3, 1, 0, 0),
            utc(2026, 4, 1, 0, 0),
            utc(2026, 4, 2, 0, 0)
        )
        .percent,
        None
    );
}

// ------------------------------------------------------------------------------------------
// Validation.

#[test]
fn validation_names_every_bad_field() {
    let berlin = site("Europe/Berlin", &[]);
    let weekly = || draft(every(1, IntervalUnit::Weeks, "06:00"), date(2026, 1, 5));
    let with = |f: &dyn Fn(&mut PlanDraft)| {
        let mut d = weekly();
        f(&mut d);
        d
    };
    // (draft, meter kind, expected error fields)
    let cases: Vec<(PlanDraft, Option<MeterKind>, Vec<&str>)> = vec![
        (weekly(), None, vec![]),
        (
            draft(every(0, IntervalUnit::Days, "06:00"), date(2026, 1, 5)),
            None,
            vec!["trigger.rule.every"],
        ),
        (
            draft(every(-3, IntervalUnit::Months, "06:00"), date(2026, 1, 5)),
            None,
            vec!["trigger.rule.every"],
        ),
        (
            draft(floating(0, IntervalUnit::Days, "06:00"), date(2026, 1, 5)),
            None,
            vec!["trigger.calendar.every"],
        ),
        (
            draft(every(1, IntervalUnit::Days, "25:00"), date(2026, 1, 5)),
            None,
            vec!["trigger.rule.at"],
        ),
        (
            draft(every(1, IntervalUnit::Days, "6am"), date(2026, 1, 5)),
            None,
            vec!["trigger.rule.at"],
        ),
        (
            draft(every(0, IntervalUnit::Days, "6:0"), date(2026, 1, 5)),
            None,
            vec!["trigger.rule.every", "trigger.rule.at"],
        ),
        (
            draft(
                rrule("FREQ=YEARLY;BYMONTHDAY=31;BYMONTH=2", "06:00"),
                date(2026, 1, 5),
            ),
            None,
            vec!["trigger.rule.rrule"],
        ),
        (
            draft(
                rrule("FREQ=MONTHLY;BYMONTHDAY=30;BYMONTH=2", "06:00"),
                date(2026, 1, 5),
            ),
            None,
            vec!["trigger.rule.rrule"],
        ),
        (
            draft(
                rrule("FREQ=DAILY;UNTIL=20200101T000000Z", "06:00"),
                date(2026, 1, 5),
            ),
            None,
            vec!["trigger.rule.rrule"],
        ),
        (
            draft(rrule("FREQ=SECONDLY", "06:00"), date(2026, 1, 5)),
            None,
            vec!["trigger.rule.rrule"],
        ),
        (
            draft(
                rrule("FREQ=MINUTELY;INTERVAL=15", "06:00"),
                date(2026, 1, 5),
            ),
            None,
            vec!["trigger.rule.rrule"],
        ),
        (
            draft(rrule("FREQ=WEEKLY;BYDAY=XX", "06:00"), date(2026, 1, 5)),
            None,
            vec!["trigger.rule.rrule"],
        ),
        (
            draft(rrule("FREQ=WEEKLY;BYDAY=XX", "99:00"), date(2026, 1, 5)),
            None,
            vec!["trigger.rule.at", "trigger.rule.rrule"],
        ),
        (
            draft(
                TriggerDraft::Fixed {
                    rule: RuleDraft::Weekly {
                        every_weeks: 1,
                        on: vec![],
                        at: "06:00".into(),
                    },
                },
                date(2026, 1, 5),
            ),
            None,
            vec!["trigger.rule.on"],
        ),
        (
            draft(
                TriggerDraft::Meter {
                    meter: meter_draft(500.0, None, 0.0),
                },
                date(2026, 1, 5),
            ),
            Some(MeterKind::Gauge),
            vec!["trigger.meter"],
        ),
        (
            draft(
                TriggerDraft::Meter {
                    meter: meter_draft(500.0, None, 0.0),
                },
                date(2026, 1, 5),
            ),
            None,
            vec!["trigger.meter"],
        ),
        (
            draft(
                TriggerDraft::Meter {
                    meter: meter_draft(0.0, None, 0.0),
                },
                date(2026, 1, 5),
            ),
            Some(MeterKind::Counter),
            vec!["trigger.meter.every"],
        ),
        (
            draft(
                TriggerDraft::Meter {
                    meter: meter_draft(-5.0, None, 0.0),
                },
                date(2026, 1, 5),
            ),
            Some(MeterKind::Counter),
            vec!["trigger.meter.every"],
        ),
        (
            draft(
                TriggerDraft::Meter {
                    meter: meter_draft(500.0, Some(500.0), 0.0),
                },
                date(2026, 1, 5),
            ),
            Some(MeterKind::Counter),
            vec!["trigger.meter.warning"],
        ),
        (
            with(&|d| {
                d.trigger = TriggerDraft::Meter {
                    meter: meter_draft(500.0, None, 0.0),
                };
                d.lead_days = 3;
                d.active_months = Some(vec![1]);
            }),
            Some(MeterKind::Counter),
            vec!["lead_days", "active_months"],
        ),
        (
            with(&|d| {
                d.trigger = TriggerDraft::WhicheverFirst {
                    calendar: IntervalDraft {
                        every: 0,
                        unit: IntervalUnit::Days,
                        at: "06:00".into(),
                    },
                    meter: meter_draft(500.0, None, 0.0),
                };
            }),
            Some(MeterKind::Gauge),
            vec!["trigger.calendar.every", "trigger.meter"],
        ),
        (with(&|d| d.lead_days = 7), None, vec!["lead_days"]), // weekly: lead must be < 7 days
        (with(&|d| d.lead_days = 6), None, vec![]),
        (with(&|d| d.lead_days = -1), None, vec!["lead_days"]),
        (
            with(&|d| d.active_months = Some(vec![0, 4])),
            None,
            vec!["active_months"],
        ),
        (
            with(&|d| d.active_months = Some(vec![])),
            None,
            vec!["active_months"],
        ),
        (
            with(&|d| {
                d.skips = vec![SkipDraft {
                    from: date(2026, 2, 2),
                    until: Some(date(2026, 2, 1)),
                }]
            }),
            None,
            vec!["skips[0].until"],
        ),
    ];
    for (d, kind, want) in cases {
        let got: Vec<String> = match Plan::parse(plan_id(), &d, berlin.clone(), kind) {
            Ok(_) => vec![],
            Err(e) => e.0.into_iter().map(|f| f.field).collect(),
        };
        assert_eq!(got, want, "{d:?}");
    }
    // Unknown time zones are refused by the site calendar, under `timezone`.
    let err = SiteCalendar::parse("Europe/Atlantis", &BusinessHours::default(), &[]).unwrap_err();
    assert_eq!(err.0[0].field, "timezone");
    // Messages say what is wrong.
    let err = Plan::parse(
        plan_id(),
        &draft(
            rrule("FREQ=MINUTELY;INTERVAL=15", "06:00"),
            date(2026, 1, 5),
        ),
        berlin,
        None,
    )
    .unwrap_err();
    assert!(err.0[0].message.contains("every 15 minutes"), "{err}");
}

#[test]
fn drafts_read_from_json() {
    let json = r#"{
        "trigger": {"kind": "fixed", "rule": {"kind": "weekly", "every_weeks": 2, "on": ["monday"], "at": "06:00"}},
        "start": "2026-01-05", "lead_days": 2, "active_months": [4,5,6],
        "skips": [{"from": "2026-05-04"}], "holidays": "next_business_day"
    }"#;
    let d: PlanDraft = serde_json::from_str(json).unwrap();
    assert!(Plan::parse(plan_id(), &d, site("Europe/Berlin", &[]), None).is_ok());
    let json = r#"{"trigger": {"kind": "whichever_first",
        "calendar": {"every": 3, "unit": "months", "at": "07:30"},
        "meter": {"every": 500, "warning": 50}}, "start": "2026-01-01"}"#;
    let d: PlanDraft = serde_json::from_str(json).unwrap();
    assert!(Plan::parse(plan_id(), &d, site("UTC", &[]), Some(MeterKind::Counter)).is_ok());
    assert!(serde_json::from_str::<PlanDraft>(r#"{"trigger": {"kind": "fixed", "rule": {"kind": "every", "every": 1, "unit": "fortnights", "at": "06:00"}}, "start": "2026-01-01"}"#).is_err());
}

// ------------------------------------------------------------------------------------------
// Preview, flags, keys.

#[test]
fn preview_and_flags() {
    let p = plan(
        &draft(every(1, IntervalUnit::Months, "06:00"), date(2026, 1, 31)),
        site("UTC", &[]),
    );
    let ten = preview(&p, &PlanState::default(), utc(2026, 1, 1, 0, 0), 10);
    assert_eq!(ten.len(), 10);
    assert_eq!(ten[9].due, utc(2026, 10, 31, 6, 0));
    assert!(plan_flags(&p, &PlanState::default(), utc(2026, 1, 1, 0, 0), 5).is_empty());
    // A rule that has ended (COUNT=2) → flagged, still valid and never disabled.
    let ended = plan(
        &draft(rrule("FREQ=DAILY;COUNT=2", "06:00"), date(2026, 1, 1)),
        site("UTC", &[]),
    );
    assert_eq!(
        plan_flags(&ended, &PlanState::default(), utc(2026, 2, 1, 0, 0), 5),
        [PlanFlag::NothingDueWithin { years: 5 }]
    );
    // A season that excludes every occurrence (yearly in February, active June–August).
    let mut d = draft(every(1, IntervalUnit::Years, "06:00"), date(2026, 2, 1));
    d.active_months = Some(vec![6, 7, 8]);
    let never = plan(&d, site("UTC", &[]));
    assert_eq!(
        plan_flags(&never, &PlanState::default(), utc(2026, 1, 1, 0, 0), 3),
        [PlanFlag::NothingDueWithin { years: 3 }]
    );
    d.trigger = floating(1, IntervalUnit::Years, "06:00");
    let never = plan(&d, site("UTC", &[]));
    assert_eq!(
        plan_flags(&never, &PlanState::default(), utc(2026, 1, 1, 0, 0), 3),
        [PlanFlag::NothingDueWithin { years: 3 }]
    );
    // Meter plan without readings.
    let m = plan(
        &draft(
            TriggerDraft::Meter {
                meter: meter_draft(500.0, None, 0.0),
            },
            date(2026, 1, 1),
        ),
        site("UTC", &[]),
    );
    assert_eq!(
        plan_flags(&m, &PlanState::default(), utc(2026, 1, 1, 0, 0), 3),
        [PlanFlag::NoMeterReading]
    );
}

#[test]
fn key_text_is_canonical() {
    let k = OccurrenceKey {
        plan: plan_id(),
        slot: Slot::Due(utc(2026, 3, 30, 4, 0)),
    };
    assert_eq!(
        k.to_string(),
        "01900000-0000-7000-8000-000000000001/due:2026-03-30T04:00:00.000000Z"
    );
    assert_eq!(Slot::reading(1234.5678).as_text(), "reading:1234.568");
    assert_eq!(
        Slot::Cycle(utc(2026, 1, 1, 6, 0)).as_text(),
        "cycle:2026-01-01T06:00:00.000000Z"
    );
}

// ------------------------------------------------------------------------------------------
// Property tests.

const ZONES: [&str; 4] = [
    "Europe/Berlin",
    "America/New_York",
    "UTC",
    "Australia/Lord_Howe",
];
const RRULES: [&str; 5] = [
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
    "FREQ=MONTHLY;BYDAY=-1FR",
    "FREQ=MONTHLY;BYMONTHDAY=31",
    "FREQ=DAILY;BYHOUR=2,14",
    "FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SU",
];

fn arb_trigger() -> impl Strategy<Value = TriggerDraft> {
    let unit = prop_oneof![
        Just(IntervalUnit::Days),
        Just(IntervalUnit::Weeks),
        Just(IntervalUnit::Months),
        Just(IntervalUnit::Years)
    ];
    let at = (
        0u32..24,
        prop_oneof![Just(0u32), Just(15), Just(30), Just(45)],
    )
        .prop_map(|(h, m)| format!("{h:02}:{m:02}"));
    let days = prop::sample::subsequence(
        vec![
            DayOfWeek::Monday,
            DayOfWeek::Tuesday,
            DayOfWeek::Wednesday,
            DayOfWeek::Thursday,
            DayOfWeek::Friday,
            DayOfWeek::Saturday,
            DayOfWeek::Sunday,
        ],
        1..4,
    );
    let week = prop_oneof![
        Just(WeekOfMonth::First),
        Just(WeekOfMonth::Third),
        Just(WeekOfMonth::Last)
    ];
    prop_oneof![
        (1i64..40, unit.clone(), at.clone()).prop_map(|(n, u, at)| every(
            n.min(if u == IntervalUnit::Days { 40 } else { 5 }),
            u,
            &at
        )),
        (1i64..4, days, at.clone()).prop_map(|(n, on, at)| TriggerDraft::Fixed {
            rule: RuleDraft::Weekly {
                every_weeks: n,
                on,
                at
            }
        }),
        (1i64..7, week, at.clone()).prop_map(|(n, week, at)| TriggerDraft::Fixed {
            rule: RuleDraft::MonthlyByWeekday {
                every_months: n,
                week,
                weekday: DayOfWeek::Monday,
                at
            }
        }),
        (0usize..RRULES.len(), at.clone()).prop_map(|(i, at)| rrule(RRULES[i], &at)),
        (1i64..20, unit, at).prop_map(|(n, u, at)| floating(
            n.min(if u == IntervalUnit::Days { 20 } else { 3 }),
            u,
            &at
        )),
    ]
}

fn arb_plan() -> impl Strategy<Value = Plan> {
    (
        arb_trigger(),
        0usize..ZONES.len(),
        0i64..900,
        0i64..4,
        prop::option::of(prop::sample::subsequence(
            (1i64..=12).collect::<Vec<_>>(),
            1..12,
        )),
        any::<bool>(),
    )
        .prop_filter_map(
            "plan must validate",
            |(trigger, zone, start_offset, lead, season, move_holidays)| {
                let start = date(2025, 6, 1) + Duration::days(start_offset);
                // Holidays on some Fridays and Mondays around Easter and Christmas.
                let holidays = [
                    date(2026, 4, 3),
                    date(2026, 4, 6),
                    date(2026, 12, 25),
                    date(2026, 12, 28),
                    date(2027, 3, 26),
                ];
                let mut d = draft(trigger, start);
                d.lead_days = lead;
                d.active_months = season;
                d.holidays = if move_holidays {
                    HolidayPolicy::NextBusinessDay
                } else {
                    HolidayPolicy::Keep
                };
                Plan::parse(plan_id(), &d, site(ZONES[zone], &holidays), None).ok()
            },
        )
}

fn arb_window() -> impl Strategy<Value = (Instant, Instant)> {
    (0i64..(3 * 365 * 24), 1i64..(400 * 24)).prop_map(|(a, len)| {
        let from = utc(2025, 6, 1, 0, 0) + Duration::hours(a);
        (from, from + Duration::hours(len))
    })
}

fn arb_completion() -> impl Strategy<Value = Option<Instant>> {
    prop::option::of(
        (0i64..(3 * 365 * 24))
            .prop_map(|h| utc(2025, 6, 1, 0, 0) + Duration::hours(h) + Duration::minutes(7)),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn forecast_is_deterministic_ordered_and_inside_the_window(
        p in arb_plan(), (from, until) in arb_window(), done in arb_completion()
    ) {
        let state = PlanState {
            last_completion: done.map(|at| Completion { at, reading: None }),
            ..PlanState::default()
        };
        let a = forecast(&p, &state, from, until);
        let b = forecast(&p, &state, from, until);
        prop_assert_eq!(&a, &b);
        for o in &a {
            prop_assert!(from <= o.effective() && o.effective() <= until, "{:?} outside window", o);
            prop_assert!(o.create_at <= o.due);
            prop_assert!(o.nominal <= o.due);
        }
        for w in a.windows(2) {
            prop_assert!(w[0].effective() < w[1].effective(), "not increasing: {:?} then {:?}", w[0], w[1]);
            prop_assert!(w[0].key.slot < w[1].key.slot);
        }
        let due = due_only(&a);
        for w in due.windows(2) {
            prop_assert!(w[0] < w[1]);
        }
    }

    #[test]
    fn generation_is_repeatable_and_never_duplicates(
        p in arb_plan(), (t1, t2) in arb_window(), done in arb_completion()
    ) {
        let state = PlanState {
            last_completion: done.map(|at| Completion { at, reading: None }),
            ..PlanState::default()
        };
        // Same state, same instant → the same keys (two runners agree).
        let g1 = due_for_generation(&p, &state, t1);
        let again = due_for_generation(&p, &state, t1);
        prop_assert_eq!(&g1, &again);
        // A later run from the recorded cursor never repeats a key, and nothing ready is lost:
        // the union of both runs equals… a run at t2 from scratch holds every key of the
        // incremental runs once (order preserved).
        let s1 = applied(state, &g1);
        let g2 = due_for_generation(&p, &s1, t2);
        let first: Vec<OccurrenceKey> = g1.occurrences.iter().map(|o| o.key).collect();
        for o in &g2.occurrences {
            prop_assert!(!first.contains(&o.key), "duplicate key {}", o.key);
        }
        let mut all: Vec<OccurrenceKey> = first.clone();
        all.extend(g2.occurrences.iter().map(|o| o.key));
        for w in all.windows(2) {
            prop_assert!(w[0].slot < w[1].slot);
        }
        for o in g1.occurrences.iter().chain(&g2.occurrences) {
            prop_assert!(o.create_at <= t2);
        }
        // Re-running at t2 from the final cursor adds nothing.
        let s2 = applied(s1, &g2);
        if g2.complete && g1.complete {
            prop_assert!(due_for_generation(&p, &s2, t2).occurrences.is_empty());
        }
    }
}
