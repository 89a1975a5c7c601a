//! The inputs of every expression, described by one [`InputLayout`] that the Python layer
//! sends with each call (`polars_alpha._plugin.PluginInputs` builds it), and reading those
//! inputs into what the kernels take.
//!
//! The inputs come in this order: the value inputs (`asset, market` or the factors, `price`
//! and `benchmark`, ...), then the risk-free column if any, then the `order_by` column if any
//! (for a date window, a struct follows it of each distinct time and that time less the
//! duration), then the `by` key if any.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::OnceLock;

use polars::prelude::*;
use polars_alpha_kernels::window::{DateWindow, Window, WindowBounds, WindowSpec};
use polars_alpha_kernels::KernelError;
use serde::Deserialize;

use super::common::{check_numeric, kernel_err, to_float, values_with_nan};
use crate::panel::{Panel, Threads};
use polars_alpha_kernels::rates::first_implausible_rate;

/// The excess returns of the asset and of each regressor, borrowed when nothing is subtracted.
pub type ExcessReturns<'a> = (Cow<'a, [f64]>, Vec<Cow<'a, [f64]>>);

/// A date window's times in segment order, and the lower bound (`time - duration`) of each
/// distinct time, sorted by time. Each segment looks its rows' bounds up as it is fitted,
/// into a buffer of its own length, rather than the call writing a bound for every row.
pub struct WindowTimes {
    time: Vec<i64>,
    by_time: Vec<(i64, i64)>,
    /// The rows of a segment whose times many others have: in a panel whose tickers trade
    /// on one calendar, most segments have exactly the same times, and so the same window,
    /// which is found once, in `shared`.
    common: Range<usize>,
    /// The window of `common`'s times, for the `min_periods` it was built with.
    shared: OnceLock<(Option<usize>, Result<DateWindow, KernelError>)>,
}

/// Which inputs an expression was given.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputLayout {
    /// The argument name of each value input, in order; errors name them.
    pub values: Vec<String>,
    /// A risk-free rate column follows the values.
    pub risk_free: bool,
    /// An `order_by` column follows: each key's rows are taken in its order.
    pub order_by: bool,
    /// A date window on the `order_by` column: a struct follows it of each distinct time
    /// (`time`) and that time less the duration (`lower`).
    pub date_window: bool,
    /// A key column comes last.
    pub by: bool,
}

impl InputLayout {
    pub fn input_count(&self) -> usize {
        self.values.len()
            + usize::from(self.risk_free)
            + usize::from(self.order_by)
            + usize::from(self.date_window)
            + usize::from(self.by)
    }

    fn risk_free_index(&self) -> Option<usize> {
        self.risk_free.then_some(self.values.len())
    }

    fn order_index(&self) -> Option<usize> {
        self.order_by
            .then(|| self.values.len() + usize::from(self.risk_free))
    }

    fn by_index(&self) -> Option<usize> {
        self.by.then(|| self.input_count() - 1)
    }

    /// Argument name of each input position, for error messages.
    fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.values.iter().map(String::as_str).collect();
        if self.risk_free {
            names.push("risk_free");
        }
        if self.order_by {
            names.push("order_by");
        }
        if self.date_window {
            names.push("order_by");
        }
        if self.by {
            names.push("by");
        }
        names
    }

    /// Checks the count and dtypes of the input fields (at schema time and at run time).
    pub fn check_fields(&self, fields: &[Field]) -> PolarsResult<()> {
        let names = self.names();
        polars_ensure!(
            !self.values.is_empty()
                && fields.len() == names.len()
                && (self.order_by || !self.date_window),
            ComputeError: "expected {} inputs ({}), got {}", names.len(), names.join(", "), fields.len()
        );
        let order_index = self.order_index();
        for (i, (field, name)) in fields.iter().zip(&names).enumerate() {
            if Some(i) == self.by_index() {
                continue;
            }
            if self.date_window && order_index.is_some_and(|o| i == o + 1) {
                // Built by the Python layer from `order_by`, whose dtype is checked just before.
                polars_ensure!(
                    matches!(field.dtype(), DataType::Struct(f) if f.len() == 2),
                    ComputeError: "expected the date window's times and lower bounds as a struct \
                                   of two fields, got {}", field.dtype()
                );
                continue;
            }
            if order_index == Some(i) {
                let dtype = field.dtype();
                if self.date_window {
                    polars_ensure!(
                        matches!(dtype, DataType::Date | DataType::Datetime(_, _)),
                        InvalidOperation:
                        "`order_by` must be a Date or Datetime column for a date window, got {} \
                         in column '{}'; parse it with `.str.to_date()` or use an integer `window`",
                        dtype, field.name()
                    );
                } else {
                    polars_ensure!(
                        dtype.is_temporal() || dtype.is_primitive_numeric(),
                        InvalidOperation:
                        "`order_by` must be a date, time or number column, got {} in column \
                         '{}'; order by the date column",
                        dtype, field.name()
                    );
                }
                continue;
            }
            check_numeric(field, name)?;
        }
        Ok(())
    }

    /// [`Self::check_fields`] on the series of a call.
    pub fn check_inputs(&self, inputs: &[Series]) -> PolarsResult<()> {
        let fields: Vec<Field> = inputs.iter().map(|s| s.field().into_owned()).collect();
        self.check_fields(&fields)
    }

    /// The value input at `index` as Float64 with nulls as NaN, checked to have `len` rows.
    pub fn value(&self, inputs: &[Series], index: usize) -> PolarsResult<Float64Chunked> {
        let len = inputs[0].len();
        to_float(&inputs[index], &self.values[index], &self.values[0], len)
    }

    /// The first value input less the risk-free rate, and the other value inputs, less the
    /// rate too when `rate_on_regressors` (CAPM's market): as Float64 with nulls as NaN.
    pub fn excess_returns<'a>(
        &self,
        inputs: &'a [Series],
        columns: &'a mut Vec<Float64Chunked>,
        scalar_rf: f64,
        rate_on_regressors: bool,
    ) -> PolarsResult<ExcessReturns<'a>> {
        let len = inputs[0].len();
        for i in 0..self.values.len() {
            columns.push(self.value(inputs, i)?);
        }
        if let Some(i) = self.risk_free_index() {
            let rf = &inputs[i];
            // A literal (length 1) broadcasts like any Polars scalar.
            let rf_len = if rf.len() == 1 { 1 } else { len };
            columns.push(to_float(rf, "risk_free", &self.values[0], rf_len)?);
        }
        let columns: &'a [Float64Chunked] = columns;
        let rate = match self.risk_free_index() {
            None if scalar_rf == 0.0 => Rate::None,
            None => Rate::Scalar(scalar_rf),
            Some(i) => {
                let rf = &columns[i];
                if rf.len() == 1 && len != 1 {
                    Rate::Scalar(rf.get(0).unwrap_or(f64::NAN))
                } else {
                    Rate::Column(values_with_nan(rf))
                }
            }
        };
        let implausible = match &rate {
            Rate::None => None,
            Rate::Scalar(r) => first_implausible_rate(std::slice::from_ref(r)),
            Rate::Column(rates) => first_implausible_rate(rates),
        };
        if let Some((row, value)) = implausible {
            return Err(kernel_err(KernelError::ImplausibleRate { row, value }));
        }
        let y = rate.subtract_from(values_with_nan(&columns[0]));
        let regressors = columns[1..self.values.len()]
            .iter()
            .map(|c| {
                let values = values_with_nan(c);
                if rate_on_regressors {
                    rate.subtract_from(values)
                } else {
                    values
                }
            })
            .collect();
        Ok((y, regressors))
    }

    /// The panel of the `by` key (one segment without it), each segment's rows in
    /// `order_by` order when that is given; its jobs run on `threads`.
    pub fn panel(&self, inputs: &[Series], threads: Threads) -> PolarsResult<Panel> {
        Ok(self.panel_and_times(inputs, threads)?.0)
    }

    /// [`Self::panel`], and for a date window the `order_by` times and their lower bounds as
    /// integers of the same unit, in segment order: the order column is read once for both.
    pub fn panel_and_times(
        &self,
        inputs: &[Series],
        threads: Threads,
    ) -> PolarsResult<(Panel, Option<WindowTimes>)> {
        let len = inputs[0].len();
        let panel = match self.by_index() {
            None => Panel::single(len, threads),
            Some(i) => {
                let key = &inputs[i];
                polars_ensure!(
                    key.len() == len,
                    ShapeMismatch: "`by` has {} rows but `{}` has {len}; all inputs must have the same length",
                    key.len(), self.values[0]
                );
                Panel::from_key(key, threads)?
            }
        };
        let Some(i) = self.order_index() else {
            return Ok((panel, None));
        };
        let keys = self.order_keys(&inputs[i], len, panel.threads())?;
        let panel = panel.ordered_by(&keys);
        if !self.date_window {
            return Ok((panel, None));
        }
        let time = if panel.keeps_row_order() {
            keys
        } else {
            panel.gather(&keys).into_owned()
        };
        let by_time = bounds_by_time(&inputs[i + 1])?;
        let common = most_common_length(panel.segments());
        Ok((panel, Some(WindowTimes::new(time, by_time, common))))
    }

    /// The `order_by` column as integers in the same order: temporal and integer columns by
    /// their physical value, floats by a map that keeps their order.
    fn order_keys(&self, order: &Series, len: usize, threads: Threads) -> PolarsResult<Vec<i64>> {
        polars_ensure!(
            order.len() == len,
            ShapeMismatch: "`order_by` has {} rows but `{}` has {len}; all inputs must have the same length",
            order.len(), self.values[0]
        );
        polars_ensure!(
            order.null_count() == 0,
            InvalidOperation: "`order_by` has {} null values; drop or fill those rows first",
            order.null_count()
        );
        order_key_values(order, threads)
    }
}

/// The first segment of the length most segments have, the longer on a tie: in a panel of
/// one calendar, most tickers trade on all of its days, and a few list late or stop early.
fn most_common_length(segments: &[Range<usize>]) -> Range<usize> {
    let mut counts: std::collections::HashMap<usize, (usize, usize)> = Default::default();
    for (i, s) in segments.iter().enumerate() {
        counts.entry(s.len()).or_insert((0, i)).0 += 1;
    }
    counts
        .into_iter()
        .max_by_key(|&(len, (count, _))| (count, len))
        .map_or(0..0, |(_, (_, i))| segments[i].clone())
}

/// The date window's table, a struct of distinct times and each one's lower bound
/// (`time - duration`, which Polars computed once per distinct time), as pairs sorted by time.
fn bounds_by_time(table: &Series) -> PolarsResult<Vec<(i64, i64)>> {
    let fields = table.struct_()?.fields_as_series();
    let [time, lower] = fields.as_slice() else {
        polars_bail!(ComputeError: "expected the date window's table as a struct of two fields");
    };
    // A time that offsets past the calendar's range has no bound; its rows would not be found.
    let known = time.is_not_null() & lower.is_not_null();
    let (time, lower) = (time.filter(&known)?, lower.filter(&known)?);
    let mut by_time: Vec<(i64, i64)> = order_key_values(&time, Threads::Caller)?
        .into_iter()
        .zip(order_key_values(&lower, Threads::Caller)?)
        .collect();
    by_time.sort_unstable_by_key(|&(t, _)| t);
    Ok(by_time)
}

impl WindowTimes {
    fn new(time: Vec<i64>, by_time: Vec<(i64, i64)>, common: Range<usize>) -> Self {
        Self {
            time,
            by_time,
            common,
            shared: OnceLock::new(),
        }
    }

    /// The date window of the rows `range`, with `min_periods` or the default of their own
    /// dates. A segment whose times are a run of `common`'s (all of them, or a later listing,
    /// an earlier delisting) takes its starts from `common`'s window, built once: finding
    /// the run costs less than looking the segment's bounds up and walking them. A segment
    /// with all of `common`'s times and the same `min_periods` borrows that window.
    fn window(
        &self,
        range: Range<usize>,
        min_periods: Option<usize>,
    ) -> Result<Cow<'_, DateWindow>, KernelError> {
        let time = &self.time[range];
        let common = &self.time[self.common.clone()];
        if let Some(offset) = run_within(common, time) {
            let (built_for, shared) = self
                .shared
                .get_or_init(|| (min_periods, self.build(common, min_periods)));
            // The shared window may have failed on a time outside this run: then the
            // segment's own build decides.
            if let Ok(window) = shared {
                if time.len() == common.len() && *built_for == min_periods {
                    return Ok(Cow::Borrowed(window));
                }
                return window
                    .of_rows(offset..offset + time.len(), min_periods)
                    .map(Cow::Owned);
            }
        }
        self.build(time, min_periods).map(Cow::Owned)
    }

    fn build(&self, time: &[i64], min_periods: Option<usize>) -> Result<DateWindow, KernelError> {
        let lower = self.lower_bounds(time)?;
        match min_periods {
            Some(m) => DateWindow::new(time, &lower, m),
            None => DateWindow::with_default_min_periods(time, &lower),
        }
    }

    /// The lower bound of each of `times`, rows of one segment. Its times ascend, as
    /// `by_time` does, so one walk along `by_time` finds them all, as in a merge.
    fn lower_bounds(&self, times: &[i64]) -> Result<Vec<i64>, KernelError> {
        let by_time = &self.by_time;
        let mut lower = Vec::with_capacity(times.len());
        let mut next = 0;
        for &t in times {
            // The panel sorts each segment by time; should a time go back, search for it.
            if next > 0 && by_time[next - 1].0 >= t {
                next = by_time.partition_point(|&(e, _)| e < t);
            }
            while by_time.get(next).is_some_and(|&(e, _)| e < t) {
                next += 1;
            }
            match by_time.get(next) {
                Some(&(e, b)) if e == t => lower.push(b),
                _ => return Err(KernelError::TimeWithoutBound { time: t }),
            }
        }
        Ok(lower)
    }
}

/// Where `run` starts within `times` (both ascending), if it is a run of consecutive entries
/// of `times`; at a repeated first time only its first place is tried.
fn run_within(times: &[i64], run: &[i64]) -> Option<usize> {
    let first = *run.first()?;
    let offset = times.partition_point(|&t| t < first);
    (times.get(offset..offset + run.len())? == run).then_some(offset)
}

/// A column of times or numbers as integers in the same order: temporal and integer columns
/// by their physical value, floats by a map that keeps their order.
fn order_key_values(order: &Series, threads: Threads) -> PolarsResult<Vec<i64>> {
    let physical = order.to_physical_repr();
    // Dates and datetimes, the usual `order_by`: widened chunk by chunk across threads, as
    // this runs on every row of every call.
    fn widened<T>(ca: &ChunkedArray<T>, threads: Threads) -> Vec<i64>
    where
        T: PolarsNumericType,
        T::Native: Into<i64>,
    {
        let mut keys = Vec::with_capacity(ca.len());
        for chunk in ca.downcast_iter() {
            threads.extend_mapped(&mut keys, chunk.values(), |&v| v.into());
        }
        keys
    }
    match physical.dtype() {
        DataType::Int32 => return Ok(widened(physical.i32()?, threads)),
        DataType::Int64 => return Ok(widened(physical.i64()?, threads)),
        _ => {}
    }
    if physical.dtype().is_float() {
        let floats = physical.cast(&DataType::Float64)?;
        let floats = floats.f64()?;
        polars_ensure!(
            !floats.is_nan().any(),
            InvalidOperation: "`order_by` has NaN values; drop or fill those rows first"
        );
        // IEEE-754 bits ordered as integers: flip the magnitude bits of negatives.
        return Ok(floats
            .into_no_null_iter()
            .map(|v| {
                let bits = (v + 0.0).to_bits() as i64;
                bits ^ (((bits >> 63) as u64) >> 1) as i64
            })
            .collect());
    }
    let ints = physical.cast(&DataType::Int64)?;
    Ok(ints.i64()?.rechunk().into_no_null_iter().collect())
}

/// A risk-free rate to subtract.
enum Rate<'a> {
    None,
    Scalar(f64),
    Column(Cow<'a, [f64]>),
}

impl Rate<'_> {
    fn subtract_from<'v>(&self, values: Cow<'v, [f64]>) -> Cow<'v, [f64]> {
        match self {
            Rate::None => values,
            Rate::Scalar(r) => Cow::Owned(values.iter().map(|v| v - r).collect()),
            Rate::Column(rf) => {
                Cow::Owned(values.iter().zip(rf.iter()).map(|(v, r)| v - r).collect())
            }
        }
    }
}

/// The window of a rolling call: `window` rows, or expanding (`None`, and always for a date
/// window, whose rows [`SegmentWindow`] bounds by date). `min_periods` is required but for a
/// date window, whose default [`SegmentWindow::for_segment`] takes from each series' dates.
pub fn window_spec(
    window: Option<usize>,
    min_periods: Option<usize>,
    layout: &InputLayout,
) -> PolarsResult<WindowSpec> {
    let window = match window {
        Some(len) if !layout.date_window => Window::Rows(len),
        _ => Window::Expanding,
    };
    let min_periods = match min_periods {
        Some(m) => m,
        // Replaced segment by segment; only its validity matters here.
        None if layout.date_window => 2,
        None => polars_bail!(
            ComputeError: "`min_periods` is needed for a window counted in rows"
        ),
    };
    WindowSpec::new(window, min_periods).map_err(kernel_err)
}

/// The window of one ticker segment: rows (or expanding), or dates.
pub enum SegmentWindow<'a> {
    Rows(WindowSpec),
    Dates(Cow<'a, DateWindow>),
}

impl<'a> SegmentWindow<'a> {
    /// The window of `range`, from the spec or from the segment's times. A date window
    /// without `min_periods` takes the default of the segment's own dates,
    /// so that a key's result is the same with `by=` as under `.over()`.
    pub fn for_segment(
        spec: WindowSpec,
        min_periods: Option<usize>,
        times: Option<&'a WindowTimes>,
        range: Range<usize>,
    ) -> Result<Self, KernelError> {
        match times {
            None => Ok(Self::Rows(spec)),
            Some(times) => Ok(Self::Dates(times.window(range, min_periods)?)),
        }
    }
}

impl WindowBounds for SegmentWindow<'_> {
    #[inline]
    fn start(&self, t: usize) -> usize {
        match self {
            Self::Rows(spec) => spec.start(t),
            Self::Dates(dates) => dates.start(t),
        }
    }

    #[inline]
    fn min_periods(&self) -> usize {
        match self {
            Self::Rows(spec) => spec.min_periods,
            Self::Dates(dates) => dates.min_periods(),
        }
    }

    fn row_count(&self) -> Option<usize> {
        match self {
            Self::Rows(spec) => spec.row_count(),
            Self::Dates(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_row_finds_its_times_bound() {
        let times = WindowTimes::new(vec![], vec![(10, 1), (20, 2), (30, 3), (40, 4)], 0..0);
        // Ascending with repeats and skipped entries, then a time that goes back.
        let rows = [10, 10, 30, 40, 40, 20, 30];
        assert_eq!(times.lower_bounds(&rows), Ok(vec![1, 1, 3, 4, 4, 2, 3]));
        assert_eq!(times.lower_bounds(&[]), Ok(vec![]));
        for missing in [[10, 25, 30], [10, 30, 45], [5, 10, 20]] {
            let time = missing.into_iter().find(|t| t % 10 != 0).unwrap_or(0);
            assert_eq!(
                times.lower_bounds(&missing),
                Err(KernelError::TimeWithoutBound { time })
            );
        }
    }

    /// The window a segment of `time` builds on its own, with bounds 25 before each time, as
    /// the tests' `by_time` tables give them.
    fn own_window(time: &[i64], min_periods: Option<usize>) -> Result<DateWindow, KernelError> {
        let lower: Vec<i64> = time.iter().map(|t| t - 25).collect();
        match min_periods {
            Some(m) => DateWindow::new(time, &lower, m),
            None => DateWindow::with_default_min_periods(time, &lower),
        }
    }

    #[test]
    fn segments_with_the_common_times_share_one_window() {
        let by_time: Vec<(i64, i64)> = (1..=6).map(|d| (d * 10, d * 10 - 25)).collect();
        // Two segments on the common calendar, one shorter, one with a gap, then the
        // common calendar again.
        let segments = [0..6, 6..12, 12..15, 15..20, 20..26];
        let time: Vec<i64> = [
            &[10, 20, 30, 40, 50, 60][..],
            &[10, 20, 30, 40, 50, 60],
            &[10, 20, 30],
            &[10, 20, 40, 50, 60],
            &[10, 20, 30, 40, 50, 60],
        ]
        .concat();
        let own = |range: Range<usize>, min_periods| own_window(&time[range], min_periods);
        let times = WindowTimes::new(time.clone(), by_time, 0..6);
        for range in segments.clone() {
            let shared = times.window(range.clone(), None).unwrap();
            assert_eq!(*shared, own(range.clone(), None).unwrap());
            let on_common = range.len() == 6;
            assert_eq!(matches!(shared, Cow::Borrowed(_)), on_common, "{range:?}");
        }
        // Another `min_periods` than the shared window's builds its own.
        let window = times.window(6..12, Some(3)).unwrap();
        assert!(matches!(window, Cow::Owned(_)));
        assert_eq!(*window, own(6..12, Some(3)).unwrap());

        // A failure of the common times is every equal segment's failure.
        let times = WindowTimes::new(time.clone(), vec![(10, 0), (20, 5)], 0..6);
        for range in [0..6, 20..26] {
            assert_eq!(
                times.window(range, None),
                Err(KernelError::TimeWithoutBound { time: 30 })
            );
        }
    }

    #[test]
    fn segments_on_a_run_of_the_common_times_take_its_starts() {
        let by_time: Vec<(i64, i64)> = (1..=8).map(|d| (d * 10, d * 10 - 25)).collect();
        let calendar = [10, 20, 30, 30, 40, 50, 60, 70, 80];
        // A later listing, an earlier delisting, a middle run, one row, a run from the
        // repeated time, and one that starts on its second place (built on its own).
        let runs: [&[i64]; 6] = [
            &[40, 50, 60, 70, 80],
            &[10, 20, 30, 30],
            &[30, 40, 50],
            &[70],
            &[30, 30, 40],
            &[30, 40, 50, 60],
        ];
        let mut time = calendar.to_vec();
        let mut segments = Vec::new();
        for run in runs {
            segments.push(time.len()..time.len() + run.len());
            time.extend_from_slice(run);
        }
        let own = |range: Range<usize>, min_periods| own_window(&time[range], min_periods);
        for min_periods in [None, Some(2), Some(3)] {
            let times = WindowTimes::new(time.clone(), by_time.clone(), 0..calendar.len());
            for range in segments.iter().cloned() {
                assert_eq!(
                    *times.window(range.clone(), min_periods).unwrap(),
                    own(range.clone(), min_periods).unwrap(),
                    "{:?}",
                    &time[range]
                );
            }
        }
        assert_eq!(run_within(&calendar, &[40, 50]), Some(4));
        assert_eq!(run_within(&calendar, &[30, 30]), Some(2));
        assert_eq!(run_within(&calendar, &[30, 40]), None);
        assert_eq!(run_within(&calendar, &[70, 80, 90]), None);
        assert_eq!(run_within(&calendar, &[]), None);
        assert_eq!(run_within(&[], &[10]), None);

        // The common times fail at 60, which a run before it does not hold: it gets its own
        // window, and a run holding 60 gets the failure its own build finds.
        let partial: Vec<(i64, i64)> = by_time.iter().copied().filter(|&(t, _)| t != 60).collect();
        let times = WindowTimes::new(time.clone(), partial, 0..calendar.len());
        assert_eq!(
            *times.window(segments[1].clone(), None).unwrap(),
            own(segments[1].clone(), None).unwrap()
        );
        assert_eq!(
            times.window(segments[0].clone(), None),
            Err(KernelError::TimeWithoutBound { time: 60 })
        );
    }

    #[test]
    fn the_common_segment_has_the_most_frequent_length() {
        assert_eq!(most_common_length(&[]), 0..0);
        assert_eq!(most_common_length(&[0..5, 5..8, 8..13, 13..20]), 0..5);
        // A tie goes to the longer length.
        assert_eq!(most_common_length(&[0..3, 3..8, 8..11, 11..16]), 3..8);
    }
}
