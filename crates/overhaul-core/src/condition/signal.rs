//! Signal definitions: what a signal measures and where its values come from.

use crate::validation::Checks;
use crate::{FieldError, Invalid};
use serde::{Deserialize, Serialize};

text_enum!(
    /// A counter only grows (strokes, litres); a gauge goes up and down (vibration, temperature);
    /// a run signal is boolean (1 = running, 0 = stopped) and is integrated into run hours.
    SignalKind {
        Counter => "counter",
        Gauge => "gauge",
        Run => "run",
    }
);

/// Linear scaling from the source's raw value to engineering units: `raw * scale + offset`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Scaling {
    pub scale: f64,
    pub offset: f64,
}

impl Default for Scaling {
    fn default() -> Self {
        Self {
            scale: 1.0,
            offset: 0.0,
        }
    }
}

impl Scaling {
    pub fn apply(self, raw: f64) -> f64 {
        raw * self.scale + self.offset
    }

    pub fn check(self, c: &mut Checks) {
        if !self.scale.is_finite() || self.scale == 0.0 {
            c.push("scale", "must be a finite number other than 0");
        }
        if !self.offset.is_finite() {
            c.push("offset", "must be a finite number");
        }
    }
}

/// Where a signal's values come from. `Http` signals are only pushed (`POST /api/v1/readings`
/// or a CSV import); the others are read by the connectors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SourceBinding {
    /// A plain JSON payload on an MQTT topic; `pointer` (RFC 6901) selects the value.
    MqttJson { topic: String, pointer: String },
    /// A Sparkplug B metric of an edge node, or of one of its devices.
    Sparkplug {
        group_id: String,
        edge_node_id: String,
        device_id: Option<String>,
        metric: String,
    },
    /// An OPC UA node's Value attribute, read through a subscription: the server samples the
    /// value every `sampling_ms` and reports a change only when it moves by more than
    /// `deadband` (absolute, in the node's raw units; 0 reports every change).
    OpcUa {
        endpoint: String,
        node_id: String,
        #[serde(default = "default_sampling_ms")]
        #[schema(default = 1000, minimum = 10, maximum = 3_600_000)]
        sampling_ms: u32,
        #[serde(default)]
        #[schema(default = 0.0, minimum = 0.0)]
        deadband: f64,
    },
    /// Pushed over HTTP or imported from CSV.
    Http,
}

/// OPC UA sampling interval when a binding names none: once a second.
pub const DEFAULT_SAMPLING_MS: u32 = 1000;
/// Fastest OPC UA sampling interval a binding may ask for.
pub const MIN_SAMPLING_MS: u32 = 10;
/// Slowest OPC UA sampling interval a binding may ask for: one hour.
pub const MAX_SAMPLING_MS: u32 = 3_600_000;

fn default_sampling_ms() -> u32 {
    DEFAULT_SAMPLING_MS
}

impl SourceBinding {
    pub fn kind(&self) -> &'static str {
        match self {
            SourceBinding::MqttJson { .. } => "mqtt_json",
            SourceBinding::Sparkplug { .. } => "sparkplug",
            SourceBinding::OpcUa { .. } => "opc_ua",
            SourceBinding::Http => "http",
        }
    }

    /// A text that identifies the source, unique among signals (two signals reading the same
    /// value would raise every alarm twice). `None` for pushed signals.
    pub fn key(&self) -> Option<String> {
        match self {
            SourceBinding::MqttJson { topic, pointer } => Some(format!("mqtt:{topic}#{pointer}")),
            SourceBinding::Sparkplug {
                group_id,
                edge_node_id,
                device_id,
                metric,
            } => Some(format!(
                "spb:{group_id}/{edge_node_id}/{}/{metric}",
                device_id.as_deref().unwrap_or("")
            )),
            SourceBinding::OpcUa {
                endpoint, node_id, ..
            } => Some(format!("opcua:{endpoint}|{node_id}")),
            SourceBinding::Http => None,
        }
    }

    /// Checks every field; errors are named `{prefix}.{field}`.
    pub fn check(&self, prefix: &str) -> Result<(), Invalid> {
        let mut errs = Vec::new();
        let mut push = |f: &str, m: String| errs.push(FieldError::new(format!("{prefix}.{f}"), m));
        match self {
            SourceBinding::MqttJson { topic, pointer } => {
                if let Err(m) = check_topic(topic) {
                    push("topic", m);
                }
                if let Err(m) = check_pointer(pointer) {
                    push("pointer", m);
                }
            }
            SourceBinding::Sparkplug {
                group_id,
                edge_node_id,
                device_id,
                metric,
            } => {
                for (f, v) in [("group_id", group_id), ("edge_node_id", edge_node_id)] {
                    if let Err(m) = check_sparkplug_id(v) {
                        push(f, m);
                    }
                }
                if let Some(d) = device_id
                    && let Err(m) = check_sparkplug_id(d)
                {
                    push("device_id", m);
                }
                if group_id == "STATE" {
                    push(
                        "group_id",
                        "'STATE' is reserved for host applications".into(),
                    );
                }
                if metric.trim().is_empty() {
                    push("metric", "must not be empty".into());
                } else if metric.len() > 512 || metric.chars().any(char::is_control) {
                    push(
                        "metric",
                        "must be at most 512 bytes without control characters".into(),
                    );
                }
            }
            SourceBinding::OpcUa {
                endpoint,
                node_id,
                sampling_ms,
                deadband,
            } => {
                if !endpoint.starts_with("opc.tcp://") || endpoint.len() <= "opc.tcp://".len() {
                    push(
                        "endpoint",
                        "must be an opc.tcp:// URL, e.g. opc.tcp://plc1:4840".into(),
                    );
                } else if endpoint
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control())
                {
                    push("endpoint", "must not contain spaces".into());
                }
                if let Err(m) = check_node_id(node_id) {
                    push("node_id", m);
                }
                if !(MIN_SAMPLING_MS..=MAX_SAMPLING_MS).contains(sampling_ms) {
                    push(
                        "sampling_ms",
                        format!(
                            "must be between {MIN_SAMPLING_MS} ms and {MAX_SAMPLING_MS} ms (1 h)"
                        ),
                    );
                }
                if !deadband.is_finite() || *deadband < 0.0 {
                    push("deadband", "must be a finite number, 0 or more".into());
                }
            }
            SourceBinding::Http => {}
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(Invalid(errs))
        }
    }
}

/// A concrete MQTT topic name (not a filter): no wildcards, no `$` system topics, no empty
/// topic, no NUL, at most 1024 bytes.
pub fn check_topic(t: &str) -> Result<(), String> {
    if t.is_empty() {
        return Err("must not be empty".into());
    }
    if t.len() > 1024 {
        return Err("must be at most 1024 bytes".into());
    }
    if t.contains('+') || t.contains('#') {
        return Err(
            "must name one topic: wildcards ('+', '#') are not allowed in a binding".into(),
        );
    }
    if t.starts_with('$') {
        return Err("must not be a '$' system or shared-subscription topic".into());
    }
    if t.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(())
}

/// An RFC 6901 JSON pointer that selects a member (so it starts with '/'); '~' only as the
/// escapes '~0' and '~1'.
pub fn check_pointer(p: &str) -> Result<(), String> {
    if !p.starts_with('/') {
        return Err("must be a JSON pointer starting with '/', e.g. /vibration/rms".into());
    }
    let mut chars = p.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return Err("'~' must be written '~0' and '/' inside a name '~1'".into());
        }
    }
    Ok(())
}

/// A Sparkplug group, edge node or device id: UTF-8 without '+', '/', '#', not empty.
pub fn check_sparkplug_id(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    if s.contains(['+', '/', '#']) {
        return Err("must not contain '+', '/' or '#'".into());
    }
    if s.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(())
}

/// An OPC UA NodeId in its string form: optional `ns=<n>;` or `nsu=<uri>;`, then `i=<number>`,
/// `s=<text>`, `g=<guid>` or `b=<base64>`.
pub fn check_node_id(s: &str) -> Result<(), String> {
    let bad = || "must be a NodeId such as ns=2;s=Pump1.Vibration or i=2258".to_string();
    let rest = if let Some(r) = s.strip_prefix("ns=") {
        let (n, r) = r.split_once(';').ok_or_else(bad)?;
        n.parse::<u16>().map_err(|_| bad())?;
        r
    } else if let Some(r) = s.strip_prefix("nsu=") {
        let (u, r) = r.split_once(';').ok_or_else(bad)?;
        if u.is_empty() {
            return Err(bad());
        }
        r
    } else {
        s
    };
    let (t, id) = rest.split_once('=').ok_or_else(bad)?;
    let ok = match t {
        "i" => id.parse::<u32>().is_ok(),
        "s" | "b" => !id.is_empty(),
        "g" => id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-'),
        _ => false,
    };
    if ok { Ok(()) } else { Err(bad()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(r: Result<(), Invalid>) -> Vec<String> {
        match r {
            Ok(()) => vec![],
            Err(i) => i.0.into_iter().map(|e| e.field).collect(),
        }
    }

    #[test]
    fn bindings() {
        let mqtt = |t: &str, p: &str| SourceBinding::MqttJson {
            topic: t.into(),
            pointer: p.into(),
        };
        let spb = |g: &str, n: &str, d: Option<&str>, m: &str| SourceBinding::Sparkplug {
            group_id: g.into(),
            edge_node_id: n.into(),
            device_id: d.map(str::to_owned),
            metric: m.into(),
        };
        let opc = |e: &str, n: &str| SourceBinding::OpcUa {
            endpoint: e.into(),
            node_id: n.into(),
            sampling_ms: DEFAULT_SAMPLING_MS,
            deadband: 0.0,
        };
        let opc_sub = |ms: u32, db: f64| SourceBinding::OpcUa {
            endpoint: "opc.tcp://plc1:4840".into(),
            node_id: "ns=2;s=Pump1.Vib".into(),
            sampling_ms: ms,
            deadband: db,
        };
        let cases: Vec<(SourceBinding, Vec<&str>)> = vec![
            (mqtt("plant/p1/vib", "/rms"), vec![]),
            (mqtt("plant/p1/vib", "/a~1b/~0c/0"), vec![]),
            (mqtt("plant/+/vib", "/rms"), vec!["source.topic"]),
            (mqtt("plant/#", "/rms"), vec!["source.topic"]),
            (mqtt("$SYS/x", "/rms"), vec!["source.topic"]),
            (mqtt("", "rms"), vec!["source.topic", "source.pointer"]),
            (mqtt("a", "/x~2"), vec!["source.pointer"]),
            (mqtt("a", "/x~"), vec!["source.pointer"]),
            (spb("G1", "N1", None, "Vibration/RMS"), vec![]),
            (spb("G1", "N1", Some("D1"), "Temp"), vec![]),
            (
                spb("G/1", "N+1", Some(""), ""),
                vec![
                    "source.group_id",
                    "source.edge_node_id",
                    "source.device_id",
                    "source.metric",
                ],
            ),
            (spb("STATE", "N1", None, "x"), vec!["source.group_id"]),
            (opc("opc.tcp://plc1:4840", "ns=2;s=Pump1.Vib"), vec![]),
            (opc("opc.tcp://plc1:4840", "i=2258"), vec![]),
            (
                opc(
                    "opc.tcp://h",
                    "nsu=urn:x;g=09087e75-8e5e-499b-954f-f2a9603db28a",
                ),
                vec![],
            ),
            (
                opc("http://plc1", "ns=x;s=a"),
                vec!["source.endpoint", "source.node_id"],
            ),
            (opc("opc.tcp://h", "i=abc"), vec!["source.node_id"]),
            (opc("opc.tcp://h", "q=1"), vec!["source.node_id"]),
            // Sampling interval: 10 ms to 1 h, both ends included.
            (opc_sub(10, 0.0), vec![]),
            (opc_sub(9, 0.0), vec!["source.sampling_ms"]),
            (opc_sub(0, 0.0), vec!["source.sampling_ms"]),
            (opc_sub(3_600_000, 0.0), vec![]),
            (opc_sub(3_600_001, 0.0), vec!["source.sampling_ms"]),
            // Absolute deadband: finite and not negative.
            (opc_sub(500, 0.25), vec![]),
            (opc_sub(500, 1e9), vec![]),
            (opc_sub(500, -0.001), vec!["source.deadband"]),
            (opc_sub(500, f64::NAN), vec!["source.deadband"]),
            (opc_sub(500, f64::INFINITY), vec!["source.deadband"]),
            (
                opc_sub(5, -1.0),
                vec!["source.sampling_ms", "source.deadband"],
            ),
            (SourceBinding::Http, vec![]),
        ];
        for (b, want) in cases {
            assert_eq!(fields(b.check("source")), want, "{b:?}");
        }
    }

    #[test]
    fn binding_json_and_keys() {
        let b: SourceBinding = serde_json::from_value(serde_json::json!({
            "kind": "sparkplug", "group_id": "G", "edge_node_id": "N", "metric": "M"
        }))
        .unwrap();
        assert_eq!(b.key().as_deref(), Some("spb:G/N//M"));
        assert_eq!(b.kind(), "sparkplug");
        let h: SourceBinding = serde_json::from_value(serde_json::json!({"kind": "http"})).unwrap();
        assert_eq!(h.key(), None);
        assert!(
            serde_json::from_value::<SourceBinding>(
                serde_json::json!({"kind": "mqtt_json", "topic": "a"})
            )
            .is_err()
        );
    }

    #[test]
    fn opc_ua_subscription_fields_default_and_round_trip() {
        let b: SourceBinding = serde_json::from_value(serde_json::json!({
            "kind": "opc_ua", "endpoint": "opc.tcp://plc1:4840", "node_id": "ns=2;s=V"
        }))
        .unwrap();
        assert_eq!(
            b,
            SourceBinding::OpcUa {
                endpoint: "opc.tcp://plc1:4840".into(),
                node_id: "ns=2;s=V".into(),
                sampling_ms: 1000,
                deadband: 0.0,
            }
        );
        let b: SourceBinding = serde_json::from_value(serde_json::json!({
            "kind": "opc_ua", "endpoint": "opc.tcp://plc1:4840", "node_id": "ns=2;s=V",
            "sampling_ms": 250, "deadband": 0.5
        }))
        .unwrap();
        let back = serde_json::to_value(&b).unwrap();
        assert_eq!(back["sampling_ms"], 250);
        assert_eq!(back["deadband"], 0.5);
        // The subscription settings do not change which source a signal reads.
        assert_eq!(
            b.key().as_deref(),
            Some("opcua:opc.tcp://plc1:4840|ns=2;s=V")
        );
        assert!(
            serde_json::from_value::<SourceBinding>(serde_json::json!({
                "kind": "opc_ua", "endpoint": "opc.tcp://h", "node_id": "i=1", "sampling_ms": -5
            }))
            .is_err()
        );
    }

    #[test]
    fn scaling() {
        let s = Scaling {
            scale: 0.1,
            offset: -40.0,
        };
        // 4-20 mA style raw counts: 650 counts * 0.1 - 40 = 25.0
        assert!((s.apply(650.0) - 25.0).abs() < 1e-9);
        assert_eq!(Scaling::default().apply(3.5), 3.5);
        let mut c = Checks::new();
        Scaling {
            scale: 0.0,
            offset: f64::NAN,
        }
        .check(&mut c);
        assert_eq!(c.finish().unwrap_err().0.len(), 2);
    }
}
