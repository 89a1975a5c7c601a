//! The numeric thresholds every kernel shares, so that they judge lost digits alike.

/// A running sum (a variance, a weight sum, a sum of magnitudes) that fell below this
/// fraction of its peak since the last rebuild has lost too many digits to the subtractions
/// that shrank it, so the window is rebuilt from its rows.
pub const CANCELLATION_RATIO: f64 = 1e-3;

/// When the residual sum of squares is below this fraction of `Syy` (R² above 0.9999),
/// `Syy - beta * Sxy` cancels; the residuals are then summed directly over the window.
pub const NEAR_PERFECT_FIT: f64 = 1e-4;
