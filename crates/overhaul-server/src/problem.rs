//! RFC 9457 problem details: every error the API answers with.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use overhaul_app::AppError;
use overhaul_core::FieldError;
use serde::Serialize;

/// An `application/problem+json` body. `type` is stable and can be matched on by clients.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Field-level messages for invalid input.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For refused status changes: the statuses that are allowed from the current one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("urn:overhaul:problem:{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            allowed: None,
        }
    }

    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        let mut p = Self::new(
            StatusCode::BAD_REQUEST,
            "invalid-input",
            "Invalid input",
            detail,
        );
        p.errors = errors;
        p
    }

    pub fn bad_request(field: &str, message: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError::new(field, message)])
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut r = (status, body).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

/// The error type of every handler.
pub struct ApiError(pub Box<Problem>);

impl From<Problem> for ApiError {
    fn from(p: Problem) -> Self {
        ApiError(Box::new(p))
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let p = match e {
            AppError::Invalid(i) => Problem::invalid(i.0),
            AppError::Unauthenticated => Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Not authenticated",
                "send a valid API token as 'Authorization: Bearer <token>'",
            ),
            AppError::Forbidden(m) => {
                Problem::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed", m)
            }
            AppError::NotFound(what) => Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "Not found",
                format!("{what} not found"),
            ),
            AppError::Conflict(m) => Problem::new(StatusCode::CONFLICT, "conflict", "Conflict", m),
            AppError::Stale => Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "stale",
                "Precondition failed",
                "the record was changed since you read it (ETag mismatch); reload and try again",
            ),
            AppError::Rule { message, allowed } => {
                let slug = if allowed.is_some() {
                    "illegal-transition"
                } else {
                    "rule-violated"
                };
                let mut p = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    slug,
                    "Not allowed by the rules",
                    message,
                );
                p.allowed = allowed;
                p
            }
            AppError::Throttled { until } => Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "throttled",
                "Too many attempts",
                format!(
                    "too many failed logins; try again after {}",
                    until.format("%H:%M UTC")
                ),
            ),
            AppError::Internal(m) => {
                // The detail stays in the log; the client gets no internals.
                tracing::error!(error = %m, "internal error");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "something went wrong on our side; it has been logged",
                )
            }
        };
        ApiError(Box::new(p))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (*self.0).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
