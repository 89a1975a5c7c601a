//! Bindings of the rolling single-index regressions: `rolling_alpha_beta` with its
//! single-field forms `rolling_alpha` and `rolling_beta`, and the exponentially weighted
//! `ewm_alpha_beta`. They share input handling, panels and the output struct.

use std::borrow::Cow;

use polars::prelude::*;
use pyo3_polars::derive::polars_expr;
use rayon::prelude::*;
use serde::Deserialize;

use super::common::{
    check_numeric, finite_or_null, guarded, kernel_err, to_float, values_with_nan,
};
use crate::kernels::ewm_ols::{rolling_ewm_ols, EwmSpec};
use crate::kernels::moments::PairMoments;
use crate::kernels::rolling_ols::{fit_from_moments, rolling_simple_ols, SimpleFitColumns};
use crate::kernels::window::{Window, WindowSpec};
use crate::kernels::KernelError;
use crate::panel::Panel;

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
    /// Rows in the window; `None` for an expanding window.
    pub window: Option<usize>,
    pub min_periods: usize,
    /// A per-period risk-free rate given as a number.
    pub risk_free: Option<f64>,
    /// Inputs are `asset, market[, risk_free][, by]`; these say which optional ones follow.
    pub risk_free_column: bool,
    pub by: bool,
    /// Exponential weighting (only `ewm_alpha_beta`): half-life in rows.
    #[serde(default)]
    pub half_life: Option<f64>,
    /// Exponential weighting: fit through the origin (RiskMetrics' convention).
    #[serde(default)]
    pub zero_mean: bool,
}

impl RollingKwargs {
    fn spec(&self) -> PolarsResult<WindowSpec> {
        let window = match self.window {
            Some(len) => Window::Rows(len),
            None => Window::Expanding,
        };
        WindowSpec::new(window, self.min_periods).map_err(kernel_err)
    }

    fn ewm_spec(&self) -> PolarsResult<EwmSpec> {
        let half_life = self.half_life.unwrap_or(f64::NAN);
        EwmSpec::new(self.spec()?, half_life, self.zero_mean).map_err(kernel_err)
    }

    /// Argument name of each input position, for error messages.
    fn input_names(&self) -> Vec<&'static str> {
        let mut names = vec!["asset", "market"];
        if self.risk_free_column {
            names.push("risk_free");
        }
        if self.by {
            names.push("by");
        }
        names
    }
}

fn check_fields(fields: &[Field], kwargs: &RollingKwargs) -> PolarsResult<()> {
    let names = kwargs.input_names();
    polars_ensure!(
        fields.len() == names.len(),
        ComputeError: "expected {} inputs ({}), got {}", names.len(), names.join(", "), fields.len()
    );
    for (field, name) in fields.iter().zip(&names) {
        if *name != "by" {
            check_numeric(field, name)?;
        }
    }
    Ok(())
}

fn struct_dtype() -> DataType {
    let mut fields: Vec<Field> = FIT_FIELDS
        .iter()
        .map(|name| Field::new((*name).into(), DataType::Float64))
        .collect();
    fields.push(Field::new("n".into(), DataType::UInt32));
    DataType::Struct(fields)
}

fn struct_output(fields: &[Field], kwargs: RollingKwargs) -> PolarsResult<Field> {
    check_fields(fields, &kwargs)?;
    Ok(Field::new(fields[0].name().clone(), struct_dtype()))
}

fn float_output(fields: &[Field], kwargs: RollingKwargs) -> PolarsResult<Field> {
    check_fields(fields, &kwargs)?;
    Ok(Field::new(fields[0].name().clone(), DataType::Float64))
}

/// The numeric inputs, cast to Float64 and checked once.
struct ReturnInputs {
    asset: Float64Chunked,
    market: Float64Chunked,
    risk_free: Option<Float64Chunked>,
}

impl ReturnInputs {
    fn read(inputs: &[Series], kwargs: &RollingKwargs) -> PolarsResult<Self> {
        let len = inputs[0].len();
        let risk_free = if kwargs.risk_free_column {
            let rf = &inputs[2];
            // A literal (length 1) broadcasts like any Polars scalar.
            let rf_len = if rf.len() == 1 { 1 } else { len };
            Some(to_float(rf, "risk_free", rf_len)?)
        } else {
            None
        };
        Ok(Self {
            asset: to_float(&inputs[0], "asset", len)?,
            market: to_float(&inputs[1], "market", len)?,
            risk_free,
        })
    }

    /// Excess returns `(y, x)` = `(asset - rf, market - rf)`, with nulls as NaN; borrowed
    /// from the inputs when there is no rate to subtract.
    fn excess(&self, scalar_rf: f64) -> (Cow<'_, [f64]>, Cow<'_, [f64]>) {
        let (asset, market) = (values_with_nan(&self.asset), values_with_nan(&self.market));
        let minus =
            |v: &[f64], r: f64| -> Cow<'_, [f64]> { Cow::Owned(v.iter().map(|a| a - r).collect()) };
        match &self.risk_free {
            None if scalar_rf == 0.0 => (asset, market),
            None => (minus(&asset, scalar_rf), minus(&market, scalar_rf)),
            Some(rf) if rf.len() == 1 && self.asset.len() != 1 => {
                let r = rf.get(0).unwrap_or(f64::NAN);
                (minus(&asset, r), minus(&market, r))
            }
            Some(rf) => {
                let rf = values_with_nan(rf);
                let minus_rf = |v: &[f64]| -> Cow<'_, [f64]> {
                    Cow::Owned(v.iter().zip(rf.iter()).map(|(a, r)| a - r).collect())
                };
                (minus_rf(&asset), minus_rf(&market))
            }
        }
    }
}

fn panel_for(inputs: &[Series], kwargs: &RollingKwargs, len: usize) -> PolarsResult<Panel> {
    if !kwargs.by {
        return Ok(Panel::single(len));
    }
    let key = &inputs[inputs.len() - 1];
    polars_ensure!(
        key.len() == len,
        ShapeMismatch: "`by` has {} rows but `asset` has {len}; all inputs must have the same length",
        key.len()
    );
    Panel::from_key(key)
}

/// The requested fields of the rolling fit, in the original row order.
struct RollingResult {
    floats: Vec<Option<Vec<f64>>>,
    n: Option<Vec<u32>>,
}

/// Runs `kernel(x, y, columns)` on every segment of the panel, in parallel.
fn run_rolling<K>(
    inputs: &[Series],
    kwargs: &RollingKwargs,
    wanted: [bool; 8],
    want_n: bool,
    kernel: K,
) -> PolarsResult<RollingResult>
where
    K: Fn(&[f64], &[f64], &mut SimpleFitColumns<'_>) -> Result<(), KernelError> + Sync,
{
    let returns = ReturnInputs::read(inputs, kwargs)?;
    let (y, x) = returns.excess(kwargs.risk_free.unwrap_or(0.0));
    let len = y.len();
    let panel = panel_for(inputs, kwargs, len)?;
    let (x, y) = (panel.gather(&x), panel.gather(&y));

    let mut floats: Vec<Option<Vec<f64>>> = wanted
        .iter()
        .map(|&w| w.then(|| vec![f64::NAN; len]))
        .collect();
    let mut n = want_n.then(|| vec![0u32; len]);
    {
        let mut float_parts: Vec<Option<std::vec::IntoIter<&mut [f64]>>> = floats
            .iter_mut()
            .map(|buf| buf.as_mut().map(|b| panel.split(b).into_iter()))
            .collect();
        let mut n_parts = n.as_mut().map(|b| panel.split(b).into_iter());
        let mut jobs = Vec::with_capacity(panel.segments().len());
        for range in panel.segments() {
            let mut next = |i: usize| float_parts[i].as_mut().and_then(|it| it.next());
            let columns = SimpleFitColumns {
                alpha: next(0),
                beta: next(1),
                r2: next(2),
                resid_std: next(3),
                alpha_se: next(4),
                beta_se: next(5),
                alpha_t: next(6),
                beta_t: next(7),
                n: n_parts.as_mut().and_then(|it| it.next()),
            };
            jobs.push((range.clone(), columns));
        }
        jobs.into_par_iter()
            .try_for_each(|(range, mut columns)| kernel(&x[range.clone()], &y[range], &mut columns))
            .map_err(kernel_err)?;
    }
    Ok(RollingResult {
        floats: floats
            .into_iter()
            .map(|buf| buf.map(|b| panel.scatter(b)))
            .collect(),
        n: n.map(|b| panel.scatter(b)),
    })
}

fn struct_columns(result: RollingResult) -> Vec<Series> {
    let mut columns: Vec<Series> = Vec::with_capacity(9);
    for (field, values) in FIT_FIELDS.iter().zip(result.floats) {
        columns.push(finite_or_null(field, values.unwrap_or_default()));
    }
    columns.push(UInt32Chunked::from_vec("n".into(), result.n.unwrap_or_default()).into_series());
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
        let spec = kwargs.spec()?;
        let result = run_rolling(inputs, &kwargs, [true; 8], true, |x, y, out| {
            rolling_simple_ols(x, y, &spec, out)
        })?;
        into_struct(inputs, result)
    })
}

#[polars_expr(output_type_func_with_kwargs=struct_output)]
fn ewm_alpha_beta(inputs: &[Series], kwargs: RollingKwargs) -> PolarsResult<Series> {
    guarded(|| {
        let spec = kwargs.ewm_spec()?;
        let result = run_rolling(inputs, &kwargs, [true; 8], true, |x, y, out| {
            rolling_ewm_ols(x, y, &spec, out)
        })?;
        into_struct(inputs, result)
    })
}

fn single_field(inputs: &[Series], kwargs: &RollingKwargs, index: usize) -> PolarsResult<Series> {
    let spec = kwargs.spec()?;
    let mut wanted = [false; 8];
    wanted[index] = true;
    let mut result = run_rolling(inputs, kwargs, wanted, false, |x, y, out| {
        rolling_simple_ols(x, y, &spec, out)
    })?;
    let values = result.floats[index].take().unwrap_or_default();
    Ok(finite_or_null(inputs[0].name(), values))
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
        let returns = ReturnInputs::read(inputs, &kwargs)?;
        let (y, x) = returns.excess(kwargs.risk_free.unwrap_or(0.0));
        let moments = PairMoments::from_rows(&x, &y);
        let fit = fit_from_moments(&moments, &x, &y, kwargs.min_periods, true);
        let values = [
            fit.alpha,
            fit.beta,
            fit.r2,
            fit.resid_std,
            fit.alpha_se,
            fit.beta_se,
            fit.alpha_t,
            fit.beta_t,
        ];
        let result = RollingResult {
            floats: values.iter().map(|v| Some(vec![*v])).collect(),
            n: Some(vec![u32::try_from(fit.n).unwrap_or(u32::MAX)]),
        };
        let name = inputs[0].name().clone();
        let columns = struct_columns(result);
        Ok(StructChunked::from_series(name, 1, columns.iter())?.into_series())
    })
}
