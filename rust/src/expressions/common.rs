//! Shared helpers for the bindings: input validation and conversions at the polars boundary.

use std::borrow::Cow;

use polars::prelude::*;
use polars_arrow::bitmap::Bitmap;

use crate::kernels::KernelError;

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

/// A Float64 series whose non-finite values are null: the kernels' "cannot compute".
pub fn finite_or_null(name: &str, values: Vec<f64>) -> Series {
    let validity = finite_mask(&values);
    Float64Chunked::from_vec_validity(name.into(), values, validity).into_series()
}

/// The validity of `values` (set where finite), or `None` when every value is finite.
/// Built a byte at a time from fixed groups of eight, which vectorizes: pushing bits one by
/// one cost a tenth of the whole rolling fit.
fn finite_mask(values: &[f64]) -> Option<Bitmap> {
    let byte_of = |group: &[f64]| {
        group
            .iter()
            .enumerate()
            .fold(0u8, |byte, (i, v)| byte | (u8::from(v.is_finite()) << i))
    };
    let groups = values.chunks_exact(8);
    let tail = groups.remainder();
    let mut bytes: Vec<u8> = Vec::with_capacity(values.len().div_ceil(8));
    let mut all_finite = true;
    for group in groups {
        let byte = byte_of(group);
        all_finite &= byte == u8::MAX;
        bytes.push(byte);
    }
    if !tail.is_empty() {
        let byte = byte_of(tail);
        all_finite &= byte == u8::MAX >> (8 - tail.len());
        bytes.push(byte);
    }
    (!all_finite).then(|| {
        // The bytes hold exactly `len` bits, so `try_new` succeeds; the bit-by-bit build is
        // only a fallback that keeps the nulls if it ever did not.
        Bitmap::try_new(bytes, values.len())
            .unwrap_or_else(|_| values.iter().map(|v| v.is_finite()).collect())
    })
}

/// A zero-filled output column of `len` values. Zeroed memory of this size comes from the
/// operating system untouched, so its pages fault in when the kernels first write them; on
/// Linux the buffer is marked for transparent huge pages first, which makes that one fault
/// per 2 MiB instead of one per 4 KiB (page faults were a fifth of a rolling fit's time).
pub fn output_buffer<T: Copy + Default>(len: usize) -> Vec<T> {
    let mut buf = vec![T::default(); len];
    advise_huge_pages(&mut buf);
    buf
}

#[cfg(target_os = "linux")]
fn advise_huge_pages<T>(buf: &mut [T]) {
    const HUGE_PAGE: usize = 1 << 21;
    let start = buf.as_mut_ptr() as usize;
    let end = start + std::mem::size_of_val(buf);
    // Only whole huge pages inside the buffer: advice never reaches memory it does not own.
    let (first, last) = (
        start.next_multiple_of(HUGE_PAGE),
        end / HUGE_PAGE * HUGE_PAGE,
    );
    if last > first {
        // SAFETY: `first..last` lies inside `buf`, which this function borrows mutably;
        // MADV_HUGEPAGE changes only how the range is backed, never its contents. The
        // advice is a hint, so its result is not needed.
        unsafe {
            libc::madvise(
                first as *mut libc::c_void,
                last - first,
                libc::MADV_HUGEPAGE,
            );
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages<T>(_buf: &mut [T]) {}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_values_become_null() {
        for len in [0, 1, 7, 8, 9, 17, 64, 65] {
            let values: Vec<f64> = (0..len)
                .map(|i| match i % 5 {
                    1 => f64::NAN,
                    3 if i > 10 => f64::INFINITY,
                    _ => i as f64,
                })
                .collect();
            let s = finite_or_null("v", values.clone());
            let ca = s.f64().unwrap();
            for (i, v) in values.iter().enumerate() {
                assert_eq!(ca.get(i), v.is_finite().then_some(*v), "len {len} row {i}");
            }
            assert_eq!(
                ca.null_count(),
                values.iter().filter(|v| !v.is_finite()).count()
            );
        }
        let all = finite_or_null("v", vec![1.0, 2.0, 3.0]);
        assert!(all
            .f64()
            .unwrap()
            .downcast_iter()
            .all(|a| a.validity().is_none()));
    }
}
