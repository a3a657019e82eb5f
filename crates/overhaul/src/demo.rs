//! The demo plant: two sites, a few hundred assets across every level, a year of work history
//! with failures, downtime and labour. Generated from a fixed seed, so every run on the same day
//! produces the same plant; history ends at the start of today (UTC).

use anyhow::{Result, anyhow};
use chrono::{DateTime, Duration, Utc};
use overhaul_app::assets::{NewAsset, NewDowntime};
use overhaul_app::meters::{NewMeter, NewReading};
use overhaul_app::sites::NewSite;
use overhaul_app::users::{NewGrant, NewUser};
use overhaul_app::work_orders::{
    FailureReport, NewLabor, NewWorkOrder, TransitionRequest, WorkOrderPatch,
};
use overhaul_app::work_requests::{ConvertRequest, NewWorkRequest, RejectRequest};
use overhaul_app::{Actor, App, AppError, Ctx};
use overhaul_core::asset::{AssetLevel, Criticality};
use overhaul_core::meter::MeterKind;
use overhaul_core::role::Role;
use overhaul_core::work_order::{Priority, WorkOrderStatus, WorkOrderType};
use uuid::Uuid;

pub const PASSWORD: &str = "overhaul-demo";

/// SplitMix64: small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

fn err(e: AppError) -> anyhow::Error {
    anyhow!("{e}")
}

struct SitePlan {
    code: &'static str,
    name: &'static str,
    tz: &'static str,
    currency: &'static str,
    areas: [&'static str; 3],
}

const SITES: [SitePlan; 2] = [
    SitePlan {
        code: "BER",
        name: "Berlin Bottling Plant",
        tz: "Europe/Berlin",
        currency: "EUR",
        areas: ["Utilities", "Bottling Hall", "Warehouse"],
    },
    SitePlan {
        code: "CLE",
        name: "Cleveland Stamping Plant",
        tz: "America/New_York",
        currency: "USD",
        areas: ["Press Shop", "Utilities", "Paint Line"],
    },
];

const EQUIPMENT: &[(&str, &str, &str)] = &[
    ("PU", "Pump", "Mechanical seal"),
    ("EM", "Drive motor", "Bearing"),
    ("CO", "Compressor", "Intake filter"),
    ("BL", "Exhaust fan", "V-belt"),
    ("VA", "Control valve", "Actuator"),
    ("HE", "Heat exchanger", "Gasket set"),
    ("FS", "Strainer", "Screen"),
];

const PROBLEMS: &[(&str, &str, &str, &str)] = &[
    // (title, mode, mechanism, cause)
    ("Excessive vibration", "VIB", "1.2", "3.4"),
    ("Leaking at the seal", "ELP", "1.1", "3.4"),
    ("Running hot", "OHE", "2.7", "3.1"),
    ("Fails to start", "FTS", "4.3", "5.6"),
    ("Unusual noise", "NOI", "2.4", "3.4"),
    ("Low output", "LOO", "5.1", "5.2"),
    ("Trips on overload", "UST", "4.4", "3.2"),
    ("Erratic reading", "ERO", "3.3", "2.2"),
];

struct Person {
    actor: Actor,
}

struct Plant {
    equipment: Vec<(Uuid, String, String)>,
    planner: usize,
    techs: Vec<usize>,
    operator: usize,
}

enum Step {
    CreateRequest {
        request: usize,
        plant: usize,
        asset: usize,
        problem: usize,
    },
    Triage {
        request: usize,
        outcome: u8,
    },
    CreateWo {
        wo: usize,
        plant: usize,
        asset: usize,
        kind: WorkOrderType,
        priority: Priority,
        title: String,
        from_request: Option<usize>,
    },
    Move {
        wo: usize,
        to: WorkOrderStatus,
        reason: Option<&'static str>,
        by_tech: bool,
    },
    Failure {
        wo: usize,
        problem: usize,
    },
    Labor {
        wo: usize,
        minutes: i64,
    },
    Downtime {
        wo: usize,
        minutes: i64,
        planned: bool,
    },
}

/// Seeds the demo plant unless the database already holds sites; returns what to print.
pub async fn seed(app: &App, base_url: &str) -> Result<String> {
    let system = Ctx::system("demo", Utc::now());
    let existing = app.list_sites(&system).await.map_err(err)?;
    let today = Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc())
        .ok_or_else(|| anyhow!("date"))?;
    if existing.is_empty() {
        app.db.set_durable(false).await?;
        let result = seed_plant(app, today).await;
        app.db.set_durable(true).await?;
        result?;
    }
    let token = app
        .create_token(&system, "admin@demo.overhaul.test", Some("demo"))
        .await
        .map_err(err)?;
    Ok(format!(
        "Demo logins (password '{PASSWORD}'):\n  admin@demo.overhaul.test     admin, all sites\n  manager@demo.overhaul.test   manager, all sites\n  planner@demo.overhaul.test   planner, all sites\n  tech.ber@demo.overhaul.test  technician, BER\n  tech.cle@demo.overhaul.test  technician, CLE\n  operator@demo.overhaul.test  operator, BER\n  auditor@demo.overhaul.test   auditor, all sites\nAPI token for admin (shown once): {}\n  curl -H 'Authorization: Bearer {}' {base_url}/api/v1/work-orders?status=open",
        token.token.0, token.token.0
    ))
}

async fn seed_plant(app: &App, today: DateTime<Utc>) -> Result<()> {
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    let start = today - Duration::days(366);
    let setup = Ctx::system("demo", start - Duration::days(30));

    let mut site_ids = Vec::new();
    for s in &SITES {
        let v = app
            .create_site(
                &setup,
                NewSite {
                    code: s.code.into(),
                    name: s.name.into(),
                    timezone: s.tz.into(),
                    business_hours: None,
                    currency: Some(s.currency.into()),
                    // Berlin lets operators report by QR code without a login; Cleveland
                    // asks them to sign in (the default).
                    allow_anonymous_requests: s.code == "BER",
                },
            )
            .await
            .map_err(err)?;
        site_ids.push(v.site.id);
    }
    let users: [(&str, &str, Role, Option<usize>); 7] = [
        ("admin", "Ada Admin", Role::Admin, None),
        ("manager", "Mia Manager", Role::Manager, None),
        ("planner", "Paul Planner", Role::Planner, None),
        ("tech.ber", "Tina Technician", Role::Technician, Some(0)),
        ("tech.cle", "Tom Technician", Role::Technician, Some(1)),
        ("operator", "Otto Operator", Role::Operator, Some(0)),
        ("auditor", "Aude Auditor", Role::Auditor, None),
    ];
    let mut people = Vec::new();
    for (login, name, role, site) in users {
        let u = app
            .create_user(
                &setup,
                NewUser {
                    email: format!("{login}@demo.overhaul.test"),
                    name: name.into(),
                    password: Some(PASSWORD.into()),
                    roles: vec![NewGrant {
                        role,
                        site_id: site.map(|i| site_ids[i]),
                    }],
                },
            )
            .await
            .map_err(err)?;
        let p = app.principal(u.user.id).await.map_err(err)?;
        people.push(Person {
            actor: Actor::User(p),
        });
    }

    // The hierarchy: area › line › cell › equipment › component.
    let mut plants = Vec::new();
    for (si, s) in SITES.iter().enumerate() {
        let mut equipment = Vec::new();
        for (ai, area) in s.areas.iter().enumerate() {
            let a = asset(
                app,
                &setup,
                site_ids[si],
                None,
                format!("{}-A{}", s.code, ai + 1),
                area.to_string(),
                AssetLevel::Area,
                None,
                None,
                None,
            )
            .await?;
            for li in 1..=2 {
                let line = asset(
                    app,
                    &setup,
                    site_ids[si],
                    Some(a),
                    format!("{}-A{}-L{li}", s.code, ai + 1),
                    format!("{area} line {li}"),
                    AssetLevel::WorkCenter,
                    None,
                    None,
                    None,
                )
                .await?;
                for ci in 1..=3 {
                    let cell_code = format!("{}-A{}-L{li}-C{ci}", s.code, ai + 1);
                    let cell = asset(
                        app,
                        &setup,
                        site_ids[si],
                        Some(line),
                        cell_code.clone(),
                        format!("Cell {ci}, {area} line {li}"),
                        AssetLevel::WorkUnit,
                        None,
                        None,
                        None,
                    )
                    .await?;
                    for ei in 1..=3 {
                        let (class, what, part) = *rng.pick(EQUIPMENT);
                        let crit = Criticality {
                            consequence: 1 + rng.below(5) as u8,
                            likelihood: 1 + rng.below(5) as u8,
                        };
                        let value = 500_000 + rng.below(20_000_000) as i64;
                        let code = format!("{cell_code}-{class}{ei}");
                        let e = asset(
                            app,
                            &setup,
                            site_ids[si],
                            Some(cell),
                            code.clone(),
                            format!("{what} {ei}"),
                            AssetLevel::Equipment,
                            Some(class),
                            Some(crit),
                            Some(value),
                        )
                        .await?;
                        let components = 1 + rng.below(2);
                        for k in 1..=components {
                            asset(
                                app,
                                &setup,
                                site_ids[si],
                                Some(e),
                                format!("{code}-K{k}"),
                                format!("{part} {k}"),
                                AssetLevel::Component,
                                None,
                                None,
                                None,
                            )
                            .await?;
                        }
                        equipment.push((e, code, what.to_owned()));
                    }
                }
            }
        }
        plants.push(Plant {
            equipment,
            planner: 2,
            techs: vec![3 + si],
            operator: if si == 0 { 5 } else { 2 },
        });
    }

    // A year of work, planned as timed steps and replayed in time order.
    let mut steps: Vec<(DateTime<Utc>, Step)> = Vec::new();
    let mut wo_count = 0_usize;
    let mut req_count = 0_usize;
    for (pi, plant) in plants.iter().enumerate() {
        let mut day = 0_i64;
        while day < 365 {
            day += 1 + rng.below(2) as i64;
            let t0 =
                start + Duration::days(day) + Duration::minutes(6 * 60 + rng.below(10 * 60) as i64);
            let asset_i = rng.below(plant.equipment.len() as u64) as usize;
            let roll = rng.below(100);
            let age_days = 365 - day;
            let (kind, priority) = match roll {
                0..=44 => (WorkOrderType::Preventive, Priority::Normal),
                45..=69 => (
                    WorkOrderType::Corrective,
                    *rng.pick(&[Priority::Normal, Priority::High, Priority::Low]),
                ),
                70..=77 => (WorkOrderType::Emergency, Priority::Urgent),
                78..=85 => (WorkOrderType::Inspection, Priority::Low),
                86..=91 => (WorkOrderType::Calibration, Priority::Normal),
                _ => (WorkOrderType::Improvement, Priority::Low),
            };
            let problem = rng.below(PROBLEMS.len() as u64) as usize;
            let reactive = matches!(kind, WorkOrderType::Corrective | WorkOrderType::Emergency);
            let mut t = t0;
            let from_request = if kind == WorkOrderType::Corrective && rng.chance(60) {
                steps.push((
                    t,
                    Step::CreateRequest {
                        request: req_count,
                        plant: pi,
                        asset: asset_i,
                        problem,
                    },
                ));
                t += Duration::minutes(30 + rng.below(240) as i64);
                steps.push((
                    t,
                    Step::Triage {
                        request: req_count,
                        outcome: 0,
                    },
                ));
                req_count += 1;
                Some(req_count - 1)
            } else {
                None
            };
            // A few requests are rejected as duplicates or left open.
            if rng.chance(5) {
                let other = rng.below(plant.equipment.len() as u64) as usize;
                steps.push((
                    t0 + Duration::minutes(5),
                    Step::CreateRequest {
                        request: req_count,
                        plant: pi,
                        asset: other,
                        problem: rng.below(PROBLEMS.len() as u64) as usize,
                    },
                ));
                let outcome = if age_days > 10 { 1 } else { 2 };
                steps.push((
                    t0 + Duration::hours(3),
                    Step::Triage {
                        request: req_count,
                        outcome,
                    },
                ));
                req_count += 1;
            }
            let (_, _, what) = &plant.equipment[asset_i];
            let title = match kind {
                WorkOrderType::Preventive => format!("Monthly service: {}", what.to_lowercase()),
                WorkOrderType::Inspection => format!("Inspect {}", what.to_lowercase()),
                WorkOrderType::Calibration => {
                    format!("Calibrate instruments on {}", what.to_lowercase())
                }
                WorkOrderType::Improvement => {
                    format!("Improve guarding of {}", what.to_lowercase())
                }
                _ => format!("{}: {}", PROBLEMS[problem].0, what.to_lowercase()),
            };
            let wo = wo_count;
            wo_count += 1;
            steps.push((
                t,
                Step::CreateWo {
                    wo,
                    plant: pi,
                    asset: asset_i,
                    kind,
                    priority,
                    title,
                    from_request,
                },
            ));
            // How far this one got: old work is closed, recent work is anywhere in its life.
            let last = if age_days > 21 {
                if rng.chance(4) {
                    WorkOrderStatus::Cancelled
                } else {
                    WorkOrderStatus::Closed
                }
            } else {
                *rng.pick(&[
                    WorkOrderStatus::Requested,
                    WorkOrderStatus::Approved,
                    WorkOrderStatus::Planned,
                    WorkOrderStatus::Ready,
                    WorkOrderStatus::Scheduled,
                    WorkOrderStatus::InProgress,
                    WorkOrderStatus::OnHold,
                    WorkOrderStatus::Completed,
                    WorkOrderStatus::Closed,
                ])
            };
            if last == WorkOrderStatus::Cancelled {
                steps.push((
                    t + Duration::hours(2),
                    Step::Move {
                        wo,
                        to: WorkOrderStatus::Cancelled,
                        reason: Some("duplicate of another work order"),
                        by_tech: false,
                    },
                ));
                continue;
            }
            let path: Vec<WorkOrderStatus> = if kind == WorkOrderType::Emergency {
                vec![
                    WorkOrderStatus::InProgress,
                    WorkOrderStatus::Completed,
                    WorkOrderStatus::Closed,
                ]
            } else {
                vec![
                    WorkOrderStatus::Approved,
                    WorkOrderStatus::Planned,
                    WorkOrderStatus::Ready,
                    WorkOrderStatus::Scheduled,
                    WorkOrderStatus::InProgress,
                    WorkOrderStatus::Completed,
                    WorkOrderStatus::Closed,
                ]
            };
            let stop = if last == WorkOrderStatus::OnHold {
                path.iter()
                    .position(|s| *s == WorkOrderStatus::InProgress)
                    .map(|i| i + 1)
            } else if last == WorkOrderStatus::Requested {
                Some(0)
            } else {
                path.iter().position(|s| *s == last).map(|i| i + 1)
            }
            .unwrap_or(0);
            let work_minutes = 30 + rng.below(if reactive { 360 } else { 150 }) as i64;
            for to in &path[..stop] {
                t += match to {
                    WorkOrderStatus::InProgress if kind == WorkOrderType::Emergency => {
                        Duration::minutes(10 + rng.below(30) as i64)
                    }
                    WorkOrderStatus::InProgress => Duration::hours(6 + rng.below(72) as i64),
                    WorkOrderStatus::Completed => Duration::minutes(work_minutes),
                    WorkOrderStatus::Closed => Duration::hours(4 + rng.below(40) as i64),
                    _ => Duration::minutes(20 + rng.below(600) as i64),
                };
                let tech = matches!(to, WorkOrderStatus::InProgress | WorkOrderStatus::Completed);
                if *to == WorkOrderStatus::Completed {
                    steps.push((
                        t - Duration::minutes(1),
                        Step::Labor {
                            wo,
                            minutes: work_minutes - 2,
                        },
                    ));
                    if reactive {
                        steps.push((t - Duration::minutes(1), Step::Failure { wo, problem }));
                    }
                    if reactive || rng.chance(30) {
                        steps.push((
                            t - Duration::minutes(1),
                            Step::Downtime {
                                wo,
                                minutes: work_minutes + 30,
                                planned: !reactive,
                            },
                        ));
                    }
                }
                steps.push((
                    t,
                    Step::Move {
                        wo,
                        to: *to,
                        reason: None,
                        by_tech: tech,
                    },
                ));
            }
            if last == WorkOrderStatus::OnHold {
                t += Duration::minutes(45);
                steps.push((
                    t,
                    Step::Move {
                        wo,
                        to: WorkOrderStatus::OnHold,
                        reason: Some("waiting for spare parts"),
                        by_tech: true,
                    },
                ));
            }
        }
    }
    steps.sort_by_key(|(t, _)| *t);

    let mut requests: Vec<Option<Uuid>> = vec![None; req_count];
    let mut orders: Vec<Option<(Uuid, usize)>> = vec![None; wo_count];
    for (t, step) in steps {
        if t >= today {
            continue;
        }
        match step {
            Step::CreateRequest {
                request,
                plant,
                asset,
                problem,
            } => {
                let p = &plants[plant];
                let ctx = Ctx::new(people[p.operator].actor.clone(), t);
                let (aid, _, what) = &p.equipment[asset];
                let r = app
                    .create_work_request(
                        &ctx,
                        NewWorkRequest {
                            asset_id: *aid,
                            title: format!("{} on {}", PROBLEMS[problem].0, what.to_lowercase()),
                            description: Some("Noticed during the shift round.".into()),
                            priority: None,
                            requester_name: None,
                            attachments: vec![],
                        },
                    )
                    .await
                    .map_err(err)?;
                requests[request] = Some(r.id);
            }
            Step::Triage { request, outcome } => {
                let Some(rid) = requests.get(request).copied().flatten() else {
                    continue;
                };
                let ctx = Ctx::new(people[2].actor.clone(), t);
                match outcome {
                    1 => {
                        app.reject_work_request(
                            &ctx,
                            rid,
                            None,
                            RejectRequest {
                                reason: "already covered by an open work order".into(),
                            },
                        )
                        .await
                        .map_err(err)?;
                    }
                    2 => {}
                    _ => {
                        app.approve_work_request(&ctx, rid, None)
                            .await
                            .map_err(err)?;
                    }
                }
            }
            Step::CreateWo {
                wo,
                plant,
                asset,
                kind,
                priority,
                title,
                from_request,
            } => {
                let p = &plants[plant];
                let ctx = Ctx::new(people[p.planner].actor.clone(), t);
                let wid = match from_request.and_then(|r| requests.get(r).copied().flatten()) {
                    Some(rid) => {
                        let w = app
                            .convert_work_request(
                                &ctx,
                                rid,
                                None,
                                ConvertRequest {
                                    kind: Some(kind),
                                    priority: Some(priority),
                                },
                            )
                            .await
                            .map_err(err)?;
                        w.id
                    }
                    None => {
                        let w = app
                            .create_work_order(
                                &ctx,
                                NewWorkOrder {
                                    asset_id: p.equipment[asset].0,
                                    title,
                                    kind,
                                    priority,
                                    description: Some(
                                        "Follow the standard job plan; report findings.".into(),
                                    ),
                                    due_at: Some(t + Duration::days(7)),
                                    assignee_id: p
                                        .techs
                                        .first()
                                        .and_then(|i| people[*i].actor.user_id()),
                                    attachments: vec![],
                                    procedure_revision_id: None,
                                },
                            )
                            .await
                            .map_err(err)?;
                        w.work_order.id
                    }
                };
                orders[wo] = Some((wid, plant));
            }
            Step::Move {
                wo,
                to,
                reason,
                by_tech,
            } => {
                let Some((wid, plant)) = orders.get(wo).copied().flatten() else {
                    continue;
                };
                let who = if by_tech {
                    plants[plant].techs[0]
                } else {
                    plants[plant].planner
                };
                let ctx = Ctx::new(people[who].actor.clone(), t);
                app.transition_work_order(
                    &ctx,
                    wid,
                    None,
                    TransitionRequest {
                        to,
                        reason: reason.map(str::to_owned),
                    },
                )
                .await
                .map_err(err)?;
            }
            Step::Failure { wo, problem } => {
                let Some((wid, plant)) = orders.get(wo).copied().flatten() else {
                    continue;
                };
                let ctx = Ctx::new(people[plants[plant].techs[0]].actor.clone(), t);
                let (_, mode, mech, cause) = PROBLEMS[problem];
                let impact = if problem % 3 == 0 { "C" } else { "D" };
                app.update_work_order(
                    &ctx,
                    wid,
                    None,
                    WorkOrderPatch {
                        failure: Some(FailureReport {
                            impact: Some(Some(impact.into())),
                            mode: Some(Some(mode.into())),
                            mechanism: Some(Some(mech.into())),
                            cause: Some(Some(cause.into())),
                            detection: Some(Some("8".into())),
                            activity: Some(Some("2".into())),
                            notes: Some(Some("Found and fixed; see labour notes.".into())),
                        }),
                        ..WorkOrderPatch::default()
                    },
                )
                .await
                .map_err(err)?;
            }
            Step::Labor { wo, minutes } => {
                let Some((wid, plant)) = orders.get(wo).copied().flatten() else {
                    continue;
                };
                let ctx = Ctx::new(people[plants[plant].techs[0]].actor.clone(), t);
                app.add_labor(
                    &ctx,
                    wid,
                    NewLabor {
                        started_at: t - Duration::minutes(minutes),
                        ended_at: t,
                        craft: Some("mechanical".into()),
                        user_id: None,
                        notes: None,
                    },
                )
                .await
                .map_err(err)?;
            }
            Step::Downtime {
                wo,
                minutes,
                planned,
            } => {
                let Some((wid, plant)) = orders.get(wo).copied().flatten() else {
                    continue;
                };
                let ctx = Ctx::new(people[plants[plant].techs[0]].actor.clone(), t);
                app.add_work_order_downtime(
                    &ctx,
                    wid,
                    NewDowntime {
                        started_at: t - Duration::minutes(minutes),
                        ended_at: Some(t),
                        planned,
                        reason: if planned {
                            "planned service".into()
                        } else {
                            "breakdown".into()
                        },
                    },
                )
                .await
                .map_err(err)?;
            }
        }
    }
    // Run-hour meters with monthly readings on a third of the equipment.
    for plant in &plants {
        for (i, (eid, _, _)) in plant
            .equipment
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 3 == 0)
        {
            let m = app
                .create_meter(
                    &setup,
                    NewMeter {
                        asset_id: *eid,
                        code: "RUNH".into(),
                        name: "Run hours".into(),
                        kind: MeterKind::Counter,
                        unit: "h".into(),
                    },
                )
                .await
                .map_err(err)?;
            let mut value = 1_000.0 + (i as f64) * 137.0;
            let readings: Vec<NewReading> = (0..12)
                .map(|month| {
                    value += 400.0 + rng.below(300) as f64;
                    NewReading {
                        meter_id: m.id,
                        value,
                        read_at: Some(start + Duration::days(30 * month + 15)),
                        source: Some("manual".into()),
                    }
                })
                .collect();
            let ctx = Ctx::new(
                people[plant.techs[0]].actor.clone(),
                today - Duration::hours(1),
            );
            app.record_readings(&ctx, readings).await.map_err(err)?;
        }
    }

    // PM plans: weekly lubrication rounds on every sixth machine, first due in two days, work
    // created three days ahead; the first work orders are generated now.
    let planner = Ctx::new(people[2].actor.clone(), today - Duration::hours(2));
    let first = (today + Duration::days(2)).date_naive();
    for plant in &plants {
        // The round follows a published procedure; the plans pin its revision, so the
        // generated work orders carry its steps.
        let Some((first_eid, _, _)) = plant.equipment.first() else {
            continue;
        };
        let site_id = app
            .get_asset(&planner, *first_eid)
            .await
            .map_err(err)?
            .asset
            .site_id;
        let lube = app
            .create_procedure(
                &planner,
                overhaul_app::procedures::NewProcedure {
                    site_id,
                    code: "LUBE-WEEKLY".into(),
                    title: "Weekly lubrication round".into(),
                    description: Some("Grease and oil points of one machine.".into()),
                    revision: serde_json::from_value(serde_json::json!({
                        "safety_notes": "Lock out and tag out the drive before removing any guard.",
                        "qualifications": ["LOTO authorised"],
                        "estimated_minutes": 30,
                        "crafts": ["mechanical"],
                        "steps": [
                            {"kind": "check", "title": "Drive locked out where guards come off"},
                            {"kind": "pass_fail", "title": "Grease points free of leaks",
                             "raise_follow_up_on_fail": true},
                            {"kind": "measurement", "title": "Oil level in the sight glass",
                             "unit": "%", "lower": 25, "upper": 75, "raise_follow_up_on_fail": true},
                            {"kind": "text", "title": "Remarks", "required": false},
                            {"kind": "signature", "title": "Done by"}
                        ]
                    }))?,
                },
            )
            .await
            .map_err(err)?;
        let lube_revision = lube.revisions[0].revision.id;
        app.publish_revision(&planner, lube_revision, None)
            .await
            .map_err(err)?;
        for (eid, _, what) in plant.equipment.iter().step_by(6) {
            let schedule = serde_json::json!({
                "trigger": {"kind": "fixed", "rule": {"kind": "weekly", "every_weeks": 1, "on": [weekday_name(first)], "at": "07:00"}},
                "start": first.to_string(),
                "lead_days": 3,
                "holidays": "next_business_day"
            });
            app.create_pm_plan(
                &planner,
                overhaul_app::pm::NewPmPlan {
                    asset_id: *eid,
                    meter_id: None,
                    title: format!("Weekly lubrication round: {}", what.to_lowercase()),
                    description: Some(
                        "Grease points per the lubrication chart; check levels and leaks.".into(),
                    ),
                    kind: None,
                    priority: None,
                    schedule: serde_json::from_value(schedule)?,
                    procedure_revision_id: Some(lube_revision),
                },
            )
            .await
            .map_err(err)?;
        }
    }
    app.generate_pm(&Ctx::system("pm-generator", today - Duration::hours(1)))
        .await
        .map_err(err)?;
    Ok(())
}

fn weekday_name(d: chrono::NaiveDate) -> &'static str {
    use chrono::Datelike;
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ][d.weekday().num_days_from_monday() as usize]
}

#[allow(clippy::too_many_arguments)]
async fn asset(
    app: &App,
    ctx: &Ctx,
    site_id: Uuid,
    parent_id: Option<Uuid>,
    code: String,
    name: String,
    level: AssetLevel,
    class: Option<&str>,
    criticality: Option<Criticality>,
    value: Option<i64>,
) -> Result<Uuid> {
    let a = app
        .create_asset(
            ctx,
            NewAsset {
                site_id,
                parent_id,
                code,
                name,
                level,
                equipment_class: class.map(str::to_owned),
                criticality,
                status: None,
                replacement_value: value,
            },
        )
        .await
        .map_err(err)?;
    Ok(a.asset.id)
}
