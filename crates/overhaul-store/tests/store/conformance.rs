//! Repository behaviour that must be identical on SQLite and PostgreSQL.

use crate::{actor, t};
use overhaul_core::asset::AssetStatus;
use overhaul_core::asset_state::Span;
use overhaul_store::asset::{self, Asset, AssetFilter};
use overhaul_store::idempotency::{self, Claim};
use overhaul_store::site::{self, Site};
use overhaul_store::work_order::{self, WorkOrder, WorkOrderFilter, attachments};
use overhaul_store::{Db, StoreError, testing};
use uuid::Uuid;

pub(crate) async fn a_site(db: &Db) -> Site {
    let s = Site {
        id: Uuid::now_v7(),
        code: "S1".into(),
        name: "Site".into(),
        timezone: "UTC".into(),
        business_hours: "{}".into(),
        currency: "EUR".into(),
        allow_anonymous_requests: false,
        version: 1,
        created_at: t(0),
        updated_at: t(0),
    };
    let mut tx = db.begin(&actor(), t(0)).await.expect("begin");
    site::insert(&mut tx, &s).await.expect("site");
    tx.commit().await.expect("commit");
    s
}

pub(crate) async fn an_asset(
    db: &Db,
    site: Uuid,
    parent: Option<&Asset>,
    code: &str,
    level: &str,
) -> Asset {
    let id = Uuid::now_v7();
    let a = Asset {
        id,
        site_id: site,
        parent_id: parent.map(|p| p.id),
        path: Asset::child_path(parent.map(|p| p.path.as_str()), id),
        code: code.into(),
        name: code.into(),
        level: level.into(),
        equipment_class: None,
        consequence: Some(3),
        likelihood: Some(4),
        status: "running".into(),
        replacement_value: Some(1_234_500),
        version: 1,
        created_at: t(1),
        updated_at: t(1),
    };
    let mut tx = db.begin(&actor(), t(1)).await.expect("begin");
    asset::insert(&mut tx, &a).await.expect("asset");
    tx.commit().await.expect("commit");
    a
}

pub(crate) fn wo(
    site: Uuid,
    asset: Uuid,
    n: i64,
    status: &str,
    title: &str,
    created: i64,
) -> WorkOrder {
    WorkOrder {
        id: Uuid::now_v7(),
        site_id: site,
        asset_id: asset,
        number: format!("WO-{n:06}"),
        title: title.into(),
        description: "description with Ümlaut and 'quotes'".into(),
        kind: "corrective".into(),
        priority: "high".into(),
        status: status.into(),
        hold_reason: None,
        request_id: None,
        created_by: None,
        assignee_id: None,
        due_at: Some(overhaul_core::time::micros(
            t(created) + chrono::Duration::nanoseconds(123_456_789),
        )),
        started_at: None,
        completed_at: None,
        closed_at: None,
        failure_impact: Some("C".into()),
        failure_mode: Some("VIB".into()),
        failure_mechanism: Some("1.2".into()),
        failure_cause: None,
        failure_detection: None,
        failure_activity: None,
        failure_notes: None,
        attachments: attachments(vec!["photo-1.jpg".into()]),
        version: 1,
        created_at: t(created),
        updated_at: t(created),
        procedure_revision_id: None,
    }
}

pub(crate) async fn insert_wo(db: &Db, w: &WorkOrder) {
    let mut tx = db.begin(&actor(), w.created_at).await.expect("begin");
    work_order::insert(&mut tx, w).await.expect("insert");
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn work_order_round_trips_exactly() {
    let tdb = testing::fresh().await.expect("db");
    let s = a_site(&tdb.db).await;
    let a = an_asset(&tdb.db, s.id, None, "A1", "area").await;
    let w = wo(s.id, a.id, 1, "requested", "Pump vibrates", 10);
    insert_wo(&tdb.db, &w).await;
    assert_eq!(work_order::get(&tdb.db, w.id).await.expect("get"), w);
    assert!(matches!(
        work_order::get(&tdb.db, Uuid::now_v7()).await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn stale_update_is_refused_and_changes_nothing() {
    let tdb = testing::fresh().await.expect("db");
    let s = a_site(&tdb.db).await;
    let a = an_asset(&tdb.db, s.id, None, "A1", "area").await;
    let w = wo(s.id, a.id, 1, "requested", "x", 10);
    insert_wo(&tdb.db, &w).await;
    let mut new = w.clone();
    new.status = "approved".into();
    new.version = 2;
    let mut tx = tdb.db.begin(&actor(), t(20)).await.expect("begin");
    work_order::update(&mut tx, &w, &new, "t", None)
        .await
        .expect("first update");
    tx.commit().await.expect("commit");
    // A second writer that read version 1 loses.
    let mut other = w.clone();
    other.status = "cancelled".into();
    other.version = 2;
    let mut tx = tdb.db.begin(&actor(), t(21)).await.expect("begin");
    assert!(matches!(
        work_order::update(&mut tx, &w, &other, "t", None).await,
        Err(StoreError::Stale)
    ));
    tx.rollback().await.expect("rollback");
    assert_eq!(
        work_order::get(&tdb.db, w.id).await.expect("get").status,
        "approved"
    );
}

#[tokio::test]
async fn duplicate_codes_are_conflicts() {
    let tdb = testing::fresh().await.expect("db");
    let s = a_site(&tdb.db).await;
    an_asset(&tdb.db, s.id, None, "DUP", "area").await;
    let id = Uuid::now_v7();
    let mut tx = tdb.db.begin(&actor(), t(2)).await.expect("begin");
    let dup = Asset {
        id,
        site_id: s.id,
        parent_id: None,
        path: Asset::child_path(None, id),
        code: "DUP".into(),
        name: "again".into(),
        level: "area".into(),
        equipment_class: None,
        consequence: None,
        likelihood: None,
        status: "running".into(),
        replacement_value: None,
        version: 1,
        created_at: t(2),
        updated_at: t(2),
    };
    let r = asset::insert(&mut tx, &dup).await;
    assert!(matches!(r, Err(StoreError::Conflict(_))), "{r:?}");
}

#[tokio::test]
async fn lists_filter_search_and_page_the_same_way() {
    let tdb = testing::fresh().await.expect("db");
    let db = &tdb.db;
    let s = a_site(db).await;
    let area = an_asset(db, s.id, None, "AREA", "area").await;
    let line = an_asset(db, s.id, Some(&area), "LINE", "work_center").await;
    let pump = an_asset(db, s.id, Some(&line), "PUMP", "equipment").await;
    let other = an_asset(db, s.id, None, "OTHER", "area").await;
    let titles = [
        "Replace bearing on pump",
        "Inspect belt",
        "Bearing noise",
        "Paint guard rail",
        "Check bearing grease",
    ];
    let mut all = Vec::new();
    for (i, title) in titles.iter().enumerate() {
        let asset = if i % 2 == 0 { pump.id } else { other.id };
        let status = if i == 4 { "closed" } else { "requested" };
        let w = wo(s.id, asset, i as i64 + 1, status, title, 100 + i as i64);
        insert_wo(db, &w).await;
        all.push(w);
    }
    let ids = |v: Vec<WorkOrder>| v.into_iter().map(|w| w.number).collect::<Vec<_>>();
    let base = WorkOrderFilter {
        limit: 100,
        ..Default::default()
    };
    // newest first
    assert_eq!(
        ids(work_order::list(db, &base).await.expect("list")),
        [
            "WO-000005",
            "WO-000004",
            "WO-000003",
            "WO-000002",
            "WO-000001"
        ]
    );
    // subtree of the area holds the pump's work only
    let sub = WorkOrderFilter {
        subtree_path: Some(area.path.clone()),
        ..base.clone()
    };
    assert_eq!(
        ids(work_order::list(db, &sub).await.expect("list")),
        ["WO-000005", "WO-000003", "WO-000001"]
    );
    // open only
    let open = WorkOrderFilter {
        statuses: vec!["requested".into()],
        ..sub.clone()
    };
    assert_eq!(
        ids(work_order::list(db, &open).await.expect("list")),
        ["WO-000003", "WO-000001"]
    );
    // whole-word text search, case-insensitive, over title and description
    let q = WorkOrderFilter {
        q: Some("BEARING".into()),
        ..base.clone()
    };
    assert_eq!(
        ids(work_order::list(db, &q).await.expect("list")),
        ["WO-000005", "WO-000003", "WO-000001"]
    );
    let q2 = WorkOrderFilter {
        q: Some("bearing noise".into()),
        ..base.clone()
    };
    assert_eq!(
        ids(work_order::list(db, &q2).await.expect("list")),
        ["WO-000003"]
    );
    let q3 = WorkOrderFilter {
        q: Some("ümlaut".into()),
        ..base.clone()
    };
    assert_eq!(work_order::list(db, &q3).await.expect("list").len(), 5);
    // search text with FTS/tsquery operators is plain text, never an error
    let q4 = WorkOrderFilter {
        q: Some("\"bearing\" OR * NEAR( -x".into()),
        ..base.clone()
    };
    assert!(work_order::list(db, &q4).await.is_ok());
    // keyset pagination: pages of 2 cover everything once
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = work_order::list(
            db,
            &WorkOrderFilter {
                limit: 2,
                before,
                ..base.clone()
            },
        )
        .await
        .expect("page");
        if page.is_empty() {
            break;
        }
        before = page.last().map(|w| (w.created_at, w.id));
        seen.extend(ids(page));
    }
    assert_eq!(seen.len(), 5);
    seen.dedup();
    assert_eq!(seen.len(), 5);
    // date range
    let range = WorkOrderFilter {
        created_from: Some(t(101)),
        created_to: Some(t(103)),
        ..base.clone()
    };
    assert_eq!(
        ids(work_order::list(db, &range).await.expect("list")),
        ["WO-000003", "WO-000002"]
    );
}

#[tokio::test]
async fn moving_an_asset_moves_its_subtree() {
    let tdb = testing::fresh().await.expect("db");
    let db = &tdb.db;
    let s = a_site(db).await;
    let a1 = an_asset(db, s.id, None, "A1", "area").await;
    let a2 = an_asset(db, s.id, None, "A2", "area").await;
    let line = an_asset(db, s.id, Some(&a1), "L", "work_center").await;
    let pump = an_asset(db, s.id, Some(&line), "P", "equipment").await;
    let mut moved = line.clone();
    moved.parent_id = Some(a2.id);
    moved.path = Asset::child_path(Some(&a2.path), line.id);
    moved.version = 2;
    let mut tx = db.begin(&actor(), t(5)).await.expect("begin");
    asset::update(&mut tx, &line, &moved, None)
        .await
        .expect("move");
    tx.commit().await.expect("commit");
    let under = |p: &Asset| AssetFilter {
        subtree_path: Some(p.path.clone()),
        limit: 100,
        ..Default::default()
    };
    let codes = |v: Vec<Asset>| v.into_iter().map(|a| a.code).collect::<Vec<_>>();
    assert_eq!(
        codes(asset::list(db, &under(&a1)).await.expect("list")),
        ["A1"]
    );
    assert_eq!(
        codes(asset::list(db, &under(&a2)).await.expect("list")),
        ["A2", "L", "P"]
    );
    let pump_now = asset::get(db, pump.id).await.expect("pump");
    assert_eq!(pump_now.ancestry(), vec![line.id, a2.id]);
}

#[tokio::test]
async fn state_timeline_splices_downtime() {
    let tdb = testing::fresh().await.expect("db");
    let db = &tdb.db;
    let s = a_site(db).await;
    let a = an_asset(db, s.id, None, "A", "area").await;
    let mut tx = db.begin(&actor(), t(10)).await.expect("begin");
    let cur = asset::splice_state(
        &mut tx,
        a.id,
        Span {
            state: AssetStatus::DownUnplanned,
            start: t(100),
            end: Some(t(200)),
            reason: Some("breakdown".into()),
            downtime_id: None,
        },
    )
    .await
    .expect("splice");
    tx.commit().await.expect("commit");
    assert_eq!(cur, Some(AssetStatus::Running));
    let iv = asset::intervals(db, a.id, None, None)
        .await
        .expect("intervals");
    let shape: Vec<(String, i64, Option<i64>)> = iv
        .iter()
        .map(|i| {
            (
                i.state.clone(),
                (i.started_at - t(0)).num_seconds(),
                i.ended_at.map(|e| (e - t(0)).num_seconds()),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            ("running".into(), 1, Some(100)),
            ("down_unplanned".into(), 100, Some(200)),
            ("running".into(), 200, None)
        ]
    );
    // clipped to a window
    assert_eq!(
        asset::intervals(db, a.id, Some(t(150)), Some(t(160)))
            .await
            .expect("window")
            .len(),
        1
    );
}

#[tokio::test]
async fn numbers_are_unique_under_concurrency() {
    let tdb = testing::fresh().await.expect("db");
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let db = tdb.db.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for _ in 0..10 {
                let mut tx = db.begin(&actor(), t(0)).await.expect("begin");
                got.push(
                    overhaul_store::dialect::next_counter(&mut tx, "work_order")
                        .await
                        .expect("next"),
                );
                tx.commit().await.expect("commit");
            }
            got
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("task"));
    }
    all.sort_unstable();
    assert_eq!(all, (1..=80).collect::<Vec<i64>>());
}

#[tokio::test]
async fn idempotency_keys_claim_replay_and_mismatch() {
    let tdb = testing::fresh().await.expect("db");
    let db = &tdb.db;
    // keys belong to a user (foreign key)
    let uid = Uuid::now_v7();
    let mut tx = db.begin(&actor(), t(0)).await.expect("begin");
    overhaul_store::user::insert(
        &mut tx,
        &overhaul_store::user::User {
            id: uid,
            email: "u@x".into(),
            name: "U".into(),
            password_hash: None,
            is_active: true,
            version: 1,
            created_at: t(0),
            updated_at: t(0),
        },
        &[],
    )
    .await
    .expect("user");
    tx.commit().await.expect("commit");
    assert_eq!(
        idempotency::claim(db, uid, "k1", "h1", t(1))
            .await
            .expect("claim"),
        Claim::Fresh
    );
    assert_eq!(
        idempotency::claim(db, uid, "k1", "h1", t(1))
            .await
            .expect("claim"),
        Claim::InProgress
    );
    idempotency::complete(db, uid, "k1", 201, "{\"id\":1}", "[]")
        .await
        .expect("complete");
    match idempotency::claim(db, uid, "k1", "h1", t(2))
        .await
        .expect("claim")
    {
        Claim::Replay(r) => assert_eq!(
            (r.status_code, r.response_body.as_deref()),
            (Some(201), Some("{\"id\":1}"))
        ),
        other => panic!("expected replay, got {other:?}"),
    }
    assert_eq!(
        idempotency::claim(db, uid, "k1", "other", t(3))
            .await
            .expect("claim"),
        Claim::Mismatch
    );
    // a released key can be used again
    assert_eq!(
        idempotency::claim(db, uid, "k2", "h", t(4))
            .await
            .expect("claim"),
        Claim::Fresh
    );
    idempotency::release(db, uid, "k2").await.expect("release");
    assert_eq!(
        idempotency::claim(db, uid, "k2", "h", t(5))
            .await
            .expect("claim"),
        Claim::Fresh
    );
}

#[tokio::test]
async fn counters_take_one_or_a_block_on_the_same_connection() {
    // next_counter and reserve_counter render the same SQL; the increment must bind with one
    // type, or PostgreSQL's prepared-statement cache rejects the second (this failed once).
    let tdb = testing::fresh().await.expect("db");
    let mut tx = tdb.db.begin(&actor(), t(0)).await.expect("begin");
    assert_eq!(
        overhaul_store::dialect::next_counter(&mut tx, "c")
            .await
            .expect("next"),
        1
    );
    assert_eq!(
        overhaul_store::dialect::reserve_counter(&mut tx, "c", 10)
            .await
            .expect("reserve"),
        2
    );
    assert_eq!(
        overhaul_store::dialect::next_counter(&mut tx, "c")
            .await
            .expect("next"),
        12
    );
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn asset_search_matches_code_or_name_and_treats_wildcards_as_text() {
    let tdb = testing::fresh().await.expect("db");
    let db = &tdb.db;
    let s = a_site(db).await;
    for code in ["P-101", "P_102", "P%103", "P!104", "Q-200"] {
        an_asset(db, s.id, None, code, "area").await;
    }
    let find = |q: &str| AssetFilter {
        q: Some(q.to_owned()),
        limit: 100,
        ..Default::default()
    };
    let cases: [(&str, &[&str]); 7] = [
        ("p-1", &["P-101"]),
        ("P_", &["P_102"]),
        ("%", &["P%103"]),
        ("!", &["P!104"]),
        ("p!1", &["P!104"]),
        ("10", &["P!104", "P%103", "P-101", "P_102"]),
        ("\\", &[]),
    ];
    for (q, want) in cases {
        let got: Vec<String> = asset::list(db, &find(q))
            .await
            .expect("search")
            .into_iter()
            .map(|a| a.code)
            .collect();
        assert_eq!(got, want, "search {q:?}");
    }
}
