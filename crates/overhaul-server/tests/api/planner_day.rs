//! A planner's day, end to end over HTTP.

use crate::Api;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn request_to_closed_work_order() {
    let api = Api::start().await;
    let site = api.site("BER").await;
    let area = api.asset(&site, None, "BER-UT", "area").await;
    let pump = api.asset(&site, Some(&area), "P-101", "equipment").await;
    let planner = api
        .user(
            "planner@test.example",
            overhaul_core::role::Role::Planner,
            Some(site.parse().expect("uuid")),
        )
        .await;
    let tech = api
        .user(
            "tech@test.example",
            overhaul_core::role::Role::Technician,
            Some(site.parse().expect("uuid")),
        )
        .await;

    // An operator-style request, triaged and converted.
    let r = api
        .post(&tech, "/api/v1/work-requests", json!({"asset_id": pump, "title": "Pump P-101 leaks", "description": "Drips at the seal", "attachments": ["photo-1.jpg"]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["number"], "WR-000001");
    let req = r.body["id"].as_str().expect("id").to_owned();
    let r = api
        .post(
            &tech,
            &format!("/api/v1/work-requests/{req}/convert"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "technicians do not triage");
    let r = api
        .post(
            &planner,
            &format!("/api/v1/work-requests/{req}/convert"),
            json!({"type": "corrective", "priority": "high"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let wo = r.body.clone();
    assert_eq!(wo["title"], "Pump P-101 leaks");
    assert_eq!(wo["description"], "Drips at the seal");
    assert_eq!(wo["attachments"], json!(["photo-1.jpg"]));
    assert_eq!(wo["request_id"], json!(req));
    assert_eq!(wo["status"], "requested");
    let id = wo["id"].as_str().expect("id").to_owned();
    let r = api
        .get(&planner, &format!("/api/v1/work-requests/{req}"))
        .await;
    assert_eq!(
        (r.body["status"].as_str(), r.body["work_order_id"].as_str()),
        (Some("converted"), Some(id.as_str()))
    );

    // Planner walks it to scheduled, with If-Match each time.
    let mut etag = api
        .get(&planner, &format!("/api/v1/work-orders/{id}"))
        .await
        .etag
        .expect("etag");
    for to in ["approved", "planned", "ready", "scheduled"] {
        let r = api
            .call(
                &planner,
                Method::POST,
                &format!("/api/v1/work-orders/{id}/transitions"),
                Some(json!({"to": to})),
                &[("If-Match", &etag)],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{to}: {}", r.body);
        assert_eq!(r.body["status"], to);
        etag = r.etag.expect("etag");
    }
    // The planner may not start work; the technician may.
    let r = api
        .post(
            &planner,
            &format!("/api/v1/work-orders/{id}/transitions"),
            json!({"to": "in_progress"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api
        .post(
            &tech,
            &format!("/api/v1/work-orders/{id}/transitions"),
            json!({"to": "in_progress"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body["started_at"].is_string());
    // Hold needs a reason.
    let r = api
        .post(
            &tech,
            &format!("/api/v1/work-orders/{id}/transitions"),
            json!({"to": "on_hold"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = api
        .post(
            &tech,
            &format!("/api/v1/work-orders/{id}/transitions"),
            json!({"to": "on_hold", "reason": "waiting for seal kit"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["hold_reason"].as_str()),
        (StatusCode::OK, Some("waiting for seal kit"))
    );
    let r = api
        .post(
            &tech,
            &format!("/api/v1/work-orders/{id}/transitions"),
            json!({"to": "in_progress"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["hold_reason"].is_null());

    // Labour, failure report, downtime, comment.
    let now = chrono::Utc::now();
    let r = api
        .post(&tech, &format!("/api/v1/work-orders/{id}/labor"), json!({"started_at": now - chrono::Duration::minutes(95), "ended_at": now - chrono::Duration::minutes(5), "craft": "mechanical"}))
        .await;
    assert_eq!(
        (r.status, r.body["minutes"].as_i64()),
        (StatusCode::CREATED, Some(90)),
        "{}",
        r.body
    );
    let r = api
        .patch(&tech, &format!("/api/v1/work-orders/{id}"), json!({"failure": {"impact": "D", "mode": "ELP", "mechanism": "1.1", "cause": "3.4", "detection": "8", "notes": "seal worn"}}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (
            r.body["failure_mode"].as_str(),
            r.body["failure_mechanism"].as_str()
        ),
        (Some("ELP"), Some("1.1"))
    );
    // Downtime inside the asset's life (it was created moments ago).
    let created: chrono::DateTime<chrono::Utc> = api
        .get(&planner, &format!("/api/v1/assets/{pump}"))
        .await
        .body["created_at"]
        .as_str()
        .expect("created")
        .parse()
        .expect("time");
    let r = api
        .post(&tech, &format!("/api/v1/work-orders/{id}/downtime"), json!({"started_at": created + chrono::Duration::milliseconds(1), "ended_at": created + chrono::Duration::milliseconds(3), "planned": false, "reason": "seal replacement"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = api
        .post(
            &tech,
            &format!("/api/v1/work-orders/{id}/comments"),
            json!({"body": "Replaced the seal; running dry test."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);

    // Complete, then the planner closes.
    let r = api
        .post(
            &tech,
            &format!("/api/v1/work-orders/{id}/transitions"),
            json!({"to": "completed"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["completed_at"].is_string());
    let r = api
        .post(
            &planner,
            &format!("/api/v1/work-orders/{id}/transitions"),
            json!({"to": "closed"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["allowed_transitions"], json!([]));

    // The history, the asset's timeline and the audit trail all tell the story.
    let h = api
        .get(&planner, &format!("/api/v1/work-orders/{id}/transitions"))
        .await;
    let path: Vec<&str> = h
        .body
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c["to_status"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        path,
        [
            "requested",
            "approved",
            "planned",
            "ready",
            "scheduled",
            "in_progress",
            "on_hold",
            "in_progress",
            "completed",
            "closed"
        ]
    );
    let tl = api
        .get(&planner, &format!("/api/v1/assets/{pump}/state-intervals"))
        .await;
    let states: Vec<&str> = tl
        .body
        .as_array()
        .expect("list")
        .iter()
        .map(|i| i["state"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(states, ["running", "down_unplanned", "running"]);
    let a = api.get(&planner, &format!("/api/v1/assets/{pump}")).await;
    assert_eq!(a.body["status"], "running");
    let audit = api
        .get(
            &api.admin,
            &format!("/api/v1/audit?entity=work_order&entity_id={id}&limit=100"),
        )
        .await;
    let actions: Vec<&str> = audit
        .body
        .as_array()
        .expect("list")
        .iter()
        .map(|r| r["action"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(actions.first(), Some(&"create"));
    assert!(
        actions.contains(&"transition:closed") && actions.contains(&"update"),
        "{actions:?}"
    );
    let r = api.get(&api.admin, "/api/v1/audit/verify").await;
    assert_eq!(r.body["intact"], json!(true));
    // Closed is final.
    let r = api
        .patch(
            &planner,
            &format!("/api/v1/work-orders/{id}"),
            json!({"title": "rename"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn list_filters_and_cursor_pagination() {
    let api = Api::start().await;
    let site = api.site("S").await;
    let area = api.asset(&site, None, "AREA", "area").await;
    let p1 = api.asset(&site, Some(&area), "P1", "equipment").await;
    let other = api.asset(&site, None, "OTHER", "area").await;
    for i in 0..7 {
        let asset = if i % 2 == 0 { &p1 } else { &other };
        api.work_order(asset, &format!("Job {i} bearing")).await;
    }
    let r = api
        .get(
            &api.admin,
            &format!("/api/v1/work-orders?asset_id={area}&status=open&limit=2"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let mut numbers: Vec<String> = r.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|w| w["number"].as_str().unwrap_or("").to_owned())
        .collect();
    let mut cursor = r.body["next_cursor"].as_str().map(str::to_owned);
    while let Some(c) = cursor {
        let r = api
            .get(
                &api.admin,
                &format!("/api/v1/work-orders?asset_id={area}&status=open&limit=2&cursor={c}"),
            )
            .await;
        numbers.extend(
            r.body["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|w| w["number"].as_str().unwrap_or("").to_owned()),
        );
        cursor = r.body["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(
        numbers,
        ["WO-000007", "WO-000005", "WO-000003", "WO-000001"]
    );
    let r = api
        .get(
            &api.admin,
            "/api/v1/work-orders?q=bearing&type=corrective,emergency&priority=high&limit=100",
        )
        .await;
    assert_eq!(r.body["items"].as_array().map(Vec::len), Some(7));
    let r = api
        .get(&api.admin, "/api/v1/work-orders?status=closed")
        .await;
    assert_eq!(r.body["items"], json!([]));
    assert!(r.body["next_cursor"].is_null());
    let r = api
        .get(
            &api.admin,
            &format!("/api/v1/work-orders?site_id={site}&limit=500"),
        )
        .await;
    assert_eq!(r.body["items"].as_array().map(Vec::len), Some(7));
}

#[tokio::test]
async fn meters_and_readings() {
    let api = Api::start().await;
    let site = api.site("S").await;
    let area = api.asset(&site, None, "AREA", "area").await;
    let p = api.asset(&site, Some(&area), "P", "equipment").await;
    let r = api.post(&api.admin, "/api/v1/meters", json!({"asset_id": p, "code": "RUNH", "name": "Run hours", "kind": "counter", "unit": "h"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let m = r.body["id"].as_str().expect("id").to_owned();
    let now = chrono::Utc::now();
    let r = api
        .post(
            &api.admin,
            "/api/v1/readings",
            json!({"readings": [
                {"meter_id": m, "value": 100.0, "read_at": now - chrono::Duration::hours(2)},
                {"meter_id": m, "value": 112.5, "read_at": now - chrono::Duration::hours(1)}
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // A counter going backwards is refused, and the whole batch stores nothing.
    let before = api.audit_len().await;
    let r = api
        .post(
            &api.admin,
            "/api/v1/readings",
            json!({"readings": [
                {"meter_id": m, "value": 120.0},
                {"meter_id": m, "value": 110.0}
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "readings[1].value");
    assert_eq!(api.audit_len().await, before);
    let r = api.get(&api.admin, &format!("/api/v1/meters/{m}")).await;
    assert_eq!(r.body["last_value"], json!(112.5));
    let r = api
        .get(&api.admin, &format!("/api/v1/readings?meter_id={m}"))
        .await;
    assert_eq!(r.body["items"].as_array().map(Vec::len), Some(2));
    // one reading without the batch wrapper
    let r = api
        .post(
            &api.admin,
            "/api/v1/readings",
            json!({"meter_id": m, "value": 130.0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}
