//! Multi-factor regression `y = alpha + sum_j beta_j * f_j + e` over a trailing window.
//!
//! Each window is solved from the centered co-moments of `(f_1 .. f_k, y)`, kept as rows
//! enter and leave with Welford-style rank-1 updates and rebuilt from the rows at least once
//! per window length of removals and whenever a variance collapses below its peak (the
//! signature of cancellation). The factor block is scaled to a correlation matrix and
//! factored by Cholesky; a pivot below [`COLLINEAR_PIVOT`] means a factor is (nearly) a linear
//! combination of the others in that window, and the window's fit is null rather than a huge
//! coefficient. No inverse is carried from one window to the next.
//!
//! Results that cannot be computed are written as NaN; see [`FactorFitColumns`] for the rules.

// The solver's loops index several matrices at once, as the formulas are written.
#![allow(clippy::needless_range_loop)]

use super::moments::clamp_non_negative;
use super::window::WindowBounds;
use super::KernelError;

/// Same rule as the single-index kernel: a variance that fell below this fraction of its
/// peak since the last rebuild has lost too many digits.
const CANCELLATION_RATIO: f64 = 1e-3;

/// Residual sums below this fraction of `Syy` (R² above 0.9999) are summed directly.
const NEAR_PERFECT_FIT: f64 = 1e-4;

/// Smallest Cholesky pivot of the factors' correlation matrix that counts as full rank. A
/// pivot is `1 - R²` of a factor regressed on the factors before it, so below 1e-9 the
/// factor is collinear to nine digits and its coefficient would be mostly rounding noise.
pub const COLLINEAR_PIVOT: f64 = 1e-9;

/// Where each output field lives in [`FactorFitColumns::floats`], for `k` factors:
/// `alpha, beta_1..k, r2, adj_r2, resid_std, alpha_se, beta_se_1..k, alpha_t, beta_t_1..k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactorLayout {
    pub k: usize,
}

impl FactorLayout {
    pub const fn alpha(&self) -> usize {
        0
    }
    pub const fn beta(&self, j: usize) -> usize {
        1 + j
    }
    pub const fn r2(&self) -> usize {
        1 + self.k
    }
    pub const fn adj_r2(&self) -> usize {
        2 + self.k
    }
    pub const fn resid_std(&self) -> usize {
        3 + self.k
    }
    pub const fn alpha_se(&self) -> usize {
        4 + self.k
    }
    pub const fn beta_se(&self, j: usize) -> usize {
        5 + self.k + j
    }
    pub const fn alpha_t(&self) -> usize {
        5 + 2 * self.k
    }
    pub const fn beta_t(&self, j: usize) -> usize {
        6 + 2 * self.k + j
    }
    /// Number of float fields.
    pub const fn field_count(&self) -> usize {
        6 + 3 * self.k
    }
}

/// Output buffers of a multi-factor fit, in [`FactorLayout`] order, plus the row count.
/// Everything but `n` is NaN when `n < min_periods`, `n <= k`, a factor is constant or the
/// factors are collinear in the window; `resid_std`, `adj_r2`, standard errors and t-values
/// when `n <= k + 1`; `r2` and `adj_r2` when `y` is constant; a t-value when its standard
/// error is zero.
#[derive(Debug)]
pub struct FactorFitColumns<'a> {
    pub floats: Vec<&'a mut [f64]>,
    pub n: &'a mut [u32],
}

/// Running centered co-moments of `m = k + 1` variables (the factors, then `y`).
#[derive(Debug, Clone)]
struct CoMoments {
    m: usize,
    n: usize,
    mean: Vec<f64>,
    /// Full `m x m` co-moment matrix, row-major.
    c: Vec<f64>,
    /// Scratch: the row's deviation from the mean before an update.
    delta: Vec<f64>,
}

impl CoMoments {
    fn new(m: usize) -> Self {
        Self {
            m,
            n: 0,
            mean: vec![0.0; m],
            c: vec![0.0; m * m],
            delta: vec![0.0; m],
        }
    }

    fn clear(&mut self) {
        self.n = 0;
        self.mean.fill(0.0);
        self.c.fill(0.0);
    }

    fn add(&mut self, z: &[f64]) {
        self.n += 1;
        let inv_n = 1.0 / self.n as f64;
        for i in 0..self.m {
            self.delta[i] = z[i] - self.mean[i];
            self.mean[i] += self.delta[i] * inv_n;
        }
        // (z - old mean) (z - new mean)^T is the exact increment of the co-moments.
        for i in 0..self.m {
            for j in 0..self.m {
                self.c[i * self.m + j] += self.delta[i] * (z[j] - self.mean[j]);
            }
        }
    }

    fn remove(&mut self, z: &[f64]) {
        if self.n <= 1 {
            self.clear();
            return;
        }
        self.n -= 1;
        let inv_n = 1.0 / self.n as f64;
        for i in 0..self.m {
            self.delta[i] = z[i] - self.mean[i];
            self.mean[i] -= self.delta[i] * inv_n;
        }
        for i in 0..self.m {
            for j in 0..self.m {
                self.c[i * self.m + j] -= self.delta[i] * (z[j] - self.mean[j]);
            }
        }
        for i in 0..self.m {
            let d = i * self.m + i;
            self.c[d] = clamp_non_negative(self.c[d]);
        }
    }

    fn variance_sum(&self, i: usize) -> f64 {
        self.c[i * self.m + i]
    }

    fn is_finite(&self) -> bool {
        self.c.iter().all(|v| v.is_finite()) && self.mean.iter().all(|v| v.is_finite())
    }

    /// Rebuilds from the usable rows `first..=last` by the corrected two-pass algorithm.
    fn rebuild(&mut self, rows: &Rows<'_>, first: usize, last: usize, z: &mut [f64]) {
        self.clear();
        let m = self.m;
        let mut sum = vec![0.0; m];
        let mut n = 0usize;
        for t in first..=last {
            if rows.read(t, z) {
                n += 1;
                for i in 0..m {
                    sum[i] += z[i];
                }
            }
        }
        if n == 0 {
            return;
        }
        let nf = n as f64;
        let mean: Vec<f64> = sum.iter().map(|s| s / nf).collect();
        let mut dev_sum = vec![0.0; m];
        for t in first..=last {
            if rows.read(t, z) {
                for i in 0..m {
                    self.delta[i] = z[i] - mean[i];
                    dev_sum[i] += self.delta[i];
                }
                for i in 0..m {
                    for j in i..m {
                        self.c[i * m + j] += self.delta[i] * self.delta[j];
                    }
                }
            }
        }
        for i in 0..m {
            for j in i..m {
                // Fold the mean's own rounding error back in.
                let v = self.c[i * m + j] - dev_sum[i] * dev_sum[j] / nf;
                self.c[i * m + j] = v;
                self.c[j * m + i] = v;
            }
            let d = i * m + i;
            self.c[d] = clamp_non_negative(self.c[d]);
            self.mean[i] = mean[i] + dev_sum[i] / nf;
        }
        self.n = n;
    }
}

/// The regression's columns: `k` factors and `y`, each of the same length.
struct Rows<'a> {
    factors: &'a [&'a [f64]],
    y: &'a [f64],
}

impl Rows<'_> {
    /// Copies row `t` into `z` (factors, then `y`); true when every value is finite.
    #[inline]
    fn read(&self, t: usize, z: &mut [f64]) -> bool {
        let k = self.factors.len();
        let mut ok = true;
        for (j, f) in self.factors.iter().enumerate() {
            z[j] = f[t];
            ok &= z[j].is_finite();
        }
        z[k] = self.y[t];
        ok && z[k].is_finite()
    }
}

/// Scratch space for solving one window, reused across rows.
struct Solver {
    k: usize,
    /// Square roots of the factors' variance sums (the scaling).
    scale: Vec<f64>,
    /// Cholesky factor `L` of the factors' correlation matrix, row-major lower triangle.
    chol: Vec<f64>,
    /// `L^{-1}`, row-major lower triangle.
    chol_inv: Vec<f64>,
    /// Forward-substitution scratch.
    z: Vec<f64>,
    beta: Vec<f64>,
    /// The output row in [`FactorLayout`] order.
    row: Vec<f64>,
}

impl Solver {
    fn new(k: usize) -> Self {
        Self {
            k,
            scale: vec![0.0; k],
            chol: vec![0.0; k * k],
            chol_inv: vec![0.0; k * k],
            z: vec![0.0; k],
            beta: vec![0.0; k],
            row: vec![f64::NAN; FactorLayout { k }.field_count()],
        }
    }

    /// Cholesky of the scaled factor block; false when a factor is constant, collinear
    /// with the others, or a moment is not finite.
    fn factor(&mut self, cm: &CoMoments) -> bool {
        let (k, m) = (self.k, cm.m);
        for j in 0..k {
            let v = cm.c[j * m + j];
            if !(v.is_finite() && v > 0.0) {
                return false;
            }
            self.scale[j] = v.sqrt();
        }
        for i in 0..k {
            for j in 0..=i {
                let mut s = cm.c[i * m + j] / (self.scale[i] * self.scale[j]);
                for p in 0..j {
                    s -= self.chol[i * k + p] * self.chol[j * k + p];
                }
                if i == j {
                    // NaN (an overflowed moment) fails the test too.
                    if s.is_nan() || s <= COLLINEAR_PIVOT {
                        return false;
                    }
                    self.chol[i * k + i] = s.sqrt();
                } else {
                    self.chol[i * k + j] = s / self.chol[j * k + j];
                }
            }
        }
        true
    }

    /// Solves `L w = b` in place (`b` in `self.z`).
    fn forward(&mut self) {
        let k = self.k;
        for i in 0..k {
            let mut s = self.z[i];
            for p in 0..i {
                s -= self.chol[i * k + p] * self.z[p];
            }
            self.z[i] = s / self.chol[i * k + i];
        }
    }

    fn invert_chol(&mut self) {
        let k = self.k;
        self.chol_inv.fill(0.0);
        for col in 0..k {
            for i in col..k {
                let mut s = if i == col { 1.0 } else { 0.0 };
                for p in col..i {
                    s -= self.chol[i * k + p] * self.chol_inv[p * k + col];
                }
                self.chol_inv[i * k + col] = s / self.chol[i * k + i];
            }
        }
    }

    /// Fits the window described by `cm`; `rows` and `first..=last` are read only for a
    /// near-perfect fit. Writes the output row into `self.row`.
    fn fit(
        &mut self,
        cm: &CoMoments,
        rows: &Rows<'_>,
        first: usize,
        last: usize,
        min_periods: usize,
    ) {
        let k = self.k;
        let m = cm.m;
        let layout = FactorLayout { k };
        self.row.fill(f64::NAN);
        let n = cm.n;
        if n < min_periods || n <= k || !cm.is_finite() || !self.factor(cm) {
            return;
        }
        // Scaled normal equations R b' = r with r_j = C_jy / s_j; then beta_j = b'_j / s_j.
        for j in 0..k {
            self.z[j] = cm.c[j * m + k] / self.scale[j];
        }
        self.forward();
        let explained: f64 = self.z.iter().map(|w| w * w).sum();
        // Back substitution L^T b' = w.
        for i in (0..k).rev() {
            let mut s = self.z[i];
            for p in i + 1..k {
                s -= self.chol[p * k + i] * self.beta[p];
            }
            self.beta[i] = s / self.chol[i * k + i];
        }
        for j in 0..k {
            self.beta[j] /= self.scale[j];
        }
        let mean_y = cm.mean[k];
        let alpha = mean_y - (0..k).map(|j| self.beta[j] * cm.mean[j]).sum::<f64>();
        self.row[layout.alpha()] = alpha;
        for j in 0..k {
            self.row[layout.beta(j)] = self.beta[j];
        }

        let syy = cm.variance_sum(k);
        let mut ssr = syy - explained;
        let near_perfect = ssr < NEAR_PERFECT_FIT * syy;
        if near_perfect {
            let mut zrow = vec![0.0; m];
            ssr = 0.0;
            for t in first..=last {
                if rows.read(t, &mut zrow) {
                    let mut e = zrow[k] - mean_y;
                    for j in 0..k {
                        e -= self.beta[j] * (zrow[j] - cm.mean[j]);
                    }
                    ssr += e * e;
                }
            }
        }
        let ssr = clamp_non_negative(ssr);
        let nf = n as f64;
        let df = nf - k as f64 - 1.0;
        if syy > 0.0 {
            let r2 = 1.0 - ssr / syy;
            self.row[layout.r2()] = r2;
            if df > 0.0 {
                self.row[layout.adj_r2()] = 1.0 - (1.0 - r2) * (nf - 1.0) / df;
            }
        }
        if df <= 0.0 {
            return;
        }
        let s = (ssr / df).sqrt();
        self.row[layout.resid_std()] = s;
        self.invert_chol();
        // (C^{-1})_jj = (R^{-1})_jj / s_j^2 with R^{-1} = L^{-T} L^{-1}.
        for j in 0..k {
            let inv_jj: f64 = (j..k).map(|i| self.chol_inv[i * k + j].powi(2)).sum();
            let se = s * inv_jj.sqrt() / self.scale[j];
            self.row[layout.beta_se(j)] = se;
            if se > 0.0 {
                self.row[layout.beta_t(j)] = self.beta[j] / se;
            }
        }
        // alpha_se^2 = s^2 (1/n + mean_f^T C^{-1} mean_f); the quadratic form is |L^{-1} u|^2
        // with u_j = mean_j / s_j.
        let quad: f64 = (0..k)
            .map(|i| {
                let w: f64 = (0..=i)
                    .map(|p| self.chol_inv[i * k + p] * cm.mean[p] / self.scale[p])
                    .sum();
                w * w
            })
            .sum();
        let alpha_se = s * (1.0 / nf + quad).sqrt();
        self.row[layout.alpha_se()] = alpha_se;
        if alpha_se > 0.0 {
            self.row[layout.alpha_t()] = alpha / alpha_se;
        }
    }
}

fn check_inputs(
    factors: &[&[f64]],
    y: &[f64],
    out: &FactorFitColumns<'_>,
) -> Result<(), KernelError> {
    if factors.is_empty() {
        return Err(KernelError::NoFactors);
    }
    let len = y.len();
    for f in factors {
        if f.len() != len {
            return Err(KernelError::LengthMismatch {
                expected: len,
                got: f.len(),
                what: "a factor",
            });
        }
    }
    let layout = FactorLayout { k: factors.len() };
    if out.floats.len() != layout.field_count() {
        return Err(KernelError::LengthMismatch {
            expected: layout.field_count(),
            got: out.floats.len(),
            what: "the list of output buffers",
        });
    }
    if let Some(got) = out
        .floats
        .iter()
        .map(|b| b.len())
        .chain(std::iter::once(out.n.len()))
        .find(|&l| l != len)
    {
        return Err(KernelError::LengthMismatch {
            expected: len,
            got,
            what: "an output buffer",
        });
    }
    Ok(())
}

/// Rolling multi-factor regression of `y` on `factors` (all in time order), one fit per row.
pub fn rolling_factor_ols(
    factors: &[&[f64]],
    y: &[f64],
    bounds: &impl WindowBounds,
    out: &mut FactorFitColumns<'_>,
) -> Result<(), KernelError> {
    check_inputs(factors, y, out)?;
    let k = factors.len();
    let rows = Rows { factors, y };
    let mut cm = CoMoments::new(k + 1);
    let mut solver = Solver::new(k);
    let mut z = vec![0.0; k + 1];
    let mut peaks = vec![0.0f64; k + 1];
    let mut first = 0usize;
    let mut removals = 0usize;
    for t in 0..y.len() {
        if rows.read(t, &mut z) {
            cm.add(&z);
        }
        let start = bounds.start(t);
        let mut shrank = false;
        while first < start {
            if rows.read(first, &mut z) {
                cm.remove(&z);
                shrank = true;
            }
            removals += 1;
            first += 1;
        }
        let collapsed = (shrank
            && (0..=k).any(|i| cm.variance_sum(i) < CANCELLATION_RATIO * peaks[i]))
            || !cm.is_finite();
        if removals > t - first || collapsed {
            cm.rebuild(&rows, first, t, &mut z);
            removals = 0;
            for (i, p) in peaks.iter_mut().enumerate() {
                *p = cm.variance_sum(i);
            }
        } else {
            for (i, p) in peaks.iter_mut().enumerate() {
                *p = p.max(cm.variance_sum(i));
            }
        }
        solver.fit(&cm, &rows, first, t, bounds.min_periods());
        for (buf, v) in out.floats.iter_mut().zip(&solver.row) {
            buf[t] = *v;
        }
        out.n[t] = u32::try_from(cm.n).unwrap_or(u32::MAX);
    }
    Ok(())
}

/// One regression over every usable row: the whole-sample form, written to 1-row buffers.
pub fn factor_ols(
    factors: &[&[f64]],
    y: &[f64],
    min_periods: usize,
    out: &mut FactorFitColumns<'_>,
) -> Result<(), KernelError> {
    if factors.is_empty() {
        return Err(KernelError::NoFactors);
    }
    if min_periods < 2 {
        return Err(KernelError::MinPeriodsTooSmall(min_periods));
    }
    let k = factors.len();
    let rows = Rows { factors, y };
    for f in factors {
        if f.len() != y.len() {
            return Err(KernelError::LengthMismatch {
                expected: y.len(),
                got: f.len(),
                what: "a factor",
            });
        }
    }
    let mut cm = CoMoments::new(k + 1);
    let mut solver = Solver::new(k);
    if !y.is_empty() {
        let mut z = vec![0.0; k + 1];
        cm.rebuild(&rows, 0, y.len() - 1, &mut z);
        solver.fit(&cm, &rows, 0, y.len() - 1, min_periods);
    }
    if out.floats.len() != solver.row.len()
        || out.floats.iter().any(|b| b.len() != 1)
        || out.n.len() != 1
    {
        return Err(KernelError::LengthMismatch {
            expected: 1,
            got: out.n.len(),
            what: "the whole-sample output buffers",
        });
    }
    for (buf, v) in out.floats.iter_mut().zip(&solver.row) {
        buf[0] = *v;
    }
    out.n[0] = u32::try_from(cm.n).unwrap_or(u32::MAX);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::test_support::lcg_series;
    use crate::kernels::window::{DateWindow, Window, WindowSpec};

    struct Owned {
        floats: Vec<Vec<f64>>,
        n: Vec<u32>,
    }

    fn run(factors: &[Vec<f64>], y: &[f64], bounds: &impl WindowBounds) -> Owned {
        let k = factors.len();
        let len = y.len();
        let mut floats = vec![vec![0.0; len]; FactorLayout { k }.field_count()];
        let mut n = vec![0u32; len];
        let views: Vec<&[f64]> = factors.iter().map(|f| f.as_slice()).collect();
        {
            let mut out = FactorFitColumns {
                floats: floats.iter_mut().map(|b| b.as_mut_slice()).collect(),
                n: &mut n,
            };
            rolling_factor_ols(&views, y, bounds, &mut out).unwrap();
        }
        Owned { floats, n }
    }

    /// Gaussian elimination with partial pivoting on the uncentered normal equations of
    /// `[1, f]`: an independent route to the same coefficients.
    fn reference(
        factors: &[Vec<f64>],
        y: &[f64],
        rows: std::ops::Range<usize>,
    ) -> (Vec<f64>, f64, f64) {
        let k = factors.len();
        let p = k + 1;
        let mut a = vec![vec![0.0; p + 1]; p];
        let mut n = 0.0;
        let mut used = vec![];
        for t in rows {
            let mut x = vec![1.0];
            x.extend(factors.iter().map(|f| f[t]));
            if !(x.iter().all(|v| v.is_finite()) && y[t].is_finite()) {
                continue;
            }
            n += 1.0;
            used.push((x.clone(), y[t]));
            for i in 0..p {
                for j in 0..p {
                    a[i][j] += x[i] * x[j];
                }
                a[i][p] += x[i] * y[t];
            }
        }
        for col in 0..p {
            let piv = (col..p)
                .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
                .unwrap();
            a.swap(col, piv);
            for i in 0..p {
                if i != col {
                    let f = a[i][col] / a[col][col];
                    for j in col..=p {
                        a[i][j] -= f * a[col][j];
                    }
                }
            }
        }
        let coef: Vec<f64> = (0..p).map(|i| a[i][p] / a[i][i]).collect();
        let ssr: f64 = used
            .iter()
            .map(|(x, yv)| {
                let fit: f64 = x.iter().zip(&coef).map(|(a, b)| a * b).sum();
                (yv - fit).powi(2)
            })
            .sum();
        (coef, ssr, n)
    }

    fn panel(len: usize, k: usize, seed: u64) -> (Vec<Vec<f64>>, Vec<f64>) {
        let factors: Vec<Vec<f64>> = (0..k)
            .map(|j| lcg_series(seed + 7 * j as u64 + 1, len, 0.01))
            .collect();
        let noise = lcg_series(seed + 1000, len, 0.005);
        let y = (0..len)
            .map(|t| {
                0.0003
                    + factors
                        .iter()
                        .enumerate()
                        .map(|(j, f)| (0.5 + 0.3 * j as f64) * f[t])
                        .sum::<f64>()
                    + noise[t]
            })
            .collect();
        (factors, y)
    }

    #[test]
    fn matches_direct_solution_on_every_window() {
        let (mut factors, mut y) = panel(300, 3, 11);
        factors[1][40] = f64::NAN;
        y[77] = f64::INFINITY;
        let spec = WindowSpec::new(Window::Rows(60), 30).unwrap();
        let o = run(&factors, &y, &spec);
        let layout = FactorLayout { k: 3 };
        for t in 0..300 {
            let start = spec.start(t);
            let (coef, ssr, n) = reference(&factors, &y, start..t + 1);
            assert_eq!(o.n[t] as f64, n);
            if n < 30.0 {
                assert!(o.floats[0][t].is_nan());
                continue;
            }
            for (idx, c) in [
                layout.alpha(),
                layout.beta(0),
                layout.beta(1),
                layout.beta(2),
            ]
            .iter()
            .zip(&coef)
            {
                let got = o.floats[*idx][t];
                assert!(
                    (got - c).abs() <= 1e-9 * c.abs().max(1e-3),
                    "t={t} got {got} want {c}"
                );
            }
            let s = (ssr / (n - 4.0)).sqrt();
            let got = o.floats[layout.resid_std()][t];
            assert!((got - s).abs() <= 1e-9 * s, "t={t} resid_std {got} vs {s}");
        }
    }

    #[test]
    fn one_factor_equals_the_single_index_fit() {
        use crate::kernels::rolling_ols::{rolling_simple_ols, SimpleFitColumns};
        let (factors, y) = panel(200, 1, 3);
        let spec = WindowSpec::new(Window::Rows(50), 50).unwrap();
        let o = run(&factors, &y, &spec);
        let mut beta_se = vec![0.0; 200];
        let mut alpha_se = vec![0.0; 200];
        {
            let mut cols = SimpleFitColumns {
                beta_se: Some(&mut beta_se),
                alpha_se: Some(&mut alpha_se),
                ..Default::default()
            };
            rolling_simple_ols(&factors[0], &y, &spec, &mut cols).unwrap();
        }
        let layout = FactorLayout { k: 1 };
        for t in 49..200 {
            let (a, b) = (o.floats[layout.beta_se(0)][t], beta_se[t]);
            assert!((a - b).abs() <= 1e-10 * b, "beta_se t={t}: {a} vs {b}");
            let (a, b) = (o.floats[layout.alpha_se()][t], alpha_se[t]);
            assert!((a - b).abs() <= 1e-10 * b, "alpha_se t={t}: {a} vs {b}");
        }
    }

    #[test]
    fn collinear_windows_are_null_and_recover() {
        let (mut factors, y) = panel(200, 2, 5);
        // Rows 50..120: the second factor is twice the first, so those windows are singular.
        for t in 50..120 {
            factors[1][t] = 2.0 * factors[0][t];
        }
        let spec = WindowSpec::new(Window::Rows(30), 30).unwrap();
        let o = run(&factors, &y, &spec);
        let layout = FactorLayout { k: 2 };
        for t in 79..120 {
            for i in 0..layout.field_count() {
                assert!(
                    o.floats[i][t].is_nan(),
                    "field {i} at row {t} should be null"
                );
            }
            assert_eq!(o.n[t], 30);
        }
        assert!(o.floats[layout.beta(1)][149].is_finite());
        assert!(o.floats[layout.beta(1)][78].is_finite());
    }

    #[test]
    fn nearly_collinear_within_tolerance_still_fits_accurately() {
        let (mut factors, y) = panel(120, 2, 9);
        let wiggle = lcg_series(99, 120, 1e-4);
        for t in 0..120 {
            factors[1][t] = factors[0][t] + wiggle[t];
        }
        let spec = WindowSpec::new(Window::Rows(120), 120).unwrap();
        let o = run(&factors, &y, &spec);
        let (coef, _, _) = reference(&factors, &y, 0..120);
        let got = o.floats[FactorLayout { k: 2 }.beta(1)][119];
        assert!(
            (got - coef[2]).abs() <= 1e-5 * coef[2].abs(),
            "{got} vs {}",
            coef[2]
        );
    }

    #[test]
    fn constant_factor_and_too_few_rows_give_nan() {
        let (mut factors, y) = panel(40, 2, 2);
        factors[1] = vec![0.5; 40];
        let o = run(&factors, &y, &WindowSpec::new(Window::Rows(10), 2).unwrap());
        assert!(o.floats.iter().all(|c| c.iter().all(|v| v.is_nan())));
        let (factors, y) = panel(40, 3, 2);
        let o = run(&factors, &y, &WindowSpec::new(Window::Rows(10), 2).unwrap());
        let layout = FactorLayout { k: 3 };
        // n = 3 <= k: no fit; n = 4 = k + 1: an exact fit without inference.
        assert!(o.floats[layout.beta(0)][2].is_nan());
        assert!(o.floats[layout.beta(0)][3].is_finite());
        assert!(o.floats[layout.resid_std()][3].is_nan());
        assert!(o.floats[layout.resid_std()][4].is_finite());
    }

    #[test]
    fn outlier_leaving_the_window_is_rebuilt_away() {
        let (mut factors, mut y) = panel(400, 2, 21);
        factors[0][100] = 1e6;
        y[100] = -1e6;
        let spec = WindowSpec::new(Window::Rows(50), 50).unwrap();
        let o = run(&factors, &y, &spec);
        let layout = FactorLayout { k: 2 };
        for t in [150usize, 151, 200, 399] {
            let (coef, _, _) = reference(&factors, &y, t - 49..t + 1);
            let got = o.floats[layout.beta(0)][t];
            assert!(
                (got - coef[1]).abs() <= 1e-9 * coef[1].abs(),
                "t={t}: {got} vs {}",
                coef[1]
            );
        }
    }

    #[test]
    fn date_windows_and_whole_sample() {
        let (factors, y) = panel(100, 2, 8);
        // Every third day missing: times 0, 1, 3, 4, 6, ...
        let time: Vec<i64> = (0..100i64).map(|i| i + i / 2).collect();
        let lower: Vec<i64> = time.iter().map(|t| t - 30).collect();
        let w = DateWindow::new(&time, &lower, 5).unwrap();
        let o = run(&factors, &y, &w);
        let layout = FactorLayout { k: 2 };
        for t in 10..100 {
            let start = time.iter().position(|&d| d > time[t] - 30).unwrap();
            let (coef, _, n) = reference(&factors, &y, start..t + 1);
            assert_eq!(o.n[t] as f64, n);
            let got = o.floats[layout.beta(1)][t];
            assert!((got - coef[2]).abs() <= 1e-9 * coef[2].abs(), "t={t}");
        }
        let views: Vec<&[f64]> = factors.iter().map(|f| f.as_slice()).collect();
        let mut floats = vec![vec![0.0; 1]; layout.field_count()];
        let mut n = vec![0u32];
        let mut out = FactorFitColumns {
            floats: floats.iter_mut().map(|b| b.as_mut_slice()).collect(),
            n: &mut n,
        };
        factor_ols(&views, &y, 2, &mut out).unwrap();
        let (coef, _, _) = reference(&factors, &y, 0..100);
        assert!((floats[layout.beta(0)][0] - coef[1]).abs() <= 1e-10 * coef[1].abs());
        assert_eq!(n[0], 100);
    }

    #[test]
    fn bad_arguments_are_errors() {
        let y = vec![0.0; 5];
        let mut n = vec![0u32; 5];
        let mut out = FactorFitColumns {
            floats: vec![],
            n: &mut n,
        };
        let spec = WindowSpec::new(Window::Rows(3), 3).unwrap();
        assert_eq!(
            rolling_factor_ols(&[], &y, &spec, &mut out),
            Err(KernelError::NoFactors)
        );
        let short = vec![0.0; 4];
        assert!(matches!(
            rolling_factor_ols(&[&short], &y, &spec, &mut out),
            Err(KernelError::LengthMismatch { .. })
        ));
    }
}
