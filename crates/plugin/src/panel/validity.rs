//! Validity masks of output columns: a value the kernels could not compute is NaN, and
//! the column handed back to Polars has it as null.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use polars::prelude::*;
use polars_alpha_kernels::pair_lanes::finite_bytes;
use polars_arrow::array::PrimitiveArray;
use polars_arrow::bitmap::Bitmap;
use polars_arrow::datatypes::ArrowDataType;

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

/// The Float64 array of [`finite_or_null_marked`], without a series around it: the fields
/// of a struct built as arrays.
pub fn finite_array(values: Vec<f64>, mask: Option<FiniteMask>) -> PrimitiveArray<f64> {
    let validity = match mask {
        Some(mask) => mask.finish().unwrap_or_else(|_| finite_mask(&values)),
        None => finite_mask(&values),
    };
    PrimitiveArray::new(ArrowDataType::Float64, values.into(), validity)
}

/// The validity byte of up to eight values: bit `i` set where `group[i]` is finite, for the
/// groups at the ends of a column or part; whole groups take [`finite_bytes`].
#[inline(always)]
fn finite_bits_of_group(group: &[f64]) -> u8 {
    group
        .iter()
        .enumerate()
        .fold(0u8, |byte, (i, v)| byte | (u8::from(v.is_finite()) << i))
}

/// The validity of `values` (set where finite), or `None` when every value is finite.
/// Built a byte at a time from fixed groups of eight, which vectorizes, rather than bit by
/// bit.
fn finite_mask(values: &[f64]) -> Option<Bitmap> {
    let (groups, tail) = values.as_chunks::<8>();
    let mut bytes: Vec<u8> = Vec::with_capacity(values.len().div_ceil(8));
    let finite = finite_bytes(groups, |_, byte| bytes.push(byte));
    let mut all_finite = finite == groups.len() * 8;
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
/// finished column would read it back from memory.
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
        let finite = self.set_bits(start, values);
        self.add_finite(finite);
    }

    /// [`FiniteMask::mark`] without counting the finite values, which it returns: the caller
    /// adds them with [`FiniteMask::add_finite`], once for many calls (an atomic add on the
    /// count shared by all threads also waits for the thread's streamed stores).
    pub fn set_bits(&self, start: usize, values: &[f64]) -> usize {
        let end = start + values.len();
        // Rows before the first whole byte and after the last share their bytes.
        let whole_start = start.next_multiple_of(8).min(end);
        let whole_end = (end / 8 * 8).max(whole_start);
        let mut finite = self.or_bits(start, &values[..whole_start - start]);
        let whole = &values[whole_start - start..whole_end - start];
        let bytes = &self.bytes[whole_start / 8..whole_end / 8];
        finite += finite_bytes(whole.as_chunks::<8>().0, |i, bits| {
            bytes[i].store(bits, Ordering::Relaxed);
        });
        finite + self.or_bits(whole_end, &values[whole_end - start..])
    }

    /// Counts `finite` more finite values, set by [`FiniteMask::set_bits`].
    pub fn add_finite(&self, finite: usize) {
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
    fn finite_array_is_the_array_of_finite_or_null() {
        for values in [
            (0..21)
                .map(|i| if i % 4 == 1 { f64::NAN } else { i as f64 })
                .collect::<Vec<f64>>(),
            vec![1.0, 2.0, 3.0],
        ] {
            let series = finite_or_null("v", values.clone());
            let expected = series
                .f64()
                .unwrap()
                .downcast_iter()
                .next()
                .unwrap()
                .clone();
            assert_eq!(finite_array(values.clone(), None), expected);
            let mask = FiniteMask::new(values.len());
            mask.mark(0, &values[..2]);
            mask.mark(2, &values[2..]);
            let marked = finite_array(values, Some(mask));
            assert_eq!(marked, expected);
            assert_eq!(marked.validity(), expected.validity());
        }
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
}
