//! Which rows a trailing window covers.
//!
//! Every rolling kernel walks its rows in time order and asks, at row `t`, for the first row
//! still inside the window. Keeping that question in one place lets the same kernel serve row
//! windows, expanding windows and date windows.

use std::ops::Range;

use super::KernelError;

/// The trailing window of a rolling fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// The last `len` rows, `t - len + 1 ..= t`.
    Rows(usize),
    /// Every row so far, `0 ..= t`.
    Expanding,
}

/// A window together with the smallest number of usable rows a fit needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSpec {
    pub window: Window,
    pub min_periods: usize,
}

impl WindowSpec {
    /// Validates the combination the way the Python layer documents it.
    pub fn new(window: Window, min_periods: usize) -> Result<Self, KernelError> {
        if let Window::Rows(len) = window {
            if len < 2 {
                return Err(KernelError::InvalidWindow(len));
            }
            if min_periods > len {
                return Err(KernelError::MinPeriodsAboveWindow {
                    min_periods,
                    window: len,
                });
            }
        }
        if min_periods < 2 {
            return Err(KernelError::MinPeriodsTooSmall(min_periods));
        }
        Ok(Self {
            window,
            min_periods,
        })
    }

    /// First row inside the window that ends at row `t`.
    #[inline]
    pub fn start(&self, t: usize) -> usize {
        match self.window {
            Window::Rows(len) => (t + 1).saturating_sub(len),
            Window::Expanding => 0,
        }
    }

    /// How many removals may pass before the running moments are rebuilt from the rows.
    /// Expanding windows never remove a row, so they never need a rebuild.
    pub fn rebuild_interval(&self) -> usize {
        match self.window {
            Window::Rows(len) => len,
            Window::Expanding => usize::MAX,
        }
    }
}

/// Where each row's window starts and how many usable rows a fit needs: what a rolling
/// kernel asks of its window, whether it counts rows or dates.
pub trait WindowBounds: Sync {
    /// First row inside the window that ends at row `t`; never decreases as `t` grows.
    fn start(&self, t: usize) -> usize;
    /// Fewest usable rows a fit needs.
    fn min_periods(&self) -> usize;
    /// `Some(len)` when every full window is the last `len` rows, which lets a kernel slide
    /// one row in and one out without asking [`WindowBounds::start`] row by row.
    fn row_count(&self) -> Option<usize> {
        None
    }
}

impl WindowBounds for WindowSpec {
    #[inline]
    fn start(&self, t: usize) -> usize {
        WindowSpec::start(self, t)
    }

    #[inline]
    fn min_periods(&self) -> usize {
        self.min_periods
    }

    fn row_count(&self) -> Option<usize> {
        match self.window {
            Window::Rows(len) => Some(len),
            Window::Expanding => None,
        }
    }
}

/// A date window: the rows whose time lies in `(time_t - duration, time_t]`, up to row `t`.
/// The duration's calendar arithmetic is done by the caller, who passes each row's lower
/// bound `time_t - duration` beside its time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateWindow {
    starts: Vec<usize>,
    min_periods: usize,
}

impl DateWindow {
    /// Window starts from times sorted ascending and their lower bounds (both in the same
    /// integer unit). Fails when the times are not sorted, naming the first offending row.
    pub fn new(time: &[i64], lower: &[i64], min_periods: usize) -> Result<Self, KernelError> {
        if min_periods < 2 {
            return Err(KernelError::MinPeriodsTooSmall(min_periods));
        }
        if lower.len() != time.len() {
            return Err(KernelError::LengthMismatch {
                expected: time.len(),
                got: lower.len(),
                what: "the window's lower bounds",
            });
        }
        if let Some(row) = time.windows(2).position(|w| w[1] < w[0]) {
            return Err(KernelError::UnsortedTime { row: row + 1 });
        }
        let mut starts = Vec::with_capacity(time.len());
        let mut first = 0usize;
        for (t, &bound) in lower.iter().enumerate() {
            // A lower bound may not pass the row's own time (a non-positive duration).
            if bound >= time[t] {
                return Err(KernelError::InvalidDuration);
            }
            // Bounds of sorted times never decrease, so the start only moves forward.
            while first < t && time[first] <= bound {
                first += 1;
            }
            starts.push(first);
        }
        Ok(Self {
            starts,
            min_periods,
        })
    }
}

/// The share of a full date window's rows that a fit needs when `min_periods` is not given.
pub const DEFAULT_DATE_WINDOW_SHARE: f64 = 0.8;

/// How many rows a date window holds at the data's own frequency: the median, over every row
/// whose window the data covers in full, of the rows in that window. A window is covered in
/// full when its lower bound is at or after the first time of its series (the series has data
/// for the whole duration). Each series is its times, sorted ascending, and their lower
/// bounds; a series that is not a valid date window counts no rows. `None` when no window is
/// covered in full.
pub fn typical_date_window_rows(series: &[(&[i64], &[i64])]) -> Option<usize> {
    let mut counts: Vec<usize> = Vec::new();
    for &(time, lower) in series {
        if let Ok(window) = DateWindow::new(time, lower, 2) {
            counts.extend(window.full_window_rows());
        }
    }
    median(counts)
}

/// The default `min_periods` of a date window: [`DEFAULT_DATE_WINDOW_SHARE`] of
/// [`typical_date_window_rows`], rounded up, and at least 2. When no window is covered in
/// full, no window can be full, and none gets a fit: `usize::MAX`.
pub fn default_date_min_periods(series: &[(&[i64], &[i64])]) -> usize {
    min_periods_of_typical(typical_date_window_rows(series))
}

fn median(mut counts: Vec<usize>) -> Option<usize> {
    if counts.is_empty() {
        return None;
    }
    let middle = counts.len() / 2;
    Some(*counts.select_nth_unstable(middle).1)
}

fn min_periods_of_typical(rows: Option<usize>) -> usize {
    match rows {
        Some(rows) => ((rows as f64 * DEFAULT_DATE_WINDOW_SHARE).ceil() as usize).max(2),
        None => usize::MAX,
    }
}

impl DateWindow {
    /// [`DateWindow::new`] with [`default_date_min_periods`] of this one series, from the
    /// window starts it finds anyway.
    pub fn with_default_min_periods(time: &[i64], lower: &[i64]) -> Result<Self, KernelError> {
        let mut window = Self::new(time, lower, 2)?;
        window.min_periods = window.default_min_periods();
        Ok(window)
    }

    /// The window of the rows `rows` of this window's series taken as a series of their own:
    /// what [`DateWindow::new`] (or, without `min_periods`,
    /// [`DateWindow::with_default_min_periods`]) builds from those rows' times and bounds,
    /// without them. A row's bound depends on its time alone, and the rows before `rows`
    /// lie at or before its first time, so each start is this window's, less `rows.start`,
    /// and no earlier than the first row.
    pub fn of_rows(
        &self,
        rows: Range<usize>,
        min_periods: Option<usize>,
    ) -> Result<Self, KernelError> {
        let Some(starts) = self.starts.get(rows.clone()) else {
            return Err(KernelError::LengthMismatch {
                expected: self.starts.len(),
                got: rows.end,
                what: "the rows of a date window",
            });
        };
        let starts: Vec<usize> = starts
            .iter()
            .map(|&s| s.saturating_sub(rows.start))
            .collect();
        let mut window = Self {
            starts,
            min_periods: 2,
        };
        window.min_periods = match min_periods {
            Some(m) if m < 2 => return Err(KernelError::MinPeriodsTooSmall(m)),
            Some(m) => m,
            None => window.default_min_periods(),
        };
        Ok(window)
    }

    /// [`default_date_min_periods`] of this one series, from its starts.
    fn default_min_periods(&self) -> usize {
        min_periods_of_typical(median(self.full_window_rows().collect()))
    }

    /// The rows of each window that the series covers in full (see
    /// [`typical_date_window_rows`]). Its lower bound is at or after the series' first time
    /// exactly when the window starts after the first row, since every bound lies before its
    /// row's time (row 0's window is never covered).
    fn full_window_rows(&self) -> impl Iterator<Item = usize> + '_ {
        self.starts
            .iter()
            .enumerate()
            .filter(|&(_, &start)| start > 0)
            .map(|(t, &start)| t + 1 - start)
    }
}

impl WindowBounds for DateWindow {
    #[inline]
    fn start(&self, t: usize) -> usize {
        self.starts[t]
    }

    #[inline]
    fn min_periods(&self) -> usize {
        self.min_periods
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_window_keeps_rows_after_the_lower_bound() {
        // days 0, 1, 3, 4, 10 with a 3-day window: (t - 3, t]
        let time = [0i64, 1, 3, 4, 10];
        let lower: Vec<i64> = time.iter().map(|t| t - 3).collect();
        let w = DateWindow::new(&time, &lower, 2).unwrap();
        let starts: Vec<usize> = (0..5).map(|t| w.start(t)).collect();
        assert_eq!(starts, vec![0, 0, 1, 2, 4]);
        assert_eq!(w.min_periods(), 2);
    }

    #[test]
    fn date_window_with_duplicate_times_ends_at_the_row() {
        let time = [5i64, 5, 5, 6];
        let lower: Vec<i64> = time.iter().map(|t| t - 1).collect();
        let w = DateWindow::new(&time, &lower, 2).unwrap();
        let starts: Vec<usize> = (0..4).map(|t| w.start(t)).collect();
        assert_eq!(starts, vec![0, 0, 0, 3]);
    }

    #[test]
    fn date_window_rejects_unsorted_times_and_bad_bounds() {
        assert_eq!(
            DateWindow::new(&[1, 3, 2], &[0, 2, 1], 2),
            Err(KernelError::UnsortedTime { row: 2 })
        );
        assert_eq!(
            DateWindow::new(&[1, 3], &[1, 2], 2),
            Err(KernelError::InvalidDuration)
        );
        assert_eq!(
            DateWindow::new(&[1, 3], &[0, 2], 1),
            Err(KernelError::MinPeriodsTooSmall(1))
        );
    }

    #[test]
    fn row_window_starts() {
        let spec = WindowSpec::new(Window::Rows(3), 3).unwrap();
        let starts: Vec<usize> = (0..6).map(|t| spec.start(t)).collect();
        assert_eq!(starts, vec![0, 0, 0, 1, 2, 3]);
    }

    #[test]
    fn expanding_starts_at_zero() {
        let spec = WindowSpec::new(Window::Expanding, 2).unwrap();
        assert_eq!(spec.start(1000), 0);
        assert_eq!(spec.rebuild_interval(), usize::MAX);
    }

    #[test]
    fn rejects_bad_specs() {
        assert_eq!(
            WindowSpec::new(Window::Rows(1), 2),
            Err(KernelError::InvalidWindow(1))
        );
        assert_eq!(
            WindowSpec::new(Window::Rows(5), 6),
            Err(KernelError::MinPeriodsAboveWindow {
                min_periods: 6,
                window: 5
            })
        );
        assert_eq!(
            WindowSpec::new(Window::Rows(5), 1),
            Err(KernelError::MinPeriodsTooSmall(1))
        );
    }

    #[test]
    fn typical_rows_are_the_median_full_window() {
        // Business days (no weekends) over six weeks, a 7-day window: five rows when full.
        let time: Vec<i64> = (0..42).filter(|d| d % 7 < 5).collect();
        let lower: Vec<i64> = time.iter().map(|t| t - 7).collect();
        assert_eq!(typical_date_window_rows(&[(&time, &lower)]), Some(5));
        // 80% of 5 is 4.
        assert_eq!(default_date_min_periods(&[(&time, &lower)]), 4);
        // A second series with a gap does not move the median of the first's many windows.
        let sparse: Vec<i64> = vec![0, 1, 2, 20, 21];
        let sparse_lower: Vec<i64> = sparse.iter().map(|t| t - 7).collect();
        assert_eq!(
            typical_date_window_rows(&[(&time, &lower), (&sparse, &sparse_lower)]),
            Some(5)
        );
    }

    #[test]
    fn data_shorter_than_the_window_has_no_full_window() {
        let time: Vec<i64> = (0..10).collect();
        let lower: Vec<i64> = time.iter().map(|t| t - 365).collect();
        assert_eq!(typical_date_window_rows(&[(&time, &lower)]), None);
        assert_eq!(default_date_min_periods(&[(&time, &lower)]), usize::MAX);
        assert_eq!(typical_date_window_rows(&[]), None);
        // Two rows a full window: the default is never below 2.
        let time = [0i64, 1, 2, 3, 4];
        let lower: Vec<i64> = time.iter().map(|t| t - 2).collect();
        assert_eq!(default_date_min_periods(&[(&time, &lower)]), 2);
    }

    #[test]
    fn a_window_with_the_default_has_the_default_of_its_series() {
        let time: Vec<i64> = (0..60).filter(|d| d % 7 < 5).collect();
        let lower: Vec<i64> = time.iter().map(|t| t - 14).collect();
        let window = DateWindow::with_default_min_periods(&time, &lower).unwrap();
        assert_eq!(
            window.min_periods(),
            default_date_min_periods(&[(&time, &lower)])
        );
        assert_eq!(
            window,
            DateWindow::new(&time, &lower, window.min_periods()).unwrap()
        );
    }

    #[test]
    fn the_window_of_some_rows_is_the_window_of_those_rows_alone() {
        // Business days with repeated times, and the bound of each time from the time alone,
        // as the plugin looks it up: every range of rows, with and without `min_periods`.
        let mut time: Vec<i64> = (0..90).filter(|d| d % 7 < 5).collect();
        time.splice(10..10, [14, 14]);
        time.splice(30..30, [44, 44, 44]);
        time.sort_unstable();
        for duration in [1i64, 3, 10, 40] {
            let lower: Vec<i64> = time.iter().map(|t| t - duration).collect();
            let whole = DateWindow::new(&time, &lower, 2).unwrap();
            for start in 0..time.len() {
                for end in start..=time.len() {
                    let (t, l) = (&time[start..end], &lower[start..end]);
                    for m in [None, Some(2), Some(7)] {
                        let alone = match m {
                            Some(m) => DateWindow::new(t, l, m).unwrap(),
                            None => DateWindow::with_default_min_periods(t, l).unwrap(),
                        };
                        assert_eq!(
                            whole.of_rows(start..end, m).unwrap(),
                            alone,
                            "rows {start}..{end}, duration {duration}, min_periods {m:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_window_of_some_rows_checks_the_rows_and_min_periods() {
        let time = [0i64, 1, 2, 3];
        let lower: Vec<i64> = time.iter().map(|t| t - 2).collect();
        let whole = DateWindow::new(&time, &lower, 2).unwrap();
        assert!(matches!(
            whole.of_rows(2..5, None),
            Err(KernelError::LengthMismatch { .. })
        ));
        assert_eq!(
            whole.of_rows(1..3, Some(1)),
            Err(KernelError::MinPeriodsTooSmall(1))
        );
    }
}
