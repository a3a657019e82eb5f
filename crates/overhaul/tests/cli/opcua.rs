//! `overhaul serve --opcua` against a real OPC UA server nobody here wrote: Python's `asyncua`
//! (PyPI), started on loopback from `opcua_server.py`. Skipped with a notice when python3 or
//! asyncua is missing, unless `OVERHAUL_REQUIRE_OPCUA=1`.

use super::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::ChildStdin;
use std::sync::mpsc;

const SERVER_PY: &str = include_str!("opcua_server.py");

fn asyncua_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import asyncua"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("OVERHAUL_REQUIRE_OPCUA").as_deref() != Ok("1"),
            "OVERHAUL_REQUIRE_OPCUA=1 but python3 with the asyncua package is missing \
             (python3 -m pip install asyncua)"
        );
        eprintln!("NOTICE: OPC UA test skipped: python3 with asyncua not found");
    }
    ok
}

/// The Python OPC UA server, its stdin (commands) and a channel of its stdout lines.
struct PyServer {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
}

impl PyServer {
    fn start(dir: &Path, port: u16) -> PyServer {
        let script = dir.join("opcua_server.py");
        std::fs::write(&script, SERVER_PY).expect("write script");
        let log = std::fs::File::create(dir.join(format!("python-{port}.log"))).expect("log");
        let mut child = Command::new("python3")
            .arg(&script)
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("spawn python3");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let mut s = PyServer {
            child,
            stdin,
            lines,
        };
        // asyncua builds the standard address space first: slow on a busy machine.
        s.wait_for("READY", Duration::from_secs(90));
        s
    }

    fn wait_for(&mut self, prefix: &str, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) if l.starts_with(prefix) => return,
                Ok(_) => {}
                Err(e) => panic!("OPC UA server: no '{prefix}' line ({e})"),
            }
        }
    }

    fn command(&mut self, cmd: &str) {
        writeln!(self.stdin, "{cmd}").expect("write command");
        self.stdin.flush().expect("flush");
        self.wait_for(&format!("DONE {cmd}"), Duration::from_secs(10));
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn get_json(c: &reqwest::Client, token: &str, url: String) -> serde_json::Value {
    let r = c.get(&url).bearer_auth(token).send().await.expect("GET");
    assert!(r.status().is_success(), "GET {url}: {}", r.status());
    r.json().await.expect("json")
}

/// (ts_ms, value) of a signal's raw readings of the last hour.
async fn readings(c: &reqwest::Client, base: &str, token: &str, signal: &str) -> Vec<(i64, f64)> {
    let v = get_json(
        c,
        token,
        format!("{base}/api/v1/signals/{signal}/readings?limit=100000"),
    )
    .await;
    v.as_array()
        .expect("readings")
        .iter()
        .map(|r| {
            (
                r["ts_ms"].as_i64().expect("ts_ms"),
                r["value"].as_f64().expect("value"),
            )
        })
        .collect()
}

async fn wait_until<F, Fut>(what: &str, within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// asyncua server → `overhaul serve --opcua` → readings, one alarm, exactly one work request;
/// Bad values skipped; the deadband reaches the server; a server restart is survived.
#[tokio::test]
async fn opc_ua_signals_from_an_asyncua_server_raise_one_work_request_and_survive_a_restart() {
    if !asyncua_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let opc_port = free_port();
    let mut py = PyServer::start(dir.path(), opc_port);
    let endpoint = format!("opc.tcp://127.0.0.1:{opc_port}/overhaul-test/");

    let (url, _guard) = testing::fresh_url().await.expect("url");
    let port = free_port();
    let log_path = dir.path().join("overhaul.log");
    let mut serve = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--opcua",
            "--opcua-pki-dir",
        ])
        .arg(dir.path().join("pki"))
        .env("OVERHAUL_DATABASE_URL", &url)
        .env("OVERHAUL_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).expect("log"))
        .spawn()
        .expect("serve");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (token, area) = setup(&url, &base).await;
    let c = reqwest::Client::new();
    let a = get_json(&c, &token, format!("{base}/api/v1/assets/{area}")).await;
    let post = |path: &str, body: serde_json::Value| {
        c.post(format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let p: serde_json::Value = post(
        "/api/v1/assets",
        serde_json::json!({"site_id": a["site_id"], "parent_id": area, "code": "P1",
                           "name": "Pump", "level": "equipment"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let pump = p["id"].as_str().expect("pump id").to_owned();

    // A sampling interval outside 10 ms..1 h or a negative deadband is refused, field by field.
    let r = post(
        "/api/v1/signals",
        serde_json::json!({
            "asset_id": pump, "name": "bad", "kind": "gauge", "unit": "mm/s",
            "source": {"kind": "opc_ua", "endpoint": endpoint, "node_id": "ns=2;s=Nope",
                       "sampling_ms": 5, "deadband": -1.0}
        }),
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("source.sampling_ms") && body.contains("source.deadband"),
        "{body}"
    );

    let create = |name: &str, kind: &str, node: &str, deadband: f64, rules: serde_json::Value| {
        let body = serde_json::json!({
            "asset_id": pump, "name": name, "kind": kind, "unit": if kind == "run" { "h" } else { "units" },
            "source": {"kind": "opc_ua", "endpoint": endpoint, "node_id": node,
                       "sampling_ms": 100, "deadband": deadband},
            "rules": rules
        });
        let req = post("/api/v1/signals", body);
        async move {
            let r = req.await.expect("signal");
            assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
            let v: serde_json::Value = r.json().await.expect("json");
            v["id"].as_str().expect("signal id").to_owned()
        }
    };
    let vib = create(
        "vibration",
        "gauge",
        "ns=2;s=Pump1.Vibration",
        0.0,
        serde_json::json!([{"name": "high", "priority": "high",
            "params": {"kind": "threshold", "level": "h", "limit": 7.1, "deadband": 0.3}}]),
    )
    .await;
    let run = create(
        "running",
        "run",
        "ns=2;s=Pump1.Running",
        0.0,
        serde_json::json!([]),
    )
    .await;
    let temp = create(
        "temperature",
        "gauge",
        "ns=2;s=Pump1.Temperature",
        0.5,
        serde_json::json!([]),
    )
    .await;

    // The connector picks the signals up within its reload interval (5 s).
    wait_until("first readings", Duration::from_secs(60), || async {
        !readings(&c, &base, &token, &vib).await.is_empty()
            && readings(&c, &base, &token, &run).await.len() >= 2
            && readings(&c, &base, &token, &temp).await.len() >= 3
    })
    .await;

    // Chatter around the limit, stamped by the "PLC" 2 s behind the server clock; a value
    // with a Bad status code in between.
    let values = [8.0, 6.0, 8.2, 6.5, 8.4, 6.1, 8.8, 9.0];
    let mut sent = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let ts = now_ms() - 2_000;
        py.command(&format!("vib {v} {ts}"));
        sent.push((ts, *v));
        if i == 3 {
            py.command("bad 55.5");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    wait_until(
        "every chatter value, with its source timestamp",
        Duration::from_secs(30),
        || async {
            let got = readings(&c, &base, &token, &vib).await;
            sent.iter().all(|s| got.contains(s))
        },
    )
    .await;
    let got = readings(&c, &base, &token, &vib).await;
    assert!(
        got.iter().all(|(_, v)| *v != 55.5),
        "a Bad value became a reading: {got:?}"
    );
    let requests = get_json(
        &c,
        &token,
        format!("{base}/api/v1/work-requests?asset_id={pump}"),
    )
    .await;
    let items = requests["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "exactly one work request: {requests}");
    let alarms = get_json(
        &c,
        &token,
        format!("{base}/api/v1/alarms?signal_id={vib}&active=true"),
    )
    .await;
    let alarms = alarms
        .as_array()
        .or_else(|| alarms["items"].as_array())
        .cloned()
        .expect("alarms");
    assert_eq!(alarms.len(), 1, "one active alarm: {alarms:?}");

    // The run signal toggles: both states arrive as 1/0.
    let r = readings(&c, &base, &token, &run).await;
    assert!(
        r.iter().any(|x| x.1 == 1.0) && r.iter().any(|x| x.1 == 0.0),
        "{r:?}"
    );
    // The absolute deadband (0.5) is applied by the server: it steps 0.1 four times and 2.0
    // the fifth, so only the big steps come through.
    let t = readings(&c, &base, &token, &temp).await;
    assert!(t.len() >= 3, "{t:?}");
    for w in t.windows(2) {
        assert!(
            (w[1].1 - w[0].1).abs() > 0.5,
            "a change within the deadband was reported: {t:?}"
        );
    }

    // Stop the OPC UA server; readings stop. Start it again on the same port: the connector
    // reconnects with backoff and readings resume.
    py.stop();
    let stopped_at = now_ms();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let py2 = PyServer::start(dir.path(), opc_port);
    let mut py = py2;
    wait_until(
        "readings after the server restart",
        Duration::from_secs(90),
        || async {
            readings(&c, &base, &token, &temp)
                .await
                .iter()
                .any(|(ts, _)| *ts > stopped_at + 3_000)
        },
    )
    .await;
    let ts = now_ms() - 1_000;
    py.command(&format!("vib 3.25 {ts}"));
    wait_until(
        "a commanded value after the restart",
        Duration::from_secs(30),
        || async {
            readings(&c, &base, &token, &vib)
                .await
                .contains(&(ts, 3.25))
        },
    )
    .await;
    let requests = get_json(
        &c,
        &token,
        format!("{base}/api/v1/work-requests?asset_id={pump}"),
    )
    .await;
    assert_eq!(
        requests["items"].as_array().expect("items").len(),
        1,
        "still one work request: {requests}"
    );
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    assert!(
        log.matches("OPC UA session open").count() >= 2,
        "a second session after the restart: {log}"
    );
    py.stop();
    let _ = serve.kill();
    let _ = serve.wait();
}
