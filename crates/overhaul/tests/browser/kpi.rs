//! The KPI pages of the demo plant in a real browser: the dashboard and an asset's reliability
//! page show their charts (SVG with a title for screen readers) and the tables behind them, and
//! the CSV downloads are CSV.

use super::{browser_available, demo_server, login, shots, wait_js};
use crate::webdriver::Browser;
use serde_json::{Value, json};

/// Fetches a link of the page with the browser's session; returns status, type, disposition
/// and body.
async fn download(b: &Browser, css: &str) -> Value {
    b.js(
        "const a = document.querySelector(arguments[0]); if (!a) return null;\
         const x = new XMLHttpRequest(); x.open('GET', a.href, false); x.send();\
         return [x.status, x.getResponseHeader('content-type'), x.getResponseHeader('content-disposition'), x.responseText];",
        json!([css]),
    )
    .await
}

fn assert_csv(v: &Value, first_line: &str) -> usize {
    assert_eq!(v[0], json!(200), "{v}");
    assert_eq!(v[1], json!("text/csv; charset=utf-8"), "{v}");
    assert!(
        v[2].as_str()
            .unwrap_or_default()
            .starts_with("attachment; filename="),
        "{v}"
    );
    let body = v[3].as_str().unwrap_or_default();
    assert!(body.starts_with(first_line), "{body}");
    assert!(
        !body.contains("NaN") && !body.contains(",inf") && !body.contains(",-inf"),
        "{body}"
    );
    body.lines().count() - 1
}

#[tokio::test]
async fn kpi_dashboard_and_reliability_pages_show_charts_tables_and_csv() {
    if !browser_available() {
        return;
    }
    let srv = demo_server().await;
    let base = srv.base.clone();
    let shots = shots();
    let b = Browser::start(1280, 900).await;
    login(&b, &base, "manager@demo.overhaul.test").await;

    // The dashboard of the first site, by month: a year of history in the trend.
    b.goto(&format!("{base}/")).await;
    b.click("nav a[href='/kpis']").await;
    let page = b.wait_text("This period against the previous one").await;
    for part in [
        "MTBF",
        "Operational availability",
        "Ready backlog",
        "PM compliance",
        "0–7 days",
    ] {
        assert!(page.contains(part), "dashboard lacks '{part}': {page}");
    }
    wait_js(
        &b,
        "document.querySelector('#mtbf-trend svg.chart title') && document.querySelectorAll('#mtbf-trend svg polyline, #mtbf-trend svg circle').length > 0",
        "the MTBF trend chart",
    )
    .await;
    let rows = b
        .js(
            "return document.querySelectorAll('#mtbf-trend table tbody tr').length",
            json!([]),
        )
        .await;
    assert!(rows.as_u64().unwrap_or(0) >= 12, "12 or 13 months: {rows}");
    let compare = b
        .js(
            "return document.querySelectorAll('#kpi-compare tbody tr').length",
            json!([]),
        )
        .await;
    assert_eq!(compare, json!(10));
    let csv = download(&b, "#mtbf-trend figcaption a").await;
    let n = assert_csv(&csv, "period,from,to,failures,mtbf_hours");
    assert_eq!(json!(n), rows, "the CSV has the table's rows");
    b.screenshot(&shots.join("20-kpi-dashboard.png")).await;

    // Bad actors, then the worst asset's reliability page.
    b.goto(&format!("{base}/bad-actors")).await;
    b.wait_text("Bad actors by unplanned downtime").await;
    wait_js(
        &b,
        "document.querySelectorAll('#pareto svg rect').length > 3 && document.querySelector('#top-assets a')",
        "the Pareto chart and the top assets",
    )
    .await;
    let csv = download(&b, "#pareto figcaption a").await;
    assert!(assert_csv(&csv, "Name,Failures") > 0);
    b.screenshot(&shots.join("21-bad-actors.png")).await;
    b.click("#top-assets a").await;
    let page = b.wait_text("Weibull analysis").await;
    assert!(
        page.contains("Kaplan") && page.contains("Crow-AMSAA"),
        "{page}"
    );
    wait_js(
        &b,
        "document.querySelector('#survival svg.chart title') && document.querySelector('#mtbf svg.chart')",
        "the survival and MTBF charts",
    )
    .await;
    let svg = b
        .js(
            "return [...document.querySelectorAll('svg.chart')].map(s => s.outerHTML).join('')",
            json!([]),
        )
        .await;
    let svg = svg.as_str().unwrap_or_default();
    assert!(!svg.contains("NaN") && !svg.contains("Infinity"), "{svg}");
    let km_rows = b
        .js(
            "return document.querySelectorAll('#survival table tbody tr').length",
            json!([]),
        )
        .await;
    let csv = download(&b, "#survival figcaption a").await;
    let n = assert_csv(&csv, "Operating hours,At risk,Failed,Survival");
    assert_eq!(json!(n), km_rows);
    assert!(n > 0, "the worst asset of the demo has failures");
    // Costs give a recommendation (or a clear "run to failure").
    b.type_into("input[name=cost_preventive]", "500").await;
    b.type_into("input[name=cost_failure]", "5000").await;
    b.click("form[action$='/reliability'] button[type=submit]")
        .await;
    wait_js(
        &b,
        "location.search.includes('cost_preventive=500') && document.body.innerText.includes('Recommended PM interval')",
        "the page with the costs",
    )
    .await;
    wait_js(
        &b,
        "document.querySelector('#recommendation') || document.body.innerText.includes('Replacement interval: needs a Weibull fit')",
        "a recommendation, or why there is none",
    )
    .await;
    let page = b.page_text().await;
    assert!(!page.contains("Something went wrong"), "{page}");
    b.screenshot(&shots.join("22-reliability.png")).await;
    b.quit().await;
}
