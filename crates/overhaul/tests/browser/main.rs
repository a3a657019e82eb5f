//! The web UI's flows in a real browser: headless Chromium driven through ChromeDriver against
//! `overhaul serve` with the demo plant, on SQLite (default) or PostgreSQL
//! (`OVERHAUL_TEST_DATABASE_URL`). Skipped with a notice when Chromium is not installed, unless
//! `OVERHAUL_REQUIRE_BROWSER=1` (CI installs it and sets that).
//!
//! Screenshots of each step are written to `target/screenshots/` for people to look at.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::zombie_processes)]

mod kpi;
mod pm;
mod security;
mod signals;
mod webdriver;

use overhaul_store::testing;
use serde_json::json;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use webdriver::Browser;

pub const BIN: &str = env!("CARGO_BIN_EXE_overhaul");
pub const PASSWORD: &str = "overhaul-demo";

pub fn browser_available() -> bool {
    if webdriver::installed().is_some() {
        return true;
    }
    if std::env::var("OVERHAUL_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
        panic!("OVERHAUL_REQUIRE_BROWSER=1 but chromium/chromedriver are not installed");
    }
    eprintln!("NOTICE: browser test skipped: install Debian's chromium and chromium-driver");
    false
}

pub struct Server {
    child: Child,
    pub base: String,
    pub url: String,
    _guard: testing::Cleanup,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh database with the demo plant, served on a free loopback port.
pub async fn demo_server() -> Server {
    let (url, guard) = testing::fresh_url().await.expect("database");
    let out = Command::new(BIN)
        .args(["demo", "--no-serve"])
        .env("OVERHAUL_DATABASE_URL", &url)
        .output()
        .expect("seed demo");
    assert!(
        out.status.success(),
        "demo seeding failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let child = Command::new(BIN)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("OVERHAUL_DATABASE_URL", &url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        url,
        _guard: guard,
    }
}

pub fn shots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

pub async fn login(b: &Browser, base: &str, email: &str) {
    b.delete_cookies().await;
    b.goto(&format!("{base}/login")).await;
    b.type_into("#email", email).await;
    b.type_into("#password", PASSWORD).await;
    b.click("form[action='/login'] button[type=submit]").await;
    b.wait_text("Log out").await;
}

/// Clicks the button whose text is `label` inside the element matching `scope`.
async fn click_button(b: &Browser, scope: &str, label: &str) {
    let clicked = b
        .js(
            "const root = document.querySelector(arguments[0]); if (!root) return false;\
             const btn = [...root.querySelectorAll('button')].find(x => x.innerText.trim() === arguments[1]);\
             if (!btn) return false; btn.click(); return true;",
            json!([scope, label]),
        )
        .await;
    if clicked != json!(true) {
        let inner = b
            .js(
                "const r = document.querySelector(arguments[0]); return r ? r.innerText : 'no such element';",
                json!([scope]),
            )
            .await;
        panic!("no button '{label}' in {scope}, which says: {inner}");
    }
}

/// Waits until `js` (an expression) is true in the page.
pub async fn wait_js(b: &Browser, js: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if b.js(&format!("return !!({js})"), json!([])).await == json!(true) {
            return;
        }
        if Instant::now() > deadline {
            panic!(
                "timed out waiting for {what}; page says: {}",
                b.page_text().await
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn no_horizontal_scroll(b: &Browser, what: &str) {
    let w = b
        .js(
            "return [document.documentElement.scrollWidth, window.innerWidth]",
            json!([]),
        )
        .await;
    let (scroll, inner) = (w[0].as_i64().unwrap(), w[1].as_i64().unwrap());
    assert!(
        scroll <= inner,
        "{what}: page is {scroll}px wide in a {inner}px window"
    );
}

/// A valid 1×1 PNG (red pixel), built with its CRCs so browsers decode it.
fn tiny_png() -> Vec<u8> {
    fn crc(data: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFF_u32;
        for b in data {
            c ^= u32::from(*b);
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    fn adler(data: &[u8]) -> u32 {
        let (mut a, mut b) = (1_u32, 0_u32);
        for x in data {
            a = (a + u32::from(*x)) % 65521;
            b = (b + a) % 65521;
        }
        (b << 16) | a
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc(&body).to_be_bytes());
    }
    let raw = [0_u8, 255, 0, 0]; // filter byte + one RGB pixel
    let mut z = vec![0x78, 0x01, 0x01, 4, 0, 0xFB, 0xFF];
    z.extend(raw);
    z.extend(adler(&raw).to_be_bytes());
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
    chunk(&mut png, b"IDAT", &z);
    chunk(&mut png, b"IEND", &[]);
    png
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_flows_people_click_work_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    let srv = demo_server().await;
    let base = srv.base.clone();
    let shots = shots();
    let b = Browser::start(360, 740).await;

    // 1. An operator scans the QR code on a Berlin machine (anonymous reports allowed there) on
    //    a phone and reports a problem without logging in.
    b.goto(&format!("{base}/r/BER-A1-L1-C1-CO1")).await;
    b.wait_text("Report a problem on BER-A1-L1-C1-CO1").await;
    no_horizontal_scroll(&b, "QR form at 360 px").await;
    b.type_into("#title", "Oil mist at the intake (browser test)")
        .await;
    b.type_into("#description", "Seen at shift change.").await;
    b.select("#priority", "high").await;
    b.type_into("#name", "Olga Operator").await;
    // A photo from the phone: a real PNG (1×1, made here).
    let photo = tempfile::Builder::new().suffix(".png").tempfile().unwrap();
    std::fs::write(photo.path(), tiny_png()).unwrap();
    b.upload("#photo", photo.path()).await;
    b.screenshot(&shots.join("01-qr-report-form.png")).await;
    b.click("button[type=submit]").await;
    let page = b.wait_text("Thank you. Your report was received.").await;
    let number = page
        .split_whitespace()
        .find(|w| w.starts_with("WR-"))
        .expect("a request number")
        .trim_end_matches('.')
        .to_owned();
    assert!(page.contains("open"), "status shown: {page}");
    b.screenshot(&shots.join("02-qr-report-received.png")).await;
    // Cleveland asks for a login first.
    b.goto(&format!("{base}/r/CLE-A1-L1-C1-BL2")).await;
    b.wait_text("Sign in to Overhaul").await;
    assert!(b.url().await.contains("/login?next=/r/CLE-A1-L1-C1-BL2"));

    // 2. The planner triages the request into a work order and plans it.
    b.set_size(1280, 900).await;
    login(&b, &base, "planner@demo.overhaul.test").await;
    b.screenshot(&shots.join("03-front-page.png")).await;
    b.goto(&format!("{base}/requests")).await;
    b.wait_text(&number).await;
    b.screenshot(&shots.join("04-request-inbox.png")).await;
    let li = b
        .js(
            "const li = [...document.querySelectorAll('.worklist li')].find(l => l.innerText.includes(arguments[0])); return li ? li.id : null;",
            json!([number]),
        )
        .await;
    let li = format!("#{}", li.as_str().expect("the request's row"));
    click_button(&b, &li, "Convert to work order").await;
    b.wait_text("Oil mist at the intake (browser test)").await;
    wait_js(
        &b,
        "location.pathname.startsWith('/work-orders/')",
        "the new work order",
    )
    .await;
    let wo_url = b.url().await;
    // The operator's photo came along with the request.
    wait_js(
        &b,
        "[...document.querySelectorAll('main img')].some(i => i.naturalWidth === 1)",
        "the operator's photo on the work order",
    )
    .await;
    let wo_number = b.text("h1").await.split(' ').next().unwrap().to_owned();
    assert!(wo_number.starts_with("WO-"), "{wo_number}");
    // assign to the Berlin technician, due tomorrow morning
    b.js(
        "const s = document.querySelector('#p-assignee'); s.value = [...s.options].find(o => o.text === 'Tina Technician').value;",
        json!([]),
    )
    .await;
    b.js(
        "document.querySelector('#p-due').value = '2030-01-15T06:00'",
        json!([]),
    )
    .await;
    click_button(&b, "main", "Save planning").await;
    wait_js(
        &b,
        "document.querySelector('dl.facts').innerText.includes('Tina Technician') && document.querySelector('dl.facts').innerText.includes('2030-01-15 06:00')",
        "the saved assignee and due time",
    )
    .await;
    for step in ["approve", "mark planned", "mark ready", "schedule"] {
        click_button(&b, ".card", step).await;
        let after = match step {
            "approve" => "approved",
            "mark planned" => "planned",
            "mark ready" => "ready",
            _ => "scheduled",
        };
        wait_js(
            &b,
            &format!("document.querySelector('.badge') && document.querySelector('.badge').innerText === '{after}'"),
            after,
        )
        .await;
    }
    b.screenshot(&shots.join("05-work-order-planned.png")).await;
    // An illegal move is refused with the reason, in place.
    let (status, body) = security::post_form(
        &base,
        &security::login_cookie(&base, "planner@demo.overhaul.test").await,
        &format!("{}/transition", wo_url.trim_start_matches(&base)),
        &[("to", "closed")],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("Allowed now"), "{body}");
    assert!(
        body.starts_with("<div class=\"flash error\""),
        "an htmx request gets the message as a fragment for the flash area: {body}"
    );
    // The list finds it by text; the filters narrow by status.
    b.goto(&format!("{base}/work-orders")).await;
    b.type_into("#f-q", "intake browser").await;
    wait_js(
        &b,
        &format!("document.querySelector('#wo-rows').innerText.includes('{wo_number}') && document.querySelectorAll('#wo-rows tr').length === 1"),
        "the search result",
    )
    .await;
    assert!(
        b.url().await.contains("q=intake"),
        "the filter is in the URL"
    );
    b.screenshot(&shots.join("06-work-order-list.png")).await;

    // 3. The technician's day on a phone: start, pause, resume, complete; the timer records labour.
    b.set_size(360, 740).await;
    login(&b, &base, "tech.ber@demo.overhaul.test").await;
    b.goto(&format!("{base}/my-work")).await;
    b.wait_text(&wo_number).await;
    no_horizontal_scroll(&b, "my work at 360 px").await;
    let job = format!("#job-{}", wo_url.rsplit('/').next().expect("work order id"));
    let job_says = |text: &str| {
        format!(
            "document.querySelector('{job}') && document.querySelector('{job}').innerText.includes('{text}')"
        )
    };
    click_button(&b, &job, "Start").await;
    wait_js(&b, &job_says("Working since"), "the job running").await;
    // Every button on the phone is at least 44 px tall.
    let small = b
        .js(
            "return [...document.querySelectorAll('.worklist button')].filter(x => x.getBoundingClientRect().height < 44).length",
            json!([]),
        )
        .await;
    assert_eq!(small, json!(0), "touch targets under 44 px");
    b.screenshot(&shots.join("07-my-work-phone.png")).await;
    // Pretend the start was two hours ago (the timer measures from the recorded start).
    security::backdate_start(&srv.url, wo_url.rsplit('/').next().unwrap(), 120).await;
    click_button(&b, &job, "Pause").await;
    wait_js(&b, &job_says("on hold"), "the job paused").await;
    click_button(&b, &job, "Start").await;
    wait_js(&b, &job_says("Working since"), "the job resumed").await;
    b.js("window.confirm = () => true", json!([])).await;
    click_button(&b, &job, "Complete").await;
    wait_js(
        &b,
        &format!("!document.body.innerText.includes('{wo_number}')"),
        "the completed job leaving the list",
    )
    .await;
    b.goto(&wo_url).await;
    let page = b.wait_text("Labour").await;
    assert!(page.contains("completed"), "{page}");
    assert!(
        page.contains("2 h 00 min"),
        "the timer recorded two hours: {page}"
    );

    // 4. Assets: the tree loads a level at a time; the asset page shows meters, work, its QR.
    b.set_size(1280, 900).await;
    login(&b, &base, "planner@demo.overhaul.test").await;
    b.goto(&format!("{base}/assets")).await;
    b.wait_text("BER — Berlin Bottling Plant").await;
    let before = b
        .js(
            "return document.querySelectorAll('ul.tree li').length",
            json!([]),
        )
        .await
        .as_i64()
        .unwrap();
    b.click("ul.tree button.toggle").await;
    wait_js(
        &b,
        &format!("document.querySelectorAll('ul.tree li').length > {before}"),
        "children of the first area",
    )
    .await;
    b.screenshot(&shots.join("08-asset-tree.png")).await;
    b.goto(&format!("{base}/assets?q=BER-A1-L1-C1-CO1")).await;
    b.click("main table a").await;
    b.wait_text("Scan to report a problem").await;
    wait_js(
        &b,
        "document.querySelector('main img').naturalWidth > 0",
        "the QR code image",
    )
    .await;
    let page = b.page_text().await;
    assert!(
        page.contains("Open work") && page.contains("Meters"),
        "{page}"
    );
    b.screenshot(&shots.join("09-asset-page.png")).await;

    // 5. The manager's front page.
    login(&b, &base, "manager@demo.overhaul.test").await;
    b.goto(&format!("{base}/")).await;
    let page = b.wait_text("open work orders").await;
    for part in [
        "overdue",
        "requests waiting for triage",
        "assets down now",
        "Completed work, last 30 days",
    ] {
        assert!(page.contains(part), "front page lacks '{part}': {page}");
    }
    b.screenshot(&shots.join("10-manager-front-page.png")).await;
    // PM at a glance: compliance and the next eight weeks from the demo's weekly plans.
    b.goto(&format!("{base}/pm")).await;
    let page = b.wait_text("Calendar: the next 8 weeks").await;
    assert!(page.contains("PM compliance, last 30 days"), "{page}");
    wait_js(
        &b,
        "document.querySelectorAll('table.calendar tbody tr').length === 8 && document.querySelector('table.calendar tbody').innerText.includes('due')",
        "eight calendar weeks",
    )
    .await;
    let upcoming = b
        .js(
            "return parseInt(document.querySelectorAll('.stat')[2].innerText)",
            json!([]),
        )
        .await;
    assert!(
        upcoming.as_i64().unwrap_or(0) > 0,
        "the demo's plans forecast work: {page}"
    );
    b.screenshot(&shots.join("10b-pm.png")).await;

    // 6. Administration: let Cleveland take QR reports without a login, verify the audit chain,
    //    make an API token (shown once) and see the changes in the audit trail.
    login(&b, &base, "admin@demo.overhaul.test").await;
    b.goto(&format!("{base}/admin")).await;
    b.wait_text("API tokens").await;
    let cle_row = "document.querySelector('main table tbody tr:nth-child(2)').innerText";
    wait_js(
        &b,
        &format!("{cle_row}.includes('login needed')"),
        "Cleveland needing a login",
    )
    .await;
    b.js(
        "document.querySelector('main table tbody tr:nth-child(2) button').click()",
        json!([]),
    )
    .await;
    wait_js(
        &b,
        &format!("{cle_row}.includes('allowed')"),
        "Cleveland allowing reports",
    )
    .await;
    b.goto(&format!("{base}/r/CLE-A1-L1-C1-BL2")).await;
    b.wait_text("Report a problem on CLE-A1-L1-C1-BL2").await;
    b.goto(&format!("{base}/admin")).await;
    click_button(&b, "#verify", "Verify the chain").await;
    wait_js(
        &b,
        "document.querySelector('#verify').innerText.includes('intact')",
        "the chain verified",
    )
    .await;
    // Tom (Cleveland) also covers Berlin from now on: a second role, at another site.
    b.js(
        "const row = [...document.querySelectorAll('main table tbody tr')].find(r => r.innerText.includes('tech.cle@'));\
         row.querySelector('select[name=role]').value = 'technician';\
         row.querySelector('select[name=site]').value = [...row.querySelectorAll('select[name=site] option')].find(o => o.text === 'BER').value;\
         row.querySelector('form button').click();",
        json!([]),
    )
    .await;
    wait_js(
        &b,
        "[...document.querySelectorAll('main table tbody tr')].some(r => r.innerText.includes('tech.cle@') && r.innerText.includes('technician at BER'))",
        "the second role",
    )
    .await;
    b.type_into("#t-name", "browser test").await;
    b.click("form[action='/admin/tokens'] button").await;
    let token = b.text("#new-token").await;
    assert!(token.starts_with("ovh_"), "{token}");
    let api = reqwest::Client::new()
        .get(format!("{base}/api/v1/sites"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 200, "the new token works on the API");
    // A vibration signal over its limit shows in the alarm list; acknowledging it there works.
    let api_client = reqwest::Client::new();
    let assets: serde_json::Value = api_client
        .get(format!("{base}/api/v1/assets?q=BER-A1-L1-C1-CO1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let asset_id = assets["items"][0]["id"].as_str().expect("asset").to_owned();
    let signal: serde_json::Value = api_client
        .post(format!("{base}/api/v1/signals"))
        .bearer_auth(&token)
        .json(&json!({
            "asset_id": asset_id, "name": "vibration (browser test)", "kind": "gauge", "unit": "mm/s",
            "source": {"kind": "http"},
            "rules": [{"name": "high", "priority": "high",
                       "params": {"kind": "threshold", "level": "h", "limit": 7.1, "deadband": 0.3}}]
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let signal_id = signal["id"].as_str().unwrap_or_else(|| panic!("{signal}"));
    let now = chrono::Utc::now();
    let r = api_client
        .post(format!("{base}/api/v1/readings"))
        .bearer_auth(&token)
        .json(&json!({"readings": [
            {"signal_id": signal_id, "time": (now - chrono::Duration::seconds(20)).to_rfc3339(), "value": 5.0},
            {"signal_id": signal_id, "time": (now - chrono::Duration::seconds(10)).to_rfc3339(), "value": 9.3}
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    b.goto(&format!("{base}/alarms")).await;
    b.wait_text("vibration (browser test)").await;
    wait_js(
        &b,
        "document.querySelector('#alarm-rows').innerText.includes('active unacknowledged')",
        "the new alarm",
    )
    .await;
    click_button(&b, "#alarm-rows", "Acknowledge").await;
    wait_js(
        &b,
        "document.querySelector('#alarm-rows').innerText.includes('active acknowledged')",
        "the acknowledged alarm",
    )
    .await;
    b.screenshot(&shots.join("12-alarms.png")).await;
    b.goto(&format!("{base}/admin?entity=site")).await;
    let page = b.wait_text("update site").await;
    assert!(page.contains("admin@demo.overhaul.test"), "{page}");
    b.screenshot(&shots.join("11-admin.png")).await;
    b.quit().await;
}
