//! Importing maintenance history: work that was done and closed before Overhaul knew about it.
//!
//! Historic records arrive with their own ids (the importer derives them from the source rows,
//! so importing the same file twice finds them again) and their own times. They are written in
//! their final state, in one transaction per batch, each with its audit record; the audit
//! records carry the time of the import, the records the time things happened.

use crate::access::Action;
use crate::{App, AppError, AppResult, Ctx};
use chrono::{DateTime, Utc};
use overhaul_core::asset::AssetStatus;
use overhaul_core::asset_state::Span;
use overhaul_core::failure_code::{self, FailureCodeKind};
use overhaul_core::time::micros;
use overhaul_core::validation::{Checks, parse_line, parse_text};
use overhaul_core::work_order::{Priority, WorkOrderStatus, WorkOrderType};
use overhaul_store::asset::{self, Downtime};
use overhaul_store::work_order::{self, WorkOrder, attachments};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// A work order that was carried out and closed in the past.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoricWorkOrder {
    /// Stable id derived from the source row.
    pub id: Uuid,
    pub asset_id: Uuid,
    pub title: String,
    pub description: String,
    pub kind: WorkOrderType,
    pub priority: Priority,
    /// When the work was raised.
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub closed_at: DateTime<Utc>,
    pub failure: Option<HistoricFailure>,
    /// The outage that went with the work, recorded on the same asset.
    pub downtime: Option<HistoricDowntime>,
}

/// An ISO 14224 failure report: codes are checked against the code lists.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HistoricFailure {
    /// `C`, `D` or `I`.
    pub impact: Option<String>,
    pub mode: Option<String>,
    pub activity: Option<String>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HistoricDowntime {
    /// Stable id derived from the source row.
    pub id: Uuid,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub planned: bool,
    pub reason: String,
}

/// What one batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    pub created: usize,
    /// Rows whose id was already stored: left as they are.
    pub already_present: usize,
    pub downtime_created: usize,
    pub downtime_present: usize,
}

fn check_code(c: &mut Checks, field: String, kind: FailureCodeKind, code: Option<&str>) {
    if let Some(code) = code
        && let Err(m) = failure_code::check(kind, code)
    {
        c.push(field, m);
    }
}

/// Field checks of one row that need no database.
fn check_row(c: &mut Checks, i: usize, r: &HistoricWorkOrder, now: DateTime<Utc>) {
    let f = |name: &str| format!("rows[{i}].{name}");
    if let Err(m) = parse_line(&r.title, 200) {
        c.push(f("title"), m);
    }
    if let Err(m) = parse_text(&r.description, 20_000) {
        c.push(f("description"), m);
    }
    let mut last = r.created_at;
    for (name, t) in [
        ("started_at", r.started_at),
        ("completed_at", r.completed_at),
        ("closed_at", Some(r.closed_at)),
    ] {
        if let Some(t) = t {
            if t < last {
                c.push(f(name), "must not be before the previous step of the work");
            }
            last = t;
        }
    }
    if r.closed_at > now {
        c.push(f("closed_at"), "history must not lie in the future");
    }
    if let Some(fr) = &r.failure {
        check_code(
            c,
            f("failure.impact"),
            FailureCodeKind::Impact,
            fr.impact.as_deref(),
        );
        check_code(
            c,
            f("failure.mode"),
            FailureCodeKind::Mode,
            fr.mode.as_deref(),
        );
        check_code(
            c,
            f("failure.activity"),
            FailureCodeKind::Activity,
            fr.activity.as_deref(),
        );
        if fr.impact.is_none() && fr.mode.is_none() {
            c.push(f("failure"), "a failure report needs an impact or a mode");
        }
    }
    if let Some(d) = &r.downtime {
        if d.ended_at <= d.started_at {
            c.push(f("downtime.ended_at"), "must be after started_at");
        }
        if d.ended_at > now {
            c.push(f("downtime.ended_at"), "history must not lie in the future");
        }
        if let Err(m) = parse_line(&d.reason, 500) {
            c.push(f("downtime.reason"), m);
        }
    }
}

impl App {
    /// Stores closed historic work orders (with their failure reports and downtime) in one
    /// transaction. Rows whose id is already stored are skipped and counted as present; nothing
    /// about them is changed. Every row is checked before anything is written: one bad row
    /// refuses the whole batch, naming every problem.
    pub async fn import_closed_work_orders(
        &self,
        ctx: &Ctx,
        rows: &[HistoricWorkOrder],
    ) -> AppResult<ImportOutcome> {
        if rows.is_empty() {
            return Ok(ImportOutcome::default());
        }
        let mut c = Checks::new();
        let mut seen = HashSet::new();
        for (i, r) in rows.iter().enumerate() {
            if !seen.insert(r.id) {
                c.push(format!("rows[{i}].id"), "appears twice in the batch");
            }
            check_row(&mut c, i, r, ctx.now);
        }
        let asset_ids: Vec<Uuid> = rows
            .iter()
            .map(|r| r.asset_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let assets = overhaul_store::import::assets_by_ids(&self.db, &asset_ids).await?;
        for (i, r) in rows.iter().enumerate() {
            match assets.get(&r.asset_id) {
                None => c.push(format!("rows[{i}].asset_id"), "no such asset"),
                Some(a) if a.status == AssetStatus::Decommissioned.as_str() => {
                    c.push(format!("rows[{i}].asset_id"), "the asset is decommissioned")
                }
                Some(_) => {}
            }
        }
        c.finish()?;
        // Creating, closing and recording outages are three permissions; an import does all.
        let sites: HashSet<Uuid> = assets.values().map(|a| a.site_id).collect();
        for site in sites {
            for action in [
                Action::CreateWorkOrder,
                Action::PlanWork,
                Action::RecordDowntime,
            ] {
                ctx.actor.check(site, action, "asset")?;
            }
        }

        let mut tx = ctx.begin(&self.db).await?;
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let present = overhaul_store::import::existing_work_orders(&mut tx, &ids).await?;
        let fresh: Vec<&HistoricWorkOrder> =
            rows.iter().filter(|r| !present.contains(&r.id)).collect();
        let dt_ids: Vec<Uuid> = fresh
            .iter()
            .filter_map(|r| r.downtime.as_ref().map(|d| d.id))
            .collect();
        let dt_present = overhaul_store::import::existing_downtime(&mut tx, &dt_ids).await?;
        if !dt_present.is_empty() {
            tx.rollback().await?;
            return Err(AppError::Conflict(format!(
                "{} downtime record(s) of this batch exist without their work order",
                dt_present.len()
            )));
        }
        let mut outcome = ImportOutcome {
            already_present: present.len(),
            downtime_present: rows
                .iter()
                .filter(|r| present.contains(&r.id) && r.downtime.is_some())
                .count(),
            ..ImportOutcome::default()
        };
        if fresh.is_empty() {
            // Nothing to write: leave even the work-order counter alone.
            tx.rollback().await?;
            return Ok(outcome);
        }
        let first =
            overhaul_store::dialect::reserve_counter(&mut tx, "work_order", fresh.len() as i64)
                .await?;
        let mut orders = Vec::with_capacity(fresh.len());
        for (n, r) in fresh.iter().enumerate() {
            let Some(a) = assets.get(&r.asset_id) else {
                return Err(AppError::Internal("asset vanished during import".into()));
            };
            let failure = r.failure.clone().unwrap_or_default();
            let closed = micros(r.closed_at);
            orders.push(WorkOrder {
                id: r.id,
                site_id: a.site_id,
                asset_id: a.id,
                number: format!("WO-{:06}", first + n as i64),
                title: r.title.trim().to_owned(),
                description: r.description.clone(),
                kind: r.kind.as_str().to_owned(),
                priority: r.priority.as_str().to_owned(),
                status: WorkOrderStatus::Closed.as_str().to_owned(),
                hold_reason: None,
                request_id: None,
                created_by: ctx.actor.user_id(),
                assignee_id: None,
                due_at: None,
                started_at: r.started_at.map(micros),
                completed_at: r.completed_at.map(micros),
                closed_at: Some(closed),
                failure_impact: failure.impact,
                failure_mode: failure.mode,
                failure_mechanism: None,
                failure_cause: None,
                failure_detection: None,
                failure_activity: failure.activity,
                failure_notes: failure.notes,
                attachments: attachments(Vec::new()),
                version: 1,
                created_at: micros(r.created_at),
                updated_at: closed,
                procedure_revision_id: None,
            });
        }
        work_order::insert_many(&mut tx, &orders).await?;
        outcome.created = orders.len();

        // Outages in time order per asset, so the timeline is built front to back.
        let mut outages: Vec<&HistoricWorkOrder> =
            fresh.into_iter().filter(|r| r.downtime.is_some()).collect();
        outages.sort_by_key(|r| (r.asset_id, r.downtime.as_ref().map(|d| d.started_at)));
        let mut state_after: HashMap<Uuid, AssetStatus> = HashMap::new();
        for r in outages {
            let Some(d) = &r.downtime else { continue };
            let row = Downtime {
                id: d.id,
                asset_id: r.asset_id,
                work_order_id: Some(r.id),
                started_at: micros(d.started_at),
                ended_at: Some(micros(d.ended_at)),
                planned: d.planned,
                reason: d.reason.trim().to_owned(),
                version: 1,
                created_by: ctx.actor.user_id(),
                created_at: ctx.now,
            };
            asset::insert_downtime(&mut tx, &row).await?;
            let state = if d.planned {
                AssetStatus::DownPlanned
            } else {
                AssetStatus::DownUnplanned
            };
            let current = asset::splice_state(
                &mut tx,
                r.asset_id,
                Span {
                    state,
                    start: row.started_at,
                    end: row.ended_at,
                    reason: Some(row.reason.clone()),
                    downtime_id: Some(row.id),
                },
            )
            .await?;
            if let Some(cur) = current {
                state_after.insert(r.asset_id, cur);
            }
            outcome.downtime_created += 1;
        }
        for (id, cur) in state_after {
            if assets.get(&id).is_some_and(|a| a.status != cur.as_str()) {
                asset::set_status(&mut tx, id, cur).await?;
            }
        }
        tx.commit().await?;
        Ok(outcome)
    }

    /// Extends the recorded timeline of each asset back to `since` with a running interval, for
    /// assets whose history begins before Overhaul recorded them (availability and MTBF count
    /// an asset's hours from the start of its timeline). Assets whose timeline already starts at
    /// or before `since` are left alone. Returns how many timelines were extended.
    pub async fn backdate_service_start(
        &self,
        ctx: &Ctx,
        since: DateTime<Utc>,
        asset_ids: &[Uuid],
    ) -> AppResult<usize> {
        let since = micros(since);
        if since > ctx.now {
            return Err(AppError::invalid("since", "must not be in the future"));
        }
        let assets = overhaul_store::import::assets_by_ids(&self.db, asset_ids).await?;
        let mut c = Checks::new();
        for id in asset_ids {
            match assets.get(id) {
                None => c.push("asset_ids", format!("no such asset: {id}")),
                Some(a) => ctx.actor.check(a.site_id, Action::EditAssets, "asset")?,
            }
        }
        c.finish()?;
        let mut tx = ctx.begin(&self.db).await?;
        let starts = overhaul_store::import::timeline_starts(&mut tx, asset_ids).await?;
        let mut extended = 0;
        for id in asset_ids {
            let Some(first) = starts.get(id).copied() else {
                continue;
            };
            if first <= since {
                continue;
            }
            asset::splice_state(
                &mut tx,
                *id,
                Span {
                    state: AssetStatus::Running,
                    start: since,
                    end: Some(first),
                    reason: Some("in service before it was recorded (imported history)".into()),
                    downtime_id: None,
                },
            )
            .await?;
            extended += 1;
        }
        if extended == 0 {
            tx.rollback().await?;
        } else {
            tx.commit().await?;
        }
        Ok(extended)
    }
}
