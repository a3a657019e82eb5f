//! PM plans over HTTP: create with a live preview, forecast, generate exactly once.

use crate::Api;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn plan_preview_forecast_and_generation() {
    let api = Api::start().await;
    let site = api.site("S").await;
    let area = api.asset(&site, None, "A", "area").await;
    let pump = api.asset(&site, Some(&area), "P", "equipment").await;
    let r = api
        .post(
            &api.admin,
            &format!("/api/v1/sites/{site}/holidays"),
            json!({"day": "2030-12-25", "name": "Christmas"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = api
        .post(
            &api.admin,
            &format!("/api/v1/sites/{site}/holidays"),
            json!({"day": "2030-12-25", "name": "again"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let today = chrono::Utc::now().date_naive();
    let body = json!({
        "asset_id": pump,
        "title": "Grease bearings",
        "schedule": {"trigger": {"kind": "fixed", "rule": {"kind": "every", "every": 1, "unit": "days", "at": "00:00"}},
                     "start": today.to_string(), "lead_days": 0}
    });
    let r = api.post(&api.admin, "/api/v1/pm-plans", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["next"].as_array().map(Vec::len), Some(10));
    assert_eq!(r.body["status"], "active");
    let plan = r.body["id"].as_str().expect("id").to_owned();
    let r = api
        .get(&api.admin, &format!("/api/v1/pm-forecast?plan_id={plan}"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let n = r.body.as_array().map(Vec::len).unwrap_or(0);
    assert!(
        (89..=91).contains(&n),
        "about 90 daily occurrences in 90 days, got {n}"
    );
    // Today's occurrence (00:00 Berlin) is due: one work order, once.
    let r = api
        .post(&api.admin, "/api/v1/pm-plans/generate", json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["work_orders_created"], 1, "{}", r.body);
    let r = api
        .post(&api.admin, "/api/v1/pm-plans/generate", json!({}))
        .await;
    assert_eq!(r.body["work_orders_created"], 0, "{}", r.body);
    let r = api
        .get(
            &api.admin,
            &format!("/api/v1/work-orders?asset_id={pump}&type=preventive"),
        )
        .await;
    assert_eq!(r.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(r.body["items"][0]["title"], "Grease bearings");
    let r = api
        .get(&api.admin, &format!("/api/v1/pm-plans/{plan}/occurrences"))
        .await;
    assert_eq!(r.body.as_array().map(Vec::len), Some(1));
    // Bad schedules name their field.
    let r = api
        .post(&api.admin, "/api/v1/pm-plans", json!({"asset_id": pump, "title": "x", "schedule": {"trigger": {"kind": "fixed", "rule": {"kind": "rrule", "rrule": "FREQ=SECONDLY", "at": "06:00"}}, "start": "2026-01-01"}}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(
        r.body["errors"][0]["field"]
            .as_str()
            .unwrap_or("")
            .starts_with("schedule."),
        "{}",
        r.body
    );
}
