//! `overhaul import azure-pdm DIR`: Microsoft's Azure predictive-maintenance sample fleet.
//!
//! Mapping (see README.md):
//! - site `AZURE` (time zone UTC; the files' datetimes carry no zone and are read as UTC), one
//!   area `AZURE-FLEET`, each machine an equipment `M001`…`M100` named with its model and age,
//!   each with four components `M001-COMP1`…`M001-COMP4`;
//! - each failure a closed corrective work order on the component, with a failure report
//!   (impact C critical, mode BRD breakdown) and an unplanned downtime of
//!   [`FAILURE_DOWNTIME_HOURS`] from the failure time; the replacement row that PdM_maint.csv
//!   holds for the same time, machine and component is part of that work order;
//! - every other replacement a closed preventive work order "replace compN" without downtime;
//! - error events are counted and reported, not imported.

use crate::hierarchy::{AssetSpec, Hierarchy};
use crate::ids::derived;
use crate::progress::Progress;
use crate::report::{DOWNTIME, Report, WORK_ORDERS};
use crate::source::{self, CsvFile, Record};
use crate::{ImportError, ImportKind};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use overhaul_app::import::{HistoricDowntime, HistoricFailure, HistoricWorkOrder};
use overhaul_app::sites::NewSite;
use overhaul_app::{App, Ctx};
use overhaul_core::asset::AssetLevel;
use overhaul_core::work_order::{Priority, WorkOrderType};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use uuid::Uuid;

pub const SITE_CODE: &str = "AZURE";
pub const AREA_CODE: &str = "AZURE-FLEET";
/// Length of the unplanned outage recorded for each failure. The data set has no repair
/// times; one 8-hour shift is the assumption, applied to every failure alike.
pub const FAILURE_DOWNTIME_HOURS: i64 = 8;
const DATASET: &str = "azure-pdm";
/// Work orders per transaction.
const BATCH: usize = 500;
const COMPONENTS: u8 = 4;

struct Machine {
    model: String,
    age: u32,
}

/// A failure or a replacement: when, which machine, which component (1–4).
#[derive(Clone, Copy)]
struct Event {
    at: DateTime<Utc>,
    machine: u32,
    comp: u8,
}

impl Event {
    fn key(&self) -> String {
        format!(
            "{}/{}/comp{}",
            self.at.format("%Y-%m-%dT%H:%M:%S"),
            self.machine,
            self.comp
        )
    }
}

fn parse_time(raw: &str) -> Result<DateTime<Utc>, String> {
    NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%d %H:%M:%S")
        .map(|t| t.and_utc())
        .map_err(|_| format!("datetime '{raw}' is not of the form YYYY-MM-DD HH:MM:SS"))
}

fn parse_machine_id(raw: &str) -> Result<u32, String> {
    raw.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("machineID '{raw}' is not a positive whole number"))
}

fn parse_comp(raw: &str) -> Result<u8, String> {
    raw.trim()
        .strip_prefix("comp")
        .and_then(|n| n.parse::<u8>().ok())
        .filter(|n| (1..=COMPONENTS).contains(n))
        .ok_or_else(|| format!("component '{raw}' is not one of comp1, comp2, comp3, comp4"))
}

pub fn machine_code(id: u32) -> String {
    format!("M{id:03}")
}

pub fn component_code(id: u32, comp: u8) -> String {
    format!("M{id:03}-COMP{comp}")
}

fn read_machines(f: &CsvFile, report: &mut Report) -> BTreeMap<u32, Machine> {
    let mut out = BTreeMap::new();
    let mut lines: HashMap<u32, u64> = HashMap::new();
    for r in &f.records {
        let parsed = parse_machine_id(r.get(0)).and_then(|id| {
            let model = r.get(1).trim();
            if model.is_empty() || model.chars().any(char::is_control) {
                return Err(format!("model '{model}' is empty or not printable"));
            }
            let age = r
                .get(2)
                .trim()
                .parse::<u32>()
                .map_err(|_| format!("age '{}' is not a whole number of years", r.get(2)))?;
            Ok((id, model.to_owned(), age))
        });
        match parsed {
            Ok((id, model, age)) => {
                if let Some(first) = lines.get(&id) {
                    report
                        .skipped
                        .push(f.skip(r.line, format!("machine {id} repeats line {first}")));
                } else {
                    lines.insert(id, r.line);
                    out.insert(id, Machine { model, age });
                }
            }
            Err(reason) => report.skipped.push(f.skip(r.line, reason)),
        }
    }
    out
}

/// Failures or replacements: rows with a bad field, an unknown machine or repeating an earlier
/// row are skipped. Returns the events with the line each came from.
fn read_events(
    f: &CsvFile,
    machines: &BTreeMap<u32, Machine>,
    report: &mut Report,
) -> Vec<(u64, Event)> {
    let mut out = Vec::new();
    let mut lines: HashMap<String, u64> = HashMap::new();
    let parse = |r: &Record| -> Result<Event, String> {
        let at = parse_time(r.get(0))?;
        let machine = parse_machine_id(r.get(1))?;
        if !machines.contains_key(&machine) {
            return Err(format!(
                "machine {machine} is not in PdM_machines.csv (or its row was skipped)"
            ));
        }
        let comp = parse_comp(r.get(2))?;
        Ok(Event { at, machine, comp })
    };
    for r in &f.records {
        match parse(r) {
            Ok(e) => {
                let key = e.key();
                if let Some(first) = lines.get(&key) {
                    report
                        .skipped
                        .push(f.skip(r.line, format!("repeats line {first}")));
                } else {
                    lines.insert(key, r.line);
                    out.push((r.line, e));
                }
            }
            Err(reason) => report.skipped.push(f.skip(r.line, reason)),
        }
    }
    out
}

fn failure_order(e: &Event, replaced: bool, component: Uuid) -> HistoricWorkOrder {
    let key = e.key();
    let end = e.at + Duration::hours(FAILURE_DOWNTIME_HOURS);
    let c = e.comp;
    let m = e.machine;
    let when = e.at.format("%Y-%m-%d %H:%M");
    HistoricWorkOrder {
        id: derived(DATASET, &format!("failure/{key}")),
        asset_id: component,
        title: if replaced {
            format!("comp{c} failure: replace comp{c}")
        } else {
            format!("comp{c} failure")
        },
        description: format!(
            "Azure PdM: comp{c} of machine {m} failed at {when} UTC (PdM_failures.csv){}. \
             The {FAILURE_DOWNTIME_HOURS} h outage is an assumption: the data set records no repair times.",
            if replaced {
                "; the component was replaced at the same time (PdM_maint.csv)"
            } else {
                "; PdM_maint.csv holds no replacement for it"
            }
        ),
        kind: WorkOrderType::Corrective,
        priority: Priority::High,
        created_at: e.at,
        started_at: Some(e.at),
        completed_at: Some(end),
        closed_at: end,
        failure: Some(HistoricFailure {
            impact: Some("C".into()),
            mode: Some("BRD".into()),
            activity: replaced.then(|| "1".to_owned()),
            notes: Some(format!("comp{c} failure (PdM_failures.csv)")),
        }),
        downtime: Some(HistoricDowntime {
            id: derived(DATASET, &format!("failure-downtime/{key}")),
            started_at: e.at,
            ended_at: end,
            planned: false,
            reason: format!("comp{c} failure"),
        }),
    }
}

fn replacement_order(e: &Event, component: Uuid) -> HistoricWorkOrder {
    let c = e.comp;
    HistoricWorkOrder {
        id: derived(DATASET, &format!("maint/{}", e.key())),
        asset_id: component,
        title: format!("replace comp{c}"),
        description: format!(
            "Azure PdM: scheduled replacement of comp{c} on machine {} at {} UTC (PdM_maint.csv), not after a failure.",
            e.machine,
            e.at.format("%Y-%m-%d %H:%M")
        ),
        kind: WorkOrderType::Preventive,
        priority: Priority::Normal,
        created_at: e.at,
        started_at: Some(e.at),
        completed_at: Some(e.at),
        closed_at: e.at,
        failure: None,
        downtime: None,
    }
}

pub(crate) async fn import(
    app: &App,
    ctx: &Ctx,
    dir: &Path,
    progress: &mut Progress,
) -> Result<Report, ImportError> {
    if !dir.is_dir() {
        return Err(ImportError::Format {
            path: dir.to_owned(),
            message: "is not a directory: azure-pdm reads the directory that holds \
                      PdM_machines.csv, PdM_failures.csv, PdM_maint.csv and PdM_errors.csv"
                .into(),
        });
    }
    let machines_f = source::read(
        &dir.join("PdM_machines.csv"),
        &["machineID", "model", "age"],
    )?;
    let failures_f = source::read(
        &dir.join("PdM_failures.csv"),
        &["datetime", "machineID", "failure"],
    )?;
    let maint_f = source::read(
        &dir.join("PdM_maint.csv"),
        &["datetime", "machineID", "comp"],
    )?;
    let errors_f = source::read(
        &dir.join("PdM_errors.csv"),
        &["datetime", "machineID", "errorID"],
    )?;
    let mut report = Report::new(ImportKind::AzurePdm);
    let files = [&machines_f, &failures_f, &maint_f, &errors_f];
    report.rows_read = files.iter().map(|f| f.rows()).sum();
    progress.set_total(report.rows_read);
    for f in files {
        report.skipped.extend(f.unreadable.iter().cloned());
    }

    let machines = read_machines(&machines_f, &mut report);
    let failures = read_events(&failures_f, &machines, &mut report);
    let replacements = read_events(&maint_f, &machines, &mut report);

    // The hierarchy, through the ordinary use cases.
    let mut h = Hierarchy::open(
        app,
        ctx,
        NewSite {
            code: SITE_CODE.into(),
            name: "Azure PdM sample fleet".into(),
            timezone: "UTC".into(),
            business_hours: None,
            currency: None,
            allow_anonymous_requests: false,
        },
        &mut report,
    )
    .await?;
    let area = h
        .ensure_asset(
            app,
            ctx,
            &mut report,
            AssetSpec {
                code: AREA_CODE,
                name: "Azure PdM fleet (simulated machines)",
                level: AssetLevel::Area,
                parent: None,
            },
        )
        .await?;
    let mut components: HashMap<(u32, u8), Uuid> = HashMap::new();
    for (id, m) in &machines {
        let name = format!("Machine {id} ({}, {} years old)", m.model, m.age);
        let machine = h
            .ensure_asset(
                app,
                ctx,
                &mut report,
                AssetSpec {
                    code: &machine_code(*id),
                    name: &name,
                    level: AssetLevel::Equipment,
                    parent: Some(area),
                },
            )
            .await?;
        for c in 1..=COMPONENTS {
            let name = format!("Machine {id} comp{c}");
            let comp = h
                .ensure_asset(
                    app,
                    ctx,
                    &mut report,
                    AssetSpec {
                        code: &component_code(*id, c),
                        name: &name,
                        level: AssetLevel::Component,
                        parent: Some(machine),
                    },
                )
                .await?;
            components.insert((*id, c), comp);
        }
        progress.advance(1);
    }
    // Unreadable or skipped machine rows count as done too.
    progress.advance(machines_f.rows() - machines.len());

    // The assets were in service before the first record: their timelines start at midnight of
    // the first day of the history, so operating hours count from there.
    let first = failures
        .iter()
        .chain(&replacements)
        .map(|(_, e)| e.at)
        .min();
    if let Some(first) = first {
        let since = first
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc())
            .unwrap_or(first);
        app.backdate_service_start(ctx, since, &h.touched).await?;
    }

    // Work orders: one per failure (with the replacement done for it), one per other replacement.
    let replaced: HashMap<String, u64> = replacements
        .iter()
        .map(|(line, e)| (e.key(), *line))
        .collect();
    let failed: HashMap<String, u64> = failures.iter().map(|(l, e)| (e.key(), *l)).collect();
    // (order, source rows it stands for)
    let mut orders: Vec<(HistoricWorkOrder, usize)> = Vec::new();
    let mut unmatched_failures = 0;
    for (_, e) in &failures {
        let Some(comp) = components.get(&(e.machine, e.comp)) else {
            continue;
        };
        let with_replacement = replaced.contains_key(&e.key());
        if !with_replacement {
            unmatched_failures += 1;
        }
        orders.push((
            failure_order(e, with_replacement, *comp),
            1 + usize::from(with_replacement),
        ));
    }
    let mut merged = 0;
    for (_, e) in &replacements {
        if failed.contains_key(&e.key()) {
            merged += 1;
            continue;
        }
        if let Some(comp) = components.get(&(e.machine, e.comp)) {
            orders.push((replacement_order(e, *comp), 1));
        }
    }
    orders.sort_by_key(|(o, _)| (o.created_at, o.id));
    for chunk in orders.chunks(BATCH) {
        let batch: Vec<HistoricWorkOrder> = chunk.iter().map(|(o, _)| o.clone()).collect();
        let outcome = app.import_closed_work_orders(ctx, &batch).await?;
        let wo = report.tally_mut(WORK_ORDERS);
        wo.created += outcome.created;
        wo.already_present += outcome.already_present;
        let dt = report.tally_mut(DOWNTIME);
        dt.created += outcome.downtime_created;
        dt.already_present += outcome.downtime_present;
        progress.advance(chunk.iter().map(|(_, n)| n).sum());
    }
    // Rows skipped from the failure and replacement files.
    let used = failures.len() + replacements.len();
    progress.advance((failures_f.rows() + maint_f.rows()).saturating_sub(used));

    // Error events: summarised, not imported.
    let mut per_error: BTreeMap<String, usize> = BTreeMap::new();
    for r in &errors_f.records {
        *per_error.entry(r.get(2).trim().to_owned()).or_default() += 1;
    }
    progress.advance(errors_f.rows());

    report.notes.push(format!(
        "{merged} replacements in PdM_maint.csv were done for a failure at the same time and are part of that failure's corrective work order"
    ));
    if unmatched_failures > 0 {
        report.notes.push(format!(
            "{unmatched_failures} failures have no replacement row in PdM_maint.csv; they are imported without the 'replace' activity"
        ));
    }
    report.notes.push(format!(
        "each failure has an unplanned downtime of {FAILURE_DOWNTIME_HOURS} h from the failure time (the data set records no repair times)"
    ));
    report.notes.push(format!(
        "PdM_errors.csv: {} error events not imported ({}): they are machine alarms, not maintenance work, and Overhaul keeps no alarm log yet",
        errors_f.records.len(),
        per_error
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    report
        .notes
        .push("telemetry files (PdM_telemetry*.csv) are not read: sensor readings are not maintenance history".into());
    Ok(report)
}
