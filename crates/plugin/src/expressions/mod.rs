//! `#[polars_expr]` bindings: each expression's keyword arguments, dtype checks and output
//! schema. The numbers come from `polars_alpha_kernels`, and the parallel work from
//! `crate::panel`; nothing here computes a statistic.

pub mod capm;
pub mod common;
pub mod date_window;
pub mod factor;
pub mod inputs;
pub mod momentum;
pub mod numeric;
pub mod ratios;
pub mod signals;
pub mod strategy;
pub mod thin_trading;
