//! The planner's PM plans: list, plan page (next dates, occurrences, compliance, flags) and the
//! plan editor, whose live preview posts the form to `/pm/plans/preview` on every change and
//! shows the next ten due dates from the same validation and core expansion as the API.

use super::form::Fields;
use super::work_orders::{find_asset_by_code, site_zones, uuid_field};
use super::{Chrome, UiError, UiResult, Viewer, local, render, words};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use chrono::NaiveDate;
use chrono_tz::Tz;
use overhaul_app::pm::{ComplianceQuery, NewPmPlan};
use overhaul_app::{Action, App, AppError, Ctx};
use overhaul_core::pm::{
    Adjustment, HolidayPolicy, IntervalDraft, IntervalUnit, MeterDraft, Occurrence, PlanDraft,
    PlanFlag, RuleDraft, SkipDraft, TriggerDraft,
};
use overhaul_core::pm::{DayOfWeek, WeekOfMonth};
use overhaul_core::work_order::{Priority, WorkOrderType};
use serde::Deserialize;
use uuid::Uuid;

/// How many due dates the editor previews.
const PREVIEW: usize = 10;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Which form input an app-layer field path belongs to, so its message shows beside it.
fn input_of(field: &str) -> &'static str {
    let f = field.strip_prefix("schedule.").unwrap_or(field);
    if f.starts_with("trigger.meter.every") {
        "meter_every"
    } else if f.starts_with("trigger.meter.warning") {
        "meter_warning"
    } else if f.starts_with("trigger.meter") {
        "meter_start"
    } else if f.ends_with("rrule") || f == "trigger.rule" {
        "rrule"
    } else if f.ends_with(".at") {
        "at"
    } else if f.ends_with("every") || f.ends_with("every_weeks") || f.ends_with("every_months") {
        "every"
    } else if f.ends_with(".on") {
        "on"
    } else if f.ends_with(".week") || f.ends_with(".weekday") {
        "week"
    } else if f.starts_with("skips") {
        "skips"
    } else {
        match f {
            "title" => "title",
            "description" => "description",
            "asset_id" | "asset" => "asset",
            "meter_id" | "meter" => "meter",
            "procedure_revision_id" => "procedure",
            "start" => "start",
            "lead_days" => "lead_days",
            "active_months" => "months",
            "holidays" => "holidays",
            "trigger" => "trigger",
            "unit" => "unit",
            _ => "general",
        }
    }
}

/// Field errors keyed by form input.
#[derive(Default)]
pub struct Errors(Vec<(&'static str, String)>);

impl Errors {
    fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push((input_of(field), message.into()));
    }

    /// The messages for one input, joined (empty when it is fine).
    pub fn of(&self, input: &str) -> String {
        self.0
            .iter()
            .filter(|(k, _)| *k == input)
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn from_ui(e: UiError) -> Self {
        let mut out = Errors::default();
        if e.fields.is_empty() {
            // Messages like "every: enter a whole number" name their input first.
            match e.message.split_once(": ") {
                Some((k, m)) => out.push(k, m),
                None => out.push("general", e.message),
            }
        } else {
            for (k, m) in e.fields {
                out.push(&k, m);
            }
        }
        out
    }
}

/// What the form holds, as typed (so a refused form comes back as it was).
pub struct FormValues {
    asset: String,
    title: String,
    description: String,
    kind: String,
    priority: String,
    trigger: String,
    rule: String,
    every: String,
    unit: String,
    on: Vec<String>,
    week: String,
    weekday: String,
    rrule: String,
    at: String,
    meter: String,
    meter_every: String,
    meter_warning: String,
    meter_start: String,
    start: String,
    lead_days: String,
    months: Vec<i64>,
    holidays: String,
    skips: String,
    procedure: String,
    active: bool,
}

impl FormValues {
    fn from_fields(f: &Fields) -> Self {
        // A default only for a field the form did not send: a blanked field stays blank (and
        // is refused), it never turns silently into the default.
        let s = |k: &str, d: &str| match f.0.iter().find(|(name, _)| name == k) {
            Some((_, v)) => v.trim().to_owned(),
            None => d.to_owned(),
        };
        FormValues {
            asset: s("asset", ""),
            title: s("title", ""),
            description: s("description", ""),
            kind: s("type", "preventive"),
            priority: s("priority", "normal"),
            trigger: s("trigger", "fixed"),
            rule: s("rule", "every"),
            every: s("every", "1"),
            unit: s("unit", "weeks"),
            on: f.all("on").into_iter().map(str::to_owned).collect(),
            week: s("week", "first"),
            weekday: s("weekday", "monday"),
            rrule: s("rrule", ""),
            at: s("at", "06:00"),
            meter: s("meter", ""),
            meter_every: s("meter_every", ""),
            meter_warning: s("meter_warning", ""),
            meter_start: s("meter_start", "0"),
            start: s("start", ""),
            lead_days: s("lead_days", "0"),
            months: f
                .all("months")
                .into_iter()
                .filter_map(|m| m.parse().ok())
                .collect(),
            holidays: s("holidays", "keep"),
            skips: s("skips", ""),
            procedure: s("procedure", ""),
            active: f.get("active").is_some() || f.get("status").is_none(),
        }
    }

    fn month_boxes(&self) -> Vec<(i64, &'static str, bool)> {
        (1..=12)
            .map(|m| {
                (
                    m,
                    MONTHS[(m - 1) as usize],
                    self.months.is_empty() || self.months.contains(&m),
                )
            })
            .collect()
    }

    fn day_boxes(&self) -> Vec<(&'static str, bool)> {
        DayOfWeek::ALL
            .iter()
            .map(|d| (d.as_str(), self.on.iter().any(|x| x == d.as_str())))
            .collect()
    }
}

fn whole(field: &str, raw: &str) -> Result<i64, UiError> {
    raw.trim()
        .parse()
        .map_err(|_| UiError::bad(format!("{field}: enter a whole number")))
}

fn number(field: &str, raw: &str) -> Result<f64, UiError> {
    raw.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| UiError::bad(format!("{field}: enter a number")))
}

fn date(field: &str, raw: &str) -> Result<NaiveDate, UiError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| UiError::bad(format!("{field}: enter a date like 2027-01-31")))
}

fn choice<T>(field: &str, r: Result<T, String>) -> Result<T, UiError> {
    r.map_err(|m| UiError::bad(format!("{field}: {m}")))
}

/// The schedule the form describes (the engine validates the rest).
fn schedule_of(v: &FormValues, today: NaiveDate) -> Result<PlanDraft, UiError> {
    let at = v.at.clone();
    let calendar = || -> Result<IntervalDraft, UiError> {
        Ok(IntervalDraft {
            every: whole("every", &v.every)?,
            unit: choice("unit", IntervalUnit::parse(&v.unit))?,
            at: at.clone(),
        })
    };
    let meter = || -> Result<MeterDraft, UiError> {
        Ok(MeterDraft {
            every: number("meter_every", &v.meter_every)?,
            warning: match v.meter_warning.trim() {
                "" => None,
                w => Some(number("meter_warning", w)?),
            },
            start_reading: match v.meter_start.trim() {
                "" => 0.0,
                s => number("meter_start", s)?,
            },
        })
    };
    let trigger = match v.trigger.as_str() {
        "fixed" => TriggerDraft::Fixed {
            rule: match v.rule.as_str() {
                "every" => RuleDraft::Every {
                    every: whole("every", &v.every)?,
                    unit: choice("unit", IntervalUnit::parse(&v.unit))?,
                    at,
                },
                "weekly" => RuleDraft::Weekly {
                    every_weeks: whole("every", &v.every)?,
                    on: v
                        .on
                        .iter()
                        .map(|d| choice("on", DayOfWeek::parse(d)))
                        .collect::<Result<_, _>>()?,
                    at,
                },
                "monthly_by_weekday" => RuleDraft::MonthlyByWeekday {
                    every_months: whole("every", &v.every)?,
                    week: choice("week", WeekOfMonth::parse(&v.week))?,
                    weekday: choice("week", DayOfWeek::parse(&v.weekday))?,
                    at,
                },
                "rrule" => RuleDraft::Rrule {
                    rrule: v.rrule.clone(),
                    at,
                },
                other => return Err(UiError::bad(format!("rule: unknown rule {other}"))),
            },
        },
        "floating" => TriggerDraft::Floating {
            calendar: calendar()?,
        },
        "meter" => TriggerDraft::Meter { meter: meter()? },
        "whichever_first" => TriggerDraft::WhicheverFirst {
            calendar: calendar()?,
            meter: meter()?,
        },
        other => return Err(UiError::bad(format!("trigger: unknown trigger {other}"))),
    };
    let mut skips = vec![];
    for line in v.skips.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (from, until) = match line.split_once("..") {
            Some((a, b)) => (date("skips", a)?, Some(date("skips", b)?)),
            None => (date("skips", line)?, None),
        };
        skips.push(SkipDraft { from, until });
    }
    Ok(PlanDraft {
        trigger,
        start: match v.start.trim() {
            "" => today,
            s => date("start", s)?,
        },
        lead_days: whole("lead_days", &v.lead_days)?,
        active_months: if v.months.is_empty() || v.months.len() == 12 {
            None
        } else {
            Some(v.months.clone())
        },
        skips,
        holidays: choice("holidays", HolidayPolicy::parse(&v.holidays))?,
    })
}

/// The app-layer input the form describes; the asset comes by code (new) or from the plan.
async fn input_of_form(
    app: &App,
    ctx: &Ctx,
    v: &FormValues,
    asset: Option<overhaul_store::asset::Asset>,
) -> Result<(NewPmPlan, Tz), UiError> {
    let asset = match asset {
        Some(a) => a,
        None => {
            if v.asset.trim().is_empty() {
                return Err(UiError::bad("asset: enter the asset's code"));
            }
            find_asset_by_code(app, ctx, v.asset.trim()).await?
        }
    };
    let zones = site_zones(app, ctx).await?;
    let tz = zones
        .get(&asset.site_id)
        .map(|z| z.0)
        .unwrap_or(chrono_tz::UTC);
    let today = ctx.now.with_timezone(&tz).date_naive();
    let schedule = schedule_of(v, today)?;
    let meter_id = match v.meter.trim() {
        "" => None,
        code => Some(
            app.list_meters(ctx, Some(asset.id))
                .await?
                .into_iter()
                .find(|m| m.code.eq_ignore_ascii_case(code) || m.id.to_string() == code)
                .map(|m| m.id)
                .ok_or_else(|| {
                    UiError::bad(format!("meter: {} has no meter {code}", asset.code))
                })?,
        ),
    };
    let procedure_revision_id = match v.procedure.trim() {
        "" => None,
        id => Some(uuid_field("procedure", id)?),
    };
    Ok((
        NewPmPlan {
            asset_id: asset.id,
            meter_id,
            title: v.title.clone(),
            description: Some(v.description.clone()).filter(|d| !d.trim().is_empty()),
            kind: Some(choice("type", WorkOrderType::parse(&v.kind))?),
            priority: Some(choice("priority", Priority::parse(&v.priority))?),
            schedule,
            procedure_revision_id,
        },
        tz,
    ))
}

/// One previewed due date, for people.
pub struct PreviewRow {
    due: String,
    weekday: String,
    create: String,
    notes: String,
}

fn adjustment_words(a: &Adjustment) -> String {
    match a {
        Adjustment::DayClamped => "moved to the month's last day".into(),
        Adjustment::DstGap { requested } => {
            format!(
                "{} does not exist (clocks go forward)",
                requested.format("%H:%M")
            )
        }
        Adjustment::DstRepeated => "first of the repeated hour (clocks go back)".into(),
        Adjustment::HolidayMoved { from, to } => format!("holiday {from} → {to}"),
    }
}

fn preview_rows(next: &[Occurrence], tz: Tz) -> Vec<PreviewRow> {
    next.iter()
        .map(|o| PreviewRow {
            due: local(o.due, tz),
            weekday: o.due.with_timezone(&tz).format("%a").to_string(),
            create: local(o.create_at, tz),
            notes: {
                let mut n: Vec<String> = o.adjustments.iter().map(adjustment_words).collect();
                if let Some(r) = o.due_reading {
                    n.push(format!("at {r} on the meter"));
                }
                if o.estimated {
                    n.push("estimated".into());
                }
                n.join("; ")
            },
        })
        .collect()
}

fn flag_words(f: &PlanFlag) -> String {
    match f {
        PlanFlag::NothingDueWithin { years } => {
            format!("nothing falls due within {years} years: check the rule, seasons and skips")
        }
        PlanFlag::NoMeterReading => "the meter has no reading yet: it cannot fall due".into(),
        PlanFlag::NoUsageRate => "no usage rate yet: meter dates cannot be forecast".into(),
        PlanFlag::CompletionWithoutReading => {
            "the last completion had no meter reading; the current one was used".into()
        }
    }
}

#[derive(Template)]
#[template(path = "pm/_preview.html")]
struct PreviewFragment {
    zone: String,
    rows: Vec<PreviewRow>,
    flags: Vec<String>,
    errors: Errors,
}

#[derive(Deserialize)]
pub struct PreviewQuery {
    plan: Option<String>,
}

/// The live preview: never an error page, the fragment says what is wrong beside the dates.
pub async fn preview(
    State(s): State<AppState>,
    v: Viewer,
    Query(q): Query<PreviewQuery>,
    f: Fields,
) -> UiResult {
    let values = FormValues::from_fields(&f);
    let attempt = async {
        let plan_id = q
            .plan
            .as_deref()
            .map(|p| uuid_field("plan", p))
            .transpose()?;
        let asset = match plan_id {
            Some(id) => {
                let p = s.app.get_pm_plan(&v.ctx, id).await?;
                Some(s.app.get_asset(&v.ctx, p.plan.asset_id).await?.asset)
            }
            None => None,
        };
        let (mut input, tz) = input_of_form(&s.app, &v.ctx, &values, asset).await?;
        if input.title.trim().is_empty() {
            // A title is not needed to see dates.
            input.title = "preview".into();
        }
        let (next, flags) = s
            .app
            .preview_pm_plan(&v.ctx, plan_id, &input, PREVIEW)
            .await?;
        Ok::<_, UiError>((next, flags, tz))
    };
    let page = match attempt.await {
        Ok((next, flags, tz)) => PreviewFragment {
            zone: tz.name().to_owned(),
            rows: preview_rows(&next, tz),
            flags: flags.iter().map(flag_words).collect(),
            errors: Errors::default(),
        },
        Err(e) => PreviewFragment {
            zone: String::new(),
            rows: vec![],
            flags: vec![],
            errors: Errors::from_ui(e),
        },
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "pm/edit.html")]
struct EditPage {
    chrome: Chrome,
    heading: String,
    action: String,
    preview_url: String,
    /// Set when editing: the asset is fixed, the version guards the edit.
    plan: Option<(Uuid, i64, String)>,
    v: FormValues,
    errors: Errors,
    types: Vec<(&'static str, bool)>,
    priorities: Vec<(&'static str, bool)>,
    units: Vec<(&'static str, bool)>,
    weeks: Vec<(&'static str, bool)>,
    weekdays: Vec<(&'static str, bool)>,
    days: Vec<(&'static str, bool)>,
    months: Vec<(i64, &'static str, bool)>,
    procedures: Vec<(Uuid, String, bool)>,
    /// The preview fragment, rendered (same markup as the live updates).
    preview: String,
}

/// Published procedure revisions the viewer can pin: (revision id, "CODE rN — title").
async fn published_revisions(app: &App, ctx: &Ctx) -> Result<Vec<(Uuid, String)>, UiError> {
    let page = app
        .list_procedures(
            ctx,
            overhaul_app::procedures::ProcedureQuery {
                limit: Some(200),
                ..Default::default()
            },
        )
        .await?;
    let mut out = vec![];
    for p in page.items {
        let view = app.get_procedure(ctx, p.id).await?;
        if let Some(rid) = view.published_revision_id
            && let Some(r) = view.revisions.iter().find(|r| r.revision.id == rid)
        {
            out.push((
                rid,
                format!("{} r{} — {}", p.code, r.revision.number, p.title),
            ));
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
async fn edit_page(
    app: &App,
    v: &Viewer,
    heading: String,
    action: String,
    plan: Option<(Uuid, i64, String)>,
    values: FormValues,
    errors: Errors,
    preview: PreviewFragment,
) -> Result<EditPage, UiError> {
    let sel = |cur: &str, all: &[&'static str]| -> Vec<(&'static str, bool)> {
        all.iter().map(|x| (*x, *x == cur)).collect()
    };
    let types: Vec<&'static str> = WorkOrderType::ALL.iter().map(|t| t.as_str()).collect();
    let priorities: Vec<&'static str> = Priority::ALL.iter().map(|t| t.as_str()).collect();
    let units: Vec<&'static str> = IntervalUnit::ALL.iter().map(|t| t.as_str()).collect();
    let weeks: Vec<&'static str> = WeekOfMonth::ALL.iter().map(|t| t.as_str()).collect();
    let weekdays: Vec<&'static str> = DayOfWeek::ALL.iter().map(|t| t.as_str()).collect();
    let procedures = published_revisions(app, &v.ctx)
        .await?
        .into_iter()
        .map(|(id, label)| (id, label, values.procedure == id.to_string()))
        .collect();
    let preview_url = match &plan {
        Some((id, _, _)) => format!("/pm/plans/preview?plan={id}"),
        None => "/pm/plans/preview".into(),
    };
    Ok(EditPage {
        chrome: Chrome::for_viewer(v, heading.clone(), "/pm"),
        heading,
        action,
        preview_url,
        plan,
        types: sel(&values.kind, &types),
        priorities: sel(&values.priority, &priorities),
        units: sel(&values.unit, &units),
        weeks: sel(&values.week, &weeks),
        weekdays: sel(&values.weekday, &weekdays),
        days: values.day_boxes(),
        months: values.month_boxes(),
        procedures,
        v: values,
        errors,
        preview: preview
            .render()
            .map_err(|e| AppError::Internal(e.to_string()))?,
    })
}

fn empty_preview() -> PreviewFragment {
    PreviewFragment {
        zone: String::new(),
        rows: vec![],
        flags: vec![],
        errors: Errors::default(),
    }
}

#[derive(Deserialize)]
pub struct NewQuery {
    asset: Option<String>,
}

pub async fn new_form(State(s): State<AppState>, v: Viewer, Query(q): Query<NewQuery>) -> UiResult {
    let mut f = Fields::default();
    if let Some(a) = q.asset {
        f.0.push(("asset".into(), a));
    }
    let page = edit_page(
        &s.app,
        &v,
        "New PM plan".into(),
        "/pm/plans/new".into(),
        None,
        FormValues::from_fields(&f),
        Errors::default(),
        empty_preview(),
    )
    .await?;
    Ok(render(&page))
}

pub async fn create(State(s): State<AppState>, v: Viewer, f: Fields) -> UiResult {
    let values = FormValues::from_fields(&f);
    let attempt = async {
        let (input, _) = input_of_form(&s.app, &v.ctx, &values, None).await?;
        Ok::<_, UiError>(s.app.create_pm_plan(&v.ctx, input).await?)
    };
    match attempt.await {
        Ok(p) => Ok(Redirect::to(&format!("/pm/plans/{}", p.plan.id)).into_response()),
        Err(e) => {
            let status = e.status;
            let page = edit_page(
                &s.app,
                &v,
                "New PM plan".into(),
                "/pm/plans/new".into(),
                None,
                values,
                Errors::from_ui(e),
                empty_preview(),
            )
            .await?;
            let mut r = render(&page);
            *r.status_mut() = status;
            Ok(r)
        }
    }
}

/// The form's values for a stored plan.
fn values_of(view: &overhaul_app::pm::PmPlanView, asset_code: &str, meter: &str) -> FormValues {
    let p = &view.plan;
    let d = &view.schedule;
    let mut f = Fields::default();
    let mut put = |k: &str, val: String| f.0.push((k.to_owned(), val));
    put("asset", asset_code.to_owned());
    put("title", p.title.clone());
    put("description", p.description.clone());
    put("type", p.kind.clone());
    put("priority", p.priority.clone());
    put("meter", meter.to_owned());
    put("start", d.start.format("%Y-%m-%d").to_string());
    put("lead_days", d.lead_days.to_string());
    put("holidays", d.holidays.as_str().to_owned());
    put("status", p.status.clone());
    if p.status == "active" {
        put("active", "on".into());
    }
    if let Some(r) = p.procedure_revision_id {
        put("procedure", r.to_string());
    }
    for m in d.active_months.clone().unwrap_or_default() {
        put("months", m.to_string());
    }
    let skips: Vec<String> = d
        .skips
        .iter()
        .map(|s| match s.until {
            Some(u) => format!("{}..{}", s.from, u),
            None => s.from.to_string(),
        })
        .collect();
    put("skips", skips.join("\n"));
    let interval = |put: &mut dyn FnMut(&str, String), c: &IntervalDraft| {
        put("every", c.every.to_string());
        put("unit", c.unit.as_str().to_owned());
        put("at", c.at.clone());
    };
    let meter_fields = |put: &mut dyn FnMut(&str, String), m: &MeterDraft| {
        put("meter_every", m.every.to_string());
        put(
            "meter_warning",
            m.warning.map(|w| w.to_string()).unwrap_or_default(),
        );
        put("meter_start", m.start_reading.to_string());
    };
    match &d.trigger {
        TriggerDraft::Fixed { rule } => {
            put("trigger", "fixed".into());
            match rule {
                RuleDraft::Every { every, unit, at } => {
                    put("rule", "every".into());
                    put("every", every.to_string());
                    put("unit", unit.as_str().to_owned());
                    put("at", at.clone());
                }
                RuleDraft::Weekly {
                    every_weeks,
                    on,
                    at,
                } => {
                    put("rule", "weekly".into());
                    put("every", every_weeks.to_string());
                    for d in on {
                        put("on", d.as_str().to_owned());
                    }
                    put("at", at.clone());
                }
                RuleDraft::MonthlyByWeekday {
                    every_months,
                    week,
                    weekday,
                    at,
                } => {
                    put("rule", "monthly_by_weekday".into());
                    put("every", every_months.to_string());
                    put("week", week.as_str().to_owned());
                    put("weekday", weekday.as_str().to_owned());
                    put("at", at.clone());
                }
                RuleDraft::Rrule { rrule, at } => {
                    put("rule", "rrule".into());
                    put("rrule", rrule.clone());
                    put("at", at.clone());
                }
            }
        }
        TriggerDraft::Floating { calendar } => {
            put("trigger", "floating".into());
            interval(&mut put, calendar);
        }
        TriggerDraft::Meter { meter } => {
            put("trigger", "meter".into());
            meter_fields(&mut put, meter);
        }
        TriggerDraft::WhicheverFirst { calendar, meter } => {
            put("trigger", "whichever_first".into());
            interval(&mut put, calendar);
            meter_fields(&mut put, meter);
        }
    }
    FormValues::from_fields(&f)
}

async fn plan_context(
    s: &AppState,
    v: &Viewer,
    id: Uuid,
) -> Result<
    (
        overhaul_app::pm::PmPlanView,
        overhaul_store::asset::Asset,
        String,
        Tz,
    ),
    UiError,
> {
    let view = s.app.get_pm_plan(&v.ctx, id).await?;
    let asset = s.app.get_asset(&v.ctx, view.plan.asset_id).await?.asset;
    let meter = match view.plan.meter_id {
        Some(m) => s.app.get_meter(&v.ctx, m).await?.code,
        None => String::new(),
    };
    let zones = site_zones(&s.app, &v.ctx).await?;
    let tz = zones
        .get(&asset.site_id)
        .map(|z| z.0)
        .unwrap_or(chrono_tz::UTC);
    Ok((view, asset, meter, tz))
}

pub async fn edit_form(State(s): State<AppState>, v: Viewer, Path(id): Path<String>) -> UiResult {
    let id = uuid_field("id", &id)?;
    let (view, asset, meter, tz) = plan_context(&s, &v, id).await?;
    let preview = PreviewFragment {
        zone: tz.name().to_owned(),
        rows: preview_rows(&view.next, tz),
        flags: view.flags.iter().map(flag_words).collect(),
        errors: Errors::default(),
    };
    let page = edit_page(
        &s.app,
        &v,
        format!("Edit plan: {}", view.plan.title),
        format!("/pm/plans/{id}/edit"),
        Some((
            id,
            view.plan.version,
            format!("{} — {}", asset.code, asset.name),
        )),
        values_of(&view, &asset.code, &meter),
        Errors::default(),
        preview,
    )
    .await?;
    Ok(render(&page))
}

pub async fn update(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> UiResult {
    let id = uuid_field("id", &id)?;
    let (view, asset, _, _) = plan_context(&s, &v, id).await?;
    let values = FormValues::from_fields(&f);
    let version = f.get("version").and_then(|x| x.parse().ok());
    let attempt = async {
        let (input, _) = input_of_form(&s.app, &v.ctx, &values, Some(asset.clone())).await?;
        Ok::<_, UiError>(
            s.app
                .update_pm_plan(&v.ctx, id, version, input, values.active)
                .await?,
        )
    };
    match attempt.await {
        Ok(_) => Ok(Redirect::to(&format!("/pm/plans/{id}")).into_response()),
        Err(e) => {
            let status = e.status;
            let page = edit_page(
                &s.app,
                &v,
                format!("Edit plan: {}", view.plan.title),
                format!("/pm/plans/{id}/edit"),
                Some((
                    id,
                    version.unwrap_or(view.plan.version),
                    format!("{} — {}", asset.code, asset.name),
                )),
                values,
                Errors::from_ui(e),
                empty_preview(),
            )
            .await?;
            let mut r = render(&page);
            *r.status_mut() = status;
            Ok(r)
        }
    }
}

/// (id, title, asset, trigger, status, next due)
type PlanRow = (Uuid, String, String, String, String, String);

#[derive(Template)]
#[template(path = "pm/plans.html")]
struct PlansPage {
    chrome: Chrome,
    rows: Vec<PlanRow>,
    can_plan: bool,
}

fn trigger_words(schedule: &str) -> String {
    match serde_json::from_str::<PlanDraft>(schedule).map(|d| d.trigger) {
        Ok(TriggerDraft::Fixed { rule }) => match rule {
            RuleDraft::Every { every, unit, at } => {
                format!("fixed: every {every} {} at {at}", unit.as_str())
            }
            RuleDraft::Weekly {
                every_weeks,
                on,
                at,
            } => format!(
                "fixed: every {every_weeks} week(s) on {} at {at}",
                on.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(", ")
            ),
            RuleDraft::MonthlyByWeekday {
                every_months,
                week,
                weekday,
                at,
            } => format!(
                "fixed: {} {} every {every_months} month(s) at {at}",
                week.as_str(),
                weekday.as_str()
            ),
            RuleDraft::Rrule { rrule, at } => format!("fixed: {rrule} at {at}"),
        },
        Ok(TriggerDraft::Floating { calendar: c }) => {
            format!("floating: {} {} after completion", c.every, c.unit.as_str())
        }
        Ok(TriggerDraft::Meter { meter: m }) => format!("meter: every {}", m.every),
        Ok(TriggerDraft::WhicheverFirst {
            calendar: c,
            meter: m,
        }) => format!(
            "whichever first: {} {} or {} on the meter",
            c.every,
            c.unit.as_str(),
            m.every
        ),
        Err(_) => "—".into(),
    }
}

pub async fn list(State(s): State<AppState>, v: Viewer) -> UiResult {
    let plans = s.app.list_pm_plans(&v.ctx, None, None).await?;
    let ids: Vec<Uuid> = plans.iter().map(|p| p.asset_id).collect();
    let names = overhaul_store::overview::asset_names(&s.app.db, &ids)
        .await
        .map_err(AppError::from)?;
    let zones = site_zones(&s.app, &v.ctx).await?;
    let mut rows = vec![];
    for p in plans.iter().take(500) {
        let tz = zones.get(&p.site_id).map(|z| z.0).unwrap_or(chrono_tz::UTC);
        let view = s.app.get_pm_plan(&v.ctx, p.id).await?;
        rows.push((
            p.id,
            p.title.clone(),
            names
                .get(&p.asset_id)
                .map(|a| format!("{} — {}", a.code, a.name))
                .unwrap_or_default(),
            trigger_words(&p.schedule),
            p.status.clone(),
            view.next
                .first()
                .map(|o| local(o.due, tz))
                .unwrap_or_else(|| "—".into()),
        ));
    }
    Ok(render(&PlansPage {
        chrome: Chrome::for_viewer(&v, "PM plans", "/pm"),
        rows,
        can_plan: v.session.principal.can_anywhere(Action::PlanWork),
    }))
}

/// (due, status words, reason, work order link (id, number, status))
type OccRow = (String, String, String, Option<(Uuid, String, String)>);

#[derive(Template)]
#[template(path = "pm/plan.html")]
struct PlanPage {
    chrome: Chrome,
    id: Uuid,
    title: String,
    asset: String,
    trigger: String,
    status: String,
    zone: String,
    lead_days: i64,
    procedure: String,
    last_completed: String,
    flags: Vec<String>,
    next: Vec<PreviewRow>,
    occurrences: Vec<OccRow>,
    missed: usize,
    compliance: (u32, u32, u32, u32, String),
    can_plan: bool,
}

/// A recorded skip or miss reason (stored as JSON) for people: "superseded by 2026-11-21 06:00".
fn reason_words(raw: &str, tz: Tz) -> String {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(raw) else {
        return words(raw);
    };
    let Some(o) = v.as_object() else {
        return words(v.as_str().unwrap_or(raw));
    };
    let mut out = o
        .get("kind")
        .and_then(|k| k.as_str())
        .map(words)
        .unwrap_or_default();
    for (k, val) in o.iter().filter(|(k, _)| *k != "kind") {
        let text = match val.as_str() {
            Some(t) => chrono::DateTime::parse_from_rfc3339(t)
                .map(|t| local(t.with_timezone(&chrono::Utc), tz))
                .unwrap_or_else(|_| t.to_owned()),
            None => val.to_string(),
        };
        out.push_str(&format!(" {} {text}", words(k)));
    }
    out
}

pub async fn page(State(s): State<AppState>, v: Viewer, Path(id): Path<String>) -> UiResult {
    let id = uuid_field("id", &id)?;
    let (view, asset, meter, tz) = plan_context(&s, &v, id).await?;
    let occ = s.app.pm_occurrences(&v.ctx, id).await?;
    let mut occurrences = vec![];
    for o in occ.iter().take(100) {
        let wo = match o.work_order_id {
            Some(w) => {
                let w = s.app.get_work_order(&v.ctx, w).await?.work_order;
                Some((w.id, w.number, words(&w.status)))
            }
            None => None,
        };
        occurrences.push((
            local(o.due_at, tz),
            words(&o.status),
            o.reason
                .as_deref()
                .map(|r| reason_words(r, tz))
                .unwrap_or_default(),
            wo,
        ));
    }
    let report = s
        .app
        .pm_compliance(
            &v.ctx,
            ComplianceQuery {
                plan_id: Some(id),
                from: Some(
                    view.plan
                        .created_at
                        .min(v.ctx.now - chrono::Duration::days(365)),
                ),
                ..Default::default()
            },
        )
        .await?;
    let c = &report.total;
    let procedure = match view.plan.procedure_revision_id {
        Some(r) => {
            let rev = s.app.get_procedure_revision(&v.ctx, r).await?;
            let p = s
                .app
                .get_procedure(&v.ctx, rev.revision.procedure_id)
                .await?;
            format!(
                "{} r{} — {}",
                p.procedure.code, rev.revision.number, p.procedure.title
            )
        }
        None => "—".into(),
    };
    let mut trigger = trigger_words(&view.plan.schedule);
    if !meter.is_empty() {
        trigger.push_str(&format!(" (meter {meter})"));
    }
    Ok(render(&PlanPage {
        chrome: Chrome::for_viewer(&v, view.plan.title.clone(), "/pm"),
        id,
        title: view.plan.title.clone(),
        asset: format!("{} — {}", asset.code, asset.name),
        trigger,
        status: view.plan.status.clone(),
        zone: tz.name().to_owned(),
        lead_days: view.schedule.lead_days,
        procedure,
        last_completed: view
            .plan
            .last_completed_at
            .map(|t| local(t, tz))
            .unwrap_or_else(|| "—".into()),
        flags: view.flags.iter().map(flag_words).collect(),
        next: preview_rows(&view.next, tz),
        missed: occ.iter().filter(|o| o.status == "missed").count(),
        occurrences,
        compliance: (
            c.due,
            c.on_time,
            c.late,
            c.not_done,
            c.percent
                .map(|x| format!("{x:.0} %"))
                .unwrap_or_else(|| "—".into()),
        ),
        can_plan: v
            .session
            .principal
            .can(Some(view.plan.site_id), Action::PlanWork),
    }))
}

#[derive(Template)]
#[template(path = "pm/_generated.html")]
struct Generated {
    created: usize,
    missed: usize,
    skipped: usize,
    present: usize,
}

/// Runs generation now (what the periodic job in `overhaul serve` does) and says what it made.
pub async fn generate(State(s): State<AppState>, v: Viewer) -> UiResult {
    let r = s.app.generate_pm(&v.ctx).await?;
    Ok(render(&Generated {
        created: r.work_orders_created,
        missed: r.missed_recorded,
        skipped: r.skipped_recorded,
        present: r.already_present,
    }))
}
