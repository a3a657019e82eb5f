//! Instants: always UTC, always at microsecond precision.
//!
//! PostgreSQL keeps microseconds; SQLite keeps whatever text it is given. Truncating at the edge
//! makes a value read back from either database equal to the value written, which the audit
//! hash chain depends on.

use chrono::{DateTime, SubsecRound, Utc};

pub type Instant = DateTime<Utc>;

pub fn micros(t: Instant) -> Instant {
    t.trunc_subsecs(6)
}

/// The canonical text form used in hashes and cursors: RFC 3339, six fraction digits, `Z`.
pub fn canonical(t: Instant) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Checks an interval: `end` (when given) must not be before `start`.
pub fn check_interval(start: Instant, end: Option<Instant>) -> Result<(), String> {
    match end {
        Some(e) if e < start => Err("must not be before the start".into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn canonical_form_is_fixed_width() {
        let t = Utc.with_ymd_and_hms(2026, 3, 29, 1, 2, 3).single().unwrap();
        assert_eq!(canonical(t), "2026-03-29T01:02:03.000000Z");
        let t2 = t + chrono::Duration::nanoseconds(1_234_567);
        assert_eq!(canonical(micros(t2)), "2026-03-29T01:02:03.001234Z");
    }

    #[test]
    fn intervals() {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap();
        assert!(check_interval(t, None).is_ok());
        assert!(check_interval(t, Some(t)).is_ok());
        assert!(check_interval(t, Some(t - chrono::Duration::seconds(1))).is_err());
    }
}
