//! Bindings of the performance ratios: `rolling_ratio` (Treynor, information, correlation
//! over a trailing window) and `ratio` (one value per group).

use polars::prelude::*;
use polars_alpha_kernels::ratios::{pair_statistic, rolling_pair_statistic, PairStatistic};
use pyo3_polars::derive::{polars_expr, CallerContext};
use serde::Deserialize;

use super::capm::excess_pair;
use super::common::{guarded, kernel_err, required};
use super::inputs::{window_spec, InputLayout, SegmentWindow};
use crate::panel::{finite_or_null, Threads};

/// Keyword arguments of `rolling_ratio`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollingRatioKwargs {
    pub inputs: InputLayout,
    /// Rows in the window; `None` for an expanding or a date window.
    #[serde(deserialize_with = "required")]
    pub window: Option<usize>,
    /// `None` only for a date window, whose default comes from the data.
    #[serde(deserialize_with = "required")]
    pub min_periods: Option<usize>,
    #[serde(deserialize_with = "required")]
    pub risk_free: Option<f64>,
    /// `"treynor"`, `"information"` or `"correlation"`.
    pub statistic: String,
    /// Periods per year, for annualizing.
    pub periods_per_year: f64,
}

/// Keyword arguments of `ratio`, one value over all rows of a group.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatioKwargs {
    pub inputs: InputLayout,
    pub min_periods: usize,
    #[serde(deserialize_with = "required")]
    pub risk_free: Option<f64>,
    pub statistic: String,
    pub periods_per_year: f64,
}

fn rolling_output(fields: &[Field], kwargs: RollingRatioKwargs) -> PolarsResult<Field> {
    kwargs.inputs.check_fields(fields)?;
    Ok(Field::new(fields[0].name().clone(), DataType::Float64))
}

fn whole_sample_output(fields: &[Field], kwargs: RatioKwargs) -> PolarsResult<Field> {
    kwargs.inputs.check_fields(fields)?;
    Ok(Field::new(fields[0].name().clone(), DataType::Float64))
}

#[polars_expr(output_type_func_with_kwargs=rolling_output)]
fn rolling_ratio(
    inputs: &[Series],
    context: CallerContext,
    kwargs: RollingRatioKwargs,
) -> PolarsResult<Series> {
    guarded(|| {
        let stat =
            PairStatistic::new(&kwargs.statistic, kwargs.periods_per_year).map_err(kernel_err)?;
        let layout = &kwargs.inputs;
        let mut columns = Vec::new();
        let [y, x] = excess_pair(inputs, layout, kwargs.risk_free, &mut columns)?;
        let len = y.len();
        let (panel, times) =
            layout.panel_and_times(inputs, Threads::of(&context, inputs[0].len()))?;
        let spec = window_spec(kwargs.window, kwargs.min_periods, layout)?;
        let (x, y) = (panel.gather(&x), panel.gather(&y));
        let mut out = vec![f64::NAN; len];
        let jobs: Vec<_> = panel.segments().iter().zip(panel.split(&mut out)).collect();
        panel
            .threads()
            .try_for_each(jobs, |(range, part)| {
                let window = SegmentWindow::for_segment(
                    spec,
                    kwargs.min_periods,
                    times.as_ref(),
                    range.clone(),
                )?;
                rolling_pair_statistic(&x[range.clone()], &y[range.clone()], &window, stat, part)
            })
            .map_err(kernel_err)?;
        Ok(finite_or_null(inputs[0].name(), panel.scatter(out)))
    })
}

/// The ratio over all rows of the input (a group, under `group_by().agg()`).
#[polars_expr(output_type_func_with_kwargs=whole_sample_output)]
fn ratio(inputs: &[Series], kwargs: RatioKwargs) -> PolarsResult<Series> {
    guarded(|| {
        polars_ensure!(
            !kwargs.inputs.by && !kwargs.inputs.date_window && !kwargs.inputs.order_by,
            InvalidOperation: "a whole-sample ratio takes no `by` or date window; use \
                               group_by(key).agg(...) or group_by_dynamic"
        );
        let stat =
            PairStatistic::new(&kwargs.statistic, kwargs.periods_per_year).map_err(kernel_err)?;
        let mut columns = Vec::new();
        let [y, x] = excess_pair(inputs, &kwargs.inputs, kwargs.risk_free, &mut columns)?;
        let value = pair_statistic(&x, &y, stat, kwargs.min_periods).map_err(kernel_err)?;
        Ok(finite_or_null(inputs[0].name(), vec![value]))
    })
}
