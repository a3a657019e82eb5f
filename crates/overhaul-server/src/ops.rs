//! Operations: health, readiness, Prometheus metrics, request tracking, the landing page.

use crate::AppState;
use crate::problem::Problem;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

static METRICS: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process-wide Prometheus recorder (installed on first use).
pub fn metrics_handle() -> Option<&'static PrometheusHandle> {
    METRICS
        .get_or_init(|| {
            let buckets = [
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ];
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    &buckets,
                )
                .ok()
                .and_then(|b| b.install_recorder().ok())
        })
        .as_ref()
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(landing))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(render_metrics))
}

async fn ready(State(s): State<AppState>) -> Response {
    if s.app.db.ping().await {
        "ready".into_response()
    } else {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not-ready",
            "Not ready",
            "the database does not answer",
        )
        .into_response()
    }
}

async fn render_metrics() -> Response {
    match metrics_handle() {
        Some(h) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; version=0.0.4",
            )],
            h.render(),
        )
            .into_response(),
        None => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// Counts requests and records their latency per matched route.
pub async fn track(req: Request, next: Next) -> Response {
    metrics_handle();
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    res
}

pub fn make_span(req: &Request<axum::body::Body>) -> tracing::Span {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
}

pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Internal error",
        "something went wrong on our side; it has been logged",
    )
    .into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A plain page saying what this server holds and where the API is.
async fn landing(State(s): State<AppState>) -> Response {
    let stats = overhaul_store::dialect::stats(&s.app.db).await;
    let body = match stats {
        Ok(st) => {
            let sites: String = st
                .sites
                .iter()
                .map(|(code, name, assets, open)| {
                    format!(
                        "<tr><td>{}</td><td>{}</td><td>{assets}</td><td>{open}</td></tr>",
                        escape(code),
                        escape(name)
                    )
                })
                .collect();
            format!(
                "<p>{} sites, {} assets, {} work orders ({} open), {} work requests.</p>\
                 <table><thead><tr><th>Site</th><th>Name</th><th>Assets</th><th>Open work orders</th></tr></thead><tbody>{sites}</tbody></table>",
                st.sites.len(),
                st.assets,
                st.work_orders,
                st.open_work_orders,
                st.work_requests
            )
        }
        Err(_) => "<p>The database does not answer.</p>".to_owned(),
    };
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Overhaul</title><style>body{{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}}\
         table{{border-collapse:collapse}}td,th{{border-bottom:1px solid #ccc;padding:.3rem .8rem;text-align:left}}</style></head><body>\
         <h1>Overhaul</h1><p>Maintenance operations management, version {}.</p>{body}\
         <h2>API</h2><ul><li><a href=\"/api/v1/openapi.json\">OpenAPI document</a> (send <code>Authorization: Bearer &lt;token&gt;</code>)</li>\
         <li><a href=\"/healthz\">/healthz</a>, <a href=\"/readyz\">/readyz</a>, <a href=\"/metrics\">/metrics</a></li></ul></body></html>",
        env!("CARGO_PKG_VERSION")
    ))
    .into_response()
}
