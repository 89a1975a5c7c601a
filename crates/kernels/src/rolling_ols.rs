//! Rolling single-index (CAPM) regression `y = alpha + beta * x + e` over a trailing window.
//!
//! Rows where `x` or `y` is not finite are left out of the fit. Each output row is computed
//! from running centered moments ([`PairMoments`]) that are rebuilt from the rows
//! - at least once every window length of removals, so rounding drift never accumulates,
//! - whenever a co-moment collapses far below its peak since the last rebuild, the signature
//!   of catastrophic cancellation (an outlier leaving the window), and
//! - when a window that filled from empty first holds `min_periods` rows (or a row leaves
//!   before), so the rows of a series' first windows are not updated one by one: they have
//!   no fit yet, and the kernel skips straight to that build.
//!
//! A column that is exactly constant over the window (say a stale market, or returns of
//! zero) has exactly zero co-moments, whatever the values that left it: the walk counts the
//! rows that differ from its origin and clears the residue when that count is zero. Without
//! this, a value too small to square (below about 1e-154) leaves a subnormal residue that
//! the collapse test cannot see, and a window of zeros would get a fit.
//!
//! Results that cannot be computed are written as NaN; see [`SimpleFit`] for the rules.

use super::moments::{spread_is_noise_of, usable, PairMoments};
use super::simple_fit::{fit_statistics, residual_sum, usual_statistics};
pub use super::simple_fit::{SimpleFit, SimpleFitColumns};
use super::tolerances::{CANCELLATION_RATIO, NEAR_PERFECT_FIT};
use super::window::WindowBounds;
use super::KernelError;

mod lanes;
use lanes::LANES;

/// Fits the regression of the usable rows of `x[window]`, `y[window]` described by `m`.
/// `x` and `y` are the window's rows, read only for a near-perfect fit.
#[inline]
pub fn fit_from_moments(
    m: &PairMoments,
    x: &[f64],
    y: &[f64],
    min_periods: usize,
    with_residuals: bool,
) -> SimpleFit {
    let n = m.n;
    let mut fit = SimpleFit::empty(n);
    if n < min_periods || n < 2 || !m.sxx.is_finite() || !m.sxy.is_finite() || m.x_is_constant() {
        return fit;
    }
    let beta = m.sxy / m.sxx;
    let alpha = m.mean_y - beta * m.mean_x;
    fit.alpha = alpha;
    fit.beta = beta;
    // An overflowed Syy leaves the slope intact but every residual statistic unknowable.
    if !with_residuals || !m.syy.is_finite() {
        return fit;
    }
    let (ssr, near_perfect) = residual_sum(m.sxy, m.syy, beta, || {
        x.iter()
            .zip(y)
            .filter(|(&xi, &yi)| usable(xi, yi))
            .map(|(&xi, &yi)| {
                let e = (yi - m.mean_y) - beta * (xi - m.mean_x);
                e * e
            })
            .sum()
    });
    let nf = n as f64;
    let moments = (m.sxx, m.sxy, m.syy);
    let (r2, stats) = fit_statistics(
        alpha,
        beta,
        moments,
        (ssr, near_perfect),
        nf - 2.0,
        nf,
        m.mean_x,
    );
    fit.r2 = r2;
    if let Some(stats) = stats {
        fit.resid_std = stats.resid_std;
        fit.alpha_se = stats.alpha_se;
        fit.beta_se = stats.beta_se;
        fit.alpha_t = stats.alpha_t;
        fit.beta_t = stats.beta_t;
    }
    fit
}

/// Rolling regression of `y` on `x` (both in time order), writing one fit per row.
pub fn rolling_simple_ols(
    x: &[f64],
    y: &[f64],
    bounds: &impl WindowBounds,
    out: &mut SimpleFitColumns<'_>,
) -> Result<(), KernelError> {
    rolling_simple_ols_with_lanes(x, y, bounds, out, ReadNext::default(), |_| {})
}

/// The rows of the series the caller fits next, which a kernel asks the memory system for
/// while it works (see [`crate::prefetch`]): their first read, which would wait on memory,
/// then finds them in the cache. Only a hint; the fits do not depend on it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadNext<'a> {
    pub x: &'a [f64],
    pub y: &'a [f64],
}

/// [`rolling_simple_ols`], fetching the rows of `next` into the cache along the way.
pub fn rolling_simple_ols_reading_next(
    x: &[f64],
    y: &[f64],
    bounds: &impl WindowBounds,
    out: &mut SimpleFitColumns<'_>,
    next: ReadNext<'_>,
) -> Result<(), KernelError> {
    rolling_simple_ols_with_lanes(x, y, bounds, out, next, |_| {})
}

/// [`rolling_simple_ols`], calling `lane_started(t)` with every row `t` where a lane other
/// than the first starts (see [`lanes`]): its window is rebuilt from the rows there, so the
/// fits have the bits of [`for_each_window_rebuilding_at`] given those rows. A test hook.
#[cfg(any(test, feature = "test-hooks"))]
pub fn rolling_simple_ols_reporting_lanes(
    x: &[f64],
    y: &[f64],
    bounds: &impl WindowBounds,
    out: &mut SimpleFitColumns<'_>,
    lane_started: impl FnMut(usize),
) -> Result<(), KernelError> {
    rolling_simple_ols_with_lanes(x, y, bounds, out, ReadNext::default(), lane_started)
}

fn rolling_simple_ols_with_lanes(
    x: &[f64],
    y: &[f64],
    bounds: &impl WindowBounds,
    out: &mut SimpleFitColumns<'_>,
    next: ReadNext<'_>,
    mut lane_started: impl FnMut(usize),
) -> Result<(), KernelError> {
    let len = x.len();
    if y.len() != len {
        return Err(KernelError::LengthMismatch {
            expected: len,
            got: y.len(),
            what: "y",
        });
    }
    out.check_len(len)?;
    let with_residuals = out.needs_residuals();
    let min_periods = bounds.min_periods();
    // A row window of at least 3 rows may slide whole blocks at a time (see `slide_block`).
    let slide = bounds.row_count().filter(|&w| w >= 3 && w >= min_periods);
    let mut walk = WindowWalk::new(min_periods);
    let mut block = MomentBlock::default();
    // Rows `t..plain_end` are known to be plain, and rows `t..ordinary_end` not odd, so a
    // run is scanned once.
    let (mut plain_end, mut ordinary_end) = (0, 0);
    let mut t = warm_up(x, y, bounds, out, &mut walk);
    while t < len {
        if let Some(w) = slide {
            // The window before `t` holds `w` usable rows, so every row leaving it is usable.
            if walk.m.n == w && walk.first + w == t && walk.plain_since_rebuild() {
                if plain_end <= t {
                    plain_end = t + plain_prefix(&x[t..], &y[t..]);
                }
                let run = plain_end - t;
                if let Some(lane_len) = lanes::lane_len(run, w) {
                    let run = lanes::LaneRun {
                        x,
                        y,
                        start: t,
                        lane_len,
                        w,
                        min_periods,
                        with_residuals,
                        next,
                    };
                    walk.slide_lanes(&run, out, &mut block, &mut lane_started);
                    t += LANES * lane_len;
                    continue;
                }
                let run = run.min(BLOCK);
                if run > 0 {
                    walk.slide_block(x, y, t..t + run, w, &mut block);
                    block.fit(x, y, t, w, min_periods, with_residuals, out);
                    t += run;
                    continue;
                }
            }
        }
        if !walk.filling && walk.m.n >= 2 && walk.plain_since_rebuild() && walk_blocks() {
            if ordinary_end <= t {
                ordinary_end = t + ordinary_prefix(&x[t..], &y[t..]);
            }
            let rows = t..ordinary_end.min(t + BLOCK);
            if !rows.is_empty() {
                let walked = walk.walk_block(x, y, bounds, slide, rows, &mut block);
                #[cfg(test)]
                BLOCKS_WALKED.set(BLOCKS_WALKED.get() + usize::from(walked > 0));
                if walked > 0 {
                    block.fit_varying(x, y, t, min_periods, with_residuals, out);
                    t += walked;
                    continue;
                }
            }
        }
        walk.step(x, y, t, bounds.start(t));
        out.write(t, &walk.fit(x, y, t, with_residuals));
        t += 1;
    }
    Ok(())
}

#[cfg(test)]
thread_local! {
    /// Blocks [`WindowWalk::walk_block`] walked, for tests to know that it ran.
    static BLOCKS_WALKED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// Set by tests to walk row by row where blocks would be walked.
    static WITHOUT_BLOCK_WALK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether windows of varying length may be walked in blocks (always, but in tests).
#[inline(always)]
fn walk_blocks() -> bool {
    #[cfg(test)]
    if WITHOUT_BLOCK_WALK.get() {
        return false;
    }
    true
}

/// Writes the rows at the start of the series that have no fit: while the window starts at
/// row 0 and holds fewer than `min_periods` usable rows, they are only counted. The walk then
/// starts where its fill would end, with the same build from the rows, so the warm-up of
/// every series costs one pass instead of an update and a fit per row. Returns the first row
/// left to walk.
fn warm_up(
    x: &[f64],
    y: &[f64],
    bounds: &impl WindowBounds,
    out: &mut SimpleFitColumns<'_>,
    walk: &mut WindowWalk,
) -> usize {
    let (len, min_periods) = (x.len(), bounds.min_periods());
    // With fewer than two rows to wait for, the walk loses nothing by starting at row 0.
    if min_periods < 2 {
        return 0;
    }
    let odd = |t: usize| odd_row_value(x[t], y[t]);
    let (mut t, mut count, mut odd_row) = (0, 0, None);
    // The walk would fill the window until `min_periods` rows are in it or a row leaves
    // (see `WindowWalk::filling`), then build its moments from the rows: that row is `t`.
    let mut nothing_entered = false;
    // Plain rows are usable and not odd, so a leading stretch of them that cannot reach
    // `min_periods`, inside windows that start at row 0, is only counted.
    let room = (min_periods - 1).min(len);
    if room > 0 && bounds.start(room - 1) == 0 {
        t = plain_prefix(&x[..room], &y[..room]);
        count = t;
        if let Some(n) = &mut out.n {
            for (row, n) in n[..t].iter_mut().enumerate() {
                *n = u32::try_from(row + 1).unwrap_or(u32::MAX);
            }
        }
    }
    while t < len {
        if bounds.start(t) != 0 {
            // With nothing entered yet, nothing is filling: the walk takes over as if it
            // had visited these rows.
            nothing_entered = count == 0;
            break;
        }
        if usable(x[t], y[t]) {
            count += 1;
            if count >= min_periods {
                break;
            }
        }
        if odd(t) {
            odd_row = Some(t);
        }
        if let Some(n) = &mut out.n {
            n[t] = u32::try_from(count).unwrap_or(u32::MAX);
        }
        t += 1;
    }
    // The float fields of these rows are unknown; filled at once rather than row by row.
    for column in out.floats().into_iter().flatten() {
        column[..t].fill(f64::NAN);
    }
    if t == len || nothing_entered {
        return t;
    }
    // Row `t` starts the walk whichever test ended the loop, so it is looked at here.
    if odd(t) {
        odd_row = Some(t);
    }
    walk.start_at(x, y, bounds.start(t), t, odd_row);
    out.write(t, &walk.fit(x, y, t, out.needs_residuals()));
    t + 1
}

/// Walks the rows in time order and calls `visit(t, moments, first)` with the moments of the
/// usable rows `first..=t` of the window ending at `t`. `x` and `y` have the same length.
pub fn for_each_window(
    x: &[f64],
    y: &[f64],
    bounds: &impl WindowBounds,
    visit: impl FnMut(usize, &PairMoments, usize),
) {
    walk_windows(x, y, bounds, &[], visit);
}

/// [`for_each_window`] with the window also rebuilt from its rows at each row of `rebuilds`
/// (in increasing order): the walk [`rolling_simple_ols`] gives the bits of, with the lane
/// starts it reports. A test hook.
#[cfg(any(test, feature = "test-hooks"))]
pub fn for_each_window_rebuilding_at(
    x: &[f64],
    y: &[f64],
    bounds: &impl WindowBounds,
    rebuilds: &[usize],
    visit: impl FnMut(usize, &PairMoments, usize),
) {
    walk_windows(x, y, bounds, rebuilds, visit);
}

fn walk_windows(
    x: &[f64],
    y: &[f64],
    bounds: &impl WindowBounds,
    rebuilds: &[usize],
    mut visit: impl FnMut(usize, &PairMoments, usize),
) {
    let mut walk = WindowWalk::new(bounds.min_periods());
    let mut rebuilds = rebuilds.iter().peekable();
    for t in 0..x.len().min(y.len()) {
        walk.step(x, y, t, bounds.start(t));
        if rebuilds.next_if_eq(&&t).is_some() {
            walk.rebuild(x, y, t);
        }
        visit(t, &walk.moments(), walk.first);
    }
}

/// The running moments of a trailing window and the bookkeeping of when to rebuild them.
#[derive(Debug, Default)]
struct WindowWalk {
    min_periods: usize,
    /// A row entered an empty window and no row left since. The moments are built from the
    /// rows once `min_periods` rows are in, or when a row leaves first, so a window that
    /// starts over gets the same bits as a series that starts there, and [`warm_up`] can
    /// skip to that row.
    filling: bool,
    /// Moments of the window's rows less `shift`, a row of the window: running means near
    /// zero keep their rounding at the scale of the deviations, so a series at 1e6 keeps
    /// its digits.
    m: PairMoments,
    shift_x: f64,
    shift_y: f64,
    /// The row `shift` was taken from. It never leaves the window without a rebuild: an
    /// origin far from the rows left in the window would cost digits instead of saving them.
    origin_row: usize,
    /// Usable rows of the window whose `x` (`y`) differs from `shift_x` (`shift_y`). When
    /// one is 0 that column is exactly constant, so its centered moments are exactly 0 and
    /// whatever the updates left there (the residue of a departed value too small to square,
    /// say) is rounding to discard.
    /// Not kept up to date while `slide_block` runs (it only sees plain rows, see [`plain`],
    /// and counting there would cost every row); recounted when the walk resumes.
    moved_x: usize,
    moved_y: usize,
    counts_stale: bool,
    /// The last usable row that was not [`plain`], and the first row of the window at the
    /// last rebuild: blocks may slide only once such a row left before a rebuild.
    odd_row: Option<usize>,
    rebuilt_first: usize,
    /// First row currently inside the window.
    first: usize,
    /// Rows that left the window since the moments were last rebuilt from the rows.
    removals: usize,
    peak_sxx: f64,
    peak_syy: f64,
    /// `1 / inv_n_of`, kept because a full sliding window reuses it row after row.
    inv_n: f64,
    inv_n_of: usize,
}

impl WindowWalk {
    fn new(min_periods: usize) -> Self {
        Self {
            min_periods,
            ..Self::default()
        }
    }

    /// The moments of the window (means put back on the data's scale).
    #[inline(always)]
    fn moments(&self) -> PairMoments {
        PairMoments {
            mean_x: self.m.mean_x + self.shift_x,
            mean_y: self.m.mean_y + self.shift_y,
            ..self.m
        }
    }

    /// The fit of the window ending at row `t`, where the walk stands.
    #[inline]
    fn fit(&self, x: &[f64], y: &[f64], t: usize, with_residuals: bool) -> SimpleFit {
        let rows = self.first..=t;
        fit_from_moments(
            &self.moments(),
            &x[rows.clone()],
            &y[rows],
            self.min_periods,
            with_residuals,
        )
    }

    /// Moves the window to end at row `t` and start at row `start`.
    #[inline]
    fn step(&mut self, x: &[f64], y: &[f64], t: usize, start: usize) {
        let first = self.first;
        // A fill ends at the first later step where a row leaves.
        let fill_cut = self.filling && start > first;
        if self.counts_stale {
            let origin = (self.shift_x, self.shift_y);
            (self.moved_x, self.moved_y) = moved_from(&x[first..t], &y[first..t], origin);
            self.counts_stale = false;
        }
        if odd_row_value(x[t], y[t]) {
            self.odd_row = Some(t);
        }
        let shrank;
        if first + 1 == start && self.m.n >= 2 && usable(x[t], y[t]) && usable(x[first], y[first]) {
            // The common case of a full window: one usable row in, one out.
            if self.inv_n_of != self.m.n {
                self.inv_n_of = self.m.n;
                self.inv_n = 1.0 / self.m.n as f64;
            }
            let (sx, sy) = (self.shift_x, self.shift_y);
            self.m.replace(
                x[first] - sx,
                y[first] - sy,
                x[t] - sx,
                y[t] - sy,
                self.inv_n,
            );
            self.moved_x = self.moved_x + usize::from(x[t] != sx) - usize::from(x[first] != sx);
            self.moved_y = self.moved_y + usize::from(y[t] != sy) - usize::from(y[first] != sy);
            self.first += 1;
            self.removals += 1;
            shrank = true;
        } else {
            // Rows leave before the new one enters: a window emptied on the way is reset to
            // exact zeros instead of keeping the residue of a removal from two rows to one.
            let mut removed = false;
            while self.first < start {
                let (xo, yo) = (x[self.first], y[self.first]);
                if usable(xo, yo) {
                    self.m.remove(xo - self.shift_x, yo - self.shift_y);
                    self.moved_x -= usize::from(xo != self.shift_x);
                    self.moved_y -= usize::from(yo != self.shift_y);
                    removed = true;
                }
                self.removals += 1;
                self.first += 1;
            }
            if usable(x[t], y[t]) {
                if self.m.n == 0 {
                    // An empty window takes its first row as the origin, and fills.
                    (self.shift_x, self.shift_y) = (x[t], y[t]);
                    self.origin_row = t;
                    self.filling = true;
                }
                self.m.add(x[t] - self.shift_x, y[t] - self.shift_y);
                self.moved_x += usize::from(x[t] != self.shift_x);
                self.moved_y += usize::from(y[t] != self.shift_y);
            }
            shrank = removed;
        }
        if self.filling && (fill_cut || self.m.n >= self.min_periods) {
            self.filling = false;
            self.rebuild(x, y, t);
        }
        self.settle(x, y, t, shrank);
    }

    /// Rebuilds the moments from the rows when they may have lost digits: once per window
    /// length of removals (O(1) per row, amortized), and when a co-moment collapsed or a sum
    /// overflowed (inf - inf is NaN, so overflowed moments cannot be updated back).
    #[inline(always)]
    fn settle(&mut self, x: &[f64], y: &[f64], t: usize, shrank: bool) {
        exact_when_constant(&mut self.m, self.moved_x, self.moved_y);
        let m = &self.m;
        // Written so that a NaN peak (moments that overflowed at the last rebuild, since
        // made exact by `exact_when_constant`) also rebuilds.
        let collapsed = (shrank
            && !(m.sxx >= CANCELLATION_RATIO * self.peak_sxx
                && m.syy >= CANCELLATION_RATIO * self.peak_syy))
            || !m.is_finite();
        let origin_left = m.n > 0 && self.first > self.origin_row;
        if self.removals > t - self.first || collapsed || origin_left {
            self.rebuild(x, y, t);
        } else {
            self.peak_sxx = self.peak_sxx.max(m.sxx);
            self.peak_syy = self.peak_syy.max(m.syy);
        }
    }

    /// Builds the moments of the window `first..=t` from its rows.
    fn rebuild(&mut self, x: &[f64], y: &[f64], t: usize) {
        // The newest usable row becomes the origin: a row value keeps the differences
        // exact, and the newest stays in the window longest.
        if let Some(r) = (self.first..=t).rev().find(|&r| usable(x[r], y[r])) {
            (self.shift_x, self.shift_y) = (x[r], y[r]);
            self.origin_row = r;
        }
        let origin = (self.shift_x, self.shift_y);
        let (xs, ys) = (&x[self.first..=t], &y[self.first..=t]);
        self.m = PairMoments::from_rows_about(xs, ys, origin);
        (self.moved_x, self.moved_y) = moved_from(xs, ys, origin);
        exact_when_constant(&mut self.m, self.moved_x, self.moved_y);
        self.rebuilt_first = self.first;
        self.removals = 0;
        self.peak_sxx = self.m.sxx;
        self.peak_syy = self.m.syy;
    }

    /// Starts the walk at the window `first..=t` without visiting the rows before `t`;
    /// `odd_row` is the last usable row up to `t` that is not [`plain`].
    fn start_at(&mut self, x: &[f64], y: &[f64], first: usize, t: usize, odd_row: Option<usize>) {
        self.first = first;
        self.odd_row = odd_row;
        self.filling = false;
        self.rebuild(x, y, t);
    }

    /// Slides a full window of `w` usable rows over `rows`, all usable, recording the moments
    /// of each window in `block`. Exactly what `step` would do row by row, without its
    /// per-row questions: the loop is arithmetic only, so rows overlap in the pipeline.
    fn slide_block(
        &mut self,
        x: &[f64],
        y: &[f64],
        rows: std::ops::Range<usize>,
        w: usize,
        block: &mut MomentBlock,
    ) {
        let inv_w = 1.0 / w as f64;
        block.len = rows.len();
        // Locals, not fields: state behind `&mut self` would round-trip through memory on
        // every row and stall the loop on store forwarding.
        let mut m = self.m;
        let (mut sx, mut sy, mut origin_row) = (self.shift_x, self.shift_y, self.origin_row);
        let (mut removals, mut peak_sxx, mut peak_syy) =
            (self.removals, self.peak_sxx, self.peak_syy);
        let (start, len) = (rows.start, rows.len());
        // The rows leaving and entering, sliced once so the loop indexes without checks.
        let (x_out, y_out) = (&x[start - w..][..len], &y[start - w..][..len]);
        let (x_in, y_in) = (&x[start..][..len], &y[start..][..len]);
        let mut i = 0;
        while i < len {
            // The row of the next scheduled rebuild: where `removals` reaches `w` or the
            // origin leaves the window. Rows before it only slide, so the loop below holds
            // no call and its state stays in registers; a rebuild happens after it.
            let due = (i + (w - 1).saturating_sub(removals))
                .min((origin_row + w).saturating_sub(start))
                .min(len);
            let mut rebuild_at = due;
            for j in i..due {
                m.replace(
                    x_out[j] - sx,
                    y_out[j] - sy,
                    x_in[j] - sx,
                    y_in[j] - sy,
                    inv_w,
                );
                // `settle` with a full window (t - first is w - 1), its three tests folded
                // into two comparisons: a negative or NaN variance fails `>=`, and an
                // infinite or NaN moment makes the `* 0.0` sum NaN.
                let collapsed = !(m.sxx >= CANCELLATION_RATIO * peak_sxx
                    && m.syy >= CANCELLATION_RATIO * peak_syy
                    && (m.sxx + m.syy) * 0.0 + m.sxy * 0.0 == 0.0);
                if collapsed {
                    rebuild_at = j;
                    break;
                }
                removals += 1;
                // Neither is NaN here (a NaN moment or peak fails the test above), so a
                // plain comparison is `f64::max` without its NaN handling.
                peak_sxx = if m.sxx > peak_sxx { m.sxx } else { peak_sxx };
                peak_syy = if m.syy > peak_syy { m.syy } else { peak_syy };
                block.store(j, &m, sx, sy);
            }
            if rebuild_at < len {
                // The newest row becomes the origin; the moments come from the rows.
                let (t, out) = (start + rebuild_at, start + rebuild_at - w);
                (sx, sy, origin_row) = (x[t], y[t], t);
                // Every row of the window is usable: before the block it held `w` usable rows,
                // and the block slides plain rows.
                m = PairMoments::from_usable_rows_about(&x[out + 1..=t], &y[out + 1..=t], (sx, sy));
                self.rebuilt_first = out + 1;
                removals = 0;
                peak_sxx = m.sxx;
                peak_syy = m.syy;
                block.store(rebuild_at, &m, sx, sy);
            }
            i = rebuild_at + 1;
        }
        (self.m, self.shift_x, self.shift_y, self.origin_row) = (m, sx, sy, origin_row);
        self.first += rows.len();
        (self.removals, self.peak_sxx, self.peak_syy) = (removals, peak_sxx, peak_syy);
        self.inv_n = inv_w;
        self.inv_n_of = w;
        self.counts_stale = true;
    }

    /// Walks `rows`, at most [`BLOCK`] and none of them odd (usable but not [`plain`]),
    /// exactly as [`Self::step`] would for windows whose start moves by any number of rows
    /// (a date window, an expanding one, a row window holding a gap), recording each
    /// window's moments, count and first row in `block`. Returns the rows walked: it stops
    /// before a row whose window would keep fewer than 2 usable rows, which `step` takes,
    /// and after a row that leaves a window of `slide` rows full, so the caller's slide
    /// and lanes start where they would after a row-by-row walk (the lanes' starts are
    /// rebuilds, which set the bits). The walk must hold at least 2 usable rows, not be
    /// filling, and be [`Self::plain_since_rebuild`].
    ///
    /// Without odd rows the counts of rows off the origin are not needed (see
    /// [`Self::plain_since_rebuild`]), and without a fit per row the loop is arithmetic and
    /// the rare rebuild: the fits of the block are taken together.
    fn walk_block(
        &mut self,
        x: &[f64],
        y: &[f64],
        bounds: &impl WindowBounds,
        slide: Option<usize>,
        rows: std::ops::Range<usize>,
        block: &mut MomentBlock,
    ) -> usize {
        debug_assert!(!self.filling && self.m.n >= 2 && self.plain_since_rebuild());
        let mut m = self.m;
        let (mut sx, mut sy) = (self.shift_x, self.shift_y);
        let (mut first, mut removals) = (self.first, self.removals);
        let (mut peak_sxx, mut peak_syy) = (self.peak_sxx, self.peak_syy);
        let (mut inv_n, mut inv_n_of) = (self.inv_n, self.inv_n_of);
        let mut walked = 0;
        for t in rows {
            let start = bounds.start(t);
            let entering = usable(x[t], y[t]);
            let shrank;
            if first + 1 == start && m.n >= 2 && entering && usable(x[first], y[first]) {
                if inv_n_of != m.n {
                    inv_n_of = m.n;
                    inv_n = 1.0 / m.n as f64;
                }
                m.replace(x[first] - sx, y[first] - sy, x[t] - sx, y[t] - sy, inv_n);
                first += 1;
                removals += 1;
                shrank = true;
            } else {
                let leaving = (first..start).filter(|&r| usable(x[r], y[r])).count();
                if m.n < leaving + 2 {
                    break;
                }
                for r in first..start {
                    if usable(x[r], y[r]) {
                        m.remove(x[r] - sx, y[r] - sy);
                    }
                }
                removals += start - first;
                first = start;
                if entering {
                    m.add(x[t] - sx, y[t] - sy);
                }
                shrank = leaving > 0;
            }
            // `settle`, less its exact zeros for a constant column (see above).
            let collapsed = (shrank
                && !(m.sxx >= CANCELLATION_RATIO * peak_sxx
                    && m.syy >= CANCELLATION_RATIO * peak_syy))
                || !m.is_finite();
            if removals > t - first || collapsed || first > self.origin_row {
                (self.m, self.first) = (m, first);
                self.rebuild(x, y, t);
                (m, sx, sy) = (self.m, self.shift_x, self.shift_y);
                (removals, peak_sxx, peak_syy) = (self.removals, self.peak_sxx, self.peak_syy);
            } else {
                peak_sxx = peak_sxx.max(m.sxx);
                peak_syy = peak_syy.max(m.syy);
            }
            let i = walked;
            block.store(i, &m, sx, sy);
            block.counts[i] = m.n as f64;
            block.firsts[i] = first;
            walked += 1;
            if slide.is_some_and(|w| m.n == w && first + w == t + 1) {
                break;
            }
        }
        block.len = walked;
        (self.m, self.first, self.removals) = (m, first, removals);
        (self.peak_sxx, self.peak_syy) = (peak_sxx, peak_syy);
        (self.inv_n, self.inv_n_of) = (inv_n, inv_n_of);
        self.counts_stale = true;
        walked
    }

    /// True when the window's moments can slide in blocks: no row that is not [`plain`] is
    /// in the window or left it since the last rebuild, so a column that turns exactly
    /// constant is rebuilt to exact zeros by the collapse test alone (its residue is a
    /// rounding of the peak), and the exact counts are not needed.
    #[inline]
    fn plain_since_rebuild(&self) -> bool {
        self.odd_row.is_none_or(|r| r < self.rebuilt_first)
    }
}

/// Sets the moments of a column that is exactly constant (no usable row differs from the
/// origin, `moved_* == 0`) to their exact value, 0, relative to the origin.
#[inline(always)]
fn exact_when_constant(m: &mut PairMoments, moved_x: usize, moved_y: usize) {
    if moved_x == 0 {
        (m.mean_x, m.sxx, m.sxy) = (0.0, 0.0, 0.0);
    }
    if moved_y == 0 {
        (m.mean_y, m.syy, m.sxy) = (0.0, 0.0, 0.0);
    }
}

/// How many usable rows differ from the origin, in `x` and in `y`.
fn moved_from(x: &[f64], y: &[f64], (ox, oy): (f64, f64)) -> (usize, usize) {
    // Branch-free so it vectorizes: it runs at every rebuild.
    x.iter().zip(y).fold((0, 0), |(mx, my), (&a, &b)| {
        let keep = usable(a, b);
        (
            mx + usize::from(keep & (a != ox)),
            my + usize::from(keep & (b != oy)),
        )
    })
}

/// Rows slid and fitted together: large enough to amortize the per-block checks, small
/// enough that the block's moments stay in L1.
const BLOCK: usize = 64;

/// A value whose square, and the square of its difference from another plain value, is a
/// normal number far from overflow: 0, or a magnitude within `[1e-100, 1e100]`. Rows of
/// plain values leave only a rounding of the moments' peak behind when they leave.
#[inline(always)]
fn plain(v: f64) -> bool {
    let a = v.abs();
    a == 0.0 || (1e-100..=1e100).contains(&a)
}

/// A usable row with a value that is not [`plain`]: blocks may not slide while one is in
/// the window or left it since the last rebuild.
#[inline(always)]
fn odd_row_value(x: f64, y: f64) -> bool {
    usable(x, y) && !(plain(x) && plain(y))
}

/// Length of the leading run of rows whose two values are plain (so usable).
fn plain_prefix(x: &[f64], y: &[f64]) -> usize {
    run_length::<false>(x, y)
}

/// Length of the leading run of rows none of which is odd (usable but not [`plain`]).
fn ordinary_prefix(x: &[f64], y: &[f64]) -> usize {
    run_length::<true>(x, y)
}

/// [`plain_prefix`] (`ORDINARY` false) or [`ordinary_prefix`] (true), four rows an
/// instruction where the machine has AVX2.
fn run_length<const ORDINARY: bool>(x: &[f64], y: &[f64]) -> usize {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the machine has AVX2 (checked just above).
        return unsafe { run_length_avx2::<ORDINARY>(x, y) };
    }
    run_length_portable::<ORDINARY>(x, y)
}

/// [`run_length`] compiled for AVX2, which the machine must have.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn run_length_avx2<const ORDINARY: bool>(x: &[f64], y: &[f64]) -> usize {
    run_length_portable::<ORDINARY>(x, y)
}

/// [`run_length`] on any machine, and inlined into its AVX2 copy.
#[inline(always)]
fn run_length_portable<const ORDINARY: bool>(x: &[f64], y: &[f64]) -> usize {
    if ORDINARY {
        // `odd_row_value` without its short circuits, so the blocks vectorize.
        prefix_before(x, y, |a, b| {
            (a.is_finite() & b.is_finite()) & !(plain(a) & plain(b))
        })
    } else {
        prefix_before(x, y, |a, b| !plain(a) | !plain(b))
    }
}

/// Length of the leading run of rows for which `odd` is false.
#[inline(always)]
fn prefix_before(x: &[f64], y: &[f64], odd: impl Fn(f64, f64) -> bool) -> usize {
    // Branch-free passes over whole blocks, which vectorize; the scan stops at the first block
    // with an odd row, so scanning run after run costs one pass over the rows.
    let mut start = 0;
    for (xs, ys) in x.chunks(BLOCK).zip(y.chunks(BLOCK)) {
        if xs
            .iter()
            .zip(ys)
            .fold(false, |any, (&a, &b)| any | odd(a, b))
        {
            let at = xs.iter().zip(ys).position(|(&a, &b)| odd(a, b));
            return start + at.unwrap_or(xs.len());
        }
        start += xs.len();
    }
    start
}

/// Moments of the full windows ending at consecutive rows, one entry per row.
struct MomentBlock {
    len: usize,
    mean_x: [f64; BLOCK],
    mean_y: [f64; BLOCK],
    sxx: [f64; BLOCK],
    sxy: [f64; BLOCK],
    syy: [f64; BLOCK],
    /// The fitted fields in [`SimpleFitColumns`] order, and whether each row took the
    /// branch-free formulas; kept here so no block starts by clearing them.
    fields: [[f64; BLOCK]; 8],
    plain: [bool; BLOCK],
    /// For windows of varying length ([`WindowWalk::walk_block`]): each entry's count of
    /// usable rows, and the first row of its window.
    counts: [f64; BLOCK],
    firsts: [usize; BLOCK],
}

impl Default for MomentBlock {
    fn default() -> Self {
        Self {
            len: 0,
            mean_x: [0.0; BLOCK],
            mean_y: [0.0; BLOCK],
            sxx: [0.0; BLOCK],
            sxy: [0.0; BLOCK],
            syy: [0.0; BLOCK],
            fields: [[0.0; BLOCK]; 8],
            plain: [true; BLOCK],
            counts: [0.0; BLOCK],
            firsts: [0; BLOCK],
        }
    }
}

impl MomentBlock {
    /// Records the moments `m` (about the origin `(sx, sy)`) of the window ending at the
    /// block's `i`-th row.
    #[inline(always)]
    fn store(&mut self, i: usize, m: &PairMoments, sx: f64, sy: f64) {
        self.mean_x[i] = m.mean_x + sx;
        self.mean_y[i] = m.mean_y + sy;
        self.sxx[i] = m.sxx;
        self.sxy[i] = m.sxy;
        self.syy[i] = m.syy;
    }

    /// Writes the fits of the block's windows (`w` usable rows each, the first ending at row
    /// `t0`) into `out`.
    #[allow(clippy::too_many_arguments)]
    fn fit(
        &mut self,
        x: &[f64],
        y: &[f64],
        t0: usize,
        w: usize,
        min_periods: usize,
        with_residuals: bool,
        out: &mut SimpleFitColumns<'_>,
    ) {
        self.fit_entries(w, with_residuals);
        self.refit_undecided(x, y, w, min_periods, with_residuals, |i| t0 + i);
        let n = self.write_fields(t0, out);
        if let Some(n) = n {
            n.fill(u32::try_from(w).unwrap_or(u32::MAX));
        }
    }

    /// Writes the fits of the block's windows of varying length (see
    /// [`WindowWalk::walk_block`]), the first ending at row `t0`, into `out`.
    fn fit_varying(
        &mut self,
        x: &[f64],
        y: &[f64],
        t0: usize,
        min_periods: usize,
        with_residuals: bool,
        out: &mut SimpleFitColumns<'_>,
    ) {
        self.fit_varying_entries(min_periods, with_residuals);
        self.refit_undecided_windows(x, y, min_periods, with_residuals, |block, i| {
            (block.counts[i] as usize, block.firsts[i]..t0 + i + 1)
        });
        if let Some(n) = self.write_fields(t0, out) {
            for (n, &count) in n.iter_mut().zip(&self.counts) {
                *n = u32::try_from(count as usize).unwrap_or(u32::MAX);
            }
        }
    }

    /// Copies the block's fitted fields into the rows from `t0` of the requested columns,
    /// and returns those rows of the `n` column, if requested, for the caller to fill.
    fn write_fields<'o>(
        &self,
        t0: usize,
        out: &'o mut SimpleFitColumns<'_>,
    ) -> Option<&'o mut [u32]> {
        let rows = t0..t0 + self.len;
        for (column, field) in out.floats().into_iter().zip(&self.fields) {
            if let Some(column) = column {
                column[rows.clone()].copy_from_slice(&field[..self.len]);
            }
        }
        out.n.as_deref_mut().map(|n| &mut n[rows])
    }

    /// Fits every entry's window (`w` usable rows) with the branch-free formulas, so they
    /// vectorize, and marks in `plain` the entries that need no decision; the others (a
    /// constant market, an overflow, a near-perfect fit) are left to [`Self::refit_undecided`].
    /// Four entries an instruction where the machine has AVX2; the bits are the same.
    fn fit_entries(&mut self, w: usize, with_residuals: bool) {
        self.fit_entries_of::<false>(w, 0, with_residuals)
    }

    /// [`Self::fit_entries`] of windows of varying length: entry `i` holds `counts[i]`
    /// usable rows; one with fewer than `min_periods` (or 2) is decided as no fit, and one
    /// of 2 rows is left undecided (it has a line but no inference).
    fn fit_varying_entries(&mut self, min_periods: usize, with_residuals: bool) {
        self.fit_entries_of::<true>(0, min_periods, with_residuals)
    }

    /// [`Self::fit_entries`] (`VARYING` false, every window `w` rows) and
    /// [`Self::fit_varying_entries`] (`VARYING` true).
    fn fit_entries_of<const VARYING: bool>(
        &mut self,
        w: usize,
        min_periods: usize,
        with_residuals: bool,
    ) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the machine has AVX2 (checked just above).
            return unsafe { self.fit_entries_avx2::<VARYING>(w, min_periods, with_residuals) };
        }
        self.fit_entries_portable::<VARYING>(w, min_periods, with_residuals)
    }

    /// [`Self::fit_entries_of`] compiled for AVX2, which the machine must have.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn fit_entries_avx2<const VARYING: bool>(
        &mut self,
        w: usize,
        min_periods: usize,
        with_residuals: bool,
    ) {
        self.fit_entries_portable::<VARYING>(w, min_periods, with_residuals)
    }

    /// [`Self::fit_entries_of`] on any machine, and inlined into its AVX2 copy.
    #[inline(always)]
    fn fit_entries_portable<const VARYING: bool>(
        &mut self,
        w: usize,
        min_periods: usize,
        with_residuals: bool,
    ) {
        // `fit_from_moments` leaves a window of fewer rows than this without a fit, and one
        // of 2 rows without inference: both go to `refit_undecided`.
        let fewest = min_periods.max(3) as f64;
        let (fields, plain, counts) = (&mut self.fields, &mut self.plain, &self.counts);
        let count = |i: usize| if VARYING { counts[i] } else { w as f64 };
        let [alpha, beta, r2, resid_std, alpha_se, beta_se, alpha_t, beta_t] = &mut *fields;
        // Whole blocks, not `len` entries: a fixed trip count with no bounds checks
        // vectorizes, and values past `len` are never read.
        for i in 0..BLOCK {
            let (mx, my) = (self.mean_x[i], self.mean_y[i]);
            let (sxx, sxy) = (self.sxx[i], self.sxy[i]);
            let b = sxy / sxx;
            beta[i] = b;
            alpha[i] = my - b * mx;
            plain[i] = sxx.is_finite() & sxy.is_finite() & !spread_is_noise_of(sxx, count(i), mx);
            if VARYING {
                plain[i] &= count(i) >= fewest;
            }
        }
        if with_residuals {
            for i in 0..BLOCK {
                let nf = count(i);
                let mx = self.mean_x[i];
                let (sxx, sxy, syy) = (self.sxx[i], self.sxy[i], self.syy[i]);
                let b = beta[i];
                let ssr = syy - b * sxy;
                let not_near_perfect = ssr >= NEAR_PERFECT_FIT * syy;
                let ssr = ssr.max(0.0);
                let moments = (sxx, sxy, syy);
                let (fit_r2, stats, usual) =
                    usual_statistics(alpha[i], b, moments, ssr, 1.0 / (nf - 2.0), 1.0 / nf, mx);
                // A near-perfect fit and moments outside the usual range (an overflowed `Syy`
                // among them) go to `refit_undecided`.
                plain[i] &= usual & not_near_perfect;
                r2[i] = fit_r2;
                resid_std[i] = stats.resid_std;
                beta_se[i] = stats.beta_se;
                alpha_se[i] = stats.alpha_se;
                beta_t[i] = stats.beta_t;
                alpha_t[i] = stats.alpha_t;
            }
        }
        if VARYING {
            // A window of fewer than `min_periods` rows has no fit: decided here, since a
            // gap in a window as long as `min_periods` leaves every window it is in short.
            let least = min_periods.max(2) as f64;
            let computed = if with_residuals { fields.len() } else { 2 };
            for field in &mut fields[..computed] {
                for (v, &count) in field.iter_mut().zip(counts) {
                    *v = if count < least { f64::NAN } else { *v };
                }
            }
            for (p, &count) in plain.iter_mut().zip(counts) {
                *p |= count < least;
            }
        }
    }

    /// Fits the entries [`Self::fit_entries`] left undecided through [`fit_from_moments`],
    /// which gives the other entries' bits too; `row_of(i)` is the last row of entry `i`'s
    /// window.
    fn refit_undecided(
        &mut self,
        x: &[f64],
        y: &[f64],
        w: usize,
        min_periods: usize,
        with_residuals: bool,
        row_of: impl Fn(usize) -> usize,
    ) {
        self.refit_undecided_windows(x, y, min_periods, with_residuals, |_, i| {
            let t = row_of(i);
            (w, t + 1 - w..t + 1)
        });
    }

    /// [`Self::refit_undecided`] where `window_of(block, i)` gives entry `i`'s count of
    /// usable rows and its window's rows.
    fn refit_undecided_windows(
        &mut self,
        x: &[f64],
        y: &[f64],
        min_periods: usize,
        with_residuals: bool,
        window_of: impl Fn(&Self, usize) -> (usize, std::ops::Range<usize>),
    ) {
        // Usually every entry is plain: one branch-free pass says so.
        if self.plain[..self.len].iter().fold(true, |all, &p| all & p) {
            return;
        }
        for i in (0..self.len).filter(|&i| !self.plain[i]) {
            let (n, window) = window_of(self, i);
            let m = PairMoments {
                n,
                mean_x: self.mean_x[i],
                mean_y: self.mean_y[i],
                sxx: self.sxx[i],
                sxy: self.sxy[i],
                syy: self.syy[i],
            };
            let fit = fit_from_moments(
                &m,
                &x[window.clone()],
                &y[window],
                min_periods,
                with_residuals,
            );
            for (field, v) in self.fields.iter_mut().zip(fit.values()) {
                field[i] = v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{lcg_series, offset_pair};
    use crate::window::{DateWindow, Window, WindowSpec};

    /// Direct least squares on the usable rows, computed from scratch.
    fn reference(x: &[f64], y: &[f64]) -> SimpleFit {
        let rows: Vec<(f64, f64)> = x
            .iter()
            .zip(y)
            .filter(|(a, b)| usable(**a, **b))
            .map(|(a, b)| (*a, *b))
            .collect();
        let n = rows.len() as f64;
        let mx = rows.iter().map(|r| r.0).sum::<f64>() / n;
        let my = rows.iter().map(|r| r.1).sum::<f64>() / n;
        let sxx: f64 = rows.iter().map(|r| (r.0 - mx).powi(2)).sum();
        let sxy: f64 = rows.iter().map(|r| (r.0 - mx) * (r.1 - my)).sum();
        let syy: f64 = rows.iter().map(|r| (r.1 - my).powi(2)).sum();
        let beta = sxy / sxx;
        let alpha = my - beta * mx;
        let ssr: f64 = rows
            .iter()
            .map(|r| (r.1 - alpha - beta * r.0).powi(2))
            .sum();
        let s = (ssr / (n - 2.0)).sqrt();
        let beta_se = s / sxx.sqrt();
        let alpha_se = s * (1.0 / n + mx * mx / sxx).sqrt();
        SimpleFit {
            alpha,
            beta,
            r2: sxy * sxy / (sxx * syy),
            resid_std: s,
            alpha_se,
            beta_se,
            alpha_t: alpha / alpha_se,
            beta_t: beta / beta_se,
            n: rows.len(),
        }
    }

    struct Owned {
        cols: Vec<Vec<f64>>,
        n: Vec<u32>,
    }

    fn run(x: &[f64], y: &[f64], bounds: impl WindowBounds) -> Owned {
        run_reporting_lanes(x, y, bounds).0
    }

    /// [`run`], with the rows where lanes started (see [`lanes`]).
    fn run_reporting_lanes(x: &[f64], y: &[f64], bounds: impl WindowBounds) -> (Owned, Vec<usize>) {
        let mut lane_starts = Vec::new();
        let o = fill(x.len(), |out| {
            rolling_simple_ols_reporting_lanes(x, y, &bounds, out, |t| lane_starts.push(t))
        });
        (o, lane_starts)
    }

    /// Every field of `len` rows, as `kernel` writes them.
    fn fill(
        len: usize,
        kernel: impl FnOnce(&mut SimpleFitColumns<'_>) -> Result<(), KernelError>,
    ) -> Owned {
        let mut cols = vec![vec![0.0; len]; 8];
        let mut n = vec![0u32; len];
        {
            let floats: [Option<&mut [f64]>; 8] = {
                let mut it = cols.iter_mut();
                std::array::from_fn(|_| it.next().map(Vec::as_mut_slice))
            };
            kernel(&mut SimpleFitColumns::from_fields(floats, Some(&mut n))).unwrap();
        }
        Owned { cols, n }
    }

    fn assert_rel(a: f64, b: f64, tol: f64, what: &str) {
        assert!(
            (a - b).abs() <= tol * b.abs().max(1e-300),
            "{what}: got {a}, expected {b}"
        );
    }

    fn assert_fit(o: &Owned, t: usize, r: &SimpleFit, tol: f64) {
        let got = [
            o.cols[0][t],
            o.cols[1][t],
            o.cols[2][t],
            o.cols[3][t],
            o.cols[4][t],
            o.cols[5][t],
            o.cols[6][t],
            o.cols[7][t],
        ];
        let want = [
            r.alpha,
            r.beta,
            r.r2,
            r.resid_std,
            r.alpha_se,
            r.beta_se,
            r.alpha_t,
            r.beta_t,
        ];
        let names = [
            "alpha",
            "beta",
            "r2",
            "resid_std",
            "alpha_se",
            "beta_se",
            "alpha_t",
            "beta_t",
        ];
        for i in 0..8 {
            assert_rel(got[i], want[i], tol, &format!("{} at row {t}", names[i]));
        }
        assert_eq!(o.n[t] as usize, r.n);
    }

    #[test]
    fn reading_next_rows_changes_no_bit() {
        // Long enough for lanes, which fetch `next` a share per block.
        let len = 3000;
        let x = lcg_series(41, len, 0.03);
        let y: Vec<f64> = x
            .iter()
            .zip(lcg_series(42, len, 0.01))
            .map(|(a, e)| 0.0005 + 0.8 * a + e)
            .collect();
        let spec = WindowSpec::new(Window::Rows(60), 60).unwrap();
        let (plain, lane_starts) = run_reporting_lanes(&x, &y, spec);
        assert!(!lane_starts.is_empty(), "the series must slide in lanes");
        let other = lcg_series(43, 10 * len, 1.0);
        // No rows, fewer rows than blocks, as many as the series, far more; `x` and `y` of
        // different lengths.
        for (nx, ny) in [(0, 0), (7, 7), (len, len), (10 * len, 10 * len), (len, 3)] {
            let next = ReadNext {
                x: &other[..nx],
                y: &other[..ny],
            };
            let o = fill(len, |out| {
                rolling_simple_ols_reading_next(&x, &y, &spec, out, next)
            });
            assert_eq!(o.n, plain.n);
            for (got, want) in o.cols.iter().zip(&plain.cols) {
                let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(got), bits(want), "next of {nx} and {ny} rows");
            }
        }
    }

    #[test]
    fn every_window_matches_a_fresh_fit() {
        let x = lcg_series(1, 300, 0.04);
        let noise = lcg_series(2, 300, 0.02);
        let y: Vec<f64> = x
            .iter()
            .zip(&noise)
            .map(|(a, e)| 0.001 + 1.3 * a + e)
            .collect();
        let w = 20;
        let o = run(&x, &y, WindowSpec::new(Window::Rows(w), w).unwrap());
        for t in 0..300 {
            if t + 1 < w {
                assert!(o.cols[1][t].is_nan());
                assert_eq!(o.n[t] as usize, t + 1);
            } else {
                let r = reference(&x[t + 1 - w..=t], &y[t + 1 - w..=t]);
                assert_fit(&o, t, &r, 1e-10);
            }
        }
    }

    #[test]
    fn unusable_rows_are_skipped_and_min_periods_applies() {
        let mut x = lcg_series(3, 120, 0.04);
        let mut y = lcg_series(4, 120, 0.04);
        for t in (0..120).step_by(7) {
            x[t] = f64::NAN;
        }
        y[50] = f64::INFINITY;
        x[60] = f64::NEG_INFINITY;
        let (w, mp) = (15, 10);
        let o = run(&x, &y, WindowSpec::new(Window::Rows(w), mp).unwrap());
        for t in 0..120usize {
            let lo = (t + 1).saturating_sub(w);
            let r = reference(&x[lo..=t], &y[lo..=t]);
            if r.n >= mp {
                assert_fit(&o, t, &r, 1e-9);
            } else {
                assert!(o.cols[0][t].is_nan() && o.cols[1][t].is_nan());
                assert_eq!(o.n[t] as usize, r.n);
            }
        }
    }

    #[test]
    fn outlier_leaves_no_trace() {
        let x = lcg_series(5, 200, 0.02);
        let mut y: Vec<f64> = x
            .iter()
            .zip(lcg_series(6, 200, 0.01))
            .map(|(a, e)| 0.9 * a + e)
            .collect();
        let mut x = x;
        x[40] = 1e4;
        y[41] = -1e4;
        let w = 30;
        let o = run(&x, &y, WindowSpec::new(Window::Rows(w), w).unwrap());
        for t in 80..200 {
            let r = reference(&x[t + 1 - w..=t], &y[t + 1 - w..=t]);
            assert_fit(&o, t, &r, 1e-9);
        }
    }

    #[test]
    fn large_mean_small_spread_market() {
        let x: Vec<f64> = lcg_series(7, 100, 0.02).iter().map(|e| 1e3 + e).collect();
        let y: Vec<f64> = x
            .iter()
            .zip(lcg_series(8, 100, 0.01))
            .map(|(a, e)| 0.5 * (a - 1e3) + e)
            .collect();
        let w = 25;
        let o = run(&x, &y, WindowSpec::new(Window::Rows(w), w).unwrap());
        for t in w - 1..100 {
            let r = reference(&x[t + 1 - w..=t], &y[t + 1 - w..=t]);
            assert_fit(&o, t, &r, 1e-8);
        }
    }

    #[test]
    fn series_offset_by_a_million_keep_their_digits() {
        // Deviations of 1e-2 on a level of 1e6 have ulps of 1e-10: running means at that
        // level would cost about eight digits of beta. The window's origin keeps them.
        let (x, y) = offset_pair(400);
        let w = 60;
        for spec in [
            WindowSpec::new(Window::Rows(w), w).unwrap(),
            WindowSpec::new(Window::Expanding, 2).unwrap(),
        ] {
            let o = run(&x, &y, spec);
            for t in (w..400).step_by(7) {
                let lo = spec.start(t);
                let r = reference(&x[lo..=t], &y[lo..=t]);
                assert_rel(o.cols[1][t], r.beta, 1e-12, &format!("beta {spec:?} {t}"));
                // `reference` forms residuals as y - alpha - beta x, which at this level loses
                // the digits under test; centred residuals keep them.
                let (xs, ys) = (&x[lo..=t], &y[lo..=t]);
                let n = xs.len() as f64;
                let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
                let ssr: f64 = xs
                    .iter()
                    .zip(ys)
                    .map(|(a, b)| ((b - my) - r.beta * (a - mx)).powi(2))
                    .sum();
                let resid_std = (ssr / (n - 2.0)).sqrt();
                assert_rel(o.cols[3][t], resid_std, 1e-11, "resid_std");
            }
        }
    }

    #[test]
    fn constant_market_gives_nan_and_recovers() {
        let mut x = lcg_series(9, 60, 0.02);
        for v in &mut x[10..40] {
            *v = 0.1;
        }
        let y = lcg_series(10, 60, 0.02);
        let w = 10;
        let o = run(&x, &y, WindowSpec::new(Window::Rows(w), w).unwrap());
        for t in 19..40 {
            assert!(o.cols[1][t].is_nan(), "beta at {t} should be NaN");
            assert_eq!(o.n[t], 10);
        }
        let r = reference(&x[50..60], &y[50..60]);
        assert_fit(&o, 59, &r, 1e-9);
    }

    #[test]
    fn a_column_of_zeros_after_tiny_values_is_exactly_constant() {
        // Values too small to square (1e-160, 1e-308) leave residues of the running sums in
        // the subnormal range, which the collapse test cannot see; the exact counts of rows
        // that differ from the origin clear them once the column is all zeros.
        let w = 12;
        for tiny in [1e-160, -2.2250738585072014e-308] {
            let mut x = lcg_series(30, 60, 0.02);
            let mut y = lcg_series(31, 60, 0.02);
            for t in 5..20 {
                (x[t], y[t]) = (if t % 2 == 0 { tiny } else { 0.1 * x[t] }, tiny);
            }
            // y all zeros on 20..40, then x all zeros on 40..60.
            y[20..40].fill(0.0);
            x[40..60].fill(0.0);
            let o = run(&x, &y, WindowSpec::new(Window::Rows(w), w).unwrap());
            let walked = run(
                &x,
                &y,
                RowByRow(WindowSpec::new(Window::Rows(w), w).unwrap()),
            );
            for t in 20 + w - 1..40 {
                assert_eq!(o.cols[1][t], 0.0, "beta at {t} ({tiny:e})");
                assert_eq!(o.cols[0][t], 0.0, "alpha at {t} ({tiny:e})");
                assert!(o.cols[2][t].is_nan(), "r2 of a constant y at {t}");
            }
            for t in 40 + w - 1..60 {
                assert!(o.cols[1][t].is_nan(), "beta at {t} ({tiny:e})");
            }
            for (a, b) in o.cols.iter().zip(&walked.cols) {
                assert!(a.iter().zip(b).all(|(p, q)| p.to_bits() == q.to_bits()));
            }
        }
    }

    #[test]
    fn perfect_fit_has_zero_residuals_and_no_t() {
        let x = lcg_series(11, 30, 0.02);
        let y: Vec<f64> = x.iter().map(|a| 0.002 + 2.0 * a).collect();
        let o = run(&x, &y, WindowSpec::new(Window::Rows(10), 10).unwrap());
        for t in 9..30 {
            assert_rel(o.cols[1][t], 2.0, 1e-12, "beta");
            assert_rel(o.cols[0][t], 0.002, 1e-9, "alpha");
            assert!(o.cols[3][t] < 1e-15, "resid_std {}", o.cols[3][t]);
            assert_rel(o.cols[2][t], 1.0, 1e-12, "r2");
        }
    }

    #[test]
    fn two_rows_give_line_without_inference() {
        let o = run(
            &[0.0, 1.0],
            &[1.0, 3.0],
            WindowSpec::new(Window::Rows(2), 2).unwrap(),
        );
        assert_eq!(o.cols[1][1], 2.0);
        assert_eq!(o.cols[0][1], 1.0);
        assert!(o.cols[3][1].is_nan() && o.cols[5][1].is_nan() && o.cols[7][1].is_nan());
    }

    #[test]
    fn expanding_matches_fresh_fit() {
        let x = lcg_series(12, 150, 0.03);
        let y = lcg_series(13, 150, 0.03);
        let o = run(&x, &y, WindowSpec::new(Window::Expanding, 2).unwrap());
        for t in 2..150 {
            let r = reference(&x[..=t], &y[..=t]);
            assert_fit(&o, t, &r, 1e-9);
        }
    }

    #[test]
    fn beta_only_leaves_other_buffers_alone() {
        let x = lcg_series(14, 40, 0.03);
        let y = lcg_series(15, 40, 0.03);
        let mut beta = vec![0.0; 40];
        let mut out = SimpleFitColumns {
            beta: Some(&mut beta),
            ..Default::default()
        };
        rolling_simple_ols(
            &x,
            &y,
            &WindowSpec::new(Window::Rows(8), 8).unwrap(),
            &mut out,
        )
        .unwrap();
        let r = reference(&x[32..40], &y[32..40]);
        assert_rel(beta[39], r.beta, 1e-10, "beta");
    }

    #[test]
    fn length_mismatch_is_an_error() {
        let mut out = SimpleFitColumns::default();
        let spec = WindowSpec::new(Window::Rows(3), 3).unwrap();
        assert!(rolling_simple_ols(&[1.0, 2.0], &[1.0], &spec, &mut out).is_err());
        let mut short = vec![0.0; 1];
        let mut out = SimpleFitColumns {
            alpha: Some(&mut short),
            ..Default::default()
        };
        assert!(rolling_simple_ols(&[1.0, 2.0], &[1.0, 2.0], &spec, &mut out).is_err());
    }

    #[test]
    fn overflow_gives_nan_not_zero_and_recovers() {
        let x = lcg_series(16, 80, 0.02);
        let mut y = lcg_series(17, 80, 0.02);
        for v in &mut y[20..30] {
            *v *= 1e160;
        }
        let w = 10;
        let o = run(&x, &y, WindowSpec::new(Window::Rows(w), w).unwrap());
        for t in 20..39 {
            assert!(
                o.cols[2][t].is_nan() && o.cols[3][t].is_nan(),
                "r2/resid_std at {t}"
            );
        }
        let r = reference(&x[70..80], &y[70..80]);
        assert_fit(&o, 79, &r, 1e-9);
    }

    /// A row window that hides its length, so the kernel takes the row-by-row walk.
    struct RowByRow(WindowSpec);

    impl WindowBounds for RowByRow {
        fn start(&self, t: usize) -> usize {
            self.0.start(t)
        }
        fn min_periods(&self) -> usize {
            self.0.min_periods
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn block_fits_have_the_same_bits_with_and_without_avx2() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return;
        }
        let values = lcg_series(61, 5 * BLOCK, 0.05);
        // Plain windows, a constant market, a perfect fit, overflowed and missing moments.
        let specials = [0.0, -0.0, 1e-300, f64::INFINITY, f64::NAN, 1e300, -1.0];
        let mut fills = [MomentBlock::default(), MomentBlock::default()];
        for block in &mut fills {
            for i in 0..BLOCK {
                let v = |k: usize| values[k * BLOCK + i];
                block.mean_x[i] = v(0);
                block.mean_y[i] = v(1);
                block.sxx[i] = v(2).abs();
                block.sxy[i] = v(3);
                block.syy[i] = v(4).abs() + v(3) * v(3) / v(2).abs().max(1e-300);
            }
            for (k, &s) in specials.iter().enumerate() {
                block.sxx[3 * k] = s;
                block.syy[3 * k + 1] = s;
                block.sxy[3 * k + 2] = s;
            }
            // Windows of varying length, some too short for a fit or for inference.
            for (i, count) in block.counts.iter_mut().enumerate() {
                *count = (i % 45) as f64;
            }
            block.len = BLOCK;
        }
        let [mut wide, mut portable] = fills;
        // A NaN's sign is not compared: x86 gives the first operand's NaN when both are
        // NaN, and the two compilations may order a product's operands differently. No
        // result carries a NaN's sign: the plugin writes it as null, NumPy reads it as NaN.
        let bits = |v: f64| {
            if v.is_nan() {
                f64::NAN.to_bits()
            } else {
                v.to_bits()
            }
        };
        for with_residuals in [false, true] {
            // SAFETY: the machine has AVX2 (checked above).
            unsafe { wide.fit_entries_avx2::<false>(40, 0, with_residuals) };
            portable.fit_entries_portable::<false>(40, 0, with_residuals);
            for (a, b) in wide.fields.iter().zip(&portable.fields) {
                assert_eq!(a.map(bits), b.map(bits));
            }
            assert_eq!(wide.plain, portable.plain);
            // SAFETY: as above.
            unsafe { wide.fit_entries_avx2::<true>(0, 30, with_residuals) };
            portable.fit_entries_portable::<true>(0, 30, with_residuals);
            for (a, b) in wide.fields.iter().zip(&portable.fields) {
                assert_eq!(a.map(bits), b.map(bits));
            }
            assert_eq!(wide.plain, portable.plain);
            // Windows short of `min_periods` are decided: no fit.
            for i in (0..BLOCK).filter(|i| i % 45 < 30) {
                assert!(portable.plain[i], "entry {i}");
                let computed = if with_residuals { 8 } else { 2 };
                assert!(portable.fields[..computed].iter().all(|f| f[i].is_nan()));
            }
        }
    }

    #[test]
    fn sliding_blocks_give_the_bits_of_the_row_by_row_walk() {
        let len = 700;
        let x = lcg_series(21, len, 0.04);
        let mut y: Vec<f64> = x
            .iter()
            .zip(lcg_series(22, len, 0.02))
            .map(|(a, e)| 0.001 + 1.2 * a + e)
            .collect();
        let mut x = x;
        // A gap, an outlier entering and leaving, a constant stretch, an exact fit and an
        // overflow, each inside and across block boundaries.
        x[100] = f64::NAN;
        y[170] = f64::INFINITY;
        x[250] = 1e6;
        for v in &mut x[320..380] {
            *v = 0.25;
        }
        for t in 420..500 {
            y[t] = 0.5 + 2.0 * x[t];
        }
        for v in &mut y[560..565] {
            *v = 1e200;
        }
        let mut lanes_ran = 0;
        for (w, min_periods) in [(3, 3), (5, 4), (21, 21), (64, 50), (65, 65), (130, 100)] {
            let spec = WindowSpec::new(Window::Rows(w), min_periods).unwrap();
            lanes_ran += assert_walk_bits(&x, &y, &spec, &format!("window {w}"));
        }
        // The gaps and odd values above cut the runs, but some are long enough for lanes.
        assert!(lanes_ran > 0, "no lanes ran");
    }

    /// A market and an asset series of `len` rows with, inside and across blocks: scattered
    /// gaps, a long gap, an outlier entering and leaving, a constant market stretch, an exact
    /// line and an overflow.
    fn rough_pair(len: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
        let mut x = lcg_series(seed, len, 0.04);
        let mut y: Vec<f64> = x
            .iter()
            .zip(lcg_series(seed + 1, len, 0.02))
            .map(|(a, e)| 0.001 + 1.1 * a + e)
            .collect();
        for t in (7..len).step_by(97) {
            x[t] = f64::NAN;
        }
        for t in (30..len).step_by(131) {
            y[t] = f64::NAN;
        }
        for v in &mut y[400..470] {
            *v = f64::NAN;
        }
        x[250] = 3.0;
        for v in &mut x[600..680] {
            *v = 0.25;
        }
        for t in 800..880 {
            y[t] = 0.5 - 2.0 * x[t];
        }
        y[950] = 1e200;
        (x, y)
    }

    /// Times of `len` business days (weekends skipped, every 23rd day a holiday, and a
    /// suspension of 40 days), and their lower bounds `time - days`.
    fn business_days(len: usize, days: i64) -> (Vec<i64>, Vec<i64>) {
        let mut times = Vec::with_capacity(len);
        let mut day = 0i64;
        while times.len() < len {
            day += if day == 500 { 40 } else { 1 };
            if day % 7 < 5 && day % 23 != 0 {
                times.push(day);
            }
        }
        let lower = times.iter().map(|t| t - days).collect();
        (times, lower)
    }

    #[test]
    fn windows_of_varying_length_walk_in_blocks_with_the_bits_of_the_walk() {
        let len = 1100;
        let (x, y) = rough_pair(len, 71);
        BLOCKS_WALKED.set(0);
        for (days, min_periods) in [(5, 2), (30, 15), (91, 40), (365, 200)] {
            let (times, lower) = business_days(len, days);
            let dates = DateWindow::new(&times, &lower, min_periods).unwrap();
            assert_walk_bits(&x, &y, &dates, &format!("{days} days"));
        }
        for min_periods in [2, 50] {
            let spec = WindowSpec::new(Window::Expanding, min_periods).unwrap();
            assert_walk_bits(&x, &y, &spec, &format!("expanding from {min_periods}"));
        }
        // A row window that holds a gap walks in blocks too, and slides again once it left.
        for w in [3, 20, 252] {
            let spec = WindowSpec::new(Window::Rows(w), w * 4 / 5).unwrap();
            assert_walk_bits(&x, &y, &spec, &format!("window {w}"));
        }
        assert!(
            BLOCKS_WALKED.get() > 9 * len / BLOCK,
            "{}",
            BLOCKS_WALKED.get()
        );
    }

    #[test]
    fn walking_in_blocks_changes_no_bit_and_no_lane_start() {
        // Gaps far enough apart that full windows, and lanes, come back between them: the
        // lanes must start where they do after a row-by-row walk, since each start is a
        // rebuild.
        let len = 4000;
        let (rough_x, rough_y) = rough_pair(1100, 91);
        let mut x = lcg_series(93, len, 0.04);
        let mut y: Vec<f64> = x
            .iter()
            .zip(lcg_series(94, len, 0.02))
            .map(|(a, e)| 0.002 + 0.9 * a + e)
            .collect();
        x[..1100].copy_from_slice(&rough_x);
        y[..1100].copy_from_slice(&rough_y);
        for t in [1500, 2100, 2230, 3000] {
            x[t] = f64::NAN;
        }
        y[2600] = f64::NAN;
        for w in [3, 20, 100, 252] {
            let spec = WindowSpec::new(Window::Rows(w), w - w / 5).unwrap();
            BLOCKS_WALKED.set(0);
            let (blocks, starts) = run_reporting_lanes(&x, &y, spec);
            assert!(BLOCKS_WALKED.get() > 0, "no block walked, window {w}");
            WITHOUT_BLOCK_WALK.set(true);
            let (rows, row_starts) = run_reporting_lanes(&x, &y, spec);
            WITHOUT_BLOCK_WALK.set(false);
            assert!(!starts.is_empty(), "no lanes, window {w}");
            assert_eq!(starts, row_starts, "lane starts, window {w}");
            assert_eq!(blocks.n, rows.n, "n, window {w}");
            for (field, (a, b)) in blocks.cols.iter().zip(&rows.cols).enumerate() {
                let bits = |c: &Vec<f64>| c.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert!(bits(a) == bits(b), "field {field}, window {w}");
            }
        }
    }

    #[test]
    fn a_window_about_to_empty_is_left_to_the_walk() {
        // One to three rows a window, and a suspension that empties it.
        let len = 1100;
        let (x, y) = rough_pair(len, 81);
        for days in [2, 3, 4] {
            let (times, lower) = business_days(len, days);
            let dates = DateWindow::new(&times, &lower, 2).unwrap();
            assert_walk_bits(&x, &y, &dates, &format!("{days} days"));
        }
    }

    #[test]
    fn lanes_give_the_bits_of_the_walk_rebuilt_at_their_starts() {
        // Long plain runs, an outlier leaving inside a lane (a collapse), a constant market
        // stretch and a near-perfect fit inside lanes, for windows shorter and longer than
        // a lane.
        let len = 3000;
        let x = lcg_series(51, len, 0.04);
        let mut y: Vec<f64> = x
            .iter()
            .zip(lcg_series(52, len, 0.02))
            .map(|(a, e)| 0.001 + 0.8 * a + e)
            .collect();
        let mut x = x;
        x[1200] = 50.0;
        y[1900] = -40.0;
        for v in &mut x[2300..2400] {
            *v = 0.01;
        }
        for t in 2500..2600 {
            y[t] = 0.3 - 1.5 * x[t];
        }
        for w in [3, 20, 252, 700] {
            let spec = WindowSpec::new(Window::Rows(w), w).unwrap();
            assert!(
                assert_walk_bits(&x, &y, &spec, &format!("window {w}")) > 0,
                "no lanes, window {w}"
            );
            let o = run(&x, &y, spec);
            for t in (w - 1..len).step_by(37) {
                let r = reference(&x[t + 1 - w..=t], &y[t + 1 - w..=t]);
                if t >= 2300 + w - 1 && t < 2400 {
                    assert!(o.cols[1][t].is_nan(), "beta of a constant market at {t}");
                } else if t >= 2500 + w - 1 && t < 2600 {
                    // An exact line: residuals are rounding, so only the line is compared.
                    assert_rel(o.cols[0][t], 0.3, 1e-9, "alpha of a line");
                    assert_rel(o.cols[1][t], -1.5, 1e-12, "beta of a line");
                } else {
                    assert_fit(&o, t, &r, 1e-8);
                }
            }
        }
    }

    /// Window bounds lent to [`run`], their row count included (blocks may slide).
    struct Borrowed<'a, B>(&'a B);

    impl<B: WindowBounds> WindowBounds for Borrowed<'_, B> {
        fn start(&self, t: usize) -> usize {
            self.0.start(t)
        }
        fn min_periods(&self) -> usize {
            self.0.min_periods()
        }
        fn row_count(&self) -> Option<usize> {
            self.0.row_count()
        }
    }

    /// Every row of `rolling_simple_ols` against the walk that visits every row
    /// (`for_each_window`, which never skips a warm-up), rebuilt where lanes started, bit for
    /// bit; and the lanes as SSE2 pairs against the lanes the machine picks. Returns how many
    /// lanes started.
    fn assert_walk_bits(x: &[f64], y: &[f64], bounds: &impl WindowBounds, what: &str) -> usize {
        let (o, lane_starts) = run_reporting_lanes(x, y, Borrowed(bounds));
        lanes::WITHOUT_AVX2.set(true);
        let (sse2, sse2_starts) = run_reporting_lanes(x, y, Borrowed(bounds));
        lanes::WITHOUT_AVX2.set(false);
        assert_eq!(sse2_starts, lane_starts, "lane starts without AVX2, {what}");
        for (field, (a, b)) in o.cols.iter().zip(&sse2.cols).enumerate() {
            let bits = |c: &Vec<f64>| c.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert!(bits(a) == bits(b), "field {field} without AVX2, {what}");
        }
        let mp = bounds.min_periods();
        for_each_window_rebuilding_at(x, y, bounds, &lane_starts, |t, m, first| {
            let fit = fit_from_moments(m, &x[first..=t], &y[first..=t], mp, true);
            assert_eq!(o.n[t] as usize, fit.n, "n at row {t}, {what}");
            for (field, (col, v)) in o.cols.iter().zip(fit.values()).enumerate() {
                let got = col[t];
                assert!(
                    got.to_bits() == v.to_bits() || (got.is_nan() && v.is_nan()),
                    "field {field} row {t}, {what}: {got:e} from the kernel, {v:e} walked"
                );
            }
        });
        lane_starts.len()
    }

    #[test]
    fn the_warm_up_gives_the_bits_of_the_walk() {
        let len = 160;
        let x = lcg_series(31, len, 0.03);
        let y: Vec<f64> = x
            .iter()
            .zip(lcg_series(32, len, 0.02))
            .map(|(a, e)| 0.002 - 0.7 * a + e)
            .collect();
        // Gaps at the start and in the first windows, a stretch long enough to empty any
        // window (so it fills again), a tiny and a huge value near the start.
        let mut cases = vec![(x.clone(), y.clone())];
        let mut gappy = (x.clone(), y.clone());
        for t in [0, 1, 4, 9, 10, 11, 30] {
            gappy.0[t] = f64::NAN;
        }
        for v in &mut gappy.1[60..100] {
            *v = f64::NAN;
        }
        gappy.0[2] = 1e-160;
        gappy.1[5] = 1e120;
        cases.push(gappy);
        // Plain leading rows, then a tiny value and a gap inside the first windows.
        let mut late = (x.clone(), y.clone());
        late.0[20] = 1e-160;
        late.1[25] = f64::NAN;
        cases.push(late);
        let times: Vec<i64> = (0..len as i64).map(|t| t / 3 + t * t / 40).collect();
        for (i, (x, y)) in cases.iter().enumerate() {
            for (w, mp) in [(2, 2), (3, 3), (8, 5), (12, 12), (40, 2), (40, 39)] {
                let spec = WindowSpec::new(Window::Rows(w), mp).unwrap();
                assert_walk_bits(x, y, &spec, &format!("case {i}, window {w}, min {mp}"));
            }
            for mp in [2, 3, 7] {
                let spec = WindowSpec::new(Window::Expanding, mp).unwrap();
                assert_walk_bits(x, y, &spec, &format!("case {i}, expanding, min {mp}"));
            }
            for (span, mp) in [(1, 2), (5, 3), (30, 10), (2, 10)] {
                let lower: Vec<i64> = times.iter().map(|t| t - span).collect();
                let dates = DateWindow::new(&times, &lower, mp).unwrap();
                assert_walk_bits(x, y, &dates, &format!("case {i}, span {span}, min {mp}"));
            }
        }
    }

    #[test]
    fn a_tiny_value_at_the_end_of_the_warm_up_keeps_blocks_off() {
        // A fuzz find: the warm-up ends when the window moves off row 0 (at row 3), on a
        // value too small to square, which blocks must not slide over: the window of zeros
        // after it is an exactly constant market.
        let x = [4.6e48, 4.6e48, 0.0, -1e-160, 0.0, 0.0, 0.0, 0.0, 0.0];
        let y = [f64::INFINITY, 0.0, -0.17, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let spec = WindowSpec::new(Window::Rows(3), 3).unwrap();
        let (fast, slow) = (run(&x, &y, spec), run(&x, &y, RowByRow(spec)));
        for t in 0..x.len() {
            assert_eq!(fast.n[t], slow.n[t], "n at row {t}");
            for (a, b) in fast.cols.iter().zip(&slow.cols) {
                assert!(a[t].to_bits() == b[t].to_bits() || (a[t].is_nan() && b[t].is_nan()));
            }
        }
        for t in 6..x.len() {
            assert!(
                fast.cols[1][t].is_nan(),
                "beta at row {t} of a constant market"
            );
        }
    }

    #[test]
    fn empty_input_is_fine() {
        let mut out = SimpleFitColumns::default();
        let spec = WindowSpec::new(Window::Rows(3), 3).unwrap();
        assert!(rolling_simple_ols(&[], &[], &spec, &mut out).is_ok());
    }
}
