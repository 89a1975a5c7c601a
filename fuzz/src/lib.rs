//! Fuzz targets for the pure numeric kernels of polars-alpha.
//!
//! Each target is a function `check(data: &[u8])` that decodes the bytes into a small problem
//! (at most a few dozen rows, a window, `min_periods`, options, and values that include NaN,
//! infinities, huge and tiny numbers, large levels and constant runs), runs a kernel on it and
//! panics when the kernel panics, returns an error the inputs do not call for, or writes a row
//! that disagrees with a naive reference computed from scratch in the target. `fuzz_targets/`
//! wraps each one in `libfuzzer_sys::fuzz_target!` for `cargo fuzz`, and `tests/corpus.rs`
//! replays the checked-in corpus through them with plain `cargo test`.
//!
//! | target           | kernel                                                              |
//! |------------------|---------------------------------------------------------------------|
//! | `rolling`        | `rolling_ols::rolling_simple_ols` (row, expanding and date windows) |
//! | `factor`         | `factor_ols::{rolling_factor_ols, factor_ols}`                      |
//! | `ewm`            | `ewm_ols::{rolling_ewm_ols, ewm_fit, rolling_ewm_ols_pair}`         |
//! | `weighted_alpha` | `weighted_alpha::{log_returns, weighted_alpha, weighted_alpha_last}`|
//! | `window`         | `window::{DateWindow, WindowSpec}`: which rows each window covers   |
//! | `ratios`         | `ratios::{rolling_pair_statistic, pair_statistic}`                  |
//! | `robust`         | `robust_cov::{rolling_robust, whole_sample}` (HC0, HC1, HAC)         |

// The reference code tests NaN on purpose: `!(a > b)` is true when either side is NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

pub mod bytes;
pub mod known;
pub mod reference;

pub mod ewm;
pub mod factor;
pub mod ratios;
pub mod robust;
pub mod rolling;
pub mod weighted_alpha;
pub mod window;
