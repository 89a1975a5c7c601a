//! `numeric_input`: an input of the plain-Polars helpers (annualization, adjusted betas,
//! cross-sectional scores) read as Float64, with the dtype checked when the query is planned.
//! Polars' arithmetic alone would read a bool as 0/1 and a date as its day count.

use polars::prelude::*;
use pyo3_polars::derive::polars_expr;
use serde::Deserialize;

use super::common::{check_numeric, guarded};
use super::inputs::InputLayout;

/// Keyword arguments of `numeric_input`: the layout of its one input, whose name errors use.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumericKwargs {
    pub inputs: InputLayout,
}

fn numeric_output(fields: &[Field], kwargs: NumericKwargs) -> PolarsResult<Field> {
    kwargs.inputs.check_fields(fields)?;
    Ok(Field::new(fields[0].name().clone(), DataType::Float64))
}

#[polars_expr(output_type_func_with_kwargs=numeric_output)]
fn numeric_input(inputs: &[Series], kwargs: NumericKwargs) -> PolarsResult<Series> {
    guarded(|| {
        let argument = kwargs.inputs.values.first().map_or("value", String::as_str);
        check_numeric(inputs[0].field().as_ref(), argument)?;
        inputs[0].cast(&DataType::Float64)
    })
}
