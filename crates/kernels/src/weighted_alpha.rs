//! Weighted alpha (momentum): a price change over the last `N` rows that counts recent moves
//! more, in percent.
//!
//! With log returns `l` (one per row; the bindings compute `l_t = ln(p_t / p_{t-1})`, see
//! [`log_returns`]), ages `k = 0 .. N-1` covering `l_t, l_{t-1}, .., l_{t-N+1}`, weights `w_k`
//! and normalized weights `w~_k = N * w_k / sum(w)`, the value at row `t` is
//! `100 * (exp(sum_k w~_k * l_{t-k}) - 1)`.
//! - [`AlphaWeights::Exponential`]: `w_k = 0.5 ** (k / half_life)`; an infinite half-life gives
//!   equal weights, and then the result is exactly the `N`-row price change `100 * (p_t /
//!   p_{t-N} - 1)` up to rounding, because the log returns telescope.
//! - [`AlphaWeights::Linear`]: `w_k = 1 - 0.5 * k / (N - 1)`.
//! - An optional cap clips each log return to `[-cap, cap]` before weighting.
//!
//! Null rule: a window with any missing (non-finite) log return is NaN, and so is every row
//! before the first full window (`t < N - 1`). Because the first log return of a price series
//! is missing, in terms of prices this means: a null price makes the windows that need it
//! null, and rows `t < N` of a price series are null.
//!
//! Cost is O(1) per row for either weighting, whatever `N`: the weighted sum is updated
//! recursively as a return enters and one leaves, and rebuilt exactly from the window
//! - at rows `N - 1`, `2N - 1`, ..., so rounding drift never accumulates over more than `N`
//!   rows (and the stretches between, whose values depend on their own rows alone, run
//!   several side by side in SIMD lanes), and
//! - whenever a leaving return makes the weighted sum of `|l|` in the window collapse below
//!   `1e-3` of its (decayed) peak: a large value left, and its rounding residue would
//!   otherwise dominate what remains, and
//! - whenever a row leaves a window whose sums overflowed (`inf - big` stays `inf`, so the
//!   updates alone would never come back).

use std::ops::{Add, Mul, Sub};

use super::log_exp;
use super::pair_lanes::{F64x2, F64x4};
use super::tolerances::CANCELLATION_RATIO;
use super::KernelError;

/// How the `N` log returns of a window are weighted, by age `k` (0 for the newest).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AlphaWeights {
    /// `w_k = 0.5 ** (k / half_life)`; `f64::INFINITY` means no decay (equal weights).
    Exponential { half_life: f64 },
    /// `w_k = 1 - 0.5 * k / (N - 1)`: the oldest return weighs half the newest.
    Linear,
}

/// Validated options of a weighted alpha.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeightedAlphaSpec {
    window: usize,
    weights: AlphaWeights,
    cap: Option<f64>,
}

impl WeightedAlphaSpec {
    /// `window` is `N`, at least 2; an exponential half-life must be positive (infinity
    /// allowed); a cap must be positive and finite.
    pub fn new(
        window: usize,
        weights: AlphaWeights,
        cap: Option<f64>,
    ) -> Result<Self, KernelError> {
        if window < 2 {
            return Err(KernelError::InvalidWindow(window));
        }
        if let AlphaWeights::Exponential { half_life } = weights {
            // +inf (no decay) passes.
            if half_life.is_nan() || half_life <= 0.0 {
                return Err(KernelError::InvalidHalfLife {
                    got: half_life.to_string(),
                    infinite_allowed: true,
                });
            }
        }
        if let Some(c) = cap {
            if !(c.is_finite() && c > 0.0) {
                return Err(KernelError::InvalidCap(c.to_string()));
            }
        }
        Ok(Self {
            window,
            weights,
            cap,
        })
    }

    /// The default half-life `N - 1`: the oldest return weighs half the newest.
    pub fn default_half_life(window: usize) -> f64 {
        window.saturating_sub(1) as f64
    }

    pub fn window(&self) -> usize {
        self.window
    }

    pub fn weights(&self) -> AlphaWeights {
        self.weights
    }

    pub fn cap(&self) -> Option<f64> {
        self.cap
    }

    /// The raw weights `w_k`, `k = 0 .. N-1`.
    pub fn weight_table(&self) -> Vec<f64> {
        let n = self.window;
        match self.weights {
            AlphaWeights::Exponential { half_life } => {
                (0..n).map(|k| (-(k as f64) / half_life).exp2()).collect()
            }
            AlphaWeights::Linear => {
                let c = 0.5 / (n - 1) as f64;
                (0..n).map(|k| 1.0 - c * k as f64).collect()
            }
        }
    }

    /// [`WeightedAlphaSpec::clean`] of every value, in a loop without a branch per value.
    fn cleaned(&self, l: &[f64]) -> Vec<f64> {
        let finite_or_zero = |x: f64| if x.is_finite() { x } else { 0.0 };
        match self.cap {
            None => l.iter().map(|&x| finite_or_zero(x)).collect(),
            Some(c) => l.iter().map(|&x| finite_or_zero(x).clamp(-c, c)).collect(),
        }
    }

    /// A log return as it enters the sums: missing becomes 0 (the window is null anyway),
    /// and the cap clips.
    #[inline(always)]
    fn clean(&self, l: f64) -> f64 {
        if !l.is_finite() {
            0.0
        } else if let Some(c) = self.cap {
            l.clamp(-c, c)
        } else {
            l
        }
    }
}

/// Log returns `ln(p_t / p_{t-1})` of a price series; the first row, and every row next to a
/// missing or non-positive price, is NaN (missing).
pub fn log_returns(prices: &[f64], out: &mut [f64]) -> Result<(), KernelError> {
    if out.len() != prices.len() {
        return Err(KernelError::LengthMismatch {
            expected: prices.len(),
            got: out.len(),
            what: "the output buffer",
        });
    }
    let valid = |p: f64| p.is_finite() && p > 0.0;
    if let Some(o) = out.first_mut() {
        *o = f64::NAN;
    }
    for (o, w) in out.iter_mut().skip(1).zip(prices.windows(2)) {
        let (p0, p1) = (w[0], w[1]);
        *o = if valid(p0) && valid(p1) {
            log_price_ratio(p0, p1)
        } else {
            f64::NAN
        };
    }
    Ok(())
}

/// What the series of a weighted alpha holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesKind {
    /// Positive prices; a missing one is NaN.
    Prices,
    /// Simple returns above -100%; a missing one is NaN.
    Returns,
}

/// The log returns of `values` into `out`: `ln(1 + r)` of returns, or
/// [`bridged_log_returns`] of prices. A value whose log is undefined (a return at or below -100%, a price at or below
/// zero) is an error naming `argument`, never a silent gap.
pub fn log_returns_of(
    values: &[f64],
    kind: SeriesKind,
    argument: &'static str,
    out: &mut [f64],
) -> Result<(), KernelError> {
    match kind {
        SeriesKind::Returns => {
            if out.len() != values.len() {
                return Err(KernelError::LengthMismatch {
                    expected: values.len(),
                    got: out.len(),
                    what: "the output buffer",
                });
            }
            // A finite return at or below -100% (NaN and -inf are missing values).
            let undefined = |r: f64| (r <= -1.0) & (r != f64::NEG_INFINITY);
            // The copy and the test in one branch-free pass: this is the first read of the
            // input, and a vector loop keeps up with memory where a search would not.
            let mut any_undefined = false;
            for (o, &r) in out.iter_mut().zip(values) {
                *o = r;
                any_undefined |= undefined(r);
            }
            let first_undefined = any_undefined
                .then(|| values.iter().copied().find(|&r| undefined(r)))
                .flatten();
            if let Some(value) = first_undefined {
                return Err(KernelError::UndefinedLog {
                    argument,
                    kind,
                    value,
                });
            }
            log_exp::ln_1p_in_place(out);
            Ok(())
        }
        SeriesKind::Prices => {
            if let Some(&value) = values.iter().find(|p| p.is_finite() && **p <= 0.0) {
                return Err(KernelError::UndefinedLog {
                    argument,
                    kind,
                    value,
                });
            }
            bridged_log_returns(values, out)
        }
    }
}

/// Log returns of a price series that bridge missing prices: a known price's log return is
/// taken from the last known price before it, and a missing price's row has a log return of
/// zero, so the move across a gap lands on the first known price after it and no window loses
/// a year to one missing day. Rows up to the first known price have none (NaN).
pub fn bridged_log_returns(prices: &[f64], out: &mut [f64]) -> Result<(), KernelError> {
    if out.len() != prices.len() {
        return Err(KernelError::LengthMismatch {
            expected: prices.len(),
            got: out.len(),
            what: "the output buffer",
        });
    }
    let mut last: Option<f64> = None;
    for (o, &p) in out.iter_mut().zip(prices) {
        let known = p.is_finite() && p > 0.0;
        *o = match (last, known) {
            (Some(q), true) => log_price_ratio(q, p),
            (Some(_), false) => 0.0,
            (None, _) => f64::NAN,
        };
        if known {
            last = Some(p);
        }
    }
    Ok(())
}

/// `ln(p1 / p0)` for positive finite prices, to full relative precision: `ln_1p` of the
/// simple return for moves within ±50% (where `p1 / p0` would round away the digits of a
/// small move), `ln` of the ratio beyond (where the return's rounding near -100% would
/// dominate), and a difference of logs when the ratio over- or underflows.
fn log_price_ratio(p0: f64, p1: f64) -> f64 {
    let simple = (p1 - p0) / p0;
    if simple.abs() <= 0.5 {
        return log_exp::ln_1p(simple);
    }
    let ratio = p1 / p0;
    if ratio.is_normal() {
        ratio.ln()
    } else {
        p1.ln() - p0.ln()
    }
}

/// The numbers the rolling loop runs on: one epoch's value (`f64`), or two or four epochs'
/// side by side ([`F64x2`], [`F64x4`]), each lane doing the scalar arithmetic.
trait Lanes: Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> {
    const COUNT: usize;
    /// The row `rows[i]` of `values` in lane `i`.
    fn gather(values: &[f64], rows: &[usize]) -> Self;
    fn scatter(self, values: &mut [f64], rows: &[usize]);
    fn splat(v: f64) -> Self;
    fn lane(self, i: usize) -> f64;
    fn set_lane(&mut self, i: usize, v: f64);
    fn abs(self) -> Self;
    /// Per lane, `if self > o { self } else { o }`.
    fn max(self, o: Self) -> Self;
    /// Bit `i` set where lane `i` of `self` is finite and `>= o` (neither is NaN here).
    fn finite_and_ge_bits(self, o: Self) -> u32;
}

impl Lanes for f64 {
    const COUNT: usize = 1;

    #[inline(always)]
    fn gather(values: &[f64], rows: &[usize]) -> Self {
        values[rows[0]]
    }

    #[inline(always)]
    fn scatter(self, values: &mut [f64], rows: &[usize]) {
        values[rows[0]] = self;
    }

    #[inline(always)]
    fn splat(v: f64) -> Self {
        v
    }

    #[inline(always)]
    fn lane(self, _: usize) -> f64 {
        self
    }

    #[inline(always)]
    fn set_lane(&mut self, _: usize, v: f64) {
        *self = v;
    }

    #[inline(always)]
    fn abs(self) -> Self {
        f64::abs(self)
    }

    #[inline(always)]
    fn max(self, o: Self) -> Self {
        if self > o {
            self
        } else {
            o
        }
    }

    #[inline(always)]
    fn finite_and_ge_bits(self, o: Self) -> u32 {
        u32::from(self.is_finite() & (self >= o))
    }
}

impl Lanes for F64x2 {
    const COUNT: usize = 2;

    #[inline(always)]
    fn gather(values: &[f64], rows: &[usize]) -> Self {
        F64x2::from_array([values[rows[0]], values[rows[1]]])
    }

    #[inline(always)]
    fn scatter(self, values: &mut [f64], rows: &[usize]) {
        let [a, b] = self.to_array();
        values[rows[0]] = a;
        values[rows[1]] = b;
    }

    #[inline(always)]
    fn splat(v: f64) -> Self {
        F64x2::splat(v)
    }

    #[inline(always)]
    fn lane(self, i: usize) -> f64 {
        self.to_array()[i]
    }

    #[inline(always)]
    fn set_lane(&mut self, i: usize, v: f64) {
        let mut lanes = self.to_array();
        lanes[i] = v;
        *self = F64x2::from_array(lanes);
    }

    #[inline(always)]
    fn abs(self) -> Self {
        F64x2::abs(self)
    }

    #[inline(always)]
    fn max(self, o: Self) -> Self {
        F64x2::max(self, o)
    }

    #[inline(always)]
    fn finite_and_ge_bits(self, o: Self) -> u32 {
        self.finite_bits() & self.ge_bits(o)
    }
}

impl Lanes for F64x4 {
    const COUNT: usize = 4;

    #[inline(always)]
    fn gather(values: &[f64], rows: &[usize]) -> Self {
        F64x4([
            values[rows[0]],
            values[rows[1]],
            values[rows[2]],
            values[rows[3]],
        ])
    }

    #[inline(always)]
    fn scatter(self, values: &mut [f64], rows: &[usize]) {
        for (i, &row) in rows.iter().enumerate().take(4) {
            values[row] = self.0[i];
        }
    }

    #[inline(always)]
    fn splat(v: f64) -> Self {
        F64x4([v; 4])
    }

    #[inline(always)]
    fn lane(self, i: usize) -> f64 {
        self.0[i]
    }

    #[inline(always)]
    fn set_lane(&mut self, i: usize, v: f64) {
        self.0[i] = v;
    }

    #[inline(always)]
    fn abs(self) -> Self {
        self.map(f64::abs)
    }

    #[inline(always)]
    fn max(self, o: Self) -> Self {
        self.zip(o, |a, b| if a > b { a } else { b })
    }

    #[inline(always)]
    fn finite_and_ge_bits(self, o: Self) -> u32 {
        let mut bits = 0;
        for i in 0..4 {
            bits |= u32::from(self.0[i].is_finite() & (self.0[i] >= o.0[i])) << i;
        }
        bits
    }
}

/// `sum_k w_k v_{t-k}` over a window of `N` values, updated in O(1) per row, in each lane.
trait RunningSum<L: Lanes> {
    /// Moves the window one row: `enter` comes in at age 0 and `leave` (age `N` now) goes out.
    fn step(&mut self, enter: L, leave: L);
    /// Recomputes lane `lane`'s sum from the window's values `value(v)`, `window` oldest
    /// first.
    fn rebuild(&mut self, lane: usize, window: &[f64], value: impl Fn(f64) -> f64);
    fn value(&self) -> L;
}

/// `sum_j f(j)` for `j in 0..len`, in four partial sums: one running sum would make every add
/// wait for the one before it, and rebuilds are a large share of the kernel's work.
#[inline(always)]
fn four_lane_sum(len: usize, f: impl Fn(usize) -> f64) -> f64 {
    let mut lanes = [0.0f64; 4];
    let whole = len - len % 4;
    for j in (0..whole).step_by(4) {
        for (i, lane) in lanes.iter_mut().enumerate() {
            *lane += f(j + i);
        }
    }
    for j in whole..len {
        lanes[j - whole] += f(j);
    }
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
}

/// Exponential weights: `S_t = d * S_{t-1} + (v_t - d^N * v_{t-N})`.
struct ExpSum<'a, L> {
    d: L,
    d_n: L,
    /// The weights oldest first: `w_{N-1} .. w_0`.
    oldest_first: &'a [f64],
    s: L,
}

impl<L: Lanes> RunningSum<L> for ExpSum<'_, L> {
    #[inline(always)]
    fn step(&mut self, enter: L, leave: L) {
        // Grouped so that only one multiply and one add wait on the previous row's sum.
        self.s = self.d * self.s + (enter - self.d_n * leave);
    }

    fn rebuild(&mut self, lane: usize, window: &[f64], value: impl Fn(f64) -> f64) {
        let weights = &self.oldest_first[self.oldest_first.len() - window.len()..];
        let s = four_lane_sum(window.len(), |j| weights[j] * value(window[j]));
        self.s.set_lane(lane, s);
    }

    #[inline(always)]
    fn value(&self) -> L {
        self.s
    }
}

/// Linear weights `1 - c * k`: the plain sum `P_t = sum_k v_{t-k}` and the age-weighted sum
/// `T_t = sum_k k * v_{t-k}`, with `T_t = T_{t-1} + P_{t-1} - N * v_{t-N}` (every value ages
/// by one row, and the one leaving had age `N`) and `P_t = P_{t-1} + v_t - v_{t-N}`.
struct LinSum<L> {
    n: L,
    c: L,
    p: L,
    t: L,
}

impl<L: Lanes> RunningSum<L> for LinSum<L> {
    #[inline(always)]
    fn step(&mut self, enter: L, leave: L) {
        self.t = self.t + (self.p - self.n * leave);
        self.p = self.p + (enter - leave);
    }

    fn rebuild(&mut self, lane: usize, window: &[f64], value: impl Fn(f64) -> f64) {
        let oldest_age = window.len().saturating_sub(1);
        let p = four_lane_sum(window.len(), |j| value(window[j]));
        let t = four_lane_sum(window.len(), |j| (oldest_age - j) as f64 * value(window[j]));
        self.p.set_lane(lane, p);
        self.t.set_lane(lane, t);
    }

    #[inline(always)]
    fn value(&self) -> L {
        self.p - self.c * self.t
    }
}

/// How the rolling loop runs the epochs of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EpochLanes {
    /// Four epochs side by side where the CPU has AVX2, then two, then one.
    Widest,
    /// Two, then one (the tests compare every choice, bit for bit).
    #[cfg(test)]
    Paired,
    /// One at a time.
    #[cfg(test)]
    Single,
}

/// The weighting's running sums, made for the lanes `L`.
trait Weighting {
    fn sums<L: Lanes>(&self) -> impl RunningSum<L>;
    /// The factor by which one row shrinks the weight of every value already in the window
    /// (`d`, or 1 for linear weights).
    fn peak_decay(&self) -> f64;
}

struct ExpWeighting<'a> {
    d: f64,
    d_n: f64,
    oldest_first: &'a [f64],
}

impl Weighting for ExpWeighting<'_> {
    fn sums<L: Lanes>(&self) -> impl RunningSum<L> {
        ExpSum {
            d: L::splat(self.d),
            d_n: L::splat(self.d_n),
            oldest_first: self.oldest_first,
            s: L::splat(0.0),
        }
    }

    fn peak_decay(&self) -> f64 {
        self.d
    }
}

struct LinWeighting {
    n: f64,
    c: f64,
}

impl Weighting for LinWeighting {
    fn sums<L: Lanes>(&self) -> impl RunningSum<L> {
        LinSum {
            n: L::splat(self.n),
            c: L::splat(self.c),
            p: L::splat(0.0),
            t: L::splat(0.0),
        }
    }

    fn peak_decay(&self) -> f64 {
        1.0
    }
}

/// The epochs that start at rows `starts` (one per lane), each `steps` rows after its start:
/// the sums are rebuilt exactly from the window that ends at the start, then slide one row at
/// a time. `sums` runs on the cleaned log returns `v` and `mags` on their absolute values; a
/// lane whose magnitude collapses below `CANCELLATION_RATIO` of its (decayed) peak as a value
/// leaves, or overflows, is rebuilt on that row, as its rounding residue would otherwise
/// dominate what remains (`inf - big` stays `inf`).
#[inline(always)]
fn run_epochs<L: Lanes, W: Weighting>(
    v: &[f64],
    n: usize,
    weighting: &W,
    starts: &[usize],
    steps: usize,
    out: &mut [f64],
) {
    let mut sums = weighting.sums::<L>();
    let mut mags = weighting.sums::<L>();
    let mut peak = L::splat(0.0);
    for (lane, &start) in starts.iter().enumerate() {
        let window = &v[start + 1 - n..=start];
        sums.rebuild(lane, window, |x| x);
        mags.rebuild(lane, window, f64::abs);
        peak.set_lane(lane, mags.value().lane(lane));
    }
    sums.value().scatter(out, starts);
    let decay = L::splat(weighting.peak_decay());
    let ratio = L::splat(CANCELLATION_RATIO);
    let mut rows = [0usize; 4];
    let mut leaving = [0usize; 4];
    for step in 1..=steps {
        for (i, &start) in starts.iter().enumerate() {
            rows[i] = start + step;
            leaving[i] = start + step - n;
        }
        let (rows, leaving) = (&rows[..L::COUNT], &leaving[..L::COUNT]);
        let enter = L::gather(v, rows);
        let leave = L::gather(v, leaving);
        sums.step(enter, leave);
        mags.step(enter.abs(), leave.abs());
        let mag = mags.value();
        let kept = mag.finite_and_ge_bits(ratio * peak);
        peak = mag.max(peak * decay);
        if kept != (1 << L::COUNT) - 1 {
            for (lane, &row) in rows.iter().enumerate() {
                let collapsed = kept & (1 << lane) == 0;
                if collapsed && leave.lane(lane) != 0.0 {
                    let window = &v[row + 1 - n..=row];
                    sums.rebuild(lane, window, |x| x);
                    mags.rebuild(lane, window, f64::abs);
                    peak.set_lane(lane, mags.value().lane(lane));
                }
            }
        }
        sums.value().scatter(out, rows);
    }
}

/// [`run_epochs`] on four epochs, compiled for AVX2 (which the CPU must have).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn run_epochs_avx2<W: Weighting>(
    v: &[f64],
    n: usize,
    weighting: &W,
    starts: &[usize; 4],
    out: &mut [f64],
) {
    run_epochs::<F64x4, W>(v, n, weighting, starts, n - 1, out)
}

/// The rolling loop shared by both weightings, on the log returns `l`.
///
/// The rows are cut into epochs of `N`: an epoch starts with an exact rebuild of the sums at
/// row `N - 1`, `2N - 1`, ..., and slides through the `N - 1` rows after it, so that rounding
/// drift never builds up over more than `N` rows. An epoch's values depend on its own rows
/// alone, so four (with AVX2) or two run side by side in SIMD lanes, each lane doing the
/// one-epoch arithmetic.
fn run<W: Weighting>(
    l: &[f64],
    prepared: &WeightedAlpha,
    out: &mut [f64],
    weighting: &W,
    lanes: EpochLanes,
) {
    let spec = &prepared.spec;
    let n = spec.window;
    let cleaned = spec.cleaned(l);
    let epochs = l.len() / n;
    // Every epoch but the last has `N - 1` rows after its start; the last ends with the series.
    let last_steps = l.len() - epochs * n;
    let full = epochs.saturating_sub(1);
    let start = |e: usize| (e + 1) * n - 1;
    let quads = match lanes {
        #[cfg(target_arch = "x86_64")]
        EpochLanes::Widest if std::arch::is_x86_feature_detected!("avx2") => full / 4,
        _ => 0,
    };
    #[cfg(target_arch = "x86_64")]
    for quad in 0..quads {
        let starts = [0, 1, 2, 3].map(|i| start(4 * quad + i));
        // SAFETY: `quads` is 0 unless the CPU has AVX2.
        unsafe { run_epochs_avx2(&cleaned, n, weighting, &starts, out) };
    }
    let paired = match lanes {
        #[cfg(test)]
        EpochLanes::Single => 0,
        _ => (full - 4 * quads) / 2,
    };
    for pair in 0..paired {
        let first = 4 * quads + 2 * pair;
        let starts = [start(first), start(first + 1)];
        run_epochs::<F64x2, W>(&cleaned, n, weighting, &starts, n - 1, out);
    }
    for e in 4 * quads + 2 * paired..epochs {
        let steps = if e + 1 == epochs { last_steps } else { n - 1 };
        run_epochs::<f64, W>(&cleaned, n, weighting, &[start(e)], steps, out);
    }
    // Null before the first full window, and where the window holds a missing value. Missing
    // values are rare: blocks without one are passed over with a branch-free test.
    out[..(n - 1).min(l.len())].fill(f64::NAN);
    const BLOCK: usize = 64;
    for (b, block) in l.chunks(BLOCK).enumerate() {
        if block.iter().fold(true, |all, x| all & x.is_finite()) {
            continue;
        }
        for (i, x) in block.iter().enumerate() {
            if !x.is_finite() {
                let m = b * BLOCK + i;
                out[m..(m + n).min(l.len())].fill(f64::NAN);
            }
        }
    }
    // The score in passes of their own, over a whole series at a time, so that `exp_m1`
    // runs several rows at once.
    prepared.percent_in_place(out);
}

/// A weighted alpha with its weights computed once, to run over many series (the tickers of
/// a panel) without recomputing them per series.
#[derive(Debug, Clone)]
pub struct WeightedAlpha {
    spec: WeightedAlphaSpec,
    /// The weights oldest first, `w_{N-1} .. w_0`, the order of a window's rows.
    oldest_first: Vec<f64>,
    /// `N / sum(w)`.
    exponent_scale: f64,
}

impl WeightedAlpha {
    pub fn new(spec: &WeightedAlphaSpec) -> Self {
        let mut oldest_first = spec.weight_table();
        let weight_sum: f64 = oldest_first.iter().sum();
        oldest_first.reverse();
        Self {
            spec: *spec,
            oldest_first,
            exponent_scale: spec.window as f64 / weight_sum,
        }
    }

    /// `weighted_sum * (N / sum(w))`: the exponent of the score (a multiply, not a division
    /// per row).
    #[inline(always)]
    fn exponent(&self, weighted_sum: f64) -> f64 {
        weighted_sum * self.exponent_scale
    }

    /// `100 * (exp(N * weighted_sum / sum(w)) - 1)`.
    fn percent(&self, weighted_sum: f64) -> f64 {
        100.0 * log_exp::exp_m1(self.exponent(weighted_sum))
    }

    /// [`WeightedAlpha::percent`] of every value, with the same bits.
    fn percent_in_place(&self, values: &mut [f64]) {
        for v in values.iter_mut() {
            *v = self.exponent(*v);
        }
        log_exp::exp_m1_in_place(values);
        for v in values.iter_mut() {
            *v *= 100.0;
        }
    }

    /// Rolling weighted alpha of the log returns `l` (in time order), one value per row, in
    /// percent. See the module docs for the definition and the null rule.
    pub fn run(&self, l: &[f64], out: &mut [f64]) -> Result<(), KernelError> {
        if out.len() != l.len() {
            return Err(KernelError::LengthMismatch {
                expected: l.len(),
                got: out.len(),
                what: "the output buffer",
            });
        }
        self.run_with(l, out, EpochLanes::Widest);
        Ok(())
    }

    fn run_with(&self, l: &[f64], out: &mut [f64], lanes: EpochLanes) {
        let n = self.spec.window;
        match self.spec.weights {
            AlphaWeights::Exponential { half_life } => {
                let weighting = ExpWeighting {
                    d: (-1.0 / half_life).exp2(),
                    d_n: (-(n as f64) / half_life).exp2(),
                    oldest_first: &self.oldest_first,
                };
                run(l, self, out, &weighting, lanes);
            }
            AlphaWeights::Linear => {
                let weighting = LinWeighting {
                    n: n as f64,
                    c: 0.5 / (n - 1) as f64,
                };
                run(l, self, out, &weighting, lanes);
            }
        }
    }

    /// The weighted alpha of the last `N` rows of `l`: the value [`WeightedAlpha::run`]
    /// writes at the last row, computed directly in O(N). NaN when `l` has fewer than `N`
    /// rows or a missing value among its last `N`.
    pub fn last(&self, l: &[f64]) -> f64 {
        let Some(first) = l.len().checked_sub(self.spec.window) else {
            return f64::NAN;
        };
        let window = &l[first..];
        if window.iter().any(|v| !v.is_finite()) {
            return f64::NAN;
        }
        let weighted: f64 = window
            .iter()
            .zip(&self.oldest_first)
            .map(|(&v, w)| w * self.spec.clean(v))
            .sum();
        self.percent(weighted)
    }
}

/// A series for [`WeightedAlpha::score`]: its values, what they are, and the argument that
/// errors name.
#[derive(Debug, Clone, Copy)]
pub struct ScoredSeries<'a> {
    pub values: &'a [f64],
    pub kind: SeriesKind,
    pub argument: &'static str,
}

impl ScoredSeries<'_> {
    /// A price series has no score where its own price is missing (the log returns bridge
    /// the gap for the rows after it); a return series' missing rows already have none.
    fn clear_missing(&self, out: &mut [f64]) {
        if self.kind == SeriesKind::Prices {
            for (o, p) in out.iter_mut().zip(self.values) {
                if !p.is_finite() {
                    *o = f64::NAN;
                }
            }
        }
    }

    fn last_or_missing(&self, value: f64) -> f64 {
        match (self.kind, self.values.last()) {
            (SeriesKind::Prices, Some(p)) if !p.is_finite() => f64::NAN,
            _ => value,
        }
    }
}

impl WeightedAlpha {
    /// The rolling weighted alpha of `series` (prices or returns, in time order) into `out`,
    /// less the benchmark's on the same rows when one is given.
    pub fn score(
        &self,
        series: ScoredSeries<'_>,
        benchmark: Option<ScoredSeries<'_>>,
        out: &mut [f64],
    ) -> Result<(), KernelError> {
        let mut logs = vec![0.0; series.values.len()];
        log_returns_of(series.values, series.kind, series.argument, &mut logs)?;
        self.run(&logs, out)?;
        series.clear_missing(out);
        if let Some(bench) = benchmark {
            log_returns_of(bench.values, bench.kind, bench.argument, &mut logs)?;
            let mut bench_out = vec![0.0; logs.len()];
            self.run(&logs, &mut bench_out)?;
            bench.clear_missing(&mut bench_out);
            for (o, b) in out.iter_mut().zip(&bench_out) {
                *o -= b;
            }
        }
        Ok(())
    }

    /// The weighted alpha of `series` as of its last row, less the benchmark's when one is
    /// given: the value [`WeightedAlpha::score`] writes at the last row.
    pub fn score_last(
        &self,
        series: ScoredSeries<'_>,
        benchmark: Option<ScoredSeries<'_>>,
    ) -> Result<f64, KernelError> {
        let mut logs = vec![0.0; series.values.len()];
        log_returns_of(series.values, series.kind, series.argument, &mut logs)?;
        let mut value = series.last_or_missing(self.last(&logs));
        if let Some(bench) = benchmark {
            log_returns_of(bench.values, bench.kind, bench.argument, &mut logs)?;
            value -= bench.last_or_missing(self.last(&logs));
        }
        Ok(value)
    }
}

/// Rolling weighted alpha of the log returns `l` (in time order), one value per row, in
/// percent: [`WeightedAlpha::run`] for a single series.
pub fn weighted_alpha(
    l: &[f64],
    spec: &WeightedAlphaSpec,
    out: &mut [f64],
) -> Result<(), KernelError> {
    WeightedAlpha::new(spec).run(l, out)
}

/// The weighted alpha of the last `N` rows of `l` ([`WeightedAlpha::last`] for a single
/// series). Meant for aggregations (one value per group).
pub fn weighted_alpha_last(l: &[f64], spec: &WeightedAlphaSpec) -> f64 {
    WeightedAlpha::new(spec).last(l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::lcg_series;

    /// The definition, evaluated from scratch at row `t` in O(N). Returns the value and the
    /// scale of its rounding error, `100 * e^z * N * sum(w |l|) / sum(w)`: when the log returns
    /// nearly cancel, no summation order can do better than a fraction of that.
    fn brute_force(
        l: &[f64],
        t: usize,
        n: usize,
        weights: AlphaWeights,
        cap: Option<f64>,
    ) -> (f64, f64) {
        if t + 1 < n || l[t + 1 - n..=t].iter().any(|v| !v.is_finite()) {
            return (f64::NAN, 0.0);
        }
        let w: Vec<f64> = (0..n)
            .map(|k| match weights {
                AlphaWeights::Exponential { half_life } => 0.5f64.powf(k as f64 / half_life),
                AlphaWeights::Linear => 1.0 - 0.5 * k as f64 / (n - 1) as f64,
            })
            .collect();
        let total: f64 = w.iter().sum();
        let v = |k: usize| {
            let x = l[t - k];
            cap.map_or(x, |c| x.max(-c).min(c))
        };
        let z: f64 = (0..n).map(|k| n as f64 * w[k] / total * v(k)).sum();
        let mag: f64 = (0..n).map(|k| n as f64 * w[k] / total * v(k).abs()).sum();
        (100.0 * z.exp_m1(), 100.0 * z.exp() * mag)
    }

    fn run(l: &[f64], spec: &WeightedAlphaSpec) -> Vec<f64> {
        let mut out = vec![0.0; l.len()];
        weighted_alpha(l, spec, &mut out).unwrap();
        out
    }

    fn exp(half_life: f64) -> AlphaWeights {
        AlphaWeights::Exponential { half_life }
    }

    /// Compares every row with the brute force, to `tol` relative to the value or to its
    /// rounding scale, whichever is larger.
    fn check_all(l: &[f64], n: usize, weights: AlphaWeights, cap: Option<f64>, tol: f64) {
        let spec = WeightedAlphaSpec::new(n, weights, cap).unwrap();
        let got = run(l, &spec);
        for (t, &g) in got.iter().enumerate() {
            let (want, scale) = brute_force(l, t, n, weights, cap);
            let ok = if want.is_nan() {
                g.is_nan()
            } else if want.is_infinite() {
                // A 300-log-point day overflows, as it should.
                g == want
            } else {
                (g - want).abs() <= tol * want.abs().max(scale)
            };
            assert!(
                ok,
                "row {t} ({weights:?}, N {n}, cap {cap:?}): got {g}, expected {want}"
            );
        }
    }

    const WEIGHTINGS: [AlphaWeights; 5] = [
        AlphaWeights::Exponential { half_life: 251.0 },
        AlphaWeights::Exponential { half_life: 5.0 },
        AlphaWeights::Exponential { half_life: 0.3 },
        AlphaWeights::Exponential {
            half_life: f64::INFINITY,
        },
        AlphaWeights::Linear,
    ];

    #[test]
    fn every_row_matches_brute_force() {
        let l = lcg_series(1, 2000, 0.04);
        for weights in WEIGHTINGS {
            for n in [2, 20, 252] {
                check_all(&l, n, weights, None, 1e-12);
            }
        }
    }

    #[test]
    fn epochs_side_by_side_give_the_bits_of_one_at_a_time() {
        let mut l = lcg_series(11, 3000, 0.03);
        // Spikes that collapse the magnitude as they leave (in one lane of a pair, or both),
        // overflow, and missing values.
        for (i, v) in [(130, 5.0), (400, -4.0), (1777, f64::MAX), (1800, -f64::MAX)] {
            l[i] = v;
        }
        l[900] = f64::NAN;
        l[2500] = f64::INFINITY;
        for v in &mut l[2000..2010] {
            *v = 3.0;
        }
        for weights in WEIGHTINGS {
            for cap in [None, Some(0.05)] {
                for n in [2, 3, 20, 251, 252, 1000] {
                    let spec = WeightedAlphaSpec::new(n, weights, cap).unwrap();
                    let prepared = WeightedAlpha::new(&spec);
                    for len in [0, 1, n - 1, n, 2 * n, 2 * n + 1, 5 * n - 1, 3000] {
                        let len = len.min(l.len());
                        let mut single = vec![0.0; len];
                        prepared.run_with(&l[..len], &mut single, EpochLanes::Single);
                        for lanes in [EpochLanes::Paired, EpochLanes::Widest] {
                            let mut got = vec![0.0; len];
                            prepared.run_with(&l[..len], &mut got, lanes);
                            for (t, (g, w)) in got.iter().zip(&single).enumerate() {
                                assert!(
                                    g.to_bits() == w.to_bits(),
                                    "{lanes:?} {weights:?} cap {cap:?} N {n} len {len} row {t}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn large_values_leave_no_trace() {
        let mut l = lcg_series(2, 1500, 0.002);
        l[100] = 5.0;
        l[101] = -4.0;
        l[700] = 300.0;
        l[1300] = -700.0;
        for v in &mut l[1000..1010] {
            *v = 2.0;
        }
        for weights in WEIGHTINGS {
            for n in [20, 252] {
                check_all(&l, n, weights, None, 1e-12);
            }
        }
    }

    #[test]
    fn an_overflowed_sum_recovers_when_the_value_leaves() {
        // Log returns passed directly; the bindings never produce these magnitudes.
        let mut l = lcg_series(5, 400, 0.01);
        l[50] = f64::MAX;
        l[120] = -f64::MAX;
        l[121] = f64::MAX;
        let n = 30;
        for weights in WEIGHTINGS {
            let spec = WeightedAlphaSpec::new(n, weights, None).unwrap();
            let got = run(&l, &spec);
            // Every window without the huge values, right after they left.
            for t in (50 + n..120).chain(121 + n..400) {
                let (want, scale) = brute_force(&l, t, n, weights, None);
                assert!(
                    (got[t] - want).abs() <= 1e-12 * want.abs().max(scale),
                    "row {t} ({weights:?}): got {}, expected {want}",
                    got[t]
                );
            }
        }
    }

    #[test]
    fn volatility_regime_change() {
        // Calm after a turbulent stretch: the sums shrink 1e4-fold, by subtraction alone
        // when there is no decay.
        let mut l = lcg_series(3, 1200, 0.5);
        for v in &mut l[400..] {
            *v *= 1e-4;
        }
        for weights in WEIGHTINGS {
            check_all(&l, 60, weights, None, 1e-12);
        }
    }

    #[test]
    fn missing_values_null_their_windows() {
        let mut l = lcg_series(4, 800, 0.03);
        l[0] = f64::NAN;
        l[50] = f64::NAN;
        l[300] = f64::INFINITY;
        l[301] = f64::NEG_INFINITY;
        for v in &mut l[500..520] {
            *v = f64::NAN;
        }
        for weights in WEIGHTINGS {
            check_all(&l, 40, weights, None, 1e-12);
        }
        let spec = WeightedAlphaSpec::new(40, exp(39.0), None).unwrap();
        let got = run(&l, &spec);
        assert!(got[50..90].iter().all(|v| v.is_nan()));
        assert!(got[90].is_finite());
    }

    #[test]
    fn cap_clips_each_log_return() {
        let mut l = lcg_series(5, 600, 0.1);
        l[200] = 3.0;
        l[201] = -2.5;
        for weights in WEIGHTINGS {
            check_all(&l, 30, weights, Some(0.04), 1e-12);
        }
        // Every return beyond the cap: the weighted sum is the cap itself.
        let l = vec![0.5; 10];
        let spec = WeightedAlphaSpec::new(5, exp(2.0), Some(0.01)).unwrap();
        let got = run(&l, &spec);
        let want = 100.0 * (5.0f64 * 0.01).exp_m1();
        assert!((got[9] - want).abs() <= 1e-12 * want);
    }

    #[test]
    fn no_decay_is_the_price_change() {
        let steps = lcg_series(6, 3000, 0.03);
        let mut prices = vec![50.0];
        for s in &steps {
            let p = prices[prices.len() - 1] * (1.0 + s);
            prices.push(p);
        }
        let mut l = vec![0.0; prices.len()];
        log_returns(&prices, &mut l).unwrap();
        let n = 252;
        let spec = WeightedAlphaSpec::new(n, exp(f64::INFINITY), None).unwrap();
        let got = run(&l, &spec);
        for t in 0..prices.len() {
            if t < n {
                assert!(got[t].is_nan(), "row {t} has no full window");
            } else {
                let want = 100.0 * (prices[t] / prices[t - n] - 1.0);
                assert!(
                    (got[t] - want).abs() <= 1e-12 * want.abs().max(100.0),
                    "row {t}: got {}, expected {want}",
                    got[t]
                );
            }
        }
    }

    /// A 253-price path over 252 returns that doubles during `doubling` (a range of return
    /// indices) and is flat elsewhere.
    fn doubling_path(doubling: std::ops::Range<usize>) -> Vec<f64> {
        let step = 2f64.powf(1.0 / doubling.len() as f64);
        let mut prices = vec![10.0];
        for i in 0..252 {
            let p = prices[i] * if doubling.contains(&i) { step } else { 1.0 };
            prices.push(p);
        }
        prices
    }

    #[test]
    fn recent_doubling_beats_early_doubling() {
        let n = 252;
        let late = doubling_path(189..252);
        let early = doubling_path(0..63);
        let specs = [
            WeightedAlphaSpec::new(n, exp(WeightedAlphaSpec::default_half_life(n)), None),
            WeightedAlphaSpec::new(n, AlphaWeights::Linear, None),
        ];
        for spec in specs {
            let spec = spec.unwrap();
            let score = |prices: &[f64]| {
                let mut l = vec![0.0; prices.len()];
                log_returns(prices, &mut l).unwrap();
                let rolled = run(&l, &spec);
                let last = weighted_alpha_last(&l, &spec);
                assert!((rolled[252] - last).abs() <= 1e-12 * last.abs());
                last
            };
            let (a, b) = (score(&late), score(&early));
            assert!(
                a > 100.0,
                "late doubling scores {a} with {:?}",
                spec.weights()
            );
            assert!(
                b < 100.0,
                "early doubling scores {b} with {:?}",
                spec.weights()
            );
        }
        // Without decay both are exactly the doubling.
        let flat = WeightedAlphaSpec::new(n, exp(f64::INFINITY), None).unwrap();
        for prices in [late, early] {
            let mut l = vec![0.0; prices.len()];
            log_returns(&prices, &mut l).unwrap();
            assert!((weighted_alpha_last(&l, &flat) - 100.0).abs() < 1e-11);
        }
    }

    #[test]
    fn last_row_helper_matches_rolling() {
        let mut l = lcg_series(7, 300, 0.03);
        l[10] = f64::NAN;
        for weights in WEIGHTINGS {
            let spec = WeightedAlphaSpec::new(50, weights, Some(0.05)).unwrap();
            let rolled = run(&l, &spec);
            for end in [30, 55, 60, 61, 200, 300] {
                let got = weighted_alpha_last(&l[..end], &spec);
                let want = rolled[end - 1];
                assert!(
                    (got.is_nan() && want.is_nan()) || (got - want).abs() <= 1e-12 * want.abs(),
                    "end {end}: {got} vs {want}"
                );
            }
        }
        let spec = WeightedAlphaSpec::new(5, AlphaWeights::Linear, None).unwrap();
        assert!(weighted_alpha_last(&[], &spec).is_nan());
    }

    #[test]
    fn log_returns_of_prices() {
        let prices = [100.0, 110.0, f64::NAN, 121.0, 0.0, 50.0, 55.0];
        let mut l = [0.0; 7];
        log_returns(&prices, &mut l).unwrap();
        assert!(l[0].is_nan());
        assert!((l[1] - (1.1f64).ln()).abs() < 1e-16);
        assert!(l[2].is_nan() && l[3].is_nan() && l[4].is_nan() && l[5].is_nan());
        assert!((l[6] - (1.1f64).ln()).abs() < 1e-16);
        assert!(log_returns(&prices, &mut [0.0; 3]).is_err());
        log_returns(&[], &mut []).unwrap();
    }

    #[test]
    fn log_returns_of_crashes_and_extreme_ratios_keep_their_digits() {
        // (p0, p1, ln(p1 / p0)) with the exact logs written out.
        let cases = [
            (1.0, 1e-12, -27.631021115928547),
            (1.0, 1e-16, -36.841361487904734),
            (1.0, 1e-17, -39.14394658089878),
            (5e-324, 1e6, 758.2555824793455),
            (100.0, 300.0, 1.0986122886681098),
            (100.0, 100.5, 0.004987541511039074),
        ];
        for (p0, p1, exact) in cases {
            let mut l = [0.0; 2];
            log_returns(&[p0, p1], &mut l).unwrap();
            assert!(
                (l[1] - exact).abs() <= 4.0 * f64::EPSILON * exact.abs(),
                "{p0} -> {p1}: {} vs {exact}",
                l[1]
            );
        }
    }

    #[test]
    fn rejects_bad_options() {
        assert_eq!(
            WeightedAlphaSpec::new(1, AlphaWeights::Linear, None),
            Err(KernelError::InvalidWindow(1))
        );
        for hl in [0.0, -3.0, f64::NAN, f64::NEG_INFINITY] {
            let err = WeightedAlphaSpec::new(10, exp(hl), None).unwrap_err();
            assert!(matches!(err, KernelError::InvalidHalfLife { .. }), "{hl}");
        }
        assert_eq!(
            WeightedAlphaSpec::new(10, exp(-1.0), None)
                .unwrap_err()
                .to_string(),
            "half_life must be a positive number of rows (or infinity for no decay), got -1"
        );
        for cap in [0.0, -0.1, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                WeightedAlphaSpec::new(10, AlphaWeights::Linear, Some(cap)),
                Err(KernelError::InvalidCap(_))
            ));
        }
        assert!(WeightedAlphaSpec::new(10, exp(f64::INFINITY), Some(0.2)).is_ok());
        let spec = WeightedAlphaSpec::new(3, AlphaWeights::Linear, None).unwrap();
        assert!(weighted_alpha(&[0.1, 0.2], &spec, &mut [0.0]).is_err());
        weighted_alpha(&[], &spec, &mut []).unwrap();
    }

    #[test]
    fn log_returns_of_returns_and_prices_and_their_undefined_logs() {
        let returns = [f64::NAN, 0.1, -0.5, 0.0];
        let mut out = [0.0; 4];
        log_returns_of(&returns, SeriesKind::Returns, "returns", &mut out).unwrap();
        assert!(out[0].is_nan());
        assert_eq!(out[1], 0.1f64.ln_1p());
        assert_eq!(out[2], (-0.5f64).ln_1p());
        assert_eq!(out[3], 0.0);
        let prices = [10.0, 11.0, f64::NAN, 12.0];
        log_returns_of(&prices, SeriesKind::Prices, "price", &mut out).unwrap();
        assert!(out[0].is_nan());
        assert!((out[1] - (11.0f64 / 10.0).ln()).abs() < 1e-16);
        // The missing price bridges: no move on its row, the move lands on the next price.
        assert_eq!(out[2], 0.0);
        assert!((out[3] - (12.0f64 / 11.0).ln()).abs() < 1e-16);
        let err = log_returns_of(&[0.1, -1.0], SeriesKind::Returns, "returns", &mut out[..2]);
        assert!(err
            .unwrap_err()
            .to_string()
            .starts_with("`returns` holds a return of -1"));
        let err = log_returns_of(&[1.0, 0.0], SeriesKind::Prices, "benchmark", &mut out[..2]);
        assert!(err
            .unwrap_err()
            .to_string()
            .starts_with("`benchmark` holds a non-positive price (0)"));
    }

    #[test]
    fn score_less_the_benchmark_is_the_difference_of_the_two_scores() {
        let spec = WeightedAlphaSpec::new(20, AlphaWeights::Linear, None).unwrap();
        let kernel = WeightedAlpha::new(&spec);
        let prices: Vec<f64> = lcg_series(5, 80, 0.02)
            .iter()
            .scan(100.0, |p, r| {
                *p *= 1.0 + r;
                Some(*p)
            })
            .collect();
        let bench: Vec<f64> = lcg_series(6, 80, 0.01)
            .iter()
            .scan(50.0, |p, r| {
                *p *= 1.0 + r;
                Some(*p)
            })
            .collect();
        let series = |values| ScoredSeries {
            values,
            kind: SeriesKind::Prices,
            argument: "price",
        };
        let (mut own, mut other, mut relative) = (vec![0.0; 80], vec![0.0; 80], vec![0.0; 80]);
        kernel.score(series(&prices), None, &mut own).unwrap();
        kernel.score(series(&bench), None, &mut other).unwrap();
        kernel
            .score(series(&prices), Some(series(&bench)), &mut relative)
            .unwrap();
        for t in 0..80 {
            let want = own[t] - other[t];
            assert!(
                relative[t] == want || (relative[t].is_nan() && want.is_nan()),
                "row {t}"
            );
        }
        let last = kernel
            .score_last(series(&prices), Some(series(&bench)))
            .unwrap();
        assert!((last - relative[79]).abs() <= 1e-12 * relative[79].abs().max(1.0));
    }

    #[test]
    fn bridged_log_returns_carry_a_gap_to_the_next_known_price() {
        let prices = [f64::NAN, 100.0, 110.0, f64::NAN, f64::NAN, 121.0, 121.0];
        let mut out = [0.0; 7];
        bridged_log_returns(&prices, &mut out).unwrap();
        assert!(out[0].is_nan() && out[1].is_nan());
        assert_eq!(out[2], log_price_ratio(100.0, 110.0));
        assert_eq!((out[3], out[4]), (0.0, 0.0));
        assert_eq!(out[5], log_price_ratio(110.0, 121.0));
        assert_eq!(out[6], 0.0);
    }

    #[test]
    fn one_missing_price_voids_only_its_own_row() {
        // No decay: the score is the percent change over the window, gap or not.
        let spec = WeightedAlphaSpec::new(
            5,
            AlphaWeights::Exponential {
                half_life: f64::INFINITY,
            },
            None,
        )
        .unwrap();
        let kernel = WeightedAlpha::new(&spec);
        let mut prices: Vec<f64> = (0..20).map(|i| 100.0 * 1.01f64.powi(i)).collect();
        prices[9] = f64::NAN;
        let series = ScoredSeries {
            values: &prices,
            kind: SeriesKind::Prices,
            argument: "price",
        };
        let mut out = vec![0.0; 20];
        kernel.score(series, None, &mut out).unwrap();
        for t in 0..20 {
            if t < 5 || t == 9 {
                assert!(out[t].is_nan(), "row {t}");
                continue;
            }
            // The last known price at or before t - 5 (the one before the gap for t = 14).
            let base = if t == 14 { prices[8] } else { prices[t - 5] };
            let want = 100.0 * (prices[t] / base - 1.0);
            assert!(
                (out[t] - want).abs() < 1e-9,
                "row {t}: {} vs {want}",
                out[t]
            );
        }
        let last = kernel.score_last(series, None).unwrap();
        assert!((last - out[19]).abs() < 1e-12);
        prices[19] = f64::NAN;
        let series = ScoredSeries {
            values: &prices,
            kind: SeriesKind::Prices,
            argument: "price",
        };
        assert!(kernel.score_last(series, None).unwrap().is_nan());
    }
}
