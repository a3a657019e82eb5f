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
    let site = app
        .create_site(
            &at(0),
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
    let mk = |code: &str, level, parent| NewAsset {
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
    let site = app
        .create_site(
            &at(0),
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
            &at(0),
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
        .unwrap()
        .asset
        .id;
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
