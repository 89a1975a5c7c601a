//! `rolling_factor_ols` and `factor_ols`: the multi-factor regression with one to three
//! factors, on row, expanding and date windows, against a fresh least-squares fit (QR of the
//! centered factors) of every window. Factors may be copies or near-copies of the first one
//! (collinear windows) or constant.

#![allow(clippy::needless_range_loop)]

use crate::bytes::{Bytes, KernelBounds, WindowCase};
use crate::reference::{compare, fit, Expected, Fields, Got, History, Model, Obs, MAX_K};
use polars_alpha_kernels::factor_ols::{
    factor_ols, rolling_factor_ols, FactorFitColumns, FactorLayout,
};
use polars_alpha_kernels::window::WindowBounds;
use polars_alpha_kernels::KernelError;

pub const MAX_ROWS: usize = 64;

#[derive(Debug, Clone)]
struct Data {
    factors: Vec<Vec<f64>>,
    y: Vec<f64>,
}

fn decode(b: &mut Bytes<'_>, len: usize, k: usize) -> Data {
    let modes: Vec<u8> = (0..k).map(|_| b.byte() % 8).collect();
    let scales: Vec<f64> = (0..k).map(|_| b.small() * 30.0).collect();
    let y_mode = b.byte() % 4;
    let intercept = b.small();
    let mut factors = vec![Vec::with_capacity(len); k];
    let mut y = Vec::with_capacity(len);
    let mut prev = [0.0; MAX_K + 1];
    for _ in 0..len {
        for j in 0..k {
            let v = match (j, modes[j]) {
                (0, _) | (_, 0..=3) => b.value(prev[j]),
                // Collinear: a multiple of the first factor.
                (_, 4) => scales[j] * factors[0].last().copied().unwrap_or(0.0),
                // Nearly collinear: the first factor plus a wiggle of 1e-6 to 1e-10.
                (_, 5) => {
                    let f0 = factors[0].last().copied().unwrap_or(0.0);
                    f0 + b.small() * 10f64.powi(-(b.below(5) as i32) - 5)
                }
                // Constant.
                (_, 6) => scales[j],
                // The sum of the factors before it.
                _ => (0..j)
                    .map(|i| factors[i].last().copied().unwrap_or(0.0))
                    .sum(),
            };
            factors[j].push(v);
            prev[j] = v;
        }
        let line = || {
            intercept
                + (0..k)
                    .map(|j| (0.5 + j as f64) * factors[j].last().copied().unwrap_or(0.0))
                    .sum::<f64>()
        };
        let v = match y_mode {
            0 | 1 => b.value(prev[MAX_K]),
            2 => line() + b.small() * 1e-3,
            _ => line(),
        };
        y.push(v);
        prev[MAX_K] = v;
    }
    Data { factors, y }
}

fn usable_rows(d: &Data, start: usize, t: usize) -> Vec<Obs> {
    let k = d.factors.len();
    (start..=t)
        .filter(|&s| d.y[s].is_finite() && d.factors.iter().all(|f| f[s].is_finite()))
        .map(|s| {
            let mut f = [0.0; MAX_K];
            for j in 0..k {
                f[j] = d.factors[j][s];
            }
            Obs::unweighted(f, d.y[s])
        })
        .collect()
}

fn history(d: &Data, start: usize, t: usize) -> History {
    History::of(
        usable_rows(d, History::first_row(start, t), t)
            .into_iter()
            .map(|o| (o.f, o.y)),
    )
}

/// The reference fit of the window ending at row `t`.
fn expected(d: &Data, case: &WindowCase, model: &Model, t: usize) -> Expected {
    let start = case.start(t);
    let rows = usable_rows(d, start, t);
    fit(&rows, model, &history(d, start, t))
}

fn got_row(floats: &[Vec<f64>], n: u32, t: usize, k: usize) -> Got {
    let l = FactorLayout { k };
    let v = |i: usize| floats[i][t];
    let mut g = Got {
        n: n as usize,
        alpha: v(l.alpha()),
        r2: v(l.r2()),
        adj_r2: v(l.adj_r2()),
        resid_std: v(l.resid_std()),
        alpha_se: v(l.alpha_se()),
        alpha_t: v(l.alpha_t()),
        ..Got::default()
    };
    for j in 0..k {
        g.beta[j] = v(l.beta(j));
        g.beta_se[j] = v(l.beta_se(j));
        g.beta_t[j] = v(l.beta_t(j));
    }
    g
}

fn run(d: &Data, bounds: &impl WindowBounds) -> Result<(Vec<Vec<f64>>, Vec<u32>), KernelError> {
    let k = d.factors.len();
    let len = d.y.len();
    let mut floats = vec![vec![0.0; len]; FactorLayout { k }.field_count()];
    let mut n = vec![0u32; len];
    let views: Vec<&[f64]> = d.factors.iter().map(|f| f.as_slice()).collect();
    {
        let mut out = FactorFitColumns {
            floats: floats.iter_mut().map(|b| b.as_mut_slice()).collect(),
            n: &mut n,
        };
        rolling_factor_ols(&views, &d.y, bounds, &mut out)?;
    }
    Ok((floats, n))
}

pub fn check(data: &[u8]) {
    let mut b = Bytes::new(data);
    let len = b.len(MAX_ROWS);
    let k = 1 + b.below(MAX_K);
    let case = b.window_case(len, 64);
    let d = decode(&mut b, len, k);
    match case.bounds().expect("a valid window") {
        KernelBounds::Spec(s) => check_with(&d, &case, &s),
        KernelBounds::Dates(w) => check_with(&d, &case, &w),
    }
}

fn check_with(d: &Data, case: &WindowCase, bounds: &impl WindowBounds) {
    let k = d.factors.len();
    let len = d.y.len();
    let model = Model {
        k,
        intercept: true,
        min_periods: case.min_periods,
        resid_scale: 1.0,
        exact_constant: true,
    };
    let fields = Fields::all(k, true);
    let (floats, n) = run(d, bounds).expect("valid inputs");
    for t in 0..len {
        let start = case.start(t);
        let want = expected(d, case, &model, t);
        compare(&want, &got_row(&floats, n[t], t, k), fields, &|| {
            format!(
                "row {t}, window rows {start}..={t}, {case:?}, factors {:?}, y {:?}",
                d.factors, d.y
            )
        });
    }

    // The whole-sample form over every row.
    let layout = FactorLayout { k };
    let mut one = vec![vec![0.0; 1]; layout.field_count()];
    let mut n1 = vec![0u32; 1];
    let views: Vec<&[f64]> = d.factors.iter().map(|f| f.as_slice()).collect();
    {
        let mut out = FactorFitColumns {
            floats: one.iter_mut().map(|b| b.as_mut_slice()).collect(),
            n: &mut n1,
        };
        factor_ols(&views, &d.y, case.min_periods, &mut out).expect("valid inputs");
    }
    let rows = if len == 0 {
        Vec::new()
    } else {
        usable_rows(d, 0, len - 1)
    };
    // One fresh fit of every row: no running sums, so no residue (an empty history).
    let want = fit(&rows, &model, &History::default());
    compare(&want, &got_row(&one, n1[0], 0, k), fields, &|| {
        format!(
            "factor_ols over all rows, min_periods {}, factors {:?}, y {:?}",
            case.min_periods, d.factors, d.y
        )
    });

    // Bad arguments are errors, not panics.
    let mut n_buf = vec![0u32; len];
    let mut out = FactorFitColumns {
        floats: vec![],
        n: &mut n_buf,
    };
    assert_eq!(
        rolling_factor_ols(&[], &d.y, bounds, &mut out),
        Err(KernelError::NoFactors)
    );
    assert!(matches!(
        rolling_factor_ols(&views, &d.y, bounds, &mut out),
        Err(KernelError::LengthMismatch { .. })
    ));
    if len > 0 {
        assert!(matches!(
            rolling_factor_ols(&views, &d.y[1..], bounds, &mut out),
            Err(KernelError::LengthMismatch { .. })
        ));
    }
}
