//! Skipping rules and small helpers shared by the tests.

use overhaul_ingest::{Binding, Sample, Source};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;
use uuid::Uuid;

pub const BROKER_HOST: &str = "127.0.0.1";
pub const BROKER_PORT: u16 = 1883;

fn required(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == "1")
}

/// `../shared/<rel>` beside the workspace, or `None` (with a visible notice) when absent.
/// With `OVERHAUL_REQUIRE_SHARED_DATA=1` (CI) an absent file fails the test.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")).join(rel);
    if p.exists() {
        return Some(p);
    }
    if required("OVERHAUL_REQUIRE_SHARED_DATA") {
        panic!(
            "{} is missing and OVERHAUL_REQUIRE_SHARED_DATA=1 requires it",
            p.display()
        );
    }
    eprintln!("NOTICE: {} not found; test skipped", p.display());
    None
}

/// Whether the broker listens on 127.0.0.1:1883. Without it the test is skipped with a notice,
/// unless `OVERHAUL_REQUIRE_MQTT=1`, which makes its absence a failure.
pub fn broker() -> bool {
    let addr: SocketAddr = ([127, 0, 0, 1], BROKER_PORT).into();
    if TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok() {
        return true;
    }
    if required("OVERHAUL_REQUIRE_MQTT") {
        panic!("no MQTT broker on {addr} and OVERHAUL_REQUIRE_MQTT=1 requires one");
    }
    eprintln!("NOTICE: no MQTT broker on {addr}; test skipped");
    false
}

/// A short random suffix so parallel tests and reruns never share topics or retained messages.
pub fn unique() -> String {
    Uuid::new_v4().simple().to_string()[..12].to_owned()
}

pub fn json_binding(topic: &str, pointer: &str) -> Binding {
    Binding {
        signal_id: Uuid::now_v7(),
        source: Source::MqttJson {
            topic: topic.into(),
            pointer: pointer.into(),
        },
    }
}

pub fn sparkplug_binding(group: &str, edge: &str, device: Option<&str>, metric: &str) -> Binding {
    Binding {
        signal_id: Uuid::now_v7(),
        source: Source::Sparkplug {
            group_id: group.into(),
            edge_node_id: edge.into(),
            device_id: device.map(Into::into),
            metric: metric.into(),
        },
    }
}

/// The next batch, or a failure after `secs`.
pub async fn next_batch(rx: &mut mpsc::Receiver<Vec<Sample>>, secs: u64) -> Vec<Sample> {
    tokio::time::timeout(Duration::from_secs(secs), rx.recv())
        .await
        .expect("a batch in time")
        .expect("channel open")
}

/// Poll `f` until it holds, for up to `secs`.
pub async fn eventually(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let end = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < end {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    f()
}
