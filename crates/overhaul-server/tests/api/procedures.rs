//! Procedures over HTTP: a planner writes and revises standard work, a technician records
//! results on a work order that pinned revision 1.

use crate::Api;
use overhaul_core::role::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn steps(upper: f64) -> Value {
    json!([
        {"kind": "check", "title": "Isolator locked out", "safety_note": "Try-start after locking out"},
        {"kind": "pass_fail", "title": "Coupling guard intact", "raise_follow_up_on_fail": true},
        {"kind": "measurement", "title": "Bearing vibration", "unit": "mm/s", "lower": 0.5,
         "upper": upper, "raise_follow_up_on_fail": true},
        {"kind": "meter_reading", "title": "Run hours", "meter_code": "RUN-H"},
        {"kind": "photo", "title": "Photo of the seal", "required": false}
    ])
}

async fn count(api: &Api, path: &str) -> usize {
    let r = api.get(&api.admin, path).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    r.body["items"].as_array().map(Vec::len).unwrap_or(0)
}

#[tokio::test]
async fn planner_and_technician_day_with_a_pinned_revision() {
    let api = Api::start().await;
    let site = api.site("S").await;
    let area = api.asset(&site, None, "A", "area").await;
    let pump = api.asset(&site, Some(&area), "P-101", "equipment").await;
    let r = api
        .post(&api.admin, "/api/v1/meters", json!({"asset_id": pump, "code": "RUN-H", "name": "Run hours", "kind": "counter", "unit": "h"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let meter = r.body["id"].as_str().unwrap().to_owned();
    let planner = api
        .user(
            "planner@test.example",
            Role::Planner,
            Some(site.parse().unwrap()),
        )
        .await;
    let tech = api
        .user(
            "tech@test.example",
            Role::Technician,
            Some(site.parse().unwrap()),
        )
        .await;

    // The planner writes the procedure; revision 1 is a draft.
    let r = api
        .post(
            &planner,
            "/api/v1/procedures",
            json!({
                "site_id": site, "code": "PM-PUMP-01", "title": "Pump inspection",
                "revision": {"safety_notes": "LOTO at MCC-3", "qualifications": ["LOTO authorised"],
                             "estimated_minutes": 40, "crafts": ["mechanical"], "steps": steps(4.5)}
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let procedure = r.body["id"].as_str().unwrap().to_owned();
    let rev1 = r.body["revisions"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["revisions"][0]["state"], "draft");
    assert_eq!(
        r.body["revisions"][0]["steps"][2]["params"],
        json!({"unit": "mm/s", "lower": 0.5, "upper": 4.5})
    );
    // A technician may read but not publish.
    let r = api
        .post(
            &tech,
            &format!("/api/v1/procedure-revisions/{rev1}/publish"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // A draft is not attachable to work.
    let wo_body = |rev: &str| json!({"asset_id": pump, "title": "Inspect P-101", "type": "inspection", "priority": "normal", "procedure_revision_id": rev});
    let r = api
        .post(&planner, "/api/v1/work-orders", wo_body(&rev1))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = api
        .call(
            &planner,
            Method::POST,
            &format!("/api/v1/procedure-revisions/{rev1}/publish"),
            None,
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["state"], "published");
    assert_eq!(r.etag.as_deref(), Some("\"2\""));
    // Editing the published revision is refused.
    let r = api
        .call(
            &planner,
            Method::PUT,
            &format!("/api/v1/procedure-revisions/{rev1}/steps"),
            Some(json!({"steps": steps(7.1)})),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    // The work order pins revision 1.
    let r = api
        .post(&planner, "/api/v1/work-orders", wo_body(&rev1))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["procedure_revision_id"], json!(rev1));
    let wo = r.body["id"].as_str().unwrap().to_owned();
    let number = r.body["number"].as_str().unwrap().to_owned();

    // Revision 2 (limit 7.1) is drafted from 1, edited with If-Match and published.
    let r = api
        .post(
            &planner,
            &format!("/api/v1/procedures/{procedure}/revisions"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["number"], 2);
    let rev2 = r.body["id"].as_str().unwrap().to_owned();
    let put = |etag: &'static str| {
        let path = format!("/api/v1/procedure-revisions/{rev2}/steps");
        let planner = planner.clone();
        let api = &api;
        async move {
            api.call(
                &planner,
                Method::PUT,
                &path,
                Some(json!({"notes": "zone B limit", "steps": steps(7.1)})),
                &[("If-Match", etag)],
            )
            .await
        }
    };
    assert_eq!(put("\"9\"").await.status, StatusCode::PRECONDITION_FAILED);
    let r = put("\"1\"").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = api
        .post(
            &planner,
            &format!("/api/v1/procedure-revisions/{rev2}/publish"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = api
        .get(&tech, &format!("/api/v1/procedures/{procedure}"))
        .await;
    assert_eq!(r.body["published_revision_id"], json!(rev2));
    assert_eq!(r.body["revisions"][0]["state"], "superseded");
    assert_eq!(count(&api, "/api/v1/procedures").await, 1);

    // The work order still shows revision 1's steps.
    let r = api
        .get(&tech, &format!("/api/v1/work-orders/{wo}/step-results"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["revision"]["number"], 1);
    assert_eq!(r.body["steps"][2]["params"]["upper"], 4.5);
    let step = |i: usize| r.body["steps"][i]["id"].as_str().unwrap().to_owned();
    let vib = step(2);

    // Technician: a result before the work starts is refused and changes nothing.
    let audit_before = api.audit_len().await;
    let requests = format!("/api/v1/work-requests?asset_id={pump}");
    let res_path = format!("/api/v1/work-orders/{wo}/step-results");
    let r = api
        .post(&tech, &res_path, json!({"step_id": vib, "answer": {"kind": "measurement", "value": 4.8, "unit": "mm/s"}}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(api.audit_len().await, audit_before);
    assert_eq!(count(&api, &requests).await, 0);
    let r = api.get(&tech, &res_path).await;
    assert!(
        r.body["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["result"].is_null())
    );

    for to in ["approved", "planned", "ready", "scheduled", "in_progress"] {
        let r = api
            .post(
                &planner,
                &format!("/api/v1/work-orders/{wo}/transitions"),
                json!({"to": to}),
            )
            .await;
        if to == "in_progress" {
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "planners do not execute work"
            );
            let r = api
                .post(
                    &tech,
                    &format!("/api/v1/work-orders/{wo}/transitions"),
                    json!({"to": to}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        } else {
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
    }

    // A wrong kind of answer is a 400 naming the field.
    let r = api
        .post(
            &tech,
            &res_path,
            json!({"step_id": vib, "answer": {"kind": "pass_fail", "passed": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "answer.kind");

    // 4.8 mm/s is above revision 1's 4.5: failed, exactly one follow-up request.
    let r = api
        .post(&tech, &res_path, json!({"step_id": vib, "answer": {"kind": "measurement", "value": 4.8, "unit": "mm/s"}, "note": "DE bearing warm"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["outcome"], "failed");
    assert_eq!(
        r.body["reason"],
        "4.8 mm/s is above the upper limit 4.5 mm/s"
    );
    let follow_up = r.body["follow_up_request_id"].as_str().unwrap().to_owned();
    let r = api
        .post(
            &tech,
            &res_path,
            json!({"step_id": vib, "answer": {"kind": "measurement", "value": 4.9}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = api.get(&tech, &requests).await;
    assert_eq!(
        r.body["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        r.body
    );
    assert_eq!(r.body["items"][0]["id"], json!(follow_up));
    assert!(
        r.body["items"][0]["title"]
            .as_str()
            .unwrap()
            .contains(&number)
    );

    // The run-hours step moves the pump's meter.
    let r = api
        .post(
            &tech,
            &res_path,
            json!({"step_id": step(3), "answer": {"kind": "meter_reading", "value": 1250.5}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = api.get(&tech, &format!("/api/v1/meters/{meter}")).await;
    assert_eq!(r.body["last_value"], 1250.5);
    assert_eq!(
        count(&api, &format!("/api/v1/readings?meter_id={meter}")).await,
        1
    );

    // Completing is refused until every required step has a result (the photo is optional).
    let transitions = format!("/api/v1/work-orders/{wo}/transitions");
    let complete = || api.post(&tech, &transitions, json!({"to": "completed"}));
    let r = complete().await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("2. Coupling guard intact"),
        "{}",
        r.body
    );
    for (i, a) in [
        (0, json!({"kind": "check", "done": true})),
        (1, json!({"kind": "pass_fail", "passed": true})),
    ] {
        let r = api
            .post(&tech, &res_path, json!({"step_id": step(i), "answer": a}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let r = complete().await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        count(&api, &requests).await,
        1,
        "a passed guard check raised nothing"
    );
}

#[tokio::test]
async fn bad_procedures_name_their_fields() {
    let api = Api::start().await;
    let site = api.site("S").await;
    let r = api
        .post(&api.admin, "/api/v1/procedures", json!({
            "site_id": site, "code": "has space", "title": "x",
            "revision": {"steps": [{"kind": "pass_fail", "title": "t", "unit": "mm"},
                                   {"kind": "measurement", "title": "m", "unit": "bar", "lower": 3, "upper": 1}]}
        }))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["code", "revision.steps[0].unit", "revision.steps[1].upper"]
    );
    let r = api
        .post(&api.admin, "/api/v1/procedures", json!({"site_id": site, "code": "P", "title": "x", "revision": {"steps": [{"kind": "dance", "title": "t"}]}}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(
        r.body["errors"][0]["field"]
            .as_str()
            .unwrap()
            .contains("kind"),
        "{}",
        r.body
    );
}
