//! The numeric kernels of polars-alpha: pure functions on slices, on `std` alone (no polars,
//! no pyo3), so that their unit tests build in seconds and the fuzz targets call them as an
//! ordinary dependency.
//!
//! Missing values are encoded as non-finite `f64` (the bindings turn nulls into NaN), and a
//! result that cannot be computed is written as NaN, which the bindings turn into null.

pub mod distinct;
pub mod ewm_ols;
pub mod factor_ols;
pub mod log_exp;
pub mod moments;
pub mod pair_lanes;
pub mod prefetch;
pub mod rates;
pub mod ratios;
pub mod residual_momentum;
pub mod robust_cov;
pub mod rolling_ols;
pub mod simple_fit;
pub mod strategy;
#[cfg(test)]
mod test_support;
pub mod thin_trading;
pub mod tolerances;
pub mod weighted_alpha;
pub mod window;

use std::fmt;

/// Errors a kernel reports instead of panicking; the bindings turn them into Python exceptions.
#[derive(Debug, Clone, PartialEq)]
pub enum KernelError {
    InvalidWindow(usize),
    MinPeriodsAboveWindow {
        min_periods: usize,
        window: usize,
    },
    MinPeriodsTooSmall(usize),
    LengthMismatch {
        expected: usize,
        got: usize,
        what: &'static str,
    },
    /// A half-life that is not a positive number of rows; `got` is the value as written.
    /// `infinite_allowed` says whether infinity (no decay) would have been accepted.
    InvalidHalfLife {
        got: String,
        infinite_allowed: bool,
    },
    /// A cap on log returns that is not a positive finite number; the value as written.
    InvalidCap(String),
    /// Times of a date window that go backwards at `row` (counted within the ticker).
    UnsortedTime {
        row: usize,
    },
    /// A date window whose lower bound is not before the row's own time.
    InvalidDuration,
    /// A time of a date window whose lower bound could not be computed (offset past the
    /// calendar's range).
    TimeWithoutBound {
        time: i64,
    },
    /// A multi-factor regression without factors.
    NoFactors,
    /// A signal span `window - skip` of fewer than 2 rows (residual momentum).
    InvalidSkip {
        window: usize,
        skip: usize,
    },
    /// A number of periods per year that is not positive and finite; the value as written.
    InvalidPeriodsPerYear(String),
    /// A ratio name the kernels do not know.
    UnknownStatistic(String),
    /// A per-period risk-free rate beyond [`rates::MAX_PER_PERIOD_RATE`], at `row`.
    ImplausibleRate {
        row: usize,
        value: f64,
    },
    /// A value whose log return is undefined: a return at or below -100%, or a price at or
    /// below zero, in the input named `argument`.
    UndefinedLog {
        argument: &'static str,
        kind: weighted_alpha::SeriesKind,
        value: f64,
    },
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KernelError::InvalidWindow(w) => {
                write!(f, "window must be at least 2 rows, got {w}")
            },
            KernelError::MinPeriodsAboveWindow {
                min_periods,
                window,
            } => write!(
                f,
                "min_periods ({min_periods}) must not exceed window ({window})"
            ),
            KernelError::MinPeriodsTooSmall(m) => {
                write!(f, "min_periods must be at least 2, got {m}")
            },
            KernelError::LengthMismatch {
                expected,
                got,
                what,
            } => write!(f, "{what} has {got} rows, expected {expected}"),
            KernelError::InvalidHalfLife {
                got,
                infinite_allowed: false,
            } => write!(
                f,
                "half_life must be a positive finite number of rows, got {got}"
            ),
            KernelError::InvalidHalfLife {
                got,
                infinite_allowed: true,
            } => write!(
                f,
                "half_life must be a positive number of rows (or infinity for no decay), got {got}"
            ),
            KernelError::UnsortedTime { row } => write!(
                f,
                "`time` must be sorted ascending within each ticker, but row {row} of a ticker \
                 is earlier than the row before it; sort the frame by (ticker, time) first"
            ),
            KernelError::InvalidDuration => write!(
                f,
                "a date window needs a positive duration such as \"1y\", \"6mo\" or \"63d\""
            ),
            KernelError::TimeWithoutBound { time } => write!(
                f,
                "the `order_by` time {time} has no lower bound for the date window"
            ),
            KernelError::NoFactors => write!(f, "factors must name at least one column"),
            KernelError::InvalidSkip { window, skip } => write!(
                f,
                "`skip` ({skip}) must leave at least 2 rows of `window` ({window}); \
                 use skip <= window - 2, e.g. window=252, skip=21"
            ),
            KernelError::InvalidPeriodsPerYear(got) => write!(
                f,
                "periods_per_year must be positive and finite (252 daily, 52 weekly, 12 monthly), got {got}"
            ),
            KernelError::UnknownStatistic(got) => write!(
                f,
                "statistic must be \"treynor\", \"information\" or \"correlation\", got {got:?}"
            ),
            KernelError::UndefinedLog {
                argument,
                kind: weighted_alpha::SeriesKind::Returns,
                value,
            } => write!(
                f,
                "`{argument}` holds a return of {value}, at or below -100%; its log is \
                 undefined. Check the data, or pass prices instead of returns"
            ),
            KernelError::UndefinedLog {
                argument,
                kind: weighted_alpha::SeriesKind::Prices,
                value,
            } => write!(
                f,
                "`{argument}` holds a non-positive price ({value}); the log return is \
                 undefined. Use positive prices, or null for a missing one"
            ),
            KernelError::ImplausibleRate { row, value } => write!(
                f,
                "`risk_free` holds a per-period rate of {value} (row {row}), above the {}% a \
                 period that any real rate stays below: a percent (4.5 for 4.5%) is 0.045 as a \
                 rate, and an annual yield y is a per-period rate only once converted, e.g. \
                 (1 + y) ** (1 / 252) - 1 for daily returns",
                rates::MAX_PER_PERIOD_RATE * 100.0
            ),
            KernelError::InvalidCap(got) => write!(
                f,
                "cap must be a positive finite bound on each log return (or None for no cap), got {got}"
            ),
        }
    }
}

impl std::error::Error for KernelError {}
