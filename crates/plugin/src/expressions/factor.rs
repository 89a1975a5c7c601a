//! Bindings of the multi-factor regressions: rolling (`rolling_factor_regression`) and
//! whole-sample (`factor_regression`, for `group_by().agg()`).

use polars::prelude::*;
use polars_alpha_kernels::factor_ols::{
    factor_endpoints, factor_ols, rolling_factor_ols, FactorFitColumns, FactorLayout,
};
use polars_alpha_kernels::robust_cov::{robust_factor_fit, robust_factor_whole};
use polars_alpha_kernels::simple_fit::ENDPOINT_FIELDS;
use pyo3_polars::derive::{polars_expr, CallerContext};
use serde::Deserialize;

use super::capm::robust_spec;
use super::common::{guarded, kernel_err, required};
use super::inputs::{window_spec, InputLayout, SegmentWindow};
use crate::panel::{finite_or_null, OutputColumn, OutputPart, Threads};

/// Keyword arguments of `rolling_factor_regression`, sent by `polars_alpha._plugin`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollingFactorKwargs {
    pub inputs: InputLayout,
    /// Output names of the factor inputs that follow the asset, as the Python layer read
    /// them. Polars may hand a plugin unnamed series (in `group_by().agg()`), so the struct's
    /// field names come from here rather than from the inputs.
    pub factor_names: Vec<String>,
    /// Rows in the window; `None` for an expanding or a date window.
    #[serde(deserialize_with = "required")]
    pub window: Option<usize>,
    /// `None` only for a date window, whose default comes from the data.
    #[serde(deserialize_with = "required")]
    pub min_periods: Option<usize>,
    #[serde(deserialize_with = "required")]
    pub risk_free: Option<f64>,
    /// See `RollingAlphaBetaKwargs::cov_type`.
    #[serde(default)]
    pub cov_type: Option<String>,
    #[serde(default)]
    pub maxlags: Option<usize>,
    /// The struct fields to return (all but the endpoint fields when `None`).
    #[serde(deserialize_with = "required")]
    pub fields: Option<Vec<String>>,
}

/// Keyword arguments of `factor_regression`, one fit over all rows of a group.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactorRegressionKwargs {
    pub inputs: InputLayout,
    pub factor_names: Vec<String>,
    pub min_periods: usize,
    #[serde(deserialize_with = "required")]
    pub risk_free: Option<f64>,
    /// See `RollingAlphaBetaKwargs::cov_type`.
    #[serde(default)]
    pub cov_type: Option<String>,
    #[serde(default)]
    pub maxlags: Option<usize>,
}

/// The struct's field names ([`FactorLayout::field_names`]), checked to be distinct and to
/// match the factor inputs of `layout`.
pub fn field_names(factor_names: &[String], layout: &InputLayout) -> PolarsResult<Vec<String>> {
    polars_ensure!(
        !factor_names.is_empty(),
        InvalidOperation: "`factors` must name at least one column, e.g. [\"mkt_rf\", \"smb\", \"hml\"]"
    );
    polars_ensure!(
        layout.values.len() == 1 + factor_names.len(),
        ComputeError: "expected the asset and {} factors, got {} value inputs",
        factor_names.len(), layout.values.len()
    );
    for (i, name) in factor_names.iter().enumerate() {
        polars_ensure!(
            !factor_names[..i].contains(name),
            Duplicate: "two factors are named '{name}'; give each factor a distinct name with `.alias()`"
        );
    }
    Ok(FactorLayout::field_names(factor_names))
}

/// The fields a call returns: one flag per name of [`field_names`] (`n` last), and the
/// [`ENDPOINT_FIELDS`], which follow `n` and come only when named.
struct Selection {
    fields: Vec<bool>,
    endpoints: [bool; 2],
}

impl Selection {
    fn all(names: &[String]) -> Self {
        Self {
            fields: vec![true; names.len()],
            endpoints: [false; 2],
        }
    }

    fn of(names: &[String], requested: Option<&[String]>) -> PolarsResult<Self> {
        let Some(requested) = requested else {
            return Ok(Self::all(names));
        };
        let mut picked = Self {
            fields: vec![false; names.len()],
            endpoints: [false; 2],
        };
        for name in requested {
            if let Some(i) = names.iter().position(|f| f == name) {
                picked.fields[i] = true;
            } else if let Some(i) = ENDPOINT_FIELDS.iter().position(|f| f == name) {
                picked.endpoints[i] = true;
            } else {
                polars_bail!(
                    InvalidOperation: "unknown field {name:?} in `fields`; choose from {}, {}",
                    names.join(", "), ENDPOINT_FIELDS.join(", ")
                );
            }
        }
        polars_ensure!(
            picked.fields.iter().chain(&picked.endpoints).any(|&w| w),
            InvalidOperation: "`fields` is empty; name at least one field, e.g. [\"alpha\"]"
        );
        Ok(picked)
    }
}

fn struct_field(
    fields: &[Field],
    layout: &InputLayout,
    factor_names: &[String],
    requested: Option<&[String]>,
) -> PolarsResult<Field> {
    let names = field_names(factor_names, layout)?;
    layout.check_fields(fields)?;
    let picked = Selection::of(&names, requested)?;
    let last = names.len() - 1;
    let mut dtype_fields: Vec<Field> = names
        .iter()
        .enumerate()
        .filter(|(i, _)| picked.fields[*i])
        .map(|(i, name)| {
            let dtype = if i == last {
                DataType::UInt32
            } else {
                DataType::Float64
            };
            Field::new(name.into(), dtype)
        })
        .collect();
    for (name, _) in ENDPOINT_FIELDS
        .iter()
        .zip(picked.endpoints)
        .filter(|(_, w)| *w)
    {
        dtype_fields.push(Field::new((*name).into(), DataType::Float64));
    }
    Ok(Field::new(
        fields[0].name().clone(),
        DataType::Struct(dtype_fields),
    ))
}

fn rolling_output(fields: &[Field], kwargs: RollingFactorKwargs) -> PolarsResult<Field> {
    struct_field(
        fields,
        &kwargs.inputs,
        &kwargs.factor_names,
        kwargs.fields.as_deref(),
    )
}

fn whole_sample_output(fields: &[Field], kwargs: FactorRegressionKwargs) -> PolarsResult<Field> {
    struct_field(fields, &kwargs.inputs, &kwargs.factor_names, None)
}

/// The struct of the `picked` fields, the endpoint columns (computed for `picked`) last.
fn into_struct(
    inputs: &[Series],
    names: &[String],
    picked: &Selection,
    floats: Vec<Vec<f64>>,
    n: Vec<u32>,
    endpoints: Vec<(&str, Vec<f64>)>,
) -> PolarsResult<Series> {
    let len = n.len();
    let (n_name, float_names) = names.split_last().expect("field_names ends with n");
    let mut columns: Vec<Series> = float_names
        .iter()
        .zip(floats)
        .zip(&picked.fields)
        .filter(|(_, keep)| **keep)
        .map(|((name, values), _)| finite_or_null(name, values))
        .collect();
    if picked.fields[float_names.len()] {
        columns.push(UInt32Chunked::from_vec(n_name.into(), n).into_series());
    }
    for (name, values) in endpoints {
        columns.push(finite_or_null(name, values));
    }
    Ok(StructChunked::from_series(inputs[0].name().clone(), len, columns.iter())?.into_series())
}

#[polars_expr(output_type_func_with_kwargs=rolling_output)]
fn rolling_factor_regression(
    inputs: &[Series],
    context: CallerContext,
    kwargs: RollingFactorKwargs,
) -> PolarsResult<Series> {
    guarded(|| {
        let layout = &kwargs.inputs;
        let names = field_names(&kwargs.factor_names, layout)?;
        let picked = Selection::of(&names, kwargs.fields.as_deref())?;
        layout.check_inputs(inputs)?;
        let mut columns = Vec::new();
        let (y_rows, factor_rows) =
            layout.excess_returns(inputs, &mut columns, kwargs.risk_free.unwrap_or(0.0), false)?;
        let len = y_rows.len();
        let (panel, times) =
            layout.panel_and_times(inputs, Threads::of(&context, inputs[0].len()))?;
        let spec = window_spec(kwargs.window, kwargs.min_periods, layout)?;
        let y = panel.gather(&y_rows);
        let factors: Vec<_> = factor_rows.iter().map(|f| panel.gather(f)).collect();

        let robust = robust_spec(kwargs.cov_type.as_deref(), kwargs.maxlags)?;
        let k = kwargs.factor_names.len();
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
            panel
                .threads()
                .try_for_each(jobs, |(range, parts, n_part)| {
                    let mut out = FactorFitColumns {
                        floats: parts
                            .into_iter()
                            .map(|part| part.map(OutputPart::zeroed).unwrap_or_default())
                            .collect(),
                        n: n_part.zeroed(),
                    };
                    let window = SegmentWindow::for_segment(
                        spec,
                        kwargs.min_periods,
                        times.as_ref(),
                        range.clone(),
                    )?;
                    let views: Vec<&[f64]> = factors.iter().map(|f| &f[range.clone()]).collect();
                    rolling_factor_ols(&views, &y[range.clone()], &window, &mut out)?;
                    match &robust {
                        Some(spec) => robust_factor_fit(&views, &y[range], &window, spec, &mut out),
                        None => Ok(()),
                    }
                })
                .map_err(kernel_err)?;
        }
        let floats: Vec<Vec<f64>> = floats
            .into_iter()
            .map(|c| panel.scatter(c.finish()))
            .collect();
        let endpoints = if picked.endpoints.contains(&true) {
            let layout = FactorLayout { k };
            let betas: Vec<&[f64]> = (0..k).map(|j| floats[layout.beta(j)].as_slice()).collect();
            let views: Vec<&[f64]> = factor_rows.iter().map(|f| f.as_ref()).collect();
            let [mut fitted, mut resid] = picked.endpoints.map(|w| w.then(|| vec![0.0; len]));
            factor_endpoints(
                &views,
                &y_rows,
                &floats[layout.alpha()],
                &betas,
                fitted.as_deref_mut(),
                resid.as_deref_mut(),
            )
            .map_err(kernel_err)?;
            ENDPOINT_FIELDS
                .into_iter()
                .zip([fitted, resid])
                .filter_map(|(name, values)| values.map(|v| (name, v)))
                .collect()
        } else {
            Vec::new()
        };
        let n = panel.scatter(n.finish());
        into_struct(inputs, &names, &picked, floats, n, endpoints)
    })
}

/// One regression over all rows of the input (a group, under `group_by().agg()`).
#[polars_expr(output_type_func_with_kwargs=whole_sample_output)]
fn factor_regression(inputs: &[Series], kwargs: FactorRegressionKwargs) -> PolarsResult<Series> {
    guarded(|| {
        let layout = &kwargs.inputs;
        polars_ensure!(
            !layout.by && !layout.date_window && !layout.order_by,
            InvalidOperation: "factor_regression takes no `by` or date window; use \
                               group_by(key).agg(factor_regression(...)) or group_by_dynamic"
        );
        let names = field_names(&kwargs.factor_names, layout)?;
        layout.check_inputs(inputs)?;
        let mut columns = Vec::new();
        let (y, factors) =
            layout.excess_returns(inputs, &mut columns, kwargs.risk_free.unwrap_or(0.0), false)?;
        let k = kwargs.factor_names.len();
        let mut floats = vec![vec![f64::NAN; 1]; FactorLayout { k }.field_count()];
        let mut n = vec![0u32; 1];
        {
            let views: Vec<&[f64]> = factors.iter().map(|f| f.as_ref()).collect();
            let mut out = FactorFitColumns {
                floats: floats.iter_mut().map(|b| b.as_mut_slice()).collect(),
                n: &mut n,
            };
            factor_ols(&views, &y, kwargs.min_periods, &mut out).map_err(kernel_err)?;
            if let Some(spec) = robust_spec(kwargs.cov_type.as_deref(), kwargs.maxlags)? {
                robust_factor_whole(&views, &y, &spec, &mut out);
            }
        }
        into_struct(
            inputs,
            &names,
            &Selection::all(&names),
            floats,
            n,
            Vec::new(),
        )
    })
}
