//! `overhaul import excavator-mwo`: every readable row becomes a closed work order on its
//! excavator, the malformed row is reported as a skip with its line, and a second import
//! changes nothing.

use crate::support::{ctx, footprint, fresh_app, shared_data};
use overhaul_interop::{ImportKind, Progress};
use overhaul_store::asset::{self, AssetFilter};
use overhaul_store::work_order::{self, WorkOrderFilter};
use std::collections::BTreeMap;

/// The raw row the README names: an unquoted comma in the text, no cost.
const MALFORMED_LINE: u64 = 3454;

#[tokio::test]
async fn excavator_history_imports_with_the_malformed_row_skipped_and_repeats_without_change() {
    let Some(file) = shared_data("excavator-mwo/excavators.csv") else {
        return;
    };
    // Expected rows per excavator, from the file's lines (no record spans two lines): the
    // asset letter is the second field; the malformed line is left out.
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[MALFORMED_LINE as usize - 1],
        "2003-12-31,B,won,t swing,PM01"
    );
    let mut expected: BTreeMap<String, usize> = BTreeMap::new();
    for (i, l) in lines.iter().enumerate().skip(1) {
        if i + 1 == MALFORMED_LINE as usize || l.trim().is_empty() {
            continue;
        }
        let asset = l.split(',').nth(1).unwrap();
        *expected.entry(format!("EXC-{asset}")).or_default() += 1;
    }
    assert_eq!(expected.values().sum::<usize>(), 5_484);

    let (t, app) = fresh_app().await;
    let started = std::time::Instant::now();
    let mut progress = Progress::hidden();
    let report =
        overhaul_interop::import(&app, &ctx(), ImportKind::ExcavatorMwo, &file, &mut progress)
            .await
            .unwrap();
    eprintln!(
        "excavator-mwo import on {:?} in {:.1} s\n{report}",
        t.db.backend(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(report.rows_read, 5_485);
    assert_eq!(progress.done(), progress.total());
    assert_eq!(report.skipped.len(), 1, "{report}");
    let skip = &report.skipped[0];
    assert_eq!(skip.file, "excavators.csv");
    assert_eq!(skip.line, MALFORMED_LINE);
    assert!(skip.reason.contains("PMType 't swing'"), "{}", skip.reason);
    assert!(skip.reason.contains("Cost 'PM01'"), "{}", skip.reason);
    assert_eq!(report.tally("work orders").created, 5_484);
    assert_eq!(report.tally("assets").created, 1 + 5);

    let site = overhaul_store::site::by_code(&t.db, "EXCAVATORS")
        .await
        .unwrap()
        .expect("site");
    assert_eq!(site.currency, "AUD");
    let assets = asset::list(
        &t.db,
        &AssetFilter {
            site_id: Some(site.id),
            level: Some("equipment".into()),
            limit: 100,
            ..AssetFilter::default()
        },
    )
    .await
    .unwrap();
    let mut stored: BTreeMap<String, usize> = BTreeMap::new();
    for a in &assets {
        let orders = work_order::list(
            &t.db,
            &WorkOrderFilter {
                asset_id: Some(a.id),
                limit: 10_000,
                ..WorkOrderFilter::default()
            },
        )
        .await
        .unwrap();
        assert!(orders.iter().all(|w| w.status == "closed"));
        stored.insert(a.code.clone(), orders.len());
    }
    assert_eq!(stored, expected);

    let before = footprint(&t.db).await;
    let again = overhaul_interop::import(
        &app,
        &ctx(),
        ImportKind::ExcavatorMwo,
        &file,
        &mut Progress::hidden(),
    )
    .await
    .unwrap();
    assert_eq!(again.created(), 0, "{again}");
    assert_eq!(again.tally("work orders").already_present, 5_484);
    assert_eq!(again.skipped, report.skipped);
    assert_eq!(footprint(&t.db).await, before);
}
