//! Kernel bugs these targets found that are not fixed yet.
//!
//! Each is described here, its smallest input is kept in `fuzz/regressions/<target>/`, and
//! the targets let exactly the cases it describes pass, so that fuzzing goes on finding other
//! bugs. Nothing else is let through. With `--features strict` none of them is let through:
//! `cargo test --features strict` in `fuzz/` then fails on each regression input until its
//! bug is fixed, and `cargo fuzz run --features strict <target>` finds them again. When a bug
//! is fixed, delete its entry and the code that names it, and move its input to the corpus.
//!
//! # `SUBNORMAL_RESIDUE`: a window of zeros after a tiny value left
//!
//! Targets `rolling`, `factor`, `ewm`, `ratios`. When a value of magnitude below about 1e-154
//! (whose square is not a normal `f64`) leaves a window, the running co-moments keep a residue
//! in the subnormal range: the collapse test (`Sxx < 1e-3 * peak`) cannot fire when the peak
//! itself is subnormal. If the remaining market values are all exactly zero, the mean is 0 and
//! the "constant up to rounding" test (`spread_is_noise`, or a zero variance in the factor
//! kernel) accepts any positive residue as spread, so the window gets a fit (beta 0, or a
//! noise slope such as 1.7e130) instead of NaN; likewise R² of a `y` of zeros. Windows whose
//! column is all zeros (below 1e-140) with such a value in its recent history may therefore
//! be NaN or not.
//!
//! # `ADD_BEFORE_REMOVE`: a window that passes through one row keeps a residue
//!
//! Target `factor` (the multi-factor kernel; the single-index walk of `rolling_ols`, which
//! `ratios` shares, and the exponentially weighted kernel remove leaving rows first).
//! When a step adds a row and removes the window's only other usable row, the walk adds
//! before it removes, and the moments of the one row left are not exact: the mean keeps the
//! rounding of the removed row (`eps` times its magnitude) and the co-moments a residue where
//! they should be 0. A one-row window has zero co-moments, so the peaks never saw the removed
//! row and the collapse test does not rebuild; the residue stays until the next scheduled
//! rebuild. Two consequences:
//! - With a huge removed row, the new row's value is lost outright: one factor
//!   `x = [1e16, NaN, NaN, 0, 1]`, `y = [1e16, NaN, NaN, 1, 3]`, a 3-row window and
//!   `min_periods` 2 give at row 4 alpha 9.0e15, beta -1.8e16 and R² -3.6e31 instead of
//!   1, 2 and 1 (with 1e150 instead of 1e16: alpha 0, beta 3, R² 0.78).
//! - With ordinary values, a following constant market (a stale benchmark) is not seen as
//!   constant, because the residue is far above the rounding of its level, and gets a fit
//!   instead of NaN: one factor `x = [0.3, NaN, NaN, 0.0007, 0.0007, 0.0007]`,
//!   `y = [0.1, NaN, NaN, 0.2, 0.3, 0.25]`, a 3-row window and `min_periods` 2 give at row 4
//!   alpha -2.9e13, beta 4.2e16 and R² -81.
//!
//! Windows after such a step (see [`add_before_remove`]) are not judged when the removed
//! row is 1e6 times larger than the window's values, and may otherwise be NaN or a fit when
//! a column is constant.
//!
//! # `FACTOR_CONSTANT_RESIDUE`: a constant factor at a huge level is fitted
//!
//! Target `factor`. The multi-factor kernel treats a factor as constant only when its
//! running variance is exactly 0 (the single-index kernels use "constant up to rounding").
//! When a row that left differed from the remaining equal values by less than about `1e-13`
//! of their level (1e12 with a difference of 2e-4), its removal leaves a variance residue
//! that is too large for the collapse test, so the window of equal values gets a fit (alpha
//! 0 and a noise slope) instead of NaN. Windows with a factor in that situation may be NaN
//! or a fit.
//!
//! # `COLLINEAR_MISSED`: an exactly collinear window gets a fit with huge coefficients
//!
//! Target `factor`, both `rolling_factor_ols` and the whole-sample `factor_ols`. The kernel
//! nulls a window whose factors are collinear by testing the Cholesky pivots of the factors'
//! correlation matrix against 1e-9. When two factors are already nearly collinear (a pivot
//! around 1e-8), the rounding of the co-moments, amplified by the inverse of that pivot, is
//! larger than the threshold, and the pivot of a third factor that is an exact combination of
//! the others comes out above 1e-9. Three factors that are nonzero on only two rows of an
//! 11-row window (so of rank 2) then get betas like -15544, 3.29 and 3.24 with R² 1 and tiny
//! standard errors instead of NaN, which the module docs promise ("null rather than a huge
//! coefficient"). Windows that are exactly collinear while another pivot is below 1e-3 may be
//! NaN or a fit.
//!
//! # `WEIGHTED_ALPHA_OVERFLOW_STICKS`: an overflowed weighted sum is not rebuilt
//!
//! Target `weighted_alpha`, on log returns passed directly (the bindings compute them from
//! prices or returns, so their magnitude stays below about 1500 and this cannot happen
//! through Python). A log return near `f64::MAX` makes the running sums infinite; when it
//! leaves, the sum of magnitudes stays infinite (`inf - big` is `inf`, not NaN), so neither
//! the NaN test nor the collapse test rebuilds the window, and the score stays `inf`, `-100`
//! or NaN until the scheduled rebuild up to `N` rows later. Rows whose window follows such a
//! value within `N` rows are not judged.

/// True with `--features strict`: no known bug is let through.
pub const STRICT: bool = cfg!(feature = "strict");

/// What a row that left a window by `ADD_BEFORE_REMOVE` (see the module docs) may have left
/// behind in the running moments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leftover {
    None,
    /// A rounding residue: a window of equal values may not be seen as constant.
    Residue,
    /// A row at least 1e6 times larger than every value of the window: the mean may be off
    /// by `eps` times that row, so nothing of the window is judged.
    Swamped,
}

/// Known issue `ADD_BEFORE_REMOVE`: `Leftover::None` unless (and always with `--features
/// strict`) a row left the window `start..=t` since the kernel's last possible rebuild at a
/// step where a usable row entered and it was the only usable row of the window before.
/// `start_of(u)` is the first row of the window ending at `u`; `magnitudes(s)` the absolute
/// values of row `s`, column by column. The row swamps the window when in some column it is
/// at least 1e6 times larger than every value of the window.
pub fn add_before_remove<const C: usize>(
    start: usize,
    t: usize,
    start_of: &dyn Fn(usize) -> usize,
    usable: &dyn Fn(usize) -> bool,
    magnitudes: &dyn Fn(usize) -> [f64; C],
) -> Leftover {
    if STRICT {
        return Leftover::None;
    }
    let mut level = [0.0f64; C];
    for s in (start..=t).filter(|&s| usable(s)) {
        for (l, m) in level.iter_mut().zip(magnitudes(s)) {
            *l = l.max(m);
        }
    }
    let mut found = Leftover::None;
    for s in crate::reference::History::first_row(start, t)..start {
        if !usable(s) {
            continue;
        }
        let Some(leave) = (s + 1..=t).find(|&u| start_of(u) > s) else {
            continue;
        };
        if usable(leave) && (start_of(leave - 1)..leave).all(|r| r == s || !usable(r)) {
            if magnitudes(s).iter().zip(&level).any(|(m, l)| *m >= 1e6 * l) {
                return Leftover::Swamped;
            }
            found = Leftover::Residue;
        }
    }
    found
}
