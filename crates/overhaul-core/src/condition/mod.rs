//! Condition monitoring: signals bound to machine data, reading checks, rules that turn readings
//! into alarm transitions, the ISA-18.2 alarm state machine and the run-hours integrator.
//!
//! Everything here is a pure function of its inputs. Reading times are epoch milliseconds (the
//! form sensors and brokers use and the form readings are stored in); the current time is passed
//! in wherever it matters.

pub mod alarm;
pub mod reading;
pub mod rule;
pub mod run_hours;
pub mod signal;
pub mod work;

/// One measured value of a signal at a reading time (epoch milliseconds, UTC).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sample {
    pub at_ms: i64,
    pub value: f64,
}

impl Sample {
    pub fn new(at_ms: i64, value: f64) -> Self {
        Self { at_ms, value }
    }
}
