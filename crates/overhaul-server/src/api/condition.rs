//! Condition monitoring: signals and their rules, signal readings, alarms.

use crate::AppState;
use crate::api::Errors;
use crate::extract::{Auth, Body, Id, IfMatch, Q, with_etag};
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use overhaul_app::Ctx;
use overhaul_app::alarms::{AlarmQuery, ShelveAlarm};
use overhaul_app::signals::{
    IncomingReading, IngestReport, NewRule, NewSignal, RangeQuery, RulePatch, RuleView,
    SignalPatch, SignalQuery, SignalView, Trend, TrendQuery,
};
use overhaul_store::alarm::{AlarmEvent, AlarmListItem, AlarmRow};
use overhaul_store::reading::{Rollup, StoredReading};
use serde::Deserialize;
use uuid::Uuid;

/// One reading of a signal: the source's raw value (the signal's scaling is applied).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalReadingIn {
    pub signal_id: Uuid,
    /// Reading time (RFC 3339).
    pub time: DateTime<Utc>,
    pub value: f64,
}

/// A batch of signal readings. Each bad reading is counted by reason in the answer; it does
/// not fail the batch.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalReadingBatch {
    pub readings: Vec<SignalReadingIn>,
}

/// Takes a parsed signal batch (called from `POST /api/v1/readings`, which also takes meter
/// readings: a batch whose readings carry `signal_id` is a signal batch).
pub async fn ingest(
    s: &AppState,
    ctx: &Ctx,
    b: SignalReadingBatch,
) -> ApiResult<Json<IngestReport>> {
    if b.readings.is_empty() {
        return Err(Problem::bad_request("readings", "send at least one reading").into());
    }
    let batch: Vec<IncomingReading> = b
        .readings
        .iter()
        .map(|r| IncomingReading {
            signal_id: r.signal_id,
            at_ms: r.time.timestamp_millis(),
            value: r.value,
        })
        .collect();
    Ok(Json(s.app.ingest_readings(ctx, &batch).await?))
}

#[utoipa::path(post, path = "/api/v1/signals", tag = "condition", request_body = NewSignal,
    responses((status = 201, description = "The new signal with its rules", body = SignalView), Errors),
    security(("bearer" = [])))]
pub async fn create_signal(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Body(b): Body<NewSignal>,
) -> ApiResult<Response> {
    let v = s.app.create_signal(&ctx, b).await?;
    Ok(with_etag(StatusCode::CREATED, v.signal.version, &v))
}

#[utoipa::path(get, path = "/api/v1/signals", tag = "condition", params(SignalQuery),
    responses((status = 200, description = "Signals", body = Vec<SignalView>), Errors),
    security(("bearer" = [])))]
pub async fn list_signals(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Q(q): Q<SignalQuery>,
) -> ApiResult<Json<Vec<SignalView>>> {
    Ok(Json(s.app.list_signals(&ctx, q).await?))
}

#[utoipa::path(get, path = "/api/v1/signals/{id}", tag = "condition",
    params(("id" = Uuid, Path, description = "Signal id")),
    responses((status = 200, description = "The signal with its rules", body = SignalView), Errors),
    security(("bearer" = [])))]
pub async fn get_signal(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
) -> ApiResult<Response> {
    let v = s.app.get_signal(&ctx, id).await?;
    Ok(with_etag(StatusCode::OK, v.signal.version, &v))
}

#[utoipa::path(patch, path = "/api/v1/signals/{id}", tag = "condition", request_body = SignalPatch,
    params(("id" = Uuid, Path, description = "Signal id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, description = "The changed signal", body = SignalView), Errors),
    security(("bearer" = [])))]
pub async fn update_signal(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    IfMatch(v): IfMatch,
    Body(b): Body<SignalPatch>,
) -> ApiResult<Response> {
    let out = s.app.update_signal(&ctx, id, v, b).await?;
    Ok(with_etag(StatusCode::OK, out.signal.version, &out))
}

#[utoipa::path(post, path = "/api/v1/signals/{id}/rules", tag = "condition", request_body = NewRule,
    params(("id" = Uuid, Path, description = "Signal id")),
    responses((status = 201, description = "The new rule and its alarm", body = RuleView), Errors),
    security(("bearer" = [])))]
pub async fn add_rule(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    Body(b): Body<NewRule>,
) -> ApiResult<Response> {
    let r = s.app.add_rule(&ctx, id, b).await?;
    Ok(with_etag(StatusCode::CREATED, r.rule.version, &r))
}

fn two_ids(raw: (String, String)) -> ApiResult<(Uuid, Uuid)> {
    let a = Uuid::parse_str(&raw.0)
        .map_err(|_| ApiError::from(Problem::bad_request("id", "must be a UUID")))?;
    let b = Uuid::parse_str(&raw.1)
        .map_err(|_| ApiError::from(Problem::bad_request("rule_id", "must be a UUID")))?;
    Ok((a, b))
}

#[utoipa::path(patch, path = "/api/v1/signals/{id}/rules/{rule_id}", tag = "condition", request_body = RulePatch,
    params(("id" = Uuid, Path, description = "Signal id"),
           ("rule_id" = Uuid, Path, description = "Rule id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, description = "The changed rule", body = RuleView), Errors),
    security(("bearer" = [])))]
pub async fn update_rule(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Path(raw): Path<(String, String)>,
    IfMatch(v): IfMatch,
    Body(b): Body<RulePatch>,
) -> ApiResult<Response> {
    let (id, rule) = two_ids(raw)?;
    let r = s.app.update_rule(&ctx, id, rule, v, b).await?;
    Ok(with_etag(StatusCode::OK, r.rule.version, &r))
}

#[utoipa::path(get, path = "/api/v1/signals/{id}/readings", tag = "condition",
    params(("id" = Uuid, Path, description = "Signal id"), RangeQuery),
    responses((status = 200, description = "Raw readings (epoch ms), oldest first", body = Vec<StoredReading>), Errors),
    security(("bearer" = [])))]
pub async fn signal_readings(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    Q(q): Q<RangeQuery>,
) -> ApiResult<Json<Vec<StoredReading>>> {
    Ok(Json(s.app.signal_readings(&ctx, id, q).await?))
}

#[utoipa::path(get, path = "/api/v1/signals/{id}/rollups", tag = "condition",
    params(("id" = Uuid, Path, description = "Signal id"), RangeQuery),
    responses((status = 200, description = "Hourly min/max/sum/count, oldest first", body = Vec<Rollup>), Errors),
    security(("bearer" = [])))]
pub async fn signal_rollups(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    Q(q): Q<RangeQuery>,
) -> ApiResult<Json<Vec<Rollup>>> {
    Ok(Json(s.app.signal_rollups(&ctx, id, q).await?))
}

#[utoipa::path(get, path = "/api/v1/signals/{id}/trend", tag = "condition",
    params(("id" = Uuid, Path, description = "Signal id"), TrendQuery),
    responses((status = 200, description = "The signal's values over a span (raw readings up to a day, hourly min/max/avg beyond) with its fixed alarm limits", body = Trend), Errors),
    security(("bearer" = [])))]
pub async fn signal_trend(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    Q(q): Q<TrendQuery>,
) -> ApiResult<Json<Trend>> {
    Ok(Json(s.app.signal_trend(&ctx, id, q).await?))
}

#[utoipa::path(get, path = "/api/v1/alarms", tag = "condition", params(AlarmQuery),
    responses((status = 200, description = "Alarms, most recently changed first", body = Vec<AlarmListItem>), Errors),
    security(("bearer" = [])))]
pub async fn list_alarms(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Q(q): Q<AlarmQuery>,
) -> ApiResult<Json<Vec<AlarmListItem>>> {
    Ok(Json(s.app.list_alarms(&ctx, q).await?))
}

#[utoipa::path(get, path = "/api/v1/alarms/{id}", tag = "condition",
    params(("id" = Uuid, Path, description = "Alarm id")),
    responses((status = 200, description = "The alarm", body = AlarmRow), Errors),
    security(("bearer" = [])))]
pub async fn get_alarm(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
) -> ApiResult<Response> {
    let a = s.app.get_alarm(&ctx, id).await?;
    Ok(with_etag(StatusCode::OK, a.version, &a))
}

#[utoipa::path(get, path = "/api/v1/alarms/{id}/history", tag = "condition",
    params(("id" = Uuid, Path, description = "Alarm id")),
    responses((status = 200, description = "Transitions with the readings behind them, oldest first", body = Vec<AlarmEvent>), Errors),
    security(("bearer" = [])))]
pub async fn alarm_history(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
) -> ApiResult<Json<Vec<AlarmEvent>>> {
    Ok(Json(s.app.alarm_history(&ctx, id).await?))
}

#[utoipa::path(post, path = "/api/v1/alarms/{id}/acknowledge", tag = "condition",
    params(("id" = Uuid, Path, description = "Alarm id")),
    responses((status = 200, description = "The acknowledged alarm", body = AlarmRow), Errors),
    security(("bearer" = [])))]
pub async fn acknowledge_alarm(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
) -> ApiResult<Response> {
    let a = s.app.acknowledge_alarm(&ctx, id).await?;
    Ok(with_etag(StatusCode::OK, a.version, &a))
}

#[utoipa::path(post, path = "/api/v1/alarms/{id}/shelve", tag = "condition", request_body = ShelveAlarm,
    params(("id" = Uuid, Path, description = "Alarm id")),
    responses((status = 200, description = "The shelved alarm", body = AlarmRow), Errors),
    security(("bearer" = [])))]
pub async fn shelve_alarm(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    Body(b): Body<ShelveAlarm>,
) -> ApiResult<Response> {
    let a = s.app.shelve_alarm(&ctx, id, b).await?;
    Ok(with_etag(StatusCode::OK, a.version, &a))
}

#[utoipa::path(post, path = "/api/v1/alarms/{id}/unshelve", tag = "condition",
    params(("id" = Uuid, Path, description = "Alarm id")),
    responses((status = 200, description = "The unshelved alarm", body = AlarmRow), Errors),
    security(("bearer" = [])))]
pub async fn unshelve_alarm(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
) -> ApiResult<Response> {
    let a = s.app.unshelve_alarm(&ctx, id).await?;
    Ok(with_etag(StatusCode::OK, a.version, &a))
}
