//! polars-alpha: rolling alpha and beta for whole markets as Polars expressions.
//!
//! Layers, each depending only on those before it: the numeric kernels
//! (`polars_alpha_kernels`, a crate on std alone) ← [`panel`] (ticker segments, output
//! columns, validity masks and the one parallel driver) ← [`expressions`] (the
//! `#[polars_expr]` bindings) ← this file, which registers the Python module.

pub mod expressions;
pub mod panel;

use polars_alpha_kernels::factor_ols::FactorLayout;
use polars_alpha_kernels::simple_fit::{ENDPOINT_FIELDS, FIT_FIELDS};
use pyo3::prelude::*;
use pyo3_polars::PolarsAllocator;

// Buffers cross into Python polars, so allocate with the allocator it uses.
#[global_allocator]
static ALLOC: PolarsAllocator = PolarsAllocator::new();

/// The field names of a multi-factor regression's struct for factors named
/// `factor_names`, in order.
#[pyfunction]
fn factor_fields(factor_names: Vec<String>) -> Vec<String> {
    FactorLayout::field_names(&factor_names)
}

/// Whether output columns are advised onto huge pages in this process (see
/// `panel::huge_pages_wanted`).
#[pyfunction]
fn huge_pages() -> bool {
    panel::huge_pages_wanted()
}

#[pymodule]
fn _internal(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // The single-index regression struct's fields, for Python's validation and tests.
    m.add("FIT_FIELDS", pyo3::types::PyTuple::new(m.py(), FIT_FIELDS)?)?;
    m.add(
        "ENDPOINT_FIELDS",
        pyo3::types::PyTuple::new(m.py(), ENDPOINT_FIELDS)?,
    )?;
    m.add_function(wrap_pyfunction!(factor_fields, m)?)?;
    m.add_function(wrap_pyfunction!(huge_pages, m)?)?;
    // The environment variable that turns the huge-page advice off, for the docs and tests.
    m.add("HUGE_PAGES_VAR", panel::HUGE_PAGES_VAR)?;
    // The bound on a per-period risk-free rate, which Python checks on numbers before a call.
    m.add(
        "MAX_PER_PERIOD_RATE",
        polars_alpha_kernels::rates::MAX_PER_PERIOD_RATE,
    )?;
    Ok(())
}
