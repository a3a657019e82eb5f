//! Signals, their rules, and the reading pipeline: validate → store → roll up → evaluate rules →
//! alarms → work (see [`crate::alarms`] for the alarm side).

use crate::access::Action;
use crate::{App, AppError, AppResult, Ctx};
use chrono::{DateTime, Utc};
use overhaul_core::condition::Sample;
use overhaul_core::condition::reading::{RejectReason, check_reading};
use overhaul_core::condition::rule::{RuleParams, RuleState, Transition, evaluate};
use overhaul_core::condition::run_hours::{RunState, integrate};
use overhaul_core::condition::signal::{Scaling, SignalKind, SourceBinding};
use overhaul_core::condition::work::{WorkTemplate, template_errors};
use overhaul_core::meter::MeterKind;
use overhaul_core::validation::{Checks, parse_line};
use overhaul_core::work_order::Priority;
use overhaul_store::alarm::{self, AlarmRow};
use overhaul_store::meter;
use overhaul_store::reading::{self, Rollup, StoredReading};
use overhaul_store::signal::{self, Signal, SignalFilter, SignalRule, SignalSite};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSignal {
    pub asset_id: Uuid,
    /// Run signals: the counter meter (of the same asset) their run hours are added to.
    pub meter_id: Option<Uuid>,
    pub name: String,
    pub kind: SignalKind,
    /// Engineering unit, e.g. `mm/s`, `°C`; run signals: `h`.
    pub unit: String,
    /// Default 1.
    pub scale: Option<f64>,
    /// Default 0.
    pub offset: Option<f64>,
    pub source: SourceBinding,
    /// Run signals: a silence longer than this is not run time. Default 900 s.
    pub max_gap_s: Option<i64>,
    /// Default true.
    pub enabled: Option<bool>,
    #[serde(default)]
    pub rules: Vec<NewRule>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRule {
    pub name: String,
    /// Priority of the work request an activation raises; default `normal`.
    pub priority: Option<Priority>,
    pub params: RuleParams,
    /// Raise a work order from this template when the alarm activates, instead of a work
    /// request.
    pub work_order_template: Option<WorkTemplate>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalPatch {
    pub name: Option<String>,
    pub unit: Option<String>,
    pub scale: Option<f64>,
    pub offset: Option<f64>,
    pub source: Option<SourceBinding>,
    pub max_gap_s: Option<i64>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulePatch {
    pub name: Option<String>,
    pub priority: Option<Priority>,
    pub params: Option<RuleParams>,
    pub enabled: Option<bool>,
    /// A template to raise work orders from; `null` goes back to raising work requests.
    #[serde(default, deserialize_with = "crate::patch_field")]
    #[schema(value_type = Option<WorkTemplate>)]
    pub work_order_template: Option<Option<WorkTemplate>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RuleView {
    #[serde(flatten)]
    pub rule: SignalRule,
    pub params: RuleParams,
    /// The work order an activation raises; `null`: a work request.
    pub work_order_template: Option<WorkTemplate>,
    /// The alarm this rule drives.
    pub alarm_id: Uuid,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SignalView {
    #[serde(flatten)]
    pub signal: Signal,
    pub site_id: Uuid,
    pub source: SourceBinding,
    pub rules: Vec<RuleView>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SignalQuery {
    pub site_id: Option<Uuid>,
    pub asset_id: Option<Uuid>,
    /// `mqtt_json`, `sparkplug`, `opc_ua` or `http`.
    pub source_kind: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// Default 24 hours before `to`.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive; default now.
    pub to: Option<DateTime<Utc>>,
    /// Default 10000, at most 100000.
    pub limit: Option<u32>,
}

/// One reading as a connector or a client hands it over: the source's raw value (scaling is
/// applied here) at a reading time in epoch milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncomingReading {
    pub signal_id: Uuid,
    pub at_ms: i64,
    pub value: f64,
}

/// A reading that was not stored, and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Rejected {
    /// Position in the batch.
    pub index: usize,
    pub signal_id: Uuid,
    pub reason: RejectReason,
}

/// What became of a batch.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct IngestReport {
    pub received: usize,
    /// Passed the checks (stored now, or stored before: see `duplicates`).
    pub accepted: usize,
    /// Accepted but already stored (a redelivery); nothing changed for them.
    pub already_stored: u64,
    /// Rejected readings by reason.
    pub rejected: BTreeMap<String, usize>,
    /// The first 100 rejected readings.
    pub rejections: Vec<Rejected>,
    pub alarms_activated: usize,
    pub alarms_cleared: usize,
    /// Work requests raised by alarms in this batch.
    pub work_requests_created: Vec<Uuid>,
    /// Work orders raised from rule templates by alarms in this batch.
    pub work_orders_created: Vec<Uuid>,
    /// Occurrences added as notes to work that was still open.
    pub notes_added: usize,
    /// Run hours added to meters.
    pub run_hours_added: f64,
}

/// Per-signal evaluation state kept in memory between batches. Rebuilt from the database on a
/// miss (rule memory from the last stored readings, active flags from the alarms), and dropped
/// whenever the signal or its rules change.
#[derive(Debug, Default)]
pub struct ConditionCache {
    signals: HashMap<Uuid, SignalRuntime>,
}

impl ConditionCache {
    pub fn forget(&mut self, signal: Uuid) {
        self.signals.remove(&signal);
    }
}

#[derive(Debug)]
struct SignalRuntime {
    signal: Signal,
    site_id: Uuid,
    kind: SignalKind,
    scaling: Scaling,
    rules: Vec<RuleRuntime>,
    run: RunState,
}

#[derive(Debug)]
pub(crate) struct RuleRuntime {
    pub(crate) rule: SignalRule,
    pub(crate) params: RuleParams,
    state: RuleState,
}

/// Readings replayed to rebuild rule memory after a restart.
const REBUILD_READINGS: u64 = 2_000;
/// Largest batch accepted at once.
pub const MAX_BATCH: usize = 100_000;
const DEFAULT_MAX_GAP_S: i64 = 900;

/// A transition found while evaluating a batch, handled by the alarm side.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub(crate) signal: Signal,
    pub(crate) rule: SignalRule,
    pub(crate) params: RuleParams,
    pub(crate) transition: Transition,
}

fn check_max_gap(c: &mut Checks, v: Option<i64>) {
    if v.is_some_and(|g| !(1..=7 * 86_400).contains(&g)) {
        c.push("max_gap_s", "must be between 1 and 604800 seconds");
    }
}

fn rule_row(ctx: &Ctx, signal: Uuid, r: &NewRule, c: &mut Checks, i: usize) -> SignalRule {
    let name = c.take(&format!("rules[{i}].name"), parse_line(&r.name, 200));
    if let Err(inv) = r.params.check(&format!("rules[{i}].params")) {
        for e in inv.0 {
            c.push(e.field, e.message);
        }
    }
    if let Some(t) = &r.work_order_template {
        for e in template_errors(t, &format!("rules[{i}].work_order_template")) {
            c.push(e.field, e.message);
        }
    }
    SignalRule {
        id: Uuid::now_v7(),
        signal_id: signal,
        name: name.unwrap_or_default(),
        kind: r.params.kind().to_owned(),
        params: serde_json::to_string(&r.params).unwrap_or_default(),
        priority: r.priority.unwrap_or(Priority::Normal).as_str().to_owned(),
        enabled: true,
        version: 1,
        created_at: ctx.now,
        updated_at: ctx.now,
        work_template: r
            .work_order_template
            .as_ref()
            .and_then(|t| serde_json::to_string(t).ok()),
    }
}

fn new_alarm(ctx: &Ctx, rule: &SignalRule) -> AlarmRow {
    AlarmRow {
        id: Uuid::now_v7(),
        signal_id: rule.signal_id,
        rule_id: rule.id,
        state: "normal".into(),
        priority: rule.priority.clone(),
        activated_at: None,
        acknowledged_at: None,
        acknowledged_by: None,
        shelved_until: None,
        shelve_reason: None,
        suppressed: false,
        chattering: false,
        recent_activations: "[]".into(),
        activation_count: 0,
        work_request_id: None,
        first_reading_ms: None,
        last_reading_ms: None,
        last_value: None,
        version: 1,
        created_at: ctx.now,
        updated_at: ctx.now,
        work_order_id: None,
    }
}

fn parse_params(r: &SignalRule) -> AppResult<RuleParams> {
    serde_json::from_str(&r.params)
        .map_err(|e| AppError::Internal(format!("stored rule {}: {e}", r.id)))
}

pub(crate) fn parse_template(r: &SignalRule) -> AppResult<Option<WorkTemplate>> {
    r.work_template
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| AppError::Internal(format!("stored template of rule {}: {e}", r.id)))
}

fn ms_to_time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

const TEMPLATE_REVISION: &str = "work_order_template.procedure_revision_id";

impl App {
    /// A template's procedure revision must be one a new work order on the signal's asset could
    /// follow (published, the latest, of the asset's site).
    async fn check_template_revision(&self, s: &SignalSite, t: &WorkTemplate) -> AppResult<()> {
        if let Some(rev) = t.procedure_revision_id {
            self.check_attach_revision(TEMPLATE_REVISION, s.site_id, s.signal.asset_id, rev)
                .await?;
        }
        Ok(())
    }

    async fn check_run_meter(
        &self,
        c: &mut Checks,
        kind: SignalKind,
        asset_id: Uuid,
        meter_id: Option<Uuid>,
    ) -> AppResult<()> {
        match (kind, meter_id) {
            (SignalKind::Run, Some(m)) => match meter::get(&self.db, m).await {
                Ok(m) if m.asset_id != asset_id => {
                    c.push("meter_id", "the meter belongs to another asset")
                }
                Ok(m) if MeterKind::parse(&m.kind) != Ok(MeterKind::Counter) => {
                    c.push("meter_id", "run hours need a counter meter")
                }
                Ok(_) => {}
                Err(overhaul_store::StoreError::NotFound) => c.push("meter_id", "no such meter"),
                Err(e) => return Err(e.into()),
            },
            (_, Some(_)) => c.push("meter_id", "only run signals feed a meter"),
            _ => {}
        }
        Ok(())
    }

    pub async fn create_signal(&self, ctx: &Ctx, input: NewSignal) -> AppResult<SignalView> {
        let a = self
            .load_asset_ref(ctx, input.asset_id, Action::EditAssets)
            .await?;
        let mut c = Checks::new();
        let name = c.take("name", parse_line(&input.name, 200));
        let unit = c.take("unit", parse_line(&input.unit, 32));
        let scaling = Scaling {
            scale: input.scale.unwrap_or(1.0),
            offset: input.offset.unwrap_or(0.0),
        };
        scaling.check(&mut c);
        if let Err(inv) = input.source.check("source") {
            for e in inv.0 {
                c.push(e.field, e.message);
            }
        }
        check_max_gap(&mut c, input.max_gap_s);
        if a.status == "decommissioned" {
            c.push("asset_id", "the asset is decommissioned");
        }
        self.check_run_meter(&mut c, input.kind, a.id, input.meter_id)
            .await?;
        if input.rules.len() > 20 {
            c.push("rules", "at most 20 rules per signal");
        }
        let id = Uuid::now_v7();
        let rules: Vec<SignalRule> = input
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| rule_row(ctx, id, r, &mut c, i))
            .collect();
        let mut names = HashSet::new();
        for (i, r) in rules.iter().enumerate() {
            if !r.name.is_empty() && !names.insert(r.name.clone()) {
                c.push(format!("rules[{i}].name"), "two rules have this name");
            }
        }
        c.finish()?;
        for r in &input.rules {
            if let Some(t) = &r.work_order_template
                && let Some(rev) = t.procedure_revision_id
            {
                self.check_attach_revision(TEMPLATE_REVISION, a.site_id, a.id, rev)
                    .await?;
            }
        }
        let s = Signal {
            id,
            asset_id: a.id,
            meter_id: input.meter_id,
            name: name.unwrap_or_default(),
            kind: input.kind.as_str().to_owned(),
            unit: unit.unwrap_or_default(),
            scale: scaling.scale,
            value_offset: scaling.offset,
            source_kind: input.source.kind().to_owned(),
            source_key: input.source.key(),
            source: serde_json::to_string(&input.source)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            max_gap_s: input.max_gap_s.unwrap_or(DEFAULT_MAX_GAP_S),
            enabled: input.enabled.unwrap_or(true),
            version: 1,
            created_at: ctx.now,
            updated_at: ctx.now,
        };
        let mut tx = ctx.begin(&self.db).await?;
        signal::insert(&mut tx, &s).await?;
        for r in &rules {
            signal::insert_rule(&mut tx, r).await?;
            alarm::insert(&mut tx, &new_alarm(ctx, r)).await?;
        }
        tx.commit().await?;
        self.signal_view(SignalSite {
            signal: s,
            site_id: a.site_id,
        })
        .await
    }

    async fn signal_view(&self, s: SignalSite) -> AppResult<SignalView> {
        let rules = signal::rules_of(&self.db, &[s.signal.id]).await?;
        let alarms: HashMap<Uuid, Uuid> = alarm::of_signals(&self.db, &[s.signal.id])
            .await?
            .into_iter()
            .map(|a| (a.rule_id, a.id))
            .collect();
        let mut views = Vec::with_capacity(rules.len());
        for r in rules {
            views.push(RuleView {
                params: parse_params(&r)?,
                work_order_template: parse_template(&r)?,
                alarm_id: alarms.get(&r.id).copied().unwrap_or_default(),
                rule: r,
            });
        }
        let source = serde_json::from_str(&s.signal.source)
            .map_err(|e| AppError::Internal(format!("stored binding: {e}")))?;
        Ok(SignalView {
            source,
            site_id: s.site_id,
            signal: s.signal,
            rules: views,
        })
    }

    pub(crate) async fn load_signal(
        &self,
        ctx: &Ctx,
        id: Uuid,
        action: Action,
    ) -> AppResult<SignalSite> {
        let s = signal::get(&self.db, id)
            .await
            .map_err(crate::missing("signal"))?;
        ctx.actor.check(s.site_id, action, "signal")?;
        Ok(s)
    }

    pub async fn get_signal(&self, ctx: &Ctx, id: Uuid) -> AppResult<SignalView> {
        let s = self.load_signal(ctx, id, Action::Read).await?;
        self.signal_view(s).await
    }

    pub async fn list_signals(&self, ctx: &Ctx, q: SignalQuery) -> AppResult<Vec<SignalView>> {
        let f = SignalFilter {
            sites: ctx.actor.visible_sites(),
            site_id: q.site_id,
            asset_id: q.asset_id,
            source_kind: q.source_kind,
        };
        let mut out = Vec::new();
        for s in signal::list(&self.db, &f).await? {
            out.push(self.signal_view(s).await?);
        }
        Ok(out)
    }

    /// The signal a connector has a value for, by its binding key (see
    /// [`SourceBinding::key`]); `None` when no signal is bound to that source.
    pub async fn signal_by_source(&self, key: &str) -> AppResult<Option<Signal>> {
        Ok(signal::by_source_key(&self.db, key)
            .await?
            .map(|s| s.signal))
    }

    /// The one signal the actor can see with this name: `Err` (a reason) when there is none
    /// or several (names are unique per asset only).
    pub async fn signal_by_name(&self, ctx: &Ctx, name: &str) -> AppResult<Result<Uuid, String>> {
        let found: Vec<SignalSite> = signal::by_name(&self.db, name)
            .await?
            .into_iter()
            .filter(|s| ctx.actor.check(s.site_id, Action::Read, "signal").is_ok())
            .collect();
        Ok(match found.as_slice() {
            [one] => Ok(one.signal.id),
            [] => Err(format!("no signal is named '{name}'")),
            _ => Err(format!(
                "{} signals are named '{name}': use signal_id",
                found.len()
            )),
        })
    }

    pub async fn update_signal(
        &self,
        ctx: &Ctx,
        id: Uuid,
        if_version: Option<i64>,
        patch: SignalPatch,
    ) -> AppResult<SignalView> {
        let old = self.load_signal(ctx, id, Action::EditAssets).await?;
        if if_version.is_some_and(|v| v != old.signal.version) {
            return Err(AppError::Stale);
        }
        let mut new = old.signal.clone();
        let mut c = Checks::new();
        if let Some(n) = &patch.name {
            new.name = c.take("name", parse_line(n, 200)).unwrap_or_default();
        }
        if let Some(u) = &patch.unit {
            new.unit = c.take("unit", parse_line(u, 32)).unwrap_or_default();
        }
        let scaling = Scaling {
            scale: patch.scale.unwrap_or(new.scale),
            offset: patch.offset.unwrap_or(new.value_offset),
        };
        scaling.check(&mut c);
        new.scale = scaling.scale;
        new.value_offset = scaling.offset;
        if let Some(b) = &patch.source {
            if let Err(inv) = b.check("source") {
                for e in inv.0 {
                    c.push(e.field, e.message);
                }
            }
            new.source_kind = b.kind().to_owned();
            new.source_key = b.key();
            new.source = serde_json::to_string(b).map_err(|e| AppError::Internal(e.to_string()))?;
        }
        check_max_gap(&mut c, patch.max_gap_s);
        if let Some(g) = patch.max_gap_s {
            new.max_gap_s = g;
        }
        if let Some(e) = patch.enabled {
            new.enabled = e;
        }
        c.finish()?;
        new.version += 1;
        new.updated_at = ctx.now;
        let mut tx = ctx.begin(&self.db).await?;
        signal::update(&mut tx, &old.signal, &new).await?;
        tx.commit().await?;
        self.condition.lock().await.forget(id);
        self.signal_view(SignalSite {
            signal: new,
            site_id: old.site_id,
        })
        .await
    }

    pub async fn add_rule(
        &self,
        ctx: &Ctx,
        signal_id: Uuid,
        input: NewRule,
    ) -> AppResult<RuleView> {
        let s = self.load_signal(ctx, signal_id, Action::EditAssets).await?;
        let existing = signal::rules_of(&self.db, &[s.signal.id]).await?;
        let mut c = Checks::new();
        let mut r = rule_row(ctx, s.signal.id, &input, &mut c, 0);
        // a single rule's fields are named without the list prefix
        let mut c2 = Checks::new();
        if let Err(e) = c.finish() {
            for f in e.0 {
                c2.push(f.field.replacen("rules[0].", "", 1), f.message);
            }
        }
        if existing.iter().any(|e| e.name == r.name) {
            c2.push("name", "this signal already has a rule with this name");
        }
        if existing.len() >= 20 {
            c2.push("name", "at most 20 rules per signal");
        }
        c2.finish()?;
        if let Some(t) = &input.work_order_template {
            self.check_template_revision(&s, t).await?;
        }
        r.signal_id = s.signal.id;
        let a = new_alarm(ctx, &r);
        let mut tx = ctx.begin(&self.db).await?;
        signal::insert_rule(&mut tx, &r).await?;
        alarm::insert(&mut tx, &a).await?;
        tx.commit().await?;
        self.condition.lock().await.forget(s.signal.id);
        Ok(RuleView {
            params: input.params,
            work_order_template: input.work_order_template,
            alarm_id: a.id,
            rule: r,
        })
    }

    pub async fn update_rule(
        &self,
        ctx: &Ctx,
        signal_id: Uuid,
        rule_id: Uuid,
        if_version: Option<i64>,
        patch: RulePatch,
    ) -> AppResult<RuleView> {
        let s = self.load_signal(ctx, signal_id, Action::EditAssets).await?;
        let old = signal::get_rule(&self.db, rule_id)
            .await
            .map_err(crate::missing("rule"))?;
        if old.signal_id != s.signal.id {
            return Err(AppError::NotFound("rule"));
        }
        if if_version.is_some_and(|v| v != old.version) {
            return Err(AppError::Stale);
        }
        let mut new = old.clone();
        let mut c = Checks::new();
        if let Some(n) = &patch.name {
            new.name = c.take("name", parse_line(n, 200)).unwrap_or_default();
        }
        if let Some(p) = patch.priority {
            new.priority = p.as_str().to_owned();
        }
        if let Some(p) = &patch.params {
            if let Err(inv) = p.check("params") {
                for e in inv.0 {
                    c.push(e.field, e.message);
                }
            }
            new.kind = p.kind().to_owned();
            new.params = serde_json::to_string(p).map_err(|e| AppError::Internal(e.to_string()))?;
        }
        if let Some(e) = patch.enabled {
            new.enabled = e;
        }
        if let Some(t) = &patch.work_order_template {
            if let Some(t) = t {
                for e in template_errors(t, "work_order_template") {
                    c.push(e.field, e.message);
                }
            }
            new.work_template = t.as_ref().and_then(|t| serde_json::to_string(t).ok());
        }
        c.finish()?;
        if let Some(Some(t)) = &patch.work_order_template {
            self.check_template_revision(&s, t).await?;
        }
        new.version += 1;
        new.updated_at = ctx.now;
        let mut tx = ctx.begin(&self.db).await?;
        signal::update_rule(&mut tx, &old, &new).await?;
        tx.commit().await?;
        self.condition.lock().await.forget(s.signal.id);
        let alarm_id = alarm::of_signals(&self.db, &[s.signal.id])
            .await?
            .into_iter()
            .find(|a| a.rule_id == new.id)
            .map(|a| a.id)
            .unwrap_or_default();
        Ok(RuleView {
            params: parse_params(&new)?,
            work_order_template: parse_template(&new)?,
            alarm_id,
            rule: new,
        })
    }

    fn range(ctx: &Ctx, q: &RangeQuery) -> AppResult<(i64, i64, u64)> {
        let to = q.to.unwrap_or(ctx.now);
        let from = q.from.unwrap_or(to - chrono::Duration::hours(24));
        if from > to {
            return Err(AppError::invalid("from", "must not be after 'to'"));
        }
        let limit = match q.limit {
            None => 10_000,
            Some(n) if (1..=100_000).contains(&n) => u64::from(n),
            Some(_) => return Err(AppError::invalid("limit", "must be between 1 and 100000")),
        };
        Ok((from.timestamp_millis(), to.timestamp_millis(), limit))
    }

    /// Raw readings of a signal, oldest first.
    pub async fn signal_readings(
        &self,
        ctx: &Ctx,
        id: Uuid,
        q: RangeQuery,
    ) -> AppResult<Vec<StoredReading>> {
        self.load_signal(ctx, id, Action::Read).await?;
        let (from, to, limit) = Self::range(ctx, &q)?;
        Ok(reading::range(&self.db, id, from, to, limit).await?)
    }

    /// Hourly rollups of a signal, oldest first.
    pub async fn signal_rollups(
        &self,
        ctx: &Ctx,
        id: Uuid,
        q: RangeQuery,
    ) -> AppResult<Vec<Rollup>> {
        self.load_signal(ctx, id, Action::Read).await?;
        let (from, to, limit) = Self::range(ctx, &q)?;
        Ok(reading::rollups(&self.db, id, from, to, limit).await?)
    }

    /// Deletes raw readings older than `retention` (whole hours; rollups are kept), an hour of
    /// data per transaction so that writers are never held up for long. Returns the rows
    /// deleted.
    pub async fn prune_readings(&self, ctx: &Ctx, retention: chrono::Duration) -> AppResult<u64> {
        ctx.actor.check_global(Action::EditAssets)?;
        let hour = overhaul_store::dialect::HOUR_MS;
        let cutoff = (ctx.now - retention).timestamp_millis().div_euclid(hour) * hour;
        let mut total = 0;
        while let Some(oldest) = reading::oldest_before(&self.db, cutoff).await? {
            let upto = (oldest.div_euclid(hour) * hour + hour).min(cutoff);
            let mut tx = ctx.begin(&self.db).await?;
            total += reading::delete_before(&mut tx, upto).await?;
            tx.commit().await?;
        }
        Ok(total)
    }

    /// Recomputes the hourly rollups of `[from, to)` from the raw readings (after an import
    /// into the past, or to repair them).
    pub async fn rebuild_rollups(
        &self,
        ctx: &Ctx,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> AppResult<u64> {
        ctx.actor.check_global(Action::EditAssets)?;
        let mut tx = ctx.begin(&self.db).await?;
        let n = overhaul_store::dialect::rebuild_rollups(
            &mut tx,
            None,
            from.timestamp_millis(),
            to.timestamp_millis(),
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Loads the evaluation state of signals missing from the cache.
    async fn load_runtimes(&self, cache: &mut ConditionCache, ids: &[Uuid]) -> AppResult<()> {
        let missing: Vec<Uuid> = ids
            .iter()
            .copied()
            .filter(|id| !cache.signals.contains_key(id))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let signals = signal::get_many(&self.db, &missing).await?;
        let ids: Vec<Uuid> = signals.iter().map(|s| s.signal.id).collect();
        let rules = signal::rules_of(&self.db, &ids).await?;
        let active: HashMap<Uuid, bool> = alarm::of_signals(&self.db, &ids)
            .await?
            .into_iter()
            .map(|a| {
                let on = overhaul_core::condition::alarm::AlarmState::parse(&a.state)
                    .is_ok_and(|s| s.is_active());
                (a.rule_id, on)
            })
            .collect();
        for s in signals {
            let kind = SignalKind::parse(&s.signal.kind).map_err(AppError::Internal)?;
            let history: Vec<Sample> = reading::latest(&self.db, s.signal.id, REBUILD_READINGS)
                .await?
                .into_iter()
                .map(|r| Sample::new(r.ts_ms, r.value))
                .collect();
            let mut rts = Vec::new();
            for r in rules.iter().filter(|r| r.signal_id == s.signal.id) {
                let params = parse_params(r)?;
                let state = RuleState::rebuild(
                    &params,
                    &history,
                    active.get(&r.id).copied().unwrap_or(false),
                );
                rts.push(RuleRuntime {
                    rule: r.clone(),
                    params,
                    state,
                });
            }
            let run = RunState {
                last: history.last().map(|r| (r.at_ms, r.value == 1.0)),
            };
            cache.signals.insert(
                s.signal.id,
                SignalRuntime {
                    scaling: Scaling {
                        scale: s.signal.scale,
                        offset: s.signal.value_offset,
                    },
                    site_id: s.site_id,
                    kind,
                    rules: rts,
                    run,
                    signal: s.signal,
                },
            );
        }
        Ok(())
    }

    /// Takes a batch of readings: checks each one (a bad reading is counted by reason and
    /// skipped, never failing the batch), stores the good ones with their hourly rollups in one
    /// transaction, adds run hours to the bound meters, evaluates the rules and hands every
    /// alarm transition to the alarm side (which raises or enriches work as the system).
    pub async fn ingest_readings(
        &self,
        ctx: &Ctx,
        batch: &[IncomingReading],
    ) -> AppResult<IngestReport> {
        if batch.len() > MAX_BATCH {
            return Err(AppError::invalid(
                "readings",
                format!("at most {MAX_BATCH} readings per batch"),
            ));
        }
        let mut report = IngestReport {
            received: batch.len(),
            ..IngestReport::default()
        };
        if batch.is_empty() {
            return Ok(report);
        }
        let now_ms = ctx.now.timestamp_millis();
        let retention_ms = self.readings_retention.num_milliseconds();
        // One batch at a time: rule state is evaluated in reading order per signal.
        let mut cache = self.condition.lock().await;
        let mut ids: Vec<Uuid> = batch.iter().map(|r| r.signal_id).collect();
        ids.sort_unstable();
        ids.dedup();
        self.load_runtimes(&mut cache, &ids).await?;
        // Access: a signal the caller cannot see is unknown; one it sees but may not feed
        // refuses the whole batch (that is not a bad reading but a wrong credential).
        let mut visible: HashSet<Uuid> = HashSet::new();
        for id in &ids {
            if let Some(rt) = cache.signals.get(id) {
                match ctx
                    .actor
                    .check(rt.site_id, Action::RecordReadings, "signal")
                {
                    Ok(()) => {
                        visible.insert(*id);
                    }
                    Err(AppError::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        let reject = |report: &mut IngestReport, index: usize, r: &IncomingReading, why| {
            *report
                .rejected
                .entry(RejectReason::as_str(why).to_owned())
                .or_default() += 1;
            if report.rejections.len() < 100 {
                report.rejections.push(Rejected {
                    index,
                    signal_id: r.signal_id,
                    reason: why,
                });
            }
        };
        let mut good: Vec<(Uuid, i64, f64)> = Vec::with_capacity(batch.len());
        let mut index_of: Vec<usize> = Vec::with_capacity(batch.len());
        for (i, r) in batch.iter().enumerate() {
            let Some(rt) = cache
                .signals
                .get(&r.signal_id)
                .filter(|_| visible.contains(&r.signal_id))
            else {
                reject(&mut report, i, r, RejectReason::UnknownSignal);
                continue;
            };
            if !rt.signal.enabled {
                reject(&mut report, i, r, RejectReason::SignalDisabled);
                continue;
            }
            let value = rt.scaling.apply(r.value);
            match check_reading(rt.kind, r.at_ms, value, now_ms, retention_ms) {
                Ok(()) => {
                    good.push((r.signal_id, r.at_ms, value));
                    index_of.push(i);
                }
                Err(why) => reject(&mut report, i, r, why),
            }
        }
        // Reading order per signal; the same signal and time twice in one batch keeps the first.
        let mut order: Vec<usize> = (0..good.len()).collect();
        order.sort_by_key(|&k| (good[k].0, good[k].1, k));
        let mut rows: Vec<(Uuid, i64, f64)> = Vec::with_capacity(good.len());
        for k in order {
            if rows
                .last()
                .is_some_and(|l| l.0 == good[k].0 && l.1 == good[k].1)
            {
                let i = index_of[k];
                reject(&mut report, i, &batch[i], RejectReason::Duplicate);
                continue;
            }
            rows.push(good[k]);
        }
        report.accepted = rows.len();
        if rows.is_empty() {
            return Ok(report);
        }

        // Evaluate in memory. On any failure below, the touched signals are dropped from the
        // cache and rebuilt from what the database holds.
        let touched: Vec<Uuid> = {
            let mut t: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
            t.dedup();
            t
        };
        let mut found: Vec<Found> = Vec::new();
        let mut run_ms: HashMap<Uuid, (i64, i64)> = HashMap::new();
        for (s, t, v) in &rows {
            let Some(rt) = cache.signals.get_mut(s) else {
                continue;
            };
            if rt.kind == SignalKind::Run {
                let gap = rt.signal.max_gap_s.saturating_mul(1000);
                let (next, add) = integrate(rt.run, *t, *v == 1.0, gap);
                rt.run = next;
                if rt.signal.meter_id.is_some() && add > 0 {
                    let e = run_ms.entry(*s).or_insert((0, *t));
                    e.0 += add;
                    e.1 = *t;
                }
            }
            for rr in rt.rules.iter_mut().filter(|r| r.rule.enabled) {
                let (next, tr) = evaluate(&rr.state, Sample::new(*t, *v), &rr.params);
                rr.state = next;
                if let Some(tr) = tr {
                    found.push(Found {
                        signal: rt.signal.clone(),
                        rule: rr.rule.clone(),
                        params: rr.params.clone(),
                        transition: tr,
                    });
                }
            }
        }

        let stored = async {
            let mut tx = ctx.begin(&self.db).await?;
            let n = reading::store(&mut tx, &rows).await?;
            for (s, (ms, last_t)) in &run_ms {
                let Some(meter_id) = cache.signals.get(s).and_then(|rt| rt.signal.meter_id) else {
                    continue;
                };
                let m = meter::get_for_update(&mut tx, meter_id).await?;
                let hours = *ms as f64 / 3_600_000.0;
                let r = meter::Reading {
                    id: Uuid::now_v7(),
                    meter_id,
                    read_at: overhaul_core::time::micros(ms_to_time(*last_t)),
                    value: m.last_value.unwrap_or(0.0) + hours,
                    source: "signal".into(),
                    created_by: ctx.actor.user_id(),
                    created_at: ctx.now,
                };
                meter::insert_reading(&mut tx, &m, &r).await?;
                report.run_hours_added += hours;
            }
            tx.commit().await?;
            Ok::<u64, AppError>(n)
        }
        .await;
        let stored = match stored {
            Ok(n) => n,
            Err(e) => {
                for s in &touched {
                    cache.forget(*s);
                }
                return Err(e);
            }
        };
        report.already_stored = rows.len() as u64 - stored;
        if !found.is_empty()
            && let Err(e) = self.handle_transitions(ctx, &found, &mut report).await
        {
            for s in &touched {
                cache.forget(*s);
            }
            return Err(e);
        }
        Ok(report)
    }
}

/// The spans a trend can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub enum TrendRange {
    #[serde(rename = "1h")]
    Hour,
    #[default]
    #[serde(rename = "24h")]
    Day,
    #[serde(rename = "7d")]
    Week,
    #[serde(rename = "30d")]
    Month,
    #[serde(rename = "1y")]
    Year,
}

impl TrendRange {
    pub const ALL: [TrendRange; 5] = [
        TrendRange::Hour,
        TrendRange::Day,
        TrendRange::Week,
        TrendRange::Month,
        TrendRange::Year,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TrendRange::Hour => "1h",
            TrendRange::Day => "24h",
            TrendRange::Week => "7d",
            TrendRange::Month => "30d",
            TrendRange::Year => "1y",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn duration(self) -> chrono::Duration {
        match self {
            TrendRange::Hour => chrono::Duration::hours(1),
            TrendRange::Day => chrono::Duration::hours(24),
            TrendRange::Week => chrono::Duration::days(7),
            TrendRange::Month => chrono::Duration::days(30),
            TrendRange::Year => chrono::Duration::days(365),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrendQuery {
    /// `1h`, `24h` (default), `7d`, `30d` or `1y`, ending at `to`.
    pub range: Option<TrendRange>,
    /// End of the span (exclusive); default now.
    pub to: Option<DateTime<Utc>>,
}

/// One point of a trend: a raw reading (min = max = avg) or an hour's rollup.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TrendPoint {
    /// Reading time, or start of the hour (epoch ms).
    pub t_ms: i64,
    pub min: f64,
    pub max: f64,
    pub avg: f64,
    pub count: i64,
}

/// A fixed alarm limit of the signal, drawn across the trend.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TrendLimit {
    pub rule: String,
    /// `hh`, `h`, `l` or `ll`.
    pub level: String,
    pub value: f64,
    pub enabled: bool,
}

/// A signal's values over a span, at the resolution that span needs.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Trend {
    pub signal_id: Uuid,
    pub name: String,
    pub unit: String,
    pub range: TrendRange,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// `raw` (each reading) or `hour` (hourly min/max/avg from the rollups).
    pub resolution: String,
    pub points: Vec<TrendPoint>,
    pub limits: Vec<TrendLimit>,
}

/// Raw readings beyond this many in a span are shown as hourly rollups instead.
pub const TREND_RAW_MAX: u64 = 20_000;

impl App {
    /// A signal's trend: raw readings for spans up to a day (unless there are more than
    /// [`TREND_RAW_MAX`]), hourly rollups for longer ones; with the fixed threshold limits.
    pub async fn signal_trend(&self, ctx: &Ctx, id: Uuid, q: TrendQuery) -> AppResult<Trend> {
        let s = self.load_signal(ctx, id, Action::Read).await?;
        let range = q.range.unwrap_or_default();
        let to = q.to.unwrap_or(ctx.now);
        let from = to - range.duration();
        let (f, t) = (from.timestamp_millis(), to.timestamp_millis());
        let mut raw = None;
        if matches!(range, TrendRange::Hour | TrendRange::Day) {
            let rows = reading::range(&self.db, id, f, t, TREND_RAW_MAX + 1).await?;
            if rows.len() as u64 <= TREND_RAW_MAX {
                raw = Some(rows);
            }
        }
        let (resolution, points) = match raw {
            Some(rows) => (
                "raw",
                rows.into_iter()
                    .map(|r| TrendPoint {
                        t_ms: r.ts_ms,
                        min: r.value,
                        max: r.value,
                        avg: r.value,
                        count: 1,
                    })
                    .collect(),
            ),
            None => {
                // Rollups are keyed by the start of their hour: include the hour `from` falls in.
                let start = f.div_euclid(3_600_000) * 3_600_000;
                let rows = reading::rollups(&self.db, id, start, t, 10_000).await?;
                (
                    "hour",
                    rows.into_iter()
                        .filter(|r| r.count_value > 0)
                        .map(|r| TrendPoint {
                            t_ms: r.hour_ms,
                            min: r.min_value,
                            max: r.max_value,
                            avg: r.sum_value / r.count_value as f64,
                            count: r.count_value,
                        })
                        .collect(),
                )
            }
        };
        let mut limits = Vec::new();
        for r in signal::rules_of(&self.db, &[id]).await? {
            if let RuleParams::Threshold { level, limit, .. } = parse_params(&r)? {
                limits.push(TrendLimit {
                    rule: r.name.clone(),
                    level: level.as_str().to_owned(),
                    value: limit,
                    enabled: r.enabled,
                });
            }
        }
        Ok(Trend {
            signal_id: id,
            name: s.signal.name,
            unit: s.signal.unit,
            range,
            from,
            to,
            resolution: resolution.to_owned(),
            points,
            limits,
        })
    }
}

impl App {
    /// The newest reading of a signal, if any.
    pub async fn latest_reading(&self, ctx: &Ctx, id: Uuid) -> AppResult<Option<StoredReading>> {
        self.load_signal(ctx, id, Action::Read).await?;
        Ok(reading::latest(&self.db, id, 1).await?.into_iter().last())
    }
}
