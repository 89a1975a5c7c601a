//! Bindings of the weighted alpha momentum score: rolling (`weighted_alpha_rolling`) and as
//! of the last row of a group (`last_weighted_alpha`, for `group_by().agg()`).

use std::borrow::Cow;

use polars::prelude::*;
use polars_alpha_kernels::weighted_alpha::{
    AlphaWeights, ScoredSeries, SeriesKind, WeightedAlpha, WeightedAlphaSpec,
};
use pyo3_polars::derive::{polars_expr, CallerContext};
use serde::Deserialize;

use super::common::{guarded, kernel_err, required, values_with_nan};
use super::inputs::InputLayout;
use crate::panel::{
    finite_or_null, finite_or_null_marked, write_parts, FiniteMask, OutputColumn, Panel, Threads,
};

/// Keyword arguments of `weighted_alpha_rolling` and `last_weighted_alpha` (the same score,
/// rolling or as of the last row).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightedAlphaKwargs {
    /// The inputs: `price` (or `returns`), then `benchmark` if given, then `order_by` and
    /// `by` if given.
    pub inputs: InputLayout,
    pub window: usize,
    /// `"exponential"` or `"linear"`.
    pub weights: String,
    /// Exponential weights only; `None` means `window - 1`, infinity means no decay.
    #[serde(deserialize_with = "required")]
    pub half_life: Option<f64>,
    #[serde(deserialize_with = "required")]
    pub cap: Option<f64>,
    /// Whether the inputs are simple returns rather than prices.
    pub returns: bool,
}

impl WeightedAlphaKwargs {
    fn kernel(&self) -> PolarsResult<WeightedAlpha> {
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
        let spec = WeightedAlphaSpec::new(self.window, weights, self.cap).map_err(kernel_err)?;
        Ok(WeightedAlpha::new(&spec))
    }

    fn kind(&self) -> SeriesKind {
        if self.returns {
            SeriesKind::Returns
        } else {
            SeriesKind::Prices
        }
    }

    /// The argument name of the score's series, as the kernels' errors spell it.
    fn argument(&self) -> &'static str {
        if self.returns {
            "returns"
        } else {
            "price"
        }
    }

    fn check(&self) -> PolarsResult<()> {
        polars_ensure!(
            !self.inputs.risk_free && !self.inputs.date_window && (1..=2).contains(&self.inputs.values.len()),
            ComputeError: "weighted alpha takes a price (or returns) and an optional benchmark, got {:?}",
            self.inputs
        );
        Ok(())
    }
}

fn float_output(fields: &[Field], kwargs: WeightedAlphaKwargs) -> PolarsResult<Field> {
    kwargs.check()?;
    kwargs.inputs.check_fields(fields)?;
    Ok(Field::new(fields[0].name().clone(), DataType::Float64))
}

/// The series and the benchmark (if any), in segment order with nulls as NaN.
struct MomentumInputs<'a> {
    panel: Panel,
    main: Cow<'a, [f64]>,
    bench: Option<Vec<f64>>,
}

fn momentum_inputs<'a>(
    inputs: &[Series],
    kwargs: &WeightedAlphaKwargs,
    threads: Threads,
    columns: &'a mut Vec<Float64Chunked>,
) -> PolarsResult<MomentumInputs<'a>> {
    kwargs.check()?;
    let layout = &kwargs.inputs;
    layout.check_inputs(inputs)?;
    let panel = layout.panel(inputs, threads)?;
    columns.push(layout.value(inputs, 0)?);
    let bench = if layout.values.len() == 2 {
        let b = layout.value(inputs, 1)?;
        Some(panel.gather(&values_with_nan(&b)).into_owned())
    } else {
        None
    };
    let main = match values_with_nan(&columns[0]) {
        Cow::Borrowed(v) => panel.gather(v),
        Cow::Owned(v) => Cow::Owned(panel.gather(&v).into_owned()),
    };
    Ok(MomentumInputs { panel, main, bench })
}

#[polars_expr(output_type_func_with_kwargs=float_output)]
fn weighted_alpha_rolling(
    inputs: &[Series],
    context: CallerContext,
    kwargs: WeightedAlphaKwargs,
) -> PolarsResult<Series> {
    guarded(|| {
        // The weights once for all segments.
        let kernel = kwargs.kernel()?;
        let mut columns = Vec::new();
        let data = momentum_inputs(
            inputs,
            &kwargs,
            Threads::of(&context, inputs[0].len()),
            &mut columns,
        )?;
        let (kind, argument) = (kwargs.kind(), kwargs.argument());
        let mut out = OutputColumn::new(data.main.len());
        // The jobs build the validity of the rows they wrote, unless the rows move afterwards.
        let mask = data
            .panel
            .keeps_row_order()
            .then(|| FiniteMask::new(data.main.len()));
        let jobs: Vec<_> = out
            .marked_parts(&data.panel, mask.as_ref())
            .into_iter()
            .zip(data.panel.segments())
            .collect();
        data.panel
            .threads()
            .try_for_each(jobs, |(part, range)| {
                let series = ScoredSeries {
                    values: &data.main[range.clone()],
                    kind,
                    argument,
                };
                let benchmark = data.bench.as_ref().map(|b| ScoredSeries {
                    values: &b[range.clone()],
                    kind,
                    argument: "benchmark",
                });
                write_parts([Some(part)], None, |[values], _| {
                    let values = values.expect("one part in, one column out");
                    kernel.score(series, benchmark, values)
                })
            })
            .map_err(kernel_err)?;
        let out = out.finish();
        Ok(finite_or_null_marked(
            inputs[0].name(),
            data.panel.scatter(out),
            mask,
        ))
    })
}

#[polars_expr(output_type_func_with_kwargs=float_output)]
fn last_weighted_alpha(inputs: &[Series], kwargs: WeightedAlphaKwargs) -> PolarsResult<Series> {
    guarded(|| {
        polars_ensure!(
            !kwargs.inputs.by,
            InvalidOperation: "last_weighted_alpha takes no `by`; use group_by(key).agg(...)"
        );
        let kernel = kwargs.kernel()?;
        let mut columns = Vec::new();
        let data = momentum_inputs(inputs, &kwargs, Threads::Caller, &mut columns)?;
        let kind = kwargs.kind();
        let series = ScoredSeries {
            values: &data.main,
            kind,
            argument: kwargs.argument(),
        };
        let benchmark = data.bench.as_deref().map(|values| ScoredSeries {
            values,
            kind,
            argument: "benchmark",
        });
        let value = kernel.score_last(series, benchmark).map_err(kernel_err)?;
        Ok(finite_or_null(inputs[0].name(), vec![value]))
    })
}
