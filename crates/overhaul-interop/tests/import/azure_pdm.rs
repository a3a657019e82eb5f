//! `overhaul import azure-pdm`: failure counts and MTBF from the database against figures this
//! test computes from the CSV files on its own; a second import changes nothing.

use crate::support::{ctx, footprint, fresh_app, shared_data};
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use overhaul_app::kpis::KpiQuery;
use overhaul_interop::{FAILURE_DOWNTIME_HOURS, ImportKind, Progress};
use overhaul_store::asset::{self, AssetFilter};
use overhaul_store::work_order::{self, WorkOrderFilter};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// Data rows of one of the Azure files: fields split at commas (no field holds one), quotes
/// and the CRLF line ends removed.
fn rows(dir: &Path, file: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.trim_end_matches('\r')
                .split(',')
                .map(|f| f.trim().trim_matches('"').to_owned())
                .collect()
        })
        .collect()
}

fn utc(raw: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S")
        .unwrap()
        .and_utc()
}

/// "M007-COMP3" for machine "7", component "comp3".
fn code(machine: &str, comp: &str) -> String {
    let n: u32 = machine.parse().unwrap();
    format!("M{n:03}-COMP{}", comp.trim_start_matches("comp"))
}

fn year_2015() -> (DateTime<Utc>, DateTime<Utc>) {
    (
        Utc.with_ymd_and_hms(2015, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2016, 1, 1, 0, 0, 0).unwrap(),
    )
}

/// An unplanned outage: start and end.
type Outage = (DateTime<Utc>, DateTime<Utc>);

/// Exposure-based MTBF of one component type (comp1 … comp4), exactly as checked here:
///
/// MTBF(type) = Σ over the 100 components of that type of their operating hours in the window
/// [2015-01-01 00:00, 2016-01-01 00:00) UTC / the number of failures of that type in the
/// window, where a component's operating hours are the 8,760 window hours minus its unplanned
/// downtime inside the window (each failure puts its component down for
/// `FAILURE_DOWNTIME_HOURS` = 8 h from the failure time; overlapping outages count once).
/// Replacements without a failure take no downtime. The components are in service for the
/// whole window (the imported history starts in 2014).
///
/// From the database the same figure is Σ running hours / Σ failures of
/// `App::asset_kpis(component, from, to, subtree = false)` over the components of the type.
/// Returns (failures, operating hours) per type.
fn expected_exposure(dir: &Path) -> BTreeMap<String, (usize, f64)> {
    let (from, to) = year_2015();
    let machines = rows(dir, "PdM_machines.csv").len();
    assert_eq!(machines, 100);
    let mut outages: HashMap<(String, String), Vec<Outage>> = HashMap::new();
    for r in rows(dir, "PdM_failures.csv") {
        let t = utc(&r[0]);
        outages
            .entry((r[2].clone(), r[1].clone()))
            .or_default()
            .push((t, t + Duration::hours(FAILURE_DOWNTIME_HOURS)));
    }
    let mut out = BTreeMap::new();
    for comp in ["comp1", "comp2", "comp3", "comp4"] {
        let mut failures = 0;
        let mut down_hours = 0.0;
        for ((c, _), list) in outages.iter_mut().filter(|((c, _), _)| c == comp) {
            assert_eq!(c, comp);
            list.sort();
            failures += list.iter().filter(|(s, _)| *s >= from && *s < to).count();
            // Union of the outages, clipped to the window.
            let mut covered_to = from;
            for (s, e) in list.iter() {
                let s = (*s).max(covered_to).max(from);
                let e = (*e).min(to);
                if e > s {
                    down_hours += (e - s).num_seconds() as f64 / 3600.0;
                    covered_to = e;
                }
            }
        }
        let window_hours = (to - from).num_hours() as f64;
        out.insert(
            comp.to_owned(),
            (failures, machines as f64 * window_hours - down_hours),
        );
    }
    out
}

#[tokio::test]
async fn azure_pdm_history_matches_the_csv_and_a_second_import_changes_nothing() {
    let Some(dir) = shared_data("azure-pdm") else {
        return;
    };
    let (t, app) = fresh_app().await;
    let ctx = ctx();
    let started = std::time::Instant::now();
    let mut progress = Progress::hidden();
    let report = overhaul_interop::import(&app, &ctx, ImportKind::AzurePdm, &dir, &mut progress)
        .await
        .unwrap();
    eprintln!(
        "azure-pdm import on {:?} in {:.1} s\n{report}",
        t.db.backend(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(
        progress.done(),
        progress.total(),
        "progress reaches the end"
    );

    // ---- what the files say, read independently --------------------------------------------
    let failures = rows(&dir, "PdM_failures.csv");
    let maint = rows(&dir, "PdM_maint.csv");
    let errors = rows(&dir, "PdM_errors.csv");
    let machines = rows(&dir, "PdM_machines.csv");
    let failure_keys: HashSet<(String, String, String)> = failures
        .iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
        .collect();
    let replacements_alone = maint
        .iter()
        .filter(|r| !failure_keys.contains(&(r[0].clone(), r[1].clone(), r[2].clone())))
        .count();
    let mut expected_failures: BTreeMap<String, usize> = BTreeMap::new();
    for m in &machines {
        for c in 1..=4 {
            expected_failures.insert(code(&m[0], &format!("comp{c}")), 0);
        }
    }
    for r in &failures {
        *expected_failures.get_mut(&code(&r[1], &r[2])).unwrap() += 1;
    }
    assert_eq!(failures.len(), 761, "README: 761 failures");

    // ---- the report --------------------------------------------------------------------------
    assert_eq!(
        report.rows_read,
        machines.len() + failures.len() + maint.len() + errors.len()
    );
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert_eq!(report.tally("sites").created, 1);
    assert_eq!(report.tally("assets").created, 1 + 100 + 400);
    assert_eq!(
        report.tally("work orders").created,
        failures.len() + replacements_alone
    );
    assert_eq!(report.tally("downtime records").created, failures.len());
    assert_eq!(report.already_present(), 0);

    // ---- per-component failure counts in the database ---------------------------------------
    let site = overhaul_store::site::by_code(&t.db, "AZURE")
        .await
        .unwrap()
        .expect("site AZURE");
    assert_eq!(site.timezone, "UTC");
    let assets = asset::list(
        &t.db,
        &AssetFilter {
            site_id: Some(site.id),
            limit: 10_000,
            ..AssetFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(assets.len(), 501);
    let code_of: HashMap<uuid::Uuid, String> =
        assets.iter().map(|a| (a.id, a.code.clone())).collect();
    let orders = work_order::list(
        &t.db,
        &WorkOrderFilter {
            site_id: Some(site.id),
            limit: 100_000,
            ..WorkOrderFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(orders.len(), failures.len() + replacements_alone);
    assert!(orders.iter().all(|w| w.status == "closed"));
    let mut stored_failures: BTreeMap<String, usize> =
        expected_failures.keys().map(|k| (k.clone(), 0)).collect();
    for w in &orders {
        let is_failure = w.failure_mode.as_deref() == Some("BRD");
        if is_failure {
            assert_eq!(w.kind, "corrective");
            assert_eq!(w.failure_impact.as_deref(), Some("C"));
            *stored_failures
                .get_mut(&code_of[&w.asset_id])
                .expect("failures sit on components") += 1;
        } else {
            assert_eq!(w.kind, "preventive");
            assert!(w.title.starts_with("replace comp"), "{}", w.title);
        }
    }
    assert_eq!(stored_failures, expected_failures);
    let zero_failure_machines = machines
        .iter()
        .filter(|m| (1..=4).all(|c| expected_failures[&code(&m[0], &format!("comp{c}"))] == 0))
        .count();
    assert_eq!(zero_failure_machines, 2, "README: two machines never fail");

    // ---- exposure-based MTBF per component type ---------------------------------------------
    let (from, to) = year_2015();
    let expected = expected_exposure(&dir);
    let mut stored: BTreeMap<String, (usize, f64)> = BTreeMap::new();
    for a in assets.iter().filter(|a| a.level == "component") {
        let kind = format!("comp{}", a.code.rsplit("COMP").next().unwrap());
        let k = app
            .asset_kpis(
                &ctx,
                a.id,
                KpiQuery {
                    from: Some(from),
                    to: Some(to),
                    subtree: Some(false),
                },
            )
            .await
            .unwrap();
        let e = stored.entry(kind).or_insert((0, 0.0));
        e.0 += k.kpis.failures;
        e.1 += k.kpis.hours.running;
        assert_eq!(
            k.kpis.hours.unrecorded, 0.0,
            "{} in service all year",
            a.code
        );
    }
    for (comp, (exp_failures, exp_hours)) in &expected {
        let (failures, hours) = stored[comp];
        let mtbf_expected = exp_hours / *exp_failures as f64;
        let mtbf_stored = hours / failures as f64;
        eprintln!(
            "{comp}: {failures} failures, {hours:.1} operating hours, MTBF {mtbf_stored:.2} h \
             (CSV: {exp_failures} failures, {exp_hours:.1} h, MTBF {mtbf_expected:.2} h)"
        );
        assert_eq!(failures, *exp_failures, "{comp} failures");
        assert!(
            (hours - exp_hours).abs() < 1e-6,
            "{comp}: operating hours {hours} vs {exp_hours}"
        );
        assert!(
            (mtbf_stored - mtbf_expected).abs() < 1e-9 * mtbf_expected,
            "{comp}: MTBF {mtbf_stored} vs {mtbf_expected}"
        );
    }

    // ---- a second import finds everything and changes nothing -------------------------------
    let before = footprint(&t.db).await;
    let again = overhaul_interop::import(
        &app,
        &super::support::ctx(),
        ImportKind::AzurePdm,
        &dir,
        &mut Progress::hidden(),
    )
    .await
    .unwrap();
    assert_eq!(again.created(), 0, "{again}");
    assert_eq!(again.already_present(), report.created());
    assert_eq!(again.tally("work orders").already_present, orders.len());
    assert_eq!(again.skipped, report.skipped);
    assert_eq!(footprint(&t.db).await, before);
    assert!(matches!(
        overhaul_store::audit::verify(&t.db).await.unwrap(),
        overhaul_store::audit::Verification::Intact { .. }
    ));
}

/// Writes a small Azure-shaped directory and returns it.
fn small_fleet(files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("overhaul-azure-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, body) in files {
        std::fs::write(dir.join(name), body).unwrap();
    }
    dir
}

#[tokio::test]
async fn rows_that_cannot_be_imported_are_reported_with_line_and_reason() {
    let dir = small_fleet(&[
        (
            "PdM_machines.csv",
            "\"machineID\",\"model\",\"age\"\r\n1,\"model3\",18\r\n2,\"model4\",old\r\n1,\"model1\",3\r\n",
        ),
        (
            "PdM_failures.csv",
            "\"datetime\",\"machineID\",\"failure\"\r\n\
             2015-01-05 06:00:00,1,\"comp4\"\r\n\
             2015-01-05 06:00:00,1,\"comp4\"\r\n\
             2015-02-30 06:00:00,1,\"comp1\"\r\n\
             2015-03-01 06:00:00,7,\"comp1\"\r\n\
             2015-03-01 06:00:00,1,\"comp9\"\r\n\
             2015-03-01 06:00:00,1\r\n",
        ),
        (
            "PdM_maint.csv",
            "\"datetime\",\"machineID\",\"comp\"\r\n2015-01-05 06:00:00,1,\"comp4\"\r\n2014-07-01 06:00:00,1,\"comp2\"\r\n",
        ),
        (
            "PdM_errors.csv",
            "\"datetime\",\"machineID\",\"errorID\"\r\n2015-01-03 07:00:00,1,\"error1\"\r\n",
        ),
    ]);
    let (t, app) = fresh_app().await;
    let report = overhaul_interop::import(
        &app,
        &ctx(),
        ImportKind::AzurePdm,
        &dir,
        &mut Progress::hidden(),
    )
    .await
    .unwrap();
    let skipped: Vec<(String, u64)> = report
        .skipped
        .iter()
        .map(|s| (s.file.clone(), s.line))
        .collect();
    let reasons: Vec<&str> = report.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(
        skipped,
        [
            ("PdM_failures.csv".to_owned(), 7),
            ("PdM_machines.csv".to_owned(), 3),
            ("PdM_machines.csv".to_owned(), 4),
            ("PdM_failures.csv".to_owned(), 3),
            ("PdM_failures.csv".to_owned(), 4),
            ("PdM_failures.csv".to_owned(), 5),
            ("PdM_failures.csv".to_owned(), 6),
        ],
        "{report}"
    );
    assert!(
        reasons[0].contains("has 2 fields where the header has 3"),
        "{}",
        reasons[0]
    );
    assert!(reasons[1].contains("age 'old'"), "{}", reasons[1]);
    assert!(reasons[2].contains("repeats line 2"), "{}", reasons[2]);
    assert!(reasons[3].contains("repeats line 2"), "{}", reasons[3]);
    assert!(reasons[4].contains("2015-02-30"), "{}", reasons[4]);
    assert!(reasons[5].contains("machine 7"), "{}", reasons[5]);
    assert!(reasons[6].contains("comp9"), "{}", reasons[6]);
    // One machine with its four components; one failure (with its replacement) and one
    // replacement on its own.
    assert_eq!(report.tally("assets").created, 1 + 1 + 4);
    assert_eq!(report.tally("work orders").created, 2);
    assert_eq!(report.tally("downtime records").created, 1);
    // The timeline starts at the first record (2014-07-01), so the components count 2015 in full.
    let comp4 = overhaul_store::asset::by_code(
        &t.db,
        overhaul_store::site::by_code(&t.db, "AZURE")
            .await
            .unwrap()
            .unwrap()
            .id,
        "M001-COMP4",
    )
    .await
    .unwrap()
    .unwrap();
    let (from, to) = year_2015();
    let k = app
        .asset_kpis(
            &ctx(),
            comp4.id,
            KpiQuery {
                from: Some(from),
                to: Some(to),
                subtree: Some(false),
            },
        )
        .await
        .unwrap();
    assert_eq!(k.kpis.failures, 1);
    assert_eq!(k.kpis.hours.down_unplanned, FAILURE_DOWNTIME_HOURS as f64);
    assert_eq!(
        k.kpis.hours.running,
        8_760.0 - FAILURE_DOWNTIME_HOURS as f64
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn a_directory_without_the_files_is_a_clear_error_that_writes_nothing() {
    let dir = small_fleet(&[("PdM_machines.csv", "\"machineID\",\"model\",\"age\"\r\n")]);
    let (t, app) = fresh_app().await;
    let before = footprint(&t.db).await;
    let err = overhaul_interop::import(
        &app,
        &ctx(),
        ImportKind::AzurePdm,
        &dir,
        &mut Progress::hidden(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("PdM_failures.csv"), "{err}");
    let err = overhaul_interop::import(
        &app,
        &ctx(),
        ImportKind::AzurePdm,
        &dir.join("PdM_machines.csv"),
        &mut Progress::hidden(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("is not a directory"), "{err}");
    assert_eq!(footprint(&t.db).await, before);
    std::fs::remove_dir_all(&dir).ok();
}
