//! Meters and their readings.

use crate::time::Instant;

text_enum!(
    /// A counter only grows (run hours, strokes); a gauge goes up and down (temperature).
    MeterKind {
        Counter => "counter",
        Gauge => "gauge",
    }
);

/// The last accepted reading of a meter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LastReading {
    pub value: f64,
    pub read_at: Instant,
}

/// Decides whether a new reading may be recorded.
///
/// Every value must be finite. A counter must never go backwards in value against a reading
/// taken at or before the new one's time (a counter that was replaced or rolled over is recorded
/// by resetting the meter, not by a lower reading).
pub fn check_reading(
    kind: MeterKind,
    last: Option<LastReading>,
    value: f64,
    read_at: Instant,
) -> Result<(), String> {
    if !value.is_finite() {
        return Err("must be a finite number".into());
    }
    if kind == MeterKind::Counter {
        if value < 0.0 {
            return Err("a counter reading cannot be negative".into());
        }
        if let Some(l) = last
            && read_at >= l.read_at
            && value < l.value
        {
            return Err(format!(
                "a counter cannot go backwards: last reading was {} at {}",
                l.value,
                crate::time::canonical(l.read_at)
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};

    #[test]
    fn readings() {
        let t0 = Utc.with_ymd_and_hms(2026, 5, 1, 8, 0, 0).single().unwrap();
        let last = Some(LastReading {
            value: 100.0,
            read_at: t0,
        });
        let later = t0 + Duration::hours(1);
        let cases = [
            (MeterKind::Counter, None, 0.0, t0, true),
            (MeterKind::Counter, last, 100.0, later, true),
            (MeterKind::Counter, last, 150.5, later, true),
            (MeterKind::Counter, last, 99.9, later, false),
            (MeterKind::Counter, None, -1.0, t0, false),
            (MeterKind::Counter, last, f64::NAN, later, false),
            (MeterKind::Gauge, last, -40.0, later, true),
            (MeterKind::Gauge, last, f64::INFINITY, later, false),
            // an older reading back-filled before the last one is not checked against it
            (
                MeterKind::Counter,
                last,
                50.0,
                t0 - Duration::hours(1),
                true,
            ),
        ];
        for (kind, last, value, at, ok) in cases {
            assert_eq!(
                check_reading(kind, last, value, at).is_ok(),
                ok,
                "{kind:?} {value} {at}"
            );
        }
    }
}
