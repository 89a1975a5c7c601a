//! Splitting a long frame into ticker segments, the output columns and validity masks the
//! segments' jobs write, and the one parallel driver that runs the jobs ([`Threads`]).
//!
//! A panel is described by the rows of each key, in time order. When every key's rows are
//! already contiguous (the frame is sorted or grouped by ticker) the segments are ranges of
//! the original rows and no data moves. Otherwise the rows are gathered into key order once,
//! computed, and scattered back.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use polars::prelude::*;
use polars_arrow::array::BinaryViewArray;

mod output;
mod threads;
mod validity;

use output::output_buffer;
pub use output::{
    huge_pages_wanted, write_parts, write_segment_parts, OutputColumn, OutputPart, HUGE_PAGES_VAR,
};
pub use threads::{Threads, PARALLEL_MIN_ROWS};
pub use validity::{finite_array, finite_or_null, finite_or_null_marked, FiniteMask};

/// Row segments of a panel, in the order the kernels see the rows.
#[derive(Debug, Clone)]
pub struct Panel {
    /// `order[i]` is the original row of the i-th row in segment order; `None` when the
    /// segments are ranges of the original rows.
    order: Option<Vec<IdxSize>>,
    /// With `order`, where each original row is in segment order (`order`'s inverse), built
    /// by the first [`Panel::scatter`] and kept for the other output columns.
    positions: OnceLock<Vec<IdxSize>>,
    segments: Vec<Range<usize>>,
    threads: Threads,
}

impl Panel {
    /// One segment holding every row: no key.
    pub fn single(len: usize, threads: Threads) -> Self {
        Self {
            order: None,
            positions: OnceLock::new(),
            segments: std::iter::once(0..len).collect(),
            threads,
        }
    }

    /// Segments from a key column, computed by `threads`. Null keys form a group of their
    /// own, as in `.over()`.
    pub fn from_key(key: &Series, threads: Threads) -> PolarsResult<Self> {
        let len = key.len();
        if len == 0 {
            return Ok(Self::single(0, threads));
        }
        if let Some(segments) = contiguous_runs(key, threads)? {
            return Ok(Self {
                order: None,
                positions: OnceLock::new(),
                segments,
                threads,
            });
        }
        let groups = key.group_tuples(threads == Threads::Pool, false)?;
        let mut order: Vec<IdxSize> = Vec::with_capacity(len);
        let mut segments = Vec::new();
        match groups {
            GroupsType::Idx(idx) => {
                for rows in idx.all() {
                    let start = order.len();
                    order.extend_from_slice(rows.as_slice());
                    segments.push(start..order.len());
                }
            }
            GroupsType::Slice { groups, .. } => {
                for [first, count] in groups.iter().copied() {
                    let start = order.len();
                    order.extend(first..first + count);
                    segments.push(start..order.len());
                }
            }
        }
        Ok(Self {
            order: Some(order),
            positions: OnceLock::new(),
            segments,
            threads,
        })
    }

    /// The same segments with each one's rows taken in the order of `keys` (one per original
    /// row, as `.over(order_by=)` takes them); rows with equal keys keep their frame order.
    /// When every segment is already in order, nothing moves.
    pub fn ordered_by(mut self, keys: &[i64]) -> Self {
        let in_order = |rows: &[IdxSize]| {
            rows.windows(2)
                .all(|w| keys[w[0] as usize] <= keys[w[1] as usize])
        };
        // Every row is compared, so the segments are checked in groups across threads.
        let groups: Vec<&[Range<usize>]> = self
            .segments
            .chunks(self.segments.len().div_ceil(ORDER_CHECK_JOBS).max(1))
            .collect();
        let sorted = self
            .threads
            .map(groups, |segments| {
                segments.iter().all(|seg| match &self.order {
                    None => keys[seg.clone()].windows(2).all(|w| w[0] <= w[1]),
                    Some(order) => in_order(&order[seg.clone()]),
                })
            })
            .into_iter()
            .all(|group_sorted| group_sorted);
        if sorted {
            return self;
        }
        let mut order = self
            .order
            .take()
            .unwrap_or_else(|| (0..keys.len() as IdxSize).collect());
        let parts = self.split(&mut order);
        // A stable sort: ties keep the frame order the segments hold.
        self.threads
            .map(parts, |rows| rows.sort_by_key(|&row| keys[row as usize]));
        self.order = Some(order);
        self.positions = OnceLock::new();
        self
    }

    /// The driver that runs this panel's jobs.
    pub fn threads(&self) -> Threads {
        self.threads
    }

    /// True when the segments are ranges of the original rows (no gather or scatter).
    pub fn keeps_row_order(&self) -> bool {
        self.order.is_none()
    }

    pub fn segments(&self) -> &[Range<usize>] {
        &self.segments
    }

    /// The values in segment order (borrowed when no reordering is needed).
    pub fn gather<'a, T: Copy + Default + Send + Sync>(&self, values: &'a [T]) -> Cow<'a, [T]> {
        match &self.order {
            None => Cow::Borrowed(values),
            Some(order) => Cow::Owned(gather_rows(values, order, self.threads)),
        }
    }

    /// Puts values computed in segment order back into the original row order: row `r`
    /// takes the value at its position in segment order, a gather the threads share, as
    /// each writes its own rows.
    pub fn scatter<T: Copy + Default + Send + Sync>(&self, values: Vec<T>) -> Vec<T> {
        match &self.order {
            None => values,
            Some(order) => {
                let positions = self
                    .positions
                    .get_or_init(|| inverse_permutation(order, self.threads));
                gather_rows(&values, positions, self.threads)
            }
        }
    }

    /// Splits a buffer in segment order into one disjoint slice per segment, so segments
    /// can be written in parallel.
    pub fn split<'a, T>(&self, buf: &'a mut [T]) -> Vec<&'a mut [T]> {
        let mut out = Vec::with_capacity(self.segments.len());
        let mut rest = buf;
        let mut offset = 0;
        for seg in &self.segments {
            let (_, tail) = rest.split_at_mut(seg.start - offset);
            let (head, tail) = tail.split_at_mut(seg.len());
            out.push(head);
            rest = tail;
            offset = seg.end;
        }
        out
    }
}

/// Rows a gather or scatter job takes at a time.
const GATHER_PIECE: usize = 1 << 16;

/// `values[rows[i]]` for every `i`, a piece of `rows` per job.
fn gather_rows<T: Copy + Default + Send + Sync>(
    values: &[T],
    rows: &[IdxSize],
    threads: Threads,
) -> Vec<T> {
    let mut out = output_buffer(rows.len(), threads);
    let pieces: Vec<_> = rows
        .chunks(GATHER_PIECE)
        .zip(out.chunks_mut(GATHER_PIECE))
        .collect();
    threads.map(pieces, |(rows, out)| {
        for (o, &row) in out.iter_mut().zip(rows) {
            *o = values[row as usize];
        }
    });
    out
}

/// `positions` with `positions[order[i]] = i`, for a permutation `order` of `0..len`. The jobs
/// each take a piece of `order`, so their writes land anywhere in `positions`: relaxed atomic
/// stores (plain stores on x86) keep that safe, and each row is written once.
fn inverse_permutation(order: &[IdxSize], threads: Threads) -> Vec<IdxSize> {
    let positions: Vec<AtomicU32> = (0..order.len()).map(|_| AtomicU32::new(0)).collect();
    let pieces: Vec<_> = order.chunks(GATHER_PIECE).enumerate().collect();
    threads.map(pieces, |(p, rows)| {
        let first = p * GATHER_PIECE;
        for (k, &row) in rows.iter().enumerate() {
            positions[row as usize].store((first + k) as IdxSize, Ordering::Relaxed);
        }
    });
    positions.into_iter().map(AtomicU32::into_inner).collect()
}

/// Jobs that [`Panel::ordered_by`] checks the segments' order in.
const ORDER_CHECK_JOBS: usize = 16;

/// Rows looked at first to tell a frame sorted by date (a run per row, a key repeated within
/// the first dates) from one grouped by key, before scanning all of it.
const PROBE_ROWS: usize = 1 << 14;

/// The rows of each key as ranges, if every key's rows are contiguous; `None` otherwise.
fn contiguous_runs(key: &Series, threads: Threads) -> PolarsResult<Option<Vec<Range<usize>>>> {
    let len = key.len();
    // A key in a few chunks is scanned chunk by chunk: joining a String key's chunks copies
    // the whole column, which costs more than the scan.
    let key = if key.chunks().len() <= SCANNED_CHUNKS {
        key.clone()
    } else {
        key.rechunk()
    };
    if len > PROBE_ROWS {
        let head = key.slice(0, PROBE_ROWS);
        if a_key_repeats(&head, &run_starts_of(&head, Threads::Caller)?)? {
            return Ok(None);
        }
    }
    let starts = run_starts_of(&key, threads)?;
    if a_key_repeats(&key, &starts)? {
        return Ok(None);
    }
    let mut segments = Vec::with_capacity(starts.len());
    for (i, &s) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(len, |&e| e as usize);
        segments.push(s as usize..end);
    }
    Ok(Some(segments))
}

/// Whether a key value starts two of the runs that start at `starts`: then the runs are not
/// the groups.
fn a_key_repeats(key: &Series, starts: &[IdxSize]) -> PolarsResult<bool> {
    Ok(key.take_slice(starts)?.n_unique()? != starts.len())
}

/// The most chunks of a key scanned one by one; a key in more is joined into one first.
const SCANNED_CHUNKS: usize = 256;

/// Where a run of equal keys starts in `key`: row 0 and every row whose key differs from the
/// row before. Each chunk is scanned on its own, and a chunk's first row starts a run unless
/// its key is the last row's of the chunk before (the two rows scanned together).
fn run_starts_of(key: &Series, threads: Threads) -> PolarsResult<Vec<IdxSize>> {
    if key.chunks().len() == 1 {
        return chunk_run_starts(key, threads);
    }
    let mut starts = Vec::new();
    let mut offset = 0usize;
    for rows in key.chunk_lengths() {
        if rows == 0 {
            continue;
        }
        let chunk = key.slice(offset as i64, rows);
        let continues = offset > 0
            && chunk_run_starts(&key.slice(offset as i64 - 1, 2).rechunk(), Threads::Caller)?.len()
                == 1;
        let chunk_starts = chunk_run_starts(&chunk, threads)?;
        starts.extend(
            chunk_starts
                .into_iter()
                .skip(usize::from(continues))
                .map(|s| s + offset as IdxSize),
        );
        offset += rows;
    }
    Ok(starts)
}

/// [`run_starts_of`] for a key in one chunk.
fn chunk_run_starts(key: &Series, threads: Threads) -> PolarsResult<Vec<IdxSize>> {
    let len = key.len();
    let scanned = match string_run_starts(key, threads)? {
        Some(starts) => Some(starts),
        None => integer_run_starts(key, threads)?,
    };
    Ok(match scanned {
        Some(starts) => starts,
        None => {
            let changed = key
                .slice(1, len - 1)
                .not_equal_missing(&key.slice(0, len - 1))?;
            // `not_equal_missing` gives no nulls, so the set bits of the values are the
            // changes; reading them a word at a time keeps this pass cheap.
            let mut starts: Vec<IdxSize> = vec![0];
            let mut offset = 0usize;
            for chunk in changed.downcast_iter() {
                starts.extend(
                    chunk
                        .values()
                        .true_idx_iter()
                        .map(|i| (offset + i + 1) as IdxSize),
                );
                offset += chunk.len();
            }
            starts
        }
    })
}

/// Where a run of equal keys starts, for a String key without nulls (ticker symbols, the
/// usual key); `None` for other keys. Compares the 16-byte string views: equal views are
/// equal strings, views that differ in length or prefix are different strings, and only
/// long strings with the same prefix need their bytes compared.
fn string_run_starts(key: &Series, threads: Threads) -> PolarsResult<Option<Vec<IdxSize>>> {
    let (DataType::String, 0) = (key.dtype(), key.null_count()) else {
        return Ok(None);
    };
    let binary = key.str()?.as_binary();
    // The caller passes one chunk; anything else takes the general path.
    let [chunk] = binary.chunks().as_slice() else {
        return Ok(None);
    };
    let Some(chunk) = chunk.as_any().downcast_ref::<BinaryViewArray>() else {
        return Ok(None);
    };
    let views = chunk.views();
    // Two rows of the same ticker have the same view, so the test is a 16-byte compare a row;
    // the rare unequal views go to `keys_differ`, out of line so that the loop stays small.
    Ok(Some(run_starts(
        views,
        threads,
        |a, b| a.as_u128() != b.as_u128(),
        |i| keys_differ(chunk, i),
    )))
}

/// Where a run of equal keys starts, for an integer key without nulls (or one whose physical
/// values are integers: dates, categories); `None` for other keys.
fn integer_run_starts(key: &Series, threads: Threads) -> PolarsResult<Option<Vec<IdxSize>>> {
    if key.null_count() != 0 || !key.dtype().to_physical().is_integer() {
        return Ok(None);
    }
    let physical = key.to_physical_repr();
    fn of<T: PolarsNumericType>(
        values: &ChunkedArray<T>,
        threads: Threads,
    ) -> Option<Vec<IdxSize>> {
        let values = values.cont_slice().ok()?;
        Some(run_starts(values, threads, |a, b| a != b, |_| true))
    }
    Ok(match physical.dtype() {
        DataType::Int8 => of(physical.i8()?, threads),
        DataType::Int16 => of(physical.i16()?, threads),
        DataType::Int32 => of(physical.i32()?, threads),
        DataType::Int64 => of(physical.i64()?, threads),
        DataType::UInt8 => of(physical.u8()?, threads),
        DataType::UInt16 => of(physical.u16()?, threads),
        DataType::UInt32 => of(physical.u32()?, threads),
        DataType::UInt64 => of(physical.u64()?, threads),
        _ => None,
    })
}

/// The rows `i` of `values` where a run starts: row 0 and every row whose value `may_differ`
/// from the one before and where `starts_run(i)` confirms it. `may_differ(a, b)` is a cheap
/// test of two neighbouring values; `starts_run(i)` is asked only where it holds. This pass is on every `by=` call and reads a whole
/// column, so it is split across threads in large pieces.
fn run_starts<T: Sync>(
    values: &[T],
    threads: Threads,
    may_differ: impl Fn(&T, &T) -> bool + Sync,
    starts_run: impl Fn(usize) -> bool + Sync,
) -> Vec<IdxSize> {
    const PIECE: usize = 1 << 18;
    // Runs are long: blocks of rows are tested without a branch per row, and only a block where
    // a run may start is looked at row by row. The block and the rows before it are taken as
    // arrays, so the test has no bounds check a row and vectorizes: the scan then reads the
    // column as fast as memory delivers it.
    const BLOCK: usize = 16;
    let len = values.len();
    let starts_in = |rows: Range<usize>| -> Vec<IdxSize> {
        let mut starts = Vec::new();
        let mut push_from = |block: Range<usize>| {
            starts.extend(
                block
                    .filter(|&i| may_differ(&values[i - 1], &values[i]) && starts_run(i))
                    .map(|i| i as IdxSize),
            );
        };
        let mut i = rows.start;
        while i + BLOCK <= rows.end {
            let before: &[T; BLOCK] = values[i - 1..i - 1 + BLOCK]
                .try_into()
                .expect("a block of rows");
            let at: &[T; BLOCK] = values[i..i + BLOCK].try_into().expect("a block of rows");
            if before
                .iter()
                .zip(at)
                .fold(false, |any, (a, b)| any | may_differ(a, b))
            {
                push_from(i..i + BLOCK);
            }
            i += BLOCK;
        }
        push_from(i..rows.end);
        starts
    };
    let pieces: Vec<Vec<IdxSize>> = threads.map((0..len.div_ceil(PIECE)).collect(), |p| {
        starts_in((p * PIECE).max(1)..((p + 1) * PIECE).min(len))
    });
    let mut starts: Vec<IdxSize> =
        Vec::with_capacity(1 + pieces.iter().map(Vec::len).sum::<usize>());
    starts.push(0);
    for piece in pieces {
        starts.extend(piece);
    }
    starts
}

/// Whether the keys at rows `i - 1` and `i` differ, given that their views do: views that
/// differ in length or prefix, or inline ones, are different strings; long strings with the
/// same prefix have their bytes compared.
#[inline(never)]
fn keys_differ(chunk: &BinaryViewArray, i: usize) -> bool {
    let (a, b) = (chunk.views()[i - 1], chunk.views()[i]);
    if a.length != b.length || a.prefix != b.prefix || a.is_inline() {
        true
    } else {
        chunk.value(i - 1) != chunk.value(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_keys_make_ranges() {
        let key = Series::new("k".into(), &["a", "a", "b", "b", "b", "c"]);
        let p = Panel::from_key(&key, Threads::Pool).unwrap();
        assert_eq!(p.segments(), &[0..2, 2..5, 5..6]);
        assert!(p.order.is_none());
    }

    #[test]
    fn string_keys_long_and_short_make_the_same_runs_as_polars() {
        // Long names share a 4-byte prefix, so their bytes are compared.
        let names = [
            "AAPL",
            "AAPL",
            "AAPLX",
            "long-ticker-name-1",
            "long-ticker-name-1",
            "long-ticker-name-2",
            "long-ticker-name-2",
            "long-ticker-name-2",
            "",
            "",
            "B",
        ];
        let key = Series::new("k".into(), &names);
        let p = Panel::from_key(&key, Threads::Pool).unwrap();
        assert_eq!(p.segments(), &[0..2, 2..3, 3..5, 5..8, 8..10, 10..11]);
        assert!(p.order.is_none());
        // A key seen again later is not contiguous: rows are gathered instead.
        let key = Series::new(
            "k".into(),
            &["long-ticker-name-1", "x", "long-ticker-name-1"],
        );
        assert!(Panel::from_key(&key, Threads::Pool)
            .unwrap()
            .order
            .is_some());
    }

    #[test]
    fn runs_of_every_length_at_every_offset_are_found() {
        // Run lengths 1..=40 in turn, so runs start at every offset of the scan's blocks,
        // over more rows than one piece of the parallel scan.
        let mut run_of_row = Vec::new();
        let (mut run, mut length) = (0u32, 1);
        while run_of_row.len() < 600_000 {
            run_of_row.extend(std::iter::repeat_n(run, length));
            run += 1;
            length = length % 40 + 1;
        }
        let expected: Vec<IdxSize> = (0..run_of_row.len())
            .filter(|&i| i == 0 || run_of_row[i - 1] != run_of_row[i])
            .map(|i| i as IdxSize)
            .collect();
        for threads in [Threads::Pool, Threads::Caller] {
            assert_eq!(
                run_starts(&run_of_row, threads, |a, b| a != b, |_| true),
                expected
            );
        }
        // String keys, short (inline) and long (with a shared prefix), through the panel.
        let names: Vec<String> = run_of_row
            .iter()
            .map(|&r| match r % 3 {
                0 => format!("T{r}"),
                1 => format!("long-ticker-name-{r}"),
                _ => format!("long-ticker-name-{}", r - 1).repeat(2),
            })
            .collect();
        let p = Panel::from_key(&Series::new("k".into(), &names), Threads::Pool).unwrap();
        assert!(p.order.is_none());
        let starts: Vec<IdxSize> = p.segments().iter().map(|s| s.start as IdxSize).collect();
        assert_eq!(starts, expected);
    }

    #[test]
    fn integer_keys_make_the_same_runs_as_the_general_scan() {
        let codes = [7i64, 7, 7, -1, -1, 0, 9, 9, 9, 9, 2];
        let runs = [0..3, 3..5, 5..6, 6..10, 10..11];
        let key = Series::new("k".into(), &codes);
        for dtype in [
            DataType::Int64,
            DataType::Int32,
            DataType::Int8,
            DataType::Date,
            DataType::Categorical(Categories::global(), Categories::global().mapping()),
        ] {
            let key = match &dtype {
                DataType::Categorical(..) => key.cast(&DataType::String).unwrap().cast(&dtype),
                _ => key.cast(&dtype),
            }
            .unwrap();
            for threads in [Threads::Pool, Threads::Caller] {
                let p = Panel::from_key(&key, threads).unwrap();
                assert_eq!(p.segments(), &runs, "{dtype:?}");
                assert!(p.order.is_none());
            }
        }
        let unsigned = Series::new("k".into(), &[3u32, 3, 1, 1, 1, 200]);
        let p = Panel::from_key(&unsigned, Threads::Pool).unwrap();
        assert_eq!(p.segments(), &[0..2, 2..5, 5..6]);
        // A key seen again later is not contiguous: rows are gathered instead.
        let again = Series::new("k".into(), &[1u64, 1, 2, 1]);
        assert!(Panel::from_key(&again, Threads::Pool)
            .unwrap()
            .order
            .is_some());
        // Nulls take the general path, where they form a group of their own.
        let nulls = Series::new("k".into(), &[Some(1i32), None, None, Some(2)]);
        let p = Panel::from_key(&nulls, Threads::Pool).unwrap();
        assert_eq!(p.segments(), &[0..1, 1..3, 3..4]);
    }

    #[test]
    fn a_run_across_the_scan_pieces_is_one_segment() {
        // Longer than one piece of the parallel scan, with runs across its edges.
        let len = (1usize << 18) * 2 + 1000;
        let codes: Vec<u32> = (0..len).map(|i| (i / 100_003) as u32).collect();
        let key = Series::new("k".into(), &codes);
        let p = Panel::from_key(&key, Threads::Pool).unwrap();
        let expected: Vec<_> = (0..len)
            .step_by(100_003)
            .map(|s| s..(s + 100_003).min(len))
            .collect();
        assert_eq!(p.segments(), &expected);
    }

    #[test]
    fn interleaved_keys_are_gathered_and_scattered() {
        let key = Series::new("k".into(), &[1i64, 2, 1, 2, 1]);
        let p = Panel::from_key(&key, Threads::Pool).unwrap();
        let vals = [10.0, 20.0, 11.0, 21.0, 12.0];
        let g = p.gather(&vals);
        // each segment keeps its rows' relative order
        for seg in p.segments() {
            let s = &g[seg.clone()];
            assert!(s.windows(2).all(|w| w[0] < w[1]));
        }
        assert_eq!(p.scatter(g.into_owned()), vals.to_vec());
    }

    /// The segments of `p` as lists of original rows, and a check that scattering the
    /// gathered row numbers gives every row back where it was.
    fn rows_by_segment(p: &Panel, len: usize) -> Vec<Vec<usize>> {
        let rows: Vec<usize> = (0..len).collect();
        let gathered = p.gather(&rows);
        let by_segment = p
            .segments()
            .iter()
            .map(|s| gathered[s.clone()].to_vec())
            .collect();
        assert_eq!(p.scatter(gathered.into_owned()), rows);
        by_segment
    }

    #[test]
    fn a_frame_sorted_by_date_is_gathered_across_many_pieces() {
        // Every key in every "date", as a frame sorted by date then ticker: a run per row,
        // told apart at the probe, and gathered in pieces of rows across threads.
        let tickers = 5_000usize;
        let len = 4 * GATHER_PIECE + 123;
        let codes: Vec<u32> = (0..len).map(|r| (r % tickers) as u32).collect();
        for threads in [Threads::Pool, Threads::Caller] {
            let p = Panel::from_key(&Series::new("k".into(), &codes), threads).unwrap();
            assert!(!p.keeps_row_order());
            let mut segments = rows_by_segment(&p, len);
            segments.sort();
            let expected: Vec<Vec<usize>> = (0..tickers)
                .map(|t| (t..len).step_by(tickers).collect())
                .collect();
            assert_eq!(segments, expected);
        }
    }

    #[test]
    fn a_key_seen_again_only_after_the_probe_is_gathered() {
        // Contiguous runs of 1,000 rows through the probe's rows, then the first key again.
        let len = 3 * PROBE_ROWS;
        let mut names: Vec<String> = (0..len).map(|r| format!("T{}", r / 1000)).collect();
        names[len - 10..].fill("T0".to_string());
        let p = Panel::from_key(&Series::new("k".into(), &names), Threads::Pool).unwrap();
        assert!(!p.keeps_row_order());
        let segments = rows_by_segment(&p, len);
        let t0 = segments.iter().find(|rows| rows[0] == 0).unwrap();
        let expected: Vec<usize> = (0..1000).chain(len - 10..len).collect();
        assert_eq!(t0, &expected);
        assert_eq!(segments.iter().map(Vec::len).sum::<usize>(), len);
    }

    #[test]
    fn a_key_in_chunks_makes_the_runs_of_the_joined_key() {
        // Runs across chunk boundaries, runs starting at one, and nulls on both sides of one;
        // String keys (inline and long) and integer keys.
        let cuts = [0, 3, 5, 9, 12];
        let names = [
            Some("a"),
            Some("a"),
            Some("a"),
            Some("a"),
            Some("b"),
            Some("long-ticker-name-1"),
            Some("long-ticker-name-1"),
            None,
            None,
            None,
            Some("long-ticker-name-2"),
            Some("c"),
        ];
        let joined = Series::new("k".into(), &names);
        // Without nulls, String and integer keys take their fast scans.
        let no_nulls: Vec<&str> = names.iter().map(|n| n.unwrap_or("x")).collect();
        let no_nulls = Series::new("k".into(), &no_nulls);
        let codes = |key: &Series| {
            let dtype = DataType::Categorical(Categories::global(), Categories::global().mapping());
            key.cast(&dtype).unwrap().to_physical_repr().into_owned()
        };
        for key in [
            joined.clone(),
            codes(&joined),
            no_nulls.clone(),
            codes(&no_nulls),
        ] {
            let mut chunked = key.slice(0, 0);
            for w in cuts.windows(2) {
                chunked
                    .append(&key.slice(w[0] as i64, w[1] - w[0]))
                    .unwrap();
            }
            assert_eq!(chunked.chunks().len(), cuts.len() - 1, "{:?}", key.dtype());
            for threads in [Threads::Pool, Threads::Caller] {
                let want = Panel::from_key(&key, threads).unwrap();
                let got = Panel::from_key(&chunked, threads).unwrap();
                assert_eq!(got.segments(), want.segments(), "{:?}", key.dtype());
                assert_eq!(got.segments(), &[0..4, 4..5, 5..7, 7..10, 10..11, 11..12]);
                assert!(got.keeps_row_order());
            }
        }
        // A key seen again in a later chunk is still told apart.
        let mut again = Series::new("k".into(), &["a", "a", "b"]);
        again.append(&Series::new("k".into(), &["b", "a"])).unwrap();
        assert!(!Panel::from_key(&again, Threads::Pool)
            .unwrap()
            .keeps_row_order());
    }

    #[test]
    fn null_keys_form_a_group() {
        let key = Series::new("k".into(), &[Some("a"), None, Some("a"), None]);
        let p = Panel::from_key(&key, Threads::Pool).unwrap();
        assert_eq!(p.segments().len(), 2);
    }

    #[test]
    fn split_gives_disjoint_segment_slices() {
        let p = Panel {
            order: None,
            positions: OnceLock::new(),
            segments: vec![0..2, 2..5],
            threads: Threads::Caller,
        };
        let mut buf = vec![0usize; 5];
        for (k, slice) in p.split(&mut buf).into_iter().enumerate() {
            slice.fill(k + 1);
        }
        assert_eq!(buf, vec![1, 1, 2, 2, 2]);
    }

    #[test]
    fn ordered_by_sorts_each_segment_and_keeps_ties_in_frame_order() {
        let key = Series::new("k".into(), &["a", "b", "a", "b", "a", "b"]);
        let keys = [30i64, 2, 10, 1, 10, 3];
        for threads in [Threads::Pool, Threads::Caller] {
            let p = Panel::from_key(&key, threads).unwrap().ordered_by(&keys);
            let rows: Vec<usize> = (0..6).collect();
            let g = p.gather(&rows);
            // a: rows 0, 2, 4 by keys 30, 10, 10 -> 2, 4, 0; b: rows 1, 3, 5 by 2, 1, 3 -> 3, 1, 5.
            // The segments may come in either order.
            let mut segments: Vec<&[usize]> = p.segments().iter().map(|s| &g[s.clone()]).collect();
            segments.sort();
            assert_eq!(segments, [&[2, 4, 0][..], &[3, 1, 5][..]]);
            assert_eq!(p.scatter(g.into_owned()), rows);
        }
        // Already in order: nothing moves.
        let p = Panel::single(4, Threads::Caller).ordered_by(&[1, 2, 2, 5]);
        assert!(p.keeps_row_order());
        let p = Panel::single(3, Threads::Caller).ordered_by(&[3, 1, 2]);
        assert_eq!(p.gather(&[0, 1, 2]).as_ref(), &[1, 2, 0]);
    }
}
