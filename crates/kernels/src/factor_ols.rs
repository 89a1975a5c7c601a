//! Multi-factor regression `y = alpha + sum_j beta_j * f_j + e` over a trailing window.
//!
//! Each window is solved from the co-moments of `(f_1 .. f_k, y)`, kept about an origin (the
//! values of one row of the window, so a series at a large level keeps its digits) as rows
//! leave and enter with Welford-style rank-1 updates, and rebuilt from the rows at least once
//! per window length of removals, whenever a variance collapses below its peak (the signature
//! of cancellation) and when the origin row leaves. A column whose values in the window all
//! equal the origin's is exactly constant, and its co-moments are then exactly 0.
//!
//! The factor block is scaled to a correlation matrix and factored by Cholesky; a pivot below
//! [`COLLINEAR_PIVOT`] means a factor is (nearly) a linear combination of the factors before it
//! in that window, and the window's fit is null rather than a huge coefficient. A pivot is
//! trusted only when its rounding (which grows with the inverse of the earlier pivots) cannot
//! carry it across the threshold; otherwise the rank is decided by a QR factorization of the
//! window's rows. No inverse is carried from one window to the next.
//!
//! Results that cannot be computed are written as NaN; see [`FactorFitColumns`] for the rules.

// The solver's loops index several matrices at once, as the formulas are written.
#![allow(clippy::needless_range_loop)]

use super::moments::clamp_non_negative;
use super::tolerances::{CANCELLATION_RATIO, NEAR_PERFECT_FIT};
use super::window::WindowBounds;
use super::KernelError;

/// Smallest Cholesky pivot of the factors' correlation matrix that counts as full rank. A
/// pivot is `1 - R²` of a factor regressed on the factors before it, so below 1e-9 the
/// factor is collinear to nine digits and its coefficient would be mostly rounding noise.
/// Near the threshold, a pivot is judged with its rounding (see the module docs).
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

    /// The output struct's field names for factors named `factor_names` (`k` of them): the
    /// float fields in this layout's order, `beta_<f>`, `beta_<f>_se` and `beta_<f>_t` per
    /// factor, then the row count `n`.
    pub fn field_names(factor_names: &[String]) -> Vec<String> {
        let layout = FactorLayout {
            k: factor_names.len(),
        };
        let mut names = vec![String::new(); layout.field_count()];
        names[layout.alpha()] = "alpha".into();
        names[layout.r2()] = "r2".into();
        names[layout.adj_r2()] = "adj_r2".into();
        names[layout.resid_std()] = "resid_std".into();
        names[layout.alpha_se()] = "alpha_se".into();
        names[layout.alpha_t()] = "alpha_t".into();
        for (j, f) in factor_names.iter().enumerate() {
            names[layout.beta(j)] = format!("beta_{f}");
            names[layout.beta_se(j)] = format!("beta_{f}_se");
            names[layout.beta_t(j)] = format!("beta_{f}_t");
        }
        names.push("n".into());
        names
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

/// Running co-moments of `m = k + 1` variables (the factors, then `y`) over the usable rows
/// of a window, kept about an origin: the values of one row of the window. With the origin
/// among the data, `z - origin` is small and exact next to the data's level, so a series at
/// 1e6 keeps its digits (running means at that level would lose the last ulp of 1e6 on every
/// update).
#[derive(Debug, Clone)]
struct CoMoments {
    m: usize,
    n: usize,
    /// The values of `origin_row`, a usable row of the window while `n > 0`.
    origin: Vec<f64>,
    origin_row: usize,
    /// Means of `z - origin`.
    mean: Vec<f64>,
    /// Full `m x m` co-moment matrix, row-major.
    c: Vec<f64>,
    /// Per column, the usable rows whose value differs from the origin's. Zero means the
    /// column is exactly constant in the window: its co-moments are then exactly 0, whatever
    /// residue the updates that took the other values out left behind.
    differ: Vec<usize>,
    /// Rows added or removed since the moments were last summed from the rows (or were
    /// exactly zero); the rounding they carry grows with it (see [`CoMoments::rounding`]).
    updates: usize,
    /// Scratch: a row's deviation from the mean after an update, and (signed) before it.
    dev: Vec<f64>,
    delta: Vec<f64>,
}

impl CoMoments {
    fn new(m: usize) -> Self {
        Self {
            m,
            n: 0,
            origin: vec![0.0; m],
            origin_row: 0,
            mean: vec![0.0; m],
            c: vec![0.0; m * m],
            differ: vec![0; m],
            updates: 0,
            dev: vec![0.0; m],
            delta: vec![0.0; m],
        }
    }

    fn clear(&mut self) {
        self.n = 0;
        self.mean.fill(0.0);
        self.c.fill(0.0);
        self.differ.fill(0);
        self.updates = 0;
    }

    /// The mean of column `i` on the data's scale.
    #[inline]
    fn mean_of(&self, i: usize) -> f64 {
        self.origin[i] + self.mean[i]
    }

    /// Adds usable row `t` with values `z`; the first row of an empty window is its origin.
    #[inline]
    fn add(&mut self, z: &[f64], t: usize) {
        if self.n == 0 {
            self.origin.copy_from_slice(z);
            self.origin_row = t;
        }
        self.n += 1;
        self.updates += 1;
        for ((count, &v), &o) in self.differ.iter_mut().zip(z).zip(&self.origin) {
            *count += usize::from(v != o);
        }
        self.update(z, 1.0 / self.n as f64, 1.0);
    }

    /// Removes a usable row with values `z`.
    #[inline]
    fn remove(&mut self, z: &[f64]) {
        if self.n <= 1 {
            // An empty window has exactly zero moments; do not carry rounding residue.
            self.clear();
            return;
        }
        self.n -= 1;
        self.updates += 1;
        for ((count, &v), &o) in self.differ.iter_mut().zip(z).zip(&self.origin) {
            *count -= usize::from(v != o);
        }
        self.update(z, 1.0 / self.n as f64, -1.0);
        let m = self.m;
        for i in 0..m {
            let d = i * m + i;
            self.c[d] = clamp_non_negative(self.c[d]);
            if self.differ[i] == 0 {
                self.zero_column(i);
            }
        }
    }

    /// The Welford step of an addition (`sign` 1) or a removal (`sign` -1) of the row `z`,
    /// `inv_n` being `1 / n` after it: the means move by `sign (d - mean) / n` with
    /// `d = z - origin`, and the co-moments by `sign (d - old mean) (d - new mean)'`, the
    /// exact increment.
    #[inline(always)]
    fn update(&mut self, z: &[f64], inv_n: f64, sign: f64) {
        let cols = z.iter().zip(&self.origin).zip(&mut self.mean);
        for (((&v, &o), mean), (delta, after)) in cols.zip(self.delta.iter_mut().zip(&mut self.dev))
        {
            let d = v - o;
            let before = d - *mean;
            *mean += sign * before * inv_n;
            *delta = sign * before;
            *after = d - *mean;
        }
        for (row, &d) in self.c.chunks_exact_mut(self.m).zip(&self.delta) {
            for (c, &w) in row.iter_mut().zip(&self.dev) {
                *c += d * w;
            }
        }
    }

    /// Every value of column `i` equals the origin's: its mean (about the origin) and its
    /// co-moments are exactly 0.
    fn zero_column(&mut self, i: usize) {
        let m = self.m;
        self.mean[i] = 0.0;
        for j in 0..m {
            self.c[i * m + j] = 0.0;
            self.c[j * m + i] = 0.0;
        }
    }

    fn variance_sum(&self, i: usize) -> f64 {
        self.c[i * self.m + i]
    }

    fn is_finite(&self) -> bool {
        self.c.iter().all(|v| v.is_finite()) && self.mean.iter().all(|v| v.is_finite())
    }

    /// Rebuilds from the usable rows `first..=last` by the corrected two-pass algorithm, about
    /// the newest usable row: a row value keeps the differences exact, and the newest row
    /// stays in the window longest.
    fn rebuild(&mut self, rows: &Rows<'_>, first: usize, last: usize, z: &mut [f64]) {
        self.clear();
        let Some(origin_row) = (first..=last).rev().find(|&t| rows.read(t, z)) else {
            return;
        };
        self.origin.copy_from_slice(z);
        self.origin_row = origin_row;
        let m = self.m;
        let mut sum = vec![0.0; m];
        let mut n = 0usize;
        for t in first..=last {
            if rows.read(t, z) {
                n += 1;
                for i in 0..m {
                    sum[i] += z[i] - self.origin[i];
                    self.differ[i] += usize::from(z[i] != self.origin[i]);
                }
            }
        }
        let nf = n as f64;
        let mean: Vec<f64> = sum.iter().map(|s| s / nf).collect();
        let mut dev_sum = vec![0.0; m];
        for t in first..=last {
            if rows.read(t, z) {
                for i in 0..m {
                    self.delta[i] = (z[i] - self.origin[i]) - mean[i];
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
        for i in 0..m {
            if self.differ[i] == 0 {
                self.zero_column(i);
            }
        }
    }

    /// A bound on the rounding error of the factors' co-moments relative to their scale,
    /// `|dC_ij| <= rounding * sqrt(C_ii C_jj)`, for moments that passed through `updates`
    /// updates since they were summed from the rows and whose variance sums peaked at `peaks`
    /// in between. A two-pass sum of `n` rows errs by at most about `n eps` of
    /// `sum |d_i| |d_j| <= sqrt(C_ii C_jj)` (and the deviations by `2 sqrt(n) eps` of it); an
    /// update by `3 eps` of the co-moments at the time, which may have been `peak / C` larger.
    /// Worst-case sums, not typical ones: the bound must hold for every window.
    fn rounding(&self, k: usize, peaks: &[f64]) -> f64 {
        let n = self.n as f64;
        let mut growth = 1.0f64;
        for i in 0..k {
            let r = peaks[i] / self.variance_sum(i);
            // A constant factor (0 / 0, or a peak over 0) has no fit to judge.
            if r > growth && r.is_finite() {
                growth = r;
            }
        }
        f64::EPSILON
            * (3.0 * self.updates as f64 + n + 2.0 * n.sqrt() + 2.0 * (k as f64 + 1.0))
            * growth.sqrt()
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

/// How [`Solver::factor`] judged the rank of the factors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rank {
    /// Every pivot is above [`COLLINEAR_PIVOT`] by more than its rounding: a fit.
    Full,
    /// A factor is constant, a pivot is below the threshold by more than its rounding, or a
    /// moment is not finite: no fit.
    Deficient,
    /// A pivot's rounding straddles the threshold: the co-moments cannot tell, the rows can.
    Unsure,
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
    /// The window's scaled centered factor columns, one after the other, for
    /// [`Solver::factor_from_rows`].
    cols: Vec<f64>,
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
            cols: Vec::new(),
            row: vec![f64::NAN; FactorLayout { k }.field_count()],
        }
    }

    /// Cholesky `L` (and `L^{-1}`) of the scaled factor block, whose entries carry a relative
    /// rounding of at most `rounding` (see [`CoMoments::rounding`]).
    ///
    /// Pivot `j` is `1 - R²` of factor `j` on the factors before it. A perturbation `E` of
    /// the correlation matrix moves it by `v' E v` to first order, where `v = (-c, 1)` and `c`
    /// are the coefficients of that regression: so it is known to `rounding |v|_1²` (doubled
    /// for the Cholesky's own rounding and the second order). That is small unless the
    /// factors before `j` are themselves nearly collinear, when `c` is large: then an exactly
    /// collinear factor can show a pivot well above the threshold, and a pivot is only
    /// trusted on its side of the threshold when its rounding cannot carry it across.
    fn factor(&mut self, cm: &CoMoments, rounding: impl Fn() -> f64) -> Rank {
        let (k, m) = (self.k, cm.m);
        for j in 0..k {
            let v = cm.c[j * m + j];
            if !(v.is_finite() && v > 0.0) {
                return Rank::Deficient;
            }
            self.scale[j] = v.sqrt();
        }
        // Computed when a pivot first needs it: the first pivot is 1.
        let mut level = None;
        for i in 0..k {
            for j in 0..i {
                let mut s = cm.c[i * m + j] / (self.scale[i] * self.scale[j]);
                for p in 0..j {
                    s -= self.chol[i * k + p] * self.chol[j * k + p];
                }
                self.chol[i * k + j] = s * self.chol_inv[j * k + j];
            }
            let mut pivot = cm.c[i * m + i] / (self.scale[i] * self.scale[i]);
            for p in 0..i {
                pivot -= self.chol[i * k + p] * self.chol[i * k + p];
            }
            // NaN (an overflowed moment) is deficient.
            if pivot.is_nan() {
                return Rank::Deficient;
            }
            if i > 0 {
                // c = L_B^{-T} l, with l the row of L just computed and L_B the block before
                // it, kept in `z` for row i of L^{-1}, which is (-c, 1) / L_ii.
                let mut v_norm = 1.0;
                for p in 0..i {
                    let c: f64 = (p..i)
                        .map(|q| self.chol_inv[q * k + p] * self.chol[i * k + q])
                        .sum();
                    self.z[p] = c;
                    v_norm += c.abs();
                }
                let err = 2.0 * *level.get_or_insert_with(&rounding) * v_norm * v_norm;
                if pivot + err <= COLLINEAR_PIVOT {
                    return Rank::Deficient;
                }
                // A NaN bound is unsure.
                let clear_of_threshold = pivot - err > COLLINEAR_PIVOT;
                if !clear_of_threshold {
                    return Rank::Unsure;
                }
            } else if pivot <= COLLINEAR_PIVOT {
                return Rank::Deficient;
            }
            let d = pivot.sqrt();
            let inv_d = 1.0 / d;
            self.chol[i * k + i] = d;
            for p in 0..i {
                self.chol_inv[i * k + p] = -self.z[p] * inv_d;
            }
            self.chol_inv[i * k + i] = inv_d;
        }
        Rank::Full
    }

    /// Decides the rank when the co-moments cannot ([`Rank::Unsure`]): a QR factorization of
    /// the window's centered factor columns (scaled as the co-moments are), by modified
    /// Gram-Schmidt with a second pass, whose pivots carry the columns' rounding once rather
    /// than squared and amplified. True when every pivot is above [`COLLINEAR_PIVOT`]; `L`
    /// and `L^{-1}` are then `R'` and its inverse. O(n k²): only windows that are nearly
    /// singular get here.
    fn factor_from_rows(
        &mut self,
        cm: &CoMoments,
        rows: &Rows<'_>,
        first: usize,
        last: usize,
    ) -> bool {
        let k = self.k;
        let n = cm.n;
        let mut cols = std::mem::take(&mut self.cols);
        cols.clear();
        cols.resize(k * n, 0.0);
        let mut zrow = vec![0.0; cm.m];
        let mut r = 0;
        for t in first..=last {
            if r < n && rows.read(t, &mut zrow) {
                for j in 0..k {
                    cols[j * n + r] = ((zrow[j] - cm.origin[j]) - cm.mean[j]) / self.scale[j];
                }
                r += 1;
            }
        }
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>();
        let mut full = r == n;
        for j in 0..k {
            let (done, rest) = cols.split_at_mut(j * n);
            let col = &mut rest[..n];
            let norm2 = dot(col, col);
            for p in 0..j {
                self.chol[j * k + p] = 0.0;
            }
            for _ in 0..2 {
                for p in 0..j {
                    let q = &done[p * n..(p + 1) * n];
                    let proj = dot(q, col);
                    self.chol[j * k + p] += proj;
                    for (v, u) in col.iter_mut().zip(q) {
                        *v -= proj * u;
                    }
                }
            }
            let rjj = dot(col, col).sqrt();
            // NaN (a constant column) is not full rank either.
            let independent = rjj * rjj > COLLINEAR_PIVOT * norm2;
            if !independent {
                full = false;
                break;
            }
            self.chol[j * k + j] = rjj;
            for v in col.iter_mut() {
                *v /= rjj;
            }
        }
        self.cols = cols;
        if full {
            self.invert_chol();
        }
        full
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
        rounding: impl Fn() -> f64,
    ) {
        let k = self.k;
        let m = cm.m;
        let layout = FactorLayout { k };
        self.row.fill(f64::NAN);
        let n = cm.n;
        if n < min_periods || n <= k || !cm.is_finite() {
            return;
        }
        let full = match self.factor(cm, rounding) {
            Rank::Full => true,
            Rank::Deficient => false,
            Rank::Unsure => self.factor_from_rows(cm, rows, first, last),
        };
        if !full {
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
        // alpha = mean_y - beta' mean_f, the origin's part and the small part summed apart.
        let alpha = (cm.origin[k] - (0..k).map(|j| self.beta[j] * cm.origin[j]).sum::<f64>())
            + (cm.mean[k] - (0..k).map(|j| self.beta[j] * cm.mean[j]).sum::<f64>());
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
                    let mut e = (zrow[k] - cm.origin[k]) - cm.mean[k];
                    for j in 0..k {
                        e -= self.beta[j] * ((zrow[j] - cm.origin[j]) - cm.mean[j]);
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
                    .map(|p| self.chol_inv[i * k + p] * cm.mean_of(p) / self.scale[p])
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
        // Rows leave before the new one enters: a window emptied on the way is reset to exact
        // zeros instead of keeping the residue of a removal from two rows to one.
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
        if rows.read(t, &mut z) {
            cm.add(&z, t);
        }
        let collapsed = (shrank
            && (0..=k).any(|i| cm.variance_sum(i) < CANCELLATION_RATIO * peaks[i]))
            || !cm.is_finite();
        // The origin never leaves the window without a rebuild: an origin far from the rows
        // left would cost digits instead of saving them.
        let origin_left = cm.n > 0 && first > cm.origin_row;
        if removals > t - first || collapsed || origin_left {
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
        solver.fit(&cm, &rows, first, t, bounds.min_periods(), || {
            cm.rounding(k, &peaks)
        });
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
        // Summed from the rows: no updates and no peak above the moments.
        let peaks: Vec<f64> = (0..=k).map(|i| cm.variance_sum(i)).collect();
        solver.fit(&cm, &rows, 0, y.len() - 1, min_periods, || {
            cm.rounding(k, &peaks)
        });
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

/// The fitted value and residual of each window's last row `t` (see
/// [`crate::simple_fit::endpoints`]): `fitted[t] = alpha[t] + sum_j betas[j][t] factors[j][t]`,
/// summed in factor order, and `resid[t] = y[t] - fitted[t]`. NaN where any input is NaN.
pub fn factor_endpoints(
    factors: &[&[f64]],
    y: &[f64],
    alpha: &[f64],
    betas: &[&[f64]],
    fitted: Option<&mut [f64]>,
    resid: Option<&mut [f64]>,
) -> Result<(), KernelError> {
    let len = y.len();
    if betas.len() != factors.len() {
        return Err(KernelError::LengthMismatch {
            expected: factors.len(),
            got: betas.len(),
            what: "the betas (one per factor)",
        });
    }
    let lengths = factors
        .iter()
        .map(|f| (f.len(), "a factor"))
        .chain(betas.iter().map(|b| (b.len(), "a beta")))
        .chain([
            (alpha.len(), "alpha"),
            (fitted.as_ref().map_or(len, |f| f.len()), "fitted"),
            (resid.as_ref().map_or(len, |r| r.len()), "resid"),
        ]);
    for (got, what) in lengths {
        if got != len {
            return Err(KernelError::LengthMismatch {
                expected: len,
                got,
                what,
            });
        }
    }
    let prediction = |t: usize| {
        factors
            .iter()
            .zip(betas)
            .fold(alpha[t], |sum, (f, b)| sum + b[t] * f[t])
    };
    if let Some(fitted) = fitted {
        for (t, v) in fitted.iter_mut().enumerate() {
            *v = prediction(t);
        }
    }
    if let Some(resid) = resid {
        for (t, r) in resid.iter_mut().enumerate() {
            *r = y[t] - prediction(t);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::lcg_series;
    use crate::window::{DateWindow, Window, WindowSpec};

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
        use crate::rolling_ols::{rolling_simple_ols, SimpleFitColumns};
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
        let (fields, n) = whole_sample(&factors, &y);
        let (coef, _, _) = reference(&factors, &y, 0..100);
        assert!((fields[layout.beta(0)] - coef[1]).abs() <= 1e-10 * coef[1].abs());
        assert_eq!(n, 100);
    }

    fn whole_sample(factors: &[Vec<f64>], y: &[f64]) -> (Vec<f64>, u32) {
        let layout = FactorLayout { k: factors.len() };
        let views: Vec<&[f64]> = factors.iter().map(|f| f.as_slice()).collect();
        let mut floats = vec![vec![0.0; 1]; layout.field_count()];
        let mut n = vec![0u32];
        let mut out = FactorFitColumns {
            floats: floats.iter_mut().map(|b| b.as_mut_slice()).collect(),
            n: &mut n,
        };
        factor_ols(&views, y, 2, &mut out).unwrap();
        (floats.iter().map(|b| b[0]).collect(), n[0])
    }

    #[test]
    fn a_window_passing_through_one_row_keeps_no_residue() {
        let nan = f64::NAN;
        let spec = WindowSpec::new(Window::Rows(3), 2).unwrap();
        let layout = FactorLayout { k: 1 };
        // Row 3 enters as the huge row 0 leaves: the window [0, 1] at row 4 is exact.
        let x = vec![1e16, nan, nan, 0.0, 1.0];
        let y = vec![1e16, nan, nan, 1.0, 3.0];
        let o = run(&[x], &y, &spec);
        for (field, want) in [
            (layout.alpha(), 1.0),
            (layout.beta(0), 2.0),
            (layout.r2(), 1.0),
        ] {
            let got = o.floats[field][4];
            assert!((got - want).abs() <= 1e-14, "field {field}: {got}");
        }
        // A stale benchmark after a row that left alone is constant, not a noise slope.
        let x = vec![0.3, nan, nan, 0.0007, 0.0007, 0.0007];
        let y = vec![0.1, nan, nan, 0.2, 0.3, 0.25];
        let o = run(&[x], &y, &spec);
        for t in 3..6 {
            assert!(o.floats.iter().all(|c| c[t].is_nan()), "row {t}");
        }
    }

    #[test]
    fn equal_values_are_constant_whatever_left_the_window() {
        let layout = FactorLayout { k: 1 };
        // A factor at 1e15 whose differing rows leave the 2-row window at row 4.
        let x = vec![
            0.25,
            -0.13,
            1e15 + 0.125,
            1e15 - 0.125,
            1e15 - 0.125,
            1e12,
            0.0,
        ];
        let y = vec![0.13, -0.06, 5e14, 5e14, 5e14, 5e11, 0.002];
        let o = run(&[x], &y, &WindowSpec::new(Window::Rows(2), 2).unwrap());
        assert!(o.floats.iter().all(|c| c[4].is_nan()));
        assert!(o.floats[layout.beta(0)][5].is_finite());
        // A value whose square underflows leaves a factor of zeros behind.
        let mut x = vec![0.0; 30];
        x[0] = 1e-160;
        x[1] = 1e-160;
        let mut y = vec![0.0; 30];
        y[0] = -0.29;
        let spec = WindowSpec::new(Window::Rows(23), 3).unwrap();
        let o = run(&[x.clone()], &y, &spec);
        for t in 24..30 {
            assert!(o.floats.iter().all(|c| c[t].is_nan()), "row {t}");
        }
        // And a `y` of zeros: beta 0, R² unknown.
        let o = run(&[lcg_series(3, 30, 0.02)], &x, &spec);
        for t in 24..30 {
            assert_eq!(o.floats[layout.beta(0)][t], 0.0, "row {t}");
            assert!(o.floats[layout.r2()][t].is_nan(), "row {t}");
        }
    }

    #[test]
    fn collinear_behind_a_nearly_collinear_pair_is_null() {
        // Nonzero on two rows only, so of rank 2; the first two factors are collinear to
        // about seven digits, which amplifies the co-moments' rounding of the third pivot
        // above the threshold.
        let mut factors = vec![vec![0.0; 60]; 3];
        factors[0][..2].copy_from_slice(&[0.26214, 0.21881]);
        factors[1][..2].copy_from_slice(&[0.26214, 0.21845]);
        factors[2][0] = 0.07782;
        let y = lcg_series(5, 60, 0.02);
        let (row, n) = whole_sample(&factors, &y);
        assert_eq!(n, 60);
        assert!(row.iter().all(|v| v.is_nan()), "{row:?}");
        // The rolling form, on a 4-row window.
        let mut factors = vec![vec![0.0; 8]; 3];
        factors[0][..2].copy_from_slice(&[0.0020800000000000003; 2]);
        factors[1][..2].copy_from_slice(&[0.0020798054000000002, 0.0020800000000000003]);
        factors[2][0] = -0.00767;
        let y = [
            -0.0175752919,
            0.0016000000000000003,
            -0.00256,
            -0.00256,
            0.001,
            0.0,
            0.0,
            0.0,
        ];
        let o = run(&factors, &y, &WindowSpec::new(Window::Rows(4), 3).unwrap());
        assert!(o.floats.iter().all(|c| c[3].is_nan()));
    }

    #[test]
    fn nearly_singular_but_full_rank_is_fitted() {
        // Pivots of about 1e-6 and 1e-5: the co-moments cannot vouch for the third, the rows
        // can, and the fit goes on.
        let len = 200;
        let (mut factors, _) = panel(len, 3, 17);
        let w1 = lcg_series(71, len, 1e-5);
        let w2 = lcg_series(72, len, 3e-5);
        for t in 0..len {
            factors[1][t] = factors[0][t] + w1[t];
            factors[2][t] = factors[0][t] - 40.0 * w1[t] + w2[t];
        }
        let noise = lcg_series(73, len, 1e-4);
        let y: Vec<f64> = (0..len)
            .map(|t| 0.001 + 0.5 * factors[0][t] + 0.7 * factors[1][t] + noise[t])
            .collect();
        let (coef, _, _) = reference(&factors, &y, 0..len);
        let (row, _) = whole_sample(&factors, &y);
        let layout = FactorLayout { k: 3 };
        for j in 0..3 {
            let got = row[layout.beta(j)];
            assert!(
                (got - coef[j + 1]).abs() <= 1e-6 * (1.0 + coef[j + 1].abs()),
                "beta {j}: {got} vs {}",
                coef[j + 1]
            );
        }
        let o = run(
            &factors,
            &y,
            &WindowSpec::new(Window::Rows(100), 100).unwrap(),
        );
        for t in (99..len).step_by(10) {
            let (coef, _, _) = reference(&factors, &y, t - 99..t + 1);
            let got = o.floats[layout.beta(2)][t];
            assert!(
                (got - coef[3]).abs() <= 1e-6 * (1.0 + coef[3].abs()),
                "t={t}: {got} vs {}",
                coef[3]
            );
        }
    }

    #[test]
    fn rows_decide_the_rank_when_the_pivots_cannot() {
        // f1 = f0 + w1 (1 - R² about 1e-8) and f2 = f0 + 1e4 w1 + d w2: the third pivot is
        // about d² / 2, known from the co-moments only to about 1e-5. With d = 0 the factors
        // are collinear (up to the rounding of f2), with d = 3e-3 not (1 - R² near 5e-6).
        let len = 120;
        let (factors, _) = panel(len, 1, 23);
        let f0 = &factors[0];
        let w1 = lcg_series(81, len, 1e-6);
        let w2 = lcg_series(82, len, 1e-2);
        let noise = lcg_series(83, len, 1e-4);
        let layout = FactorLayout { k: 3 };
        for (d, collinear) in [(0.0, true), (3e-3, false)] {
            let f1: Vec<f64> = (0..len).map(|t| f0[t] + w1[t]).collect();
            let f2: Vec<f64> = (0..len).map(|t| f0[t] + 1e4 * w1[t] + d * w2[t]).collect();
            let y: Vec<f64> = (0..len).map(|t| 0.001 + f0[t] + f1[t] + noise[t]).collect();
            let factors = vec![f0.clone(), f1, f2];
            let (row, _) = whole_sample(&factors, &y);
            let o = run(
                &factors,
                &y,
                &WindowSpec::new(Window::Rows(60), 60).unwrap(),
            );
            for t in [59, 90, 119] {
                let rolled: Vec<f64> = o.floats.iter().map(|c| c[t]).collect();
                for got in [&row, &rolled] {
                    if collinear {
                        assert!(got.iter().all(|v| v.is_nan()), "d={d} t={t}: {got:?}");
                    } else {
                        let r2 = got[layout.r2()];
                        assert!(r2 > 0.99 && r2 <= 1.0, "d={d} t={t}: {got:?}");
                        assert!(got[layout.beta_se(2)] > 0.0, "d={d} t={t}: {got:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn series_offset_by_a_million_keep_their_digits() {
        // Deviations of 1e-2 on a level of 1e6 have ulps of 1e-10: co-moments kept about
        // running means at that level would lose about seven digits of beta (errors of 1e-7).
        // Kept about the window's origin they keep them, to the 2e-13 bound checked below.
        let (len, k) = (400, 3);
        let dev: Vec<Vec<f64>> = (0..k)
            .map(|j| lcg_series(31 + j as u64, len, 0.02))
            .collect();
        let noise = lcg_series(99, len, 0.004);
        let factors: Vec<Vec<f64>> = dev
            .iter()
            .map(|d| d.iter().map(|v| 1e6 + v).collect())
            .collect();
        let y: Vec<f64> = (0..len)
            .map(|t| {
                1e6 + 0.002
                    + (0..k)
                        .map(|j| (0.8 + 0.2 * j as f64) * dev[j][t])
                        .sum::<f64>()
                    + noise[t]
            })
            .collect();
        // The reference on the deviations from the level, which are exact.
        let shifted: Vec<Vec<f64>> = factors
            .iter()
            .map(|f| f.iter().map(|v| v - 1e6).collect())
            .collect();
        let y_shifted: Vec<f64> = y.iter().map(|v| v - 1e6).collect();
        let layout = FactorLayout { k };
        let w = 60;
        for spec in [
            WindowSpec::new(Window::Rows(w), w).unwrap(),
            WindowSpec::new(Window::Expanding, 5).unwrap(),
        ] {
            let o = run(&factors, &y, &spec);
            for t in (w..len).step_by(7) {
                let (coef, ssr, n) = reference(&shifted, &y_shifted, spec.start(t)..t + 1);
                for j in 0..k {
                    let got = o.floats[layout.beta(j)][t];
                    let want = coef[j + 1];
                    assert!(
                        (got - want).abs() <= 2e-13 * want.abs(),
                        "{spec:?} t={t} beta {j}: {got} vs {want}"
                    );
                }
                let s = (ssr / (n - k as f64 - 1.0)).sqrt();
                let got = o.floats[layout.resid_std()][t];
                assert!((got - s).abs() <= 1e-11 * s, "resid_std {got} vs {s}");
                let alpha = o.floats[layout.alpha()][t];
                let want = 1e6 * (1.0 - coef[1..].iter().sum::<f64>()) + coef[0];
                assert!((alpha - want).abs() <= 1e-8, "alpha {alpha} vs {want}");
            }
        }
        let (row, _) = whole_sample(&factors, &y);
        let (coef, _, _) = reference(&shifted, &y_shifted, 0..len);
        for j in 0..k {
            let want = coef[j + 1];
            assert!((row[layout.beta(j)] - want).abs() <= 2e-13 * want.abs());
        }
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

    #[test]
    fn field_names_follow_the_layout() {
        let names = FactorLayout::field_names(&["mkt".to_string(), "smb".to_string()]);
        assert_eq!(
            names,
            [
                "alpha",
                "beta_mkt",
                "beta_smb",
                "r2",
                "adj_r2",
                "resid_std",
                "alpha_se",
                "beta_mkt_se",
                "beta_smb_se",
                "alpha_t",
                "beta_mkt_t",
                "beta_smb_t",
                "n"
            ]
        );
    }

    #[test]
    fn factor_endpoints_sum_the_factors_in_order() {
        let (f1, f2) = ([0.01, 0.02, f64::NAN], [0.5, -0.25, 0.1]);
        let y = [0.03, f64::NAN, 0.01];
        let alpha = [0.001, 0.002, 0.003];
        let (b1, b2) = ([1.1, 0.9, 1.0], [0.2, 0.4, 0.3]);
        let (mut fitted, mut resid) = ([0.0; 3], [0.0; 3]);
        factor_endpoints(
            &[&f1, &f2],
            &y,
            &alpha,
            &[&b1, &b2],
            Some(&mut fitted),
            Some(&mut resid),
        )
        .unwrap();
        assert_eq!(fitted[0], 0.001 + 1.1 * 0.01 + 0.2 * 0.5);
        assert_eq!(resid[0], 0.03 - fitted[0]);
        assert_eq!(fitted[1], 0.002 + 0.9 * 0.02 + 0.4 * -0.25);
        assert!(resid[1].is_nan());
        assert!(fitted[2].is_nan() && resid[2].is_nan());
        let err = factor_endpoints(&[&f1], &y, &alpha, &[&b1, &b2], Some(&mut fitted), None);
        assert!(err.is_err());
    }
}
