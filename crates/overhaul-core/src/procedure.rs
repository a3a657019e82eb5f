//! Procedures (standard work): numbered revisions, typed steps, and the judgement of a result
//! recorded against a step.
//!
//! A draft revision is edited in place. Publishing freezes it: a published revision never
//! changes, so a work order that pinned it always shows the steps that were actually done.
//! Publishing a newer revision supersedes the one published before; a revision can also be
//! retired. Changing published work means starting a new draft (number n + 1) that copies the
//! steps of the revision it starts from.

use crate::validation::{Checks, Code, Invalid, parse_line, parse_text};
use serde::{Deserialize, Serialize};
use std::fmt;

text_enum!(
    /// Life of a revision: draft → published → superseded / retired.
    RevisionState {
        Draft => "draft",
        Published => "published",
        Superseded => "superseded",
        Retired => "retired",
    }
);

/// Checks a change of a revision's state. Only a draft is ever edited; published is reached
/// from draft only; superseded only from published; retired from published or superseded.
pub fn check_revision_transition(from: RevisionState, to: RevisionState) -> Result<(), String> {
    use RevisionState::*;
    let ok = matches!(
        (from, to),
        (Draft, Published) | (Published, Superseded) | (Published, Retired) | (Superseded, Retired)
    );
    if ok {
        Ok(())
    } else if from == to {
        Err(format!("the revision is already {to}"))
    } else {
        Err(format!("a {from} revision cannot become {to}"))
    }
}

/// Only a draft may be edited; anything else is frozen.
pub fn check_editable(number: i64, state: RevisionState) -> Result<(), String> {
    if state == RevisionState::Draft {
        Ok(())
    } else {
        Err(format!(
            "revision {number} is {state} and cannot change; start a new revision from it"
        ))
    }
}

/// Only the published revision may be attached to new work (a PM plan or a work order).
pub fn check_attachable(number: i64, state: RevisionState) -> Result<(), String> {
    match state {
        RevisionState::Published => Ok(()),
        RevisionState::Draft => Err(format!(
            "revision {number} is a draft; publish it before attaching it to work"
        )),
        RevisionState::Superseded => Err(format!(
            "revision {number} was superseded by a newer revision; attach the published one"
        )),
        RevisionState::Retired => Err(format!(
            "revision {number} is retired and cannot be attached to new work"
        )),
    }
}

/// Decides the number of a new draft started from revision `from`, given every revision of the
/// procedure as (number, state). One draft at a time: a second one would fork the edits.
pub fn new_revision_number(revisions: &[(i64, RevisionState)], from: i64) -> Result<i64, String> {
    let Some((_, source)) = revisions.iter().find(|(n, _)| *n == from) else {
        return Err(format!("the procedure has no revision {from}"));
    };
    if *source == RevisionState::Draft {
        return Err(format!(
            "revision {from} is a draft: edit it instead of starting another"
        ));
    }
    if let Some((n, _)) = revisions.iter().find(|(_, s)| *s == RevisionState::Draft) {
        return Err(format!(
            "revision {n} is already a draft of this procedure; edit or publish it first"
        ));
    }
    let max = revisions.iter().map(|(n, _)| *n).max().unwrap_or(0);
    Ok(max + 1)
}

/// Decides publishing revision `number` with `step_count` steps. Returns the numbers of the
/// revisions that become superseded (the one published before, if any).
pub fn publish(
    revisions: &[(i64, RevisionState)],
    number: i64,
    step_count: usize,
) -> Result<Vec<i64>, String> {
    let Some((_, state)) = revisions.iter().find(|(n, _)| *n == number) else {
        return Err(format!("the procedure has no revision {number}"));
    };
    check_revision_transition(*state, RevisionState::Published)
        .map_err(|_| format!("revision {number} is {state}: only a draft can be published"))?;
    if step_count == 0 {
        return Err(format!(
            "revision {number} has no steps; a procedure needs at least one step to be published"
        ));
    }
    Ok(revisions
        .iter()
        .filter(|(_, s)| *s == RevisionState::Published)
        .map(|(n, _)| *n)
        .collect())
}

text_enum!(
    /// What a step asks the technician for.
    StepKind {
        Check => "check",
        PassFail => "pass_fail",
        Measurement => "measurement",
        MeterReading => "meter_reading",
        Text => "text",
        Photo => "photo",
        Signature => "signature",
    }
);

/// A step as a planner writes it. Flat, so that a field that does not fit the kind is named in
/// the error (`unit` on a pass_fail step) instead of silently ignored.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepDraft {
    pub kind: StepKind,
    pub title: String,
    /// How to do it.
    pub instructions: Option<String>,
    /// Must the step have a result before the work order completes? Default true.
    pub required: Option<bool>,
    /// Safety / lockout-tagout note shown with this step.
    pub safety_note: Option<String>,
    /// A failed result raises one follow-up work request on the asset. Only pass_fail and
    /// measurement steps with limits can fail. Default false.
    pub raise_follow_up_on_fail: Option<bool>,
    /// measurement: unit of the value, e.g. `mm/s`.
    pub unit: Option<String>,
    /// measurement: lowest acceptable value (inclusive).
    pub lower: Option<f64>,
    /// measurement: highest acceptable value (inclusive).
    pub upper: Option<f64>,
    /// meter_reading: code of the meter on the work order's asset (each asset has its own
    /// meter with that code, so one procedure serves every asset of a kind).
    pub meter_code: Option<String>,
}

/// The kind of a step with the parameters that kind needs.
#[derive(Debug, Clone, PartialEq)]
pub enum StepSpec {
    Check,
    PassFail,
    Measurement {
        unit: String,
        lower: Option<f64>,
        upper: Option<f64>,
    },
    MeterReading {
        meter_code: String,
    },
    Text,
    Photo,
    Signature,
}

impl StepSpec {
    pub fn kind(&self) -> StepKind {
        match self {
            StepSpec::Check => StepKind::Check,
            StepSpec::PassFail => StepKind::PassFail,
            StepSpec::Measurement { .. } => StepKind::Measurement,
            StepSpec::MeterReading { .. } => StepKind::MeterReading,
            StepSpec::Text => StepKind::Text,
            StepSpec::Photo => StepKind::Photo,
            StepSpec::Signature => StepKind::Signature,
        }
    }

    /// Whether a result of this step can be a failure.
    pub fn can_fail(&self) -> bool {
        match self {
            StepSpec::PassFail => true,
            StepSpec::Measurement { lower, upper, .. } => lower.is_some() || upper.is_some(),
            _ => false,
        }
    }
}

/// The kind-specific parameters as stored (a JSON object next to the kind).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepParams {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lower: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upper: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meter_code: Option<String>,
}

/// A checked step.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub title: String,
    pub instructions: String,
    pub required: bool,
    pub safety_note: Option<String>,
    pub raise_follow_up_on_fail: bool,
    pub spec: StepSpec,
}

impl Step {
    pub fn kind(&self) -> StepKind {
        self.spec.kind()
    }

    pub fn params(&self) -> StepParams {
        match &self.spec {
            StepSpec::Measurement { unit, lower, upper } => StepParams {
                unit: Some(unit.clone()),
                lower: *lower,
                upper: *upper,
                meter_code: None,
            },
            StepSpec::MeterReading { meter_code } => StepParams {
                meter_code: Some(meter_code.clone()),
                ..StepParams::default()
            },
            _ => StepParams::default(),
        }
    }

    /// The draft this step was parsed from (for copying a revision and reading it back).
    pub fn to_draft(&self) -> StepDraft {
        let p = self.params();
        StepDraft {
            kind: self.kind(),
            title: self.title.clone(),
            instructions: Some(self.instructions.clone()),
            required: Some(self.required),
            safety_note: self.safety_note.clone(),
            raise_follow_up_on_fail: Some(self.raise_follow_up_on_fail),
            unit: p.unit,
            lower: p.lower,
            upper: p.upper,
            meter_code: p.meter_code,
        }
    }
}

/// Most steps in one revision.
pub const MAX_STEPS: usize = 200;

fn optional_text(c: &mut Checks, field: &str, raw: &Option<String>, max: usize) -> Option<String> {
    let raw = raw.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    c.take(field, parse_text(raw, max))
}

fn finite(c: &mut Checks, field: &str, v: Option<f64>) -> Option<f64> {
    match v {
        Some(x) if !x.is_finite() => {
            c.push(field, "must be a finite number");
            None
        }
        v => v,
    }
}

/// Checks one step; errors are recorded under `prefix` + field name.
pub fn parse_step(outer: &mut Checks, prefix: &str, d: &StepDraft) -> Option<Step> {
    let f = |name: &str| format!("{prefix}{name}");
    let mut local = Checks::new();
    let c = &mut local;
    let title = c.take(&f("title"), parse_line(&d.title, 200));
    let instructions = optional_text(c, &f("instructions"), &d.instructions, 10_000);
    let safety_note = optional_text(c, &f("safety_note"), &d.safety_note, 2_000);
    let measuring = d.kind == StepKind::Measurement;
    if !measuring {
        for (name, given) in [
            ("unit", d.unit.is_some()),
            ("lower", d.lower.is_some()),
            ("upper", d.upper.is_some()),
        ] {
            if given {
                c.push(f(name), "only measurement steps have a unit and limits");
            }
        }
    }
    if d.kind != StepKind::MeterReading && d.meter_code.is_some() {
        c.push(f("meter_code"), "only meter_reading steps name a meter");
    }
    let spec = match d.kind {
        StepKind::Check => Some(StepSpec::Check),
        StepKind::PassFail => Some(StepSpec::PassFail),
        StepKind::Text => Some(StepSpec::Text),
        StepKind::Photo => Some(StepSpec::Photo),
        StepKind::Signature => Some(StepSpec::Signature),
        StepKind::Measurement => {
            let unit = match &d.unit {
                Some(u) => c.take(&f("unit"), parse_line(u, 32)),
                None => {
                    c.push(f("unit"), "a measurement needs its unit, e.g. mm/s");
                    None
                }
            };
            let lower = finite(c, &f("lower"), d.lower);
            let upper = finite(c, &f("upper"), d.upper);
            if let (Some(l), Some(u)) = (lower, upper)
                && l > u
            {
                c.push(f("upper"), "must not be below lower");
            }
            unit.map(|unit| StepSpec::Measurement { unit, lower, upper })
        }
        StepKind::MeterReading => match &d.meter_code {
            Some(m) => {
                c.take(&f("meter_code"), Code::parse(m))
                    .map(|code| StepSpec::MeterReading {
                        meter_code: code.into_inner(),
                    })
            }
            None => {
                c.push(
                    f("meter_code"),
                    "a meter reading needs the code of the asset's meter, e.g. RUN-HOURS",
                );
                None
            }
        },
    };
    let raise = d.raise_follow_up_on_fail.unwrap_or(false);
    if raise
        && let Some(s) = &spec
        && !s.can_fail()
    {
        let why = if d.kind == StepKind::Measurement {
            "a measurement without limits cannot fail; give lower and/or upper"
        } else {
            "only pass_fail and measurement steps can fail"
        };
        c.push(f("raise_follow_up_on_fail"), why);
    }
    if let Err(inv) = local.finish() {
        for e in inv.0 {
            outer.push(e.field, e.message);
        }
        return None;
    }
    Some(Step {
        title: title?,
        instructions: instructions.unwrap_or_default(),
        required: d.required.unwrap_or(true),
        safety_note,
        raise_follow_up_on_fail: raise,
        spec: spec?,
    })
}

/// Rebuilds a stored step (kind + parameters); a row that no longer parses is corrupt.
pub fn stored_step(
    kind: &str,
    title: &str,
    instructions: &str,
    required: bool,
    safety_note: Option<&str>,
    raise_follow_up_on_fail: bool,
    params: &StepParams,
) -> Result<Step, String> {
    let draft = StepDraft {
        kind: StepKind::parse(kind)?,
        title: title.to_owned(),
        instructions: Some(instructions.to_owned()),
        required: Some(required),
        safety_note: safety_note.map(str::to_owned),
        raise_follow_up_on_fail: Some(raise_follow_up_on_fail),
        unit: params.unit.clone(),
        lower: params.lower,
        upper: params.upper,
        meter_code: params.meter_code.clone(),
    };
    let mut c = Checks::new();
    let step = parse_step(&mut c, "", &draft);
    c.finish().map_err(|e| e.to_string())?;
    step.ok_or_else(|| "stored step does not parse".to_owned())
}

/// The content of a revision as a planner writes it: revision-level notes and the whole
/// ordered step list (a PUT replaces all of it).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevisionDraft {
    /// What changed in this revision.
    pub notes: Option<String>,
    /// Safety and lockout-tagout notes for the whole job.
    pub safety_notes: Option<String>,
    /// Qualifications a technician needs, e.g. `LOTO authorised`, `HV switching`.
    #[serde(default)]
    pub qualifications: Vec<String>,
    /// Estimated duration of the whole procedure, in minutes.
    pub estimated_minutes: Option<i64>,
    /// Crafts the job needs, e.g. `mechanical`, `electrical`.
    #[serde(default)]
    pub crafts: Vec<String>,
    #[serde(default)]
    pub steps: Vec<StepDraft>,
}

/// A checked revision content.
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionContent {
    pub notes: Option<String>,
    pub safety_notes: Option<String>,
    pub qualifications: Vec<String>,
    pub estimated_minutes: Option<i64>,
    pub crafts: Vec<String>,
    pub steps: Vec<Step>,
}

/// Longest estimate accepted (a week of work); longer is a typing error or a project.
pub const MAX_ESTIMATE_MINUTES: i64 = 7 * 24 * 60;

fn labels(c: &mut Checks, field: &str, raw: &[String], max_len: usize) -> Vec<String> {
    if raw.len() > 20 {
        c.push(field, "at most 20 entries");
        return vec![];
    }
    let mut out: Vec<String> = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        if let Some(v) = c.take(&format!("{field}[{i}]"), parse_line(r, max_len)) {
            if out.iter().any(|o| o.eq_ignore_ascii_case(&v)) {
                c.push(format!("{field}[{i}]"), "is listed twice");
            } else {
                out.push(v);
            }
        }
    }
    out
}

/// Checks a revision's content, naming every wrong field (`steps[2].upper`).
pub fn parse_revision(d: &RevisionDraft) -> Result<RevisionContent, Invalid> {
    let mut c = Checks::new();
    let notes = optional_text(&mut c, "notes", &d.notes, 5_000);
    let safety_notes = optional_text(&mut c, "safety_notes", &d.safety_notes, 10_000);
    let qualifications = labels(&mut c, "qualifications", &d.qualifications, 100);
    let crafts = labels(&mut c, "crafts", &d.crafts, 64);
    if let Some(m) = d.estimated_minutes
        && !(1..=MAX_ESTIMATE_MINUTES).contains(&m)
    {
        c.push(
            "estimated_minutes",
            format!("must be between 1 and {MAX_ESTIMATE_MINUTES} minutes"),
        );
    }
    let mut steps = Vec::with_capacity(d.steps.len());
    if d.steps.len() > MAX_STEPS {
        c.push("steps", format!("at most {MAX_STEPS} steps"));
    } else {
        for (i, s) in d.steps.iter().enumerate() {
            if let Some(s) = parse_step(&mut c, &format!("steps[{i}]."), s) {
                steps.push(s);
            }
        }
    }
    c.finish()?;
    Ok(RevisionContent {
        notes,
        safety_notes,
        qualifications,
        estimated_minutes: d.estimated_minutes,
        crafts,
        steps,
    })
}

/// What the technician answers for a step; `kind` must be the step's kind. A value left out
/// (`null`) is allowed for optional steps only.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Answer {
    /// The check was done.
    Check {
        done: Option<bool>,
    },
    PassFail {
        passed: Option<bool>,
    },
    /// `unit`, when given, must be the step's unit.
    Measurement {
        value: Option<f64>,
        unit: Option<String>,
    },
    /// Recorded as a reading of the asset's meter the step names.
    MeterReading {
        value: Option<f64>,
    },
    Text {
        text: Option<String>,
    },
    /// Reference of an uploaded photo.
    Photo {
        attachment: Option<String>,
    },
    /// Printed name of the person signing (the signed-in user is recorded too).
    Signature {
        name: Option<String>,
    },
}

impl Answer {
    pub fn kind(&self) -> StepKind {
        match self {
            Answer::Check { .. } => StepKind::Check,
            Answer::PassFail { .. } => StepKind::PassFail,
            Answer::Measurement { .. } => StepKind::Measurement,
            Answer::MeterReading { .. } => StepKind::MeterReading,
            Answer::Text { .. } => StepKind::Text,
            Answer::Photo { .. } => StepKind::Photo,
            Answer::Signature { .. } => StepKind::Signature,
        }
    }
}

text_enum!(
    /// The judgement of a result: passed / failed for steps with a criterion, recorded for
    /// steps that only collect something.
    OutcomeStatus {
        Passed => "passed",
        Failed => "failed",
        Recorded => "recorded",
    }
);

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub status: OutcomeStatus,
    /// Why, in words a technician reads (e.g. "4.8 mm/s is above the upper limit 4.5 mm/s").
    pub reason: Option<String>,
}

impl Outcome {
    fn new(status: OutcomeStatus, reason: Option<String>) -> Self {
        Self { status, reason }
    }
}

/// A result that cannot be recorded against the step.
#[derive(Debug, Clone, PartialEq)]
pub enum Rejection {
    /// The answer is for another kind of step.
    WrongKind {
        expected: StepKind,
        got: StepKind,
    },
    /// A required step was answered without a value.
    MissingValue {
        kind: StepKind,
    },
    UnitMismatch {
        expected: String,
        got: String,
    },
    NotFinite,
    /// Text that breaks the text rules (too long, control characters).
    BadText(String),
}

impl Rejection {
    /// The input field the rejection is about (inside the `answer` object).
    pub fn field(&self) -> &'static str {
        match self {
            Rejection::WrongKind { .. } => "answer.kind",
            Rejection::MissingValue { kind } => match kind {
                StepKind::Check => "answer.done",
                StepKind::PassFail => "answer.passed",
                StepKind::Measurement | StepKind::MeterReading => "answer.value",
                StepKind::Text => "answer.text",
                StepKind::Photo => "answer.attachment",
                StepKind::Signature => "answer.name",
            },
            Rejection::UnitMismatch { .. } => "answer.unit",
            Rejection::NotFinite => "answer.value",
            Rejection::BadText(_) => "answer",
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::WrongKind { expected, got } => {
                write!(f, "this is a {expected} step; a {got} answer does not fit")
            }
            Rejection::MissingValue { kind } => {
                write!(f, "the step is required: a {kind} answer needs a value")
            }
            Rejection::UnitMismatch { expected, got } => {
                write!(f, "the step measures in {expected}, not {got}")
            }
            Rejection::NotFinite => write!(f, "must be a finite number"),
            Rejection::BadText(m) => write!(f, "{m}"),
        }
    }
}

/// Judges an answer to a step.
pub fn evaluate(step: &Step, answer: &Answer) -> Result<Outcome, Rejection> {
    use OutcomeStatus::*;
    let kind = step.kind();
    if answer.kind() != kind {
        return Err(Rejection::WrongKind {
            expected: kind,
            got: answer.kind(),
        });
    }
    // An unanswered step: refused when required, recorded as blank when optional.
    let blank = || {
        if step.required {
            Err(Rejection::MissingValue { kind })
        } else {
            Ok(Outcome::new(
                Recorded,
                Some("left blank (optional step)".into()),
            ))
        }
    };
    let text =
        |raw: &Option<String>, max: usize, line: bool| -> Option<Result<String, Rejection>> {
            let t = raw.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
            let r = if line {
                parse_line(t, max)
            } else {
                parse_text(t, max)
            };
            Some(r.map_err(Rejection::BadText))
        };
    match (&step.spec, answer) {
        (StepSpec::Check, Answer::Check { done }) => match done {
            Some(true) => Ok(Outcome::new(Passed, None)),
            _ => blank(),
        },
        (StepSpec::PassFail, Answer::PassFail { passed }) => match passed {
            Some(true) => Ok(Outcome::new(Passed, None)),
            Some(false) => Ok(Outcome::new(Failed, Some("marked as failed".into()))),
            None => blank(),
        },
        (
            StepSpec::Measurement { unit, lower, upper },
            Answer::Measurement { value, unit: got },
        ) => {
            let Some(v) = *value else { return blank() };
            if !v.is_finite() {
                return Err(Rejection::NotFinite);
            }
            if let Some(g) = got.as_deref().map(str::trim)
                && g != unit
            {
                return Err(Rejection::UnitMismatch {
                    expected: unit.clone(),
                    got: g.to_owned(),
                });
            }
            if let Some(l) = lower
                && v < *l
            {
                return Ok(Outcome::new(
                    Failed,
                    Some(format!("{v} {unit} is below the lower limit {l} {unit}")),
                ));
            }
            if let Some(u) = upper
                && v > *u
            {
                return Ok(Outcome::new(
                    Failed,
                    Some(format!("{v} {unit} is above the upper limit {u} {unit}")),
                ));
            }
            if lower.is_some() || upper.is_some() {
                Ok(Outcome::new(Passed, None))
            } else {
                Ok(Outcome::new(Recorded, None))
            }
        }
        (StepSpec::MeterReading { .. }, Answer::MeterReading { value }) => match value {
            None => blank(),
            Some(v) if !v.is_finite() => Err(Rejection::NotFinite),
            Some(_) => Ok(Outcome::new(Recorded, None)),
        },
        (StepSpec::Text, Answer::Text { text: t }) => match text(t, 5_000, false) {
            None => blank(),
            Some(r) => r.map(|_| Outcome::new(Recorded, None)),
        },
        (StepSpec::Photo, Answer::Photo { attachment }) => match text(attachment, 300, true) {
            None => blank(),
            Some(r) => r.map(|_| Outcome::new(Recorded, None)),
        },
        (StepSpec::Signature, Answer::Signature { name }) => match text(name, 200, true) {
            None => blank(),
            Some(r) => r.map(|_| Outcome::new(Recorded, None)),
        },
        // The kinds were compared above; every pair of equal kinds is matched.
        _ => Err(Rejection::WrongKind {
            expected: kind,
            got: answer.kind(),
        }),
    }
}

/// Whether a result raises a follow-up request: the step asks for one and the result failed.
pub fn raises_follow_up(step: &Step, outcome: &Outcome) -> bool {
    step.raise_follow_up_on_fail && outcome.status == OutcomeStatus::Failed
}

/// Completing a work order needs a result for every required step. `steps` are
/// (position, title, required, has a result); refuses with the unanswered ones named.
pub fn check_complete(steps: &[(i64, &str, bool, bool)]) -> Result<(), String> {
    let open: Vec<String> = steps
        .iter()
        .filter(|(_, _, required, done)| *required && !*done)
        .map(|(pos, title, _, _)| format!("{pos}. {title}"))
        .collect();
    if open.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "required procedure steps have no result yet: {}",
            open.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RevisionState::*;

    fn draft(kind: StepKind) -> StepDraft {
        StepDraft {
            kind,
            title: "Step".into(),
            instructions: None,
            required: None,
            safety_note: None,
            raise_follow_up_on_fail: None,
            unit: None,
            lower: None,
            upper: None,
            meter_code: None,
        }
    }

    fn step(spec: StepSpec, required: bool) -> Step {
        Step {
            title: "Step".into(),
            instructions: String::new(),
            required,
            safety_note: None,
            raise_follow_up_on_fail: false,
            spec,
        }
    }

    fn vib() -> StepSpec {
        StepSpec::Measurement {
            unit: "mm/s".into(),
            lower: Some(0.5),
            upper: Some(4.5),
        }
    }

    #[test]
    fn revision_state_changes() {
        // (from, to, ok)
        let cases = [
            (Draft, Published, true),
            (Draft, Superseded, false),
            (Draft, Retired, false),
            (Published, Superseded, true),
            (Published, Retired, true),
            (Published, Draft, false),
            (Published, Published, false),
            (Superseded, Retired, true),
            (Superseded, Published, false),
            (Superseded, Draft, false),
            (Retired, Published, false),
            (Retired, Draft, false),
        ];
        for (from, to, ok) in cases {
            assert_eq!(
                check_revision_transition(from, to).is_ok(),
                ok,
                "{from} -> {to}"
            );
        }
        assert!(check_editable(1, Draft).is_ok());
        for s in [Published, Superseded, Retired] {
            let e = check_editable(3, s).unwrap_err();
            assert!(
                e.contains("revision 3") && e.contains("new revision"),
                "{e}"
            );
        }
        assert!(check_attachable(1, Published).is_ok());
        for s in [Draft, Superseded, Retired] {
            assert!(check_attachable(1, s).is_err(), "{s}");
        }
    }

    #[test]
    fn new_revision_numbers() {
        // (revisions, from, expected)
        type Case<'a> = (&'a [(i64, RevisionState)], i64, Result<i64, &'a str>);
        let cases: &[Case] = &[
            (&[(1, Published)], 1, Ok(2)),
            // from an older, superseded one: still max + 1
            (&[(1, Superseded), (2, Published)], 1, Ok(3)),
            (&[(1, Superseded), (2, Retired)], 2, Ok(3)),
            (&[(1, Draft)], 1, Err("is a draft: edit it")),
            (
                &[(1, Published), (2, Draft)],
                1,
                Err("revision 2 is already a draft"),
            ),
            (&[(1, Published)], 7, Err("no revision 7")),
        ];
        for (revs, from, want) in cases {
            let got = new_revision_number(revs, *from);
            match (got, want) {
                (Ok(n), Ok(w)) => assert_eq!(n, *w),
                (Err(e), Err(w)) => assert!(e.contains(w), "{e} / {w}"),
                (g, w) => panic!("{revs:?} from {from}: got {g:?}, want {w:?}"),
            }
        }
    }

    #[test]
    fn publishing() {
        assert_eq!(publish(&[(1, Draft)], 1, 3), Ok(vec![]));
        // publishing revision 3 supersedes the published 2, not the superseded 1
        assert_eq!(
            publish(&[(1, Superseded), (2, Published), (3, Draft)], 3, 1),
            Ok(vec![2])
        );
        let e = publish(&[(1, Published)], 1, 3).unwrap_err();
        assert!(e.contains("only a draft"), "{e}");
        let e = publish(&[(1, Draft)], 1, 0).unwrap_err();
        assert!(e.contains("at least one step"), "{e}");
        assert!(publish(&[(1, Draft)], 2, 1).is_err());
    }

    #[test]
    fn step_validation_names_the_field() {
        let mut m = draft(StepKind::Measurement);
        m.unit = Some("mm/s".into());
        m.lower = Some(0.0);
        m.upper = Some(4.5);
        m.raise_follow_up_on_fail = Some(true);
        let mut no_unit = m.clone();
        no_unit.unit = None;
        let mut crossed = m.clone();
        crossed.lower = Some(5.0);
        let mut nan = m.clone();
        nan.upper = Some(f64::NAN);
        let mut unlimited_follow_up = m.clone();
        unlimited_follow_up.lower = None;
        unlimited_follow_up.upper = None;
        let mut unit_on_check = draft(StepKind::Check);
        unit_on_check.unit = Some("mm".into());
        let mut follow_up_on_text = draft(StepKind::Text);
        follow_up_on_text.raise_follow_up_on_fail = Some(true);
        let mut pf = draft(StepKind::PassFail);
        pf.raise_follow_up_on_fail = Some(true);
        let mut meter = draft(StepKind::MeterReading);
        meter.meter_code = Some("RUN-H".into());
        let meterless = draft(StepKind::MeterReading);
        let mut bad_meter = draft(StepKind::MeterReading);
        bad_meter.meter_code = Some("run hours".into());
        let mut meter_on_photo = draft(StepKind::Photo);
        meter_on_photo.meter_code = Some("X".into());
        let mut untitled = draft(StepKind::Signature);
        untitled.title = "  ".into();
        // (draft, fields in error; empty = valid)
        let cases: Vec<(StepDraft, Vec<&str>)> = vec![
            (m, vec![]),
            (no_unit, vec!["unit"]),
            (crossed, vec!["upper"]),
            (nan, vec!["upper"]),
            (unlimited_follow_up, vec!["raise_follow_up_on_fail"]),
            (unit_on_check, vec!["unit"]),
            (follow_up_on_text, vec!["raise_follow_up_on_fail"]),
            (pf, vec![]),
            (meter, vec![]),
            (meterless, vec!["meter_code"]),
            (bad_meter, vec!["meter_code"]),
            (meter_on_photo, vec!["meter_code"]),
            (untitled, vec!["title"]),
            (draft(StepKind::Photo), vec![]),
        ];
        for (d, want) in cases {
            let mut c = Checks::new();
            let s = parse_step(&mut c, "steps[4].", &d);
            let got: Vec<String> = match c.finish() {
                Ok(()) => vec![],
                Err(inv) => inv.0.into_iter().map(|e| e.field).collect(),
            };
            let want: Vec<String> = want.iter().map(|f| format!("steps[4].{f}")).collect();
            assert_eq!(got, want, "{d:?}");
            assert_eq!(s.is_some(), want.is_empty());
        }
    }

    #[test]
    fn steps_round_trip_through_storage() {
        let mut m = draft(StepKind::Measurement);
        m.unit = Some("°C".into());
        m.upper = Some(80.0);
        m.required = Some(false);
        m.safety_note = Some("hot surface".into());
        let mut c = Checks::new();
        let s = parse_step(&mut c, "", &m).unwrap();
        assert!(!s.required);
        let p = s.params();
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            serde_json::json!({"unit": "°C", "upper": 80.0})
        );
        let back = stored_step(
            s.kind().as_str(),
            &s.title,
            &s.instructions,
            s.required,
            s.safety_note.as_deref(),
            s.raise_follow_up_on_fail,
            &p,
        )
        .unwrap();
        assert_eq!(back, s);
        assert!(stored_step("nonsense", "t", "", true, None, false, &p).is_err());
    }

    #[test]
    fn revision_content() {
        let mut m = draft(StepKind::Measurement);
        m.unit = Some("bar".into());
        let ok = RevisionDraft {
            notes: Some("first issue".into()),
            safety_notes: Some("Isolate and lock out the motor (LOTO) before opening.".into()),
            qualifications: vec!["LOTO authorised".into()],
            estimated_minutes: Some(45),
            crafts: vec!["mechanical".into(), "electrical".into()],
            steps: vec![draft(StepKind::Check), m],
        };
        let c = parse_revision(&ok).unwrap();
        assert_eq!(c.steps.len(), 2);
        assert_eq!(c.crafts, ["mechanical", "electrical"]);
        let mut bad = ok.clone();
        bad.estimated_minutes = Some(0);
        bad.crafts = vec!["mechanical".into(), "Mechanical".into()];
        bad.qualifications = vec!["".into()];
        bad.steps[1].unit = None;
        let fields: Vec<String> = parse_revision(&bad)
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "qualifications[0]",
                "crafts[1]",
                "estimated_minutes",
                "steps[1].unit"
            ]
        );
        let mut long = ok.clone();
        long.steps = vec![draft(StepKind::Check); MAX_STEPS + 1];
        assert!(parse_revision(&long).is_err());
        // an empty draft is a valid draft (it just cannot be published)
        assert!(parse_revision(&RevisionDraft::default()).is_ok());
    }

    #[test]
    fn evaluating_answers() {
        use OutcomeStatus::*;
        let meas = step(vib(), true);
        let open_meas = step(
            StepSpec::Measurement {
                unit: "h".into(),
                lower: None,
                upper: None,
            },
            true,
        );
        let upper_only = step(
            StepSpec::Measurement {
                unit: "mm".into(),
                lower: None,
                upper: Some(2.0),
            },
            true,
        );
        let pf = step(StepSpec::PassFail, true);
        let pf_opt = step(StepSpec::PassFail, false);
        let check = step(StepSpec::Check, true);
        let meter = step(
            StepSpec::MeterReading {
                meter_code: "RUN".into(),
            },
            true,
        );
        let text = step(StepSpec::Text, true);
        let photo = step(StepSpec::Photo, false);
        let sig = step(StepSpec::Signature, true);
        let m = |value: Option<f64>, unit: Option<&str>| Answer::Measurement {
            value,
            unit: unit.map(str::to_owned),
        };
        // (step, answer, expected status or rejection field, reason contains)
        let cases: Vec<(&Step, Answer, Result<OutcomeStatus, &str>, &str)> = vec![
            // limits are inclusive: 0.5 and 4.5 pass, 4.51 fails
            (&meas, m(Some(4.5), Some("mm/s")), Ok(Passed), ""),
            (&meas, m(Some(0.5), None), Ok(Passed), ""),
            (
                &meas,
                m(Some(4.51), Some("mm/s")),
                Ok(Failed),
                "4.51 mm/s is above the upper limit 4.5 mm/s",
            ),
            (
                &meas,
                m(Some(0.2), None),
                Ok(Failed),
                "0.2 mm/s is below the lower limit 0.5 mm/s",
            ),
            (&meas, m(Some(3.0), Some(" mm/s ")), Ok(Passed), ""),
            (&meas, m(Some(3.0), Some("in/s")), Err("answer.unit"), ""),
            (&meas, m(Some(f64::INFINITY), None), Err("answer.value"), ""),
            (&meas, m(None, Some("mm/s")), Err("answer.value"), ""),
            (&upper_only, m(Some(-10.0), None), Ok(Passed), ""),
            (&upper_only, m(Some(2.5), None), Ok(Failed), "above"),
            (&open_meas, m(Some(1e6), None), Ok(Recorded), ""),
            (&pf, Answer::PassFail { passed: Some(true) }, Ok(Passed), ""),
            (
                &pf,
                Answer::PassFail {
                    passed: Some(false),
                },
                Ok(Failed),
                "marked as failed",
            ),
            (
                &pf,
                Answer::PassFail { passed: None },
                Err("answer.passed"),
                "",
            ),
            (
                &pf_opt,
                Answer::PassFail { passed: None },
                Ok(Recorded),
                "left blank",
            ),
            (
                &pf,
                Answer::Check { done: Some(true) },
                Err("answer.kind"),
                "",
            ),
            (&check, Answer::Check { done: Some(true) }, Ok(Passed), ""),
            (
                &check,
                Answer::Check { done: Some(false) },
                Err("answer.done"),
                "",
            ),
            (
                &meter,
                Answer::MeterReading {
                    value: Some(1234.5),
                },
                Ok(Recorded),
                "",
            ),
            (&meter, m(Some(1234.5), None), Err("answer.kind"), ""),
            (
                &meter,
                Answer::MeterReading { value: None },
                Err("answer.value"),
                "",
            ),
            (
                &text,
                Answer::Text {
                    text: Some("belt worn at the edge".into()),
                },
                Ok(Recorded),
                "",
            ),
            (
                &text,
                Answer::Text {
                    text: Some("   ".into()),
                },
                Err("answer.text"),
                "",
            ),
            (
                &text,
                Answer::Text {
                    text: Some("esc\u{1b}".into()),
                },
                Err("answer"),
                "",
            ),
            (
                &photo,
                Answer::Photo { attachment: None },
                Ok(Recorded),
                "left blank",
            ),
            (
                &sig,
                Answer::Signature {
                    name: Some("Anna Berg".into()),
                },
                Ok(Recorded),
                "",
            ),
            (
                &sig,
                Answer::Signature { name: None },
                Err("answer.name"),
                "",
            ),
        ];
        for (s, a, want, reason) in cases {
            let got = evaluate(s, &a);
            match (&got, want) {
                (Ok(o), Ok(w)) => {
                    assert_eq!(o.status, w, "{a:?}");
                    assert!(
                        o.reason.as_deref().unwrap_or("").contains(reason),
                        "{a:?}: {o:?}"
                    );
                }
                (Err(r), Err(field)) => assert_eq!(r.field(), field, "{a:?}: {r}"),
                _ => panic!("{a:?} on {:?}: got {got:?}, want {want:?}", s.spec),
            }
        }
    }

    #[test]
    fn rejections_read_well() {
        let r = evaluate(&step(vib(), true), &Answer::PassFail { passed: Some(true) }).unwrap_err();
        assert_eq!(
            r.to_string(),
            "this is a measurement step; a pass_fail answer does not fit"
        );
        assert_eq!(
            Rejection::UnitMismatch {
                expected: "mm/s".into(),
                got: "in/s".into()
            }
            .to_string(),
            "the step measures in mm/s, not in/s"
        );
    }

    #[test]
    fn follow_ups_and_completion() {
        let mut s = step(vib(), true);
        let failed = evaluate(
            &s,
            &Answer::Measurement {
                value: Some(9.0),
                unit: None,
            },
        )
        .unwrap();
        assert!(
            !raises_follow_up(&s, &failed),
            "the step did not ask for one"
        );
        s.raise_follow_up_on_fail = true;
        assert!(raises_follow_up(&s, &failed));
        let passed = evaluate(
            &s,
            &Answer::Measurement {
                value: Some(1.0),
                unit: None,
            },
        )
        .unwrap();
        assert!(!raises_follow_up(&s, &passed));

        assert!(check_complete(&[(1, "Isolate", true, true), (2, "Notes", false, false)]).is_ok());
        let e = check_complete(&[
            (1, "Isolate", true, true),
            (2, "Measure", true, false),
            (3, "Sign", true, false),
        ])
        .unwrap_err();
        assert_eq!(
            e,
            "required procedure steps have no result yet: 2. Measure; 3. Sign"
        );
    }

    #[test]
    fn answers_parse_from_json_with_their_kind() {
        let a: Answer =
            serde_json::from_str(r#"{"kind": "measurement", "value": 4.2, "unit": "mm/s"}"#)
                .unwrap();
        assert_eq!(
            a,
            Answer::Measurement {
                value: Some(4.2),
                unit: Some("mm/s".into())
            }
        );
        let a: Answer = serde_json::from_str(r#"{"kind": "pass_fail"}"#).unwrap();
        assert_eq!(a, Answer::PassFail { passed: None });
        assert!(serde_json::from_str::<Answer>(r#"{"kind": "dance"}"#).is_err());
        assert!(
            serde_json::from_str::<Answer>(r#"{"kind": "check", "done": true, "extra": 1}"#)
                .is_err()
        );
    }
}
