//! Bindings of the alpha signals computed in Rust: residual momentum (`residual_momentum`).

use polars::prelude::*;
use polars_alpha_kernels::residual_momentum::{residual_momentum as score, ResidualMomentumSpec};
use pyo3_polars::derive::{polars_expr, CallerContext};
use serde::Deserialize;

use super::common::{guarded, kernel_err, required};
use super::inputs::InputLayout;
use crate::panel::{finite_or_null, OutputColumn, Threads};

/// Keyword arguments of `residual_momentum`, sent by `polars_alpha._plugin`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResidualMomentumKwargs {
    /// The inputs: the asset's returns, then the market's (or each factor's), then the
    /// risk-free column, `order_by` and `by` if given.
    pub inputs: InputLayout,
    /// Rows of each trailing regression.
    pub fit_window: usize,
    /// Fewest usable rows of a regression.
    pub fit_min_periods: usize,
    /// Rows from the oldest residual to the signal's row.
    pub window: usize,
    /// Newest rows left out of the span.
    pub skip: usize,
    /// Fewest residuals in the span.
    pub min_periods: usize,
    /// A per-period risk-free rate given as a number.
    #[serde(deserialize_with = "required")]
    pub risk_free: Option<f64>,
    /// The one regressor is the market, so the rate comes off it too (CAPM); factors are
    /// excess returns already.
    pub market: bool,
}

impl ResidualMomentumKwargs {
    fn check(&self) -> PolarsResult<ResidualMomentumSpec> {
        polars_ensure!(
            !self.inputs.date_window && self.inputs.values.len() >= 2,
            ComputeError: "residual momentum takes the asset and at least one regressor over a \
             row window, got {:?}", self.inputs
        );
        polars_ensure!(
            !self.market || self.inputs.values.len() == 2,
            ComputeError: "a market regression takes one market column, got {} regressors",
            self.inputs.values.len() - 1
        );
        ResidualMomentumSpec::new(
            self.fit_window,
            self.fit_min_periods,
            self.window,
            self.skip,
            self.min_periods,
        )
        .map_err(kernel_err)
    }
}

fn float_output(fields: &[Field], kwargs: ResidualMomentumKwargs) -> PolarsResult<Field> {
    kwargs.check()?;
    kwargs.inputs.check_fields(fields)?;
    Ok(Field::new(fields[0].name().clone(), DataType::Float64))
}

#[polars_expr(output_type_func_with_kwargs=float_output)]
fn residual_momentum(
    inputs: &[Series],
    context: CallerContext,
    kwargs: ResidualMomentumKwargs,
) -> PolarsResult<Series> {
    guarded(|| {
        let spec = kwargs.check()?;
        let layout = &kwargs.inputs;
        layout.check_inputs(inputs)?;
        let mut columns = Vec::new();
        let (y, regressors) = layout.excess_returns(
            inputs,
            &mut columns,
            kwargs.risk_free.unwrap_or(0.0),
            kwargs.market,
        )?;
        let panel = layout.panel(inputs, Threads::of(&context, inputs[0].len()))?;
        let y = panel.gather(&y);
        let regressors: Vec<_> = regressors.iter().map(|r| panel.gather(r)).collect();
        // Zeroed, not NaN-filled: the kernel writes every row.
        let mut out = OutputColumn::new(y.len());
        let jobs: Vec<_> = out
            .parts(&panel)
            .into_iter()
            .zip(panel.segments())
            .collect();
        panel
            .threads()
            .try_for_each(jobs, |(part, range)| {
                let views: Vec<&[f64]> = regressors.iter().map(|r| &r[range.clone()]).collect();
                score(&views, &y[range.clone()], &spec, part.zeroed())
            })
            .map_err(kernel_err)?;
        Ok(finite_or_null(
            inputs[0].name(),
            panel.scatter(out.finish()),
        ))
    })
}
