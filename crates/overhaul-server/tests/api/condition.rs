//! Condition monitoring over HTTP: a signal with a rule, readings pushed in a batch, the alarm
//! and the work it raised; bad batches refused with field errors.

use crate::Api;
use overhaul_core::role::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn signal(api: &Api, asset: &str) -> Value {
    let r = api
        .post(
            &api.admin,
            "/api/v1/signals",
            json!({
                "asset_id": asset, "name": "vibration", "kind": "gauge", "unit": "mm/s",
                "source": {"kind": "mqtt_json", "topic": "plant/p1/vib", "pointer": "/rms"},
                "rules": [{"name": "high", "priority": "high",
                           "params": {"kind": "threshold", "level": "h", "limit": 7.1, "deadband": 0.3}}]
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body
}

#[tokio::test]
async fn readings_raise_an_alarm_and_one_work_request() {
    let api = Api::start().await;
    let site = api.site("S").await;
    let area = api.asset(&site, None, "A", "area").await;
    let pump = api.asset(&site, Some(&area), "P1", "equipment").await;
    let s = signal(&api, &pump).await;
    let id = s["id"].as_str().unwrap();
    assert_eq!(s["source"]["topic"], json!("plant/p1/vib"));
    assert_eq!(s["rules"][0]["params"]["limit"], json!(7.1));
    let alarm = s["rules"][0]["alarm_id"].as_str().unwrap().to_owned();
    let now = chrono::Utc::now();
    let at = |secs: i64| (now - chrono::Duration::seconds(secs)).to_rfc3339();
    let r = api
        .post(
            &api.admin,
            "/api/v1/readings",
            json!({"readings": [
                {"signal_id": id, "time": at(30), "value": 5.0},
                {"signal_id": id, "time": at(20), "value": 7.5},
                {"signal_id": id, "time": at(10), "value": 7.6},
                {"signal_id": id, "time": "1970-01-01T00:00:00Z", "value": 9.9},
                {"signal_id": uuid::Uuid::now_v7(), "time": at(5), "value": 1.0}
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["accepted"], json!(3));
    assert_eq!(
        r.body["rejected"],
        json!({"too_old": 1, "unknown_signal": 1})
    );
    assert_eq!(r.body["alarms_activated"], json!(1));
    assert_eq!(r.body["work_requests_created"].as_array().unwrap().len(), 1);

    let r = api
        .get(
            &api.admin,
            &format!("/api/v1/alarms?active=true&site_id={site}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body.as_array().unwrap().len(), 1, "{}", r.body);
    assert_eq!(r.body[0]["state"], json!("active_unacknowledged"));
    assert_eq!(r.body[0]["signal_name"], json!("vibration"));

    let r = api
        .post(
            &api.admin,
            &format!("/api/v1/alarms/{alarm}/acknowledge"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["state"], json!("active_acknowledged"));
    // acknowledging twice breaks a rule of the alarm state machine
    let r = api
        .post(
            &api.admin,
            &format!("/api/v1/alarms/{alarm}/acknowledge"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let until = (now + chrono::Duration::hours(2)).to_rfc3339();
    let r = api
        .post(
            &api.admin,
            &format!("/api/v1/alarms/{alarm}/shelve"),
            json!({"until": until, "reason": "sensor swap"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["shelve_reason"], json!("sensor swap"));
    let r = api
        .post(
            &api.admin,
            &format!("/api/v1/alarms/{alarm}/unshelve"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = api
        .get(&api.admin, &format!("/api/v1/alarms/{alarm}/history"))
        .await;
    let kinds: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        vec!["activated", "acknowledged", "shelved", "unshelved"]
    );

    let from = (now - chrono::Duration::hours(1)).to_rfc3339();
    let q = format!("from={}", urlencode(&from));
    let r = api
        .get(&api.admin, &format!("/api/v1/signals/{id}/readings?{q}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body.as_array().unwrap().len(), 3);
    let r = api
        .get(&api.admin, &format!("/api/v1/signals/{id}/rollups?{q}"))
        .await;
    let total: i64 = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["count_value"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 3, "{}", r.body);

    // meter readings still go through the same endpoint
    let r = api
        .post(&api.admin, "/api/v1/readings", json!({"readings": []}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // an operator may feed and acknowledge, an auditor may not feed
    let auditor = api.user("aud@test.example", Role::Auditor, None).await;
    let r = api
        .post(
            &auditor,
            "/api/v1/readings",
            json!({"readings": [{"signal_id": id, "time": at(1), "value": 1.0}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn bad_reading_batches_are_refused_with_field_errors() {
    let api = Api::start().await;
    let site = api.site("S").await;
    let area = api.asset(&site, None, "A", "area").await;
    let s = signal(&api, &area).await;
    let id = s["id"].as_str().unwrap();
    let before = api.audit_len().await;
    let cases = [
        (
            json!({"readings": [{"signal_id": id, "time": "yesterday", "value": 1.0}]}),
            "readings[0].time",
        ),
        (
            json!({"readings": [{"signal_id": id, "time": "2026-01-01T00:00:00Z", "value": "NaN"}]}),
            "readings[0].value",
        ),
        (
            json!({"readings": [{"signal_id": id, "time": "2026-01-01T00:00:00Z", "value": 1.0, "unit": "x"}]}),
            "readings[0].unit",
        ),
        (
            json!({"readings": [{"signal_id": id, "value": 1.0}]}),
            "readings[0].time",
        ),
        (
            json!({"readings": [{"signal_id": "nope", "time": "2026-01-01T00:00:00Z", "value": 1.0}]}),
            "readings[0].signal_id",
        ),
    ];
    for (body, field) in cases {
        let r = api.post(&api.admin, "/api/v1/readings", body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.body);
        let fields: Vec<&str> = r.body["errors"]
            .as_array()
            .map(|e| e.iter().filter_map(|x| x["field"].as_str()).collect())
            .unwrap_or_default();
        assert!(
            fields.contains(&field),
            "{body}: expected {field} in {}",
            r.body
        );
    }
    // a bad signal definition names its fields
    let r = api
        .post(
            &api.admin,
            "/api/v1/signals",
            json!({"asset_id": area, "name": "x", "kind": "gauge", "unit": "u",
                   "source": {"kind": "mqtt_json", "topic": "a/#", "pointer": "/v"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], json!("source.topic"));
    assert_eq!(
        api.audit_len().await,
        before,
        "refused input changed something"
    );
}

#[tokio::test]
async fn a_templated_rule_raises_a_work_order_and_the_trend_shows_raw_and_hourly_values() {
    let api = Api::start().await;
    let site = api.site("S").await;
    let area = api.asset(&site, None, "A", "area").await;
    let pump = api.asset(&site, Some(&area), "P1", "equipment").await;
    let s = signal(&api, &pump).await;
    let id = s["id"].as_str().unwrap();
    let rule = s["rules"][0]["id"].as_str().unwrap();
    assert_eq!(s["rules"][0]["work_order_template"], Value::Null);

    // A bad template is refused with field errors and changes nothing.
    let audit = api.audit_len().await;
    let r = api
        .patch(
            &api.admin,
            &format!("/api/v1/signals/{id}/rules/{rule}"),
            json!({"work_order_template": {"title": "", "type": "predictive", "priority": "high",
                                           "crew_size": 0}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        ["work_order_template.title", "work_order_template.crew_size"],
        "{}",
        r.body
    );
    let r = api
        .patch(
            &api.admin,
            &format!("/api/v1/signals/{id}/rules/{rule}"),
            json!({"work_order_template": {"title": "T", "type": "repair", "priority": "high"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(api.audit_len().await, audit);

    // A second rule, added with its template, raises a work order.
    let r = api
        .post(
            &api.admin,
            &format!("/api/v1/signals/{id}/rules"),
            json!({"name": "high-high", "priority": "urgent",
                   "params": {"kind": "threshold", "level": "hh", "limit": 11.0},
                   "work_order_template": {"title": "Stop and inspect the pump", "type": "emergency",
                                           "priority": "urgent", "estimated_hours": 3, "crew_size": 2}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        r.body["work_order_template"]["title"],
        json!("Stop and inspect the pump")
    );
    let now = chrono::Utc::now();
    let at = |secs: i64| (now - chrono::Duration::seconds(secs)).to_rfc3339();
    let r = api
        .post(
            &api.admin,
            "/api/v1/readings",
            json!({"readings": [
                {"signal_id": id, "time": at(40), "value": 5.0},
                {"signal_id": id, "time": at(30), "value": 12.0},
                {"signal_id": id, "time": at(20), "value": 6.0},
                {"signal_id": id, "time": at(10), "value": 12.5}
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // the high rule raises one request (its second activation is a note on it); the
    // high-high rule raises one work order (its second activation is a comment on it)
    assert_eq!(r.body["work_requests_created"].as_array().unwrap().len(), 1);
    let wos = r.body["work_orders_created"].as_array().unwrap();
    assert_eq!(wos.len(), 1, "{}", r.body);
    assert_eq!(r.body["notes_added"], json!(2), "{}", r.body);
    let wo = api
        .get(
            &api.admin,
            &format!("/api/v1/work-orders/{}", wos[0].as_str().unwrap()),
        )
        .await;
    assert_eq!(wo.body["title"], json!("Stop and inspect the pump"));
    assert_eq!(wo.body["type"], json!("emergency"));
    assert_eq!(wo.body["priority"], json!("urgent"));
    assert!(
        wo.body["description"]
            .as_str()
            .unwrap()
            .contains("Estimate: 3 h, 2 people."),
        "{}",
        wo.body
    );
    let r = api
        .get(&api.admin, &format!("/api/v1/alarms?signal_id={id}"))
        .await;
    let linked: Vec<&Value> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["work_order_id"])
        .filter(|w| !w.is_null())
        .collect();
    assert_eq!(linked, [&wos[0]]);

    // The trend of the last hour: each reading, with both limits.
    let r = api
        .get(&api.admin, &format!("/api/v1/signals/{id}/trend?range=1h"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["resolution"], json!("raw"));
    let values: Vec<f64> = r.body["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["avg"].as_f64().unwrap())
        .collect();
    assert_eq!(values, [5.0, 12.0, 6.0, 12.5]);
    let limits: Vec<(String, f64)> = r.body["limits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["level"].as_str().unwrap().to_owned(),
                l["value"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(limits, [("h".to_owned(), 7.1), ("hh".to_owned(), 11.0)]);
    // A week: hourly rollups (the readings may straddle an hour boundary).
    let r = api
        .get(&api.admin, &format!("/api/v1/signals/{id}/trend?range=7d"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["resolution"], json!("hour"));
    let pts = r.body["points"].as_array().unwrap();
    let count: i64 = pts.iter().map(|p| p["count"].as_i64().unwrap()).sum();
    let sum: f64 = pts
        .iter()
        .map(|p| p["avg"].as_f64().unwrap() * p["count"].as_f64().unwrap())
        .sum();
    let max = pts
        .iter()
        .map(|p| p["max"].as_f64().unwrap())
        .fold(f64::MIN, f64::max);
    let min = pts
        .iter()
        .map(|p| p["min"].as_f64().unwrap())
        .fold(f64::MAX, f64::min);
    assert_eq!(count, 4);
    assert!((sum - 35.5).abs() < 1e-9, "{sum}");
    assert_eq!((min, max), (5.0, 12.5));
    // Nothing a year before the readings.
    let to = urlencode(&(now - chrono::Duration::days(400)).to_rfc3339());
    let r = api
        .get(
            &api.admin,
            &format!("/api/v1/signals/{id}/trend?range=1y&to={to}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["points"], json!([]));
    let r = api
        .get(&api.admin, &format!("/api/v1/signals/{id}/trend?range=2h"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
}
