//! Site KPIs over HTTP: the SMRP work mix, backlog and aging of a small plant whose numbers are
//! worked out by hand; the site-level period table and bad actors; the KPI pages and their CSV.

use crate::Api;
use overhaul_core::role::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn walk(api: &Api, token: &str, id: &str, steps: &[&str]) {
    for to in steps {
        let r = api
            .post(
                token,
                &format!("/api/v1/work-orders/{id}/transitions"),
                json!({"to": to}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{to}: {}", r.body);
    }
}

async fn labor(api: &Api, token: &str, id: &str, minutes: i64) {
    let end = chrono::Utc::now() - chrono::Duration::minutes(1);
    let r = api
        .post(
            token,
            &format!("/api/v1/work-orders/{id}/labor"),
            json!({"started_at": end - chrono::Duration::minutes(minutes), "ended_at": end}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

async fn wo(api: &Api, body: Value) -> String {
    let r = api.post(&api.admin, "/api/v1/work-orders", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn work_mix_backlog_and_aging_of_a_small_plant() {
    let api = Api::start().await;
    let site = api.site("S").await;
    let area = api.asset(&site, None, "A", "area").await;
    let p1 = api.asset(&site, Some(&area), "P-1", "equipment").await;
    let p2 = api.asset(&site, Some(&area), "P-2", "equipment").await;
    let other_area = api.asset(&site, None, "B", "area").await;
    let p3 = api
        .asset(&site, Some(&other_area), "P-3", "equipment")
        .await;
    let site_id = site.parse().unwrap();
    let tech = api
        .user("t1@test.example", Role::Technician, Some(site_id))
        .await;
    api.user("t2@test.example", Role::Technician, Some(site_id))
        .await;
    // A procedure estimated at 90 minutes, published.
    let r = api
        .post(
            &api.admin,
            "/api/v1/procedures",
            json!({"site_id": site, "code": "PM-1", "title": "Pump PM",
                   "revision": {"estimated_minutes": 90, "steps": [{"kind": "check", "title": "Look"}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let rev = r.body["revisions"][0]["id"].as_str().unwrap().to_owned();
    let r = api
        .post(
            &api.admin,
            &format!("/api/v1/procedure-revisions/{rev}/publish"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Planned corrective job on P-1: planned → ready → scheduled before it started; 120 min.
    let planned = wo(&api, json!({"asset_id": p1, "title": "Replace seal", "type": "corrective", "priority": "normal"})).await;
    walk(
        &api,
        &api.admin,
        &planned,
        &["approved", "planned", "ready", "scheduled"],
    )
    .await;
    walk(&api, &tech, &planned, &["in_progress"]).await;
    labor(&api, &tech, &planned, 120).await;
    // Emergency on P-2 started without planning; 60 min, reactive and unplanned.
    let emergency = wo(
        &api,
        json!({"asset_id": p2, "title": "Burst hose", "type": "emergency", "priority": "urgent"}),
    )
    .await;
    walk(&api, &api.admin, &emergency, &["approved"]).await;
    walk(&api, &tech, &emergency, &["in_progress"]).await;
    labor(&api, &tech, &emergency, 60).await;
    // Preventive on P-3 (other area), planned first; 60 min.
    let pm = wo(
        &api,
        json!({"asset_id": p3, "title": "Grease", "type": "preventive", "priority": "normal"}),
    )
    .await;
    walk(
        &api,
        &api.admin,
        &pm,
        &["approved", "planned", "ready", "scheduled"],
    )
    .await;
    walk(&api, &tech, &pm, &["in_progress"]).await;
    labor(&api, &tech, &pm, 60).await;
    // Backlog: one ready job following the 90-minute procedure, one planned without estimate,
    // one only approved (not backlog yet).
    let ready = wo(&api, json!({"asset_id": p1, "title": "PM pump", "type": "preventive", "priority": "normal", "procedure_revision_id": rev})).await;
    walk(&api, &api.admin, &ready, &["approved", "planned", "ready"]).await;
    let planned_only = wo(
        &api,
        json!({"asset_id": p2, "title": "Align", "type": "corrective", "priority": "low"}),
    )
    .await;
    walk(&api, &api.admin, &planned_only, &["approved", "planned"]).await;
    wo(
        &api,
        json!({"asset_id": p3, "title": "Paint", "type": "improvement", "priority": "low"}),
    )
    .await;

    // Whole site: 240 labour minutes = 4 h; planned 180 of 240 = 75 %; reactive (corrective +
    // emergency) 180 of 240 = 75 %; proactive 60 of 240 = 25 %.
    let r = api
        .get(&api.admin, &format!("/api/v1/sites/{site}/work-kpis"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let m = &r.body["work_mix"];
    assert_eq!(m["total_hours"], json!(4.0), "{}", r.body);
    assert_eq!(m["planned_percent"], json!(75.0));
    assert_eq!(m["reactive_percent"], json!(75.0));
    assert_eq!(m["proactive_percent"], json!(25.0));
    // Capacity: two technicians × 40 h = 80 h a week. Ready: 1.5 h → 1.5/80 weeks.
    let b = &r.body["backlog"];
    assert_eq!(b["crew_hours_per_week"], json!(80.0), "{}", r.body);
    assert_eq!(b["ready_work_orders"], json!(1));
    assert_eq!(b["ready_hours"], json!(1.5));
    assert_eq!(b["ready_weeks"], json!(1.5 / 80.0));
    assert_eq!(b["planned_work_orders"], json!(2));
    assert_eq!(b["unestimated"], json!(1));
    // Open now: 3 in progress + ready + planned + requested = 6, all created today.
    let ages: Vec<u64> = r.body["aging"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["work_orders"].as_u64().unwrap())
        .collect();
    assert_eq!(ages, vec![6, 0, 0, 0, 0]);
    assert_eq!(r.body["aging"][0]["reactive"], json!(3)); // seal, hose, align

    // Area A only (P-1, P-2): 180 min, planned 120 of 180.
    let r = api
        .get(
            &api.admin,
            &format!("/api/v1/sites/{site}/work-kpis?asset_id={area}&crew_hours_per_week=20"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["work_mix"]["total_hours"], json!(3.0));
    let planned_pct = r.body["work_mix"]["planned_percent"].as_f64().unwrap();
    assert!((planned_pct - 200.0 / 3.0).abs() < 1e-9, "{planned_pct}");
    assert_eq!(r.body["backlog"]["ready_weeks"], json!(1.5 / 20.0));
    assert_eq!(r.body["capacity_basis"], "given");

    // Bad input is a 400 naming the field, never a 500.
    for (q, field) in [
        ("crew_hours_per_week=0", "crew_hours_per_week"),
        ("crew_hours_per_week=-5", "crew_hours_per_week"),
        ("from=2030-01-01T00:00:00Z&to=2029-01-01T00:00:00Z", "to"),
        (&format!("asset_id={}", uuid::Uuid::nil()), ""),
    ] {
        let r = api
            .get(&api.admin, &format!("/api/v1/sites/{site}/work-kpis?{q}"))
            .await;
        assert!(r.status.is_client_error(), "{q}: {} {}", r.status, r.body);
        if !field.is_empty() {
            assert_eq!(r.body["errors"][0]["field"], field, "{q}: {}", r.body);
        }
    }
    let r = api
        .get(
            &api.admin,
            &format!("/api/v1/sites/{site}/bad-actors?repeat_days=99999999999999"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);

    // Another site's technician sees nothing of this site.
    let other = api.site("T").await;
    let outsider = api
        .user(
            "t3@test.example",
            Role::Technician,
            Some(other.parse().unwrap()),
        )
        .await;
    for path in ["work-kpis", "kpis/periods", "bad-actors"] {
        let r = api
            .get(&outsider, &format!("/api/v1/sites/{site}/{path}"))
            .await;
        assert!(
            matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{path}: {}",
            r.status
        );
    }
}

#[tokio::test]
async fn site_periods_and_bad_actors_add_up_over_assets() {
    let api = Api::start().await;
    let site = api.site("S").await;
    let area = api.asset(&site, None, "A", "area").await;
    let p1 = api.asset(&site, Some(&area), "P-1", "equipment").await;
    let p2 = api.asset(&site, Some(&area), "P-2", "equipment").await;
    // Two failures with 3 h and 1 h of unplanned downtime on P-1, one with 2 h on P-2, all
    // yesterday.
    let day = chrono::Utc::now() - chrono::Duration::hours(30);
    for (asset, start_h, hours) in [(&p1, 0, 3), (&p1, 6, 1), (&p2, 2, 2)] {
        let id = wo(
            &api,
            json!({"asset_id": asset, "title": "Trip", "type": "corrective", "priority": "high"}),
        )
        .await;
        let start = day + chrono::Duration::hours(start_h);
        let r = api
            .post(
                &api.admin,
                &format!("/api/v1/work-orders/{id}/downtime"),
                json!({"started_at": start, "ended_at": start + chrono::Duration::hours(hours), "planned": false, "reason": "trip"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let r = api
            .patch(
                &api.admin,
                &format!("/api/v1/work-orders/{id}"),
                json!({"failure": {"impact": "C", "mode": "BRD"}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let r = api
        .get(
            &api.admin,
            &format!("/api/v1/sites/{site}/kpis/periods?period=year"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rows = r.body.as_array().unwrap();
    let failures: u64 = rows
        .iter()
        .map(|p| p["kpis"]["failures"].as_u64().unwrap())
        .sum();
    let down: f64 = rows
        .iter()
        .map(|p| p["kpis"]["hours"]["down_unplanned"].as_f64().unwrap())
        .sum();
    assert_eq!(failures, 3, "{}", r.body);
    assert!((down - 6.0).abs() < 1e-6, "{down}");
    // The area holds every asset: its table counts the same failures and outages (its window
    // ends at a slightly later "now", so the running hours differ in the last digits).
    let a = api
        .get(
            &api.admin,
            &format!("/api/v1/assets/{area}/kpis/periods?period=year"),
        )
        .await;
    let pick = |v: &Value| -> Vec<(Value, Value, Value)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["kpis"]["failures"].clone(),
                    p["kpis"]["outages_unplanned"].clone(),
                    p["kpis"]["hours"]["down_unplanned"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(pick(&a.body), pick(&r.body));

    let r = api
        .get(&api.admin, &format!("/api/v1/sites/{site}/bad-actors"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body[0]["label"], "P-1", "{}", r.body);
    assert_eq!(r.body[0]["failures"], json!(2));
    assert_eq!(r.body[0]["repeat_failures"], json!(1));
    assert!((r.body[0]["unplanned_downtime_hours"].as_f64().unwrap() - 4.0).abs() < 1e-6);
    assert!((r.body[0]["cumulative_share"].as_f64().unwrap() - 4.0 / 6.0).abs() < 1e-9);
    assert_eq!(r.body[1]["label"], "P-2");
    assert!((r.body[1]["cumulative_share"].as_f64().unwrap() - 1.0).abs() < 1e-9);
}

/// Signs in through the login form; returns the session cookie.
async fn ui_login(api: &Api, email: &str, password: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .post(format!("{}/login", api.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "email={}&password={password}&next=%2F",
            email.replace('@', "%40")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let set = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    set.split(';').next().unwrap().to_owned()
}

async fn ui_get(api: &Api, cookie: &str, path: &str) -> reqwest::Response {
    api.client
        .get(format!("{}{path}", api.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn reliability_page_without_history_and_accepting_an_interval_into_a_plan() {
    let api = Api::start().await;
    let site = api.site("S").await;
    let area = api.asset(&site, None, "A", "area").await;
    let pump = api.asset(&site, Some(&area), "P-1", "equipment").await;
    let today = chrono::Utc::now().date_naive();
    let r = api
        .post(
            &api.admin,
            "/api/v1/pm-plans",
            json!({"asset_id": pump, "title": "Grease bearings",
                   "schedule": {"trigger": {"kind": "fixed", "rule": {"kind": "every", "every": 30, "unit": "days", "at": "00:00"}},
                                "start": today.to_string(), "lead_days": 0}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let plan = r.body["id"].as_str().unwrap().to_owned();
    let password = "correct-horse-battery-staple";
    api.app
        .create_user(
            &overhaul_app::Ctx::system("test", chrono::Utc::now()),
            overhaul_app::users::NewUser {
                email: "planner@test.example".into(),
                name: "Pia Planner".into(),
                password: Some(password.into()),
                roles: vec![overhaul_app::users::NewGrant {
                    role: Role::Planner,
                    site_id: Some(site.parse().unwrap()),
                }],
            },
        )
        .await
        .unwrap();
    let cookie = ui_login(&api, "planner@test.example", password).await;

    // A new pump has no failures: every chart says so, nothing is NaN, the tables are empty.
    let r = ui_get(&api, &cookie, &format!("/assets/{pump}/reliability")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    // Weibull, survival, Crow-AMSAA and the MTBF trend (no month with a failure) all say so.
    assert_eq!(html.matches("Not enough data</text>").count(), 4, "{html}");
    assert!(!html.contains("NaN") && !html.contains("inf<"), "{html}");
    for chart in ["weibull", "survival", "mtbf", "crow"] {
        let r = ui_get(
            &api,
            &cookie,
            &format!("/assets/{pump}/reliability?chart={chart}&format=csv"),
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK, "{chart}");
        assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
        let disposition = r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            disposition.starts_with("attachment; filename=\"P-1-"),
            "{disposition}"
        );
        let body = r.text().await.unwrap();
        // the MTBF table has one row per month (no failures: "> running hours"); the others
        // have a header only
        let rows = body.lines().count() - 1;
        if chart == "mtbf" {
            assert!((1..=13).contains(&rows), "{body}");
            assert!(body.contains("(no failure)"), "{body}");
        } else {
            assert_eq!(rows, 0, "{chart}: {body}");
        }
    }
    for bad in [
        "?chart=pie&format=csv",
        "?format=xml",
        "?cost_preventive=-1",
        "?cost_failure=abc",
    ] {
        let r = ui_get(&api, &cookie, &format!("/assets/{pump}/reliability{bad}")).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    for page in [
        "/kpis",
        "/kpis?period=year",
        &format!("/kpis?asset={area}&period=quarter"),
        "/bad-actors",
        "/bad-actors?group_by=failure_mode&measure=failures",
    ] {
        let r = ui_get(&api, &cookie, page).await;
        assert_eq!(r.status(), StatusCode::OK, "{page}");
        let html = r.text().await.unwrap();
        assert!(!html.contains("NaN"), "{page}: {html}");
    }
    let r = ui_get(&api, &cookie, "/kpis?period=week").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // One click: the page's accept form posts the interval into the plan (audited).
    let html = ui_get(&api, &cookie, "/").await.text().await.unwrap();
    let at = html.find("X-CSRF-Token\": \"").expect("token") + 16;
    let token = html[at..].split('"').next().unwrap().to_owned();
    let audit_before = api.audit_len().await;
    let r = api
        .client
        .post(format!("{}/assets/{pump}/reliability/accept", api.base))
        .header("cookie", &cookie)
        .header("x-csrf-token", &token)
        .header("hx-request", "true")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "plan={plan}&version=1&interval_days=14&basis=%7B%22source%22%3A%22test%22%7D"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["hx-refresh"], "true");
    let p = api
        .get(&api.admin, &format!("/api/v1/pm-plans/{plan}"))
        .await;
    assert_eq!(p.body["version"], json!(2), "{}", p.body);
    assert_eq!(
        p.body["schedule"]["trigger"]["rule"]["every"],
        json!(14),
        "{}",
        p.body
    );
    assert_eq!(api.audit_len().await, audit_before + 1);
    // A stale version is refused and changes nothing.
    let r = api
        .client
        .post(format!("{}/assets/{pump}/reliability/accept", api.base))
        .header("cookie", &cookie)
        .header("x-csrf-token", &token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "plan={plan}&version=1&interval_days=7&basis=%7B%7D"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(api.audit_len().await, audit_before + 1);
}
