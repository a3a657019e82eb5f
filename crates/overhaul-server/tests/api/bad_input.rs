//! Bad input gets a 4xx problem+json naming the field, and changes nothing.

use crate::Api;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Sends a request that must be refused with `status`, naming `field` when given, and checks
/// that the audit trail (so every table) did not move.
async fn refused(
    api: &Api,
    method: Method,
    path: &str,
    body: Value,
    status: StatusCode,
    field: Option<&str>,
) -> Value {
    let before = api.audit_len().await;
    let r = api
        .call(&api.admin, method, path, Some(body.clone()), &[])
        .await;
    assert_eq!(r.status, status, "{path} {body}: {}", r.body);
    assert_eq!(
        r.headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/problem+json"),
        "{path}"
    );
    if let Some(f) = field {
        let fields: Vec<&str> = r.body["errors"]
            .as_array()
            .map(|e| e.iter().filter_map(|x| x["field"].as_str()).collect())
            .unwrap_or_default();
        assert!(fields.contains(&f), "expected field {f} in {}", r.body);
    }
    assert_eq!(
        api.audit_len().await,
        before,
        "refused request changed something: {path} {body}"
    );
    r.body
}

#[tokio::test]
async fn malformed_bodies() {
    let api = Api::start().await;
    let site = api.site("S").await;
    let area = api.asset(&site, None, "A", "area").await;
    let b400 = StatusCode::BAD_REQUEST;
    let wo = "/api/v1/work-orders";
    refused(&api, Method::POST, wo, json!({"asset_id": area, "title": "t", "type": "corrective", "priority": "low", "colour": "red"}), b400, Some("colour")).await;
    refused(
        &api,
        Method::POST,
        wo,
        json!({"asset_id": area, "type": "corrective", "priority": "low"}),
        b400,
        Some("title"),
    )
    .await;
    refused(
        &api,
        Method::POST,
        wo,
        json!({"asset_id": area, "title": 42, "type": "corrective", "priority": "low"}),
        b400,
        Some("title"),
    )
    .await;
    refused(
        &api,
        Method::POST,
        wo,
        json!({"asset_id": "not-a-uuid", "title": "t", "type": "corrective", "priority": "low"}),
        b400,
        Some("asset_id"),
    )
    .await;
    refused(
        &api,
        Method::POST,
        wo,
        json!({"asset_id": area, "title": "t", "type": "repair", "priority": "low"}),
        b400,
        Some("type"),
    )
    .await;
    refused(
        &api,
        Method::POST,
        wo,
        json!({"asset_id": area, "title": "bell\u{7}", "type": "corrective", "priority": "low"}),
        b400,
        Some("title"),
    )
    .await;
    refused(
        &api,
        Method::POST,
        wo,
        json!({"asset_id": area, "title": "   ", "type": "corrective", "priority": "low"}),
        b400,
        Some("title"),
    )
    .await;
    refused(&api, Method::POST, wo, json!([1, 2]), b400, None).await;
    // not JSON at all
    let r = api
        .client
        .post(format!("{}{wo}", api.base))
        .bearer_auth(&api.admin)
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), b400);
    let r = api
        .client
        .post(format!("{}{wo}", api.base))
        .bearer_auth(&api.admin)
        .body("title=x")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // oversize
    let huge = json!({"asset_id": area, "title": "t", "type": "corrective", "priority": "low", "description": "x".repeat(2 * 1024 * 1024)});
    refused(
        &api,
        Method::POST,
        wo,
        huge,
        StatusCode::PAYLOAD_TOO_LARGE,
        None,
    )
    .await;
    // bad ids in the path and query
    let r = api.get(&api.admin, "/api/v1/work-orders/12345").await;
    assert_eq!(
        (r.status, r.body["errors"][0]["field"].as_str()),
        (b400, Some("id"))
    );
    let r = api
        .get(&api.admin, "/api/v1/work-orders?asset_id=xyz")
        .await;
    assert_eq!(r.status, b400);
    let r = api
        .get(&api.admin, "/api/v1/work-orders?limit=100000")
        .await;
    assert_eq!(
        (r.status, r.body["errors"][0]["field"].as_str()),
        (b400, Some("limit"))
    );
    let r = api.get(&api.admin, "/api/v1/work-orders?cursor=%%%").await;
    assert_eq!(r.status, b400);
    let r = api
        .get(&api.admin, "/api/v1/work-orders?status=bogus")
        .await;
    assert_eq!(
        (r.status, r.body["errors"][0]["field"].as_str()),
        (b400, Some("status"))
    );
}

#[tokio::test]
async fn asset_rules() {
    let api = Api::start().await;
    let site = api.site("S").await;
    let area = api.asset(&site, None, "A", "area").await;
    let line = api.asset(&site, Some(&area), "L", "work_center").await;
    let pump = api.asset(&site, Some(&line), "P", "equipment").await;
    let b400 = StatusCode::BAD_REQUEST;
    let assets = "/api/v1/assets";
    refused(
        &api,
        Method::POST,
        assets,
        json!({"site_id": site, "code": "has space", "name": "x", "level": "area"}),
        b400,
        Some("code"),
    )
    .await;
    refused(
        &api,
        Method::POST,
        assets,
        json!({"site_id": site, "code": "ctl\u{1b}", "name": "x", "level": "area"}),
        b400,
        Some("code"),
    )
    .await;
    refused(
        &api,
        Method::POST,
        assets,
        json!({"site_id": site, "code": "E", "name": "x", "level": "equipment"}),
        b400,
        Some("level"),
    )
    .await;
    refused(
        &api,
        Method::POST,
        assets,
        json!({"site_id": site, "parent_id": pump, "code": "E", "name": "x", "level": "area"}),
        b400,
        Some("level"),
    )
    .await;
    refused(&api, Method::POST, assets, json!({"site_id": site, "code": "E", "name": "x", "level": "area", "criticality": {"consequence": 9, "likelihood": 0}}), b400, Some("criticality.consequence")).await;
    refused(&api, Method::POST, assets, json!({"site_id": site, "code": "E", "name": "x", "level": "area", "equipment_class": "ZZ"}), b400, Some("equipment_class")).await;
    refused(&api, Method::POST, assets, json!({"site_id": site, "code": "E", "name": "x", "level": "area", "replacement_value": -5}), b400, Some("replacement_value")).await;
    refused(
        &api,
        Method::POST,
        assets,
        json!({"site_id": uuid::Uuid::now_v7(), "code": "E", "name": "x", "level": "area"}),
        b400,
        Some("site_id"),
    )
    .await;
    refused(
        &api,
        Method::POST,
        assets,
        json!({"site_id": site, "code": "A", "name": "dup", "level": "area"}),
        StatusCode::CONFLICT,
        None,
    )
    .await;
    // A parent that would create a cycle.
    let body = refused(
        &api,
        Method::PATCH,
        &format!("{assets}/{area}"),
        json!({"parent_id": pump}),
        b400,
        Some("parent_id"),
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or("")
            .contains("own ancestor"),
        "{body}"
    );
    refused(
        &api,
        Method::PATCH,
        &format!("{assets}/{line}"),
        json!({"parent_id": line}),
        b400,
        Some("parent_id"),
    )
    .await;
    // Deleting an asset with history is refused; decommissioning is offered and works.
    let wo = api.work_order(&pump, "history").await;
    let body = refused(
        &api,
        Method::DELETE,
        &format!("{assets}/{pump}"),
        json!(null),
        StatusCode::CONFLICT,
        None,
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or("")
            .contains("Decommission"),
        "{body}"
    );
    let r = api
        .post(
            &api.admin,
            &format!("{assets}/{pump}/decommission"),
            json!({"reason": "replaced by P2"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (StatusCode::OK, Some("decommissioned")),
        "{}",
        r.body
    );
    // No new work on a decommissioned asset; its old work is still there.
    refused(
        &api,
        Method::POST,
        "/api/v1/work-orders",
        json!({"asset_id": pump, "title": "t", "type": "corrective", "priority": "low"}),
        b400,
        Some("asset_id"),
    )
    .await;
    assert_eq!(
        api.get(
            &api.admin,
            &format!("/api/v1/work-orders/{}", wo["id"].as_str().unwrap_or(""))
        )
        .await
        .status,
        StatusCode::OK
    );
    // An asset without history can be deleted.
    let spare = api.asset(&site, Some(&area), "SPARE", "equipment").await;
    let r = api
        .call(
            &api.admin,
            Method::DELETE,
            &format!("{assets}/{spare}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        api.get(&api.admin, &format!("{assets}/{spare}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Moving keeps level order.
    let other = api.asset(&site, None, "B", "area").await;
    let r = api
        .patch(
            &api.admin,
            &format!("{assets}/{line}"),
            json!({"parent_id": other}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = api
        .get(&api.admin, &format!("{assets}?subtree_of={other}"))
        .await;
    assert_eq!(
        r.body["items"].as_array().map(Vec::len),
        Some(3),
        "B, L and the decommissioned P: {}",
        r.body
    );
}

#[tokio::test]
async fn times_durations_and_sites() {
    let api = Api::start().await;
    let b400 = StatusCode::BAD_REQUEST;
    refused(
        &api,
        Method::POST,
        "/api/v1/sites",
        json!({"code": "X", "name": "X", "timezone": "Mars/Olympus"}),
        b400,
        Some("timezone"),
    )
    .await;
    refused(&api, Method::POST, "/api/v1/sites", json!({"code": "X", "name": "X", "timezone": "UTC", "business_hours": {"days": [{"open": "17:00", "close": "08:00"}, null, null, null, null, null, null]}}), b400, Some("business_hours.days[0].close")).await;
    let site = api.site("S").await;
    let area = api.asset(&site, None, "A", "area").await;
    let wo = api.work_order(&area, "Job").await;
    let id = wo["id"].as_str().expect("id");
    let now = chrono::Utc::now();
    let labor = format!("/api/v1/work-orders/{id}/labor");
    refused(&api, Method::POST, &labor, json!({"started_at": now - chrono::Duration::hours(1), "ended_at": now - chrono::Duration::hours(2)}), b400, Some("ended_at")).await;
    refused(&api, Method::POST, &labor, json!({"started_at": now - chrono::Duration::hours(30), "ended_at": now - chrono::Duration::hours(1)}), b400, Some("ended_at")).await;
    refused(
        &api,
        Method::POST,
        &labor,
        json!({"started_at": "yesterday", "ended_at": now}),
        b400,
        Some("started_at"),
    )
    .await;
    let dt = format!("/api/v1/work-orders/{id}/downtime");
    refused(&api, Method::POST, &dt, json!({"started_at": now - chrono::Duration::hours(1), "ended_at": now - chrono::Duration::hours(3), "planned": true, "reason": "x"}), b400, Some("ended_at")).await;
    refused(
        &api,
        Method::POST,
        &dt,
        json!({"started_at": now + chrono::Duration::days(2), "planned": true, "reason": "x"}),
        b400,
        Some("started_at"),
    )
    .await;
    refused(
        &api,
        Method::PATCH,
        &format!("/api/v1/work-orders/{id}"),
        json!({"failure": {"mode": "XYZ"}}),
        b400,
        Some("failure.mode"),
    )
    .await;
    refused(
        &api,
        Method::PATCH,
        &format!("/api/v1/work-orders/{id}"),
        json!({"failure": {"mechanism": "VIB"}}),
        b400,
        Some("failure.mechanism"),
    )
    .await;
    refused(
        &api,
        Method::POST,
        "/api/v1/work-requests",
        json!({"asset_id": area, "title": "x".repeat(300)}),
        b400,
        None,
    )
    .await;
}
