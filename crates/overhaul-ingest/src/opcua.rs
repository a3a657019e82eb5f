//! OPC UA client connector (cargo feature `opcua`, built on async-opcua).
//!
//! # Shape
//! Like the MQTT [`Connector`](crate::Connector): [`OpcUaBinding`]s come in on a
//! `tokio::sync::watch` channel (replaceable while running), [`Sample`] batches go out on a
//! bounded `tokio::sync::mpsc` channel, and [`Counters`] count what arrived and what was
//! rejected (`received` = data-change notifications, `connections` = sessions opened).
//!
//! One task per distinct endpoint URL opens a session (security policy None, message security
//! None, anonymous identity: the only mode supported so far), creates one subscription and one
//! monitored item per bound node: Value attribute, the binding's sampling interval, an absolute
//! `DataChangeFilter` deadband (trigger StatusValue), queue size 10. The subscription publishes
//! at the fastest sampling interval among the endpoint's bindings (at least 50 ms).
//!
//! When an endpoint's bindings change, its subscription is deleted and recreated on the open
//! session. When the connection is lost (server stopped, network gone, keep-alives failing) the
//! session is dropped and a new one is opened after a pause that doubles from
//! [`OpcUaConfig::retry_initial`] up to [`OpcUaConfig::retry_max`]; it resets once a session
//! has stayed up for a minute. Each new session subscribes afresh, so the server sends current
//! values first.
//!
//! # Values
//! [`sample_from`] turns a `DataValue` into a sample: numeric and boolean variants (true = 1);
//! anything else is [`RejectReason::WrongType`]; a status other than Good (Bad or Uncertain) is
//! [`RejectReason::BadStatus`] and skipped, so no maintenance work is raised from a failing
//! sensor; NaN/∞ and implausible times are rejected like MQTT values. The time is the source
//! timestamp, else the server timestamp, else the receive time.
//!
//! Node ids are parsed by async-opcua (`ns=2;s=…`, `i=…`, `g=…`, `b=…`); the `nsu=` form is not
//! resolved yet: such an item is logged and counted as a failed item.

use crate::Sample;
use crate::counters::{Counters, RejectReason};
use crate::pipeline::{MAX_AHEAD_MS, MIN_TS_MS};
use ::opcua::client::{ClientBuilder, DataChangeCallback, IdentityToken, Session};
use ::opcua::types::{
    AttributeId, DataChangeFilter, DataChangeTrigger, DataValue, DeadbandType, EndpointDescription,
    ExtensionObject, MessageSecurityMode, MonitoredItemCreateRequest, MonitoringMode,
    MonitoringParameters, NodeId, ReadValueId, TimestampsToReturn, UserTokenPolicy, Variant,
};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use uuid::Uuid;

/// Ties a signal to an OPC UA node.
#[derive(Clone, Debug, PartialEq)]
pub struct OpcUaBinding {
    pub signal_id: Uuid,
    /// `opc.tcp://host:port[/path]`.
    pub endpoint: String,
    /// NodeId in string form, e.g. `ns=2;s=Pump1.Vibration`.
    pub node_id: String,
    /// Requested sampling interval (ms).
    pub sampling_ms: u32,
    /// Absolute deadband in the node's units; 0 reports every change.
    pub deadband: f64,
}

/// Settings shared by all endpoints.
#[derive(Clone, Debug)]
pub struct OpcUaConfig {
    /// Where async-opcua keeps its certificate store (created if missing). With security None
    /// nothing in it is used, but the library wants a directory.
    pub pki_dir: PathBuf,
    pub application_name: String,
    pub application_uri: String,
    /// First pause before reconnecting after a lost or failed connection.
    pub retry_initial: Duration,
    /// Longest pause between reconnection attempts.
    pub retry_max: Duration,
    /// Each rejection reason is logged at most once per this interval.
    pub log_interval: Duration,
}

impl OpcUaConfig {
    pub fn new(pki_dir: impl Into<PathBuf>) -> Self {
        Self {
            pki_dir: pki_dir.into(),
            application_name: "Overhaul".into(),
            application_uri: "urn:overhaul:client".into(),
            retry_initial: Duration::from_millis(500),
            retry_max: Duration::from_secs(30),
            log_interval: Duration::from_secs(60),
        }
    }
}

/// Counters specific to OPC UA sessions, beside the shared [`Counters`].
#[derive(Debug, Default)]
pub struct SessionCounters {
    /// Connection attempts that failed or sessions that were lost.
    pub connection_failures: AtomicU64,
    /// Monitored items the server refused (unknown node, bad node id, …).
    pub item_failures: AtomicU64,
    /// Subscriptions created (at each connection and each change of bindings).
    pub subscriptions: AtomicU64,
}

/// A running OPC UA connector; see the module documentation.
pub struct OpcUaConnector {
    supervisor: JoinHandle<()>,
    stop: watch::Sender<bool>,
    counters: Arc<Counters>,
    sessions: Arc<SessionCounters>,
}

impl OpcUaConnector {
    pub fn spawn(
        config: OpcUaConfig,
        bindings: watch::Receiver<Vec<OpcUaBinding>>,
        out: mpsc::Sender<Vec<Sample>>,
    ) -> Self {
        let counters = Arc::new(Counters::default());
        let sessions = Arc::new(SessionCounters::default());
        let (stop, stop_rx) = watch::channel(false);
        let supervisor = tokio::spawn(supervise(
            Arc::new(config),
            bindings,
            out,
            counters.clone(),
            sessions.clone(),
            stop_rx,
        ));
        Self {
            supervisor,
            stop,
            counters,
            sessions,
        }
    }

    pub fn counters(&self) -> Arc<Counters> {
        self.counters.clone()
    }

    pub fn session_counters(&self) -> Arc<SessionCounters> {
        self.sessions.clone()
    }

    /// Close the sessions (deleting their subscriptions on the servers) and stop.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if tokio::time::timeout(Duration::from_secs(5), self.supervisor)
            .await
            .is_err()
        {
            tracing::warn!("OPC UA connector did not stop within 5 s");
        }
    }
}

/// The bindings grouped by endpoint, each group in a stable order.
fn by_endpoint(list: &[OpcUaBinding]) -> BTreeMap<String, Vec<OpcUaBinding>> {
    let mut map: BTreeMap<String, Vec<OpcUaBinding>> = BTreeMap::new();
    for b in list {
        map.entry(b.endpoint.clone()).or_default().push(b.clone());
    }
    for v in map.values_mut() {
        v.sort_by(|a, b| {
            a.node_id
                .cmp(&b.node_id)
                .then(a.signal_id.cmp(&b.signal_id))
        });
    }
    map
}

struct EndpointTask {
    bindings: watch::Sender<Vec<OpcUaBinding>>,
    handle: JoinHandle<()>,
}

/// Starts, updates and stops one task per endpoint as the bindings change.
async fn supervise(
    config: Arc<OpcUaConfig>,
    mut bindings: watch::Receiver<Vec<OpcUaBinding>>,
    out: mpsc::Sender<Vec<Sample>>,
    counters: Arc<Counters>,
    sessions: Arc<SessionCounters>,
    mut stop: watch::Receiver<bool>,
) {
    let mut tasks: BTreeMap<String, EndpointTask> = BTreeMap::new();
    loop {
        let wanted = by_endpoint(&bindings.borrow_and_update());
        // Dropping an endpoint's sender makes its task close the session and end.
        tasks.retain(|endpoint, _| {
            let keep = wanted.contains_key(endpoint);
            if !keep {
                tracing::info!(
                    endpoint,
                    "OPC UA endpoint no longer bound; closing its session"
                );
            }
            keep
        });
        for (endpoint, list) in wanted {
            match tasks.get(&endpoint) {
                Some(task) => {
                    task.bindings.send_if_modified(|cur| {
                        if *cur != list {
                            *cur = list;
                            true
                        } else {
                            false
                        }
                    });
                }
                None => {
                    let (tx, rx) = watch::channel(list);
                    let handle = tokio::spawn(run_endpoint(
                        config.clone(),
                        endpoint.clone(),
                        rx,
                        out.clone(),
                        counters.clone(),
                        sessions.clone(),
                        stop.clone(),
                    ));
                    tasks.insert(
                        endpoint,
                        EndpointTask {
                            bindings: tx,
                            handle,
                        },
                    );
                }
            }
        }
        tokio::select! {
            changed = bindings.changed() => if changed.is_err() { break },
            _ = stop.changed() => break,
        }
    }
    // Let each endpoint task close its session (it watches `stop` too), then make sure.
    for (_, task) in tasks {
        let abort = task.handle.abort_handle();
        if tokio::time::timeout(Duration::from_secs(3), task.handle)
            .await
            .is_err()
        {
            abort.abort();
        }
    }
}

/// The session's event-loop task, stopped when the session is given up (also when the task
/// running the session is itself aborted).
struct AbortOnDrop(JoinHandle<::opcua::types::StatusCode>);

impl AbortOnDrop {
    fn abort(&self) {
        self.0.abort();
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Why a session ended.
enum SessionEnd {
    Stopped,
    Lost(String),
}

/// Connect, subscribe, and reconnect with backoff, until stopped.
async fn run_endpoint(
    config: Arc<OpcUaConfig>,
    endpoint: String,
    mut bindings: watch::Receiver<Vec<OpcUaBinding>>,
    out: mpsc::Sender<Vec<Sample>>,
    counters: Arc<Counters>,
    sessions: Arc<SessionCounters>,
    mut stop: watch::Receiver<bool>,
) {
    let mut client = match ClientBuilder::new()
        .application_name(config.application_name.clone())
        .application_uri(config.application_uri.clone())
        .product_uri("urn:overhaul")
        .pki_dir(config.pki_dir.clone())
        .create_sample_keypair(false)
        .trust_server_certs(false)
        // Reconnection is done here (a fresh session each time), not inside async-opcua.
        .session_retry_limit(0)
        .keep_alive_interval(Duration::from_secs(2))
        .max_failed_keep_alive_count(3)
        .request_timeout(Duration::from_secs(5))
        .client()
    {
        Ok(c) => c,
        Err(errs) => {
            tracing::error!(endpoint, errors = ?errs, "OPC UA client configuration rejected");
            return;
        }
    };
    let mut pause = config.retry_initial;
    loop {
        let started = Instant::now();
        let end = run_session(
            &mut client,
            &config,
            &endpoint,
            &mut bindings,
            &out,
            &counters,
            &sessions,
            &mut stop,
        )
        .await;
        match end {
            SessionEnd::Stopped => return,
            SessionEnd::Lost(why) => {
                sessions.connection_failures.fetch_add(1, Ordering::Relaxed);
                if started.elapsed() > Duration::from_secs(60) {
                    pause = config.retry_initial;
                }
                tracing::warn!(endpoint, reason = %why, retry_in_ms = pause.as_millis() as u64,
                    "OPC UA connection lost or refused");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.changed() => return,
            // Unbound while waiting: done. Changed: try again now with the new list.
            changed = bindings.changed() => if changed.is_err() { return },
        }
        pause = (pause * 2).min(config.retry_max);
    }
}

#[allow(clippy::too_many_arguments)]
async fn run_session(
    client: &mut ::opcua::client::Client,
    config: &OpcUaConfig,
    endpoint: &str,
    bindings: &mut watch::Receiver<Vec<OpcUaBinding>>,
    out: &mpsc::Sender<Vec<Sample>>,
    counters: &Arc<Counters>,
    sessions: &Arc<SessionCounters>,
    stop: &mut watch::Receiver<bool>,
) -> SessionEnd {
    if *stop.borrow() {
        return SessionEnd::Stopped;
    }
    let description: EndpointDescription = (
        endpoint,
        "None",
        MessageSecurityMode::None,
        UserTokenPolicy::anonymous(),
    )
        .into();
    let (session, event_loop) =
        match client.connect_to_endpoint_directly(description, IdentityToken::Anonymous) {
            Ok(s) => s,
            Err(e) => return SessionEnd::Lost(e.to_string()),
        };
    let mut event_loop = AbortOnDrop(event_loop.spawn());
    // With no retries configured, the event loop ends when connecting fails.
    tokio::select! {
        connected = tokio::time::timeout(Duration::from_secs(10), session.wait_for_connection()) => {
            if !matches!(connected, Ok(true)) {
                event_loop.abort();
                return SessionEnd::Lost("no session within 10 s".into());
            }
        }
        status = &mut event_loop.0 => {
            return SessionEnd::Lost(format!("connect failed: {}", status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string())));
        }
        _ = stop.changed() => {
            event_loop.abort();
            return SessionEnd::Stopped;
        }
    }
    counters.connections.fetch_add(1, Ordering::Relaxed);
    tracing::info!(endpoint, "OPC UA session open");

    // Samples leave the (synchronous) data-change callback through an unbounded channel and are
    // forwarded to the bounded output here, so a slow database slows this task, not the session.
    let (sample_tx, mut sample_rx) = mpsc::unbounded_channel::<Sample>();
    let mut current = bindings.borrow_and_update().clone();
    let log_ms = config.log_interval.as_millis() as i64;
    let mut subscription =
        match subscribe(&session, &current, &sample_tx, counters, sessions, log_ms).await {
            Ok(id) => id,
            Err(e) => {
                event_loop.abort();
                return SessionEnd::Lost(format!("subscribing failed: {e}"));
            }
        };
    let end = loop {
        tokio::select! {
            status = &mut event_loop.0 => {
                break SessionEnd::Lost(status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string()));
            }
            Some(first) = sample_rx.recv() => {
                let mut batch = vec![first];
                while let Ok(s) = sample_rx.try_recv() {
                    batch.push(s);
                    if batch.len() >= 1000 {
                        break;
                    }
                }
                if out.send(batch).await.is_err() {
                    break SessionEnd::Stopped;
                }
            }
            changed = bindings.changed() => {
                if changed.is_err() {
                    break SessionEnd::Stopped;
                }
                let next = bindings.borrow_and_update().clone();
                if next == current {
                    continue;
                }
                if let Some(id) = subscription.take()
                    && let Err(e) = session.delete_subscription(id).await
                {
                    tracing::warn!(endpoint, error = %e, "deleting the old OPC UA subscription failed");
                }
                current = next;
                match subscribe(&session, &current, &sample_tx, counters, sessions, log_ms).await {
                    Ok(id) => subscription = id,
                    Err(e) => break SessionEnd::Lost(format!("re-subscribing failed: {e}")),
                }
            }
            _ = stop.changed() => break SessionEnd::Stopped,
        }
    };
    match end {
        SessionEnd::Stopped => {
            let _ = tokio::time::timeout(Duration::from_secs(3), session.disconnect()).await;
            event_loop.abort();
        }
        SessionEnd::Lost(_) => event_loop.abort(),
    }
    end
}

/// Create the subscription and its monitored items for `list`; `None` when nothing could be
/// monitored.
async fn subscribe(
    session: &Arc<Session>,
    list: &[OpcUaBinding],
    sample_tx: &mpsc::UnboundedSender<Sample>,
    counters: &Arc<Counters>,
    sessions: &Arc<SessionCounters>,
    log_ms: i64,
) -> Result<Option<u32>, ::opcua::types::Error> {
    // Client handles are 1-based positions in `items`.
    let mut items = Vec::new();
    let mut signals: HashMap<u32, Uuid> = HashMap::new();
    for b in list {
        match NodeId::from_str(&b.node_id) {
            Ok(node) => {
                let handle = items.len() as u32 + 1;
                signals.insert(handle, b.signal_id);
                items.push(monitored_item(node, handle, b.sampling_ms, b.deadband));
            }
            Err(_) => {
                sessions.item_failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(node_id = b.node_id, signal = %b.signal_id,
                    "OPC UA node id not supported (the nsu= form is not resolved yet)");
            }
        }
    }
    if items.is_empty() {
        return Ok(None);
    }
    let publishing_ms = list
        .iter()
        .map(|b| b.sampling_ms)
        .min()
        .unwrap_or(1000)
        .max(50);
    let cb_counters = counters.clone();
    let tx = sample_tx.clone();
    let callback = DataChangeCallback::new(move |value, item| {
        cb_counters.received.fetch_add(1, Ordering::Relaxed);
        let Some(signal_id) = signals.get(&item.client_handle()).copied() else {
            return;
        };
        let now_ms = chrono::Utc::now().timestamp_millis();
        match sample_from(&value, now_ms) {
            Ok((ts_ms, v)) => {
                cb_counters.decoded.fetch_add(1, Ordering::Relaxed);
                cb_counters.samples.fetch_add(1, Ordering::Relaxed);
                let _ = tx.send(Sample {
                    signal_id,
                    ts_ms,
                    value: v,
                });
            }
            Err(reason) => {
                let node = item.item_to_monitor().node_id.to_string();
                let detail = value.status.map(|s| s.to_string()).unwrap_or_default();
                cb_counters.reject(reason, &node, &detail, now_ms, log_ms);
            }
        }
    });
    let id = session
        .create_subscription(
            Duration::from_millis(u64::from(publishing_ms)),
            // lifetime ≥ 3 × keep-alive count (OPC UA Part 4 §5.13.2)
            60,
            10,
            0,
            0,
            true,
            callback,
        )
        .await?;
    sessions.subscriptions.fetch_add(1, Ordering::Relaxed);
    let created = session
        .create_monitored_items(id, TimestampsToReturn::Both, items)
        .await?;
    for c in &created {
        if !c.result.status_code.is_good() {
            sessions.item_failures.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(node_id = %c.item_to_monitor.node_id, status = %c.result.status_code,
                "OPC UA server refused a monitored item");
        }
    }
    Ok(Some(id))
}

/// The monitored-item request for one node: Value attribute, sampling interval, absolute
/// deadband (none when 0).
pub fn monitored_item(
    node: NodeId,
    client_handle: u32,
    sampling_ms: u32,
    deadband: f64,
) -> MonitoredItemCreateRequest {
    let filter = DataChangeFilter {
        trigger: DataChangeTrigger::StatusValue,
        deadband_type: if deadband > 0.0 {
            DeadbandType::Absolute as u32
        } else {
            DeadbandType::None as u32
        },
        deadband_value: deadband.max(0.0),
    };
    MonitoredItemCreateRequest {
        item_to_monitor: ReadValueId {
            node_id: node,
            attribute_id: AttributeId::Value as u32,
            ..Default::default()
        },
        monitoring_mode: MonitoringMode::Reporting,
        requested_parameters: MonitoringParameters {
            client_handle,
            sampling_interval: f64::from(sampling_ms),
            filter: ExtensionObject::from_message(filter),
            queue_size: 10,
            discard_oldest: true,
        },
    }
}

/// One data-change notification as (time in ms since the epoch, value), or why not.
pub fn sample_from(dv: &DataValue, now_ms: i64) -> Result<(i64, f64), RejectReason> {
    if let Some(status) = dv.status
        && !status.is_good()
    {
        return Err(RejectReason::BadStatus);
    }
    let value = match dv.value.as_ref() {
        Some(Variant::Boolean(b)) => f64::from(u8::from(*b)),
        Some(Variant::SByte(v)) => f64::from(*v),
        Some(Variant::Byte(v)) => f64::from(*v),
        Some(Variant::Int16(v)) => f64::from(*v),
        Some(Variant::UInt16(v)) => f64::from(*v),
        Some(Variant::Int32(v)) => f64::from(*v),
        Some(Variant::UInt32(v)) => f64::from(*v),
        Some(Variant::Int64(v)) => *v as f64,
        Some(Variant::UInt64(v)) => *v as f64,
        Some(Variant::Float(v)) => f64::from(*v),
        Some(Variant::Double(v)) => *v,
        _ => return Err(RejectReason::WrongType),
    };
    if !value.is_finite() {
        return Err(RejectReason::NotFinite);
    }
    let ts_ms = dv
        .source_timestamp
        .or(dv.server_timestamp)
        .map_or(now_ms, |t| t.as_chrono().timestamp_millis());
    if ts_ms < MIN_TS_MS || ts_ms > now_ms.saturating_add(MAX_AHEAD_MS) {
        return Err(RejectReason::BadTimestamp);
    }
    Ok((ts_ms, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::opcua::types::{DateTime, StatusCode};

    fn dv(
        value: Option<Variant>,
        status: Option<StatusCode>,
        source: Option<i64>,
        server: Option<i64>,
    ) -> DataValue {
        let t = |ms: i64| {
            DateTime::from(chrono::DateTime::from_timestamp_millis(ms).expect("valid time"))
        };
        DataValue {
            value,
            status,
            source_timestamp: source.map(t),
            server_timestamp: server.map(t),
            ..Default::default()
        }
    }

    #[test]
    fn data_values_become_samples_or_counted_rejections() {
        // 2026-11-21T10:00:00Z
        let now = 1_795_168_800_000;
        let src = now - 1_500;
        let srv = now - 1_000;
        use RejectReason::*;
        type Case = (DataValue, Result<(i64, f64), RejectReason>);
        let cases: Vec<Case> = vec![
            // Numbers of every width, the source time wins over the server time.
            (
                dv(Some(Variant::Double(4.25)), None, Some(src), Some(srv)),
                Ok((src, 4.25)),
            ),
            (
                dv(
                    Some(Variant::Float(1.5)),
                    Some(StatusCode::Good),
                    Some(src),
                    None,
                ),
                Ok((src, 1.5)),
            ),
            (
                dv(Some(Variant::Int32(-7)), None, Some(src), None),
                Ok((src, -7.0)),
            ),
            (
                dv(Some(Variant::UInt16(65_535)), None, Some(src), None),
                Ok((src, 65_535.0)),
            ),
            (
                dv(Some(Variant::Int64(1 << 40)), None, Some(src), None),
                Ok((src, 1_099_511_627_776.0)),
            ),
            (
                dv(Some(Variant::Byte(200)), None, Some(src), None),
                Ok((src, 200.0)),
            ),
            // Booleans are run signals: 1 / 0.
            (
                dv(Some(Variant::Boolean(true)), None, Some(src), None),
                Ok((src, 1.0)),
            ),
            (
                dv(Some(Variant::Boolean(false)), None, Some(src), None),
                Ok((src, 0.0)),
            ),
            // No source time: the server's; neither: the receive time.
            (
                dv(Some(Variant::Double(2.0)), None, None, Some(srv)),
                Ok((srv, 2.0)),
            ),
            (
                dv(Some(Variant::Double(2.0)), None, None, None),
                Ok((now, 2.0)),
            ),
            // Bad and Uncertain values are skipped, whatever the value.
            (
                dv(
                    Some(Variant::Double(9.0)),
                    Some(StatusCode::BadSensorFailure),
                    Some(src),
                    None,
                ),
                Err(BadStatus),
            ),
            (
                dv(None, Some(StatusCode::BadNodeIdUnknown), None, Some(srv)),
                Err(BadStatus),
            ),
            (
                dv(
                    Some(Variant::Double(9.0)),
                    Some(StatusCode::UncertainLastUsableValue),
                    Some(src),
                    None,
                ),
                Err(BadStatus),
            ),
            // Not a number.
            (
                dv(Some(Variant::String("7".into())), None, Some(src), None),
                Err(WrongType),
            ),
            (dv(None, None, Some(src), None), Err(WrongType)),
            (
                dv(Some(Variant::Empty), None, Some(src), None),
                Err(WrongType),
            ),
            (
                dv(Some(Variant::Double(f64::NAN)), None, Some(src), None),
                Err(NotFinite),
            ),
            (
                dv(Some(Variant::Float(f32::INFINITY)), None, Some(src), None),
                Err(NotFinite),
            ),
            // A PLC clock at 1970, or two days ahead.
            (
                dv(Some(Variant::Double(1.0)), None, Some(5_000), None),
                Err(BadTimestamp),
            ),
            (
                dv(
                    Some(Variant::Double(1.0)),
                    None,
                    Some(now + 2 * 86_400_000),
                    None,
                ),
                Err(BadTimestamp),
            ),
        ];
        for (i, (value, want)) in cases.into_iter().enumerate() {
            assert_eq!(sample_from(&value, now), want, "case {i}: {value:?}");
        }
    }

    #[test]
    fn monitored_item_carries_sampling_and_absolute_deadband() {
        let node = NodeId::from_str("ns=2;s=Pump1.Vibration").expect("node id");
        let r = monitored_item(node.clone(), 3, 250, 0.5);
        assert_eq!(r.item_to_monitor.node_id, node);
        assert_eq!(r.item_to_monitor.attribute_id, AttributeId::Value as u32);
        assert_eq!(r.requested_parameters.client_handle, 3);
        assert_eq!(r.requested_parameters.sampling_interval, 250.0);
        let f = r
            .requested_parameters
            .filter
            .inner_as::<DataChangeFilter>()
            .expect("a DataChangeFilter");
        assert_eq!(f.deadband_type, DeadbandType::Absolute as u32);
        assert_eq!(f.deadband_value, 0.5);
        assert_eq!(f.trigger, DataChangeTrigger::StatusValue);
        let r = monitored_item(node, 1, 1000, 0.0);
        let f = r
            .requested_parameters
            .filter
            .inner_as::<DataChangeFilter>()
            .expect("a DataChangeFilter");
        assert_eq!(f.deadband_type, DeadbandType::None as u32);
    }

    #[test]
    fn bindings_are_grouped_per_endpoint() {
        let b = |e: &str, n: &str| OpcUaBinding {
            signal_id: Uuid::now_v7(),
            endpoint: e.into(),
            node_id: n.into(),
            sampling_ms: 1000,
            deadband: 0.0,
        };
        let list = vec![
            b("opc.tcp://a:4840", "ns=2;s=Z"),
            b("opc.tcp://b:4840", "i=2258"),
            b("opc.tcp://a:4840", "ns=2;s=A"),
        ];
        let g = by_endpoint(&list);
        assert_eq!(g.len(), 2);
        let a: Vec<&str> = g["opc.tcp://a:4840"]
            .iter()
            .map(|x| x.node_id.as_str())
            .collect();
        assert_eq!(a, ["ns=2;s=A", "ns=2;s=Z"]);
        assert_eq!(g["opc.tcp://b:4840"].len(), 1);
    }
}
