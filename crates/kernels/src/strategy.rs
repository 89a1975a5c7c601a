//! Measures of a strategy or fund over trailing windows: Sharpe, Sortino, tracking error,
//! capture ratios, annual return, max drawdown, Calmar and downside beta (empyrical's
//! conventions, `P` periods per year).
//!
//! `y` is the asset's return (less the risk-free or required return where the measure takes
//! one) and `x` the market's or benchmark's; single-series measures read `y` alone. A row is
//! usable when the values its measure reads are finite; `min_periods` counts the usable rows
//! of the window, up and down alike, for every measure.
//!
//! Cost per row: the moment-based measures slide through [`for_each_window`] (O(1), with its
//! rebuild rules); the compounded returns are differences of compensated prefix sums of
//! `ln|1 + r|` (O(1)); the max drawdown (and Calmar) rescan the window when its start moves
//! (O(window) per row; O(1) on an expanding window); downside beta with the mean threshold
//! rescans the window (O(window)), with a fixed threshold it slides (O(1)).

use super::moments::{spread_is_noise, PairMoments};
use super::rolling_ols::for_each_window;
use super::window::WindowBounds;
use super::KernelError;

/// Which measure to compute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StrategyStatistic {
    /// `mean(y) / std(y) * sqrt(P)`, ddof 1.
    Sharpe { periods_per_year: f64 },
    /// `mean(y) * P / (sqrt(mean(min(y, 0)^2)) * sqrt(P))`.
    Sortino { periods_per_year: f64 },
    /// `std(y - x) * sqrt(P)`, ddof 1.
    TrackingError { periods_per_year: f64 },
    /// Annualized compound return of `y` over the rows where `x > 0`, over `x`'s.
    UpCapture { periods_per_year: f64 },
    /// As [`StrategyStatistic::UpCapture`] on the rows where `x < 0`.
    DownCapture { periods_per_year: f64 },
    /// Up capture over down capture.
    UpDownCapture { periods_per_year: f64 },
    /// `prod(1 + y) ^ (P / n) - 1`.
    AnnualReturn { periods_per_year: f64 },
    /// Largest fall of `prod(1 + y)` from its running peak (the start, 1, included).
    MaxDrawdown,
    /// Annual return over the absolute max drawdown.
    Calmar { periods_per_year: f64 },
    /// OLS slope of `y` on `x` over the rows where `x` is below the threshold: the window's
    /// mean of `x` (`None`) or a fixed number.
    DownsideBeta { threshold: Option<f64> },
    /// The usable rows of the window (a gate for fits on a subset of them).
    Count,
}

impl StrategyStatistic {
    /// The measure called `name`; `threshold` is downside beta's (None for the mean).
    pub fn new(
        name: &str,
        periods_per_year: f64,
        threshold: Option<f64>,
    ) -> Result<Self, KernelError> {
        let annualized = !matches!(name, "max_drawdown" | "downside_beta" | "count");
        if annualized && !(periods_per_year.is_finite() && periods_per_year > 0.0) {
            return Err(KernelError::InvalidPeriodsPerYear(
                periods_per_year.to_string(),
            ));
        }
        let p = periods_per_year;
        Ok(match name {
            "sharpe" => Self::Sharpe {
                periods_per_year: p,
            },
            "sortino" => Self::Sortino {
                periods_per_year: p,
            },
            "tracking_error" => Self::TrackingError {
                periods_per_year: p,
            },
            "up_capture" => Self::UpCapture {
                periods_per_year: p,
            },
            "down_capture" => Self::DownCapture {
                periods_per_year: p,
            },
            "up_down_capture" => Self::UpDownCapture {
                periods_per_year: p,
            },
            "annual_return" => Self::AnnualReturn {
                periods_per_year: p,
            },
            "max_drawdown" => Self::MaxDrawdown,
            "calmar" => Self::Calmar {
                periods_per_year: p,
            },
            "downside_beta" => {
                if threshold.is_some_and(|t| !t.is_finite()) {
                    return Err(KernelError::UnknownStatistic(format!(
                        "downside_beta with threshold {threshold:?}"
                    )));
                }
                Self::DownsideBeta { threshold }
            }
            "count" => Self::Count,
            other => return Err(KernelError::UnknownStatistic(other.to_string())),
        })
    }

    /// True when the measure reads `x` as well as `y`.
    pub fn reads_x(&self) -> bool {
        matches!(
            self,
            Self::TrackingError { .. }
                | Self::UpCapture { .. }
                | Self::DownCapture { .. }
                | Self::UpDownCapture { .. }
                | Self::DownsideBeta { .. }
                | Self::Count
        )
    }
}

/// A running sum with Neumaier's compensation, recorded after every row: the sum of a range
/// is the difference of two records, carrying the rounding of the totals only, not of every
/// addition.
struct PrefixSum {
    hi: Vec<f64>,
    lo: Vec<f64>,
}

impl PrefixSum {
    fn new(values: impl Iterator<Item = f64>) -> Self {
        let (mut hi, mut lo) = (vec![0.0], vec![0.0]);
        let (mut sum, mut comp) = (0.0f64, 0.0f64);
        for v in values {
            let t = sum + v;
            comp += if sum.abs() >= v.abs() {
                (sum - t) + v
            } else {
                (v - t) + sum
            };
            sum = t;
            hi.push(sum);
            lo.push(comp);
        }
        Self { hi, lo }
    }

    /// Sum of rows `start..end`.
    #[inline]
    fn range(&self, start: usize, end: usize) -> f64 {
        (self.hi[end] - self.hi[start]) + (self.lo[end] - self.lo[start])
    }
}

/// Prefix counts of rows meeting a condition.
fn prefix_count(flags: impl Iterator<Item = bool>) -> Vec<u32> {
    let mut out = vec![0u32];
    let mut n = 0u32;
    for f in flags {
        n += u32::from(f);
        out.push(n);
    }
    out
}

/// The compounded growth `prod(1 + r)` of a set of rows, kept as `sum ln|1 + r|`, the count
/// of rows whose `1 + r` is 0 and the count of those where it is negative (a return below
/// -100%, which no simple return reaches but the input may hold).
struct Growth {
    logs: PrefixSum,
    rows: Vec<u32>,
    zeros: Vec<u32>,
    negatives: Vec<u32>,
}

impl Growth {
    /// Over the rows of `r` where `member` holds; one pass, each row's log taken once.
    fn new(r: &[f64], member: impl Fn(usize) -> bool) -> Self {
        let n = r.len();
        let mut rows = Vec::with_capacity(n + 1);
        let mut zeros = Vec::with_capacity(n + 1);
        let mut negatives = Vec::with_capacity(n + 1);
        let (mut k, mut z, mut neg) = (0u32, 0u32, 0u32);
        rows.push(0);
        zeros.push(0);
        negatives.push(0);
        let logs = PrefixSum::new((0..n).map(|i| {
            let v = r[i];
            let mut log = 0.0;
            if member(i) && v.is_finite() {
                k += 1;
                let g = 1.0 + v;
                if g == 0.0 {
                    z += 1;
                } else {
                    neg += u32::from(g < 0.0);
                    log = v.ln_1p_abs();
                }
            }
            rows.push(k);
            zeros.push(z);
            negatives.push(neg);
            log
        }));
        Self {
            logs,
            rows,
            zeros,
            negatives,
        }
    }

    fn rows(&self, start: usize, end: usize) -> u32 {
        self.rows[end] - self.rows[start]
    }

    /// `prod(1 + r) ^ (P / k) - 1` over the member rows in `start..end`, `k` of them; NaN
    /// when there are none, or the product is negative and the power has no real value.
    fn annualized(&self, start: usize, end: usize, periods_per_year: f64) -> f64 {
        let k = self.rows(start, end);
        if k == 0 {
            return f64::NAN;
        }
        let exponent = periods_per_year / f64::from(k);
        if self.zeros[end] - self.zeros[start] > 0 {
            return -1.0;
        }
        let log = self.logs.range(start, end);
        if (self.negatives[end] - self.negatives[start]).is_multiple_of(2) {
            // exp_m1 keeps the digits of a small annual return that `pow - 1` would cancel.
            (log * exponent).exp_m1()
        } else {
            (-(log.exp())).powf(exponent) - 1.0
        }
    }
}

/// `ln|1 + r|`, accurate for small `r`.
trait LnOnePlusAbs {
    fn ln_1p_abs(self) -> f64;
}

impl LnOnePlusAbs for f64 {
    #[inline]
    fn ln_1p_abs(self) -> f64 {
        if self > -1.0 {
            self.ln_1p()
        } else {
            (-1.0 - self).ln()
        }
    }
}

/// Bounds with another `min_periods`: the moment walk builds its moments once this many
/// usable rows are in, while the measure applies the caller's own count.
struct AtLeast<'a, B> {
    inner: &'a B,
    min_periods: usize,
}

impl<B: WindowBounds> WindowBounds for AtLeast<'_, B> {
    #[inline]
    fn start(&self, t: usize) -> usize {
        self.inner.start(t)
    }
    #[inline]
    fn min_periods(&self) -> usize {
        self.min_periods
    }
    fn row_count(&self) -> Option<usize> {
        self.inner.row_count()
    }
}

/// The rolling measure of `y` (and `x`, where it reads one), both in time order, one value
/// per row into `out`; NaN where it cannot be computed.
pub fn rolling_strategy(
    x: &[f64],
    y: &[f64],
    bounds: &impl WindowBounds,
    statistic: StrategyStatistic,
    out: &mut [f64],
) -> Result<(), KernelError> {
    let len = y.len();
    for (got, what) in [(out.len(), "the output buffer"), (x.len(), "x")] {
        // A single-series measure never reads `x`, whatever its length.
        if got != len && (what != "x" || statistic.reads_x()) {
            return Err(KernelError::LengthMismatch {
                expected: len,
                got,
                what,
            });
        }
    }
    let reads_x = statistic.reads_x();
    let usable = |i: usize| y[i].is_finite() && (!reads_x || x[i].is_finite());
    let counts = prefix_count((0..len).map(usable));
    let min_periods = bounds.min_periods().max(2);
    let enough = |t: usize, start: usize| (counts[t + 1] - counts[start]) as usize >= min_periods;
    out.fill(f64::NAN);
    use StrategyStatistic as S;
    match statistic {
        S::Sharpe { periods_per_year } => {
            for_each_window(y, y, bounds, |t, m, first| {
                if enough(t, first) && m.is_finite() && !spread_is_noise(m.syy, m.n, m.mean_y) {
                    let sd = (m.syy / (m.n as f64 - 1.0)).sqrt();
                    out[t] = m.mean_y / sd * periods_per_year.sqrt();
                }
            });
        }
        S::TrackingError { periods_per_year } => {
            let active: Vec<f64> = y.iter().zip(x).map(|(a, b)| a - b).collect();
            for_each_window(&active, &active, bounds, |t, m, first| {
                if enough(t, first) && m.is_finite() {
                    out[t] = (m.syy / (m.n as f64 - 1.0)).sqrt() * periods_per_year.sqrt();
                }
            });
        }
        S::Sortino { periods_per_year } => {
            // Moments of (min(y, 0), y): the mean of y, and the mean square of the downside
            // as sxx / n + mean_x^2, a sum of non-negative terms.
            let downside: Vec<f64> = y.iter().map(|v| v.min(0.0) + v * 0.0).collect();
            let below = prefix_count(y.iter().map(|v| v.is_finite() && *v < 0.0));
            for_each_window(&downside, y, bounds, |t, m, first| {
                if !enough(t, first) || !m.is_finite() || below[t + 1] == below[first] {
                    return;
                }
                let nf = m.n as f64;
                let risk = (m.sxx / nf + m.mean_x * m.mean_x).sqrt() * periods_per_year.sqrt();
                if risk > 0.0 {
                    out[t] = m.mean_y * periods_per_year / risk;
                }
            });
        }
        S::UpCapture { periods_per_year }
        | S::DownCapture { periods_per_year }
        | S::UpDownCapture { periods_per_year } => {
            let side = |up: bool| {
                let member =
                    move |i: usize| x[i].is_finite() && if up { x[i] > 0.0 } else { x[i] < 0.0 };
                let asset = Growth::new(y, |i| member(i) && x[i].is_finite());
                // The market's rows are those where the asset's return is usable too.
                let market = Growth::new(x, |i| member(i) && y[i].is_finite());
                (asset, market)
            };
            let capture = |(asset, market): &(Growth, Growth), s: usize, e: usize| {
                let theirs = market.annualized(s, e, periods_per_year);
                // A market return compounding past f64's range would make any capture 0.
                if theirs == 0.0 || !theirs.is_finite() {
                    return f64::NAN;
                }
                asset.annualized(s, e, periods_per_year) / theirs
            };
            let up = (!matches!(statistic, S::DownCapture { .. })).then(|| side(true));
            let down = (!matches!(statistic, S::UpCapture { .. })).then(|| side(false));
            for (t, slot) in out.iter_mut().enumerate() {
                let s = bounds.start(t);
                if !enough(t, s) {
                    continue;
                }
                *slot = match (&up, &down) {
                    (Some(u), None) => capture(u, s, t + 1),
                    (None, Some(d)) => capture(d, s, t + 1),
                    (Some(u), Some(d)) => {
                        let below = capture(d, s, t + 1);
                        if below == 0.0 {
                            f64::NAN
                        } else {
                            capture(u, s, t + 1) / below
                        }
                    }
                    (None, None) => f64::NAN,
                };
            }
        }
        S::AnnualReturn { periods_per_year } => {
            let growth = Growth::new(y, |_| true);
            for (t, slot) in out.iter_mut().enumerate() {
                let s = bounds.start(t);
                if enough(t, s) {
                    *slot = growth.annualized(s, t + 1, periods_per_year);
                }
            }
        }
        S::MaxDrawdown | S::Calmar { .. } => {
            let growth = Growth::new(y, |_| true);
            let mut drawdown = Drawdown::default();
            for (t, slot) in out.iter_mut().enumerate() {
                let s = bounds.start(t);
                let dd = drawdown.through(y, s, t);
                if !enough(t, s) {
                    continue;
                }
                *slot = match statistic {
                    S::Calmar { periods_per_year } if dd < 0.0 => {
                        growth.annualized(s, t + 1, periods_per_year) / dd.abs()
                    }
                    S::Calmar { .. } => f64::NAN,
                    _ => dd,
                };
            }
        }
        S::DownsideBeta {
            threshold: Some(level),
        } => {
            let below: Vec<f64> = x
                .iter()
                .zip(y)
                .map(|(&a, &b)| {
                    if a < level && b.is_finite() {
                        a
                    } else {
                        f64::NAN
                    }
                })
                .collect();
            let fits = AtLeast {
                inner: bounds,
                min_periods: 2,
            };
            for_each_window(&below, y, &fits, |t, m, _| {
                let s = bounds.start(t);
                if enough(t, s) && m.n >= 2 && m.is_finite() && !m.x_is_constant() {
                    out[t] = m.sxy / m.sxx;
                }
            });
        }
        S::DownsideBeta { threshold: None } => {
            for (t, slot) in out.iter_mut().enumerate() {
                let s = bounds.start(t);
                if enough(t, s) {
                    *slot = beta_below_mean(&x[s..=t], &y[s..=t]);
                }
            }
        }
        S::Count => {
            for (t, slot) in out.iter_mut().enumerate() {
                let s = bounds.start(t);
                if enough(t, s) {
                    *slot = f64::from(counts[t + 1] - counts[s]);
                }
            }
        }
    }
    Ok(())
}

/// The measure over every row: the rolling measure's value on an expanding window.
pub fn strategy_statistic(
    x: &[f64],
    y: &[f64],
    statistic: StrategyStatistic,
    min_periods: usize,
) -> Result<f64, KernelError> {
    let spec = super::window::WindowSpec::new(super::window::Window::Expanding, min_periods)?;
    if let StrategyStatistic::DownsideBeta { threshold: None } = statistic {
        // The walk would rescan every prefix; only the last window is wanted.
        if x.len() != y.len() {
            return Err(KernelError::LengthMismatch {
                expected: y.len(),
                got: x.len(),
                what: "x",
            });
        }
        let usable = x
            .iter()
            .zip(y)
            .filter(|(a, b)| a.is_finite() && b.is_finite())
            .count();
        return Ok(if usable >= min_periods {
            beta_below_mean(x, y)
        } else {
            f64::NAN
        });
    }
    let mut out = vec![f64::NAN; y.len()];
    rolling_strategy(x, y, &spec, statistic, &mut out)?;
    Ok(out.last().copied().unwrap_or(f64::NAN))
}

/// The running wealth, peak and drawdown of the rows `start..=end`, extended row by row
/// while the window's start stays, rebuilt when it moves.
#[derive(Debug, Default)]
struct Drawdown {
    start: usize,
    next: usize,
    wealth: f64,
    peak: f64,
    worst: f64,
}

impl Drawdown {
    fn through(&mut self, r: &[f64], start: usize, end: usize) -> f64 {
        if start != self.start || self.next == 0 || self.next > end + 1 {
            *self = Self {
                start,
                next: start,
                wealth: 1.0,
                peak: 1.0,
                worst: 0.0,
            };
        }
        for &v in &r[self.next..=end] {
            if v.is_finite() {
                self.wealth *= 1.0 + v;
                self.peak = self.peak.max(self.wealth);
                self.worst = self.worst.min(self.wealth / self.peak - 1.0);
            }
        }
        self.next = end + 1;
        // A wealth past f64's range has no drawdown to report (`min` would hide its NaN).
        if self.wealth.is_finite() && self.peak.is_finite() {
            self.worst
        } else {
            f64::NAN
        }
    }
}

/// OLS slope of `y` on `x` over the usable rows where `x` is below its mean over the usable
/// rows; NaN with fewer than 2 such rows or `x` constant on them.
fn beta_below_mean(x: &[f64], y: &[f64]) -> f64 {
    let usable = |i: usize| x[i].is_finite() && y[i].is_finite();
    let rows: Vec<usize> = (0..x.len()).filter(|&i| usable(i)).collect();
    if rows.is_empty() {
        return f64::NAN;
    }
    let level = rows.iter().map(|&i| x[i]).sum::<f64>() / rows.len() as f64;
    let (bx, by): (Vec<f64>, Vec<f64>) = rows
        .iter()
        .filter(|&&i| x[i] < level)
        .map(|&i| (x[i], y[i]))
        .unzip();
    let m = PairMoments::from_rows(&bx, &by);
    if m.n < 2 || !m.is_finite() || m.x_is_constant() {
        return f64::NAN;
    }
    m.sxy / m.sxx
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::lcg_series;
    use crate::window::{DateWindow, Window, WindowSpec};

    fn mean(v: &[f64]) -> f64 {
        v.iter().sum::<f64>() / v.len() as f64
    }

    fn sd(v: &[f64]) -> f64 {
        let m = mean(v);
        (v.iter().map(|a| (a - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
    }

    fn annual(r: &[f64], p: f64) -> f64 {
        r.iter()
            .map(|v| 1.0 + v)
            .product::<f64>()
            .powf(p / r.len() as f64)
            - 1.0
    }

    fn max_dd(r: &[f64]) -> f64 {
        let (mut w, mut peak, mut worst) = (1.0f64, 1.0f64, 0.0f64);
        for v in r {
            w *= 1.0 + v;
            peak = peak.max(w);
            worst = worst.min(w / peak - 1.0);
        }
        worst
    }

    fn slope(x: &[f64], y: &[f64]) -> f64 {
        let (mx, my) = (mean(x), mean(y));
        let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
        let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
        sxy / sxx
    }

    /// The measure straight from its definition on a window's usable rows.
    fn direct(x: &[f64], y: &[f64], stat: StrategyStatistic) -> f64 {
        let p = 252.0;
        let both: Vec<(f64, f64)> = x
            .iter()
            .zip(y)
            .filter(|(a, b)| a.is_finite() && b.is_finite())
            .map(|(a, b)| (*a, *b))
            .collect();
        let ys: Vec<f64> = y.iter().copied().filter(|v| v.is_finite()).collect();
        let side = |up: bool| -> (Vec<f64>, Vec<f64>) {
            both.iter()
                .filter(|(a, _)| if up { *a > 0.0 } else { *a < 0.0 })
                .map(|(a, b)| (*b, *a))
                .unzip()
        };
        let capture = |up: bool| {
            let (a, m) = side(up);
            if a.is_empty() {
                return f64::NAN;
            }
            annual(&a, p) / annual(&m, p)
        };
        use StrategyStatistic as S;
        match stat {
            S::Sharpe { .. } => mean(&ys) / sd(&ys) * p.sqrt(),
            S::Sortino { .. } => {
                let dr =
                    (ys.iter().map(|v| v.min(0.0).powi(2)).sum::<f64>() / ys.len() as f64).sqrt();
                mean(&ys) * p / (dr * p.sqrt())
            }
            S::TrackingError { .. } => {
                let d: Vec<f64> = both.iter().map(|(a, b)| b - a).collect();
                sd(&d) * p.sqrt()
            }
            S::UpCapture { .. } => capture(true),
            S::DownCapture { .. } => capture(false),
            S::UpDownCapture { .. } => capture(true) / capture(false),
            S::AnnualReturn { .. } => annual(&ys, p),
            S::MaxDrawdown => max_dd(&ys),
            S::Calmar { .. } => annual(&ys, p) / max_dd(&ys).abs(),
            S::DownsideBeta { threshold } => {
                let level = threshold.unwrap_or_else(|| {
                    both.iter().map(|(a, _)| a).sum::<f64>() / both.len() as f64
                });
                let (bx, by): (Vec<f64>, Vec<f64>) =
                    both.iter().filter(|(a, _)| *a < level).copied().unzip();
                slope(&bx, &by)
            }
            S::Count => both.len() as f64,
        }
    }

    const NAMES: [&str; 11] = [
        "sharpe",
        "sortino",
        "tracking_error",
        "up_capture",
        "down_capture",
        "up_down_capture",
        "annual_return",
        "max_drawdown",
        "calmar",
        "downside_beta",
        "count",
    ];

    fn data(len: usize) -> (Vec<f64>, Vec<f64>) {
        let x = lcg_series(11, len, 0.04);
        let noise = lcg_series(12, len, 0.02);
        let mut y: Vec<f64> = x
            .iter()
            .zip(&noise)
            .map(|(a, e)| 0.0005 + 1.1 * a + e)
            .collect();
        let mut x = x;
        for i in (3..len).step_by(13) {
            y[i] = f64::NAN;
        }
        for i in (5..len).step_by(17) {
            x[i] = f64::INFINITY;
        }
        (x, y)
    }

    fn check(bounds: &impl WindowBounds, x: &[f64], y: &[f64], stat: StrategyStatistic) -> usize {
        let mut out = vec![0.0; y.len()];
        rolling_strategy(x, y, bounds, stat, &mut out).unwrap();
        let mut checked = 0;
        for t in 0..y.len() {
            let s = bounds.start(t);
            let usable = if stat.reads_x() {
                (s..=t)
                    .filter(|&i| x[i].is_finite() && y[i].is_finite())
                    .count()
            } else {
                (s..=t).filter(|&i| y[i].is_finite()).count()
            };
            if usable < bounds.min_periods() {
                assert!(out[t].is_nan(), "{stat:?} t={t} too few rows");
                continue;
            }
            let want = direct(&x[s..=t], &y[s..=t], stat);
            if !want.is_finite() {
                assert!(out[t].is_nan(), "{stat:?} t={t}: {} for {want}", out[t]);
                continue;
            }
            let tol = 1e-9 * want.abs().max(1e-12);
            assert!(
                (out[t] - want).abs() <= tol,
                "{stat:?} t={t}: {} vs {want}",
                out[t]
            );
            checked += 1;
        }
        checked
    }

    fn stats() -> Vec<StrategyStatistic> {
        let mut all: Vec<_> = NAMES
            .iter()
            .map(|n| StrategyStatistic::new(n, 252.0, None).unwrap())
            .collect();
        all.push(StrategyStatistic::new("downside_beta", 252.0, Some(0.0)).unwrap());
        all
    }

    #[test]
    fn row_windows_match_the_definitions() {
        let (x, y) = data(300);
        let spec = WindowSpec::new(Window::Rows(40), 30).unwrap();
        for stat in stats() {
            assert!(check(&spec, &x, &y, stat) > 200, "{stat:?}");
        }
    }

    #[test]
    fn expanding_windows_match_the_definitions() {
        let (x, y) = data(200);
        let spec = WindowSpec::new(Window::Expanding, 2).unwrap();
        for stat in stats() {
            assert!(check(&spec, &x, &y, stat) > 150, "{stat:?}");
        }
    }

    #[test]
    fn date_windows_match_the_definitions() {
        let (x, y) = data(250);
        let time: Vec<i64> = (0..350).filter(|d| d % 7 < 5).take(250).collect();
        let lower: Vec<i64> = time.iter().map(|t| t - 30).collect();
        let window = DateWindow::new(&time, &lower, 15).unwrap();
        for stat in stats() {
            assert!(check(&window, &x, &y, stat) > 150, "{stat:?}");
        }
    }

    #[test]
    fn whole_sample_is_the_last_expanding_value() {
        let (x, y) = data(120);
        for stat in stats() {
            let got = strategy_statistic(&x, &y, stat, 2).unwrap();
            let want = direct(&x, &y, stat);
            assert!((got - want).abs() <= 1e-10 * want.abs(), "{stat:?}");
        }
    }

    #[test]
    fn degenerate_windows_are_nan() {
        let spec = WindowSpec::new(Window::Rows(5), 5).unwrap();
        let flat = vec![0.01; 12];
        let up = lcg_series(3, 12, 0.01)
            .iter()
            .map(|v| v.abs() + 0.001)
            .collect::<Vec<_>>();
        let run = |name: &str, x: &[f64], y: &[f64]| {
            let stat = StrategyStatistic::new(name, 252.0, None).unwrap();
            let mut out = vec![0.0; y.len()];
            rolling_strategy(x, y, &spec, stat, &mut out).unwrap();
            out
        };
        // A constant series, also one whose values carry rounding noise after sliding.
        assert!(run("sharpe", &flat, &flat).iter().all(|v| v.is_nan()));
        let noisy: Vec<f64> = (0..12)
            .map(|i| if i < 3 { 0.5 } else { 0.1 + 0.2 })
            .collect();
        assert!(run("sharpe", &noisy, &noisy)[7..]
            .iter()
            .all(|v| v.is_nan()));
        // No downside, no down market, no drawdown.
        assert!(run("sortino", &flat, &up).iter().all(|v| v.is_nan()));
        assert!(run("down_capture", &up, &up).iter().all(|v| v.is_nan()));
        assert!(run("up_down_capture", &up, &up).iter().all(|v| v.is_nan()));
        assert!(run("calmar", &up, &up).iter().all(|v| v.is_nan()));
        assert!(run("max_drawdown", &up, &up)[4..].iter().all(|v| *v == 0.0));
        let stat = StrategyStatistic::new("downside_beta", 252.0, Some(0.0)).unwrap();
        let mut out = vec![0.0; 12];
        rolling_strategy(&up, &up, &spec, stat, &mut out).unwrap();
        assert!(out.iter().all(|v| v.is_nan()));
        // A market flat below its mean is impossible, but a flat market has no rows below.
        assert!(run("downside_beta", &flat, &up).iter().all(|v| v.is_nan()));
    }

    #[test]
    fn a_wiped_out_window_and_impossible_returns() {
        let spec = WindowSpec::new(Window::Rows(3), 3).unwrap();
        let y = [0.1, -1.0, 0.2, 0.1, 0.05, -1.5, 0.1, -1.5, 0.1, 0.2, 0.1];
        let stat = StrategyStatistic::new("annual_return", 252.0, None).unwrap();
        let mut out = vec![0.0; y.len()];
        rolling_strategy(&y, &y, &spec, stat, &mut out).unwrap();
        for t in 2..y.len() {
            let want = annual(&y[t - 2..=t], 252.0);
            if want.is_finite() {
                assert!(
                    (out[t] - want).abs() <= 1e-10 * want.abs().max(1e-300),
                    "t={t}"
                );
            } else {
                assert!(out[t].is_nan());
            }
        }
        assert_eq!(out[2], -1.0);
        // The wiped-out row leaves the window and the sums hold no residue.
        assert!((out[4] - annual(&y[2..=4], 252.0)).abs() <= 1e-10 * out[4].abs());
    }

    #[test]
    fn capture_keeps_its_digits_over_a_long_history() {
        // Fifty years of rows before the window: the prefix sums' totals do not eat the
        // window's digits.
        let len = 12_600;
        let x: Vec<f64> = lcg_series(21, len, 0.03);
        let y: Vec<f64> = x
            .iter()
            .zip(lcg_series(22, len, 0.01))
            .map(|(a, e)| 1.2 * a + e + 0.001)
            .collect();
        let spec = WindowSpec::new(Window::Rows(252), 252).unwrap();
        for name in ["up_capture", "annual_return"] {
            let stat = StrategyStatistic::new(name, 252.0, None).unwrap();
            let mut out = vec![0.0; len];
            rolling_strategy(&x, &y, &spec, stat, &mut out).unwrap();
            let t = len - 1;
            let want = direct(&x[t - 251..=t], &y[t - 251..=t], stat);
            assert!(
                (out[t] - want).abs() <= 1e-11 * want.abs(),
                "{name}: {} vs {want}",
                out[t]
            );
        }
    }

    #[test]
    fn an_overflowing_wealth_has_no_drawdown() {
        let spec = WindowSpec::new(Window::Rows(3), 3).unwrap();
        let y = [1e298, 1e297, -6e297, 0.01, 0.02, -0.01];
        for name in ["max_drawdown", "calmar"] {
            let stat = StrategyStatistic::new(name, 252.0, None).unwrap();
            let mut out = vec![0.0; y.len()];
            rolling_strategy(&y, &y, &spec, stat, &mut out).unwrap();
            assert!(out[..4].iter().all(|v| v.is_nan()), "{name}: {out:?}");
        }
    }

    #[test]
    fn bad_arguments_are_errors() {
        assert!(matches!(
            StrategyStatistic::new("sharpe", 0.0, None),
            Err(KernelError::InvalidPeriodsPerYear(_))
        ));
        assert!(matches!(
            StrategyStatistic::new("omega", 252.0, None),
            Err(KernelError::UnknownStatistic(_))
        ));
        assert!(StrategyStatistic::new("max_drawdown", f64::NAN, None).is_ok());
        let stat = StrategyStatistic::new("tracking_error", 252.0, None).unwrap();
        let spec = WindowSpec::new(Window::Rows(3), 3).unwrap();
        let mut out = vec![0.0; 4];
        assert!(rolling_strategy(&[0.0; 3], &[0.0; 4], &spec, stat, &mut out).is_err());
    }
}
