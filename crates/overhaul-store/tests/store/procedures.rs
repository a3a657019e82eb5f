//! Procedures on both backends: revisions and steps round-trip exactly, a published revision
//! is never rewritten, one result per step of a work order.

use crate::conformance::{a_site, an_asset, insert_wo, wo};
use crate::{actor, t};
use overhaul_core::procedure::StepParams;
use overhaul_store::procedure::{self, Json, Procedure, Revision, StepResult, StepRow};
use overhaul_store::{Db, StoreError, testing};
use uuid::Uuid;

fn a_procedure(site: Uuid, code: &str) -> Procedure {
    Procedure {
        id: Uuid::now_v7(),
        site_id: site,
        code: code.into(),
        title: "Pump inspection".into(),
        description: String::new(),
        version: 1,
        created_by: None,
        created_at: t(5),
        updated_at: t(5),
    }
}

fn a_revision(procedure: Uuid) -> Revision {
    Revision {
        id: Uuid::now_v7(),
        procedure_id: procedure,
        number: 1,
        state: "draft".into(),
        notes: Some("first issue".into()),
        safety_notes: Some("Lock out the motor isolator (LOTO).".into()),
        qualifications: Json(vec!["LOTO authorised".into()]),
        estimated_minutes: Some(45),
        crafts: Json(vec!["mechanical".into()]),
        version: 1,
        created_by: None,
        created_at: t(5),
        updated_at: t(5),
        published_at: None,
        published_by: None,
    }
}

fn steps(revision: Uuid) -> Vec<StepRow> {
    vec![
        StepRow {
            id: Uuid::now_v7(),
            revision_id: revision,
            position: 1,
            kind: "pass_fail".into(),
            title: "Guard in place".into(),
            instructions: String::new(),
            required: true,
            safety_note: None,
            raise_follow_up_on_fail: true,
            params: Json(StepParams::default()),
        },
        StepRow {
            id: Uuid::now_v7(),
            revision_id: revision,
            position: 2,
            kind: "measurement".into(),
            title: "Bearing vibration".into(),
            instructions: "At the drive-end bearing, horizontal.".into(),
            required: false,
            safety_note: Some("Rotating shaft".into()),
            raise_follow_up_on_fail: false,
            params: Json(StepParams {
                unit: Some("mm/s".into()),
                lower: None,
                upper: Some(4.5),
                meter_code: None,
            }),
        },
    ]
}

async fn store_new(db: &Db, p: &Procedure, r: &Revision, s: &[StepRow]) -> Result<(), StoreError> {
    let mut tx = db.begin(&actor(), t(5)).await?;
    procedure::insert_procedure(&mut tx, p).await?;
    procedure::insert_revision(&mut tx, r, s).await?;
    tx.commit().await
}

#[tokio::test]
async fn revisions_and_steps_round_trip_and_published_ones_stay_frozen() {
    let tdb = testing::fresh().await.expect("db");
    let db = &tdb.db;
    let site = a_site(db).await;
    let p = a_procedure(site.id, "PM-PUMP-01");
    let r = a_revision(p.id);
    let s = steps(r.id);
    store_new(db, &p, &r, &s).await.expect("store");
    assert_eq!(procedure::get_procedure(db, p.id).await.expect("get"), p);
    assert_eq!(procedure::get_revision(db, r.id).await.expect("get"), r);
    assert_eq!(procedure::steps(db, r.id).await.expect("steps"), s);
    // the code is unique per site
    let twin = a_procedure(site.id, "PM-PUMP-01");
    let twin_rev = a_revision(twin.id);
    assert!(matches!(
        store_new(db, &twin, &twin_rev, &[]).await,
        Err(StoreError::Conflict(_))
    ));
    // publish, then try to rewrite the published revision at its current version
    let mut published = r.clone();
    published.state = "published".into();
    published.published_at = Some(t(6));
    published.version = 2;
    let mut tx = db.begin(&actor(), t(6)).await.expect("begin");
    procedure::set_state(&mut tx, &r, &published, "publish")
        .await
        .expect("publish");
    tx.commit().await.expect("commit");
    let mut rewritten = published.clone();
    rewritten.version = 3;
    rewritten.safety_notes = None;
    let mut tx = db.begin(&actor(), t(7)).await.expect("begin");
    assert!(matches!(
        procedure::replace_content(&mut tx, &published, &s, &rewritten, &[]).await,
        Err(StoreError::Stale)
    ));
    tx.rollback().await.expect("rollback");
    assert_eq!(
        procedure::get_revision(db, r.id).await.expect("get"),
        published
    );
    assert_eq!(procedure::steps(db, r.id).await.expect("steps"), s);
}

#[tokio::test]
async fn one_result_per_step_of_a_work_order() {
    let tdb = testing::fresh().await.expect("db");
    let db = &tdb.db;
    let site = a_site(db).await;
    let asset = an_asset(db, site.id, None, "P1", "equipment").await;
    let p = a_procedure(site.id, "INSP");
    let r = a_revision(p.id);
    let s = steps(r.id);
    store_new(db, &p, &r, &s).await.expect("store");
    let mut w = wo(site.id, asset.id, 1, "in_progress", "Inspect", 10);
    w.procedure_revision_id = Some(r.id);
    insert_wo(db, &w).await;
    assert_eq!(
        overhaul_store::work_order::get(db, w.id)
            .await
            .expect("wo")
            .procedure_revision_id,
        Some(r.id)
    );
    let result = |id| StepResult {
        id,
        work_order_id: w.id,
        step_id: s[1].id,
        kind: "measurement".into(),
        answer: Json(serde_json::json!({"kind": "measurement", "value": 4.8, "unit": "mm/s"})),
        outcome: "failed".into(),
        reason: Some("4.8 mm/s is above the upper limit 4.5 mm/s".into()),
        note: None,
        reading_id: None,
        follow_up_request_id: None,
        recorded_by: None,
        recorded_at: t(20),
    };
    let first = result(Uuid::now_v7());
    let mut tx = db.begin(&actor(), t(20)).await.expect("begin");
    procedure::insert_result(&mut tx, &first)
        .await
        .expect("first");
    tx.commit().await.expect("commit");
    let mut tx = db.begin(&actor(), t(21)).await.expect("begin");
    assert!(matches!(
        procedure::insert_result(&mut tx, &result(Uuid::now_v7())).await,
        Err(StoreError::Conflict(_))
    ));
    tx.rollback().await.expect("rollback");
    assert_eq!(
        procedure::results(db, w.id).await.expect("results"),
        vec![first]
    );
}
