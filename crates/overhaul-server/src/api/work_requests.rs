use crate::AppState;
use crate::api::Errors;
use crate::extract::{Auth, Body, Id, IfMatch, Q, with_etag};
use crate::problem::ApiResult;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use overhaul_app::Page;
use overhaul_app::work_orders::WorkOrderView;
use overhaul_app::work_requests::{ConvertRequest, NewWorkRequest, RejectRequest, RequestQuery};
use overhaul_store::work_request::WorkRequest;

/// File a work request on an asset.
#[utoipa::path(post, path = "/api/v1/work-requests", tag = "work-requests", request_body = NewWorkRequest,
    responses((status = 201, description = "The new request", body = WorkRequest), Errors),
    security(("bearer" = [])))]
pub async fn create_request(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Body(b): Body<NewWorkRequest>,
) -> ApiResult<Response> {
    let r = s.app.create_work_request(&ctx, b).await?;
    Ok(with_etag(StatusCode::CREATED, r.version, &r))
}

/// Requests, newest first.
#[utoipa::path(get, path = "/api/v1/work-requests", tag = "work-requests", params(RequestQuery),
    responses((status = 200, description = "A page of requests", body = Page<WorkRequest>), Errors),
    security(("bearer" = [])))]
pub async fn list_requests(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Q(q): Q<RequestQuery>,
) -> ApiResult<Json<Page<WorkRequest>>> {
    Ok(Json(s.app.list_work_requests(&ctx, q).await?))
}

#[utoipa::path(get, path = "/api/v1/work-requests/{id}", tag = "work-requests",
    params(("id" = uuid::Uuid, Path, description = "Request id")),
    responses((status = 200, description = "The request", body = WorkRequest), Errors),
    security(("bearer" = [])))]
pub async fn get_request(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
) -> ApiResult<Response> {
    let r = s.app.get_work_request(&ctx, id).await?;
    Ok(with_etag(StatusCode::OK, r.version, &r))
}

#[utoipa::path(post, path = "/api/v1/work-requests/{id}/approve", tag = "work-requests",
    params(("id" = uuid::Uuid, Path, description = "Request id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, description = "The approved request", body = WorkRequest), Errors),
    security(("bearer" = [])))]
pub async fn approve_request(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    IfMatch(v): IfMatch,
) -> ApiResult<Response> {
    let r = s.app.approve_work_request(&ctx, id, v).await?;
    Ok(with_etag(StatusCode::OK, r.version, &r))
}

#[utoipa::path(post, path = "/api/v1/work-requests/{id}/reject", tag = "work-requests", request_body = RejectRequest,
    params(("id" = uuid::Uuid, Path, description = "Request id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, description = "The rejected request", body = WorkRequest), Errors),
    security(("bearer" = [])))]
pub async fn reject_request(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    IfMatch(v): IfMatch,
    Body(b): Body<RejectRequest>,
) -> ApiResult<Response> {
    let r = s.app.reject_work_request(&ctx, id, v, b).await?;
    Ok(with_etag(StatusCode::OK, r.version, &r))
}

/// Convert a request into a work order (keeps title, description and attachments).
#[utoipa::path(post, path = "/api/v1/work-requests/{id}/convert", tag = "work-requests", request_body = ConvertRequest,
    params(("id" = uuid::Uuid, Path, description = "Request id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 201, description = "The new work order", body = WorkOrderView), Errors),
    security(("bearer" = [])))]
pub async fn convert_request(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    IfMatch(v): IfMatch,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    // The body is optional: an empty one converts with the defaults.
    let input = if body.iter().all(u8::is_ascii_whitespace) {
        ConvertRequest::default()
    } else {
        crate::extract::parse_json(&body)?
    };
    let w = s.app.convert_work_request(&ctx, id, v, input).await?;
    Ok(with_etag(
        StatusCode::CREATED,
        w.version,
        &WorkOrderView::from(w),
    ))
}
