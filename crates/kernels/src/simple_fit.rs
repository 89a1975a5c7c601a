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

#[cfg(test)]
mod tests {
    use super::*;

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
