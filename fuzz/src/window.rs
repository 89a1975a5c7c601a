//! Segmentation: which rows each window covers. `DateWindow::new` (times with repeats, gaps
//! and, sometimes, out of order; lower bounds from fixed and calendar-like durations, and
//! invalid ones) and `WindowSpec` (row and expanding windows), against the definitions:
//! the date window of row `t` holds the rows `s <= t` with `lower[t] < time[s]`, the row
//! window the last `len` rows.
//!
//! Lower bounds that decrease from one row to the next cannot come from subtracting one
//! duration from sorted times, and `DateWindow` moves its start only forward, so for them the
//! target checks only that each window is a trailing part of the defined one and that starts
//! never decrease.

use crate::bytes::Bytes;
use polars_alpha_kernels::window::{DateWindow, Window, WindowBounds, WindowSpec};
use polars_alpha_kernels::KernelError;

pub const MAX_ROWS: usize = 64;

/// The errors that apply to these arguments; `DateWindow::new` must return one of them, or
/// succeed when there is none.
fn date_window_errors(time: &[i64], lower: &[i64], min_periods: usize) -> Vec<KernelError> {
    let mut errors = Vec::new();
    if min_periods < 2 {
        errors.push(KernelError::MinPeriodsTooSmall(min_periods));
    }
    if lower.len() != time.len() {
        errors.push(KernelError::LengthMismatch {
            expected: time.len(),
            got: lower.len(),
            what: "the window's lower bounds",
        });
    }
    // The error names the first row earlier than the row before it.
    if let Some(row) = (1..time.len()).find(|&i| time[i] < time[i - 1]) {
        errors.push(KernelError::UnsortedTime { row });
    }
    if time.iter().zip(lower).any(|(t, l)| l >= t) {
        errors.push(KernelError::InvalidDuration);
    }
    errors
}

fn check_date_window(b: &mut Bytes<'_>) {
    let len = b.len(MAX_ROWS);
    let min_periods = b.below(10);
    let shape = b.byte();
    let disorder = shape & 0x3 == 0; // some steps backwards
    let bound_kind = (shape >> 2) % 8;
    let lower_len = match (shape >> 5) % 8 {
        0 => len + 1,
        1 => len.saturating_sub(1),
        _ => len,
    };
    let duration = b.below(20) as i64 - 2; // mostly positive; zero and negative are invalid
    let mut time = Vec::with_capacity(len);
    let mut now = b.below(256) as i64 * 1_000 - 128_000;
    for t in 0..len {
        if t > 0 {
            let step = b.byte();
            now += if disorder && step >= 224 {
                -i64::from(step - 223)
            } else {
                i64::from(step % 4)
            };
        }
        time.push(now);
    }
    let mut lower: Vec<i64> = Vec::with_capacity(lower_len);
    for i in 0..lower_len {
        let t = time.get(i).copied().unwrap_or(now);
        let l = match bound_kind {
            // A fixed duration.
            0..=3 => t - duration,
            // A calendar-like duration: its own span per row, never decreasing.
            4 | 5 => {
                let l = t - duration - b.below(3) as i64;
                lower.last().map_or(l, |&p| l.max(p))
            }
            // Independent bounds below the row's time, which may decrease.
            6 => t - 1 - b.below(8) as i64,
            // Extreme bounds.
            _ => [i64::MIN, t - 1, t, i64::MAX][b.below(4)],
        };
        lower.push(l);
    }

    let errors = date_window_errors(&time, &lower, min_periods);
    let w = match DateWindow::new(&time, &lower, min_periods) {
        Ok(w) => {
            assert!(
                errors.is_empty(),
                "accepted time {time:?}, lower {lower:?}, min_periods {min_periods}; expected one of {errors:?}"
            );
            w
        }
        Err(e) => {
            assert!(
                errors.contains(&e),
                "error {e:?} for time {time:?}, lower {lower:?}, min_periods {min_periods}; expected one of {errors:?}"
            );
            return;
        }
    };
    assert_eq!(w.min_periods(), min_periods);
    let monotone = lower.windows(2).all(|p| p[0] <= p[1]);
    let mut prev = 0;
    for t in 0..len {
        let start = w.start(t);
        let defined = (0..=t).find(|&s| time[s] > lower[t]).unwrap_or(t);
        let context = || format!("row {t}, time {time:?}, lower {lower:?}");
        assert!(start <= t, "start {start} after the row: {}", context());
        assert!(
            start >= prev,
            "start went back from {prev} to {start}: {}",
            context()
        );
        if monotone {
            assert_eq!(start, defined, "start: {}", context());
        } else {
            assert!(
                start >= defined,
                "start {start} before {defined}: {}",
                context()
            );
        }
        prev = start;
    }
}

fn check_window_spec(b: &mut Bytes<'_>) {
    let window = match b.byte() % 4 {
        0 => Window::Expanding,
        _ => Window::Rows(b.below(80)),
    };
    let min_periods = b.below(90);
    let mut errors = Vec::new();
    if let Window::Rows(len) = window {
        if len < 2 {
            errors.push(KernelError::InvalidWindow(len));
        }
        if min_periods > len {
            errors.push(KernelError::MinPeriodsAboveWindow {
                min_periods,
                window: len,
            });
        }
    }
    if min_periods < 2 {
        errors.push(KernelError::MinPeriodsTooSmall(min_periods));
    }
    let spec = match WindowSpec::new(window, min_periods) {
        Ok(spec) => {
            assert!(
                errors.is_empty(),
                "accepted {window:?}, min_periods {min_periods}"
            );
            spec
        }
        Err(e) => {
            assert!(
                errors.contains(&e),
                "error {e:?} for {window:?}, min_periods {min_periods}; expected one of {errors:?}"
            );
            return;
        }
    };
    assert_eq!(WindowBounds::min_periods(&spec), min_periods);
    for t in 0..100usize {
        let defined = match window {
            Window::Rows(len) => (t + 1).saturating_sub(len),
            Window::Expanding => 0,
        };
        assert_eq!(spec.start(t), defined, "start of row {t}, {window:?}");
        assert_eq!(WindowBounds::start(&spec, t), defined);
    }
    let interval = match window {
        Window::Rows(len) => len,
        Window::Expanding => usize::MAX,
    };
    assert_eq!(spec.rebuild_interval(), interval);
}

pub fn check(data: &[u8]) {
    let mut b = Bytes::new(data);
    if b.byte().is_multiple_of(4) {
        check_window_spec(&mut b);
    } else {
        check_date_window(&mut b);
    }
}
