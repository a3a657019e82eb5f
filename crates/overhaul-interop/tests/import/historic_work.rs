//! The import use case on its own: a batch with a bad row is refused whole, naming every
//! problem, and writes nothing.

use crate::support::{ctx, footprint, fresh_app};
use chrono::{Duration, TimeZone, Utc};
use overhaul_app::AppError;
use overhaul_app::assets::NewAsset;
use overhaul_app::import::{HistoricDowntime, HistoricFailure, HistoricWorkOrder};
use overhaul_app::sites::NewSite;
use overhaul_core::asset::AssetLevel;
use overhaul_core::work_order::{Priority, WorkOrderType};

#[tokio::test]
async fn a_batch_with_a_bad_row_is_refused_whole_and_names_every_problem() {
    let (t, app) = fresh_app().await;
    let c = ctx();
    let site = app
        .create_site(
            &c,
            NewSite {
                code: "S".into(),
                name: "Site".into(),
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
                name: "Area".into(),
                level: AssetLevel::Area,
                equipment_class: None,
                criticality: None,
                status: None,
                replacement_value: None,
            },
        )
        .await
        .unwrap();
    let at = Utc.with_ymd_and_hms(2020, 3, 1, 6, 0, 0).unwrap();
    let good = HistoricWorkOrder {
        id: uuid::Uuid::now_v7(),
        asset_id: area.asset.id,
        title: "Pump seized".into(),
        description: String::new(),
        kind: WorkOrderType::Corrective,
        priority: Priority::High,
        created_at: at,
        started_at: Some(at),
        completed_at: Some(at + Duration::hours(2)),
        closed_at: at + Duration::hours(2),
        failure: Some(HistoricFailure {
            impact: Some("C".into()),
            mode: Some("BRD".into()),
            ..HistoricFailure::default()
        }),
        downtime: Some(HistoricDowntime {
            id: uuid::Uuid::now_v7(),
            started_at: at,
            ended_at: at + Duration::hours(2),
            planned: false,
            reason: "seized".into(),
        }),
    };
    let bad = HistoricWorkOrder {
        id: uuid::Uuid::now_v7(),
        title: "  ".into(),
        closed_at: at - Duration::hours(1),
        failure: Some(HistoricFailure {
            mode: Some("XYZ".into()),
            ..HistoricFailure::default()
        }),
        downtime: None,
        ..good.clone()
    };
    let before = footprint(&t.db).await;
    let err = app
        .import_closed_work_orders(&c, &[good.clone(), bad])
        .await
        .unwrap_err();
    let AppError::Invalid(inv) = err else {
        panic!("expected invalid input, got {err:?}");
    };
    let fields: Vec<&str> = inv.0.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        ["rows[1].title", "rows[1].closed_at", "rows[1].failure.mode"]
    );
    assert_eq!(footprint(&t.db).await, before);

    // The good row alone goes in, once.
    let first = app
        .import_closed_work_orders(&c, std::slice::from_ref(&good))
        .await
        .unwrap();
    assert_eq!((first.created, first.downtime_created), (1, 1));
    let second = app.import_closed_work_orders(&c, &[good]).await.unwrap();
    assert_eq!((second.created, second.already_present), (0, 1));
}
