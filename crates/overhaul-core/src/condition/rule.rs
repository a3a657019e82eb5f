//! Rules: each is a state machine over a signal's readings in reading-time order that says when
//! its condition becomes active and when it clears.
//!
//! Nuisance reduction follows ISA-18.2: a deadband (hysteresis) so a value hovering at the limit
//! does not flip the alarm on every reading, and on/off delays so the condition must hold for a
//! while (measured in reading time, not in wall-clock time) before the state changes.

use super::Sample;
use crate::FieldError;
use crate::Invalid;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

text_enum!(
    /// Threshold levels: high-high, high, low, low-low.
    ThresholdLevel {
        HighHigh => "hh",
        High => "h",
        Low => "l",
        LowLow => "ll",
    }
);

impl ThresholdLevel {
    pub fn is_high(self) -> bool {
        matches!(self, ThresholdLevel::HighHigh | ThresholdLevel::High)
    }
}

/// The parameters of a rule, by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RuleParams {
    /// Active above (`hh`, `h`) or below (`l`, `ll`) `limit`; clears only once the value is back
    /// past `limit ∓ deadband`.
    Threshold {
        level: ThresholdLevel,
        limit: f64,
        #[serde(default)]
        deadband: f64,
        #[serde(default)]
        on_delay_s: u32,
        #[serde(default)]
        off_delay_s: u32,
    },
    /// Active while the value changes faster than `max_per_minute` (units per minute, either
    /// direction) over the last `window_s` seconds; clears below `max_per_minute - deadband`.
    RateOfChange {
        max_per_minute: f64,
        window_s: u32,
        #[serde(default)]
        deadband: f64,
        #[serde(default)]
        on_delay_s: u32,
        #[serde(default)]
        off_delay_s: u32,
    },
    /// Active when |x − mean| > k·σ of a rolling baseline (EWMA mean and EWMA variance with
    /// weight `alpha`), after `warmup` readings; clears below (k − deadband_sigma)·σ. Readings
    /// that deviate do not move the baseline, so a drifted machine stays in alarm.
    Drift {
        alpha: f64,
        k: f64,
        warmup: u32,
        #[serde(default)]
        deadband_sigma: f64,
        #[serde(default)]
        on_delay_s: u32,
        #[serde(default)]
        off_delay_s: u32,
    },
}

/// The most readings a rate-of-change window holds (older ones are dropped first).
const WINDOW_CAP: usize = 10_000;

impl RuleParams {
    pub fn kind(&self) -> &'static str {
        match self {
            RuleParams::Threshold { .. } => "threshold",
            RuleParams::RateOfChange { .. } => "rate_of_change",
            RuleParams::Drift { .. } => "drift",
        }
    }

    fn delays_ms(&self) -> (i64, i64) {
        let (on, off) = match self {
            RuleParams::Threshold {
                on_delay_s,
                off_delay_s,
                ..
            }
            | RuleParams::RateOfChange {
                on_delay_s,
                off_delay_s,
                ..
            }
            | RuleParams::Drift {
                on_delay_s,
                off_delay_s,
                ..
            } => (*on_delay_s, *off_delay_s),
        };
        (i64::from(on) * 1000, i64::from(off) * 1000)
    }

    /// Checks every parameter; errors are named `{prefix}.{field}`.
    pub fn check(&self, prefix: &str) -> Result<(), Invalid> {
        let mut e = Vec::new();
        let mut push = |f: &str, m: &str| e.push(FieldError::new(format!("{prefix}.{f}"), m));
        let day = 86_400;
        let (on, off) = self.delays_ms();
        if on > day * 1000 {
            push("on_delay_s", "must be at most 86400 (one day)");
        }
        if off > day * 1000 {
            push("off_delay_s", "must be at most 86400 (one day)");
        }
        match self {
            RuleParams::Threshold {
                limit, deadband, ..
            } => {
                if !limit.is_finite() {
                    push("limit", "must be a finite number");
                }
                if !deadband.is_finite() || *deadband < 0.0 {
                    push("deadband", "must be a finite number, 0 or more");
                }
            }
            RuleParams::RateOfChange {
                max_per_minute,
                window_s,
                deadband,
                ..
            } => {
                if !max_per_minute.is_finite() || *max_per_minute <= 0.0 {
                    push("max_per_minute", "must be a finite number above 0");
                }
                if *window_s == 0 || i64::from(*window_s) > day {
                    push("window_s", "must be between 1 and 86400 seconds");
                }
                if !deadband.is_finite() || *deadband < 0.0 || deadband >= max_per_minute {
                    push("deadband", "must be 0 or more and below max_per_minute");
                }
            }
            RuleParams::Drift {
                alpha,
                k,
                warmup,
                deadband_sigma,
                ..
            } => {
                if !alpha.is_finite() || *alpha <= 0.0 || *alpha >= 1.0 {
                    push("alpha", "must be between 0 and 1 (exclusive)");
                }
                if !k.is_finite() || *k <= 0.0 {
                    push("k", "must be a finite number above 0");
                }
                if *warmup < 2 {
                    push("warmup", "must be at least 2 readings");
                }
                if !deadband_sigma.is_finite() || *deadband_sigma < 0.0 || deadband_sigma >= k {
                    push("deadband_sigma", "must be 0 or more and below k");
                }
            }
        }
        if e.is_empty() {
            Ok(())
        } else {
            Err(Invalid(e))
        }
    }
}

/// What a rule remembers between readings besides its active flag.
#[derive(Debug, Clone, PartialEq)]
pub enum Memory {
    None,
    /// Readings of the rate-of-change window, oldest first.
    Window(VecDeque<Sample>),
    /// EWMA baseline: readings seen, mean, variance.
    Baseline {
        n: u64,
        mean: f64,
        var: f64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleState {
    pub active: bool,
    /// Since when (reading time) the condition for the opposite state has held, while a delay
    /// runs.
    pub pending_since: Option<i64>,
    /// Time of the last reading evaluated; older or equal readings are ignored (replays).
    pub last_at: Option<i64>,
    pub memory: Memory,
}

impl RuleState {
    pub fn new(p: &RuleParams) -> Self {
        Self {
            active: false,
            pending_since: None,
            last_at: None,
            memory: match p {
                RuleParams::Threshold { .. } => Memory::None,
                RuleParams::RateOfChange { .. } => Memory::Window(VecDeque::new()),
                RuleParams::Drift { .. } => Memory::Baseline {
                    n: 0,
                    mean: 0.0,
                    var: 0.0,
                },
            },
        }
    }

    /// Rebuilds the state of a rule after a restart from stored readings (oldest first) and
    /// whether its alarm is active now. No transition comes out of a rebuild.
    pub fn rebuild(p: &RuleParams, history: &[Sample], active: bool) -> Self {
        let mut s = Self::new(p);
        for r in history {
            s = evaluate(&s, *r, p).0;
        }
        s.active = active;
        s.pending_since = None;
        s
    }
}

/// A change of a rule's condition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Transition {
    Activated(Sample),
    Cleared(Sample),
}

/// Feeds one reading to a rule. Readings must come in reading-time order; one at or before the
/// last evaluated reading (a replay or a late arrival) changes nothing.
pub fn evaluate(state: &RuleState, r: Sample, p: &RuleParams) -> (RuleState, Option<Transition>) {
    if state.last_at.is_some_and(|t| r.at_ms <= t) {
        return (state.clone(), None);
    }
    let mut s = state.clone();
    s.last_at = Some(r.at_ms);
    // `Some(true)`: the reading calls for the other state; `Some(false)`: it does not;
    // `None`: no judgement possible yet (a delay keeps running).
    let wants_flip: Option<bool> = match p {
        RuleParams::Threshold {
            level,
            limit,
            deadband,
            ..
        } => {
            let x = r.value;
            Some(match (level.is_high(), s.active) {
                (true, false) => x > *limit,
                (true, true) => x < limit - deadband,
                (false, false) => x < *limit,
                (false, true) => x > limit + deadband,
            })
        }
        RuleParams::RateOfChange {
            max_per_minute,
            window_s,
            deadband,
            ..
        } => {
            let window_ms = i64::from(*window_s) * 1000;
            let rate = match &mut s.memory {
                Memory::Window(w) => {
                    w.push_back(r);
                    while w.front().is_some_and(|f| f.at_ms < r.at_ms - window_ms)
                        || w.len() > WINDOW_CAP
                    {
                        w.pop_front();
                    }
                    match w.front() {
                        // A rate over less than half the window would be mostly noise.
                        Some(f) if r.at_ms - f.at_ms >= window_ms / 2 && r.at_ms > f.at_ms => {
                            Some((r.value - f.value) / ((r.at_ms - f.at_ms) as f64 / 60_000.0))
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            rate.map(|v| {
                if s.active {
                    v.abs() < max_per_minute - deadband
                } else {
                    v.abs() > *max_per_minute
                }
            })
        }
        RuleParams::Drift {
            alpha,
            k,
            warmup,
            deadband_sigma,
            ..
        } => match &mut s.memory {
            Memory::Baseline { n, mean, var } => {
                let x = r.value;
                let mut judged = None;
                let mut deviates = false;
                if *n == 0 {
                    *mean = x;
                    *var = 0.0;
                } else if *n >= u64::from(*warmup) {
                    let sigma = var.sqrt();
                    let dev = (x - *mean).abs();
                    deviates = dev > k * sigma;
                    judged = Some(if s.active {
                        dev < (k - deadband_sigma) * sigma
                    } else {
                        deviates
                    });
                }
                if *n > 0 && !deviates {
                    let diff = x - *mean;
                    let incr = alpha * diff;
                    *mean += incr;
                    *var = (1.0 - alpha) * (*var + diff * incr);
                }
                if !deviates {
                    *n += 1;
                }
                judged
            }
            _ => None,
        },
    };
    let (on_ms, off_ms) = p.delays_ms();
    match wants_flip {
        Some(true) => {
            let since = *s.pending_since.get_or_insert(r.at_ms);
            let delay = if s.active { off_ms } else { on_ms };
            if r.at_ms - since >= delay {
                s.active = !s.active;
                s.pending_since = None;
                let t = if s.active {
                    Transition::Activated(r)
                } else {
                    Transition::Cleared(r)
                };
                return (s, Some(t));
            }
            (s, None)
        }
        Some(false) => {
            s.pending_since = None;
            (s, None)
        }
        None => (s, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs readings (seconds, value) through a rule; returns the transitions as
    /// (seconds, 'A'ctivated / 'C'leared).
    fn run(p: &RuleParams, readings: &[(i64, f64)]) -> Vec<(i64, char)> {
        let mut s = RuleState::new(p);
        let mut out = Vec::new();
        for (t, v) in readings {
            let (n, tr) = evaluate(&s, Sample::new(t * 1000, *v), p);
            s = n;
            match tr {
                Some(Transition::Activated(r)) => out.push((r.at_ms / 1000, 'A')),
                Some(Transition::Cleared(r)) => out.push((r.at_ms / 1000, 'C')),
                None => {}
            }
        }
        out
    }

    fn threshold(level: ThresholdLevel, limit: f64, db: f64, on: u32, off: u32) -> RuleParams {
        RuleParams::Threshold {
            level,
            limit,
            deadband: db,
            on_delay_s: on,
            off_delay_s: off,
        }
    }

    #[test]
    fn thresholds_with_deadband_and_delays() {
        use ThresholdLevel::*;
        let series = |vs: &[f64]| -> Vec<(i64, f64)> {
            vs.iter()
                .enumerate()
                .map(|(i, v)| (i as i64 * 10, *v))
                .collect()
        };
        // (params, values one every 10 s, expected transitions), checked by hand:
        type Case = (RuleParams, Vec<f64>, Vec<(i64, char)>);
        let cases: Vec<Case> = vec![
            // High 7.1 without deadband: above at t=10, back below at t=20.
            (
                threshold(High, 7.1, 0.0, 0, 0),
                vec![7.0, 7.2, 7.0],
                vec![(10, 'A'), (20, 'C')],
            ),
            // Exactly at the limit is not above it.
            (threshold(High, 7.1, 0.0, 0, 0), vec![7.1, 7.1], vec![]),
            // Deadband 0.5: 6.8 is not below 6.6, so it stays active until 6.5 at t=40.
            (
                threshold(High, 7.1, 0.5, 0, 0),
                vec![7.0, 7.2, 6.8, 7.0, 6.5],
                vec![(10, 'A'), (40, 'C')],
            ),
            // Hovering around the limit: without deadband it chatters ...
            (
                threshold(High, 7.1, 0.0, 0, 0),
                vec![7.2, 7.0, 7.2, 7.0],
                vec![(0, 'A'), (10, 'C'), (20, 'A'), (30, 'C')],
            ),
            // ... with 0.3 it does not.
            (
                threshold(High, 7.1, 0.3, 0, 0),
                vec![7.2, 7.0, 7.2, 7.0],
                vec![(0, 'A')],
            ),
            // On-delay 20 s: must be above at t=10, 20, 30 -> active at t=30 (30-10 >= 20).
            (
                threshold(High, 7.1, 0.0, 20, 0),
                vec![7.0, 7.2, 7.3, 7.4, 7.0],
                vec![(30, 'A'), (40, 'C')],
            ),
            // An interrupted excursion restarts the on-delay: above 10,20, below 30, above 40..60.
            (
                threshold(High, 7.1, 0.0, 20, 0),
                vec![7.0, 7.2, 7.2, 7.0, 7.2, 7.2, 7.2],
                vec![(60, 'A')],
            ),
            // Off-delay 15 s: below from t=20, cleared at t=40 (first reading >= 15 s later).
            (
                threshold(High, 7.1, 0.0, 0, 15),
                vec![7.2, 7.2, 7.0, 7.0, 7.0],
                vec![(0, 'A'), (40, 'C')],
            ),
            // Low and low-low clear above limit + deadband.
            (
                threshold(Low, 2.0, 0.5, 0, 0),
                vec![2.5, 1.9, 2.4, 2.6],
                vec![(10, 'A'), (30, 'C')],
            ),
            (
                threshold(LowLow, 1.0, 0.0, 0, 0),
                vec![1.5, 0.5, 0.9, 1.1],
                vec![(10, 'A'), (30, 'C')],
            ),
            // High-high behaves like high.
            (
                threshold(HighHigh, 11.0, 1.0, 0, 0),
                vec![12.0, 10.5, 9.9],
                vec![(0, 'A'), (20, 'C')],
            ),
        ];
        for (p, vs, want) in cases {
            assert_eq!(run(&p, &series(&vs)), want, "{p:?} {vs:?}");
        }
    }

    #[test]
    fn replays_and_late_readings_change_nothing() {
        let p = threshold(ThresholdLevel::High, 5.0, 0.0, 0, 0);
        assert_eq!(
            run(&p, &[(10, 6.0), (10, 1.0), (5, 1.0), (20, 6.0)]),
            vec![(10, 'A')]
        );
    }

    #[test]
    fn rate_of_change() {
        let p = RuleParams::RateOfChange {
            max_per_minute: 2.0,
            window_s: 60,
            deadband: 0.5,
            on_delay_s: 0,
            off_delay_s: 0,
        };
        // One reading every 15 s. Rates over the 60 s window (by hand):
        // t=30: (10.5-10)/0.5 min = 1.0; t=45: (11.5-10)/0.75 = 2.0 (not above);
        // t=60: (13-10)/1 = 3.0 -> active; from now on the oldest reading inside the window:
        // t=75: (13.5-10)/1 = 3.5; t=90: (13.6-10.5)/1 = 3.1; t=105: (13.6-11.5)/1 = 2.1
        // (not below 2.0-0.5); t=120: (13.6-13)/1 = 0.6 -> cleared.
        let readings = [
            (0, 10.0),
            (15, 10.0),
            (30, 10.5),
            (45, 11.5),
            (60, 13.0),
            (75, 13.5),
            (90, 13.6),
            (105, 13.6),
            (120, 13.6),
        ];
        assert_eq!(run(&p, &readings), vec![(60, 'A'), (120, 'C')]);
        // a fall is a change too: (4-10)/1 min = -6
        assert_eq!(
            run(&p, &[(0, 10.0), (30, 10.0), (60, 4.0)]),
            vec![(60, 'A')]
        );
        // less than half the window: no judgement yet
        assert_eq!(run(&p, &[(0, 10.0), (20, 50.0)]), vec![]);
    }

    #[test]
    fn drift_from_a_rolling_baseline() {
        let p = RuleParams::Drift {
            alpha: 0.5,
            k: 3.0,
            warmup: 4,
            deadband_sigma: 1.0,
            on_delay_s: 0,
            off_delay_s: 0,
        };
        // Baseline by hand (alpha 0.5): x=10 -> mean 10, var 0;
        // x=12: diff 2, incr 1 -> mean 11, var 0.5*(0+2) = 1;
        // x=10: diff -1, incr -0.5 -> mean 10.5, var 0.5*(1+0.5) = 0.75;
        // x=12: diff 1.5, incr 0.75 -> mean 11.25, var 0.5*(0.75+1.125) = 0.9375 (n = 4).
        // Now σ = 0.968; 3σ = 2.905. x=14: |14-11.25| = 2.75 -> normal, baseline moves:
        // diff 2.75, incr 1.375 -> mean 12.625, var 0.5*(0.9375+3.78125) = 2.359375, σ = 1.536.
        // x=18: |18-12.625| = 5.375 > 4.608 -> active (baseline frozen).
        // x=15: |15-12.625| = 2.375 < (3-1)*1.536 = 3.072 -> cleared.
        let readings = [
            (0, 10.0),
            (1, 12.0),
            (2, 10.0),
            (3, 12.0),
            (4, 14.0),
            (5, 18.0),
            (6, 15.0),
        ];
        assert_eq!(run(&p, &readings), vec![(5, 'A'), (6, 'C')]);
        // during warm-up nothing is judged, however wild
        assert_eq!(run(&p, &[(0, 10.0), (1, 1000.0), (2, -1000.0)]), vec![]);
        let mut s = RuleState::new(&p);
        for (t, v) in &readings[..4] {
            s = evaluate(&s, Sample::new(t * 1000, *v), &p).0;
        }
        match s.memory {
            Memory::Baseline { n, mean, var } => {
                assert_eq!(n, 4);
                assert!((mean - 11.25).abs() < 1e-12);
                assert!((var - 0.9375).abs() < 1e-12);
            }
            m => panic!("{m:?}"),
        }
    }

    #[test]
    fn rebuild_restores_memory_and_the_alarm_state() {
        let p = RuleParams::RateOfChange {
            max_per_minute: 2.0,
            window_s: 60,
            deadband: 0.0,
            on_delay_s: 0,
            off_delay_s: 0,
        };
        let hist = [Sample::new(0, 10.0), Sample::new(30_000, 10.0)];
        let s = RuleState::rebuild(&p, &hist, true);
        assert!(s.active);
        assert_eq!(s.last_at, Some(30_000));
        // the window carried over: at 60 s the rate is (10-10)/1 = 0 -> clears
        let (_, t) = evaluate(&s, Sample::new(60_000, 10.0), &p);
        assert!(matches!(t, Some(Transition::Cleared(_))));
    }

    #[test]
    fn parameter_checks() {
        let bad = RuleParams::Drift {
            alpha: 1.0,
            k: 0.0,
            warmup: 1,
            deadband_sigma: -1.0,
            on_delay_s: 100_000,
            off_delay_s: 0,
        };
        let fields: Vec<String> = bad
            .check("rules[0].params")
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            vec![
                "rules[0].params.on_delay_s",
                "rules[0].params.alpha",
                "rules[0].params.k",
                "rules[0].params.warmup",
                "rules[0].params.deadband_sigma",
            ]
        );
        assert!(
            threshold(ThresholdLevel::High, 7.1, 0.5, 10, 10)
                .check("p")
                .is_ok()
        );
        assert!(
            threshold(ThresholdLevel::High, f64::NAN, 0.0, 0, 0)
                .check("p")
                .is_err()
        );
        let json: RuleParams = serde_json::from_value(
            serde_json::json!({"kind": "threshold", "level": "hh", "limit": 11.0}),
        )
        .unwrap();
        assert_eq!(json, threshold(ThresholdLevel::HighHigh, 11.0, 0.0, 0, 0));
        assert!(
            serde_json::from_value::<RuleParams>(
                serde_json::json!({"kind": "threshold", "level": "h", "limit": 1.0, "limt": 2})
            )
            .is_err()
        );
    }
}
