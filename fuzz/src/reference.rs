//! The naive reference: a fresh weighted least-squares fit of one window's usable rows,
//! computed from scratch by two passes (means, then centered sums) and a modified
//! Gram-Schmidt QR, with, for every output field, a bound on how far a correct kernel may be
//! from it.
//!
//! # Tolerances
//!
//! A kernel keeps running sums and updates them as rows enter and leave; the reference sums
//! each window afresh. Both are exact for data perturbed by a few rounding errors, so they
//! may differ by what such a perturbation does to each output, and no more. The bounds below
//! are first-order sensitivities of each output to a relative perturbation `DELTA` of every
//! input value, computed from the window's own scales: for each column its largest magnitude
//! `M` and its spread `S` (root mean square deviation). `M / S` is the conditioning of a
//! column: a market at level 1e6 moving by 1e-2 loses eight digits to centering, and its
//! tolerance is eight digits looser. `DELTA` allows for `n` roundings in a sum and the 1e3
//! amplification the kernels accept before they rebuild a window after cancellation, with a
//! wide margin: real errors are around 1e-13 and `DELTA` is 1e-8, while the mistakes a fuzzer
//! looks for (a wrong row in a window, a stale sum, a missed rebuild after an outlier left)
//! are off by far more.
//!
//! # What the reference does not judge
//!
//! - Windows with a value above [`HUGE`] in magnitude: their sums of squares may overflow in
//!   the kernel or here, and the kernels' overflow rules (a NaN where a sum overflowed) hinge
//!   on the summation order. Only the row count is compared. Windows after such a value left
//!   are compared as usual, which is how a fuzzer sees that a kernel recovers.
//! - Windows whose spread or magnitude in some column is below [`TINY`] but not zero: their
//!   squares are subnormal or zero and carry no digits.
//! - Windows where the perturbation bound exceeds a tenth of the quantity it perturbs (a
//!   nearly singular factor matrix): first-order bounds do not hold there.
//! - Quantities with an exact-zero rule (a t-value is NaN when its standard error is 0): when
//!   the standard error is not known to one digit, the t-value is not compared.
//! - Near a kernel's own threshold (a market "constant up to rounding", factors "collinear"
//!   below a pivot of 1e-9) the reference cannot tell on which side the kernel falls; there a
//!   window may be all NaN or a fit, and a fit is compared. Clearly on one side, the kernel
//!   must agree: an exactly constant market must give NaN, a clearly varying one a fit.

// Matrix code indexes several arrays at once, as the formulas are written.
#![allow(clippy::needless_range_loop)]

use std::fmt;

use polars_alpha_kernels::factor_ols::COLLINEAR_PIVOT;

pub const EPS: f64 = f64::EPSILON;

/// Relative perturbation of every input value the tolerances allow (see the module docs).
pub const DELTA: f64 = 1e-8;

/// Values above this magnitude make a window's numbers unjudged (only its row count is).
pub const HUGE: f64 = 1e140;

/// Nonzero magnitudes or spreads below this make a window's numbers unjudged.
pub const TINY: f64 = 1e-140;

/// Most factors a target generates.
pub const MAX_K: usize = 3;

/// What a kernel must write in one field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Expect {
    /// NaN (null), by the kernel's documented rules.
    Nan,
    /// A number within `tol` of the value.
    Near(f64, f64),
    /// Anything: the reference cannot judge this field here.
    Any,
}

impl Expect {
    /// `Near`, or `Any` when the value or its bound is not a finite number.
    pub fn near(value: f64, tol: f64) -> Self {
        if value.is_finite() && tol.is_finite() {
            Expect::Near(value, tol)
        } else {
            Expect::Any
        }
    }

    pub fn accepts(&self, got: f64) -> bool {
        match *self {
            Expect::Nan => got.is_nan(),
            Expect::Near(v, tol) => (got - v).abs() <= tol + 1e-300,
            Expect::Any => true,
        }
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Nan => write!(f, "NaN"),
            Expect::Near(v, tol) => write!(f, "{v:e} ± {tol:e}"),
            Expect::Any => write!(f, "anything"),
        }
    }
}

/// One usable row: regressors `f[..k]`, response `y`, weight `w >= 0` (a row whose weight
/// underflowed to zero still counts in `n`) and its square root `sw`, computed on its own: a
/// weight too small for `f64` may still have a square root that is not, and `w x^2` is
/// summed as `(sw x)^2`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Obs {
    pub f: [f64; MAX_K],
    pub y: f64,
    pub w: f64,
    pub sw: f64,
}

impl Obs {
    pub fn unweighted(f: [f64; MAX_K], y: f64) -> Self {
        Self {
            f,
            y,
            w: 1.0,
            sw: 1.0,
        }
    }
}

/// Magnitudes below this have squares below the normal range (about 1e-308): the kernels'
/// running sums cannot see them vanish, so after such a value leaves a window its rounding
/// residue may remain. [`History`] carries them.
pub const SQUARE_UNDERFLOW: f64 = 1e-150;

/// The largest nonzero magnitude below [`SQUARE_UNDERFLOW`] in each column (the factors,
/// then `y`) among the window's usable rows and the rows that left it since the kernel's last
/// possible rebuild (a kernel rebuilds at least once per window length of removals, so those
/// are the `t - start + 1` rows before `start`).
///
/// Rounding residue of such values is accepted at their own scale: they become the floor of
/// each column's magnitude in the tolerances, which matters only for windows of zeros.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct History {
    pub tiny: [f64; MAX_K + 1],
}

impl History {
    /// From the usable rows of the window and of the rows that left it (see above).
    pub fn of(rows: impl Iterator<Item = ([f64; MAX_K], f64)>) -> Self {
        let mut h = Self::default();
        let mut note = |i: usize, v: f64| {
            let a = v.abs();
            if a > 0.0 && a < SQUARE_UNDERFLOW {
                h.tiny[i] = h.tiny[i].max(a);
            }
        };
        for (f, y) in rows {
            for (j, v) in f.iter().enumerate() {
                note(j, *v);
            }
            note(MAX_K, y);
        }
        h
    }

    /// The first row whose residue may remain in the sums of the window `start..=t`.
    pub fn first_row(start: usize, t: usize) -> usize {
        start.saturating_sub(t - start + 1)
    }
}

/// The regression to fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Model {
    pub k: usize,
    /// With an intercept (centered moments); without, the line goes through the origin.
    pub intercept: bool,
    pub min_periods: usize,
    /// `resid_std` is multiplied by this (the exponentially weighted fit's `sqrt(c)`).
    pub resid_scale: f64,
    /// How the kernel decides that a factor is constant: only when its values are equal
    /// (the multi-factor kernel: a zero variance), or also when they differ by rounding (the
    /// single-index kernels: `sd <= 16 eps (|mean| + sd)`).
    pub exact_constant: bool,
}

/// The fields of one fitted window, in the multi-factor kernel's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    pub n: usize,
    pub alpha: Expect,
    pub beta: [Expect; MAX_K],
    pub r2: Expect,
    pub adj_r2: Expect,
    pub resid_std: Expect,
    pub alpha_se: Expect,
    pub beta_se: [Expect; MAX_K],
    pub alpha_t: Expect,
    pub beta_t: [Expect; MAX_K],
    /// The window sits near a threshold of the kernel (see the module docs): every field but
    /// `n` may instead be NaN.
    pub may_be_empty: bool,
    /// Why the window is judged as it is, for failure messages.
    pub note: &'static str,
}

impl Expected {
    pub fn with_n(mut self, n: usize) -> Self {
        self.n = n;
        self
    }

    pub fn all(n: usize, e: Expect, note: &'static str) -> Self {
        Self {
            n,
            alpha: e,
            beta: [e; MAX_K],
            r2: e,
            adj_r2: e,
            resid_std: e,
            alpha_se: e,
            beta_se: [e; MAX_K],
            alpha_t: e,
            beta_t: [e; MAX_K],
            may_be_empty: false,
            note,
        }
    }
}

/// The row a kernel wrote, in the same layout; fields the kernel does not have are NaN and
/// must not be compared (see [`compare`]'s `fields`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Got {
    pub n: usize,
    pub alpha: f64,
    pub beta: [f64; MAX_K],
    pub r2: f64,
    pub adj_r2: f64,
    pub resid_std: f64,
    pub alpha_se: f64,
    pub beta_se: [f64; MAX_K],
    pub alpha_t: f64,
    pub beta_t: [f64; MAX_K],
}

impl Default for Got {
    fn default() -> Self {
        Self {
            n: 0,
            alpha: f64::NAN,
            beta: [f64::NAN; MAX_K],
            r2: f64::NAN,
            adj_r2: f64::NAN,
            resid_std: f64::NAN,
            alpha_se: f64::NAN,
            beta_se: [f64::NAN; MAX_K],
            alpha_t: f64::NAN,
            beta_t: [f64::NAN; MAX_K],
        }
    }
}

/// Which fields a kernel wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fields {
    pub k: usize,
    pub alpha: bool,
    pub beta: bool,
    pub r2: bool,
    pub adj_r2: bool,
    pub resid_std: bool,
    pub alpha_se: bool,
    pub beta_se: bool,
    pub alpha_t: bool,
    pub beta_t: bool,
}

impl Fields {
    pub fn none(k: usize) -> Self {
        Self {
            k,
            alpha: false,
            beta: false,
            r2: false,
            adj_r2: false,
            resid_std: false,
            alpha_se: false,
            beta_se: false,
            alpha_t: false,
            beta_t: false,
        }
    }

    pub fn all(k: usize, adj_r2: bool) -> Self {
        Self {
            k,
            alpha: true,
            beta: true,
            r2: true,
            adj_r2,
            resid_std: true,
            alpha_se: true,
            beta_se: true,
            alpha_t: true,
            beta_t: true,
        }
    }
}

/// Panics with a full description when `got` is not what `want` allows.
pub fn compare(want: &Expected, got: &Got, fields: Fields, context: &dyn Fn() -> String) {
    assert_eq!(
        got.n,
        want.n,
        "n: got {}, expected {} ({})",
        got.n,
        want.n,
        context()
    );
    let mut pairs: Vec<(String, f64, Expect)> = Vec::new();
    let mut push = |on: bool, name: String, g: f64, e: Expect| {
        if on {
            pairs.push((name, g, e));
        }
    };
    push(fields.alpha, "alpha".into(), got.alpha, want.alpha);
    for j in 0..fields.k {
        push(fields.beta, format!("beta[{j}]"), got.beta[j], want.beta[j]);
    }
    push(fields.r2, "r2".into(), got.r2, want.r2);
    push(fields.adj_r2, "adj_r2".into(), got.adj_r2, want.adj_r2);
    push(
        fields.resid_std,
        "resid_std".into(),
        got.resid_std,
        want.resid_std,
    );
    push(
        fields.alpha_se,
        "alpha_se".into(),
        got.alpha_se,
        want.alpha_se,
    );
    for j in 0..fields.k {
        push(
            fields.beta_se,
            format!("beta_se[{j}]"),
            got.beta_se[j],
            want.beta_se[j],
        );
    }
    push(fields.alpha_t, "alpha_t".into(), got.alpha_t, want.alpha_t);
    for j in 0..fields.k {
        push(
            fields.beta_t,
            format!("beta_t[{j}]"),
            got.beta_t[j],
            want.beta_t[j],
        );
    }
    if want.may_be_empty && pairs.iter().all(|(_, g, _)| g.is_nan()) {
        return;
    }
    for (name, g, e) in &pairs {
        assert!(
            e.accepts(*g),
            "{name}: got {g:e}, expected {e} [{}] ({})\nwhole row: {got:?}\nexpected: {want:?}",
            want.note,
            context()
        );
    }
}

/// Largest magnitude and spread of a column, and its conditioning `rho = S / (|mean| + S)`
/// (0 for a constant column, 1 for one centered on zero).
#[derive(Debug, Clone, Copy, Default)]
pub struct Scale {
    pub max_abs: f64,
    pub mean: f64,
    pub spread: f64,
}

impl Scale {
    pub fn rho(&self) -> f64 {
        if self.spread == 0.0 {
            0.0
        } else {
            self.spread / (self.mean.abs() + self.spread)
        }
    }

    /// Magnitude or spread in the subnormal zone (see the module docs).
    pub fn tiny(&self) -> bool {
        (self.max_abs > 0.0 && self.max_abs < TINY) || (self.spread > 0.0 && self.spread < TINY)
    }
}

/// A kernel's "constant up to rounding" rule, `sd <= 16 eps (|mean| + sd)`, seen from the
/// reference: certainly constant below `4 eps`, certainly not above `4096 eps` (the
/// kernel's running spread may be off by a large fraction of itself that close to the
/// threshold), undecided between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constancy {
    Constant,
    Unclear,
    Varying,
}

pub fn constancy(rho: f64) -> Constancy {
    if rho <= 4.0 * EPS {
        Constancy::Constant
    } else if rho < 4096.0 * EPS {
        Constancy::Unclear
    } else {
        Constancy::Varying
    }
}

/// Weighted two-pass moments of a column: mean, spread and largest magnitude, from values
/// with their weights and the weights' square roots.
pub fn column_scales(values: impl Iterator<Item = (f64, f64, f64)> + Clone) -> Scale {
    let (mut w_sum, mut sum, mut max_abs) = (0.0, 0.0, 0.0f64);
    for (v, w, _) in values.clone() {
        w_sum += w;
        sum += w * v;
        max_abs = max_abs.max(v.abs());
    }
    if w_sum <= 0.0 {
        return Scale::default();
    }
    let mean = sum / w_sum;
    let ss: f64 = values.map(|(v, _, sw)| (sw * (v - mean)).powi(2)).sum();
    Scale {
        max_abs,
        mean,
        spread: (ss / w_sum).sqrt(),
    }
}

/// How a kernel classifies a column (see [`Model::exact_constant`]): certainly constant,
/// undecided, or certainly varying, as seen from the reference.
pub fn classify(values: &[f64], scale: &Scale, exact: bool) -> Constancy {
    let equal = values.windows(2).all(|p| p[0] == p[1]);
    match (exact, constancy(scale.rho())) {
        (_, Constancy::Varying) => Constancy::Varying,
        (true, _) if equal => Constancy::Constant,
        (true, _) => Constancy::Unclear,
        (false, c) => c,
    }
}

/// `min(d / (2 sqrt(v)), sqrt(d))`: a bound on how far `sqrt(v)` moves when `v` moves by `d`.
pub fn d_sqrt(v: f64, d: f64) -> f64 {
    let lin = if v > 0.0 {
        d / (2.0 * v.sqrt())
    } else {
        f64::INFINITY
    };
    lin.min(d.sqrt())
}

/// A ratio `num / den` and its bound, or `Any` when `den` is not known to one digit.
fn ratio(num: f64, d_num: f64, den: f64, d_den: f64) -> Expect {
    if !(den > 0.0) || d_den >= 0.1 * den {
        return Expect::Any;
    }
    Expect::near(
        num / den,
        d_num / den + num.abs() * d_den / (den * (den - d_den)),
    )
}

/// The fit of `rows` (the usable rows of one window) under `model`, with tolerances.
pub fn fit(rows: &[Obs], model: &Model, history: &History) -> Expected {
    let k = model.k;
    let n = rows.len();
    if n < model.min_periods || n < 2 || (model.intercept && n <= k) {
        return Expected::all(n, Expect::Nan, "too few rows");
    }
    let huge = rows
        .iter()
        .any(|r| r.y.abs() > HUGE || r.f[..k].iter().any(|v| v.abs() > HUGE));
    if huge {
        return Expected::all(n, Expect::Any, "a huge value: not judged");
    }
    let w_sum: f64 = rows.iter().map(|r| r.w).sum();
    if !(w_sum > 0.0) {
        return Expected::all(n, Expect::Any, "no weight: not judged");
    }
    let xs: Vec<Scale> = (0..k)
        .map(|j| column_scales(rows.iter().map(move |r| (r.f[j], r.w, r.sw))))
        .collect();
    let ys = column_scales(rows.iter().map(|r| (r.y, r.w, r.sw)));
    if ys.tiny() || xs.iter().any(Scale::tiny) {
        return Expected::all(n, Expect::Any, "subnormal squares: not judged");
    }
    let column = |j: usize| -> Vec<f64> {
        rows.iter()
            .map(|r| if j < MAX_K { r.f[j] } else { r.y })
            .collect()
    };
    // A response so large next to a factor's spread that intermediate products of the
    // formulas (`s^2 / Sxx`, `s^2 mean^2 / Sxx`) may overflow in a kernel that is otherwise
    // right.
    let span = xs
        .iter()
        .filter(|c| c.spread > 0.0)
        .map(|c| ys.max_abs * (1.0 + c.max_abs) / c.spread)
        .fold(0.0, f64::max);
    if span > 1e140 {
        return Expected::all(n, Expect::Any, "dynamic range: not judged");
    }

    // Centered (or, through the origin, raw) columns.
    let (mean_f, mean_y): (Vec<f64>, f64) = if model.intercept {
        (xs.iter().map(|s| s.mean).collect(), ys.mean)
    } else {
        (vec![0.0; k], 0.0)
    };
    let sw: Vec<f64> = rows.iter().map(|r| r.sw).collect();
    let cols: Vec<Vec<f64>> = (0..k)
        .map(|j| {
            rows.iter()
                .zip(&sw)
                .map(|(r, s)| s * (r.f[j] - mean_f[j]))
                .collect()
        })
        .collect();
    let ycol: Vec<f64> = rows
        .iter()
        .zip(&sw)
        .map(|(r, s)| s * (r.y - mean_y))
        .collect();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>();
    let c: Vec<Vec<f64>> = (0..k)
        .map(|i| (0..k).map(|j| dot(&cols[i], &cols[j])).collect())
        .collect();
    let c_y: Vec<f64> = (0..k).map(|j| dot(&cols[j], &ycol)).collect();
    let syy = dot(&ycol, &ycol);

    // The kernels' rules for a degenerate market.
    let mut may_be_empty = false;
    if model.intercept {
        for (j, s) in xs.iter().enumerate() {
            match classify(&column(j), s, model.exact_constant) {
                Constancy::Constant => return Expected::all(n, Expect::Nan, "constant market"),
                Constancy::Unclear => may_be_empty = true,
                Constancy::Varying => {}
            }
        }
    } else if c[0][0] == 0.0 {
        return Expected::all(n, Expect::Nan, "market all zero");
    }

    // Modified Gram-Schmidt: A = Q R with A the weighted centered factor columns, so that
    // C = A'A = R'R. The pivot of factor j is 1 - R² of it on the factors before it.
    let mut q = cols.clone();
    let mut r = vec![vec![0.0; k]; k];
    let mut pivots = Vec::with_capacity(k);
    for j in 0..k {
        for p in 0..j {
            let (done, rest) = q.split_at_mut(j);
            let proj = dot(&done[p], &rest[0]);
            r[p][j] = proj;
            for (v, u) in rest[0].iter_mut().zip(&done[p]) {
                *v -= proj * u;
            }
        }
        let norm = dot(&q[j], &q[j]).sqrt();
        r[j][j] = norm;
        pivots.push(if c[j][j] > 0.0 {
            norm * norm / c[j][j]
        } else {
            0.0
        });
        if norm > 0.0 {
            for v in &mut q[j] {
                *v /= norm;
            }
        }
    }
    if k > 1 {
        // The kernel's pivots come from running co-moments whose scaled entries are off by
        // about `n eps` times the columns' conditioning, amplified up to 1e3 by cancellation.
        let kappa = xs
            .iter()
            .map(|s| s.max_abs / s.spread)
            .fold(1.0f64, f64::max);
        let slack = 2e3 * n as f64 * EPS * kappa;
        pivots.sort_by(f64::total_cmp);
        let min_pivot = pivots[0];
        if min_pivot < 0.5 * COLLINEAR_PIVOT - slack {
            return Expected::all(n, Expect::Nan, "collinear factors");
        }
        if min_pivot < 2.0 * COLLINEAR_PIVOT + slack {
            may_be_empty = true;
        }
    }
    if r.iter().enumerate().any(|(j, row)| !(row[j] > 0.0)) {
        // Only reachable with a pivot of zero, which is handled above; keep the guard.
        return Expected::all(n, Expect::Any, "singular: not judged");
    }

    // Coefficients: R beta = Q'y.
    let z: Vec<f64> = (0..k).map(|j| dot(&q[j], &ycol)).collect();
    let mut beta = vec![0.0; k];
    for i in (0..k).rev() {
        let s: f64 = (i + 1..k).map(|p| r[i][p] * beta[p]).sum();
        beta[i] = (z[i] - s) / r[i][i];
    }
    // C^-1 = R^-1 R^-T.
    let mut r_inv = vec![vec![0.0; k]; k];
    for col in 0..k {
        for i in (0..=col).rev() {
            let unit = if i == col { 1.0 } else { 0.0 };
            let s: f64 = (i + 1..=col).map(|p| r[i][p] * r_inv[p][col]).sum();
            r_inv[i][col] = (unit - s) / r[i][i];
        }
    }
    let c_inv: Vec<Vec<f64>> = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| (0..k).map(|p| r_inv[i][p] * r_inv[j][p]).sum())
                .collect()
        })
        .collect();
    let alpha = if model.intercept {
        mean_y - (0..k).map(|j| beta[j] * mean_f[j]).sum::<f64>()
    } else {
        0.0
    };
    let ssr: f64 = rows
        .iter()
        .map(|o| {
            let e = (o.y - mean_y) - (0..k).map(|j| beta[j] * (o.f[j] - mean_f[j])).sum::<f64>();
            (o.sw * e).powi(2)
        })
        .sum();

    // Perturbation bounds (see the module docs). `m_*` are magnitudes, `s_*` spreads; through
    // the origin the spreads are root mean squares and every product is bounded by magnitudes.
    let m_f: Vec<f64> = (0..k).map(|j| xs[j].max_abs.max(history.tiny[j])).collect();
    let s_f: Vec<f64> = (0..k)
        .map(|j| {
            if model.intercept {
                xs[j].spread
            } else {
                m_f[j]
            }
        })
        .collect();
    let m_y = ys.max_abs.max(history.tiny[MAX_K]);
    let s_y = if model.intercept { ys.spread } else { m_y };
    // A tiny value's square is below the normal range, so its residue in a co-moment is as
    // large as its whole contribution: `tiny_i tiny_j` per row, not a rounding of it.
    let tiny = &history.tiny;
    let d_c: Vec<Vec<f64>> = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| {
                    2.0 * w_sum * DELTA * (m_f[i] * s_f[j] + m_f[j] * s_f[i])
                        + 4.0 * w_sum * tiny[i] * tiny[j]
                })
                .collect()
        })
        .collect();
    let d_cy: Vec<f64> = (0..k)
        .map(|j| {
            2.0 * w_sum * DELTA * (m_f[j] * s_y + m_y * s_f[j])
                + 4.0 * w_sum * tiny[j] * tiny[MAX_K]
        })
        .collect();
    let d_syy = 2.0 * w_sum * DELTA * m_y * s_y + 4.0 * w_sum * tiny[MAX_K] * tiny[MAX_K];
    // First-order bounds need |C^-1| dC well below 1.
    let spread_of_inverse = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| (0..k).map(|p| c_inv[i][p].abs() * d_c[p][j]).sum::<f64>())
                .sum::<f64>()
        })
        .fold(0.0f64, f64::max);
    if !(spread_of_inverse < 0.1) {
        let mut e = Expected::all(n, Expect::Any, "ill-conditioned: not judged");
        e.may_be_empty = true;
        return e;
    }
    let d_beta: Vec<f64> = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| {
                    c_inv[i][j].abs()
                        * (d_cy[j] + (0..k).map(|l| d_c[j][l] * beta[l].abs()).sum::<f64>())
                })
                .sum()
        })
        .collect();
    let d_mean_f: Vec<f64> = m_f.iter().map(|m| DELTA * m).collect();
    let d_alpha = DELTA * m_y
        + (0..k)
            .map(|j| d_beta[j] * mean_f[j].abs() + beta[j].abs() * d_mean_f[j])
            .sum::<f64>();
    // Error of one residual, then of their weighted sum of squares (sum w|e| <= sqrt(W ssr)),
    // plus the cancellation in `Syy - beta' C_fy` when a kernel takes that route.
    let e_row = 2.0 * DELTA * (m_y + (0..k).map(|j| beta[j].abs() * m_f[j]).sum::<f64>())
        + (0..k)
            .map(|j| d_beta[j] * (m_f[j] + mean_f[j].abs()))
            .sum::<f64>();
    let explained: f64 = (0..k).map(|j| (beta[j] * c_y[j]).abs()).sum();
    let d_ssr = 2.0 * (w_sum * ssr).sqrt() * e_row
        + w_sum * e_row * e_row
        + d_syy
        + (0..k)
            .map(|j| beta[j].abs() * d_cy[j] + c_y[j].abs() * d_beta[j])
            .sum::<f64>()
        + DELTA * (syy + explained);

    let mut e = Expected::all(n, Expect::Nan, "fit");
    e.may_be_empty = may_be_empty;
    e.alpha = if model.intercept {
        Expect::near(alpha, d_alpha)
    } else {
        Expect::Near(0.0, 0.0)
    };
    for j in 0..k {
        e.beta[j] = Expect::near(beta[j], d_beta[j]);
    }

    // R²: 1 - SSR / Syy, or for one factor (Sxy / Sxx)(Sxy / Syy); bound both routes.
    // Every kernel writes R² only when `Syy > 0`: NaN for a constant `y` (equal values).
    let y_constancy = if model.intercept {
        classify(&column(MAX_K), &ys, true)
    } else if syy == 0.0 {
        Constancy::Constant
    } else {
        Constancy::Varying
    };
    let df = n as f64 - k as f64 - if model.intercept { 1.0 } else { 0.0 };
    match y_constancy {
        Constancy::Constant => {}
        Constancy::Unclear => {
            e.r2 = Expect::Any;
            e.adj_r2 = Expect::Any;
        }
        Constancy::Varying => {
            let r2 = 1.0 - ssr / syy;
            let mut d_r2 = d_ssr / syy + (ssr / syy) * d_syy / syy;
            if k == 1 {
                let (sxx, sxy) = (c[0][0], c_y[0]);
                d_r2 += 2.0 * (sxy.abs() / sxx) * (d_cy[0] / syy)
                    + r2.abs() * (d_c[0][0] / sxx + d_syy / syy);
            }
            e.r2 = Expect::near(r2, d_r2);
            if df > 0.0 {
                let scale = (n as f64 - 1.0) / df;
                e.adj_r2 = Expect::near(1.0 - (1.0 - r2) * scale, d_r2 * scale);
            }
        }
    }
    if df <= 0.0 {
        return e;
    }
    let s2 = ssr / df;
    let s = s2.sqrt();
    let d_s = d_sqrt(s2, d_ssr / df);
    e.resid_std = Expect::near(s * model.resid_scale, d_s * model.resid_scale);
    for j in 0..k {
        let v = c_inv[j][j];
        let d_v: f64 = (0..k)
            .map(|i| {
                (0..k)
                    .map(|l| c_inv[j][i].abs() * d_c[i][l] * c_inv[l][j].abs())
                    .sum::<f64>()
            })
            .sum();
        let (sv, d_sv) = (v.sqrt(), d_sqrt(v, d_v));
        let se = s * sv;
        let d_se = d_s * sv + s * d_sv + d_s * d_sv;
        e.beta_se[j] = Expect::near(se, d_se);
        e.beta_t[j] = if se == 0.0 && d_se == 0.0 {
            Expect::Nan
        } else {
            ratio(beta[j], d_beta[j], se, d_se)
        };
    }
    if model.intercept {
        // alpha_se = s sqrt(1/W + m' C^-1 m).
        let u: Vec<f64> = (0..k)
            .map(|i| (0..k).map(|j| c_inv[i][j] * mean_f[j]).sum())
            .collect();
        let quad: f64 = (0..k).map(|j| u[j] * mean_f[j]).sum::<f64>() + 1.0 / w_sum;
        let d_quad: f64 = (0..k)
            .map(|i| {
                2.0 * u[i].abs() * d_mean_f[i]
                    + (0..k)
                        .map(|j| u[i].abs() * d_c[i][j] * u[j].abs())
                        .sum::<f64>()
            })
            .sum();
        let (sq, d_sq) = (quad.sqrt(), d_sqrt(quad, d_quad));
        let se = s * sq;
        let d_se = d_s * sq + s * d_sq + d_s * d_sq;
        e.alpha_se = Expect::near(se, d_se);
        e.alpha_t = if se == 0.0 && d_se == 0.0 {
            Expect::Nan
        } else {
            ratio(alpha, d_alpha, se, d_se)
        };
    }
    e
}

/// The usable rows `start..=t` of single-index data as [`Obs`] with weight 1.
pub fn simple_rows(x: &[f64], y: &[f64], start: usize, t: usize) -> Vec<Obs> {
    (start..=t)
        .filter(|&s| x[s].is_finite() && y[s].is_finite())
        .map(|s| Obs::unweighted([x[s], 0.0, 0.0], y[s]))
        .collect()
}

/// [`History`] of the single-index window `start..=t`.
pub fn simple_history(x: &[f64], y: &[f64], start: usize, t: usize) -> History {
    History::of(
        (History::first_row(start, t)..=t)
            .filter(|&s| x[s].is_finite() && y[s].is_finite())
            .map(|s| ([x[s], 0.0, 0.0], y[s])),
    )
}
