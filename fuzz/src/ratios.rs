//! `rolling_pair_statistic` and `pair_statistic`: Treynor ratio, information ratio and
//! correlation on row, expanding and date windows, against their formulas evaluated afresh
//! on each window's usable rows, and `PairStatistic::new`'s argument checks.

use crate::bytes::{Bytes, KernelBounds, WindowCase};
use crate::reference::{
    column_scales, constancy, d_sqrt, Constancy, Expect, History, DELTA, HUGE, MAX_K,
};
use crate::rolling::{decode_pair, Pair};
use polars_alpha_kernels::ratios::{pair_statistic, rolling_pair_statistic, PairStatistic};
use polars_alpha_kernels::window::WindowBounds;
use polars_alpha_kernels::KernelError;

pub const MAX_ROWS: usize = 80;

/// What the kernel must write: `want`, or also NaN when the window sits near one of the
/// kernel's "constant up to rounding" thresholds.
#[derive(Debug, Clone, Copy)]
struct Want {
    value: Expect,
    may_be_nan: bool,
}

impl Want {
    fn exactly(value: Expect) -> Self {
        Self {
            value,
            may_be_nan: false,
        }
    }

    fn accepts(&self, got: f64) -> bool {
        (self.may_be_nan && got.is_nan()) || self.value.accepts(got)
    }
}

/// The statistic of the usable rows `start..=t` (rows where `x` and the second series are
/// finite; the second series is `y`, or `y - x` for the information ratio).
fn expected(p: &Pair, start: usize, t: usize, stat: PairStatistic, min_periods: usize) -> Want {
    let second = |s: usize| match stat {
        PairStatistic::Information { .. } => p.y[s] - p.x[s],
        _ => p.y[s],
    };
    let rows: Vec<(f64, f64)> = (start..=t)
        .map(|s| (p.x[s], second(s)))
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .collect();
    let n = rows.len();
    if n < min_periods.max(2) {
        return Want::exactly(Expect::Nan);
    }
    if rows.iter().any(|(a, b)| a.abs() > HUGE || b.abs() > HUGE) {
        return Want::exactly(Expect::Any);
    }
    let xs = column_scales(rows.iter().map(|r| (r.0, 1.0, 1.0)));
    let vs = column_scales(rows.iter().map(|r| (r.1, 1.0, 1.0)));
    if xs.tiny() || vs.tiny() {
        return Want::exactly(Expect::Any);
    }
    // Residue of tiny values that left (see `crate::reference::History`).
    let history = History::of(
        (History::first_row(start, t)..=t)
            .map(|s| (p.x[s], second(s)))
            .filter(|(a, b)| a.is_finite() && b.is_finite())
            .map(|(a, b)| ([a, 0.0, 0.0], b)),
    );
    let (m_x, m_v) = (
        xs.max_abs.max(history.tiny[0]),
        vs.max_abs.max(history.tiny[MAX_K]),
    );
    let nf = n as f64;
    let sxx: f64 = rows.iter().map(|r| (r.0 - xs.mean).powi(2)).sum();
    let sxv: f64 = rows.iter().map(|r| (r.0 - xs.mean) * (r.1 - vs.mean)).sum();
    let svv: f64 = rows.iter().map(|r| (r.1 - vs.mean).powi(2)).sum();
    // Bounds as in `crate::reference`: each value perturbed by DELTA.
    let d_sxx = 2.0 * nf * DELTA * 2.0 * m_x * xs.spread;
    let d_sxv = 2.0 * nf * DELTA * (m_x * vs.spread + m_v * xs.spread);
    let d_svv = 2.0 * nf * DELTA * 2.0 * m_v * vs.spread;
    let d_mean_v = DELTA * m_v;
    let mut may_be_nan = false;
    let mut degenerate = |c: Constancy| match c {
        Constancy::Constant => true,
        Constancy::Unclear => {
            may_be_nan = true;
            false
        }
        Constancy::Varying => false,
    };
    let value = match stat {
        PairStatistic::Treynor { periods_per_year } => {
            if degenerate(constancy(xs.rho())) {
                Expect::Nan
            } else if sxv.abs() <= 10.0 * d_sxv {
                // The slope is zero up to rounding: NaN (Sxy exactly 0) or anything.
                Expect::Any
            } else {
                let beta = sxv / sxx;
                let d_beta = d_sxv / sxx + beta.abs() * d_sxx / sxx;
                if d_beta >= 0.1 * beta.abs() {
                    Expect::Any
                } else {
                    let v = vs.mean * periods_per_year / beta;
                    let d = periods_per_year
                        * (d_mean_v / beta.abs()
                            + vs.mean.abs() * d_beta / (beta.abs() * (beta.abs() - d_beta)));
                    Expect::near(v, d)
                }
            }
        }
        PairStatistic::Information { periods_per_year } => {
            if degenerate(constancy(vs.rho())) {
                Expect::Nan
            } else {
                let var = svv / (nf - 1.0);
                let sd = var.sqrt();
                let d_sd = d_sqrt(var, d_svv / (nf - 1.0));
                if !(sd > 0.0) || d_sd >= 0.1 * sd {
                    Expect::Any
                } else {
                    let k = periods_per_year.sqrt();
                    let v = vs.mean / sd * k;
                    let d = k * (d_mean_v / sd + vs.mean.abs() * d_sd / (sd * (sd - d_sd)));
                    Expect::near(v, d)
                }
            }
        }
        PairStatistic::Correlation => {
            let cx = degenerate(constancy(xs.rho()));
            let cv = degenerate(constancy(vs.rho()));
            if cx || cv {
                Expect::Nan
            } else {
                let den = sxx.sqrt() * svv.sqrt();
                let r = (sxv / den).clamp(-1.0, 1.0);
                let d = d_sxv / den + r.abs() / 2.0 * (d_sxx / sxx + d_svv / svv);
                Expect::near(r, d)
            }
        }
    };
    Want { value, may_be_nan }
}

fn statistic(b: &mut Bytes<'_>) -> (&'static str, f64) {
    let name = [
        "treynor",
        "information",
        "correlation",
        "sortino",
        "Treynor",
        "",
    ][[0, 0, 1, 1, 2, 2, 3, 4, 5][b.below(9)]];
    let periods = [
        252.0,
        52.0,
        12.0,
        1.0,
        0.5,
        0.0,
        -1.0,
        f64::NAN,
        f64::INFINITY,
    ][[0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8][b.below(11)]];
    (name, periods)
}

pub fn check(data: &[u8]) {
    let mut b = Bytes::new(data);
    let len = b.len(MAX_ROWS);
    let case = b.window_case(len, 72);
    let (name, periods) = statistic(&mut b);
    let p = decode_pair(&mut b, len);

    let needs_periods = matches!(name, "treynor" | "information");
    let stat = match PairStatistic::new(name, periods) {
        Ok(stat) => {
            assert!(!needs_periods || (periods.is_finite() && periods > 0.0));
            stat
        }
        Err(KernelError::InvalidPeriodsPerYear(_)) => {
            assert!(needs_periods && !(periods.is_finite() && periods > 0.0));
            return;
        }
        Err(KernelError::UnknownStatistic(got)) => {
            assert_eq!(got, name);
            assert!(!matches!(name, "treynor" | "information" | "correlation"));
            return;
        }
        Err(other) => panic!("unexpected error {other:?} for {name:?}, {periods}"),
    };
    match case.bounds().expect("a valid window") {
        KernelBounds::Spec(s) => check_with(&p, &case, &s, stat),
        KernelBounds::Dates(w) => check_with(&p, &case, &w, stat),
    }
}

fn check_with(p: &Pair, case: &WindowCase, bounds: &impl WindowBounds, stat: PairStatistic) {
    let len = p.x.len();
    let mut out = vec![0.0; len];
    rolling_pair_statistic(&p.x, &p.y, bounds, stat, &mut out).expect("valid inputs");
    for (t, &got) in out.iter().enumerate() {
        let start = case.start(t);
        let want = expected(p, start, t, stat, case.min_periods);
        assert!(
            want.accepts(got),
            "{stat:?} at row {t}: got {got:e}, expected {want:?} (window rows {start}..={t}, {case:?}, x {:?}, y {:?})",
            p.x,
            p.y
        );
    }
    let got = pair_statistic(&p.x, &p.y, stat, case.min_periods).expect("valid inputs");
    let want = if len == 0 {
        Want::exactly(Expect::Nan)
    } else {
        // One pass over every row: no running sums (the window of every row starts at 0).
        expected(p, 0, len - 1, stat, case.min_periods)
    };
    assert!(
        want.accepts(got),
        "{stat:?} over all rows: got {got:e}, expected {want:?} (min_periods {}, x {:?}, y {:?})",
        case.min_periods,
        p.x,
        p.y
    );
    if len > 0 {
        assert!(matches!(
            rolling_pair_statistic(&p.x, &p.y[1..], bounds, stat, &mut out),
            Err(KernelError::LengthMismatch { .. })
        ));
        assert!(matches!(
            rolling_pair_statistic(&p.x, &p.y, bounds, stat, &mut out[1..]),
            Err(KernelError::LengthMismatch { .. })
        ));
    }
}
