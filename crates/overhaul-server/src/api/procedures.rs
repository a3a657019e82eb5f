//! Procedures (standard work): revisions, publication, and step results on work orders.

use crate::AppState;
use crate::api::Errors;
use crate::extract::{Auth, Body, Id, IfMatch, Q, with_etag};
use crate::problem::ApiResult;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use overhaul_app::Page;
use overhaul_app::procedures::{
    Checklist, NewProcedure, NewRevision, NewStepResult, ProcedureQuery, ProcedureView,
    RevisionView,
};
use overhaul_core::procedure::RevisionDraft;
use overhaul_store::procedure::{Procedure, StepResult};

/// Create a procedure; its first revision (number 1) is a draft until published.
#[utoipa::path(post, path = "/api/v1/procedures", tag = "procedures", request_body = NewProcedure,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a replay returns the first response")),
    responses((status = 201, description = "The procedure with its draft revision", body = ProcedureView), Errors),
    security(("bearer" = [])))]
pub async fn create_procedure(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Body(b): Body<NewProcedure>,
) -> ApiResult<Response> {
    let p = s.app.create_procedure(&ctx, b).await?;
    Ok(with_etag(StatusCode::CREATED, p.procedure.version, &p))
}

/// Procedures by code.
#[utoipa::path(get, path = "/api/v1/procedures", tag = "procedures", params(ProcedureQuery),
    responses((status = 200, description = "A page of procedures", body = Page<Procedure>), Errors),
    security(("bearer" = [])))]
pub async fn list_procedures(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Q(q): Q<ProcedureQuery>,
) -> ApiResult<Json<Page<Procedure>>> {
    Ok(Json(s.app.list_procedures(&ctx, q).await?))
}

/// A procedure with every revision and its steps.
#[utoipa::path(get, path = "/api/v1/procedures/{id}", tag = "procedures",
    params(("id" = uuid::Uuid, Path, description = "Procedure id")),
    responses((status = 200, description = "The procedure", body = ProcedureView), Errors),
    security(("bearer" = [])))]
pub async fn get_procedure(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
) -> ApiResult<Response> {
    let p = s.app.get_procedure(&ctx, id).await?;
    Ok(with_etag(StatusCode::OK, p.procedure.version, &p))
}

/// Start the next draft revision as a copy of an existing one (default: the published one).
/// This is how a published revision is changed; 422 while a draft exists.
#[utoipa::path(post, path = "/api/v1/procedures/{id}/revisions", tag = "procedures", request_body = NewRevision,
    params(("id" = uuid::Uuid, Path, description = "Procedure id")),
    responses((status = 201, description = "The new draft revision", body = RevisionView), Errors),
    security(("bearer" = [])))]
pub async fn new_revision(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    Body(b): Body<NewRevision>,
) -> ApiResult<Response> {
    let r = s.app.new_revision(&ctx, id, b).await?;
    Ok(with_etag(StatusCode::CREATED, r.revision.version, &r))
}

/// A revision with its steps.
#[utoipa::path(get, path = "/api/v1/procedure-revisions/{id}", tag = "procedures",
    params(("id" = uuid::Uuid, Path, description = "Revision id")),
    responses((status = 200, description = "The revision", body = RevisionView), Errors),
    security(("bearer" = [])))]
pub async fn get_revision(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
) -> ApiResult<Response> {
    let r = s.app.get_procedure_revision(&ctx, id).await?;
    Ok(with_etag(StatusCode::OK, r.revision.version, &r))
}

/// Replace a draft's content: notes, safety notes, qualifications, estimate, crafts and the
/// whole ordered step list. Published revisions are frozen (422).
#[utoipa::path(put, path = "/api/v1/procedure-revisions/{id}/steps", tag = "procedures", request_body = RevisionDraft,
    params(("id" = uuid::Uuid, Path, description = "Revision id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, description = "The draft with its new steps", body = RevisionView), Errors),
    security(("bearer" = [])))]
pub async fn replace_steps(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    IfMatch(v): IfMatch,
    Body(b): Body<RevisionDraft>,
) -> ApiResult<Response> {
    let r = s.app.replace_revision_content(&ctx, id, v, b).await?;
    Ok(with_etag(StatusCode::OK, r.revision.version, &r))
}

/// Publish a draft (it needs at least one step); the previously published revision becomes
/// superseded. Work that pinned a revision keeps it.
#[utoipa::path(post, path = "/api/v1/procedure-revisions/{id}/publish", tag = "procedures",
    params(("id" = uuid::Uuid, Path, description = "Revision id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, description = "The published revision", body = RevisionView), Errors),
    security(("bearer" = [])))]
pub async fn publish(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    IfMatch(v): IfMatch,
) -> ApiResult<Response> {
    let r = s.app.publish_revision(&ctx, id, v).await?;
    Ok(with_etag(StatusCode::OK, r.revision.version, &r))
}

/// Retire a published or superseded revision: it can no longer be attached to new work.
#[utoipa::path(post, path = "/api/v1/procedure-revisions/{id}/retire", tag = "procedures",
    params(("id" = uuid::Uuid, Path, description = "Revision id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, description = "The retired revision", body = RevisionView), Errors),
    security(("bearer" = [])))]
pub async fn retire(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    IfMatch(v): IfMatch,
) -> ApiResult<Response> {
    let r = s.app.retire_revision(&ctx, id, v).await?;
    Ok(with_etag(StatusCode::OK, r.revision.version, &r))
}

/// The procedure revision the work order follows, each step with its result so far.
#[utoipa::path(get, path = "/api/v1/work-orders/{id}/step-results", tag = "work-orders",
    params(("id" = uuid::Uuid, Path, description = "Work order id")),
    responses((status = 200, description = "Steps and results", body = Checklist), Errors),
    security(("bearer" = [])))]
pub async fn checklist(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
) -> ApiResult<Json<Checklist>> {
    Ok(Json(s.app.work_order_checklist(&ctx, id).await?))
}

/// Record the result of one step while the work is in progress (422 otherwise; 409 when the
/// step already has one). A meter_reading step records a reading of the asset's meter; a failed
/// step that asks for it raises one follow-up work request on the asset.
#[utoipa::path(post, path = "/api/v1/work-orders/{id}/step-results", tag = "work-orders", request_body = NewStepResult,
    params(("id" = uuid::Uuid, Path, description = "Work order id")),
    responses((status = 201, description = "The recorded result with its outcome", body = StepResult), Errors),
    security(("bearer" = [])))]
pub async fn record_result(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    Body(b): Body<NewStepResult>,
) -> ApiResult<Response> {
    let r = s.app.record_step_result(&ctx, id, b).await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}
