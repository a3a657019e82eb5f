//! The HTTP adapter: JSON API with OpenAPI, the web UI, and operations endpoints.

pub mod api;
pub mod extract;
mod idempotency;
mod ops;
pub mod problem;
pub mod ui;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::IntoResponse;
use overhaul_app::App;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Largest request body accepted (1 MiB).
pub const BODY_LIMIT: usize = 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub app: App,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Overhaul API",
        description = "Maintenance operations management: sites, assets, meters, work requests and work orders. \
Errors are RFC 9457 problem details; single resources carry an ETag, writes accept If-Match (412 when stale); \
POSTs accept Idempotency-Key.",
        license(name = "AGPL-3.0-or-later")
    ),
    modifiers(&BearerAuth),
    components(schemas(
        problem::Problem,
        overhaul_core::FieldError,
        overhaul_core::work_order::WorkRequestStatus,
        overhaul_app::bad_actors::GroupBy
    )),
    tags(
        (name = "sites"), (name = "users"), (name = "assets"), (name = "meters"),
        (name = "work-requests"), (name = "work-orders"), (name = "procedures"), (name = "pm"), (name = "condition"), (name = "kpis"), (name = "reference"), (name = "audit")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
        }
    }
}

fn api_router() -> OpenApiRouter<AppState> {
    use api::*;
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(sites::create_site, sites::list_sites))
        .routes(routes!(sites::get_site, sites::update_site))
        .routes(routes!(sites::create_user, sites::list_users))
        .routes(routes!(sites::get_user))
        .routes(routes!(sites::create_token, sites::list_tokens))
        .routes(routes!(sites::revoke_token))
        .routes(routes!(assets::create_asset, assets::list_assets))
        .routes(routes!(
            assets::get_asset,
            assets::update_asset,
            assets::delete_asset
        ))
        .routes(routes!(assets::decommission_asset))
        .routes(routes!(assets::asset_timeline))
        .routes(routes!(assets::asset_downtime, assets::list_asset_downtime))
        .routes(routes!(assets::end_downtime))
        .routes(routes!(assets::asset_kpis))
        .routes(routes!(assets::asset_kpi_periods))
        .routes(routes!(assets::asset_reliability))
        .routes(routes!(assets::bad_actors))
        .routes(routes!(kpis::site_kpi_periods))
        .routes(routes!(kpis::site_bad_actors))
        .routes(routes!(kpis::work_kpis))
        .routes(routes!(meters::create_meter, meters::list_meters))
        .routes(routes!(meters::get_meter))
        .routes(routes!(meters::create_readings, meters::list_readings))
        .routes(routes!(
            work_requests::create_request,
            work_requests::list_requests
        ))
        .routes(routes!(work_requests::get_request))
        .routes(routes!(work_requests::approve_request))
        .routes(routes!(work_requests::reject_request))
        .routes(routes!(work_requests::convert_request))
        .routes(routes!(
            work_orders::create_work_order,
            work_orders::list_work_orders
        ))
        .routes(routes!(
            work_orders::get_work_order,
            work_orders::update_work_order
        ))
        .routes(routes!(work_orders::transition, work_orders::history))
        .routes(routes!(work_orders::add_labor, work_orders::list_labor))
        .routes(routes!(
            work_orders::add_downtime,
            work_orders::list_downtime
        ))
        .routes(routes!(
            work_orders::add_comment,
            work_orders::list_comments
        ))
        .routes(routes!(procedures::checklist, procedures::record_result))
        .routes(routes!(
            procedures::create_procedure,
            procedures::list_procedures
        ))
        .routes(routes!(procedures::get_procedure))
        .routes(routes!(procedures::new_revision))
        .routes(routes!(procedures::get_revision))
        .routes(routes!(procedures::replace_steps))
        .routes(routes!(procedures::publish))
        .routes(routes!(procedures::retire))
        .routes(routes!(pm::create_plan, pm::list_plans))
        .routes(routes!(pm::generate))
        .routes(routes!(pm::create_plans_for))
        .routes(routes!(pm::get_plan))
        .routes(routes!(pm::occurrences))
        .routes(routes!(pm::accept_interval))
        .routes(routes!(pm::forecast))
        .routes(routes!(pm::compliance))
        .routes(routes!(pm::add_holiday, pm::list_holidays))
        .routes(routes!(condition::create_signal, condition::list_signals))
        .routes(routes!(condition::get_signal, condition::update_signal))
        .routes(routes!(condition::add_rule))
        .routes(routes!(condition::update_rule))
        .routes(routes!(condition::signal_readings))
        .routes(routes!(condition::signal_rollups))
        .routes(routes!(condition::signal_trend))
        .routes(routes!(condition::list_alarms))
        .routes(routes!(condition::get_alarm))
        .routes(routes!(condition::alarm_history))
        .routes(routes!(condition::acknowledge_alarm))
        .routes(routes!(condition::shelve_alarm))
        .routes(routes!(condition::unshelve_alarm))
        .routes(routes!(misc::failure_codes))
        .routes(routes!(misc::audit_list))
        .routes(routes!(misc::audit_verify))
}

/// The OpenAPI 3.1 document of the API, generated from the handlers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = api_router().split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}

/// Pretty JSON of the OpenAPI document (what `overhaul openapi` prints and `openapi.json` holds).
pub fn openapi_json() -> String {
    openapi().to_pretty_json().unwrap_or_default()
}

/// Builds the whole HTTP application.
pub fn build_app(app: App) -> Router {
    let state = AppState { app };
    let doc = openapi_json();
    let (api, _) = api_router().split_for_parts();
    let api = api
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let doc = doc.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        doc,
                    )
                }
            }),
        )
        .layer(middleware::from_fn_with_state(
            state.clone(),
            idempotency::layer,
        ));
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(api)
        .merge(ops::router())
        .merge(ui::router(state.clone()))
        .fallback(|| async {
            problem::Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "Not found",
                "no such endpoint",
            )
            .into_response()
        })
        .with_state(state)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(middleware::from_fn(ops::track))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .layer(CatchPanicLayer::custom(ops::panic_response))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(ops::make_span))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// Serves until `shutdown` resolves, then finishes in-flight requests before returning.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The peer address feeds login throttling per client address.
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
