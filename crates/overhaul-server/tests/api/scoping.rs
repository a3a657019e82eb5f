//! Authentication and per-site scoping: a user of site A never sees site B.

use crate::Api;
use overhaul_core::role::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn users_of_one_site_get_404_for_another() {
    let api = Api::start().await;
    let a = api.site("A").await;
    let b = api.site("B").await;
    let area_a = api.asset(&a, None, "AA", "area").await;
    let area_b = api.asset(&b, None, "BA", "area").await;
    let wo_b = api.work_order(&area_b, "B's job").await;
    let wo_b = wo_b["id"].as_str().expect("id");
    let tech_a = api
        .user(
            "tech.a@test.example",
            Role::Technician,
            Some(a.parse().expect("uuid")),
        )
        .await;

    for path in [
        format!("/api/v1/assets/{area_b}"),
        format!("/api/v1/work-orders/{wo_b}"),
        format!("/api/v1/sites/{b}"),
        format!("/api/v1/work-orders/{wo_b}/labor"),
    ] {
        let r = api.get(&tech_a, &path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
    }
    let r = api
        .post(
            &tech_a,
            &format!("/api/v1/work-orders/{wo_b}/transitions"),
            json!({"to": "approved"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = api
        .post(
            &tech_a,
            "/api/v1/work-orders",
            json!({"asset_id": area_b, "title": "x", "type": "corrective", "priority": "low"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "another site's asset does not exist for this user"
    );
    // Lists only hold the user's site.
    let r = api.get(&tech_a, "/api/v1/work-orders").await;
    assert_eq!(r.body["items"], json!([]));
    let r = api.get(&tech_a, "/api/v1/sites").await;
    assert_eq!(r.body.as_array().map(Vec::len), Some(1));
    let r = api.get(&tech_a, "/api/v1/assets").await;
    let codes: Vec<&str> = r.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|x| x["code"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(codes, ["AA"]);
    // Own site works; forbidden actions are 403.
    assert_eq!(
        api.get(&tech_a, &format!("/api/v1/assets/{area_a}"))
            .await
            .status,
        StatusCode::OK
    );
    let r = api
        .post(
            &tech_a,
            "/api/v1/assets",
            json!({"site_id": a, "code": "X", "name": "X", "level": "area"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api
        .post(
            &tech_a,
            "/api/v1/sites",
            json!({"code": "C", "name": "C", "timezone": "UTC"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        api.get(&tech_a, "/api/v1/users").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api.get(&tech_a, "/api/v1/audit").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn tokens_are_required_and_checked() {
    let api = Api::start().await;
    let r = api
        .client
        .get(format!("{}/api/v1/sites", api.base))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    let r = api.get("ovh_not-a-real-token", "/api/v1/sites").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A token issued over the API works, and is not stored in clear.
    let r = api
        .post(&api.admin, "/api/v1/tokens", json!({"name": "ci"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let token = r.body["token"].as_str().expect("token").to_owned();
    assert_eq!(
        api.get(&token, "/api/v1/sites").await.status,
        StatusCode::OK
    );
    let audit = api
        .get(&api.admin, "/api/v1/audit?entity=api_token&limit=500")
        .await;
    assert!(
        !audit.body.to_string().contains(&token),
        "the secret must not reach the audit trail"
    );
    // An auditor reads the trail but changes nothing.
    let auditor = api.user("aud@test.example", Role::Auditor, None).await;
    assert_eq!(
        api.get(&auditor, "/api/v1/audit/verify").await.body["intact"],
        json!(true)
    );
    let s = api.site("Z").await;
    let r = api
        .post(
            &auditor,
            "/api/v1/assets",
            json!({"site_id": s, "code": "X", "name": "X", "level": "area"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_revoked_token_is_refused_at_once_and_its_use_is_recorded() {
    let api = Api::start().await;
    let tech = api.user("tech@test.example", Role::Technician, None).await;
    let mine = api.get(&tech, "/api/v1/tokens").await;
    assert_eq!(mine.status, StatusCode::OK, "{:?}", mine.body);
    let list = mine.body.as_array().expect("list").clone();
    assert_eq!(list.len(), 1);
    assert!(
        list[0].get("token_hash").is_none(),
        "the hash is never shown"
    );
    let id = list[0]["id"].as_str().expect("id").to_owned();

    // The request above used the token: its use is recorded (off the request's path).
    let mut used = Value::Null;
    for _ in 0..200 {
        used = api.get(&tech, "/api/v1/tokens").await.body[0]["last_used_at"].clone();
        if !used.is_null() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(used.is_string(), "last_used_at was never recorded");

    // Someone else's token does not exist for a technician; an admin sees and revokes it.
    let other = api.user("other@test.example", Role::Technician, None).await;
    assert_eq!(
        api.call(
            &other,
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            None,
            &[]
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(api.get(&tech, "/api/v1/sites").await.status, StatusCode::OK);
    let r = api
        .call(
            &api.admin,
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let revoked_at = r.body["revoked_at"].clone();
    assert!(revoked_at.is_string());
    assert_eq!(
        api.get(&tech, "/api/v1/sites").await.status,
        StatusCode::UNAUTHORIZED
    );
    // Again: nothing changes, one audit record.
    let again = api
        .call(
            &api.admin,
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["revoked_at"], revoked_at);
    let audit = api
        .get(
            &api.admin,
            &format!("/api/v1/audit?entity=api_token&entity_id={id}&limit=50"),
        )
        .await;
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .or(audit.body.as_array())
        .expect("audit list")
        .iter()
        .filter_map(|r| r["action"].as_str())
        .collect();
    assert_eq!(actions, vec!["create", "revoke"], "{:?}", audit.body);
    // Another user's list is for administrators only.
    let tech_id = list[0]["user_id"].as_str().expect("user").to_owned();
    assert_eq!(
        api.get(&other, &format!("/api/v1/tokens?user_id={tech_id}"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let theirs = api
        .get(&api.admin, &format!("/api/v1/tokens?user_id={tech_id}"))
        .await;
    assert_eq!(theirs.body.as_array().map(Vec::len), Some(1));
}
