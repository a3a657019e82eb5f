//! Sign in, sign out, and the manager's front page.

use super::session::{self, COOKIE};
use super::{Chrome, UiError, UiResult, Viewer, local, render, words};
use crate::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use overhaul_app::AppError;
use overhaul_app::overview::Overview;
use overhaul_app::sessions::LoginInput;
use serde::Deserialize;
use std::net::SocketAddr;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    next: String,
    email: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only same-site paths are followed after login (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

pub async fn login_page(Query(q): Query<NextQuery>) -> Response {
    render(&LoginPage {
        chrome: Chrome::public("Sign in"),
        next: safe_next(q.next.as_deref()),
        email: String::new(),
        error: None,
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(s): State<AppState>,
    ext: axum::http::Extensions,
    headers: HeaderMap,
    axum::Form(f): axum::Form<LoginForm>,
) -> Response {
    let ip = ext
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let now = chrono::Utc::now();
    let input = LoginInput {
        email: f.email.clone(),
        password: f.password,
        ip,
        user_agent: ua,
    };
    let next = safe_next(f.next.as_deref());
    match s.app.login(input, now).await {
        Ok(opened) => {
            let max_age = (opened.expires_at - now).num_seconds();
            let mut r = Redirect::to(&next).into_response();
            r.headers_mut().insert(
                header::SET_COOKIE,
                session::set_cookie(Some(&opened.secret.0), max_age, session::is_https(&headers)),
            );
            r
        }
        Err(e) => {
            let (status, message) = match e {
                AppError::Unauthenticated => (
                    axum::http::StatusCode::UNAUTHORIZED,
                    "The e-mail or the password is not right.".to_owned(),
                ),
                other => {
                    let ui = UiError::from(other);
                    (ui.status, ui.message)
                }
            };
            let mut r = render(&LoginPage {
                chrome: Chrome::public("Sign in"),
                next,
                email: f.email,
                error: Some(message),
            });
            *r.status_mut() = status;
            r
        }
    }
}

pub async fn logout(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(secret) = session::cookie(&headers, COOKIE)
        && let Err(e) = s.app.logout(secret, chrono::Utc::now()).await
    {
        return UiError::from(e).into_response();
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        session::set_cookie(None, 0, session::is_https(&headers)),
    );
    r.headers_mut()
        .insert("clear-site-data", HeaderValue::from_static("\"cache\""));
    r
}

#[derive(Template)]
#[template(path = "home.html")]
struct FrontPage {
    chrome: Chrome,
    o: Overview,
    site_name: Option<String>,
    /// (id, name, selected)
    sites: Vec<(Uuid, String, bool)>,
    /// (status, label, counts low..urgent, total)
    open_rows: Vec<(String, String, [i64; 4], i64)>,
    /// (id, code — name, status, status words, since)
    down: Vec<(Uuid, String, String, String, String)>,
    /// (day, count, bar height %)
    days: Vec<(String, i64, i64)>,
    zone: String,
}

#[derive(Deserialize)]
pub struct SiteQuery {
    site: Option<String>,
}

pub async fn front_page(
    State(s): State<AppState>,
    v: Viewer,
    Query(q): Query<SiteQuery>,
) -> UiResult {
    let site = q
        .site
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| Uuid::parse_str(s).map_err(|_| UiError::bad("site: not a site id")))
        .transpose()?;
    let o = s.app.overview(&v.ctx, site).await?;
    let all_sites = s.app.list_sites(&v.ctx).await?;
    let site_name = site.and_then(|id| {
        all_sites
            .iter()
            .find(|x| x.site.id == id)
            .map(|x| x.site.name.clone())
    });
    let sites = all_sites
        .iter()
        .map(|x| (x.site.id, x.site.name.clone(), Some(x.site.id) == site))
        .collect();
    let open_rows = o
        .open
        .iter()
        .map(|r| {
            (
                r.status.as_str().to_owned(),
                words(r.status.as_str()),
                r.by_priority,
                r.total,
            )
        })
        .collect();
    let down = o
        .assets_down
        .iter()
        .map(|a| {
            (
                a.id,
                format!("{} — {}", a.code, a.name),
                a.status.clone(),
                words(&a.status),
                local(a.updated_at, o.zone),
            )
        })
        .collect();
    let max = o
        .completed_per_day
        .iter()
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0)
        .max(1);
    let days = o
        .completed_per_day
        .iter()
        .map(|(d, n)| (d.to_string(), *n, n * 100 / max))
        .collect();
    let zone = o.zone.name().to_owned();
    Ok(render(&FrontPage {
        chrome: Chrome::for_viewer(&v, "Overview", "/"),
        o,
        site_name,
        sites,
        open_rows,
        down,
        days,
        zone,
    }))
}
