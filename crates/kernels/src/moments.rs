//! Centered sufficient statistics of a pair `(x, y)`: count, means and co-moments.
//!
//! Rows enter and leave with Welford-style updates, which never subtract two large sums.
//! Those updates still lose digits when a co-moment collapses (an outlier leaving the window),
//! so callers rebuild from the rows with [`PairMoments::from_rows`] when that happens.

#[cfg(target_arch = "x86_64")]
use super::pair_lanes::avx::F64x4Avx;
use super::pair_lanes::{FourLanes, TwoPairs};

/// Four partial sums side by side, for [`PairMoments::from_usable_rows`]: row `i` of each
/// group of four rows goes to lane `i`.
trait FourSums: FourLanes {
    /// `(s0 + s1) + (s2 + s3)` of the lanes.
    #[inline(always)]
    fn pairwise_total(self) -> f64 {
        let [s0, s1, s2, s3] = self.to_array();
        (s0 + s1) + (s2 + s3)
    }
}

impl<V: FourLanes> FourSums for V {}

/// True when a row can take part in a fit: both values are finite numbers.
#[inline(always)]
pub fn usable(x: f64, y: f64) -> bool {
    x.is_finite() && y.is_finite()
}

/// True when every row is usable; one branch-free pass, so it vectorizes.
#[inline]
pub fn all_usable(x: &[f64], y: &[f64]) -> bool {
    !x.iter()
        .zip(y)
        .fold(false, |bad, (&a, &b)| bad | !a.is_finite() | !b.is_finite())
}

/// Clamps rounding noise below zero to zero but keeps NaN (an overflowed sum) as NaN;
/// `f64::max` would turn NaN into a plausible-looking 0.
#[inline(always)]
pub fn clamp_non_negative(v: f64) -> f64 {
    if v < 0.0 {
        0.0
    } else {
        v
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PairMoments {
    pub n: usize,
    pub mean_x: f64,
    pub mean_y: f64,
    /// `sum((x - mean_x)^2)`
    pub sxx: f64,
    /// `sum((x - mean_x) * (y - mean_y))`
    pub sxy: f64,
    /// `sum((y - mean_y)^2)`
    pub syy: f64,
}

impl PairMoments {
    #[inline(always)]
    pub fn add(&mut self, x: f64, y: f64) {
        self.n += 1;
        let inv_n = 1.0 / self.n as f64;
        let dx = x - self.mean_x;
        let dy = y - self.mean_y;
        self.mean_x += dx * inv_n;
        self.mean_y += dy * inv_n;
        // (x - old mean) * (y - new mean) is the exact increment of the co-moment.
        let dy_new = y - self.mean_y;
        self.sxx += dx * (x - self.mean_x);
        self.sxy += dx * dy_new;
        self.syy += dy * dy_new;
    }

    #[inline(always)]
    pub fn remove(&mut self, x: f64, y: f64) {
        if self.n <= 1 {
            // An empty window has exactly zero moments; do not carry rounding residue.
            *self = Self::default();
            return;
        }
        let dx = x - self.mean_x;
        let dy = y - self.mean_y;
        self.n -= 1;
        let inv_n = 1.0 / self.n as f64;
        self.mean_x -= dx * inv_n;
        self.mean_y -= dy * inv_n;
        let dy_new = y - self.mean_y;
        self.sxx -= dx * (x - self.mean_x);
        self.sxy -= dx * dy_new;
        self.syy -= dy * dy_new;
        // Rounding can push a vanished variance a hair below zero.
        self.sxx = clamp_non_negative(self.sxx);
        self.syy = clamp_non_negative(self.syy);
    }

    /// Swaps the row `(x_out, y_out)` for `(x_in, y_in)`, keeping `n`; `inv_n` is `1 / n`.
    ///
    /// One step instead of a removal and an addition: the means move by a precomputed
    /// multiple of the row difference, so no division and no mean-on-mean dependency sits on
    /// the row-to-row chain, which is what bounds a full sliding window.
    #[inline(always)]
    pub fn replace(&mut self, x_out: f64, y_out: f64, x_in: f64, y_in: f64, inv_n: f64) {
        let dx = x_in - x_out;
        let dy = y_in - y_out;
        let old_dx = x_out - self.mean_x;
        let old_dy = y_out - self.mean_y;
        self.mean_x += dx * inv_n;
        self.mean_y += dy * inv_n;
        let new_dx = x_in - self.mean_x;
        let new_dy = y_in - self.mean_y;
        // S' - S = dx (x_in - mean') + dx (x_out - mean), and likewise for the cross term.
        // Not clamped at zero: a variance that rounds below zero has collapsed, which the
        // caller's rebuild rule catches, and a clamp would lengthen the row-to-row chain.
        self.sxx += dx * (new_dx + old_dx);
        self.sxy += dx * new_dy + dy * old_dx;
        self.syy += dy * (new_dy + old_dy);
    }

    /// Moments of the usable rows of `x[range]`, `y[range]` by the corrected two-pass
    /// algorithm: means first, then co-moments of the deviations with the mean's own rounding
    /// error folded back in.
    pub fn from_rows(x: &[f64], y: &[f64]) -> Self {
        Self::from_rows_about(x, y, (0.0, 0.0))
    }

    /// [`PairMoments::from_rows`] of `x - origin.0` and `y - origin.1`: with an origin among
    /// the data, the differences are exact and small, so the means carry no rounding at the
    /// data's level (a series at 1e6 would otherwise lose digits to its mean's last ulp).
    pub fn from_rows_about(x: &[f64], y: &[f64], origin: (f64, f64)) -> Self {
        let rows = x.len().min(y.len());
        let (x, y) = (&x[..rows], &y[..rows]);
        if all_usable(x, y) {
            return Self::from_usable_rows(x, y, origin);
        }
        let (ox, oy) = origin;
        let mut n = 0usize;
        let (mut sum_x, mut sum_y) = (0.0, 0.0);
        for (&xi, &yi) in x.iter().zip(y) {
            if usable(xi, yi) {
                n += 1;
                sum_x += xi - ox;
                sum_y += yi - oy;
            }
        }
        if n == 0 {
            return Self::default();
        }
        let nf = n as f64;
        let (mx, my) = (sum_x / nf, sum_y / nf);
        let (mut dx_sum, mut dy_sum) = (0.0, 0.0);
        let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
        for (&xi, &yi) in x.iter().zip(y) {
            if usable(xi, yi) {
                let dx = (xi - ox) - mx;
                let dy = (yi - oy) - my;
                dx_sum += dx;
                dy_sum += dy;
                sxx += dx * dx;
                sxy += dx * dy;
                syy += dy * dy;
            }
        }
        Self::corrected(n, mx, my, [dx_sum, dy_sum, sxx, sxy, syy])
    }

    /// [`PairMoments::from_rows_about`] of rows the caller knows to be usable (checked in
    /// debug builds), without the pass that checks them: the sliding kernels rebuild full
    /// windows of plain rows once a window length, and that pass was a fifth of the rebuild.
    #[inline]
    pub fn from_usable_rows_about(x: &[f64], y: &[f64], origin: (f64, f64)) -> Self {
        debug_assert!(all_usable(x, y));
        Self::from_usable_rows(x, y, origin)
    }

    /// [`PairMoments::from_rows`] when every row is usable: branch-free, with four partial
    /// sums per moment so the additions do not wait on each other (rebuilds are a fixed
    /// share of every sliding window's work). Row `i` of each group of four goes to partial
    /// sum `i`; the partial sums are added as `(s0 + s1) + (s2 + s3)`, then the rows after
    /// the last group of four in order. The four partial sums are one AVX register where the
    /// machine has AVX2, two SSE2 registers elsewhere; the bits are the same.
    fn from_usable_rows(x: &[f64], y: &[f64], origin: (f64, f64)) -> Self {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the machine has AVX2 (checked just above).
            return unsafe { Self::from_usable_rows_avx2(x, y, origin) };
        }
        Self::from_usable_rows_in::<TwoPairs>(x, y, origin)
    }

    /// [`Self::from_usable_rows`] compiled for AVX2, which the machine must have.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn from_usable_rows_avx2(x: &[f64], y: &[f64], origin: (f64, f64)) -> Self {
        Self::from_usable_rows_in::<F64x4Avx>(x, y, origin)
    }

    #[inline(always)]
    fn from_usable_rows_in<V: FourSums>(x: &[f64], y: &[f64], (ox, oy): (f64, f64)) -> Self {
        let n = x.len().min(y.len());
        if n == 0 {
            return Self::default();
        }
        let (x, y) = (&x[..n], &y[..n]);
        let grouped = n / 4 * 4;
        let (vox, voy) = (V::splat(ox), V::splat(oy));
        let zero = V::splat(0.0);
        let (mut x_sums, mut y_sums) = (zero, zero);
        for i in (0..grouped).step_by(4) {
            x_sums = x_sums + (V::load(x, i) - vox);
            y_sums = y_sums + (V::load(y, i) - voy);
        }
        let x_rest: f64 = x[grouped..].iter().map(|v| v - ox).sum();
        let y_rest: f64 = y[grouped..].iter().map(|v| v - oy).sum();
        let nf = n as f64;
        let mx = (x_sums.pairwise_total() + x_rest) / nf;
        let my = (y_sums.pairwise_total() + y_rest) / nf;
        let (vmx, vmy) = (V::splat(mx), V::splat(my));
        // Partial sums of dx, dy, dx², dx·dy and dy².
        let mut sums = [zero; 5];
        for i in (0..grouped).step_by(4) {
            let dx = (V::load(x, i) - vox) - vmx;
            let dy = (V::load(y, i) - voy) - vmy;
            sums[0] = sums[0] + dx;
            sums[1] = sums[1] + dy;
            sums[2] = sums[2] + dx * dx;
            sums[3] = sums[3] + dx * dy;
            sums[4] = sums[4] + dy * dy;
        }
        let mut rest = [0.0; 5];
        for (&a, &b) in x[grouped..].iter().zip(&y[grouped..]) {
            let dx = (a - ox) - mx;
            let dy = (b - oy) - my;
            rest[0] += dx;
            rest[1] += dy;
            rest[2] += dx * dx;
            rest[3] += dx * dy;
            rest[4] += dy * dy;
        }
        let folded = std::array::from_fn(|k| sums[k].pairwise_total() + rest[k]);
        Self::corrected(n, mx, my, folded)
    }

    /// The two-pass result from the means `mx`, `my` and the sums of the deviations
    /// `[dx, dy, dx², dx·dy, dy²]`, folding the means' rounding error back in.
    fn corrected(n: usize, mx: f64, my: f64, sums: [f64; 5]) -> Self {
        let [dx_sum, dy_sum, sxx, sxy, syy] = sums;
        let nf = n as f64;
        Self {
            n,
            mean_x: mx + dx_sum / nf,
            mean_y: my + dy_sum / nf,
            sxx: clamp_non_negative(sxx - dx_sum * dx_sum / nf),
            sxy: sxy - dx_sum * dy_sum / nf,
            syy: clamp_non_negative(syy - dy_sum * dy_sum / nf),
        }
    }

    /// True when every moment is a finite number (no sum overflowed).
    #[inline(always)]
    pub fn is_finite(&self) -> bool {
        self.sxx.is_finite() && self.sxy.is_finite() && self.syy.is_finite()
    }

    /// True when the `x` values are constant up to rounding (see [`spread_is_noise`]).
    #[inline]
    pub fn x_is_constant(&self) -> bool {
        spread_is_noise(self.sxx, self.n, self.mean_x)
    }
}

/// True when `n` values with mean `mean` and sum of squared deviations `sum_sq` are constant
/// up to rounding: their spread is below a few ulps of their level, so any slope on them would
/// be noise.
#[inline(always)]
pub fn spread_is_noise(sum_sq: f64, n: usize, mean: f64) -> bool {
    spread_is_noise_of(sum_sq, n as f64, mean)
}

/// [`spread_is_noise`] of a count held as a float, as block loops keep it.
#[inline(always)]
pub fn spread_is_noise_of(sum_sq: f64, n: f64, mean: f64) -> bool {
    // sd <= c (|mean| + sd) with sd = sqrt(sum_sq / n), squared so no root is taken on every
    // row: sd (1 - c) <= c |mean|  <=>  sum_sq (1 - c)^2 <= n c^2 mean^2.
    const C: f64 = 16.0 * f64::EPSILON;
    // Scale before squaring so the mean's square cannot overflow first.
    let bound = C * mean;
    n == 0.0 || sum_sq * ((1.0 - C) * (1.0 - C)) <= n * bound * bound
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(x: &[f64], y: &[f64]) -> (f64, f64, f64, f64, f64) {
        let n = x.len() as f64;
        let mx = x.iter().sum::<f64>() / n;
        let my = y.iter().sum::<f64>() / n;
        let sxx = x.iter().map(|v| (v - mx) * (v - mx)).sum();
        let sxy = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
        let syy = y.iter().map(|v| (v - my) * (v - my)).sum();
        (mx, my, sxx, sxy, syy)
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    #[test]
    fn add_matches_two_pass() {
        let x = [0.01, -0.02, 0.03, 0.005, -0.011, 0.02];
        let y = [0.02, -0.01, 0.04, 0.0, -0.02, 0.01];
        let mut m = PairMoments::default();
        for (a, b) in x.iter().zip(&y) {
            m.add(*a, *b);
        }
        let (mx, my, sxx, sxy, syy) = naive(&x, &y);
        assert_eq!(m.n, 6);
        assert!(close(m.mean_x, mx, 1e-14) && close(m.mean_y, my, 1e-14));
        assert!(close(m.sxx, sxx, 1e-13) && close(m.sxy, sxy, 1e-13) && close(m.syy, syy, 1e-13));
    }

    #[test]
    fn remove_undoes_add() {
        let mut m = PairMoments::default();
        for (a, b) in [(1.0, 2.0), (2.0, 2.5), (4.0, 1.0)] {
            m.add(a, b);
        }
        m.remove(1.0, 2.0);
        let expect = PairMoments::from_rows(&[2.0, 4.0], &[2.5, 1.0]);
        assert_eq!(m.n, 2);
        assert!(close(m.mean_x, expect.mean_x, 1e-15));
        assert!(close(m.sxx, expect.sxx, 1e-14));
        assert!(close(m.sxy, expect.sxy, 1e-14));
        assert!(close(m.syy, expect.syy, 1e-14));
    }

    /// [`PairMoments::from_usable_rows`] in its documented order, one row at a time: row `i`
    /// of each group of four into partial sum `i`, then `(s0 + s1) + (s2 + s3)`, then the
    /// rows after the last group in order.
    fn usable_rows_in_order(x: &[f64], y: &[f64], (ox, oy): (f64, f64)) -> PairMoments {
        let (n, grouped) = (x.len(), x.len() / 4 * 4);
        let sum = |term: &dyn Fn(usize) -> f64, rest: f64| {
            let mut partial = [0.0; 4];
            for i in 0..grouped {
                partial[i % 4] += term(i);
            }
            (partial[0] + partial[1]) + (partial[2] + partial[3]) + rest
        };
        let x_rest: f64 = x[grouped..].iter().map(|v| v - ox).sum();
        let y_rest: f64 = y[grouped..].iter().map(|v| v - oy).sum();
        let mx = sum(&|i| x[i] - ox, x_rest) / n as f64;
        let my = sum(&|i| y[i] - oy, y_rest) / n as f64;
        let dx = |i: usize| (x[i] - ox) - mx;
        let dy = |i: usize| (y[i] - oy) - my;
        let rest = |term: &dyn Fn(usize) -> f64| {
            let mut total = 0.0;
            for i in grouped..n {
                total += term(i);
            }
            total
        };
        let terms: [&dyn Fn(usize) -> f64; 5] =
            [&dx, &dy, &|i| dx(i) * dx(i), &|i| dx(i) * dy(i), &|i| {
                dy(i) * dy(i)
            }];
        let sums = terms.map(|term| sum(term, rest(term)));
        PairMoments::corrected(n, mx, my, sums)
    }

    #[test]
    fn usable_rows_are_summed_in_the_documented_order() {
        let x = crate::test_support::lcg_series(7, 300, 0.03);
        let y = crate::test_support::lcg_series(8, 300, 1e6);
        for len in (1..40).chain([251, 252, 253, 254]) {
            for start in [0, 3, 17] {
                let (xs, ys) = (&x[start..start + len], &y[start..start + len]);
                let origin = (xs[len - 1], ys[len - 1]);
                let got = PairMoments::from_rows_about(xs, ys, origin);
                let want = usable_rows_in_order(xs, ys, origin);
                let bits =
                    |m: &PairMoments| [m.mean_x, m.mean_y, m.sxx, m.sxy, m.syy].map(f64::to_bits);
                assert_eq!(bits(&got), bits(&want), "len {len} start {start}");
                // The SSE2 code, which runs where the machine has no AVX2.
                let sse2 = PairMoments::from_usable_rows_in::<TwoPairs>(xs, ys, origin);
                assert_eq!(bits(&sse2), bits(&want), "len {len} start {start}, SSE2");
                assert_eq!(got.n, len);
            }
        }
    }

    #[test]
    fn replace_equals_remove_then_add() {
        let x = [0.011, -0.02, 0.031, 0.005, -0.012];
        let y = [0.02, -0.013, 0.04, 0.001, -0.021];
        let mut m = PairMoments::from_rows(&x[..4], &y[..4]);
        m.replace(x[0], y[0], x[4], y[4], 0.25);
        let (mx, my, sxx, sxy, syy) = naive(&x[1..], &y[1..]);
        assert_eq!(m.n, 4);
        assert!(close(m.mean_x, mx, 1e-15) && close(m.mean_y, my, 1e-15));
        assert!(close(m.sxx, sxx, 1e-14) && close(m.sxy, sxy, 1e-14) && close(m.syy, syy, 1e-14));
    }

    #[test]
    fn removing_last_row_gives_exact_zero() {
        let mut m = PairMoments::default();
        m.add(0.1, 0.3);
        m.remove(0.1, 0.3);
        assert_eq!(m, PairMoments::default());
    }

    #[test]
    fn from_rows_skips_unusable_rows() {
        let x = [1.0, f64::NAN, 3.0, f64::INFINITY, 5.0];
        let y = [2.0, 1.0, 6.0, 1.0, f64::NEG_INFINITY];
        let m = PairMoments::from_rows(&x, &y);
        assert_eq!(m.n, 2);
        assert_eq!(m.mean_x, 2.0);
        assert_eq!(m.sxx, 2.0);
        assert_eq!(m.sxy, 4.0);
    }

    #[test]
    fn overflow_stays_visible() {
        let m = PairMoments::from_rows(&[1.0, 2.0, 3.0], &[1e200, -1e200, 1e200]);
        assert!(!m.is_finite());
        assert!(
            !m.syy.is_finite(),
            "an overflowed variance must not become 0"
        );
        assert_eq!(clamp_non_negative(-1e-18), 0.0);
        assert!(clamp_non_negative(f64::NAN).is_nan());
    }

    #[test]
    fn constant_detection() {
        let m = PairMoments::from_rows(&[0.1; 7], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
        assert!(m.x_is_constant());
        let big = PairMoments::from_rows(&[1e3, 1e3 + 1e-2, 1e3 - 1e-2], &[1.0, 2.0, 3.0]);
        assert!(!big.x_is_constant());
        assert!(PairMoments::default().x_is_constant());
    }
}
