//! Kaplan–Meier product-limit estimate of survival (standards.md §7.2), with Greenwood's
//! variance and linear confidence bounds.

use serde::Serialize;

use super::{ReliabilityError, check_life_data, sorted, z_two_sided};

/// The survival estimate just after one distinct failure time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct KmPoint {
    pub time: f64,
    /// Units still at risk just before `time` (including any censored exactly at `time`).
    pub at_risk: usize,
    /// Units that failed at `time`.
    pub failures: usize,
    pub survival: f64,
    /// Greenwood's variance of `survival`; 0 once survival has dropped to 0.
    pub greenwood_variance: f64,
    /// survival − z·√variance, clipped to [0, 1].
    pub lower: f64,
    /// survival + z·√variance, clipped to [0, 1].
    pub upper: f64,
}

/// Estimates the survival curve from failure ages and right-censored ages: one point per
/// distinct failure time, in time order. At a tie, failures are counted before censorings, so a
/// unit censored at a failure time was still at risk then.
pub fn kaplan_meier(failures: &[f64], censored: &[f64]) -> Result<Vec<KmPoint>, ReliabilityError> {
    check_life_data(failures, censored, "Kaplan–Meier", 1)?;
    let failures = sorted(failures);
    let all = sorted(&[failures.as_slice(), censored].concat());
    let n = all.len();
    let z = z_two_sided();

    let mut points = Vec::new();
    let mut survival = 1.0;
    let mut greenwood_sum = 0.0;
    let mut i = 0;
    while i < failures.len() {
        let time = failures[i];
        let tied = failures[i..].iter().take_while(|&&t| t == time).count();
        let at_risk = n - all.partition_point(|&t| t < time);
        survival *= 1.0 - tied as f64 / at_risk as f64;
        let greenwood_variance = if tied < at_risk {
            greenwood_sum += tied as f64 / (at_risk as f64 * (at_risk - tied) as f64);
            survival * survival * greenwood_sum
        } else {
            // Every unit at risk failed: Ŝ = 0 exactly and Greenwood's sum is undefined.
            survival = 0.0;
            0.0
        };
        let half_width = z * greenwood_variance.sqrt();
        points.push(KmPoint {
            time,
            at_risk,
            failures: tied,
            survival,
            greenwood_variance,
            lower: (survival - half_width).clamp(0.0, 1.0),
            upper: (survival + half_width).clamp(0.0, 1.0),
        });
        i += tied;
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reproduces_golden_values_for_data_a() {
        // standards.md §7.6, printed to 6 decimals: within half a unit of the last digit (5e-7).
        let failures = [120.0, 190.0, 250.0, 310.0, 370.0, 420.0, 490.0];
        let censored = [200.0, 400.0, 500.0];
        let golden = [
            (120.0, 10, 0.9, 0.714061, 1.0),
            (190.0, 9, 0.8, 0.552082, 1.0),
            (250.0, 7, 0.685714, 0.388791, 0.982637),
            (310.0, 6, 0.571429, 0.250436, 0.892421),
            (370.0, 5, 0.457143, 0.131440, 0.782846),
            (420.0, 3, 0.304762, 0.0, 0.631279),
            (490.0, 2, 0.152381, 0.0, 0.419313),
        ];
        let points = kaplan_meier(&failures, &censored).unwrap();
        assert_eq!(points.len(), golden.len());
        for (p, (time, at_risk, survival, lower, upper)) in points.iter().zip(golden) {
            assert_eq!(p.time, time);
            assert_eq!(p.at_risk, at_risk, "at risk at {time}");
            assert_eq!(p.failures, 1);
            assert!(
                (p.survival - survival).abs() <= 5e-7,
                "Ŝ({time}) = {}",
                p.survival
            );
            assert!(
                (p.lower - lower).abs() <= 5e-7,
                "lower({time}) = {}",
                p.lower
            );
            assert!(
                (p.upper - upper).abs() <= 5e-7,
                "upper({time}) = {}",
                p.upper
            );
        }
    }

    #[test]
    fn ties_count_failures_before_censorings() {
        // failures at 5, 5, 8; censored at 5 and 10. At 5: 5 at risk, 2 fail → 0.6;
        // the unit censored at 5 then leaves, so at 8: 2 at risk, 1 fails → 0.3.
        let points = kaplan_meier(&[8.0, 5.0, 5.0], &[10.0, 5.0]).unwrap();
        let got: Vec<(f64, usize, usize, f64)> = points
            .iter()
            .map(|p| (p.time, p.at_risk, p.failures, p.survival))
            .collect();
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].0, got[0].1, got[0].2), (5.0, 5, 2));
        assert!((got[0].3 - 0.6).abs() < 1e-15);
        assert_eq!((got[1].0, got[1].1, got[1].2), (8.0, 2, 1));
        assert!((got[1].3 - 0.3).abs() < 1e-15);
        // Greenwood at 5: 0.36 · 2/(5·3)
        assert!((points[0].greenwood_variance - 0.36 * 2.0 / 15.0).abs() < 1e-15);
    }

    #[test]
    fn survival_reaching_zero_has_zero_variance_not_nan() {
        let points = kaplan_meier(&[1.0, 2.0, 3.0], &[]).unwrap();
        let last = points[2];
        assert_eq!(last.survival, 0.0);
        assert_eq!(last.greenwood_variance, 0.0);
        assert_eq!((last.lower, last.upper), (0.0, 0.0));
    }

    #[test]
    fn bad_input_is_refused() {
        use ReliabilityError as E;
        assert_eq!(kaplan_meier(&[], &[]), Err(E::NoData));
        assert_eq!(kaplan_meier(&[], &[3.0]), Err(E::NoFailures));
        assert_eq!(
            kaplan_meier(&[1.0, -2.0], &[]),
            Err(E::InvalidTime { value: -2.0 })
        );
        assert_eq!(
            kaplan_meier(&[1.0], &[0.0]),
            Err(E::InvalidTime { value: 0.0 })
        );
        assert!(matches!(
            kaplan_meier(&[f64::NAN], &[]),
            Err(E::InvalidTime { .. })
        ));
        // a single failure is a valid (if uninformative) estimate
        let one = kaplan_meier(&[4.0], &[]).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].survival, 0.0);
    }

    proptest! {
        #[test]
        fn survival_is_non_increasing_within_bounds(
            failures in prop::collection::vec(1u32..50, 1..40),
            censored in prop::collection::vec(1u32..50, 0..40),
        ) {
            let f: Vec<f64> = failures.iter().map(|&x| f64::from(x)).collect();
            let c: Vec<f64> = censored.iter().map(|&x| f64::from(x)).collect();
            let points = kaplan_meier(&f, &c).unwrap();
            let mut previous = 1.0;
            let mut previous_time = 0.0;
            let mut failures_counted = 0;
            for p in &points {
                prop_assert!(p.time > previous_time);
                prop_assert!(p.survival <= previous && p.survival >= 0.0);
                prop_assert!(p.lower >= 0.0 && p.lower <= p.survival);
                prop_assert!(p.upper <= 1.0 && p.upper >= p.survival);
                prop_assert!(p.greenwood_variance.is_finite() && p.greenwood_variance >= 0.0);
                prop_assert!(p.failures >= 1 && p.failures <= p.at_risk);
                previous = p.survival;
                previous_time = p.time;
                failures_counted += p.failures;
            }
            prop_assert_eq!(failures_counted, f.len());
            // with no censoring Ŝ is the empirical survival function
            if c.is_empty() {
                for p in &points {
                    let surviving = f.iter().filter(|&&t| t > p.time).count() as f64;
                    prop_assert!((p.survival - surviving / f.len() as f64).abs() < 1e-12);
                }
            }
        }
    }
}
