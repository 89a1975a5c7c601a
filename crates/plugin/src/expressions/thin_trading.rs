//! Bindings of the thin-trading betas: `dimson_beta` and `scholes_williams_beta`, rolling
//! (rows, expanding or dates; `by=`) and whole-sample (one value per group).

use polars::prelude::*;
use polars_alpha_kernels::thin_trading::{
    dimson, rolling_dimson, rolling_scholes_williams, scholes_williams, DimsonColumns,
    ScholesWilliamsColumns, DIMSON_FIELDS, SCHOLES_WILLIAMS_FIELDS,
};
use polars_alpha_kernels::KernelError;
use pyo3_polars::derive::{polars_expr, CallerContext};
use serde::Deserialize;

use super::capm::excess_pair;
use super::common::{guarded, kernel_err, required};
use super::inputs::{window_spec, InputLayout, SegmentWindow};
use crate::panel::{finite_or_null, OutputColumn, OutputPart, Threads};

/// Keyword arguments of the thin-trading betas, sent by `polars_alpha._plugin`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThinTradingKwargs {
    pub inputs: InputLayout,
    /// Rows in the window; `None` for an expanding or a date window, or a whole sample.
    #[serde(default, deserialize_with = "required")]
    pub window: Option<usize>,
    #[serde(deserialize_with = "required")]
    pub min_periods: Option<usize>,
    #[serde(deserialize_with = "required")]
    pub risk_free: Option<f64>,
    /// Dimson's lags and leads of the market; 1 for Scholes-Williams.
    pub lags: usize,
    /// `"dimson"` or `"scholes_williams"`.
    pub method: String,
}

/// Which estimator: its fields (the floats, then `n`).
fn fields_of(method: &str) -> PolarsResult<&'static [&'static str]> {
    match method {
        "dimson" => Ok(&DIMSON_FIELDS),
        "scholes_williams" => Ok(&SCHOLES_WILLIAMS_FIELDS),
        other => polars_bail!(
            InvalidOperation: "unknown thin-trading method {other:?}; use \"dimson\" or \"scholes_williams\""
        ),
    }
}

fn output(fields: &[Field], kwargs: ThinTradingKwargs) -> PolarsResult<Field> {
    kwargs.inputs.check_fields(fields)?;
    let names = fields_of(&kwargs.method)?;
    let (n, floats) = names.split_last().expect("fields end with n");
    let mut dtype: Vec<Field> = floats
        .iter()
        .map(|name| Field::new((*name).into(), DataType::Float64))
        .collect();
    dtype.push(Field::new((*n).into(), DataType::UInt32));
    Ok(Field::new(
        fields[0].name().clone(),
        DataType::Struct(dtype),
    ))
}

fn into_struct(
    inputs: &[Series],
    names: &[&str],
    floats: Vec<Vec<f64>>,
    n: Vec<u32>,
) -> PolarsResult<Series> {
    let len = n.len();
    let (n_name, float_names) = names.split_last().expect("fields end with n");
    let mut columns: Vec<Series> = float_names
        .iter()
        .zip(floats)
        .map(|(name, values)| finite_or_null(name, values))
        .collect();
    columns.push(UInt32Chunked::from_vec((*n_name).into(), n).into_series());
    Ok(StructChunked::from_series(inputs[0].name().clone(), len, columns.iter())?.into_series())
}

/// Runs the estimator on one series (`x`, `y`) into `floats` and `n`.
fn run(
    kwargs: &ThinTradingKwargs,
    x: &[f64],
    y: &[f64],
    window: Option<&SegmentWindow>,
    min_periods: usize,
    floats: &mut [&mut [f64]],
    n: &mut [u32],
) -> Result<(), KernelError> {
    let lags = kwargs.lags;
    if kwargs.method == "dimson" {
        let [a, b, c, d, e, f] = floats else {
            unreachable!("six Dimson fields")
        };
        let mut out = DimsonColumns {
            floats: [a, b, c, d, e, f],
            n,
        };
        match window {
            Some(w) => rolling_dimson(x, y, w, lags, &mut out),
            None => dimson(x, y, lags, min_periods, &mut out),
        }
    } else {
        let [a, b, c, d, e] = floats else {
            unreachable!("five Scholes-Williams fields")
        };
        let mut out = ScholesWilliamsColumns {
            floats: [a, b, c, d, e],
            n,
        };
        match window {
            Some(w) => rolling_scholes_williams(x, y, w, &mut out),
            None => scholes_williams(x, y, min_periods, &mut out),
        }
    }
}

#[polars_expr(output_type_func_with_kwargs=output)]
fn thin_trading_beta(
    inputs: &[Series],
    context: CallerContext,
    kwargs: ThinTradingKwargs,
) -> PolarsResult<Series> {
    guarded(|| {
        let names = fields_of(&kwargs.method)?;
        let layout = &kwargs.inputs;
        let mut columns = Vec::new();
        let [y, x] = excess_pair(inputs, layout, kwargs.risk_free, &mut columns)?;
        let len = y.len();
        let (panel, times) =
            layout.panel_and_times(inputs, Threads::of(&context, inputs[0].len()))?;
        let spec = window_spec(kwargs.window, kwargs.min_periods, layout)?;
        let (x, y) = (panel.gather(&x), panel.gather(&y));
        let mut floats: Vec<OutputColumn<f64>> = (0..names.len() - 1)
            .map(|_| OutputColumn::new(len))
            .collect();
        let mut n = OutputColumn::<u32>::new(len);
        {
            let mut float_parts: Vec<_> = floats
                .iter_mut()
                .map(|c| c.parts(&panel).into_iter())
                .collect();
            let mut jobs = Vec::with_capacity(panel.segments().len());
            for (range, n_part) in panel.segments().iter().zip(n.parts(&panel)) {
                let parts: Vec<Option<OutputPart<'_, f64>>> =
                    float_parts.iter_mut().map(|it| it.next()).collect();
                jobs.push((range.clone(), parts, n_part));
            }
            panel
                .threads()
                .try_for_each(jobs, |(range, parts, n_part)| {
                    let mut bufs: Vec<&mut [f64]> = parts
                        .into_iter()
                        .map(|part| part.map(OutputPart::zeroed).unwrap_or_default())
                        .collect();
                    let window = SegmentWindow::for_segment(
                        spec,
                        kwargs.min_periods,
                        times.as_ref(),
                        range.clone(),
                    )?;
                    run(
                        &kwargs,
                        &x[range.clone()],
                        &y[range],
                        Some(&window),
                        spec.min_periods,
                        &mut bufs,
                        n_part.zeroed(),
                    )
                })
                .map_err(kernel_err)?;
        }
        let floats = floats
            .into_iter()
            .map(|c| panel.scatter(c.finish()))
            .collect();
        into_struct(inputs, names, floats, panel.scatter(n.finish()))
    })
}

/// One fit over all rows of the input (a group, under `group_by().agg()`).
#[polars_expr(output_type_func_with_kwargs=output)]
fn thin_trading_beta_whole(inputs: &[Series], kwargs: ThinTradingKwargs) -> PolarsResult<Series> {
    guarded(|| {
        let names = fields_of(&kwargs.method)?;
        let layout = &kwargs.inputs;
        polars_ensure!(
            !layout.by && !layout.date_window,
            InvalidOperation: "a whole-sample beta takes no `by` or date window; use \
                               group_by(key).agg(...)"
        );
        let min_periods = kwargs.min_periods.unwrap_or(2);
        let mut columns = Vec::new();
        let [y, x] = excess_pair(inputs, layout, kwargs.risk_free, &mut columns)?;
        let mut floats = vec![vec![f64::NAN; 1]; names.len() - 1];
        let mut n = vec![0u32; 1];
        {
            let mut bufs: Vec<&mut [f64]> = floats.iter_mut().map(|b| b.as_mut_slice()).collect();
            run(&kwargs, &x, &y, None, min_periods, &mut bufs, &mut n).map_err(kernel_err)?;
        }
        into_struct(inputs, names, floats, n)
    })
}
