//! Pure domain rules of Overhaul.
//!
//! Nothing in this crate does IO, reads the clock or is async: every decision is a function of
//! its inputs (the current time is passed in), so the rules can be tested with tables of cases.

#[macro_use]
mod macros;

pub mod asset;
pub mod asset_state;
pub mod attachment;
pub mod audit;
pub mod backlog;
pub mod condition;
pub mod failure_code;
pub mod ids;
pub mod kpi;
pub mod login;
pub mod meter;
pub mod pm;
pub mod procedure;
pub mod reliability;
pub mod role;
pub mod site;
pub mod time;
pub mod validation;
pub mod work_order;

pub use validation::{FieldError, Invalid};
