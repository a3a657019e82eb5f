//! Alarms: ISA-18.2 states driven by rule transitions, operator commands (acknowledge, shelve,
//! unshelve), and the link to maintenance work — an alarm raises one work request and, while
//! that work is open, further activations are added to it as notes instead of new work.

use crate::access::Action;
use crate::signals::{Found, IngestReport};
use crate::{App, AppError, AppResult, Ctx};
use chrono::{DateTime, Utc};
use overhaul_core::condition::alarm::{
    Alarm, AlarmEventKind, AlarmState, ChatterPolicy, Command, Env, Outcome, WorkEffect, apply,
};
use overhaul_core::condition::rule::{RuleParams, Transition};
use overhaul_core::condition::work::{
    EarlierWork, OpenWork, WorkDecision, WorkTemplate, decide_work, open_work,
};
use overhaul_core::validation::parse_line;
use overhaul_core::work_order::{WorkOrderStatus, WorkRequestStatus};
use overhaul_store::Tx;
use overhaul_store::alarm::{self, AlarmEvent, AlarmFilter, AlarmListItem, AlarmRow};
use overhaul_store::signal::{Signal, SignalRule};
use overhaul_store::work_order::{self, Comment};
use overhaul_store::work_request::{self, WorkRequest};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

/// The actor alarms raise and annotate work as.
pub const SYSTEM_ACTOR: &str = "condition-monitoring";

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlarmQuery {
    /// Only alarms that are not `normal`.
    pub active: Option<bool>,
    pub site_id: Option<Uuid>,
    pub asset_id: Option<Uuid>,
    pub signal_id: Option<Uuid>,
    /// Default 100, at most 1000.
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShelveAlarm {
    /// Until when (at most 7 days ahead); the alarm unshelves itself then.
    pub until: DateTime<Utc>,
    pub reason: String,
}

fn core_alarm(a: &AlarmRow) -> AppResult<Alarm> {
    Ok(Alarm {
        state: AlarmState::parse(&a.state).map_err(AppError::Internal)?,
        shelved_until: a.shelved_until,
        suppressed: a.suppressed,
        chattering: a.chattering,
        recent_activations: serde_json::from_str(&a.recent_activations)
            .map_err(|e| AppError::Internal(format!("stored alarm {}: {e}", a.id)))?,
        activation_count: a.activation_count,
    })
}

fn with_core(old: &AlarmRow, a: &Alarm, now: DateTime<Utc>) -> AlarmRow {
    let mut n = old.clone();
    n.state = a.state.as_str().to_owned();
    n.shelved_until = a.shelved_until;
    if a.shelved_until.is_none() {
        n.shelve_reason = None;
    }
    n.suppressed = a.suppressed;
    n.chattering = a.chattering;
    n.recent_activations =
        serde_json::to_string(&a.recent_activations).unwrap_or_else(|_| "[]".into());
    n.activation_count = a.activation_count;
    n.version += 1;
    n.updated_at = now;
    n
}

fn events(
    ctx: &Ctx,
    old: &AlarmRow,
    o: &Outcome,
    reading: Option<(i64, f64)>,
    note: Option<String>,
) -> Vec<AlarmEvent> {
    let actor = ctx.actor.audit_ref();
    o.events
        .iter()
        .map(|k| AlarmEvent {
            id: Uuid::now_v7(),
            alarm_id: old.id,
            at: ctx.now,
            kind: k.as_str().to_owned(),
            from_state: old.state.clone(),
            to_state: o.alarm.state.as_str().to_owned(),
            reading_ms: reading.map(|r| r.0),
            value: reading.map(|r| r.1),
            actor_id: actor.id,
            actor_name: actor.name.clone(),
            note: note.clone(),
        })
        .collect()
}

fn describe(p: &RuleParams, unit: &str) -> String {
    match p {
        RuleParams::Threshold {
            level,
            limit,
            deadband,
            ..
        } => format!(
            "{} limit {limit} {unit} (deadband {deadband})",
            level.as_str().to_uppercase()
        ),
        RuleParams::RateOfChange {
            max_per_minute,
            window_s,
            ..
        } => format!("rate of change above {max_per_minute} {unit}/min over {window_s} s"),
        RuleParams::Drift { k, alpha, .. } => {
            format!("drift beyond {k} σ of the rolling baseline (EWMA α = {alpha})")
        }
    }
}

fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn time_text(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(overhaul_core::time::canonical)
        .unwrap_or_default()
}

/// The work an alarm raised earlier, loaded in the transaction: its own work order, its work
/// request, and the work order that request became.
struct Earlier {
    order: Option<work_order::WorkOrder>,
    request: Option<WorkRequest>,
    converted: Option<work_order::WorkOrder>,
}

async fn earlier_work(tx: &mut Tx, a: &AlarmRow) -> AppResult<Earlier> {
    let order = match a.work_order_id {
        Some(id) => Some(work_order::get_tx(tx, id).await?),
        None => None,
    };
    let request = match a.work_request_id {
        Some(id) => Some(work_request::get_tx(tx, id).await?),
        None => None,
    };
    let converted = match request.as_ref().and_then(|r| r.work_order_id) {
        Some(id) => Some(work_order::get_tx(tx, id).await?),
        None => None,
    };
    Ok(Earlier {
        order,
        request,
        converted,
    })
}

fn wo_status(w: &work_order::WorkOrder) -> AppResult<WorkOrderStatus> {
    WorkOrderStatus::parse(&w.status).map_err(AppError::Internal)
}

impl Earlier {
    fn state(&self) -> AppResult<EarlierWork> {
        let request = match &self.request {
            Some(r) => Some((
                WorkRequestStatus::parse(&r.status).map_err(AppError::Internal)?,
                self.converted.as_ref().map(wo_status).transpose()?,
            )),
            None => None,
        };
        Ok(EarlierWork {
            order: self.order.as_ref().map(wo_status).transpose()?,
            request,
        })
    }
}

impl App {
    /// Applies the transitions found in a batch, as the system, in one transaction.
    pub(crate) async fn handle_transitions(
        &self,
        ctx: &Ctx,
        found: &[Found],
        report: &mut IngestReport,
    ) -> AppResult<()> {
        let sys = Ctx::system(SYSTEM_ACTOR, ctx.now);
        let mut tx = sys.begin(&self.db).await?;
        let mut asset_down: HashMap<Uuid, bool> = HashMap::new();
        for f in found {
            let old = alarm::for_rule_for_update(&mut tx, f.rule.id).await?;
            let (cmd, sample) = match f.transition {
                Transition::Activated(s) => (Command::Activate { at_ms: s.at_ms }, s),
                Transition::Cleared(s) => (Command::Clear { at_ms: s.at_ms }, s),
            };
            let down = match asset_down.get(&f.signal.asset_id) {
                Some(d) => *d,
                None => {
                    let a = overhaul_store::asset::get_tx(&mut tx, f.signal.asset_id).await?;
                    let d = a.status == overhaul_core::asset::AssetStatus::DownPlanned.as_str();
                    asset_down.insert(f.signal.asset_id, d);
                    d
                }
            };
            let env = Env {
                now: sys.now,
                suppressed_by_design: down,
                chatter: ChatterPolicy::default(),
            };
            let o =
                apply(&core_alarm(&old)?, &cmd, &env).map_err(|e| AppError::rule(e.to_string()))?;
            if o.events.is_empty() {
                continue;
            }
            let mut new = with_core(&old, &o.alarm, sys.now);
            new.last_reading_ms = Some(sample.at_ms);
            new.last_value = Some(sample.value);
            let mut note = None;
            let action = if o.events.contains(&AlarmEventKind::Activated) {
                report.alarms_activated += 1;
                new.activated_at = Some(sys.now);
                new.acknowledged_at = None;
                new.acknowledged_by = None;
                if o.work != WorkEffect::None {
                    note = Some(
                        self.raise_or_note(
                            &sys, &mut tx, f, &old, &mut new, o.work, sample, report,
                        )
                        .await?,
                    );
                } else if o.alarm.suppressed {
                    note = Some("suppressed: the asset is down for planned maintenance".into());
                } else if o.alarm.shelved_until.is_some() {
                    note = Some("shelved: no work raised".into());
                } else if o.alarm.chattering {
                    note = Some("chattering: no new work".into());
                }
                "activate"
            } else if o.events.contains(&AlarmEventKind::Cleared) {
                report.alarms_cleared += 1;
                "clear"
            } else {
                "shelf_expired"
            };
            let evs = events(&sys, &old, &o, Some((sample.at_ms, sample.value)), note);
            alarm::update(&mut tx, &old, &new, action, &evs, None).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Raises a work request for an activation, or adds it to the alarm's open work. Returns
    /// the note kept in the alarm's history.
    #[allow(clippy::too_many_arguments)]
    async fn raise_or_note(
        &self,
        sys: &Ctx,
        tx: &mut Tx,
        f: &Found,
        old: &AlarmRow,
        new: &mut AlarmRow,
        effect: WorkEffect,
        sample: overhaul_core::condition::Sample,
        report: &mut IngestReport,
    ) -> AppResult<String> {
        let s: &Signal = &f.signal;
        let r: &SignalRule = &f.rule;
        let when = time_text(sample.at_ms);
        let what = match effect {
            WorkEffect::FlagChattering => format!(
                "chattering instrument: {} activations within {} s (ISO 14224 failure mode AIR)",
                new.recent_activations.matches(',').count() + 1,
                ChatterPolicy::default().window_ms / 1000
            ),
            _ => format!("{} {} at {when}", sample.value, s.unit),
        };
        let earlier = earlier_work(tx, old).await?;
        let open = open_work(earlier.state()?);
        let template: Option<WorkTemplate> = crate::signals::parse_template(r)?;
        let order_note = |wo: &work_order::WorkOrder| Comment {
            id: Uuid::now_v7(),
            work_order_id: wo.id,
            author_id: None,
            body: format!(
                "Alarm \"{}\" on signal \"{}\" active again (activation {}): {what}. Reading {} ms of signal {}; alarm {}.",
                r.name, s.name, new.activation_count, sample.at_ms, s.id, old.id
            ),
            created_at: sys.now,
        };
        match decide_work(effect, open, template.is_some()) {
            WorkDecision::Nothing => Ok(String::new()),
            WorkDecision::NoteRequest => {
                let Some(req) = earlier.request else {
                    return Err(AppError::Internal("open request vanished".into()));
                };
                let line = format!(
                    "\n[{}] alarm \"{}\" active again (activation {}): {what}; reading {} ms of signal {}.",
                    overhaul_core::time::canonical(sys.now),
                    r.name,
                    new.activation_count,
                    sample.at_ms,
                    s.id
                );
                // Descriptions are bounded; past the bound the alarm history keeps the count.
                if req.description.chars().count() + line.chars().count() <= 20_000 {
                    let mut n = req.clone();
                    n.description.push_str(&line);
                    n.version += 1;
                    n.updated_at = sys.now;
                    work_request::update(tx, &req, &n, "alarm_note", None).await?;
                }
                report.notes_added += 1;
                Ok(format!("added to open work request {}", req.number))
            }
            WorkDecision::NoteOrder => {
                let wo = match open {
                    OpenWork::Order => earlier.order,
                    _ => earlier.converted,
                };
                let Some(wo) = wo else {
                    return Err(AppError::Internal("open work order vanished".into()));
                };
                work_order::insert_comment(tx, &order_note(&wo)).await?;
                report.notes_added += 1;
                Ok(format!("added to open work order {}", wo.number))
            }
            WorkDecision::RaiseOrderFromTemplate => {
                let Some(t) = template else {
                    return Err(AppError::Internal("template vanished".into()));
                };
                let a = overhaul_store::asset::get_tx(tx, s.asset_id).await?;
                let description = format!(
                    "{}Raised by alarm {} (rule \"{}\": {}) on signal \"{}\" ({}).\n\
                     Activated by the reading at {when} ({} ms): {what}.\n\
                     Readings: GET /api/v1/signals/{}/readings?from={}",
                    t.instructions(),
                    old.id,
                    r.name,
                    describe(&f.params, &s.unit),
                    s.name,
                    s.id,
                    sample.at_ms,
                    s.id,
                    time_text(sample.at_ms - 3_600_000),
                );
                let w = work_order::WorkOrder {
                    id: Uuid::now_v7(),
                    site_id: a.site_id,
                    asset_id: a.id,
                    number: String::new(),
                    title: parse_line(&t.title, 200).unwrap_or_else(|_| "Alarm".into()),
                    description,
                    kind: t.kind.as_str().to_owned(),
                    priority: t.priority.as_str().to_owned(),
                    status: WorkOrderStatus::Requested.as_str().to_owned(),
                    hold_reason: None,
                    request_id: None,
                    created_by: None,
                    assignee_id: None,
                    due_at: None,
                    started_at: None,
                    completed_at: None,
                    closed_at: None,
                    failure_impact: None,
                    failure_mode: None,
                    failure_mechanism: None,
                    failure_cause: None,
                    failure_detection: None,
                    failure_activity: None,
                    failure_notes: None,
                    attachments: work_order::attachments(vec![]),
                    version: 1,
                    created_at: sys.now,
                    updated_at: sys.now,
                    procedure_revision_id: t.procedure_revision_id,
                };
                let w = self.store_work_order(sys, tx, w).await?;
                new.work_order_id = Some(w.id);
                new.first_reading_ms = Some(sample.at_ms);
                report.work_orders_created.push(w.id);
                Ok(format!(
                    "raised work order {} from the rule's template",
                    w.number
                ))
            }
            WorkDecision::RaiseRequest => {
                let a = overhaul_store::asset::get_tx(tx, s.asset_id).await?;
                let n = overhaul_store::dialect::next_counter(tx, "work_request").await?;
                let title = match effect {
                    WorkEffect::FlagChattering => {
                        format!("Chattering instrument: {} ({})", clip(&s.name, 120), r.name)
                    }
                    _ => format!(
                        "Alarm {}: {} {} {}",
                        clip(&r.name, 60),
                        clip(&s.name, 80),
                        sample.value,
                        clip(&s.unit, 16)
                    ),
                };
                let description = format!(
                    "Raised by alarm {} (rule \"{}\": {}) on signal \"{}\" ({}).\n\
                     Activated by the reading at {when} ({} ms): {what}.\n\
                     Readings: GET /api/v1/signals/{}/readings?from={}",
                    old.id,
                    r.name,
                    describe(&f.params, &s.unit),
                    s.name,
                    s.id,
                    sample.at_ms,
                    s.id,
                    time_text(sample.at_ms - 3_600_000),
                );
                let req = WorkRequest {
                    id: Uuid::now_v7(),
                    site_id: a.site_id,
                    asset_id: a.id,
                    number: format!("WR-{n:06}"),
                    title: parse_line(&title, 200).unwrap_or_else(|_| "Alarm".into()),
                    description,
                    priority: r.priority.clone(),
                    status: WorkRequestStatus::Open.as_str().to_owned(),
                    reject_reason: None,
                    work_order_id: None,
                    requester_name: Some(SYSTEM_ACTOR.into()),
                    requested_by: None,
                    attachments: work_order::attachments(vec![]),
                    version: 1,
                    created_at: sys.now,
                    updated_at: sys.now,
                };
                work_request::insert(tx, &req).await?;
                new.work_request_id = Some(req.id);
                new.first_reading_ms = Some(sample.at_ms);
                report.work_requests_created.push(req.id);
                Ok(format!("raised work request {}", req.number))
            }
        }
    }

    async fn load_alarm(&self, ctx: &Ctx, id: Uuid, action: Action) -> AppResult<AlarmRow> {
        let a = alarm::get(&self.db, id)
            .await
            .map_err(crate::missing("alarm"))?;
        self.load_signal(ctx, a.signal_id, action)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound("alarm"),
                e => e,
            })?;
        Ok(a)
    }

    pub async fn get_alarm(&self, ctx: &Ctx, id: Uuid) -> AppResult<AlarmRow> {
        self.load_alarm(ctx, id, Action::Read).await
    }

    pub async fn alarm_history(&self, ctx: &Ctx, id: Uuid) -> AppResult<Vec<AlarmEvent>> {
        self.load_alarm(ctx, id, Action::Read).await?;
        Ok(alarm::events(&self.db, id, 1000).await?)
    }

    pub async fn list_alarms(&self, ctx: &Ctx, q: AlarmQuery) -> AppResult<Vec<AlarmListItem>> {
        let limit = match q.limit {
            None => 100,
            Some(n) if (1..=1000).contains(&n) => u64::from(n),
            Some(_) => return Err(AppError::invalid("limit", "must be between 1 and 1000")),
        };
        let f = AlarmFilter {
            sites: ctx.actor.visible_sites(),
            site_id: q.site_id,
            asset_id: q.asset_id,
            signal_id: q.signal_id,
            active_only: q.active.unwrap_or(false),
            limit,
        };
        Ok(alarm::list(&self.db, &f).await?)
    }

    async fn alarm_command(
        &self,
        ctx: &Ctx,
        id: Uuid,
        cmd: Command,
        action: &str,
        reason: Option<String>,
    ) -> AppResult<AlarmRow> {
        self.load_alarm(ctx, id, Action::HandleAlarms).await?;
        let mut tx = ctx.begin(&self.db).await?;
        let old = alarm::get_for_update(&mut tx, id).await?;
        let env = Env {
            now: ctx.now,
            suppressed_by_design: false,
            chatter: ChatterPolicy::default(),
        };
        let o = apply(&core_alarm(&old)?, &cmd, &env).map_err(|e| AppError::rule(e.to_string()))?;
        let mut new = with_core(&old, &o.alarm, ctx.now);
        match cmd {
            Command::Acknowledge => {
                new.acknowledged_at = Some(ctx.now);
                new.acknowledged_by = ctx.actor.user_id();
            }
            Command::Shelve { .. } => new.shelve_reason = reason.clone(),
            _ => {}
        }
        let evs = events(ctx, &old, &o, None, reason.clone());
        alarm::update(&mut tx, &old, &new, action, &evs, reason.as_deref()).await?;
        tx.commit().await?;
        Ok(new)
    }

    pub async fn acknowledge_alarm(&self, ctx: &Ctx, id: Uuid) -> AppResult<AlarmRow> {
        self.alarm_command(ctx, id, Command::Acknowledge, "acknowledge", None)
            .await
    }

    pub async fn shelve_alarm(
        &self,
        ctx: &Ctx,
        id: Uuid,
        input: ShelveAlarm,
    ) -> AppResult<AlarmRow> {
        let reason = parse_line(&input.reason, 500).map_err(|m| AppError::invalid("reason", m))?;
        self.alarm_command(
            ctx,
            id,
            Command::Shelve {
                until: overhaul_core::time::micros(input.until),
            },
            "shelve",
            Some(reason),
        )
        .await
    }

    pub async fn unshelve_alarm(&self, ctx: &Ctx, id: Uuid) -> AppResult<AlarmRow> {
        self.alarm_command(ctx, id, Command::Unshelve, "unshelve", None)
            .await
    }
}
