//! `#[polars_expr]` bindings: argument parsing, dtype checks and output schemas.
//! The numbers come from `crate::kernels`; nothing here computes a statistic.

pub mod common;
pub mod factor;
pub mod inputs;
pub mod momentum;
pub mod numeric;
pub mod ratios;
pub mod rolling;
