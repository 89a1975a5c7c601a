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
//! Target `ewm` (the single-index walk, which `rolling` and `ratios` check, and the
//! multi-factor kernel now count the rows that differ from their origin and clear the residue
//! of an exactly constant column; their inputs moved to the corpus). When a value of magnitude below about 1e-154
//! (whose square is not a normal `f64`) leaves a window, the running co-moments keep a residue
//! in the subnormal range: the collapse test (`Sxx < 1e-3 * peak`) cannot fire when the peak
//! itself is subnormal. If the remaining market values are all exactly zero, the mean is 0 and
//! the "constant up to rounding" test (`spread_is_noise`, or a zero variance in the factor
//! kernel) accepts any positive residue as spread, so the window gets a fit (beta 0, or a
//! noise slope such as 1.7e130) instead of NaN; likewise R² of a `y` of zeros. Windows whose
//! column is all zeros (below 1e-140) with such a value in its recent history may therefore
//! be NaN or not.
//!
//! # `EWM_UNDERFLOWED_REMOVAL`: a departed row whose weight underflowed stays in the sums
//!
//! Target `ewm`. A row leaves an exponentially weighted row window with weight
//! `0.5 ** (age / half_life)`; when that underflows to 0 (`age / half_life > 1074`, e.g. a
//! half-life of 0.001 rows) the removal subtracts nothing, but the row's contribution
//! `w (x - mean)^2` need not have underflowed when `|x|` is huge (1e150). It stays in the
//! moments, so the next windows, e.g. a market of zeros, get a fit instead of NaN. Windows
//! with such a row among the ones that left since the last possible rebuild are not judged.
//!
//! # `EWM_CONSTANT_Y_R2`: R² of a constant `y` is 0 (or ~1e-50) instead of NaN
//!
//! Target `ewm`. The module documents `r2` as NaN when `y` is constant, and the running
//! updates keep `Syy` exactly 0 for equal values. But `WeightedPairMoments::from_rows` (used by
//! `ewm_fit` always, and by `rolling_ewm_ols` whenever it rebuilds a window) computes the
//! weighted mean of equal values with rounding, and `Syy = sum(w dy^2) - (sum(w dy))^2 / W`
//! keeps a positive residue of about 1e-50, so `Syy > 0` and `r2` comes out as 0 or ~1e-50.
//! `ewm_fit` then disagrees with the last row of `rolling_ewm_ols`, which it is documented to
//! equal. Windows with a constant `y` may have any `r2`.
//!
//! # `ADD_BEFORE_REMOVE`: a window that passes through one row keeps a residue
//!
//! Target `ewm` (the exponentially weighted kernel; the single-index walk of `rolling_ols`,
//! which `ratios` shares, and the multi-factor kernel remove leaving rows first).
//! When a step adds a row and removes the window's only other usable row, the walk adds
//! before it removes, and the moments of the one row left are not exact: the mean keeps the
//! rounding of the removed row (`eps` times its magnitude) and the co-moments a residue where
//! they should be 0. A one-row window has zero co-moments, so the peaks never saw the removed
//! row and the collapse test does not rebuild; the residue stays until the next scheduled
//! rebuild. Two consequences:
//! - With a huge removed row, the new row's value is lost outright: one factor
//!   `x = [1e16, NaN, NaN, 0, 1]`, `y = [1e16, NaN, NaN, 1, 3]`, a 3-row window and
//!   `min_periods` 2 give at row 4 alpha 9.0e15, beta -1.8e16 and R² -3.6e31 instead of
//!   1, 2 and 1 (with 1e150 instead of 1e16: alpha 0, beta 3, R² 0.78); the exponentially
//!   weighted kernel is off alike.
//! - With ordinary values, a following constant market (a stale benchmark) is not seen as
//!   constant, because the residue is far above the rounding of its level, and gets a fit
//!   instead of NaN: one factor `x = [0.3, NaN, NaN, 0.0007, 0.0007, 0.0007]`,
//!   `y = [0.1, NaN, NaN, 0.2, 0.3, 0.25]`, a 3-row window and `min_periods` 2 give at row 4
//!   alpha -2.9e13, beta 4.2e16 and R² -81. In the exponentially weighted kernel,
//!   `x = [0, -0.21761, NaN x4, 0, 0, 0]`, `y = [0, 0.238, NaN x4, -0.11286 x3]`, a 5-row
//!   window, half-life 1000, `min_periods` 3 give at row 8 alpha -0.11286 and beta -2.75
//!   instead of NaN.
//!
//! Windows after such a step (see [`add_before_remove`]) are not judged when the removed
//! row is 1e6 times larger than the window's values, and may otherwise be NaN or a fit when
//! a column is constant.
//!
//! # `EWM_MEAN_SWAMPED`: a new row is lost in the mean of old rows that weigh nothing
//!
//! Target `ewm`. `WeightedPairMoments::add` moves the mean by `(x - mean) * v / W`. When the
//! old rows' weight has decayed to next to nothing (a half-life of 0.001 rows), `v / W` is 1
//! and the new mean is `mean + (x - mean)`, which loses `x` to the old mean's rounding: after
//! a market value of 1e15, a new value 0.00121 gives a mean of 0, not 0.00121. The "constant
//! up to rounding" test, measured against that level of 0, then fits a market that is
//! constant to 133 digits (its spread is the old row's 1e-136). Windows classified constant
//! whose weighted mean is below `1e3 eps` times their largest magnitude may be NaN or not.
//!
//! # `EWM_OVERFLOW_STICKS`: no recovery after a value whose square overflows
//!
//! Target `ewm`. After a market or asset value whose square overflows (above about 1.3e154)
//! has left the window, the exponentially weighted fit can stay NaN, or carry the huge
//! value's rounding (an alpha of -3.7e182 after a `y` of 1e200), on windows of ordinary
//! values until the next rebuild: `x = [0, -0.24576, f64::MAX, 0.00245, 0, 0]`, `y` all 0,
//! a 3-row window, half-life 63, `min_periods` 2 give NaN at row 5, where the window
//! `[0.00245, 0, 0]` has beta 0. (The single-index kernel recovers, as its tests require.)
//! Windows with such a value among the rows that left since the last possible rebuild are
//! not judged.

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
