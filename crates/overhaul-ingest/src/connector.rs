//! The MQTT v5 connector (rumqttc): persistent session, QoS 1 with manual acknowledgements,
//! shared subscriptions, reconnect with exponential backoff, Sparkplug host STATE with a Will,
//! and bindings that can change while it runs.
//!
//! Two tasks: the *session* task owns the rumqttc event loop and only moves packets (so pings
//! keep flowing while samples wait for a slow consumer); the *worker* task decodes each message,
//! hands its samples to the bounded output channel and only then acknowledges it. The broker
//! holds at most `receive_maximum` unacknowledged QoS 1 messages for us, which bounds memory;
//! a message whose samples were not handed on is never acknowledged, so the broker redelivers
//! it after a reconnect (at-least-once).

use crate::counters::Counters;
use crate::pipeline::{Pipeline, Routes, StaleSignals, SubscriptionPolicy};
use crate::sparkplug::{Topic, state_payload};
use crate::{Binding, Sample};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Filter, LastWill, Packet, Publish, SubscribeReasonCode};
use rumqttc::v5::{AsyncClient, Event, EventLoop, MqttOptions};
use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// Connector settings. [`MqttConfig::new`] gives the defaults.
#[derive(Clone, Debug)]
pub struct MqttConfig {
    pub host: String,
    pub port: u16,
    /// Must be unique per instance and stable across restarts (the persistent session is
    /// keyed by it).
    pub client_id: String,
    /// Username and password for the broker, if it asks for them.
    pub credentials: Option<(String, Password)>,
    pub subscriptions: SubscriptionPolicy,
    /// When set, the connector is a Sparkplug host application with this id: it publishes
    /// `spBv1.0/STATE/{id}` online (retained, QoS 1) after connecting, with a Will saying offline.
    pub sparkplug_host_id: Option<String>,
    pub keep_alive: Duration,
    /// How long the broker keeps the session (subscriptions and queued QoS 1 messages) while
    /// the connector is away.
    pub session_expiry: Duration,
    /// Most unacknowledged QoS 1 messages the broker may have in flight to us.
    pub receive_maximum: u16,
    pub max_packet_size: u32,
    pub reconnect_min: Duration,
    pub reconnect_max: Duration,
    /// Minimum time between two rebirth requests to one edge node.
    pub rebirth_interval: Duration,
    /// A rejection reason is logged at most once per interval.
    pub log_interval: Duration,
    /// Messages buffered between the session and the worker task.
    pub queue: usize,
}

impl MqttConfig {
    pub fn new(host: impl Into<String>, port: u16, client_id: impl Into<String>) -> Self {
        MqttConfig {
            host: host.into(),
            port,
            client_id: client_id.into(),
            credentials: None,
            subscriptions: SubscriptionPolicy::default(),
            sparkplug_host_id: None,
            keep_alive: Duration::from_secs(30),
            session_expiry: Duration::from_secs(24 * 3600),
            receive_maximum: 256,
            max_packet_size: 4 * 1024 * 1024,
            reconnect_min: Duration::from_millis(200),
            reconnect_max: Duration::from_secs(30),
            rebirth_interval: Duration::from_secs(10),
            log_interval: Duration::from_secs(60),
            queue: 1024,
        }
    }
}

/// A broker password; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(pub String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// What the connector is doing, for readiness checks and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    pub connected: bool,
    /// Filters the broker confirmed since the last (re)connect.
    pub subscribed: BTreeSet<String>,
    /// Filters the bindings currently need.
    pub wanted: BTreeSet<String>,
}

impl Status {
    /// Connected, and every wanted filter is confirmed.
    pub fn ready(&self) -> bool {
        self.connected && self.wanted.is_subset(&self.subscribed)
    }
}

/// A running connector. Dropping it stops it (without the clean offline STATE); prefer
/// [`Connector::shutdown`].
pub struct Connector {
    counters: Arc<Counters>,
    status: watch::Receiver<Status>,
    stop: watch::Sender<bool>,
    session: JoinHandle<()>,
    worker: JoinHandle<()>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn to_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Filters that rumqttc sent a SUBSCRIBE for, by packet id, until the SUBACK arrives.
type InFlightSubs = Arc<Mutex<Vec<Vec<String>>>>;

impl Connector {
    /// Start the connector. Samples go to `samples` in one batch per MQTT message; stale notices
    /// (Sparkplug NDEATH/DDEATH) to `stale` when given.
    pub fn spawn(
        config: MqttConfig,
        mut bindings: watch::Receiver<Vec<Binding>>,
        samples: mpsc::Sender<Vec<Sample>>,
        stale: Option<mpsc::Sender<StaleSignals>>,
    ) -> Connector {
        let counters = Arc::new(Counters::default());
        let routes = Arc::new(Routes::new(&bindings.borrow_and_update()));
        let wanted = wanted_filters(&routes, &config);
        let (status_tx, status) = watch::channel(Status {
            wanted: wanted.clone(),
            ..Status::default()
        });
        let status_tx = Arc::new(status_tx);
        let (stop, stop_rx) = watch::channel(false);

        let mut options = MqttOptions::new(&config.client_id, &config.host, config.port);
        options
            .set_keep_alive(config.keep_alive)
            .set_clean_start(false)
            .set_session_expiry_interval(Some(
                u32::try_from(config.session_expiry.as_secs()).unwrap_or(u32::MAX),
            ))
            .set_manual_acks(true)
            .set_receive_maximum(Some(config.receive_maximum))
            .set_max_packet_size(Some(config.max_packet_size));
        if let Some((user, password)) = &config.credentials {
            options.set_credentials(user, &password.0);
        }
        // Acks never wait for room: at most receive_maximum of them are pending at a time.
        let cap = usize::from(config.receive_maximum) * 2 + 1024;
        let (client, eventloop) = AsyncClient::new(options, cap);
        let (msg_tx, msg_rx) = mpsc::channel::<Publish>(config.queue.max(1));
        let in_flight: InFlightSubs = Arc::default();

        let session = tokio::spawn(run_session(SessionCtx {
            config: config.clone(),
            eventloop,
            client: client.clone(),
            msg_tx,
            stop: stop_rx,
            status: Arc::clone(&status_tx),
            counters: Arc::clone(&counters),
            in_flight: Arc::clone(&in_flight),
        }));
        let mut pipeline = Pipeline::new(
            routes,
            Arc::clone(&counters),
            to_ms(config.rebirth_interval),
            to_ms(config.log_interval),
        );
        let worker_config = config.clone();
        let worker = tokio::spawn(async move {
            let mut msg_rx = msg_rx;
            let mut bindings_open = true;
            loop {
                tokio::select! {
                    msg = msg_rx.recv() => {
                        let Some(p) = msg else { break };
                        if !process(&mut pipeline, &client, &p, &samples, stale.as_ref()).await {
                            break;
                        }
                    }
                    changed = bindings.changed(), if bindings_open => {
                        if changed.is_err() {
                            bindings_open = false;
                            continue;
                        }
                        let routes = Arc::new(Routes::new(&bindings.borrow_and_update()));
                        let new = wanted_filters(&routes, &worker_config);
                        pipeline.set_routes(routes);
                        let old = status_tx.borrow().wanted.clone();
                        status_tx.send_modify(|s| s.wanted = new.clone());
                        let added: Vec<String> = new.difference(&old).cloned().collect();
                        for gone in old.difference(&new) {
                            status_tx.send_modify(|s| { s.subscribed.remove(gone); });
                            let _ = client.unsubscribe(gone.clone()).await;
                        }
                        subscribe(&client, &in_flight, added).await;
                    }
                }
            }
        });
        Connector {
            counters,
            status,
            stop,
            session,
            worker,
        }
    }

    pub fn counters(&self) -> &Arc<Counters> {
        &self.counters
    }

    pub fn status(&self) -> watch::Receiver<Status> {
        self.status.clone()
    }

    /// Wait until connected and all wanted subscriptions are confirmed; `false` on timeout.
    pub async fn wait_ready(&self, timeout: Duration) -> bool {
        let mut rx = self.status.clone();
        tokio::time::timeout(timeout, rx.wait_for(Status::ready))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Publish STATE offline (when a host id is set), disconnect cleanly, and stop both tasks.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let Connector {
            mut session,
            mut worker,
            ..
        } = self;
        if tokio::time::timeout(Duration::from_secs(5), &mut session)
            .await
            .is_err()
        {
            session.abort();
        }
        // The worker may be waiting for room in the output channel; what it holds is not
        // acknowledged and comes again with the next session.
        if tokio::time::timeout(Duration::from_secs(1), &mut worker)
            .await
            .is_err()
        {
            worker.abort();
        }
    }
}

/// Decode, hand on, then acknowledge. `false` when the output channel is closed.
async fn process(
    pipeline: &mut Pipeline,
    client: &AsyncClient,
    p: &Publish,
    samples: &mpsc::Sender<Vec<Sample>>,
    stale: Option<&mpsc::Sender<StaleSignals>>,
) -> bool {
    let now = now_ms();
    let handled = match std::str::from_utf8(&p.topic) {
        Ok(topic) => pipeline.handle(topic, &p.payload, now),
        // The MQTT spec requires UTF-8 topics; a broker should never deliver one.
        Err(_) => Default::default(),
    };
    if !handled.samples.is_empty() && samples.send(handled.samples).await.is_err() {
        // Nobody takes samples any more: stop without acknowledging this message.
        return false;
    }
    if let Some(tx) = stale {
        for s in handled.stale {
            let _ = tx.send(s).await;
        }
    }
    for (topic, payload) in handled.commands {
        // Sparkplug commands are QoS 0, not retained.
        if client
            .publish(topic, QoS::AtMostOnce, false, payload)
            .await
            .is_ok()
        {
            pipeline
                .counters()
                .rebirths_requested
                .fetch_add(1, Ordering::Relaxed);
        }
    }
    if p.qos != QoS::AtMostOnce {
        let _ = client.ack(p).await;
    }
    true
}

async fn subscribe(client: &AsyncClient, in_flight: &InFlightSubs, filters: Vec<String>) {
    if filters.is_empty() {
        return;
    }
    if let Ok(mut q) = in_flight.lock() {
        q.push(filters.clone());
    }
    let req = filters
        .into_iter()
        .map(|f| Filter::new(f, QoS::AtLeastOnce));
    if let Err(e) = client.subscribe_many(req).await {
        tracing::warn!(error = %e, "MQTT subscribe request failed");
    }
}

struct SessionCtx {
    config: MqttConfig,
    eventloop: EventLoop,
    client: AsyncClient,
    msg_tx: mpsc::Sender<Publish>,
    stop: watch::Receiver<bool>,
    status: Arc<watch::Sender<Status>>,
    counters: Arc<Counters>,
    in_flight: InFlightSubs,
}

/// The binding's filters, plus the host's own STATE topic (a Sparkplug 3.0 host watches it to
/// reassert itself when something else declares it offline).
fn wanted_filters(routes: &Routes, config: &MqttConfig) -> BTreeSet<String> {
    let mut f = routes.subscriptions(&config.subscriptions);
    if let Some(id) = &config.sparkplug_host_id {
        f.insert(Topic::state(id));
    }
    f
}

/// `Some(false)` for a STATE payload saying offline.
fn state_online(payload: &[u8]) -> Option<bool> {
    serde_json::from_slice::<serde_json::Value>(payload)
        .ok()?
        .get("online")?
        .as_bool()
}

fn host_will(host_id: &str, birth_ms: i64) -> LastWill {
    LastWill::new(
        Topic::state(host_id),
        state_payload(false, birth_ms),
        QoS::AtLeastOnce,
        true,
        None,
    )
}

async fn run_session(mut cx: SessionCtx) {
    let mut backoff = cx.config.reconnect_min;
    // The STATE birth timestamp must equal the one in the Will of the same connection.
    let mut birth_ms = now_ms();
    if let Some(id) = &cx.config.sparkplug_host_id {
        cx.eventloop.options.set_last_will(host_will(id, birth_ms));
    }
    loop {
        let event = tokio::select! {
            e = cx.eventloop.poll() => e,
            _ = cx.stop.changed() => break,
        };
        match event {
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                backoff = cx.config.reconnect_min;
                cx.counters.connections.fetch_add(1, Ordering::Relaxed);
                tracing::info!(session_present = ack.session_present, "MQTT connected");
                if let Ok(mut q) = cx.in_flight.lock() {
                    q.clear();
                }
                let wanted = cx.status.borrow().wanted.clone();
                cx.status.send_modify(|s| {
                    s.connected = true;
                    s.subscribed.clear();
                });
                // Subscribe again even when the session was kept: it is idempotent and covers
                // sessions the broker expired.
                let client = cx.client.clone();
                let in_flight = Arc::clone(&cx.in_flight);
                let host = cx.config.sparkplug_host_id.clone();
                // Requests go through rumqttc's channel, which this task drains: send them from
                // a helper task so this loop keeps polling.
                tokio::spawn(async move {
                    subscribe(&client, &in_flight, wanted.into_iter().collect()).await;
                    if let Some(id) = host {
                        let _ = client
                            .publish(
                                Topic::state(&id),
                                QoS::AtLeastOnce,
                                true,
                                state_payload(true, birth_ms),
                            )
                            .await;
                    }
                });
            }
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                let filters = cx
                    .in_flight
                    .lock()
                    .ok()
                    .and_then(|mut q| (!q.is_empty()).then(|| q.remove(0)))
                    .unwrap_or_default();
                let mut ok = Vec::new();
                for (f, code) in filters.into_iter().zip(ack.return_codes.iter()) {
                    match code {
                        SubscribeReasonCode::Success(_) => ok.push(f),
                        other => {
                            tracing::error!(filter = %f, code = ?other, "MQTT subscription refused")
                        }
                    }
                }
                cx.status.send_modify(|s| s.subscribed.extend(ok));
            }
            Ok(Event::Incoming(Packet::Publish(p))) => {
                if let Some(id) = &cx.config.sparkplug_host_id
                    && p.topic == Topic::state(id).as_bytes()
                {
                    // Our own STATE: if it says offline (a stale Will, another process with our
                    // id), say online again with this connection's birth timestamp.
                    if state_online(&p.payload) == Some(false) {
                        tracing::warn!(host_id = %id, "own STATE reads offline; republishing online");
                        let _ = cx.client.try_publish(
                            Topic::state(id),
                            QoS::AtLeastOnce,
                            true,
                            state_payload(true, birth_ms),
                        );
                    }
                    if p.qos != QoS::AtMostOnce {
                        let _ = cx.client.try_ack(&p);
                    }
                    continue;
                }
                if cx.msg_tx.send(p).await.is_err() {
                    break;
                }
            }
            Ok(Event::Incoming(Packet::Disconnect(d))) => {
                tracing::warn!(reason = ?d.reason_code, "MQTT broker sent DISCONNECT");
            }
            Ok(_) => {}
            Err(e) => {
                cx.status.send_modify(|s| s.connected = false);
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "MQTT connection lost");
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = cx.stop.changed() => break,
                }
                backoff = (backoff * 2).min(cx.config.reconnect_max);
                if let Some(id) = &cx.config.sparkplug_host_id {
                    birth_ms = now_ms();
                    cx.eventloop.options.set_last_will(host_will(id, birth_ms));
                }
            }
        }
    }
    // Clean stop: say offline (a clean DISCONNECT suppresses the Will), then disconnect.
    if cx.status.borrow().connected {
        if let Some(id) = &cx.config.sparkplug_host_id {
            let _ = cx.client.try_publish(
                Topic::state(id),
                QoS::AtLeastOnce,
                true,
                state_payload(false, birth_ms),
            );
        }
        let _ = cx.client.try_disconnect();
        let drain = async {
            loop {
                match cx.eventloop.poll().await {
                    Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(3), drain).await;
    }
    cx.status.send_modify(|s| s.connected = false);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show_in_debug_output() {
        let mut c = MqttConfig::new("h", 1883, "id");
        c.credentials = Some(("user".into(), Password("hunter2".into())));
        let shown = format!("{c:?}");
        assert!(shown.contains("user") && shown.contains("***"));
        assert!(!shown.contains("hunter2"));
    }

    #[test]
    fn state_payloads_are_read_for_online() {
        assert_eq!(
            state_online(br#"{"online":false,"timestamp":1}"#),
            Some(false)
        );
        assert_eq!(state_online(br#"{"online":true}"#), Some(true));
        assert_eq!(state_online(b"OFFLINE"), None);
    }
}
