//! Bindings of the performance ratios: `rolling_ratio` (Treynor, information, correlation
//! over a trailing window) and `ratio` (one value per group).

use polars::prelude::*;
use pyo3_polars::derive::polars_expr;
use rayon::prelude::*;

use super::common::{finite_or_null, guarded, kernel_err};
use super::inputs::SegmentWindow;
use super::rolling::{excess_pair, float_output, RollingKwargs};
use polars_alpha_kernels::ratios::{pair_statistic, rolling_pair_statistic, PairStatistic};

fn statistic(kwargs: &RollingKwargs) -> PolarsResult<PairStatistic> {
    let name = kwargs.statistic.as_deref().unwrap_or("");
    PairStatistic::new(name, kwargs.periods_per_year.unwrap_or(f64::NAN)).map_err(kernel_err)
}

#[polars_expr(output_type_func_with_kwargs=float_output)]
fn rolling_ratio(inputs: &[Series], kwargs: RollingKwargs) -> PolarsResult<Series> {
    guarded(|| {
        let stat = statistic(&kwargs)?;
        let spec = kwargs.spec()?;
        let layout = kwargs.layout();
        layout.check_fields(
            &inputs
                .iter()
                .map(|s| s.field().into_owned())
                .collect::<Vec<_>>(),
        )?;
        let mut columns = Vec::new();
        let [y, x] = excess_pair(inputs, &kwargs, &mut columns)?;
        let len = y.len();
        let panel = layout.panel(inputs, len)?;
        let times = layout.times(inputs, &panel, len)?;
        let (x, y) = (panel.gather(&x), panel.gather(&y));
        let mut out = vec![f64::NAN; len];
        panel
            .segments()
            .iter()
            .zip(panel.split(&mut out))
            .collect::<Vec<_>>()
            .into_par_iter()
            .try_for_each(|(range, part)| {
                let window = SegmentWindow::for_segment(spec, times.as_ref(), range.clone())?;
                rolling_pair_statistic(&x[range.clone()], &y[range.clone()], &window, stat, part)
            })
            .map_err(kernel_err)?;
        Ok(finite_or_null(inputs[0].name(), panel.scatter(out)))
    })
}

/// The ratio over all rows of the input (a group, under `group_by().agg()`).
#[polars_expr(output_type_func_with_kwargs=float_output)]
fn ratio(inputs: &[Series], kwargs: RollingKwargs) -> PolarsResult<Series> {
    guarded(|| {
        polars_ensure!(
            !kwargs.by && !kwargs.time,
            InvalidOperation: "a whole-sample ratio takes no `by` or date window; use \
                               group_by(key).agg(...) or group_by_dynamic"
        );
        let stat = statistic(&kwargs)?;
        let mut columns = Vec::new();
        let [y, x] = excess_pair(inputs, &kwargs, &mut columns)?;
        let value = pair_statistic(&x, &y, stat, kwargs.min_periods).map_err(kernel_err)?;
        Ok(finite_or_null(inputs[0].name(), vec![value]))
    })
}
