//! Sliding a full window over a long run of plain rows in [`LANES`] lanes at once.
//!
//! A sliding window is a chain: every row's update of [`PairMoments::replace`] waits for the
//! last row's. Alone, one chain keeps the vector units mostly idle. So a long run is cut into
//! [`LANES`] consecutive stretches of equal length that slide side by side, one per lane, each
//! lane doing exactly the arithmetic of [`WindowWalk::slide_block`] on its own rows: the same
//! updates, the same collapse test and the same rebuild schedule. Two rows then share every
//! instruction: a lane is a half of an SSE2 register ([`F64x2`]), written out rather than
//! left to the compiler, which pairs each `x` moment with its `y` moment instead. Two lanes,
//! not four: four lanes' state does not fit SSE2's sixteen registers, and every lane costs a
//! rebuild of its window.
//!
//! Every lane but the first starts with its window rebuilt from the rows, since the rows
//! before it belong to another lane. The rows a lane writes therefore have the bits of a
//! row-by-row walk that is also rebuilt at the lane starts; the tests check exactly that,
//! with the starts the kernel reports.

use super::{MomentBlock, SimpleFitColumns, WindowWalk, BLOCK, CANCELLATION_RATIO};
use crate::moments::PairMoments;
use crate::pair_lanes::F64x2;

/// Stretches slid side by side, one per lane of an [`F64x2`].
pub(super) const LANES: usize = 2;

/// Rows of each lane per [`MomentBlock`], which holds one entry per lane and row.
const ROWS_PER_BLOCK: usize = BLOCK / LANES;

/// The length of each lane for a plain run of `run` rows under a full window of `w`, or
/// `None` when the run is too short to pay for the second lane's rebuild, a pass over `w`
/// rows: a lane must be a quarter window long.
pub(super) fn lane_len(run: usize, w: usize) -> Option<usize> {
    let len = run / LANES;
    (len >= ROWS_PER_BLOCK && 4 * len >= w).then_some(len)
}

type Lanes = F64x2;

/// `v` with lane `l` set to `value`.
#[inline(always)]
fn with_lane(v: Lanes, l: usize, value: f64) -> Lanes {
    let mut lanes = v.to_array();
    lanes[l] = value;
    F64x2::from_array(lanes)
}

/// The centered moments of [`LANES`] windows of `n` rows each (`n` kept by the caller).
#[derive(Clone, Copy)]
struct LaneMoments {
    mean_x: Lanes,
    mean_y: Lanes,
    sxx: Lanes,
    sxy: Lanes,
    syy: Lanes,
}

impl LaneMoments {
    /// Every lane set to `m`.
    fn splat(m: &PairMoments) -> Self {
        Self {
            mean_x: F64x2::splat(m.mean_x),
            mean_y: F64x2::splat(m.mean_y),
            sxx: F64x2::splat(m.sxx),
            sxy: F64x2::splat(m.sxy),
            syy: F64x2::splat(m.syy),
        }
    }

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

    fn set_lane(&mut self, l: usize, m: &PairMoments) {
        self.mean_x = with_lane(self.mean_x, l, m.mean_x);
        self.mean_y = with_lane(self.mean_y, l, m.mean_y);
        self.sxx = with_lane(self.sxx, l, m.sxx);
        self.sxy = with_lane(self.sxy, l, m.sxy);
        self.syy = with_lane(self.syy, l, m.syy);
    }

    /// [`PairMoments::replace`] in every lane: the same operations in the same order, so
    /// each lane gets the bits that function would give it.
    #[inline(always)]
    fn replace(&mut self, x_out: Lanes, y_out: Lanes, x_in: Lanes, y_in: Lanes, inv_n: Lanes) {
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
    fn collapsed(&self, peak_sxx: Lanes, peak_syy: Lanes) -> u32 {
        let ratio = F64x2::splat(CANCELLATION_RATIO);
        let kept = self.sxx.ge_bits(ratio * peak_sxx) & self.syy.ge_bits(ratio * peak_syy);
        !kept & ((1 << LANES) - 1)
    }
}

/// For each lane, the rows `starts[l] - w + span.start..starts[l] + span.end` of `v`: row
/// `i` of the span leaves the window at `[i]` and enters at `[i + w]`.
#[inline(always)]
fn lane_rows<'a>(
    v: &'a [f64],
    starts: &[usize; LANES],
    w: usize,
    span: &std::ops::Range<usize>,
) -> [&'a [f64]; LANES] {
    std::array::from_fn(|l| &v[starts[l] - w + span.start..starts[l] + span.end])
}

/// Per lane, `v[l][i] - shift[l]`.
#[inline(always)]
fn gather(v: &[&[f64]; LANES], i: usize, shift: Lanes) -> Lanes {
    F64x2::from_array([v[0][i], v[1][i]]) - shift
}

impl WindowWalk {
    /// Slides the full window of `w` usable rows, ending at `start - 1`, over the
    /// `LANES * lane_len` rows from `start` (all plain), and writes their fits into `out`.
    /// Calls `lane_started(t)` with the first row of every lane but the first, where the
    /// window is rebuilt from the rows.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn slide_lanes(
        &mut self,
        x: &[f64],
        y: &[f64],
        start: usize,
        lane_len: usize,
        w: usize,
        min_periods: usize,
        with_residuals: bool,
        out: &mut SimpleFitColumns<'_>,
        block: &mut MomentBlock,
        lane_started: &mut impl FnMut(usize),
    ) {
        let inv_w = 1.0 / w as f64;
        let inv_w_lanes = F64x2::splat(inv_w);
        let starts: [usize; LANES] = std::array::from_fn(|l| start + l * lane_len);

        // The first lane goes on from the walk; the others take a copy of its state only to
        // have finite numbers until their rebuild at their first row replaces it.
        let mut m = LaneMoments::splat(&self.m);
        let (mut sx, mut sy) = (F64x2::splat(self.shift_x), F64x2::splat(self.shift_y));
        let (mut peak_sxx, mut peak_syy) =
            (F64x2::splat(self.peak_sxx), F64x2::splat(self.peak_syy));
        // The lane row at which each lane is next rebuilt (see `slide_block`'s `due`).
        let mut due = [0; LANES];
        due[0] = ((w - 1).saturating_sub(self.removals))
            .min((self.origin_row + w).saturating_sub(start));
        // The last lane's latest rebuild: the walk goes on from that lane, which is rebuilt
        // at least at its first row.
        let mut last_rebuilt = starts[LANES - 1];

        let mut j = 0;
        while j < lane_len {
            let rows = (lane_len - j).min(ROWS_PER_BLOCK);
            let mut k = 0;
            while k < rows {
                // Rows before the next due rebuild only slide, unless a lane collapses.
                let stop = (due.iter().min().copied().unwrap_or(usize::MAX) - j).min(rows);
                let mut collapse = None;
                // The rows `j + k..j + stop` of every lane, sliced to that length so that
                // the loop below indexes them without checks.
                let span = j + k..j + stop;
                let (xs, ys) = (
                    lane_rows(x, &starts, w, &span),
                    lane_rows(y, &starts, w, &span),
                );
                let first = k;
                for i in 0..stop - first {
                    m.replace(
                        gather(&xs, i, sx),
                        gather(&ys, i, sy),
                        gather(&xs, i + w, sx),
                        gather(&ys, i + w, sy),
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
                    let span = r..r + 1;
                    let (xs, ys) = (
                        lane_rows(x, &starts, w, &span),
                        lane_rows(y, &starts, w, &span),
                    );
                    m.replace(
                        gather(&xs, 0, sx),
                        gather(&ys, 0, sy),
                        gather(&xs, w, sx),
                        gather(&ys, w, sy),
                        inv_w_lanes,
                    );
                    m.collapsed(peak_sxx, peak_syy)
                });
                for l in 0..LANES {
                    if due[l] == r || collapsed & (1 << l) != 0 {
                        // The newest row becomes the origin; the moments come from the rows.
                        let t = starts[l] + r;
                        if l > 0 && r == 0 {
                            lane_started(t);
                        }
                        (sx, sy) = (with_lane(sx, l, x[t]), with_lane(sy, l, y[t]));
                        let window = t + 1 - w..t + 1;
                        // Lanes slide full windows over plain rows: every row is usable.
                        let fresh = PairMoments::from_usable_rows_about(
                            &x[window.clone()],
                            &y[window],
                            (x[t], y[t]),
                        );
                        m.set_lane(l, &fresh);
                        peak_sxx = with_lane(peak_sxx, l, fresh.sxx);
                        peak_syy = with_lane(peak_syy, l, fresh.syy);
                        due[l] = r + w;
                        if l == LANES - 1 {
                            last_rebuilt = t;
                        }
                    } else {
                        let (sxx, syy) = (m.sxx.to_array()[l], m.syy.to_array()[l]);
                        peak_sxx = with_lane(peak_sxx, l, peak_sxx.to_array()[l].max(sxx));
                        peak_syy = with_lane(peak_syy, l, peak_syy.to_array()[l].max(syy));
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
            block.write_lanes(out, &starts, j, rows, w);
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
    fn store_lanes(&mut self, k: usize, m: &LaneMoments, sx: Lanes, sy: Lanes) {
        let at = k * LANES;
        (m.mean_x + sx).store(&mut self.mean_x, at);
        (m.mean_y + sy).store(&mut self.mean_y, at);
        m.sxx.store(&mut self.sxx, at);
        m.sxy.store(&mut self.sxy, at);
        m.syy.store(&mut self.syy, at);
    }

    /// Writes the fits of the entries of `rows` lane rows, from row `j` of each lane (the
    /// lanes starting at `starts`), into `out`. Four entries an instruction where the machine
    /// has AVX2.
    fn write_lanes(
        &self,
        out: &mut SimpleFitColumns<'_>,
        starts: &[usize; LANES],
        j: usize,
        rows: usize,
        w: usize,
    ) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the machine has AVX2 (checked just above).
            return unsafe { self.write_lanes_avx2(out, starts, j, rows, w) };
        }
        self.write_lanes_portable(out, starts, j, rows, w)
    }

    /// [`Self::write_lanes`] compiled for AVX2, which the machine must have.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn write_lanes_avx2(
        &self,
        out: &mut SimpleFitColumns<'_>,
        starts: &[usize; LANES],
        j: usize,
        rows: usize,
        w: usize,
    ) {
        self.write_lanes_portable(out, starts, j, rows, w)
    }

    /// [`Self::write_lanes`] on any machine, and inlined into its AVX2 copy.
    #[inline(always)]
    fn write_lanes_portable(
        &self,
        out: &mut SimpleFitColumns<'_>,
        starts: &[usize; LANES],
        j: usize,
        rows: usize,
        w: usize,
    ) {
        for (column, field) in out.floats().into_iter().zip(&self.fields) {
            let Some(column) = column else { continue };
            let entries = &field[..rows * LANES];
            // The lanes are consecutive stretches, so each is its own slice of the column;
            // this pairing is written for two lanes.
            const _: () = assert!(LANES == 2);
            let (first, second) = column.split_at_mut(starts[1]);
            let first = &mut first[starts[0] + j..starts[0] + j + rows];
            let second = &mut second[j..j + rows];
            for ((a, b), row) in first
                .iter_mut()
                .zip(second)
                .zip(entries.chunks_exact(LANES))
            {
                (*a, *b) = (row[0], row[1]);
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
        let mut lanes = LaneMoments::splat(&PairMoments::default());
        for (l, m) in pairs.iter().enumerate() {
            lanes.set_lane(l, m);
        }
        for step in 0..80 {
            let at =
                |o: usize| -> [f64; LANES] { std::array::from_fn(|l| values[step + 60 * l + o]) };
            let (xo, yo, xi, yi) = (at(0), at(1), at(2), at(3));
            let lanes_of = F64x2::from_array;
            lanes.replace(
                lanes_of(xo),
                lanes_of(yo),
                lanes_of(xi),
                lanes_of(yi),
                F64x2::splat(1.0 / 30.0),
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
        assert_eq!(lane_len(2268, 252), Some(1134));
        assert_eq!(lane_len(1260, 1260), Some(630));
        assert_eq!(lane_len(600, 1260), None);
    }
}
