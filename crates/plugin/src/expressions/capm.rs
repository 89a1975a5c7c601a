//! Bindings of the rolling single-index regressions: `rolling_alpha_beta` with its
//! single-field forms `rolling_alpha` and `rolling_beta`, and the exponentially weighted
//! `ewm_alpha_beta`. They share input handling, panels and the output struct.

use std::borrow::Cow;

use polars::prelude::*;
use pyo3_polars::derive::polars_expr;
use rayon::prelude::*;
use serde::Deserialize;

use super::common::{
    finite_or_null_marked, guarded, kernel_err, FiniteMask, OutputColumn, OutputPart,
};
use super::inputs::{InputLayout, SegmentWindow};
use polars_alpha_kernels::ewm_ols::{rolling_ewm_ols, EwmSpec};
use polars_alpha_kernels::moments::PairMoments;
use polars_alpha_kernels::rolling_ols::{fit_from_moments, rolling_simple_ols, SimpleFitColumns};
use polars_alpha_kernels::window::{Window, WindowSpec};
use polars_alpha_kernels::KernelError;

/// The float fields of the regression struct, in output order; `n` follows them.
pub const FIT_FIELDS: [&str; 8] = [
    "alpha",
    "beta",
    "r2",
    "resid_std",
    "alpha_se",
    "beta_se",
    "alpha_t",
    "beta_t",
];

/// Keyword arguments sent by `polars_alpha._plugin`. The Python layer validates them first;
/// they are checked again here so no value can reach a kernel unchecked.
#[derive(Debug, Deserialize)]
pub struct RollingKwargs {
    /// Rows in the window; `None` for an expanding or a date window.
    pub window: Option<usize>,
    pub min_periods: usize,
    /// A per-period risk-free rate given as a number.
    pub risk_free: Option<f64>,
    /// Inputs are `asset, market[, risk_free][, time, time_lower][, by]`; these say which
    /// optional ones follow.
    pub risk_free_column: bool,
    pub by: bool,
    /// A date window: `time` and its lower bound `time - duration` are inputs.
    #[serde(default)]
    pub time: bool,
    /// Exponential weighting (only `ewm_alpha_beta`): half-life in rows.
    #[serde(default)]
    pub half_life: Option<f64>,
    /// Exponential weighting: fit through the origin (RiskMetrics' convention).
    #[serde(default)]
    pub zero_mean: bool,
    /// Ratios only: `"treynor"`, `"information"` or `"correlation"`.
    #[serde(default)]
    pub statistic: Option<String>,
    /// Ratios only: periods per year for annualizing.
    #[serde(default)]
    pub periods_per_year: Option<f64>,
    /// Struct outputs only: the fields to compute and return (all when `None`).
    #[serde(default)]
    pub fields: Option<Vec<String>>,
}

impl RollingKwargs {
    pub(crate) fn spec(&self) -> PolarsResult<WindowSpec> {
        let window = match self.window {
            Some(len) if !self.time => Window::Rows(len),
            _ => Window::Expanding,
        };
        WindowSpec::new(window, self.min_periods).map_err(kernel_err)
    }

    fn ewm_spec(&self) -> PolarsResult<EwmSpec> {
        polars_ensure!(
            !self.time,
            InvalidOperation: "exponentially weighted fits take a row `window`, not a date window"
        );
        let half_life = self.half_life.unwrap_or(f64::NAN);
        EwmSpec::new(self.spec()?, half_life, self.zero_mean).map_err(kernel_err)
    }

    /// Which float fields (in [`FIT_FIELDS`] order) and whether `n` are requested.
    fn wanted(&self) -> PolarsResult<([bool; 8], bool)> {
        let Some(names) = &self.fields else {
            return Ok(([true; 8], true));
        };
        let mut floats = [false; 8];
        let mut n = false;
        for name in names {
            match FIT_FIELDS.iter().position(|f| f == name) {
                Some(i) => floats[i] = true,
                None if name == "n" => n = true,
                None => polars_bail!(
                    InvalidOperation: "unknown field {name:?} in `fields`; choose from {}, n",
                    FIT_FIELDS.join(", ")
                ),
            }
        }
        polars_ensure!(
            floats.iter().any(|&w| w) || n,
            InvalidOperation: "`fields` is empty; name at least one field, e.g. [\"alpha\", \"beta\"]"
        );
        Ok((floats, n))
    }

    pub(crate) fn layout(&self) -> InputLayout {
        InputLayout {
            // The information ratio's second argument is the benchmark, not a market.
            regressors: vec![match self.statistic.as_deref() {
                Some("information") => "benchmark".to_string(),
                _ => "market".to_string(),
            }],
            risk_free_column: self.risk_free_column,
            time: self.time,
            by: self.by,
        }
    }
}

fn struct_dtype(wanted: [bool; 8], want_n: bool) -> DataType {
    let mut fields: Vec<Field> = FIT_FIELDS
        .iter()
        .zip(wanted)
        .filter(|(_, w)| *w)
        .map(|(name, _)| Field::new((*name).into(), DataType::Float64))
        .collect();
    if want_n {
        fields.push(Field::new("n".into(), DataType::UInt32));
    }
    DataType::Struct(fields)
}

fn struct_output(fields: &[Field], kwargs: RollingKwargs) -> PolarsResult<Field> {
    kwargs.layout().check_fields(fields)?;
    let (wanted, want_n) = kwargs.wanted()?;
    Ok(Field::new(
        fields[0].name().clone(),
        struct_dtype(wanted, want_n),
    ))
}

pub(crate) fn float_output(fields: &[Field], kwargs: RollingKwargs) -> PolarsResult<Field> {
    kwargs.layout().check_fields(fields)?;
    Ok(Field::new(fields[0].name().clone(), DataType::Float64))
}

/// Excess returns `(y, x)` = `(asset - rf, market - rf)` with nulls as NaN, borrowed from
/// the inputs when there is no rate to subtract.
pub(crate) fn excess_pair<'a>(
    inputs: &'a [Series],
    kwargs: &RollingKwargs,
    columns: &'a mut Vec<Float64Chunked>,
) -> PolarsResult<[Cow<'a, [f64]>; 2]> {
    let (y, mut regressors) =
        kwargs
            .layout()
            .excess_returns(inputs, columns, kwargs.risk_free.unwrap_or(0.0), true)?;
    let x = regressors.pop().unwrap_or_default();
    Ok([y, x])
}

/// The requested fields of the rolling fit, in the original row order, each with the
/// validity the jobs built if they could (see [`FiniteMask`]).
struct RollingResult {
    floats: Vec<Option<(Vec<f64>, Option<FiniteMask>)>>,
    n: Option<Vec<u32>>,
}

/// Runs `kernel(x, y, window, columns)` on every segment of the panel, in parallel.
fn run_rolling<K>(
    inputs: &[Series],
    kwargs: &RollingKwargs,
    wanted: [bool; 8],
    want_n: bool,
    kernel: K,
) -> PolarsResult<RollingResult>
where
    K: Fn(&[f64], &[f64], &SegmentWindow, &mut SimpleFitColumns<'_>) -> Result<(), KernelError>
        + Sync,
{
    let spec = kwargs.spec()?;
    let layout = kwargs.layout();
    let mut columns = Vec::new();
    let [y, x] = excess_pair(inputs, kwargs, &mut columns)?;
    let len = y.len();
    let panel = layout.panel(inputs, len)?;
    let times = layout.times(inputs, &panel, len)?;
    let (x, y) = (panel.gather(&x), panel.gather(&y));

    // Zeroed, not NaN-filled: both kernels write every row.
    let mut floats: Vec<Option<OutputColumn<f64>>> = wanted
        .iter()
        .map(|&w| w.then(|| OutputColumn::new(len)))
        .collect();
    let mut n = want_n.then(|| OutputColumn::new(len));
    // The jobs build the validity of the rows they wrote, unless the rows move afterwards.
    let masks: Vec<Option<FiniteMask>> = wanted
        .iter()
        .map(|&w| (w && panel.keeps_row_order()).then(|| FiniteMask::new(len)))
        .collect();
    {
        let mut float_parts: Vec<Option<std::vec::IntoIter<OutputPart<'_, f64>>>> = floats
            .iter_mut()
            .map(|column| column.as_mut().map(|c| c.parts(&panel).into_iter()))
            .collect();
        let mut n_parts = n.as_mut().map(|c| c.parts(&panel).into_iter());
        let mut jobs = Vec::with_capacity(panel.segments().len());
        for range in panel.segments() {
            let parts: [Option<OutputPart<'_, f64>>; 8] =
                std::array::from_fn(|i| float_parts[i].as_mut().and_then(|it| it.next()));
            let n_part = n_parts.as_mut().and_then(|it| it.next());
            jobs.push((range.clone(), parts, n_part));
        }
        jobs.into_par_iter()
            .try_for_each(|(range, parts, n_part)| {
                // Each part is zeroed here, by the job that writes it, while it is in cache.
                let [alpha, beta, r2, resid_std, alpha_se, beta_se, alpha_t, beta_t] =
                    parts.map(|part| part.map(OutputPart::zeroed));
                let mut columns = SimpleFitColumns {
                    alpha,
                    beta,
                    r2,
                    resid_std,
                    alpha_se,
                    beta_se,
                    alpha_t,
                    beta_t,
                    n: n_part.map(OutputPart::zeroed),
                };
                let window = SegmentWindow::for_segment(spec, times.as_ref(), range.clone())?;
                kernel(&x[range.clone()], &y[range.clone()], &window, &mut columns)?;
                for (mask, values) in masks.iter().zip(columns.floats()) {
                    if let (Some(mask), Some(values)) = (mask, values) {
                        mask.mark(range.start, values);
                    }
                }
                Ok(())
            })
            .map_err(kernel_err)?;
    }
    Ok(RollingResult {
        floats: floats
            .into_iter()
            .zip(masks)
            .map(|(column, mask)| column.map(|c| (panel.scatter(c.finish()), mask)))
            .collect(),
        n: n.map(|c| panel.scatter(c.finish())),
    })
}

/// The computed fields as Series, in struct order; fields not requested are absent.
fn struct_columns(result: RollingResult) -> Vec<Series> {
    let named: Vec<(&str, Vec<f64>, Option<FiniteMask>)> = FIT_FIELDS
        .iter()
        .zip(result.floats)
        .filter_map(|(field, values)| values.map(|(v, mask)| (*field, v, mask)))
        .collect();
    // A validity pass for the fields the jobs could not mark, side by side.
    let mut columns: Vec<Series> = named
        .into_par_iter()
        .map(|(field, values, mask)| finite_or_null_marked(field, values, mask))
        .collect();
    if let Some(n) = result.n {
        columns.push(UInt32Chunked::from_vec("n".into(), n).into_series());
    }
    columns
}

fn into_struct(inputs: &[Series], result: RollingResult) -> PolarsResult<Series> {
    let name = inputs[0].name().clone();
    let len = inputs[0].len();
    let columns = struct_columns(result);
    Ok(StructChunked::from_series(name, len, columns.iter())?.into_series())
}

#[polars_expr(output_type_func_with_kwargs=struct_output)]
fn rolling_alpha_beta(inputs: &[Series], kwargs: RollingKwargs) -> PolarsResult<Series> {
    guarded(|| {
        let (wanted, want_n) = kwargs.wanted()?;
        let result = run_rolling(inputs, &kwargs, wanted, want_n, |x, y, window, out| {
            rolling_simple_ols(x, y, window, out)
        })?;
        into_struct(inputs, result)
    })
}

#[polars_expr(output_type_func_with_kwargs=struct_output)]
fn ewm_alpha_beta(inputs: &[Series], kwargs: RollingKwargs) -> PolarsResult<Series> {
    guarded(|| {
        let spec = kwargs.ewm_spec()?;
        let (wanted, want_n) = kwargs.wanted()?;
        let result = run_rolling(inputs, &kwargs, wanted, want_n, |x, y, _, out| {
            rolling_ewm_ols(x, y, &spec, out)
        })?;
        into_struct(inputs, result)
    })
}

fn single_field(inputs: &[Series], kwargs: &RollingKwargs, index: usize) -> PolarsResult<Series> {
    let mut wanted = [false; 8];
    wanted[index] = true;
    let mut result = run_rolling(inputs, kwargs, wanted, false, |x, y, window, out| {
        rolling_simple_ols(x, y, window, out)
    })?;
    let (values, mask) = result.floats[index].take().unwrap_or_default();
    Ok(finite_or_null_marked(inputs[0].name(), values, mask))
}

#[polars_expr(output_type_func_with_kwargs=float_output)]
fn rolling_alpha(inputs: &[Series], kwargs: RollingKwargs) -> PolarsResult<Series> {
    guarded(|| single_field(inputs, &kwargs, 0))
}

#[polars_expr(output_type_func_with_kwargs=float_output)]
fn rolling_beta(inputs: &[Series], kwargs: RollingKwargs) -> PolarsResult<Series> {
    guarded(|| single_field(inputs, &kwargs, 1))
}

/// One fit over all rows of the input (a group, under `group_by().agg()`).
#[polars_expr(output_type_func_with_kwargs=struct_output)]
fn alpha_beta(inputs: &[Series], kwargs: RollingKwargs) -> PolarsResult<Series> {
    guarded(|| {
        polars_ensure!(
            !kwargs.by,
            InvalidOperation: "alpha_beta takes no `by`; use group_by(key).agg(alpha_beta(...))"
        );
        polars_ensure!(
            !kwargs.time,
            InvalidOperation: "alpha_beta takes no date window; use group_by_dynamic for periods"
        );
        let mut columns = Vec::new();
        let [y, x] = excess_pair(inputs, &kwargs, &mut columns)?;
        let moments = PairMoments::from_rows(&x, &y);
        let fit = fit_from_moments(&moments, &x, &y, kwargs.min_periods, true);
        let result = RollingResult {
            floats: fit
                .values()
                .iter()
                .map(|v| Some((vec![*v], None)))
                .collect(),
            n: Some(vec![u32::try_from(fit.n).unwrap_or(u32::MAX)]),
        };
        let name = inputs[0].name().clone();
        let columns = struct_columns(result);
        Ok(StructChunked::from_series(name, 1, columns.iter())?.into_series())
    })
}
