//! Checks on incoming readings. A bad reading is rejected with a typed reason so the pipeline
//! can count rejects by reason; it never fails the batch it came in.

use super::signal::SignalKind;

text_enum!(
    /// Why a reading was not stored.
    RejectReason {
        NotFinite => "not_finite",
        TooOld => "too_old",
        InFuture => "in_future",
        UnknownSignal => "unknown_signal",
        SignalDisabled => "signal_disabled",
        NotBoolean => "not_boolean",
        NegativeCounter => "negative_counter",
        Duplicate => "duplicate",
    }
);

/// Readings may be at most this far ahead of the receiving clock (clock skew of edge devices).
pub const MAX_FUTURE_MS: i64 = 5 * 60 * 1000;

/// Default time raw readings are kept (rollups are kept longer).
pub const DEFAULT_RETENTION_MS: i64 = 30 * 24 * 3600 * 1000;

/// Checks one reading (value already scaled to engineering units) received at `now_ms`.
/// Readings older than the retention window would be deleted at once, so they are refused.
pub fn check_reading(
    kind: SignalKind,
    at_ms: i64,
    value: f64,
    now_ms: i64,
    retention_ms: i64,
) -> Result<(), RejectReason> {
    if !value.is_finite() {
        return Err(RejectReason::NotFinite);
    }
    if at_ms > now_ms.saturating_add(MAX_FUTURE_MS) {
        return Err(RejectReason::InFuture);
    }
    if at_ms < now_ms.saturating_sub(retention_ms) {
        return Err(RejectReason::TooOld);
    }
    match kind {
        SignalKind::Run if value != 0.0 && value != 1.0 => Err(RejectReason::NotBoolean),
        SignalKind::Counter if value < 0.0 => Err(RejectReason::NegativeCounter),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RejectReason::*;

    #[test]
    fn readings() {
        let now = 1_780_000_000_000_i64; // 2026-05-28
        let day = 24 * 3600 * 1000;
        let ret = DEFAULT_RETENTION_MS;
        let cases = [
            (SignalKind::Gauge, now, 4.2, Ok(())),
            (SignalKind::Gauge, now, -4.2, Ok(())),
            (SignalKind::Gauge, now, f64::NAN, Err(NotFinite)),
            (SignalKind::Gauge, now, f64::INFINITY, Err(NotFinite)),
            (SignalKind::Gauge, now, f64::NEG_INFINITY, Err(NotFinite)),
            // 5 minutes ahead is clock skew; one millisecond more is refused
            (SignalKind::Gauge, now + MAX_FUTURE_MS, 1.0, Ok(())),
            (
                SignalKind::Gauge,
                now + MAX_FUTURE_MS + 1,
                1.0,
                Err(InFuture),
            ),
            (SignalKind::Gauge, now + 365 * day, 1.0, Err(InFuture)),
            // 30 days back is the edge of retention
            (SignalKind::Gauge, now - 30 * day, 1.0, Ok(())),
            (SignalKind::Gauge, now - 30 * day - 1, 1.0, Err(TooOld)),
            // a timestamp of 1970 (an unset device clock)
            (SignalKind::Gauge, 0, 1.0, Err(TooOld)),
            (SignalKind::Run, now, 1.0, Ok(())),
            (SignalKind::Run, now, 0.0, Ok(())),
            (SignalKind::Run, now, 0.5, Err(NotBoolean)),
            (SignalKind::Counter, now, 0.0, Ok(())),
            (SignalKind::Counter, now, -1.0, Err(NegativeCounter)),
        ];
        for (kind, at, v, want) in cases {
            assert_eq!(
                check_reading(kind, at, v, now, ret),
                want,
                "{kind} {at} {v}"
            );
        }
    }
}
