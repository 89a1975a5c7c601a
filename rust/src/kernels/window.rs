//! Which rows a trailing window covers.
//!
//! Every rolling kernel walks its rows in time order and asks, at row `t`, for the first row
//! still inside the window. Keeping that question in one place lets the same kernel serve row
//! windows, expanding windows and (later) date windows.

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

#[cfg(test)]
mod tests {
    use super::*;

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
