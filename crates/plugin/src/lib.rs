//! polars-alpha: rolling alpha and beta for whole markets as Polars expressions.
//! This file only wires the modules together.

pub mod expressions;
pub mod panel;

use pyo3::prelude::*;
use pyo3_polars::PolarsAllocator;

// Buffers cross into Python polars, so allocate with the allocator it uses.
#[global_allocator]
static ALLOC: PolarsAllocator = PolarsAllocator::new();

#[pymodule]
fn _internal(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
