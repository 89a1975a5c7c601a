//! Output columns the parallel jobs write segment by segment.

use std::cell::RefCell;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::threads::Threads;
use super::validity::FiniteMask;
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

/// An output column of `len` values whose parts are written by the parallel jobs that
/// compute them: copied once from the job's scratch ([`OutputPart::stream_from`]), or
/// zero-filled just before their kernel writes them in place ([`OutputPart::zeroed`]). The
/// column is allocated plainly so that it can reuse the pages of the last call's freed columns
/// (a zeroed allocation is fresh memory, which the operating system clears page by page).
///
/// Where the memory is fresh after all, it is marked for transparent huge pages (Linux,
/// unless [`HUGE_PAGES_VAR`] says no) before the first write: one page fault per 2 MiB
/// instead of one per 4 KiB.
pub struct OutputColumn<T> {
    buf: Vec<T>,
    len: usize,
    /// Values initialized through [`OutputPart::zeroed`] or [`OutputPart::stream_from`], over
    /// all parts.
    initialized: AtomicUsize,
}

/// A part of an [`OutputColumn`], not yet written.
pub struct OutputPart<'a, T> {
    slots: &'a mut [MaybeUninit<T>],
    initialized: &'a AtomicUsize,
    /// The validity the part's values are marked in as they are written, and the part's
    /// first row in it ([`OutputColumn::marked_parts`]).
    mask: Option<(&'a FiniteMask, usize)>,
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
            .map(|slots| OutputPart {
                slots,
                initialized,
                mask: None,
            })
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

impl OutputColumn<f64> {
    /// [`OutputColumn::parts`] whose values are marked in `mask` (if any) as they are written,
    /// each at its row in the column: `mask` must be as long as the column, and the panel must
    /// keep the row order (part rows are the column's rows).
    pub fn marked_parts<'a>(
        &'a mut self,
        panel: &Panel,
        mask: Option<&'a FiniteMask>,
    ) -> Vec<OutputPart<'a, f64>> {
        let mut parts = self.parts(panel);
        if let Some(mask) = mask {
            for (part, range) in parts.iter_mut().zip(panel.segments()) {
                part.mask = Some((mask, range.start));
            }
        }
        parts
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

impl<'a, T: Copy> OutputPart<'a, T> {
    /// Writes `values` (as long as the part) into the part, as its first write (no zero fill
    /// before it), with streaming stores where the target has them: the column goes to memory
    /// without each of its lines first being read into the cache, as a plain store's would.
    /// The part counts as written once [`publish`]ed.
    fn stream_from(self, values: &[T]) -> Streamed<'a> {
        assert_eq!(values.len(), self.slots.len(), "a part is written whole");
        stream_copy(values, self.slots);
        Streamed {
            initialized: self.initialized,
            len: values.len(),
            finite: None,
        }
    }
}

/// A part whose values were streamed, not yet counted as written: see [`publish`].
#[must_use = "a streamed part counts as written once published"]
struct Streamed<'a> {
    initialized: &'a AtomicUsize,
    len: usize,
    /// The mask the part was marked in, and how many of its values are finite.
    finite: Option<(&'a FiniteMask, usize)>,
}

/// Fences the streamed stores ([`stream_fence`]) so that they are ordered before whatever the
/// thread publishes next, then counts the `parts` as written, and their finite values. Once
/// for many parts: each atomic count, like a fence, waits for every streamed line to reach
/// memory, so only the first after the fence waits.
fn publish<'a>(parts: impl IntoIterator<Item = Streamed<'a>>) {
    stream_fence();
    for part in parts {
        part.initialized.fetch_add(part.len, Ordering::Relaxed);
        if let Some((mask, finite)) = part.finite {
            mask.add_finite(finite);
        }
    }
}

/// Values [`OutputPart::stream_marked`] marks and then copies at a time: few enough to stay
/// in the first-level cache between the two.
const MARK_CHUNK: usize = 1024;

impl<'a> OutputPart<'a, f64> {
    /// [`OutputPart::stream_from`], marking the values in the part's mask (if any) on the
    /// way, chunk by chunk, so that the values are read from the outer caches once. The
    /// part counts as written once [`publish`]ed.
    fn stream_marked(self, values: &[f64]) -> Streamed<'a> {
        let Some((mask, start)) = self.mask else {
            return self.stream_from(values);
        };
        assert_eq!(values.len(), self.slots.len(), "a part is written whole");
        // Chunks end on whole bytes of the mask, whose bits are stored rather than or-ed in
        // (an atomic or, like any locked instruction, waits for the streamed stores).
        let mut at = 0;
        let mut finite = 0;
        while at < values.len() {
            let row = start + at;
            let end = (row + MARK_CHUNK) / 8 * 8 - start;
            let chunk = at..end.min(values.len());
            finite += mask.set_bits(row, &values[chunk.clone()]);
            stream_copy(&values[chunk.clone()], &mut self.slots[chunk.clone()]);
            at = chunk.end;
        }
        Streamed {
            initialized: self.initialized,
            len: values.len(),
            finite: Some((mask, finite)),
        }
    }

    /// [`OutputPart::zeroed`], with the part's mask (if any) and first row, to mark once
    /// the values are written in place.
    fn zeroed_with_mask(self) -> (&'a mut [f64], Option<(&'a FiniteMask, usize)>) {
        let mask = self.mask;
        (self.zeroed(), mask)
    }
}

/// Copies `src` into `dst` (of the same length) with non-temporal stores where the target has
/// them (x86_64, whose baseline SSE2 stores 16 bytes at a time): the column goes to memory
/// without each of its lines first being read into the cache, as a plain store's would. The
/// values before the first 16-byte boundary of `dst` and after the last are stored plainly.
/// [`publish`] fences them before the part counts as written.
fn stream_copy<T: Copy>(src: &[T], dst: &mut [MaybeUninit<T>]) {
    assert_eq!(src.len(), dst.len(), "a copy between slices of one length");
    #[cfg(target_arch = "x86_64")]
    {
        const WIDTH: usize = 16;
        let size = std::mem::size_of::<T>();
        let head = dst.as_ptr().align_offset(WIDTH);
        if size > 0 && WIDTH.is_multiple_of(size) && head <= dst.len() {
            let per_store = WIDTH / size;
            let body = (dst.len() - head) / per_store * per_store;
            let (src_head, src_rest) = src.split_at(head);
            let (src_body, src_tail) = src_rest.split_at(body);
            let (dst_head, dst_rest) = dst.split_at_mut(head);
            let (dst_body, dst_tail) = dst_rest.split_at_mut(body);
            copy_plainly(src_head, dst_head);
            use std::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_stream_si128};
            let (from, to) = (
                src_body.as_ptr().cast::<__m128i>(),
                dst_body.as_mut_ptr().cast::<__m128i>(),
            );
            // SAFETY: both bodies hold `body / per_store` runs of 16 bytes; `to` is 16-byte
            // aligned (the head took the values before the boundary) and `from` is read
            // unaligned; `T: Copy` has no drop to skip.
            unsafe {
                for i in 0..body / per_store {
                    _mm_stream_si128(to.add(i), _mm_loadu_si128(from.add(i)));
                }
            }
            copy_plainly(src_tail, dst_tail);
            return;
        }
    }
    copy_plainly(src, dst);
}

fn copy_plainly<T: Copy>(src: &[T], dst: &mut [MaybeUninit<T>]) {
    for (slot, &v) in dst.iter_mut().zip(src) {
        slot.write(v);
    }
}

/// Orders the non-temporal stores of [`stream_copy`] before the stores that follow.
fn stream_fence() {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE2 is part of x86_64's baseline.
    unsafe {
        std::arch::x86_64::_mm_sfence()
    };
}

/// The longest segment a job copies through its thread's scratch, which stays allocated
/// between calls: 4 MiB a thread for the eight float fields of a fit. Longer segments are
/// written in place.
const SCRATCH_ROWS: usize = 1 << 16;

thread_local! {
    static SCRATCH: RefCell<(Vec<f64>, Vec<u32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Runs `job` on the columns of one segment's parts (`None` for a field not asked for) and
/// leaves the parts written; see [`write_segment_parts`].
pub fn write_parts<const N: usize, E>(
    floats: [Option<OutputPart<'_, f64>>; N],
    ints: Option<OutputPart<'_, u32>>,
    job: impl FnOnce([Option<&mut [f64]>; N], Option<&mut [u32]>) -> Result<(), E>,
) -> Result<(), E> {
    write_segment_parts([floats], [ints], |[floats], [ints]| job(floats, ints))
}

/// Runs `job` on the columns of the parts of `S` segments (`None` for a field not asked for),
/// each column as long as its segment, and leaves the parts written. The job writes this
/// thread's scratch, in cache, and each part is then written once from it, with no zero fill
/// before ([`OutputPart::stream_from`]); segments too long to keep a copy of are zero-filled
/// and written in place. Parts with a mask ([`OutputColumn::marked_parts`]) are marked here,
/// so the job does not mark them. The job must write every value of every column, as the
/// kernels do.
pub fn write_segment_parts<const N: usize, const S: usize, E>(
    floats: [[Option<OutputPart<'_, f64>>; N]; S],
    ints: [Option<OutputPart<'_, u32>>; S],
    job: impl FnOnce([[Option<&mut [f64]>; N]; S], [Option<&mut [u32]>; S]) -> Result<(), E>,
) -> Result<(), E> {
    let lens: [usize; S] = std::array::from_fn(|s| {
        floats[s]
            .iter()
            .flatten()
            .map(|part| part.slots.len())
            .chain(ints[s].iter().map(|part| part.slots.len()))
            .next()
            .unwrap_or(0)
    });
    let longest = lens.iter().copied().max().unwrap_or(0);
    if longest > SCRATCH_ROWS {
        let mut columns =
            floats.map(|parts| parts.map(|part| part.map(OutputPart::zeroed_with_mask)));
        job(
            columns
                .each_mut()
                .map(|parts| parts.each_mut().map(|c| c.as_mut().map(|(c, _)| &mut **c))),
            ints.map(|part| part.map(OutputPart::zeroed)),
        )?;
        for (values, mask) in columns.iter().flatten().flatten() {
            if let Some((mask, start)) = mask {
                mask.mark(*start, values);
            }
        }
        return Ok(());
    }
    let wanted = floats.iter().flatten().flatten().count();
    let wanted_ints = ints.iter().flatten().count();
    with_scratch(
        longest,
        wanted,
        wanted_ints,
        |mut scratch, mut scratch_n| {
            let mut columns = scratch.iter_mut();
            let mut n_columns = scratch_n.iter_mut();
            job(
                std::array::from_fn(|s| {
                    floats[s].each_ref().map(|part| {
                        part.as_ref()
                            .and_then(|_| columns.next().map(|c| &mut c[..lens[s]]))
                    })
                }),
                std::array::from_fn(|s| {
                    ints[s]
                        .as_ref()
                        .and_then(|_| n_columns.next().map(|c| &mut c[..lens[s]]))
                }),
            )?;
            let parts = floats.into_iter().flatten().flatten();
            let mut streamed = Vec::with_capacity(wanted + wanted_ints);
            for (values, part) in scratch.iter().zip(parts) {
                let len = part.slots.len();
                streamed.push(part.stream_marked(&values[..len]));
            }
            for (values, part) in scratch_n.iter().zip(ints.into_iter().flatten()) {
                let len = part.slots.len();
                streamed.push(part.stream_from(&values[..len]));
            }
            publish(streamed);
            Ok(())
        },
    )
}

/// Runs `job` with this thread's scratch columns: `floats` Float64 columns and `ints` UInt32
/// ones of `len` values each, initialized but holding whatever the thread's last job left.
fn with_scratch<R>(
    len: usize,
    floats: usize,
    ints: usize,
    job: impl FnOnce(Vec<&mut [f64]>, Vec<&mut [u32]>) -> R,
) -> R {
    let run = |(f, n): &mut (Vec<f64>, Vec<u32>)| {
        if f.len() < len * floats {
            f.resize(len * floats, 0.0);
        }
        if n.len() < len * ints {
            n.resize(len * ints, 0);
        }
        job(columns(f, len, floats), columns(n, len, ints))
    };
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => run(&mut scratch),
        // Only a job run inside another on the same thread gets here: it has its own.
        Err(_) => run(&mut (Vec::new(), Vec::new())),
    })
}

/// The first `count` runs of `len` values of `buf`.
fn columns<T>(buf: &mut [T], len: usize, count: usize) -> Vec<&mut [T]> {
    let mut rest = buf;
    (0..count)
        .map(|_| {
            let (column, tail) = std::mem::take(&mut rest).split_at_mut(len);
            rest = tail;
            column
        })
        .collect()
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
    if last > first && huge_pages_wanted() {
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

/// The environment variable that turns the huge-page advice off: `0`, `false`, `off` or `no`.
pub const HUGE_PAGES_VAR: &str = "POLARS_ALPHA_HUGE_PAGES";

/// Whether output columns are advised onto huge pages: on Linux, unless [`HUGE_PAGES_VAR`]
/// says no, read once per process. Huge pages make later calls faster (one address
/// translation per 2 MiB of a column); the advice is worth turning off where the first touch
/// of a huge page is slow, as in virtual machines that hand freed memory back to their host.
pub fn huge_pages_wanted() -> bool {
    static WANTED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    cfg!(target_os = "linux")
        && *WANTED
            .get_or_init(|| std::env::var(HUGE_PAGES_VAR).map_or(true, |v| huge_pages_setting(&v)))
}

/// [`HUGE_PAGES_VAR`]'s value read as a switch: everything but a "no" keeps the advice.
fn huge_pages_setting(value: &str) -> bool {
    !matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "0" | "false" | "off" | "no"
    )
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
    fn huge_pages_are_turned_off_by_a_no_only() {
        for no in ["0", "false", "OFF", " no "] {
            assert!(!huge_pages_setting(no), "{no:?}");
        }
        for yes in ["1", "true", "on", "", "2"] {
            assert!(huge_pages_setting(yes), "{yes:?}");
        }
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

    #[test]
    fn streamed_parts_make_the_column() {
        // Segments of odd and even lengths, so parts start at every alignment.
        let key = Series::new(
            "k".into(),
            &["a", "b", "b", "c", "c", "c", "d", "d", "d", "d"],
        );
        let panel = Panel::from_key(&key, Threads::Pool).unwrap();
        let values: Vec<f64> = (0..10).map(|i| i as f64 * 1.5 - 3.0).collect();
        let counts: Vec<u32> = (0..10).map(|i| 7 * i + 1).collect();
        let mut floats = OutputColumn::<f64>::new(10);
        let mut ints = OutputColumn::<u32>::new(10);
        for ((f, n), seg) in floats
            .parts(&panel)
            .into_iter()
            .zip(ints.parts(&panel))
            .zip(panel.segments())
        {
            publish([
                f.stream_from(&values[seg.clone()]),
                n.stream_from(&counts[seg.clone()]),
            ]);
        }
        assert_eq!(floats.finish(), values);
        assert_eq!(ints.finish(), counts);
    }

    #[test]
    fn marked_parts_mark_their_rows_as_they_stream() {
        // Parts that start at odd rows and span several chunks, with values that are not
        // finite at chunk edges, inside bytes and at part ends.
        let lens = [3, 2 * MARK_CHUNK + 5, 7, MARK_CHUNK];
        let labels: Vec<String> = lens
            .iter()
            .enumerate()
            .flat_map(|(k, &n)| std::iter::repeat_n(format!("k{k}"), n))
            .collect();
        let panel = Panel::from_key(&Series::new("k".into(), &labels), Threads::Pool).unwrap();
        let len = labels.len();
        let values: Vec<f64> = (0..len)
            .map(|row| match row % 97 {
                0 => f64::NAN,
                5 => f64::INFINITY,
                _ if row == 3 + MARK_CHUNK || row == len - 1 => f64::NEG_INFINITY,
                _ => row as f64,
            })
            .collect();
        let mask = FiniteMask::new(len);
        let mut column = OutputColumn::<f64>::new(len);
        for (part, range) in column
            .marked_parts(&panel, Some(&mask))
            .into_iter()
            .zip(panel.segments())
        {
            publish([part.stream_marked(&values[range.clone()])]);
        }
        let got = column.finish();
        assert_eq!(got.len(), len);
        for (g, v) in got.iter().zip(&values) {
            assert!(g.to_bits() == v.to_bits());
        }
        let bitmap = mask.finish().unwrap().expect("some values are not finite");
        let want: Vec<bool> = values.iter().map(|v| v.is_finite()).collect();
        assert_eq!(bitmap.iter().collect::<Vec<_>>(), want);
    }

    #[test]
    fn scratch_columns_have_the_asked_shape_and_nest() {
        for (len, floats, ints) in [(0, 2, 1), (5, 8, 1), (3, 1, 0), (4, 0, 0)] {
            with_scratch(len, floats, ints, |f, n| {
                assert_eq!(f.len(), floats);
                assert_eq!(n.len(), ints);
                assert!(f.iter().all(|c| c.len() == len));
                assert!(n.iter().all(|c| c.len() == len));
                // A job inside a job gets scratch of its own.
                with_scratch(len + 1, 1, 1, |inner, _| {
                    assert_eq!(inner[0].len(), len + 1)
                });
            });
        }
    }

    #[test]
    fn segment_parts_of_several_segments_make_the_columns() {
        // Two segments a job, of different lengths, and one past the scratch's length.
        let long = SCRATCH_ROWS + 3;
        let labels: Vec<&str> = ["a", "b", "b", "b", "c"]
            .into_iter()
            .chain(std::iter::repeat_n("d", long))
            .collect();
        let panel = Panel::from_key(&Series::new("k".into(), &labels), Threads::Pool).unwrap();
        let len = labels.len();
        let value = |row: usize, field: usize| (row * 10 + field) as f64;
        let mut floats: Vec<OutputColumn<f64>> = (0..3).map(|_| OutputColumn::new(len)).collect();
        let mut ints = OutputColumn::<u32>::new(len);
        {
            let mut parts: Vec<_> = floats
                .iter_mut()
                .map(|c| c.parts(&panel).into_iter())
                .collect();
            let mut int_parts = ints.parts(&panel).into_iter();
            let segments = panel.segments();
            for pair in segments.chunks(2) {
                let mut next = || {
                    // The middle field is not asked for.
                    let [a, _, c] = [0, 1, 2].map(|f| parts[f].next());
                    ([a, None, c], int_parts.next())
                };
                let ((f0, n0), (f1, n1)) = (next(), next());
                write_segment_parts([f0, f1], [n0, n1], |columns, counts| {
                    for (s, (fields, count)) in columns.into_iter().zip(counts).enumerate() {
                        let rows = pair[s].clone();
                        assert!(fields[1].is_none());
                        for (f, column) in fields.into_iter().enumerate() {
                            if let Some(column) = column {
                                assert_eq!(column.len(), rows.len());
                                for (slot, row) in column.iter_mut().zip(rows.clone()) {
                                    *slot = value(row, f);
                                }
                            }
                        }
                        let count = count.expect("asked for");
                        assert_eq!(count.len(), rows.len());
                        count
                            .iter_mut()
                            .zip(rows)
                            .for_each(|(c, row)| *c = row as u32);
                    }
                    Ok::<(), ()>(())
                })
                .unwrap();
            }
            // The middle field's parts are never written.
            while parts[1].next().is_some() {}
        }
        let columns: Vec<Vec<f64>> = floats.into_iter().map(OutputColumn::finish).collect();
        for f in [0, 2] {
            let want: Vec<f64> = (0..len).map(|row| value(row, f)).collect();
            assert_eq!(columns[f], want, "field {f}");
        }
        assert_eq!(columns[1], vec![0.0; len]);
        assert_eq!(ints.finish(), (0..len as u32).collect::<Vec<_>>());
    }
}
