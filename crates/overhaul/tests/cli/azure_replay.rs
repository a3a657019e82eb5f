//! Machine data from a real fleet: the Azure PdM telemetry of machines 1–5 (2015 Q1, one
//! reading per hour, in `../shared/data/azure-pdm/`) replayed with `mosquitto_pub` through
//! Mosquitto into `overhaul serve --mqtt`. For each machine, the hours whose vibration is above
//! mean + 3σ (σ the sample standard deviation, n − 1, over the machine's 2,160 hours), counted
//! from Overhaul's hourly rollups, equal the count computed here straight from the CSV.
//!
//! The 2015 timestamps are moved by a whole number of hours so that the last reading falls an
//! hour before now (readings from 2015 would be refused as older than the retention), and the
//! server keeps 100 days of raw readings so that all 90 days are accepted.

use super::{BIN, broker_available, free_port, setup};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FILE: &str = "PdM_telemetry_subset_m001-m020_2015Q1.csv";
const HOUR_MS: i64 = 3_600_000;

fn telemetry() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/azure-pdm")
        .join(FILE);
    if p.is_file() {
        return Some(p);
    }
    assert!(
        std::env::var("OVERHAUL_REQUIRE_SHARED_DATA").as_deref() != Ok("1"),
        "{} is missing and OVERHAUL_REQUIRE_SHARED_DATA=1 requires it",
        p.display()
    );
    eprintln!(
        "NOTICE: Azure PdM replay skipped: {} is absent",
        p.display()
    );
    None
}

/// (time in ms since the epoch, vibration) per machine 1–5, oldest first.
fn series(path: &PathBuf) -> BTreeMap<u32, Vec<(i64, f64)>> {
    let mut rd = csv::Reader::from_path(path).expect("telemetry csv");
    let h = rd.headers().expect("header").clone();
    let col = |name: &str| h.iter().position(|c| c == name).expect(name);
    let (t, m, v) = (col("datetime"), col("machineID"), col("vibration"));
    let mut out: BTreeMap<u32, Vec<(i64, f64)>> = BTreeMap::new();
    for r in rd.records() {
        let r = r.expect("row");
        let machine: u32 = r[m].parse().expect("machine id");
        if !(1..=5).contains(&machine) {
            continue;
        }
        let at = chrono::NaiveDateTime::parse_from_str(&r[t], "%Y-%m-%d %H:%M:%S")
            .expect("datetime")
            .and_utc()
            .timestamp_millis();
        out.entry(machine)
            .or_default()
            .push((at, r[v].parse().expect("vibration")));
    }
    for s in out.values_mut() {
        s.sort_by_key(|(t, _)| *t);
    }
    out
}

/// The limit mean + 3σ (sample σ) and how many values exceed it.
fn above_three_sigma(values: &[f64]) -> (f64, usize) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let limit = mean + 3.0 * var.sqrt();
    (limit, values.iter().filter(|v| **v > limit).count())
}

#[tokio::test]
async fn azure_pdm_vibration_replayed_over_mqtt_gives_the_hours_above_three_sigma() {
    let Some(path) = telemetry() else { return };
    if !broker_available() {
        return;
    }
    let data = series(&path);
    assert_eq!(data.len(), 5);
    assert!(data.values().all(|s| s.len() == 2_160), "2,160 hours each");

    let (url, _guard) = overhaul_store::testing::fresh_url().await.expect("url");
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
            "--readings-retention-days",
            "100",
            "--pm-interval",
            "0",
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
    let get = |path: String| {
        let c = c.clone();
        let token = token.clone();
        let base = base.clone();
        async move {
            let r = c
                .get(format!("{base}{path}"))
                .bearer_auth(&token)
                .send()
                .await
                .expect("get");
            assert!(r.status().is_success(), "{path}: {}", r.status());
            r.json::<serde_json::Value>().await.expect("json")
        }
    };
    let site = get(format!("/api/v1/assets/{area}")).await["site_id"].clone();
    let run = uuid::Uuid::now_v7().simple().to_string();

    // The moved time line: the last hour of the file becomes the hour before the current one.
    let last = data
        .values()
        .filter_map(|s| s.last())
        .map(|(t, _)| *t)
        .max()
        .expect("data");
    let now_hour = chrono::Utc::now().timestamp_millis().div_euclid(HOUR_MS) * HOUR_MS;
    let shift = now_hour - HOUR_MS - last;
    let first = data
        .values()
        .filter_map(|s| s.first())
        .map(|(t, _)| *t)
        .min()
        .expect("data");

    let mut signals = BTreeMap::new();
    for machine in data.keys() {
        let asset: serde_json::Value = c
            .post(format!("{base}/api/v1/assets"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"site_id": site, "parent_id": area, "code": format!("M{machine}"), "name": format!("Machine {machine}"), "level": "equipment"}))
            .send()
            .await
            .expect("asset")
            .json()
            .await
            .expect("json");
        let topic = format!("overhaul-test/{run}/pdm/m{machine}");
        let r = c
            .post(format!("{base}/api/v1/signals"))
            .bearer_auth(&token)
            .json(&serde_json::json!({
                "asset_id": asset["id"], "name": "vibration", "kind": "gauge", "unit": "mm/s",
                "source": {"kind": "mqtt_json", "topic": topic, "pointer": "/vibration"},
                "rules": []
            }))
            .send()
            .await
            .expect("signal");
        assert_eq!(r.status().as_u16(), 201);
        let s: serde_json::Value = r.json().await.expect("json");
        signals.insert(*machine, (topic, s["id"].as_str().expect("id").to_owned()));
    }
    let payload = |at: i64, v: f64| {
        format!(
            "{{\"vibration\": {{\"value\": {v}, \"ts\": {}}}, \"machine\": \"replay\"}}",
            at + shift
        )
    };
    let hours = |signal: String| {
        let from = chrono::DateTime::from_timestamp_millis(first + shift).expect("from");
        let to = chrono::DateTime::from_timestamp_millis(last + shift + HOUR_MS).expect("to");
        let path = format!(
            "/api/v1/signals/{signal}/rollups?from={}&to={}&limit=10000",
            from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            to.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )
        .replace('+', "%2B");
        let get = &get;
        async move { get(path).await.as_array().cloned().unwrap_or_default() }
    };

    // The server subscribes within seconds of the signals' creation: send machine 1's first
    // hour until it is stored (a repeat of a stored reading is recognised and not counted).
    let (topic1, signal1) = signals[&1].clone();
    let (t1, v1) = data[&1][0];
    let deadline = Instant::now() + Duration::from_secs(30);
    while hours(signal1.clone()).await.is_empty() {
        assert!(
            Instant::now() < deadline,
            "nothing arrived through the broker"
        );
        let ok = Command::new("mosquitto_pub")
            .args(["-h", "127.0.0.1", "-p", "1883", "-q", "1", "-t", &topic1])
            .args(["-m", &payload(t1, v1)])
            .status()
            .expect("mosquitto_pub")
            .success();
        assert!(ok);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // Replay: mosquitto_pub sends a block of messages (one per line, QoS 1), and the next block
    // goes once the block is stored. Mosquitto keeps at most 1,000 queued messages per
    // subscriber by default and drops QoS 1 messages beyond that, so an unpaced replay of
    // 10,800 messages would test the broker's queue limit, not Overhaul.
    const BLOCK: usize = 400;
    let stored = |signal: String| {
        let hours = &hours;
        async move {
            hours(signal)
                .await
                .iter()
                .filter_map(|h| h["count_value"].as_i64())
                .sum::<i64>()
        }
    };
    for (machine, (topic, signal)) in &signals {
        for (i, block) in data[machine].chunks(BLOCK).enumerate() {
            let mut p = Command::new("mosquitto_pub")
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    "1883",
                    "-q",
                    "1",
                    "-t",
                    topic,
                    "-l",
                ])
                .stdin(Stdio::piped())
                .spawn()
                .expect("mosquitto_pub");
            let mut stdin = p.stdin.take().expect("stdin");
            let mut text = String::new();
            for (at, v) in block {
                text.push_str(&payload(*at, *v));
                text.push('\n');
            }
            stdin.write_all(text.as_bytes()).expect("write");
            drop(stdin);
            assert!(p.wait().expect("wait").success(), "mosquitto_pub failed");
            let want = (i * BLOCK + block.len()) as i64;
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                let n = stored(signal.clone()).await;
                if n >= want {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "machine {machine}: {n} of {want} readings stored"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }

    let mut total_above = 0;
    for (machine, (_, signal)) in &signals {
        let values: Vec<f64> = data[machine].iter().map(|(_, v)| *v).collect();
        let (limit, want) = above_three_sigma(&values);
        let deadline = Instant::now() + Duration::from_secs(30);
        let rollups = loop {
            let r = hours(signal.clone()).await;
            let stored: i64 = r.iter().filter_map(|h| h["count_value"].as_i64()).sum();
            if r.len() == 2_160 && stored == 2_160 {
                break r;
            }
            assert!(
                Instant::now() < deadline,
                "machine {machine}: {} hours, {stored} readings stored of 2,160",
                r.len()
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        };
        let got = rollups
            .iter()
            .filter(|h| h["max_value"].as_f64().is_some_and(|m| m > limit))
            .count();
        assert_eq!(
            got, want,
            "machine {machine}: hours above {limit:.4} (mean + 3σ)"
        );
        total_above += want;
    }
    assert!(total_above > 0, "the data has excursions above 3σ to find");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn three_sigma_by_hand() {
    // mean 3, sample σ = sqrt(((−2)² + (−1)² + 0 + 1² + 2²) / 4) = sqrt(2.5) ≈ 1.5811;
    // limit ≈ 7.743: nothing above; with 100 added, the new mean and σ make 100 the only one.
    let (limit, n) = above_three_sigma(&[1.0, 2.0, 3.0, 4.0, 5.0]);
    assert!((limit - (3.0 + 3.0 * 2.5_f64.sqrt())).abs() < 1e-12);
    assert_eq!(n, 0);
    let mut v = vec![10.0; 30];
    v.push(100.0);
    assert_eq!(above_three_sigma(&v).1, 1);
}
