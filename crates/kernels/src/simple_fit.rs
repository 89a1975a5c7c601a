//! The result of a simple (one-regressor) fit and the statistics every simple fit derives
//! from its moments: the rolling OLS (row by row and in vectorized blocks) and the
//! exponentially weighted fit share them, so that they agree to the bit.

use super::tolerances::NEAR_PERFECT_FIT;
use super::KernelError;

/// The names of [`SimpleFit`]'s fields in output order (the float fields, then `n`): the
/// fields of the regression struct a Polars user sees.
pub const FIT_FIELDS: [&str; 9] = [
    "alpha",
    "beta",
    "r2",
    "resid_std",
    "alpha_se",
    "beta_se",
    "alpha_t",
    "beta_t",
    "n",
];

/// Fields a rolling fit returns only when asked for by name: the window's prediction of its
/// own last row and that row's residual (see [`endpoints`]). They follow `n` in the struct.
pub const ENDPOINT_FIELDS: [&str; 2] = ["fitted", "resid"];

/// The fitted value and residual of each window's last row `t`:
/// `fitted[t] = alpha[t] + beta[t] x[t]` and `resid[t] = y[t] - fitted[t]`, from the fit of the
/// window ending at `t`. NaN where any input is NaN: a row without a fit, a row whose `x` is
/// missing, and (for the residual) a row whose `y` is missing.
pub fn endpoints(
    x: &[f64],
    y: &[f64],
    alpha: &[f64],
    beta: &[f64],
    fitted: Option<&mut [f64]>,
    resid: Option<&mut [f64]>,
) -> Result<(), KernelError> {
    let len = x.len();
    for (got, what) in [
        (y.len(), "y"),
        (alpha.len(), "alpha"),
        (beta.len(), "beta"),
        (fitted.as_ref().map_or(len, |f| f.len()), "fitted"),
        (resid.as_ref().map_or(len, |r| r.len()), "resid"),
    ] {
        if got != len {
            return Err(KernelError::LengthMismatch {
                expected: len,
                got,
                what,
            });
        }
    }
    let prediction = |t: usize| alpha[t] + beta[t] * x[t];
    if let Some(fitted) = fitted {
        for (t, f) in fitted.iter_mut().enumerate() {
            *f = prediction(t);
        }
    }
    if let Some(resid) = resid {
        for (t, r) in resid.iter_mut().enumerate() {
            *r = y[t] - prediction(t);
        }
    }
    Ok(())
}

/// One fitted window. Fields that cannot be computed are NaN:
/// everything but `n` when `n < min_periods` or the market is constant;
/// `resid_std`, the standard errors and t-values when `n <= 2`;
/// `r2` when `y` is constant; t-values when the standard error is zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimpleFit {
    pub alpha: f64,
    pub beta: f64,
    pub r2: f64,
    pub resid_std: f64,
    pub alpha_se: f64,
    pub beta_se: f64,
    pub alpha_t: f64,
    pub beta_t: f64,
    pub n: usize,
}

impl SimpleFit {
    /// A fit with every field unknown (NaN) but the row count.
    pub fn empty(n: usize) -> Self {
        Self {
            alpha: f64::NAN,
            beta: f64::NAN,
            r2: f64::NAN,
            resid_std: f64::NAN,
            alpha_se: f64::NAN,
            beta_se: f64::NAN,
            alpha_t: f64::NAN,
            beta_t: f64::NAN,
            n,
        }
    }

    /// The float fields in [`SimpleFitColumns`] order (the struct's field order).
    pub fn values(&self) -> [f64; 8] {
        [
            self.alpha,
            self.beta,
            self.r2,
            self.resid_std,
            self.alpha_se,
            self.beta_se,
            self.alpha_t,
            self.beta_t,
        ]
    }
}

/// Output buffers, one per field; a `None` field is neither computed nor written.
#[derive(Debug, Default)]
pub struct SimpleFitColumns<'a> {
    pub alpha: Option<&'a mut [f64]>,
    pub beta: Option<&'a mut [f64]>,
    pub r2: Option<&'a mut [f64]>,
    pub resid_std: Option<&'a mut [f64]>,
    pub alpha_se: Option<&'a mut [f64]>,
    pub beta_se: Option<&'a mut [f64]>,
    pub alpha_t: Option<&'a mut [f64]>,
    pub beta_t: Option<&'a mut [f64]>,
    pub n: Option<&'a mut [u32]>,
}

impl<'a> SimpleFitColumns<'a> {
    /// The columns of the float fields in [`FIT_FIELDS`] order (as [`Self::floats`] gives
    /// them), and `n`.
    pub fn from_fields(floats: [Option<&'a mut [f64]>; 8], n: Option<&'a mut [u32]>) -> Self {
        let [alpha, beta, r2, resid_std, alpha_se, beta_se, alpha_t, beta_t] = floats;
        Self {
            alpha,
            beta,
            r2,
            resid_std,
            alpha_se,
            beta_se,
            alpha_t,
            beta_t,
            n,
        }
    }

    pub fn check_len(&self, len: usize) -> Result<(), KernelError> {
        let lens = [
            self.alpha.as_ref().map(|s| s.len()),
            self.beta.as_ref().map(|s| s.len()),
            self.r2.as_ref().map(|s| s.len()),
            self.resid_std.as_ref().map(|s| s.len()),
            self.alpha_se.as_ref().map(|s| s.len()),
            self.beta_se.as_ref().map(|s| s.len()),
            self.alpha_t.as_ref().map(|s| s.len()),
            self.beta_t.as_ref().map(|s| s.len()),
            self.n.as_ref().map(|s| s.len()),
        ];
        match lens.into_iter().flatten().find(|&l| l != len) {
            Some(got) => Err(KernelError::LengthMismatch {
                expected: len,
                got,
                what: "an output buffer",
            }),
            None => Ok(()),
        }
    }

    /// Only slope and intercept requested: the cheaper fit suffices.
    pub fn needs_residuals(&self) -> bool {
        self.r2.is_some()
            || self.resid_std.is_some()
            || self.alpha_se.is_some()
            || self.beta_se.is_some()
            || self.alpha_t.is_some()
            || self.beta_t.is_some()
    }

    /// The float columns in [`SimpleFit::values`] order; `None` for those not requested.
    pub fn floats(&mut self) -> [Option<&mut [f64]>; 8] {
        [
            self.alpha.as_deref_mut(),
            self.beta.as_deref_mut(),
            self.r2.as_deref_mut(),
            self.resid_std.as_deref_mut(),
            self.alpha_se.as_deref_mut(),
            self.beta_se.as_deref_mut(),
            self.alpha_t.as_deref_mut(),
            self.beta_t.as_deref_mut(),
        ]
    }

    #[inline(always)]
    pub fn write(&mut self, t: usize, fit: &SimpleFit) {
        #[inline(always)]
        fn put(buf: &mut Option<&mut [f64]>, t: usize, v: f64) {
            if let Some(b) = buf {
                b[t] = v;
            }
        }
        put(&mut self.alpha, t, fit.alpha);
        put(&mut self.beta, t, fit.beta);
        put(&mut self.r2, t, fit.r2);
        put(&mut self.resid_std, t, fit.resid_std);
        put(&mut self.alpha_se, t, fit.alpha_se);
        put(&mut self.beta_se, t, fit.beta_se);
        put(&mut self.alpha_t, t, fit.alpha_t);
        put(&mut self.beta_t, t, fit.beta_t);
        if let Some(b) = &mut self.n {
            b[t] = u32::try_from(fit.n).unwrap_or(u32::MAX);
        }
    }
}

/// The residual sum of squares `Syy - beta * Sxy`, clamped at zero, and whether it was
/// summed directly by `direct()` because that difference cancels (a near-perfect fit).
#[inline(always)]
pub fn residual_sum(sxy: f64, syy: f64, beta: f64, direct: impl FnOnce() -> f64) -> (f64, bool) {
    let ssr = syy - beta * sxy;
    let near_perfect = ssr < NEAR_PERFECT_FIT * syy;
    let ssr = if near_perfect { direct() } else { ssr };
    (ssr.max(0.0), near_perfect)
}

/// R²: `Sxy² / (Sxx Syy)`, or `1 - SSR / Syy` from a directly summed residual sum; NaN when
/// `y` has no spread.
#[inline(always)]
pub fn r_squared(sxx: f64, sxy: f64, syy: f64, ssr: f64, near_perfect: bool) -> f64 {
    if syy > 0.0 {
        if near_perfect {
            1.0 - ssr / syy
        } else {
            (sxy / sxx) * (sxy / syy)
        }
    } else {
        f64::NAN
    }
}

/// Residual spread, standard errors and t-values of a fit with a constant.
#[derive(Debug, Clone, Copy)]
pub struct Inference {
    /// `sqrt(SSR / dof)`: the residual spread of a row of weight 1.
    pub resid_std: f64,
    pub alpha_se: f64,
    pub beta_se: f64,
    pub alpha_t: f64,
    pub beta_t: f64,
}

/// [`Inference`] of `y = alpha + beta x` from the residual sum `ssr` with `dof` degrees of
/// freedom, the sum of weights `weight` (the row count when unweighted), the mean of `x` and
/// `Sxx`. A t-value is NaN where its standard error is zero. The roots are taken before the
/// ratios: `s² / Sxx` can underflow where the standard error does not.
#[inline(always)]
pub fn inference(
    alpha: f64,
    beta: f64,
    ssr: f64,
    dof: f64,
    weight: f64,
    mean_x: f64,
    sxx: f64,
) -> Inference {
    let s = (ssr / dof).sqrt();
    let beta_se = s / sxx.sqrt();
    let alpha_se = s * (1.0 / weight + mean_x * mean_x / sxx).sqrt();
    // Both quotients are taken before the choice, so the choice is a select and the block
    // loops that call this stay vectorized.
    let (alpha_t, beta_t) = (alpha / alpha_se, beta / beta_se);
    Inference {
        resid_std: s,
        alpha_se,
        beta_se,
        alpha_t: if alpha_se > 0.0 { alpha_t } else { f64::NAN },
        beta_t: if beta_se > 0.0 { beta_t } else { f64::NAN },
    }
}

/// [`usual_statistics`] is taken where `Syy`, `Sxx`, `s² = SSR / dof` and
/// `Sxx / weight + mean_x²` all lie in `[USUAL_LOW, USUAL_HIGH]`: there none of its
/// products, up to `(Sxx Syy s²)^(3/2)`-sized ones, leaves the normal range.
pub const USUAL_LOW: f64 = 1e-100;
pub const USUAL_HIGH: f64 = 1e100;

/// R² and [`Inference`] of a fit with a constant in the usual case, and whether the case
/// holds (the moments within [`USUAL_LOW`]..=[`USUAL_HIGH`]; see there). The residual sum
/// `ssr = Syy - beta Sxy` must come from the moments (not a near-perfect fit); `inv_dof` and
/// `inv_weight` are `1 / dof` and `1 / weight`, which callers with many fits of one count
/// take once.
///
/// One division instead of the seven of [`r_squared`] and [`inference`] (the slope's is the
/// caller's): with `s = sqrt(s²)`, `q = sqrt(Sxx)`, `g = sqrt(Sxx / weight + mean_x²)` and
/// `e = s g q`, every statistic is a product of these, `1 / e` and `1 / Syy`, both taken from
/// `k = 1 / (e Syy)`. Each result differs from the quotients those two functions form by a
/// few roundings: `usual_statistics_stay_near_the_quotients` holds the relative difference to
/// `16 * f64::EPSILON` (it measures at most 3.3 there). It is the same bits wherever it is
/// computed, which is what lets a vectorized loop and the row-by-row fit agree.
#[inline(always)]
pub fn usual_statistics(
    alpha: f64,
    beta: f64,
    (sxx, sxy, syy): (f64, f64, f64),
    ssr: f64,
    inv_dof: f64,
    inv_weight: f64,
    mean_x: f64,
) -> (f64, Inference, bool) {
    let s2 = ssr * inv_dof;
    let g2 = sxx * inv_weight + mean_x * mean_x;
    let within = |v: f64| (USUAL_LOW..=USUAL_HIGH).contains(&v);
    let usual = within(syy) & within(sxx) & within(s2) & within(g2);
    let (s, q, g) = (s2.sqrt(), sxx.sqrt(), g2.sqrt());
    let sg = s * g;
    let e = sg * q;
    let k = 1.0 / (e * syy);
    // `1 / e` and `1 / Syy`.
    let (inv_e, inv_syy) = (syy * k, e * k);
    let r2 = beta * (sxy * inv_syy);
    let stats = Inference {
        resid_std: s,
        // s / q, (s g) / q, q / (s g) and q / s; `Sxx` stands for `q²`.
        beta_se: s * (sg * inv_e),
        alpha_se: sg * (sg * inv_e),
        alpha_t: alpha * (sxx * inv_e),
        beta_t: beta * (sxx * (g * inv_e)),
    };
    (r2, stats, usual)
}

/// R² and, from 3 rows on (`dof > 0`), [`Inference`] of a fit with a constant: by
/// [`usual_statistics`] where it holds, else by [`r_squared`] and [`inference`].
#[inline(always)]
pub fn fit_statistics(
    alpha: f64,
    beta: f64,
    (sxx, sxy, syy): (f64, f64, f64),
    (ssr, near_perfect): (f64, bool),
    dof: f64,
    weight: f64,
    mean_x: f64,
) -> (f64, Option<Inference>) {
    if dof > 0.0 && !near_perfect {
        let moments = (sxx, sxy, syy);
        let (r2, stats, usual) =
            usual_statistics(alpha, beta, moments, ssr, 1.0 / dof, 1.0 / weight, mean_x);
        if usual {
            return (r2, Some(stats));
        }
    }
    let r2 = r_squared(sxx, sxy, syy, ssr, near_perfect);
    let stats = (dof > 0.0).then(|| inference(alpha, beta, ssr, dof, weight, mean_x, sxx));
    (r2, stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::lcg_series;

    #[test]
    fn endpoints_predict_the_last_row_and_propagate_missing_values() {
        let x = [0.01, f64::NAN, -0.02, 0.03];
        let y = [0.02, 0.01, f64::NAN, 0.05];
        let alpha = [f64::NAN, 0.001, 0.002, 0.003];
        let beta = [f64::NAN, 1.1, 0.9, 1.2];
        let (mut fitted, mut resid) = ([0.0; 4], [0.0; 4]);
        endpoints(&x, &y, &alpha, &beta, Some(&mut fitted), Some(&mut resid)).unwrap();
        // No fit; no x; no y (the prediction stands); every input known.
        assert!(fitted[0].is_nan() && resid[0].is_nan());
        assert!(fitted[1].is_nan() && resid[1].is_nan());
        assert_eq!(fitted[2], 0.002 + 0.9 * -0.02);
        assert!(resid[2].is_nan());
        assert_eq!(fitted[3], 0.003 + 1.2 * 0.03);
        assert_eq!(resid[3], 0.05 - (0.003 + 1.2 * 0.03));
    }

    /// Moments of a fit drawn from `u` (uniforms on `[-0.5, 0.5)`): `Sxx`, `Syy`, the mean of
    /// `x` and the weight at magnitudes 10^±130 and 10^±65, so that some fall outside the
    /// usual range; a correlation of at most 0.998 in size, so the fit is never near perfect.
    fn drawn_fit(u: &[f64]) -> (f64, f64, (f64, f64, f64), f64, f64, f64, f64) {
        let sxx = 10f64.powf(260.0 * u[0]);
        let syy = 10f64.powf(260.0 * u[1]);
        let sxy = 1.996 * u[2] * (sxx.sqrt() * syy.sqrt());
        let mean_x = 10f64.powf(130.0 * u[3]) * u[4].signum();
        let weight = 10f64.powf(130.0 * u[5]);
        let dof = (1.0 + 1000.0 * (u[6] + 0.5)).floor();
        let beta = sxy / sxx;
        let alpha = u[7] * 10f64.powf(20.0 * u[8]) - beta * mean_x;
        let ssr = (syy - beta * sxy).max(0.0);
        (alpha, beta, (sxx, sxy, syy), ssr, dof, weight, mean_x)
    }

    #[test]
    fn usual_statistics_stay_near_the_quotients() {
        let u = lcg_series(7, 9 * 20_000, 1.0);
        let mut usual_count = 0;
        let mut worst: f64 = 0.0;
        for u in u.chunks_exact(9) {
            let (alpha, beta, moments, ssr, dof, weight, mean_x) = drawn_fit(u);
            let (sxx, sxy, syy) = moments;
            let (r2, fast, usual) =
                usual_statistics(alpha, beta, moments, ssr, 1.0 / dof, 1.0 / weight, mean_x);
            let within = |v: f64| (USUAL_LOW..=USUAL_HIGH).contains(&v);
            let s2 = ssr * (1.0 / dof);
            let g2 = sxx * (1.0 / weight) + mean_x * mean_x;
            assert_eq!(
                usual,
                within(sxx) && within(syy) && within(s2) && within(g2)
            );
            if !usual {
                continue;
            }
            usual_count += 1;
            let careful = inference(alpha, beta, ssr, dof, weight, mean_x, sxx);
            let pairs = [
                (r2, r_squared(sxx, sxy, syy, ssr, false)),
                (fast.resid_std, careful.resid_std),
                (fast.alpha_se, careful.alpha_se),
                (fast.beta_se, careful.beta_se),
                (fast.alpha_t, careful.alpha_t),
                (fast.beta_t, careful.beta_t),
            ];
            for (got, want) in pairs {
                let off = (got - want).abs() / (f64::EPSILON * want.abs());
                // Zero where the statistic is exactly zero (alpha or beta zero) in both forms.
                let off = if want == 0.0 && got == 0.0 { 0.0 } else { off };
                assert!(
                    off <= 16.0,
                    "{got:e} against {want:e}: {off} epsilons, {u:?}"
                );
                worst = worst.max(off);
            }
        }
        // The draws reach both sides of the bounds, and most fits are usual.
        assert!(
            usual_count > 8_000 && usual_count < 20_000,
            "{usual_count} usual fits"
        );
        assert!(worst > 1.0, "the two forms never differed: {worst}");
    }

    #[test]
    fn fit_statistics_outside_the_usual_case_are_the_quotients() {
        let bits = |r2: f64, stats: Option<Inference>| {
            let stats = stats.map(|s| [s.resid_std, s.alpha_se, s.beta_se, s.alpha_t, s.beta_t]);
            (r2.to_bits(), stats.map(|s| s.map(f64::to_bits)))
        };
        let (alpha, mean_x, weight, dof) = (0.001, 0.01, 30.0, 28.0);
        // A spread below the range, one above, a near-perfect fit, and two rows (no inference).
        for (sxx, syy, near_perfect, dof) in [
            (1e-120_f64, 2e-120, false, dof),
            (3e120, 1e121, false, dof),
            (0.4, 0.5, true, dof),
            (0.4, 0.5, false, 0.0),
        ] {
            let sxy = 0.3 * (sxx * syy).sqrt();
            let beta = sxy / sxx;
            let ssr = syy - beta * sxy;
            let moments = (sxx, sxy, syy);
            let (r2, stats) = fit_statistics(
                alpha,
                beta,
                moments,
                (ssr, near_perfect),
                dof,
                weight,
                mean_x,
            );
            let careful =
                (dof > 0.0).then(|| inference(alpha, beta, ssr, dof, weight, mean_x, sxx));
            let want = bits(r_squared(sxx, sxy, syy, ssr, near_perfect), careful);
            assert_eq!(
                bits(r2, stats),
                want,
                "sxx {sxx:e}, near perfect {near_perfect}"
            );
        }
        // Inside the range, the usual form itself.
        let (sxx, syy) = (0.4_f64, 0.5);
        let sxy = 0.3 * (sxx * syy).sqrt();
        let beta = sxy / sxx;
        let ssr = syy - beta * sxy;
        let moments = (sxx, sxy, syy);
        let (r2, stats) = fit_statistics(alpha, beta, moments, (ssr, false), dof, weight, mean_x);
        let (fast_r2, fast, usual) =
            usual_statistics(alpha, beta, moments, ssr, 1.0 / dof, 1.0 / weight, mean_x);
        assert!(usual);
        assert_eq!(bits(r2, stats), bits(fast_r2, Some(fast)));
    }

    #[test]
    fn endpoints_reject_buffers_of_another_length() {
        let v = [0.0; 3];
        let mut short = [0.0; 2];
        let err = endpoints(&v, &v, &v, &v, Some(&mut short), None).unwrap_err();
        assert!(matches!(
            err,
            KernelError::LengthMismatch { what: "fitted", .. }
        ));
    }
}
