//! Centered sufficient statistics of a pair `(x, y)`: count, means and co-moments.
//!
//! Rows enter and leave with Welford-style updates, which never subtract two large sums.
//! Those updates still lose digits when a co-moment collapses (an outlier leaving the window),
//! so callers rebuild from the rows with [`PairMoments::from_rows`] when that happens.

/// True when a row can take part in a fit: both values are finite numbers.
#[inline(always)]
pub fn usable(x: f64, y: f64) -> bool {
    x.is_finite() && y.is_finite()
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

    /// Moments of the usable rows of `x[range]`, `y[range]` by the corrected two-pass
    /// algorithm: means first, then co-moments of the deviations with the mean's own rounding
    /// error folded back in.
    pub fn from_rows(x: &[f64], y: &[f64]) -> Self {
        let mut n = 0usize;
        let (mut sum_x, mut sum_y) = (0.0, 0.0);
        for (&xi, &yi) in x.iter().zip(y) {
            if usable(xi, yi) {
                n += 1;
                sum_x += xi;
                sum_y += yi;
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
                let dx = xi - mx;
                let dy = yi - my;
                dx_sum += dx;
                dy_sum += dy;
                sxx += dx * dx;
                sxy += dx * dy;
                syy += dy * dy;
            }
        }
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

    /// True when the `x` values are constant up to rounding: their spread is below a few
    /// ulps of their level, so any slope would be noise.
    #[inline]
    pub fn x_is_constant(&self) -> bool {
        // sd <= c (|mean| + sd) with sd = sqrt(Sxx / n), squared so no root is taken on
        // every row: sd (1 - c) <= c |mean|  <=>  Sxx (1 - c)^2 <= n c^2 mean^2.
        const C: f64 = 16.0 * f64::EPSILON;
        // Scale before squaring so the mean's square cannot overflow first.
        let bound = C * self.mean_x;
        self.n == 0 || self.sxx * ((1.0 - C) * (1.0 - C)) <= self.n as f64 * bound * bound
    }
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
