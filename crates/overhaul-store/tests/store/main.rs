//! Storage conformance suite: written once, run on SQLite by default and on PostgreSQL when
//! `OVERHAUL_TEST_DATABASE_URL` points at a server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::zombie_processes)]

mod audit_chain;
mod conformance;
mod procedures;
mod schema;

use chrono::{DateTime, TimeZone, Utc};
use overhaul_store::ActorRef;

pub fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
        .single()
        .expect("valid")
        + chrono::Duration::seconds(secs)
}

pub fn actor() -> ActorRef {
    ActorRef {
        id: None,
        name: "test".into(),
    }
}
