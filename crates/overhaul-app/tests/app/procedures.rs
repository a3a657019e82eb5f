//! A planner writes and publishes a procedure; a technician works through it on a work order.

use super::*;
use overhaul_app::AppError;
use overhaul_app::meters::NewMeter;
use overhaul_app::pm::NewPmPlan;
use overhaul_app::procedures::{NewProcedure, NewRevision, NewStepResult};
use overhaul_app::work_orders::TransitionRequest;
use overhaul_app::work_requests::RequestQuery;
use overhaul_core::meter::MeterKind;
use overhaul_core::procedure::{Answer, RevisionDraft};
use overhaul_core::work_order::WorkOrderStatus;
use overhaul_store::audit::Verification;
use serde_json::json;
use uuid::Uuid;

/// The pump inspection: LOTO check, guard, vibration 0.5–4.5 mm/s (follow-up when out),
/// run-hours reading, optional remarks, sign-off.
fn inspection() -> RevisionDraft {
    serde_json::from_value(json!({
        "notes": "first issue",
        "safety_notes": "Isolate the motor at MCC-3 and lock out (LOTO) before removing the guard.",
        "qualifications": ["LOTO authorised"],
        "estimated_minutes": 40,
        "crafts": ["mechanical"],
        "steps": [
            {"kind": "check", "title": "Motor isolated and locked out", "safety_note": "Try-start after locking out"},
            {"kind": "pass_fail", "title": "Coupling guard intact", "raise_follow_up_on_fail": true},
            {"kind": "measurement", "title": "Drive-end bearing vibration", "unit": "mm/s",
             "lower": 0.5, "upper": 4.5, "raise_follow_up_on_fail": true},
            {"kind": "meter_reading", "title": "Run hours", "meter_code": "RUN-H"},
            {"kind": "text", "title": "Remarks", "required": false},
            {"kind": "signature", "title": "Technician sign-off"}
        ]
    }))
    .unwrap()
}

/// A pump in an area of `site`.
async fn a_pump(app: &App, site: Uuid, code: &str) -> Uuid {
    let area = new_asset(app, site, None, "AREA", AssetLevel::Area, None).await;
    new_asset(app, site, Some(area), code, AssetLevel::Equipment, None).await
}

async fn walk(app: &App, id: Uuid, to: &[WorkOrderStatus], h: i64) -> Result<(), AppError> {
    for s in to {
        app.transition_work_order(
            &at(h),
            id,
            None,
            TransitionRequest {
                to: *s,
                reason: None,
            },
        )
        .await?;
    }
    Ok(())
}

const TO_START: [WorkOrderStatus; 5] = [
    WorkOrderStatus::Approved,
    WorkOrderStatus::Planned,
    WorkOrderStatus::Ready,
    WorkOrderStatus::Scheduled,
    WorkOrderStatus::InProgress,
];

fn new_wo(asset: Uuid, rev: Option<Uuid>) -> NewWorkOrder {
    NewWorkOrder {
        asset_id: asset,
        title: "Pump inspection".into(),
        kind: WorkOrderType::Inspection,
        priority: Priority::Normal,
        description: None,
        due_at: None,
        assignee_id: None,
        attachments: vec![],
        procedure_revision_id: rev,
    }
}

fn answer(step: Uuid, a: serde_json::Value) -> NewStepResult {
    NewStepResult {
        step_id: step,
        answer: serde_json::from_value::<Answer>(a).unwrap(),
        note: None,
    }
}

async fn audit_records(app: &App) -> usize {
    match app.verify_audit(&at(0)).await.unwrap() {
        Verification::Intact { records } => records as usize,
        Verification::Broken(b) => panic!("audit chain broken: {b:?}"),
    }
}

#[tokio::test]
async fn planner_publishes_and_technician_executes_a_pinned_revision() {
    let tdb = testing::fresh().await.unwrap();
    let app = App::new(tdb.db.clone());
    let site = new_site(&app, "Europe/Berlin").await;
    let pump = a_pump(&app, site, "P-101").await;
    let meter = app
        .create_meter(
            &at(0),
            NewMeter {
                asset_id: pump,
                code: "RUN-H".into(),
                name: "Run hours".into(),
                kind: MeterKind::Counter,
                unit: "h".into(),
            },
        )
        .await
        .unwrap();

    // Planner: write the procedure; its first revision is a draft.
    let p = app
        .create_procedure(
            &at(1),
            NewProcedure {
                site_id: site,
                code: "PM-PUMP-01".into(),
                title: "Centrifugal pump inspection".into(),
                description: None,
                revision: inspection(),
            },
        )
        .await
        .unwrap();
    assert_eq!(p.published_revision_id, None);
    let rev1 = p.revisions[0].revision.clone();
    assert_eq!((rev1.number, rev1.state.as_str()), (1, "draft"));
    assert_eq!(p.revisions[0].steps.len(), 6);

    // A draft cannot be attached to work.
    let e = app
        .create_work_order(&at(2), new_wo(pump, Some(rev1.id)))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AppError::Rule { message, .. } if message.contains("draft")),
        "{e:?}"
    );

    // Publish; publishing again is refused; the published revision is frozen.
    let published = app
        .publish_revision(&at(2), rev1.id, Some(1))
        .await
        .unwrap();
    assert_eq!(published.revision.state, "published");
    assert_eq!(published.revision.published_at, Some(t(2)));
    assert!(matches!(
        app.publish_revision(&at(2), rev1.id, None).await,
        Err(AppError::Rule { .. })
    ));
    let e = app
        .replace_revision_content(&at(3), rev1.id, None, RevisionDraft::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AppError::Rule { message, .. } if message.contains("revision 1 is published")),
        "{e:?}"
    );

    // The work order pins revision 1.
    let wo = app
        .create_work_order(&at(3), new_wo(pump, Some(rev1.id)))
        .await
        .unwrap()
        .work_order;
    assert_eq!(wo.procedure_revision_id, Some(rev1.id));

    // Planner: revision 2 relaxes the vibration limit and drops the remarks.
    let rev2 = app
        .new_revision(&at(4), p.procedure.id, NewRevision::default())
        .await
        .unwrap();
    assert_eq!(
        (rev2.revision.number, rev2.revision.state.as_str()),
        (2, "draft")
    );
    assert_eq!(rev2.steps.len(), 6, "the draft copies the steps");
    let mut content = inspection();
    content.notes = Some("vibration limit per ISO 10816-3 zone B".into());
    content.steps[2].upper = Some(7.1);
    content.steps.remove(4);
    // stale If-Match
    assert!(matches!(
        app.replace_revision_content(&at(5), rev2.revision.id, Some(7), content.clone())
            .await,
        Err(AppError::Stale)
    ));
    let edited = app
        .replace_revision_content(&at(5), rev2.revision.id, Some(1), content)
        .await
        .unwrap();
    assert_eq!(edited.steps.len(), 5);
    app.publish_revision(&at(6), rev2.revision.id, Some(2))
        .await
        .unwrap();
    let view = app.get_procedure(&at(6), p.procedure.id).await.unwrap();
    assert_eq!(view.published_revision_id, Some(rev2.revision.id));
    assert_eq!(view.revisions[0].revision.state, "superseded");
    // New work must use the published revision.
    assert!(matches!(
        app.create_work_order(&at(6), new_wo(pump, Some(rev1.id)))
            .await,
        Err(AppError::Rule { .. })
    ));

    // The pinned work order still shows revision 1's six steps and its 4.5 mm/s limit.
    let list = app.work_order_checklist(&at(7), wo.id).await.unwrap();
    assert_eq!(list.revision.as_ref().map(|r| r.number), Some(1));
    assert_eq!(list.steps.len(), 6);
    assert_eq!(list.steps[2].step.params.0.upper, Some(4.5));
    let step = |i: usize| list.steps[i].step.id;

    // Technician: a result before the work is started is refused and changes nothing.
    let before = audit_records(&app).await;
    let e = app
        .record_step_result(
            &at(7),
            wo.id,
            answer(step(2), json!({"kind": "measurement", "value": 4.8})),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AppError::Rule { message, .. } if message.contains("in progress")),
        "{e:?}"
    );
    assert_eq!(audit_records(&app).await, before);
    assert!(
        app.work_order_checklist(&at(7), wo.id)
            .await
            .unwrap()
            .steps
            .iter()
            .all(|s| s.result.is_none())
    );

    walk(&app, wo.id, &TO_START, 8).await.unwrap();

    // Wrong kind and wrong unit are rejected by field.
    let e = app
        .record_step_result(
            &at(9),
            wo.id,
            answer(step(2), json!({"kind": "pass_fail", "passed": true})),
        )
        .await
        .unwrap_err();
    assert_eq!(e.field_errors()[0].field, "answer.kind", "{e:?}");
    let e = app
        .record_step_result(
            &at(9),
            wo.id,
            answer(
                step(2),
                json!({"kind": "measurement", "value": 1.0, "unit": "in/s"}),
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(e.field_errors()[0].field, "answer.unit", "{e:?}");

    // 4.8 mm/s is out of limits: failed, and exactly one follow-up request on the pump.
    let r = app
        .record_step_result(
            &at(9),
            wo.id,
            answer(
                step(2),
                json!({"kind": "measurement", "value": 4.8, "unit": "mm/s"}),
            ),
        )
        .await
        .unwrap();
    assert_eq!(r.outcome, "failed");
    assert_eq!(
        r.reason.as_deref(),
        Some("4.8 mm/s is above the upper limit 4.5 mm/s")
    );
    let follow_up = r.follow_up_request_id.expect("a follow-up request");
    assert!(matches!(
        app.record_step_result(
            &at(9),
            wo.id,
            answer(step(2), json!({"kind": "measurement", "value": 5.0}))
        )
        .await,
        Err(AppError::Conflict(_))
    ));
    let requests = app
        .list_work_requests(
            &at(9),
            RequestQuery {
                asset_id: Some(pump),
                ..RequestQuery::default()
            },
        )
        .await
        .unwrap()
        .items;
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].id, follow_up);
    assert!(
        requests[0].title.contains(&wo.number),
        "{}",
        requests[0].title
    );
    assert!(
        requests[0]
            .description
            .contains("PM-PUMP-01 revision 1, step 3"),
        "{}",
        requests[0].description
    );

    // A passed pass/fail step raises nothing; the run-hours step reads the pump's meter.
    let r = app
        .record_step_result(
            &at(9),
            wo.id,
            answer(step(1), json!({"kind": "pass_fail", "passed": true})),
        )
        .await
        .unwrap();
    assert_eq!(
        (r.outcome.as_str(), r.follow_up_request_id),
        ("passed", None)
    );
    let r = app
        .record_step_result(
            &at(9),
            wo.id,
            answer(step(3), json!({"kind": "meter_reading", "value": 1250.0})),
        )
        .await
        .unwrap();
    assert!(r.reading_id.is_some());
    let m = app.get_meter(&at(9), meter.id).await.unwrap();
    assert_eq!((m.last_value, m.last_read_at), (Some(1250.0), Some(t(9))));

    // Completing with required steps open is refused and names them.
    let e = walk(&app, wo.id, &[WorkOrderStatus::Completed], 10)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AppError::Rule { message, .. }
            if message.contains("1. Motor isolated") && message.contains("6. Technician sign-off") && !message.contains("5. Remarks")),
        "{e:?}"
    );
    app.record_step_result(
        &at(10),
        wo.id,
        answer(step(0), json!({"kind": "check", "done": true})),
    )
    .await
    .unwrap();
    app.record_step_result(
        &at(10),
        wo.id,
        answer(step(5), json!({"kind": "signature", "name": "Anna Berg"})),
    )
    .await
    .unwrap();
    walk(&app, wo.id, &[WorkOrderStatus::Completed], 10)
        .await
        .unwrap();
    assert!(audit_records(&app).await > before);
}

#[tokio::test]
async fn pm_work_carries_the_plans_revision() {
    let tdb = testing::fresh().await.unwrap();
    let app = App::new(tdb.db.clone());
    let site = new_site(&app, "Europe/Berlin").await;
    let pump = a_pump(&app, site, "P-1").await;
    let mut content = inspection();
    content.steps.remove(3); // no meter on this pump
    let p = app
        .create_procedure(
            &at(0),
            NewProcedure {
                site_id: site,
                code: "PM-1".into(),
                title: "Inspection".into(),
                description: None,
                revision: content,
            },
        )
        .await
        .unwrap();
    let rev = p.revisions[0].revision.id;
    let plan = |rev| {
        NewPmPlan {
        asset_id: pump,
        meter_id: None,
        title: "Weekly inspection".into(),
        description: None,
        kind: None,
        priority: None,
        schedule: serde_json::from_value(json!({"trigger": {"kind": "fixed", "rule": {"kind": "weekly", "every_weeks": 1, "on": ["monday"], "at": "06:00"}}, "start": "2026-01-05"})).unwrap(),
        procedure_revision_id: rev,
    }
    };
    assert!(matches!(
        app.create_pm_plan(&at(0), plan(Some(rev))).await,
        Err(AppError::Rule { .. })
    ));
    assert!(matches!(
        app.create_pm_plan(&at(0), plan(Some(Uuid::now_v7()))).await,
        Err(AppError::Invalid(_))
    ));
    app.publish_revision(&at(0), rev, None).await.unwrap();
    let pl = app.create_pm_plan(&at(0), plan(Some(rev))).await.unwrap();
    assert_eq!(pl.plan.procedure_revision_id, Some(rev));
    let now = Utc.with_ymd_and_hms(2026, 1, 5, 5, 30, 0).single().unwrap();
    let g = app.generate_pm(&Ctx::system("pm", now)).await.unwrap();
    assert_eq!(g.work_orders_created, 1);
    let w = app
        .get_work_order(&Ctx::system("t", now), g.work_order_ids[0])
        .await
        .unwrap();
    assert_eq!(w.work_order.procedure_revision_id, Some(rev));
}

#[tokio::test]
async fn other_sites_missing_meters_duplicate_codes_bad_steps_and_empty_drafts_are_refused() {
    let tdb = testing::fresh().await.unwrap();
    let app = App::new(tdb.db.clone());
    let site = new_site(&app, "UTC").await;
    let pump = a_pump(&app, site, "P-1").await;
    let p = app
        .create_procedure(
            &at(0),
            NewProcedure {
                site_id: site,
                code: "PM-1".into(),
                title: "Inspection".into(),
                description: None,
                revision: inspection(),
            },
        )
        .await
        .unwrap();
    let rev = p.revisions[0].revision.id;
    app.publish_revision(&at(0), rev, None).await.unwrap();
    // the pump has no RUN-H meter that step 4 reads
    let e = app
        .create_work_order(&at(1), new_wo(pump, Some(rev)))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AppError::Rule { message, .. } if message.contains("RUN-H")),
        "{e:?}"
    );
    // a work order at another site cannot use this site's procedure
    let other = app
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
    let far_pump = a_pump(&app, other, "P-9").await;
    let e = app
        .create_work_order(&at(1), new_wo(far_pump, Some(rev)))
        .await
        .unwrap_err();
    assert_eq!(e.field_errors()[0].field, "procedure_revision_id", "{e:?}");
    // duplicate code at the same site
    let again = app
        .create_procedure(
            &at(1),
            NewProcedure {
                site_id: site,
                code: "PM-1".into(),
                title: "Other".into(),
                description: None,
                revision: RevisionDraft::default(),
            },
        )
        .await;
    assert!(matches!(again, Err(AppError::Conflict(_))), "{again:?}");
    // bad steps are named by field, under `revision.`
    let mut bad = inspection();
    bad.steps[2].lower = Some(9.0);
    let e = app
        .create_procedure(
            &at(1),
            NewProcedure {
                site_id: site,
                code: "PM-2".into(),
                title: "Broken".into(),
                description: None,
                revision: bad,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.field_errors()[0].field, "revision.steps[2].upper");
    // an empty draft saves but cannot be published
    let empty = app
        .create_procedure(
            &at(1),
            NewProcedure {
                site_id: site,
                code: "PM-3".into(),
                title: "Empty".into(),
                description: None,
                revision: RevisionDraft::default(),
            },
        )
        .await
        .unwrap();
    assert!(matches!(
        app.publish_revision(&at(1), empty.revisions[0].revision.id, None).await,
        Err(AppError::Rule { message, .. }) if message.contains("at least one step")
    ));
}

#[tokio::test]
async fn retired_revisions_take_no_new_work_and_drafts_cannot_retire() {
    let tdb = testing::fresh().await.unwrap();
    let app = App::new(tdb.db.clone());
    let site = new_site(&app, "UTC").await;
    let pump = a_pump(&app, site, "P-1").await;
    let mut content = inspection();
    content.steps.remove(3);
    let p = app
        .create_procedure(
            &at(0),
            NewProcedure {
                site_id: site,
                code: "PM-1".into(),
                title: "Inspection".into(),
                description: None,
                revision: content,
            },
        )
        .await
        .unwrap();
    let rev = p.revisions[0].revision.id;
    assert!(matches!(
        app.retire_revision(&at(0), rev, None).await,
        Err(AppError::Rule { .. })
    ));
    app.publish_revision(&at(0), rev, None).await.unwrap();
    let pinned = app
        .create_work_order(&at(1), new_wo(pump, Some(rev)))
        .await
        .unwrap()
        .work_order;
    let retired = app.retire_revision(&at(2), rev, None).await.unwrap();
    assert_eq!(retired.revision.state, "retired");
    let e = app
        .create_work_order(&at(3), new_wo(pump, Some(rev)))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AppError::Rule { message, .. } if message.contains("retired")),
        "{e:?}"
    );
    // work that pinned it keeps it, and a new revision can start from the retired one
    let list = app.work_order_checklist(&at(3), pinned.id).await.unwrap();
    assert_eq!(list.revision.map(|r| r.state), Some("retired".into()));
    assert_eq!(list.steps.len(), 5);
    let next = app
        .new_revision(&at(4), p.procedure.id, NewRevision { from: Some(1) })
        .await
        .unwrap();
    assert_eq!(next.revision.number, 2);
    assert!(matches!(
        app.new_revision(&at(4), p.procedure.id, NewRevision { from: Some(1) }).await,
        Err(AppError::Rule { message, .. }) if message.contains("already a draft")
    ));
}
