//! Shared helpers for the bindings: input validation and conversions at the polars boundary.

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use polars::prelude::*;
use polars_alpha_kernels::KernelError;
use pyo3_polars::derive::{_parse_kwargs, _set_panic, _update_last_error, CallerContext};
use pyo3_polars::export::polars_arrow::ffi::{export_field_to_c, import_field_from_c, ArrowSchema};
use pyo3_polars::export::polars_ffi::version_0::{
    export_series, import_series_buffer, SeriesExport,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

/// For `#[serde(deserialize_with = "required")]` on an `Option` field: the Python layer
/// always sends the key (`None` when unset), so a missing key is an error, not a silent
/// `None`.
pub fn required<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    T::deserialize(d)
}

/// Turns a kernel error into a polars error that reaches Python with its message.
pub fn kernel_err(e: KernelError) -> PolarsError {
    PolarsError::ComputeError(e.to_string().into())
}

/// Checks that an input can be read as a number and names the argument if not.
pub fn check_numeric(field: &Field, argument: &str) -> PolarsResult<()> {
    let dtype = field.dtype();
    // Decimals (prices from databases) are read as Float64 like the other numeric types.
    if dtype.is_primitive_numeric() || dtype.is_decimal() || matches!(dtype, DataType::Null) {
        Ok(())
    } else {
        polars_bail!(
            InvalidOperation:
            "`{argument}` must be numeric (integer, float or decimal), got {dtype} in column '{}'; \
             cast it with `.cast(pl.Float64)` first",
            field.name()
        )
    }
}

/// Casts a numeric input to Float64, checking its dtype and that its length is `len`, the
/// length of the first argument, named `first` in the error.
pub fn to_float(
    s: &Series,
    argument: &str,
    first: &str,
    len: usize,
) -> PolarsResult<Float64Chunked> {
    check_numeric(s.field().as_ref(), argument)?;
    polars_ensure!(
        s.len() == len,
        ShapeMismatch:
        "`{argument}` has {} rows but `{first}` has {len}; all inputs must have the same length",
        s.len()
    );
    Ok(s.cast(&DataType::Float64)?.f64()?.rechunk().into_owned())
}

/// The values of a Float64 column with nulls as NaN, which the kernels skip.
pub fn values_with_nan(ca: &Float64Chunked) -> Cow<'_, [f64]> {
    if ca.null_count() == 0 {
        if let Ok(slice) = ca.cont_slice() {
            return Cow::Borrowed(slice);
        }
    }
    Cow::Owned(ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

/// Runs a binding body and turns a panic (always a bug) into an error with its message;
/// pyo3-polars would otherwise report only "PANIC".
pub fn guarded<T>(body: impl FnOnce() -> PolarsResult<T>) -> PolarsResult<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(result) => result,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(PolarsError::ComputeError(
                format!("polars-alpha internal error (please report it): {message}").into(),
            ))
        }
    }
}

/// Keyword arguments decoded on this thread, with the pickled bytes they came from.
struct DecodedKwargs {
    kind: TypeId,
    bytes: Box<[u8]>,
    value: Rc<dyn Any>,
}

/// Distinct keyword arguments kept per thread; a query rarely holds more calls than this.
const KWARGS_KEPT: usize = 16;

thread_local! {
    static DECODED_KWARGS: RefCell<Vec<DecodedKwargs>> = const { RefCell::new(Vec::new()) };
}

/// The keyword arguments pickled in `bytes`, decoded once per thread: under `.over()` Polars
/// calls a plugin once per group with the same bytes, and unpickling them costs more than
/// fitting a short series. Decoding is a function of the bytes and the type alone, so a
/// kept value is the one a fresh decode would give.
pub fn decoded_kwargs<K: DeserializeOwned + 'static>(bytes: &[u8]) -> PolarsResult<Rc<K>> {
    let kind = TypeId::of::<K>();
    let kept = DECODED_KWARGS.with_borrow(|kept| {
        kept.iter()
            .find(|d| d.kind == kind && *d.bytes == *bytes)
            .map(|d| Rc::clone(&d.value))
    });
    if let Some(value) = kept.and_then(|v| v.downcast::<K>().ok()) {
        return Ok(value);
    }
    let value: Rc<K> = Rc::new(_parse_kwargs(bytes)?);
    DECODED_KWARGS.with_borrow_mut(|kept| {
        if kept.len() == KWARGS_KEPT {
            kept.remove(0);
        }
        kept.push(DecodedKwargs {
            kind,
            bytes: bytes.into(),
            value: Rc::clone(&value) as Rc<dyn Any>,
        });
    });
    Ok(value)
}

/// The body of a plugin expression's entry point (`_polars_plugin_<name>`), as
/// `#[polars_expr]` writes it but with the keyword arguments from [`decoded_kwargs`]:
/// imports the inputs, calls `expression` and exports its series, or records its error
/// (or a panic) for Polars to read.
///
/// # Safety
/// The arguments are those Polars passes to a plugin expression (plugin ABI version 0):
/// `inputs` points to `input_len` exported series, `kwargs_ptr` to `kwargs_len` bytes,
/// `return_value` and `context` are valid.
pub unsafe fn expression_entry<K: DeserializeOwned + 'static>(
    (inputs, input_len): (*mut SeriesExport, usize),
    (kwargs_ptr, kwargs_len): (*const u8, usize),
    return_value: *mut SeriesExport,
    context: *mut CallerContext,
    expression: fn(&[Series], CallerContext, &K) -> PolarsResult<Series>,
) {
    let call = std::panic::AssertUnwindSafe(|| {
        // SAFETY: the caller's contract.
        let (inputs, context, kwargs) = unsafe {
            (
                import_series_buffer(inputs, input_len),
                *context,
                std::slice::from_raw_parts(kwargs_ptr, kwargs_len),
            )
        };
        let result = inputs.and_then(|inputs| {
            let kwargs = decoded_kwargs::<K>(kwargs)?;
            expression(&inputs, context, &kwargs)
        });
        match result {
            // SAFETY: the caller's contract.
            Ok(out) => unsafe { *return_value = export_series(&out) },
            Err(err) => _update_last_error(err),
        }
    });
    if std::panic::catch_unwind(call).is_err() {
        _set_panic();
    }
}

/// The body of a plugin expression's output field function (`_polars_plugin_field_<name>`),
/// as `#[polars_expr(output_type_func_with_kwargs = ...)]` writes it.
///
/// # Safety
/// The arguments are those Polars passes to a plugin's field function (plugin ABI version
/// 0): `fields` points to `len` schemas, `kwargs_ptr` to `kwargs_len` bytes, `return_value`
/// is valid.
pub unsafe fn field_entry<K: DeserializeOwned + 'static>(
    (fields, len): (*mut ArrowSchema, usize),
    (kwargs_ptr, kwargs_len): (*const u8, usize),
    return_value: *mut ArrowSchema,
    output: fn(&[Field], &K) -> PolarsResult<Field>,
) {
    let call = std::panic::AssertUnwindSafe(|| {
        // SAFETY: the caller's contract.
        let (fields, kwargs) = unsafe {
            (
                std::slice::from_raw_parts(fields, len),
                std::slice::from_raw_parts(kwargs_ptr, kwargs_len),
            )
        };
        let fields = fields
            .iter()
            // SAFETY: the caller's contract.
            .map(|f| unsafe { import_field_from_c(f) }.map(|f| Field::from(&f)))
            .collect::<PolarsResult<Vec<Field>>>();
        let kwargs = decoded_kwargs::<K>(kwargs).map_err(|err| {
            polars_err!(InvalidOperation: "could not parse kwargs: '{err}'\n\nCheck: registration of kwargs in the plugin.")
        });
        match fields.and_then(|fields| output(&fields, kwargs?.as_ref())) {
            // SAFETY: the caller's contract.
            Ok(out) => unsafe {
                *return_value = export_field_to_c(&out.to_arrow(CompatLevel::newest()));
            },
            Err(err) => _update_last_error(err),
        }
    });
    if std::panic::catch_unwind(call).is_err() {
        _set_panic();
    }
}
