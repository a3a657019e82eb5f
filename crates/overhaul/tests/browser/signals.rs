//! A planner configures a signal and a rule in the UI (refused input is shown next to its
//! field), readings arrive over the API, the asset page's live value updates by itself, the
//! alarm raises the rule's templated work order, and the trend chart draws the data.

use super::webdriver::Browser;
use super::{BIN, browser_available, demo_server, login, shots, wait_js};
use serde_json::json;
use std::process::Command;

fn field_error(form: &str, field: &str) -> String {
    format!("document.querySelector(\"#{form} [data-field='{field}']\")")
}

#[tokio::test]
async fn a_signal_configured_in_the_ui_shows_live_values_alarms_work_and_a_trend() {
    if !browser_available() {
        return;
    }
    let srv = demo_server().await;
    let base = srv.base.clone();
    let shots = shots();
    let out = Command::new(BIN)
        .args(["token", "create", "--email", "planner@demo.overhaul.test"])
        .env("OVERHAUL_DATABASE_URL", &srv.url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let api = reqwest::Client::new();
    let assets: serde_json::Value = api
        .get(format!("{base}/api/v1/assets?q=BER-A1-L1-C1-CO1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let asset_id = assets["items"][0]["id"].as_str().expect("asset").to_owned();

    let b = Browser::start(1280, 900).await;
    login(&b, &base, "planner@demo.overhaul.test").await;
    b.goto(&format!("{base}/assets/{asset_id}")).await;
    b.wait_text("Add a signal").await;
    b.click("a[href^='/signals/new']").await;
    b.wait_text("New signal on BER-A1-L1-C1-CO1").await;

    // Only the chosen source's inputs show.
    wait_js(
        &b,
        "document.querySelector(\"#signal-form fieldset[data-when='opc_ua']\").hidden && !document.querySelector(\"#signal-form fieldset[data-when='mqtt_json']\").hidden",
        "the MQTT inputs alone",
    )
    .await;
    b.select("#signal-form-source-kind", "opc_ua").await;
    wait_js(
        &b,
        "!document.querySelector(\"#signal-form fieldset[data-when='opc_ua']\").hidden && document.querySelector(\"#signal-form fieldset[data-when='mqtt_json']\").hidden",
        "the OPC UA inputs alone",
    )
    .await;

    // Refused twice, each time with the message next to the field and what was typed kept.
    let f = "signal-form";
    b.type_into("#signal-form-name", "Motor temperature (browser)")
        .await;
    b.type_into("#signal-form-unit", "°C").await;
    b.type_into("#signal-form-scale", "abc").await;
    b.select("#signal-form-source-kind", "mqtt_json").await;
    b.type_into("#signal-form-source-topic", "plant/+/temp")
        .await;
    b.type_into("#signal-form-source-pointer", "temp").await;
    b.click("#signal-form button[type=submit]").await;
    wait_js(&b, &field_error(f, "scale"), "the scale error").await;
    assert_eq!(
        b.js(
            "return document.querySelector('#signal-form-name').value",
            json!([])
        )
        .await,
        json!("Motor temperature (browser)")
    );
    b.type_into("#signal-form-scale", "1").await;
    b.click("#signal-form button[type=submit]").await;
    wait_js(&b, &field_error(f, "source.topic"), "the topic error").await;
    let pointer_error = b
        .js(
            &format!("return {}.innerText", field_error(f, "source.pointer")),
            json!([]),
        )
        .await;
    assert!(
        pointer_error
            .as_str()
            .unwrap_or_default()
            .contains("JSON pointer"),
        "{pointer_error}"
    );
    b.screenshot(&shots.join("13-signal-form-errors.png")).await;
    b.type_into("#signal-form-source-topic", "plant/ber/co1/temp")
        .await;
    b.type_into("#signal-form-source-pointer", "/temp").await;
    b.click("#signal-form button[type=submit]").await;
    b.wait_text("No rules: this signal raises no alarms.").await;
    let url = b.url().await;
    let signal_id = url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(signal_id.len(), 36, "{url}");

    // A high limit at 80 °C that raises a work order from a template.
    b.js("document.querySelector('#add-rule').open = true", json!([]))
        .await;
    b.type_into("#new-rule-name", "temperature high").await;
    b.select("#new-rule-params-kind", "threshold").await;
    b.select("#new-rule-params-level", "h").await;
    b.type_into("#new-rule-params-limit", "80").await;
    b.type_into("#new-rule-params-deadband", "2").await;
    b.select("#new-rule-work", "work_order").await;
    b.click("#new-rule button[type=submit]").await;
    // No title for the template: refused next to that field.
    wait_js(
        &b,
        &field_error("new-rule", "work_order_template.title"),
        "the template title error",
    )
    .await;
    b.type_into(
        "#new-rule-work-order-template-title",
        "Inspect motor cooling (browser)",
    )
    .await;
    b.select("#new-rule-work-order-template-type", "predictive")
        .await;
    b.type_into("#new-rule-work-order-template-estimated-hours", "1.5")
        .await;
    b.click("#new-rule button[type=submit]").await;
    let page = b.wait_text("raises work order").await;
    assert!(page.contains("H 80 °C"), "{page}");

    // Readings over the API: the last one crosses the limit.
    let now = chrono::Utc::now();
    let post = |readings: serde_json::Value| {
        let api = api.clone();
        let token = token.clone();
        let base = base.clone();
        async move {
            let r = api
                .post(format!("{base}/api/v1/readings"))
                .bearer_auth(&token)
                .json(&json!({ "readings": readings }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.json::<serde_json::Value>().await.unwrap()
        }
    };
    let at = |s: i64| (now - chrono::Duration::seconds(s)).to_rfc3339();
    let rep = post(json!([
        {"signal_id": signal_id, "time": at(40), "value": 70.5},
        {"signal_id": signal_id, "time": at(30), "value": 75.25},
        {"signal_id": signal_id, "time": at(20), "value": 79.0}
    ]))
    .await;
    assert_eq!(rep["accepted"], 3, "{rep}");

    b.goto(&format!("{base}/assets/{asset_id}")).await;
    let row = format!("#live-{signal_id}");
    wait_js(
        &b,
        &format!("document.querySelector('{row} .live-value').innerText === '79'"),
        "the last value on the asset page",
    )
    .await;
    assert!(b.text(&row).await.contains("normal"));
    // Without reloading the page, the next reading shows up by itself (polling every 5 s).
    let rep = post(json!([{"signal_id": signal_id, "time": at(10), "value": 84.5}])).await;
    assert_eq!(rep["alarms_activated"], 1, "{rep}");
    assert_eq!(rep["work_orders_created"].as_array().map(Vec::len), Some(1));
    b.js("window.__sameDocument = true", json!([])).await;
    wait_js(
        &b,
        &format!("document.querySelector('{row} .live-value').innerText === '84.5'"),
        "the live value to update",
    )
    .await;
    assert_eq!(
        b.js("return window.__sameDocument === true", json!([]))
            .await,
        json!(true),
        "updated in place, not by reloading"
    );
    assert!(b.text(&row).await.contains("active unacknowledged"));
    b.screenshot(&shots.join("14-asset-live-signals.png")).await;
    let wos: serde_json::Value = api
        .get(format!(
            "{base}/api/v1/work-orders?asset_id={asset_id}&q=Inspect%20motor%20cooling"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(wos["items"].as_array().map(Vec::len), Some(1), "{wos}");
    assert_eq!(wos["items"][0]["type"], "predictive");

    // The trend: four readings drawn with the limit, the same data as a table and as CSV.
    b.goto(&format!("{base}/signals/{signal_id}?range=1h"))
        .await;
    wait_js(
        &b,
        "document.querySelector('#trend').getAttribute('data-points') === '4' && document.querySelector('#trend canvas')",
        "the chart",
    )
    .await;
    let legend = b.text("#trend").await.to_lowercase();
    assert!(legend.contains("h 80"), "the limit is drawn: {legend}");
    let rows = b
        .js(
            "return document.querySelectorAll('#trend-table tbody tr').length",
            json!([]),
        )
        .await;
    assert_eq!(rows, json!(4));
    let csv = b
        .js(
            "const x = new XMLHttpRequest(); x.open('GET', arguments[0], false); x.send(); return x.responseText;",
            json!([format!("/signals/{signal_id}/data.csv?range=1h")]),
        )
        .await;
    let csv = csv.as_str().unwrap_or_default();
    assert!(csv.starts_with("time,value,unit\n"), "{csv}");
    assert_eq!(csv.lines().count(), 5, "{csv}");
    assert!(csv.contains(",84.5,°C"), "{csv}");
    b.screenshot(&shots.join("15-signal-trend.png")).await;
    // Longer ranges come from the hourly rollups.
    b.goto(&format!("{base}/signals/{signal_id}?range=7d"))
        .await;
    wait_js(
        &b,
        "document.querySelector('#trend canvas') && Number(document.querySelector('#trend').getAttribute('data-points')) >= 1",
        "the hourly chart",
    )
    .await;
    // (uPlot's stylesheet shows legend labels in capitals)
    let legend = b.text("#trend").await.to_lowercase();
    assert!(
        legend.contains("average") && legend.contains("max") && legend.contains("h 80"),
        "{legend}"
    );
    b.quit().await;
}
