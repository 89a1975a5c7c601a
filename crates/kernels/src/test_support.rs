//! Test data shared by the kernels' unit tests.

/// A small deterministic pseudo-random stream uniform on `[-scale/2, scale/2)`, so the tests
/// need no dependency.
pub fn lcg_series(seed: u64, len: usize, scale: f64) -> Vec<f64> {
    let mut s = seed;
    (0..len)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * scale
        })
        .collect()
}

/// A market `x` and an asset `y` at a level of 1e6 with deviations of about 1e-2:
/// `x = 1e6 + dx`, `y = 1e6 + 0.002 + 1.2 dx + noise`. An ulp at that level is 1e-10, so
/// moments kept about running means there would lose seven or eight digits of beta.
pub fn offset_pair(len: usize) -> (Vec<f64>, Vec<f64>) {
    let dx = lcg_series(31, len, 0.02);
    let x = dx.iter().map(|d| 1e6 + d).collect();
    let y = dx
        .iter()
        .zip(lcg_series(32, len, 0.004))
        .map(|(d, e)| 1e6 + 0.002 + 1.2 * d + e)
        .collect();
    (x, y)
}
