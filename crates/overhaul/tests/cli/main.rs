//! The `overhaul` binary as users run it: exit codes, the audit check against a tampered
//! database, backup and restore, durability under SIGKILL, graceful shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::zombie_processes)]

mod azure_replay;
mod pm_instances;

use overhaul_store::testing;
use std::io::Write;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

#[cfg(feature = "opcua")]
mod opcua;
mod shared_subscription;

const BIN: &str = env!("CARGO_BIN_EXE_overhaul");

fn overhaul(url: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("OVERHAUL_DATABASE_URL", url)
        .env_remove("OVERHAUL_LISTEN")
        .output()
        .expect("run overhaul")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(url: &str) -> Server {
        let port = free_port();
        let child = Command::new(BIN)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("OVERHAUL_DATABASE_URL", url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn serve");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Server { child, base };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("server did not start");
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .expect("kill")
            .success();
        assert!(ok, "kill {sig}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates a site, an area and an admin with a token through the CLI and API.
async fn setup(url: &str, base: &str) -> (String, String) {
    let mut child = Command::new(BIN)
        .args([
            "user",
            "add",
            "--email",
            "root@test.example",
            "--name",
            "Root",
            "--role",
            "admin",
            "--password-stdin",
        ])
        .env("OVERHAUL_DATABASE_URL", url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"correct horse battery\n")
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{}", text(&out));
    let out = overhaul(url, &["token", "create", "--email", "root@test.example"]);
    assert!(out.status.success(), "{}", text(&out));
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let c = reqwest::Client::new();
    let site: serde_json::Value = c
        .post(format!("{base}/api/v1/sites"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"code": "S", "name": "S", "timezone": "UTC"}))
        .send()
        .await
        .expect("site")
        .json()
        .await
        .expect("json");
    let area: serde_json::Value = c
        .post(format!("{base}/api/v1/assets"))
        .bearer_auth(&token)
        .json(
            &serde_json::json!({"site_id": site["id"], "code": "A", "name": "A", "level": "area"}),
        )
        .send()
        .await
        .expect("asset")
        .json()
        .await
        .expect("json");
    (token, area["id"].as_str().expect("area id").to_owned())
}

#[test]
fn usage_errors_exit_2_and_failures_exit_1() {
    let out = Command::new(BIN)
        .arg("no-such-command")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    for bad in ["0", "3651", "ten"] {
        let out = Command::new(BIN)
            .args(["serve", "--readings-retention-days", bad])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "retention {bad}");
    }
    let out = Command::new(BIN)
        .args(["serve", "--database-url", "mysql://x"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: ") && err.lines().count() == 1,
        "{err}"
    );
    let out = Command::new(BIN)
        .args([
            "healthcheck",
            "--url",
            &format!("http://127.0.0.1:{}", free_port()),
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn openapi_command_prints_the_committed_document() {
    let out = Command::new(BIN).arg("openapi").output().expect("run");
    assert!(out.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi.json"))
            .expect("file"),
    )
    .expect("json");
    assert!(
        printed == committed,
        "openapi.json is stale: run `cargo run -q -- openapi > openapi.json`"
    );
}

#[tokio::test]
async fn audit_verify_detects_tampering_in_the_database() {
    let (url, _guard) = testing::fresh_url().await.expect("url");
    let server = Server::start(&url);
    let (token, area) = setup(&url, &server.base).await;
    let c = reqwest::Client::new();
    for i in 0..3 {
        let r = c
            .post(format!("{}/api/v1/work-orders", server.base))
            .bearer_auth(&token)
            .json(&serde_json::json!({"asset_id": area, "title": format!("Job {i}"), "type": "corrective", "priority": "normal"}))
            .send()
            .await
            .expect("create");
        assert_eq!(r.status(), 201);
    }
    drop(server);
    let out = overhaul(&url, &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("intact"));

    // Someone edits a work order's audit record directly in the database.
    let db = overhaul_store::Db::connect(&url).await.expect("connect");
    let target = 6_i64;
    match &db {
        overhaul_store::Db::Sqlite { write, .. } => {
            sqlx::query("DROP TRIGGER audit_log_no_update")
                .execute(write)
                .await
                .expect("drop trigger");
            sqlx::query(
                "UPDATE audit_log SET new_value = replace(new_value, 'Job', 'Jab') WHERE seq = $1",
            )
            .bind(target)
            .execute(write)
            .await
            .expect("tamper");
        }
        overhaul_store::Db::Postgres(p) => {
            sqlx::query("DROP TRIGGER audit_log_no_update ON audit_log")
                .execute(p)
                .await
                .expect("drop trigger");
            sqlx::query(
                "UPDATE audit_log SET new_value = replace(new_value, 'Job', 'Jab') WHERE seq = $1",
            )
            .bind(target)
            .execute(p)
            .await
            .expect("tamper");
        }
    }
    db.close().await;
    let out = overhaul(&url, &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("audit record {target} was altered")),
        "{}",
        text(&out)
    );
}

#[tokio::test]
async fn acknowledged_writes_survive_sigkill() {
    let (url, _guard) = testing::fresh_url().await.expect("url");
    let server = Server::start(&url);
    let (token, area) = setup(&url, &server.base).await;
    // Eight clients create work orders as fast as they can; the server is killed mid-stream.
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut tasks = Vec::new();
    for c in 0..8 {
        let base = server.base.clone();
        let token = token.clone();
        let area = area.clone();
        let acked = acked.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for i in 0..10_000 {
                let r = client
                    .post(format!("{base}/api/v1/work-orders"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"asset_id": area, "title": format!("c{c} n{i}"), "type": "corrective", "priority": "normal"}))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == 201 => {
                        if let Ok(v) = r.json::<serde_json::Value>().await
                            && let Some(id) = v["id"].as_str()
                        {
                            acked.lock().expect("lock").push(id.to_owned());
                        }
                    }
                    _ => break,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.signal("-KILL");
    for t in tasks {
        let _ = t.await;
    }
    drop(server);
    let acked = acked.lock().expect("lock").clone();
    assert!(
        acked.len() > 20,
        "too few writes before the kill: {}",
        acked.len()
    );
    // Restart and find every acknowledged work order.
    let server = Server::start(&url);
    let c = reqwest::Client::new();
    for id in &acked {
        let r = c
            .get(format!("{}/api/v1/work-orders/{id}", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 200, "acknowledged work order {id} was lost");
    }
    drop(server);
    let out = overhaul(&url, &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[tokio::test]
async fn sigterm_finishes_requests_in_flight_and_exits_cleanly() {
    let (url, _guard) = testing::fresh_url().await.expect("url");
    let mut server = Server::start(&url);
    let (token, area) = setup(&url, &server.base).await;
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let r = client
            .post(format!("{}/api/v1/work-orders", server.base))
            .bearer_auth(&token)
            .json(&serde_json::json!({"asset_id": area, "title": format!("n{i}"), "type": "corrective", "priority": "normal"}))
            .send();
        tasks.push(tokio::spawn(r));
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    server.signal("-TERM");
    let mut answered = 0;
    for t in tasks {
        // Every request the server accepted gets a complete answer; later ones are refused.
        if let Ok(Ok(r)) = t.await {
            assert_eq!(r.status(), 201);
            answered += 1;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = server.child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "server did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status:?}");
    assert!(answered > 0);
}

#[tokio::test]
async fn backup_and_restore_round_trip() {
    let (url, _guard) = testing::fresh_url().await.expect("url");
    let server = Server::start(&url);
    let (token, area) = setup(&url, &server.base).await;
    let c = reqwest::Client::new();
    for i in 0..5 {
        c.post(format!("{}/api/v1/work-orders", server.base))
            .bearer_auth(&token)
            .json(&serde_json::json!({"asset_id": area, "title": format!("Job {i}"), "type": "inspection", "priority": "low", "attachments": ["a.jpg"]}))
            .send()
            .await
            .expect("create");
    }
    let dir =
        std::env::temp_dir().join(format!("overhaul-backup-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("backup.bin");
    // Online: the server is still running.
    let out = overhaul(&url, &["backup", file.to_str().expect("path")]);
    assert!(out.status.success(), "{}", text(&out));
    let out = overhaul(&url, &["backup", file.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(1), "refuses to overwrite");
    drop(server);

    let (target, _guard2) = if url.starts_with("postgres") {
        testing::fresh_url().await.expect("url")
    } else {
        (
            format!("sqlite://{}", dir.join("restored.db").display()),
            testing::fresh_url().await.expect("unused").1,
        )
    };
    let out = overhaul(&target, &["restore", file.to_str().expect("path")]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("intact"), "{}", text(&out));
    let out = overhaul(&target, &["restore", file.to_str().expect("path")]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "restoring over data is refused: {}",
        text(&out)
    );
    let server = Server::start(&target);
    let r: serde_json::Value = c
        .get(format!("{}/api/v1/work-orders?limit=100", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let items = r["items"].as_array().expect("items");
    assert_eq!(items.len(), 5);
    assert_eq!(items[0]["attachments"], serde_json::json!(["a.jpg"]));
    drop(server);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn pm_and_kpi_commands() {
    let (url, _guard) = testing::fresh_url().await.expect("url");
    let out = overhaul(&url, &["pm", "generate", "--until", "2026-06-01"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("0 plans"), "{}", text(&out));
    let out = overhaul(&url, &["pm", "forecast", "--until", "not-a-date"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = overhaul(&url, &["kpi", "--site", "NOPE", "--asset", "X"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("no site with code NOPE"),
        "{}",
        text(&out)
    );
}

#[tokio::test]
async fn export_writes_csv_and_tokens_are_listed_and_revoked() {
    let (url, _guard) = testing::fresh_url().await.expect("url");
    let server = Server::start(&url);
    let (token, area) = setup(&url, &server.base).await;
    let c = reqwest::Client::new();
    for i in 0..3 {
        let r = c
            .post(format!("{}/api/v1/work-orders", server.base))
            .bearer_auth(&token)
            .json(&serde_json::json!({"asset_id": area, "title": format!("Fix, \"pump\" {i}"), "type": "corrective", "priority": "high"}))
            .send()
            .await
            .expect("create");
        assert_eq!(r.status().as_u16(), 201);
    }
    let out = overhaul(&url, &["export", "work-orders"]);
    assert!(out.status.success(), "{}", text(&out));
    let mut rd = csv::Reader::from_reader(out.stdout.as_slice());
    let header = rd.headers().expect("header").clone();
    assert_eq!(header.get(0), Some("id"));
    let title = header
        .iter()
        .position(|h| h == "title")
        .expect("title column");
    let mut titles: Vec<String> = rd
        .records()
        .map(|r| r.expect("row")[title].to_owned())
        .collect();
    titles.sort();
    assert_eq!(
        titles,
        ["Fix, \"pump\" 0", "Fix, \"pump\" 1", "Fix, \"pump\" 2"]
    );

    let dir =
        std::env::temp_dir().join(format!("overhaul-export-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("assets.csv");
    let out = overhaul(
        &url,
        &[
            "export",
            "assets",
            "--site",
            "S",
            "--output",
            file.to_str().expect("path"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let written = std::fs::read_to_string(&file).expect("file");
    assert_eq!(written.lines().count(), 2, "{written}");
    assert!(written.lines().nth(1).is_some_and(|l| l.contains(&area)));
    let out = overhaul(
        &url,
        &[
            "export",
            "assets",
            "--site",
            "NOPE",
            "--output",
            dir.join("x.csv").to_str().expect("path"),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(!dir.join("x.csv").exists(), "no file from a failed export");
    let out = overhaul(&url, &["export", "workorders"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("work-orders"), "{}", text(&out));

    // Tokens: listed with their use, revoked by id, refused at once.
    let out = overhaul(&url, &["token", "list", "--email", "root@test.example"]);
    assert!(out.status.success(), "{}", text(&out));
    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
    let id = listing
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .expect("a token row")
        .to_owned();
    let out = overhaul(&url, &["token", "revoke", &id]);
    assert!(out.status.success(), "{}", text(&out));
    let r = c
        .get(format!("{}/api/v1/sites", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status().as_u16(), 401);
    let out = overhaul(&url, &["token", "list", "--email", "nobody@test.example"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_configuration_file_sets_options_and_refuses_unknown_keys() {
    let dir =
        std::env::temp_dir().join(format!("overhaul-config-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let db = dir.join("from-config.db");
    std::fs::write(
        dir.join("overhaul.toml"),
        format!(
            "database_url = \"sqlite://{}\"\nlog = \"warn\"\n",
            db.display()
        ),
    )
    .expect("write");
    let run = |args: &[&str]| {
        Command::new(BIN)
            .args(args)
            .current_dir(&dir)
            .env_remove("OVERHAUL_DATABASE_URL")
            .env_remove("OVERHAUL_CONFIG")
            .output()
            .expect("run")
    };
    // ./overhaul.toml is read by default.
    let out = run(&["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(db.exists(), "the database named in the file was created");
    // The command line wins over the file.
    let other = dir.join("flag.db");
    let out = run(&[
        "migrate",
        "--database-url",
        &format!("sqlite://{}", other.display()),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(other.exists());
    // A misspelt key is refused, naming it, and nothing runs.
    std::fs::write(dir.join("bad.toml"), "databse_url = \"sqlite://x.db\"\n").expect("write");
    let out = run(&["--config", "bad.toml", "migrate"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("unknown setting 'databse_url'"),
        "{}",
        text(&out)
    );
    assert!(!dir.join("x.db").exists());
    let out = run(&["--config", "missing.toml", "migrate"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("missing.toml"), "{}", text(&out));
    let _ = std::fs::remove_dir_all(dir);
}

fn broker_available() -> bool {
    let up = std::net::TcpStream::connect(("127.0.0.1", 1883)).is_ok()
        && Command::new("mosquitto_pub").arg("--help").output().is_ok();
    if !up {
        assert!(
            std::env::var("OVERHAUL_REQUIRE_MQTT").as_deref() != Ok("1"),
            "OVERHAUL_REQUIRE_MQTT=1 but no Mosquitto (and mosquitto_pub) on 127.0.0.1:1883"
        );
        eprintln!("NOTICE: MQTT test skipped: no broker on 127.0.0.1:1883");
    }
    up
}

fn publish(topic: &str, payload: &str) {
    let ok = Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            "1883",
            "-q",
            "1",
            "-t",
            topic,
            "-m",
            payload,
        ])
        .status()
        .expect("mosquitto_pub")
        .success();
    assert!(ok, "mosquitto_pub failed");
}

/// Machine data end to end: `mosquitto_pub` → Mosquitto → `overhaul serve --mqtt` → the
/// signal's rule → one alarm → exactly one work request, however the value chatters.
#[tokio::test]
async fn vibration_over_mqtt_with_chatter_raises_exactly_one_work_request() {
    if !broker_available() {
        return;
    }
    let (url, _guard) = testing::fresh_url().await.expect("url");
    let port = free_port();
    let client_id = format!("overhaul-test-{}", uuid::Uuid::now_v7().simple());
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--mqtt",
            "127.0.0.1:1883",
            "--mqtt-client-id",
            &client_id,
        ])
        .env("OVERHAUL_DATABASE_URL", &url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
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
    let post = |path: &str, body: serde_json::Value| {
        c.post(format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let a: serde_json::Value = c
        .get(format!("{base}/api/v1/assets/{area}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let p: serde_json::Value = post(
        "/api/v1/assets",
        serde_json::json!({"site_id": a["site_id"], "parent_id": area, "code": "P1", "name": "Pump", "level": "equipment"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let pump = p["id"].as_str().expect("pump id").to_owned();
    let topic = format!("overhaul-test/{}/vib", uuid::Uuid::now_v7().simple());
    let signal: serde_json::Value = post(
        "/api/v1/signals",
        serde_json::json!({
            "asset_id": pump, "name": "vibration", "kind": "gauge", "unit": "mm/s",
            "source": {"kind": "mqtt_json", "topic": topic, "pointer": "/rms"},
            "rules": [{"name": "high", "priority": "high",
                       "params": {"kind": "threshold", "level": "h", "limit": 7.1, "deadband": 0.3}}]
        }),
    )
    .await
    .expect("signal")
    .json()
    .await
    .expect("json");
    let signal = signal["id"].as_str().expect("signal id").to_owned();
    let readings = || async {
        let v: serde_json::Value = c
            .get(format!("{base}/api/v1/signals/{signal}/readings"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v.as_array().map(Vec::len).unwrap_or(0)
    };
    // The server picks the new signal up within seconds: publish a normal value until it lands.
    let t0 = chrono::Utc::now().timestamp_millis() - 60_000;
    let mut n = 0_i64;
    let deadline = Instant::now() + Duration::from_secs(30);
    while readings().await == 0 {
        assert!(
            Instant::now() < deadline,
            "no reading arrived through the broker"
        );
        publish(
            &topic,
            &format!("{{\"rms\": {{\"value\": 2.0, \"ts\": {}}}}}", t0 + n),
        );
        n += 1;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Chatter around the limit: high, normal, high, normal, high…
    let values = [8.0, 6.0, 8.2, 6.5, 8.4, 6.1, 8.8, 9.0];
    let before = readings().await;
    for (i, v) in values.iter().enumerate() {
        let ts = t0 + 1_000 + (i as i64) * 1_000;
        publish(
            &topic,
            &format!("{{\"rms\": {{\"value\": {v}, \"ts\": {ts}}}}}"),
        );
    }
    let want = values.len() + before;
    let deadline = Instant::now() + Duration::from_secs(20);
    while readings().await < want {
        assert!(
            Instant::now() < deadline,
            "not every published reading arrived"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let requests: serde_json::Value = c
        .get(format!("{base}/api/v1/work-requests?asset_id={pump}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = requests["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "exactly one work request: {requests}");
    let _ = child.kill();
    let _ = child.wait();
}
