//! Sliding a full window over a long run of plain rows in [`LANES`] lanes at once.
//!
//! A sliding window is a chain: every row's update of [`PairMoments::replace`] waits for the
//! last row's. Alone, one chain keeps the vector units mostly idle. So a long run is cut into
//! [`LANES`] consecutive stretches of equal length that slide side by side, one per lane, each
//! lane doing exactly the arithmetic of [`WindowWalk::slide_block`] on its own rows: the same
//! updates, the same collapse test and the same rebuild schedule. Four rows then share every
//! instruction: a lane is a quarter of an AVX register where the machine has AVX2, and of a
//! pair of SSE2 registers elsewhere ([`FourLanes`]), written out rather than left to the
//! compiler, which pairs each `x` moment with its `y` moment instead. The number of lanes is
//! the same on every machine, so the rebuilds, and the bits, are too. A lane costs little:
//! each is rebuilt every `w` rows anyway, and its start is one of those rebuilds.
//!
//! Every lane but the first starts with its window rebuilt from the rows, since the rows
//! before it belong to another lane. The rows a lane writes therefore have the bits of a
//! row-by-row walk that is also rebuilt at the lane starts; the tests check exactly that,
//! with the starts the kernel reports.

use super::{MomentBlock, ReadNext, SimpleFitColumns, WindowWalk, BLOCK, CANCELLATION_RATIO};
use crate::moments::PairMoments;
#[cfg(target_arch = "x86_64")]
use crate::pair_lanes::avx::F64x4Avx;
use crate::pair_lanes::{FourLanes, TwoPairs};
use crate::prefetch::{prefetch, rows_of, Cache};

/// Stretches slid side by side, one per lane of a [`FourLanes`].
pub(super) const LANES: usize = 4;

/// Rows of each lane per [`MomentBlock`], which holds one entry per lane and row.
const ROWS_PER_BLOCK: usize = BLOCK / LANES;

/// The length of each lane for a plain run of `run` rows under a full window of `w`, or
/// `None` when the run is too short to pay for the second lane's rebuild, a pass over `w`
/// rows: a lane must be a quarter window long.
pub(super) fn lane_len(run: usize, w: usize) -> Option<usize> {
    let len = run / LANES;
    (len >= ROWS_PER_BLOCK && 4 * len >= w).then_some(len)
}

#[cfg(test)]
thread_local! {
    /// Set by tests to run the lanes as pairs of SSE2 registers on a machine with AVX2.
    pub(super) static WITHOUT_AVX2: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The centered moments of [`LANES`] windows of `n` rows each (`n` kept by the caller).
#[derive(Clone, Copy)]
struct LaneMoments<L> {
    mean_x: L,
    mean_y: L,
    sxx: L,
    sxy: L,
    syy: L,
}

impl<L: FourLanes> LaneMoments<L> {
    /// Every lane set to `m`.
    #[inline(always)]
    fn splat(m: &PairMoments) -> Self {
        Self {
            mean_x: L::splat(m.mean_x),
            mean_y: L::splat(m.mean_y),
            sxx: L::splat(m.sxx),
            sxy: L::splat(m.sxy),
            syy: L::splat(m.syy),
        }
    }

    #[inline(always)]
    fn lane(&self, l: usize, n: usize) -> PairMoments {
        PairMoments {
            n,
            mean_x: self.mean_x.to_array()[l],
            mean_y: self.mean_y.to_array()[l],
            sxx: self.sxx.to_array()[l],
            sxy: self.sxy.to_array()[l],
            syy: self.syy.to_array()[l],
        }
    }

    #[inline(always)]
    fn set_lane(&mut self, l: usize, m: &PairMoments) {
        self.mean_x = self.mean_x.with_lane(l, m.mean_x);
        self.mean_y = self.mean_y.with_lane(l, m.mean_y);
        self.sxx = self.sxx.with_lane(l, m.sxx);
        self.sxy = self.sxy.with_lane(l, m.sxy);
        self.syy = self.syy.with_lane(l, m.syy);
    }

    /// [`PairMoments::replace`] in every lane: the same operations in the same order, so
    /// each lane gets the bits that function would give it.
    #[inline(always)]
    fn replace(&mut self, x_out: L, y_out: L, x_in: L, y_in: L, inv_n: L) {
        let dx = x_in - x_out;
        let dy = y_in - y_out;
        let old_dx = x_out - self.mean_x;
        let old_dy = y_out - self.mean_y;
        self.mean_x = self.mean_x + dx * inv_n;
        self.mean_y = self.mean_y + dy * inv_n;
        let new_dx = x_in - self.mean_x;
        let new_dy = y_in - self.mean_y;
        self.sxx = self.sxx + dx * (new_dx + old_dx);
        self.sxy = self.sxy + (dx * new_dy + dy * old_dx);
        self.syy = self.syy + dy * (new_dy + old_dy);
    }

    /// Per lane, the collapse test of `slide_block`: a variance that fell below
    /// [`CANCELLATION_RATIO`] of its peak. Its test for a moment that is not finite is left
    /// out: lanes slide only over plain values (at most 1e100, so squares and their sums
    /// over any window stay far from overflow), and start from finite moments.
    ///
    /// Bit `l` of the result is set where lane `l` collapsed.
    #[inline(always)]
    fn collapsed(&self, peak_sxx: L, peak_syy: L) -> u32 {
        let ratio = L::splat(CANCELLATION_RATIO);
        let kept = self.sxx.ge_bits(ratio * peak_sxx) & self.syy.ge_bits(ratio * peak_syy);
        !kept & ((1 << LANES) - 1)
    }
}

/// Writes `into[i * LANES + l] = v[firsts[l] + i]` for the `rows` rows `i`: the lanes'
/// rows side by side, so the slide loads each row of every lane with one instruction.
#[inline(always)]
fn interleave<L: FourLanes>(v: &[f64], firsts: &[usize; LANES], rows: usize, into: &mut [f64]) {
    const _: () = assert!(LANES == 4);
    let grouped = rows / 4 * 4;
    for i in (0..grouped).step_by(4) {
        let [f0, f1, f2, f3] = *firsts;
        let by_lane = [
            L::load(v, f0 + i),
            L::load(v, f1 + i),
            L::load(v, f2 + i),
            L::load(v, f3 + i),
        ];
        for (k, row) in L::transpose(by_lane).into_iter().enumerate() {
            row.store(into, (i + k) * LANES);
        }
    }
    for i in grouped..rows {
        for (l, &first) in firsts.iter().enumerate() {
            into[i * LANES + l] = v[first + i];
        }
    }
}

/// The rows of one block of every lane, interleaved by [`interleave`]: entry `i * LANES + l`
/// of `x_out` is the `x` leaving lane `l`'s window at the block's row `i`, of `x_in` the one
/// entering it.
struct BlockRows {
    x_out: [f64; BLOCK],
    y_out: [f64; BLOCK],
    x_in: [f64; BLOCK],
    y_in: [f64; BLOCK],
}

/// A plain run for [`WindowWalk::slide_lanes`]: `LANES` lanes of `lane_len` rows of `x` and
/// `y` from row `start`, under a full window of `w` rows.
#[derive(Clone, Copy)]
pub(super) struct LaneRun<'a> {
    pub x: &'a [f64],
    pub y: &'a [f64],
    pub start: usize,
    pub lane_len: usize,
    pub w: usize,
    pub min_periods: usize,
    pub with_residuals: bool,
    /// Rows fetched into the cache a share per block, while the lanes slide.
    pub next: ReadNext<'a>,
}

impl WindowWalk {
    /// Slides the full window of `run.w` usable rows, ending at `run.start - 1`, over the
    /// `LANES * run.lane_len` rows from `run.start` (all plain), and writes their fits into
    /// `out`.
    /// Calls `lane_started(t)` with the first row of every lane but the first, where the
    /// window is rebuilt from the rows.
    pub(super) fn slide_lanes(
        &mut self,
        run: &LaneRun<'_>,
        out: &mut SimpleFitColumns<'_>,
        block: &mut MomentBlock,
        lane_started: &mut impl FnMut(usize),
    ) {
        #[cfg(test)]
        let avx2_allowed = !WITHOUT_AVX2.get();
        #[cfg(not(test))]
        let avx2_allowed = true;
        #[cfg(target_arch = "x86_64")]
        if avx2_allowed && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the machine has AVX2 (checked just above).
            return unsafe { self.slide_lanes_avx2(run, out, block, lane_started) };
        }
        let _ = avx2_allowed;
        self.slide_lanes_in::<TwoPairs>(run, out, block, lane_started)
    }

    /// [`Self::slide_lanes`] compiled for AVX2, which the machine must have.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn slide_lanes_avx2(
        &mut self,
        run: &LaneRun<'_>,
        out: &mut SimpleFitColumns<'_>,
        block: &mut MomentBlock,
        lane_started: &mut impl FnMut(usize),
    ) {
        self.slide_lanes_in::<F64x4Avx>(run, out, block, lane_started)
    }

    /// [`Self::slide_lanes`] on lanes of type `L`, inlined into each copy.
    #[inline(always)]
    fn slide_lanes_in<L: FourLanes>(
        &mut self,
        run: &LaneRun<'_>,
        out: &mut SimpleFitColumns<'_>,
        block: &mut MomentBlock,
        lane_started: &mut impl FnMut(usize),
    ) {
        let LaneRun {
            x,
            y,
            start,
            lane_len,
            w,
            min_periods,
            with_residuals,
            next,
        } = *run;
        let inv_w = 1.0 / w as f64;
        let inv_w_lanes = L::splat(inv_w);
        let starts: [usize; LANES] = std::array::from_fn(|l| start + l * lane_len);

        // The first lane goes on from the walk; the others take a copy of its state only to
        // have finite numbers until their rebuild at their first row replaces it.
        let mut m = LaneMoments::<L>::splat(&self.m);
        let (mut sx, mut sy) = (L::splat(self.shift_x), L::splat(self.shift_y));
        let (mut peak_sxx, mut peak_syy) = (L::splat(self.peak_sxx), L::splat(self.peak_syy));
        // The lane row at which each lane is next rebuilt (see `slide_block`'s `due`).
        let mut due = [0; LANES];
        due[0] = ((w - 1).saturating_sub(self.removals))
            .min((self.origin_row + w).saturating_sub(start));
        // The last lane's latest rebuild: the walk goes on from that lane, which is rebuilt
        // at least at its first row.
        let mut last_rebuilt = starts[LANES - 1];

        let mut block_rows = BlockRows {
            x_out: [0.0; BLOCK],
            y_out: [0.0; BLOCK],
            x_in: [0.0; BLOCK],
            y_in: [0.0; BLOCK],
        };
        // The share of `next` asked for per block, spread over the run so that the fetches
        // overlap the arithmetic instead of competing with it in a burst.
        let next_per_block = next
            .x
            .len()
            .max(next.y.len())
            .div_ceil(lane_len.div_ceil(ROWS_PER_BLOCK));
        let mut j = 0;
        while j < lane_len {
            let share =
                j / ROWS_PER_BLOCK * next_per_block..(j / ROWS_PER_BLOCK + 1) * next_per_block;
            prefetch(rows_of(next.x, share.clone()), Cache::Outer);
            prefetch(rows_of(next.y, share), Cache::Outer);
            let rows = (lane_len - j).min(ROWS_PER_BLOCK);
            // Plain loops rather than `map`: a closure would not be compiled for AVX2.
            let (mut leaving, mut entering) = (starts, starts);
            for l in 0..LANES {
                (leaving[l], entering[l]) = (starts[l] - w + j, starts[l] + j);
            }
            let b = &mut block_rows;
            interleave::<L>(x, &leaving, rows, &mut b.x_out);
            interleave::<L>(y, &leaving, rows, &mut b.y_out);
            interleave::<L>(x, &entering, rows, &mut b.x_in);
            interleave::<L>(y, &entering, rows, &mut b.y_in);
            let mut k = 0;
            while k < rows {
                // Rows before the next due rebuild only slide, unless a lane collapses.
                let stop = (due.iter().min().copied().unwrap_or(usize::MAX) - j).min(rows);
                let mut collapse = None;
                // The block's rows `k..stop` of every lane, a row of lanes at a time.
                let span = k * LANES..stop * LANES;
                let b = &block_rows;
                let lane_rows = b.x_out[span.clone()]
                    .chunks_exact(LANES)
                    .zip(b.y_out[span.clone()].chunks_exact(LANES))
                    .zip(b.x_in[span.clone()].chunks_exact(LANES))
                    .zip(b.y_in[span].chunks_exact(LANES));
                let first = k;
                for (i, (((x_out, y_out), x_in), y_in)) in lane_rows.enumerate() {
                    m.replace(
                        L::load(x_out, 0) - sx,
                        L::load(y_out, 0) - sy,
                        L::load(x_in, 0) - sx,
                        L::load(y_in, 0) - sy,
                        inv_w_lanes,
                    );
                    let collapsed = m.collapsed(peak_sxx, peak_syy);
                    if collapsed != 0 {
                        collapse = Some(collapsed);
                        break;
                    }
                    // Neither is NaN here (the test above), so this is `max` per lane.
                    peak_sxx = m.sxx.max(peak_sxx);
                    peak_syy = m.syy.max(peak_syy);
                    block.store_lanes(first + i, &m, sx, sy);
                    k += 1;
                }
                if k == rows {
                    break;
                }
                // Row `k` rebuilds at least one lane: one that collapsed, or one that is due
                // (then the row has not slid yet; lanes that are not due slide it now).
                let r = j + k;
                let collapsed = collapse.unwrap_or_else(|| {
                    let b = &block_rows;
                    let at = k * LANES;
                    m.replace(
                        L::load(&b.x_out, at) - sx,
                        L::load(&b.y_out, at) - sy,
                        L::load(&b.x_in, at) - sx,
                        L::load(&b.y_in, at) - sy,
                        inv_w_lanes,
                    );
                    m.collapsed(peak_sxx, peak_syy)
                });
                // The lanes that slid keep their peaks as in the loop above (no moment of
                // theirs is NaN: they passed the collapse test); the others are rebuilt.
                peak_sxx = m.sxx.max(peak_sxx);
                peak_syy = m.syy.max(peak_syy);
                for l in 0..LANES {
                    if due[l] == r || collapsed & (1 << l) != 0 {
                        // The newest row becomes the origin; the moments come from the rows.
                        let t = starts[l] + r;
                        if l > 0 && r == 0 {
                            lane_started(t);
                        }
                        (sx, sy) = (sx.with_lane(l, x[t]), sy.with_lane(l, y[t]));
                        let window = t + 1 - w..t + 1;
                        // Lanes slide full windows over plain rows: every row is usable.
                        let fresh = PairMoments::from_usable_rows_about(
                            &x[window.clone()],
                            &y[window],
                            (x[t], y[t]),
                        );
                        m.set_lane(l, &fresh);
                        peak_sxx = peak_sxx.with_lane(l, fresh.sxx);
                        peak_syy = peak_syy.with_lane(l, fresh.syy);
                        due[l] = r + w;
                        if l == LANES - 1 {
                            last_rebuilt = t;
                        }
                    }
                }
                block.store_lanes(k, &m, sx, sy);
                k += 1;
            }
            block.len = rows * LANES;
            block.fit_entries(w, with_residuals);
            // Entry `e` is row `j + e / LANES` of lane `e % LANES`.
            let row_of = |e: usize| starts[e % LANES] + j + e / LANES;
            block.refit_undecided(x, y, w, min_periods, with_residuals, row_of);
            block.write_lanes::<L>(out, &starts, j, rows, w);
            j += rows;
        }

        // The walk goes on from the last lane, which was rebuilt at least at its first row.
        let last = LANES - 1;
        let end = starts[last] + lane_len;
        let rebuilt_at = last_rebuilt;
        self.m = m.lane(last, w);
        (self.shift_x, self.shift_y) = (sx.to_array()[last], sy.to_array()[last]);
        self.origin_row = rebuilt_at;
        self.rebuilt_first = rebuilt_at + 1 - w;
        self.removals = end - 1 - rebuilt_at;
        (self.peak_sxx, self.peak_syy) = (peak_sxx.to_array()[last], peak_syy.to_array()[last]);
        self.first = end - w;
        self.inv_n = inv_w;
        self.inv_n_of = w;
        self.counts_stale = true;
    }
}

impl MomentBlock {
    /// Records the moments (about the origins `sx`, `sy`) of the windows ending at the `k`-th
    /// row of each lane, as entries `k * LANES..(k + 1) * LANES`.
    #[inline(always)]
    fn store_lanes<L: FourLanes>(&mut self, k: usize, m: &LaneMoments<L>, sx: L, sy: L) {
        let at = k * LANES;
        (m.mean_x + sx).store(&mut self.mean_x, at);
        (m.mean_y + sy).store(&mut self.mean_y, at);
        m.sxx.store(&mut self.sxx, at);
        m.sxy.store(&mut self.sxy, at);
        m.syy.store(&mut self.syy, at);
    }

    /// Writes the fits of the entries of `rows` lane rows, from row `j` of each lane (the
    /// lanes starting at `starts`), into `out`: a group of four rows of every lane is four
    /// loads, a [`FourLanes::transpose`] and four stores.
    #[inline(always)]
    fn write_lanes<L: FourLanes>(
        &self,
        out: &mut SimpleFitColumns<'_>,
        starts: &[usize; LANES],
        j: usize,
        rows: usize,
        w: usize,
    ) {
        const _: () = assert!(LANES == 4);
        let grouped = rows / 4 * 4;
        for (column, field) in out.floats().into_iter().zip(&self.fields) {
            let Some(column) = column else { continue };
            // The lanes are consecutive stretches, so each is its own slice of the column.
            let (_, rest) = column.split_at_mut(starts[0] + j);
            let (lane0, rest) = rest.split_at_mut(starts[1] - starts[0]);
            let (lane1, rest) = rest.split_at_mut(starts[2] - starts[1]);
            let (lane2, lane3) = rest.split_at_mut(starts[3] - starts[2]);
            let mut lanes = [
                &mut lane0[..rows],
                &mut lane1[..rows],
                &mut lane2[..rows],
                &mut lane3[..rows],
            ];
            for r in (0..grouped).step_by(4) {
                let at = r * LANES;
                let by_row = [
                    L::load(field, at),
                    L::load(field, at + LANES),
                    L::load(field, at + 2 * LANES),
                    L::load(field, at + 3 * LANES),
                ];
                for (lane, values) in lanes.iter_mut().zip(L::transpose(by_row)) {
                    values.store(lane, r);
                }
            }
            for r in grouped..rows {
                for (l, lane) in lanes.iter_mut().enumerate() {
                    lane[r] = field[r * LANES + l];
                }
            }
        }
        if let Some(n) = &mut out.n {
            for &s in starts {
                n[s + j..s + j + rows].fill(u32::try_from(w).unwrap_or(u32::MAX));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::lcg_series;

    #[test]
    fn lane_replace_gives_the_bits_of_pair_replace() {
        let values = lcg_series(41, 400, 3.0);
        let mut pairs: [PairMoments; LANES] = std::array::from_fn(|l| {
            PairMoments::from_rows(
                &values[l * 10..l * 10 + 30],
                &values[l * 10 + 50..l * 10 + 80],
            )
        });
        let mut lanes = LaneMoments::<TwoPairs>::splat(&PairMoments::default());
        for (l, m) in pairs.iter().enumerate() {
            lanes.set_lane(l, m);
        }
        for step in 0..80 {
            let at =
                |o: usize| -> [f64; LANES] { std::array::from_fn(|l| values[step + 60 * l + o]) };
            let (xo, yo, xi, yi) = (at(0), at(1), at(2), at(3));
            let lanes_of = TwoPairs::from_array;
            lanes.replace(
                lanes_of(xo),
                lanes_of(yo),
                lanes_of(xi),
                lanes_of(yi),
                TwoPairs::splat(1.0 / 30.0),
            );
            for (l, m) in pairs.iter_mut().enumerate() {
                m.replace(xo[l], yo[l], xi[l], yi[l], 1.0 / 30.0);
                assert_eq!(lanes.lane(l, m.n), *m, "lane {l} step {step}");
            }
        }
    }

    #[test]
    fn lanes_only_for_runs_that_pay_for_their_rebuilds() {
        assert_eq!(lane_len(LANES * ROWS_PER_BLOCK - 1, 3), None);
        assert_eq!(
            lane_len(LANES * ROWS_PER_BLOCK + 1, 3),
            Some(ROWS_PER_BLOCK)
        );
        assert_eq!(lane_len(2268, 252), Some(567));
        assert_eq!(lane_len(1260, 1260), Some(315));
        assert_eq!(lane_len(1200, 1260), None);
    }
}
