//! Condition monitoring: readings → rules → alarms → exactly the right work.

use super::{new_asset, new_site, t};
use chrono::{DateTime, Duration, Utc};
use overhaul_app::alarms::{AlarmQuery, ShelveAlarm};
use overhaul_app::assets::NewDowntime;
use overhaul_app::meters::NewMeter;
use overhaul_app::pm::NewPmPlan;
use overhaul_app::signals::{IncomingReading, NewRule, NewSignal, RangeQuery, SignalView};
use overhaul_app::work_requests::{ConvertRequest, RequestQuery};
use overhaul_app::{App, Ctx};
use overhaul_core::asset::AssetLevel;
use overhaul_core::condition::rule::{RuleParams, ThresholdLevel};
use overhaul_core::condition::signal::{SignalKind, SourceBinding};
use overhaul_core::meter::MeterKind;
use overhaul_store::testing;
use uuid::Uuid;

fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn sys(at: DateTime<Utc>) -> Ctx {
    Ctx::system("connector", at)
}

async fn plant(app: &App) -> Uuid {
    let site = new_site(app, "UTC").await;
    let area = new_asset(app, site, None, "AREA", AssetLevel::Area, None).await;
    new_asset(
        app,
        site,
        Some(area),
        "P-101",
        AssetLevel::Equipment,
        Some("PU"),
    )
    .await
}

/// A vibration signal with a high alarm at 7.1 mm/s and no deadband (so it can chatter).
async fn vibration(app: &App, asset: Uuid, name: &str) -> SignalView {
    app.create_signal(
        &super::at(0),
        NewSignal {
            asset_id: asset,
            meter_id: None,
            name: name.into(),
            kind: SignalKind::Gauge,
            unit: "mm/s".into(),
            scale: None,
            offset: None,
            source: SourceBinding::MqttJson {
                topic: format!("plant/p101/{name}"),
                pointer: "/rms".into(),
            },
            max_gap_s: None,
            enabled: None,
            rules: vec![NewRule {
                work_order_template: None,
                name: "vibration high".into(),
                priority: None,
                params: RuleParams::Threshold {
                    level: ThresholdLevel::High,
                    limit: 7.1,
                    deadband: 0.0,
                    on_delay_s: 0,
                    off_delay_s: 0,
                },
            }],
        },
    )
    .await
    .unwrap()
}

/// Readings every 10 s from `start` alternating above and below the limit.
fn chatter(signal: Uuid, start: DateTime<Utc>, n: i64) -> Vec<IncomingReading> {
    (0..n)
        .map(|i| IncomingReading {
            signal_id: signal,
            at_ms: ms(start) + i * 10_000,
            value: if i % 2 == 0 { 7.6 } else { 6.0 },
        })
        .collect()
}

async fn requests(app: &App, asset: Uuid) -> Vec<overhaul_store::work_request::WorkRequest> {
    app.list_work_requests(
        &super::at(0),
        RequestQuery {
            asset_id: Some(asset),
            ..RequestQuery::default()
        },
    )
    .await
    .unwrap()
    .items
}

#[tokio::test]
async fn a_chattering_vibration_alarm_raises_exactly_one_work_request() {
    let tdb = testing::fresh().await.unwrap();
    let app = App::new(tdb.db.clone());
    let asset = plant(&app).await;
    let s = vibration(&app, asset, "vib").await;
    let start = t(10);
    // 12 readings, 10 s apart: 6 activations in 2 minutes.
    let r = app
        .ingest_readings(
            &sys(start + Duration::minutes(2)),
            &chatter(s.signal.id, start, 12),
        )
        .await
        .unwrap();
    assert_eq!(r.accepted, 12);
    assert_eq!(r.alarms_activated, 6);
    assert_eq!(r.alarms_cleared, 6);
    assert_eq!(r.work_requests_created.len(), 1, "{r:?}");
    // activation 2 is added to the open request, activation 3 flags chattering on it, the
    // chattering ones after it add nothing
    assert_eq!(r.notes_added, 2);
    let reqs = requests(&app, asset).await;
    assert_eq!(reqs.len(), 1);
    let wr = &reqs[0];
    assert_eq!(wr.id, r.work_requests_created[0]);
    assert!(wr.title.contains("vib"), "{}", wr.title);
    assert!(wr.description.contains(&s.rules[0].alarm_id.to_string()));
    assert!(
        wr.description.contains(&ms(start).to_string()),
        "links the reading"
    );
    assert!(wr.description.contains("chattering instrument"));
    let alarm = app
        .get_alarm(&super::at(0), s.rules[0].alarm_id)
        .await
        .unwrap();
    assert_eq!(alarm.work_request_id, Some(wr.id));
    assert!(alarm.chattering);
    assert_eq!(alarm.activation_count, 6);
    assert_eq!(alarm.state, "returned_unacknowledged");
    let history = app.alarm_history(&super::at(0), alarm.id).await.unwrap();
    assert_eq!(history.len(), 12);
    assert_eq!(history[0].reading_ms, Some(ms(start)));

    // Ten quiet minutes later it crosses again: the request is still open, so the occurrence
    // is added to it.
    let later = start + Duration::minutes(15);
    let r = app
        .ingest_readings(
            &sys(later + Duration::minutes(1)),
            &chatter(s.signal.id, later, 2),
        )
        .await
        .unwrap();
    assert_eq!((r.work_requests_created.len(), r.notes_added), (0, 1));
    let reqs = requests(&app, asset).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].description.matches("active again").count(), 3);

    // Once the request became a work order, the next occurrence is a comment on it.
    app.convert_work_request(&super::at(0), wr.id, None, ConvertRequest::default())
        .await
        .unwrap();
    let later = later + Duration::minutes(15);
    let r = app
        .ingest_readings(
            &sys(later + Duration::minutes(1)),
            &chatter(s.signal.id, later, 2),
        )
        .await
        .unwrap();
    assert_eq!((r.work_requests_created.len(), r.notes_added), (0, 1));
    assert_eq!(requests(&app, asset).await.len(), 1);

    // the audit trail has the alarm transitions and the request, by the system actor
    let trail = overhaul_store::audit::list(
        &tdb.db,
        &overhaul_store::audit::AuditFilter {
            entity: Some("alarm".into()),
            limit: 1000,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(trail.iter().filter(|a| a.action == "activate").count() >= 8);
    assert!(
        trail
            .iter()
            .all(|a| a.action == "create" || a.actor_name == "condition-monitoring")
    );
}

#[tokio::test]
async fn a_shelved_alarm_raises_nothing_until_its_shelf_expires() {
    let tdb = testing::fresh().await.unwrap();
    let app = App::new(tdb.db.clone());
    let asset = plant(&app).await;
    let s = vibration(&app, asset, "vib").await;
    let alarm_id = s.rules[0].alarm_id;
    let start = t(10);
    app.shelve_alarm(
        &sys(start),
        alarm_id,
        ShelveAlarm {
            until: start + Duration::hours(1),
            reason: "sensor being replaced".into(),
        },
    )
    .await
    .unwrap();
    let r = app
        .ingest_readings(
            &sys(start + Duration::minutes(1)),
            &chatter(s.signal.id, start, 2),
        )
        .await
        .unwrap();
    assert_eq!(r.alarms_activated, 1);
    assert!(r.work_requests_created.is_empty());
    assert!(requests(&app, asset).await.is_empty());
    // shelving twice is fine; unshelving an alarm that is not shelved is refused
    let a = app.unshelve_alarm(&sys(start), alarm_id).await.unwrap();
    assert_eq!(a.shelved_until, None);
    assert!(app.unshelve_alarm(&sys(start), alarm_id).await.is_err());
    // acknowledging a normal alarm is refused with a rule error
    let e = app
        .acknowledge_alarm(&sys(start), alarm_id)
        .await
        .unwrap_err();
    assert!(matches!(e, overhaul_app::AppError::Rule { .. }), "{e:?}");

    // shelve again, let it expire: the next activation raises work
    app.shelve_alarm(
        &sys(start),
        alarm_id,
        ShelveAlarm {
            until: start + Duration::minutes(30),
            reason: "again".into(),
        },
    )
    .await
    .unwrap();
    let later = start + Duration::hours(2);
    let r = app
        .ingest_readings(
            &sys(later + Duration::minutes(1)),
            &chatter(s.signal.id, later, 2),
        )
        .await
        .unwrap();
    assert_eq!(r.work_requests_created.len(), 1);
    let a = app.get_alarm(&sys(later), alarm_id).await.unwrap();
    assert_eq!(a.shelved_until, None);
}

#[tokio::test]
async fn planned_downtime_suppresses_alarm_work() {
    let tdb = testing::fresh().await.unwrap();
    let app = App::new(tdb.db.clone());
    let asset = plant(&app).await;
    let s = vibration(&app, asset, "vib").await;
    let start = t(10);
    app.record_downtime(
        &sys(start - Duration::hours(1)),
        asset,
        None,
        NewDowntime {
            started_at: start - Duration::hours(1),
            ended_at: None,
            planned: true,
            reason: "overhaul".into(),
        },
    )
    .await
    .unwrap();
    let r = app
        .ingest_readings(
            &sys(start + Duration::minutes(1)),
            &chatter(s.signal.id, start, 2),
        )
        .await
        .unwrap();
    assert_eq!(r.alarms_activated, 1);
    assert!(r.work_requests_created.is_empty());
    assert!(requests(&app, asset).await.is_empty());
    let a = app
        .get_alarm(&super::at(0), s.rules[0].alarm_id)
        .await
        .unwrap();
    assert!(a.suppressed);
}

#[tokio::test]
async fn ten_hours_of_run_signal_advance_the_meter_and_make_the_pm_due() {
    let tdb = testing::fresh().await.unwrap();
    let app = App::new(tdb.db.clone());
    let asset = plant(&app).await;
    let meter = app
        .create_meter(
            &super::at(0),
            NewMeter {
                asset_id: asset,
                code: "RH".into(),
                name: "Run hours".into(),
                kind: MeterKind::Counter,
                unit: "h".into(),
            },
        )
        .await
        .unwrap();
    let plan: NewPmPlan = serde_json::from_value(serde_json::json!({
        "asset_id": asset,
        "meter_id": meter.id,
        "title": "10 h service",
        "schedule": {"trigger": {"kind": "meter", "meter": {"every": 10, "warning": 0.1}}, "start": "2026-01-01"}
    }))
    .unwrap();
    app.create_pm_plan(&super::at(0), plan).await.unwrap();
    let s = app
        .create_signal(
            &super::at(0),
            NewSignal {
                asset_id: asset,
                meter_id: Some(meter.id),
                name: "running".into(),
                kind: SignalKind::Run,
                unit: "h".into(),
                scale: None,
                offset: None,
                source: SourceBinding::Sparkplug {
                    group_id: "Plant".into(),
                    edge_node_id: "PLC1".into(),
                    device_id: None,
                    metric: "P101/Running".into(),
                },
                max_gap_s: Some(300),
                enabled: None,
                rules: vec![],
            },
        )
        .await
        .unwrap();
    // Heartbeats every minute for 12 h: running 0-5 h and 6-11 h (10 h), stopped otherwise;
    // a 20-minute silence inside the second run is not counted... so it is made up by running
    // 20 minutes longer (6 h - 11 h 20 min, silent 8 h - 8 h 20 min).
    let start = t(24);
    let running = |m: i64| m < 300 || (360..680).contains(&m);
    let silent = |m: i64| (481..500).contains(&m);
    let minutes: Vec<i64> = (0..=720).filter(|m| !silent(*m)).collect();
    let mut total = 0.0;
    for hour in minutes.chunks(60) {
        let batch: Vec<IncomingReading> = hour
            .iter()
            .map(|m| IncomingReading {
                signal_id: s.signal.id,
                at_ms: ms(start) + m * 60_000,
                value: if running(*m) { 1.0 } else { 0.0 },
            })
            .collect();
        let now = start + Duration::minutes(*hour.last().unwrap());
        let r = app.ingest_readings(&sys(now), &batch).await.unwrap();
        total += r.run_hours_added;
    }
    let m = app.get_meter(&super::at(0), meter.id).await.unwrap();
    let v = m.last_value.unwrap();
    // by hand: 300 min + (680 - 360) min - 20 silent min = 600 min = 10 h
    assert!((v - 10.0).abs() <= 1.0 / 3600.0, "meter at {v} h");
    assert!((total - 10.0).abs() <= 1.0 / 3600.0);
    let end = start + Duration::hours(12);
    let g = app.generate_pm(&Ctx::system("pm", end)).await.unwrap();
    assert_eq!(g.work_orders_created, 1, "{g:?}");
}

#[tokio::test]
async fn bad_readings_are_counted_and_change_nothing() {
    let tdb = testing::fresh().await.unwrap();
    let app = App::new(tdb.db.clone());
    let asset = plant(&app).await;
    let s = vibration(&app, asset, "vib").await;
    let now = t(24 * 40);
    let id = s.signal.id;
    let bad = vec![
        IncomingReading {
            signal_id: id,
            at_ms: ms(now),
            value: f64::NAN,
        },
        IncomingReading {
            signal_id: id,
            at_ms: ms(now),
            value: f64::INFINITY,
        },
        IncomingReading {
            signal_id: id,
            at_ms: 0,
            value: 9.0,
        },
        IncomingReading {
            signal_id: id,
            at_ms: ms(now + Duration::days(365)),
            value: 9.0,
        },
        IncomingReading {
            signal_id: Uuid::now_v7(),
            at_ms: ms(now),
            value: 9.0,
        },
    ];
    let r = app.ingest_readings(&sys(now), &bad).await.unwrap();
    assert_eq!((r.received, r.accepted), (5, 0));
    let by: Vec<(&str, usize)> = r.rejected.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        by,
        vec![
            ("in_future", 1),
            ("not_finite", 2),
            ("too_old", 1),
            ("unknown_signal", 1)
        ]
    );
    assert_eq!(r.rejections[4].index, 4);
    assert_eq!(r.alarms_activated, 0);
    let stored = app
        .signal_readings(
            &sys(now),
            id,
            RangeQuery {
                from: Some(DateTime::from_timestamp_millis(0).unwrap()),
                to: Some(now + Duration::days(400)),
                limit: None,
            },
        )
        .await
        .unwrap();
    assert!(stored.is_empty());
    assert!(requests(&app, asset).await.is_empty());

    // one good reading among bad ones is stored; the same reading again is skipped
    let mixed = vec![
        bad[0],
        IncomingReading {
            signal_id: id,
            at_ms: ms(now) - 1000,
            value: 3.0,
        },
        IncomingReading {
            signal_id: id,
            at_ms: ms(now) - 1000,
            value: 3.0,
        },
    ];
    let r = app.ingest_readings(&sys(now), &mixed).await.unwrap();
    assert_eq!(r.accepted, 1);
    assert_eq!(r.rejected.get("duplicate"), Some(&1));
    let r = app.ingest_readings(&sys(now), &mixed[1..2]).await.unwrap();
    assert_eq!((r.accepted, r.already_stored), (1, 1));
    let roll = app
        .signal_rollups(
            &sys(now),
            id,
            RangeQuery {
                from: Some(now - Duration::days(1)),
                to: Some(now + Duration::hours(1)),
                limit: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(roll.len(), 1);
    assert_eq!((roll[0].count_value, roll[0].sum_value), (1, 3.0));
    let _ = app
        .list_alarms(&sys(now), AlarmQuery::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn signal_definitions_are_checked_field_by_field() {
    let tdb = testing::fresh().await.unwrap();
    let app = App::new(tdb.db.clone());
    let asset = plant(&app).await;
    let e = app
        .create_signal(
            &super::at(0),
            NewSignal {
                asset_id: asset,
                meter_id: Some(Uuid::now_v7()),
                name: " ".into(),
                kind: SignalKind::Gauge,
                unit: "mm/s".into(),
                scale: Some(0.0),
                offset: None,
                source: SourceBinding::MqttJson {
                    topic: "plant/+/vib".into(),
                    pointer: "rms".into(),
                },
                max_gap_s: None,
                enabled: None,
                rules: vec![NewRule {
                    work_order_template: None,
                    name: "r".into(),
                    priority: None,
                    params: RuleParams::RateOfChange {
                        max_per_minute: -1.0,
                        window_s: 60,
                        deadband: 0.0,
                        on_delay_s: 0,
                        off_delay_s: 0,
                    },
                }],
            },
        )
        .await
        .unwrap_err();
    let mut fields: Vec<String> = e.field_errors().iter().map(|f| f.field.clone()).collect();
    fields.sort();
    assert_eq!(
        fields,
        vec![
            "meter_id",
            "name",
            "rules[0].params.deadband",
            "rules[0].params.max_per_minute",
            "scale",
            "source.pointer",
            "source.topic",
        ]
    );
    // two signals cannot share a source
    vibration(&app, asset, "a").await;
    let mut second = NewSignal {
        asset_id: asset,
        meter_id: None,
        name: "b".into(),
        kind: SignalKind::Gauge,
        unit: "mm/s".into(),
        scale: None,
        offset: None,
        source: SourceBinding::MqttJson {
            topic: "plant/p101/a".into(),
            pointer: "/rms".into(),
        },
        max_gap_s: None,
        enabled: None,
        rules: vec![],
    };
    let e = app
        .create_signal(&super::at(0), second.clone())
        .await
        .unwrap_err();
    assert!(matches!(e, overhaul_app::AppError::Conflict(_)), "{e:?}");
    second.source = SourceBinding::Http;
    assert!(app.create_signal(&super::at(0), second).await.is_ok());
}

#[tokio::test]
async fn bulk_readings_roll_up_by_hour_and_retention_keeps_the_rollups() {
    let tdb = testing::fresh().await.unwrap();
    let app = App::new(tdb.db.clone());
    let asset = plant(&app).await;
    let s = vibration(&app, asset, "vib").await;
    let id = s.signal.id;
    // 25,000 readings one second apart (more than two SQLite insert chunks), values 0..24999
    // scaled by nothing; they span 6 h 56 min 40 s from 10:00 (hours 10..16).
    let start = t(24 * 10 + 10);
    let batch: Vec<IncomingReading> = (0..25_000)
        .map(|i| IncomingReading {
            signal_id: id,
            at_ms: ms(start) + i * 1000,
            value: (i % 5) as f64,
        })
        .collect();
    let now = start + Duration::hours(8);
    let r = app.ingest_readings(&sys(now), &batch).await.unwrap();
    assert_eq!((r.accepted, r.already_stored), (25_000, 0));
    let range = |from: DateTime<Utc>, to: DateTime<Utc>| RangeQuery {
        from: Some(from),
        to: Some(to),
        limit: Some(100_000),
    };
    let roll = app
        .signal_rollups(&sys(now), id, range(start, now))
        .await
        .unwrap();
    // by hand: 7 hours; the first six hold 3,600 readings each (720 of each value 0..4, sum
    // 720 * 10 = 7,200), the last one the remaining 3,400 (680 of each, sum 6,800)
    assert_eq!(roll.len(), 7);
    assert_eq!(
        roll.iter().map(|h| h.count_value).collect::<Vec<_>>(),
        vec![3600, 3600, 3600, 3600, 3600, 3600, 3400]
    );
    assert_eq!(
        (roll[0].min_value, roll[0].max_value, roll[0].sum_value),
        (0.0, 4.0, 7200.0)
    );
    assert_eq!(roll[6].sum_value, 6800.0);
    // rebuilding from the raw rows gives the same
    app.rebuild_rollups(&sys(now), start, now).await.unwrap();
    let again = app
        .signal_rollups(&sys(now), id, range(start, now))
        .await
        .unwrap();
    assert_eq!(again, roll);
    // 30 d 15 h 30 min after the first reading, a retention of 30 d 12 h cuts at 13:30 of the
    // first day, rounded down to 13:00: the raw rows of hours 10, 11 and 12 go, rollups stay
    let later = start + Duration::days(30) + Duration::hours(15) + Duration::minutes(30);
    let gone = app
        .prune_readings(&sys(later), Duration::days(30) + Duration::hours(12))
        .await
        .unwrap();
    assert_eq!(gone, 3 * 3600);
    let raw = app
        .signal_readings(&sys(later), id, range(start, now))
        .await
        .unwrap();
    assert_eq!(raw.len(), 25_000 - 3 * 3600);
    let kept = app
        .signal_rollups(&sys(later), id, range(start, now))
        .await
        .unwrap();
    assert_eq!(kept, roll);
}

#[tokio::test]
async fn the_retention_decides_how_old_an_arriving_reading_may_be() {
    let tdb = testing::fresh().await.unwrap();
    let mut app = App::new(tdb.db.clone());
    let asset = plant(&app).await;
    let s = vibration(&app, asset, "vib").await;
    let now = t(24 * 200);
    let old = |days: i64| IncomingReading {
        signal_id: s.signal.id,
        at_ms: ms(now - Duration::days(days)),
        value: 1.0,
    };
    // The default keeps 30 days: a reading from 90 days ago is refused as too old.
    let r = app.ingest_readings(&sys(now), &[old(90)]).await.unwrap();
    assert_eq!(r.accepted, 0);
    // Kept for 120 days, it is stored; pruning with that retention keeps it, with 60 it goes.
    app.readings_retention = Duration::days(120);
    let r = app
        .ingest_readings(&sys(now), &[old(90), old(10)])
        .await
        .unwrap();
    assert_eq!(r.accepted, 2);
    assert_eq!(
        app.prune_readings(&sys(now), app.readings_retention)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        app.prune_readings(&sys(now), Duration::days(60))
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn a_rule_with_a_template_raises_one_work_order_and_notes_further_activations_on_it() {
    use overhaul_app::signals::RulePatch;
    use overhaul_app::work_orders::TransitionRequest;
    use overhaul_core::condition::work::WorkTemplate;
    use overhaul_core::work_order::{Priority, WorkOrderStatus, WorkOrderType};
    let tdb = testing::fresh().await.unwrap();
    let app = App::new(tdb.db.clone());
    let asset = plant(&app).await;
    let s = vibration(&app, asset, "vib").await;
    let rule = &s.rules[0];
    let template = WorkTemplate {
        title: "Check pump bearing".into(),
        kind: WorkOrderType::Predictive,
        priority: Priority::High,
        procedure_revision_id: None,
        estimated_hours: Some(1.5),
        crew_size: Some(2),
        description: Some("Measure at both bearing housings.".into()),
    };
    // A bad template is refused field by field and changes nothing.
    let bad = app
        .update_rule(
            &super::at(0),
            s.signal.id,
            rule.rule.id,
            None,
            RulePatch {
                work_order_template: Some(Some(WorkTemplate {
                    title: " ".into(),
                    estimated_hours: Some(-1.0),
                    procedure_revision_id: Some(Uuid::now_v7()),
                    ..template.clone()
                })),
                ..RulePatch::default()
            },
        )
        .await
        .unwrap_err();
    let fields: Vec<String> = bad.field_errors().iter().map(|f| f.field.clone()).collect();
    assert_eq!(
        fields,
        [
            "work_order_template.title",
            "work_order_template.estimated_hours"
        ]
    );
    let unknown_rev = app
        .update_rule(
            &super::at(0),
            s.signal.id,
            rule.rule.id,
            None,
            RulePatch {
                work_order_template: Some(Some(WorkTemplate {
                    procedure_revision_id: Some(Uuid::now_v7()),
                    ..template.clone()
                })),
                ..RulePatch::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        unknown_rev.field_errors()[0].field,
        "work_order_template.procedure_revision_id"
    );
    let v = app.get_signal(&super::at(0), s.signal.id).await.unwrap();
    assert_eq!(v.rules[0].work_order_template, None);

    let updated = app
        .update_rule(
            &super::at(0),
            s.signal.id,
            rule.rule.id,
            Some(rule.rule.version),
            RulePatch {
                work_order_template: Some(Some(template.clone())),
                ..RulePatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.work_order_template.as_ref(), Some(&template));

    // First episode: above the limit, then back below.
    let episode = |h: i64| {
        vec![
            IncomingReading {
                signal_id: s.signal.id,
                at_ms: ms(t(h)),
                value: 8.0,
            },
            IncomingReading {
                signal_id: s.signal.id,
                at_ms: ms(t(h)) + 60_000,
                value: 5.0,
            },
        ]
    };
    let r1 = app
        .ingest_readings(&sys(t(10)), &episode(10))
        .await
        .unwrap();
    assert_eq!(r1.alarms_activated, 1);
    assert_eq!(r1.work_requests_created, Vec::<Uuid>::new());
    assert_eq!(r1.work_orders_created.len(), 1, "{r1:?}");
    let wo_id = r1.work_orders_created[0];
    let wo = app
        .get_work_order(&super::at(11), wo_id)
        .await
        .unwrap()
        .work_order;
    assert_eq!(wo.title, "Check pump bearing");
    assert_eq!(wo.kind, "predictive");
    assert_eq!(wo.priority, "high");
    assert_eq!(wo.status, "requested");
    assert_eq!(wo.asset_id, asset);
    assert!(
        wo.description
            .starts_with("Measure at both bearing housings.\n\nEstimate: 1.5 h, 2 people.\n"),
        "{}",
        wo.description
    );
    assert!(wo.description.contains(&rule.alarm_id.to_string()));
    assert!(wo.description.contains(&ms(t(10)).to_string()));
    let alarm = app.get_alarm(&super::at(11), rule.alarm_id).await.unwrap();
    assert_eq!(alarm.work_order_id, Some(wo_id));
    assert_eq!(alarm.work_request_id, None);
    assert!(requests(&app, asset).await.is_empty());

    // Two more episodes an hour apart (no chatter): notes on the open work order, no new work.
    for h in [11, 12] {
        let r = app.ingest_readings(&sys(t(h)), &episode(h)).await.unwrap();
        assert_eq!(r.alarms_activated, 1);
        assert!(r.work_orders_created.is_empty() && r.work_requests_created.is_empty());
        assert_eq!(r.notes_added, 1);
    }
    let comments = app.list_comments(&super::at(13), wo_id).await.unwrap();
    assert_eq!(comments.len(), 2);
    assert!(
        comments[0].body.contains("activation 2"),
        "{}",
        comments[0].body
    );
    assert!(comments[1].body.contains(&ms(t(12)).to_string()));

    // Once the work order is cancelled, the next activation raises a new one.
    app.transition_work_order(
        &super::at(13),
        wo_id,
        None,
        TransitionRequest {
            to: WorkOrderStatus::Cancelled,
            reason: Some("sensor cable fixed".into()),
        },
    )
    .await
    .unwrap();
    let r4 = app
        .ingest_readings(&sys(t(14)), &episode(14))
        .await
        .unwrap();
    assert_eq!(r4.work_orders_created.len(), 1);
    assert_ne!(r4.work_orders_created[0], wo_id);
    assert_eq!(r4.notes_added, 0);

    // Back to work requests: the template is removed; the open work order still gets notes.
    app.update_rule(
        &super::at(15),
        s.signal.id,
        rule.rule.id,
        None,
        RulePatch {
            work_order_template: Some(None),
            ..RulePatch::default()
        },
    )
    .await
    .unwrap();
    let r5 = app
        .ingest_readings(&sys(t(15)), &episode(15))
        .await
        .unwrap();
    assert!(r5.work_requests_created.is_empty() && r5.work_orders_created.is_empty());
    assert_eq!(r5.notes_added, 1);
}
