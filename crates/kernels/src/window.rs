//! Which rows a trailing window covers.
//!
//! Every rolling kernel walks its rows in time order and asks, at row `t`, for the first row
//! still inside the window. Keeping that question in one place lets the same kernel serve row
//! windows, expanding windows and date windows.

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
}
