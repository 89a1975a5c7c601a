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
