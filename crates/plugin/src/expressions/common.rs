//! Shared helpers for the bindings: input validation and conversions at the polars boundary.

use std::borrow::Cow;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use polars::prelude::*;
use polars_arrow::bitmap::Bitmap;
use rayon::prelude::*;

use polars_alpha_kernels::pair_lanes::finite_byte;
use polars_alpha_kernels::KernelError;
use crate::panel::Panel;

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

/// [`finite_or_null`] with the validity `mask` built by the jobs that wrote `values`, if
/// they could build it.
pub fn finite_or_null_marked(name: &str, values: Vec<f64>, mask: Option<FiniteMask>) -> Series {
    let Some(mask) = mask else {
        return finite_or_null(name, values);
    };
    let validity = mask.finish().unwrap_or_else(|_| finite_mask(&values));
    Float64Chunked::from_vec_validity(name.into(), values, validity).into_series()
}

/// The validity byte of up to eight values: bit `i` set where `group[i]` is finite, for the
/// groups at the ends of a column or part; whole groups take [`finite_byte`].
#[inline(always)]
fn finite_bits_of_group(group: &[f64]) -> u8 {
    group
        .iter()
        .enumerate()
        .fold(0u8, |byte, (i, v)| byte | (u8::from(v.is_finite()) << i))
}

/// The validity of `values` (set where finite), or `None` when every value is finite.
/// Built a byte at a time from fixed groups of eight, which vectorizes: pushing bits one by
/// one cost a tenth of the whole rolling fit.
fn finite_mask(values: &[f64]) -> Option<Bitmap> {
    let (groups, tail) = values.as_chunks::<8>();
    let mut bytes: Vec<u8> = Vec::with_capacity(values.len().div_ceil(8));
    let mut all_finite = true;
    for group in groups {
        let byte = finite_byte(group);
        all_finite &= byte == u8::MAX;
        bytes.push(byte);
    }
    if !tail.is_empty() {
        let byte = finite_bits_of_group(tail);
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

/// The validity of an output column (set where the value is finite), built part by part by
/// the parallel jobs that write the values, while those are in cache: a separate pass over a
/// finished column reads it back from memory, a tenth of a beta-and-alpha fit.
///
/// Parts may start and end inside a byte of the bitmap; those bytes are shared with the
/// neighbouring parts and have their bits or-ed in, the others are stored whole.
pub struct FiniteMask {
    bytes: Vec<AtomicU8>,
    len: usize,
    finite: AtomicUsize,
}

impl FiniteMask {
    pub fn new(len: usize) -> Self {
        Self {
            bytes: (0..len.div_ceil(8)).map(|_| AtomicU8::new(0)).collect(),
            len,
            finite: AtomicUsize::new(0),
        }
    }

    /// Sets the bits of rows `start..start + values.len()`, each at most once over all calls.
    pub fn mark(&self, start: usize, values: &[f64]) {
        let end = start + values.len();
        // Rows before the first whole byte and after the last share their bytes.
        let whole_start = start.next_multiple_of(8).min(end);
        let whole_end = (end / 8 * 8).max(whole_start);
        let mut finite = self.or_bits(start, &values[..whole_start - start]);
        let whole = &values[whole_start - start..whole_end - start];
        for (byte, group) in self.bytes[whole_start / 8..whole_end / 8]
            .iter()
            .zip(whole.as_chunks::<8>().0)
        {
            let bits = finite_byte(group);
            finite += bits.count_ones() as usize;
            byte.store(bits, Ordering::Relaxed);
        }
        finite += self.or_bits(whole_end, &values[whole_end - start..]);
        self.finite.fetch_add(finite, Ordering::Relaxed);
    }

    /// Ors in the bits of rows `start..start + values.len()`, all within one byte; returns
    /// how many are finite.
    fn or_bits(&self, start: usize, values: &[f64]) -> usize {
        if values.is_empty() {
            return 0;
        }
        let bits = finite_bits_of_group(values) << (start % 8);
        self.bytes[start / 8].fetch_or(bits, Ordering::Relaxed);
        bits.count_ones() as usize
    }

    /// The validity, `None` when every value is finite. The bytes hold exactly `len` bits,
    /// so the bitmap builds; the error only lets the caller rebuild it from the values.
    pub fn finish(self) -> PolarsResult<Option<Bitmap>> {
        if self.finite.into_inner() == self.len {
            return Ok(None);
        }
        let bytes: Vec<u8> = self.bytes.into_iter().map(AtomicU8::into_inner).collect();
        Ok(Some(Bitmap::try_new(bytes, self.len)?))
    }
}

/// A zero-filled output column of `len` values.
///
/// The zeros are written here, in parallel, rather than asked of the allocator: a zeroed
/// allocation of this size is fresh memory whose every page the operating system clears on
/// first touch, while a plain one reuses the pages of the last call's freed columns, as
/// Polars' own outputs do. Columns the kernels write segment by segment use
/// [`OutputColumn`] instead, which also spares this pass.
pub fn output_buffer<T: Copy + Default + Send + Sync>(len: usize) -> Vec<T> {
    let mut buf: Vec<T> = Vec::with_capacity(len);
    advise_huge_pages(buf.spare_capacity_mut());
    buf.par_extend(rayon::iter::repeat_n(T::default(), len));
    buf
}

/// An output column of `len` values whose parts are zero-filled by the parallel jobs that
/// compute them, just before their kernel writes them: the column is not written twice over
/// memory (a separate parallel zero-fill, tried first, took a tenth of a full rolling fit's
/// time), and it is
/// allocated plainly so that it can reuse the pages of the last call's freed columns (a
/// zeroed allocation is fresh memory, which the operating system clears page by page).
///
/// Where the memory is fresh after all, it is marked for transparent huge pages (Linux)
/// before the first write: one page fault per 2 MiB instead of one per 4 KiB.
pub struct OutputColumn<T> {
    buf: Vec<T>,
    len: usize,
    /// Values initialized through [`OutputPart::zeroed`], over all parts.
    initialized: AtomicUsize,
}

/// A part of an [`OutputColumn`], not yet written.
pub struct OutputPart<'a, T> {
    slots: &'a mut [MaybeUninit<T>],
    initialized: &'a AtomicUsize,
}

impl<T: Copy + Default> OutputColumn<T> {
    pub fn new(len: usize) -> Self {
        let mut buf: Vec<T> = Vec::with_capacity(len);
        advise_huge_pages(buf.spare_capacity_mut());
        Self {
            buf,
            len,
            initialized: AtomicUsize::new(0),
        }
    }

    /// One part per segment of `panel`, disjoint (the panel's segments never overlap).
    /// Only the parts of the last call count towards [`OutputColumn::finish`].
    pub fn parts(&mut self, panel: &Panel) -> Vec<OutputPart<'_, T>> {
        // No part of an earlier call is alive (they borrowed `self`); forgetting their count
        // keeps it a count of disjoint values.
        *self.initialized.get_mut() = 0;
        let initialized = &self.initialized;
        let slots = &mut self.buf.spare_capacity_mut()[..self.len];
        panel
            .split(slots)
            .into_iter()
            .map(|slots| OutputPart { slots, initialized })
            .collect()
    }

    /// The column. Every value is initialized when every part was: the parts are disjoint
    /// slices of the column, so parts whose lengths add up to `len` cover it. Otherwise (a
    /// job that never ran; the callers return its error instead) the column is zero-filled.
    pub fn finish(mut self) -> Vec<T> {
        if *self.initialized.get_mut() == self.len {
            // SAFETY: by the above, the first `len` values were all written, and the
            // capacity is at least `len`.
            unsafe { self.buf.set_len(self.len) };
        } else {
            self.buf.clear();
            self.buf.resize(self.len, T::default());
        }
        self.buf
    }
}

impl<'a, T: Copy + Default> OutputPart<'a, T> {
    /// Fills the part with zeros (`T::default()`) and hands it out for the kernel to write.
    pub fn zeroed(self) -> &'a mut [T] {
        for slot in self.slots.iter_mut() {
            slot.write(T::default());
        }
        self.initialized
            .fetch_add(self.slots.len(), Ordering::Relaxed);
        // SAFETY: every value of the slice was just written, and `MaybeUninit<T>` has the
        // layout of `T`.
        unsafe { &mut *(self.slots as *mut [MaybeUninit<T>] as *mut [T]) }
    }
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

    #[test]
    fn a_mask_marked_in_parts_is_the_mask_of_the_column() {
        let values: Vec<f64> = (0..75)
            .map(|i| match i % 7 {
                2 => f64::NAN,
                5 if i > 30 => f64::NEG_INFINITY,
                _ => i as f64,
            })
            .collect();
        // Parts inside one byte, across bytes, aligned and not, and of one row.
        for cuts in [
            vec![0, 75],
            vec![0, 3, 5, 8, 16, 17, 40, 41, 64, 75],
            vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 30, 75],
            vec![0, 13, 29, 74, 75],
        ] {
            let mask = FiniteMask::new(values.len());
            // Marked in reverse, as parallel jobs may finish in any order.
            for part in cuts.windows(2).rev() {
                mask.mark(part[0], &values[part[0]..part[1]]);
            }
            let marked = finite_or_null_marked("v", values.clone(), Some(mask));
            let scanned = finite_or_null("v", values.clone());
            assert!(marked.equals_missing(&scanned), "cuts {cuts:?}");
            assert_eq!(marked.null_count(), scanned.null_count(), "cuts {cuts:?}");
            assert!(marked.null_count() > 0);
        }
        let all_finite = FiniteMask::new(10);
        all_finite.mark(0, &[1.0; 4]);
        all_finite.mark(4, &[2.0; 6]);
        assert!(all_finite.finish().unwrap().is_none());
    }

    fn three_tickers() -> Panel {
        let key = Series::new("k".into(), &["a", "a", "b", "c", "c", "c"]);
        Panel::from_key(&key).unwrap()
    }

    #[test]
    fn output_parts_are_zeroed_and_make_the_column() {
        let panel = three_tickers();
        let mut column = OutputColumn::<f64>::new(6);
        for (i, part) in column.parts(&panel).into_iter().enumerate() {
            let part = part.zeroed();
            assert!(part.iter().all(|v| *v == 0.0), "part {i} not zeroed");
            part.fill(i as f64 + 1.0);
        }
        assert_eq!(column.finish(), [1.0, 1.0, 2.0, 3.0, 3.0, 3.0]);
    }

    #[test]
    fn a_column_with_a_part_never_written_is_all_zeros() {
        let panel = three_tickers();
        let mut column = OutputColumn::<u32>::new(6);
        for (i, part) in column.parts(&panel).into_iter().enumerate() {
            if i != 1 {
                part.zeroed().fill(7);
            }
        }
        assert_eq!(column.finish(), [0; 6]);
        assert!(OutputColumn::<f64>::new(0).finish().is_empty());
        // Parts of two calls that add up to the length without covering the column.
        let mut column = OutputColumn::<u32>::new(6);
        for _ in 0..2 {
            let mut parts = column.parts(&panel).into_iter();
            parts.next().unwrap().zeroed().fill(7);
            parts.next().unwrap().zeroed().fill(7);
        }
        assert_eq!(column.finish(), [0; 6]);
    }
}
