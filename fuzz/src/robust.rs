//! `robust_cov::rolling_robust` (HC0, HC1 and HAC with up to 8 lags) on the coefficients of
//! `rolling_factor_ols`, with one or two factors, on row, expanding and date windows, over
//! the hostile value palette. It must not panic or fail; a standard error is NaN where the
//! fit has no coefficient (and never negative); and on a window of ordinary returns whose fit
//! is not near-perfect (R² at most 0.999), with factors not nearly collinear, it equals `robust_cov::whole_sample` (the sandwich
//! summed from the window's rows): their variances agree to 1e-7, or to 1e-8 of the
//! ordinary variance. Where the window's rows give NaN (the sandwich overflows inside), the
//! rolling standard error is not finite either.

use crate::bytes::{Bytes, KernelBounds, WindowCase};
use polars_alpha_kernels::factor_ols::{rolling_factor_ols, FactorFitColumns, FactorLayout};
use polars_alpha_kernels::robust_cov::{
    rolling_robust, whole_sample, Coefficients, Regression, RobustColumns, RobustSpec,
};
use polars_alpha_kernels::window::WindowBounds;

pub const MAX_ROWS: usize = 64;

pub fn check(data: &[u8]) {
    let mut b = Bytes::new(data);
    let len = b.len(MAX_ROWS);
    let p = 1 + b.below(2);
    let spec = match b.byte() % 4 {
        0 => RobustSpec::parse("HC0", None),
        1 => RobustSpec::parse("HC1", None),
        _ => RobustSpec::parse("HAC", Some(b.below(9))),
    }
    .expect("a valid spec")
    .expect("a robust spec");
    let case = b.window_case(len, 40);
    // Ordinary returns half the time, so the comparison below has windows to judge.
    let plain = b.byte() & 1 == 0;
    let mut prev = [0.0; 3];
    let mut columns = vec![Vec::with_capacity(len); p + 1];
    for _ in 0..len {
        for (j, column) in columns.iter_mut().enumerate() {
            let v = if plain { b.small() } else { b.value(prev[j]) };
            column.push(v);
            prev[j] = v;
        }
    }
    let (factors, y) = columns.split_at(p);
    match case.bounds().expect("a valid window") {
        KernelBounds::Spec(s) => check_with(factors, &y[0], &case, &s, &spec),
        KernelBounds::Dates(w) => check_with(factors, &y[0], &case, &w, &spec),
    }
}

fn check_with(
    factors: &[Vec<f64>],
    y: &[f64],
    case: &WindowCase,
    bounds: &impl WindowBounds,
    spec: &RobustSpec,
) {
    let p = factors.len();
    let len = y.len();
    let layout = FactorLayout { k: p };
    let views: Vec<&[f64]> = factors.iter().map(|f| f.as_slice()).collect();
    let mut fit = vec![vec![0.0; len]; layout.field_count()];
    let mut n = vec![0u32; len];
    {
        let mut out = FactorFitColumns {
            floats: fit.iter_mut().map(|b| b.as_mut_slice()).collect(),
            n: &mut n,
        };
        rolling_factor_ols(&views, y, bounds, &mut out).expect("valid inputs");
    }
    let alpha = fit[layout.alpha()].clone();
    let betas: Vec<Vec<f64>> = (0..p).map(|j| fit[layout.beta(j)].clone()).collect();
    let beta_views: Vec<&[f64]> = betas.iter().map(|b| b.as_slice()).collect();
    let mut se = vec![vec![0.0; len]; p + 1];
    {
        let (a, rest) = se.split_at_mut(1);
        let mut out = RobustColumns {
            alpha_se: Some(&mut a[0]),
            beta_se: rest.iter_mut().map(|b| Some(b.as_mut_slice())).collect(),
            alpha_t: None,
            beta_t: vec![],
        };
        let reg = Regression { factors: &views, y };
        let coef = Coefficients {
            alpha: &alpha,
            betas: &beta_views,
        };
        rolling_robust(&reg, bounds, spec, &coef, &mut out).expect("valid inputs");
    }
    for t in 0..len {
        let fitted = alpha[t].is_finite() && betas.iter().all(|b| b[t].is_finite());
        for (i, column) in se.iter().enumerate() {
            let v = column[t];
            assert!(!(v < 0.0), "row {t}: standard error {i} is {v}");
            if !fitted {
                assert!(v.is_nan(), "row {t}: a standard error {v} without a fit");
            }
        }
        if !fitted {
            continue;
        }
        let start = case.start(t);
        let window: Vec<usize> = (start..=t).collect();
        let ordinary = window
            .iter()
            .all(|&s| y[s].abs() <= 1.0 && factors.iter().all(|f| f[s].abs() <= 1.0));
        // A near-perfect fit's residuals are rounding, and so are both sandwiches.
        let r2 = fit[layout.r2()][t];
        if !ordinary || !(r2 <= 0.999) {
            continue;
        }
        let w_factors: Vec<Vec<f64>> = factors.iter().map(|f| f[start..=t].to_vec()).collect();
        // Nearly collinear factors amplify every rounding of either sum (a variance that is
        // zero in exact arithmetic comes out as noise of different sizes): judged elsewhere.
        if p == 2 && correlation(&w_factors[0], &w_factors[1], &y[start..=t]).abs() > 0.99 {
            continue;
        }
        let w_views: Vec<&[f64]> = w_factors.iter().map(|f| f.as_slice()).collect();
        let w_betas: Vec<f64> = betas.iter().map(|b| b[t]).collect();
        let reg = Regression {
            factors: &w_views,
            y: &y[start..=t],
        };
        let Some(want) = whole_sample(&reg, &w_betas, spec) else {
            continue;
        };
        let wants = std::iter::once(want.alpha).chain(want.betas.iter().copied());
        // Compared as variances, on the scale of the ordinary one: a robust variance far below
        // it (alpha's, when the rows that decide alpha have leverage 1 and zero residuals) is
        // a difference of terms of the ordinary size, so both sums carry their rounding.
        let ordinary_se =
            std::iter::once(layout.alpha_se()).chain((0..p).map(|j| layout.beta_se(j)));
        for ((i, v), at) in wants.enumerate().zip(ordinary_se) {
            let want_se = v.max(0.0).sqrt();
            let got = se[i][t];
            let ordinary = fit[at][t];
            // A variance past f64::MAX on both sides agrees (the plugin returns null for it).
            if got == f64::INFINITY && v == f64::INFINITY {
                continue;
            }
            // A sandwich that overflows inside (a factor whose spread squares below the
            // smallest double: inf times 0) is NaN from the window's rows; the rolling form,
            // which sums such windows from their rows too, must not invent a number for it.
            // (`NaN.max(0.0)` is 0, so this is decided before the comparison below.)
            if v.is_nan() {
                assert!(
                    !got.is_finite(),
                    "row {t}: standard error {i} {got} where the window's rows give NaN, \
                     {case:?}, {spec:?}, factors {factors:?}, y {y:?}"
                );
                continue;
            }
            let tol = 1e-7 * v.abs() + 1e-8 * ordinary * ordinary + 1e-24;
            assert!(
                (got * got - v.max(0.0)).abs() <= tol,
                "row {t}: standard error {i} {got} vs {want_se} from the window's rows, {case:?}, \
                 {spec:?}, factors {factors:?}, y {y:?}"
            );
        }
    }
}

/// Pearson correlation of `a` and `b` over the rows where `a`, `b` and `y` are finite.
fn correlation(a: &[f64], b: &[f64], y: &[f64]) -> f64 {
    let rows: Vec<(f64, f64)> = (0..a.len())
        .filter(|&i| a[i].is_finite() && b[i].is_finite() && y[i].is_finite())
        .map(|i| (a[i], b[i]))
        .collect();
    let n = rows.len() as f64;
    let (ma, mb) = rows
        .iter()
        .fold((0.0, 0.0), |(x, y), (a, b)| (x + a / n, y + b / n));
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (a, b) in &rows {
        sab += (a - ma) * (b - mb);
        saa += (a - ma) * (a - ma);
        sbb += (b - mb) * (b - mb);
    }
    sab / (saa * sbb).sqrt()
}
