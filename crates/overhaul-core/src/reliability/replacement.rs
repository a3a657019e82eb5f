//! Cost-optimal preventive replacement intervals for Weibull lives (standards.md §7.4).
//!
//! Two policies: age replacement (renew at age T or at failure, whichever comes first) and
//! periodic replacement with minimal repair in between (failures fixed as-bad-as-old).

use serde::Serialize;

use super::weibull::Weibull;
use super::{ReliabilityError, check_positive, numerics};

/// Why a policy has no finite cost-optimal interval: running to failure is as good as it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum NoFiniteOptimum {
    /// β ≤ 1: the hazard does not rise with age, so replacing a working unit buys nothing.
    NotWearingOut,
    /// The preventive cost is not below the failure cost, so prevention cannot pay.
    PreventiveNotCheaper,
    /// The optimum lies where practically every unit has already failed (R < 1e-17), so the
    /// saving over running to failure is below floating-point resolution.
    NegligibleSaving,
}

/// The outcome of optimising age replacement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum AgeReplacement {
    /// Replace preventively at age `interval`; `cost_rate` = C(T*) per unit time.
    Optimal {
        interval: f64,
        cost_rate: f64,
        run_to_failure_cost_rate: f64,
    },
    /// Run to failure; the cost per unit time is C_f / MTTF.
    RunToFailure {
        reason: NoFiniteOptimum,
        run_to_failure_cost_rate: f64,
    },
}

impl AgeReplacement {
    /// Cost per unit time of running to failure, C_f / MTTF, whichever branch was chosen.
    pub fn run_to_failure_cost_rate(&self) -> f64 {
        match *self {
            AgeReplacement::Optimal {
                run_to_failure_cost_rate,
                ..
            }
            | AgeReplacement::RunToFailure {
                run_to_failure_cost_rate,
                ..
            } => run_to_failure_cost_rate,
        }
    }
}

/// The outcome of optimising periodic replacement with minimal repair.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum MinimalRepair {
    /// Replace every `interval`, minimally repairing failures in between.
    Optimal { interval: f64, cost_rate: f64 },
    /// No finite interval minimises the cost rate.
    NoFiniteOptimum { reason: NoFiniteOptimum },
}

/// Checks a cost: finite and greater than zero.
fn check_cost(name: &'static str, value: f64) -> Result<f64, ReliabilityError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(ReliabilityError::InvalidParameter {
            name,
            value,
            requirement: "a finite cost greater than zero",
        })
    }
}

/// ∫₀^x exp(−u^β) du: expected time in service up to age x·η, divided by η.
fn integrated_reliability(beta: f64, x: f64) -> f64 {
    // R ≤ 1, so the integral is at most x; 1e-13 relative leaves C(T) good to ~12 digits.
    numerics::integrate(|u| (-u.powf(beta)).exp(), 0.0, x, 1e-13 * x)
}

/// C(T)·η for age replacement at x = T/η: [C_p R + C_f F] / ∫₀^x R.
fn age_cost_scaled(cp: f64, cf: f64, beta: f64, x: f64) -> f64 {
    let h = x.powf(beta);
    let r = (-h).exp();
    let f = -(-h).exp_m1();
    (cp * r + cf * f) / integrated_reliability(beta, x)
}

/// Sign of dC/dT for age replacement at x = T/η: h(T)∫₀^T R − F(T) − C_p/(C_f − C_p).
fn age_cost_slope_sign(cp: f64, cf: f64, beta: f64, x: f64) -> f64 {
    let h = x.powf(beta);
    beta * x.powf(beta - 1.0) * integrated_reliability(beta, x) + (-h).exp_m1() - cp / (cf - cp)
}

/// Expected cost per unit time of replacing at age `interval` (or at failure, if sooner).
pub fn age_replacement_cost_rate(
    cost_preventive: f64,
    cost_failure: f64,
    eta: f64,
    beta: f64,
    interval: f64,
) -> Result<f64, ReliabilityError> {
    let cp = check_cost("cost_preventive", cost_preventive)?;
    let cf = check_cost("cost_failure", cost_failure)?;
    let w = Weibull::new(eta, beta)?;
    let t = check_positive("interval", interval)?;
    Ok(age_cost_scaled(cp, cf, w.beta(), t / w.eta()) / w.eta())
}

/// Finds the age-replacement interval T* minimising the long-run cost per unit time
/// C(T) = [C_p R(T) + C_f (1 − R(T))] / ∫₀^T R(t) dt, or says why there is none.
///
/// The bracket is set by the sign of dC/dT (increasing in T when β > 1, so C has a single
/// minimum); Brent's method then minimises C with adaptive quadrature for ∫R.
pub fn optimal_age_replacement(
    cost_preventive: f64,
    cost_failure: f64,
    eta: f64,
    beta: f64,
) -> Result<AgeReplacement, ReliabilityError> {
    let cp = check_cost("cost_preventive", cost_preventive)?;
    let cf = check_cost("cost_failure", cost_failure)?;
    let w = Weibull::new(eta, beta)?;
    let run_to_failure_cost_rate = cf / w.mttf();
    let run_to_failure = |reason| {
        Ok(AgeReplacement::RunToFailure {
            reason,
            run_to_failure_cost_rate,
        })
    };
    if beta <= 1.0 {
        return run_to_failure(NoFiniteOptimum::NotWearingOut);
    }
    if cf <= cp {
        return run_to_failure(NoFiniteOptimum::PreventiveNotCheaper);
    }

    // Work in x = T/η. Below the optimum the slope sign is negative, above it positive.
    let slope = |x: f64| age_cost_slope_sign(cp, cf, beta, x);
    let mut lower = 1.0;
    while slope(lower) >= 0.0 {
        lower /= 10.0;
        if lower < 1e-300 {
            return Err(ReliabilityError::NumericalFailure {
                what: "age replacement (optimum too close to zero age)",
            });
        }
    }
    // Beyond R = e⁻⁴⁰ ≈ 4e-18 the cost rate equals C_f/MTTF to double precision.
    let survivors_gone = 40.0_f64.powf(1.0 / beta);
    let mut upper = 1.0_f64;
    while slope(upper) <= 0.0 {
        if upper >= survivors_gone {
            return run_to_failure(NoFiniteOptimum::NegligibleSaving);
        }
        upper = (2.0 * upper).min(survivors_gone);
    }
    let (x, cost_scaled) = numerics::brent_minimize(
        |x| age_cost_scaled(cp, cf, beta, x),
        lower,
        upper,
        1e-10,
        1e-15 * upper,
    );
    let interval = x * eta;
    let cost_rate = cost_scaled / eta;
    if !(interval.is_finite() && interval > 0.0 && cost_rate.is_finite() && cost_rate > 0.0) {
        return Err(ReliabilityError::NumericalFailure {
            what: "age replacement",
        });
    }
    Ok(AgeReplacement::Optimal {
        interval,
        cost_rate,
        run_to_failure_cost_rate,
    })
}

/// Expected cost per unit time of replacing every `interval` and minimally repairing the
/// failures in between: [C_p + C_mr (T/η)^β] / T.
pub fn minimal_repair_cost_rate(
    cost_preventive: f64,
    cost_minimal_repair: f64,
    eta: f64,
    beta: f64,
    interval: f64,
) -> Result<f64, ReliabilityError> {
    let cp = check_cost("cost_preventive", cost_preventive)?;
    let cmr = check_cost("cost_minimal_repair", cost_minimal_repair)?;
    let w = Weibull::new(eta, beta)?;
    let t = check_positive("interval", interval)?;
    Ok((cp + cmr * w.cumulative_hazard_at(t)) / t)
}

/// Finds the replacement interval for periodic replacement with minimal repair:
/// T* = η [C_p / (C_mr (β − 1))]^{1/β}, with cost rate C(T*) = [C_p + C_mr (T*/η)^β] / T*.
///
/// C_p is the planned replacement and C_mr the minimal repair; the `reliability` package's
/// q = 1 branch swaps them (standards.md §7.5), which is why the order here is explicit.
pub fn minimal_repair_interval(
    cost_preventive: f64,
    cost_minimal_repair: f64,
    eta: f64,
    beta: f64,
) -> Result<MinimalRepair, ReliabilityError> {
    let cp = check_cost("cost_preventive", cost_preventive)?;
    let cmr = check_cost("cost_minimal_repair", cost_minimal_repair)?;
    let w = Weibull::new(eta, beta)?;
    if beta <= 1.0 {
        return Ok(MinimalRepair::NoFiniteOptimum {
            reason: NoFiniteOptimum::NotWearingOut,
        });
    }
    // At the optimum (T*/η)^β = C_p / (C_mr (β − 1)).
    let cumulative_hazard = cp / (cmr * (beta - 1.0));
    let interval = w.eta() * cumulative_hazard.powf(1.0 / beta);
    let cost_rate = (cp + cmr * cumulative_hazard) / interval;
    if !(interval.is_finite() && interval > 0.0 && cost_rate.is_finite()) {
        return Err(ReliabilityError::NumericalFailure {
            what: "minimal repair interval",
        });
    }
    Ok(MinimalRepair::Optimal {
        interval,
        cost_rate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rel_err(actual: f64, expected: f64) -> f64 {
        ((actual - expected) / expected).abs()
    }

    #[test]
    fn age_replacement_reproduces_golden_values() {
        // standards.md §7.6, each within half a unit of its last printed digit: T* = 493.05
        // (±0.005), C* = 0.003462 and run-to-failure 0.005635 (±5e-7).
        let AgeReplacement::Optimal {
            interval,
            cost_rate,
            run_to_failure_cost_rate,
        } = optimal_age_replacement(1.0, 5.0, 1000.0, 2.5).unwrap()
        else {
            panic!("expected a finite optimum");
        };
        assert!((interval - 493.05).abs() <= 0.005, "T* = {interval}");
        assert!((cost_rate - 0.003462).abs() <= 5e-7, "C* = {cost_rate}");
        assert!((run_to_failure_cost_rate - 0.005635).abs() <= 5e-7);
        // the optimality condition h(T)∫R − F = C_p/(C_f − C_p) holds at T*
        let slope = age_cost_slope_sign(1.0, 5.0, 2.5, interval / 1000.0);
        assert!(slope.abs() < 1e-7, "optimality residual {slope}");
        // C(T*) as reported equals the cost function evaluated there
        let c = age_replacement_cost_rate(1.0, 5.0, 1000.0, 2.5, interval).unwrap();
        assert!(rel_err(c, cost_rate) < 1e-12);
        // the package's 10 000-point grid answer (493.19) costs slightly more
        let grid = age_replacement_cost_rate(1.0, 5.0, 1000.0, 2.5, 493.19).unwrap();
        assert!(grid >= cost_rate);
    }

    #[test]
    fn age_replacement_cost_rate_tends_to_run_to_failure() {
        // At T = 10η the survivors are e^(−316): C(T) = C_f/MTTF to 1e-12.
        let c = age_replacement_cost_rate(1.0, 5.0, 1000.0, 2.5, 10_000.0).unwrap();
        assert!(rel_err(c, 5.0 / 887.263_817_503_075_1) < 1e-12);
        // exponential lives: C(T) = [C_p e^{−T} + C_f (1 − e^{−T})] / (1 − e^{−T}) with η = 1
        let t: f64 = 0.7;
        let expected = (2.0 * (-t).exp() + 3.0 * (1.0 - (-t).exp())) / (1.0 - (-t).exp());
        let c = age_replacement_cost_rate(2.0, 3.0, 1.0, 1.0, t).unwrap();
        assert!(rel_err(c, expected) < 1e-11);
    }

    #[test]
    fn minimal_repair_reproduces_golden_values_without_the_cost_swap() {
        // standards.md §7.6, each within half a unit of its last printed digit: T* = 446.66
        // (±0.005), C* = 0.003731 (±5e-7).
        let MinimalRepair::Optimal {
            interval,
            cost_rate,
        } = minimal_repair_interval(1.0, 5.0, 1000.0, 2.5).unwrap()
        else {
            panic!("expected a finite optimum");
        };
        assert!((interval - 446.66).abs() <= 0.005, "T* = {interval}");
        assert!((cost_rate - 0.003731).abs() <= 5e-7, "C* = {cost_rate}");
        // the package's swapped-cost answer is far away and costs more
        assert!((interval - 1618.64).abs() > 1000.0);
        let swapped = minimal_repair_cost_rate(1.0, 5.0, 1000.0, 2.5, 1618.64).unwrap();
        assert!(swapped > cost_rate);
        // numerical minimisation of the cost function lands on the closed form
        let (x, _) = numerics::brent_minimize(
            |t| minimal_repair_cost_rate(1.0, 5.0, 1000.0, 2.5, t).unwrap(),
            1.0,
            3000.0,
            1e-10,
            1e-9,
        );
        assert!(rel_err(x, interval) < 1e-6);
    }

    #[test]
    fn no_finite_optimum_is_a_typed_answer() {
        use NoFiniteOptimum as N;
        let rtf = |cp, cf, eta, beta| match optimal_age_replacement(cp, cf, eta, beta).unwrap() {
            AgeReplacement::RunToFailure {
                reason,
                run_to_failure_cost_rate,
            } => (reason, run_to_failure_cost_rate),
            other => panic!("expected run to failure, got {other:?}"),
        };
        let cases = [
            (1.0, 5.0, 100.0, 1.0, N::NotWearingOut),
            (1.0, 5.0, 100.0, 0.7, N::NotWearingOut),
            (5.0, 5.0, 100.0, 3.0, N::PreventiveNotCheaper),
            (6.0, 5.0, 100.0, 3.0, N::PreventiveNotCheaper),
            // barely wearing out and prevention only marginally cheaper
            (0.999, 1.0, 100.0, 1.001, N::NegligibleSaving),
        ];
        for (cp, cf, eta, beta, reason) in cases {
            let (got, rate) = rtf(cp, cf, eta, beta);
            assert_eq!(got, reason, "Cp={cp} Cf={cf} β={beta}");
            let mttf = Weibull::new(eta, beta).unwrap().mttf();
            assert!(rel_err(rate, cf / mttf) < 1e-14);
        }
        for beta in [1.0, 0.5] {
            assert_eq!(
                minimal_repair_interval(1.0, 5.0, 1000.0, beta),
                Ok(MinimalRepair::NoFiniteOptimum {
                    reason: N::NotWearingOut
                })
            );
        }
    }

    #[test]
    fn bad_costs_and_parameters_are_refused() {
        use ReliabilityError as E;
        let bad = [
            (-1.0, 5.0, 1000.0, 2.5, "cost_preventive"),
            (0.0, 5.0, 1000.0, 2.5, "cost_preventive"),
            (1.0, -5.0, 1000.0, 2.5, "cost_failure"),
            (1.0, f64::NAN, 1000.0, 2.5, "cost_failure"),
            (1.0, f64::INFINITY, 1000.0, 2.5, "cost_failure"),
            (1.0, 5.0, 0.0, 2.5, "eta"),
            (1.0, 5.0, 1000.0, -2.5, "beta"),
            (1.0, 5.0, 1000.0, f64::NAN, "beta"),
        ];
        for (cp, cf, eta, beta, field) in bad {
            assert!(
                matches!(
                    optimal_age_replacement(cp, cf, eta, beta),
                    Err(E::InvalidParameter { name, .. }) if name == field
                ),
                "{field}"
            );
            let field = if field == "cost_failure" {
                "cost_minimal_repair"
            } else {
                field
            };
            assert!(
                matches!(
                    minimal_repair_interval(cp, cf, eta, beta),
                    Err(E::InvalidParameter { name, .. }) if name == field
                ),
                "{field}"
            );
        }
        assert!(matches!(
            age_replacement_cost_rate(1.0, 5.0, 1000.0, 2.5, 0.0),
            Err(E::InvalidParameter {
                name: "interval",
                ..
            })
        ));
        assert!(matches!(
            minimal_repair_cost_rate(1.0, 5.0, 1000.0, 2.5, -3.0),
            Err(E::InvalidParameter {
                name: "interval",
                ..
            })
        ));
    }

    proptest! {
        #[test]
        fn age_replacement_optimum_beats_neighbours_and_running_to_failure(
            cp in 0.1f64..10.0,
            ratio in 1.2f64..50.0,
            eta in 1.0f64..1e5,
            beta in 1.3f64..6.0,
            factor in 0.2f64..5.0,
        ) {
            let cf = cp * ratio;
            match optimal_age_replacement(cp, cf, eta, beta).unwrap() {
                AgeReplacement::Optimal { interval, cost_rate, run_to_failure_cost_rate } => {
                    prop_assert!(interval > 0.0 && interval.is_finite());
                    prop_assert!(cost_rate <= run_to_failure_cost_rate * (1.0 + 1e-12));
                    let other =
                        age_replacement_cost_rate(cp, cf, eta, beta, interval * factor).unwrap();
                    prop_assert!(cost_rate <= other * (1.0 + 1e-10));
                }
                AgeReplacement::RunToFailure { reason, .. } => {
                    prop_assert_eq!(reason, NoFiniteOptimum::NegligibleSaving);
                }
            }
        }

        #[test]
        fn minimal_repair_optimum_beats_neighbours(
            cp in 0.1f64..10.0,
            cmr in 0.1f64..10.0,
            eta in 1.0f64..1e5,
            beta in 1.05f64..6.0,
            factor in 0.2f64..5.0,
        ) {
            let MinimalRepair::Optimal { interval, cost_rate } =
                minimal_repair_interval(cp, cmr, eta, beta).unwrap()
            else {
                return Err(TestCaseError::fail("β > 1 must give an optimum"));
            };
            let other = minimal_repair_cost_rate(cp, cmr, eta, beta, interval * factor).unwrap();
            prop_assert!(cost_rate <= other * (1.0 + 1e-12));
        }
    }
}
