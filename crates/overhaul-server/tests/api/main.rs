//! API tests: the real server on a loopback port, a fresh database per test, real HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::zombie_processes)]

mod bad_input;
mod condition;
mod contract;
mod kpis;
mod planner_day;
mod pm;
mod procedures;
mod scoping;

use overhaul_app::users::{NewGrant, NewUser};
use overhaul_app::{App, Ctx};
use overhaul_core::role::Role;
use overhaul_store::testing::{self, TestDb};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
    pub admin: String,
    pub app: App,
    _db: TestDb,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub struct Resp {
    pub status: StatusCode,
    pub etag: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Api {
    pub async fn start() -> Api {
        let tdb = testing::fresh().await.expect("database");
        let app = App::new(tdb.db.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(overhaul_server::serve(
            listener,
            overhaul_server::build_app(app.clone()),
            async {
                let _ = rx.await;
            },
        ));
        let mut api = Api {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            admin: String::new(),
            app,
            _db: tdb,
            _stop: tx,
        };
        api.admin = api.user("admin@test.example", Role::Admin, None).await;
        api
    }

    /// Creates a user with one role and returns a token for them.
    pub async fn user(&self, email: &str, role: Role, site: Option<uuid::Uuid>) -> String {
        let ctx = Ctx::system("test", chrono::Utc::now());
        self.app
            .create_user(
                &ctx,
                NewUser {
                    email: email.into(),
                    name: email.into(),
                    password: None,
                    roles: vec![NewGrant {
                        role,
                        site_id: site,
                    }],
                },
            )
            .await
            .expect("user");
        self.app
            .create_token(&ctx, email, None)
            .await
            .expect("token")
            .token
            .0
    }

    pub async fn call(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut r = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let etag = headers
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = res.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Resp {
            status,
            etag,
            headers,
            body,
        }
    }

    pub async fn get(&self, token: &str, path: &str) -> Resp {
        self.call(token, Method::GET, path, None, &[]).await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> Resp {
        self.call(token, Method::POST, path, Some(body), &[]).await
    }

    pub async fn patch(&self, token: &str, path: &str, body: Value) -> Resp {
        self.call(token, Method::PATCH, path, Some(body), &[]).await
    }

    /// Creates a site and returns its id.
    pub async fn site(&self, code: &str) -> String {
        let r = self
            .post(
                &self.admin,
                "/api/v1/sites",
                json!({"code": code, "name": format!("Plant {code}"), "timezone": "Europe/Berlin"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body["id"].as_str().expect("id").to_owned()
    }

    pub async fn asset(&self, site: &str, parent: Option<&str>, code: &str, level: &str) -> String {
        let mut b = json!({"site_id": site, "code": code, "name": code, "level": level});
        if let Some(p) = parent {
            b["parent_id"] = json!(p);
        }
        let r = self.post(&self.admin, "/api/v1/assets", b).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body["id"].as_str().expect("id").to_owned()
    }

    pub async fn work_order(&self, asset: &str, title: &str) -> Value {
        let r = self
            .post(&self.admin, "/api/v1/work-orders", json!({"asset_id": asset, "title": title, "type": "corrective", "priority": "high"}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body
    }

    /// Number of audit records (through the API).
    pub async fn audit_len(&self) -> usize {
        let r = self.get(&self.admin, "/api/v1/audit/verify").await;
        assert_eq!(r.body["intact"], json!(true), "{}", r.body);
        r.body["records"].as_u64().expect("records") as usize
    }
}
