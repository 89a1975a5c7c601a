//! Kernel bugs these targets found that are not fixed yet: none at present.
//!
//! When a target finds a bug that cannot be fixed at once, describe it here, keep its
//! smallest input in `fuzz/regressions/<target>/`, and let exactly the cases it describes
//! pass when [`STRICT`] is false, so that fuzzing goes on finding other bugs. With
//! `--features strict` nothing is let through: `cargo test --features strict` in `fuzz/`
//! then fails on each regression input until its bug is fixed. When a bug is fixed, delete
//! its entry and the code that names it, and move its input to the corpus.
//!
//! Fixed so far, each with its input in the corpus: residues of values too small to square
//! (`SUBNORMAL_RESIDUE`, all running-moment kernels), a window passing through one row
//! (`ADD_BEFORE_REMOVE`), a constant factor at a huge level, exact collinearity behind a
//! nearly collinear pair, an EW row whose weight underflowed, a new EW row lost in the mean of
//! rows that weigh nothing, R² of a constant `y` after an EW rebuild, no recovery after an
//! overflow (EW fits and weighted alpha), and an EW standard error that underflowed.

/// True with `--features strict`: no known bug is let through.
pub const STRICT: bool = cfg!(feature = "strict");
