//! Decoding fuzz bytes into small kernel inputs.
//!
//! Every read succeeds: past the end of the data a read gives zero bytes, so any byte string
//! decodes to some input, and a mutation of one byte changes one decision.

use polars_alpha_kernels::window::{DateWindow, Window, WindowSpec};
use polars_alpha_kernels::KernelError;

/// A cursor over the fuzz data.
#[derive(Debug, Clone)]
pub struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Bytes<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    /// The next byte, or 0 past the end.
    pub fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos = self.pos.saturating_add(1);
        b
    }

    /// A number in `0..n` (0 when `n` is 0); `n` at most 256 for an even spread.
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            usize::from(self.byte()) % n
        }
    }

    pub fn bits64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        for v in &mut b {
            *v = self.byte();
        }
        u64::from_le_bytes(b)
    }

    /// A typical return: a multiple of 1e-5 in about `[-0.33, 0.33]`.
    pub fn small(&mut self) -> f64 {
        let v = i16::from_le_bytes([self.byte(), self.byte()]);
        f64::from(v) * 1e-5
    }

    /// One value from the palette the kernels must survive: mostly ordinary returns, and
    /// repeats of `prev` (constant runs), missing values (NaN, ±inf), zeros, huge and tiny
    /// magnitudes, a large level with a small spread, other scales, and raw bit patterns.
    pub fn value(&mut self, prev: f64) -> f64 {
        let class = self.byte();
        match class {
            0..=127 => self.small(),
            128..=159 => prev,
            160..=167 => f64::NAN,
            168..=171 => f64::INFINITY,
            172..=175 => f64::NEG_INFINITY,
            176..=177 => 0.0,
            178..=179 => -0.0,
            180..=189 => {
                let m = [1e100, 1e150, 1e200, 1e300, f64::MAX][usize::from(class - 180) % 5];
                self.signed(m)
            }
            190..=199 => {
                let m = [1e-300, 5e-324, 1e-160, f64::MIN_POSITIVE, 1e-20]
                    [usize::from(class - 190) % 5];
                self.signed(m)
            }
            200..=219 => {
                let level = [1e3, 1e6, 1e9, 1e12, 1e15][usize::from(class - 200) % 5];
                level + self.small()
            }
            220..=239 => {
                let e = self.below(41) as i32 - 20;
                self.small() * 10f64.powi(e)
            }
            240..=255 => f64::from_bits(self.bits64()),
        }
    }

    fn signed(&mut self, m: f64) -> f64 {
        if self.byte() & 1 == 1 {
            -m
        } else {
            m
        }
    }

    /// A row count in `0..=max`.
    pub fn len(&mut self, max: usize) -> usize {
        self.below(max + 1)
    }

    /// A valid window over `len` rows: a row window of `2..=max_window` rows, an expanding
    /// window, or a date window over generated times, each with a valid `min_periods`.
    pub fn window_case(&mut self, len: usize, max_window: usize) -> WindowCase {
        let kind = self.byte() % 8;
        match kind {
            0..=3 => {
                let w = 2 + self.below(max_window.max(2) - 1);
                let b = self.byte();
                // The default `min_periods = window` a third of the time.
                let min_periods = if b.is_multiple_of(3) {
                    w
                } else {
                    2 + usize::from(b) % (w - 1)
                };
                WindowCase {
                    kind: WindowKind::Rows(w),
                    min_periods,
                }
            }
            4 => WindowCase {
                kind: WindowKind::Expanding,
                min_periods: 2 + self.below(len + 1),
            },
            _ => {
                let min_periods = 2 + self.below(8);
                let duration = 1 + self.below(16) as i64;
                // Calendar durations ("1mo") give each row its own span, but the lower bounds
                // of sorted times still never decrease; that is what the bindings pass.
                let calendar = self.byte() & 1 == 1;
                let mut time = Vec::with_capacity(len);
                let mut lower = Vec::with_capacity(len);
                let mut now = self.below(256) as i64 - 128;
                for t in 0..len {
                    if t > 0 {
                        // 0 repeats a time: two rows on one date.
                        now += self.below(4) as i64;
                    }
                    let span = if calendar {
                        duration + self.below(3) as i64
                    } else {
                        duration
                    };
                    let bound = now - span;
                    let bound = match lower.last() {
                        Some(&prev) if calendar => bound.max(prev),
                        _ => bound,
                    };
                    time.push(now);
                    lower.push(bound);
                }
                WindowCase {
                    kind: WindowKind::Dates { time, lower },
                    min_periods,
                }
            }
        }
    }
}

/// Which rows a fit at row `t` covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowKind {
    Rows(usize),
    Expanding,
    /// Row `s` is in the window of row `t` when `s <= t` and `lower[t] < time[s]`.
    Dates {
        time: Vec<i64>,
        lower: Vec<i64>,
    },
}

/// A window and the fewest usable rows a fit needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowCase {
    pub kind: WindowKind,
    pub min_periods: usize,
}

/// The kernel's window object for a [`WindowCase`].
#[derive(Debug, Clone)]
pub enum KernelBounds {
    Spec(WindowSpec),
    Dates(DateWindow),
}

impl WindowCase {
    /// First row of the window that ends at row `t`, from the definition, without the kernel.
    pub fn start(&self, t: usize) -> usize {
        match &self.kind {
            WindowKind::Rows(w) => (t + 1).saturating_sub(*w),
            WindowKind::Expanding => 0,
            WindowKind::Dates { time, lower } => (0..=t).find(|&s| time[s] > lower[t]).unwrap_or(t),
        }
    }

    /// Builds the kernel's window; the case is valid by construction, so this must succeed.
    pub fn bounds(&self) -> Result<KernelBounds, KernelError> {
        Ok(match &self.kind {
            WindowKind::Rows(w) => {
                KernelBounds::Spec(WindowSpec::new(Window::Rows(*w), self.min_periods)?)
            }
            WindowKind::Expanding => {
                KernelBounds::Spec(WindowSpec::new(Window::Expanding, self.min_periods)?)
            }
            WindowKind::Dates { time, lower } => {
                KernelBounds::Dates(DateWindow::new(time, lower, self.min_periods)?)
            }
        })
    }
}
