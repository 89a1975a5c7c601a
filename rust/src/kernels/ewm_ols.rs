//! Exponentially weighted single-index regression `y = alpha + beta * x + e`.
//!
//! In the fit that ends at row `t`, row `s` has weight `0.5 ** ((t - s) / half_life)`: the
//! newest row weighs 1 and a row loses half its weight every `half_life` rows. Age counts rows,
//! so a row where `x` or `y` is not finite is left out of the fit but the rows before it still
//! age. The fit covers the trailing `window` rows, or all history with [`Window::Expanding`]
//! (`window=None` in Python).
//!
//! Every output is unchanged when all weights are multiplied by one constant, so the running
//! sums are kept relative to the newest *usable* row: when a usable row arrives the sums are
//! decayed by `0.5 ** (gap / half_life)` and the row enters with weight 1. A missing row changes
//! nothing but the window, so no run of missing rows can make the weights underflow.
//!
//! Numerics follow [`super::rolling_ols`]: weighted centered moments ([`WeightedPairMoments`])
//! are updated as rows enter and leave, and rebuilt from the window's rows
//! - at least once every `window` removals, so rounding drift never accumulates, and
//! - whenever a removal makes the weight sum or a variance collapse below `1e-3` of its peak
//!   (an outlier leaving). The peak decays with the rows, so the natural fading of old rows
//!   never triggers a rebuild; only a subtraction can lose digits.
//!
//! An expanding fit never subtracts a row and is never rebuilt: each rounding error is scaled
//! down by the same decay as the rows it was made on, so errors do not accumulate; they stay
//! near `f64::EPSILON * sqrt(half_life)` relative to the moments. Old rows simply fade, and
//! their weights underflow to zero after about 1075 half-lives.
//!
//! Standard errors are those of statsmodels `WLS(y, add_constant(x), weights=w)` (nonrobust):
//! `s2 = sum(w e^2) / (n - 2)` with `n` the number of usable rows, `resid_std = sqrt(s2)`,
//! `beta_se = sqrt(s2 / Sxx)` and `alpha_se = sqrt(s2 * (1 / W + mean_x^2 / Sxx))`, where
//! `W = sum(w)`, `mean_x = sum(w x) / W` and `Sxx = sum(w (x - mean_x)^2)`.
//!
//! With `zero_mean` the line goes through the origin (the RiskMetrics convention; statsmodels
//! `WLS(y, x, weights=w)`): `beta = sum(w x y) / sum(w x^2)`, `alpha` is 0 by definition and
//! its standard error and t-value are NaN, `s2 = sum(w e^2) / (n - 1)`,
//! `beta_se = sqrt(s2 / sum(w x^2))`, and `r2 = 1 - sum(w e^2) / sum(w y^2)` is the uncentered
//! R² statsmodels reports for a model without constant.

use super::moments::usable;
use super::rolling_ols::{SimpleFit, SimpleFitColumns};
use super::window::{Window, WindowSpec};
use super::KernelError;

/// A weight sum or variance that fell below this fraction of its (decayed) peak since the last
/// rebuild has lost too many digits to the removals that shrank it; the window is rebuilt.
const CANCELLATION_RATIO: f64 = 1e-3;

/// When the weighted residual sum of squares is below this fraction of `Syy` (R² above
/// 0.9999), `Syy - beta * Sxy` cancels; the residuals are then summed directly.
const NEAR_PERFECT_FIT: f64 = 1e-4;

/// An expanding near-perfect fit sums its residuals directly over the rows of the last this
/// many half-lives only; older rows weigh less than `2^-64` of the newest.
const RESIDUAL_HORIZON_HALF_LIVES: f64 = 64.0;

/// Validated options of an exponentially weighted fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EwmSpec {
    window: WindowSpec,
    half_life: f64,
    zero_mean: bool,
}

impl EwmSpec {
    /// `window` gives the rows (trailing `window` rows or expanding) and `min_periods`, with the
    /// rules of [`WindowSpec::new`]; `half_life` is in rows and must be finite and positive;
    /// `zero_mean` fits the line through the origin (see the module docs).
    pub fn new(window: WindowSpec, half_life: f64, zero_mean: bool) -> Result<Self, KernelError> {
        // The fields of a WindowSpec are public, so check it again rather than trust it.
        let window = WindowSpec::new(window.window, window.min_periods)?;
        if !(half_life.is_finite() && half_life > 0.0) {
            return Err(KernelError::InvalidHalfLife {
                got: half_life.to_string(),
                infinite_allowed: false,
            });
        }
        Ok(Self {
            window,
            half_life,
            zero_mean,
        })
    }

    pub fn window(&self) -> WindowSpec {
        self.window
    }

    pub fn half_life(&self) -> f64 {
        self.half_life
    }

    pub fn zero_mean(&self) -> bool {
        self.zero_mean
    }
}

/// `0.5 ** (age / half_life)`.
#[inline]
fn decay_weight(age: usize, half_life: f64) -> f64 {
    (-(age as f64) / half_life).exp2()
}

/// Powers `0.5 ** (age / half_life)`, tabulated for the ages a window can reach.
struct Decay {
    half_life: f64,
    table: Vec<f64>,
}

impl Decay {
    fn new(half_life: f64, ages: usize) -> Self {
        Self {
            half_life,
            table: (0..ages).map(|k| decay_weight(k, half_life)).collect(),
        }
    }

    #[inline(always)]
    fn pow(&self, age: usize) -> f64 {
        match self.table.get(age) {
            Some(&p) => p,
            None => decay_weight(age, self.half_life),
        }
    }
}

/// Weighted centered sufficient statistics of a pair `(x, y)`.
///
/// Rows enter and leave with weighted Welford updates (West, 1979), which never subtract two
/// large sums; [`WeightedPairMoments::scale`] multiplies every weight by one factor.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WeightedPairMoments {
    /// Number of rows, whatever their weight.
    pub n: usize,
    /// `W = sum(w)`
    pub weight: f64,
    /// `sum(w x) / W`
    pub mean_x: f64,
    /// `sum(w y) / W`
    pub mean_y: f64,
    /// `sum(w (x - mean_x)^2)`
    pub sxx: f64,
    /// `sum(w (x - mean_x) (y - mean_y))`
    pub sxy: f64,
    /// `sum(w (y - mean_y)^2)`
    pub syy: f64,
}

impl WeightedPairMoments {
    /// Multiplies every row's weight by `f`; means are unchanged.
    #[inline(always)]
    pub fn scale(&mut self, f: f64) {
        self.weight *= f;
        self.sxx *= f;
        self.sxy *= f;
        self.syy *= f;
    }

    /// Adds a row with weight `v >= 0`.
    #[inline(always)]
    pub fn add(&mut self, x: f64, y: f64, v: f64) {
        self.n += 1;
        self.weight += v;
        let r = if self.weight > 0.0 {
            v / self.weight
        } else {
            0.0
        };
        let dx = x - self.mean_x;
        let dy = y - self.mean_y;
        self.mean_x += dx * r;
        self.mean_y += dy * r;
        // v * (x - old mean) * (y - new mean) is the exact increment of the co-moment.
        let dy_new = y - self.mean_y;
        self.sxx += v * dx * (x - self.mean_x);
        self.sxy += v * dx * dy_new;
        self.syy += v * dy * dy_new;
    }

    /// Removes a row that entered with weight `v` (as scaled since). The caller detects the
    /// cancellation this can cause (see [`rolling_ewm_ols`]) and rebuilds.
    #[inline(always)]
    pub fn remove(&mut self, x: f64, y: f64, v: f64) {
        if self.n <= 1 {
            // An empty window has exactly zero moments; do not carry rounding residue.
            *self = Self::default();
            return;
        }
        self.n -= 1;
        self.weight -= v;
        let r = v / self.weight;
        let dx = x - self.mean_x;
        let dy = y - self.mean_y;
        self.mean_x -= dx * r;
        self.mean_y -= dy * r;
        let dy_new = y - self.mean_y;
        self.sxx -= v * dx * (x - self.mean_x);
        self.sxy -= v * dx * dy_new;
        self.syy -= v * dy * dy_new;
        // Rounding can push a vanished variance a hair below zero.
        self.sxx = self.sxx.max(0.0);
        self.syy = self.syy.max(0.0);
    }

    /// Moments of the usable rows of `x`, `y`, row `i` weighted by `weight(i)` (called for
    /// usable rows only), by the corrected two-pass algorithm: means first, then co-moments of
    /// the deviations with the mean's own rounding error folded back in.
    pub fn from_rows(x: &[f64], y: &[f64], weight: impl Fn(usize) -> f64) -> Self {
        let mut n = 0usize;
        let (mut w, mut sum_x, mut sum_y) = (0.0, 0.0, 0.0);
        for (i, (&xi, &yi)) in x.iter().zip(y).enumerate() {
            if usable(xi, yi) {
                let v = weight(i);
                n += 1;
                w += v;
                sum_x += v * xi;
                sum_y += v * yi;
            }
        }
        if !(w > 0.0) {
            return Self {
                n,
                ..Self::default()
            };
        }
        let (mx, my) = (sum_x / w, sum_y / w);
        let (mut dx_sum, mut dy_sum) = (0.0, 0.0);
        let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
        for (i, (&xi, &yi)) in x.iter().zip(y).enumerate() {
            if usable(xi, yi) {
                let v = weight(i);
                let dx = xi - mx;
                let dy = yi - my;
                dx_sum += v * dx;
                dy_sum += v * dy;
                sxx += v * dx * dx;
                sxy += v * dx * dy;
                syy += v * dy * dy;
            }
        }
        Self {
            n,
            weight: w,
            mean_x: mx + dx_sum / w,
            mean_y: my + dy_sum / w,
            sxx: (sxx - dx_sum * dx_sum / w).max(0.0),
            sxy: sxy - dx_sum * dy_sum / w,
            syy: (syy - dy_sum * dy_sum / w).max(0.0),
        }
    }

    /// True when the `x` values are constant up to rounding: their weighted spread is below a
    /// few ulps of their level, so any slope would be noise.
    #[inline]
    pub fn x_is_constant(&self) -> bool {
        if !(self.weight > 0.0) {
            return true;
        }
        let sd = (self.sxx / self.weight).sqrt();
        sd <= 16.0 * f64::EPSILON * (self.mean_x.abs() + sd)
    }

    /// Uncentered moments `(sum(w x^2), sum(w x y), sum(w y^2))`.
    #[inline]
    pub fn raw(&self) -> (f64, f64, f64) {
        (
            self.sxx + self.weight * self.mean_x * self.mean_x,
            self.sxy + self.weight * self.mean_x * self.mean_y,
            self.syy + self.weight * self.mean_y * self.mean_y,
        )
    }
}

/// Peaks of the weight sum and variances since the last rebuild, decayed with the rows.
#[derive(Debug, Clone, Copy, Default)]
struct Peaks {
    weight: f64,
    sxx: f64,
    syy: f64,
}

impl Peaks {
    fn of(m: &WeightedPairMoments) -> Self {
        Self {
            weight: m.weight,
            sxx: m.sxx,
            syy: m.syy,
        }
    }

    #[inline(always)]
    fn scale(&mut self, f: f64) {
        self.weight *= f;
        self.sxx *= f;
        self.syy *= f;
    }

    #[inline(always)]
    fn update(&mut self, m: &WeightedPairMoments) {
        self.weight = self.weight.max(m.weight);
        self.sxx = self.sxx.max(m.sxx);
        self.syy = self.syy.max(m.syy);
    }

    /// True when `m` has collapsed far below the peaks, or rounding made it non-finite.
    #[inline(always)]
    fn collapsed(&self, m: &WeightedPairMoments) -> bool {
        let finite = m.weight.is_finite()
            && m.mean_x.is_finite()
            && m.mean_y.is_finite()
            && m.sxx.is_finite()
            && m.sxy.is_finite()
            && m.syy.is_finite();
        !(finite
            && m.weight >= CANCELLATION_RATIO * self.weight
            && m.sxx >= CANCELLATION_RATIO * self.sxx
            && m.syy >= CANCELLATION_RATIO * self.syy)
    }
}

fn empty_fit(n: usize) -> SimpleFit {
    SimpleFit {
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

/// Fits the weighted regression described by `m`. `direct_ssr(cx, cy, beta)` must return
/// `sum(w * ((y - cy) - beta * (x - cx))^2)` over the fit's usable rows, with the weights of
/// `m`; it is called only for a near-perfect fit, where the moments cancel.
///
/// Fields that cannot be computed are NaN: everything but `n` when `n < min_periods`, `n < 2`
/// or the market is constant (all zero with `zero_mean`); `resid_std`, the standard errors and
/// t-values when `n <= 2` (`n <= 1` with `zero_mean`); `r2` when `y` is constant (all zero with
/// `zero_mean`); t-values when the standard error is zero; `alpha_se` and `alpha_t` always
/// with `zero_mean`.
pub fn fit_from_weighted_moments(
    m: &WeightedPairMoments,
    min_periods: usize,
    zero_mean: bool,
    with_residuals: bool,
    direct_ssr: impl FnOnce(f64, f64, f64) -> f64,
) -> SimpleFit {
    let n = m.n;
    let mut fit = empty_fit(n);
    if n < min_periods || n < 2 || !(m.weight > 0.0) {
        return fit;
    }
    if zero_mean {
        let (sxx, sxy, syy) = m.raw();
        if !(sxx > 0.0 && sxx.is_finite()) {
            return fit;
        }
        let beta = sxy / sxx;
        fit.alpha = 0.0;
        fit.beta = beta;
        if !with_residuals {
            return fit;
        }
        let mut ssr = syy - beta * sxy;
        let near_perfect = ssr < NEAR_PERFECT_FIT * syy;
        if near_perfect {
            ssr = direct_ssr(0.0, 0.0, beta);
        }
        let ssr = ssr.max(0.0);
        if syy > 0.0 {
            fit.r2 = if near_perfect {
                1.0 - ssr / syy
            } else {
                (sxy / sxx) * (sxy / syy)
            };
        }
        // n >= 2 here, so one residual degree of freedom is left.
        let s2 = ssr / (n - 1) as f64;
        fit.resid_std = s2.sqrt();
        fit.beta_se = (s2 / sxx).sqrt();
        if fit.beta_se > 0.0 {
            fit.beta_t = beta / fit.beta_se;
        }
        return fit;
    }
    if m.x_is_constant() {
        return fit;
    }
    let beta = m.sxy / m.sxx;
    let alpha = m.mean_y - beta * m.mean_x;
    fit.alpha = alpha;
    fit.beta = beta;
    if !with_residuals {
        return fit;
    }
    let mut ssr = m.syy - beta * m.sxy;
    let near_perfect = ssr < NEAR_PERFECT_FIT * m.syy;
    if near_perfect {
        ssr = direct_ssr(m.mean_x, m.mean_y, beta);
    }
    let ssr = ssr.max(0.0);
    if m.syy > 0.0 {
        fit.r2 = if near_perfect {
            1.0 - ssr / m.syy
        } else {
            (m.sxy / m.sxx) * (m.sxy / m.syy)
        };
    }
    if n > 2 {
        let s2 = ssr / (n - 2) as f64;
        fit.resid_std = s2.sqrt();
        fit.beta_se = (s2 / m.sxx).sqrt();
        fit.alpha_se = (s2 * (1.0 / m.weight + m.mean_x * m.mean_x / m.sxx)).sqrt();
        if fit.beta_se > 0.0 {
            fit.beta_t = beta / fit.beta_se;
        }
        if fit.alpha_se > 0.0 {
            fit.alpha_t = alpha / fit.alpha_se;
        }
    }
    fit
}

/// `sum(w * ((y - cy) - beta * (x - cx))^2)` over the usable rows `lo ..= hi`, where row `s`
/// weighs `decay.pow(newest - s)`.
fn weighted_ssr(
    x: &[f64],
    y: &[f64],
    lo: usize,
    hi: usize,
    newest: usize,
    decay: &Decay,
    (cx, cy, beta): (f64, f64, f64),
) -> f64 {
    let mut ssr = 0.0;
    for s in lo..=hi {
        let (xs, ys) = (x[s], y[s]);
        if usable(xs, ys) {
            let e = (ys - cy) - beta * (xs - cx);
            ssr += decay.pow(newest.saturating_sub(s)) * e * e;
        }
    }
    ssr
}

fn check_len(out: &SimpleFitColumns<'_>, len: usize) -> Result<(), KernelError> {
    let lens = [
        out.alpha.as_ref().map(|s| s.len()),
        out.beta.as_ref().map(|s| s.len()),
        out.r2.as_ref().map(|s| s.len()),
        out.resid_std.as_ref().map(|s| s.len()),
        out.alpha_se.as_ref().map(|s| s.len()),
        out.beta_se.as_ref().map(|s| s.len()),
        out.alpha_t.as_ref().map(|s| s.len()),
        out.beta_t.as_ref().map(|s| s.len()),
        out.n.as_ref().map(|s| s.len()),
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

/// Only slope and intercept requested: the residuals are not needed.
fn needs_residuals(out: &SimpleFitColumns<'_>) -> bool {
    out.r2.is_some()
        || out.resid_std.is_some()
        || out.alpha_se.is_some()
        || out.beta_se.is_some()
        || out.alpha_t.is_some()
        || out.beta_t.is_some()
}

#[inline(always)]
fn write_fit(out: &mut SimpleFitColumns<'_>, t: usize, fit: &SimpleFit) {
    #[inline(always)]
    fn put(buf: &mut Option<&mut [f64]>, t: usize, v: f64) {
        if let Some(b) = buf {
            b[t] = v;
        }
    }
    put(&mut out.alpha, t, fit.alpha);
    put(&mut out.beta, t, fit.beta);
    put(&mut out.r2, t, fit.r2);
    put(&mut out.resid_std, t, fit.resid_std);
    put(&mut out.alpha_se, t, fit.alpha_se);
    put(&mut out.beta_se, t, fit.beta_se);
    put(&mut out.alpha_t, t, fit.alpha_t);
    put(&mut out.beta_t, t, fit.beta_t);
    if let Some(b) = &mut out.n {
        b[t] = u32::try_from(fit.n).unwrap_or(u32::MAX);
    }
}

fn check_inputs(x: &[f64], y: &[f64]) -> Result<(), KernelError> {
    if y.len() != x.len() {
        return Err(KernelError::LengthMismatch {
            expected: x.len(),
            got: y.len(),
            what: "y",
        });
    }
    Ok(())
}

/// Rolling exponentially weighted regression of `y` on `x` (both in time order), writing one
/// fit per row in O(1) amortized time per row.
pub fn rolling_ewm_ols(
    x: &[f64],
    y: &[f64],
    spec: &EwmSpec,
    out: &mut SimpleFitColumns<'_>,
) -> Result<(), KernelError> {
    check_inputs(x, y)?;
    let len = x.len();
    check_len(out, len)?;
    let with_residuals = needs_residuals(out);
    let window = spec.window;
    let rebuild_every = window.rebuild_interval();
    // Ages reach `window` at the row that leaves; an expanding fit only needs `d` itself.
    let ages = match window.window {
        Window::Rows(w) => w.min(len) + 1,
        Window::Expanding => 2,
    };
    let decay = Decay::new(spec.half_life, ages);
    let horizon = (RESIDUAL_HORIZON_HALF_LIVES * spec.half_life).ceil() as usize;

    let mut m = WeightedPairMoments::default();
    let mut peaks = Peaks::default();
    let mut first = 0usize; // first row currently inside the window
    let mut newest = 0usize; // newest usable row; the weights are relative to it
    let mut removals = 0usize;

    for t in 0..len {
        if usable(x[t], y[t]) {
            if m.n > 0 {
                let f = decay.pow(t - newest);
                m.scale(f);
                peaks.scale(f);
            } else {
                peaks = Peaks::default();
            }
            m.add(x[t], y[t], 1.0);
            newest = t;
        }
        let start = window.start(t);
        let mut shrank = false;
        while first < start {
            if usable(x[first], y[first]) {
                m.remove(x[first], y[first], decay.pow(newest.saturating_sub(first)));
                shrank = true;
            }
            removals += 1;
            first += 1;
        }
        if removals >= rebuild_every || (shrank && peaks.collapsed(&m)) {
            m = WeightedPairMoments::from_rows(&x[first..=t], &y[first..=t], |i| {
                decay.pow(newest.saturating_sub(first + i))
            });
            removals = 0;
            peaks = Peaks::of(&m);
        } else {
            peaks.update(&m);
        }
        let lo = match window.window {
            Window::Rows(_) => first,
            Window::Expanding => first.max(newest.saturating_sub(horizon)),
        };
        let fit = fit_from_weighted_moments(
            &m,
            window.min_periods,
            spec.zero_mean,
            with_residuals,
            |cx, cy, beta| weighted_ssr(x, y, lo, t, newest, &decay, (cx, cy, beta)),
        );
        write_fit(out, t, &fit);
    }
    Ok(())
}

/// The fit that [`rolling_ewm_ols`] writes at the last row of `x`, `y`, computed directly from
/// the rows in O(len): the whole sample with [`Window::Expanding`], else its last `window`
/// rows. Meant for aggregations (one fit per group).
pub fn ewm_fit(x: &[f64], y: &[f64], spec: &EwmSpec) -> Result<SimpleFit, KernelError> {
    check_inputs(x, y)?;
    let Some(t) = x.len().checked_sub(1) else {
        return Ok(empty_fit(0));
    };
    let first = spec.window.start(t);
    let (xs, ys) = (&x[first..], &y[first..]);
    let Some(newest) = (0..xs.len()).rev().find(|&i| usable(xs[i], ys[i])) else {
        return Ok(empty_fit(0));
    };
    let hl = spec.half_life;
    let weight = |i: usize| decay_weight(newest.saturating_sub(i), hl);
    let m = WeightedPairMoments::from_rows(xs, ys, weight);
    Ok(fit_from_weighted_moments(
        &m,
        spec.window.min_periods,
        spec.zero_mean,
        true,
        |cx, cy, beta| {
            xs.iter()
                .zip(ys)
                .enumerate()
                .filter(|(_, (&a, &b))| usable(a, b))
                .map(|(i, (&a, &b))| {
                    let e = (b - cy) - beta * (a - cx);
                    weight(i) * e * e
                })
                .sum()
        },
    ))
}
