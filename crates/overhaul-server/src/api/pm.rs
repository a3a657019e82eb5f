use crate::AppState;
use crate::api::Errors;
use crate::extract::{Auth, Body, Id, Q, with_etag};
use crate::problem::ApiResult;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use overhaul_app::pm::{
    ForecastItem, ForecastQuery, GenerationReport, NewHoliday, NewPmPlan, PmPlanView,
};
use overhaul_store::pm::{Holiday, OccurrenceRow, PmPlanRow};
use serde::Deserialize;

/// Create a PM plan (fixed or floating calendar, meter, or whichever comes first).
#[utoipa::path(post, path = "/api/v1/pm-plans", tag = "pm", request_body = NewPmPlan,
    responses((status = 201, description = "The plan with its next ten due dates", body = PmPlanView), Errors),
    security(("bearer" = [])))]
pub async fn create_plan(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Body(b): Body<NewPmPlan>,
) -> ApiResult<Response> {
    let v = s.app.create_pm_plan(&ctx, b).await?;
    Ok(with_etag(StatusCode::CREATED, v.plan.version, &v))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    pub site_id: Option<uuid::Uuid>,
    pub asset_id: Option<uuid::Uuid>,
}

#[utoipa::path(get, path = "/api/v1/pm-plans", tag = "pm", params(PlanQuery),
    responses((status = 200, description = "PM plans", body = Vec<PmPlanRow>), Errors),
    security(("bearer" = [])))]
pub async fn list_plans(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Q(q): Q<PlanQuery>,
) -> ApiResult<Json<Vec<PmPlanRow>>> {
    Ok(Json(
        s.app.list_pm_plans(&ctx, q.site_id, q.asset_id).await?,
    ))
}

/// A plan with its flags and a preview of the next ten due dates.
#[utoipa::path(get, path = "/api/v1/pm-plans/{id}", tag = "pm",
    params(("id" = uuid::Uuid, Path, description = "Plan id")),
    responses((status = 200, description = "The plan", body = PmPlanView), Errors),
    security(("bearer" = [])))]
pub async fn get_plan(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
) -> ApiResult<Response> {
    let v = s.app.get_pm_plan(&ctx, id).await?;
    Ok(with_etag(StatusCode::OK, v.plan.version, &v))
}

/// Occurrences recorded for a plan (generated, skipped, missed), newest first.
#[utoipa::path(get, path = "/api/v1/pm-plans/{id}/occurrences", tag = "pm",
    params(("id" = uuid::Uuid, Path, description = "Plan id")),
    responses((status = 200, description = "Occurrences", body = Vec<OccurrenceRow>), Errors),
    security(("bearer" = [])))]
pub async fn occurrences(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
) -> ApiResult<Json<Vec<OccurrenceRow>>> {
    Ok(Json(s.app.pm_occurrences(&ctx, id).await?))
}

/// Every future occurrence in a window (one plan, one site or all visible); creates nothing.
#[utoipa::path(get, path = "/api/v1/pm-forecast", tag = "pm", params(ForecastQuery),
    responses((status = 200, description = "Occurrences in due order", body = Vec<ForecastItem>), Errors),
    security(("bearer" = [])))]
pub async fn forecast(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Q(q): Q<ForecastQuery>,
) -> ApiResult<Json<Vec<ForecastItem>>> {
    Ok(Json(s.app.pm_forecast(&ctx, q).await?))
}

/// Generate the work that is due now for every active plan (idempotent, exactly once).
#[utoipa::path(post, path = "/api/v1/pm-plans/generate", tag = "pm",
    responses((status = 200, description = "What this run created", body = GenerationReport), Errors),
    security(("bearer" = [])))]
pub async fn generate(
    State(s): State<AppState>,
    Auth(ctx): Auth,
) -> ApiResult<Json<GenerationReport>> {
    Ok(Json(s.app.generate_pm(&ctx).await?))
}

/// Add a site holiday (PM plans may move work off holidays).
#[utoipa::path(post, path = "/api/v1/sites/{id}/holidays", tag = "sites", request_body = NewHoliday,
    params(("id" = uuid::Uuid, Path, description = "Site id")),
    responses((status = 201, description = "The holiday", body = Holiday), Errors),
    security(("bearer" = [])))]
pub async fn add_holiday(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    Body(b): Body<NewHoliday>,
) -> ApiResult<Response> {
    let h = s.app.add_holiday(&ctx, id, b).await?;
    Ok((StatusCode::CREATED, Json(h)).into_response())
}

#[utoipa::path(get, path = "/api/v1/sites/{id}/holidays", tag = "sites",
    params(("id" = uuid::Uuid, Path, description = "Site id")),
    responses((status = 200, description = "Holidays", body = Vec<Holiday>), Errors),
    security(("bearer" = [])))]
pub async fn list_holidays(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
) -> ApiResult<Json<Vec<Holiday>>> {
    Ok(Json(s.app.list_holidays(&ctx, id).await?))
}

/// SMRP 5.4.14 PM compliance for a plan, an asset or a site over a period.
#[utoipa::path(get, path = "/api/v1/pm-compliance", tag = "pm", params(overhaul_app::pm::ComplianceQuery),
    responses((status = 200, description = "Compliance per plan and in total", body = overhaul_app::pm::ComplianceReport), Errors),
    security(("bearer" = [])))]
pub async fn compliance(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Q(q): Q<overhaul_app::pm::ComplianceQuery>,
) -> ApiResult<Json<overhaul_app::pm::ComplianceReport>> {
    Ok(Json(s.app.pm_compliance(&ctx, q).await?))
}

/// Accept a recommended interval (e.g. from `/assets/{id}/reliability`) into the plan; the
/// audit record keeps the analysis that justified it.
#[utoipa::path(post, path = "/api/v1/pm-plans/{id}/accept-interval", tag = "pm", request_body = overhaul_app::pm::AcceptInterval,
    params(("id" = uuid::Uuid, Path, description = "Plan id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, description = "The plan with its new schedule and preview", body = PmPlanView), Errors),
    security(("bearer" = [])))]
pub async fn accept_interval(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    crate::extract::IfMatch(v): crate::extract::IfMatch,
    Body(b): Body<overhaul_app::pm::AcceptInterval>,
) -> ApiResult<Response> {
    let p = s.app.accept_interval(&ctx, id, v, b).await?;
    Ok(with_etag(StatusCode::OK, p.plan.version, &p))
}

/// Create one plan per asset matching a target (subtree, class, level), all or nothing.
#[utoipa::path(post, path = "/api/v1/pm-plans/bulk", tag = "pm", request_body = overhaul_app::pm::NewPmPlans,
    responses((status = 201, description = "The plans created, one per matching asset", body = Vec<PmPlanRow>), Errors),
    security(("bearer" = [])))]
pub async fn create_plans_for(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Body(b): Body<overhaul_app::pm::NewPmPlans>,
) -> ApiResult<Response> {
    let rows = s.app.create_pm_plans_for(&ctx, b).await?;
    Ok((StatusCode::CREATED, Json(rows)).into_response())
}
