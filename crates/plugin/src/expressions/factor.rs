//! Bindings of the multi-factor regressions: rolling (`rolling_factor_regression`) and
//! whole-sample (`factor_regression`, for `group_by().agg()`).

use polars::prelude::*;
use pyo3_polars::derive::polars_expr;
use rayon::prelude::*;
use serde::Deserialize;

use super::common::{finite_or_null, guarded, kernel_err, OutputColumn, OutputPart};
use super::inputs::{InputLayout, SegmentWindow};
use polars_alpha_kernels::factor_ols::{factor_ols, rolling_factor_ols, FactorFitColumns, FactorLayout};
use polars_alpha_kernels::window::{Window, WindowSpec};

/// Keyword arguments sent by `polars_alpha.regression`; checked again here.
#[derive(Debug, Deserialize)]
pub struct FactorKwargs {
    /// Output names of the factor inputs that follow the asset, as the Python layer read
    /// them. Polars may hand a plugin unnamed series (in `group_by().agg()`), so the struct's
    /// field names come from here rather than from the inputs.
    pub factor_names: Vec<String>,
    /// Rows in the window; `None` for an expanding or a date window.
    pub window: Option<usize>,
    pub min_periods: usize,
    pub risk_free: Option<f64>,
    pub risk_free_column: bool,
    pub time: bool,
    pub by: bool,
}

impl FactorKwargs {
    fn n_factors(&self) -> usize {
        self.factor_names.len()
    }

    fn layout(&self, fields: &[Field]) -> PolarsResult<InputLayout> {
        polars_ensure!(
            self.n_factors() >= 1,
            InvalidOperation: "`factors` must name at least one column, e.g. [\"mkt_rf\", \"smb\", \"hml\"]"
        );
        polars_ensure!(
            fields.len() > self.n_factors(),
            ComputeError: "expected the asset and {} factors, got {} inputs", self.n_factors(), fields.len()
        );
        Ok(InputLayout {
            // Errors name the argument; the column's own name follows in the message.
            regressors: vec!["factors".to_string(); self.n_factors()],
            risk_free_column: self.risk_free_column,
            time: self.time,
            by: self.by,
        })
    }

    fn spec(&self) -> PolarsResult<WindowSpec> {
        let window = match self.window {
            Some(len) if !self.time => Window::Rows(len),
            _ => Window::Expanding,
        };
        WindowSpec::new(window, self.min_periods).map_err(kernel_err)
    }
}

/// Output field names: `alpha, beta_<f>.., r2, adj_r2, resid_std, alpha_se, beta_<f>_se..,
/// alpha_t, beta_<f>_t.., n`, after the factor columns' names.
fn field_names(factor_names: &[String]) -> PolarsResult<Vec<String>> {
    for (i, name) in factor_names.iter().enumerate() {
        polars_ensure!(
            !factor_names[..i].contains(name),
            Duplicate: "two factors are named '{name}'; give each factor a distinct name with `.alias()`"
        );
    }
    let k = factor_names.len();
    let layout = FactorLayout { k };
    let mut names = vec![String::new(); layout.field_count()];
    names[layout.alpha()] = "alpha".into();
    names[layout.r2()] = "r2".into();
    names[layout.adj_r2()] = "adj_r2".into();
    names[layout.resid_std()] = "resid_std".into();
    names[layout.alpha_se()] = "alpha_se".into();
    names[layout.alpha_t()] = "alpha_t".into();
    for (j, f) in factor_names.iter().enumerate() {
        names[layout.beta(j)] = format!("beta_{f}");
        names[layout.beta_se(j)] = format!("beta_{f}_se");
        names[layout.beta_t(j)] = format!("beta_{f}_t");
    }
    Ok(names)
}

fn struct_dtype(factor_names: &[String]) -> PolarsResult<DataType> {
    let mut fields: Vec<Field> = field_names(factor_names)?
        .into_iter()
        .map(|name| Field::new(name.into(), DataType::Float64))
        .collect();
    fields.push(Field::new("n".into(), DataType::UInt32));
    Ok(DataType::Struct(fields))
}

fn factor_output(fields: &[Field], kwargs: FactorKwargs) -> PolarsResult<Field> {
    kwargs.layout(fields)?.check_fields(fields)?;
    Ok(Field::new(
        fields[0].name().clone(),
        struct_dtype(&kwargs.factor_names)?,
    ))
}

fn into_struct(
    inputs: &[Series],
    kwargs: &FactorKwargs,
    floats: Vec<Vec<f64>>,
    n: Vec<u32>,
) -> PolarsResult<Series> {
    let names = field_names(&kwargs.factor_names)?;
    let len = n.len();
    let mut columns: Vec<Series> = names
        .iter()
        .zip(floats)
        .map(|(name, values)| finite_or_null(name, values))
        .collect();
    columns.push(UInt32Chunked::from_vec("n".into(), n).into_series());
    Ok(StructChunked::from_series(inputs[0].name().clone(), len, columns.iter())?.into_series())
}

#[polars_expr(output_type_func_with_kwargs=factor_output)]
fn rolling_factor_regression(inputs: &[Series], kwargs: FactorKwargs) -> PolarsResult<Series> {
    guarded(|| {
        let fields: Vec<Field> = inputs.iter().map(|s| s.field().into_owned()).collect();
        let layout = kwargs.layout(&fields)?;
        layout.check_fields(&fields)?;
        let spec = kwargs.spec()?;
        let mut columns = Vec::new();
        let (y, factors) =
            layout.excess_returns(inputs, &mut columns, kwargs.risk_free.unwrap_or(0.0), false)?;
        let len = y.len();
        let panel = layout.panel(inputs, len)?;
        let times = layout.times(inputs, &panel, len)?;
        let y = panel.gather(&y);
        let factors: Vec<_> = factors.iter().map(|f| panel.gather(f)).collect();

        let k = kwargs.n_factors();
        // Zeroed part by part inside the jobs (see `OutputColumn`): the kernel writes every row.
        let mut floats: Vec<OutputColumn<f64>> = (0..FactorLayout { k }.field_count())
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
            jobs.into_par_iter()
                .try_for_each(|(range, parts, n_part)| {
                    let mut out = FactorFitColumns {
                        floats: parts
                            .into_iter()
                            .map(|part| part.map(OutputPart::zeroed).unwrap_or_default())
                            .collect(),
                        n: n_part.zeroed(),
                    };
                    let window = SegmentWindow::for_segment(spec, times.as_ref(), range.clone())?;
                    let views: Vec<&[f64]> = factors.iter().map(|f| &f[range.clone()]).collect();
                    rolling_factor_ols(&views, &y[range], &window, &mut out)
                })
                .map_err(kernel_err)?;
        }
        let floats = floats
            .into_iter()
            .map(|c| panel.scatter(c.finish()))
            .collect();
        into_struct(inputs, &kwargs, floats, panel.scatter(n.finish()))
    })
}

/// One regression over all rows of the input (a group, under `group_by().agg()`).
#[polars_expr(output_type_func_with_kwargs=factor_output)]
fn factor_regression(inputs: &[Series], kwargs: FactorKwargs) -> PolarsResult<Series> {
    guarded(|| {
        polars_ensure!(
            !kwargs.by && !kwargs.time,
            InvalidOperation: "factor_regression takes no `by` or date window; use \
                               group_by(key).agg(factor_regression(...)) or group_by_dynamic"
        );
        let fields: Vec<Field> = inputs.iter().map(|s| s.field().into_owned()).collect();
        let layout = kwargs.layout(&fields)?;
        layout.check_fields(&fields)?;
        let mut columns = Vec::new();
        let (y, factors) =
            layout.excess_returns(inputs, &mut columns, kwargs.risk_free.unwrap_or(0.0), false)?;
        let k = kwargs.n_factors();
        let mut floats = vec![vec![f64::NAN; 1]; FactorLayout { k }.field_count()];
        let mut n = vec![0u32; 1];
        {
            let views: Vec<&[f64]> = factors.iter().map(|f| f.as_ref()).collect();
            let mut out = FactorFitColumns {
                floats: floats.iter_mut().map(|b| b.as_mut_slice()).collect(),
                n: &mut n,
            };
            factor_ols(&views, &y, kwargs.min_periods, &mut out).map_err(kernel_err)?;
        }
        into_struct(inputs, &kwargs, floats, n)
    })
}
