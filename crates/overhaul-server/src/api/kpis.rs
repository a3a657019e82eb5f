//! Site-level KPIs: reliability per period, bad actors, and the SMRP work-management figures.

use crate::AppState;
use crate::api::Errors;
use crate::extract::{Auth, Id, Q};
use crate::problem::ApiResult;
use axum::Json;
use axum::extract::State;
use overhaul_app::bad_actors::{BadActor, BadActorQuery};
use overhaul_app::kpis::{KpiPeriodQuery, PeriodKpis};
use overhaul_app::work_kpis::{WorkKpiQuery, WorkKpis};

/// KPIs of every asset of a site per week, month, quarter or year (site time zone).
#[utoipa::path(get, path = "/api/v1/sites/{id}/kpis/periods", tag = "kpis",
    params(("id" = uuid::Uuid, Path, description = "Site id"), KpiPeriodQuery),
    responses((status = 200, description = "One row per period, oldest first", body = Vec<PeriodKpis>), Errors),
    security(("bearer" = [])))]
pub async fn site_kpi_periods(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    Q(q): Q<KpiPeriodQuery>,
) -> ApiResult<Json<Vec<PeriodKpis>>> {
    Ok(Json(s.app.site_kpi_periods(&ctx, id, q).await?))
}

/// Bad actors of a whole site: assets, classes or failure modes by unplanned downtime.
#[utoipa::path(get, path = "/api/v1/sites/{id}/bad-actors", tag = "kpis",
    params(("id" = uuid::Uuid, Path, description = "Site id"), BadActorQuery),
    responses((status = 200, description = "Rows by unplanned downtime, largest first, with cumulative shares", body = Vec<BadActor>), Errors),
    security(("bearer" = [])))]
pub async fn site_bad_actors(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    Q(q): Q<BadActorQuery>,
) -> ApiResult<Json<Vec<BadActor>>> {
    Ok(Json(s.app.site_bad_actors(&ctx, id, q).await?))
}

/// SMRP work management: planned/reactive/proactive labour (5.3.1, 5.4.1, 5.4.2), ready and
/// planned backlog in crew-weeks (5.4.9), open work-order aging (5.4.6).
#[utoipa::path(get, path = "/api/v1/sites/{id}/work-kpis", tag = "kpis",
    params(("id" = uuid::Uuid, Path, description = "Site id"), WorkKpiQuery),
    responses((status = 200, description = "Work mix over the window; backlog and aging now", body = WorkKpis), Errors),
    security(("bearer" = [])))]
pub async fn work_kpis(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    Q(q): Q<WorkKpiQuery>,
) -> ApiResult<Json<WorkKpis>> {
    Ok(Json(s.app.work_kpis(&ctx, id, q).await?))
}
