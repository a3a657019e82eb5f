//! Run hours from a boolean run signal: the time between a reading that says "running" and the
//! next reading, summed by reading timestamps. A silence longer than the allowed gap is not
//! counted (the machine may have stopped without anyone telling us).

/// The last reading of a run signal seen by the integrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunState {
    pub last: Option<(i64, bool)>,
}

/// Feeds one reading (epoch ms, running?) and returns the new state and the run time it adds,
/// in milliseconds. Readings at or before the last one are ignored.
pub fn integrate(state: RunState, at_ms: i64, running: bool, max_gap_ms: i64) -> (RunState, i64) {
    match state.last {
        Some((t, _)) if at_ms <= t => (state, 0),
        Some((t, was_running)) => {
            let gap = at_ms - t;
            let add = if was_running && gap <= max_gap_ms {
                gap
            } else {
                0
            };
            (
                RunState {
                    last: Some((at_ms, running)),
                },
                add,
            )
        }
        None => (
            RunState {
                last: Some((at_ms, running)),
            },
            0,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(readings: &[(i64, bool)], max_gap_s: i64) -> i64 {
        let mut s = RunState::default();
        let mut sum = 0;
        for (t, on) in readings {
            let (n, add) = integrate(s, t * 1000, *on, max_gap_s * 1000);
            s = n;
            sum += add;
        }
        sum / 1000
    }

    #[test]
    fn run_time_by_hand() {
        type Case<'a> = (&'a [(i64, bool)], i64, i64);
        let cases: &[Case] = &[
            // on at 0, off at 600: 600 s
            (&[(0, true), (600, false)], 3600, 600),
            // repeated "on" heartbeats count continuously: 0..300..600 then off at 900
            (
                &[(0, true), (300, true), (600, true), (900, false)],
                3600,
                900,
            ),
            // off periods do not count: on 0-100, off 100-500, on 500-700
            (
                &[(0, true), (100, false), (500, true), (700, false)],
                3600,
                300,
            ),
            // a silence longer than the max gap (60 s) is not counted: only 0-50 and 1000-1030
            (
                &[(0, true), (50, true), (1000, true), (1030, false)],
                60,
                80,
            ),
            // a gap exactly at the limit counts
            (&[(0, true), (60, false)], 60, 60),
            // replays and late readings add nothing
            (
                &[
                    (0, true),
                    (100, true),
                    (100, true),
                    (50, false),
                    (200, false),
                ],
                3600,
                200,
            ),
            // never on
            (&[(0, false), (100, false)], 3600, 0),
        ];
        for (readings, gap, want) in cases {
            assert_eq!(total(readings, *gap), *want, "{readings:?}");
        }
    }
}
