//! Meters and readings.

use crate::access::Action;
use crate::{App, AppError, AppResult, Ctx, Page, cursor, page_limit};
use chrono::{DateTime, Utc};
use overhaul_core::meter::{LastReading, MeterKind, check_reading};
use overhaul_core::validation::{Checks, Code, parse_line};
use overhaul_store::meter::{self, Meter, Reading};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMeter {
    pub asset_id: Uuid,
    pub code: String,
    pub name: String,
    pub kind: MeterKind,
    /// Unit of measure, e.g. `h`, `°C`, `mm/s`.
    pub unit: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReading {
    pub meter_id: Uuid,
    pub value: f64,
    /// When the value was read; default now.
    pub read_at: Option<DateTime<Utc>>,
    /// Default `api`.
    pub source: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReadingQuery {
    pub meter_id: Uuid,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

impl App {
    pub async fn create_meter(&self, ctx: &Ctx, input: NewMeter) -> AppResult<Meter> {
        let a = self
            .load_asset_ref(ctx, input.asset_id, Action::EditAssets)
            .await?;
        let mut c = Checks::new();
        let code = c.take("code", Code::parse(&input.code));
        let name = c.take("name", parse_line(&input.name, 200));
        let unit = c.take("unit", parse_line(&input.unit, 32));
        if a.status == "decommissioned" {
            c.push("asset_id", "the asset is decommissioned");
        }
        c.finish()?;
        let m = Meter {
            id: Uuid::now_v7(),
            asset_id: a.id,
            code: code.map(|c| c.into_inner()).unwrap_or_default(),
            name: name.unwrap_or_default(),
            kind: input.kind.as_str().to_owned(),
            unit: unit.unwrap_or_default(),
            last_value: None,
            last_read_at: None,
            version: 1,
            created_at: ctx.now,
        };
        let mut tx = ctx.begin(&self.db).await?;
        meter::insert(&mut tx, &m).await?;
        tx.commit().await?;
        Ok(m)
    }

    async fn load_meter(&self, ctx: &Ctx, id: Uuid, action: Action) -> AppResult<Meter> {
        let m = meter::get(&self.db, id)
            .await
            .map_err(crate::missing("meter"))?;
        self.load_asset(ctx, m.asset_id, action)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound("meter"),
                e => e,
            })?;
        Ok(m)
    }

    pub async fn get_meter(&self, ctx: &Ctx, id: Uuid) -> AppResult<Meter> {
        self.load_meter(ctx, id, Action::Read).await
    }

    pub async fn list_meters(&self, ctx: &Ctx, asset_id: Option<Uuid>) -> AppResult<Vec<Meter>> {
        if let Some(a) = asset_id {
            self.load_asset(ctx, a, Action::Read).await?;
        }
        let sites = ctx.actor.visible_sites();
        Ok(meter::list(&self.db, asset_id, sites.as_deref()).await?)
    }

    /// Records readings, all or none: a batch with one bad reading changes nothing and names it.
    pub async fn record_readings(
        &self,
        ctx: &Ctx,
        input: Vec<NewReading>,
    ) -> AppResult<Vec<Reading>> {
        if input.is_empty() {
            return Err(AppError::invalid("readings", "send at least one reading"));
        }
        if input.len() > 10_000 {
            return Err(AppError::invalid(
                "readings",
                "at most 10000 readings per request",
            ));
        }
        let field = |i: usize, f: &str| {
            if input.len() == 1 {
                f.to_owned()
            } else {
                format!("readings[{i}].{f}")
            }
        };
        // Access is checked for every meter before the transaction opens.
        let mut checked = std::collections::HashSet::new();
        for (i, r) in input.iter().enumerate() {
            if checked.insert(r.meter_id) {
                match self
                    .load_meter(ctx, r.meter_id, Action::RecordReadings)
                    .await
                {
                    Ok(_) => {}
                    Err(AppError::NotFound(_)) => {
                        return Err(AppError::invalid(&field(i, "meter_id"), "no such meter"));
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        let mut tx = ctx.begin(&self.db).await?;
        let mut out = Vec::with_capacity(input.len());
        for (i, r) in input.iter().enumerate() {
            let field = |f: &str| field(i, f);
            let m = meter::get_for_update(&mut tx, r.meter_id).await?;
            let kind = MeterKind::parse(&m.kind).map_err(AppError::Internal)?;
            let read_at = overhaul_core::time::micros(r.read_at.unwrap_or(ctx.now));
            if read_at > ctx.now + chrono::Duration::minutes(5) {
                return Err(AppError::invalid(
                    &field("read_at"),
                    "must not be in the future",
                ));
            }
            let last = match (m.last_value, m.last_read_at) {
                (Some(value), Some(read_at)) => Some(LastReading { value, read_at }),
                _ => None,
            };
            check_reading(kind, last, r.value, read_at)
                .map_err(|msg| AppError::invalid(&field("value"), msg))?;
            let source = match &r.source {
                Some(s) => Code::parse(s)
                    .map_err(|msg| AppError::invalid(&field("source"), msg))?
                    .into_inner(),
                None => "api".to_owned(),
            };
            let reading = Reading {
                id: Uuid::now_v7(),
                meter_id: m.id,
                read_at,
                value: r.value,
                source,
                created_by: ctx.actor.user_id(),
                created_at: ctx.now,
            };
            meter::insert_reading(&mut tx, &m, &reading).await?;
            out.push(reading);
        }
        tx.commit().await?;
        Ok(out)
    }

    pub async fn list_readings(&self, ctx: &Ctx, q: ReadingQuery) -> AppResult<Page<Reading>> {
        self.load_meter(ctx, q.meter_id, Action::Read).await?;
        let limit = page_limit(q.limit)?;
        let before = match &q.cursor {
            Some(c) => Some(cursor::decode_time(c).map_err(|m| AppError::invalid("cursor", m))?),
            None => None,
        };
        let mut items = meter::readings(&self.db, q.meter_id, before, limit + 1).await?;
        let next_cursor = if items.len() as u64 > limit {
            items.truncate(limit as usize);
            items.last().map(|r| cursor::encode_time(r.read_at, r.id))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }
}
