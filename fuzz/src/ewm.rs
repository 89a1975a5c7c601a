//! `rolling_ewm_ols` and `ewm_fit`: the exponentially weighted regression (with and without
//! intercept), against a fresh weighted least-squares fit of every window; and
//! `rolling_ewm_ols_pair`, against two calls of `rolling_ewm_ols`, bit for bit.
//!
//! The reference weighs row `s` of the fit that ends at row `t` by `0.5 ** ((u - s) / h)`,
//! with `u` the newest usable row, and multiplies `resid_std` by `sqrt(0.5 ** ((t - u) / h))`:
//! the module's documented weights `0.5 ** ((t - s) / h)` divided by a common factor, under
//! which every output but `resid_std` is unchanged. Weighing from `t` directly would underflow
//! to all-zero weights after a long run of missing rows, which the kernel avoids by design.

use crate::bytes::Bytes;
use crate::reference::{compare, fit, Expected, Fields, Got, History, Model, Obs};
use crate::rolling::{decode_pair, Pair};
use polars_alpha_kernels::ewm_ols::{ewm_fit, rolling_ewm_ols, rolling_ewm_ols_pair, EwmSpec};
use polars_alpha_kernels::rolling_ols::{SimpleFit, SimpleFitColumns};
use polars_alpha_kernels::window::{Window, WindowSpec};
use polars_alpha_kernels::KernelError;

pub const MAX_ROWS: usize = 64;

/// Half-lives in rows: tiny (weights underflow within the window), ordinary, and so large
/// that every weight rounds to 1, and the invalid ones.
fn half_life(b: &mut Bytes<'_>) -> f64 {
    let i = b.byte();
    match i % 16 {
        0 => 1e-3,
        1 => 0.1,
        2 => 0.5,
        3 => 1.0,
        4 => 2.5,
        5 => 10.0,
        6 => 63.0,
        7 => 1e3,
        8 => 1e9,
        9 => 1e300,
        10 => 0.0,
        11 => -1.0,
        12 => f64::NAN,
        13 => f64::INFINITY,
        _ => 0.05 + f64::from(b.byte()) / 8.0,
    }
}

fn to_got(f: &SimpleFit) -> Got {
    Got {
        n: f.n,
        alpha: f.alpha,
        beta: [f.beta, f64::NAN, f64::NAN],
        r2: f.r2,
        resid_std: f.resid_std,
        alpha_se: f.alpha_se,
        beta_se: [f.beta_se, f64::NAN, f64::NAN],
        alpha_t: f.alpha_t,
        beta_t: [f.beta_t, f64::NAN, f64::NAN],
        ..Got::default()
    }
}

/// The reference fit of the window `start..=t`.
fn expected(x: &[f64], y: &[f64], start: usize, t: usize, spec: &EwmSpec) -> Expected {
    let usable = |s: usize| x[s].is_finite() && y[s].is_finite();
    let h = spec.half_life();
    let first = History::first_row(start, t);
    let newest = (start..=t).rev().find(|&s| usable(s));
    let rows: Vec<Obs> = match newest {
        None => Vec::new(),
        Some(u) => (start..=t)
            .filter(|&s| usable(s))
            .map(|s| {
                let age = (u - s) as f64;
                Obs {
                    f: [x[s], 0.0, 0.0],
                    y: y[s],
                    w: 0.5f64.powf(age / h),
                    sw: 0.5f64.powf(age / (2.0 * h)),
                }
            })
            .collect(),
    };
    let gap = newest.map_or(0, |u| t - u);
    let model = Model {
        k: 1,
        intercept: !spec.zero_mean(),
        min_periods: spec.window().min_periods,
        resid_scale: 0.5f64.powf(gap as f64 / (2.0 * h)),
        exact_constant: false,
    };
    let history = History::of(
        (first..=t)
            .filter(|&s| usable(s))
            .map(|s| ([x[s], 0.0, 0.0], y[s])),
    );
    fit(&rows, &model, &history)
}

pub fn check(data: &[u8]) {
    let mut b = Bytes::new(data);
    let len = b.len(MAX_ROWS);
    let expanding = b.byte().is_multiple_of(4);
    let w = 2 + b.below(63);
    let mp_byte = b.byte();
    let window = if expanding {
        Window::Expanding
    } else {
        Window::Rows(w)
    };
    let min_periods = if mp_byte.is_multiple_of(3) {
        w
    } else {
        2 + usize::from(mp_byte) % (w - 1)
    };
    let h = half_life(&mut b);
    let zero_mean = b.byte() & 1 == 1;
    let p = decode_pair(&mut b, len);

    let window = WindowSpec::new(window, min_periods).expect("a valid window");
    let spec = match EwmSpec::new(window, h, zero_mean) {
        Ok(spec) => {
            assert!(h.is_finite() && h > 0.0, "half-life {h} accepted");
            spec
        }
        Err(e) => {
            assert!(!(h.is_finite() && h > 0.0), "half-life {h} rejected: {e}");
            assert!(matches!(
                e,
                KernelError::InvalidHalfLife {
                    infinite_allowed: false,
                    ..
                }
            ));
            return;
        }
    };

    let mut cols = vec![vec![0.0; len]; 8];
    let mut n = vec![0u32; len];
    {
        let mut it = cols.iter_mut().map(|c| Some(c.as_mut_slice()));
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
            n: Some(&mut n),
        };
        rolling_ewm_ols(&p.x, &p.y, &spec, &mut out).expect("valid inputs");
    }
    let fields = Fields::all(1, false);
    for t in 0..len {
        let start = window.start(t);
        let want = expected(&p.x, &p.y, start, t, &spec);
        let c = |i: usize| cols[i][t];
        let got = Got {
            n: n[t] as usize,
            alpha: c(0),
            beta: [c(1), f64::NAN, f64::NAN],
            r2: c(2),
            resid_std: c(3),
            alpha_se: c(4),
            beta_se: [c(5), f64::NAN, f64::NAN],
            alpha_t: c(6),
            beta_t: [c(7), f64::NAN, f64::NAN],
            ..Got::default()
        };
        let context = || {
            format!(
                "row {t}, window rows {start}..={t}, {spec:?}, x {:?}, y {:?}",
                p.x, p.y
            )
        };
        compare(&want, &got, fields, &context);

        // The direct fit of the last row of a prefix is the same fit.
        let direct = ewm_fit(&p.x[..=t], &p.y[..=t], &spec).expect("valid inputs");
        compare(&want, &to_got(&direct), fields, &|| {
            format!("ewm_fit of rows ..={t}: {}", context())
        });
    }

    // Slope and intercept alone take the cheaper path; they must not change.
    let mut beta = vec![0.0; len];
    let mut alpha = vec![0.0; len];
    {
        let mut out = SimpleFitColumns {
            alpha: Some(&mut alpha),
            beta: Some(&mut beta),
            ..Default::default()
        };
        rolling_ewm_ols(&p.x, &p.y, &spec, &mut out).expect("valid inputs");
    }
    for t in 0..len {
        let start = window.start(t);
        let want = expected(&p.x, &p.y, start, t, &spec);
        let got = Got {
            n: n[t] as usize,
            alpha: alpha[t],
            beta: [beta[t], f64::NAN, f64::NAN],
            ..Got::default()
        };
        let fields = Fields {
            alpha: true,
            beta: true,
            ..Fields::none(1)
        };
        compare(&want, &got, fields, &|| {
            format!("slope only, row {t}, {spec:?}, x {:?}, y {:?}", p.x, p.y)
        });
    }

    // Two series side by side: the decoded one and a second, then both with every row after
    // the first usable one made usable, which is when the pair runs in lanes.
    let second = decode_pair(&mut b, len);
    check_pair([&p, &second], &spec);
    let start = (0..len).find(|&t| p.x[t].is_finite() && p.y[t].is_finite());
    if let Some(start) = start {
        let usable_from = |q: &Pair| {
            let fill = |v: &[f64], salt: f64| -> Vec<f64> {
                (0..len)
                    .map(|t| match t {
                        _ if t < start => f64::NAN,
                        _ if v[t].is_finite() => v[t],
                        _ => salt + t as f64 * 1e-3,
                    })
                    .collect()
            };
            Pair {
                x: fill(&q.x, 0.25),
                y: fill(&q.y, -0.5),
            }
        };
        check_pair([&usable_from(&p), &usable_from(&second)], &spec);
    }
    // Two series of ordinary returns, where the pair's lanes fit most rows themselves, drawn
    // from a seed so that they do not run out of bytes.
    let mut state = b.bits64() | 1;
    let mut ordinary = || {
        let mut draw = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.04
        };
        let x: Vec<f64> = (0..len).map(|_| draw()).collect();
        let y = x.iter().map(|&v| 1e-4 + 0.9 * v + draw() * 0.5).collect();
        Pair { x, y }
    };
    check_pair([&ordinary(), &ordinary()], &spec);

    if len > 0 {
        let mut short = vec![0.0; len - 1];
        let mut out = SimpleFitColumns {
            beta: Some(&mut short),
            ..Default::default()
        };
        assert!(matches!(
            rolling_ewm_ols(&p.x, &p.y, &spec, &mut out),
            Err(KernelError::LengthMismatch { .. })
        ));
        assert!(matches!(
            ewm_fit(&p.x, &p.y[1..], &spec),
            Err(KernelError::LengthMismatch { .. })
        ));
    }
}

/// `rolling_ewm_ols_pair` on `series` writes the bits two `rolling_ewm_ols` calls write, with
/// every field and with alpha and beta alone.
fn check_pair(series: [&Pair; 2], spec: &EwmSpec) {
    let len = series[0].x.len();
    for all_fields in [true, false] {
        let run = |paired: bool| {
            let mut cols = vec![vec![vec![-7.0; len]; 8]; 2];
            let mut n = vec![vec![7u32; len]; 2];
            {
                let mut outs: Vec<SimpleFitColumns<'_>> = cols
                    .iter_mut()
                    .zip(n.iter_mut())
                    .map(|(cols, n)| {
                        let mut it = cols.iter_mut().map(|c| Some(c.as_mut_slice()));
                        let mut next = || it.next().flatten();
                        let (alpha, beta) = (next(), next());
                        let mut rest = || if all_fields { next() } else { None };
                        SimpleFitColumns {
                            alpha,
                            beta,
                            r2: rest(),
                            resid_std: rest(),
                            alpha_se: rest(),
                            beta_se: rest(),
                            alpha_t: rest(),
                            beta_t: rest(),
                            n: Some(n.as_mut_slice()),
                        }
                    })
                    .collect();
                let [out0, out1] = &mut outs[..] else {
                    unreachable!("two outputs")
                };
                if paired {
                    let x = series.map(|p| p.x.as_slice());
                    let y = series.map(|p| p.y.as_slice());
                    rolling_ewm_ols_pair(x, y, spec, [out0, out1]).expect("valid inputs");
                } else {
                    rolling_ewm_ols(&series[0].x, &series[0].y, spec, out0).expect("valid inputs");
                    rolling_ewm_ols(&series[1].x, &series[1].y, spec, out1).expect("valid inputs");
                }
            }
            let bits: Vec<Vec<u64>> = cols
                .iter()
                .flatten()
                .map(|c| c.iter().map(|v| v.to_bits()).collect())
                .collect();
            (bits, n)
        };
        let (alone, paired) = (run(false), run(true));
        assert!(
            alone == paired,
            "pair differs from two calls (all fields: {all_fields}), {spec:?}, series {:?} {:?}",
            (&series[0].x, &series[0].y),
            (&series[1].x, &series[1].y)
        );
    }
}
