//! Request extractors that turn every kind of bad input into a problem+json answer.

use crate::AppState;
use crate::problem::{ApiError, Problem};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::{HeaderMap, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use overhaul_app::{Actor, Ctx};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// The authenticated caller (bearer token) as a use-case context stamped with the current time.
pub struct Auth(pub Ctx);

pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers).ok_or(overhaul_app::AppError::Unauthenticated)?;
        let p = state.app.authenticate_token(token).await?;
        Ok(Auth(Ctx::new(Actor::User(p), chrono::Utc::now())))
    }
}

/// A JSON body; errors name the field (`criticality.consequence: invalid value …`).
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                let ct = ct
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                ct == "application/json" || ct.ends_with("+json")
            });
        if !is_json {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "send the body as JSON with 'Content-Type: application/json'",
            )
            .into());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            let status = r.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                Problem::new(
                    status,
                    "too-large",
                    "Request body too large",
                    format!(
                        "the body is larger than the limit of {} bytes",
                        crate::BODY_LIMIT
                    ),
                )
            } else {
                Problem::new(status, "unreadable-body", "Unreadable body", r.body_text())
            }
        })?;
        parse_json(&bytes).map(Body)
    }
}

/// Parses JSON with the path of the first offending field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = inner.to_string();
        // Name the field itself for unknown and missing fields.
        let named = msg
            .strip_prefix("unknown field `")
            .or_else(|| msg.strip_prefix("missing field `"))
            .and_then(|r| r.split('`').next());
        let field = match (named, path.as_str()) {
            (Some(n), "." | "") => n.to_owned(),
            // serde_path_to_error already ends the path with an unknown field's name
            (Some(n), p) if p == n || p.ends_with(&format!(".{n}")) => p.to_owned(),
            (Some(n), p) => format!("{p}.{n}"),
            (None, "." | "") => "body".to_owned(),
            (None, p) => p.to_owned(),
        };
        let clean = match msg.rfind(" at line ") {
            Some(i) if inner.is_data() => msg[..i].to_owned(),
            _ => msg.clone(),
        };
        ApiError::from(Problem::bad_request(&field, clean))
    })
}

/// `If-Match: "N"` → `Some(N)`; absent or `*` → `None`.
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Some(v) = parts.headers.get(header::IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        let s = v.to_str().unwrap_or("").trim();
        if s == "*" {
            return Ok(IfMatch(None));
        }
        let s = s.strip_prefix("W/").unwrap_or(s);
        s.strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .and_then(|s| s.parse::<i64>().ok())
            .map(|v| IfMatch(Some(v)))
            .ok_or_else(|| {
                ApiError::from(Problem::bad_request(
                    "If-Match",
                    "must be an ETag this API returned, e.g. \"3\"",
                ))
            })
    }
}

/// A UUID from the path, with a clear error for anything else.
pub struct Id(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::from(Problem::bad_request("id", e.body_text())))?;
        Uuid::parse_str(&raw)
            .map(Id)
            .map_err(|_| ApiError::from(Problem::bad_request("id", "must be a UUID")))
    }
}

/// Query-string parameters with problem+json errors.
pub struct Q<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Q<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| Q(v))
            .map_err(|e| {
                let text = e.body_text();
                let text = text
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&text);
                let field = text
                    .split('`')
                    .nth(1)
                    .filter(|_| text.contains("field"))
                    .unwrap_or("query")
                    .to_owned();
                ApiError::from(Problem::bad_request(&field, text.to_owned()))
            })
    }
}

/// A JSON response carrying the record's version as a strong ETag.
pub fn with_etag<T: Serialize>(status: StatusCode, version: i64, body: &T) -> Response {
    let mut r = (status, axum::Json(body)).into_response();
    if let Ok(v) = format!("\"{version}\"").parse() {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}
