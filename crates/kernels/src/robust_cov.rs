//! Robust standard errors of OLS coefficients: White's heteroskedasticity-consistent HC0 and
//! HC1, and Newey-West's HAC with Bartlett weights, over rolling windows and whole samples.
//!
//! The covariance is the sandwich `B⁻¹ S B⁻¹` of statsmodels
//! `OLS(y, X).fit(cov_type=..., cov_kwds={"maxlags": L, "use_correction": False})` on the
//! window's usable rows: `B = X'X`, and with `h_t = e_t z_t` (residual times regressors)
//! `S = Σ_t h_t h_t' + Σ_{l=1..L} w_l Σ_t (h_t h_{t-l}' + h_{t-l} h_t')`, `w_l = 1 - l/(L+1)`,
//! where the lags run over the usable rows in order (rows with a missing value are dropped
//! before the lags are formed). HC0 is `L = 0`; HC1 scales HC0 by `n / (n - k)`.
//!
//! **Sliding form.** With `w_t = (1, x_t - o, y_t - o_y)` about an origin `o` and
//! `z_t = (1, x_t - o)` its first `k` entries, the residual is `e_t = g · w_t` for
//! `g = (-c, -beta, 1)`, so `S` is a contraction of
//! `V = Σ_t Σ_l ω_l q_t q_{t-l}'` with `q_t = w_t ⊗ z_t` and `ω_0 = 1/2`, `ω_l = w_l`:
//! `S_ij = Σ_ab g_a g_b (V + V')_{(a,i),(b,j)}`. `V` does not depend on the coefficients,
//! so it is updated as rows enter (`V += q_t (Σ_l ω_l q_{t-l})'`) and leave
//! (`V -= (Σ_l ω_l q_{s+l}) q_s'`): `O(L k² + k⁴)` per row for `k` regressors. The result is
//! moved to a basis centered on the window's means, where `B` is block-diagonal.
//!
//! **Numerics.** The origin is the window's mean at the last rebuild, so `w_t` is small and
//! centered-ish. The sums are rebuilt from the rows at least once per window length of
//! removals, and when a sum of squares `Σ q²` falls below [`CANCELLATION_RATIO`] of its
//! peak since the last rebuild (an outlier left). Each window's result is checked against
//! a bound on the rounding of the contraction (from those peaks); a window whose `S` is
//! too small next to that bound (a near-perfect fit, where the residuals are tiny beside
//! the data) is recomputed directly from its rows in `O(window · L · k²)`.
//!
//! **Layout.** `q` keeps each distinct product once (5 entries for one factor). A row
//! leaving and one entering update `V` in one pass. For one factor on a row window where no
//! row is missing, the full windows are cut into four runs slid side by side, so that
//! each update is one operation on a vector of lanes; each run starts from a window summed
//! from its rows. The variances of a one-factor fit are computed a block of rows at a time.
//!
//! The coefficients come from the ordinary fit ([`crate::rolling_ols`],
//! [`crate::factor_ols`]); where that fit is NaN, so are the robust standard errors. They
//! are NaN too when `n <= k` (no residual degrees of freedom), as the ordinary ones are.

// The contractions index several matrices at once, as the formulas are written.
#![allow(clippy::needless_range_loop)]

use super::factor_ols::{FactorFitColumns, FactorLayout};
use super::moments::clamp_non_negative;
use super::rolling_ols::{rolling_simple_ols, SimpleFit, SimpleFitColumns};
use super::tolerances::CANCELLATION_RATIO;
use super::window::WindowBounds;
use super::KernelError;

/// A window whose robust `S` is below this fraction of the bound on its magnitudes is
/// recomputed from its rows. The bound is the sum of the magnitudes the sliding sums carry
/// (Cauchy-Schwarz on their peaks since the last rebuild), each summed with a relative rounding
/// of a few ulps times the rows since the rebuild; at this ratio `S` keeps at least ten digits
/// (ordinary fits stay on the sliding path; near-perfect ones are summed from their rows).
pub const DIRECT_BELOW: f64 = 1e-4;

/// The covariance estimators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CovType {
    Hc0,
    Hc1,
    Hac,
}

/// A robust covariance: the estimator and, for HAC, the number of lags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RobustSpec {
    pub cov_type: CovType,
    pub maxlags: usize,
}

impl RobustSpec {
    /// The accepted `cov_type` names, `"nonrobust"` first.
    pub const NAMES: [&'static str; 4] = ["nonrobust", "HC0", "HC1", "HAC"];

    /// The spec of `cov_type` (`None` for `"nonrobust"`), or a message naming the argument
    /// at fault. `maxlags` is required by HAC and refused by the others.
    pub fn parse(cov_type: &str, maxlags: Option<usize>) -> Result<Option<Self>, String> {
        let kind = match cov_type {
            "nonrobust" => None,
            "HC0" => Some(CovType::Hc0),
            "HC1" => Some(CovType::Hc1),
            "HAC" => Some(CovType::Hac),
            other => {
                return Err(format!(
                    "cov_type must be one of {}, got {other:?}",
                    Self::NAMES.map(|n| format!("{n:?}")).join(", ")
                ))
            }
        };
        match (kind, maxlags) {
            (Some(CovType::Hac), Some(maxlags)) => Ok(Some(Self {
                cov_type: CovType::Hac,
                maxlags,
            })),
            (Some(CovType::Hac), None) => {
                Err("cov_type=\"HAC\" needs maxlags, a number of lags >= 0".into())
            }
            (_, Some(_)) => Err(format!(
                "maxlags applies only to cov_type=\"HAC\", got cov_type={cov_type:?}"
            )),
            (kind, None) => Ok(kind.map(|cov_type| Self {
                cov_type,
                maxlags: 0,
            })),
        }
    }

    /// Lags in the meat: `maxlags` for HAC, none for HC0 and HC1.
    pub fn lags(&self) -> usize {
        match self.cov_type {
            CovType::Hac => self.maxlags,
            _ => 0,
        }
    }

    /// `ω_0 = 1/2` (the lag-0 term appears once in `V + V'`), `ω_l = 1 - l / (L + 1)`, for
    /// the lags that pair any of `rows` rows (a lag of `rows` or more pairs none, so a huge
    /// `maxlags` costs nothing).
    fn half_weights(&self, rows: usize) -> Vec<f64> {
        let lags = self.lags();
        (0..=lags.min(rows.saturating_sub(1)))
            .map(|l| {
                if l == 0 {
                    0.5
                } else {
                    1.0 - l as f64 / (lags as f64 + 1.0)
                }
            })
            .collect()
    }

    /// The small-sample factor: `n / (n - k)` for HC1, 1 otherwise.
    fn scale(&self, n: usize, k: usize) -> f64 {
        match self.cov_type {
            CovType::Hc1 => n as f64 / (n - k) as f64,
            _ => 1.0,
        }
    }
}

/// The regression's columns, in time order: the factors (one for CAPM) and `y`.
#[derive(Debug, Clone, Copy)]
pub struct Regression<'a> {
    pub factors: &'a [&'a [f64]],
    pub y: &'a [f64],
}

impl Regression<'_> {
    fn len(&self) -> usize {
        self.y.len()
    }

    /// True when every value of row `t` is finite (the row takes part in a fit).
    #[inline]
    fn usable(&self, t: usize) -> bool {
        self.y[t].is_finite() && self.factors.iter().all(|f| f[t].is_finite())
    }

    /// `(x_1 .. x_p, y)` of row `t`.
    #[inline]
    fn values(&self, t: usize, out: &mut [f64]) {
        let p = self.factors.len();
        for (j, f) in self.factors.iter().enumerate() {
            out[j] = f[t];
        }
        out[p] = self.y[t];
    }
}

/// The ordinary fit's coefficients per row: NaN where there is no fit.
#[derive(Debug, Clone, Copy)]
pub struct Coefficients<'a> {
    pub alpha: &'a [f64],
    pub betas: &'a [&'a [f64]],
}

/// Output buffers of the robust fields; a `None` field is not written.
#[derive(Debug, Default)]
pub struct RobustColumns<'a> {
    pub alpha_se: Option<&'a mut [f64]>,
    pub beta_se: Vec<Option<&'a mut [f64]>>,
    pub alpha_t: Option<&'a mut [f64]>,
    pub beta_t: Vec<Option<&'a mut [f64]>>,
}

/// Variances of one window's coefficients: the intercept, then each slope.
#[derive(Debug, Clone, PartialEq)]
pub struct RobustVariances {
    pub alpha: f64,
    pub betas: Vec<f64>,
}

impl RobustVariances {
    fn parts(&self) -> (f64, &[f64]) {
        (self.alpha, &self.betas)
    }
}

impl<'a> RobustColumns<'a> {
    /// The columns of the first `rows` rows.
    fn head(&mut self, rows: usize) -> RobustColumns<'_> {
        fn cut<'b>(column: &'b mut Option<&'_ mut [f64]>, rows: usize) -> Option<&'b mut [f64]> {
            column.as_deref_mut().map(|c| &mut c[..rows])
        }
        RobustColumns {
            alpha_se: cut(&mut self.alpha_se, rows),
            beta_se: self.beta_se.iter_mut().map(|c| cut(c, rows)).collect(),
            alpha_t: cut(&mut self.alpha_t, rows),
            beta_t: self.beta_t.iter_mut().map(|c| cut(c, rows)).collect(),
        }
    }

    /// Row `t` of a one-factor fit: the standard errors and t-values of alpha and beta.
    #[inline]
    fn write_one(&mut self, t: usize, se: [f64; 2], t_value: [f64; 2]) {
        if let Some(b) = &mut self.alpha_se {
            b[t] = se[0];
        }
        if let Some(b) = &mut self.alpha_t {
            b[t] = t_value[0];
        }
        if let Some(Some(b)) = self.beta_se.first_mut() {
            b[t] = se[1];
        }
        if let Some(Some(b)) = self.beta_t.first_mut() {
            b[t] = t_value[1];
        }
    }

    /// Writes row `t` from the variances `(alpha, betas)`, or NaN without them.
    fn write(&mut self, t: usize, coef: &Coefficients<'_>, var: Option<(f64, &[f64])>) {
        let p = coef.betas.len();
        let se = |v: Option<f64>| v.map_or(f64::NAN, |v| clamp_non_negative(v).sqrt());
        let ratio = |c: f64, s: f64| if s > 0.0 { c / s } else { f64::NAN };
        let a_se = se(var.map(|v| v.0));
        if let Some(b) = &mut self.alpha_se {
            b[t] = a_se;
        }
        if let Some(b) = &mut self.alpha_t {
            b[t] = ratio(coef.alpha[t], a_se);
        }
        for j in 0..p {
            let b_se = se(var.map(|v| v.1[j]));
            if let Some(Some(b)) = self.beta_se.get_mut(j) {
                b[t] = b_se;
            }
            if let Some(Some(b)) = self.beta_t.get_mut(j) {
                b[t] = ratio(coef.betas[j][t], b_se);
            }
        }
    }
}

/// From the centered meat `s` (`k x k`, regressors `(1, x - mean)`), the factors' centered
/// co-moments `c` (`p x p`), the row count and the factors' means in the data's units: the
/// variances of alpha and the betas. `None` when `c` is not positive definite.
fn sandwich(
    n: usize,
    s: &[f64],
    c: &[f64],
    means: &[f64],
    spec: &RobustSpec,
) -> Option<RobustVariances> {
    let p = means.len();
    let k = p + 1;
    let chol = cholesky(c, p)?;
    let nf = n as f64;
    // C⁻¹ times the slope block's columns of S, and C⁻¹ S_x0.
    let mut cinv_s = vec![0.0; p * k];
    for col in 0..k {
        let rhs: Vec<f64> = (0..p).map(|i| s[(i + 1) * k + col]).collect();
        let sol = chol_solve(&chol, p, &rhs);
        for i in 0..p {
            cinv_s[i * k + col] = sol[i];
        }
    }
    // Var(beta) = C⁻¹ S_xx C⁻¹: solve again on the rows of C⁻¹ S_xx.
    let mut var_beta = vec![0.0; p * p];
    for i in 0..p {
        let rhs: Vec<f64> = (0..p).map(|j| cinv_s[i * k + j + 1]).collect();
        let sol = chol_solve(&chol, p, &rhs);
        for j in 0..p {
            var_beta[i * p + j] = sol[j];
        }
    }
    // Cov(intercept at the means, beta) = C⁻¹ S_x0 / n; Var(that intercept) = S_00 / n².
    let cov_cb: Vec<f64> = (0..p).map(|i| cinv_s[i * k] / nf).collect();
    let var_c = s[0] / (nf * nf);
    // alpha = intercept at the means - beta · means.
    let mut var_alpha = var_c;
    for i in 0..p {
        var_alpha -= 2.0 * means[i] * cov_cb[i];
        for j in 0..p {
            var_alpha += means[i] * var_beta[i * p + j] * means[j];
        }
    }
    let scale = spec.scale(n, k);
    Some(RobustVariances {
        alpha: var_alpha * scale,
        betas: (0..p).map(|i| var_beta[i * p + i] * scale).collect(),
    })
}

/// Lower Cholesky factor of the `p x p` matrix `a`, or `None` when a pivot is not positive.
fn cholesky(a: &[f64], p: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..=i {
            let mut sum = a[i * p + j];
            for m in 0..j {
                sum -= l[i * p + m] * l[j * p + m];
            }
            if i == j {
                if sum.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) || !sum.is_finite() {
                    return None;
                }
                l[i * p + i] = sum.sqrt();
            } else {
                l[i * p + j] = sum / l[j * p + j];
            }
        }
    }
    Some(l)
}

fn chol_solve(l: &[f64], p: usize, b: &[f64]) -> Vec<f64> {
    let mut y = b.to_vec();
    for i in 0..p {
        for m in 0..i {
            y[i] -= l[i * p + m] * y[m];
        }
        y[i] /= l[i * p + i];
    }
    for i in (0..p).rev() {
        for m in i + 1..p {
            y[i] -= l[m * p + i] * y[m];
        }
        y[i] /= l[i * p + i];
    }
    y
}

/// Robust variances of one window computed directly from its usable rows `rows` (indices
/// in time order), with the slopes `betas`: two-pass means about a row of the window, the
/// residuals, then the meat's lagged sums. `O(n L k²)`.
fn direct(
    reg: &Regression<'_>,
    rows: &[usize],
    betas: &[f64],
    spec: &RobustSpec,
) -> Option<RobustVariances> {
    let p = reg.factors.len();
    let k = p + 1;
    let n = rows.len();
    if n <= k {
        return None;
    }
    let nf = n as f64;
    let mut vals = vec![0.0; p + 1];
    // Origin: the last row, so the differences are exact; then the means of the differences.
    reg.values(*rows.last()?, &mut vals);
    let origin = vals.clone();
    let mut mean = vec![0.0; p + 1];
    for &t in rows {
        reg.values(t, &mut vals);
        for j in 0..=p {
            mean[j] += vals[j] - origin[j];
        }
    }
    mean.iter_mut().for_each(|m| *m /= nf);
    // One correction pass folds the mean's rounding back in.
    let mut fix = vec![0.0; p + 1];
    for &t in rows {
        reg.values(t, &mut vals);
        for j in 0..=p {
            fix[j] += (vals[j] - origin[j]) - mean[j];
        }
    }
    for j in 0..=p {
        mean[j] += fix[j] / nf;
    }
    // The centered co-moments of the factors and with y; the slopes are solved from them
    // afresh: a residual at a high-leverage row moves with the slope's last digits, which
    // a sliding fit after an outlier may not carry.
    let mut u = vec![0.0; n * (p + 1)];
    let mut c = vec![0.0; p * p];
    let mut cy = vec![0.0; p];
    for (r, &t) in rows.iter().enumerate() {
        reg.values(t, &mut vals);
        let ur = &mut u[r * (p + 1)..(r + 1) * (p + 1)];
        for j in 0..=p {
            ur[j] = (vals[j] - origin[j]) - mean[j];
        }
        for i in 0..p {
            cy[i] += ur[i] * ur[p];
            for j in 0..p {
                c[i * p + j] += ur[i] * ur[j];
            }
        }
    }
    let chol = cholesky(&c, p)?;
    let solved = chol_solve(&chol, p, &cy);
    let betas: Vec<f64> = if solved.iter().all(|v| v.is_finite()) {
        solved
    } else {
        betas.to_vec()
    };
    // h_t = e_t (1, x_t - mean).
    let mut h = vec![0.0; n * k];
    for r in 0..n {
        let ur = &u[r * (p + 1)..(r + 1) * (p + 1)];
        let mut e = ur[p];
        for j in 0..p {
            e -= betas[j] * ur[j];
        }
        h[r * k] = e;
        for j in 0..p {
            h[r * k + 1 + j] = e * ur[j];
        }
    }
    let weights = spec.half_weights(n);
    let mut s = vec![0.0; k * k];
    for (l, &w) in weights.iter().enumerate() {
        if l >= n {
            break;
        }
        // ω_l Σ_t h_t h_{t-l}', added with its transpose (ω_0 = 1/2 gives the lag-0 term).
        for r in l..n {
            for i in 0..k {
                let hi = h[r * k + i] * w;
                for j in 0..k {
                    s[i * k + j] += hi * h[(r - l) * k + j];
                }
            }
        }
    }
    let s_sym: Vec<f64> = (0..k * k)
        .map(|ij| s[ij] + s[(ij % k) * k + ij / k])
        .collect();
    let means: Vec<f64> = (0..p).map(|j| origin[j] + mean[j]).collect();
    sandwich(n, &s_sym, &c, &means, spec)
}

/// Robust variances of one fit over every usable row (the whole-sample form).
pub fn whole_sample(
    reg: &Regression<'_>,
    betas: &[f64],
    spec: &RobustSpec,
) -> Option<RobustVariances> {
    let rows: Vec<usize> = (0..reg.len()).filter(|&t| reg.usable(t)).collect();
    if betas.iter().any(|b| !b.is_finite()) {
        return None;
    }
    direct(reg, &rows, betas, spec)
}

/// True when a sum of squares `sum_sq` fell below [`CANCELLATION_RATIO`] of its `peak` since
/// the last rebuild, or is not finite.
#[inline(always)]
fn collapsed(sum_sq: f64, peak: f64) -> bool {
    sum_sq < CANCELLATION_RATIO * peak || !sum_sq.is_finite()
}

/// True when a value's mean moved so far from the origin that its centered co-moment
/// `Σ w² - n m²` loses more digits than [`CANCELLATION_RATIO`] allows, or a sum is not
/// finite; from `n`, `Σ w` and `Σ w²` about the origin, both sides scaled by `n` (no division).
#[inline(always)]
fn mean_drifted(n: f64, sum: f64, sum_sq: f64) -> bool {
    let level = sum * sum;
    let spread = n * sum_sq - level;
    !(level.is_finite() && spread.is_finite()) || level * CANCELLATION_RATIO > spread
}

/// The lagged cross-moment sums of a sliding window (see the module docs).
///
/// `q = w ⊗ z` holds each distinct product once: `w_a z_i` and `w_i z_a` are the same number
/// for two regressors `a, i < k`, so `q` keeps the upper triangle of `z z'` and then `y z`,
/// `k (k + 1) / 2 + k` entries (5 for one factor, where the full product has 6; 9 for two,
/// against 12). `index` tells where each `w_a z_i` lives.
struct Sliding {
    p: usize,
    d: usize,
    k: usize,
    /// Entries of `q`.
    m: usize,
    /// `index[a * k + i]`: the entry of `q` holding `w_a z_i`.
    index: Vec<usize>,
    weights: Vec<f64>,
    /// `Σ ω_l` over the lags: how many times a row's magnitude enters `V`.
    weight_sum: f64,
    origin: Vec<f64>,
    /// `Σ q`: the count, the sums and the co-moments about the origin, but `Σ y²`, which
    /// is the entry of `y` in `sq`.
    sums: Vec<f64>,
    /// `Σ_t Σ_l ω_l q_t q_{t-l}'` (`m x m`).
    v: Vec<f64>,
    /// `Σ q²` per entry of `q`, its peak since the last rebuild and the peak's root (taken
    /// only when the peak grows, for the rounding bound of every row).
    sq: Vec<f64>,
    peak: Vec<f64>,
    root_peak: Vec<f64>,
    /// `q` of the usable rows from position `base` on (computed on entry or at the last
    /// rebuild); the rows before the window are dropped now and then, so the buffer holds
    /// about a window, not the series.
    qs: Vec<f64>,
    base: usize,
    w: Vec<f64>,
    /// Scratch for the lag sums of a row entering and of one leaving.
    r_in: Vec<f64>,
    r_out: Vec<f64>,
}

/// A row leaving the window (usable position `pos`, the window holding `pos..hi`) and a row
/// entering it (`pos`, after the rows from `lo` on): the pairs each makes inside the window.
#[derive(Debug, Clone, Copy)]
struct Leaving {
    pos: usize,
    hi: usize,
}

#[derive(Debug, Clone, Copy)]
struct Entering {
    pos: usize,
    lo: usize,
}

/// `Σ_l ω_l q_(pos ∓ l)` over the `reach` nearest rows on one side (the row itself first):
/// backwards for a row entering, forwards for one leaving. Positions are relative to the
/// buffer's base.
#[inline(always)]
fn lag_sum<const M: usize>(
    rows: &[[f64; M]],
    weights: &[f64],
    pos: usize,
    reach: usize,
    backward: bool,
) -> [f64; M] {
    let lags = weights.len().min(reach);
    let weights = &weights[..lags];
    let mut r = [0.0; M];
    // One slice of the rows, walked nearest first: no index to check per lag.
    let mut add = |wl: f64, q: &[f64; M]| {
        for j in 0..M {
            r[j] += wl * q[j];
        }
    };
    if backward {
        for (&wl, q) in weights.iter().zip(rows[pos + 1 - lags..=pos].iter().rev()) {
            add(wl, q);
        }
    } else {
        for (&wl, q) in weights.iter().zip(&rows[pos..pos + lags]) {
            add(wl, q);
        }
    }
    r
}

impl Sliding {
    fn new(p: usize, spec: &RobustSpec, usable_rows: usize) -> Self {
        let (d, k) = (p + 2, p + 1);
        let tri = k * (k + 1) / 2;
        let m = tri + k;
        let mut index = vec![0; d * k];
        for a in 0..d {
            for i in 0..k {
                index[a * k + i] = if a < k {
                    // Row `lo` of the upper triangle starts after `lo k - lo (lo - 1) / 2`.
                    let (lo, hi) = (a.min(i), a.max(i));
                    lo * (2 * k + 1 - lo) / 2 + (hi - lo)
                } else {
                    tri + i
                };
            }
        }
        let weights = spec.half_weights(usable_rows);
        let weight_sum = weights.iter().sum();
        Self {
            p,
            d,
            k,
            m,
            index,
            weights,
            weight_sum,
            origin: vec![0.0; p + 1],
            sums: vec![0.0; m],
            v: vec![0.0; m * m],
            sq: vec![0.0; m],
            peak: vec![0.0; m],
            root_peak: vec![0.0; m],
            qs: Vec::with_capacity(usable_rows.min(1024) * m),
            base: 0,
            w: vec![0.0; d],
            r_in: vec![0.0; m],
            r_out: vec![0.0; m],
        }
    }

    fn clear(&mut self) {
        self.sums.fill(0.0);
        self.v.fill(0.0);
        self.sq.fill(0.0);
        self.peak.fill(0.0);
        self.root_peak.fill(0.0);
    }

    /// The entry of `q` holding `y` (`y z_0`).
    fn y_entry(&self) -> usize {
        self.k * (self.k + 1) / 2
    }

    /// `Σ w_a w_b` over the window.
    #[inline(always)]
    fn comoment(&self, a: usize, b: usize) -> f64 {
        let (k, y) = (self.k, self.d - 1);
        match (a == y, b == y) {
            (true, true) => self.sq[self.y_entry()],
            (false, true) => self.sums[self.index[b * k + a]],
            _ => self.sums[self.index[a * k + b]],
        }
    }

    /// Computes `q` of row `t` (from `w = (1, x - o, y - o_y)`), stored at usable position
    /// `pos`.
    #[inline(always)]
    fn load(&mut self, reg: &Regression<'_>, t: usize, pos: usize) {
        let (p, k, m) = (self.p, self.k, self.m);
        let at = (pos - self.base) * m;
        if self.qs.len() < at + m {
            self.qs.resize(at + m, 0.0);
        }
        if p == 1 {
            // The products below for one factor, written out: every row comes here.
            let wx = reg.factors[0][t] - self.origin[0];
            let wy = reg.y[t] - self.origin[1];
            self.qs[at..at + m].copy_from_slice(&one_factor_products(wx, wy));
            return;
        }
        self.w[0] = 1.0;
        for j in 0..p {
            self.w[1 + j] = reg.factors[j][t] - self.origin[j];
        }
        self.w[p + 1] = reg.y[t] - self.origin[p];
        let q = &mut self.qs[at..at + m];
        let mut e = 0;
        for lo in 0..k {
            for hi in lo..k {
                q[e] = self.w[lo] * self.w[hi];
                e += 1;
            }
        }
        for i in 0..k {
            q[e] = self.w[p + 1] * self.w[i];
            e += 1;
        }
    }

    /// Row `t` at usable position `entering.pos` joins the window; `leaving`, when given,
    /// leaves it first (both in one pass over `V`).
    #[inline(always)]
    fn step(
        &mut self,
        reg: &Regression<'_>,
        t: usize,
        entering: Entering,
        leaving: Option<Leaving>,
    ) {
        self.load(reg, t, entering.pos);
        self.update(Some(entering), leaving);
    }

    /// The row at usable position `lo` leaves a window holding positions `lo..hi`.
    #[inline(always)]
    fn leave(&mut self, lo: usize, hi: usize) {
        self.update(None, Some(Leaving { pos: lo, hi }));
    }

    #[inline(always)]
    fn update(&mut self, entering: Option<Entering>, leaving: Option<Leaving>) {
        // A fixed size lets the compiler unroll the products: the common shapes have their
        // own copies (one, two and three factors).
        match self.m {
            5 => self.slide::<5>(entering, leaving),
            9 => self.slide::<9>(entering, leaving),
            14 => self.slide::<14>(entering, leaving),
            _ => self.slide_any(entering, leaving),
        }
    }

    /// The update of `V` and the sums for a row entering (its pairs with the rows before it
    /// in the window: `V += q r'`, the row is the later of each pair) and one leaving (its
    /// pairs with the rows after it: `V -= r q'`).
    #[inline(always)]
    fn slide<const M: usize>(&mut self, entering: Option<Entering>, leaving: Option<Leaving>) {
        let base = self.base;
        let (rows, _) = self.qs.as_chunks::<M>();
        let weights = &self.weights;
        let into = entering.map(|e| {
            let r = lag_sum::<M>(rows, weights, e.pos - base, e.pos - e.lo + 1, true);
            (rows[e.pos - base], r)
        });
        let out = leaving.map(|o| {
            let r = lag_sum::<M>(rows, weights, o.pos - base, o.hi - o.pos, false);
            (rows[o.pos - base], r)
        });
        let (v, _) = self.v.as_chunks_mut::<M>();
        match (into, out) {
            (Some((qi, ri)), Some((qo, ro))) => {
                for i in 0..M {
                    for j in 0..M {
                        v[i][j] += qi[i] * ri[j] - ro[i] * qo[j];
                    }
                }
            }
            (Some((qi, ri)), None) => {
                for i in 0..M {
                    for j in 0..M {
                        v[i][j] += qi[i] * ri[j];
                    }
                }
            }
            (None, Some((qo, ro))) => {
                for i in 0..M {
                    for j in 0..M {
                        v[i][j] -= ro[i] * qo[j];
                    }
                }
            }
            (None, None) => {}
        }
        let (sums, _) = self.sums.as_chunks_mut::<M>();
        let (sq, _) = self.sq.as_chunks_mut::<M>();
        if let Some((qo, _)) = out {
            for j in 0..M {
                sums[0][j] -= qo[j];
                sq[0][j] -= qo[j] * qo[j];
            }
        }
        if let Some((qi, _)) = into {
            for j in 0..M {
                sums[0][j] += qi[j];
                sq[0][j] += qi[j] * qi[j];
            }
            let (peak, _) = self.peak.as_chunks_mut::<M>();
            let (root, _) = self.root_peak.as_chunks_mut::<M>();
            for j in 0..M {
                if sq[0][j] > peak[0][j] {
                    peak[0][j] = sq[0][j];
                    root[0][j] = sq[0][j].sqrt();
                }
            }
        }
    }

    /// [`Sliding::slide`] for any size.
    fn slide_any(&mut self, entering: Option<Entering>, leaving: Option<Leaving>) {
        let (m, base) = (self.m, self.base);
        let row = |pos: usize| (pos - base) * m..(pos - base + 1) * m;
        if let Some(e) = entering {
            self.r_in.fill(0.0);
            for (l, &wl) in self.weights.iter().enumerate().take(e.pos - e.lo + 1) {
                let ql = &self.qs[row(e.pos - l)];
                for (r, &qv) in self.r_in.iter_mut().zip(ql) {
                    *r += wl * qv;
                }
            }
        }
        if let Some(o) = leaving {
            self.r_out.fill(0.0);
            for (l, &wl) in self.weights.iter().enumerate().take(o.hi - o.pos) {
                let ql = &self.qs[row(o.pos + l)];
                for (r, &qv) in self.r_out.iter_mut().zip(ql) {
                    *r += wl * qv;
                }
            }
            let qo = &self.qs[row(o.pos)];
            for i in 0..m {
                let vrow = &mut self.v[i * m..(i + 1) * m];
                for j in 0..m {
                    vrow[j] -= self.r_out[i] * qo[j];
                }
            }
            for j in 0..m {
                self.sums[j] -= qo[j];
                self.sq[j] -= qo[j] * qo[j];
            }
        }
        if let Some(e) = entering {
            let qi = &self.qs[row(e.pos)];
            for i in 0..m {
                let vrow = &mut self.v[i * m..(i + 1) * m];
                for j in 0..m {
                    vrow[j] += qi[i] * self.r_in[j];
                }
            }
            for j in 0..m {
                self.sums[j] += qi[j];
                self.sq[j] += qi[j] * qi[j];
                if self.sq[j] > self.peak[j] {
                    self.peak[j] = self.sq[j];
                    self.root_peak[j] = self.sq[j].sqrt();
                }
            }
        }
    }

    /// `Σ w_a²` of each value but the constant.
    fn square_sums(&self) -> impl Iterator<Item = f64> + '_ {
        (1..self.d).map(|a| self.comoment(a, a))
    }

    /// True when a column's sum of squares is so small or so large (below 1e-140 or above
    /// 1e140) that the fourth powers in `V` underflow or overflow: the sums then lost what
    /// the coefficients (huge for tiny regressors) would scale back up.
    fn out_of_range(&self) -> bool {
        self.square_sums()
            .any(|ss| ss != 0.0 && !(1e-140..=1e140).contains(&ss))
    }

    /// Drops the `q` of the positions before `lo` once they outnumber the window's.
    fn forget_before(&mut self, lo: usize) {
        let dead = lo - self.base;
        let held = self.qs.len() / self.m;
        if dead >= 1024 && 2 * dead >= held {
            self.qs.drain(..dead * self.m);
            self.base = lo;
        }
    }

    /// True when the window's means moved so far from the origin that a centered co-moment
    /// `Σ w² - n m²` would lose more digits than [`CANCELLATION_RATIO`] allows (the origin was
    /// the mean of a window that held an outlier), or a sum is not finite. Both sides are
    /// scaled by `n`, which spares the divisions.
    #[inline(always)]
    fn drifted(&self) -> bool {
        let n = self.sums[0];
        (1..self.d).any(|a| mean_drifted(n, self.comoment(a, 0), self.comoment(a, a)))
    }

    /// True when a sum of squares collapsed below its peak, or a sum overflowed.
    #[inline(always)]
    fn collapsed(&self) -> bool {
        self.sq
            .iter()
            .zip(&self.peak)
            .any(|(&s, &pk)| collapsed(s, pk))
    }

    /// Sums the window's rows `rows` (usable positions `lo..`) afresh, about their mean.
    #[inline(always)]
    fn rebuild(&mut self, reg: &Regression<'_>, rows: &[usize], lo: usize) {
        self.clear();
        let n = rows.len();
        self.origin.fill(0.0);
        if n == 0 {
            return;
        }
        // The mean about the last row (exact differences), as the new origin.
        if self.p == 1 {
            // The same sums as below, without the buffers: a CAPM window rebuilds often.
            let (x, y) = (reg.factors[0], reg.y);
            let last = rows[n - 1];
            let (lx, ly) = (x[last], y[last]);
            let (mut mx, mut my) = (0.0, 0.0);
            for &t in rows {
                mx += x[t] - lx;
                my += y[t] - ly;
            }
            self.origin[0] = lx + mx / n as f64;
            self.origin[1] = ly + my / n as f64;
        } else {
            self.origin_from(reg, rows);
        }
        for (i, &t) in rows.iter().enumerate() {
            self.load(reg, t, lo + i);
        }
        match self.m {
            5 => self.accumulate::<5>(lo, lo + n),
            9 => self.accumulate::<9>(lo, lo + n),
            14 => self.accumulate::<14>(lo, lo + n),
            _ => {
                for pos in lo..lo + n {
                    self.slide_any(Some(Entering { pos, lo }), None);
                }
            }
        }
        // The peaks start at the rebuilt sums.
        self.peak.copy_from_slice(&self.sq);
        for (root, &pk) in self.root_peak.iter_mut().zip(&self.peak) {
            *root = pk.sqrt();
        }
    }

    /// The mean of the usable rows `rows` (not empty), about the last of them, as the origin.
    fn origin_from(&mut self, reg: &Regression<'_>, rows: &[usize]) {
        let n = rows.len();
        let mut vals = vec![0.0; self.p + 1];
        reg.values(rows[n - 1], &mut vals);
        let last = vals.clone();
        let mut mean = vec![0.0; self.p + 1];
        for &t in rows {
            reg.values(t, &mut vals);
            for j in 0..=self.p {
                mean[j] += vals[j] - last[j];
            }
        }
        for j in 0..=self.p {
            self.origin[j] = last[j] + mean[j] / n as f64;
        }
    }

    /// The sums of the loaded rows at usable positions `lo..hi`, entered in order onto
    /// cleared sums, accumulated in locals (the same additions as entering them one by one).
    #[inline(always)]
    fn accumulate<const M: usize>(&mut self, lo: usize, hi: usize) {
        let base = self.base;
        let (rows, _) = self.qs.as_chunks::<M>();
        let mut v = [[0.0; M]; M];
        let (mut sums, mut sq) = ([0.0; M], [0.0; M]);
        for pos in lo..hi {
            let q = rows[pos - base];
            let r = lag_sum::<M>(rows, &self.weights, pos - base, pos - lo + 1, true);
            for i in 0..M {
                for j in 0..M {
                    v[i][j] += q[i] * r[j];
                }
            }
            for j in 0..M {
                sums[j] += q[j];
                sq[j] += q[j] * q[j];
            }
        }
        self.v.copy_from_slice(v.as_flattened());
        self.sums.copy_from_slice(&sums);
        self.sq.copy_from_slice(&sq);
    }

    /// The window's robust variances with the slopes `betas`, or `Err(())` when the sliding
    /// sums cannot be trusted for this window and it must be computed directly.
    #[allow(clippy::result_unit_err)]
    fn variances(&self, betas: &[f64], spec: &RobustSpec) -> Result<Option<RobustVariances>, ()> {
        let (p, d, k, m_len) = (self.p, self.d, self.k, self.m);
        if self.out_of_range() {
            return Err(());
        }
        let n = self.sums[0];
        if n.partial_cmp(&(k as f64)) != Some(std::cmp::Ordering::Greater) {
            return Ok(None);
        }
        // Means of the shifted values; g = (-c, -beta, 1) gives e_t = g · w_t.
        let m: Vec<f64> = (1..d).map(|a| self.comoment(a, 0) / n).collect();
        // Centered co-moments of the factors, and the slopes solved from them: a residual
        // at a high-leverage row moves with a slope's last digits, so the residuals must
        // come from slopes consistent with these sums to rounding.
        let mut cm = vec![0.0; p * p];
        let mut cy = vec![0.0; p];
        for i in 0..p {
            cy[i] = self.comoment(1 + i, p + 1) - n * m[i] * m[p];
            for j in 0..p {
                cm[i * p + j] = self.comoment(1 + i, 1 + j) - n * m[i] * m[j];
            }
        }
        let Some(chol) = cholesky(&cm, p) else {
            return Err(());
        };
        let solved = chol_solve(&chol, p, &cy);
        let betas = if solved.iter().all(|b| b.is_finite()) {
            solved.as_slice()
        } else {
            betas
        };
        let mut g = vec![0.0; d];
        let mut c = m[p];
        for j in 0..p {
            c -= betas[j] * m[j];
            g[1 + j] = -betas[j];
        }
        g[0] = -c;
        g[d - 1] = 1.0;
        // h_t,i = e_t z_t,i = G_i · q_t, with G_i gathering g onto the entries of q.
        let mut gq = vec![0.0; k * m_len];
        for i in 0..k {
            for a in 0..d {
                gq[i * m_len + self.index[a * k + i]] += g[a];
            }
        }
        // s1[i][j] = G_i' V G_j.
        let mut s1 = vec![0.0; k * k];
        let mut vg = vec![0.0; m_len];
        for j in 0..k {
            let gj = &gq[j * m_len..(j + 1) * m_len];
            for (e, out) in vg.iter_mut().enumerate() {
                let row = &self.v[e * m_len..(e + 1) * m_len];
                *out = row.iter().zip(gj).map(|(v, g)| v * g).sum();
            }
            for i in 0..k {
                let gi = &gq[i * m_len..(i + 1) * m_len];
                s1[i * k + j] = gi.iter().zip(&vg).map(|(g, v)| g * v).sum();
            }
        }
        // S' = s1 + s1' in the shifted basis; A moves it to z - mean: ẑ_i = z_i - m_i z_0.
        let sp: Vec<f64> = (0..k * k)
            .map(|ij| s1[ij] + s1[(ij % k) * k + ij / k])
            .collect();
        let a_mat = |i: usize, j: usize| -> f64 {
            if i == j {
                1.0
            } else if j == 0 {
                -m[i - 1]
            } else {
                0.0
            }
        };
        let mut s = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                let mut sum = 0.0;
                let xs: &[usize] = if i == 0 { &[0] } else { &[0, i] };
                let ys: &[usize] = if j == 0 { &[0] } else { &[0, j] };
                for &x in xs {
                    for &y in ys {
                        sum += a_mat(i, x) * sp[x * k + y] * a_mat(j, y);
                    }
                }
                s[i * k + j] = sum;
            }
        }
        // The rounding bound per regressor: 2 Σω (Σ_j |A_ij| Σ_a |g_a| sqrt(peak_(a,j)))².
        for i in 0..k {
            let xs: &[usize] = if i == 0 { &[0] } else { &[0, i] };
            let mut h = 0.0;
            for &j in xs {
                let aij = a_mat(i, j).abs();
                for a in 0..d {
                    h += aij * g[a].abs() * self.root_peak[self.index[a * k + j]];
                }
            }
            let bound = 2.0 * self.weight_sum * h * h;
            let trusted = s[i * k + i] >= DIRECT_BELOW * bound;
            if !trusted || !bound.is_finite() {
                return Err(());
            }
        }
        let means: Vec<f64> = (0..p).map(|j| self.origin[j] + m[j]).collect();
        Ok(sandwich(n as usize, &s, &cm, &means, spec))
    }
}

/// Rows of a one-factor rolling fit gathered for their variances: the sliding sums each row
/// needs, field by field. A row's variances are a long chain of divisions and square roots;
/// computed apart from the sliding updates, the chains of a block's rows overlap.
struct CapmBlock {
    len: usize,
    /// Per row: its index, the usable positions of its window, its coefficients.
    rows: [usize; BLOCK],
    window: [(usize, usize); BLOCK],
    alpha: [f64; BLOCK],
    beta: [f64; BLOCK],
    /// `Σ q` (`n, Σx, Σx², Σy, Σxy` about the origin), `Σ y²`, the upper triangle of
    /// `V + V'` (row-major), the roots of the peaks of `Σ q²`, and the origin of `x`.
    sums: [[f64; BLOCK]; 5],
    syy: [f64; BLOCK],
    vs: [[f64; BLOCK]; 15],
    root: [[f64; BLOCK]; 5],
    origin: [f64; BLOCK],
    /// Results: standard errors and t-values, and whether the sums could be trusted.
    se: [[f64; BLOCK]; 2],
    t: [[f64; BLOCK]; 2],
    trusted: [bool; BLOCK],
}

/// Rows per [`CapmBlock`].
const BLOCK: usize = 64;

/// `(i, j)` of each entry of the upper triangle of a 5 x 5 matrix, row-major.
const UPPER_5: [(usize, usize); 15] = {
    let mut pairs = [(0, 0); 15];
    let mut e = 0;
    let mut i = 0;
    while i < 5 {
        let mut j = i;
        while j < 5 {
            pairs[e] = (i, j);
            e += 1;
            j += 1;
        }
        i += 1;
    }
    pairs
};

/// Where `(i, j)` (`i <= j`) lives in [`UPPER_5`].
const fn upper_5(i: usize, j: usize) -> usize {
    i * (11 - i) / 2 + (j - i)
}

impl CapmBlock {
    fn new() -> Box<Self> {
        Box::new(Self {
            len: 0,
            rows: [0; BLOCK],
            window: [(0, 0); BLOCK],
            alpha: [0.0; BLOCK],
            beta: [0.0; BLOCK],
            sums: [[0.0; BLOCK]; 5],
            syy: [0.0; BLOCK],
            vs: [[0.0; BLOCK]; 15],
            root: [[0.0; BLOCK]; 5],
            origin: [0.0; BLOCK],
            se: [[0.0; BLOCK]; 2],
            t: [[0.0; BLOCK]; 2],
            trusted: [false; BLOCK],
        })
    }

    fn is_full(&self) -> bool {
        self.len == BLOCK
    }

    /// Takes row `t` (window of usable positions `window`) with its coefficients and the
    /// sums of `sliding`, which holds that window.
    #[inline(always)]
    fn push(&mut self, sliding: &Sliding, t: usize, window: (usize, usize), alpha: f64, beta: f64) {
        let v = &sliding.v;
        self.push_from(
            t,
            window,
            (alpha, beta),
            |f| sliding.sums[f],
            sliding.sq[3],
            |i, j| v[i * 5 + j] + v[j * 5 + i],
            |f| sliding.root_peak[f],
            sliding.origin[0],
        );
    }

    /// Takes row `t` from its sums: `Σ q`, `Σ y²`, `(V + V')_ij`, the roots of the peaks and
    /// the origin of `x`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn push_from(
        &mut self,
        t: usize,
        window: (usize, usize),
        (alpha, beta): (f64, f64),
        sums: impl Fn(usize) -> f64,
        syy: f64,
        v_sym: impl Fn(usize, usize) -> f64,
        root: impl Fn(usize) -> f64,
        origin: f64,
    ) {
        let e = self.len;
        self.rows[e] = t;
        self.window[e] = window;
        self.alpha[e] = alpha;
        self.beta[e] = beta;
        for f in 0..5 {
            self.sums[f][e] = sums(f);
            self.root[f][e] = root(f);
        }
        self.syy[e] = syy;
        for (f, &(i, j)) in UPPER_5.iter().enumerate() {
            self.vs[f][e] = v_sym(i, j);
        }
        self.origin[e] = origin;
        self.len += 1;
    }

    /// The variances of every row taken, from the sums (see [`Sliding::variances`], here
    /// with `q = (1, x, x², y, x y)`), and whether each row's sums can be trusted.
    #[inline(always)]
    fn compute(&mut self, spec: &RobustSpec, weight_sum: f64) {
        let hc1 = spec.cov_type == CovType::Hc1;
        let Self {
            len,
            alpha,
            beta,
            sums,
            syy,
            vs,
            root,
            origin,
            se,
            t,
            trusted,
            ..
        } = self;
        let vs = |i: usize, j: usize, e: usize| vs[upper_5(i.min(j), i.max(j))][e];
        // `e < BLOCK` evidently, so no index is checked.
        for e in 0..(*len).min(BLOCK) {
            let (n, sx, sxx_raw) = (sums[0][e], sums[1][e], sums[2][e]);
            let (sy, sxy_raw, syy) = (sums[3][e], sums[4][e], syy[e]);
            // Fourth powers of a column below 1e-140 or above 1e140 underflow or overflow.
            let in_range = |ss: f64| ss == 0.0 || (1e-140..=1e140).contains(&ss);
            // Every row comes here, so the divisions are reciprocals taken once.
            let inv_n = 1.0 / n;
            let (mx, my) = (sx * inv_n, sy * inv_n);
            let sxx = sxx_raw - n * mx * mx;
            let sxy = sxy_raw - n * mx * my;
            // A spread too small to square (subnormal) keeps no relative precision: the fit
            // has a slope, so its rows have a spread these sums lost.
            let sxx_sq = sxx * sxx;
            let spread_kept = sxx > 0.0 && (f64::MIN_POSITIVE..=f64::MAX).contains(&sxx_sq);
            let inv_sxx = 1.0 / sxx;
            let slope = sxy * inv_sxx;
            let (g0, g1) = (-(my - slope * mx), -slope);
            // e z_0 = G_0 · q with G_0 = (g0, g1, 0, 1, 0), e z_1 = G_1 · q with
            // G_1 = (0, g0, g1, 0, 1); S' = G' (V + V') G.
            let sp00 = g0 * g0 * vs(0, 0, e)
                + 2.0 * g0 * (g1 * vs(0, 1, e) + vs(0, 3, e))
                + g1 * g1 * vs(1, 1, e)
                + 2.0 * g1 * vs(1, 3, e)
                + vs(3, 3, e);
            let sp11 = g0 * g0 * vs(1, 1, e)
                + 2.0 * g0 * (g1 * vs(1, 2, e) + vs(1, 4, e))
                + g1 * g1 * vs(2, 2, e)
                + 2.0 * g1 * vs(2, 4, e)
                + vs(4, 4, e);
            let sp01 = g0 * (g0 * vs(0, 1, e) + g1 * vs(0, 2, e) + vs(0, 4, e))
                + g1 * (g0 * vs(1, 1, e) + g1 * vs(1, 2, e) + vs(1, 4, e))
                + (g0 * vs(3, 1, e) + g1 * vs(3, 2, e) + vs(3, 4, e));
            // To the centered basis (1, x - mean).
            let s00 = sp00;
            let s01 = sp01 - mx * sp00;
            let s11 = sp11 - 2.0 * mx * sp01 + mx * mx * sp00;
            // The rounding bound of each diagonal entry (see `Sliding::variances`).
            let r = |f: usize| root[f][e];
            let (a0, a1, amx) = (g0.abs(), g1.abs(), mx.abs());
            let h0 = a0 * r(0) + a1 * r(1) + r(3);
            let h1 = a0 * (r(1) + amx * r(0)) + a1 * (r(2) + amx * r(1)) + (r(4) + amx * r(3));
            let bound0 = 2.0 * weight_sum * h0 * h0;
            let bound1 = 2.0 * weight_sum * h1 * h1;
            let ok = in_range(sxx_raw)
                & in_range(syy)
                & spread_kept
                & (s00 >= DIRECT_BELOW * bound0)
                & (s11 >= DIRECT_BELOW * bound1)
                & (bound0 < f64::INFINITY)
                & (bound1 < f64::INFINITY);
            let mean_x = origin[e] + mx;
            let var_b = s11 * inv_sxx * inv_sxx;
            let cov_cb = s01 * inv_n * inv_sxx;
            let var_c = s00 * inv_n * inv_n;
            let var_a = var_c - 2.0 * mean_x * cov_cb + mean_x * mean_x * var_b;
            let scale = if hc1 { n / (n - 2.0) } else { 1.0 };
            let se_a = clamp_non_negative(var_a * scale).sqrt();
            let se_b = clamp_non_negative(var_b * scale).sqrt();
            se[0][e] = se_a;
            se[1][e] = se_b;
            t[0][e] = if se_a > 0.0 {
                alpha[e] / se_a
            } else {
                f64::NAN
            };
            t[1][e] = if se_b > 0.0 { beta[e] / se_b } else { f64::NAN };
            trusted[e] = ok;
        }
    }

    /// Computes and writes every row taken; a row whose sums cannot be trusted is summed from
    /// its window's rows (`usable[lo..hi]`) instead. Empties the block.
    #[inline(always)]
    fn flush(
        &mut self,
        reg: &Regression<'_>,
        usable: &[usize],
        spec: &RobustSpec,
        weight_sum: f64,
        coef: &Coefficients<'_>,
        out: &mut RobustColumns<'_>,
    ) {
        self.compute(spec, weight_sum);
        for e in 0..self.len {
            let t = self.rows[e];
            if self.trusted[e] {
                out.write_one(
                    t,
                    [self.se[0][e], self.se[1][e]],
                    [self.t[0][e], self.t[1][e]],
                );
            } else {
                let (lo, hi) = self.window[e];
                let var = direct(reg, &usable[lo..hi], &[self.beta[e]], spec);
                out.write(t, coef, var.as_ref().map(RobustVariances::parts));
            }
        }
        self.len = 0;
    }
}

/// Rolling robust standard errors and t-values of the fit whose coefficients are `coef`,
/// written to `out` row by row.
///
/// On a CPU with AVX2 the same code runs compiled for it: its products of short vectors
/// take fewer instructions. No fused multiply-add is enabled and every sum keeps its order,
/// so both builds give the same bits.
pub fn rolling_robust(
    reg: &Regression<'_>,
    bounds: &impl WindowBounds,
    spec: &RobustSpec,
    coef: &Coefficients<'_>,
    out: &mut RobustColumns<'_>,
) -> Result<(), KernelError> {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { rolling_robust_avx2(reg, bounds, spec, coef, out) };
    }
    rolling_robust_portable(reg, bounds, spec, coef, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn rolling_robust_avx2(
    reg: &Regression<'_>,
    bounds: &impl WindowBounds,
    spec: &RobustSpec,
    coef: &Coefficients<'_>,
    out: &mut RobustColumns<'_>,
) -> Result<(), KernelError> {
    rolling_robust_portable(reg, bounds, spec, coef, out)
}

/// [`rolling_robust`] for the CPU the crate was compiled for; inlined into the AVX2 copy.
#[inline(always)]
fn rolling_robust_portable(
    reg: &Regression<'_>,
    bounds: &impl WindowBounds,
    spec: &RobustSpec,
    coef: &Coefficients<'_>,
    out: &mut RobustColumns<'_>,
) -> Result<(), KernelError> {
    let len = reg.len();
    let p = reg.factors.len();
    if p == 0 {
        return Err(KernelError::NoFactors);
    }
    for f in reg
        .factors
        .iter()
        .copied()
        .chain(coef.betas.iter().copied())
    {
        if f.len() != len {
            return Err(KernelError::LengthMismatch {
                expected: len,
                got: f.len(),
                what: "a factor or coefficient column",
            });
        }
    }
    let usable: Vec<usize> = (0..len).filter(|&t| reg.usable(t)).collect();
    // One factor on row windows: the full windows past the last missing row go by lanes,
    // the windows before them by one sliding window.
    let weights = spec.half_weights(usable.len());
    let missing = len - usable.len();
    // The first row after the last missing one (all rows are usable from there on).
    let complete_from = match missing {
        0 => 0,
        _ => (0..len)
            .rev()
            .find(|&t| !reg.usable(t))
            .map_or(0, |t| t + 1),
    };
    match bounds.row_count() {
        Some(w)
            if p == 1 && w > 2 && weights.len() < w && len >= complete_from + w - 1 + LANES * w =>
        {
            // The windows up to the first full one without a missing row; where none of them
            // has a fit (a `min_periods` of the window), they need no sums at all.
            let first = complete_from + w - 1;
            let fitted = |t: usize| coef.alpha[t].is_finite() && coef.betas[0][t].is_finite();
            if !(0..first).any(fitted) {
                let mut head = out.head(first);
                (0..first).for_each(|t| head.write(t, coef, None));
                capm_lanes(reg, &usable, w, first, missing, spec, weights, coef, out);
                return Ok(());
            }
            let head_factors = [&reg.factors[0][..first]];
            let head_betas = [&coef.betas[0][..first]];
            sliding_rows(
                &Regression {
                    factors: &head_factors,
                    y: &reg.y[..first],
                },
                bounds,
                spec,
                &Coefficients {
                    alpha: &coef.alpha[..first],
                    betas: &head_betas,
                },
                &mut out.head(first),
                &usable[..first - missing],
            );
            capm_lanes(reg, &usable, w, first, missing, spec, weights, coef, out);
        }
        _ => sliding_rows(reg, bounds, spec, coef, out, &usable),
    }
    Ok(())
}

/// The robust standard errors of every row by one [`Sliding`] window; `usable` holds the
/// usable rows of `reg`.
#[inline(always)]
fn sliding_rows(
    reg: &Regression<'_>,
    bounds: &impl WindowBounds,
    spec: &RobustSpec,
    coef: &Coefficients<'_>,
    out: &mut RobustColumns<'_>,
    usable: &[usize],
) {
    let (len, p) = (reg.len(), reg.factors.len());
    let mut sliding = Sliding::new(p, spec, usable.len());
    // The window holds usable positions lo..hi.
    let (mut lo, mut hi) = (0usize, 0usize);
    let mut removals = 0usize;
    // Rows in the window at the last rebuild.
    let mut built = 0usize;
    let mut betas = vec![0.0; p];
    let mut block = (p == 1).then(CapmBlock::new);
    for t in 0..len {
        let start = bounds.start(t);
        let first = lo;
        while lo < hi && usable[lo] < start {
            lo += 1;
        }
        let left = lo - first;
        removals += left;
        let enters = hi < usable.len() && usable[hi] == t;
        if left == 1 && enters && lo < hi {
            // One row out and one in, the rolling window's usual step: one pass over V.
            sliding.step(
                reg,
                t,
                Entering { pos: hi, lo },
                Some(Leaving { pos: first, hi }),
            );
            hi += 1;
        } else {
            for pos in first..lo {
                sliding.leave(pos, hi);
            }
            if lo == hi {
                // An empty window has exactly zero sums, not the residue of the removals.
                sliding.clear();
                removals = 0;
                built = 0;
            }
            // Every usable row before `t` has entered, so `usable[hi]` is `t` or later.
            if enters {
                sliding.step(reg, t, Entering { pos: hi, lo }, None);
                hi += 1;
            }
        }
        sliding.forget_before(lo);
        // Rebuilt once per window length of removals, when a sum collapsed or the means
        // drifted far from the origin after a row left, and whenever the window doubled since
        // the last build, so the origin follows a filling window's mean.
        let n = hi - lo;
        if n > 0
            && ((left > 0 && (sliding.collapsed() || sliding.drifted()))
                || removals >= n
                || n >= 2 * built)
        {
            sliding.rebuild(reg, &usable[lo..hi], lo);
            removals = 0;
            built = n;
        }
        for j in 0..p {
            betas[j] = coef.betas[j][t];
        }
        if hi - lo <= p + 1 || betas.iter().any(|b| !b.is_finite()) || !coef.alpha[t].is_finite() {
            out.write(t, coef, None);
            continue;
        }
        // One regressor (every rolling CAPM row) goes by blocks of rows.
        if let Some(block) = &mut block {
            block.push(&sliding, t, (lo, hi), coef.alpha[t], betas[0]);
            if block.is_full() {
                block.flush(reg, usable, spec, sliding.weight_sum, coef, out);
            }
            continue;
        }
        let var = match sliding.variances(&betas, spec) {
            Ok(v) => v,
            Err(()) => direct(reg, &usable[lo..hi], &betas, spec),
        };
        out.write(t, coef, var.as_ref().map(RobustVariances::parts));
    }
    if let Some(block) = &mut block {
        block.flush(reg, usable, spec, sliding.weight_sum, coef, out);
    }
}

/// Runs of one series' rows slid side by side.
const LANES: usize = 4;

/// The lagged sums of [`LANES`] runs of one series' full windows, slid side by side: the
/// `k`-th value of every array belongs to lane `k`, so each update is one operation on
/// vectors of lanes (the products of one row take five values, too few to fill vectors by
/// themselves). For one factor on a row window of `w` rows where every row is usable; each
/// lane starts from a window summed from its rows, then slides as [`Sliding`] does, with the
/// same rebuilds.
struct CapmLanes {
    w: usize,
    weights: Vec<f64>,
    /// The first row of each lane's run.
    start: [usize; LANES],
    origin: [[f64; LANES]; 2],
    sums: [[f64; LANES]; 5],
    sq: [[f64; LANES]; 5],
    peak: [[f64; LANES]; 5],
    root: [[f64; LANES]; 5],
    v: [[[f64; LANES]; 5]; 5],
    /// `q` of the row at lane offset `i` (row `start + i`) in slot `i mod ring`.
    qs: Vec<[[f64; LANES]; 5]>,
    /// Removals since each lane's last rebuild.
    removals: [usize; LANES],
}

impl CapmLanes {
    fn new(w: usize, weights: Vec<f64>, start: [usize; LANES]) -> Self {
        // A power of two of slots (a mask, not a division, finds one) holds a window's rows and
        // the one leaving.
        let ring = (w + 1).next_power_of_two();
        Self {
            w,
            weights,
            start,
            origin: [[0.0; LANES]; 2],
            sums: [[0.0; LANES]; 5],
            sq: [[0.0; LANES]; 5],
            peak: [[0.0; LANES]; 5],
            root: [[0.0; LANES]; 5],
            v: [[[0.0; LANES]; 5]; 5],
            qs: vec![[[0.0; LANES]; 5]; ring],
            removals: [0; LANES],
        }
    }

    /// The slot of lane offset `offset` (`-w < offset`).
    #[inline(always)]
    fn slot(&self, offset: isize) -> usize {
        let ring = self.qs.len();
        (offset + ring as isize) as usize & (ring - 1)
    }

    /// Sums the windows at offset `i` (rows `start + i - w + 1 ..= start + i`) of the lanes
    /// in `which` afresh about their means, as [`Sliding::rebuild`] does. Every lane is
    /// computed, side by side; a lane not rebuilt keeps its origin, so its products come out
    /// the same as stored, and keeps its sums.
    #[inline(always)]
    fn rebuild(&mut self, which: [bool; LANES], x: &[f64], y: &[f64], i: usize) {
        let w = self.w;
        let last: [usize; LANES] = std::array::from_fn(|k| self.start[k] + i);
        let (mut mx, mut my) = ([0.0; LANES], [0.0; LANES]);
        for j in 0..w {
            for k in 0..LANES {
                let r = last[k] + 1 - w + j;
                mx[k] += x[r] - x[last[k]];
                my[k] += y[r] - y[last[k]];
            }
        }
        for k in 0..LANES {
            if which[k] {
                self.origin[0][k] = x[last[k]] + mx[k] / w as f64;
                self.origin[1][k] = y[last[k]] + my[k] / w as f64;
            }
        }
        let first = i as isize - w as isize + 1;
        for j in 0..w {
            let slot = self.slot(first + j as isize);
            for k in 0..LANES {
                let r = last[k] + 1 - w + j;
                let q = one_factor_products(x[r] - self.origin[0][k], y[r] - self.origin[1][k]);
                for e in 0..5 {
                    self.qs[slot][e][k] = q[e];
                }
            }
        }
        let mut v = [[[0.0; LANES]; 5]; 5];
        let (mut sums, mut sq) = ([[0.0; LANES]; 5], [[0.0; LANES]; 5]);
        for j in 0..w {
            let at = first + j as isize;
            let q = self.qs[self.slot(at)];
            let mut r = [[0.0; LANES]; 5];
            for (l, &wl) in self.weights.iter().enumerate().take(j + 1) {
                let ql = &self.qs[self.slot(at - l as isize)];
                for e in 0..5 {
                    for k in 0..LANES {
                        r[e][k] += wl * ql[e][k];
                    }
                }
            }
            for a in 0..5 {
                for b in 0..5 {
                    for k in 0..LANES {
                        v[a][b][k] += q[a][k] * r[b][k];
                    }
                }
                for k in 0..LANES {
                    sums[a][k] += q[a][k];
                    sq[a][k] += q[a][k] * q[a][k];
                }
            }
        }
        for k in (0..LANES).filter(|&k| which[k]) {
            for a in 0..5 {
                for b in 0..5 {
                    self.v[a][b][k] = v[a][b][k];
                }
                self.sums[a][k] = sums[a][k];
                self.sq[a][k] = sq[a][k];
                self.peak[a][k] = sq[a][k];
                self.root[a][k] = sq[a][k].sqrt();
            }
            self.removals[k] = 0;
        }
    }

    /// Every lane slides one row: the row at offset `i` enters, the one at `i - w` leaves
    /// (one pass over `V`, as [`Sliding::step`] with both).
    #[inline(always)]
    fn step(&mut self, x: &[f64], y: &[f64], i: usize) {
        let (w, at) = (self.w as isize, i as isize);
        let mut q_in = [[0.0; LANES]; 5];
        for k in 0..LANES {
            let t = self.start[k] + i;
            let q = one_factor_products(x[t] - self.origin[0][k], y[t] - self.origin[1][k]);
            for e in 0..5 {
                q_in[e][k] = q[e];
            }
        }
        let slot_in = self.slot(at);
        self.qs[slot_in] = q_in;
        let q_out = self.qs[self.slot(at - w)];
        let (mut r_in, mut r_out) = ([[0.0; LANES]; 5], [[0.0; LANES]; 5]);
        for (l, &wl) in self.weights.iter().enumerate() {
            let back = &self.qs[self.slot(at - l as isize)];
            let ahead = &self.qs[self.slot(at - w + l as isize)];
            for e in 0..5 {
                for k in 0..LANES {
                    r_in[e][k] += wl * back[e][k];
                    r_out[e][k] += wl * ahead[e][k];
                }
            }
        }
        for a in 0..5 {
            for b in 0..5 {
                for k in 0..LANES {
                    self.v[a][b][k] += q_in[a][k] * r_in[b][k] - r_out[a][k] * q_out[b][k];
                }
            }
            for k in 0..LANES {
                self.sums[a][k] += q_in[a][k] - q_out[a][k];
                self.sq[a][k] += q_in[a][k] * q_in[a][k] - q_out[a][k] * q_out[a][k];
            }
        }
        for a in 0..5 {
            for k in 0..LANES {
                if self.sq[a][k] > self.peak[a][k] {
                    self.peak[a][k] = self.sq[a][k];
                    self.root[a][k] = self.sq[a][k].sqrt();
                }
            }
        }
        for removals in &mut self.removals {
            *removals += 1;
        }
    }

    /// Lane `k` is due a rebuild: a window length of removals, or what makes
    /// [`Sliding::collapsed`] or [`Sliding::drifted`] true.
    #[inline(always)]
    fn due(&self, k: usize) -> bool {
        let n = self.sums[0][k];
        // Σ w and Σ w² of x (entries 1 and 2) and of y (entry 3, its square in `sq`).
        self.removals[k] >= self.w
            || (0..5).any(|a| collapsed(self.sq[a][k], self.peak[a][k]))
            || mean_drifted(n, self.sums[1][k], self.sums[2][k])
            || mean_drifted(n, self.sums[3][k], self.sq[3][k])
    }
}

/// `q = (1, x, x², y, x y)` of a row with values `(x, y)` about the origin.
#[inline(always)]
fn one_factor_products(x: f64, y: f64) -> [f64; 5] {
    [1.0, x, x * x, y, y * x]
}

/// The rows of a one-factor fit from `first` on, by [`CapmLanes`]: full windows of `w` rows,
/// every row usable; the `missing` rows are all before them, so row `r` is at usable
/// position `r - missing`. The last lane ends at the last row, so it overlaps the one before
/// by the rows that do not divide evenly (fewer than [`LANES`]); those rows are written twice,
/// each time a value of its own window's sums.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn capm_lanes(
    reg: &Regression<'_>,
    usable: &[usize],
    w: usize,
    first: usize,
    missing: usize,
    spec: &RobustSpec,
    weights: Vec<f64>,
    coef: &Coefficients<'_>,
    out: &mut RobustColumns<'_>,
) {
    let (x, y, len) = (reg.factors[0], reg.y, reg.len());
    let runs = (len - first).div_ceil(LANES);
    let weight_sum = weights.iter().sum();
    let starts = std::array::from_fn(|k| (first + k * runs).min(len - runs));
    let mut lanes = CapmLanes::new(w, weights, starts);
    let mut block = CapmBlock::new();
    for i in 0..runs {
        if i > 0 {
            lanes.step(x, y, i);
        }
        let due: [bool; LANES] = std::array::from_fn(|k| i == 0 || lanes.due(k));
        if due.contains(&true) {
            lanes.rebuild(due, x, y, i);
        }
        for k in 0..LANES {
            let t = lanes.start[k] + i;
            let (alpha, beta) = (coef.alpha[t], coef.betas[0][t]);
            if !(alpha.is_finite() && beta.is_finite()) {
                out.write(t, coef, None);
                continue;
            }
            block.push_from(
                t,
                (t + 1 - w - missing, t + 1 - missing),
                (alpha, beta),
                |a| lanes.sums[a][k],
                lanes.sq[3][k],
                |a, b| lanes.v[a][b][k] + lanes.v[b][a][k],
                |a| lanes.root[a][k],
                lanes.origin[0][k],
            );
            if block.is_full() {
                block.flush(reg, usable, spec, weight_sum, coef, out);
            }
        }
    }
    block.flush(reg, usable, spec, weight_sum, coef, out);
}

/// The rolling CAPM fit of `out`'s fields with the standard errors and t-values of `spec`:
/// the ordinary fit writes the other fields (and skips its own standard errors, which would
/// only be overwritten), then the robust pass writes those from each window's alpha and beta.
pub fn robust_simple_fit(
    x: &[f64],
    y: &[f64],
    bounds: &impl WindowBounds,
    spec: &RobustSpec,
    out: &mut SimpleFitColumns<'_>,
) -> Result<(), KernelError> {
    let wants = out.alpha_se.is_some()
        || out.beta_se.is_some()
        || out.alpha_t.is_some()
        || out.beta_t.is_some();
    // The robust pass needs alpha and beta, asked for or not.
    let own_len = if wants { y.len() } else { 0 };
    let (mut own_alpha, mut own_beta) = (vec![0.0; own_len], vec![0.0; own_len]);
    let (own_alpha, own_beta) = (own_alpha.as_mut_slice(), own_beta.as_mut_slice());
    let mut fit = SimpleFitColumns {
        alpha: out.alpha.as_deref_mut().or(wants.then_some(own_alpha)),
        beta: out.beta.as_deref_mut().or(wants.then_some(own_beta)),
        r2: out.r2.as_deref_mut(),
        resid_std: out.resid_std.as_deref_mut(),
        n: out.n.as_deref_mut(),
        ..Default::default()
    };
    rolling_simple_ols(x, y, bounds, &mut fit)?;
    let (Some(alpha), Some(beta)) = (fit.alpha, fit.beta) else {
        return Ok(());
    };
    let factors = [x];
    let betas = [&beta[..]];
    let reg = Regression {
        factors: &factors,
        y,
    };
    let coef = Coefficients {
        alpha,
        betas: &betas,
    };
    let mut robust = RobustColumns {
        alpha_se: out.alpha_se.as_deref_mut(),
        beta_se: vec![out.beta_se.as_deref_mut()],
        alpha_t: out.alpha_t.as_deref_mut(),
        beta_t: vec![out.beta_t.as_deref_mut()],
    };
    rolling_robust(&reg, bounds, spec, &coef, &mut robust)
}

/// Replaces the standard errors and t-values of a rolling multi-factor fit (already in `out`)
/// by the robust ones of `spec`.
pub fn robust_factor_fit(
    factors: &[&[f64]],
    y: &[f64],
    bounds: &impl WindowBounds,
    spec: &RobustSpec,
    out: &mut FactorFitColumns<'_>,
) -> Result<(), KernelError> {
    let layout = FactorLayout { k: factors.len() };
    let alpha = out.floats[layout.alpha()].to_vec();
    let betas: Vec<Vec<f64>> = (0..layout.k)
        .map(|j| out.floats[layout.beta(j)].to_vec())
        .collect();
    let beta_views: Vec<&[f64]> = betas.iter().map(|b| b.as_slice()).collect();
    let coef = Coefficients {
        alpha: &alpha,
        betas: &beta_views,
    };
    let reg = Regression { factors, y };
    let mut robust = factor_columns(layout, &mut out.floats);
    rolling_robust(&reg, bounds, spec, &coef, &mut robust)
}

/// The robust fields among a factor fit's columns.
fn factor_columns<'a>(layout: FactorLayout, floats: &'a mut [&mut [f64]]) -> RobustColumns<'a> {
    let k = layout.k;
    let mut robust = RobustColumns {
        alpha_se: None,
        beta_se: (0..k).map(|_| None).collect(),
        alpha_t: None,
        beta_t: (0..k).map(|_| None).collect(),
    };
    for (i, column) in floats.iter_mut().enumerate() {
        let column: &'a mut [f64] = &mut column[..];
        if i == layout.alpha_se() {
            robust.alpha_se = Some(column);
        } else if i == layout.alpha_t() {
            robust.alpha_t = Some(column);
        } else if let Some(j) = (0..k).find(|&j| i == layout.beta_se(j)) {
            robust.beta_se[j] = Some(column);
        } else if let Some(j) = (0..k).find(|&j| i == layout.beta_t(j)) {
            robust.beta_t[j] = Some(column);
        }
    }
    robust
}

/// Replaces the standard errors and t-values of a whole-sample multi-factor fit (1-row
/// buffers in `out`) by the robust ones of `spec`.
pub fn robust_factor_whole(
    factors: &[&[f64]],
    y: &[f64],
    spec: &RobustSpec,
    out: &mut FactorFitColumns<'_>,
) {
    let layout = FactorLayout { k: factors.len() };
    let alpha = [out.floats[layout.alpha()][0]];
    let betas: Vec<[f64; 1]> = (0..layout.k)
        .map(|j| [out.floats[layout.beta(j)][0]])
        .collect();
    let beta_values: Vec<f64> = betas.iter().map(|b| b[0]).collect();
    let var = if alpha[0].is_finite() {
        whole_sample(&Regression { factors, y }, &beta_values, spec)
    } else {
        None
    };
    let beta_views: Vec<&[f64]> = betas.iter().map(|b| b.as_slice()).collect();
    let coef = Coefficients {
        alpha: &alpha,
        betas: &beta_views,
    };
    factor_columns(layout, &mut out.floats).write(
        0,
        &coef,
        var.as_ref().map(RobustVariances::parts),
    );
}

/// Replaces the standard errors and t-values of a whole-sample CAPM fit by the robust ones.
pub fn robust_simple_whole(x: &[f64], y: &[f64], spec: &RobustSpec, fit: &mut SimpleFit) {
    let factors = [x];
    let var = if fit.alpha.is_finite() && fit.beta.is_finite() {
        whole_sample(
            &Regression {
                factors: &factors,
                y,
            },
            &[fit.beta],
            spec,
        )
    } else {
        None
    };
    let (alpha, beta) = ([fit.alpha], [fit.beta]);
    let betas = [beta.as_slice()];
    let coef = Coefficients {
        alpha: &alpha,
        betas: &betas,
    };
    let (mut a_se, mut b_se, mut a_t, mut b_t) = ([0.0], [0.0], [0.0], [0.0]);
    RobustColumns {
        alpha_se: Some(&mut a_se),
        beta_se: vec![Some(&mut b_se)],
        alpha_t: Some(&mut a_t),
        beta_t: vec![Some(&mut b_t)],
    }
    .write(0, &coef, var.as_ref().map(RobustVariances::parts));
    fit.alpha_se = a_se[0];
    fit.beta_se = b_se[0];
    fit.alpha_t = a_t[0];
    fit.beta_t = b_t[0];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::factor_ols::rolling_factor_ols;
    use crate::test_support::lcg_series;
    use crate::window::{DateWindow, Window, WindowSpec};

    /// Solves `a x = b` (`m x m`, row-major) by Gaussian elimination with partial pivoting.
    fn solve(a: &[f64], m: usize, b: &[f64]) -> Vec<f64> {
        let mut a = a.to_vec();
        let mut b = b.to_vec();
        for col in 0..m {
            let piv = (col..m)
                .max_by(|&i, &j| a[i * m + col].abs().total_cmp(&a[j * m + col].abs()))
                .unwrap();
            for j in 0..m {
                a.swap(col * m + j, piv * m + j);
            }
            b.swap(col, piv);
            for i in col + 1..m {
                let f = a[i * m + col] / a[col * m + col];
                for j in col..m {
                    a[i * m + j] -= f * a[col * m + j];
                }
                b[i] -= f * b[col];
            }
        }
        let mut x = vec![0.0; m];
        for i in (0..m).rev() {
            let s: f64 = (i + 1..m).map(|j| a[i * m + j] * x[j]).sum();
            x[i] = (b[i] - s) / a[i * m + i];
        }
        x
    }

    /// The textbook sandwich on the usable rows of `rows` (original basis, normal equations,
    /// an explicit inverse): the standard errors of `(alpha, beta_1..p)`, as statsmodels
    /// computes them. `shift` is subtracted from every factor first (exact for the data used)
    /// and the intercept's variance moved back, for data at a level the normal equations
    /// cannot take.
    fn naive_se(
        factors: &[Vec<f64>],
        y: &[f64],
        rows: &[usize],
        lags: usize,
        kind: CovType,
        shift: f64,
    ) -> Vec<f64> {
        let p = factors.len();
        let k = p + 1;
        let rows: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&t| y[t].is_finite() && factors.iter().all(|f| f[t].is_finite()))
            .collect();
        let n = rows.len();
        let x: Vec<Vec<f64>> = rows
            .iter()
            .map(|&t| {
                let mut r = vec![1.0];
                r.extend(factors.iter().map(|f| f[t] - shift));
                r
            })
            .collect();
        let mut xtx = vec![0.0; k * k];
        let mut xty = vec![0.0; k];
        for (r, &t) in x.iter().zip(&rows) {
            for i in 0..k {
                xty[i] += r[i] * (y[t] - shift);
                for j in 0..k {
                    xtx[i * k + j] += r[i] * r[j];
                }
            }
        }
        let b = solve(&xtx, k, &xty);
        let h: Vec<Vec<f64>> = x
            .iter()
            .zip(&rows)
            .map(|(r, &t)| {
                let e = (y[t] - shift) - (0..k).map(|i| r[i] * b[i]).sum::<f64>();
                r.iter().map(|v| v * e).collect()
            })
            .collect();
        let mut s = vec![0.0; k * k];
        for l in 0..=lags.min(n.saturating_sub(1)) {
            let w = 1.0 - l as f64 / (lags as f64 + 1.0);
            for t in l..n {
                for i in 0..k {
                    for j in 0..k {
                        let v = h[t][i] * h[t - l][j];
                        if l == 0 {
                            s[i * k + j] += v;
                        } else {
                            s[i * k + j] += w * (v + h[t - l][i] * h[t][j]);
                        }
                    }
                }
            }
        }
        // inv(X'X) column by column, then inv S inv.
        let mut inv = vec![0.0; k * k];
        for c in 0..k {
            let mut e = vec![0.0; k];
            e[c] = 1.0;
            let col = solve(&xtx, k, &e);
            for i in 0..k {
                inv[i * k + c] = col[i];
            }
        }
        let mul = |a: &[f64], b: &[f64]| -> Vec<f64> {
            let mut o = vec![0.0; k * k];
            for i in 0..k {
                for j in 0..k {
                    o[i * k + j] = (0..k).map(|m| a[i * k + m] * b[m * k + j]).sum();
                }
            }
            o
        };
        let mut cov = mul(&mul(&inv, &s), &inv);
        if kind == CovType::Hc1 {
            cov.iter_mut().for_each(|v| *v *= n as f64 / (n - k) as f64);
        }
        // alpha = intercept' - shift Σ beta_j.
        let mut var_a = cov[0];
        for i in 1..k {
            var_a -= 2.0 * shift * cov[i];
            for j in 1..k {
                var_a += shift * shift * cov[i * k + j];
            }
        }
        let mut se = vec![var_a.sqrt()];
        se.extend((1..k).map(|i| cov[i * k + i].sqrt()));
        se
    }

    fn with_nulls(mut v: Vec<f64>, every: usize, phase: usize) -> Vec<f64> {
        for t in (phase..v.len()).step_by(every) {
            v[t] = f64::NAN;
        }
        v
    }

    /// Runs the rolling robust kernel on a factor fit and returns `[alpha_se, beta_se..]`.
    fn rolling(
        factors: &[Vec<f64>],
        y: &[f64],
        bounds: &impl WindowBounds,
        spec: &RobustSpec,
    ) -> Vec<Vec<f64>> {
        let p = factors.len();
        let len = y.len();
        let layout = FactorLayout { k: p };
        let mut floats = vec![vec![0.0; len]; layout.field_count()];
        let mut n = vec![0u32; len];
        let views: Vec<&[f64]> = factors.iter().map(|f| f.as_slice()).collect();
        {
            let mut out = FactorFitColumns {
                floats: floats.iter_mut().map(|b| b.as_mut_slice()).collect(),
                n: &mut n,
            };
            rolling_factor_ols(&views, y, bounds, &mut out).unwrap();
        }
        let alpha = floats[layout.alpha()].clone();
        let betas: Vec<Vec<f64>> = (0..p).map(|j| floats[layout.beta(j)].clone()).collect();
        let beta_views: Vec<&[f64]> = betas.iter().map(|b| b.as_slice()).collect();
        let mut se = vec![vec![0.0; len]; p + 1];
        let (a, rest) = se.split_at_mut(1);
        let mut out = RobustColumns {
            alpha_se: Some(&mut a[0]),
            beta_se: rest.iter_mut().map(|b| Some(b.as_mut_slice())).collect(),
            alpha_t: None,
            beta_t: vec![],
        };
        let reg = Regression { factors: &views, y };
        let coef = Coefficients {
            alpha: &alpha,
            betas: &beta_views,
        };
        rolling_robust(&reg, bounds, spec, &coef, &mut out).unwrap();
        se
    }

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs().max(1e-300)
    }

    /// Checks every row against the naive sandwich on its window; returns the rows compared.
    fn check(
        factors: &[Vec<f64>],
        y: &[f64],
        bounds: &impl WindowBounds,
        spec: &RobustSpec,
        shift: f64,
        tol: impl Fn(usize) -> f64,
    ) -> usize {
        let got = rolling(factors, y, bounds, spec);
        let mut compared = 0;
        for t in 0..y.len() {
            let rows: Vec<usize> = (bounds.start(t)..=t).collect();
            let usable = rows
                .iter()
                .filter(|&&r| y[r].is_finite() && factors.iter().all(|f| f[r].is_finite()))
                .count();
            if usable < bounds.min_periods() || usable <= factors.len() + 1 {
                assert!(got[0][t].is_nan(), "row {t}: a fit with {usable} rows");
                continue;
            }
            let want = naive_se(factors, y, &rows, spec.lags(), spec.cov_type, shift);
            for (i, w) in want.iter().enumerate() {
                assert!(
                    rel(got[i][t], *w) < tol(t),
                    "row {t} coef {i}: {} vs {w} ({spec:?})",
                    got[i][t]
                );
            }
            compared += 1;
        }
        compared
    }

    fn specs() -> Vec<RobustSpec> {
        let mut v = vec![
            RobustSpec::parse("HC0", None).unwrap().unwrap(),
            RobustSpec::parse("HC1", None).unwrap().unwrap(),
        ];
        v.extend((0..=10).map(|l| RobustSpec::parse("HAC", Some(l)).unwrap().unwrap()));
        v
    }

    fn capm_data(len: usize) -> (Vec<f64>, Vec<f64>) {
        let (x, y) = complete_capm_data(len);
        (with_nulls(x, 17, 5), with_nulls(y, 23, 11))
    }

    #[test]
    fn rows_window_with_nulls_matches_the_sandwich_for_every_lag() {
        let (x, y) = capm_data(400);
        let spec_w = WindowSpec::new(Window::Rows(60), 30).unwrap();
        for spec in specs() {
            let n = check(std::slice::from_ref(&x), &y, &spec_w, &spec, 0.0, |_| 1e-9);
            assert!(n > 300);
        }
    }

    /// Market returns and a stock's, heteroskedastic, every row usable (as the lanes need).
    fn complete_capm_data(len: usize) -> (Vec<f64>, Vec<f64>) {
        let x = lcg_series(1, len, 0.04);
        let noise = lcg_series(2, len, 0.03);
        let y = x
            .iter()
            .zip(&noise)
            .enumerate()
            .map(|(t, (a, e))| {
                0.001 + 1.1 * a + e * (1.0 + 20.0 * a.abs()) + 0.3 * (t % 3) as f64 * e
            })
            .collect();
        (x, y)
    }

    #[test]
    fn full_windows_by_lanes_match_the_sandwich_for_every_lag() {
        // No missing row and many full windows: the rows past the first windows go by lanes.
        let (x, y) = complete_capm_data(500);
        let spec_w = WindowSpec::new(Window::Rows(60), 40).unwrap();
        for spec in specs() {
            let n = check(std::slice::from_ref(&x), &y, &spec_w, &spec, 0.0, |_| 1e-9);
            assert!(n > 450);
        }
    }

    #[test]
    fn outliers_entering_and_leaving_lanes() {
        let (x, y) = complete_capm_data(600);
        check_outliers(x, y, [150, 300, 420], 40, 500);
    }

    #[test]
    fn lanes_after_the_last_missing_row() {
        // Missing rows early (a leading null, as returns from prices have): the windows that
        // hold one slide as one window, the later ones go by lanes.
        let (mut x, mut y) = complete_capm_data(500);
        x[0] = f64::NAN;
        y[10] = f64::NAN;
        x[57] = f64::INFINITY;
        let spec_w = WindowSpec::new(Window::Rows(40), 30).unwrap();
        for spec in specs() {
            let n = check(std::slice::from_ref(&x), &y, &spec_w, &spec, 0.0, |_| 1e-9);
            assert!(n > 450);
        }
        // A near-perfect stretch in the lanes' rows: those rows are summed from their
        // windows' rows, found past the missing ones.
        let tiny = lcg_series(4, 500, 1e-9);
        for t in 250..500 {
            y[t] = 0.01 + 1.3 * x[t] + tiny[t];
        }
        let spec = RobustSpec::parse("HAC", Some(3)).unwrap().unwrap();
        assert!(check(std::slice::from_ref(&x), &y, &spec_w, &spec, 0.0, |_| 1e-6) > 450);
    }

    /// The lanes and one sliding window agree on the same rows, to the rounding of sums
    /// rebuilt at different rows.
    #[test]
    fn lanes_agree_with_one_sliding_window() {
        let (x, y) = complete_capm_data(900);
        let w = 50;
        let spec_w = WindowSpec::new(Window::Rows(w), w).unwrap();
        for spec in [
            RobustSpec::parse("HC1", None).unwrap().unwrap(),
            RobustSpec::parse("HAC", Some(7)).unwrap().unwrap(),
        ] {
            let mut alpha = vec![0.0; x.len()];
            let mut beta = vec![0.0; x.len()];
            let mut fit = SimpleFitColumns {
                alpha: Some(&mut alpha),
                beta: Some(&mut beta),
                ..Default::default()
            };
            rolling_simple_ols(&x, &y, &spec_w, &mut fit).unwrap();
            let factors = [x.as_slice()];
            let betas = [beta.as_slice()];
            let reg = Regression {
                factors: &factors,
                y: &y,
            };
            let coef = Coefficients {
                alpha: &alpha,
                betas: &betas,
            };
            let usable: Vec<usize> = (0..x.len()).collect();
            let first = w - 1 + 2;
            let run = |lanes: bool| {
                let (mut a_se, mut b_se) = (vec![f64::NAN; x.len()], vec![f64::NAN; x.len()]);
                let mut out = RobustColumns {
                    alpha_se: Some(&mut a_se),
                    beta_se: vec![Some(&mut b_se)],
                    alpha_t: None,
                    beta_t: vec![None],
                };
                if lanes {
                    let weights = spec.half_weights(x.len());
                    capm_lanes(&reg, &usable, w, first, 0, &spec, weights, &coef, &mut out);
                } else {
                    sliding_rows(&reg, &spec_w, &spec, &coef, &mut out, &usable);
                }
                (a_se, b_se)
            };
            let (lanes, sliding) = (run(true), run(false));
            assert!(lanes.0[..first].iter().all(|v| v.is_nan()));
            for t in first..x.len() {
                assert!(rel(lanes.0[t], sliding.0[t]) < 1e-11, "row {t}");
                assert!(rel(lanes.1[t], sliding.1[t]) < 1e-11, "row {t}");
            }
        }
    }

    #[test]
    fn a_long_series_drops_the_rows_behind_its_window() {
        // Past 1024 rows behind the window the cached q of those rows are dropped.
        let (x, y) = capm_data(5000);
        let spec_w = WindowSpec::new(Window::Rows(30), 20).unwrap();
        let spec = RobustSpec::parse("HAC", Some(3)).unwrap().unwrap();
        let got = rolling(std::slice::from_ref(&x), &y, &spec_w, &spec);
        let mut compared = 0;
        for t in (2000..5000).step_by(37) {
            let rows: Vec<usize> = (t - 29..=t).collect();
            let want = naive_se(std::slice::from_ref(&x), &y, &rows, 3, CovType::Hac, 0.0);
            assert!(rel(got[1][t], want[1]) < 1e-9, "row {t}");
            assert!(rel(got[0][t], want[0]) < 1e-9, "row {t}");
            compared += 1;
        }
        assert!(compared > 70);
    }

    #[test]
    fn expanding_and_date_windows_match() {
        let (x, y) = capm_data(300);
        let exp = WindowSpec::new(Window::Expanding, 5).unwrap();
        // Times with gaps, a 40-unit window.
        let time: Vec<i64> = (0..300).map(|t| t * 2 + (t % 7) / 3).collect();
        let lower: Vec<i64> = time.iter().map(|t| t - 40).collect();
        let date = DateWindow::new(&time, &lower, 8).unwrap();
        for spec in specs() {
            assert!(check(std::slice::from_ref(&x), &y, &exp, &spec, 0.0, |_| 1e-9) > 250);
            assert!(check(std::slice::from_ref(&x), &y, &date, &spec, 0.0, |_| 1e-9) > 250);
        }
    }

    #[test]
    fn factor_fits_match() {
        let len = 300;
        let f: Vec<Vec<f64>> = (0..3)
            .map(|j| {
                with_nulls(
                    lcg_series(10 + j, len, 0.02 + 0.01 * j as f64),
                    29 + j as usize,
                    3,
                )
            })
            .collect();
        let noise = lcg_series(20, len, 0.02);
        let y: Vec<f64> = (0..len)
            .map(|t| {
                0.002 + 0.9 * f[0][t] + 0.4 * f[1][t] - 0.3 * f[2][t]
                    + noise[t] * (1.0 + 30.0 * f[0][t].abs())
            })
            .collect();
        let spec_w = WindowSpec::new(Window::Rows(50), 20).unwrap();
        for spec in specs() {
            assert!(check(&f, &y, &spec_w, &spec, 0.0, |_| 1e-9) > 200);
        }
    }

    #[test]
    fn a_level_of_1e6_keeps_its_digits() {
        let (x, y) = crate::test_support::offset_pair(300);
        let spec_w = WindowSpec::new(Window::Rows(50), 50).unwrap();
        for spec in [
            RobustSpec::parse("HC0", None).unwrap().unwrap(),
            RobustSpec::parse("HAC", Some(5)).unwrap().unwrap(),
        ] {
            assert!(check(std::slice::from_ref(&x), &y, &spec_w, &spec, 1e6, |_| 1e-9) > 200);
        }
    }

    /// Outliers in both columns from row `at[0]`, in `y` alone at `at[1]`, and a 5e4 market
    /// return at `at[2]`, on a 40-row window: every row against the sandwich, more than
    /// `rows` of them compared.
    fn check_outliers(
        mut x: Vec<f64>,
        mut y: Vec<f64>,
        at: [usize; 3],
        min_periods: usize,
        rows: usize,
    ) {
        for (t, s) in [(at[0], 1e4), (at[0] + 1, -3e3), (at[2], 1e6)] {
            x[t] = 0.05 * s;
            y[t] = -0.02 * s;
        }
        y[at[1]] = 1e5;
        let spec_w = WindowSpec::new(Window::Rows(40), min_periods).unwrap();
        // A window holding the 5e4 market return: that row's residual is a difference of
        // terms near 2e4 and its leverage is 1, so the meat carries 1e-12 of 2e4 times 5e4;
        // any float64 sandwich (statsmodels' too) keeps eight digits there, not nine.
        let tol = |t: usize| {
            if (at[2]..at[2] + 40).contains(&t) {
                1e-8
            } else {
                1e-9
            }
        };
        for spec in specs() {
            assert!(check(std::slice::from_ref(&x), &y, &spec_w, &spec, 0.0, tol) > rows);
        }
    }

    #[test]
    fn outliers_entering_and_leaving() {
        let (x, y) = capm_data(400);
        check_outliers(x, y, [100, 180, 250], 25, 300);
    }

    #[test]
    fn a_near_perfect_fit_is_computed_from_its_rows() {
        let x = lcg_series(3, 200, 0.04);
        let tiny = lcg_series(4, 200, 1e-9);
        let y: Vec<f64> = x
            .iter()
            .zip(&tiny)
            .map(|(a, e)| 0.01 + 1.3 * a + e)
            .collect();
        let spec_w = WindowSpec::new(Window::Rows(30), 30).unwrap();
        let spec = RobustSpec::parse("HAC", Some(3)).unwrap().unwrap();
        // The residuals carry nine digits fewer than the data: the comparison is to 1e-6.
        assert!(check(&[x], &y, &spec_w, &spec, 0.0, |_| 1e-6) > 150);
    }

    #[test]
    fn whole_sample_matches() {
        let (x, y) = capm_data(500);
        let spec_w = WindowSpec::new(Window::Expanding, 2).unwrap();
        let spec = RobustSpec::parse("HAC", Some(4)).unwrap().unwrap();
        let se = rolling(std::slice::from_ref(&x), &y, &spec_w, &spec);
        let factors = [x.as_slice()];
        let reg = Regression {
            factors: &factors,
            y: &y,
        };
        let mut all = vec![0.0; 1];
        let mut n = vec![0u32];
        let layout = FactorLayout { k: 1 };
        let mut floats = vec![vec![0.0; 1]; layout.field_count()];
        {
            let mut out = FactorFitColumns {
                floats: floats.iter_mut().map(|b| b.as_mut_slice()).collect(),
                n: &mut n,
            };
            crate::factor_ols::factor_ols(&factors, &y, 2, &mut out).unwrap();
        }
        all[0] = floats[layout.beta(0)][0];
        let var = whole_sample(&reg, &all, &spec).unwrap();
        assert!(rel(var.alpha.sqrt(), se[0][499]) < 1e-11);
        assert!(rel(var.betas[0].sqrt(), se[1][499]) < 1e-11);
    }

    #[test]
    fn a_huge_maxlags_allocates_nothing_for_lags_that_pair_no_rows() {
        let (x, y) = capm_data(120);
        let spec_w = WindowSpec::new(Window::Expanding, 10).unwrap();
        let lags = 1usize << 40;
        let spec = RobustSpec::parse("HAC", Some(lags)).unwrap().unwrap();
        let huge = rolling(std::slice::from_ref(&x), &y, &spec_w, &spec);
        // With every weight 1 - l / (L + 1) next to 1 the meat is (Σ h)(Σ h)', and the
        // scores sum to zero: the standard errors collapse far below White's.
        let hc0 = RobustSpec::parse("HC0", None).unwrap().unwrap();
        let white = rolling(std::slice::from_ref(&x), &y, &spec_w, &hc0);
        let mut compared = 0;
        for t in 0..y.len() {
            for i in 0..2 {
                if white[i][t].is_finite() {
                    assert!(
                        huge[i][t] >= 0.0 && huge[i][t] < 1e-3 * white[i][t],
                        "row {t}"
                    );
                    compared += 1;
                } else {
                    assert!(huge[i][t].is_nan());
                }
            }
        }
        assert!(compared > 200);
    }

    #[test]
    fn parse_rejects_what_it_must() {
        assert_eq!(RobustSpec::parse("nonrobust", None), Ok(None));
        assert!(RobustSpec::parse("hac", Some(1))
            .unwrap_err()
            .contains("\"HAC\""));
        assert!(RobustSpec::parse("HAC", None)
            .unwrap_err()
            .contains("maxlags"));
        assert!(RobustSpec::parse("HC0", Some(2))
            .unwrap_err()
            .contains("maxlags"));
        assert!(RobustSpec::parse("nonrobust", Some(2)).is_err());
    }

    /// The AVX2 copy of [`rolling_robust`] (where the CPU has it) gives the bits of the
    /// portable one: the standard errors of one and of two factors, HC1 and HAC.
    #[test]
    fn every_cpu_path_gives_the_same_bits() {
        let (x, y) = capm_data(700);
        let x2 = with_nulls(lcg_series(7, 700, 0.02), 31, 3);
        let spec_w = WindowSpec::new(Window::Rows(90), 40).unwrap();
        for factors in [vec![x.clone()], vec![x.clone(), x2.clone()]] {
            let views: Vec<&[f64]> = factors.iter().map(|f| f.as_slice()).collect();
            let p = views.len();
            let layout = FactorLayout { k: p };
            let mut floats = vec![vec![0.0; y.len()]; layout.field_count()];
            let mut n = vec![0u32; y.len()];
            let mut fit = FactorFitColumns {
                floats: floats.iter_mut().map(|b| b.as_mut_slice()).collect(),
                n: &mut n,
            };
            rolling_factor_ols(&views, &y, &spec_w, &mut fit).unwrap();
            let betas: Vec<&[f64]> = (0..p).map(|j| floats[layout.beta(j)].as_slice()).collect();
            let coef = Coefficients {
                alpha: &floats[layout.alpha()],
                betas: &betas,
            };
            let reg = Regression {
                factors: &views,
                y: &y,
            };
            for spec in [
                RobustSpec::parse("HC1", None).unwrap().unwrap(),
                RobustSpec::parse("HAC", Some(6)).unwrap().unwrap(),
            ] {
                let run = |portable: bool| {
                    let mut se = vec![vec![0.0; y.len()]; 2 * (p + 1)];
                    let (ses, ts) = se.split_at_mut(p + 1);
                    let (a_se, b_se) = ses.split_at_mut(1);
                    let (a_t, b_t) = ts.split_at_mut(1);
                    let mut out = RobustColumns {
                        alpha_se: Some(&mut a_se[0]),
                        beta_se: b_se.iter_mut().map(|b| Some(b.as_mut_slice())).collect(),
                        alpha_t: Some(&mut a_t[0]),
                        beta_t: b_t.iter_mut().map(|b| Some(b.as_mut_slice())).collect(),
                    };
                    if portable {
                        rolling_robust_portable(&reg, &spec_w, &spec, &coef, &mut out).unwrap();
                    } else {
                        rolling_robust(&reg, &spec_w, &spec, &coef, &mut out).unwrap();
                    }
                    se
                };
                let (fast, portable) = (run(false), run(true));
                assert!(portable[0].iter().any(|v| v.is_finite()));
                for (a, b) in fast.iter().zip(&portable) {
                    for (t, (u, v)) in a.iter().zip(b).enumerate() {
                        assert_eq!(u.to_bits(), v.to_bits(), "row {t}, {p} factors, {spec:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn simple_fit_binding_form_matches_the_factor_form() {
        let (x, y) = capm_data(300);
        let spec_w = WindowSpec::new(Window::Rows(60), 30).unwrap();
        let spec = RobustSpec::parse("HAC", Some(5)).unwrap().unwrap();
        let want = rolling(std::slice::from_ref(&x), &y, &spec_w, &spec);
        let len = y.len();
        let (mut a_se, mut b_se, mut a_t) = (vec![0.0; len], vec![0.0; len], vec![0.0; len]);
        let mut out = SimpleFitColumns {
            alpha_se: Some(&mut a_se),
            beta_se: Some(&mut b_se),
            alpha_t: Some(&mut a_t),
            ..Default::default()
        };
        robust_simple_fit(&x, &y, &spec_w, &spec, &mut out).unwrap();
        for t in 0..len {
            if want[0][t].is_nan() {
                assert!(a_se[t].is_nan() && b_se[t].is_nan());
            } else {
                assert!(rel(a_se[t], want[0][t]) < 1e-12 && rel(b_se[t], want[1][t]) < 1e-12);
                assert!(a_t[t].is_finite());
            }
        }
    }
}
