//! Ingest counters (atomics, shared with whoever exports metrics) and rate-limited logging: a
//! reason is logged at most once per interval, with the number of occurrences in between.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Why a message or a value was not turned into a sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RejectReason {
    /// A plain-JSON payload that is not JSON.
    MalformedJson,
    /// A Sparkplug payload that does not decode as protobuf.
    BadProtobuf,
    /// A Sparkplug DATA metric with an alias no BIRTH defined.
    UnknownAlias,
    /// A value of a type that is not a number or boolean, or that does not match its datatype.
    WrongType,
    /// NaN or ±infinity.
    NotFinite,
    /// A message on a topic no binding (any longer) covers, or an invalid Sparkplug topic.
    UnknownTopic,
    /// The JSON pointer of a binding finds nothing in the payload.
    MissingValue,
    /// A timestamp before 2000-01-01 or more than a day ahead of the host clock.
    BadTimestamp,
    /// An OPC UA value whose status code is not Good (Bad or Uncertain).
    BadStatus,
}

impl RejectReason {
    pub const ALL: [RejectReason; 9] = [
        RejectReason::MalformedJson,
        RejectReason::BadProtobuf,
        RejectReason::UnknownAlias,
        RejectReason::WrongType,
        RejectReason::NotFinite,
        RejectReason::UnknownTopic,
        RejectReason::MissingValue,
        RejectReason::BadTimestamp,
        RejectReason::BadStatus,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::MalformedJson => "malformed_json",
            RejectReason::BadProtobuf => "bad_protobuf",
            RejectReason::UnknownAlias => "unknown_alias",
            RejectReason::WrongType => "wrong_type",
            RejectReason::NotFinite => "not_finite",
            RejectReason::UnknownTopic => "unknown_topic",
            RejectReason::MissingValue => "missing_value",
            RejectReason::BadTimestamp => "bad_timestamp",
            RejectReason::BadStatus => "bad_status",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

const N: usize = RejectReason::ALL.len();

/// Counters of one connector. All counts are totals since start.
#[derive(Debug, Default)]
pub struct Counters {
    /// MQTT messages received.
    pub received: AtomicU64,
    /// Messages whose payload decoded (JSON parsed, protobuf decoded).
    pub decoded: AtomicU64,
    /// Samples handed on.
    pub samples: AtomicU64,
    /// Rebirth requests published.
    pub rebirths_requested: AtomicU64,
    /// NDEATH/DDEATH that marked metrics stale.
    pub stale_events: AtomicU64,
    /// (Re)connections to the broker.
    pub connections: AtomicU64,
    rejected: [AtomicU64; N],
    // Rate-limited logging state per reason.
    last_logged_ms: [AtomicI64; N],
    since_logged: [AtomicU64; N],
}

/// A copy of the counters at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub received: u64,
    pub decoded: u64,
    pub samples: u64,
    pub rebirths_requested: u64,
    pub stale_events: u64,
    pub connections: u64,
    pub rejected: Vec<(RejectReason, u64)>,
}

impl Snapshot {
    pub fn rejected(&self, reason: RejectReason) -> u64 {
        self.rejected
            .iter()
            .find(|(r, _)| *r == reason)
            .map_or(0, |(_, n)| *n)
    }
}

impl Counters {
    pub fn rejected(&self, reason: RejectReason) -> u64 {
        self.rejected[reason.index()].load(Ordering::Relaxed)
    }

    pub fn snapshot(&self) -> Snapshot {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Snapshot {
            received: l(&self.received),
            decoded: l(&self.decoded),
            samples: l(&self.samples),
            rebirths_requested: l(&self.rebirths_requested),
            stale_events: l(&self.stale_events),
            connections: l(&self.connections),
            rejected: RejectReason::ALL
                .iter()
                .map(|r| (*r, self.rejected(*r)))
                .collect(),
        }
    }

    /// Count a rejection and log it, at most once per `interval_ms` per reason.
    pub fn reject(
        &self,
        reason: RejectReason,
        topic: &str,
        detail: &str,
        now_ms: i64,
        interval_ms: i64,
    ) {
        self.rejected[reason.index()].fetch_add(1, Ordering::Relaxed);
        if let Some(suppressed) = self.should_log(reason, now_ms, interval_ms) {
            tracing::warn!(
                reason = reason.as_str(),
                topic,
                detail,
                suppressed_since_last_log = suppressed,
                "ingest rejected input"
            );
        }
    }

    /// `Some(number of occurrences not logged since the last log)` when this occurrence
    /// should be logged.
    pub fn should_log(&self, reason: RejectReason, now_ms: i64, interval_ms: i64) -> Option<u64> {
        let i = reason.index();
        let last = self.last_logged_ms[i].load(Ordering::Relaxed);
        let due = last == 0 || now_ms.saturating_sub(last) >= interval_ms;
        if due
            && self.last_logged_ms[i]
                .compare_exchange(last, now_ms.max(1), Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            return Some(self.since_logged[i].swap(0, Ordering::Relaxed));
        }
        self.since_logged[i].fetch_add(1, Ordering::Relaxed);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logging_is_once_per_interval_and_reports_what_it_suppressed() {
        let c = Counters::default();
        let r = RejectReason::MalformedJson;
        assert_eq!(c.should_log(r, 1_000, 10_000), Some(0));
        assert_eq!(c.should_log(r, 1_001, 10_000), None);
        assert_eq!(c.should_log(r, 9_999, 10_000), None);
        assert_eq!(
            c.should_log(RejectReason::NotFinite, 9_999, 10_000),
            Some(0),
            "per reason"
        );
        assert_eq!(c.should_log(r, 11_000, 10_000), Some(2));
        assert_eq!(c.should_log(r, 11_001, 10_000), None);
    }

    #[test]
    fn rejections_are_counted_per_reason() {
        let c = Counters::default();
        for _ in 0..3 {
            c.reject(RejectReason::BadProtobuf, "t", "", 1, 1_000);
        }
        c.reject(RejectReason::UnknownAlias, "t", "", 1, 1_000);
        let s = c.snapshot();
        assert_eq!(s.rejected(RejectReason::BadProtobuf), 3);
        assert_eq!(s.rejected(RejectReason::UnknownAlias), 1);
        assert_eq!(s.rejected(RejectReason::WrongType), 0);
    }
}
