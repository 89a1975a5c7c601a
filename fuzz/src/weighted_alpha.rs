//! `log_returns`, `weighted_alpha` and `weighted_alpha_last`: the momentum score, with
//! exponential (including infinite half-life) and linear weights, with and without a cap, from
//! prices or from log returns directly, against the definition evaluated afresh at every row.

use crate::bytes::Bytes;
use crate::reference::{Expect, DELTA, HUGE};
use polars_alpha_kernels::weighted_alpha::{
    log_returns, weighted_alpha, weighted_alpha_last, AlphaWeights, WeightedAlphaSpec,
};
use polars_alpha_kernels::KernelError;

pub const MAX_ROWS: usize = 64;

fn weights(b: &mut Bytes<'_>, n: usize) -> AlphaWeights {
    let half_life = match b.byte() % 16 {
        0..=2 => WeightedAlphaSpec::default_half_life(n),
        3 => 0.3,
        4 => 5.0,
        5 => 1e-3,
        6 => f64::INFINITY,
        7 => 1e300,
        8 => 0.0,
        9 => -1.0,
        10 => f64::NAN,
        11 => f64::NEG_INFINITY,
        12 | 13 => 0.05 + f64::from(b.byte()) / 4.0,
        _ => return AlphaWeights::Linear,
    };
    AlphaWeights::Exponential { half_life }
}

fn cap(b: &mut Bytes<'_>) -> Option<f64> {
    match b.byte() % 16 {
        0..=7 => None,
        8 => Some(0.01),
        9 => Some(0.1),
        10 => Some(0.5),
        11 => Some(1e-300),
        12 => Some(1e300),
        13 => Some(0.0),
        14 => Some(-0.5),
        _ => Some(f64::NAN),
    }
}

/// Prices: mostly a random walk from 100, sometimes any value of the palette (missing,
/// non-positive, huge, tiny), which breaks the walk.
fn prices(b: &mut Bytes<'_>, len: usize) -> Vec<f64> {
    let mut p = Vec::with_capacity(len);
    let mut prev = 100.0;
    for _ in 0..len {
        let v = if b.byte().is_multiple_of(4) {
            b.value(prev)
        } else {
            let base = if prev.is_finite() && prev > 0.0 {
                prev
            } else {
                100.0
            };
            base * b.small().exp()
        };
        p.push(v);
        prev = v;
    }
    p
}

/// `ln(p1 / p0)` and its rounding scale, or NaN for a missing or non-positive price.
fn log_return(p0: f64, p1: f64) -> (f64, f64) {
    let valid = |p: f64| p.is_finite() && p > 0.0;
    if !(valid(p0) && valid(p1)) {
        return (f64::NAN, 0.0);
    }
    let r = p1 / p0;
    if r.is_normal() {
        let l = r.ln();
        (l, 1.0 + l.abs())
    } else {
        // The ratio over- or underflows; the logarithms of the prices do not.
        let (a, c) = (p1.ln(), p0.ln());
        (a - c, a.abs() + c.abs())
    }
}

/// The definition at row `t`, with its bound (see [`crate::reference`] for `DELTA`).
fn expected(l: &[f64], t: usize, spec: &WeightedAlphaSpec, w: &[f64]) -> Expect {
    let n = spec.window();
    if t + 1 < n || l[t + 1 - n..=t].iter().any(|v| !v.is_finite()) {
        return Expect::Nan;
    }
    let clean = |v: f64| spec.cap().map_or(v, |c| v.max(-c).min(c));
    if (0..n).any(|k| clean(l[t - k]).abs() > HUGE) {
        return Expect::Any;
    }
    let total: f64 = w.iter().sum();
    let sum: f64 = (0..n).map(|k| w[k] * clean(l[t - k])).sum();
    let mag: f64 = (0..n).map(|k| w[k] * clean(l[t - k]).abs()).sum();
    let nf = n as f64;
    let z = nf * sum / total;
    // A running sum of the window is exact for values perturbed by DELTA: z moves by
    // DELTA * N * sum(w |l|) / sum(w), and the score by e^z times that.
    let d_z = DELTA * nf * mag / total;
    if z > 700.0 || d_z > 0.1 {
        return Expect::Any;
    }
    let value = 100.0 * z.exp_m1();
    Expect::near(value, 100.0 * z.exp() * d_z * 1.2 + DELTA * value.abs())
}

pub fn check(data: &[u8]) {
    let mut b = Bytes::new(data);
    let len = b.len(MAX_ROWS);
    let n = 2 + b.below(40);
    let weights = weights(&mut b, n);
    let cap = cap(&mut b);
    let from_prices = b.byte() & 1 == 1;

    let spec = match WeightedAlphaSpec::new(n, weights, cap) {
        Ok(spec) => spec,
        Err(e) => {
            let bad_half_life = matches!(
                weights,
                AlphaWeights::Exponential { half_life } if half_life.is_nan() || half_life <= 0.0
            );
            let bad_cap = cap.is_some_and(|c| !(c.is_finite() && c > 0.0));
            match e {
                KernelError::InvalidHalfLife {
                    infinite_allowed: true,
                    ..
                } => assert!(bad_half_life, "{weights:?} rejected"),
                KernelError::InvalidCap(_) => {
                    assert!(bad_cap && !bad_half_life, "{cap:?} rejected")
                }
                other => panic!("unexpected error {other:?} for {weights:?}, cap {cap:?}"),
            }
            return;
        }
    };
    if let AlphaWeights::Exponential { half_life } = weights {
        assert!(
            !(half_life.is_nan() || half_life <= 0.0),
            "{half_life} accepted"
        );
    }
    assert!(
        cap.is_none_or(|c| c.is_finite() && c > 0.0),
        "cap {cap:?} accepted"
    );

    let l = if from_prices {
        let p = prices(&mut b, len);
        let mut l = vec![0.0; len];
        log_returns(&p, &mut l).expect("valid lengths");
        for t in 0..len {
            let (want, scale) = if t == 0 {
                (f64::NAN, 0.0)
            } else {
                log_return(p[t - 1], p[t])
            };
            let ok = if want.is_nan() {
                l[t].is_nan()
            } else {
                (l[t] - want).abs() <= DELTA * scale
            };
            assert!(
                ok,
                "log return at row {t} from prices {:e} -> {:e}: got {:e}, expected {want:e}",
                p[t.saturating_sub(1)],
                p[t],
                l[t]
            );
        }
        let mut short = vec![0.0; len + 1];
        assert!(log_returns(&p, &mut short).is_err());
        l
    } else {
        let mut l = Vec::with_capacity(len);
        let mut prev = 0.0;
        for _ in 0..len {
            prev = b.value(prev);
            l.push(prev);
        }
        l
    };

    let w: Vec<f64> = (0..n)
        .map(|k| match weights {
            AlphaWeights::Exponential { half_life } => 0.5f64.powf(k as f64 / half_life),
            AlphaWeights::Linear => 1.0 - 0.5 * k as f64 / (n - 1) as f64,
        })
        .collect();
    let mut out = vec![0.0; len];
    weighted_alpha(&l, &spec, &mut out).expect("valid lengths");
    for t in 0..len {
        let want = expected(&l, t, &spec, &w);
        let last = weighted_alpha_last(&l[..=t], &spec);
        for (what, got) in [("weighted_alpha", out[t]), ("weighted_alpha_last", last)] {
            assert!(
                want.accepts(got),
                "{what} at row {t}: got {got:e}, expected {want} ({spec:?}, log returns {l:?})"
            );
        }
    }
    let mut short = vec![0.0; len + 1];
    assert!(matches!(
        weighted_alpha(&l, &spec, &mut short),
        Err(KernelError::LengthMismatch { .. })
    ));
}
