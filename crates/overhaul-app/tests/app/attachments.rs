//! Photos and documents: judged by content, stored in the database or on disk, read back
//! byte for byte, refused without a trace when they are not what they claim, hidden from
//! other sites.

use super::{at, new_asset, new_site};
use overhaul_app::attachments::{Owner, Upload};
use overhaul_app::work_orders::NewWorkOrder;
use overhaul_app::{Actor, App, AppError, Ctx, Principal};
use overhaul_core::asset::AssetLevel;
use overhaul_core::role::Role;
use overhaul_core::work_order::{Priority, WorkOrderType};
use overhaul_store::testing;

fn jpeg() -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0];
    v.extend((0..5000).map(|i| (i % 251) as u8));
    v.extend([0xFF, 0xD9]);
    v
}

async fn a_work_order(app: &App) -> (uuid::Uuid, uuid::Uuid) {
    let site = new_site(app, "Europe/Berlin").await;
    let pump = new_asset(app, site, None, "P-1", AssetLevel::Area, None).await;
    let w = app
        .create_work_order(
            &at(1),
            NewWorkOrder {
                asset_id: pump,
                title: "Seal leaks".into(),
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
    (site, w.work_order.id)
}

async fn audit_len(app: &App) -> usize {
    overhaul_store::audit::list(
        &app.db,
        &overhaul_store::audit::AuditFilter {
            entity: None,
            entity_id: None,
            after_seq: None,
            limit: 100_000,
        },
    )
    .await
    .unwrap()
    .len()
}

#[tokio::test]
async fn files_round_trip_in_the_database_and_on_disk() {
    let tdb = testing::fresh().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    for app in [
        App::new(tdb.db.clone()),
        App::new(tdb.db.clone()).with_files_dir(dir.path().join("files")),
    ] {
        let on_disk = app.files_dir.is_some();
        let (_, wo) = if on_disk {
            // second round: a second work order at a second site
            let site = app
                .create_site(
                    &at(0),
                    overhaul_app::sites::NewSite {
                        code: "T".into(),
                        name: "T".into(),
                        timezone: "UTC".into(),
                        business_hours: None,
                        currency: None,
                        allow_anonymous_requests: false,
                    },
                )
                .await
                .unwrap()
                .site
                .id;
            let asset = new_asset(&app, site, None, "P-2", AssetLevel::Area, None).await;
            let w = app
                .create_work_order(
                    &at(1),
                    NewWorkOrder {
                        asset_id: asset,
                        title: "x".into(),
                        kind: WorkOrderType::Corrective,
                        priority: Priority::Normal,
                        description: None,
                        due_at: None,
                        assignee_id: None,
                        attachments: vec![],
                        procedure_revision_id: None,
                    },
                )
                .await
                .unwrap();
            (site, w.work_order.id)
        } else {
            a_work_order(&app).await
        };
        let a = app
            .attach(
                &at(2),
                Owner::WorkOrder(wo),
                Upload {
                    filename: "../../photos/leak.jpg".into(),
                    bytes: jpeg(),
                },
            )
            .await
            .unwrap();
        assert_eq!(a.filename, "leak.jpg");
        assert_eq!(a.kind, "jpeg");
        assert_eq!(a.size_bytes, 5006);
        let (back, bytes) = app.attachment(&at(3), a.id).await.unwrap();
        assert_eq!(back, a);
        assert_eq!(bytes, jpeg());
        assert_eq!(
            dir.path().join("files").join(a.id.to_string()).exists(),
            on_disk,
            "stored where configured"
        );
        let listed = app
            .attachments_of(&at(3), Owner::WorkOrder(wo))
            .await
            .unwrap();
        assert_eq!(listed, vec![a]);
    }
}

#[tokio::test]
async fn a_page_posing_as_a_photo_is_refused_and_leaves_no_trace() {
    let tdb = testing::fresh().await.unwrap();
    let app = App::new(tdb.db.clone());
    let (_, wo) = a_work_order(&app).await;
    let before = audit_len(&app).await;
    for (name, bytes, want) in [
        (
            "photo.jpg",
            b"<html><script>alert(1)</script></html>".to_vec(),
            "only photos",
        ),
        ("cut.jpg", jpeg()[..100].to_vec(), "damaged"),
        (
            "huge.pdf",
            {
                let mut v = b"%PDF-1.7".to_vec();
                v.resize(11 * 1024 * 1024, b' ');
                v
            },
            "limit is 10 MB",
        ),
    ] {
        let e = app
            .attach(
                &at(2),
                Owner::WorkOrder(wo),
                Upload {
                    filename: name.into(),
                    bytes,
                },
            )
            .await
            .unwrap_err();
        let msg = e
            .field_errors()
            .first()
            .map(|f| f.message.clone())
            .unwrap_or_default();
        assert!(msg.contains(want), "{name}: {e:?}");
    }
    assert_eq!(audit_len(&app).await, before, "nothing was written");
    assert!(
        app.attachments_of(&at(3), Owner::WorkOrder(wo))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn another_sites_user_cannot_read_or_attach() {
    let tdb = testing::fresh().await.unwrap();
    let app = App::new(tdb.db.clone());
    let (_, wo) = a_work_order(&app).await;
    let a = app
        .attach(
            &at(2),
            Owner::WorkOrder(wo),
            Upload {
                filename: "leak.jpg".into(),
                bytes: jpeg(),
            },
        )
        .await
        .unwrap();
    let stranger = Ctx::new(
        Actor::User(Principal {
            user_id: uuid::Uuid::now_v7(),
            name: "Other".into(),
            email: "other@example.test".into(),
            grants: vec![(Some(uuid::Uuid::now_v7()), Role::Technician)],
        }),
        super::t(3),
    );
    assert!(matches!(
        app.attachment(&stranger, a.id).await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        app.attach(
            &stranger,
            Owner::WorkOrder(wo),
            Upload {
                filename: "x.jpg".into(),
                bytes: jpeg()
            }
        )
        .await,
        Err(AppError::NotFound(_))
    ));
}
