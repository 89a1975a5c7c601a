//! Asking for rows before a loop reads them.
//!
//! A pass that reads a column from memory for the first time waits on memory, not on
//! arithmetic: one core has only so many cache lines in flight, and the hardware prefetchers
//! stop at page boundaries. A software prefetch names the lines early, so that they arrive
//! while the core does something else, such as another series' fit.
//! It is a hint: it never faults and never changes a result, and it does nothing on targets
//! other than x86-64.

/// Bytes in a cache line.
const LINE: usize = 64;

/// Which cache a [`prefetch`] fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cache {
    /// The first level, for rows the loop reads within a few hundred rows.
    Near,
    /// The second level, for rows read after the current piece of work: they would only evict
    /// the first level's working set.
    Outer,
}

/// Asks for every cache line of `values` to be fetched into `cache`, without waiting for it.
#[inline]
pub fn prefetch<T>(values: &[T], cache: Cache) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0, _MM_HINT_T1};
        let bytes = std::mem::size_of_val(values);
        if bytes == 0 {
            return;
        }
        let first = values.as_ptr().cast::<i8>();
        // Every line from the first byte's to the last byte's: the slice need not start on a
        // line.
        let lines = (first as usize % LINE + bytes).div_ceil(LINE);
        for line in 0..lines {
            let at = first.wrapping_add(line * LINE);
            // SAFETY: a prefetch reads nothing into the program and never faults, whatever
            // the address; these are lines of `values`.
            unsafe {
                match cache {
                    Cache::Near => _mm_prefetch::<_MM_HINT_T0>(at),
                    Cache::Outer => _mm_prefetch::<_MM_HINT_T1>(at),
                }
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (values, cache);
}

/// The part `of` rows `rows` that exists: empty past the end.
#[inline]
pub fn rows_of<T>(of: &[T], rows: std::ops::Range<usize>) -> &[T] {
    let end = rows.end.min(of.len());
    &of[rows.start.min(end)..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefetch_takes_any_slice() {
        let values: Vec<f64> = (0..1000).map(f64::from).collect();
        for cache in [Cache::Near, Cache::Outer] {
            prefetch(&values, cache);
            prefetch(&values[3..517], cache);
            prefetch(&values[..0], cache);
            prefetch::<u8>(&[], cache);
        }
        // A hint changes nothing.
        assert_eq!(values, (0..1000).map(f64::from).collect::<Vec<_>>());
    }

    #[test]
    fn rows_of_clamps_to_the_slice() {
        let values = [1, 2, 3, 4, 5];
        assert_eq!(rows_of(&values, 1..3), &[2, 3]);
        assert_eq!(rows_of(&values, 3..9), &[4, 5]);
        assert_eq!(rows_of(&values, 7..9), &[] as &[i32]);
        assert_eq!(rows_of(&values, 0..5), &values);
    }
}
