//! The audit chain on a real database: appended in the writing transaction, verified, and
//! broken by tampering done directly in the database.

use crate::{actor, t};
use overhaul_core::audit::ChainBreak;
use overhaul_store::audit::{PendingAudit, Verification, verify};
use overhaul_store::site::{self, Site};
use overhaul_store::{Db, testing};

fn site(code: &str) -> Site {
    Site {
        id: uuid::Uuid::now_v7(),
        code: code.into(),
        name: format!("Site {code}"),
        timezone: "Europe/Berlin".into(),
        business_hours: "{}".into(),
        currency: "EUR".into(),
        allow_anonymous_requests: false,
        version: 1,
        created_at: t(0),
        updated_at: t(0),
    }
}

async fn three_records(db: &Db) {
    for (i, code) in ["A", "B", "C"].iter().enumerate() {
        let mut tx = db.begin(&actor(), t(i as i64)).await.expect("begin");
        site::insert(&mut tx, &site(code)).await.expect("insert");
        tx.commit().await.expect("commit");
    }
}

/// Runs SQL directly against the database, as someone with file or superuser access would.
async fn tamper(db: &Db, sqlite: &[&str], postgres: &[&str]) {
    match db {
        Db::Sqlite { write, .. } => {
            for s in sqlite {
                sqlx::query(sqlx::AssertSqlSafe(*s))
                    .execute(write)
                    .await
                    .expect("tamper");
            }
        }
        Db::Postgres(p) => {
            for s in postgres {
                sqlx::query(sqlx::AssertSqlSafe(*s))
                    .execute(p)
                    .await
                    .expect("tamper");
            }
        }
    }
}

#[tokio::test]
async fn intact_chain_verifies() {
    let t0 = testing::fresh().await.expect("db");
    three_records(&t0.db).await;
    assert_eq!(
        verify(&t0.db).await.expect("verify"),
        Verification::Intact { records: 3 }
    );
}

#[tokio::test]
async fn the_database_refuses_updates_and_deletes_of_audit_records() {
    let t0 = testing::fresh().await.expect("db");
    three_records(&t0.db).await;
    let r = match &t0.db {
        Db::Sqlite { write, .. } => sqlx::query("DELETE FROM audit_log WHERE seq = 2")
            .execute(write)
            .await
            .map(|_| ()),
        Db::Postgres(p) => sqlx::query("DELETE FROM audit_log WHERE seq = 2")
            .execute(p)
            .await
            .map(|_| ()),
    };
    assert!(
        r.is_err(),
        "delete must be refused by the append-only trigger"
    );
    assert_eq!(
        verify(&t0.db).await.expect("verify"),
        Verification::Intact { records: 3 }
    );
}

#[tokio::test]
async fn altered_record_is_named() {
    let t0 = testing::fresh().await.expect("db");
    three_records(&t0.db).await;
    tamper(
        &t0.db,
        &[
            "DROP TRIGGER audit_log_no_update",
            "UPDATE audit_log SET new_value = '{\"code\":\"X\"}' WHERE seq = 2",
        ],
        &[
            "DROP TRIGGER audit_log_no_update ON audit_log",
            "UPDATE audit_log SET new_value = '{\"code\":\"X\"}' WHERE seq = 2",
        ],
    )
    .await;
    assert_eq!(
        verify(&t0.db).await.expect("verify"),
        Verification::Broken(ChainBreak::Content { seq: 2 })
    );
}

#[tokio::test]
async fn deleted_record_is_named() {
    let t0 = testing::fresh().await.expect("db");
    three_records(&t0.db).await;
    tamper(
        &t0.db,
        &[
            "DROP TRIGGER audit_log_no_delete",
            "DELETE FROM audit_log WHERE seq = 2",
        ],
        &[
            "DROP TRIGGER audit_log_no_update ON audit_log",
            "DELETE FROM audit_log WHERE seq = 2",
        ],
    )
    .await;
    assert_eq!(
        verify(&t0.db).await.expect("verify"),
        Verification::Broken(ChainBreak::Gap {
            expected: 2,
            found: 3
        })
    );
}

#[tokio::test]
async fn deleted_last_record_is_found_through_the_head() {
    let t0 = testing::fresh().await.expect("db");
    three_records(&t0.db).await;
    tamper(
        &t0.db,
        &[
            "DROP TRIGGER audit_log_no_delete",
            "DELETE FROM audit_log WHERE seq = 3",
        ],
        &[
            "DROP TRIGGER audit_log_no_update ON audit_log",
            "DELETE FROM audit_log WHERE seq = 3",
        ],
    )
    .await;
    assert_eq!(
        verify(&t0.db).await.expect("verify"),
        Verification::Broken(ChainBreak::Truncated {
            head_seq: 3,
            last_seq: 2
        })
    );
}

#[tokio::test]
async fn reordered_records_are_named() {
    let t0 = testing::fresh().await.expect("db");
    three_records(&t0.db).await;
    // Swap the sequence numbers of records 2 and 3.
    tamper(
        &t0.db,
        &[
            "DROP TRIGGER audit_log_no_update",
            "UPDATE audit_log SET seq = -2 WHERE seq = 2",
            "UPDATE audit_log SET seq = 2 WHERE seq = 3",
            "UPDATE audit_log SET seq = 3 WHERE seq = -2",
        ],
        &[
            "DROP TRIGGER audit_log_no_update ON audit_log",
            "UPDATE audit_log SET seq = -2 WHERE seq = 2",
            "UPDATE audit_log SET seq = 2 WHERE seq = 3",
            "UPDATE audit_log SET seq = 3 WHERE seq = -2",
        ],
    )
    .await;
    assert_eq!(
        verify(&t0.db).await.expect("verify"),
        Verification::Broken(ChainBreak::Link { seq: 2 })
    );
}

#[tokio::test]
async fn rolled_back_changes_leave_no_audit_record() {
    let t0 = testing::fresh().await.expect("db");
    // Site insert audits itself; a rolled-back transaction leaves neither row nor record.
    let mut tx = t0.db.begin(&actor(), t(0)).await.expect("begin");
    site::insert(&mut tx, &site("R")).await.expect("insert");
    tx.rollback().await.expect("rollback");
    assert_eq!(
        verify(&t0.db).await.expect("verify"),
        Verification::Intact { records: 0 }
    );
    assert!(site::list(&t0.db, None).await.expect("list").is_empty());
    // Audit entries alone (no business write) are fine: they record reads-with-effect such as
    // exports.
    let mut tx = t0.db.begin(&actor(), t(1)).await.expect("begin");
    tx.audit(PendingAudit::new("export", "site", "all"));
    tx.commit().await.expect("commit");
    assert_eq!(
        verify(&t0.db).await.expect("verify"),
        Verification::Intact { records: 1 }
    );
}

#[tokio::test]
async fn concurrent_writers_keep_one_unbroken_chain() {
    let t0 = testing::fresh().await.expect("db");
    let mut tasks = Vec::new();
    for i in 0..8 {
        let db = t0.db.clone();
        tasks.push(tokio::spawn(async move {
            for j in 0..10 {
                let mut tx = db.begin(&actor(), t(i * 100 + j)).await.expect("begin");
                site::insert(&mut tx, &site(&format!("S{i}-{j}")))
                    .await
                    .expect("insert");
                tx.commit().await.expect("commit");
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    assert_eq!(
        verify(&t0.db).await.expect("verify"),
        Verification::Intact { records: 80 }
    );
}
