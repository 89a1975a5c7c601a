//! Bindings of the weighted alpha momentum score: rolling (`weighted_alpha`) and as of the
//! last row of a group (`last_weighted_alpha`, for `group_by().agg()`).

use polars::prelude::*;
use pyo3_polars::derive::polars_expr;
use rayon::prelude::*;
use serde::Deserialize;

use super::common::{
    check_numeric, finite_or_null, guarded, kernel_err, to_float, values_with_nan, OutputColumn,
};
use polars_alpha_kernels::weighted_alpha::{log_returns, AlphaWeights, WeightedAlpha, WeightedAlphaSpec};
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

/// Log returns of one segment of an input column into `out` (the first row has none).
/// Prices must be positive and returns above -100%: the log is undefined otherwise.
fn segment_log_returns(
    values: &[f64],
    returns: bool,
    argument: &str,
    out: &mut [f64],
) -> PolarsResult<()> {
    if returns {
        if let Some(bad) = values.iter().find(|r| r.is_finite() && **r <= -1.0) {
            polars_bail!(
                ComputeError: "`{argument}` holds a return of {bad}, at or below -100%; its \
                log is undefined. Check the data, or pass prices instead of returns"
            );
        }
        for (o, r) in out.iter_mut().zip(values) {
            *o = r.ln_1p();
        }
        return Ok(());
    }
    if let Some(bad) = values.iter().find(|p| p.is_finite() && **p <= 0.0) {
        polars_bail!(
            ComputeError: "`{argument}` holds a non-positive price ({bad}); the log return is \
            undefined. Use positive prices, or null for a missing one"
        );
    }
    log_returns(values, out).map_err(kernel_err)
}

/// The input and the benchmark (if any), in segment order with nulls as NaN.
struct MomentumInputs<'a> {
    panel: Panel,
    main: std::borrow::Cow<'a, [f64]>,
    bench: Option<Vec<f64>>,
    names: Vec<&'static str>,
}

fn momentum_inputs<'a>(
    inputs: &[Series],
    kwargs: &WeightedAlphaKwargs,
    columns: &'a mut Vec<Float64Chunked>,
) -> PolarsResult<MomentumInputs<'a>> {
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
    columns.push(to_float(&inputs[0], names[0], names[0], len)?);
    let bench = if kwargs.benchmark {
        let b = to_float(&inputs[1], "benchmark", names[0], len)?;
        Some(panel.gather(&values_with_nan(&b)).into_owned())
    } else {
        None
    };
    let main = match values_with_nan(&columns[0]) {
        std::borrow::Cow::Borrowed(v) => panel.gather(v),
        std::borrow::Cow::Owned(v) => std::borrow::Cow::Owned(panel.gather(&v).into_owned()),
    };
    Ok(MomentumInputs {
        panel,
        main,
        bench,
        names,
    })
}

/// The weighted alpha of one segment (less the benchmark's, if given) into `out`. The log
/// returns are computed here, per segment and in parallel, into a buffer that stays in cache.
fn segment_weighted_alpha(
    values: &[f64],
    bench: Option<&[f64]>,
    kernel: &WeightedAlpha,
    kwargs: &WeightedAlphaKwargs,
    argument: &str,
    out: &mut [f64],
) -> PolarsResult<()> {
    let mut logs = vec![0.0; values.len()];
    segment_log_returns(values, kwargs.returns, argument, &mut logs)?;
    kernel.run(&logs, out).map_err(kernel_err)?;
    if let Some(bench) = bench {
        segment_log_returns(bench, kwargs.returns, "benchmark", &mut logs)?;
        let mut bench_out = vec![0.0; values.len()];
        kernel.run(&logs, &mut bench_out).map_err(kernel_err)?;
        for (o, b) in out.iter_mut().zip(&bench_out) {
            *o -= b;
        }
    }
    Ok(())
}

#[polars_expr(output_type_func_with_kwargs=float_output)]
fn weighted_alpha_rolling(inputs: &[Series], kwargs: WeightedAlphaKwargs) -> PolarsResult<Series> {
    guarded(|| {
        // The weights once for all segments.
        let kernel = WeightedAlpha::new(&kwargs.spec()?);
        let mut columns = Vec::new();
        let data = momentum_inputs(inputs, &kwargs, &mut columns)?;
        // Zeroed, not NaN-filled: the kernel writes every row (see `rolling.rs`).
        let mut out = OutputColumn::new(data.main.len());
        out.parts(&data.panel)
            .into_par_iter()
            .zip(data.panel.segments().par_iter())
            .try_for_each(|(part, range)| {
                segment_weighted_alpha(
                    &data.main[range.clone()],
                    data.bench.as_ref().map(|b| &b[range.clone()]),
                    &kernel,
                    &kwargs,
                    data.names[0],
                    part.zeroed(),
                )
            })?;
        let out = out.finish();
        Ok(finite_or_null(inputs[0].name(), data.panel.scatter(out)))
    })
}

#[polars_expr(output_type_func_with_kwargs=float_output)]
fn last_weighted_alpha(inputs: &[Series], kwargs: WeightedAlphaKwargs) -> PolarsResult<Series> {
    guarded(|| {
        polars_ensure!(
            !kwargs.by,
            InvalidOperation: "last_weighted_alpha takes no `by`; use group_by(key).agg(...)"
        );
        let kernel = WeightedAlpha::new(&kwargs.spec()?);
        let mut columns = Vec::new();
        let data = momentum_inputs(inputs, &kwargs, &mut columns)?;
        let mut logs = vec![0.0; data.main.len()];
        segment_log_returns(&data.main, kwargs.returns, data.names[0], &mut logs)?;
        let mut value = kernel.last(&logs);
        if let Some(bench) = &data.bench {
            segment_log_returns(bench, kwargs.returns, "benchmark", &mut logs)?;
            value -= kernel.last(&logs);
        }
        Ok(finite_or_null(inputs[0].name(), vec![value]))
    })
}
