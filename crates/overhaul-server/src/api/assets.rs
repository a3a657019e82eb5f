use crate::AppState;
use crate::api::Errors;
use crate::extract::{Auth, Body, Id, IfMatch, Q, with_etag};
use crate::problem::ApiResult;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use overhaul_app::Page;
use overhaul_app::assets::{AssetPatch, AssetQuery, AssetView, EndDowntime, NewAsset, NewDowntime};
use overhaul_store::asset::{Downtime, StateInterval};
use serde::Deserialize;

/// Create an asset in the hierarchy.
#[utoipa::path(post, path = "/api/v1/assets", tag = "assets", request_body = NewAsset,
    responses((status = 201, description = "The new asset", body = AssetView), Errors),
    security(("bearer" = [])))]
pub async fn create_asset(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Body(b): Body<NewAsset>,
) -> ApiResult<Response> {
    let v = s.app.create_asset(&ctx, b).await?;
    Ok(with_etag(StatusCode::CREATED, v.asset.version, &v))
}

/// List assets (by site, parent, subtree, level, status, text), ordered by code.
#[utoipa::path(get, path = "/api/v1/assets", tag = "assets", params(AssetQuery),
    responses((status = 200, description = "A page of assets", body = Page<AssetView>), Errors),
    security(("bearer" = [])))]
pub async fn list_assets(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Q(q): Q<AssetQuery>,
) -> ApiResult<Json<Page<AssetView>>> {
    Ok(Json(s.app.list_assets(&ctx, q).await?))
}

#[utoipa::path(get, path = "/api/v1/assets/{id}", tag = "assets",
    params(("id" = uuid::Uuid, Path, description = "Asset id")),
    responses((status = 200, description = "The asset", body = AssetView), Errors),
    security(("bearer" = [])))]
pub async fn get_asset(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
) -> ApiResult<Response> {
    let v = s.app.get_asset(&ctx, id).await?;
    Ok(with_etag(StatusCode::OK, v.asset.version, &v))
}

/// Change an asset: rename, move (no cycles), criticality, status (starts a timeline interval).
#[utoipa::path(patch, path = "/api/v1/assets/{id}", tag = "assets", request_body = AssetPatch,
    params(("id" = uuid::Uuid, Path, description = "Asset id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, description = "The changed asset", body = AssetView), Errors),
    security(("bearer" = [])))]
pub async fn update_asset(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    IfMatch(v): IfMatch,
    Body(b): Body<AssetPatch>,
) -> ApiResult<Response> {
    let a = s.app.update_asset(&ctx, id, v, b).await?;
    Ok(with_etag(StatusCode::OK, a.asset.version, &a))
}

/// Delete an asset that has no history (otherwise 409: decommission it).
#[utoipa::path(delete, path = "/api/v1/assets/{id}", tag = "assets",
    params(("id" = uuid::Uuid, Path, description = "Asset id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 204, description = "Deleted"), Errors),
    security(("bearer" = [])))]
pub async fn delete_asset(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    IfMatch(v): IfMatch,
) -> ApiResult<Response> {
    s.app.delete_asset(&ctx, id, v).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decommission {
    pub reason: String,
}

/// Take an asset out of service for good; its history stays.
#[utoipa::path(post, path = "/api/v1/assets/{id}/decommission", tag = "assets", request_body = Decommission,
    params(("id" = uuid::Uuid, Path, description = "Asset id")),
    responses((status = 200, description = "The decommissioned asset", body = AssetView), Errors),
    security(("bearer" = [])))]
pub async fn decommission_asset(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    Body(b): Body<Decommission>,
) -> ApiResult<Response> {
    let a = s.app.decommission_asset(&ctx, id, &b.reason).await?;
    Ok(with_etag(StatusCode::OK, a.asset.version, &a))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WindowQuery {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// The asset's state intervals (running, standby, down planned/unplanned, decommissioned).
#[utoipa::path(get, path = "/api/v1/assets/{id}/state-intervals", tag = "assets",
    params(("id" = uuid::Uuid, Path, description = "Asset id"), WindowQuery),
    responses((status = 200, description = "Intervals, oldest first", body = Vec<StateInterval>), Errors),
    security(("bearer" = [])))]
pub async fn asset_timeline(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    Q(q): Q<WindowQuery>,
) -> ApiResult<Json<Vec<StateInterval>>> {
    Ok(Json(s.app.asset_timeline(&ctx, id, q.from, q.to).await?))
}

/// Record downtime of an asset.
#[utoipa::path(post, path = "/api/v1/assets/{id}/downtime", tag = "assets", request_body = NewDowntime,
    params(("id" = uuid::Uuid, Path, description = "Asset id")),
    responses((status = 201, description = "The downtime record", body = Downtime), Errors),
    security(("bearer" = [])))]
pub async fn asset_downtime(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    Body(b): Body<NewDowntime>,
) -> ApiResult<Response> {
    let d = s.app.record_downtime(&ctx, id, None, b).await?;
    Ok(with_etag(StatusCode::CREATED, d.version, &d))
}

#[utoipa::path(get, path = "/api/v1/assets/{id}/downtime", tag = "assets",
    params(("id" = uuid::Uuid, Path, description = "Asset id")),
    responses((status = 200, description = "Downtime, newest first", body = Vec<Downtime>), Errors),
    security(("bearer" = [])))]
pub async fn list_asset_downtime(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
) -> ApiResult<Json<Vec<Downtime>>> {
    Ok(Json(s.app.list_downtime(&ctx, Some(id), None).await?))
}

/// End an open downtime; the asset returns to the state it had before.
#[utoipa::path(post, path = "/api/v1/downtime/{id}/end", tag = "assets", request_body = EndDowntime,
    params(("id" = uuid::Uuid, Path, description = "Downtime id")),
    responses((status = 200, description = "The ended downtime", body = Downtime), Errors),
    security(("bearer" = [])))]
pub async fn end_downtime(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    Body(b): Body<EndDowntime>,
) -> ApiResult<Response> {
    let d = s.app.end_downtime(&ctx, id, b).await?;
    Ok(with_etag(StatusCode::OK, d.version, &d))
}

/// Reliability KPIs of an asset (and by default everything below it) over a window.
#[utoipa::path(get, path = "/api/v1/assets/{id}/kpis", tag = "kpis",
    params(("id" = uuid::Uuid, Path, description = "Asset id"), overhaul_app::kpis::KpiQuery),
    responses((status = 200, description = "MTBF, MTTR, availability and the hours behind them", body = overhaul_app::kpis::KpiReport), Errors),
    security(("bearer" = [])))]
pub async fn asset_kpis(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    Q(q): Q<overhaul_app::kpis::KpiQuery>,
) -> ApiResult<Json<overhaul_app::kpis::KpiReport>> {
    Ok(Json(s.app.asset_kpis(&ctx, id, q).await?))
}

/// Reliability analysis from the recorded history: lifetimes, Weibull, Kaplan–Meier,
/// Crow-AMSAA and, given costs, the optimal preventive replacement interval.
#[utoipa::path(get, path = "/api/v1/assets/{id}/reliability", tag = "kpis",
    params(("id" = uuid::Uuid, Path, description = "Asset id"), overhaul_app::reliability::ReliabilityQuery),
    responses((status = 200, description = "The analysis; `notes` says what could not be computed and why", body = overhaul_app::reliability::ReliabilityReport), Errors),
    security(("bearer" = [])))]
pub async fn asset_reliability(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    Q(q): Q<overhaul_app::reliability::ReliabilityQuery>,
) -> ApiResult<Json<overhaul_app::reliability::ReliabilityReport>> {
    Ok(Json(s.app.asset_reliability(&ctx, id, q).await?))
}

/// Bad actors below an asset: a Pareto of unplanned downtime and failures by asset, equipment
/// class or failure mode, with repeat failures.
#[utoipa::path(get, path = "/api/v1/assets/{id}/bad-actors", tag = "kpis",
    params(("id" = uuid::Uuid, Path, description = "Asset id (the root of the subtree)"), overhaul_app::bad_actors::BadActorQuery),
    responses((status = 200, description = "Rows by unplanned downtime, largest first, with cumulative shares", body = Vec<overhaul_app::bad_actors::BadActor>), Errors),
    security(("bearer" = [])))]
pub async fn bad_actors(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    Q(q): Q<overhaul_app::bad_actors::BadActorQuery>,
) -> ApiResult<Json<Vec<overhaul_app::bad_actors::BadActor>>> {
    Ok(Json(s.app.bad_actors(&ctx, id, q).await?))
}

/// KPIs per week, month, quarter or year (site time zone) for period comparison.
#[utoipa::path(get, path = "/api/v1/assets/{id}/kpis/periods", tag = "kpis",
    params(("id" = uuid::Uuid, Path, description = "Asset id"), overhaul_app::kpis::KpiPeriodQuery),
    responses((status = 200, description = "One row per period, oldest first", body = Vec<overhaul_app::kpis::PeriodKpis>), Errors),
    security(("bearer" = [])))]
pub async fn asset_kpi_periods(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    Q(q): Q<overhaul_app::kpis::KpiPeriodQuery>,
) -> ApiResult<Json<Vec<overhaul_app::kpis::PeriodKpis>>> {
    Ok(Json(s.app.asset_kpi_periods(&ctx, id, q).await?))
}
