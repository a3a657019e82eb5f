//! `overhaul bench --ingest`: throughput of the reading pipeline (checks, bulk insert, hourly
//! rollups, rule evaluation, alarms) through `App::ingest_readings`, without a broker.

use anyhow::{Result, anyhow};
use chrono::{Duration, Utc};
use overhaul_app::assets::NewAsset;
use overhaul_app::signals::{IncomingReading, NewRule, NewSignal};
use overhaul_app::sites::NewSite;
use overhaul_app::{App, Ctx, Db};
use overhaul_core::asset::AssetLevel;
use overhaul_core::condition::rule::{RuleParams, ThresholdLevel};
use overhaul_core::condition::signal::{SignalKind, SourceBinding};
use std::time::Instant;

const SIGNALS: usize = 100;

pub async fn measure(url: &str, seconds: u64, batch: usize) -> Result<()> {
    let db = Db::connect(url).await?;
    db.migrate().await?;
    println!("backend: {:?}", db.backend());
    let app = App::new(db.clone());
    let now = Utc::now();
    let sys = Ctx::system("bench", now);
    let e = |e: overhaul_app::AppError| anyhow!("{e}");
    let site = app
        .create_site(
            &sys,
            NewSite {
                code: "B".into(),
                name: "Bench".into(),
                timezone: "UTC".into(),
                business_hours: None,
                currency: None,
                allow_anonymous_requests: false,
            },
        )
        .await
        .map_err(e)?;
    let asset = |code: &str, level, parent| NewAsset {
        site_id: site.site.id,
        parent_id: parent,
        code: code.into(),
        name: code.into(),
        level,
        equipment_class: None,
        criticality: None,
        status: None,
        replacement_value: None,
    };
    let area = app
        .create_asset(&sys, asset("AREA", AssetLevel::Area, None))
        .await
        .map_err(e)?;
    let pump = app
        .create_asset(
            &sys,
            asset("PUMP", AssetLevel::Equipment, Some(area.asset.id)),
        )
        .await
        .map_err(e)?;
    let mut ids = Vec::with_capacity(SIGNALS);
    for i in 0..SIGNALS {
        let s = app
            .create_signal(
                &sys,
                NewSignal {
                    asset_id: pump.asset.id,
                    meter_id: None,
                    name: format!("vibration {i}"),
                    kind: SignalKind::Gauge,
                    unit: "mm/s".into(),
                    scale: None,
                    offset: None,
                    source: SourceBinding::MqttJson {
                        topic: format!("bench/pump/{i}"),
                        pointer: "/rms".into(),
                    },
                    max_gap_s: None,
                    enabled: None,
                    rules: vec![
                        NewRule {
                            work_order_template: None,
                            name: "high".into(),
                            priority: None,
                            params: RuleParams::Threshold {
                                level: ThresholdLevel::High,
                                limit: 7.1,
                                deadband: 0.3,
                                on_delay_s: 10,
                                off_delay_s: 10,
                            },
                        },
                        NewRule {
                            work_order_template: None,
                            name: "drift".into(),
                            priority: None,
                            params: RuleParams::Drift {
                                alpha: 0.01,
                                k: 6.0,
                                warmup: 100,
                                deadband_sigma: 1.0,
                                on_delay_s: 0,
                                off_delay_s: 0,
                            },
                        },
                    ],
                },
            )
            .await
            .map_err(e)?;
        ids.push(s.signal.id);
    }
    // Readings 100 ms apart per signal, starting 20 days back (inside the retention window).
    let start_ms = (now - Duration::days(20)).timestamp_millis();
    let per_signal = batch.div_ceil(SIGNALS).max(1);
    let mut step: i64 = 0;
    let mut total = 0_usize;
    let mut lat = Vec::new();
    let mut alarms = 0;
    let t0 = Instant::now();
    while t0.elapsed().as_secs() < seconds {
        let mut b = Vec::with_capacity(per_signal * SIGNALS);
        for _ in 0..per_signal {
            let at_ms = start_ms + step * 100;
            for (k, id) in ids.iter().enumerate() {
                // a smooth wave around 3 mm/s with an excursion above 7.1 now and then
                let x = (step as f64 / 50.0 + k as f64).sin();
                let value = 3.0 + x + if step % 5_000 < 200 { 5.0 } else { 0.0 };
                b.push(IncomingReading {
                    signal_id: *id,
                    at_ms,
                    value,
                });
            }
            step += 1;
        }
        let t = Instant::now();
        let r = app
            .ingest_readings(&Ctx::system("bench", Utc::now()), &b)
            .await
            .map_err(e)?;
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        total += r.accepted;
        alarms += r.alarms_activated;
    }
    let secs = t0.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    let p = |q: f64| lat[((lat.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "ingest: {total} readings in {secs:.1} s = {:.0} readings/s ({} signals x 2 rules, \
         batches of {}); batch latency ms p50 {:.1} p99 {:.1}; {alarms} alarm activations",
        total as f64 / secs,
        SIGNALS,
        per_signal * SIGNALS,
        p(0.5),
        p(0.99)
    );
    db.close().await;
    Ok(())
}
