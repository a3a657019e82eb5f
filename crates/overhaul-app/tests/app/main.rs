//! Use cases with the clock under the test's control (history is written at chosen instants).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use overhaul_app::assets::{NewAsset, NewDowntime};
use overhaul_app::kpis::KpiQuery;
use overhaul_app::sites::NewSite;
use overhaul_app::work_orders::{FailureReport, NewWorkOrder, WorkOrderPatch};
use overhaul_app::{App, Ctx};
use overhaul_core::asset::AssetLevel;
use overhaul_core::kpi::Mtbf;
use overhaul_core::work_order::{Priority, WorkOrderType};
use overhaul_store::testing;

fn t(h: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap() + Duration::hours(h)
}

/// A site in `tz`, created at hour 0.
async fn new_site(app: &App, tz: &str) -> uuid::Uuid {
    let s = NewSite {
        code: "S".into(),
        name: "S".into(),
        timezone: tz.into(),
        business_hours: None,
        currency: None,
        allow_anonymous_requests: false,
    };
    app.create_site(&at(0), s).await.unwrap().site.id
}

/// An asset created at hour 0.
async fn new_asset(
    app: &App,
    site: uuid::Uuid,
    parent: Option<uuid::Uuid>,
    code: &str,
    level: AssetLevel,
    class: Option<&str>,
) -> uuid::Uuid {
    let a = NewAsset {
        site_id: site,
        parent_id: parent,
        code: code.into(),
        name: code.into(),
        level,
        equipment_class: class.map(str::to_owned),
        criticality: None,
        status: None,
        replacement_value: None,
    };
    app.create_asset(&at(0), a).await.unwrap().asset.id
}

fn at(h: i64) -> Ctx {
    Ctx::system("test", t(h))
}

async fn failure(app: &App, asset: uuid::Uuid, h: i64, impact: &str, outage: Option<(i64, i64)>) {
    let w = app
        .create_work_order(
            &at(h),
            NewWorkOrder {
                asset_id: asset,
                title: format!("failure at {h}"),
                kind: WorkOrderType::Corrective,
                priority: Priority::High,
                description: None,
                due_at: None,
                assignee_id: None,
                attachments: vec![],
                procedure_revision_id: None,
            },
        )
        .await
        .unwrap();
    app.update_work_order(
        &at(h),
        w.work_order.id,
        None,
        WorkOrderPatch {
            failure: Some(FailureReport {
                impact: Some(Some(impact.into())),
                mode: Some(Some("BRD".into())),
                ..FailureReport::default()
            }),
            ..WorkOrderPatch::default()
        },
    )
    .await
    .unwrap();
    if let Some((a, b)) = outage {
        app.add_work_order_downtime(
            &at(b + 1),
            w.work_order.id,
            NewDowntime {
                started_at: t(a),
                ended_at: Some(t(b)),
                planned: false,
                reason: "breakdown".into(),
            },
        )
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn asset_kpis_checked_by_hand() {
    let tdb = testing::fresh().await.unwrap();
    let app = App::new(tdb.db.clone());
    let site = new_site(&app, "UTC").await;
    let mk = |code: &str, level, parent| NewAsset {
        site_id: site,
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
        .create_asset(&at(0), mk("AREA", AssetLevel::Area, None))
        .await
        .unwrap()
        .asset
        .id;
    let pump = app
        .create_asset(&at(0), mk("PUMP", AssetLevel::Equipment, Some(area)))
        .await
        .unwrap()
        .asset
        .id;
    // Timeline over [0, 100 h): failure C at 40 with outage 40–44; incipient finding at 60;
    // planned stop 70–76; failure D at 90 with outage 90–92, reported twice.
    failure(&app, pump, 40, "C", Some((40, 44))).await;
    failure(&app, pump, 60, "I", None).await;
    app.record_downtime(
        &at(77),
        pump,
        None,
        NewDowntime {
            started_at: t(70),
            ended_at: Some(t(76)),
            planned: true,
            reason: "service".into(),
        },
    )
    .await
    .unwrap();
    failure(&app, pump, 90, "D", Some((90, 92))).await;
    failure(&app, pump, 91, "C", None).await;

    let q = KpiQuery {
        from: Some(t(0)),
        to: Some(t(100)),
        subtree: Some(false),
    };
    let r = app.asset_kpis(&at(200), pump, q.clone()).await.unwrap();
    let k = r.kpis;
    assert_eq!(
        (
            k.hours.running,
            k.hours.down_unplanned,
            k.hours.down_planned
        ),
        (88.0, 6.0, 6.0)
    );
    // 40: C, 90: D (the report at 91 falls in the 90–92 outage? No: its failure time is its
    // creation (91), inside the 90–92 outage of the same asset, so it is the same event).
    assert_eq!(k.failures, 2);
    assert_eq!(k.mtbf, Mtbf::Hours(44.0));
    assert_eq!(k.mttr_hours, Some(3.0));
    assert_eq!(k.mdt_hours, Some(4.0));
    assert_eq!(k.availability_operational, Some(0.88));
    assert!((k.availability_inherent.unwrap() - 44.0 / 47.0).abs() < 1e-12);

    // The area's subtree holds the area (no failures, running 100 h) and the pump.
    let r = app
        .asset_kpis(
            &at(200),
            area,
            KpiQuery {
                subtree: Some(true),
                ..q
            },
        )
        .await
        .unwrap();
    assert_eq!(r.assets, 2);
    assert_eq!(r.kpis.failures, 2);
    assert_eq!(r.kpis.hours.running, 188.0);
    assert_eq!(r.kpis.mtbf, Mtbf::Hours(94.0));

    // Per period: [0, 100 h) in UTC days: the failures fall on day 2 (40 h) and day 4 (90 h).
    let days = app
        .asset_kpi_periods(
            &at(200),
            pump,
            overhaul_app::kpis::KpiPeriodQuery {
                period: Some(overhaul_core::kpi::Period::Week),
                from: Some(t(0)),
                to: Some(t(100)),
                subtree: Some(false),
            },
        )
        .await
        .unwrap();
    // 2026-01-01 is a Thursday: the first week is cut at Monday 2026-01-05 (96 h).
    assert_eq!(days.len(), 2);
    assert_eq!((days[0].kpis.failures, days[1].kpis.failures), (2, 0));
    assert_eq!(days[0].to, t(96));

    // A window in the future is cut at now; an inverted one is refused.
    let r = app
        .asset_kpis(
            &at(50),
            pump,
            KpiQuery {
                from: Some(t(0)),
                to: Some(t(500)),
                subtree: Some(false),
            },
        )
        .await
        .unwrap();
    assert_eq!(r.to, t(50));
    assert!(
        app.asset_kpis(
            &at(50),
            pump,
            KpiQuery {
                from: Some(t(10)),
                to: Some(t(5)),
                subtree: None
            }
        )
        .await
        .is_err()
    );
}

#[tokio::test]
async fn reliability_from_history() {
    use overhaul_app::reliability::ReliabilityQuery;
    let tdb = testing::fresh().await.unwrap();
    let app = App::new(tdb.db.clone());
    let site = new_site(&app, "UTC").await;
    let area = new_asset(&app, site, None, "A", AssetLevel::Area, None).await;
    // Failures at 100, 250, 330 (+ a second report of the 330 outage at 331) over [0, 500 h).
    failure(&app, area, 100, "C", Some((100, 110))).await;
    failure(&app, area, 250, "D", Some((250, 260))).await;
    failure(&app, area, 330, "C", Some((330, 340))).await;
    failure(&app, area, 331, "C", None).await;
    let q = ReliabilityQuery {
        from: Some(t(0)),
        to: Some(t(500)),
        subtree: Some(false),
        cost_preventive: Some(1.0),
        cost_failure: Some(5.0),
    };
    let r = app.asset_reliability(&at(600), area, q).await.unwrap();
    // Running hours: 0–100 = 100; 110–250 = 140; 260–330 = 70; censored 340–500 = 160.
    assert_eq!(r.lifetimes.failures, vec![100.0, 140.0, 70.0]);
    assert_eq!(r.lifetimes.censored, vec![160.0]);
    let fit = r.weibull_mle.expect("a fit from three failures");
    assert!(fit.eta > 0.0 && fit.beta > 0.0);
    assert_eq!(r.kaplan_meier.len(), 3);
    let crow = r.crow_amsaa.expect("trend from three failures");
    assert_eq!(crow.failures, 3);
    assert!(r.recommendation.is_some(), "{:?}", r.notes);
    // Without costs there is no recommendation, and the note says why.
    let r = app
        .asset_reliability(
            &at(600),
            area,
            ReliabilityQuery {
                from: Some(t(0)),
                to: Some(t(500)),
                ..ReliabilityQuery::default()
            },
        )
        .await
        .unwrap();
    assert!(r.recommendation.is_none());
    assert!(r.notes.iter().any(|n| n.contains("cost_preventive")));
    // Bad costs are refused.
    let bad = ReliabilityQuery {
        cost_preventive: Some(-1.0),
        cost_failure: Some(5.0),
        ..ReliabilityQuery::default()
    };
    assert!(app.asset_reliability(&at(600), area, bad).await.is_err());
}

#[tokio::test]
async fn bad_actors_pareto() {
    use overhaul_app::bad_actors::{BadActorQuery, GroupBy};
    let tdb = testing::fresh().await.unwrap();
    let app = App::new(tdb.db.clone());
    let site = new_site(&app, "UTC").await;
    let mk = |code: &str, level, parent, class: Option<&str>| NewAsset {
        site_id: site,
        parent_id: parent,
        code: code.into(),
        name: code.into(),
        level,
        equipment_class: class.map(str::to_owned),
        criticality: None,
        status: None,
        replacement_value: None,
    };
    let area = app
        .create_asset(&at(0), mk("AREA", AssetLevel::Area, None, None))
        .await
        .unwrap()
        .asset
        .id;
    let a = app
        .create_asset(
            &at(0),
            mk("PA", AssetLevel::Equipment, Some(area), Some("PU")),
        )
        .await
        .unwrap()
        .asset
        .id;
    let b = app
        .create_asset(
            &at(0),
            mk("PB", AssetLevel::Equipment, Some(area), Some("PU")),
        )
        .await
        .unwrap()
        .asset
        .id;
    app.create_asset(
        &at(0),
        mk("QUIET", AssetLevel::Equipment, Some(area), Some("EM")),
    )
    .await
    .unwrap();
    // A: failures at 40 (4 h down) and 60 (1 h down), a repeat within 30 days; B: one at 90 (10 h).
    failure(&app, a, 40, "C", Some((40, 44))).await;
    failure(&app, a, 60, "D", Some((60, 61))).await;
    failure(&app, b, 90, "C", Some((90, 100))).await;
    let q = BadActorQuery {
        from: Some(t(0)),
        to: Some(t(200)),
        group_by: None,
        repeat_days: None,
    };
    let rows = app.bad_actors(&at(300), area, q.clone()).await.unwrap();
    let view: Vec<(Option<String>, usize, usize, f64)> = rows
        .iter()
        .map(|r| {
            (
                r.label.clone(),
                r.failures,
                r.repeat_failures,
                r.unplanned_downtime_hours,
            )
        })
        .collect();
    assert_eq!(
        view,
        [
            (Some("PB".into()), 1, 0, 10.0),
            (Some("PA".into()), 2, 1, 5.0)
        ]
    );
    assert!(
        (rows[0].cumulative_share - 10.0 / 15.0).abs() < 1e-12
            && (rows[1].cumulative_share - 1.0).abs() < 1e-12
    );
    let by_class = app
        .bad_actors(
            &at(300),
            area,
            BadActorQuery {
                group_by: Some(GroupBy::EquipmentClass),
                ..q.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (
            by_class[0].key.as_str(),
            by_class[0].failures,
            by_class[0].unplanned_downtime_hours
        ),
        ("PU", 3, 15.0)
    );
    let by_mode = app
        .bad_actors(
            &at(300),
            area,
            BadActorQuery {
                group_by: Some(GroupBy::FailureMode),
                ..q
            },
        )
        .await
        .unwrap();
    assert_eq!((by_mode[0].key.as_str(), by_mode[0].failures), ("BRD", 3));
}

mod condition;

mod pm {
    use super::*;
    use overhaul_app::pm::NewPmPlan;
    use overhaul_app::work_orders::TransitionRequest;
    use overhaul_core::work_order::WorkOrderStatus;

    async fn plant(app: &App) -> uuid::Uuid {
        let site = new_site(app, "Europe/Berlin").await;
        new_asset(app, site, None, "A", AssetLevel::Area, None).await
    }

    /// Walks a work order from requested to completed at `when`.
    async fn complete(app: &App, id: uuid::Uuid, when: DateTime<Utc>) {
        for to in [
            WorkOrderStatus::Approved,
            WorkOrderStatus::Planned,
            WorkOrderStatus::Ready,
            WorkOrderStatus::Scheduled,
            WorkOrderStatus::InProgress,
            WorkOrderStatus::Completed,
        ] {
            let ctx = Ctx::system("tech", when);
            app.transition_work_order(&ctx, id, None, TransitionRequest { to, reason: None })
                .await
                .unwrap();
        }
    }

    fn plan(asset: uuid::Uuid, schedule: serde_json::Value) -> NewPmPlan {
        NewPmPlan {
            asset_id: asset,
            meter_id: None,
            title: "Weekly lube".into(),
            description: None,
            kind: None,
            priority: None,
            schedule: serde_json::from_value(schedule).unwrap(),
            procedure_revision_id: None,
        }
    }

    /// Monday 2026-01-05 06:00 Berlin = 05:00 UTC; weekly.
    fn weekly() -> serde_json::Value {
        serde_json::json!({"trigger": {"kind": "fixed", "rule": {"kind": "weekly", "every_weeks": 1, "on": ["monday"], "at": "06:00"}}, "start": "2026-01-05"})
    }

    #[tokio::test]
    async fn fixed_plan_generates_each_occurrence_once() {
        let tdb = testing::fresh().await.unwrap();
        let app = App::new(tdb.db.clone());
        let asset = plant(&app).await;
        let p = app
            .create_pm_plan(&at(0), plan(asset, weekly()))
            .await
            .unwrap();
        assert_eq!(p.next.len(), 10);
        assert_eq!(
            p.next[0].due,
            Utc.with_ymd_and_hms(2026, 1, 5, 5, 0, 0).single().unwrap()
        );
        // At Monday 05:30 UTC of the second week: occurrence 1 is missed (superseded by
        // occurrence 2, already due), occurrence 2 is generated.
        let now = Utc
            .with_ymd_and_hms(2026, 1, 12, 5, 30, 0)
            .single()
            .unwrap();
        let r = app.generate_pm(&Ctx::system("pm", now)).await.unwrap();
        assert_eq!((r.work_orders_created, r.missed_recorded), (1, 1), "{r:?}");
        let again = app.generate_pm(&Ctx::system("pm", now)).await.unwrap();
        assert_eq!(
            (again.work_orders_created, again.missed_recorded),
            (0, 0),
            "{again:?}"
        );
        let wo = app
            .get_work_order(&Ctx::system("t", now), r.work_order_ids[0])
            .await
            .unwrap();
        assert_eq!(wo.work_order.kind, "preventive");
        assert_eq!(
            wo.work_order.due_at,
            Some(Utc.with_ymd_and_hms(2026, 1, 12, 5, 0, 0).single().unwrap())
        );
        let occ = app
            .pm_occurrences(&Ctx::system("t", now), p.plan.id)
            .await
            .unwrap();
        assert_eq!(occ.len(), 2);
        // A week later: exactly one more.
        let later = now + Duration::days(7);
        assert_eq!(
            app.generate_pm(&Ctx::system("pm", later))
                .await
                .unwrap()
                .work_orders_created,
            1
        );
    }

    /// Every second Tuesday 06:00 Berlin from the week of 2026-01-05.
    fn fortnightly_tuesday() -> serde_json::Value {
        serde_json::json!({"trigger": {"kind": "fixed", "rule": {"kind": "weekly", "every_weeks": 2, "on": ["tuesday"], "at": "06:00"}}, "start": "2026-01-05"})
    }

    fn berlin_6am(day: u32) -> DateTime<Utc> {
        // January: Berlin is UTC+1.
        Utc.with_ymd_and_hms(2026, 1, day, 5, 0, 0)
            .single()
            .unwrap()
    }

    #[tokio::test]
    async fn preview_stores_nothing_and_an_edit_continues_on_the_new_grid_after_now() {
        let tdb = testing::fresh().await.unwrap();
        let app = App::new(tdb.db.clone());
        let asset = plant(&app).await;
        let p = app
            .create_pm_plan(&at(0), plan(asset, weekly()))
            .await
            .unwrap();
        // The editor's preview of another schedule: same checks and expansion, nothing stored.
        let (next, flags) = app
            .preview_pm_plan(
                &at(0),
                Some(p.plan.id),
                &plan(asset, fortnightly_tuesday()),
                3,
            )
            .await
            .unwrap();
        let dues: Vec<_> = next.iter().map(|o| o.due).collect();
        assert_eq!(
            dues,
            [
                berlin_6am(6),
                berlin_6am(20),
                Utc.with_ymd_and_hms(2026, 2, 3, 5, 0, 0).single().unwrap()
            ]
        );
        assert!(flags.is_empty(), "{flags:?}");
        let mut bad = plan(asset, fortnightly_tuesday());
        bad.schedule.start = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        bad.schedule.lead_days = -1;
        let e = app
            .preview_pm_plan(&at(0), None, &bad, 10)
            .await
            .unwrap_err();
        assert!(
            e.field_errors()
                .iter()
                .any(|f| f.field == "schedule.lead_days"),
            "{e:?}"
        );
        let stored = app.get_pm_plan(&at(0), p.plan.id).await.unwrap();
        assert_eq!(
            stored.schedule,
            serde_json::from_value(weekly()).unwrap(),
            "preview changed nothing"
        );
        assert_eq!(stored.plan.version, 1);

        // Monday 12 January: the weekly plan makes its work.
        let r = app.generate_pm(&at(274)).await.unwrap();
        assert_eq!(r.work_orders_created, 1);

        // Tuesday 13 January 00:00: the planner switches to every second Tuesday.
        let edited = app
            .update_pm_plan(
                &at(288),
                p.plan.id,
                Some(1),
                plan(asset, fortnightly_tuesday()),
                true,
            )
            .await
            .unwrap();
        assert_eq!(edited.plan.version, 2);
        assert_eq!(edited.next[0].due, berlin_6am(20));
        // A second edit from the same stale form is refused; the asset never changes.
        assert!(matches!(
            app.update_pm_plan(&at(289), p.plan.id, Some(1), plan(asset, weekly()), true)
                .await
                .unwrap_err(),
            overhaul_app::AppError::Stale
        ));
        let other = new_asset(&app, edited.plan.site_id, None, "B", AssetLevel::Area, None).await;
        let e = app
            .update_pm_plan(&at(289), p.plan.id, Some(2), plan(other, weekly()), true)
            .await
            .unwrap_err();
        assert!(
            e.field_errors().iter().any(|f| f.field == "asset_id"),
            "{e:?}"
        );
        let mut bad = plan(asset, fortnightly_tuesday());
        bad.title = " ".into();
        let e = app
            .update_pm_plan(&at(289), p.plan.id, Some(2), bad, true)
            .await
            .unwrap_err();
        assert!(e.field_errors().iter().any(|f| f.field == "title"), "{e:?}");

        // Wednesday 21 January: the 20th is made; nothing before the edit is recorded missed.
        let before = app.pm_occurrences(&at(480), p.plan.id).await.unwrap().len();
        let r = app.generate_pm(&at(480)).await.unwrap();
        assert_eq!((r.work_orders_created, r.missed_recorded), (1, 0), "{r:?}");
        let occ = app.pm_occurrences(&at(480), p.plan.id).await.unwrap();
        assert_eq!(occ.len(), before + 1);
        assert!(
            occ.iter()
                .any(|o| o.due_at == berlin_6am(20) && o.status == "due")
        );

        // Paused by the planner: nothing is generated until it is active again.
        let paused = app
            .update_pm_plan(
                &at(481),
                p.plan.id,
                Some(2),
                plan(asset, fortnightly_tuesday()),
                false,
            )
            .await
            .unwrap();
        assert_eq!(paused.plan.status, "paused");
        let r = app.generate_pm(&at(40 * 24)).await.unwrap();
        assert_eq!(r.work_orders_created, 0);
    }

    #[tokio::test]
    async fn concurrent_runners_never_duplicate() {
        let tdb = testing::fresh().await.unwrap();
        let app = App::new(tdb.db.clone());
        let asset = plant(&app).await;
        for _ in 0..3 {
            app.create_pm_plan(&at(0), plan(asset, serde_json::json!({"trigger": {"kind": "fixed", "rule": {"kind": "every", "every": 1, "unit": "days", "at": "06:00"}}, "start": "2026-01-01", "lead_days": 0}))).await.unwrap();
        }
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).single().unwrap();
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let app = app.clone();
            tasks.push(tokio::spawn(async move {
                app.generate_pm(&Ctx::system("pm", now))
                    .await
                    .unwrap()
                    .work_orders_created
            }));
        }
        let mut total = 0;
        for t in tasks {
            total += t.await.unwrap();
        }
        assert_eq!(
            total, 3,
            "one work order per plan for 2026-01-01, whatever the runners"
        );
        let all = app
            .list_work_orders(&Ctx::system("t", now), Default::default())
            .await
            .unwrap();
        assert_eq!(all.items.len(), 3);
    }

    #[tokio::test]
    async fn floating_plan_restarts_from_completion() {
        let tdb = testing::fresh().await.unwrap();
        let app = App::new(tdb.db.clone());
        let asset = plant(&app).await;
        let p = app
            .create_pm_plan(&at(0), plan(asset, serde_json::json!({"trigger": {"kind": "floating", "calendar": {"every": 10, "unit": "days", "at": "08:00"}}, "start": "2026-01-02"})))
            .await
            .unwrap();
        let now = Utc.with_ymd_and_hms(2026, 1, 2, 9, 0, 0).single().unwrap();
        let r = app.generate_pm(&Ctx::system("pm", now)).await.unwrap();
        assert_eq!(r.work_orders_created, 1);
        // It waits for completion: nothing new ten days later while the work is open.
        assert_eq!(
            app.generate_pm(&Ctx::system("pm", now + Duration::days(12)))
                .await
                .unwrap()
                .work_orders_created,
            0
        );
        // Completed late (on the 15th): next due = 25th at 08:00 local.
        let done_at = Utc
            .with_ymd_and_hms(2026, 1, 15, 10, 0, 0)
            .single()
            .unwrap();
        let id = r.work_order_ids[0];
        complete(&app, id, done_at).await;
        let v = app
            .get_pm_plan(&Ctx::system("t", done_at), p.plan.id)
            .await
            .unwrap();
        assert_eq!(
            v.next[0].due,
            Utc.with_ymd_and_hms(2026, 1, 25, 7, 0, 0).single().unwrap(),
            "08:00 Berlin in winter"
        );
    }

    #[tokio::test]
    async fn bad_plans_are_refused_field_by_field() {
        let tdb = testing::fresh().await.unwrap();
        let app = App::new(tdb.db.clone());
        let asset = plant(&app).await;
        let bad = plan(
            asset,
            serde_json::json!({"trigger": {"kind": "fixed", "rule": {"kind": "every", "every": 0, "unit": "days", "at": "25:00"}}, "start": "2026-01-01"}),
        );
        let e = app.create_pm_plan(&at(0), bad).await.unwrap_err();
        let fields: Vec<String> = e.field_errors().iter().map(|f| f.field.clone()).collect();
        assert!(
            fields.iter().any(|f| f.starts_with("schedule.trigger")),
            "{fields:?}"
        );
        let meterless = plan(
            asset,
            serde_json::json!({"trigger": {"kind": "meter", "meter": {"every": 500}}, "start": "2026-01-01"}),
        );
        let e = app.create_pm_plan(&at(0), meterless).await.unwrap_err();
        assert!(e.field_errors().iter().any(|f| f.field == "meter_id"));
        assert!(
            app.list_pm_plans(&at(0), None, None)
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn smrp_compliance_counts_on_time_late_and_not_done() {
        use overhaul_app::pm::ComplianceQuery;
        let tdb = testing::fresh().await.unwrap();
        let app = App::new(tdb.db.clone());
        let asset = plant(&app).await;
        let p = app
            .create_pm_plan(&at(0), plan(asset, weekly()))
            .await
            .unwrap();
        let utc = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 1, d, h, 0, 0).single().unwrap();
        // Due Mondays 05:00 UTC (06:00 Berlin): Jan 5 done the same day (on time), Jan 12 done
        // on the 15th (late: weekly grace is 1 day), Jan 19 never done (grace over by the 25th).
        let w1 = app
            .generate_pm(&Ctx::system("pm", utc(5, 5)))
            .await
            .unwrap()
            .work_order_ids[0];
        complete(&app, w1, utc(5, 10)).await;
        let w2 = app
            .generate_pm(&Ctx::system("pm", utc(12, 5)))
            .await
            .unwrap()
            .work_order_ids[0];
        complete(&app, w2, utc(15, 10)).await;
        app.generate_pm(&Ctx::system("pm", utc(19, 5)))
            .await
            .unwrap();
        let q = ComplianceQuery {
            plan_id: Some(p.plan.id),
            from: Some(utc(1, 0)),
            to: Some(utc(22, 0)),
            ..ComplianceQuery::default()
        };
        let r = app
            .pm_compliance(&Ctx::system("t", utc(25, 0)), q)
            .await
            .unwrap();
        let c = r.total;
        assert_eq!(
            (c.due, c.on_time, c.late, c.not_done, c.pending),
            (3, 1, 1, 1, 0),
            "{c:?}"
        );
        assert!((c.percent.unwrap() - 100.0 / 3.0).abs() < 1e-9);
        assert_eq!(r.plans[0].frequency_days, 7.0);
    }

    #[tokio::test]
    async fn accepting_a_recommended_interval_is_audited_with_its_basis() {
        use overhaul_app::pm::AcceptInterval;
        let tdb = testing::fresh().await.unwrap();
        let app = App::new(tdb.db.clone());
        let asset = plant(&app).await;
        let floating = serde_json::json!({"trigger": {"kind": "floating", "calendar": {"every": 10, "unit": "days", "at": "08:00"}}, "start": "2026-01-02"});
        let p = app
            .create_pm_plan(&at(0), plan(asset, floating))
            .await
            .unwrap();
        let basis = serde_json::json!({"source": "reliability", "weibull": {"eta": 900.0, "beta": 2.4}, "t_star_hours": 489.0});
        let input = AcceptInterval {
            interval_days: 20.4,
            basis: basis.clone(),
            reason: "optimal age replacement".into(),
        };
        // A stale version is refused and changes nothing.
        assert!(matches!(
            app.accept_interval(&at(1), p.plan.id, Some(p.plan.version + 1), input.clone())
                .await,
            Err(overhaul_app::AppError::Stale)
        ));
        let v = app
            .accept_interval(&at(1), p.plan.id, Some(p.plan.version), input)
            .await
            .unwrap();
        assert_eq!(v.plan.version, 2);
        let json = serde_json::to_value(&v.schedule).unwrap();
        assert_eq!(json["trigger"]["calendar"]["every"], 20);
        let audit = overhaul_store::audit::list(
            &tdb.db,
            &overhaul_store::audit::AuditFilter {
                entity: Some("pm_plan".into()),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let rec = audit
            .iter()
            .find(|r| r.action == "accept_interval")
            .expect("audited");
        assert_eq!(rec.reason.as_deref(), Some("optimal age replacement"));
        assert!(
            rec.new_value
                .as_deref()
                .unwrap_or("")
                .contains("\"t_star_hours\":489.0")
        );
        // A weekly rule has no single interval to replace.
        let weekly_plan = app
            .create_pm_plan(&at(0), plan(asset, weekly()))
            .await
            .unwrap();
        let bad = AcceptInterval {
            interval_days: 14.0,
            basis,
            reason: "x".into(),
        };
        assert!(matches!(
            app.accept_interval(&at(1), weekly_plan.plan.id, None, bad)
                .await,
            Err(overhaul_app::AppError::Rule { .. })
        ));
    }

    #[tokio::test]
    async fn one_plan_per_matching_asset() {
        use overhaul_app::pm::NewPmPlans;
        let tdb = testing::fresh().await.unwrap();
        let app = App::new(tdb.db.clone());
        let site = new_site(&app, "UTC").await;
        let area = new_asset(&app, site, None, "AREA", AssetLevel::Area, None).await;
        let p1 = new_asset(
            &app,
            site,
            Some(area),
            "P1",
            AssetLevel::Equipment,
            Some("PU"),
        )
        .await;
        new_asset(
            &app,
            site,
            Some(area),
            "P2",
            AssetLevel::Equipment,
            Some("PU"),
        )
        .await;
        new_asset(
            &app,
            site,
            Some(area),
            "M1",
            AssetLevel::Equipment,
            Some("EM"),
        )
        .await;
        app.decommission_asset(&at(1), p1, "scrapped")
            .await
            .unwrap();
        let input = |class: &str| NewPmPlans {
            subtree_of: area,
            equipment_class: Some(class.into()),
            level: None,
            title: "Pump check".into(),
            description: None,
            kind: None,
            priority: None,
            schedule: serde_json::from_value(weekly()).unwrap(),
        };
        let rows = app.create_pm_plans_for(&at(2), input("PU")).await.unwrap();
        assert_eq!(
            rows.len(),
            1,
            "P2 only: P1 is decommissioned, M1 is a motor"
        );
        let e = app
            .create_pm_plans_for(&at(2), input("VA"))
            .await
            .unwrap_err();
        assert!(e.field_errors().iter().any(|f| f.field == "subtree_of"));
        assert_eq!(
            app.list_pm_plans(&at(3), None, None).await.unwrap().len(),
            1
        );
    }
}

mod attachments;
mod procedures;
mod users;
