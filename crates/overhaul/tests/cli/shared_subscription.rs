//! Two `overhaul serve --mqtt` instances on one PostgreSQL database split a topic through the
//! MQTT v5 shared subscription (`$share/overhaul/…`) and store every QoS 1 message exactly
//! once. Needs PostgreSQL (`OVERHAUL_TEST_DATABASE_URL=postgres://…`) and Mosquitto; skipped
//! with a notice otherwise.

use super::*;

fn spawn_serve(url: &str, port: u16, client_id: &str) -> Child {
    Command::new(BIN)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--mqtt",
            "127.0.0.1:1883",
            "--mqtt-client-id",
            client_id,
        ])
        .env("OVERHAUL_DATABASE_URL", url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve")
}

fn wait_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The value of an `ingest_*` counter for source `mqtt` on an instance's `/metrics` (0 when
/// it has not been touched yet).
async fn counter(base: &str, name: &str) -> u64 {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .filter(|l| l.starts_with(name) && l.contains("source=\"mqtt\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

#[tokio::test]
async fn two_instances_with_a_shared_subscription_store_every_message_exactly_once() {
    let pg = std::env::var("OVERHAUL_TEST_DATABASE_URL").unwrap_or_default();
    if !pg.starts_with("postgres") {
        eprintln!(
            "NOTICE: two-instance MQTT test skipped: needs OVERHAUL_TEST_DATABASE_URL=postgres://…"
        );
        return;
    }
    if !broker_available() {
        return;
    }
    const N: i64 = 2_000;
    let (url, _guard) = testing::fresh_url().await.expect("url");
    let run = uuid::Uuid::now_v7().simple().to_string();
    let (port_a, port_b) = (free_port(), free_port());
    let mut a = spawn_serve(&url, port_a, &format!("overhaul-test-a-{run}"));
    wait_port(port_a);
    let base_a = format!("http://127.0.0.1:{port_a}");
    let base_b = format!("http://127.0.0.1:{port_b}");
    let (token, area) = setup(&url, &base_a).await;
    let c = reqwest::Client::new();
    let asset: serde_json::Value = c
        .get(format!("{base_a}/api/v1/assets/{area}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let topic = format!("overhaul-test/{run}/flow");
    let r = c
        .post(format!("{base_a}/api/v1/signals"))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "asset_id": asset["id"], "name": "flow", "kind": "gauge", "unit": "l/min",
            "source": {"kind": "mqtt_json", "topic": topic, "pointer": "/v"}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let signal: serde_json::Value = r.json().await.unwrap();
    let signal = signal["id"].as_str().expect("signal id").to_owned();
    let count = || async {
        let v: serde_json::Value = c
            .get(format!(
                "{base_a}/api/v1/signals/{signal}/readings?limit=100000"
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v.as_array().expect("readings").clone()
    };
    // Instance A picks the new signal up within its reload interval; B reads it at start.
    let t0 = chrono::Utc::now().timestamp_millis() - 3_600_000;
    let mut probes = 0_i64;
    let deadline = Instant::now() + Duration::from_secs(30);
    while count().await.is_empty() {
        assert!(Instant::now() < deadline, "instance A never received");
        publish(
            &topic,
            &format!(
                "{{\"v\": {{\"value\": -1, \"ts\": {}}}}}",
                t0 - 1_000 + probes
            ),
        );
        probes += 1;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // A probe still on its way must land before the count is taken.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let stored_probes = count().await.len() as i64;
    let mut b = spawn_serve(&url, port_b, &format!("overhaul-test-b-{run}"));
    wait_port(port_b);
    // Touch /metrics so both recorders exist before the messages arrive, and give B time to
    // connect and subscribe.
    counter(&base_a, "ingest_samples_total").await;
    counter(&base_b, "ingest_samples_total").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before_a = counter(&base_a, "ingest_samples_total").await;

    // N QoS 1 messages from one publisher, one per line.
    let mut pubc = Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            "1883",
            "-q",
            "1",
            "-t",
            &topic,
            "-l",
        ])
        .stdin(Stdio::piped())
        .spawn()
        .expect("mosquitto_pub");
    {
        let mut stdin = pubc.stdin.take().expect("stdin");
        let mut lines = String::new();
        for i in 0..N {
            lines.push_str(&format!(
                "{{\"v\": {{\"value\": {i}, \"ts\": {}}}}}\n",
                t0 + i
            ));
        }
        stdin.write_all(lines.as_bytes()).expect("publish");
    }
    assert!(pubc.wait().expect("mosquitto_pub").success());

    let want = (N + stored_probes) as usize;
    let deadline = Instant::now() + Duration::from_secs(90);
    while count().await.len() < want {
        assert!(
            Instant::now() < deadline,
            "only {} of {want} readings stored",
            count().await.len()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Let any redelivery land, then check: N rows, each value once at its own time.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rows = count().await;
    assert_eq!(rows.len(), want, "rows");
    let mut seen = std::collections::HashSet::new();
    for r in rows.iter().filter(|r| r["value"].as_f64() != Some(-1.0)) {
        let v = r["value"].as_f64().expect("value") as i64;
        assert_eq!(r["ts_ms"].as_i64(), Some(t0 + v), "{r}");
        assert!(seen.insert(v), "value {v} stored twice");
    }
    assert_eq!(seen.len() as i64, N);

    // Both instances took part, and together they were handed each message exactly once
    // (a redelivered duplicate would show up here even though the insert ignores it).
    let got_a = counter(&base_a, "ingest_samples_total").await - before_a;
    let got_b = counter(&base_b, "ingest_samples_total").await;
    assert!(
        got_a > 0 && got_b > 0,
        "the stream was not split: A {got_a}, B {got_b}"
    );
    assert_eq!(got_a + got_b, N as u64, "A {got_a} + B {got_b}");
    let dup = counter(&base_a, "ingest_readings_already_stored_total").await
        + counter(&base_b, "ingest_readings_already_stored_total").await;
    assert_eq!(dup, 0, "redelivered readings");
    let _ = a.kill();
    let _ = a.wait();
    let _ = b.kill();
    let _ = b.wait();
}
