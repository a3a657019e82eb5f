//! Browser sessions on the UI routes: the session cookie, CSRF protection on every unsafe
//! request, and the [`Viewer`] extractor that pages use.
//!
//! CSRF has two independent checks. Every unsafe request must come from this origin
//! (`Sec-Fetch-Site` must not say cross-site, and an `Origin` header must name this host). A
//! request that carries a session must also echo the session's synchroniser token, in the
//! `X-CSRF-Token` header (htmx sends it on every request, see `base.html`) or in a `_csrf` form
//! field (plain forms). Bearer-token API routes are not behind this layer.

use crate::AppState;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use overhaul_app::sessions::SessionUser;
use overhaul_app::{Actor, Ctx};

pub const COOKIE: &str = "ovh_session";
/// Form bodies larger than this are not searched for a `_csrf` field.
const FORM_LIMIT: usize = 1024 * 1024;

/// The session found for a request (inserted by [`layer`]).
#[derive(Clone)]
pub struct CurrentSession(pub Option<SessionUser>);

/// The cookie value of `name`, if any.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether the client reached us over TLS (directly or through a proxy that says so).
pub fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// `Set-Cookie` for a new session (or, with `None`, one that removes it).
pub fn set_cookie(secret: Option<&str>, max_age_secs: i64, https: bool) -> HeaderValue {
    let secure = if https { "; Secure" } else { "" };
    let v = match secret {
        Some(s) => {
            format!("{COOKIE}={s}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
        }
        None => format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The origin checks: refuses a browser's cross-site request.
fn same_origin(headers: &HeaderMap) -> Result<(), &'static str> {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return Err("the request came from another site");
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let origin_host = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            .unwrap_or("");
        if origin == "null" || origin_host.is_empty() || !origin_host.eq_ignore_ascii_case(host) {
            return Err("the request's Origin is not this server");
        }
    }
    Ok(())
}

/// The `_csrf` field of an urlencoded form (tokens are URL-safe base64: no decoding needed).
fn form_token(body: &[u8]) -> Option<String> {
    std::str::from_utf8(body)
        .ok()?
        .split('&')
        .find_map(|kv| kv.strip_prefix("_csrf="))
        .map(str::to_owned)
}

fn forbidden(message: &str) -> Response {
    super::render_error_response(
        StatusCode::FORBIDDEN,
        "Request refused",
        &format!("{message}. Reload the page and try again."),
        &[],
    )
}

/// Loads the session behind the cookie, guards unsafe methods against CSRF, and answers htmx
/// requests' errors in place.
pub async fn layer(state: State<AppState>, req: Request, next: Next) -> Response {
    let htmx = req.headers().contains_key("hx-request");
    super::errors_in_place(htmx, guard(state, req, next).await)
}

async fn guard(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let now = chrono::Utc::now();
    let session = match cookie(req.headers(), COOKIE) {
        Some(secret) => s.app.session(secret, now).await.ok(),
        None => None,
    };
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let mut req = req;
    if unsafe_method {
        if let Err(why) = same_origin(req.headers()) {
            return forbidden(why);
        }
        if let Some(sess) = &session {
            let header_token = req
                .headers()
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let token = match header_token {
                Some(t) => Some(t),
                None => {
                    let is_form = req
                        .headers()
                        .get(header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
                    if is_form {
                        let (parts, body) = req.into_parts();
                        let bytes = match axum::body::to_bytes(body, FORM_LIMIT).await {
                            Ok(b) => b,
                            Err(_) => return forbidden("the form is too large"),
                        };
                        let t = form_token(&bytes);
                        req = Request::from_parts(parts, Body::from(bytes));
                        t
                    } else {
                        None
                    }
                }
            };
            match token {
                Some(t) if constant_time_eq(t.as_bytes(), sess.csrf.as_bytes()) => {}
                _ => return forbidden("the form's security token is missing or out of date"),
            }
        }
    }
    req.extensions_mut().insert(CurrentSession(session));
    next.run(req).await
}

/// A signed-in user looking at a page. Without a session, pages redirect to the login (htmx
/// requests get an `HX-Redirect`, so the whole page moves rather than a fragment).
pub struct Viewer {
    pub ctx: Ctx,
    pub session: SessionUser,
}

impl Viewer {
    pub fn name(&self) -> &str {
        &self.session.principal.name
    }
}

pub fn login_redirect(parts: &Parts) -> Response {
    let next = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let target = format!("/login?next={}", percent_encode(next));
    if parts.headers.contains_key("hx-request") {
        let mut r = StatusCode::NO_CONTENT.into_response();
        if let Ok(v) = HeaderValue::from_str(&target) {
            r.headers_mut().insert("hx-redirect", v);
        }
        *r.status_mut() = StatusCode::OK;
        r
    } else {
        Redirect::to(&target).into_response()
    }
}

/// Percent-encodes everything but unreserved characters and `/`.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Response> {
        match parts.extensions.get::<CurrentSession>() {
            Some(CurrentSession(Some(s))) => Ok(Viewer {
                ctx: Ctx::new(Actor::User(s.principal.clone()), chrono::Utc::now()),
                session: s.clone(),
            }),
            _ => Err(login_redirect(parts)),
        }
    }
}

/// The session if there is one (public pages that also work signed in).
pub struct MaybeViewer(pub Option<Viewer>);

impl FromRequestParts<AppState> for MaybeViewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Response> {
        Ok(MaybeViewer(Viewer::from_request_parts(parts, s).await.ok()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn origin_checks() {
        let cases: [(&[(&'static str, &str)], bool); 8] = [
            (&[("host", "127.0.0.1:8080")], true),
            (&[("host", "a:1"), ("sec-fetch-site", "same-origin")], true),
            (&[("host", "a:1"), ("sec-fetch-site", "none")], true),
            (&[("host", "a:1"), ("sec-fetch-site", "cross-site")], false),
            (&[("host", "a:1"), ("sec-fetch-site", "same-site")], false),
            (&[("host", "a:1"), ("origin", "http://a:1")], true),
            (
                &[("host", "a:1"), ("origin", "https://evil.example")],
                false,
            ),
            (&[("host", "a:1"), ("origin", "null")], false),
        ];
        for (h, ok) in cases {
            assert_eq!(same_origin(&headers(h)).is_ok(), ok, "{h:?}");
        }
    }

    #[test]
    fn cookies_and_form_tokens() {
        let h = headers(&[("cookie", "a=1; ovh_session=ovs_abc; b=2")]);
        assert_eq!(cookie(&h, COOKIE), Some("ovs_abc"));
        assert_eq!(cookie(&h, "c"), None);
        assert_eq!(
            form_token(b"x=1&_csrf=tok-en_1&y=2").as_deref(),
            Some("tok-en_1")
        );
        assert_eq!(form_token(b"x=1"), None);
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn cookie_attributes() {
        let c = set_cookie(Some("ovs_x"), 60, false);
        let c = c.to_str().unwrap();
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && !c.contains("Secure"));
        assert!(
            set_cookie(Some("ovs_x"), 60, true)
                .to_str()
                .unwrap()
                .contains("; Secure")
        );
        assert_eq!(percent_encode("/a b?x=1&y"), "/a%20b%3Fx%3D1%26y");
    }
}
