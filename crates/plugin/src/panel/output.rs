//! Output columns the parallel jobs write segment by segment.

use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::threads::Threads;
use super::Panel;

/// A zero-filled output column of `len` values, filled by `threads`.
///
/// The zeros are written here, in parallel, rather than asked of the allocator: a zeroed
/// allocation of this size is fresh memory whose every page the operating system clears on
/// first touch, while a plain one reuses the pages of the last call's freed columns, as
/// Polars' own outputs do. Columns the kernels write segment by segment use
/// [`OutputColumn`] instead, which also spares this pass.
pub fn output_buffer<T: Copy + Default + Send + Sync>(len: usize, threads: Threads) -> Vec<T> {
    let mut buf: Vec<T> = Vec::with_capacity(len);
    advise_huge_pages(buf.spare_capacity_mut());
    threads.filled(len, T::default(), &mut buf);
    buf
}

/// An output column of `len` values whose parts are zero-filled by the parallel jobs that
/// compute them, just before their kernel writes them: the column is not written twice over
/// memory, and it is allocated plainly so that it can reuse the pages of the last call's
/// freed columns (a zeroed allocation is fresh memory, which the operating system clears
/// page by page).
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

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    fn three_tickers() -> Panel {
        let key = Series::new("k".into(), &["a", "a", "b", "c", "c", "c"]);
        Panel::from_key(&key, Threads::Pool).unwrap()
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
