//! `overhaul import readings FILE.csv`: readings by signal name or id go through the reading
//! pipeline; unreadable rows and refused readings are reported with their lines; a second
//! import adds nothing.

use crate::support::{count, ctx, fresh_app};
use overhaul_app::assets::NewAsset;
use overhaul_app::signals::NewSignal;
use overhaul_app::sites::NewSite;
use overhaul_core::asset::AssetLevel;
use overhaul_core::condition::signal::{SignalKind, SourceBinding};
use overhaul_interop::{ImportKind, Progress};

#[tokio::test]
async fn readings_import_by_name_with_bad_rows_reported() {
    let (t, app) = fresh_app().await;
    let c = ctx();
    let site = app
        .create_site(
            &c,
            NewSite {
                code: "S".into(),
                name: "S".into(),
                timezone: "UTC".into(),
                business_hours: None,
                currency: None,
                allow_anonymous_requests: false,
            },
        )
        .await
        .unwrap();
    let area = app
        .create_asset(
            &c,
            NewAsset {
                site_id: site.site.id,
                parent_id: None,
                code: "A".into(),
                name: "A".into(),
                level: AssetLevel::Area,
                equipment_class: None,
                criticality: None,
                status: None,
                replacement_value: None,
            },
        )
        .await
        .unwrap();
    let s = app
        .create_signal(
            &c,
            NewSignal {
                asset_id: area.asset.id,
                meter_id: None,
                name: "temp".into(),
                kind: SignalKind::Gauge,
                unit: "°C".into(),
                scale: Some(0.1),
                offset: None,
                source: SourceBinding::Http,
                max_gap_s: None,
                enabled: None,
                rules: vec![],
            },
        )
        .await
        .unwrap();
    let now = c.now.timestamp_millis();
    let dir = std::env::temp_dir().join(format!("overhaul-readings-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("readings.csv");
    let rows = [
        "signal,time,value".to_string(),
        format!("temp,{},215", now - 60_000),
        format!("temp,{},216", c.now.to_rfc3339()),
        format!("temp,{},abc", now - 1000), // line 4: not a number
        format!("pressure,{},1", now - 1000), // line 5: no such signal
        format!("temp,{},1", 0),            // line 6: 1970, refused as too old
        "temp,yesterday,1".to_string(),     // line 7: bad time
    ];
    std::fs::write(&file, rows.join("\n") + "\n").unwrap();
    let mut progress = Progress::hidden();
    let r = overhaul_interop::import(&app, &c, ImportKind::Readings, &file, &mut progress)
        .await
        .unwrap();
    assert_eq!(r.rows_read, 6);
    assert_eq!(r.tally("readings").created, 2);
    let mut lines: Vec<u64> = r.skipped.iter().map(|s| s.line).collect();
    lines.sort();
    assert_eq!(lines, vec![4, 5, 6, 7], "{r}");
    assert!(r.notes.iter().any(|n| n.contains("too_old")), "{r}");
    assert_eq!(count(&t.db, "readings").await, 2);
    let range = overhaul_app::signals::RangeQuery {
        from: Some(c.now - chrono::Duration::hours(1)),
        to: Some(c.now + chrono::Duration::hours(1)),
        limit: None,
    };
    let stored = app.signal_readings(&c, s.signal.id, range).await.unwrap();
    // scaled by 0.1
    assert_eq!(stored.len(), 2);
    assert!((stored[0].value - 21.5).abs() < 1e-9 && (stored[1].value - 21.6).abs() < 1e-9);
    // again: nothing new
    let r = overhaul_interop::import(&app, &c, ImportKind::Readings, &file, &mut progress)
        .await
        .unwrap();
    assert_eq!(r.tally("readings").created, 0);
    assert_eq!(r.tally("readings").already_present, 2);
    assert_eq!(count(&t.db, "readings").await, 2);
    let _ = std::fs::remove_dir_all(dir);
}
