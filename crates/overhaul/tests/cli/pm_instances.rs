//! Two `overhaul serve` processes generating PM against one PostgreSQL database at the same
//! time: every (plan, due time) gets exactly one occurrence and at most one work order.

use super::{BIN, free_port, setup};
use overhaul_store::testing;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PLANS: usize = 40;
/// Days before today the plans start on: each plan has this many missed slots + today's.
const DAYS_BACK: i64 = 5;

struct Instance {
    child: Child,
    log: std::path::PathBuf,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(url: &str, dir: &std::path::Path, name: &str, pm_interval: &str) -> (Instance, String) {
    let port = free_port();
    let log = dir.join(format!("{name}.log"));
    let child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--pm-interval",
            pm_interval,
        ])
        .env("OVERHAUL_DATABASE_URL", url)
        .env_remove("OVERHAUL_LOG_FORMAT")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("spawn serve");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{name} did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (Instance { child, log }, format!("http://127.0.0.1:{port}"))
}

/// The generation runs an instance logged: (runs, work orders it created).
fn runs(log: &std::path::Path) -> (usize, u64) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut n = 0;
    let mut created = 0;
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v["message"] == "pm generation" {
            n += 1;
            created += v["created"].as_u64().unwrap_or(0);
        }
        assert!(
            v["message"] != "pm generation failed; retried next interval",
            "an instance failed to generate: {line}"
        );
    }
    (n, created)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_serve_instances_generate_each_occurrence_exactly_once() {
    if testing::postgres_url().is_none() {
        eprintln!(
            "NOTICE: two-instance PM test skipped: it needs PostgreSQL (set OVERHAUL_TEST_DATABASE_URL=postgres://…)"
        );
        return;
    }
    let (url, _guard) = testing::fresh_url().await.expect("url");
    let dir = tempfile::tempdir().expect("dir");
    // Set-up through an instance that generates nothing.
    let (setup_srv, base) = start(&url, dir.path(), "setup", "0");
    let (token, area) = setup(&url, &base).await;
    let c = reqwest::Client::new();
    let start_day = (chrono::Utc::now() - chrono::Duration::days(DAYS_BACK)).date_naive();
    for i in 0..PLANS {
        let r = c
            .post(format!("{base}/api/v1/pm-plans"))
            .bearer_auth(&token)
            .json(&serde_json::json!({
                "asset_id": area,
                "title": format!("Daily round {i}"),
                "schedule": {
                    "trigger": {"kind": "fixed", "rule": {"kind": "every", "every": 1, "unit": "days", "at": "00:00"}},
                    "start": start_day.to_string()
                }
            }))
            .send()
            .await
            .expect("plan");
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    }
    drop(setup_srv);

    // Two instances, each generating every second, started together.
    let (a, _) = start(&url, dir.path(), "a", "1");
    let (b, _) = start(&url, dir.path(), "b", "1");
    let pool = sqlx::PgPool::connect(&url).await.expect("connect");
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&pool).await.expect(sql);
            n
        }
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    // Both must have run at least three times (so they overlapped with work to do or not).
    loop {
        let (ra, _) = runs(&a.log);
        let (rb, _) = runs(&b.log);
        if ra >= 3 && rb >= 3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "instances did not run: a {ra} runs, b {rb} runs"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(a);
    drop(b);
    let (_, created_a) = runs(&dir.path().join("a.log"));
    let (_, created_b) = runs(&dir.path().join("b.log"));

    let slots = PLANS as i64 * (DAYS_BACK + 1);
    assert_eq!(
        count("SELECT count(*) FROM pm_occurrences").await,
        slots,
        "one occurrence per plan and slot"
    );
    assert_eq!(
        count("SELECT count(*) FROM pm_occurrences WHERE status = 'due'").await,
        PLANS as i64,
        "today's slot of each plan is due, the earlier ones missed"
    );
    assert_eq!(
        count("SELECT count(*) FROM pm_occurrences WHERE status = 'missed'").await,
        PLANS as i64 * DAYS_BACK
    );
    let wos = count("SELECT count(*) FROM work_orders").await;
    assert_eq!(wos, PLANS as i64, "one work order per due occurrence");
    assert_eq!(
        count(
            "SELECT count(*) FROM (SELECT asset_id, title, due_at FROM work_orders GROUP BY asset_id, title, due_at HAVING count(*) > 1) d"
        )
        .await,
        0,
        "no two work orders for one plan and due time"
    );
    assert_eq!(
        count("SELECT count(DISTINCT work_order_id) FROM pm_occurrences WHERE status = 'due'")
            .await,
        PLANS as i64,
        "every due occurrence links its own work order"
    );
    assert_eq!(
        created_a + created_b,
        PLANS as u64,
        "the instances' own reports add up (a {created_a}, b {created_b})"
    );
    pool.close().await;
}
