//! Performance ratios of an asset against a market or benchmark, rolling or over all rows:
//! Treynor ratio, information ratio and correlation.
//!
//! Each is a function of the window's pair moments, so the rolling forms share the
//! single-index kernel's window walk (updates, rebuilds and null rules).

use super::moments::{spread_is_noise, PairMoments};
use super::rolling_ols::for_each_window;
use super::window::WindowBounds;
use super::KernelError;

/// Which ratio to compute. `periods_per_year` annualizes (252 daily, 52 weekly, 12 monthly).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PairStatistic {
    /// `mean(y) * P / beta` on excess returns `y = r - rf`, `x = r_m - rf`.
    Treynor { periods_per_year: f64 },
    /// `mean(r - r_b) / std(r - r_b) * sqrt(P)`, sample standard deviation (ddof 1).
    Information { periods_per_year: f64 },
    /// Pearson correlation of `x` and `y`.
    Correlation,
}

impl PairStatistic {
    pub fn new(name: &str, periods_per_year: f64) -> Result<Self, KernelError> {
        let needs_periods = matches!(name, "treynor" | "information");
        if needs_periods && !(periods_per_year.is_finite() && periods_per_year > 0.0) {
            return Err(KernelError::InvalidPeriodsPerYear(
                periods_per_year.to_string(),
            ));
        }
        match name {
            "treynor" => Ok(Self::Treynor { periods_per_year }),
            "information" => Ok(Self::Information { periods_per_year }),
            "correlation" => Ok(Self::Correlation),
            other => Err(KernelError::UnknownStatistic(other.to_string())),
        }
    }

    /// The information ratio works on the active return `r - r_b`, kept as its own series
    /// so its variance is never the difference of two nearly equal variances.
    fn second_series<'a>(&self, x: &[f64], y: &'a [f64]) -> std::borrow::Cow<'a, [f64]> {
        match self {
            Self::Information { .. } => y.iter().zip(x).map(|(a, b)| a - b).collect(),
            _ => std::borrow::Cow::Borrowed(y),
        }
    }

    /// The statistic of the usable rows described by `m`; NaN when it cannot be computed.
    /// For the information ratio, `m` holds the moments of `(x, r - r_b)`.
    pub fn evaluate(&self, m: &PairMoments, min_periods: usize) -> f64 {
        if m.n < min_periods.max(2) || !m.is_finite() {
            return f64::NAN;
        }
        let nf = m.n as f64;
        match *self {
            Self::Treynor { periods_per_year } => {
                if m.x_is_constant() || m.sxy == 0.0 {
                    return f64::NAN;
                }
                m.mean_y * periods_per_year / (m.sxy / m.sxx)
            }
            Self::Information { periods_per_year } => {
                if spread_is_noise(m.syy, m.n, m.mean_y) {
                    return f64::NAN;
                }
                let sd = (m.syy / (nf - 1.0)).sqrt();
                m.mean_y / sd * periods_per_year.sqrt()
            }
            Self::Correlation => {
                if m.x_is_constant() || spread_is_noise(m.syy, m.n, m.mean_y) {
                    return f64::NAN;
                }
                (m.sxy / (m.sxx.sqrt() * m.syy.sqrt())).clamp(-1.0, 1.0)
            }
        }
    }
}

/// The rolling statistic of `y` against `x` (both in time order), one value per row.
pub fn rolling_pair_statistic(
    x: &[f64],
    y: &[f64],
    bounds: &impl WindowBounds,
    statistic: PairStatistic,
    out: &mut [f64],
) -> Result<(), KernelError> {
    for (got, what) in [(y.len(), "y"), (out.len(), "the output buffer")] {
        if got != x.len() {
            return Err(KernelError::LengthMismatch {
                expected: x.len(),
                got,
                what,
            });
        }
    }
    let second = statistic.second_series(x, y);
    for_each_window(x, &second, bounds, |t, m, _| {
        out[t] = statistic.evaluate(m, bounds.min_periods());
    });
    Ok(())
}

/// The statistic over every usable row.
pub fn pair_statistic(
    x: &[f64],
    y: &[f64],
    statistic: PairStatistic,
    min_periods: usize,
) -> Result<f64, KernelError> {
    if y.len() != x.len() {
        return Err(KernelError::LengthMismatch {
            expected: x.len(),
            got: y.len(),
            what: "y",
        });
    }
    let second = statistic.second_series(x, y);
    Ok(statistic.evaluate(&PairMoments::from_rows(x, &second), min_periods))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::lcg_series;
    use crate::window::{Window, WindowSpec};

    fn mean(v: &[f64]) -> f64 {
        v.iter().sum::<f64>() / v.len() as f64
    }

    /// Direct formulas on a window's rows (all usable).
    fn direct(x: &[f64], y: &[f64], statistic: PairStatistic) -> f64 {
        let (mx, my) = (mean(x), mean(y));
        let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
        let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
        let syy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
        match statistic {
            PairStatistic::Treynor { periods_per_year } => my * periods_per_year / (sxy / sxx),
            PairStatistic::Information { periods_per_year } => {
                let d: Vec<f64> = y.iter().zip(x).map(|(a, b)| a - b).collect();
                let md = mean(&d);
                let var = d.iter().map(|v| (v - md).powi(2)).sum::<f64>() / (d.len() - 1) as f64;
                md / var.sqrt() * periods_per_year.sqrt()
            }
            PairStatistic::Correlation => sxy / (sxx * syy).sqrt(),
        }
    }

    #[test]
    fn rolling_statistics_match_direct_formulas() {
        let x = lcg_series(1, 200, 0.02);
        let noise = lcg_series(2, 200, 0.01);
        let y: Vec<f64> = x
            .iter()
            .zip(&noise)
            .map(|(a, e)| 0.001 + 0.9 * a + e)
            .collect();
        let spec = WindowSpec::new(Window::Rows(40), 40).unwrap();
        for name in ["treynor", "information", "correlation"] {
            let stat = PairStatistic::new(name, 252.0).unwrap();
            let mut out = vec![0.0; 200];
            rolling_pair_statistic(&x, &y, &spec, stat, &mut out).unwrap();
            assert!(out[..39].iter().all(|v| v.is_nan()));
            for t in 39..200 {
                let want = direct(&x[t - 39..=t], &y[t - 39..=t], stat);
                assert!((out[t] - want).abs() <= 1e-10 * want.abs(), "{name} t={t}");
            }
            let all = pair_statistic(&x, &y, stat, 2).unwrap();
            let want = direct(&x, &y, stat);
            assert!(
                (all - want).abs() <= 1e-12 * want.abs(),
                "{name} whole sample"
            );
        }
    }

    #[test]
    fn tracking_fund_information_ratio_keeps_its_digits() {
        // Active returns 1e-6 against returns of 1e-2: the variance of the difference would
        // lose eight digits if taken from Sxx + Syy - 2 Sxy.
        let x = lcg_series(3, 500, 0.02);
        let active = lcg_series(4, 500, 1e-6);
        let y: Vec<f64> = x.iter().zip(&active).map(|(a, d)| a + d + 1e-7).collect();
        let stat = PairStatistic::new("information", 252.0).unwrap();
        let got = pair_statistic(&x, &y, stat, 2).unwrap();
        let d: Vec<f64> = y.iter().zip(&x).map(|(a, b)| a - b).collect();
        let md = mean(&d);
        let sd = (d.iter().map(|v| (v - md).powi(2)).sum::<f64>() / 499.0).sqrt();
        let want = md / sd * 252f64.sqrt();
        assert!((got - want).abs() <= 1e-12 * want.abs(), "{got} vs {want}");
    }

    #[test]
    fn degenerate_windows_are_nan() {
        let x = vec![0.01; 10];
        let y = lcg_series(5, 10, 0.02);
        for name in ["treynor", "correlation"] {
            let stat = PairStatistic::new(name, 12.0).unwrap();
            assert!(pair_statistic(&x, &y, stat, 2).unwrap().is_nan(), "{name}");
        }
        // An active return that never changes has no tracking error.
        let stat = PairStatistic::new("information", 12.0).unwrap();
        let y: Vec<f64> = x.iter().map(|a| a + 0.001).collect();
        assert!(pair_statistic(&x, &y, stat, 2).unwrap().is_nan());
        assert!(pair_statistic(&x[..1], &y[..1], stat, 2).unwrap().is_nan());
    }

    #[test]
    fn bad_arguments_are_errors() {
        assert_eq!(
            PairStatistic::new("sharpe", 252.0),
            Err(KernelError::UnknownStatistic("sharpe".into()))
        );
        assert!(matches!(
            PairStatistic::new("treynor", 0.0),
            Err(KernelError::InvalidPeriodsPerYear(_))
        ));
        assert!(PairStatistic::new("correlation", f64::NAN).is_ok());
    }
}
