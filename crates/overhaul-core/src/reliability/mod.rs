//! Reliability analysis (standards.md §7): Weibull life fits, Kaplan–Meier survival,
//! Crow-AMSAA growth for repairable systems and cost-optimal replacement intervals.
//!
//! Every function is pure: times and costs in, a typed result or a typed rejection out. Bad input
//! (empty data, non-positive or non-finite times, too few failures, impossible costs) is refused
//! with a [`ReliabilityError`] rather than producing NaN, and cases where the maths has no finite
//! answer (no wear-out, prevention not cheaper) are variants of the result, not errors.

pub mod crow_amsaa;
pub mod kaplan_meier;
pub(crate) mod numerics;
pub mod replacement;
pub mod weibull;

pub use crow_amsaa::{CrowAmsaaFit, Termination, Trend, crow_amsaa};
pub use kaplan_meier::{KmPoint, kaplan_meier};
pub use replacement::{
    AgeReplacement, MinimalRepair, NoFiniteOptimum, age_replacement_cost_rate,
    minimal_repair_cost_rate, minimal_repair_interval, optimal_age_replacement,
};
pub use weibull::{
    ConfidenceBounds, PlottingPoint, RegressionAxis, Weibull, WeibullFit, WeibullRegressionFit,
    fit_weibull_mle, fit_weibull_rank_regression, plotting_positions,
};

/// Two-sided confidence level of every interval reported by this module.
pub const CONFIDENCE_LEVEL: f64 = 0.95;

/// Why a reliability calculation refused its input or could not produce a finite answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReliabilityError {
    #[error("no data: at least one failure time is needed")]
    NoData,
    #[error("only censored times were given: at least one failure is needed")]
    NoFailures,
    #[error("{method} needs at least {needed} failures, got {got}")]
    TooFewFailures {
        method: &'static str,
        needed: usize,
        got: usize,
    },
    #[error(
        "the failure times are identical (or too close to tell apart): \
         the Weibull shape β is undefined because the fit grows without bound"
    )]
    IdenticalFailureTimes,
    #[error("time {value} is not valid: every time must be a finite number greater than zero")]
    InvalidTime { value: f64 },
    #[error("{name} = {value} is not valid: it must be {requirement}")]
    InvalidParameter {
        name: &'static str,
        value: f64,
        requirement: &'static str,
    },
    #[error("the observation end {observed_to} is before the last failure at {last_failure}")]
    ObservationEndsBeforeLastFailure { observed_to: f64, last_failure: f64 },
    #[error("{what}: the numerical method did not reach a finite answer")]
    NumericalFailure { what: &'static str },
}

/// Checks that every time is finite and strictly positive (a life of zero or less is a data error).
fn check_times(times: &[f64]) -> Result<(), ReliabilityError> {
    match times.iter().find(|t| !(t.is_finite() && **t > 0.0)) {
        Some(&value) => Err(ReliabilityError::InvalidTime { value }),
        None => Ok(()),
    }
}

/// Checks a life-data set: valid times, and at least `needed` failures for `method`.
fn check_life_data(
    failures: &[f64],
    censored: &[f64],
    method: &'static str,
    needed: usize,
) -> Result<(), ReliabilityError> {
    check_times(failures)?;
    check_times(censored)?;
    if failures.is_empty() {
        return Err(if censored.is_empty() {
            ReliabilityError::NoData
        } else {
            ReliabilityError::NoFailures
        });
    }
    if failures.len() < needed {
        return Err(ReliabilityError::TooFewFailures {
            method,
            needed,
            got: failures.len(),
        });
    }
    Ok(())
}

/// Checks that a model parameter (scale, shape, cost) is finite and strictly positive.
fn check_positive(name: &'static str, value: f64) -> Result<f64, ReliabilityError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(ReliabilityError::InvalidParameter {
            name,
            value,
            requirement: "a finite number greater than zero",
        })
    }
}

/// The two-sided standard normal quantile for [`CONFIDENCE_LEVEL`] (≈ 1.959964).
fn z_two_sided() -> f64 {
    numerics::normal_quantile(0.5 + 0.5 * CONFIDENCE_LEVEL)
}

/// Sorts a copy of validated (finite) times ascending.
fn sorted(times: &[f64]) -> Vec<f64> {
    let mut v = times.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (failures, censored, expected verdict)
    type LifeDataCase<'a> = (&'a [f64], &'a [f64], Result<(), ReliabilityError>);

    #[test]
    fn life_data_checks_name_the_problem() {
        let cases: [LifeDataCase; 9] = [
            (&[1.0, 2.0], &[], Ok(())),
            (&[1.0, 2.0], &[3.0], Ok(())),
            (&[], &[], Err(ReliabilityError::NoData)),
            (&[], &[5.0], Err(ReliabilityError::NoFailures)),
            (
                &[5.0],
                &[],
                Err(ReliabilityError::TooFewFailures {
                    method: "test",
                    needed: 2,
                    got: 1,
                }),
            ),
            (
                &[1.0, 0.0],
                &[],
                Err(ReliabilityError::InvalidTime { value: 0.0 }),
            ),
            (
                &[1.0, -3.0],
                &[],
                Err(ReliabilityError::InvalidTime { value: -3.0 }),
            ),
            (
                &[1.0, 2.0],
                &[f64::INFINITY],
                Err(ReliabilityError::InvalidTime {
                    value: f64::INFINITY,
                }),
            ),
            (
                &[1.0, 2.0],
                &[f64::NEG_INFINITY],
                Err(ReliabilityError::InvalidTime {
                    value: f64::NEG_INFINITY,
                }),
            ),
        ];
        for (failures, censored, expected) in cases {
            assert_eq!(
                check_life_data(failures, censored, "test", 2),
                expected,
                "{failures:?} / {censored:?}"
            );
        }
        assert!(matches!(
            check_life_data(&[1.0, f64::NAN], &[], "test", 2),
            Err(ReliabilityError::InvalidTime { value }) if value.is_nan()
        ));
    }

    #[test]
    fn z_for_95_percent() {
        assert!((z_two_sided() - 1.959_963_984_540_054).abs() < 1e-8);
    }

    #[test]
    fn errors_read_as_sentences() {
        let e = ReliabilityError::TooFewFailures {
            method: "Weibull MLE",
            needed: 2,
            got: 1,
        };
        assert_eq!(
            e.to_string(),
            "Weibull MLE needs at least 2 failures, got 1"
        );
        let e = ReliabilityError::InvalidTime { value: -1.0 };
        assert!(e.to_string().contains("greater than zero"));
    }
}
