//! Checks on risk-free rates. A per-period rate is a small fraction: a percent typed as a
//! number (4.5 for 4.5%) or an annual yield where a daily rate belongs gives alphas that look
//! like numbers but mean nothing, so such rates are refused rather than subtracted.

/// The largest per-period risk-free rate accepted: 5% a period is about 80% a year for
/// monthly data and far more for daily data, beyond any real bill's yield.
pub const MAX_PER_PERIOD_RATE: f64 = 0.05;

/// The first finite rate (its row and value) whose magnitude exceeds
/// [`MAX_PER_PERIOD_RATE`]; missing rates are left to the fits' null rule.
pub fn first_implausible_rate(rates: &[f64]) -> Option<(usize, f64)> {
    rates
        .iter()
        .position(|r| r.is_finite() && r.abs() > MAX_PER_PERIOD_RATE)
        .map(|row| (row, rates[row]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percents_and_annual_yields_are_implausible_per_period_rates() {
        assert_eq!(first_implausible_rate(&[0.0001, f64::NAN, 0.0002]), None);
        assert_eq!(first_implausible_rate(&[0.0001, 4.5, 0.06]), Some((1, 4.5)));
        assert_eq!(first_implausible_rate(&[-0.2]), Some((0, -0.2)));
        assert_eq!(first_implausible_rate(&[0.05, f64::INFINITY]), None);
        assert_eq!(first_implausible_rate(&[]), None);
    }
}
