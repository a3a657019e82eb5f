use crate::AppState;
use crate::api::Errors;
use crate::extract::{Auth, Body, Id, Q, parse_json, with_etag};
use crate::problem::ApiResult;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use overhaul_app::Page;
use overhaul_app::meters::{NewMeter, NewReading, ReadingQuery};
use overhaul_store::meter::{Meter, Reading};
use serde::Deserialize;

#[utoipa::path(post, path = "/api/v1/meters", tag = "meters", request_body = NewMeter,
    responses((status = 201, description = "The new meter", body = Meter), Errors),
    security(("bearer" = [])))]
pub async fn create_meter(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Body(b): Body<NewMeter>,
) -> ApiResult<Response> {
    let m = s.app.create_meter(&ctx, b).await?;
    Ok(with_etag(StatusCode::CREATED, m.version, &m))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MeterQuery {
    pub asset_id: Option<uuid::Uuid>,
}

#[utoipa::path(get, path = "/api/v1/meters", tag = "meters", params(MeterQuery),
    responses((status = 200, description = "Meters", body = Vec<Meter>), Errors),
    security(("bearer" = [])))]
pub async fn list_meters(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Q(q): Q<MeterQuery>,
) -> ApiResult<Json<Vec<Meter>>> {
    Ok(Json(s.app.list_meters(&ctx, q.asset_id).await?))
}

#[utoipa::path(get, path = "/api/v1/meters/{id}", tag = "meters",
    params(("id" = uuid::Uuid, Path, description = "Meter id")),
    responses((status = 200, description = "The meter with its last reading", body = Meter), Errors),
    security(("bearer" = [])))]
pub async fn get_meter(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
) -> ApiResult<Response> {
    let m = s.app.get_meter(&ctx, id).await?;
    Ok(with_etag(StatusCode::OK, m.version, &m))
}

/// One meter reading, or a batch as `{"readings": [...]}` (all or nothing: a batch with one bad
/// reading stores none and names it); or a batch of signal readings
/// `{"readings": [{"signal_id", "time", "value"}, ...]}`, where each bad reading is counted by
/// reason and skipped.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ReadingInput {
    One(NewReading),
    Batch(ReadingBatch),
    Signals(crate::api::condition::SignalReadingBatch),
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadingBatch {
    pub readings: Vec<NewReading>,
}

#[utoipa::path(post, path = "/api/v1/readings", tag = "meters", request_body = ReadingInput,
    responses((status = 201, description = "The stored meter readings", body = Vec<Reading>),
              (status = 200, description = "A signal batch: readings accepted and rejected by reason, alarms and work raised", body = overhaul_app::signals::IngestReport),
              Errors),
    security(("bearer" = [])))]
pub async fn create_readings(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    body: Bytes,
) -> ApiResult<Response> {
    // A batch is recognised by its key, so that errors in a single reading name its field; a
    // batch whose readings name a signal goes to the signal pipeline.
    let parsed = serde_json::from_slice::<serde_json::Value>(&body).ok();
    let is_batch = parsed.as_ref().is_some_and(|v| v.get("readings").is_some());
    let is_signals = parsed
        .as_ref()
        .and_then(|v| v.get("readings"))
        .and_then(|r| r.as_array())
        .and_then(|a| a.first())
        .is_some_and(|r| r.get("signal_id").is_some());
    if is_signals {
        let b = parse_json::<crate::api::condition::SignalReadingBatch>(&body)?;
        return Ok(crate::api::condition::ingest(&s, &ctx, b)
            .await?
            .into_response());
    }
    let input = if is_batch {
        parse_json::<ReadingBatch>(&body)?.readings
    } else {
        vec![parse_json::<NewReading>(&body)?]
    };
    let out = s.app.record_readings(&ctx, input).await?;
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

#[utoipa::path(get, path = "/api/v1/readings", tag = "meters", params(ReadingQuery),
    responses((status = 200, description = "Readings of a meter, newest first", body = Page<Reading>), Errors),
    security(("bearer" = [])))]
pub async fn list_readings(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Q(q): Q<ReadingQuery>,
) -> ApiResult<Json<Page<Reading>>> {
    Ok(Json(s.app.list_readings(&ctx, q).await?))
}
