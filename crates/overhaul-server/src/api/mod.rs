//! The JSON API under `/api/v1`, documented by OpenAPI generated from these handlers.

pub mod assets;
pub mod condition;
pub mod kpis;
pub mod meters;
pub mod misc;
pub mod pm;
pub mod procedures;
pub mod sites;
pub mod work_orders;
pub mod work_requests;

use crate::problem::Problem;

/// Error answers every endpoint may give (RFC 9457 problem details).
#[allow(dead_code)]
#[derive(utoipa::IntoResponses)]
pub enum Errors {
    /// Invalid input; `errors` names each field.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// Missing or unknown bearer token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Problem),
    /// The role does not allow this.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// No such record (or not visible to you).
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// Clashes with existing data.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
    /// `If-Match` does not match the current ETag.
    #[response(status = 412, content_type = "application/problem+json")]
    Stale(Problem),
    /// Body larger than the limit.
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// Body is not JSON.
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Problem),
    /// A business rule refuses the change (e.g. an illegal transition; `allowed` lists the legal ones).
    #[response(status = 422, content_type = "application/problem+json")]
    Rule(Problem),
}
