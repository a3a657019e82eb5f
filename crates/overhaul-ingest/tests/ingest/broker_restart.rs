//! A broker of our own (the real `mosquitto` binary, on a free loopback port, with persistence
//! in a temp dir) is restarted under the connector: it reconnects by itself, and QoS 1 messages
//! the broker accepted while the connector was away are delivered after the restart.

use crate::mqtt::{config, test_client_on, values};
use crate::support::*;
use overhaul_ingest::{Connector, MqttConfig, Sample};
use rumqttc::v5::mqttbytes::QoS;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

const MOSQUITTO: &str = "/usr/sbin/mosquitto";

struct Broker {
    child: Child,
}

impl Broker {
    fn start(dir: &Path, port: u16) -> Broker {
        let conf = dir.join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n\
                 persistence_location {}/\nautosave_interval 1\n",
                dir.display()
            ),
        )
        .unwrap();
        let child = Command::new(MOSQUITTO)
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto starts");
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        for _ in 0..100 {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
                return Broker { child };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut child = child;
        let _ = child.kill();
        let _ = child.wait();
        panic!("own mosquitto did not listen on {port}");
    }

    /// SIGTERM: mosquitto saves its persistence file and exits.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let _ = self.child.wait();
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mosquitto_binary() -> bool {
    if Path::new(MOSQUITTO).exists() {
        return true;
    }
    if std::env::var("OVERHAUL_REQUIRE_MQTT").is_ok_and(|v| v == "1") {
        panic!("{MOSQUITTO} is missing and OVERHAUL_REQUIRE_MQTT=1 requires it");
    }
    eprintln!("NOTICE: {MOSQUITTO} not found; test skipped");
    false
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn publish_acked(port: u16, topic: &str, values: std::ops::RangeInclusive<i32>) {
    let mut c = test_client_on(&format!("pub-{}", unique()), port);
    let n = values.clone().count();
    for v in values {
        c.client
            .publish(topic, QoS::AtLeastOnce, false, v.to_string())
            .await
            .unwrap();
    }
    tokio::time::timeout(Duration::from_secs(10), c.pubacks.wait_for(|a| *a >= n))
        .await
        .expect("the broker accepted every message")
        .unwrap();
    c.client.disconnect().await.unwrap();
}

/// Receive until every value of `want` arrived. Delivery is at-least-once: a message whose
/// acknowledgement was cut off by the restart may come again, so repeats of values in `seen`
/// are allowed; anything else is not.
async fn take(rx: &mut mpsc::Receiver<Vec<Sample>>, want: &[f64], seen: &mut Vec<f64>) {
    let mut missing: Vec<f64> = want.to_vec();
    while !missing.is_empty() {
        for v in values(&next_batch(rx, 15).await) {
            if let Some(i) = missing.iter().position(|m| *m == v) {
                missing.remove(i);
            } else {
                assert!(seen.contains(&v), "unexpected value {v}");
            }
            seen.push(v);
        }
    }
}

fn cfg(client_id: &str, port: u16) -> MqttConfig {
    let mut c = config(client_id);
    c.port = port;
    c.reconnect_min = Duration::from_millis(100);
    c.reconnect_max = Duration::from_millis(500);
    c
}

#[tokio::test]
async fn broker_restart_reconnects_and_loses_no_accepted_qos1_message() {
    if !mosquitto_binary() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Started as root, mosquitto drops to its own user, which must be able to save there.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    let port = free_port();
    let broker = Broker::start(dir.path(), port);
    let topic = format!("overhaul-test/{}/restart", unique());
    let binding = json_binding(&topic, "");
    let client_id = format!("ingest-restart-{}", unique());
    let (_bindings_tx, bindings_rx) = watch::channel(vec![binding.clone()]);
    let (tx, mut rx) = mpsc::channel(16);
    let connector = Connector::spawn(cfg(&client_id, port), bindings_rx.clone(), tx, None);
    assert!(connector.wait_ready(Duration::from_secs(10)).await);
    publish_acked(port, &topic, 1..=3).await;
    let mut seen = Vec::new();
    take(&mut rx, &[1.0, 2.0, 3.0], &mut seen).await;

    // Restart under a running connector: it notices, backs off, reconnects on its own.
    broker.stop();
    let mut status = connector.status();
    tokio::time::timeout(Duration::from_secs(10), status.wait_for(|s| !s.connected))
        .await
        .expect("disconnect noticed")
        .unwrap();
    let broker = Broker::start(dir.path(), port);
    assert!(
        connector.wait_ready(Duration::from_secs(10)).await,
        "reconnected"
    );
    assert_eq!(connector.counters().connections.load(Ordering::Relaxed), 2);
    publish_acked(port, &topic, 4..=6).await;
    take(&mut rx, &[4.0, 5.0, 6.0], &mut seen).await;

    // Away while messages are accepted, and the broker restarts in between: the persistent
    // session brings them when the connector comes back.
    connector.shutdown().await;
    publish_acked(port, &topic, 7..=9).await;
    broker.stop();
    let _broker = Broker::start(dir.path(), port);
    let (tx, mut rx2) = mpsc::channel(16);
    let again = Connector::spawn(cfg(&client_id, port), bindings_rx, tx, None);
    take(&mut rx2, &[7.0, 8.0, 9.0], &mut seen).await;
    again.shutdown().await;
}
