//! Bindings of the weighted alpha momentum score: rolling (`weighted_alpha`) and as of the
//! last row of a group (`last_weighted_alpha`, for `group_by().agg()`).

use polars::prelude::*;
use pyo3_polars::derive::polars_expr;
use rayon::prelude::*;
use serde::Deserialize;

use super::common::{
    check_numeric, finite_or_null, guarded, kernel_err, to_float, values_with_nan,
};
use crate::kernels::weighted_alpha::{
    log_returns, weighted_alpha, weighted_alpha_last, AlphaWeights, WeightedAlphaSpec,
};
use crate::panel::Panel;

/// Keyword arguments sent by `polars_alpha.momentum`; checked again here.
#[derive(Debug, Deserialize)]
pub struct WeightedAlphaKwargs {
    pub window: usize,
    /// `"exponential"` or `"linear"`.
    pub weights: String,
    /// Exponential weights only; `None` means `window - 1`, infinity means no decay.
    pub half_life: Option<f64>,
    pub cap: Option<f64>,
    /// Whether the inputs are simple returns rather than prices.
    pub returns: bool,
    /// Inputs are `price[, benchmark][, by]`; these say which optional ones follow.
    pub benchmark: bool,
    pub by: bool,
}

impl WeightedAlphaKwargs {
    fn spec(&self) -> PolarsResult<WeightedAlphaSpec> {
        let weights = match self.weights.as_str() {
            "exponential" => AlphaWeights::Exponential {
                half_life: self
                    .half_life
                    .unwrap_or_else(|| WeightedAlphaSpec::default_half_life(self.window)),
            },
            "linear" => AlphaWeights::Linear,
            other => polars_bail!(
                InvalidOperation: "`weights` must be \"exponential\" or \"linear\", got {other:?}"
            ),
        };
        WeightedAlphaSpec::new(self.window, weights, self.cap).map_err(kernel_err)
    }

    fn input_names(&self) -> Vec<&'static str> {
        let mut names = vec![if self.returns { "returns" } else { "price" }];
        if self.benchmark {
            names.push("benchmark");
        }
        if self.by {
            names.push("by");
        }
        names
    }
}

fn float_output(fields: &[Field], kwargs: WeightedAlphaKwargs) -> PolarsResult<Field> {
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
    Ok(Field::new(fields[0].name().clone(), DataType::Float64))
}

/// Log returns of one input column, per segment (the first row of each segment has none).
/// Prices must be positive and returns above -100%: the log is undefined otherwise.
fn segment_log_returns(
    values: &[f64],
    panel: &Panel,
    kwargs: &WeightedAlphaKwargs,
    argument: &str,
) -> PolarsResult<Vec<f64>> {
    let mut out = vec![f64::NAN; values.len()];
    if kwargs.returns {
        if let Some(bad) = values.iter().find(|r| r.is_finite() && **r <= -1.0) {
            polars_bail!(
                ComputeError: "`{argument}` holds a return of {bad}, at or below -100%; its \
                log is undefined. Check the data, or pass prices instead of returns"
            );
        }
        for (o, r) in out.iter_mut().zip(values) {
            *o = r.ln_1p();
        }
        return Ok(out);
    }
    if let Some(bad) = values.iter().find(|p| p.is_finite() && **p <= 0.0) {
        polars_bail!(
            ComputeError: "`{argument}` holds a non-positive price ({bad}); the log return is \
            undefined. Use positive prices, or null for a missing one"
        );
    }
    let parts = panel.split(&mut out);
    parts
        .into_par_iter()
        .zip(panel.segments().par_iter())
        .try_for_each(|(part, range)| log_returns(&values[range.clone()], part))
        .map_err(kernel_err)?;
    Ok(out)
}

/// Log returns of the input and of the benchmark (if any), in segment order.
fn prepared_log_returns(
    inputs: &[Series],
    kwargs: &WeightedAlphaKwargs,
) -> PolarsResult<(Panel, Vec<f64>, Option<Vec<f64>>)> {
    let names = kwargs.input_names();
    let len = inputs[0].len();
    let panel = if kwargs.by {
        let key = &inputs[inputs.len() - 1];
        polars_ensure!(
            key.len() == len,
            ShapeMismatch: "`by` has {} rows but `{}` has {len}; all inputs must have the same length",
            key.len(), names[0]
        );
        Panel::from_key(key)?
    } else {
        Panel::single(len)
    };
    let main = to_float(&inputs[0], names[0], len)?;
    let main = segment_log_returns(
        &panel.gather(&values_with_nan(&main)),
        &panel,
        kwargs,
        names[0],
    )?;
    let bench = if kwargs.benchmark {
        let b = to_float(&inputs[1], "benchmark", len)?;
        Some(segment_log_returns(
            &panel.gather(&values_with_nan(&b)),
            &panel,
            kwargs,
            "benchmark",
        )?)
    } else {
        None
    };
    Ok((panel, main, bench))
}

#[polars_expr(output_type_func_with_kwargs=float_output)]
fn weighted_alpha_rolling(inputs: &[Series], kwargs: WeightedAlphaKwargs) -> PolarsResult<Series> {
    guarded(|| {
        let spec = kwargs.spec()?;
        let (panel, logs, bench_logs) = prepared_log_returns(inputs, &kwargs)?;
        let mut out = vec![f64::NAN; logs.len()];
        let mut bench_out = bench_logs.as_ref().map(|b| vec![f64::NAN; b.len()]);
        let parts = panel.split(&mut out);
        parts
            .into_par_iter()
            .zip(panel.segments().par_iter())
            .try_for_each(|(part, range)| weighted_alpha(&logs[range.clone()], &spec, part))
            .map_err(kernel_err)?;
        if let (Some(b_logs), Some(b_out)) = (&bench_logs, bench_out.as_mut()) {
            panel
                .split(b_out)
                .into_par_iter()
                .zip(panel.segments().par_iter())
                .try_for_each(|(part, range)| weighted_alpha(&b_logs[range.clone()], &spec, part))
                .map_err(kernel_err)?;
            for (o, b) in out.iter_mut().zip(b_out.iter()) {
                *o -= b;
            }
        }
        Ok(finite_or_null(inputs[0].name(), panel.scatter(out)))
    })
}

#[polars_expr(output_type_func_with_kwargs=float_output)]
fn last_weighted_alpha(inputs: &[Series], kwargs: WeightedAlphaKwargs) -> PolarsResult<Series> {
    guarded(|| {
        polars_ensure!(
            !kwargs.by,
            InvalidOperation: "last_weighted_alpha takes no `by`; use group_by(key).agg(...)"
        );
        let spec = kwargs.spec()?;
        let (_, logs, bench_logs) = prepared_log_returns(inputs, &kwargs)?;
        let mut value = weighted_alpha_last(&logs, &spec);
        if let Some(b) = &bench_logs {
            value -= weighted_alpha_last(b, &spec);
        }
        Ok(finite_or_null(inputs[0].name(), vec![value]))
    })
}
