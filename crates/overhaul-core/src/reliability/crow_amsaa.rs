//! Crow-AMSAA (power-law NHPP) reliability growth for one repairable system, with the Laplace
//! trend test (standards.md §7.3, MIL-HDBK-189).

use serde::Serialize;

use super::{ReliabilityError, check_positive, check_times, sorted, z_two_sided};

/// How the observation of a repairable system ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Termination {
    /// Observed up to a chosen time T at or after the last failure.
    TimeTerminated,
    /// Observation stopped at the last failure (T = t_n).
    FailureTerminated,
}

/// The Laplace trend verdict at the 5 % level (two-sided).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Trend {
    /// Failures arrive ever further apart (U < −z): reliability is growing.
    Improving,
    /// No significant trend: a renewal model (e.g. a Weibull fit of the gaps) is defensible.
    NoTrend,
    /// Failures arrive ever closer together (U > z): the system is wearing out.
    Deteriorating,
}

/// A Crow-AMSAA fit, N(t) = λ t^β expected failures by cumulative time t.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CrowAmsaaFit {
    /// Maximum-likelihood (biased) β̂.
    pub beta: f64,
    /// λ̂ = n / T^β̂.
    pub lambda: f64,
    /// β̄ = (n−1)/n·β̂ (time-terminated) or (n−2)/n·β̂ (failure-terminated).
    pub beta_unbiased: f64,
    pub termination: Termination,
    pub failures: usize,
    /// The end of observation T.
    pub observed_to: f64,
    /// T / N(T) = T / n.
    pub cumulative_mtbf: f64,
    /// 1 / ρ(T) = 1 / (λβT^{β−1}): the current MTBF if nothing changes.
    pub instantaneous_mtbf: f64,
    /// Laplace statistic U, ≈ N(0, 1) under no trend.
    pub laplace_u: f64,
    pub trend: Trend,
}

impl CrowAmsaaFit {
    /// Expected cumulative failures by cumulative time t: λ t^β.
    pub fn expected_failures(&self, t: f64) -> Result<f64, ReliabilityError> {
        Ok(self.lambda * check_positive("time", t)?.powf(self.beta))
    }

    /// Failure intensity ρ(t) = λβ t^{β−1} at cumulative time t.
    pub fn intensity(&self, t: f64) -> Result<f64, ReliabilityError> {
        Ok(self.lambda * self.beta * check_positive("time", t)?.powf(self.beta - 1.0))
    }

    /// Instantaneous MTBF 1/ρ(t) at cumulative time t.
    pub fn instantaneous_mtbf_at(&self, t: f64) -> Result<f64, ReliabilityError> {
        Ok(1.0 / self.intensity(t)?)
    }
}

/// Fits Crow-AMSAA to the cumulative failure times of one repairable system.
///
/// With `observed_to = Some(T)` the data are time-terminated (β̂ = n / Σ ln(T/t_i), at least
/// 2 failures); with `None` they are failure-terminated at the last failure (T = t_n, the sum
/// runs over the first n−1 times, at least 3 failures so that β̄ > 0). The Laplace test uses
/// all n times against T when time-terminated and the first n−1 against t_n otherwise.
pub fn crow_amsaa(
    failure_times: &[f64],
    observed_to: Option<f64>,
) -> Result<CrowAmsaaFit, ReliabilityError> {
    check_times(failure_times)?;
    if failure_times.is_empty() {
        return Err(ReliabilityError::NoData);
    }
    let times = sorted(failure_times);
    let n = times.len();
    let last_failure = times[n - 1];
    let (termination, end, needed) = match observed_to {
        Some(t) => {
            check_times(&[t])?;
            if t < last_failure {
                return Err(ReliabilityError::ObservationEndsBeforeLastFailure {
                    observed_to: t,
                    last_failure,
                });
            }
            (Termination::TimeTerminated, t, 2)
        }
        None => (Termination::FailureTerminated, last_failure, 3),
    };
    if n < needed {
        return Err(ReliabilityError::TooFewFailures {
            method: match termination {
                Termination::TimeTerminated => "time-terminated Crow-AMSAA",
                Termination::FailureTerminated => "failure-terminated Crow-AMSAA",
            },
            needed,
            got: n,
        });
    }
    // The times that carry information: all of them, or all but t_n (which defines T).
    let informative = match termination {
        Termination::TimeTerminated => &times[..],
        Termination::FailureTerminated => &times[..n - 1],
    };
    let log_sum: f64 = informative.iter().map(|t| (end / t).ln()).sum();
    if log_sum <= 0.0 {
        // Every failure at the end of observation: no spread, so no growth rate.
        return Err(ReliabilityError::IdenticalFailureTimes);
    }
    let nf = n as f64;
    let beta = nf / log_sum;
    let lambda = nf / end.powf(beta);
    let beta_unbiased = match termination {
        Termination::TimeTerminated => (nf - 1.0) / nf * beta,
        Termination::FailureTerminated => (nf - 2.0) / nf * beta,
    };
    // ρ(T) = λβT^{β−1} = nβ/T, so 1/ρ(T) = T/(nβ) without overflow-prone powers.
    let instantaneous_mtbf = end / (nf * beta);
    let m = informative.len() as f64;
    let mean = informative.iter().sum::<f64>() / m;
    let laplace_u = (mean - end / 2.0) / (end * (1.0 / (12.0 * m)).sqrt());
    let z = z_two_sided();
    let trend = if laplace_u > z {
        Trend::Deteriorating
    } else if laplace_u < -z {
        Trend::Improving
    } else {
        Trend::NoTrend
    };
    let fit = CrowAmsaaFit {
        beta,
        lambda,
        beta_unbiased,
        termination,
        failures: n,
        observed_to: end,
        cumulative_mtbf: end / nf,
        instantaneous_mtbf,
        laplace_u,
        trend,
    };
    if !(beta.is_finite() && lambda.is_finite() && lambda > 0.0 && laplace_u.is_finite()) {
        return Err(ReliabilityError::NumericalFailure {
            what: "Crow-AMSAA (times span too many orders of magnitude)",
        });
    }
    Ok(fit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const GROWTH: [f64; 9] = [10.0, 35.0, 60.0, 110.0, 160.0, 240.0, 330.0, 450.0, 600.0];

    fn rel_err(actual: f64, expected: f64) -> f64 {
        ((actual - expected) / expected).abs()
    }

    #[test]
    fn failure_terminated_reproduces_golden_values() {
        // standards.md §7.6: each value must lie within half a unit of its last printed digit.
        let fit = crow_amsaa(&GROWTH, None).unwrap();
        let cases = [
            ("β̂", fit.beta, 0.64018, 5e-6),
            ("λ̂", fit.lambda, 0.149873, 5e-7),
            ("β̄", fit.beta_unbiased, 0.49792, 5e-6),
            ("instantaneous MTBF", fit.instantaneous_mtbf, 104.137, 5e-4),
            ("cumulative MTBF", fit.cumulative_mtbf, 66.667, 5e-4),
        ];
        for (name, actual, expected, half_unit) in cases {
            assert!(
                (actual - expected).abs() <= half_unit,
                "{name}: {actual} vs {expected}"
            );
        }
        assert_eq!(fit.termination, Termination::FailureTerminated);
        assert_eq!(fit.observed_to, 600.0);
        // 1/(λβT^{β−1}) computed the long way agrees with T/(nβ)
        let long_way = 1.0 / (fit.lambda * fit.beta * 600.0_f64.powf(fit.beta - 1.0));
        assert!(rel_err(fit.instantaneous_mtbf, long_way) < 1e-12);
        assert!(rel_err(fit.instantaneous_mtbf_at(600.0).unwrap(), long_way) < 1e-12);
        // Laplace over the first 8 times against 600: (1395/8 − 300)/(600·√(1/96)) = −2.05145
        assert!(
            rel_err(fit.laplace_u, -2.051_45) < 1e-5,
            "U = {}",
            fit.laplace_u
        );
        assert_eq!(fit.trend, Trend::Improving);
    }

    #[test]
    fn time_terminated_uses_every_failure_and_t() {
        // T = 700: β̂ = 9 / Σ ln(700/t_i); λ̂ = 9/700^β̂; β̄ = 8/9 β̂
        let fit = crow_amsaa(&GROWTH, Some(700.0)).unwrap();
        let log_sum: f64 = GROWTH.iter().map(|t| (700.0 / t).ln()).sum();
        let beta = 9.0 / log_sum;
        assert!(rel_err(fit.beta, beta) < 1e-14);
        assert!(rel_err(fit.lambda, 9.0 / 700.0_f64.powf(beta)) < 1e-12);
        assert!(rel_err(fit.beta_unbiased, 8.0 / 9.0 * beta) < 1e-14);
        assert!(rel_err(fit.cumulative_mtbf, 700.0 / 9.0) < 1e-14);
        assert!(rel_err(fit.expected_failures(700.0).unwrap(), 9.0) < 1e-12);
        let u = (GROWTH.iter().sum::<f64>() / 9.0 - 350.0) / (700.0 * (1.0_f64 / 108.0).sqrt());
        assert!(rel_err(fit.laplace_u, u) < 1e-12);
        assert_eq!(fit.termination, Termination::TimeTerminated);
    }

    #[test]
    fn laplace_verdicts() {
        // (times, T, verdict): evenly spread → no trend; bunched late → deteriorating;
        // bunched early → improving.
        let even: Vec<f64> = (1..=20).map(|i| f64::from(i) * 50.0).collect();
        let late: Vec<f64> = (1..=20).map(|i| 1000.0 - f64::from(i) * 5.0).collect();
        let early: Vec<f64> = (1..=20).map(|i| f64::from(i) * 5.0).collect();
        let cases = [
            (even, Some(1000.0), Trend::NoTrend),
            (late, Some(1000.0), Trend::Deteriorating),
            (early, Some(1000.0), Trend::Improving),
        ];
        for (times, end, verdict) in cases {
            let fit = crow_amsaa(&times, end).unwrap();
            assert_eq!(fit.trend, verdict, "U = {}", fit.laplace_u);
            match verdict {
                Trend::Deteriorating => assert!(fit.beta > 1.0),
                Trend::Improving => assert!(fit.beta < 1.0),
                Trend::NoTrend => assert!((fit.beta - 1.0).abs() < 0.5),
            }
        }
    }

    #[test]
    fn bad_input_is_refused() {
        use ReliabilityError as E;
        assert_eq!(crow_amsaa(&[], None), Err(E::NoData));
        assert_eq!(crow_amsaa(&[], Some(10.0)), Err(E::NoData));
        assert_eq!(
            crow_amsaa(&[1.0, 2.0], None),
            Err(E::TooFewFailures {
                method: "failure-terminated Crow-AMSAA",
                needed: 3,
                got: 2
            })
        );
        assert_eq!(
            crow_amsaa(&[1.0], Some(5.0)),
            Err(E::TooFewFailures {
                method: "time-terminated Crow-AMSAA",
                needed: 2,
                got: 1
            })
        );
        assert_eq!(
            crow_amsaa(&[5.0, 5.0, 5.0], None),
            Err(E::IdenticalFailureTimes)
        );
        assert_eq!(
            crow_amsaa(&[5.0, 5.0], Some(5.0)),
            Err(E::IdenticalFailureTimes)
        );
        assert_eq!(
            crow_amsaa(&[5.0, 9.0], Some(8.0)),
            Err(E::ObservationEndsBeforeLastFailure {
                observed_to: 8.0,
                last_failure: 9.0
            })
        );
        assert_eq!(
            crow_amsaa(&[0.0, 1.0, 2.0], None),
            Err(E::InvalidTime { value: 0.0 })
        );
        assert_eq!(
            crow_amsaa(&[1.0, 2.0], Some(f64::INFINITY)),
            Err(E::InvalidTime {
                value: f64::INFINITY
            })
        );
        assert!(matches!(
            crow_amsaa(&[1.0, f64::NAN, 3.0], None),
            Err(E::InvalidTime { .. })
        ));
        let fit = crow_amsaa(&GROWTH, None).unwrap();
        assert!(matches!(
            fit.intensity(-1.0),
            Err(E::InvalidParameter { .. })
        ));
        // input order does not matter
        let mut shuffled = GROWTH;
        shuffled.reverse();
        assert_eq!(crow_amsaa(&shuffled, None), Ok(fit));
    }

    proptest! {
        #[test]
        fn fitted_curve_passes_through_n_failures_at_t(
            times in prop::collection::vec(1u32..100_000, 3..40),
            extra in 0u32..10_000,
        ) {
            prop_assume!(times.iter().any(|t| *t != times[0]));
            let times: Vec<f64> = times.into_iter().map(f64::from).collect();
            let end = times.iter().copied().fold(0.0, f64::max) + f64::from(extra);
            for observed_to in [None, Some(end)] {
                // Failures bunched just below the end make β astronomically large (e.g. 99,998
                // and 99,999 h): that is reported as a numerical failure, never as NaN.
                let fit = match crow_amsaa(&times, observed_to) {
                    Err(ReliabilityError::NumericalFailure { .. }) => continue,
                    r => r.unwrap(),
                };
                let n = times.len() as f64;
                prop_assert!(fit.beta > 0.0 && fit.beta.is_finite());
                prop_assert!(fit.beta_unbiased > 0.0 && fit.beta_unbiased < fit.beta);
                let at_end = fit.expected_failures(fit.observed_to).unwrap();
                prop_assert!((at_end - n).abs() < 1e-9 * n);
                prop_assert!(fit.laplace_u.is_finite());
            }
        }
    }
}
