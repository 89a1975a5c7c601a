//! Sliding a full window over a long run of plain rows in [`LANES`] lanes at once.
//!
//! A sliding window is a chain: every row's update of [`PairMoments::replace`] waits for the
//! last row's. Alone, one chain keeps the vector units mostly idle. So a long run is cut into
//! [`LANES`] consecutive stretches of equal length that slide side by side, one per lane, each
//! lane doing exactly the arithmetic of [`WindowWalk::slide_block`] on its own rows: the same
//! updates, the same collapse test and the same rebuild schedule. Four rows then share every
//! instruction, which is several times faster than one row at a time even with SSE2 alone.
//!
//! Every lane but the first starts with its window rebuilt from the rows, since the rows
//! before it belong to another lane. The rows a lane writes therefore have the bits of a
//! row-by-row walk that is also rebuilt at the lane starts; the tests check exactly that,
//! with the starts the kernel reports.

use super::{MomentBlock, SimpleFitColumns, WindowWalk, BLOCK, CANCELLATION_RATIO};
use crate::kernels::moments::PairMoments;

/// Stretches slid side by side: four `f64` fill two SSE2 registers or one AVX register.
pub(super) const LANES: usize = 4;

/// Rows of each lane per [`MomentBlock`], which holds one entry per lane and row.
const ROWS_PER_BLOCK: usize = BLOCK / LANES;

/// The length of each lane for a plain run of `run` rows under a full window of `w`, or
/// `None` when the run is too short to pay for the lanes' extra rebuilds: each costs a pass
/// over `w` rows, while a lane row is several times cheaper than a row slid alone, so a
/// lane of a quarter window already gains.
pub(super) fn lane_len(run: usize, w: usize) -> Option<usize> {
    let len = run / LANES;
    (len >= ROWS_PER_BLOCK && 4 * len >= w).then_some(len)
}

type Lanes = [f64; LANES];

/// The centered moments of [`LANES`] windows of `n` rows each (`n` kept by the caller).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
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
            mean_x: [m.mean_x; LANES],
            mean_y: [m.mean_y; LANES],
            sxx: [m.sxx; LANES],
            sxy: [m.sxy; LANES],
            syy: [m.syy; LANES],
        }
    }

    fn lane(&self, l: usize, n: usize) -> PairMoments {
        PairMoments {
            n,
            mean_x: self.mean_x[l],
            mean_y: self.mean_y[l],
            sxx: self.sxx[l],
            sxy: self.sxy[l],
            syy: self.syy[l],
        }
    }

    fn set_lane(&mut self, l: usize, m: &PairMoments) {
        self.mean_x[l] = m.mean_x;
        self.mean_y[l] = m.mean_y;
        self.sxx[l] = m.sxx;
        self.sxy[l] = m.sxy;
        self.syy[l] = m.syy;
    }

    /// [`PairMoments::replace`] in every lane: the same operations in the same order, so
    /// each lane gets the bits that function would give it.
    #[inline(always)]
    fn replace(&mut self, x_out: &Lanes, y_out: &Lanes, x_in: &Lanes, y_in: &Lanes, inv_n: f64) {
        for l in 0..LANES {
            let dx = x_in[l] - x_out[l];
            let dy = y_in[l] - y_out[l];
            let old_dx = x_out[l] - self.mean_x[l];
            let old_dy = y_out[l] - self.mean_y[l];
            self.mean_x[l] += dx * inv_n;
            self.mean_y[l] += dy * inv_n;
            let new_dx = x_in[l] - self.mean_x[l];
            let new_dy = y_in[l] - self.mean_y[l];
            self.sxx[l] += dx * (new_dx + old_dx);
            self.sxy[l] += dx * new_dy + dy * old_dx;
            self.syy[l] += dy * (new_dy + old_dy);
        }
    }

    /// Per lane, the collapse test of `slide_block`: a variance that fell below
    /// [`CANCELLATION_RATIO`] of its peak. Its test for a moment that is not finite is left
    /// out: lanes slide only over plain values (at most 1e100, so squares and their sums
    /// over any window stay far from overflow), and start from finite moments.
    #[inline(always)]
    fn collapsed(&self, peak_sxx: &Lanes, peak_syy: &Lanes) -> [bool; LANES] {
        // `&`, not `&&`: no branch per lane, so the lanes are compared together.
        std::array::from_fn(|l| {
            !((self.sxx[l] >= CANCELLATION_RATIO * peak_sxx[l])
                & (self.syy[l] >= CANCELLATION_RATIO * peak_syy[l]))
        })
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
fn gather(v: &[&[f64]; LANES], i: usize, shift: &Lanes) -> Lanes {
    std::array::from_fn(|l| v[l][i] - shift[l])
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
        let starts: [usize; LANES] = std::array::from_fn(|l| start + l * lane_len);

        // The first lane goes on from the walk; the others take a copy of its state only to
        // have finite numbers until their rebuild at their first row replaces it.
        let mut m = LaneMoments::splat(&self.m);
        let (mut sx, mut sy) = ([self.shift_x; LANES], [self.shift_y; LANES]);
        let (mut peak_sxx, mut peak_syy) = ([self.peak_sxx; LANES], [self.peak_syy; LANES]);
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
                        &gather(&xs, i, &sx),
                        &gather(&ys, i, &sy),
                        &gather(&xs, i + w, &sx),
                        &gather(&ys, i + w, &sy),
                        inv_w,
                    );
                    let collapsed = m.collapsed(&peak_sxx, &peak_syy);
                    if collapsed.iter().any(|&c| c) {
                        collapse = Some(collapsed);
                        break;
                    }
                    for l in 0..LANES {
                        // Neither is NaN here (the test above), so a comparison is `max`.
                        peak_sxx[l] = if m.sxx[l] > peak_sxx[l] {
                            m.sxx[l]
                        } else {
                            peak_sxx[l]
                        };
                        peak_syy[l] = if m.syy[l] > peak_syy[l] {
                            m.syy[l]
                        } else {
                            peak_syy[l]
                        };
                    }
                    block.store_lanes(first + i, &m, &sx, &sy);
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
                        &gather(&xs, 0, &sx),
                        &gather(&ys, 0, &sy),
                        &gather(&xs, w, &sx),
                        &gather(&ys, w, &sy),
                        inv_w,
                    );
                    m.collapsed(&peak_sxx, &peak_syy)
                });
                for l in 0..LANES {
                    if due[l] == r || collapsed[l] {
                        // The newest row becomes the origin; the moments come from the rows.
                        let t = starts[l] + r;
                        if l > 0 && r == 0 {
                            lane_started(t);
                        }
                        (sx[l], sy[l]) = (x[t], y[t]);
                        let window = t + 1 - w..t + 1;
                        let fresh = PairMoments::from_rows_about(
                            &x[window.clone()],
                            &y[window],
                            (sx[l], sy[l]),
                        );
                        m.set_lane(l, &fresh);
                        (peak_sxx[l], peak_syy[l]) = (fresh.sxx, fresh.syy);
                        due[l] = r + w;
                        if l == LANES - 1 {
                            last_rebuilt = t;
                        }
                    } else {
                        peak_sxx[l] = peak_sxx[l].max(m.sxx[l]);
                        peak_syy[l] = peak_syy[l].max(m.syy[l]);
                    }
                }
                block.store_lanes(k, &m, &sx, &sy);
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
        (self.shift_x, self.shift_y) = (sx[last], sy[last]);
        self.origin_row = rebuilt_at;
        self.rebuilt_first = rebuilt_at + 1 - w;
        self.removals = end - 1 - rebuilt_at;
        (self.peak_sxx, self.peak_syy) = (peak_sxx[last], peak_syy[last]);
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
    fn store_lanes(&mut self, k: usize, m: &LaneMoments, sx: &Lanes, sy: &Lanes) {
        let at = k * LANES;
        for l in 0..LANES {
            self.mean_x[at + l] = m.mean_x[l] + sx[l];
            self.mean_y[at + l] = m.mean_y[l] + sy[l];
            self.sxx[at + l] = m.sxx[l];
            self.sxy[at + l] = m.sxy[l];
            self.syy[at + l] = m.syy[l];
        }
    }

    /// Writes the fits of the entries of `rows` lane rows, from row `j` of each lane (the
    /// lanes starting at `starts`), into `out`.
    fn write_lanes(
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
            for (l, &s) in starts.iter().enumerate() {
                let lane = &mut column[s + j..s + j + rows];
                for (v, row) in lane.iter_mut().zip(entries.chunks_exact(LANES)) {
                    *v = row[l];
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
    use crate::kernels::test_support::lcg_series;

    #[test]
    fn lane_replace_gives_the_bits_of_pair_replace() {
        let values = lcg_series(41, 400, 3.0);
        let mut pairs: [PairMoments; LANES] = std::array::from_fn(|l| {
            PairMoments::from_rows(
                &values[l * 10..l * 10 + 30],
                &values[l * 10 + 50..l * 10 + 80],
            )
        });
        let mut lanes = LaneMoments::default();
        for (l, m) in pairs.iter().enumerate() {
            lanes.set_lane(l, m);
        }
        for step in 0..80 {
            let at = |o: usize| -> Lanes { std::array::from_fn(|l| values[step + 60 * l + o]) };
            let (xo, yo, xi, yi) = (at(0), at(1), at(2), at(3));
            lanes.replace(&xo, &yo, &xi, &yi, 1.0 / 30.0);
            for (l, m) in pairs.iter_mut().enumerate() {
                m.replace(xo[l], yo[l], xi[l], yi[l], 1.0 / 30.0);
                assert_eq!(lanes.lane(l, m.n), *m, "lane {l} step {step}");
            }
        }
    }

    #[test]
    fn lanes_only_for_runs_that_pay_for_their_rebuilds() {
        assert_eq!(lane_len(4 * ROWS_PER_BLOCK - 1, 3), None);
        assert_eq!(lane_len(4 * ROWS_PER_BLOCK + 3, 3), Some(ROWS_PER_BLOCK));
        assert_eq!(lane_len(2268, 252), Some(567));
        assert_eq!(lane_len(1260, 1260), Some(315));
        assert_eq!(lane_len(1000, 1260), None);
    }
}
