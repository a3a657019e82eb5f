//! Machine data into Overhaul: an MQTT v5 connector for plain-JSON payloads and Sparkplug B
//! (as a host application), and with the cargo feature `opcua` an OPC UA client
//! ([`opcua`] module).
//!
//! # Shape
//! - Input: a list of [`Binding`]s, each tying a signal (by id) to a [`Source`]: an MQTT topic
//!   plus a JSON pointer, or a Sparkplug group / edge node / device / metric name. The list is
//!   read from a `tokio::sync::watch` channel and may be replaced while the connector runs;
//!   subscriptions are adjusted without reconnecting.
//! - Output: `Vec<`[`Sample`]`>` batches (one per MQTT message) on a bounded
//!   `tokio::sync::mpsc` channel. A full channel slows intake down (backpressure); nothing is
//!   dropped. QoS 1 messages are acknowledged to the broker only after their samples were handed
//!   on, so a crash between receipt and hand-over means redelivery, not loss.
//! - [`Counters`]: received, decoded, samples, rejections by [`RejectReason`], rebirth requests,
//!   stale events, connections. Each rejection reason is logged at most once per interval.
//!
//! # Plain JSON
//! A binding's pointer (RFC 6901) selects a number, a boolean (1/0) or an object
//! `{"value": …, "timestamp"|"ts": ms-since-epoch | RFC 3339}` in the payload. Without a
//! timestamp the receive time is used. Non-finite values and timestamps before 2000 or more than
//! a day ahead are rejected and counted.
//!
//! # Sparkplug B
//! [`sparkplug::proto`] holds the payload messages written by hand with prost derives from the
//! Sparkplug 3.0 specification (no generated code, no .proto in the project); [`sparkplug::value`]
//! turns metrics into typed values and back; [`sparkplug::topic`] parses the topic namespace;
//! [`sparkplug::host`] is the pure host-application state machine (bdSeq, seq, aliases, stale
//! marking, rebirth requests). The connector publishes the host's `spBv1.0/STATE/{host_id}`
//! JSON birth (retained, QoS 1) with a matching Will.
//!
//! Values of bound metrics become samples (booleans 1/0); BIRTH messages report current values
//! too. Store-and-forward values (`is_historical`) are passed on like live ones, since
//! [`Sample`] carries no flag; nulls are skipped. Topics under `spBv1.0/` are always read as
//! Sparkplug, never as plain JSON.
//!
//! Two choices differ from a textbook Sparkplug host, on purpose:
//! - The session is persistent (`clean_start = false` with a session expiry), where the
//!   specification asks hosts for a clean start: Overhaul must not lose QoS 1 plain-JSON messages
//!   the broker accepted while it was restarting. Sparkplug state is rebuilt by rebirth requests.
//! - Sparkplug subscriptions are not shared by default ([`SubscriptionPolicy::share_sparkplug`]):
//!   seq tracking needs every message of an edge node in one place. With several instances, run
//!   Sparkplug bindings on one of them (or share and accept rebirth churn).
//!
//! # Tests and fuzzing
//! `tests/ingest` checks the payload types against the reference `sparkplug_b.proto` (from
//! `../shared/standards/sparkplug/`, compiled at test time; skipped with a notice when absent,
//! required with `OVERHAUL_REQUIRE_SHARED_DATA=1`) and runs the connector against Mosquitto on
//! 127.0.0.1:1883 (skipped with a notice when nothing listens, required with
//! `OVERHAUL_REQUIRE_MQTT=1`). Fuzz targets for the payload decoder, the topic parser and the
//! whole pipeline live in `fuzz/` at the workspace root (outside the workspace; not run by CI):
//! `cargo install cargo-fuzz`, then in `fuzz/`:
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run sparkplug_payload -- -max_total_time=60`
//! (likewise `sparkplug_topic`, `pipeline`).
//!
//! # Wiring
//! ```no_run
//! # async fn demo() {
//! use overhaul_ingest::{Binding, Connector, MqttConfig, Source};
//! let (bindings_tx, bindings_rx) = tokio::sync::watch::channel(vec![Binding {
//!     signal_id: uuid::Uuid::now_v7(),
//!     source: Source::MqttJson { topic: "plant/press1".into(), pointer: "/temp".into() },
//! }]);
//! let (tx, mut rx) = tokio::sync::mpsc::channel(64);
//! let connector = Connector::spawn(MqttConfig::new("127.0.0.1", 1883, "overhaul-1"), bindings_rx, tx, None);
//! while let Some(batch) = rx.recv().await { /* store the samples */ }
//! # drop(bindings_tx); connector.shutdown().await;
//! # }
//! ```

pub mod connector;
pub mod counters;
pub mod json;
#[cfg(feature = "opcua")]
pub mod opcua;
pub mod pipeline;
pub mod sparkplug;

pub use connector::{Connector, MqttConfig, Password, Status};
pub use counters::{Counters, RejectReason, Snapshot};
#[cfg(feature = "opcua")]
pub use opcua::{OpcUaBinding, OpcUaConfig, OpcUaConnector};
pub use pipeline::{Pipeline, Routes, StaleSignals, SubscriptionPolicy};

use uuid::Uuid;

/// Ties a signal to where its values come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub signal_id: Uuid,
    pub source: Source,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A plain-JSON payload on an MQTT topic (a filter with `+`/`#` is allowed); `pointer` is
    /// an RFC 6901 JSON pointer into the payload (`""` for the whole payload).
    MqttJson { topic: String, pointer: String },
    /// A Sparkplug B metric, by name; `device_id: None` for an edge node's own metric.
    Sparkplug {
        group_id: String,
        edge_node_id: String,
        device_id: Option<String>,
        metric: String,
    },
}

/// One value of one signal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub signal_id: Uuid,
    /// Milliseconds since the Unix epoch, UTC.
    pub ts_ms: i64,
    pub value: f64,
}
