//! The lifetime total of a counter meter across resets.
//!
//! A counter (run hours, strokes) only grows. When it is replaced, reset to zero or rolls over
//! (a 5-digit hour meter going from 99,998 to 3), that is recorded as a **reset event** giving
//! the last value before the reset and the first after it; the lifetime total stays continuous
//! and meter-based PM keeps counting. A plain reading lower than the last one is refused: it is
//! a typo or a swapped meter, and silently accepting it would postpone the PM.

use crate::time::Instant;
use serde::{Deserialize, Serialize};

/// One event in a counter's history.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MeterEvent {
    /// The counter showed `value` at `at`.
    Reading { at: Instant, value: f64 },
    /// The counter was reset, replaced or rolled over at `at`: it showed `before` just before
    /// and `after` just after.
    Reset {
        at: Instant,
        before: f64,
        after: f64,
    },
}

/// A counter's last raw value and the offset that turns raw values into the lifetime total.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CounterTotal {
    /// What the counter itself shows.
    pub raw: f64,
    /// Lifetime total − raw: what earlier counter lives (before resets) contributed.
    pub offset: f64,
    pub read_at: Instant,
}

fn finite_non_negative(v: f64, what: &str) -> Result<(), String> {
    if !v.is_finite() {
        return Err(format!("{what} must be a finite number"));
    }
    if v < 0.0 {
        return Err(format!("{what} cannot be negative on a counter"));
    }
    Ok(())
}

impl CounterTotal {
    /// The first reading of a counter.
    pub fn first(value: f64, at: Instant) -> Result<Self, String> {
        finite_non_negative(value, "a reading")?;
        Ok(Self {
            raw: value,
            offset: 0.0,
            read_at: at,
        })
    }

    /// Lifetime units counted by this meter position, across every reset.
    pub fn lifetime(&self) -> f64 {
        self.raw + self.offset
    }

    /// Applies one event; refuses a reading that goes backwards without a reset, an event
    /// older than the last one, and non-finite or negative values.
    pub fn apply(&self, event: MeterEvent) -> Result<Self, String> {
        match event {
            MeterEvent::Reading { at, value } => {
                finite_non_negative(value, "a reading")?;
                self.not_older(at)?;
                if value < self.raw {
                    return Err(format!(
                        "a counter cannot go backwards ({} after {}): record a reset if the meter was replaced or rolled over",
                        value, self.raw
                    ));
                }
                Ok(Self {
                    raw: value,
                    offset: self.offset,
                    read_at: at,
                })
            }
            MeterEvent::Reset { at, before, after } => {
                finite_non_negative(before, "the value before the reset")?;
                finite_non_negative(after, "the value after the reset")?;
                self.not_older(at)?;
                if before < self.raw {
                    return Err(format!(
                        "the value before the reset ({before}) is below the last reading ({})",
                        self.raw
                    ));
                }
                Ok(Self {
                    raw: after,
                    offset: self.offset + before - after,
                    read_at: at,
                })
            }
        }
    }

    /// Replays a history; the error names the index of the first refused event.
    pub fn replay(events: &[MeterEvent]) -> Result<Option<Self>, (usize, String)> {
        let mut total: Option<Self> = None;
        for (i, e) in events.iter().enumerate() {
            total = Some(match (total, *e) {
                (Some(t), e) => t.apply(e).map_err(|m| (i, m))?,
                (None, MeterEvent::Reading { at, value }) => {
                    Self::first(value, at).map_err(|m| (i, m))?
                }
                (None, MeterEvent::Reset { at, after, .. }) => {
                    Self::first(after, at).map_err(|m| (i, m))?
                }
            });
        }
        Ok(total)
    }

    fn not_older(&self, at: Instant) -> Result<(), String> {
        if at < self.read_at {
            Err(format!(
                "is older than the last event ({}); counters are recorded in time order",
                crate::time::canonical(self.read_at)
            ))
        } else {
            Ok(())
        }
    }
}

/// Average lifetime units per day between two totals; `None` when no time passed or the
/// counter did not move.
pub fn usage_rate_per_day(earlier: &CounterTotal, later: &CounterTotal) -> Option<f64> {
    let days = (later.read_at - earlier.read_at).num_seconds() as f64 / 86_400.0;
    let units = later.lifetime() - earlier.lifetime();
    (days > 0.0 && units > 0.0).then(|| units / days)
}
