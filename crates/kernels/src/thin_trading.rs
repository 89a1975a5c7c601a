//! Betas for thinly traded assets, whose prices react to the market with a lag.
//!
//! - **Dimson (1979).** Regress `y_s` on the market at `s - L .. s + L`; the beta is the sum of
//!   those `2L + 1` coefficients. The regression is run on `x_s` and the differences
//!   `x_{s+j} - x_s` (`j != 0`): the same column space, so the same fit, with the sum as the
//!   coefficient of `x_s`, whose ordinary standard error is then the sum's.
//! - **Scholes-Williams (1977).** `(b_- + b_0 + b_+) / (1 + 2 rho)` from the univariate slopes
//!   of `y_s` on `x_{s-1}`, `x_s` and `x_{s+1}`, and the lag-1 autocorrelation `rho` of the
//!   market, all over the same rows.
//!
//! Lags and leads are rows of the series (the previous and next row, present or not); a row
//! takes part in a fit when `y_s` and every market value it needs are finite.
//!
//! **No look-ahead.** The value at row `t` uses no market value after `t`: the fit at `t`
//! takes the rows `s` of `t`'s window whose lead `s + L` is at most `t`. That is the window
//! of [`LeadBounds`] ending at `t - L`, written at `t`.

// The loops index several buffers at once, as the formulas are written.
#![allow(clippy::needless_range_loop)]

use super::factor_ols::{factor_ols, rolling_factor_ols, FactorFitColumns, FactorLayout};
use super::rolling_ols::{rolling_simple_ols, SimpleFitColumns};
use super::window::WindowBounds;
use super::KernelError;

/// The window of the row `lead` rows later, for fits that end `lead` rows before the row
/// they are written at: `start(s) = inner.start(s + lead)`.
pub struct LeadBounds<'a, B: WindowBounds> {
    pub inner: &'a B,
    pub lead: usize,
    pub len: usize,
}

impl<B: WindowBounds> WindowBounds for LeadBounds<'_, B> {
    #[inline]
    fn start(&self, s: usize) -> usize {
        self.inner
            .start((s + self.lead).min(self.len.saturating_sub(1)))
    }

    fn min_periods(&self) -> usize {
        self.inner.min_periods()
    }
}

/// `x` moved by `shift` rows: `out[s] = x[s + shift]`, NaN outside the series.
fn shifted(x: &[f64], shift: isize) -> Vec<f64> {
    let len = x.len() as isize;
    (0..len)
        .map(|s| {
            let at = s + shift;
            if (0..len).contains(&at) {
                x[at as usize]
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// The Dimson regressors of the market `x` with `lags` lags and leads: `x_s` first, then
/// `x_{s+j} - x_s` for `j = -lags .. lags`, `j != 0`.
pub fn dimson_regressors(x: &[f64], lags: usize) -> Vec<Vec<f64>> {
    let l = lags as isize;
    let mut columns = vec![x.to_vec()];
    for j in (-l..=l).filter(|&j| j != 0) {
        let moved = shifted(x, j);
        columns.push(moved.iter().zip(x).map(|(m, x0)| m - x0).collect());
    }
    columns
}

/// The fields of a Dimson fit, in output order (`n` last).
pub const DIMSON_FIELDS: [&str; 7] = ["alpha", "beta", "beta_se", "beta_t", "r2", "resid_std", "n"];

/// Output buffers of a Dimson fit, in [`DIMSON_FIELDS`] order.
#[derive(Debug)]
pub struct DimsonColumns<'a> {
    pub floats: [&'a mut [f64]; 6],
    pub n: &'a mut [u32],
}

/// Copies the factor fit's fields the Dimson struct shows, written `lead` rows later.
fn write_dimson(
    layout: FactorLayout,
    fit: &[Vec<f64>],
    n: &[u32],
    lead: usize,
    out: &mut DimsonColumns<'_>,
) {
    let sources = [
        layout.alpha(),
        layout.beta(0),
        layout.beta_se(0),
        layout.beta_t(0),
        layout.r2(),
        layout.resid_std(),
    ];
    let len = out.n.len();
    for (buf, &src) in out.floats.iter_mut().zip(&sources) {
        for t in 0..len {
            buf[t] = if t >= lead {
                fit[src][t - lead]
            } else {
                f64::NAN
            };
        }
    }
    for t in 0..len {
        out.n[t] = if t >= lead { n[t - lead] } else { 0 };
    }
}

/// Rolling Dimson beta of `y` on the market `x` with `lags` lags and leads.
pub fn rolling_dimson(
    x: &[f64],
    y: &[f64],
    bounds: &impl WindowBounds,
    lags: usize,
    out: &mut DimsonColumns<'_>,
) -> Result<(), KernelError> {
    let regressors = dimson_regressors(x, lags);
    let views: Vec<&[f64]> = regressors.iter().map(|c| c.as_slice()).collect();
    let layout = FactorLayout { k: views.len() };
    let len = y.len();
    let mut fit = vec![vec![0.0; len]; layout.field_count()];
    let mut n = vec![0u32; len];
    {
        let mut cols = FactorFitColumns {
            floats: fit.iter_mut().map(|b| b.as_mut_slice()).collect(),
            n: &mut n,
        };
        let lead = LeadBounds {
            inner: bounds,
            lead: lags,
            len,
        };
        rolling_factor_ols(&views, y, &lead, &mut cols)?;
    }
    write_dimson(layout, &fit, &n, lags, out);
    Ok(())
}

/// One Dimson fit over every usable row, written to 1-row buffers.
pub fn dimson(
    x: &[f64],
    y: &[f64],
    lags: usize,
    min_periods: usize,
    out: &mut DimsonColumns<'_>,
) -> Result<(), KernelError> {
    let regressors = dimson_regressors(x, lags);
    let views: Vec<&[f64]> = regressors.iter().map(|c| c.as_slice()).collect();
    let layout = FactorLayout { k: views.len() };
    let mut fit = vec![vec![0.0; 1]; layout.field_count()];
    let mut n = vec![0u32; 1];
    {
        let mut cols = FactorFitColumns {
            floats: fit.iter_mut().map(|b| b.as_mut_slice()).collect(),
            n: &mut n,
        };
        factor_ols(&views, y, min_periods, &mut cols)?;
    }
    write_dimson(layout, &fit, &n, 0, out);
    Ok(())
}

/// The fields of a Scholes-Williams fit, in output order (`n` last).
pub const SCHOLES_WILLIAMS_FIELDS: [&str; 6] =
    ["beta", "beta_lag", "beta_0", "beta_lead", "rho", "n"];

/// Output buffers of a Scholes-Williams fit, in [`SCHOLES_WILLIAMS_FIELDS`] order.
#[derive(Debug)]
pub struct ScholesWilliamsColumns<'a> {
    pub floats: [&'a mut [f64]; 5],
    pub n: &'a mut [u32],
}

/// The four series of the Scholes-Williams fits, each NaN where any of `y_s`, `x_{s-1}`,
/// `x_s`, `x_{s+1}` is not finite, so that every fit takes the same rows:
/// `[x_{s-1}, x_s, x_{s+1}, y_s]`.
fn scholes_williams_series(x: &[f64], y: &[f64]) -> [Vec<f64>; 4] {
    let (lag, lead) = (shifted(x, -1), shifted(x, 1));
    let mut series = [lag, x.to_vec(), lead, y.to_vec()];
    for s in 0..y.len() {
        if !series.iter().all(|c| c[s].is_finite()) {
            for c in series.iter_mut() {
                c[s] = f64::NAN;
            }
        }
    }
    series
}

/// `(b_- + b_0 + b_+) / (1 + 2 rho)` from the slopes and the market's autocorrelation, the
/// latter from the fit of `x_s` on `x_{s-1}`: `rho = sign(slope) sqrt(r2)`.
fn combine(slopes: [f64; 3], rho_slope: f64, rho_r2: f64) -> [f64; 5] {
    let rho = rho_slope.signum() * rho_r2.sqrt();
    let beta = (slopes[0] + slopes[1] + slopes[2]) / (1.0 + 2.0 * rho);
    [beta, slopes[0], slopes[1], slopes[2], rho]
}

/// Per row: a slope, an R² and a row count.
type Slopes = (Vec<f64>, Vec<f64>, Vec<u32>);

/// Slope and R² of `y` on `x` over `bounds`' windows (rolling) into `slope`, `r2`, `n`.
fn slopes(
    x: &[f64],
    y: &[f64],
    bounds: &impl WindowBounds,
    with_r2: bool,
) -> Result<Slopes, KernelError> {
    let len = y.len();
    let (mut beta, mut r2, mut n) = (vec![0.0; len], vec![f64::NAN; len], vec![0u32; len]);
    let mut cols = SimpleFitColumns {
        beta: Some(&mut beta),
        r2: with_r2.then_some(r2.as_mut_slice()),
        n: Some(&mut n),
        ..Default::default()
    };
    rolling_simple_ols(x, y, bounds, &mut cols)?;
    Ok((beta, r2, n))
}

/// Rolling Scholes-Williams beta of `y` on the market `x`.
pub fn rolling_scholes_williams(
    x: &[f64],
    y: &[f64],
    bounds: &impl WindowBounds,
    out: &mut ScholesWilliamsColumns<'_>,
) -> Result<(), KernelError> {
    let len = y.len();
    let [lag, now, lead, ym] = scholes_williams_series(x, y);
    let lead_bounds = LeadBounds {
        inner: bounds,
        lead: 1,
        len,
    };
    let (b_lag, _, n) = slopes(&lag, &ym, &lead_bounds, false)?;
    let (b_now, _, _) = slopes(&now, &ym, &lead_bounds, false)?;
    let (b_lead, _, _) = slopes(&lead, &ym, &lead_bounds, false)?;
    let (rho_slope, rho_r2, _) = slopes(&lag, &now, &lead_bounds, true)?;
    for t in 0..len {
        let values = if t >= 1 {
            let s = t - 1;
            combine([b_lag[s], b_now[s], b_lead[s]], rho_slope[s], rho_r2[s])
        } else {
            [f64::NAN; 5]
        };
        for (buf, v) in out.floats.iter_mut().zip(values) {
            buf[t] = v;
        }
        out.n[t] = if t >= 1 { n[t - 1] } else { 0 };
    }
    Ok(())
}

/// One Scholes-Williams fit over every usable row, written to 1-row buffers.
pub fn scholes_williams(
    x: &[f64],
    y: &[f64],
    min_periods: usize,
    out: &mut ScholesWilliamsColumns<'_>,
) -> Result<(), KernelError> {
    let len = y.len();
    // The last row's window, expanding from the first row: every usable row.
    let spec = super::window::WindowSpec::new(super::window::Window::Expanding, min_periods)?;
    let [lag, now, lead, ym] = scholes_williams_series(x, y);
    let last = |v: Vec<f64>| v.last().copied().unwrap_or(f64::NAN);
    let (b_lag, _, n) = slopes(&lag, &ym, &spec, false)?;
    let (b_now, _, _) = slopes(&now, &ym, &spec, false)?;
    let (b_lead, _, _) = slopes(&lead, &ym, &spec, false)?;
    let (rho_slope, rho_r2, _) = slopes(&lag, &now, &spec, true)?;
    let values = if len == 0 {
        [f64::NAN; 5]
    } else {
        combine(
            [last(b_lag), last(b_now), last(b_lead)],
            last(rho_slope),
            last(rho_r2),
        )
    };
    for (buf, v) in out.floats.iter_mut().zip(values) {
        buf[0] = v;
    }
    out.n[0] = n.last().copied().unwrap_or(0);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::lcg_series;
    use crate::window::{Window, WindowSpec};

    /// OLS of `y` on the columns of `x` with a constant by normal equations: the coefficients.
    fn ols(xs: &[Vec<f64>], y: &[f64]) -> Vec<f64> {
        let k = xs.len() + 1;
        let n = y.len();
        let row = |i: usize| -> Vec<f64> {
            let mut r = vec![1.0];
            r.extend(xs.iter().map(|c| c[i]));
            r
        };
        let mut a = vec![0.0; k * k];
        let mut b = vec![0.0; k];
        for i in 0..n {
            let r = row(i);
            for p in 0..k {
                b[p] += r[p] * y[i];
                for q in 0..k {
                    a[p * k + q] += r[p] * r[q];
                }
            }
        }
        // Gaussian elimination without pivoting: the Gram matrix is positive definite.
        for c in 0..k {
            for r in c + 1..k {
                let f = a[r * k + c] / a[c * k + c];
                for q in c..k {
                    a[r * k + q] -= f * a[c * k + q];
                }
                b[r] -= f * b[c];
            }
        }
        let mut out = vec![0.0; k];
        for r in (0..k).rev() {
            let s: f64 = (r + 1..k).map(|q| a[r * k + q] * out[q]).sum();
            out[r] = (b[r] - s) / a[r * k + r];
        }
        out
    }

    fn data(len: usize) -> (Vec<f64>, Vec<f64>) {
        let x = lcg_series(41, len, 0.04);
        let e = lcg_series(42, len, 0.02);
        let mut y: Vec<f64> = (0..len)
            .map(|t| {
                let prev = if t > 0 { x[t - 1] } else { 0.0 };
                0.6 * x[t] + 0.4 * prev + e[t]
            })
            .collect();
        y[17] = f64::NAN;
        let mut x = x;
        x[40] = f64::NAN;
        (x, y)
    }

    #[test]
    fn dimson_sums_the_lag_coefficients_without_look_ahead() {
        let (x, y) = data(200);
        let lags = 2;
        let spec = WindowSpec::new(Window::Rows(60), 30).unwrap();
        let len = y.len();
        let mut bufs = vec![vec![0.0; len]; 6];
        let mut n = vec![0u32; len];
        {
            let [a, b, c, d, e, f] = &mut bufs[..] else {
                unreachable!()
            };
            let mut out = DimsonColumns {
                floats: [a, b, c, d, e, f],
                n: &mut n,
            };
            rolling_dimson(&x, &y, &spec, lags, &mut out).unwrap();
        }
        let mut compared = 0;
        for t in 0..len {
            // Rows of t's window whose lead is at most t, with every value present.
            let rows: Vec<usize> = (spec.start(t)..=t)
                .filter(|&s| s + lags <= t && s >= lags)
                .filter(|&s| y[s].is_finite() && (s - lags..=s + lags).all(|j| x[j].is_finite()))
                .collect();
            assert_eq!(n[t] as usize, rows.len(), "row {t}");
            if rows.len() < 30 {
                assert!(bufs[1][t].is_nan());
                continue;
            }
            let cols: Vec<Vec<f64>> = (0..=2 * lags)
                .map(|j| rows.iter().map(|&s| x[s + j - lags]).collect())
                .collect();
            let ys: Vec<f64> = rows.iter().map(|&s| y[s]).collect();
            let coef = ols(&cols, &ys);
            let sum: f64 = coef[1..].iter().sum();
            assert!((bufs[1][t] - sum).abs() < 1e-10 * sum.abs(), "row {t}");
            assert!((bufs[0][t] - coef[0]).abs() < 1e-10);
            compared += 1;
        }
        assert!(compared > 100);
    }

    #[test]
    fn scholes_williams_from_three_slopes() {
        let (x, y) = data(150);
        let spec = WindowSpec::new(Window::Rows(50), 20).unwrap();
        let len = y.len();
        let mut bufs = vec![vec![0.0; len]; 5];
        let mut n = vec![0u32; len];
        {
            let [a, b, c, d, e] = &mut bufs[..] else {
                unreachable!()
            };
            let mut out = ScholesWilliamsColumns {
                floats: [a, b, c, d, e],
                n: &mut n,
            };
            rolling_scholes_williams(&x, &y, &spec, &mut out).unwrap();
        }
        let slope = |a: &[f64], b: &[f64]| {
            let n = a.len() as f64;
            let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
            let sab: f64 = a.iter().zip(b).map(|(p, q)| (p - ma) * (q - mb)).sum();
            let saa: f64 = a.iter().map(|p| (p - ma) * (p - ma)).sum();
            let sbb: f64 = b.iter().map(|q| (q - mb) * (q - mb)).sum();
            (sab / saa, sab / (saa * sbb).sqrt())
        };
        let mut compared = 0;
        for t in 0..len {
            let rows: Vec<usize> = (spec.start(t)..=t)
                .filter(|&s| s >= 1 && s < t)
                .filter(|&s| y[s].is_finite() && (s - 1..=s + 1).all(|j| x[j].is_finite()))
                .collect();
            assert_eq!(n[t] as usize, rows.len(), "row {t}");
            if rows.len() < 20 {
                assert!(bufs[0][t].is_nan());
                continue;
            }
            let col = |d: usize| rows.iter().map(|&s| x[s + d - 1]).collect::<Vec<f64>>();
            let ys: Vec<f64> = rows.iter().map(|&s| y[s]).collect();
            let (bm, _) = slope(&col(0), &ys);
            let (b0, _) = slope(&col(1), &ys);
            let (bp, _) = slope(&col(2), &ys);
            let (_, rho) = slope(&col(0), &col(1));
            let want = (bm + b0 + bp) / (1.0 + 2.0 * rho);
            assert!((bufs[0][t] - want).abs() < 1e-10 * want.abs(), "row {t}");
            assert!((bufs[4][t] - rho).abs() < 1e-10);
            compared += 1;
        }
        assert!(compared > 80);
    }
}
