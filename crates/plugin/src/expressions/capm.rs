//! Bindings of the single-index (CAPM) regressions: `rolling_alpha_beta` with its
//! single-field forms `rolling_alpha` and `rolling_beta`, the exponentially weighted
//! `ewm_alpha_beta`, and the whole-sample `alpha_beta`. They share input handling, panels
//! and the output struct, whose fields are [`FIT_FIELDS`].

use std::borrow::Cow;

use polars::prelude::*;
use polars_alpha_kernels::ewm_ols::{rolling_ewm_ols, rolling_ewm_ols_pair, EwmSpec};
use polars_alpha_kernels::moments::PairMoments;
use polars_alpha_kernels::robust_cov::{robust_simple_fit, robust_simple_whole, RobustSpec};
use polars_alpha_kernels::rolling_ols::{
    fit_from_moments, rolling_simple_ols_reading_next, ReadNext,
};
use polars_alpha_kernels::simple_fit::{endpoints, SimpleFitColumns, ENDPOINT_FIELDS, FIT_FIELDS};
use polars_alpha_kernels::KernelError;
use polars_arrow::array::{PrimitiveArray, StructArray};
use pyo3_polars::derive::{polars_expr, CallerContext};
use pyo3_polars::export::polars_arrow::ffi::ArrowSchema;
use pyo3_polars::export::polars_ffi::version_0::SeriesExport;
use serde::Deserialize;

use super::common::{expression_entry, field_entry, guarded, kernel_err, required};
use super::inputs::{window_spec, InputLayout, SegmentWindow};
use crate::panel::{
    finite_array, finite_or_null_marked, write_parts, write_segment_parts, FiniteMask,
    OutputColumn, OutputPart, Panel, Threads, PARALLEL_MIN_ROWS,
};

/// The float fields of the struct, in output order (`n` follows them).
const FLOAT_FIELDS: usize = 8;

/// Keyword arguments of `rolling_alpha_beta`, sent by `polars_alpha._plugin`. The Python
/// layer validates them first; they are checked again here so that no value reaches a
/// kernel unchecked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollingAlphaBetaKwargs {
    pub inputs: InputLayout,
    /// Rows in the window; `None` for an expanding or a date window.
    #[serde(deserialize_with = "required")]
    pub window: Option<usize>,
    /// `None` only for a date window, whose default comes from the data.
    #[serde(deserialize_with = "required")]
    pub min_periods: Option<usize>,
    /// A per-period risk-free rate given as a number.
    #[serde(deserialize_with = "required")]
    pub risk_free: Option<f64>,
    /// The fields to compute and return (all when `None`).
    #[serde(deserialize_with = "required")]
    pub fields: Option<Vec<String>>,
    /// The covariance of the standard errors and t-values: `"nonrobust"` (absent) or a
    /// robust one (see `polars_alpha_kernels::robust_cov`), with HAC's `maxlags`.
    #[serde(default)]
    pub cov_type: Option<String>,
    #[serde(default)]
    pub maxlags: Option<usize>,
}

/// Keyword arguments of `rolling_alpha` and `rolling_beta`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollingFieldKwargs {
    pub inputs: InputLayout,
    #[serde(deserialize_with = "required")]
    pub window: Option<usize>,
    #[serde(deserialize_with = "required")]
    pub min_periods: Option<usize>,
    #[serde(deserialize_with = "required")]
    pub risk_free: Option<f64>,
}

/// Keyword arguments of `ewm_alpha_beta`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EwmAlphaBetaKwargs {
    pub inputs: InputLayout,
    /// Rows in the window; `None` for all history.
    #[serde(deserialize_with = "required")]
    pub window: Option<usize>,
    pub min_periods: usize,
    #[serde(deserialize_with = "required")]
    pub risk_free: Option<f64>,
    /// Half-life of the weights in rows.
    pub half_life: f64,
    /// Fit through the origin (RiskMetrics' convention).
    pub zero_mean: bool,
    #[serde(deserialize_with = "required")]
    pub fields: Option<Vec<String>>,
}

/// Keyword arguments of `alpha_beta`, one fit over all rows of a group.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlphaBetaKwargs {
    pub inputs: InputLayout,
    pub min_periods: usize,
    #[serde(deserialize_with = "required")]
    pub risk_free: Option<f64>,
    #[serde(deserialize_with = "required")]
    pub fields: Option<Vec<String>>,
    /// The covariance of the standard errors and t-values: `"nonrobust"` (absent) or a
    /// robust one (see `polars_alpha_kernels::robust_cov`), with HAC's `maxlags`.
    #[serde(default)]
    pub cov_type: Option<String>,
    #[serde(default)]
    pub maxlags: Option<usize>,
}

/// The fields a call asked for: the float fields (in [`FIT_FIELDS`] order), `n`, and the
/// [`ENDPOINT_FIELDS`] that only the rolling fit returns, and only when named.
#[derive(Debug, Clone, Copy)]
struct Selection {
    floats: [bool; FLOAT_FIELDS],
    n: bool,
    endpoints: [bool; 2],
}

/// The [`Selection`] of `fields` (every [`FIT_FIELDS`] field when `None`); `endpoints` says
/// whether this expression returns the [`ENDPOINT_FIELDS`].
fn selection(fields: Option<&[String]>, endpoints: bool) -> PolarsResult<Selection> {
    let Some(names) = fields else {
        return Ok(Selection {
            floats: [true; FLOAT_FIELDS],
            n: true,
            endpoints: [false; 2],
        });
    };
    let mut picked = Selection {
        floats: [false; FLOAT_FIELDS],
        n: false,
        endpoints: [false; 2],
    };
    for name in names {
        if let Some(i) = ENDPOINT_FIELDS.iter().position(|f| f == name) {
            polars_ensure!(
                endpoints,
                InvalidOperation: "field {name:?} is returned by rolling_alpha_beta and rolling_factor_regression only"
            );
            picked.endpoints[i] = true;
            continue;
        }
        match FIT_FIELDS.iter().position(|f| f == name) {
            Some(FLOAT_FIELDS) => picked.n = true,
            Some(i) => picked.floats[i] = true,
            None => polars_bail!(
                InvalidOperation: "unknown field {name:?} in `fields`; choose from {}",
                FIT_FIELDS.join(", ")
            ),
        }
    }
    polars_ensure!(
        picked.floats.iter().chain(&picked.endpoints).any(|&w| w) || picked.n,
        InvalidOperation: "`fields` is empty; name at least one field, e.g. [\"alpha\", \"beta\"]"
    );
    Ok(picked)
}

/// Which float fields (in [`FIT_FIELDS`] order) and whether `n` are requested, for the fits
/// without endpoint fields.
fn wanted(fields: Option<&[String]>) -> PolarsResult<([bool; FLOAT_FIELDS], bool)> {
    let picked = selection(fields, false)?;
    Ok((picked.floats, picked.n))
}

fn struct_dtype(picked: Selection) -> DataType {
    let mut fields: Vec<Field> = FIT_FIELDS
        .iter()
        .zip(picked.floats)
        .filter(|(_, w)| *w)
        .map(|(name, _)| Field::new((*name).into(), DataType::Float64))
        .collect();
    if picked.n {
        fields.push(Field::new(
            FIT_FIELDS[FLOAT_FIELDS].into(),
            DataType::UInt32,
        ));
    }
    for (name, _) in ENDPOINT_FIELDS
        .iter()
        .zip(picked.endpoints)
        .filter(|(_, w)| *w)
    {
        fields.push(Field::new((*name).into(), DataType::Float64));
    }
    DataType::Struct(fields)
}

fn struct_field(
    fields: &[Field],
    layout: &InputLayout,
    requested: Option<&[String]>,
    endpoints: bool,
) -> PolarsResult<Field> {
    layout.check_fields(fields)?;
    Ok(Field::new(
        fields[0].name().clone(),
        struct_dtype(selection(requested, endpoints)?),
    ))
}

fn rolling_struct_output(fields: &[Field], kwargs: &RollingAlphaBetaKwargs) -> PolarsResult<Field> {
    struct_field(fields, &kwargs.inputs, kwargs.fields.as_deref(), true)
}

fn ewm_struct_output(fields: &[Field], kwargs: EwmAlphaBetaKwargs) -> PolarsResult<Field> {
    struct_field(fields, &kwargs.inputs, kwargs.fields.as_deref(), false)
}

fn whole_sample_struct_output(fields: &[Field], kwargs: AlphaBetaKwargs) -> PolarsResult<Field> {
    struct_field(fields, &kwargs.inputs, kwargs.fields.as_deref(), false)
}

fn field_output(fields: &[Field], kwargs: RollingFieldKwargs) -> PolarsResult<Field> {
    kwargs.inputs.check_fields(fields)?;
    Ok(Field::new(fields[0].name().clone(), DataType::Float64))
}

/// Excess returns `(y, x)` = `(asset - rf, market - rf)` with nulls as NaN, borrowed from
/// the inputs when there is no rate to subtract.
pub(crate) fn excess_pair<'a>(
    inputs: &'a [Series],
    layout: &InputLayout,
    risk_free: Option<f64>,
    columns: &'a mut Vec<Float64Chunked>,
) -> PolarsResult<[Cow<'a, [f64]>; 2]> {
    layout.check_inputs(inputs)?;
    polars_ensure!(
        layout.values.len() == 2,
        ComputeError: "expected two value inputs, got {}", layout.values.len()
    );
    let (y, mut regressors) =
        layout.excess_returns(inputs, columns, risk_free.unwrap_or(0.0), true)?;
    let x = regressors.pop().unwrap_or_default();
    Ok([y, x])
}

/// What a rolling call computes.
struct RollingCall<'a> {
    layout: &'a InputLayout,
    window: Option<usize>,
    min_periods: Option<usize>,
    risk_free: Option<f64>,
    wanted: [bool; FLOAT_FIELDS],
    want_n: bool,
}

/// The requested fields of the rolling fit, in the original row order, each with the
/// validity the jobs built if they could (see [`FiniteMask`]).
struct RollingResult {
    floats: Vec<Option<(Vec<f64>, Option<FiniteMask>)>>,
    n: Option<Vec<u32>>,
    /// The [`ENDPOINT_FIELDS`] asked for, in that order, after `n` in the struct.
    endpoints: Vec<(&'static str, Vec<f64>)>,
}

/// A kernel that fits one segment: `kernel(x, y, window, next, columns)`.
type SegmentKernel<'a> = dyn Fn(
        &[f64],
        &[f64],
        &SegmentWindow,
        ReadNext<'_>,
        &mut SimpleFitColumns<'_>,
    ) -> Result<(), KernelError>
    + Sync
    + 'a;

/// A kernel that fits two segments side by side, writing what two calls of the one-segment
/// kernel would.
type PairKernel<'a> = dyn Fn([&[f64]; 2], [&[f64]; 2], [&mut SimpleFitColumns<'_>; 2]) -> Result<(), KernelError>
    + Sync
    + 'a;

/// The output parts of one segment: the float fields', then `n`'s.
type SegmentParts<'a> = (
    [Option<OutputPart<'a, f64>>; FLOAT_FIELDS],
    Option<OutputPart<'a, u32>>,
);

/// Runs `kernel(x, y, window, next, columns)` on every segment of the panel, on `threads`,
/// or `pair` on two neighbouring segments of one length at a time when given (for kernels
/// that take no date window). `next` holds the rows of the segment after the job's, which
/// the same thread usually fits next: a kernel may fetch them into the cache as it works.
fn run_rolling(
    inputs: &[Series],
    call: RollingCall<'_>,
    threads: Threads,
    kernel: &SegmentKernel<'_>,
    pair: Option<&PairKernel<'_>>,
) -> PolarsResult<RollingResult> {
    let mut columns = Vec::new();
    let [y, x] = excess_pair(inputs, call.layout, call.risk_free, &mut columns)?;
    let len = y.len();
    let (panel, times) = call.layout.panel_and_times(inputs, threads)?;
    let spec = window_spec(call.window, call.min_periods, call.layout)?;
    let (x, y) = (panel.gather(&x), panel.gather(&y));
    if let [range] = panel.segments() {
        if len < PARALLEL_MIN_ROWS {
            let window = SegmentWindow::for_segment(spec, call.min_periods, times.as_ref(), 0..len)
                .map_err(kernel_err)?;
            return one_segment(&panel, range.clone(), &x, &y, &window, &call, kernel);
        }
    }

    // Zeroed, not NaN-filled: both kernels write every row.
    let mut floats: Vec<Option<OutputColumn<f64>>> = call
        .wanted
        .iter()
        .map(|&w| w.then(|| OutputColumn::new(len)))
        .collect();
    let mut n = call.want_n.then(|| OutputColumn::new(len));
    // The jobs build the validity of the rows they wrote, unless the rows move afterwards.
    let masks: Vec<Option<FiniteMask>> = call
        .wanted
        .iter()
        .map(|&w| (w && panel.keeps_row_order()).then(|| FiniteMask::new(len)))
        .collect();
    {
        let mut float_parts: Vec<Option<std::vec::IntoIter<OutputPart<'_, f64>>>> = floats
            .iter_mut()
            .zip(&masks)
            .map(|(column, mask)| {
                column
                    .as_mut()
                    .map(|c| c.marked_parts(&panel, mask.as_ref()).into_iter())
            })
            .collect();
        let mut n_parts = n.as_mut().map(|c| c.parts(&panel).into_iter());
        let mut next_parts = || -> SegmentParts<'_> {
            (
                std::array::from_fn(|i| float_parts[i].as_mut().and_then(|it| it.next())),
                n_parts.as_mut().and_then(|it| it.next()),
            )
        };
        let mut jobs = Vec::with_capacity(panel.segments().len());
        let mut segments = panel.segments().iter().peekable();
        while let Some(range) = segments.next() {
            let first = (range.clone(), next_parts());
            let partner = segments.next_if(|next| pair.is_some() && next.len() == range.len());
            let second = partner.map(|next| (next.clone(), next_parts()));
            let after = segments.peek().map_or(0..0, |next| (*next).clone());
            jobs.push((first, second, after));
        }
        panel
            .threads()
            .try_for_each(jobs, |((range, (parts, n_part)), second, after)| {
                if let (Some(pair), Some((range1, (parts1, n_part1)))) = (pair, second) {
                    return write_segment_parts(
                        [parts, parts1],
                        [n_part, n_part1],
                        |[floats, floats1], [n, n1]| {
                            let mut out = SimpleFitColumns::from_fields(floats, n);
                            let mut out1 = SimpleFitColumns::from_fields(floats1, n1);
                            pair(
                                [&x[range.clone()], &x[range1.clone()]],
                                [&y[range.clone()], &y[range1.clone()]],
                                [&mut out, &mut out1],
                            )
                        },
                    );
                }
                write_parts(parts, n_part, |floats, n| {
                    let mut columns = SimpleFitColumns::from_fields(floats, n);
                    let window = SegmentWindow::for_segment(
                        spec,
                        call.min_periods,
                        times.as_ref(),
                        range.clone(),
                    )?;
                    let next = ReadNext {
                        x: &x[after.clone()],
                        y: &y[after],
                    };
                    kernel(
                        &x[range.clone()],
                        &y[range.clone()],
                        &window,
                        next,
                        &mut columns,
                    )
                })
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
        endpoints: Vec::new(),
    })
}

/// [`run_rolling`] on a panel of one short segment, such as each call under `.over()` makes:
/// plain columns, which the kernel writes in one go, and no parts, jobs or masks, which cost
/// more than the fit of a short series. The validity comes from one pass over each column.
fn one_segment(
    panel: &Panel,
    range: std::ops::Range<usize>,
    x: &[f64],
    y: &[f64],
    window: &SegmentWindow,
    call: &RollingCall<'_>,
    kernel: &SegmentKernel<'_>,
) -> PolarsResult<RollingResult> {
    let len = range.len();
    // Zeroed, not NaN-filled: both kernels write every row.
    let mut floats: [Option<Vec<f64>>; FLOAT_FIELDS] =
        call.wanted.map(|w| w.then(|| vec![0.0; len]));
    let mut n = call.want_n.then(|| vec![0u32; len]);
    {
        let mut columns = SimpleFitColumns::from_fields(
            floats.each_mut().map(Option::as_deref_mut),
            n.as_deref_mut(),
        );
        kernel(
            &x[range.clone()],
            &y[range],
            window,
            ReadNext::default(),
            &mut columns,
        )
        .map_err(kernel_err)?;
    }
    Ok(RollingResult {
        floats: floats
            .into_iter()
            .map(|column| column.map(|c| (panel.scatter(c), None)))
            .collect(),
        n: n.map(|c| panel.scatter(c)),
        endpoints: Vec::new(),
    })
}

/// The computed fields as a struct named after the first input; fields not requested are
/// absent.
fn into_struct(
    inputs: &[Series],
    len: usize,
    result: RollingResult,
    threads: Threads,
) -> PolarsResult<Series> {
    let mut fields = Vec::new();
    let mut floats = Vec::new();
    for (name, values) in FIT_FIELDS.iter().zip(result.floats) {
        if let Some(values) = values {
            fields.push(Field::new((*name).into(), DataType::Float64));
            floats.push(values);
        }
    }
    // A validity pass for the fields the jobs could not mark, side by side.
    let mut arrays: Vec<ArrayRef> =
        threads.map(floats, |(values, mask)| finite_array(values, mask).boxed());
    if let Some(n) = result.n {
        arrays.push(PrimitiveArray::from_vec(n).boxed());
        fields.push(Field::new(
            FIT_FIELDS[FLOAT_FIELDS].into(),
            DataType::UInt32,
        ));
    }
    for (field, values) in result.endpoints {
        arrays.push(finite_array(values, None).boxed());
        fields.push(Field::new(field.into(), DataType::Float64));
    }
    // Built as one struct array rather than from a series per field: under `.over()` this
    // runs once per group, and the series would only be taken apart again.
    let dtype = DataType::Struct(fields);
    let array = StructArray::new(dtype.to_arrow(CompatLevel::newest()), len, arrays, None);
    // SAFETY: the array is the struct of `dtype`: its fields' arrays are Float64 and UInt32
    // arrays of `len` values, in the order of the dtype's fields.
    let ca = unsafe {
        StructChunked::from_chunks_and_dtype(inputs[0].name().clone(), vec![array.boxed()], dtype)
    };
    Ok(ca.into_series())
}

/// The entry point of `rolling_alpha_beta`, written out rather than by `#[polars_expr]` so
/// that the keyword arguments are decoded once per thread, not once per group under
/// `.over()` (see [`super::common::decoded_kwargs`]).
///
/// # Safety
/// Called by Polars with the plugin ABI (version 0), as [`expression_entry`] requires.
#[no_mangle]
pub unsafe extern "C" fn _polars_plugin_rolling_alpha_beta(
    inputs: *mut SeriesExport,
    input_len: usize,
    kwargs_ptr: *const u8,
    kwargs_len: usize,
    return_value: *mut SeriesExport,
    context: *mut CallerContext,
) {
    // SAFETY: the caller's contract.
    unsafe {
        expression_entry(
            (inputs, input_len),
            (kwargs_ptr, kwargs_len),
            return_value,
            context,
            rolling_alpha_beta,
        );
    }
}

/// The output field of `rolling_alpha_beta`.
///
/// # Safety
/// Called by Polars with the plugin ABI (version 0), as [`field_entry`] requires.
#[no_mangle]
pub unsafe extern "C" fn _polars_plugin_field_rolling_alpha_beta(
    fields: *mut ArrowSchema,
    len: usize,
    return_value: *mut ArrowSchema,
    kwargs_ptr: *const u8,
    kwargs_len: usize,
) {
    // SAFETY: the caller's contract.
    unsafe {
        field_entry(
            (fields, len),
            (kwargs_ptr, kwargs_len),
            return_value,
            rolling_struct_output,
        );
    }
}

fn rolling_alpha_beta(
    inputs: &[Series],
    context: CallerContext,
    kwargs: &RollingAlphaBetaKwargs,
) -> PolarsResult<Series> {
    guarded(|| {
        let threads = Threads::of(&context, inputs[0].len());
        let picked = selection(kwargs.fields.as_deref(), true)?;
        let with_endpoints = picked.endpoints.contains(&true);
        // The endpoints need each window's alpha and beta, asked for or not.
        let mut wanted = picked.floats;
        wanted[0] |= with_endpoints;
        wanted[1] |= with_endpoints;
        let call = RollingCall {
            layout: &kwargs.inputs,
            window: kwargs.window,
            min_periods: kwargs.min_periods,
            risk_free: kwargs.risk_free,
            wanted,
            want_n: picked.n,
        };
        let robust = robust_spec(kwargs.cov_type.as_deref(), kwargs.maxlags)?;
        let mut result = run_rolling(
            inputs,
            call,
            threads,
            &|x, y, window, next, out| match &robust {
                Some(spec) => robust_simple_fit(x, y, window, spec, out),
                None => rolling_simple_ols_reading_next(x, y, window, out, next),
            },
            None,
        )?;
        if with_endpoints {
            result = with_endpoint_fields(inputs, kwargs, picked, result)?;
        }
        into_struct(inputs, inputs[0].len(), result, threads)
    })
}

/// `result` with the [`ENDPOINT_FIELDS`] `picked` asks for, from its alpha and beta (which
/// leave the struct unless asked for too) and the excess returns of each row.
fn with_endpoint_fields(
    inputs: &[Series],
    kwargs: &RollingAlphaBetaKwargs,
    picked: Selection,
    mut result: RollingResult,
) -> PolarsResult<RollingResult> {
    let mut columns = Vec::new();
    let [y, x] = excess_pair(inputs, &kwargs.inputs, kwargs.risk_free, &mut columns)?;
    let fit = |i: usize| result.floats[i].as_ref().map(|(v, _)| v.as_slice());
    let (Some(alpha), Some(beta)) = (fit(0), fit(1)) else {
        polars_bail!(ComputeError: "the fit returned no alpha or beta for its endpoints")
    };
    let [mut fitted, mut resid] = picked.endpoints.map(|w| w.then(|| vec![0.0; x.len()]));
    endpoints(
        &x,
        &y,
        alpha,
        beta,
        fitted.as_deref_mut(),
        resid.as_deref_mut(),
    )
    .map_err(kernel_err)?;
    result.endpoints = ENDPOINT_FIELDS
        .into_iter()
        .zip([fitted, resid])
        .filter_map(|(name, values)| values.map(|v| (name, v)))
        .collect();
    for (i, asked) in picked.floats[..2].iter().enumerate() {
        if !asked {
            result.floats[i] = None;
        }
    }
    Ok(result)
}

/// The robust covariance asked for, `None` for the ordinary one.
pub(crate) fn robust_spec(
    cov_type: Option<&str>,
    maxlags: Option<usize>,
) -> PolarsResult<Option<RobustSpec>> {
    RobustSpec::parse(cov_type.unwrap_or("nonrobust"), maxlags)
        .map_err(|message| polars_err!(InvalidOperation: "{message}"))
}

#[polars_expr(output_type_func_with_kwargs=ewm_struct_output)]
fn ewm_alpha_beta(
    inputs: &[Series],
    context: CallerContext,
    kwargs: EwmAlphaBetaKwargs,
) -> PolarsResult<Series> {
    guarded(|| {
        let threads = Threads::of(&context, inputs[0].len());
        polars_ensure!(
            !kwargs.inputs.date_window,
            InvalidOperation: "exponentially weighted fits take a row `window`, not a date window"
        );
        let spec = EwmSpec::new(
            window_spec(kwargs.window, Some(kwargs.min_periods), &kwargs.inputs)?,
            kwargs.half_life,
            kwargs.zero_mean,
        )
        .map_err(kernel_err)?;
        let (wanted, want_n) = wanted(kwargs.fields.as_deref())?;
        let call = RollingCall {
            layout: &kwargs.inputs,
            window: kwargs.window,
            min_periods: Some(kwargs.min_periods),
            risk_free: kwargs.risk_free,
            wanted,
            want_n,
        };
        let result = run_rolling(
            inputs,
            call,
            threads,
            &|x, y, _, _, out| rolling_ewm_ols(x, y, &spec, out),
            Some(&|x, y, [out, out1]| rolling_ewm_ols_pair(x, y, &spec, [out, out1])),
        )?;
        into_struct(inputs, inputs[0].len(), result, threads)
    })
}

/// One field of the rolling fit, `FIT_FIELDS[index]`, as a Float64 column.
fn single_field(
    inputs: &[Series],
    context: CallerContext,
    kwargs: &RollingFieldKwargs,
    index: usize,
) -> PolarsResult<Series> {
    let mut wanted = [false; FLOAT_FIELDS];
    wanted[index] = true;
    let call = RollingCall {
        layout: &kwargs.inputs,
        window: kwargs.window,
        min_periods: kwargs.min_periods,
        risk_free: kwargs.risk_free,
        wanted,
        want_n: false,
    };
    let mut result = run_rolling(
        inputs,
        call,
        Threads::of(&context, inputs[0].len()),
        &|x, y, window, next, out| rolling_simple_ols_reading_next(x, y, window, out, next),
        None,
    )?;
    let (values, mask) = result.floats[index].take().unwrap_or_default();
    Ok(finite_or_null_marked(inputs[0].name(), values, mask))
}

#[polars_expr(output_type_func_with_kwargs=field_output)]
fn rolling_alpha(
    inputs: &[Series],
    context: CallerContext,
    kwargs: RollingFieldKwargs,
) -> PolarsResult<Series> {
    guarded(|| single_field(inputs, context, &kwargs, 0))
}

#[polars_expr(output_type_func_with_kwargs=field_output)]
fn rolling_beta(
    inputs: &[Series],
    context: CallerContext,
    kwargs: RollingFieldKwargs,
) -> PolarsResult<Series> {
    guarded(|| single_field(inputs, context, &kwargs, 1))
}

/// One fit over all rows of the input (a group, under `group_by().agg()`).
#[polars_expr(output_type_func_with_kwargs=whole_sample_struct_output)]
fn alpha_beta(inputs: &[Series], kwargs: AlphaBetaKwargs) -> PolarsResult<Series> {
    guarded(|| {
        polars_ensure!(
            !kwargs.inputs.by,
            InvalidOperation: "alpha_beta takes no `by`; use group_by(key).agg(alpha_beta(...))"
        );
        polars_ensure!(
            !kwargs.inputs.date_window && !kwargs.inputs.order_by,
            InvalidOperation: "alpha_beta takes no date window; use group_by_dynamic for periods"
        );
        let (wanted, want_n) = wanted(kwargs.fields.as_deref())?;
        let mut columns = Vec::new();
        let [y, x] = excess_pair(inputs, &kwargs.inputs, kwargs.risk_free, &mut columns)?;
        let moments = PairMoments::from_rows(&x, &y);
        let mut fit = fit_from_moments(&moments, &x, &y, kwargs.min_periods, true);
        if let Some(spec) = robust_spec(kwargs.cov_type.as_deref(), kwargs.maxlags)? {
            robust_simple_whole(&x, &y, &spec, &mut fit);
        }
        let result = RollingResult {
            floats: fit
                .values()
                .iter()
                .zip(wanted)
                .map(|(v, w)| w.then(|| (vec![*v], None)))
                .collect(),
            n: want_n.then(|| vec![u32::try_from(fit.n).unwrap_or(u32::MAX)]),
            endpoints: Vec::new(),
        };
        into_struct(inputs, 1, result, Threads::Caller)
    })
}
