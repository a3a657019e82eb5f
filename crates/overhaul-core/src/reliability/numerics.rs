//! The few numerical tools the reliability maths needs: ln Γ, the standard normal quantile,
//! Brent's root finder and minimiser, and adaptive quadrature.
//!
//! Written here rather than pulled in as a dependency because the core crate stays small and
//! every routine is short, classical and covered by tests against known values.

/// Lanczos approximation (g = 7, 9 terms): relative error about 1e-15 for real x > 0.
const LANCZOS_G: f64 = 7.0;
const LANCZOS_COEFFICIENTS: [f64; 9] = [
    0.999_999_999_999_809_9,
    676.520_368_121_885_1,
    -1_259.139_216_722_402_8,
    771.323_428_777_653_1,
    -176.615_029_162_140_6,
    12.507_343_278_686_905,
    -0.138_571_095_265_720_12,
    9.984_369_578_019_572e-6,
    1.505_632_735_149_311_6e-7,
];

/// Natural log of the gamma function for x > 0 (NaN for x ≤ 0 or NaN; callers validate first).
pub fn ln_gamma(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    if x < 0.5 {
        // Reflection keeps the series in its accurate range: Γ(x)Γ(1−x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let z = x - 1.0;
    let mut series = LANCZOS_COEFFICIENTS[0];
    for (i, c) in LANCZOS_COEFFICIENTS.iter().enumerate().skip(1) {
        series += c / (z + i as f64);
    }
    let t = z + LANCZOS_G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (z + 0.5) * t.ln() - t + series.ln()
}

/// The gamma function for x > 0.
pub fn gamma(x: f64) -> f64 {
    ln_gamma(x).exp()
}

/// Inverse of the standard normal CDF (Acklam's rational approximation, relative error
/// below 1.2e-9); returns NaN outside (0, 1).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const P_LOW: f64 = 0.024_25;

    if p.is_nan() || p <= 0.0 || p >= 1.0 {
        return f64::NAN;
    }
    let tail = |q: f64| {
        // q = sqrt(−2 ln p) for the lower tail
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < P_LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - P_LOW {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// A root of `f` in [a, b] by Brent's method, to within `tol` in x.
///
/// Returns `None` when f(a) and f(b) have the same sign, a value is not finite, or the
/// iteration budget runs out.
pub fn brent_root(mut f: impl FnMut(f64) -> f64, a: f64, b: f64, tol: f64) -> Option<f64> {
    const MAX_ITERATIONS: usize = 200;
    let (mut a, mut b) = (a, b);
    let (mut fa, mut fb) = (f(a), f(b));
    if !fa.is_finite() || !fb.is_finite() {
        return None;
    }
    if fa == 0.0 {
        return Some(a);
    }
    if fb == 0.0 {
        return Some(b);
    }
    if fa.signum() == fb.signum() {
        return None;
    }
    let (mut c, mut fc) = (a, fa);
    let mut d = b - a;
    let mut e = d;
    for _ in 0..MAX_ITERATIONS {
        if fb.signum() == fc.signum() {
            // Keep the root between b and c.
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol1 = 2.0 * f64::EPSILON * b.abs() + 0.5 * tol;
        let half = 0.5 * (c - b);
        if half.abs() <= tol1 || fb == 0.0 {
            return Some(b);
        }
        if e.abs() >= tol1 && fa.abs() > fb.abs() {
            // Try inverse quadratic (or secant) interpolation.
            let s = fb / fa;
            let (mut p, mut q);
            if a == c {
                p = 2.0 * half * s;
                q = 1.0 - s;
            } else {
                let qa = fa / fc;
                let r = fb / fc;
                p = s * (2.0 * half * qa * (qa - r) - (b - a) * (r - 1.0));
                q = (qa - 1.0) * (r - 1.0) * (s - 1.0);
            }
            if p > 0.0 {
                q = -q;
            }
            p = p.abs();
            if 2.0 * p < (3.0 * half * q - (tol1 * q).abs()).min((e * q).abs()) {
                e = d;
                d = p / q;
            } else {
                d = half;
                e = d;
            }
        } else {
            d = half;
            e = d;
        }
        a = b;
        fa = fb;
        b += if d.abs() > tol1 {
            d
        } else {
            tol1.copysign(half)
        };
        fb = f(b);
        if !fb.is_finite() {
            return None;
        }
    }
    None
}

/// The minimum of a unimodal `f` on [a, b] by Brent's method (golden section with parabolic
/// steps); returns (x, f(x)). `rel_tol` is relative to |x|, `abs_tol` absolute.
pub fn brent_minimize(
    mut f: impl FnMut(f64) -> f64,
    a: f64,
    b: f64,
    rel_tol: f64,
    abs_tol: f64,
) -> (f64, f64) {
    const MAX_ITERATIONS: usize = 500;
    // 2 − golden ratio
    let golden = 0.5 * (3.0 - 5.0_f64.sqrt());
    let (mut a, mut b) = if a < b { (a, b) } else { (b, a) };
    let mut x = a + golden * (b - a);
    let (mut w, mut v) = (x, x);
    let mut fx = f(x);
    let (mut fw, mut fv) = (fx, fx);
    let (mut d, mut e) = (0.0_f64, 0.0_f64);
    for _ in 0..MAX_ITERATIONS {
        let mid = 0.5 * (a + b);
        let tol1 = rel_tol * x.abs() + abs_tol;
        let tol2 = 2.0 * tol1;
        if (x - mid).abs() <= tol2 - 0.5 * (b - a) {
            break;
        }
        let mut take_golden = true;
        if e.abs() > tol1 {
            // Parabola through (v, w, x).
            let r = (x - w) * (fx - fv);
            let mut q = (x - v) * (fx - fw);
            let mut p = (x - v) * q - (x - w) * r;
            q = 2.0 * (q - r);
            if q > 0.0 {
                p = -p;
            } else {
                q = -q;
            }
            let previous_e = e;
            e = d;
            if p.abs() < (0.5 * q * previous_e).abs() && p > q * (a - x) && p < q * (b - x) {
                d = p / q;
                let u = x + d;
                if (u - a) < tol2 || (b - u) < tol2 {
                    d = if x < mid { tol1 } else { -tol1 };
                }
                take_golden = false;
            }
        }
        if take_golden {
            e = if x < mid { b - x } else { a - x };
            d = golden * e;
        }
        let u = if d.abs() >= tol1 {
            x + d
        } else {
            x + tol1.copysign(d)
        };
        let fu = f(u);
        if fu <= fx {
            if u < x {
                b = x;
            } else {
                a = x;
            }
            v = w;
            fv = fw;
            w = x;
            fw = fx;
            x = u;
            fx = fu;
        } else {
            if u < x {
                a = u;
            } else {
                b = u;
            }
            if fu <= fw || w == x {
                v = w;
                fv = fw;
                w = u;
                fw = fu;
            } else if fu <= fv || v == x || v == w {
                v = u;
                fv = fu;
            }
        }
    }
    (x, fx)
}

/// ∫ₐᵇ f by adaptive Simpson's rule with Richardson correction, to about `tol` absolute.
pub fn integrate(mut f: impl FnMut(f64) -> f64, a: f64, b: f64, tol: f64) -> f64 {
    const MAX_DEPTH: u32 = 48;
    if a == b {
        return 0.0;
    }
    let fa = f(a);
    let fb = f(b);
    let m = 0.5 * (a + b);
    let fm = f(m);
    let whole = (b - a) / 6.0 * (fa + 4.0 * fm + fb);
    simpson_step(
        &mut f,
        Panel {
            a,
            b,
            fa,
            fm,
            fb,
            whole,
        },
        tol,
        MAX_DEPTH,
    )
}

/// One Simpson panel: its ends, the function at its ends and midpoint, and its estimate.
struct Panel {
    a: f64,
    b: f64,
    fa: f64,
    fm: f64,
    fb: f64,
    whole: f64,
}

fn simpson_step(f: &mut impl FnMut(f64) -> f64, panel: Panel, tol: f64, depth: u32) -> f64 {
    let Panel {
        a,
        b,
        fa,
        fm,
        fb,
        whole,
    } = panel;
    let m = 0.5 * (a + b);
    let left_mid = 0.5 * (a + m);
    let right_mid = 0.5 * (m + b);
    let f_left_mid = f(left_mid);
    let f_right_mid = f(right_mid);
    let left = (m - a) / 6.0 * (fa + 4.0 * f_left_mid + fm);
    let right = (b - m) / 6.0 * (fm + 4.0 * f_right_mid + fb);
    let delta = left + right - whole;
    if depth == 0 || delta.abs() <= 15.0 * tol {
        return left + right + delta / 15.0;
    }
    simpson_step(
        f,
        Panel {
            a,
            b: m,
            fa,
            fm: f_left_mid,
            fb: fm,
            whole: left,
        },
        0.5 * tol,
        depth - 1,
    ) + simpson_step(
        f,
        Panel {
            a: m,
            b,
            fa: fm,
            fm: f_right_mid,
            fb,
            whole: right,
        },
        0.5 * tol,
        depth - 1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, rel: f64) -> bool {
        (actual - expected).abs() <= rel * expected.abs().max(1e-300)
    }

    #[test]
    fn ln_gamma_matches_known_values() {
        // (x, Γ(x)) from exact identities or tables; tolerance 1e-13 relative.
        let sqrt_pi = std::f64::consts::PI.sqrt();
        let cases = [
            (1.0, 1.0),
            (2.0, 1.0),
            (5.0, 24.0),
            (10.0, 362_880.0),
            (0.5, sqrt_pi),
            (1.5, 0.5 * sqrt_pi),
            (0.1, 9.513_507_698_668_732),
            (1.4, 0.887_263_817_503_075_1),
            (1.0 + 1.0 / 2.5, 0.887_263_817_503_075_1),
        ];
        for (x, expected) in cases {
            let actual = gamma(x);
            assert!(
                close(actual, expected, 1e-13),
                "Γ({x}) = {actual}, want {expected}"
            );
        }
        assert!(close(ln_gamma(100.0), 359.134_205_369_575_4, 1e-13));
        assert!(ln_gamma(0.0).is_nan() && ln_gamma(-1.0).is_nan());
    }

    #[test]
    fn normal_quantile_matches_tables() {
        // Tolerance 1e-8 absolute: Acklam's approximation is good to about 1.2e-9 relative.
        let cases = [
            (0.5, 0.0),
            (0.975, 1.959_963_984_540_054),
            (0.025, -1.959_963_984_540_054),
            (0.95, 1.644_853_626_951_472_2),
            (0.999, 3.090_232_306_167_813),
            (0.01, -2.326_347_874_040_841),
            (1e-10, -6.361_340_902_404_056),
        ];
        for (p, z) in cases {
            let actual = normal_quantile(p);
            assert!((actual - z).abs() < 1e-8, "Φ⁻¹({p}) = {actual}, want {z}");
        }
        for p in [0.0, 1.0, -0.1, f64::NAN] {
            assert!(normal_quantile(p).is_nan());
        }
    }

    #[test]
    fn brent_root_finds_roots_and_refuses_unbracketed() {
        let r = brent_root(|x| x * x - 2.0, 0.0, 2.0, 1e-14).unwrap();
        assert!((r - std::f64::consts::SQRT_2).abs() < 1e-13);
        let r = brent_root(|x| x.cos() - x, 0.0, 1.0, 1e-14).unwrap();
        assert!((r - 0.739_085_133_215_160_6).abs() < 1e-13);
        let r = brent_root(|x| x.powi(3), -1.0, 0.5, 1e-14).unwrap();
        assert!(r.abs() < 1e-4);
        assert_eq!(brent_root(|x| x * x + 1.0, -1.0, 1.0, 1e-12), None);
        assert_eq!(brent_root(|_| f64::NAN, -1.0, 1.0, 1e-12), None);
    }

    #[test]
    fn brent_minimize_finds_minima() {
        let (x, fx) = brent_minimize(|x| (x - 2.0).powi(2) + 1.0, 0.0, 5.0, 1e-10, 1e-12);
        assert!((x - 2.0).abs() < 1e-6 && (fx - 1.0).abs() < 1e-12);
        // minimum of x ln x at 1/e
        let (x, _) = brent_minimize(|x| x * x.ln(), 0.01, 3.0, 1e-10, 1e-12);
        assert!((x - (-1.0_f64).exp()).abs() < 1e-7);
        // minimum at the edge of the interval
        let (x, _) = brent_minimize(|x| x, 1.0, 2.0, 1e-10, 1e-12);
        assert!((x - 1.0).abs() < 1e-6);
    }

    /// (integrand, from, to, exact value)
    type QuadratureCase<'a> = (&'a dyn Fn(f64) -> f64, f64, f64, f64);

    #[test]
    fn integrate_matches_closed_forms() {
        let cases: [QuadratureCase; 4] = [
            (&|x| x * x, 0.0, 3.0, 9.0),
            (&|x| x.sin(), 0.0, std::f64::consts::PI, 2.0),
            (&|x| (-x).exp(), 0.0, 40.0, 1.0 - (-40.0_f64).exp()),
            (
                &|x| 1.0 / (1.0 + x * x),
                -1.0,
                1.0,
                std::f64::consts::FRAC_PI_2,
            ),
        ];
        for (f, a, b, expected) in cases {
            let actual = integrate(f, a, b, 1e-12);
            assert!((actual - expected).abs() < 1e-10, "{actual} vs {expected}");
        }
        assert_eq!(integrate(|x| x, 2.0, 2.0, 1e-12), 0.0);
    }
}
