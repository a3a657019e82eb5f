//! What the UI refuses, checked over plain HTTP against the same demo server: forged CSRF,
//! requests from another origin, expired sessions, another site's records, password guessing,
//! oversized forms and script typed into fields. Each one gets a clear answer and changes
//! nothing.

use super::{PASSWORD, browser_available, demo_server};
use reqwest::redirect::Policy;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

/// Signs in through the login form; returns the `Cookie` header value.
pub async fn login_cookie(base: &str, email: &str) -> String {
    let r = client()
        .post(format!("{base}/login"))
        .form(&[("email", email), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 303, "login of {email}");
    let set = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a session cookie")
        .to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    set.split(';').next().unwrap().to_owned()
}

/// The CSRF token of the session (read from a page, as htmx does).
pub async fn csrf(base: &str, cookie: &str) -> String {
    let html = client()
        .get(format!("{base}/"))
        .header("cookie", cookie)
        .send()
        .await
        .expect("front page")
        .text()
        .await
        .unwrap();
    let at = html.find("X-CSRF-Token\": \"").expect("token in the page") + 16;
    html[at..].split('"').next().unwrap().to_owned()
}

/// Posts a form the way the UI does (with the session's token); returns status and body.
pub async fn post_form(
    base: &str,
    cookie: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let token = csrf(base, cookie).await;
    let r = client()
        .post(format!("{base}{path}"))
        .header("cookie", cookie)
        .header("x-csrf-token", token)
        .header("hx-request", "true")
        .form(fields)
        .send()
        .await
        .expect("post");
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

/// Moves the recorded start of work on a work order `minutes` into the past (the browser test
/// cannot wait two hours for the labour timer).
pub async fn backdate_start(url: &str, work_order: &str, minutes: i64) {
    let id = uuid::Uuid::parse_str(work_order).unwrap();
    let shift = chrono::Duration::minutes(minutes);
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let rows: Vec<(uuid::Uuid, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
            "SELECT id, changed_at FROM work_order_status_changes WHERE work_order_id = $1 AND to_status = 'in_progress'",
        )
        .bind(id)
        .fetch_all(&pool)
        .await
        .unwrap();
        for (rid, at) in rows {
            sqlx::query("UPDATE work_order_status_changes SET changed_at = $1 WHERE id = $2")
                .bind(at - shift)
                .bind(rid)
                .execute(&pool)
                .await
                .unwrap();
        }
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        let rows: Vec<(uuid::Uuid, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
            "SELECT id, changed_at FROM work_order_status_changes WHERE work_order_id = $1 AND to_status = 'in_progress'",
        )
        .bind(id)
        .fetch_all(&pool)
        .await
        .unwrap();
        for (rid, at) in rows {
            sqlx::query("UPDATE work_order_status_changes SET changed_at = $1 WHERE id = $2")
                .bind(at - shift)
                .bind(rid)
                .execute(&pool)
                .await
                .unwrap();
        }
    }
}

async fn comment_count(base: &str, cookie: &str, wo_path: &str) -> usize {
    let html = client()
        .get(format!("{base}{wo_path}"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    html.matches("forged or not").count()
}

/// The path of some open work order at a site, found through the list page.
async fn a_work_order(base: &str, cookie: &str, site_prefix: &str) -> String {
    let html = client()
        .get(format!("{base}/work-orders?status=open&q=&asset="))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // rows: <a href="/work-orders/ID">WO-…</a> … asset code in a later cell
    html.split("<tr>")
        .filter(|row| row.contains(site_prefix))
        .find_map(|row| {
            let at = row.find("href=\"/work-orders/")? + 6;
            Some(row[at..].split('"').next()?.to_owned())
        })
        .unwrap_or_else(|| panic!("no open work order at {site_prefix}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ui_refuses_bad_requests_and_changes_nothing() {
    if !browser_available() {
        // Same gate as the browser flows: these run against the same demo server set-up.
        return;
    }
    let srv = demo_server().await;
    let base = srv.base.as_str();
    let http = client();
    let planner = login_cookie(base, "planner@demo.overhaul.test").await;
    let wo = a_work_order(base, &planner, "BER-").await;
    let comment = [("body", "forged or not")];

    // No token: refused.
    let r = http
        .post(format!("{base}{wo}/comments"))
        .header("cookie", &planner)
        .form(&comment)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("security token"));
    // A wrong token: refused.
    let r = http
        .post(format!("{base}{wo}/comments"))
        .header("cookie", &planner)
        .header("x-csrf-token", "not-the-token")
        .form(&comment)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The right token from another site's page: refused by the origin checks.
    let token = csrf(base, &planner).await;
    for (h, v) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let r = http
            .post(format!("{base}{wo}/comments"))
            .header("cookie", &planner)
            .header("x-csrf-token", &token)
            .header(h, v)
            .form(&comment)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{h}: {v}");
    }
    assert_eq!(
        comment_count(base, &planner, &wo).await,
        0,
        "nothing was written"
    );
    // The same request done right works (so the refusals above were not for another reason).
    let (status, _) = post_form(base, &planner, &format!("{wo}/comments"), &comment).await;
    assert_eq!(status, 200);
    assert_eq!(comment_count(base, &planner, &wo).await, 1);

    // A new work order on an asset that does not exist: the form comes back with the reason.
    let (status, body) = post_form(
        base,
        &planner,
        "/work-orders/new",
        &[
            ("asset", "NO-SUCH-ASSET"),
            ("title", "ghost job"),
            ("type", "corrective"),
        ],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("no asset has the code NO-SUCH-ASSET"),
        "{body}"
    );
    assert!(
        body.contains("value=\"ghost job\""),
        "what was typed is kept"
    );
    let list = http
        .get(format!("{base}/work-orders?q=ghost"))
        .header("cookie", &planner)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("No work orders match."),
        "nothing was created"
    );

    // An unknown or expired session: pages send to the login, actions change nothing.
    let r = http
        .get(format!("{base}/work-orders"))
        .header("cookie", "ovh_session=ovs_expired")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login?next=/work-orders")
    );
    let r = http
        .post(format!("{base}{wo}/comments"))
        .header("cookie", "ovh_session=ovs_expired")
        .form(&comment)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(comment_count(base, &planner, &wo).await, 1);

    // Logging out ends the session on the server, not only in the browser.
    let other = login_cookie(base, "planner@demo.overhaul.test").await;
    let (status, _) = post_form(base, &other, "/logout", &[]).await;
    assert_eq!(status, 303);
    let r = http
        .get(format!("{base}/"))
        .header("cookie", &other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "the old cookie no longer works");

    // A Berlin technician does not see Cleveland's work: a plain "not found" page.
    let cle_wo = a_work_order(base, &planner, "CLE-").await;
    let tech = login_cookie(base, "tech.ber@demo.overhaul.test").await;
    let r = http
        .get(format!("{base}{cle_wo}"))
        .header("cookie", &tech)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("not visible to you"));
    let (status, _) = post_form(base, &tech, &format!("{cle_wo}/comments"), &comment).await;
    assert_eq!(status, 404);
    // The operator may not triage requests: the server refuses even without the UI's help.
    let op = login_cookie(base, "operator@demo.overhaul.test").await;
    let (status, body) = post_form(
        base,
        &op,
        &format!("{wo}/transition"),
        &[("to", "cancelled"), ("reason", "x")],
    )
    .await;
    assert_eq!(status, 403, "{body}");

    // Script typed into a field comes back as text.
    let r = http
        .post(format!("{base}/r/BER-A1-L1-C1-CO1"))
        .form(&[
            ("title", "<script>alert('x')</script> leak"),
            ("name", "<img src=x onerror=alert(1)>"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let status_page = r.headers()["location"].to_str().unwrap().to_owned();
    let html = http
        .get(format!("{base}{status_page}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Shown as text: escaped (askama writes &#60; for <), never as markup.
    assert!(
        html.contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62; leak")
            || html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; leak"),
        "{html}"
    );
    assert!(!html.contains("<script>alert") && !html.contains("<img src=x"));
    // An empty report is refused with the reason, and nothing is filed.
    let r = http
        .post(format!("{base}/r/BER-A1-L1-C1-CO1"))
        .form(&[("title", "   ")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("title"));

    // An HTML page posing as a photo: refused with the reason, and no request is filed.
    let boundary = "XyZboundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nPhoto test\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"leak.jpg\"\r\n\
         Content-Type: image/jpeg\r\n\r\n<html><script>alert(1)</script></html>\r\n--{boundary}--\r\n"
    );
    let r = http
        .post(format!("{base}/r/BER-A1-L1-C1-CO1"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("only photos"));
    let inbox = http
        .get(format!("{base}/requests"))
        .header("cookie", &planner)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!inbox.contains("Photo test"), "no request was filed");

    // A 50 MB form: refused, not a crash.
    let big = "x".repeat(50 * 1024 * 1024);
    let r = http
        .post(format!("{base}/r/BER-A1-L1-C1-CO1"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("title={big}"))
        .send()
        .await;
    if let Ok(r) = r {
        assert!(
            r.status().is_client_error(),
            "a 50 MB form got {}",
            r.status()
        );
    }

    // Password guessing: five wrong passwords lock the account for a while, even for the
    // right password.
    for _ in 0..5 {
        let r = http
            .post(format!("{base}/login"))
            .form(&[
                ("email", "auditor@demo.overhaul.test"),
                ("password", "guess-guess"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert!(r.text().await.unwrap().contains("is not right"));
    }
    let r = http
        .post(format!("{base}/login"))
        .form(&[
            ("email", "auditor@demo.overhaul.test"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.text().await.unwrap().contains("Too many failed sign-ins"));
    // Other accounts are not affected.
    login_cookie(base, "manager@demo.overhaul.test").await;
}
