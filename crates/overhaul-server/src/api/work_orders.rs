use crate::AppState;
use crate::api::Errors;
use crate::extract::{Auth, Body, Id, IfMatch, Q, with_etag};
use crate::problem::ApiResult;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use overhaul_app::Page;
use overhaul_app::assets::NewDowntime;
use overhaul_app::work_orders::{
    NewComment, NewLabor, NewWorkOrder, TransitionRequest, WorkOrderPatch, WorkOrderQuery,
    WorkOrderView,
};
use overhaul_store::asset::Downtime;
use overhaul_store::work_order::{Comment, Labor, StatusChange};

#[utoipa::path(post, path = "/api/v1/work-orders", tag = "work-orders", request_body = NewWorkOrder,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a replay returns the first response")),
    responses((status = 201, description = "The new work order (status requested)", body = WorkOrderView), Errors),
    security(("bearer" = [])))]
pub async fn create_work_order(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Body(b): Body<NewWorkOrder>,
) -> ApiResult<Response> {
    let w = s.app.create_work_order(&ctx, b).await?;
    Ok(with_etag(StatusCode::CREATED, w.work_order.version, &w))
}

/// Work orders, newest first, filtered; `asset_id` includes everything below that asset.
#[utoipa::path(get, path = "/api/v1/work-orders", tag = "work-orders", params(WorkOrderQuery),
    responses((status = 200, description = "A page of work orders", body = Page<WorkOrderView>), Errors),
    security(("bearer" = [])))]
pub async fn list_work_orders(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Q(q): Q<WorkOrderQuery>,
) -> ApiResult<Json<Page<WorkOrderView>>> {
    Ok(Json(s.app.list_work_orders(&ctx, q).await?))
}

#[utoipa::path(get, path = "/api/v1/work-orders/{id}", tag = "work-orders",
    params(("id" = uuid::Uuid, Path, description = "Work order id")),
    responses((status = 200, description = "The work order", body = WorkOrderView), Errors),
    security(("bearer" = [])))]
pub async fn get_work_order(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
) -> ApiResult<Response> {
    let w = s.app.get_work_order(&ctx, id).await?;
    Ok(with_etag(StatusCode::OK, w.work_order.version, &w))
}

/// Change planning fields or the failure report.
#[utoipa::path(patch, path = "/api/v1/work-orders/{id}", tag = "work-orders", request_body = WorkOrderPatch,
    params(("id" = uuid::Uuid, Path, description = "Work order id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, description = "The changed work order", body = WorkOrderView), Errors),
    security(("bearer" = [])))]
pub async fn update_work_order(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    IfMatch(v): IfMatch,
    Body(b): Body<WorkOrderPatch>,
) -> ApiResult<Response> {
    let w = s.app.update_work_order(&ctx, id, v, b).await?;
    Ok(with_etag(StatusCode::OK, w.work_order.version, &w))
}

/// Move a work order to another status; 422 names the allowed ones when the move is illegal.
#[utoipa::path(post, path = "/api/v1/work-orders/{id}/transitions", tag = "work-orders", request_body = TransitionRequest,
    params(("id" = uuid::Uuid, Path, description = "Work order id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, description = "The work order in its new status", body = WorkOrderView), Errors),
    security(("bearer" = [])))]
pub async fn transition(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    IfMatch(v): IfMatch,
    Body(b): Body<TransitionRequest>,
) -> ApiResult<Response> {
    let w = s.app.transition_work_order(&ctx, id, v, b).await?;
    Ok(with_etag(StatusCode::OK, w.work_order.version, &w))
}

/// Status history.
#[utoipa::path(get, path = "/api/v1/work-orders/{id}/transitions", tag = "work-orders",
    params(("id" = uuid::Uuid, Path, description = "Work order id")),
    responses((status = 200, description = "Status changes, oldest first", body = Vec<StatusChange>), Errors),
    security(("bearer" = [])))]
pub async fn history(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
) -> ApiResult<Json<Vec<StatusChange>>> {
    Ok(Json(s.app.work_order_history(&ctx, id).await?))
}

#[utoipa::path(post, path = "/api/v1/work-orders/{id}/labor", tag = "work-orders", request_body = NewLabor,
    params(("id" = uuid::Uuid, Path, description = "Work order id")),
    responses((status = 201, description = "The labour entry", body = Labor), Errors),
    security(("bearer" = [])))]
pub async fn add_labor(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    Body(b): Body<NewLabor>,
) -> ApiResult<Response> {
    let l = s.app.add_labor(&ctx, id, b).await?;
    Ok((StatusCode::CREATED, Json(l)).into_response())
}

#[utoipa::path(get, path = "/api/v1/work-orders/{id}/labor", tag = "work-orders",
    params(("id" = uuid::Uuid, Path, description = "Work order id")),
    responses((status = 200, description = "Labour entries", body = Vec<Labor>), Errors),
    security(("bearer" = [])))]
pub async fn list_labor(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
) -> ApiResult<Json<Vec<Labor>>> {
    Ok(Json(s.app.list_labor(&ctx, id).await?))
}

/// Record downtime of the work order's asset, linked to the work order.
#[utoipa::path(post, path = "/api/v1/work-orders/{id}/downtime", tag = "work-orders", request_body = NewDowntime,
    params(("id" = uuid::Uuid, Path, description = "Work order id")),
    responses((status = 201, description = "The downtime record", body = Downtime), Errors),
    security(("bearer" = [])))]
pub async fn add_downtime(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    Body(b): Body<NewDowntime>,
) -> ApiResult<Response> {
    let d = s.app.add_work_order_downtime(&ctx, id, b).await?;
    Ok(with_etag(StatusCode::CREATED, d.version, &d))
}

#[utoipa::path(get, path = "/api/v1/work-orders/{id}/downtime", tag = "work-orders",
    params(("id" = uuid::Uuid, Path, description = "Work order id")),
    responses((status = 200, description = "Downtime linked to the work order", body = Vec<Downtime>), Errors),
    security(("bearer" = [])))]
pub async fn list_downtime(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
) -> ApiResult<Json<Vec<Downtime>>> {
    Ok(Json(s.app.list_downtime(&ctx, None, Some(id)).await?))
}

#[utoipa::path(post, path = "/api/v1/work-orders/{id}/comments", tag = "work-orders", request_body = NewComment,
    params(("id" = uuid::Uuid, Path, description = "Work order id")),
    responses((status = 201, description = "The comment", body = Comment), Errors),
    security(("bearer" = [])))]
pub async fn add_comment(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    Body(b): Body<NewComment>,
) -> ApiResult<Response> {
    let c = s.app.add_comment(&ctx, id, b).await?;
    Ok((StatusCode::CREATED, Json(c)).into_response())
}

#[utoipa::path(get, path = "/api/v1/work-orders/{id}/comments", tag = "work-orders",
    params(("id" = uuid::Uuid, Path, description = "Work order id")),
    responses((status = 200, description = "Comments, oldest first", body = Vec<Comment>), Errors),
    security(("bearer" = [])))]
pub async fn list_comments(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
) -> ApiResult<Json<Vec<Comment>>> {
    Ok(Json(s.app.list_comments(&ctx, id).await?))
}
