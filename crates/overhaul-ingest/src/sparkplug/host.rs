//! The Sparkplug B host application state machine: pure, driven by (topic, payload, now).
//!
//! Per edge node it tracks the birth/death sequence number (`bdSeq`) of the NBIRTH and NDEATH,
//! the message sequence number (`seq`, 0–255 wrapping) and the alias maps built from NBIRTH and
//! DBIRTH, so that DATA messages carrying only aliases resolve to metric names and datatypes.
//! NDEATH (with the birth's `bdSeq`) and DDEATH mark metrics stale. A sequence gap, DATA before
//! any BIRTH, or an unknown alias asks for a rebirth (NCMD `Node Control/Rebirth = true`), at most
//! once per configured interval per edge node.
//!
//! Deviation from the specification, on purpose: a seq gap asks for a rebirth at once instead of
//! after a reorder timeout. QoS 0 Sparkplug messages over one MQTT connection arrive in order, so
//! a gap means a lost message; the rate limit keeps this from flooding the edge node.

use super::proto::{Metric, Payload};
use super::topic::MessageType;
use super::value::{MetricValue, ValueError};
use std::collections::HashMap;

/// An edge node is identified by its group and edge node id.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeKey {
    pub group_id: String,
    pub edge_node_id: String,
}

/// Why a rebirth is requested.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RebirthReason {
    /// DATA or DBIRTH/DDEATH before an NBIRTH (or after an NDEATH).
    NotBorn,
    /// DDATA/DDEATH for a device that has no DBIRTH.
    DeviceNotBorn,
    /// `seq` did not follow the previous message's.
    SeqGap { expected: u8, got: u64 },
    /// A metric named by an alias that no BIRTH defined.
    UnknownAlias(u64),
    /// A DATA/DEATH message without a `seq`.
    MissingSeq,
}

/// Problems with single metrics; the rest of the message is still used.
#[derive(Clone, Debug, PartialEq)]
pub enum MetricProblem {
    UnknownAlias(u64),
    /// Neither a name nor an alias.
    Anonymous,
    /// A name that no BIRTH defined and without its own datatype.
    UnknownName(String),
    Value(String, ValueError),
}

/// A metric value with its name resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedMetric {
    pub device_id: Option<String>,
    pub name: String,
    pub value: MetricValue,
    /// Metric timestamp, else payload timestamp; `None` when neither is given.
    pub timestamp_ms: Option<u64>,
    /// Store-and-forward data: store, but do not raise live alarms from it.
    pub historical: bool,
}

/// Metrics became stale (their source went offline).
#[derive(Clone, Debug, PartialEq)]
pub struct Stale {
    pub node: NodeKey,
    /// `None`: the whole node (all its devices too); `Some`: one device.
    pub device_id: Option<String>,
    pub at_ms: i64,
}

/// A rebirth request to publish (NCMD).
#[derive(Clone, Debug, PartialEq)]
pub struct RebirthRequest {
    pub node: NodeKey,
    pub reason: RebirthReason,
}

/// What one message did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    pub metrics: Vec<ResolvedMetric>,
    pub problems: Vec<MetricProblem>,
    pub stale: Option<Stale>,
    pub rebirth: Option<RebirthRequest>,
    /// A reason a rebirth was wanted but suppressed by the rate limit.
    pub rebirth_suppressed: Option<RebirthReason>,
}

#[derive(Clone, Debug)]
struct MetricDef {
    device_id: Option<String>,
    name: String,
    datatype: Option<u32>,
}

#[derive(Clone, Debug, Default)]
struct NodeState {
    online: bool,
    bd_seq: Option<u64>,
    last_seq: Option<u8>,
    /// Alias → metric (aliases are unique per edge node, across its devices).
    aliases: HashMap<u64, MetricDef>,
    /// (device, name) → datatype.
    names: HashMap<(Option<String>, String), Option<u32>>,
    /// Devices with a DBIRTH since the last NBIRTH; `false` after their DDEATH.
    devices: HashMap<String, bool>,
    last_rebirth_request_ms: Option<i64>,
}

/// The host application's view of all edge nodes.
#[derive(Debug)]
pub struct HostState {
    nodes: HashMap<NodeKey, NodeState>,
    rebirth_interval_ms: i64,
}

/// The bdSeq metric of NBIRTH/NDEATH.
pub const BD_SEQ: &str = "bdSeq";
/// The metric a host writes to ask an edge node for a rebirth.
pub const REBIRTH_METRIC: &str = "Node Control/Rebirth";

impl HostState {
    /// `rebirth_interval_ms`: minimum time between two rebirth requests to one edge node.
    pub fn new(rebirth_interval_ms: i64) -> Self {
        HostState {
            nodes: HashMap::new(),
            rebirth_interval_ms,
        }
    }

    /// Whether the node is online (born and not dead).
    pub fn is_online(&self, node: &NodeKey) -> bool {
        self.nodes.get(node).is_some_and(|n| n.online)
    }

    /// Feed one message. `now_ms` is the host's clock (used for NDEATH staleness and the
    /// rebirth rate limit).
    pub fn handle(
        &mut self,
        node: &NodeKey,
        message_type: MessageType,
        device_id: Option<&str>,
        payload: &Payload,
        now_ms: i64,
    ) -> Outcome {
        let mut out = Outcome::default();
        let interval = self.rebirth_interval_ms;
        let state = self.nodes.entry(node.clone()).or_default();
        let want_rebirth: Option<RebirthReason> = match message_type {
            MessageType::NCmd | MessageType::DCmd => None,
            MessageType::NBirth => {
                *state = NodeState {
                    online: true,
                    bd_seq: bd_seq(payload),
                    last_seq: payload.seq.and_then(|s| u8::try_from(s).ok()),
                    last_rebirth_request_ms: state.last_rebirth_request_ms,
                    ..NodeState::default()
                };
                register_birth(state, None, payload, &mut out);
                None
            }
            MessageType::NDeath => {
                // A death whose bdSeq does not match the current birth belongs to an older
                // session (the Will of a connection that was replaced): ignore it.
                let matches = match (bd_seq(payload), state.bd_seq) {
                    (Some(d), Some(b)) => d == b,
                    _ => true,
                };
                if matches && state.online {
                    state.online = false;
                    for alive in state.devices.values_mut() {
                        *alive = false;
                    }
                    out.stale = Some(Stale {
                        node: node.clone(),
                        device_id: None,
                        at_ms: now_ms,
                    });
                }
                None
            }
            MessageType::DBirth | MessageType::DData | MessageType::DDeath | MessageType::NData => {
                if !state.online {
                    Some(RebirthReason::NotBorn)
                } else {
                    let seq_problem = check_seq(state, payload);
                    let device_problem = match (message_type, device_id) {
                        (MessageType::DBirth, Some(d)) => {
                            state.devices.insert(d.to_owned(), true);
                            // A new DBIRTH replaces that device's definitions.
                            state
                                .aliases
                                .retain(|_, m| m.device_id.as_deref() != Some(d));
                            state.names.retain(|(dev, _), _| dev.as_deref() != Some(d));
                            register_birth(state, Some(d), payload, &mut out);
                            None
                        }
                        (MessageType::DData, Some(d)) => {
                            if state.devices.get(d) == Some(&true) {
                                resolve_data(state, Some(d), payload, &mut out);
                                None
                            } else {
                                Some(RebirthReason::DeviceNotBorn)
                            }
                        }
                        (MessageType::DDeath, Some(d)) => {
                            if state.devices.get(d) == Some(&true) {
                                state.devices.insert(d.to_owned(), false);
                                let at_ms = payload
                                    .timestamp
                                    .and_then(|t| i64::try_from(t).ok())
                                    .unwrap_or(now_ms);
                                out.stale = Some(Stale {
                                    node: node.clone(),
                                    device_id: Some(d.to_owned()),
                                    at_ms,
                                });
                            }
                            None
                        }
                        (MessageType::NData, None) => {
                            resolve_data(state, None, payload, &mut out);
                            None
                        }
                        // Topic shapes are validated by the parser; a mismatch here means a
                        // caller bug, answered by asking for a fresh birth.
                        _ => Some(RebirthReason::DeviceNotBorn),
                    };
                    let alias_problem = out.problems.iter().find_map(|p| match p {
                        MetricProblem::UnknownAlias(a) => Some(RebirthReason::UnknownAlias(*a)),
                        _ => None,
                    });
                    seq_problem.or(device_problem).or(alias_problem)
                }
            }
        };
        if let Some(reason) = want_rebirth {
            let due = state
                .last_rebirth_request_ms
                .is_none_or(|t| now_ms.saturating_sub(t) >= interval);
            if due {
                state.last_rebirth_request_ms = Some(now_ms);
                out.rebirth = Some(RebirthRequest {
                    node: node.clone(),
                    reason,
                });
            } else {
                out.rebirth_suppressed = Some(reason);
            }
        }
        out
    }
}

fn bd_seq(payload: &Payload) -> Option<u64> {
    payload
        .metrics
        .iter()
        .find(|m| m.name.as_deref() == Some(BD_SEQ))
        .and_then(|m| match MetricValue::decode(m, m.datatype.or(Some(4))) {
            Ok(MetricValue::Int64(v)) => u64::try_from(v).ok(),
            Ok(MetricValue::UInt64(v)) => Some(v),
            Ok(v) => v.as_f64().map(|f| f as u64),
            Err(_) => None,
        })
}

/// Check and advance `seq`; a gap or a missing seq is reported.
fn check_seq(state: &mut NodeState, payload: &Payload) -> Option<RebirthReason> {
    let Some(got) = payload.seq else {
        return Some(RebirthReason::MissingSeq);
    };
    let expected = state.last_seq.map_or(0, |s| s.wrapping_add(1));
    state.last_seq = u8::try_from(got).ok();
    if got == u64::from(expected) {
        None
    } else {
        Some(RebirthReason::SeqGap { expected, got })
    }
}

fn ts(metric: &Metric, payload: &Payload) -> Option<u64> {
    metric.timestamp.or(payload.timestamp)
}

fn register_birth(
    state: &mut NodeState,
    device: Option<&str>,
    payload: &Payload,
    out: &mut Outcome,
) {
    for m in &payload.metrics {
        let Some(name) = m.name.clone() else {
            out.problems.push(MetricProblem::Anonymous);
            continue;
        };
        let device_id = device.map(str::to_owned);
        if let Some(alias) = m.alias {
            state.aliases.insert(
                alias,
                MetricDef {
                    device_id: device_id.clone(),
                    name: name.clone(),
                    datatype: m.datatype,
                },
            );
        }
        state
            .names
            .insert((device_id.clone(), name.clone()), m.datatype);
        push_value(out, device_id, name, m, m.datatype, payload);
    }
}

fn resolve_data(state: &NodeState, device: Option<&str>, payload: &Payload, out: &mut Outcome) {
    for m in &payload.metrics {
        let (name, datatype) = match (&m.name, m.alias) {
            (Some(name), _) => {
                let key = (device.map(str::to_owned), name.clone());
                match (state.names.get(&key), m.datatype) {
                    (_, Some(dt)) => (name.clone(), Some(dt)),
                    (Some(dt), None) => (name.clone(), *dt),
                    (None, None) => {
                        out.problems.push(MetricProblem::UnknownName(name.clone()));
                        continue;
                    }
                }
            }
            (None, Some(alias)) => match state.aliases.get(&alias) {
                Some(def) if def.device_id.as_deref() == device => {
                    (def.name.clone(), m.datatype.or(def.datatype))
                }
                _ => {
                    out.problems.push(MetricProblem::UnknownAlias(alias));
                    continue;
                }
            },
            (None, None) => {
                out.problems.push(MetricProblem::Anonymous);
                continue;
            }
        };
        push_value(out, device.map(str::to_owned), name, m, datatype, payload);
    }
}

fn push_value(
    out: &mut Outcome,
    device_id: Option<String>,
    name: String,
    m: &Metric,
    datatype: Option<u32>,
    payload: &Payload,
) {
    match MetricValue::decode(m, datatype) {
        Ok(value) => out.metrics.push(ResolvedMetric {
            device_id,
            name,
            value,
            timestamp_ms: ts(m, payload),
            historical: m.is_historical == Some(true),
        }),
        Err(e) => out.problems.push(MetricProblem::Value(name, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sparkplug::value::DataType;

    fn key() -> NodeKey {
        NodeKey {
            group_id: "G".into(),
            edge_node_id: "E".into(),
        }
    }

    fn metric(name: Option<&str>, alias: Option<u64>, v: MetricValue) -> Metric {
        let (value, is_null) = v.encode();
        Metric {
            name: name.map(Into::into),
            alias,
            datatype: name.map(|_| v.datatype().code()),
            value,
            is_null: is_null.then_some(true),
            ..Default::default()
        }
    }

    fn payload(seq: Option<u64>, metrics: Vec<Metric>) -> Payload {
        Payload {
            timestamp: Some(1_000),
            seq,
            metrics,
            ..Default::default()
        }
    }

    fn nbirth(seq: u64, bd: i64) -> Payload {
        payload(
            Some(seq),
            vec![
                metric(Some(BD_SEQ), None, MetricValue::Int64(bd)),
                metric(Some(REBIRTH_METRIC), None, MetricValue::Boolean(false)),
                metric(Some("temp"), Some(1), MetricValue::Double(20.5)),
            ],
        )
    }

    fn dbirth(seq: u64) -> Payload {
        payload(
            Some(seq),
            vec![
                metric(Some("vib"), Some(2), MetricValue::Float(1.5)),
                metric(Some("run"), Some(3), MetricValue::Boolean(true)),
            ],
        )
    }

    fn by_alias(seq: u64, alias: u64, v: MetricValue) -> Payload {
        payload(Some(seq), vec![metric(None, Some(alias), v)])
    }

    #[test]
    fn a_full_life_cycle() {
        let mut h = HostState::new(5_000);
        let k = key();
        let o = h.handle(&k, MessageType::NBirth, None, &nbirth(0, 7), 10);
        assert_eq!(o.rebirth, None);
        assert_eq!(o.metrics.len(), 3, "birth values are reported");
        let o = h.handle(&k, MessageType::DBirth, Some("D"), &dbirth(1), 11);
        assert_eq!((o.metrics.len(), o.rebirth.clone()), (2, None));

        // DDATA by alias resolves to the device's metric name and datatype.
        let o = h.handle(
            &k,
            MessageType::DData,
            Some("D"),
            &by_alias(2, 2, MetricValue::Float(3.5)),
            12,
        );
        assert_eq!(o.rebirth, None);
        assert_eq!(o.metrics[0].name, "vib");
        assert_eq!(o.metrics[0].value, MetricValue::Float(3.5));
        assert_eq!(o.metrics[0].device_id.as_deref(), Some("D"));

        // NDATA by alias for the node's metric; a device alias is not valid at node level.
        let o = h.handle(
            &k,
            MessageType::NData,
            None,
            &by_alias(3, 1, MetricValue::Double(21.0)),
            13,
        );
        assert_eq!(o.metrics[0].name, "temp");
        let o = h.handle(
            &k,
            MessageType::NData,
            None,
            &by_alias(4, 2, MetricValue::Float(1.0)),
            14,
        );
        assert_eq!(o.problems, vec![MetricProblem::UnknownAlias(2)]);
        assert_eq!(
            o.rebirth.map(|r| r.reason),
            Some(RebirthReason::UnknownAlias(2))
        );

        // DDEATH: stale at its own timestamp.
        let o = h.handle(
            &k,
            MessageType::DDeath,
            Some("D"),
            &payload(Some(5), vec![]),
            15,
        );
        assert_eq!(
            o.stale.map(|s| (s.device_id, s.at_ms)),
            Some((Some("D".into()), 1_000))
        );

        // An NDEATH with an older bdSeq is ignored; the matching one marks the node stale.
        let death = |bd| {
            payload(
                None,
                vec![metric(Some(BD_SEQ), None, MetricValue::Int64(bd))],
            )
        };
        assert_eq!(
            h.handle(&k, MessageType::NDeath, None, &death(6), 20).stale,
            None
        );
        assert!(h.is_online(&k));
        let o = h.handle(&k, MessageType::NDeath, None, &death(7), 21);
        assert_eq!(o.stale.map(|s| (s.device_id, s.at_ms)), Some((None, 21)));
        assert!(!h.is_online(&k));
    }

    #[test]
    fn seq_wraps_at_255_and_a_gap_asks_for_rebirth_rate_limited() {
        let mut h = HostState::new(5_000);
        let k = key();
        h.handle(&k, MessageType::NBirth, None, &nbirth(250, 1), 0);
        for (i, seq) in (251..=255).chain(0..3).enumerate() {
            let o = h.handle(
                &k,
                MessageType::NData,
                None,
                &by_alias(seq, 1, MetricValue::Double(1.0)),
                i as i64,
            );
            assert_eq!(o.rebirth, None, "seq {seq}");
        }
        let o = h.handle(
            &k,
            MessageType::NData,
            None,
            &by_alias(9, 1, MetricValue::Double(1.0)),
            100,
        );
        assert_eq!(
            o.rebirth.map(|r| r.reason),
            Some(RebirthReason::SeqGap {
                expected: 3,
                got: 9
            })
        );
        assert_eq!(o.metrics.len(), 1, "the data itself is still used");
        // Another gap within the interval is suppressed, after it a request goes out again.
        let o = h.handle(
            &k,
            MessageType::NData,
            None,
            &by_alias(20, 1, MetricValue::Double(1.0)),
            4_000,
        );
        assert_eq!((o.rebirth, o.rebirth_suppressed.is_some()), (None, true));
        let o = h.handle(
            &k,
            MessageType::NData,
            None,
            &by_alias(30, 1, MetricValue::Double(1.0)),
            5_100,
        );
        assert!(o.rebirth.is_some());
        // The rebirth resets seq and aliases.
        let o = h.handle(&k, MessageType::NBirth, None, &nbirth(0, 1), 5_200);
        assert_eq!(o.rebirth, None);
        let o = h.handle(
            &k,
            MessageType::NData,
            None,
            &by_alias(1, 1, MetricValue::Double(2.0)),
            5_300,
        );
        assert_eq!((o.rebirth, o.metrics.len()), (None, 1));
    }

    #[test]
    fn data_before_birth_and_unborn_devices_ask_for_rebirth() {
        let mut h = HostState::new(0);
        let k = key();
        let o = h.handle(
            &k,
            MessageType::NData,
            None,
            &by_alias(0, 1, MetricValue::Double(1.0)),
            0,
        );
        assert_eq!(o.rebirth.map(|r| r.reason), Some(RebirthReason::NotBorn));
        assert!(o.metrics.is_empty());
        h.handle(&k, MessageType::NBirth, None, &nbirth(0, 1), 1);
        let o = h.handle(
            &k,
            MessageType::DData,
            Some("X"),
            &by_alias(1, 2, MetricValue::Float(1.0)),
            2,
        );
        assert_eq!(
            o.rebirth.map(|r| r.reason),
            Some(RebirthReason::DeviceNotBorn)
        );
        let o = h.handle(&k, MessageType::NData, None, &payload(None, vec![]), 3);
        assert_eq!(o.rebirth.map(|r| r.reason), Some(RebirthReason::MissingSeq));
    }

    #[test]
    fn data_by_name_uses_the_birth_datatype_and_wrong_carriers_are_problems() {
        let mut h = HostState::new(0);
        let k = key();
        h.handle(&k, MessageType::NBirth, None, &nbirth(0, 1), 0);
        let mut m = metric(Some("temp"), None, MetricValue::Double(5.0));
        m.datatype = None;
        let o = h.handle(&k, MessageType::NData, None, &payload(Some(1), vec![m]), 1);
        assert_eq!(o.metrics[0].value, MetricValue::Double(5.0));
        let bad = Metric {
            alias: Some(1),
            value: Some(crate::sparkplug::proto::metric::Value::StringValue(
                "x".into(),
            )),
            ..Default::default()
        };
        let o = h.handle(
            &k,
            MessageType::NData,
            None,
            &payload(Some(2), vec![bad]),
            2,
        );
        assert_eq!(
            o.problems,
            vec![MetricProblem::Value(
                "temp".into(),
                ValueError::Mismatch(DataType::Double)
            )]
        );
        let mut unknown = metric(Some("nope"), None, MetricValue::Double(1.0));
        unknown.datatype = None;
        let o = h.handle(
            &k,
            MessageType::NData,
            None,
            &payload(Some(3), vec![unknown]),
            3,
        );
        assert_eq!(o.problems, vec![MetricProblem::UnknownName("nope".into())]);
    }
}
