//! `numeric_input`: an input of the plain-Polars helpers (annualization, adjusted betas,
//! cross-sectional scores) read as Float64, with the dtype checked when the query is planned.
//! Polars' arithmetic alone would read a bool as 0/1 and a date as its day count.

use polars::prelude::*;
use pyo3_polars::derive::polars_expr;
use serde::Deserialize;

use super::common::{check_numeric, guarded};

#[derive(Debug, Deserialize)]
pub struct NumericKwargs {
    /// The helper's argument, named in the error.
    pub argument: String,
}

fn numeric_output(fields: &[Field], kwargs: NumericKwargs) -> PolarsResult<Field> {
    polars_ensure!(
        fields.len() == 1,
        ComputeError: "expected one input, got {}", fields.len()
    );
    check_numeric(&fields[0], &kwargs.argument)?;
    Ok(Field::new(fields[0].name().clone(), DataType::Float64))
}

#[polars_expr(output_type_func_with_kwargs=numeric_output)]
fn numeric_input(inputs: &[Series], kwargs: NumericKwargs) -> PolarsResult<Series> {
    guarded(|| {
        check_numeric(inputs[0].field().as_ref(), &kwargs.argument)?;
        inputs[0].cast(&DataType::Float64)
    })
}
