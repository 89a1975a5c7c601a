//! `rolling_simple_ols`: the rolling single-index regression, on row, expanding and date
//! windows, against a fresh least-squares fit of every window ([`crate::reference`]).
//!
//! Also checks what the kernel documents beyond the numbers: a row window gives the same bits
//! whether the kernel slides it in blocks or row by row (a window that hides its length forces
//! the row-by-row walk), or, where it slid long runs in lanes, the bits of the walk rebuilt at
//! the lane starts; and a request for some of the fields writes exactly those.

use crate::bytes::{Bytes, KernelBounds, WindowCase};
use crate::reference::{compare, fit, simple_history, simple_rows, Expected, Fields, Got, Model};
use polars_alpha_kernels::rolling_ols::{
    fit_from_moments, for_each_window_rebuilding_at, rolling_simple_ols_reporting_lanes,
    SimpleFitColumns,
};
use polars_alpha_kernels::window::WindowBounds;
use polars_alpha_kernels::KernelError;

/// Long enough for a window to slide more than one 64-row block.
pub const MAX_ROWS: usize = 80;

/// Single-index data: `x` the market, `y` the asset.
#[derive(Debug, Clone)]
pub struct Pair {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
}

/// Decodes `len` rows of a market and an asset: the asset is independent of the market, a
/// line in it plus noise, or exactly a line (a perfect fit).
pub fn decode_pair(b: &mut Bytes<'_>, len: usize) -> Pair {
    let mode = b.byte() % 4;
    let (a, slope) = (b.small(), b.small() * 30.0);
    let (mut x, mut y) = (Vec::with_capacity(len), Vec::with_capacity(len));
    let (mut px, mut py) = (0.0, 0.0);
    for _ in 0..len {
        px = b.value(px);
        py = match mode {
            0 | 1 => b.value(py),
            2 => a + slope * px + b.small() * 1e-3,
            _ => a + slope * px,
        };
        x.push(px);
        y.push(py);
    }
    Pair { x, y }
}

/// The eight float fields in `SimpleFitColumns` order and the row counts.
struct Owned {
    cols: Vec<Vec<f64>>,
    n: Vec<u32>,
}

/// Runs the kernel with the fields in `mask` (bit `i` for field `i`, bit 8 for `n`); buffers
/// start at a sentinel so a field written when not asked for would show.
fn run(p: &Pair, bounds: &impl WindowBounds, mask: u16) -> Result<Owned, KernelError> {
    run_reporting_lanes(p, bounds, mask).map(|(owned, _)| owned)
}

/// [`run`], with the rows where the kernel started lanes.
fn run_reporting_lanes(
    p: &Pair,
    bounds: &impl WindowBounds,
    mask: u16,
) -> Result<(Owned, Vec<usize>), KernelError> {
    let mut lane_starts = Vec::new();
    let len = p.x.len();
    let mut cols = vec![vec![SENTINEL; len]; 8];
    let mut n = vec![u32::MAX; len];
    {
        let mut it = cols
            .iter_mut()
            .enumerate()
            .map(|(i, c)| (mask >> i & 1 == 1).then_some(c.as_mut_slice()));
        let mut next = || it.next().flatten();
        let mut out = SimpleFitColumns {
            alpha: next(),
            beta: next(),
            r2: next(),
            resid_std: next(),
            alpha_se: next(),
            beta_se: next(),
            alpha_t: next(),
            beta_t: next(),
            n: (mask >> 8 & 1 == 1).then_some(n.as_mut_slice()),
        };
        rolling_simple_ols_reporting_lanes(&p.x, &p.y, bounds, &mut out, |t| lane_starts.push(t))?;
    }
    Ok((Owned { cols, n }, lane_starts))
}

const SENTINEL: f64 = -12345.678;
const ALL: u16 = 0x1ff;

fn got_row(o: &Owned, t: usize) -> Got {
    let c = |i: usize| o.cols[i][t];
    Got {
        n: o.n[t] as usize,
        alpha: c(0),
        beta: [c(1), f64::NAN, f64::NAN],
        r2: c(2),
        resid_std: c(3),
        alpha_se: c(4),
        beta_se: [c(5), f64::NAN, f64::NAN],
        alpha_t: c(6),
        beta_t: [c(7), f64::NAN, f64::NAN],
        ..Got::default()
    }
}

fn same_bits(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// The reference fit of the window ending at row `t`.
fn expected(p: &Pair, case: &WindowCase, model: &Model, t: usize) -> Expected {
    let start = case.start(t);
    let rows = simple_rows(&p.x, &p.y, start, t);
    let history = simple_history(&p.x, &p.y, start, t);
    fit(&rows, model, &history)
}

pub fn check(data: &[u8]) {
    let mut b = Bytes::new(data);
    let len = b.len(MAX_ROWS);
    let case = b.window_case(len, 72);
    let mask = u16::from(b.byte()) | u16::from(b.byte() & 1) << 8;
    let p = decode_pair(&mut b, len);
    let bounds = case.bounds().expect("a valid window");
    match &bounds {
        KernelBounds::Spec(s) => check_with(&p, &case, s, mask),
        KernelBounds::Dates(d) => check_with(&p, &case, d, mask),
    }
}

fn check_with(p: &Pair, case: &WindowCase, bounds: &impl WindowBounds, mask: u16) {
    let len = p.x.len();
    let (all, lane_starts) = run_reporting_lanes(p, bounds, ALL).expect("valid inputs");
    let model = Model {
        k: 1,
        intercept: true,
        min_periods: case.min_periods,
        resid_scale: 1.0,
        exact_constant: false,
    };
    for t in 0..len {
        let start = case.start(t);
        let want = expected(p, case, &model, t);
        compare(&want, &got_row(&all, t), Fields::all(1, false), &|| {
            format!(
                "row {t}, window rows {start}..={t}, {case:?}, x {:?}, y {:?}",
                p.x, p.y
            )
        });
    }

    // Blocks (of fixed or varying windows) give the bits of the walk that visits every row,
    // and lanes those of the walk rebuilt at their starts.
    let min_periods = bounds.min_periods();
    for_each_window_rebuilding_at(&p.x, &p.y, bounds, &lane_starts, |t, m, first| {
        let rows = first..t + 1;
        let walked = fit_from_moments(m, &p.x[rows.clone()], &p.y[rows], min_periods, true);
        assert_eq!(all.n[t] as usize, walked.n, "n at row {t}: kernel vs walk");
        for (i, w) in walked.values().into_iter().enumerate() {
            let a = all.cols[i][t];
            assert!(
                same_bits(a, w),
                "field {i} at row {t}: {a:e} from the kernel (lanes started at {lane_starts:?}), {w:e} walked ({case:?}, x {:?}, y {:?})",
                p.x,
                p.y
            );
        }
    });

    // Some fields only: exactly those are written, and they still agree with the reference
    // (the kernel skips the residual work when no residual field is asked for).
    let some = run(p, bounds, mask).expect("valid inputs");
    let on = |i: usize| mask >> i & 1 == 1;
    let fields = Fields {
        k: 1,
        alpha: on(0),
        beta: on(1),
        r2: on(2),
        adj_r2: false,
        resid_std: on(3),
        alpha_se: on(4),
        beta_se: on(5),
        alpha_t: on(6),
        beta_t: on(7),
    };
    for t in 0..len {
        for i in (0..8).filter(|&i| !on(i)) {
            assert!(
                same_bits(some.cols[i][t], SENTINEL),
                "field {i} at row {t} written though not asked for (mask {mask:#x})"
            );
        }
        if on(8) {
            assert_eq!(some.n[t], all.n[t], "n at row {t} with mask {mask:#x}");
        } else {
            assert_eq!(some.n[t], u32::MAX, "n written though not asked for");
        }
        let mut got = got_row(&some, t);
        got.n = all.n[t] as usize;
        let start = case.start(t);
        let want = expected(p, case, &model, t);
        compare(&want, &got, fields, &|| {
            format!(
                "row {t} with mask {mask:#x}, window rows {start}..={t}, {case:?}, x {:?}, y {:?}",
                p.x, p.y
            )
        });
    }

    // Mismatched lengths are errors, not panics.
    let short = Pair {
        x: p.x.clone(),
        y: p.y[..len.saturating_sub(1)].to_vec(),
    };
    if len > 0 {
        assert!(matches!(
            run(&short, bounds, ALL),
            Err(KernelError::LengthMismatch { .. })
        ));
    }
}
