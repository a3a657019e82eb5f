//! Procedures (standard work): write one, edit its draft, publish, start the next revision;
//! attach a published revision to work; record step results on work in progress (a meter
//! reading step reads the asset's meter, a failed step can raise one follow-up request).

use crate::access::Action;
use crate::{App, AppError, AppResult, Ctx, Page, cursor, page_limit};
use overhaul_core::meter::{LastReading, MeterKind, check_reading};
use overhaul_core::procedure::{
    self as rules, Answer, RevisionContent, RevisionDraft, RevisionState, Step, StepSpec,
};
use overhaul_core::validation::{Checks, Code, parse_line, parse_text};
use overhaul_core::work_order::{Priority, WorkOrderStatus, WorkRequestStatus};
use overhaul_core::{FieldError, Invalid};
use overhaul_store::StoreError;
use overhaul_store::meter::{self, Reading};
use overhaul_store::procedure::{
    self as store, Json, Procedure, ProcedureFilter, Revision, StepResult, StepRow,
};
use overhaul_store::work_order::WorkOrder;
use overhaul_store::work_request::{self, WorkRequest};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProcedure {
    pub site_id: Uuid,
    /// Unique per site, e.g. `PM-PUMP-01`.
    pub code: String,
    pub title: String,
    pub description: Option<String>,
    /// Content of the first revision (a draft until published).
    #[serde(default)]
    pub revision: RevisionDraft,
}

/// Starts a new draft revision from an existing one (default: the published revision).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRevision {
    /// Number of the revision to copy.
    pub from: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProcedureQuery {
    pub site_id: Option<Uuid>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// A result for one step of the work order's procedure.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStepResult {
    pub step_id: Uuid,
    pub answer: Answer,
    /// Remark of the technician.
    pub note: Option<String>,
}

/// A revision with its steps in order.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RevisionView {
    #[serde(flatten)]
    pub revision: Revision,
    pub steps: Vec<StepRow>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProcedureView {
    #[serde(flatten)]
    pub procedure: Procedure,
    /// The revision new work should use (the published one), if any.
    pub published_revision_id: Option<Uuid>,
    /// Every revision, oldest first.
    pub revisions: Vec<RevisionView>,
}

/// A step of the work order's procedure with its result, if recorded.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChecklistStep {
    #[serde(flatten)]
    pub step: StepRow,
    pub result: Option<StepResult>,
}

/// The procedure a work order follows (the revision pinned at creation) and what was recorded.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Checklist {
    pub work_order_id: Uuid,
    pub procedure: Option<Procedure>,
    pub revision: Option<Revision>,
    pub steps: Vec<ChecklistStep>,
}

fn prefixed(prefix: &str, inv: Invalid) -> Invalid {
    Invalid(
        inv.0
            .into_iter()
            .map(|e| FieldError::new(format!("{prefix}{}", e.field), e.message))
            .collect(),
    )
}

fn state_of(r: &Revision) -> AppResult<RevisionState> {
    RevisionState::parse(&r.state).map_err(AppError::Internal)
}

/// Rebuilds the rules' view of a stored step.
fn step_of(row: &StepRow) -> AppResult<Step> {
    rules::stored_step(
        &row.kind,
        &row.title,
        &row.instructions,
        row.required,
        row.safety_note.as_deref(),
        row.raise_follow_up_on_fail,
        &row.params.0,
    )
    .map_err(|e| AppError::Internal(format!("stored step {}: {e}", row.id)))
}

fn step_rows(revision: Uuid, steps: &[Step]) -> Vec<StepRow> {
    steps
        .iter()
        .enumerate()
        .map(|(i, s)| StepRow {
            id: Uuid::now_v7(),
            revision_id: revision,
            position: i as i64 + 1,
            kind: s.kind().as_str().to_owned(),
            title: s.title.clone(),
            instructions: s.instructions.clone(),
            required: s.required,
            safety_note: s.safety_note.clone(),
            raise_follow_up_on_fail: s.raise_follow_up_on_fail,
            params: Json(s.params()),
        })
        .collect()
}

fn apply_content(r: &mut Revision, c: &RevisionContent) {
    r.notes = c.notes.clone();
    r.safety_notes = c.safety_notes.clone();
    r.qualifications = Json(c.qualifications.clone());
    r.estimated_minutes = c.estimated_minutes;
    r.crafts = Json(c.crafts.clone());
}

fn code_clash(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict(_) => {
            AppError::Conflict("a procedure with this code already exists at this site".into())
        }
        e => e.into(),
    }
}

impl App {
    async fn load_procedure(&self, ctx: &Ctx, id: Uuid, action: Action) -> AppResult<Procedure> {
        let p = store::get_procedure(&self.db, id)
            .await
            .map_err(crate::missing("procedure"))?;
        ctx.actor.check(p.site_id, action, "procedure")?;
        Ok(p)
    }

    async fn load_revision(
        &self,
        ctx: &Ctx,
        id: Uuid,
        action: Action,
    ) -> AppResult<(Procedure, Revision)> {
        let r = store::get_revision(&self.db, id)
            .await
            .map_err(crate::missing("procedure revision"))?;
        let p = self
            .load_procedure(ctx, r.procedure_id, action)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound("procedure revision"),
                e => e,
            })?;
        Ok((p, r))
    }

    async fn revision_view(&self, revision: Revision) -> AppResult<RevisionView> {
        let steps = store::steps(&self.db, revision.id).await?;
        Ok(RevisionView { revision, steps })
    }

    async fn procedure_view(&self, procedure: Procedure) -> AppResult<ProcedureView> {
        let mut revisions = Vec::new();
        for r in store::revisions(&self.db, procedure.id).await? {
            revisions.push(self.revision_view(r).await?);
        }
        let published_revision_id = revisions
            .iter()
            .find(|r| r.revision.state == RevisionState::Published.as_str())
            .map(|r| r.revision.id);
        Ok(ProcedureView {
            procedure,
            published_revision_id,
            revisions,
        })
    }

    /// Creates a procedure with its first revision as a draft.
    pub async fn create_procedure(
        &self,
        ctx: &Ctx,
        input: NewProcedure,
    ) -> AppResult<ProcedureView> {
        let site = overhaul_store::site::get(&self.db, input.site_id)
            .await
            .map_err(crate::missing_ref("site_id", "no such site"))?;
        ctx.actor
            .check(site.id, Action::PlanWork, "site")
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::invalid("site_id", "no such site"),
                e => e,
            })?;
        let mut c = Checks::new();
        let code = c.take("code", Code::parse(&input.code));
        let title = c.take("title", parse_line(&input.title, 200));
        let description = c.take(
            "description",
            parse_text(input.description.as_deref().unwrap_or(""), 20_000),
        );
        let content = match rules::parse_revision(&input.revision) {
            Ok(content) => Some(content),
            Err(inv) => {
                for e in prefixed("revision.", inv).0 {
                    c.push(e.field, e.message);
                }
                None
            }
        };
        c.finish()?;
        let (Some(code), Some(title), Some(description), Some(content)) =
            (code, title, description, content)
        else {
            return Err(AppError::Internal("checked input went missing".into()));
        };
        let p = Procedure {
            id: Uuid::now_v7(),
            site_id: site.id,
            code: code.into_inner(),
            title,
            description,
            version: 1,
            created_by: ctx.actor.user_id(),
            created_at: ctx.now,
            updated_at: ctx.now,
        };
        let mut r = Revision {
            id: Uuid::now_v7(),
            procedure_id: p.id,
            number: 1,
            state: RevisionState::Draft.as_str().to_owned(),
            notes: None,
            safety_notes: None,
            qualifications: Json(vec![]),
            estimated_minutes: None,
            crafts: Json(vec![]),
            version: 1,
            created_by: ctx.actor.user_id(),
            created_at: ctx.now,
            updated_at: ctx.now,
            published_at: None,
            published_by: None,
        };
        apply_content(&mut r, &content);
        let steps = step_rows(r.id, &content.steps);
        let mut tx = ctx.begin(&self.db).await?;
        store::insert_procedure(&mut tx, &p)
            .await
            .map_err(code_clash)?;
        store::insert_revision(&mut tx, &r, &steps).await?;
        tx.commit().await?;
        Ok(ProcedureView {
            procedure: p,
            published_revision_id: None,
            revisions: vec![RevisionView { revision: r, steps }],
        })
    }

    pub async fn get_procedure(&self, ctx: &Ctx, id: Uuid) -> AppResult<ProcedureView> {
        let p = self.load_procedure(ctx, id, Action::Read).await?;
        self.procedure_view(p).await
    }

    pub async fn list_procedures(
        &self,
        ctx: &Ctx,
        q: ProcedureQuery,
    ) -> AppResult<Page<Procedure>> {
        let limit = page_limit(q.limit)?;
        let after = match &q.cursor {
            Some(c) => Some(cursor::decode(c).map_err(|m| AppError::invalid("cursor", m))?),
            None => None,
        };
        let f = ProcedureFilter {
            sites: ctx.actor.visible_sites(),
            site_id: q.site_id,
            after,
            limit: limit + 1,
        };
        let mut items = store::list_procedures(&self.db, &f).await?;
        let next_cursor = if items.len() as u64 > limit {
            items.truncate(limit as usize);
            items.last().map(|p| cursor::encode(&p.code, p.id))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    pub async fn get_procedure_revision(&self, ctx: &Ctx, id: Uuid) -> AppResult<RevisionView> {
        let (_, r) = self.load_revision(ctx, id, Action::Read).await?;
        self.revision_view(r).await
    }

    /// Replaces a draft's content: revision-level fields and the whole step list. A published
    /// (or older) revision is frozen: 422.
    pub async fn replace_revision_content(
        &self,
        ctx: &Ctx,
        id: Uuid,
        if_version: Option<i64>,
        input: RevisionDraft,
    ) -> AppResult<RevisionView> {
        let (_, old) = self.load_revision(ctx, id, Action::PlanWork).await?;
        if if_version.is_some_and(|v| v != old.version) {
            return Err(AppError::Stale);
        }
        rules::check_editable(old.number, state_of(&old)?).map_err(AppError::rule)?;
        let content = rules::parse_revision(&input)?;
        let old_steps = store::steps(&self.db, old.id).await?;
        let mut new = old.clone();
        apply_content(&mut new, &content);
        new.version += 1;
        new.updated_at = ctx.now;
        let steps = step_rows(new.id, &content.steps);
        let mut tx = ctx.begin(&self.db).await?;
        store::replace_content(&mut tx, &old, &old_steps, &new, &steps).await?;
        tx.commit().await?;
        Ok(RevisionView {
            revision: new,
            steps,
        })
    }

    /// Publishes a draft: from now on it is frozen, and the revision published before it is
    /// superseded (work that pinned it keeps it).
    pub async fn publish_revision(
        &self,
        ctx: &Ctx,
        id: Uuid,
        if_version: Option<i64>,
    ) -> AppResult<RevisionView> {
        let (p, old) = self.load_revision(ctx, id, Action::PlanWork).await?;
        if if_version.is_some_and(|v| v != old.version) {
            return Err(AppError::Stale);
        }
        let steps = store::steps(&self.db, old.id).await?;
        for s in &steps {
            step_of(s)?;
        }
        let mut tx = ctx.begin(&self.db).await?;
        store::lock_procedure(&mut tx, p.id).await?;
        let all = store::revisions_tx(&mut tx, p.id).await?;
        let mut states = Vec::with_capacity(all.len());
        for r in &all {
            states.push((r.number, state_of(r)?));
        }
        let superseded =
            rules::publish(&states, old.number, steps.len()).map_err(AppError::rule)?;
        let current = all
            .iter()
            .find(|r| r.id == old.id)
            .ok_or(AppError::Stale)?
            .clone();
        if current.version != old.version {
            return Err(AppError::Stale);
        }
        for r in all.iter().filter(|r| superseded.contains(&r.number)) {
            let mut n = r.clone();
            n.state = RevisionState::Superseded.as_str().to_owned();
            n.version += 1;
            n.updated_at = ctx.now;
            store::set_state(&mut tx, r, &n, "supersede").await?;
        }
        let mut new = current.clone();
        new.state = RevisionState::Published.as_str().to_owned();
        new.published_at = Some(ctx.now);
        new.published_by = ctx.actor.user_id();
        new.version += 1;
        new.updated_at = ctx.now;
        store::set_state(&mut tx, &current, &new, "publish").await?;
        tx.commit().await?;
        Ok(RevisionView {
            revision: new,
            steps,
        })
    }

    /// Retires a published or superseded revision: it can no longer be attached to new work.
    pub async fn retire_revision(
        &self,
        ctx: &Ctx,
        id: Uuid,
        if_version: Option<i64>,
    ) -> AppResult<RevisionView> {
        let (_, old) = self.load_revision(ctx, id, Action::PlanWork).await?;
        if if_version.is_some_and(|v| v != old.version) {
            return Err(AppError::Stale);
        }
        rules::check_revision_transition(state_of(&old)?, RevisionState::Retired)
            .map_err(AppError::rule)?;
        let mut new = old.clone();
        new.state = RevisionState::Retired.as_str().to_owned();
        new.version += 1;
        new.updated_at = ctx.now;
        let mut tx = ctx.begin(&self.db).await?;
        store::set_state(&mut tx, &old, &new, "retire").await?;
        tx.commit().await?;
        self.revision_view(new).await
    }

    /// Starts the next draft revision (n + 1) as a copy of an existing one: how a published
    /// revision is "edited".
    pub async fn new_revision(
        &self,
        ctx: &Ctx,
        procedure_id: Uuid,
        input: NewRevision,
    ) -> AppResult<RevisionView> {
        let p = self
            .load_procedure(ctx, procedure_id, Action::PlanWork)
            .await?;
        let all = store::revisions(&self.db, p.id).await?;
        let from = match input.from {
            Some(n) => n,
            None => all
                .iter()
                .rev()
                .find(|r| r.state == RevisionState::Published.as_str())
                .or_else(|| all.last())
                .map(|r| r.number)
                .unwrap_or(0),
        };
        let mut states = Vec::with_capacity(all.len());
        for r in &all {
            states.push((r.number, state_of(r)?));
        }
        let number = rules::new_revision_number(&states, from).map_err(AppError::rule)?;
        let Some(source) = all.iter().find(|r| r.number == from) else {
            return Err(AppError::Internal("source revision vanished".into()));
        };
        let source_steps = store::steps(&self.db, source.id).await?;
        let mut r = source.clone();
        r.id = Uuid::now_v7();
        r.number = number;
        r.state = RevisionState::Draft.as_str().to_owned();
        // notes say what changed in a revision: the new one starts without
        r.notes = None;
        r.version = 1;
        r.created_by = ctx.actor.user_id();
        r.created_at = ctx.now;
        r.updated_at = ctx.now;
        r.published_at = None;
        r.published_by = None;
        let steps: Vec<StepRow> = source_steps
            .iter()
            .map(|s| StepRow {
                id: Uuid::now_v7(),
                revision_id: r.id,
                ..s.clone()
            })
            .collect();
        let mut tx = ctx.begin(&self.db).await?;
        store::lock_procedure(&mut tx, p.id).await?;
        store::insert_revision(&mut tx, &r, &steps)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => AppError::Conflict(
                    "another revision of this procedure was started at the same time; reload"
                        .into(),
                ),
                e => e.into(),
            })?;
        tx.commit().await?;
        Ok(RevisionView { revision: r, steps })
    }

    /// Checks that a revision may be attached to new work on `asset` (site `site`): it exists
    /// at that site (else a field error on `field`), is the published one, and the asset has
    /// every meter its meter_reading steps read (else 422).
    pub(crate) async fn check_attach_revision(
        &self,
        field: &'static str,
        site: Uuid,
        asset: Uuid,
        revision: Uuid,
    ) -> AppResult<()> {
        // A revision of another site answers like a missing one: ids of other sites are not
        // confirmed to exist.
        let unknown =
            || AppError::invalid(field, "no procedure revision with this id at this site");
        let r = match store::get_revision(&self.db, revision).await {
            Ok(r) => r,
            Err(StoreError::NotFound) => return Err(unknown()),
            Err(e) => return Err(e.into()),
        };
        let p = store::get_procedure(&self.db, r.procedure_id).await?;
        if p.site_id != site {
            return Err(unknown());
        }
        rules::check_attachable(r.number, state_of(&r)?)
            .map_err(|m| AppError::rule(format!("procedure {}: {m}", p.code)))?;
        let meters = meter::list(&self.db, Some(asset), None).await?;
        for s in store::steps(&self.db, r.id).await? {
            if let StepSpec::MeterReading { meter_code } = step_of(&s)?.spec
                && !meters.iter().any(|m| m.code == meter_code)
            {
                return Err(AppError::rule(format!(
                    "step {} of procedure {} reads meter '{meter_code}', which the asset does not have",
                    s.position, p.code
                )));
            }
        }
        Ok(())
    }

    /// The procedure a work order follows, its steps and the results recorded so far.
    pub async fn work_order_checklist(&self, ctx: &Ctx, id: Uuid) -> AppResult<Checklist> {
        let w = self.load_work_order(ctx, id, Action::Read).await?;
        let Some(rev) = w.procedure_revision_id else {
            return Ok(Checklist {
                work_order_id: w.id,
                procedure: None,
                revision: None,
                steps: vec![],
            });
        };
        let r = store::get_revision(&self.db, rev).await?;
        let p = store::get_procedure(&self.db, r.procedure_id).await?;
        let mut results = store::results(&self.db, w.id).await?;
        let steps = store::steps(&self.db, r.id)
            .await?
            .into_iter()
            .map(|step| {
                let result = results
                    .iter()
                    .position(|x| x.step_id == step.id)
                    .map(|i| results.swap_remove(i));
                ChecklistStep { step, result }
            })
            .collect();
        Ok(Checklist {
            work_order_id: w.id,
            procedure: Some(p),
            revision: Some(r),
            steps,
        })
    }

    /// Records the result of one step on a work order in progress. A meter_reading step records
    /// a reading of the asset's meter; a failed step that asks for it raises one follow-up work
    /// request on the asset. Everything is written in one transaction.
    pub async fn record_step_result(
        &self,
        ctx: &Ctx,
        id: Uuid,
        input: NewStepResult,
    ) -> AppResult<StepResult> {
        let w = self.load_work_order(ctx, id, Action::ExecuteWork).await?;
        let status = WorkOrderStatus::parse(&w.status).map_err(AppError::Internal)?;
        if status != WorkOrderStatus::InProgress {
            return Err(AppError::rule(format!(
                "step results are recorded while the work is in progress; {} is {status}",
                w.number
            )));
        }
        let Some(rev) = w.procedure_revision_id else {
            return Err(AppError::rule(format!(
                "{} follows no procedure; there are no steps to record",
                w.number
            )));
        };
        let row = match store::get_step(&self.db, input.step_id).await {
            Ok(s) if s.revision_id == rev => s,
            Ok(_) => {
                return Err(AppError::invalid(
                    "step_id",
                    "is not a step of the procedure revision this work order follows",
                ));
            }
            Err(StoreError::NotFound) => return Err(AppError::invalid("step_id", "no such step")),
            Err(e) => return Err(e.into()),
        };
        let step = step_of(&row)?;
        let note = match input
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            Some(n) => Some(parse_text(n, 2_000).map_err(|m| AppError::invalid("note", m))?),
            None => None,
        };
        let outcome = rules::evaluate(&step, &input.answer)
            .map_err(|r| AppError::invalid(r.field(), r.to_string()))?;
        if store::results(&self.db, w.id)
            .await?
            .iter()
            .any(|r| r.step_id == row.id)
        {
            return Err(AppError::Conflict(format!(
                "step {} already has a result on {}",
                row.position, w.number
            )));
        }
        // The meter a meter_reading step reads: the asset's meter with the step's code.
        let meter_id = match (&step.spec, &input.answer) {
            (StepSpec::MeterReading { meter_code }, Answer::MeterReading { value: Some(v) }) => {
                let m = meter::list(&self.db, Some(w.asset_id), None)
                    .await?
                    .into_iter()
                    .find(|m| &m.code == meter_code)
                    .ok_or_else(|| {
                        AppError::rule(format!(
                            "the asset has no meter '{meter_code}' for step {} to read",
                            row.position
                        ))
                    })?;
                Some((m.id, *v))
            }
            _ => None,
        };
        let follow_up = if rules::raises_follow_up(&step, &outcome) {
            let r = store::get_revision(&self.db, rev).await?;
            let p = store::get_procedure(&self.db, r.procedure_id).await?;
            Some(follow_up_request(
                ctx,
                &w,
                &p,
                &r,
                &row,
                outcome.reason.as_deref(),
            ))
        } else {
            None
        };
        let answer =
            serde_json::to_value(&input.answer).map_err(|e| AppError::Internal(e.to_string()))?;
        let mut result = StepResult {
            id: Uuid::now_v7(),
            work_order_id: w.id,
            step_id: row.id,
            kind: row.kind.clone(),
            answer: Json(answer),
            outcome: outcome.status.as_str().to_owned(),
            reason: outcome.reason.clone(),
            note,
            reading_id: None,
            follow_up_request_id: None,
            recorded_by: ctx.actor.user_id(),
            recorded_at: ctx.now,
        };
        let mut tx = ctx.begin(&self.db).await?;
        if let Some((meter_id, value)) = meter_id {
            let m = meter::get_for_update(&mut tx, meter_id).await?;
            let kind = MeterKind::parse(&m.kind).map_err(AppError::Internal)?;
            let last = match (m.last_value, m.last_read_at) {
                (Some(value), Some(read_at)) => Some(LastReading { value, read_at }),
                _ => None,
            };
            check_reading(kind, last, value, ctx.now)
                .map_err(|msg| AppError::invalid("answer.value", msg))?;
            let reading = Reading {
                id: Uuid::now_v7(),
                meter_id: m.id,
                read_at: ctx.now,
                value,
                source: "procedure".into(),
                created_by: ctx.actor.user_id(),
                created_at: ctx.now,
            };
            meter::insert_reading(&mut tx, &m, &reading).await?;
            result.reading_id = Some(reading.id);
        }
        if let Some(mut r) = follow_up {
            let n = overhaul_store::dialect::next_counter(&mut tx, "work_request").await?;
            r.number = format!("WR-{n:06}");
            work_request::insert(&mut tx, &r).await?;
            result.follow_up_request_id = Some(r.id);
        }
        store::insert_result(&mut tx, &result)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => AppError::Conflict(format!(
                    "step {} already has a result on {}",
                    row.position, w.number
                )),
                e => e.into(),
            })?;
        tx.commit().await?;
        Ok(result)
    }

    /// Completing a work order that follows a procedure needs a result for every required
    /// step (422 naming the open ones).
    pub(crate) async fn check_procedure_complete(&self, w: &WorkOrder) -> AppResult<()> {
        let Some(rev) = w.procedure_revision_id else {
            return Ok(());
        };
        let steps = store::steps(&self.db, rev).await?;
        let results = store::results(&self.db, w.id).await?;
        let table: Vec<(i64, &str, bool, bool)> = steps
            .iter()
            .map(|s| {
                (
                    s.position,
                    s.title.as_str(),
                    s.required,
                    results.iter().any(|r| r.step_id == s.id),
                )
            })
            .collect();
        rules::check_complete(&table).map_err(AppError::rule)
    }
}

/// The follow-up request a failed step raises: on the work order's asset, linking back to the
/// work order, the procedure revision and the step.
fn follow_up_request(
    ctx: &Ctx,
    w: &WorkOrder,
    p: &Procedure,
    r: &Revision,
    step: &StepRow,
    reason: Option<&str>,
) -> WorkRequest {
    let mut title = format!(
        "Follow-up to {}: step {} failed – {}",
        w.number, step.position, step.title
    );
    if title.chars().count() > 200 {
        title = title.chars().take(199).collect::<String>() + "…";
    }
    let description = format!(
        "Raised by work order {} (procedure {} revision {}, step {} \"{}\").\n{}",
        w.number,
        p.code,
        r.number,
        step.position,
        step.title,
        reason.unwrap_or("The step failed."),
    );
    WorkRequest {
        id: Uuid::now_v7(),
        site_id: w.site_id,
        asset_id: w.asset_id,
        number: String::new(),
        title,
        description,
        priority: Priority::Normal.as_str().to_owned(),
        status: WorkRequestStatus::Open.as_str().to_owned(),
        reject_reason: None,
        work_order_id: None,
        requester_name: None,
        requested_by: ctx.actor.user_id(),
        attachments: overhaul_store::work_order::attachments(vec![]),
        version: 1,
        created_at: ctx.now,
        updated_at: ctx.now,
    }
}
