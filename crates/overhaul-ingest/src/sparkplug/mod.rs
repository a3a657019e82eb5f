//! Sparkplug B: payload messages, typed values, topics, and the host application state machine.

pub mod host;
pub mod proto;
pub mod topic;
pub mod value;

pub use host::{HostState, NodeKey, Outcome, RebirthReason, ResolvedMetric, Stale};
pub use proto::{Metric, Payload};
pub use topic::{MessageType, Topic, TopicError};
pub use value::{DataType, MetricValue, ValueError};

use prost::Message;

/// Decode a Sparkplug B payload (anything but STATE).
pub fn decode_payload(bytes: &[u8]) -> Result<Payload, prost::DecodeError> {
    Payload::decode(bytes)
}

/// Encode a Sparkplug B payload.
pub fn encode_payload(payload: &Payload) -> Vec<u8> {
    payload.encode_to_vec()
}

/// A metric with a name and/or alias carrying `value` (typed as the value's datatype).
pub fn metric(name: Option<&str>, alias: Option<u64>, value: &MetricValue) -> Metric {
    let (wire, is_null) = value.encode();
    Metric {
        name: name.map(str::to_owned),
        alias,
        datatype: Some(value.datatype().code()).filter(|c| *c != 0),
        is_null: is_null.then_some(true),
        value: wire,
        ..Default::default()
    }
}

/// The NCMD payload asking an edge node to publish its NBIRTH (and DBIRTHs) again.
pub fn rebirth_command(now_ms: u64) -> Payload {
    Payload {
        timestamp: Some(now_ms),
        metrics: vec![Metric {
            timestamp: Some(now_ms),
            ..metric(
                Some(host::REBIRTH_METRIC),
                None,
                &MetricValue::Boolean(true),
            )
        }],
        ..Default::default()
    }
}

/// The Sparkplug 3.0 host application STATE payload (JSON, not protobuf).
pub fn state_payload(online: bool, timestamp_ms: i64) -> Vec<u8> {
    serde_json::json!({ "online": online, "timestamp": timestamp_ms })
        .to_string()
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebirth_command_round_trips() {
        let p = rebirth_command(42);
        let back = decode_payload(&encode_payload(&p)).unwrap();
        assert_eq!(back, p);
        let m = &back.metrics[0];
        assert_eq!(m.name.as_deref(), Some("Node Control/Rebirth"));
        assert_eq!(m.datatype, Some(11));
        assert_eq!(
            MetricValue::decode(m, m.datatype),
            Ok(MetricValue::Boolean(true))
        );
        assert_eq!(back.seq, None, "commands carry no seq");
    }

    #[test]
    fn state_payload_is_the_3_0_json() {
        let v: serde_json::Value = serde_json::from_slice(&state_payload(true, 5)).unwrap();
        assert_eq!(v, serde_json::json!({"online": true, "timestamp": 5}));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode_payload(&[0xff, 0xff, 0xff]).is_err());
        assert!(
            decode_payload(&[0x12, 0x05, 0x0a]).is_err(),
            "truncated metric"
        );
    }
}
