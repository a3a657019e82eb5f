//! From (topic, payload) to samples: routing by the current bindings, JSON extraction, Sparkplug
//! decoding and host state, and counting of everything rejected. No IO; the MQTT connector
//! feeds it and publishes the rebirth commands it returns.

use crate::counters::{Counters, RejectReason};
use crate::sparkplug::host::{HostState, MetricProblem, NodeKey, Stale};
use crate::sparkplug::{self, MessageType, MetricValue, Topic};
use crate::{Binding, Sample, Source, json};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use uuid::Uuid;

/// Earliest accepted sample time: 2000-01-01T00:00:00Z. Older stamps are clock faults (1970).
pub const MIN_TS_MS: i64 = 946_684_800_000;
/// How far ahead of the host clock a sample may be.
pub const MAX_AHEAD_MS: i64 = 24 * 3600 * 1000;

/// Which Sparkplug metric of which node/device.
type SparkplugKey = (String, String, Option<String>);

/// The bindings, indexed for routing.
#[derive(Debug, Default)]
pub struct Routes {
    json_exact: HashMap<String, Vec<(String, Uuid)>>,
    json_wildcard: Vec<(String, Vec<(String, Uuid)>)>,
    sparkplug: HashMap<SparkplugKey, HashMap<String, Vec<Uuid>>>,
    /// Edge nodes with at least one binding.
    sparkplug_nodes: BTreeSet<NodeKey>,
}

/// How to turn binding topics into subscription filters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionPolicy {
    /// MQTT v5 shared-subscription group for plain-JSON topics (`$share/{group}/…`).
    pub share_group: Option<String>,
    /// Whether Sparkplug topics are subscribed through the share group too. Off by default:
    /// a shared subscription hands each message of an edge node to one instance, so every
    /// instance would see seq gaps and ask for rebirths all the time.
    pub share_sparkplug: bool,
}

impl Default for SubscriptionPolicy {
    fn default() -> Self {
        SubscriptionPolicy {
            share_group: Some("overhaul".into()),
            share_sparkplug: false,
        }
    }
}

impl Routes {
    pub fn new(bindings: &[Binding]) -> Self {
        let mut r = Routes::default();
        let mut wildcard: HashMap<String, Vec<(String, Uuid)>> = HashMap::new();
        for b in bindings {
            match &b.source {
                Source::MqttJson { topic, pointer } => {
                    let entry = (pointer.clone(), b.signal_id);
                    if topic.contains(['+', '#']) {
                        wildcard.entry(topic.clone()).or_default().push(entry);
                    } else {
                        r.json_exact.entry(topic.clone()).or_default().push(entry);
                    }
                }
                Source::Sparkplug {
                    group_id,
                    edge_node_id,
                    device_id,
                    metric,
                } => {
                    r.sparkplug
                        .entry((group_id.clone(), edge_node_id.clone(), device_id.clone()))
                        .or_default()
                        .entry(metric.clone())
                        .or_default()
                        .push(b.signal_id);
                    r.sparkplug_nodes.insert(NodeKey {
                        group_id: group_id.clone(),
                        edge_node_id: edge_node_id.clone(),
                    });
                }
            }
        }
        let mut w: Vec<_> = wildcard.into_iter().collect();
        w.sort_by(|a, b| a.0.cmp(&b.0));
        r.json_wildcard = w;
        r
    }

    /// The subscription filters covering all bindings.
    pub fn subscriptions(&self, policy: &SubscriptionPolicy) -> BTreeSet<String> {
        let share = |f: String, shared: bool| match (&policy.share_group, shared) {
            (Some(g), true) => format!("$share/{g}/{f}"),
            _ => f,
        };
        let mut out = BTreeSet::new();
        for t in self
            .json_exact
            .keys()
            .chain(self.json_wildcard.iter().map(|(t, _)| t))
        {
            out.insert(share(t.clone(), true));
        }
        for n in &self.sparkplug_nodes {
            out.insert(share(
                format!(
                    "{}/{}/+/{}/#",
                    sparkplug::topic::NAMESPACE,
                    n.group_id,
                    n.edge_node_id
                ),
                policy.share_sparkplug,
            ));
        }
        out
    }

    fn json_targets<'a>(&'a self, topic: &str) -> Vec<&'a (String, Uuid)> {
        let mut v: Vec<_> = self.json_exact.get(topic).into_iter().flatten().collect();
        for (filter, targets) in &self.json_wildcard {
            if filter_matches(filter, topic) {
                v.extend(targets);
            }
        }
        v
    }
}

/// MQTT topic filter matching (`+` one level, `#` the rest, including the parent level).
pub fn filter_matches(filter: &str, topic: &str) -> bool {
    // Wildcards never match topics starting with `$` at the first level (MQTT 4.7.2).
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let mut f = filter.split('/');
    let mut t = topic.split('/');
    loop {
        match (f.next(), t.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// What one message produced.
#[derive(Debug, Default)]
pub struct Handled {
    pub samples: Vec<Sample>,
    /// (topic, payload) of NCMD rebirth requests to publish.
    pub commands: Vec<(String, Vec<u8>)>,
    pub stale: Vec<StaleSignals>,
}

/// Signals whose source went offline (NDEATH/DDEATH), at host or death time.
#[derive(Clone, Debug, PartialEq)]
pub struct StaleSignals {
    pub signal_ids: Vec<Uuid>,
    pub at_ms: i64,
}

/// Turns messages into samples. One per connector; holds the Sparkplug host state.
pub struct Pipeline {
    routes: Arc<Routes>,
    host: HostState,
    counters: Arc<Counters>,
    log_interval_ms: i64,
}

impl Pipeline {
    pub fn new(
        routes: Arc<Routes>,
        counters: Arc<Counters>,
        rebirth_interval_ms: i64,
        log_interval_ms: i64,
    ) -> Self {
        Pipeline {
            routes,
            host: HostState::new(rebirth_interval_ms),
            counters,
            log_interval_ms,
        }
    }

    /// Replace the bindings; Sparkplug state (aliases, seq) is kept.
    pub fn set_routes(&mut self, routes: Arc<Routes>) {
        self.routes = routes;
    }

    pub fn counters(&self) -> &Arc<Counters> {
        &self.counters
    }

    fn reject(&self, reason: RejectReason, topic: &str, detail: &str, now_ms: i64) {
        self.counters
            .reject(reason, topic, detail, now_ms, self.log_interval_ms);
    }

    /// Accept a value for a sample or count why not.
    fn admit(&self, value: f64, ts_ms: i64, now_ms: i64, topic: &str) -> bool {
        if !value.is_finite() {
            self.reject(RejectReason::NotFinite, topic, "", now_ms);
            return false;
        }
        if ts_ms < MIN_TS_MS || ts_ms > now_ms.saturating_add(MAX_AHEAD_MS) {
            self.reject(
                RejectReason::BadTimestamp,
                topic,
                &ts_ms.to_string(),
                now_ms,
            );
            return false;
        }
        true
    }

    /// Handle one message received at `now_ms` (host clock, ms since the epoch).
    pub fn handle(&mut self, topic: &str, payload: &[u8], now_ms: i64) -> Handled {
        self.counters.received.fetch_add(1, Ordering::Relaxed);
        let mut out = Handled::default();
        if topic.starts_with("spBv1.0/") {
            self.handle_sparkplug(topic, payload, now_ms, &mut out);
        } else {
            self.handle_json(topic, payload, now_ms, &mut out);
        }
        self.counters
            .samples
            .fetch_add(out.samples.len() as u64, Ordering::Relaxed);
        out
    }

    fn handle_json(&mut self, topic: &str, payload: &[u8], now_ms: i64, out: &mut Handled) {
        let routes = Arc::clone(&self.routes);
        let targets = routes.json_targets(topic);
        if targets.is_empty() {
            self.reject(RejectReason::UnknownTopic, topic, "", now_ms);
            return;
        }
        let doc = match json::parse(payload) {
            Ok(d) => d,
            Err(reason) => {
                self.reject(reason, topic, "", now_ms);
                return;
            }
        };
        self.counters.decoded.fetch_add(1, Ordering::Relaxed);
        for (pointer, signal_id) in targets {
            match json::extract(&doc, pointer) {
                Ok(x) => {
                    let ts_ms = x.ts_ms.unwrap_or(now_ms);
                    if self.admit(x.value, ts_ms, now_ms, topic) {
                        out.samples.push(Sample {
                            signal_id: *signal_id,
                            ts_ms,
                            value: x.value,
                        });
                    }
                }
                Err(reason) => self.reject(reason, topic, pointer, now_ms),
            }
        }
    }

    fn handle_sparkplug(&mut self, topic: &str, payload: &[u8], now_ms: i64, out: &mut Handled) {
        let (group_id, message_type, edge_node_id, device_id) = match Topic::parse(topic) {
            Ok(Topic::Message {
                group_id,
                message_type,
                edge_node_id,
                device_id,
            }) => (group_id, message_type, edge_node_id, device_id),
            // Host STATE messages (ours or another host's) are not data.
            Ok(Topic::State { .. }) => return,
            Err(e) => {
                self.reject(RejectReason::UnknownTopic, topic, &e.to_string(), now_ms);
                return;
            }
        };
        if matches!(message_type, MessageType::NCmd | MessageType::DCmd) {
            // Commands (including our own rebirth requests) are not data.
            return;
        }
        let node = NodeKey {
            group_id,
            edge_node_id,
        };
        let p = match sparkplug::decode_payload(payload) {
            Ok(p) => p,
            Err(e) => {
                self.reject(RejectReason::BadProtobuf, topic, &e.to_string(), now_ms);
                return;
            }
        };
        self.counters.decoded.fetch_add(1, Ordering::Relaxed);
        let outcome = self
            .host
            .handle(&node, message_type, device_id.as_deref(), &p, now_ms);
        for problem in &outcome.problems {
            match problem {
                MetricProblem::UnknownAlias(a) => {
                    self.reject(RejectReason::UnknownAlias, topic, &a.to_string(), now_ms)
                }
                MetricProblem::Value(name, e) => self.reject(
                    RejectReason::WrongType,
                    topic,
                    &format!("{name}: {e}"),
                    now_ms,
                ),
                MetricProblem::UnknownName(name) => {
                    self.reject(RejectReason::WrongType, topic, name, now_ms)
                }
                MetricProblem::Anonymous => self.reject(
                    RejectReason::WrongType,
                    topic,
                    "metric without name or alias",
                    now_ms,
                ),
            }
        }
        let routes = Arc::clone(&self.routes);
        for m in &outcome.metrics {
            let key = (
                node.group_id.clone(),
                node.edge_node_id.clone(),
                m.device_id.clone(),
            );
            let Some(signals) = routes.sparkplug.get(&key).and_then(|by| by.get(&m.name)) else {
                continue;
            };
            if m.value == MetricValue::Null {
                continue;
            }
            let Some(value) = m.value.as_f64() else {
                self.reject(RejectReason::WrongType, topic, &m.name, now_ms);
                continue;
            };
            let ts_ms = m
                .timestamp_ms
                .map_or(now_ms, |t| i64::try_from(t).unwrap_or(i64::MAX));
            if !self.admit(value, ts_ms, now_ms, topic) {
                continue;
            }
            for signal_id in signals {
                out.samples.push(Sample {
                    signal_id: *signal_id,
                    ts_ms,
                    value,
                });
            }
        }
        if let Some(stale) = &outcome.stale {
            self.counters.stale_events.fetch_add(1, Ordering::Relaxed);
            out.stale.push(stale_signals(&routes, stale));
        }
        if let Some(req) = &outcome.rebirth {
            tracing::info!(
                group_id = %req.node.group_id,
                edge_node_id = %req.node.edge_node_id,
                reason = ?req.reason,
                "requesting Sparkplug rebirth"
            );
            let cmd_topic = Topic::message(
                &req.node.group_id,
                MessageType::NCmd,
                &req.node.edge_node_id,
                None,
            );
            let ts = u64::try_from(now_ms).unwrap_or(0);
            out.commands.push((
                cmd_topic,
                sparkplug::encode_payload(&sparkplug::rebirth_command(ts)),
            ));
        }
    }
}

fn stale_signals(routes: &Routes, stale: &Stale) -> StaleSignals {
    let mut ids: Vec<Uuid> = routes
        .sparkplug
        .iter()
        .filter(|((g, e, d), _)| {
            *g == stale.node.group_id
                && *e == stale.node.edge_node_id
                && (stale.device_id.is_none() || *d == stale.device_id)
        })
        .flat_map(|(_, by_metric)| by_metric.values().flatten().copied())
        .collect();
    ids.sort();
    ids.dedup();
    StaleSignals {
        signal_ids: ids,
        at_ms: stale.at_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sparkplug::{Payload, metric};

    const NOW: i64 = 1_700_000_000_000;

    fn json_binding(topic: &str, pointer: &str) -> Binding {
        Binding {
            signal_id: Uuid::now_v7(),
            source: Source::MqttJson {
                topic: topic.into(),
                pointer: pointer.into(),
            },
        }
    }

    fn sp_binding(device: Option<&str>, name: &str) -> Binding {
        Binding {
            signal_id: Uuid::now_v7(),
            source: Source::Sparkplug {
                group_id: "G".into(),
                edge_node_id: "E".into(),
                device_id: device.map(Into::into),
                metric: name.into(),
            },
        }
    }

    fn pipeline(bindings: &[Binding]) -> Pipeline {
        Pipeline::new(
            Arc::new(Routes::new(bindings)),
            Arc::default(),
            1_000,
            10_000,
        )
    }

    #[test]
    fn filters_match_like_mqtt() {
        let cases = [
            ("a/b", "a/b", true),
            ("a/+", "a/b", true),
            ("a/+", "a/b/c", false),
            ("a/#", "a", true),
            ("a/#", "a/b/c", true),
            ("+/b", "a/b", true),
            ("#", "$SYS/x", false),
            ("a/b", "a/c", false),
            ("a/b/c", "a/b", false),
        ];
        for (f, t, want) in cases {
            assert_eq!(filter_matches(f, t), want, "{f} {t}");
        }
    }

    #[test]
    fn subscriptions_are_the_union_with_share_group_for_json_only_by_default() {
        let b = [
            json_binding("plant/m1", "/a"),
            json_binding("plant/m1", "/b"),
            json_binding("plant/+/x", "/a"),
            sp_binding(Some("D"), "vib"),
            sp_binding(None, "temp"),
        ];
        let r = Routes::new(&b);
        let subs: Vec<_> = r
            .subscriptions(&SubscriptionPolicy::default())
            .into_iter()
            .collect();
        assert_eq!(
            subs,
            vec![
                "$share/overhaul/plant/+/x",
                "$share/overhaul/plant/m1",
                "spBv1.0/G/+/E/#"
            ]
        );
        let shared_all = SubscriptionPolicy {
            share_group: Some("g2".into()),
            share_sparkplug: true,
        };
        assert!(
            r.subscriptions(&shared_all)
                .contains("$share/g2/spBv1.0/G/+/E/#")
        );
        let none = SubscriptionPolicy {
            share_group: None,
            share_sparkplug: true,
        };
        assert!(r.subscriptions(&none).contains("plant/m1"));
    }

    #[test]
    fn json_values_become_samples_and_bad_input_is_counted() {
        let b = [
            json_binding("t", "/a"),
            json_binding("t", "/b/value"),
            json_binding("w/+", ""),
        ];
        let mut p = pipeline(&b);
        let h = p.handle(
            "t",
            br#"{"a": {"value": 2.5, "ts": 1700000000001}, "b": {"value": true}}"#,
            NOW,
        );
        assert_eq!(
            h.samples,
            vec![
                Sample {
                    signal_id: b[0].signal_id,
                    ts_ms: NOW + 1,
                    value: 2.5
                },
                Sample {
                    signal_id: b[1].signal_id,
                    ts_ms: NOW,
                    value: 1.0
                },
            ]
        );
        assert_eq!(p.handle("w/x", b"7", NOW).samples[0].value, 7.0);
        assert!(p.handle("t", b"{oops", NOW).samples.is_empty());
        assert!(p.handle("other", b"1", NOW).samples.is_empty());
        assert!(p.handle("t", br#"{"a": "x"}"#, NOW).samples.is_empty());
        assert!(
            p.handle("t", br#"{"a": {"value": 1, "ts": 5}}"#, NOW)
                .samples
                .is_empty()
        );
        let s = p.counters().snapshot();
        assert_eq!((s.received, s.decoded, s.samples), (6, 4, 3));
        assert_eq!(s.rejected(RejectReason::MalformedJson), 1);
        assert_eq!(s.rejected(RejectReason::UnknownTopic), 1);
        assert_eq!(s.rejected(RejectReason::WrongType), 1);
        assert_eq!(s.rejected(RejectReason::BadTimestamp), 1);
        // "/b/value" is missing in the two later JSON objects on "t".
        assert_eq!(s.rejected(RejectReason::MissingValue), 2);
    }

    fn sp(seq: Option<u64>, metrics: Vec<sparkplug::Metric>) -> Vec<u8> {
        sparkplug::encode_payload(&Payload {
            timestamp: Some(NOW as u64),
            seq,
            metrics,
            ..Default::default()
        })
    }

    #[test]
    fn sparkplug_messages_become_samples_and_gaps_become_rebirth_commands() {
        let b = [
            sp_binding(Some("D"), "vib"),
            sp_binding(None, "temp"),
            sp_binding(Some("D"), "label"),
        ];
        let mut p = pipeline(&b);
        // Data before birth: nothing, and a rebirth command to the node.
        let h = p.handle("spBv1.0/G/NDATA/E", &sp(Some(0), vec![]), NOW);
        assert_eq!(h.commands.len(), 1);
        assert_eq!(h.commands[0].0, "spBv1.0/G/NCMD/E");
        let cmd = sparkplug::decode_payload(&h.commands[0].1).unwrap();
        assert_eq!(cmd.metrics[0].name.as_deref(), Some("Node Control/Rebirth"));

        let h = p.handle(
            "spBv1.0/G/NBIRTH/E",
            &sp(
                Some(0),
                vec![
                    metric(Some("bdSeq"), None, &MetricValue::Int64(0)),
                    metric(Some("temp"), Some(1), &MetricValue::Double(20.0)),
                ],
            ),
            NOW,
        );
        assert_eq!(
            h.samples,
            vec![Sample {
                signal_id: b[1].signal_id,
                ts_ms: NOW,
                value: 20.0
            }]
        );
        let h = p.handle(
            "spBv1.0/G/DBIRTH/E/D",
            &sp(
                Some(1),
                vec![
                    metric(Some("vib"), Some(2), &MetricValue::Float(f32::NAN)),
                    metric(Some("label"), Some(3), &MetricValue::String("x".into())),
                ],
            ),
            NOW,
        );
        assert!(h.samples.is_empty(), "NaN and a string are not samples");
        let h = p.handle(
            "spBv1.0/G/DDATA/E/D",
            &sp(
                Some(2),
                vec![metric(None, Some(2), &MetricValue::Float(0.5))],
            ),
            NOW,
        );
        assert_eq!(
            h.samples,
            vec![Sample {
                signal_id: b[0].signal_id,
                ts_ms: NOW,
                value: 0.5
            }]
        );
        let h = p.handle(
            "spBv1.0/G/DDATA/E/D",
            &sp(
                Some(4),
                vec![metric(None, Some(9), &MetricValue::Float(0.5))],
            ),
            NOW + 5_000,
        );
        assert_eq!(
            h.commands.len(),
            1,
            "gap and unknown alias: one rebirth command"
        );
        let h = p.handle("spBv1.0/G/DDEATH/E/D", &sp(Some(5), vec![]), NOW + 5_001);
        assert_eq!(
            h.stale,
            vec![StaleSignals {
                signal_ids: {
                    let mut v = vec![b[0].signal_id, b[2].signal_id];
                    v.sort();
                    v
                },
                at_ms: NOW
            }]
        );
        assert!(
            p.handle("spBv1.0/G/DDATA/E/D", b"\xff\xff", NOW)
                .samples
                .is_empty()
        );
        assert!(p.handle("spBv1.0/G/BOGUS/E", b"", NOW).samples.is_empty());
        // Our own command echoed back is ignored, not counted as a rejection.
        p.handle("spBv1.0/G/NCMD/E", b"\xff", NOW);
        let s = p.counters().snapshot();
        assert_eq!(s.rejected(RejectReason::NotFinite), 1);
        assert_eq!(s.rejected(RejectReason::WrongType), 1);
        assert_eq!(s.rejected(RejectReason::UnknownAlias), 1);
        assert_eq!(s.rejected(RejectReason::BadProtobuf), 1);
        assert_eq!(s.rejected(RejectReason::UnknownTopic), 1);
        assert_eq!(s.stale_events, 1);
    }
}
