//! Bindings of the strategy measures: `rolling_strategy` over trailing windows (Sharpe,
//! Sortino, tracking error, captures, annual return, max drawdown, Calmar, downside beta and
//! the usable-row count that gates the up- and down-market fits) and `strategy`, one value
//! per group.

use polars::prelude::*;
use polars_alpha_kernels::strategy::{
    rolling_strategy as kernel, strategy_statistic, StrategyStatistic,
};
use pyo3_polars::derive::{polars_expr, CallerContext};
use serde::Deserialize;

use super::common::{guarded, kernel_err, required};
use super::inputs::{window_spec, InputLayout, SegmentWindow};
use crate::panel::{finite_or_null, Threads};

/// Keyword arguments of `rolling_strategy`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollingStrategyKwargs {
    pub inputs: InputLayout,
    /// Rows in the window; `None` for an expanding or a date window.
    #[serde(deserialize_with = "required")]
    pub window: Option<usize>,
    /// `None` only for a date window, whose default comes from the data.
    #[serde(deserialize_with = "required")]
    pub min_periods: Option<usize>,
    /// A per-period rate subtracted from the asset (Sharpe's risk-free rate).
    #[serde(deserialize_with = "required")]
    pub risk_free: Option<f64>,
    /// The measure's name (see `StrategyStatistic::new`).
    pub statistic: String,
    /// Periods per year, for annualizing.
    pub periods_per_year: f64,
    /// Downside beta's threshold; `None` for the window's mean of the market.
    #[serde(deserialize_with = "required")]
    pub threshold: Option<f64>,
}

/// Keyword arguments of `strategy`, one value over all rows of a group.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategyKwargs {
    pub inputs: InputLayout,
    pub min_periods: usize,
    #[serde(deserialize_with = "required")]
    pub risk_free: Option<f64>,
    pub statistic: String,
    pub periods_per_year: f64,
    #[serde(deserialize_with = "required")]
    pub threshold: Option<f64>,
}

fn whole_sample_output(fields: &[Field], kwargs: StrategyKwargs) -> PolarsResult<Field> {
    kwargs.inputs.check_fields(fields)?;
    Ok(Field::new(fields[0].name().clone(), DataType::Float64))
}

/// A measure, the asset's returns (less the rate) and the market's.
type MeasureInputs<'a> = (
    StrategyStatistic,
    std::borrow::Cow<'a, [f64]>,
    std::borrow::Cow<'a, [f64]>,
);

/// The measure's statistic, and the asset (less the rate) and market columns with nulls as
/// NaN; the market is empty for a single-series measure.
fn measure_inputs<'a>(
    inputs: &'a [Series],
    layout: &InputLayout,
    statistic: &str,
    periods_per_year: f64,
    threshold: Option<f64>,
    risk_free: Option<f64>,
    columns: &'a mut Vec<Float64Chunked>,
) -> PolarsResult<MeasureInputs<'a>> {
    let stat =
        StrategyStatistic::new(statistic, periods_per_year, threshold).map_err(kernel_err)?;
    layout.check_inputs(inputs)?;
    let wanted = if stat.reads_x() { 2 } else { 1 };
    polars_ensure!(
        layout.values.len() == wanted,
        ComputeError: "expected {} value inputs, got {}", wanted, layout.values.len()
    );
    // The rate comes off the asset only: the market's up and down rows are its own returns'
    // signs.
    let (y, mut others) =
        layout.excess_returns(inputs, columns, risk_free.unwrap_or(0.0), false)?;
    let x = others.pop().unwrap_or_default();
    Ok((stat, y, x))
}

/// The measure over all rows of the input (a group, under `group_by().agg()`).
#[polars_expr(output_type_func_with_kwargs=whole_sample_output)]
fn strategy(inputs: &[Series], kwargs: StrategyKwargs) -> PolarsResult<Series> {
    guarded(|| {
        polars_ensure!(
            !kwargs.inputs.by && !kwargs.inputs.date_window && !kwargs.inputs.order_by,
            InvalidOperation: "a whole-sample measure takes no `by` or date window; use \
                               group_by(key).agg(...) or group_by_dynamic"
        );
        let mut columns = Vec::new();
        let (stat, y, x) = measure_inputs(
            inputs,
            &kwargs.inputs,
            &kwargs.statistic,
            kwargs.periods_per_year,
            kwargs.threshold,
            kwargs.risk_free,
            &mut columns,
        )?;
        let value = strategy_statistic(&x, &y, stat, kwargs.min_periods).map_err(kernel_err)?;
        Ok(finite_or_null(inputs[0].name(), vec![value]))
    })
}

fn rolling_output(fields: &[Field], kwargs: RollingStrategyKwargs) -> PolarsResult<Field> {
    kwargs.inputs.check_fields(fields)?;
    Ok(Field::new(fields[0].name().clone(), DataType::Float64))
}

#[polars_expr(output_type_func_with_kwargs=rolling_output)]
fn rolling_strategy(
    inputs: &[Series],
    context: CallerContext,
    kwargs: RollingStrategyKwargs,
) -> PolarsResult<Series> {
    guarded(|| {
        let layout = &kwargs.inputs;
        let mut columns = Vec::new();
        let (stat, y, x) = measure_inputs(
            inputs,
            layout,
            &kwargs.statistic,
            kwargs.periods_per_year,
            kwargs.threshold,
            kwargs.risk_free,
            &mut columns,
        )?;
        let len = y.len();
        let (panel, times) =
            layout.panel_and_times(inputs, Threads::of(&context, inputs[0].len()))?;
        let spec = window_spec(kwargs.window, kwargs.min_periods, layout)?;
        let y = panel.gather(&y);
        let x = if stat.reads_x() {
            panel.gather(&x)
        } else {
            std::borrow::Cow::Borrowed(&[][..])
        };
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
                let x = if x.is_empty() {
                    &x[..]
                } else {
                    &x[range.clone()]
                };
                kernel(x, &y[range.clone()], &window, stat, part)
            })
            .map_err(kernel_err)?;
        Ok(finite_or_null(inputs[0].name(), panel.scatter(out)))
    })
}
