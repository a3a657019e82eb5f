//! Procedure pages: the list, a revision with its typed steps, the draft editor (add, reorder,
//! remove steps of each kind, publish), and the checklist a technician works through on a work
//! order (one result per step of the pinned revision; a failed step shows the request it raised).

use super::form::Fields;
use super::work_orders::uuid_field;
use super::{Chrome, UiError, UiResult, Viewer, local, refresh, render, words};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use overhaul_app::procedures::{NewRevision, NewStepResult, ProcedureQuery};
use overhaul_app::{Action, AppError};
use overhaul_core::procedure::{Answer, RevisionDraft, StepDraft, StepKind};
use uuid::Uuid;

/// (id, code, title, published revision, draft revision)
type ProcRow = (Uuid, String, String, String, String);

#[derive(Template)]
#[template(path = "procedures/list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<ProcRow>,
}

pub async fn list(State(s): State<AppState>, v: Viewer) -> UiResult {
    let page = s
        .app
        .list_procedures(
            &v.ctx,
            ProcedureQuery {
                limit: Some(200),
                ..Default::default()
            },
        )
        .await?;
    let mut rows = vec![];
    for p in page.items {
        let view = s.app.get_procedure(&v.ctx, p.id).await?;
        let rev = |state: &str| {
            view.revisions
                .iter()
                .filter(|r| r.revision.state == state)
                .map(|r| format!("r{}", r.revision.number))
                .next_back()
                .unwrap_or_else(|| "—".into())
        };
        rows.push((p.id, p.code, p.title, rev("published"), rev("draft")));
    }
    Ok(render(&ListPage {
        chrome: Chrome::for_viewer(&v, "Procedures", "/pm"),
        rows,
    }))
}

/// A step for people and for the editor's inputs.
pub struct StepView {
    position: i64,
    kind: String,
    title: String,
    instructions: String,
    required: bool,
    safety: String,
    follow_up: bool,
    unit: String,
    lower: String,
    upper: String,
    meter: String,
    /// "4.8 mm/s, limits 0–7.1" etc.
    spec: String,
}

fn step_view(r: &overhaul_store::procedure::StepRow) -> StepView {
    let p = &r.params.0;
    let num = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    let spec = match r.kind.as_str() {
        "measurement" => format!(
            "in {}; limits {} – {}",
            p.unit.clone().unwrap_or_default(),
            p.lower
                .map(|v| v.to_string())
                .unwrap_or_else(|| "none".into()),
            p.upper
                .map(|v| v.to_string())
                .unwrap_or_else(|| "none".into())
        ),
        "meter_reading" => format!("meter {}", p.meter_code.clone().unwrap_or_default()),
        _ => String::new(),
    };
    StepView {
        position: r.position,
        kind: r.kind.clone(),
        title: r.title.clone(),
        instructions: r.instructions.clone(),
        required: r.required,
        safety: r.safety_note.clone().unwrap_or_default(),
        follow_up: r.raise_follow_up_on_fail,
        unit: p.unit.clone().unwrap_or_default(),
        lower: num(p.lower),
        upper: num(p.upper),
        meter: p.meter_code.clone().unwrap_or_default(),
        spec,
    }
}

#[derive(Template)]
#[template(path = "procedures/page.html")]
struct ProcedurePage {
    chrome: Chrome,
    id: Uuid,
    code: String,
    title: String,
    description: String,
    /// (id, number, state, published at)
    revisions: Vec<(Uuid, i64, String, String)>,
    can_plan: bool,
    has_draft: bool,
}

pub async fn page(State(s): State<AppState>, v: Viewer, Path(id): Path<String>) -> UiResult {
    let id = uuid_field("id", &id)?;
    let view = s.app.get_procedure(&v.ctx, id).await?;
    let p = &view.procedure;
    Ok(render(&ProcedurePage {
        chrome: Chrome::for_viewer(&v, format!("{} {}", p.code, p.title), "/pm"),
        id,
        code: p.code.clone(),
        title: p.title.clone(),
        description: p.description.clone(),
        has_draft: view.revisions.iter().any(|r| r.revision.state == "draft"),
        revisions: view
            .revisions
            .iter()
            .rev()
            .map(|r| {
                (
                    r.revision.id,
                    r.revision.number,
                    r.revision.state.clone(),
                    r.revision
                        .published_at
                        .map(|t| t.format("%Y-%m-%d").to_string())
                        .unwrap_or_default(),
                )
            })
            .collect(),
        can_plan: v.session.principal.can(Some(p.site_id), Action::PlanWork),
    }))
}

pub async fn new_revision(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
) -> UiResult {
    let id = uuid_field("id", &id)?;
    let r = s
        .app
        .new_revision(&v.ctx, id, NewRevision::default())
        .await?;
    Ok(Redirect::to(&format!("/procedures/revisions/{}", r.revision.id)).into_response())
}

#[derive(Template)]
#[template(path = "procedures/revision.html")]
struct RevisionPage {
    chrome: Chrome,
    id: Uuid,
    procedure_id: Uuid,
    heading: String,
    state: String,
    version: i64,
    editable: bool,
    notes: String,
    safety_notes: String,
    qualifications: String,
    estimated_minutes: String,
    crafts: String,
    steps: Vec<StepView>,
    kinds: Vec<&'static str>,
    errors: Vec<(String, String)>,
}

async fn revision_page(
    s: &AppState,
    v: &Viewer,
    id: Uuid,
    errors: Vec<(String, String)>,
) -> Result<RevisionPage, UiError> {
    let r = s.app.get_procedure_revision(&v.ctx, id).await?;
    let p = s.app.get_procedure(&v.ctx, r.revision.procedure_id).await?;
    let rev = &r.revision;
    Ok(RevisionPage {
        chrome: Chrome::for_viewer(v, format!("{} r{}", p.procedure.code, rev.number), "/pm"),
        id,
        procedure_id: p.procedure.id,
        heading: format!(
            "{} r{} — {}",
            p.procedure.code, rev.number, p.procedure.title
        ),
        state: rev.state.clone(),
        version: rev.version,
        editable: rev.state == "draft"
            && v.session
                .principal
                .can(Some(p.procedure.site_id), Action::PlanWork),
        notes: rev.notes.clone().unwrap_or_default(),
        safety_notes: rev.safety_notes.clone().unwrap_or_default(),
        qualifications: rev.qualifications.0.join(", "),
        estimated_minutes: rev
            .estimated_minutes
            .map(|m| m.to_string())
            .unwrap_or_default(),
        crafts: rev.crafts.0.join(", "),
        steps: r.steps.iter().map(step_view).collect(),
        kinds: StepKind::ALL.iter().map(|k| k.as_str()).collect(),
        errors,
    })
}

pub async fn revision(State(s): State<AppState>, v: Viewer, Path(id): Path<String>) -> UiResult {
    let id = uuid_field("id", &id)?;
    Ok(render(&revision_page(&s, &v, id, vec![]).await?))
}

fn list_of(raw: Option<&str>) -> Vec<String> {
    raw.unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

fn opt_number(field: &str, raw: &str) -> Result<Option<f64>, UiError> {
    match raw.trim() {
        "" => Ok(None),
        x => x
            .parse::<f64>()
            .map(Some)
            .map_err(|_| UiError::bad(format!("{field}: enter a number"))),
    }
}

/// The draft the editor form describes: steps in the order of their position numbers, the
/// ones marked "remove" left out, the blank new-step row ignored.
fn draft_of(f: &Fields) -> Result<RevisionDraft, UiError> {
    let col = |name: &str| f.all(name);
    let (kinds, titles, pos) = (col("step_kind"), col("step_title"), col("step_position"));
    let (instr, req, safety) = (
        col("step_instructions"),
        col("step_required"),
        col("step_safety"),
    );
    let (follow, unit, lower, upper, meter, remove) = (
        col("step_follow_up"),
        col("step_unit"),
        col("step_lower"),
        col("step_upper"),
        col("step_meter"),
        col("step_remove"),
    );
    let at = |v: &Vec<&str>, i: usize| v.get(i).map(|x| x.trim()).unwrap_or("").to_owned();
    let mut steps: Vec<(f64, usize, StepDraft)> = vec![];
    for i in 0..kinds.len() {
        let title = at(&titles, i);
        if at(&remove, i) == "yes" || (title.is_empty() && at(&pos, i) == "new") {
            continue;
        }
        let field = format!("steps[{i}]");
        let position = match at(&pos, i).as_str() {
            "new" | "" => f64::MAX,
            p => p
                .parse::<f64>()
                .map_err(|_| UiError::bad(format!("{field}.position: enter a number")))?,
        };
        let kind = StepKind::parse(&at(&kinds, i))
            .map_err(|m| UiError::bad(format!("{field}.kind: {m}")))?;
        let text = |v: &Vec<&str>| Some(at(v, i)).filter(|x| !x.is_empty());
        steps.push((
            position,
            i,
            StepDraft {
                kind,
                title,
                instructions: text(&instr),
                required: Some(at(&req, i) != "no"),
                safety_note: text(&safety),
                raise_follow_up_on_fail: Some(at(&follow, i) == "yes"),
                unit: text(&unit),
                lower: opt_number(&format!("{field}.lower"), &at(&lower, i))?,
                upper: opt_number(&format!("{field}.upper"), &at(&upper, i))?,
                meter_code: text(&meter),
            },
        ));
    }
    steps.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    Ok(RevisionDraft {
        notes: f.get("notes").map(str::to_owned),
        safety_notes: f.get("safety_notes").map(str::to_owned),
        qualifications: list_of(f.get("qualifications")),
        estimated_minutes: match f.get("estimated_minutes") {
            None => None,
            Some(m) => Some(
                m.parse()
                    .map_err(|_| UiError::bad("estimated_minutes: enter whole minutes"))?,
            ),
        },
        crafts: list_of(f.get("crafts")),
        steps: steps.into_iter().map(|s| s.2).collect(),
    })
}

pub async fn save_revision(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> UiResult {
    let id = uuid_field("id", &id)?;
    let version = f.get("version").and_then(|x| x.parse().ok());
    let attempt = async {
        let draft = draft_of(&f)?;
        s.app
            .replace_revision_content(&v.ctx, id, version, draft)
            .await?;
        Ok::<_, UiError>(())
    };
    match attempt.await {
        Ok(()) => Ok(Redirect::to(&format!("/procedures/revisions/{id}")).into_response()),
        Err(e) => {
            let mut errors = e.fields.clone();
            if errors.is_empty() {
                errors.push((String::new(), e.message.clone()));
            }
            let mut r = render(&revision_page(&s, &v, id, errors).await?);
            *r.status_mut() = e.status;
            Ok(r)
        }
    }
}

pub async fn publish(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> UiResult {
    let id = uuid_field("id", &id)?;
    let version = f.get("version").and_then(|x| x.parse().ok());
    s.app.publish_revision(&v.ctx, id, version).await?;
    Ok(refresh())
}

/// One step of a work order's checklist.
pub struct ChecklistRow {
    id: Uuid,
    kind: String,
    title: String,
    instructions: String,
    safety: String,
    spec: String,
    required: bool,
    /// (outcome, answer, reason, recorded at)
    result: Option<(String, String, String, String)>,
    /// The follow-up work request the failed step raised: (id, number).
    follow_up: Option<(Uuid, String)>,
}

#[derive(Template)]
#[template(path = "procedures/_checklist.html")]
pub struct ChecklistFragment {
    work_order: Uuid,
    heading: String,
    can_record: bool,
    rows: Vec<ChecklistRow>,
}

fn answer_words(v: &serde_json::Value) -> String {
    let Some(o) = v.as_object() else {
        return v.to_string();
    };
    o.iter()
        .filter(|(k, _)| *k != "kind")
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => format!("{} {s}", words(k)),
            v => format!("{} {v}", words(k)),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The checklist section of a work-order page (empty when the work follows no procedure).
pub async fn checklist_html(
    s: &AppState,
    v: &Viewer,
    w: &overhaul_store::work_order::WorkOrder,
    tz: chrono_tz::Tz,
) -> Result<String, UiError> {
    let c = s.app.work_order_checklist(&v.ctx, w.id).await?;
    let (Some(p), Some(r)) = (&c.procedure, &c.revision) else {
        return Ok(String::new());
    };
    let mut rows = vec![];
    for st in &c.steps {
        let follow_up = match st.result.as_ref().and_then(|r| r.follow_up_request_id) {
            Some(id) => {
                let number = s
                    .app
                    .get_work_request(&v.ctx, id)
                    .await
                    .map(|r| r.number)
                    .unwrap_or_else(|_| "request".into());
                Some((id, number))
            }
            None => None,
        };
        let view = step_view(&st.step);
        rows.push(ChecklistRow {
            id: st.step.id,
            kind: st.step.kind.clone(),
            title: st.step.title.clone(),
            instructions: st.step.instructions.clone(),
            safety: view.safety,
            spec: view.spec,
            required: st.step.required,
            result: st.result.as_ref().map(|r| {
                (
                    r.outcome.clone(),
                    answer_words(&r.answer.0),
                    r.reason.clone().unwrap_or_default(),
                    local(r.recorded_at, tz),
                )
            }),
            follow_up,
        });
    }
    let frag = ChecklistFragment {
        work_order: w.id,
        heading: format!("Procedure {} r{} — {}", p.code, r.number, p.title),
        can_record: w.status == "in_progress"
            && v.session
                .principal
                .can(Some(w.site_id), Action::ExecuteWork),
        rows,
    };
    frag.render()
        .map_err(|e| AppError::Internal(e.to_string()).into())
}

/// Records one step's result from the work-order page.
pub async fn record_step(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> UiResult {
    let id = uuid_field("id", &id)?;
    let step_id = uuid_field("step", f.req("step")?)?;
    let kind = StepKind::parse(f.req("kind")?).map_err(|m| UiError::bad(format!("kind: {m}")))?;
    let value = || opt_number("value", f.get("value").unwrap_or(""));
    let yes_no = |name: &str| f.get(name).map(|x| x == "yes");
    let answer = match kind {
        StepKind::Check => Answer::Check {
            done: yes_no("done"),
        },
        StepKind::PassFail => Answer::PassFail {
            passed: yes_no("passed"),
        },
        StepKind::Measurement => Answer::Measurement {
            value: value()?,
            unit: None,
        },
        StepKind::MeterReading => Answer::MeterReading { value: value()? },
        StepKind::Text => Answer::Text {
            text: f.get("text").map(str::to_owned),
        },
        StepKind::Photo => Answer::Photo {
            attachment: f.get("attachment").map(str::to_owned),
        },
        StepKind::Signature => Answer::Signature {
            name: f.get("name").map(str::to_owned),
        },
    };
    s.app
        .record_step_result(
            &v.ctx,
            id,
            NewStepResult {
                step_id,
                answer,
                note: f.get("note").map(str::to_owned),
            },
        )
        .await?;
    Ok(refresh())
}
