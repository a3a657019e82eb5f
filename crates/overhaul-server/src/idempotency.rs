//! `Idempotency-Key` on POST: the first response is stored and replayed for retries with the
//! same key and body; the same key with another body is refused.

use crate::AppState;
use crate::extract::bearer;
use crate::problem::Problem;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use overhaul_store::idempotency::{self, Claim};
use sha2::{Digest, Sha256};

const HEADER: &str = "idempotency-key";

pub async fn layer(State(s): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(key) = req
        .headers()
        .get(HEADER)
        .map(|v| v.to_str().map(str::to_owned))
    else {
        return next.run(req).await;
    };
    let key = match key {
        Ok(k) if !k.is_empty() && k.len() <= 200 && !k.chars().any(char::is_control) => k,
        _ => {
            return Problem::bad_request("Idempotency-Key", "must be 1–200 visible characters")
                .into_response();
        }
    };
    // Keys are per user: the caller must be authenticated.
    let Some(token) = bearer(req.headers()).map(str::to_owned) else {
        return next.run(req).await;
    };
    let Ok(principal) = s.app.authenticate_token(&token).await else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, crate::BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            return Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "Request body too large",
                "the body is larger than the limit",
            )
            .into_response();
        }
    };
    let mut h = Sha256::new();
    h.update(parts.uri.path().as_bytes());
    h.update(b"\n");
    h.update(&bytes);
    let hash = hex::encode(h.finalize());
    let user = principal.user_id;
    match idempotency::claim(&s.app.db, user, &key, &hash, chrono::Utc::now()).await {
        Ok(Claim::Fresh) => {}
        Ok(Claim::Replay(stored)) => {
            let status = stored
                .status_code
                .and_then(|c| u16::try_from(c).ok())
                .and_then(|c| StatusCode::from_u16(c).ok())
                .unwrap_or(StatusCode::OK);
            let mut r = (status, stored.response_body.unwrap_or_default()).into_response();
            let headers: Vec<(String, String)> = stored
                .response_headers
                .and_then(|h| serde_json::from_str(&h).ok())
                .unwrap_or_default();
            for (k, v) in headers {
                if let (Ok(k), Ok(v)) = (
                    axum::http::HeaderName::try_from(k),
                    HeaderValue::try_from(v),
                ) {
                    r.headers_mut().insert(k, v);
                }
            }
            r.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            return r;
        }
        Ok(Claim::InProgress) => {
            return Problem::new(
                StatusCode::CONFLICT,
                "idempotency-in-progress",
                "Request in progress",
                "a request with this Idempotency-Key is still being processed; retry shortly",
            )
            .into_response();
        }
        Ok(Claim::Mismatch) => {
            return Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-mismatch",
                "Idempotency-Key reused",
                "this Idempotency-Key was used with a different request",
            )
            .into_response();
        }
        Err(e) => {
            tracing::error!(error = %e, "idempotency store failed");
            return Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Unavailable",
                "could not record the idempotency key; retry",
            )
            .into_response();
        }
    }
    let res = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = res.status();
    if !status.is_success() {
        // Nothing was created: free the key so the client can correct and retry with it.
        if let Err(e) = idempotency::release(&s.app.db, user, &key).await {
            tracing::error!(error = %e, "could not release idempotency key");
        }
        return res;
    }
    let (rparts, rbody) = res.into_parts();
    let Ok(rbytes) = to_bytes(rbody, 16 * 1024 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let keep: Vec<(String, String)> = ["content-type", "etag", "location"]
        .iter()
        .filter_map(|n| {
            rparts
                .headers
                .get(*n)
                .and_then(|v| v.to_str().ok())
                .map(|v| ((*n).to_owned(), v.to_owned()))
        })
        .collect();
    let body_text = String::from_utf8_lossy(&rbytes).to_string();
    if let Err(e) = idempotency::complete(
        &s.app.db,
        user,
        &key,
        status.as_u16(),
        &body_text,
        &serde_json::to_string(&keep).unwrap_or_default(),
    )
    .await
    {
        tracing::error!(error = %e, "could not store idempotent response");
    }
    Response::from_parts(rparts, Body::from(rbytes))
}
