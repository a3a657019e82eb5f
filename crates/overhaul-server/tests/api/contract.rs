//! The public contract of DESIGN.md §4: ETags, If-Match, idempotency keys, problem+json,
//! illegal transitions, the OpenAPI document, operations endpoints.

use crate::Api;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn stale_if_match_is_412_and_changes_nothing() {
    let api = Api::start().await;
    let site = api.site("S").await;
    let area = api.asset(&site, None, "A", "area").await;
    let wo = api.work_order(&area, "Job").await;
    let id = wo["id"].as_str().expect("id");
    let r = api
        .get(&api.admin, &format!("/api/v1/work-orders/{id}"))
        .await;
    let etag = r.etag.expect("etag");
    assert_eq!(etag, "\"1\"");
    let r = api
        .call(
            &api.admin,
            Method::PATCH,
            &format!("/api/v1/work-orders/{id}"),
            Some(json!({"title": "first"})),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(
        (r.status, r.etag.as_deref()),
        (StatusCode::OK, Some("\"2\""))
    );
    let before = api.audit_len().await;
    let r = api
        .call(
            &api.admin,
            Method::PATCH,
            &format!("/api/v1/work-orders/{id}"),
            Some(json!({"title": "second"})),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "{}", r.body);
    assert_eq!(r.body["type"], "urn:overhaul:problem:stale");
    let r = api
        .call(
            &api.admin,
            Method::POST,
            &format!("/api/v1/work-orders/{id}/transitions"),
            Some(json!({"to": "approved"})),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        api.get(&api.admin, &format!("/api/v1/work-orders/{id}"))
            .await
            .body["title"],
        "first"
    );
    assert_eq!(api.audit_len().await, before);
    let r = api
        .call(
            &api.admin,
            Method::PATCH,
            &format!("/api/v1/work-orders/{id}"),
            Some(json!({"title": "x"})),
            &[("If-Match", "garbage")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn idempotency_key_replays_the_first_response() {
    let api = Api::start().await;
    let site = api.site("S").await;
    let area = api.asset(&site, None, "A", "area").await;
    let body =
        json!({"asset_id": area, "title": "Once", "type": "corrective", "priority": "normal"});
    let key = [("Idempotency-Key", "abc-123")];
    let first = api
        .call(
            &api.admin,
            Method::POST,
            "/api/v1/work-orders",
            Some(body.clone()),
            &key,
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let audit = api.audit_len().await;
    let again = api
        .call(
            &api.admin,
            Method::POST,
            "/api/v1/work-orders",
            Some(body.clone()),
            &key,
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body, first.body);
    assert_eq!(again.etag, first.etag);
    assert_eq!(
        again
            .headers
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    assert_eq!(api.audit_len().await, audit, "a replay creates nothing");
    let list = api.get(&api.admin, "/api/v1/work-orders").await;
    assert_eq!(list.body["items"].as_array().map(Vec::len), Some(1));
    // Same key, different request.
    let other = api.call(&api.admin, Method::POST, "/api/v1/work-orders", Some(json!({"asset_id": area, "title": "Other", "type": "corrective", "priority": "normal"})), &key).await;
    assert_eq!(
        other.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        other.body
    );
    // A failed request frees its key.
    let bad = api
        .call(
            &api.admin,
            Method::POST,
            "/api/v1/work-orders",
            Some(json!({"asset_id": area})),
            &[("Idempotency-Key", "k2")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let good = api
        .call(
            &api.admin,
            Method::POST,
            "/api/v1/work-orders",
            Some(body),
            &[("Idempotency-Key", "k2")],
        )
        .await;
    assert_eq!(good.status, StatusCode::CREATED);
}

#[tokio::test]
async fn illegal_transition_is_422_naming_the_allowed_ones() {
    let api = Api::start().await;
    let site = api.site("S").await;
    let area = api.asset(&site, None, "A", "area").await;
    let wo = api.work_order(&area, "Job").await;
    let id = wo["id"].as_str().expect("id");
    let before = api.audit_len().await;
    let r = api
        .post(
            &api.admin,
            &format!("/api/v1/work-orders/{id}/transitions"),
            json!({"to": "completed"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    assert_eq!(r.body["type"], "urn:overhaul:problem:illegal-transition");
    assert_eq!(r.body["allowed"], json!(["approved", "cancelled"]));
    assert_eq!(
        r.body["detail"],
        "cannot go from requested to completed; allowed: approved, cancelled"
    );
    let r = api
        .post(
            &api.admin,
            &format!("/api/v1/work-orders/{id}/transitions"),
            json!({"to": "finished"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["errors"][0]["field"], "to");
    assert_eq!(api.audit_len().await, before);
}

#[tokio::test]
async fn openapi_document_is_served_and_matches_the_committed_file() {
    let api = Api::start().await;
    let r = api
        .client
        .get(format!("{}/api/v1/openapi.json", api.base))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    let served: serde_json::Value = r.json().await.expect("json");
    assert!(
        served["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1"))
    );
    for path in [
        "/api/v1/sites",
        "/api/v1/users",
        "/api/v1/assets",
        "/api/v1/meters",
        "/api/v1/readings",
        "/api/v1/work-requests",
        "/api/v1/work-requests/{id}/convert",
        "/api/v1/work-orders",
        "/api/v1/work-orders/{id}/transitions",
        "/api/v1/work-orders/{id}/labor",
        "/api/v1/work-orders/{id}/downtime",
        "/api/v1/failure-codes",
    ] {
        assert!(
            served["paths"].get(path).is_some(),
            "{path} missing from the document"
        );
    }
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../openapi.json"
    ))
    .expect(
        "openapi.json at the repository root (regenerate: cargo run -q -- openapi > openapi.json)",
    );
    let committed: serde_json::Value = serde_json::from_str(&committed).expect("committed json");
    assert!(
        served == committed,
        "openapi.json is out of date: regenerate it with `cargo run -q -- openapi > openapi.json`"
    );
}

#[tokio::test]
async fn operations_endpoints() {
    let api = Api::start().await;
    let r = api
        .client
        .get(format!("{}/healthz", api.base))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("x-request-id").is_some());
    let r = api
        .client
        .get(format!("{}/readyz", api.base))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    api.get(&api.admin, "/api/v1/sites").await;
    let text = api
        .client
        .get(format!("{}/metrics", api.base))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(text.contains("route=\"/api/v1/sites\""), "{text}");
    assert!(
        text.contains("http_request_duration_seconds_bucket"),
        "{text}"
    );
    let r = api
        .client
        .get(format!("{}/", api.base))
        .send()
        .await
        .expect("get");
    assert!(r.text().await.expect("html").contains("Overhaul"));
    let r = api.get(&api.admin, "/api/v1/no-such-thing").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["type"], "urn:overhaul:problem:not-found");
}

#[tokio::test]
async fn failure_code_lists() {
    let api = Api::start().await;
    let r = api
        .get(&api.admin, "/api/v1/failure-codes?kind=mechanism")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let codes: Vec<&str> = r
        .body
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c["code"].as_str().unwrap_or(""))
        .collect();
    assert!(codes.contains(&"2.4") && codes.len() == 38);
    let r = api
        .get(&api.admin, "/api/v1/failure-codes?kind=colour")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn many_concurrent_creates_all_succeed_with_unique_numbers() {
    // More clients than database connections: a request must never hold one pooled connection
    // while waiting for another (that deadlocked on PostgreSQL once).
    let api = std::sync::Arc::new(Api::start().await);
    let site = api.site("S").await;
    let area = api.asset(&site, None, "A", "area").await;
    let mut tasks = Vec::new();
    for i in 0..64 {
        let api = api.clone();
        let area = area.clone();
        tasks.push(tokio::spawn(async move {
            let r = api.post(&api.admin, "/api/v1/work-orders", json!({"asset_id": area, "title": format!("n{i}"), "type": "corrective", "priority": "normal"})).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            r.body["number"].as_str().unwrap_or("").to_owned()
        }));
    }
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.push(t.await.expect("task"));
    }
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 64);
    assert_eq!(
        api.get(&api.admin, "/api/v1/audit/verify").await.body["intact"],
        json!(true)
    );
}
