//! Residual (idiosyncratic) momentum, after Blitz, Huij and Martens: the momentum of the part
//! of an asset's return that its market (or factors) do not explain.
//!
//! `e[s]` is the residual at row `s` of the trailing regression of `fit_window` rows that ends
//! at `s` (its "endpoint residual", `y[s] - alpha_s - sum_j beta_{s,j} f_j[s]`). The signal at
//! row `t` is `mean(e) / std(e, ddof = 1)` over `s` in `t - window + 1 ..= t - skip`.
//!
//! The endpoint fits come from the rolling regressions of [`crate::rolling_ols`] (one
//! regressor) and [`crate::factor_ols`] (several), so they follow those kernels' rules for
//! unusable rows, constant regressors and collinear factors. The mean and variance of the
//! residuals are kept with Welford updates as residuals enter and leave the span, rebuilt from
//! the residuals at least once per span length of removals and whenever the variance
//! collapses below its peak (cancellation).

use super::factor_ols::{rolling_factor_ols, FactorFitColumns, FactorLayout};
use super::rolling_ols::{rolling_simple_ols, SimpleFitColumns};
use super::tolerances::CANCELLATION_RATIO;
use super::window::{Window, WindowSpec};
use super::KernelError;

/// A residual standard deviation at or below this fraction of the returns' root mean square
/// is the rounding of a perfect fit, not a residual: its ratio would be noise, so it is NaN.
pub const PERFECT_FIT_RESIDUAL: f64 = 1e-10;

/// The windows of residual momentum, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResidualMomentumSpec {
    /// The trailing regression whose endpoint residuals are scored.
    pub fit: WindowSpec,
    /// Rows from the oldest residual to the signal's row, `t - window + 1 ..= t`.
    pub window: usize,
    /// The newest rows left out: residuals up to `t - skip` only.
    pub skip: usize,
    /// Fewest usable residuals in the span for a signal (at least 2).
    pub min_periods: usize,
}

impl ResidualMomentumSpec {
    /// Checks the windows: a fit of at least 2 rows, a span `window - skip` of at least 2
    /// residuals and `2 <= min_periods <= window - skip`.
    pub fn new(
        fit_window: usize,
        fit_min_periods: usize,
        window: usize,
        skip: usize,
        min_periods: usize,
    ) -> Result<Self, KernelError> {
        let fit = WindowSpec::new(Window::Rows(fit_window), fit_min_periods)?;
        let span = window.saturating_sub(skip);
        if span < 2 {
            return Err(KernelError::InvalidSkip { window, skip });
        }
        if min_periods < 2 {
            return Err(KernelError::MinPeriodsTooSmall(min_periods));
        }
        if min_periods > span {
            return Err(KernelError::MinPeriodsAboveWindow {
                min_periods,
                window: span,
            });
        }
        Ok(Self {
            fit,
            window,
            skip,
            min_periods,
        })
    }

    /// Residuals in a full span.
    pub fn span(&self) -> usize {
        self.window - self.skip
    }
}

/// Writes `e[s]`, the residual at `s` of the trailing fit ending at `s`, for every row; NaN
/// where that fit is missing or the row itself is not usable.
pub fn endpoint_residuals(
    factors: &[&[f64]],
    y: &[f64],
    fit: &WindowSpec,
    out: &mut [f64],
) -> Result<(), KernelError> {
    let len = y.len();
    if factors.is_empty() {
        return Err(KernelError::NoFactors);
    }
    for f in factors {
        if f.len() != len {
            return Err(KernelError::LengthMismatch {
                expected: len,
                got: f.len(),
                what: "a factor",
            });
        }
    }
    if out.len() != len {
        return Err(KernelError::LengthMismatch {
            expected: len,
            got: out.len(),
            what: "an output buffer",
        });
    }
    if let [x] = factors {
        let mut alpha = vec![0.0; len];
        let mut beta = vec![0.0; len];
        let mut columns = SimpleFitColumns {
            alpha: Some(&mut alpha),
            beta: Some(&mut beta),
            ..SimpleFitColumns::default()
        };
        rolling_simple_ols(x, y, fit, &mut columns)?;
        for s in 0..len {
            out[s] = y[s] - alpha[s] - beta[s] * x[s];
        }
    } else {
        let layout = FactorLayout { k: factors.len() };
        let mut buffers = vec![vec![0.0; len]; layout.field_count()];
        let mut n = vec![0u32; len];
        {
            let mut columns = FactorFitColumns {
                floats: buffers.iter_mut().map(Vec::as_mut_slice).collect(),
                n: &mut n,
            };
            rolling_factor_ols(factors, y, fit, &mut columns)?;
        }
        for s in 0..len {
            let mut e = y[s] - buffers[layout.alpha()][s];
            for (j, f) in factors.iter().enumerate() {
                e -= buffers[layout.beta(j)][s] * f[s];
            }
            out[s] = e;
        }
    }
    // A missing fit or row gives NaN through the arithmetic; an infinite input is not a
    // residual either.
    for e in out.iter_mut() {
        if !e.is_finite() {
            *e = f64::NAN;
        }
    }
    Ok(())
}

/// Mean and sum of squared deviations of the finite residuals in a span, with the sum of
/// squared returns beside them (the scale a perfect fit's rounding is judged against).
#[derive(Debug, Default, Clone, Copy)]
struct SpanMoments {
    n: usize,
    mean: f64,
    m2: f64,
    y2: f64,
}

impl SpanMoments {
    fn add(&mut self, e: f64, y: f64) {
        self.n += 1;
        let d = e - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (e - self.mean);
        self.y2 += y * y;
    }

    fn remove(&mut self, e: f64, y: f64) {
        if self.n <= 1 {
            *self = Self::default();
            return;
        }
        self.n -= 1;
        let d = e - self.mean;
        self.mean -= d / self.n as f64;
        self.m2 -= d * (e - self.mean);
        self.y2 -= y * y;
    }

    fn rebuild(e: &[f64], y: &[f64]) -> Self {
        let mut m = Self::default();
        for (&ei, &yi) in e.iter().zip(y) {
            if ei.is_finite() {
                m.add(ei, yi);
            }
        }
        m
    }

    fn signal(&self, min_periods: usize) -> f64 {
        if self.n < min_periods.max(2) || !self.m2.is_finite() || self.m2 <= 0.0 {
            return f64::NAN;
        }
        let var = self.m2 / (self.n - 1) as f64;
        let rms_y = (self.y2.max(0.0) / self.n as f64).sqrt();
        if var.sqrt() <= PERFECT_FIT_RESIDUAL * rms_y {
            return f64::NAN;
        }
        self.mean / var.sqrt()
    }
}

/// Residual momentum of `y` against `factors` (one factor: the market), every series in time
/// order; one signal per row, NaN where it cannot be computed (fewer than `min_periods`
/// residuals in the span, a constant residual, or the rounding of a perfect fit).
pub fn residual_momentum(
    factors: &[&[f64]],
    y: &[f64],
    spec: &ResidualMomentumSpec,
    out: &mut [f64],
) -> Result<(), KernelError> {
    let len = y.len();
    if out.len() != len {
        return Err(KernelError::LengthMismatch {
            expected: len,
            got: out.len(),
            what: "an output buffer",
        });
    }
    let mut e = vec![0.0; len];
    endpoint_residuals(factors, y, &spec.fit, &mut e)?;
    let (window, skip, span) = (spec.window, spec.skip, spec.span());
    let mut m = SpanMoments::default();
    let mut peak = 0.0f64;
    let mut removals = 0usize;
    for (t, slot) in out.iter_mut().enumerate() {
        // The span of row t is lo ..= hi with hi = t - skip and lo = t + 1 - window.
        let Some(hi) = t.checked_sub(skip) else {
            *slot = f64::NAN;
            continue;
        };
        let mut shrank = false;
        if t >= window {
            let leaving = t - window;
            if e[leaving].is_finite() {
                m.remove(e[leaving], y[leaving]);
                shrank = true;
            }
            removals += 1;
        }
        if e[hi].is_finite() {
            m.add(e[hi], y[hi]);
        }
        if removals >= span || (shrank && m.m2 < CANCELLATION_RATIO * peak) {
            let lo = (t + 1).saturating_sub(window);
            m = SpanMoments::rebuild(&e[lo..=hi], &y[lo..=hi]);
            removals = 0;
            peak = m.m2;
        } else {
            peak = peak.max(m.m2);
        }
        *slot = m.signal(spec.min_periods);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::lcg_series;

    /// Least squares of `y` on `[1, f_1 .. f_k]` over the usable rows, by normal equations
    /// solved with Gaussian elimination: an independent route to the endpoint residual.
    #[allow(clippy::needless_range_loop)]
    fn direct_residual(factors: &[&[f64]], y: &[f64], rows: std::ops::Range<usize>) -> f64 {
        let k = factors.len();
        let end = rows.end - 1;
        let usable: Vec<usize> = rows
            .filter(|&r| y[r].is_finite() && factors.iter().all(|f| f[r].is_finite()))
            .collect();
        let p = k + 1;
        let mut a = vec![vec![0.0; p + 1]; p];
        for &r in &usable {
            let mut z = vec![1.0];
            z.extend(factors.iter().map(|f| f[r]));
            for i in 0..p {
                for j in 0..p {
                    a[i][j] += z[i] * z[j];
                }
                a[i][p] += z[i] * y[r];
            }
        }
        for c in 0..p {
            let pivot = (c..p)
                .max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))
                .unwrap();
            a.swap(c, pivot);
            for r in 0..p {
                if r != c {
                    let f = a[r][c] / a[c][c];
                    for j in c..=p {
                        a[r][j] -= f * a[c][j];
                    }
                }
            }
        }
        let coef: Vec<f64> = (0..p).map(|i| a[i][p] / a[i][i]).collect();
        let mut e = y[end] - coef[0];
        for (j, f) in factors.iter().enumerate() {
            e -= coef[j + 1] * f[end];
        }
        e
    }

    fn direct_signal(e: &[f64]) -> f64 {
        let v: Vec<f64> = e.iter().copied().filter(|x| x.is_finite()).collect();
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        mean / var.sqrt()
    }

    fn market_and_asset(len: usize) -> (Vec<f64>, Vec<f64>) {
        let x = lcg_series(3, len, 0.04);
        let noise = lcg_series(4, len, 0.02);
        let y = x
            .iter()
            .zip(&noise)
            .enumerate()
            .map(|(i, (a, b))| 0.0005 * (i as f64 / 50.0).sin() + 1.1 * a + b)
            .collect();
        (x, y)
    }

    #[test]
    fn single_factor_matches_direct_fits() {
        let (x, y) = market_and_asset(240);
        let spec = ResidualMomentumSpec::new(40, 40, 60, 5, 55).unwrap();
        let mut out = vec![0.0; y.len()];
        residual_momentum(&[&x], &y, &spec, &mut out).unwrap();
        let e: Vec<f64> = (0..y.len())
            .map(|s| {
                if s + 1 < 40 {
                    f64::NAN
                } else {
                    direct_residual(&[&x], &y, s + 1 - 40..s + 1)
                }
            })
            .collect();
        for t in 0..y.len() {
            let expected = if t + 1 < 60 + 39 {
                f64::NAN
            } else {
                direct_signal(&e[t + 1 - 60..=t - 5])
            };
            if expected.is_nan() {
                assert!(out[t].is_nan(), "row {t}: {}", out[t]);
            } else {
                assert!(
                    (out[t] - expected).abs() < 1e-10 * expected.abs().max(1.0),
                    "row {t}: {} vs {expected}",
                    out[t]
                );
            }
        }
    }

    #[test]
    fn two_factors_match_direct_fits() {
        let (x, y0) = market_and_asset(200);
        let f2 = lcg_series(9, 200, 0.03);
        let y: Vec<f64> = y0.iter().zip(&f2).map(|(a, b)| a - 0.4 * b).collect();
        let spec = ResidualMomentumSpec::new(30, 30, 40, 0, 40).unwrap();
        let mut out = vec![0.0; y.len()];
        residual_momentum(&[&x, &f2], &y, &spec, &mut out).unwrap();
        let e: Vec<f64> = (0..y.len())
            .map(|s| {
                if s + 1 < 30 {
                    f64::NAN
                } else {
                    direct_residual(&[&x, &f2], &y, s + 1 - 30..s + 1)
                }
            })
            .collect();
        for t in 68..y.len() {
            let expected = direct_signal(&e[t + 1 - 40..=t]);
            assert!(
                (out[t] - expected).abs() < 1e-9 * expected.abs().max(1.0),
                "row {t}: {} vs {expected}",
                out[t]
            );
        }
        assert!(out[..68].iter().all(|v| v.is_nan()));
    }

    #[test]
    fn missing_rows_leave_residuals_out() {
        let (x, mut y) = market_and_asset(160);
        y[70] = f64::NAN;
        let mut x = x;
        x[90] = f64::INFINITY;
        let spec = ResidualMomentumSpec::new(30, 25, 40, 3, 30).unwrap();
        let mut e = vec![0.0; y.len()];
        endpoint_residuals(&[&x], &y, &spec.fit, &mut e).unwrap();
        assert!(e[70].is_nan() && e[90].is_nan());
        let mut out = vec![0.0; y.len()];
        residual_momentum(&[&x], &y, &spec, &mut out).unwrap();
        for t in 80..y.len() {
            let expected = direct_signal(&e[t + 1 - 40..=t - 3]);
            assert!((out[t] - expected).abs() < 1e-10 * expected.abs().max(1.0));
        }
        // With every residual required, a span holding a missing one has no signal.
        let strict = ResidualMomentumSpec::new(30, 25, 40, 3, 37).unwrap();
        residual_momentum(&[&x], &y, &strict, &mut out).unwrap();
        assert!(out[73..=129].iter().all(|v| v.is_nan()));
        assert!(out[72].is_finite() && out[130].is_finite());
    }

    #[test]
    fn perfect_fit_has_no_signal() {
        let x = lcg_series(5, 120, 0.04);
        let y: Vec<f64> = x.iter().map(|v| 0.001 + 1.5 * v).collect();
        let spec = ResidualMomentumSpec::new(20, 20, 30, 2, 28).unwrap();
        let mut out = vec![0.0; y.len()];
        residual_momentum(&[&x], &y, &spec, &mut out).unwrap();
        assert!(out.iter().all(|v| v.is_nan()));
    }

    #[test]
    fn long_series_stays_accurate() {
        // Many removals and rebuilds: the running moments agree with a direct sum.
        let (x, y) = market_and_asset(3000);
        let spec = ResidualMomentumSpec::new(50, 50, 30, 5, 25).unwrap();
        let mut out = vec![0.0; y.len()];
        residual_momentum(&[&x], &y, &spec, &mut out).unwrap();
        let mut e = vec![0.0; y.len()];
        endpoint_residuals(&[&x], &y, &spec.fit, &mut e).unwrap();
        for t in (100..y.len()).step_by(7) {
            let expected = direct_signal(&e[t + 1 - 30..=t - 5]);
            assert!((out[t] - expected).abs() < 1e-11 * expected.abs().max(1.0));
        }
    }

    #[test]
    fn invalid_windows_are_errors() {
        assert_eq!(
            ResidualMomentumSpec::new(30, 30, 21, 20, 2),
            Err(KernelError::InvalidSkip {
                window: 21,
                skip: 20
            })
        );
        assert_eq!(
            ResidualMomentumSpec::new(30, 30, 10, 2, 9),
            Err(KernelError::MinPeriodsAboveWindow {
                min_periods: 9,
                window: 8
            })
        );
        assert!(ResidualMomentumSpec::new(1, 1, 10, 2, 5).is_err());
        let spec = ResidualMomentumSpec::new(5, 5, 10, 2, 5).unwrap();
        let mut out = vec![0.0; 3];
        assert!(residual_momentum(&[], &[1.0, 2.0, 3.0], &spec, &mut out).is_err());
        assert!(residual_momentum(&[&[1.0, 2.0]], &[1.0, 2.0, 3.0], &spec, &mut out).is_err());
        let mut short = vec![0.0; 2];
        assert!(
            residual_momentum(&[&[1.0, 2.0, 3.0]], &[1.0, 2.0, 3.0], &spec, &mut short).is_err()
        );
    }
}
