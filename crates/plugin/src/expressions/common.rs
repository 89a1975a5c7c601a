//! Shared helpers for the bindings: input validation and conversions at the polars boundary.

use std::borrow::Cow;

use polars::prelude::*;
use polars_alpha_kernels::KernelError;
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
