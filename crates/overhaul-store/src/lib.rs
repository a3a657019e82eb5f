//! Persistence for Overhaul: one query code path for SQLite and PostgreSQL.
//!
//! Statements are built with sea-query and rendered for the live backend ([`Db`]); the few
//! things that differ between the two databases live in [`dialect`]. Every mutation goes through
//! a [`Tx`], which appends the audit record of the change in the same transaction and refuses to
//! commit writes that carry none.

pub mod alarm;
pub mod asset;
pub mod attachment;
pub mod audit;
pub mod backup;
mod db;
pub mod dialect;
mod error;
mod group;
pub use group::WriteStats;
pub mod idempotency;
pub mod import;
pub mod meter;
pub mod overview;
pub mod pm;
pub mod procedure;
pub mod reading;
pub mod saved_view;
pub mod schema;
pub mod session;
pub mod signal;
pub mod site;
pub mod testing;
pub mod user;
pub mod work_kpi;
pub mod work_order;
pub mod work_request;

pub use db::{Backend, Db, Rows, Tx};
pub use error::{StoreError, StoreResult};

/// Who made a change, as written into the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorRef {
    pub id: Option<uuid::Uuid>,
    pub name: String,
}

impl ActorRef {
    pub fn system(name: &str) -> Self {
        Self {
            id: None,
            name: name.to_owned(),
        }
    }
}
