//! Preventive maintenance plans: create, preview, forecast, and exactly-once generation of
//! work orders (one per plan and occurrence slot, whatever the number of runs or instances).

use crate::access::Action;
use crate::{App, AppError, AppResult, Ctx};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use overhaul_core::meter::MeterKind;
use overhaul_core::pm::{
    Completion, Compliance, ComplianceRecord, Cursor, Frequency, MeterProgress, Occurrence,
    OccurrenceStatus, Plan, PlanDraft, PlanFlag, PlanState, PmPlanId, SiteCalendar, TriggerDraft,
    compliance, due_for_generation, forecast, plan_flags, preview,
};
use overhaul_core::site::BusinessHours;
use overhaul_core::validation::{Checks, parse_line, parse_text};
use overhaul_core::work_order::{Priority, WorkOrderStatus, WorkOrderType};
use overhaul_store::pm::{self, Holiday, OccurrenceRow, PlanFilter, PmPlanRow};
use overhaul_store::work_order::WorkOrder;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPmPlan {
    pub asset_id: Uuid,
    /// The counter meter of a meter or whichever-first trigger (on the same asset).
    pub meter_id: Option<Uuid>,
    pub title: String,
    pub description: Option<String>,
    /// Type of the generated work orders; default `preventive`.
    #[serde(rename = "type")]
    pub kind: Option<WorkOrderType>,
    /// Default `normal`.
    pub priority: Option<Priority>,
    pub schedule: PlanDraft,
    /// The published procedure revision the generated work orders follow.
    pub procedure_revision_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PmPlanView {
    #[serde(flatten)]
    pub plan: PmPlanRow,
    pub schedule: PlanDraft,
    /// Warnings for the planner (the system never disables a plan).
    #[schema(value_type = Vec<Object>)]
    pub flags: Vec<PlanFlag>,
    /// The next due dates (nothing is created).
    #[schema(value_type = Vec<Object>)]
    pub next: Vec<Occurrence>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHoliday {
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ForecastQuery {
    pub site_id: Option<Uuid>,
    pub plan_id: Option<Uuid>,
    /// Default now.
    pub from: Option<DateTime<Utc>>,
    /// Default 90 days after `from`; at most 3 years after it.
    pub until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ForecastItem {
    pub plan_id: Uuid,
    pub asset_id: Uuid,
    pub title: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[schema(value_type = Object)]
    pub occurrence: Occurrence,
}

/// One plan per asset that matches a target: every asset below `subtree_of` (itself included)
/// of the given class and/or level that is in service.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPmPlans {
    pub subtree_of: Uuid,
    /// ISO 14224 class code, e.g. `PU`.
    pub equipment_class: Option<String>,
    pub level: Option<overhaul_core::asset::AssetLevel>,
    pub title: String,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<WorkOrderType>,
    pub priority: Option<Priority>,
    /// A calendar schedule (meter plans need a meter per asset: create them one by one).
    pub schedule: PlanDraft,
}

/// Accepting a recommended interval (e.g. the optimal replacement interval of a reliability
/// analysis) into an interval-based plan.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInterval {
    /// The new interval in days (rounded to whole days, at least 1).
    pub interval_days: f64,
    /// The analysis that justifies it (kept in the audit trail), e.g. the reliability report.
    #[schema(value_type = Object)]
    pub basis: serde_json::Value,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComplianceQuery {
    pub plan_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    pub asset_id: Option<Uuid>,
    /// Start of the period (due dates from here); default 30 days before `to`.
    pub from: Option<DateTime<Utc>>,
    /// End of the period, exclusive; default now.
    pub to: Option<DateTime<Utc>>,
}

/// SMRP 5.4.14 PM compliance: work completed by due + grace / work due × 100, per plan and in
/// total. Grace is 20 % of the plan's frequency in whole days, at most 28 (the SMRP table).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComplianceReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub total: Compliance,
    pub plans: Vec<PlanCompliance>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanCompliance {
    pub plan_id: Uuid,
    pub asset_id: Uuid,
    pub title: String,
    /// The frequency grace is computed from, in days.
    pub frequency_days: f64,
    #[schema(value_type = Object)]
    pub compliance: Compliance,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct GenerationReport {
    pub plans: usize,
    /// Work orders created by this run.
    pub work_orders_created: usize,
    pub skipped_recorded: usize,
    pub missed_recorded: usize,
    /// Occurrences another run or instance had recorded already (nothing created for them).
    pub already_present: usize,
    pub work_order_ids: Vec<Uuid>,
}

impl App {
    async fn site_calendar(&self, site_id: Uuid) -> AppResult<Arc<SiteCalendar>> {
        let site = overhaul_store::site::get(&self.db, site_id).await?;
        let hours: BusinessHours = serde_json::from_str(&site.business_hours).unwrap_or_default();
        let days: Vec<NaiveDate> = pm::holidays(&self.db, site_id)
            .await?
            .into_iter()
            .map(|h| h.day)
            .collect();
        Ok(Arc::new(SiteCalendar::parse(
            &site.timezone,
            &hours,
            &days,
        )?))
    }

    async fn meter_kind(&self, meter: Option<Uuid>) -> AppResult<Option<MeterKind>> {
        match meter {
            Some(m) => {
                let m = overhaul_store::meter::get(&self.db, m).await?;
                Ok(Some(MeterKind::parse(&m.kind).map_err(AppError::Internal)?))
            }
            None => Ok(None),
        }
    }

    async fn parse_plan(&self, row: &PmPlanRow) -> AppResult<(Plan, PlanDraft)> {
        let draft: PlanDraft = serde_json::from_str(&row.schedule)
            .map_err(|e| AppError::Internal(format!("stored schedule: {e}")))?;
        let cal = self.site_calendar(row.site_id).await?;
        let kind = self.meter_kind(row.meter_id).await?;
        let plan = Plan::parse(PmPlanId(row.id), &draft, cal, kind)
            .map_err(|e| AppError::Internal(format!("stored plan no longer valid: {e}")))?;
        Ok((plan, draft))
    }

    async fn plan_state(&self, row: &PmPlanRow) -> AppResult<PlanState> {
        let mut state = stored_state(row)?;
        state.meter = match row.meter_id {
            Some(m) => {
                let m = overhaul_store::meter::get(&self.db, m).await?;
                match (m.last_value, m.last_read_at) {
                    (Some(v), Some(t)) => Some(MeterProgress {
                        lifetime: v,
                        read_at: t,
                        rate_per_day: None,
                    }),
                    _ => None,
                }
            }
            None => None,
        };
        Ok(state)
    }

    /// The reading of a plan's meter now (for the completion a meter cycle restarts from).
    pub(crate) async fn pm_completion_reading(&self, plan: Uuid) -> AppResult<Option<f64>> {
        let row = pm::get_plan(&self.db, plan).await?;
        Ok(match row.meter_id {
            Some(m) => overhaul_store::meter::get(&self.db, m).await?.last_value,
            None => None,
        })
    }

    async fn plan_view(&self, row: PmPlanRow, now: DateTime<Utc>) -> AppResult<PmPlanView> {
        let (plan, draft) = self.parse_plan(&row).await?;
        let state = self.plan_state(&row).await?;
        let flags = plan_flags(&plan, &state, now, 5);
        let next = preview(&plan, &state, now, 10);
        Ok(PmPlanView {
            plan: row,
            schedule: draft,
            flags,
            next,
        })
    }

    async fn load_plan(&self, ctx: &Ctx, id: Uuid, action: Action) -> AppResult<PmPlanRow> {
        let p = pm::get_plan(&self.db, id)
            .await
            .map_err(crate::missing("PM plan"))?;
        ctx.actor.check(p.site_id, action, "PM plan")?;
        Ok(p)
    }

    /// Checks a plan as a planner submitted it against its asset (in service, same-asset
    /// counter meter) and the site calendar; every problem is reported per field.
    async fn check_plan_input(
        &self,
        a: &overhaul_store::asset::Asset,
        input: &NewPmPlan,
        id: Uuid,
    ) -> AppResult<(Plan, String, String)> {
        let mut c = Checks::new();
        let title = c.take("title", parse_line(&input.title, 200));
        let description = c.take(
            "description",
            parse_text(input.description.as_deref().unwrap_or(""), 20_000),
        );
        if a.status == "decommissioned" {
            c.push("asset_id", "the asset is decommissioned: no new PM plans");
        }
        let needs_meter = matches!(
            input.schedule.trigger,
            TriggerDraft::Meter { .. } | TriggerDraft::WhicheverFirst { .. }
        );
        let mut meter_kind = None;
        match (input.meter_id, needs_meter) {
            (Some(m), true) => match overhaul_store::meter::get(&self.db, m).await {
                Ok(m) if m.asset_id == a.id => meter_kind = MeterKind::parse(&m.kind).ok(),
                Ok(_) => c.push("meter_id", "the meter belongs to another asset"),
                Err(overhaul_store::StoreError::NotFound) => c.push("meter_id", "no such meter"),
                Err(e) => return Err(e.into()),
            },
            (None, true) => c.push(
                "meter_id",
                "a meter trigger needs the counter meter it counts",
            ),
            (Some(_), false) => c.push(
                "meter_id",
                "only meter and whichever-first triggers use a meter",
            ),
            (None, false) => {}
        }
        let cal = self.site_calendar(a.site_id).await?;
        let plan = match Plan::parse(PmPlanId(id), &input.schedule, cal, meter_kind) {
            Ok(p) => Some(p),
            Err(inv) => {
                for e in inv.0 {
                    c.push(format!("schedule.{}", e.field), e.message);
                }
                None
            }
        };
        c.finish()?;
        match (plan, title, description) {
            (Some(p), Some(t), Some(d)) => Ok((p, t, d)),
            _ => Err(AppError::Internal("checked plan without a value".into())),
        }
    }

    /// The next `count` due dates of a plan as submitted (nothing is stored): the same
    /// validation and core expansion as creating it. With `plan_id`, the preview continues
    /// from that plan's last completion and meter (an edit).
    pub async fn preview_pm_plan(
        &self,
        ctx: &Ctx,
        plan_id: Option<Uuid>,
        input: &NewPmPlan,
        count: usize,
    ) -> AppResult<(Vec<Occurrence>, Vec<PlanFlag>)> {
        let a = self
            .load_asset_ref(ctx, input.asset_id, Action::Read)
            .await?;
        let (plan, _, _) = self
            .check_plan_input(&a, input, plan_id.unwrap_or_else(Uuid::now_v7))
            .await?;
        let state = match plan_id {
            Some(id) => {
                let mut row = self.load_plan(ctx, id, Action::Read).await?;
                row.meter_id = input.meter_id;
                let mut st = self.plan_state(&row).await?;
                st.cursor = None;
                st
            }
            None => {
                let mut row_state = PlanState::default();
                if let Some(m) = input.meter_id {
                    let m = overhaul_store::meter::get(&self.db, m).await?;
                    if let (Some(v), Some(t)) = (m.last_value, m.last_read_at) {
                        row_state.meter = Some(MeterProgress {
                            lifetime: v,
                            read_at: t,
                            rate_per_day: None,
                        });
                    }
                }
                row_state
            }
        };
        let count = count.clamp(1, 100);
        Ok((
            preview(&plan, &state, ctx.now, count),
            plan_flags(&plan, &state, ctx.now, 5),
        ))
    }

    /// Changes a plan (not its asset): text, kind, priority, schedule, meter, procedure
    /// revision, and active/paused. Work already generated keeps its frozen due dates; a fixed
    /// plan whose schedule changed continues on the new grid after now (nothing before now is
    /// re-created or recorded as missed).
    pub async fn update_pm_plan(
        &self,
        ctx: &Ctx,
        id: Uuid,
        if_version: Option<i64>,
        input: NewPmPlan,
        active: bool,
    ) -> AppResult<PmPlanView> {
        let old = self.load_plan(ctx, id, Action::PlanWork).await?;
        if if_version.is_some_and(|v| v != old.version) {
            return Err(AppError::Stale);
        }
        if input.asset_id != old.asset_id {
            return Err(AppError::invalid(
                "asset_id",
                "a plan stays on its asset; create a new plan for another asset",
            ));
        }
        let a = self
            .load_asset_ref(ctx, input.asset_id, Action::PlanWork)
            .await?;
        let (_, title, description) = self.check_plan_input(&a, &input, id).await?;
        if let Some(rev) = input.procedure_revision_id
            && Some(rev) != old.procedure_revision_id
        {
            self.check_attach_revision("procedure_revision_id", a.site_id, a.id, rev)
                .await?;
        }
        let schedule = serde_json::to_string(&input.schedule)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let mut new = old.clone();
        if schedule != old.schedule && matches!(input.schedule.trigger, TriggerDraft::Fixed { .. })
        {
            let c = Cursor {
                slot: overhaul_core::pm::Slot::Due(ctx.now),
                work_created: false,
            };
            new.cursor =
                Some(serde_json::to_string(&c).map_err(|e| AppError::Internal(e.to_string()))?);
        }
        new.title = title;
        new.description = description;
        new.kind = input
            .kind
            .unwrap_or(WorkOrderType::Preventive)
            .as_str()
            .to_owned();
        new.priority = input
            .priority
            .unwrap_or(Priority::Normal)
            .as_str()
            .to_owned();
        new.meter_id = input.meter_id;
        new.schedule = schedule;
        new.procedure_revision_id = input.procedure_revision_id;
        new.status = if active { "active" } else { "paused" }.into();
        new.version += 1;
        new.updated_at = ctx.now;
        let mut tx = ctx.begin(&self.db).await?;
        pm::update_plan(&mut tx, &old, &new).await?;
        tx.commit().await?;
        self.plan_view(new, ctx.now).await
    }

    pub async fn create_pm_plan(&self, ctx: &Ctx, input: NewPmPlan) -> AppResult<PmPlanView> {
        let a = self
            .load_asset_ref(ctx, input.asset_id, Action::PlanWork)
            .await?;
        let id = Uuid::now_v7();
        let (_, title, description) = self.check_plan_input(&a, &input, id).await?;
        if let Some(rev) = input.procedure_revision_id {
            self.check_attach_revision("procedure_revision_id", a.site_id, a.id, rev)
                .await?;
        }
        let row = PmPlanRow {
            id,
            site_id: a.site_id,
            asset_id: a.id,
            meter_id: input.meter_id,
            title,
            description,
            kind: input
                .kind
                .unwrap_or(WorkOrderType::Preventive)
                .as_str()
                .to_owned(),
            priority: input
                .priority
                .unwrap_or(Priority::Normal)
                .as_str()
                .to_owned(),
            schedule: serde_json::to_string(&input.schedule)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            status: "active".into(),
            cursor: None,
            last_completed_at: None,
            last_completion_reading: None,
            version: 1,
            created_at: ctx.now,
            updated_at: ctx.now,
            procedure_revision_id: input.procedure_revision_id,
        };
        let mut tx = ctx.begin(&self.db).await?;
        pm::insert_plan(&mut tx, &row).await?;
        tx.commit().await?;
        self.plan_view(row, ctx.now).await
    }

    /// Creates one plan per matching asset, all or nothing, each audited.
    pub async fn create_pm_plans_for(
        &self,
        ctx: &Ctx,
        input: NewPmPlans,
    ) -> AppResult<Vec<PmPlanRow>> {
        let root = self
            .load_asset(ctx, input.subtree_of, Action::PlanWork)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::invalid("subtree_of", "no such asset"),
                e => e,
            })?;
        let mut c = Checks::new();
        let title = c.take("title", parse_line(&input.title, 200));
        let description = c.take(
            "description",
            parse_text(input.description.as_deref().unwrap_or(""), 20_000),
        );
        if let Some(k) = &input.equipment_class {
            c.take(
                "equipment_class",
                overhaul_core::asset::parse_equipment_class(k),
            );
        }
        if matches!(
            input.schedule.trigger,
            TriggerDraft::Meter { .. } | TriggerDraft::WhicheverFirst { .. }
        ) {
            c.push(
                "schedule.trigger",
                "meter triggers need each asset's meter: create those plans one by one",
            );
        }
        let cal = self.site_calendar(root.site_id).await?;
        if let Err(inv) = Plan::parse(PmPlanId(Uuid::now_v7()), &input.schedule, cal, None) {
            for e in inv.0 {
                c.push(format!("schedule.{}", e.field), e.message);
            }
        }
        let assets: Vec<_> = overhaul_store::asset::list(
            &self.db,
            &overhaul_store::asset::AssetFilter {
                subtree_path: Some(root.path.clone()),
                limit: 10_001,
                ..Default::default()
            },
        )
        .await?
        .into_iter()
        .filter(|a| a.status != "decommissioned")
        .filter(|a| {
            input
                .equipment_class
                .as_ref()
                .is_none_or(|k| a.equipment_class.as_deref() == Some(k.as_str()))
        })
        .filter(|a| input.level.is_none_or(|l| a.level == l.as_str()))
        .collect();
        if assets.is_empty() {
            c.push("subtree_of", "no asset in service matches the target");
        }
        if assets.len() > 10_000 {
            c.push(
                "subtree_of",
                "more than 10,000 assets match; narrow the target",
            );
        }
        c.finish()?;
        let schedule = serde_json::to_string(&input.schedule)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let rows: Vec<PmPlanRow> = assets
            .iter()
            .map(|a| PmPlanRow {
                id: Uuid::now_v7(),
                site_id: a.site_id,
                asset_id: a.id,
                meter_id: None,
                title: title.clone().unwrap_or_default(),
                description: description.clone().unwrap_or_default(),
                kind: input
                    .kind
                    .unwrap_or(WorkOrderType::Preventive)
                    .as_str()
                    .to_owned(),
                priority: input
                    .priority
                    .unwrap_or(Priority::Normal)
                    .as_str()
                    .to_owned(),
                schedule: schedule.clone(),
                status: "active".into(),
                cursor: None,
                last_completed_at: None,
                last_completion_reading: None,
                version: 1,
                created_at: ctx.now,
                updated_at: ctx.now,
                procedure_revision_id: None,
            })
            .collect();
        let mut tx = ctx.begin(&self.db).await?;
        for r in &rows {
            pm::insert_plan(&mut tx, r).await?;
        }
        tx.commit().await?;
        Ok(rows)
    }

    pub async fn get_pm_plan(&self, ctx: &Ctx, id: Uuid) -> AppResult<PmPlanView> {
        let row = self.load_plan(ctx, id, Action::Read).await?;
        self.plan_view(row, ctx.now).await
    }

    pub async fn list_pm_plans(
        &self,
        ctx: &Ctx,
        site_id: Option<Uuid>,
        asset_id: Option<Uuid>,
    ) -> AppResult<Vec<PmPlanRow>> {
        Ok(pm::list_plans(
            &self.db,
            &PlanFilter {
                sites: ctx.actor.visible_sites(),
                site_id,
                asset_id,
                active_only: false,
            },
        )
        .await?)
    }

    pub async fn pm_occurrences(&self, ctx: &Ctx, id: Uuid) -> AppResult<Vec<OccurrenceRow>> {
        self.load_plan(ctx, id, Action::Read).await?;
        Ok(pm::occurrences(&self.db, id, 1_000).await?)
    }

    /// Every future occurrence in a window, for one plan or every plan of the visible sites
    /// (or one site); nothing is created.
    pub async fn pm_forecast(&self, ctx: &Ctx, q: ForecastQuery) -> AppResult<Vec<ForecastItem>> {
        let from = q.from.unwrap_or(ctx.now);
        let until = q.until.unwrap_or(from + Duration::days(90));
        if until <= from {
            return Err(AppError::invalid("until", "must be after from"));
        }
        if until - from > Duration::days(3 * 366) {
            return Err(AppError::invalid(
                "until",
                "a forecast covers at most three years",
            ));
        }
        let rows = match q.plan_id {
            Some(id) => vec![self.load_plan(ctx, id, Action::Read).await?],
            None => {
                pm::list_plans(
                    &self.db,
                    &PlanFilter {
                        sites: ctx.actor.visible_sites(),
                        site_id: q.site_id,
                        asset_id: None,
                        active_only: true,
                    },
                )
                .await?
            }
        };
        let mut out = Vec::new();
        for row in rows {
            let (plan, _) = self.parse_plan(&row).await?;
            let state = self.plan_state(&row).await?;
            for o in forecast(&plan, &state, from, until) {
                out.push(ForecastItem {
                    plan_id: row.id,
                    asset_id: row.asset_id,
                    title: row.title.clone(),
                    kind: row.kind.clone(),
                    occurrence: o,
                });
            }
        }
        out.sort_by_key(|i| i.occurrence.effective());
        Ok(out)
    }

    /// Runs generation for every active plan at `ctx.now`. Exactly once: each occurrence is
    /// claimed under the unique (plan, slot) key in the same transaction that creates its work
    /// order, and on PostgreSQL the plan row is locked while it is handled.
    pub async fn generate_pm(&self, ctx: &Ctx) -> AppResult<GenerationReport> {
        ctx.actor.check_global(Action::PlanWork)?;
        let plans = pm::list_plans(
            &self.db,
            &PlanFilter {
                active_only: true,
                ..PlanFilter::default()
            },
        )
        .await?;
        let mut report = GenerationReport {
            plans: plans.len(),
            ..GenerationReport::default()
        };
        for listed in plans {
            // Reads happen before the transaction (never two pooled connections at once).
            let (plan, _) = self.parse_plan(&listed).await?;
            let meter = self.plan_state(&listed).await?.meter;
            for _round in 0..100 {
                let mut tx = ctx.begin(&self.db).await?;
                let row = pm::get_plan_for_update(&mut tx, listed.id).await?;
                let mut state = stored_state(&row)?;
                state.meter = meter;
                let generation = due_for_generation(&plan, &state, ctx.now);
                for occ in &generation.occurrences {
                    let (status, reason) = match &occ.status {
                        OccurrenceStatus::Due => ("due", None),
                        OccurrenceStatus::Skipped { reason } => {
                            ("skipped", serde_json::to_string(reason).ok())
                        }
                        OccurrenceStatus::Missed { reason } => {
                            ("missed", serde_json::to_string(reason).ok())
                        }
                    };
                    let o = OccurrenceRow {
                        id: Uuid::now_v7(),
                        plan_id: row.id,
                        slot: occ.key.slot.as_text(),
                        status: status.into(),
                        reason,
                        nominal_at: occ.nominal,
                        due_at: occ.due,
                        create_at: occ.create_at,
                        work_order_id: None,
                        created_at: ctx.now,
                    };
                    if !pm::claim_occurrence(&mut tx, &o).await? {
                        report.already_present += 1;
                        continue;
                    }
                    match status {
                        "due" => {
                            let w = self
                                .store_work_order(ctx, &mut tx, pm_work_order(&row, occ, ctx))
                                .await?;
                            pm::link_work_order(&mut tx, o.id, row.id, w.id).await?;
                            report.work_orders_created += 1;
                            report.work_order_ids.push(w.id);
                        }
                        "skipped" => report.skipped_recorded += 1,
                        _ => report.missed_recorded += 1,
                    }
                }
                if let Some(c) = generation.cursor
                    && Some(c) != state.cursor
                {
                    let text =
                        serde_json::to_string(&c).map_err(|e| AppError::Internal(e.to_string()))?;
                    pm::set_cursor(&mut tx, row.id, &text).await?;
                }
                tx.commit().await?;
                if generation.complete || generation.occurrences.is_empty() {
                    break;
                }
            }
        }
        Ok(report)
    }

    /// Sets the interval of a floating plan or of a fixed "every N days/weeks/months" plan to a
    /// recommended value, audited with the analysis behind it. Future occurrences follow the new
    /// interval from now on; generated work keeps its frozen due dates.
    pub async fn accept_interval(
        &self,
        ctx: &Ctx,
        id: Uuid,
        if_version: Option<i64>,
        input: AcceptInterval,
    ) -> AppResult<PmPlanView> {
        let old = self.load_plan(ctx, id, Action::PlanWork).await?;
        if if_version.is_some_and(|v| v != old.version) {
            return Err(AppError::Stale);
        }
        let reason = parse_line(&input.reason, 500).map_err(|m| AppError::invalid("reason", m))?;
        if !input.interval_days.is_finite()
            || input.interval_days < 0.5
            || input.interval_days > 3660.0
        {
            return Err(AppError::invalid(
                "interval_days",
                "must be between 1 and 3660 days",
            ));
        }
        let days = input.interval_days.round() as i64;
        let (_, mut draft) = self.parse_plan(&old).await?;
        match &mut draft.trigger {
            TriggerDraft::Floating { calendar } => {
                calendar.every = days;
                calendar.unit = overhaul_core::pm::IntervalUnit::Days;
            }
            TriggerDraft::Fixed {
                rule: overhaul_core::pm::RuleDraft::Every { every, unit, .. },
            } => {
                *every = days;
                *unit = overhaul_core::pm::IntervalUnit::Days;
            }
            _ => {
                return Err(AppError::rule(
                    "only floating plans and fixed \"every N\" plans take an interval; edit the rule instead",
                ));
            }
        }
        let cal = self.site_calendar(old.site_id).await?;
        let kind = self.meter_kind(old.meter_id).await?;
        Plan::parse(PmPlanId(old.id), &draft, cal, kind).map_err(|inv| {
            AppError::Invalid(overhaul_core::Invalid(
                inv.0
                    .into_iter()
                    .map(|e| {
                        overhaul_core::FieldError::new(format!("schedule.{}", e.field), e.message)
                    })
                    .collect(),
            ))
        })?;
        let mut new = old.clone();
        new.schedule =
            serde_json::to_string(&draft).map_err(|e| AppError::Internal(e.to_string()))?;
        if matches!(draft.trigger, TriggerDraft::Fixed { .. }) {
            // A new grid: continue after now, never re-create or miss the past.
            let c = Cursor {
                slot: overhaul_core::pm::Slot::Due(ctx.now),
                work_created: false,
            };
            new.cursor =
                Some(serde_json::to_string(&c).map_err(|e| AppError::Internal(e.to_string()))?);
        }
        new.version += 1;
        new.updated_at = ctx.now;
        let mut tx = ctx.begin(&self.db).await?;
        pm::update_schedule(
            &mut tx,
            &old,
            &new,
            "accept_interval",
            &reason,
            &input.basis,
        )
        .await?;
        tx.commit().await?;
        self.plan_view(new, ctx.now).await
    }

    /// PM compliance per plan and in total for the plans of a plan id, an asset or a site.
    pub async fn pm_compliance(
        &self,
        ctx: &Ctx,
        q: ComplianceQuery,
    ) -> AppResult<ComplianceReport> {
        let to = q.to.unwrap_or(ctx.now).min(ctx.now);
        let from = q.from.unwrap_or(to - Duration::days(30));
        if to <= from {
            return Err(AppError::invalid("to", "must be after from"));
        }
        let rows = match q.plan_id {
            Some(id) => vec![self.load_plan(ctx, id, Action::Read).await?],
            None => {
                pm::list_plans(
                    &self.db,
                    &PlanFilter {
                        sites: ctx.actor.visible_sites(),
                        site_id: q.site_id,
                        asset_id: q.asset_id,
                        active_only: false,
                    },
                )
                .await?
            }
        };
        let mut plans = Vec::new();
        let mut all = Vec::new();
        for row in rows {
            let (plan, _) = self.parse_plan(&row).await?;
            // The plan's frequency: the gap between two consecutive occurrences of its rule.
            let next = preview(&plan, &PlanState::default(), row.created_at, 2);
            let span = match next.as_slice() {
                [a, b, ..] if b.due > a.due => b.due - a.due,
                _ => Duration::days(30),
            };
            let frequency = Frequency::Span(span);
            let mut records = Vec::new();
            for o in pm::occurrences(&self.db, row.id, 100_000).await? {
                if o.status != "due" {
                    continue;
                }
                let completed = match o.work_order_id {
                    Some(w) => {
                        overhaul_store::work_order::get(&self.db, w)
                            .await?
                            .completed_at
                    }
                    None => None,
                };
                records.push(ComplianceRecord {
                    due: o.due_at,
                    completed,
                    frequency,
                });
            }
            let c = compliance(&records, from, to, ctx.now);
            all.extend(records);
            plans.push(PlanCompliance {
                plan_id: row.id,
                asset_id: row.asset_id,
                title: row.title.clone(),
                frequency_days: span.num_minutes() as f64 / 1440.0,
                compliance: c,
            });
        }
        Ok(ComplianceReport {
            from,
            to,
            total: compliance(&all, from, to, ctx.now),
            plans,
        })
    }

    pub async fn add_holiday(
        &self,
        ctx: &Ctx,
        site_id: Uuid,
        input: NewHoliday,
    ) -> AppResult<Holiday> {
        let site = overhaul_store::site::get(&self.db, site_id)
            .await
            .map_err(crate::missing("site"))?;
        ctx.actor.check(site.id, Action::PlanWork, "site")?;
        let name = parse_line(&input.name, 200).map_err(|m| AppError::invalid("name", m))?;
        let h = Holiday {
            id: Uuid::now_v7(),
            site_id,
            day: input.day,
            name,
            created_at: ctx.now,
        };
        let mut tx = ctx.begin(&self.db).await?;
        pm::insert_holiday(&mut tx, &h).await.map_err(|e| match e {
            overhaul_store::StoreError::Conflict(_) => {
                AppError::Conflict("this day is already a holiday at this site".into())
            }
            e => e.into(),
        })?;
        tx.commit().await?;
        Ok(h)
    }

    pub async fn list_holidays(&self, ctx: &Ctx, site_id: Uuid) -> AppResult<Vec<Holiday>> {
        let site = overhaul_store::site::get(&self.db, site_id)
            .await
            .map_err(crate::missing("site"))?;
        ctx.actor.check(site.id, Action::Read, "site")?;
        Ok(pm::holidays(&self.db, site_id).await?)
    }
}

/// The stored part of a plan's state: its last completion and generation cursor.
fn stored_state(row: &PmPlanRow) -> AppResult<PlanState> {
    let cursor: Option<Cursor> = match &row.cursor {
        Some(c) => Some(
            serde_json::from_str(c)
                .map_err(|e| AppError::Internal(format!("stored cursor: {e}")))?,
        ),
        None => None,
    };
    Ok(PlanState {
        last_completion: row.last_completed_at.map(|at| Completion {
            at,
            reading: row.last_completion_reading,
        }),
        cursor,
        meter: None,
    })
}

/// The work order of a due occurrence: the plan's text and kind, the frozen due time.
fn pm_work_order(row: &PmPlanRow, occ: &Occurrence, ctx: &Ctx) -> WorkOrder {
    WorkOrder {
        id: Uuid::now_v7(),
        site_id: row.site_id,
        asset_id: row.asset_id,
        number: String::new(),
        title: row.title.clone(),
        description: row.description.clone(),
        kind: row.kind.clone(),
        priority: row.priority.clone(),
        status: WorkOrderStatus::Requested.as_str().to_owned(),
        hold_reason: None,
        request_id: None,
        created_by: ctx.actor.user_id(),
        assignee_id: None,
        due_at: Some(occ.due),
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
        attachments: overhaul_store::work_order::attachments(vec![]),
        version: 1,
        created_at: ctx.now,
        updated_at: ctx.now,
        procedure_revision_id: row.procedure_revision_id,
    }
}
