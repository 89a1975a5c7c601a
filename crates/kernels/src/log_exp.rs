//! `ln(1 + x)` and `exp(y) - 1` over slices, several values at a time.
//!
//! libm computes one value per call, and the weighted alpha needs one of each per row. Here a
//! value inside a short formula's range is computed with the same few dozen multiplies and
//! adds as every other such value, so that a block of them runs as vector instructions (AVX2
//! where the CPU has it); a value outside it (or a missing one) goes to libm. Every value's result
//! depends on that value alone, never on its neighbours in the block or the CPU: the lanes
//! perform the scalar operations in the same order, and no multiply-add is fused.
//!
//! Accuracy: within [`MAX_ULPS_FROM_LIBM`] units in the last place of libm's `ln_1p` and
//! `exp_m1` (which are themselves within one of the exact value); the tests check it on
//! random values across each range and at its edges.

/// Values computed in one pass of the short formula.
const BLOCK: usize = 64;

/// The largest difference from libm the short formulas allow, in units in the last place.
pub const MAX_ULPS_FROM_LIBM: u64 = 1;

/// The largest relative error of the short `exp(y) - 1` against the exact value that the
/// tests allow: `1.25 * 2^-53`, a little above the largest they find.
#[cfg(test)]
const EXP_M1_MAX_RELATIVE_ERROR: f64 = 1.25 * f64::EPSILON / 2.0;

/// `ln(1 + x)` takes the short formula on this open range, where `s = x / (2 + x)` stays
/// within `±0.1716` and no argument reduction is needed.
const LN_1P_RANGE: (f64, f64) = (-0.29, 0.41);

/// `2 / (2j + 1)` for `j = 1 ..= 10`: the series `ln(1 + x) = 2 atanh(s) = 2s + s R(s²)`,
/// `R(z) = sum_j 2 z^j / (2j + 1)`. Ten terms leave a truncation error below `2^-60` of the
/// result for `s² ≤ 0.0295`.
const ATANH_SERIES: [f64; 10] = [
    2.0 / 3.0,
    2.0 / 5.0,
    2.0 / 7.0,
    2.0 / 9.0,
    2.0 / 11.0,
    2.0 / 13.0,
    2.0 / 15.0,
    2.0 / 17.0,
    2.0 / 19.0,
    2.0 / 21.0,
];

#[inline(always)]
fn ln_1p_in_range(x: f64) -> bool {
    // NaN passes: the short formula gives NaN too, and missing values stay in the blocks.
    (x > LN_1P_RANGE.0) & (x < LN_1P_RANGE.1) | x.is_nan()
}

/// `ln(1 + x)` for `x` in [`LN_1P_RANGE`]: `x - (x²/2 - s (x²/2 + R(s²)))`, which is `2s +
/// s R(s²)` rearranged so that the rounding of the division `s = x / (2 + x)` only touches
/// the small last term.
#[inline(always)]
fn ln_1p_short(x: f64) -> f64 {
    let s = x / (2.0 + x);
    let z = s * s;
    let mut r = ATANH_SERIES[ATANH_SERIES.len() - 1];
    for &c in ATANH_SERIES.iter().rev().skip(1) {
        r = c + z * r;
    }
    let r = z * r;
    let half_square = 0.5 * x * x;
    x - (half_square - s * (half_square + r))
}

/// `ln(1 + x)` of one value: the short formula in its range, libm elsewhere.
#[inline(always)]
fn ln_1p_one(x: f64) -> f64 {
    if ln_1p_in_range(x) {
        ln_1p_short(x)
    } else {
        x.ln_1p()
    }
}

/// `exp(y) - 1` takes the short formula for `|y|` up to this; beyond it `2^k` leaves the
/// range where `2^k - 1` is exact.
const EXP_M1_LIMIT: f64 = 30.0;
/// `ln 2` with its low 32 bits cleared, so that `k * LN2_HIGH` is exact for any `|k| < 2^32`,
/// and the rest of `ln 2`.
const LN2_HIGH: f64 = f64::from_bits(0x3fe6_2e42_0000_0000);
const LN2_LOW: f64 = 4.749_325_039_031_672_6e-7;
/// Adding `1.5 * 2^52` rounds a value below `2^51` to an integer, to nearest, and leaves
/// that integer in the low bits: the same in every lane, without a rounding instruction.
const ROUNDING_SHIFT: f64 = 6_755_399_441_055_744.0;
/// `1 / k!` for `k = 2 ..= 13`: `exp(r) - 1 = r + r² P(r)`. Twelve terms leave a
/// truncation error below `2^-56` of the result for `|r| ≤ ln(2) / 2`.
const EXP_SERIES: [f64; 12] = [
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5_040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
];

#[inline(always)]
fn exp_m1_in_range(y: f64) -> bool {
    // NaN passes: the short formula gives NaN too, and missing values stay in the blocks.
    (y.abs() <= EXP_M1_LIMIT) | y.is_nan()
}

/// `exp(y) - 1` for `|y| ≤ EXP_M1_LIMIT`: with `y = k ln 2 + r + c` (`k` an integer, `|r| ≤
/// ln(2) / 2` and `c` the rounding of `r`), `exp(y) - 1 = (2^k - 1) + 2^k (e + c (1 + e))`
/// where `e = exp(r) - 1` by its series. For `|y| ≤ ln(2) / 2`, `k = 0`, `r = y` and
/// `c = 0` exactly.
#[inline(always)]
fn exp_m1_short(y: f64) -> f64 {
    let shifted = y * std::f64::consts::LOG2_E + ROUNDING_SHIFT;
    let k = shifted - ROUNDING_SHIFT;
    // `y - k LN2_HIGH` is exact: the product is, and for `k ≠ 0` the two are within a
    // factor of two of each other.
    let high = y - k * LN2_HIGH;
    let low = k * LN2_LOW;
    let r = high - low;
    let c = (high - r) - low;
    let mut p = EXP_SERIES[EXP_SERIES.len() - 1];
    for &coefficient in EXP_SERIES.iter().rev().skip(1) {
        p = coefficient + r * p;
    }
    // `e = e_high + e_low`, the low part carrying the sum's rounding and `c`: scaled by
    // `2^k` and added to `2^k - 1`, where the two may nearly cancel, the rounding of `e`
    // alone would be magnified.
    let q = (r * r) * p;
    let e_high = r + q;
    let e_low = ((r - e_high) + q) + (c + c * e_high);
    // `2^k` from the integer in the low bits of `shifted`.
    let k_bits = shifted.to_bits().wrapping_sub(ROUNDING_SHIFT.to_bits());
    let two_to_k = f64::from_bits(k_bits.wrapping_add(1023) << 52);
    // `(2^k - 1) + 2^k e_high` with its rounding error kept (both terms are exact).
    let (a, b) = (two_to_k - 1.0, two_to_k * e_high);
    let sum = a + b;
    let b_part = sum - a;
    let error = (a - (sum - b_part)) + (b - b_part);
    sum + (error + two_to_k * e_low)
}

/// `exp(y) - 1` of one value: the short formula in its range, libm elsewhere. A zero keeps
/// its sign.
#[inline(always)]
fn exp_m1_one(y: f64) -> f64 {
    if exp_m1_in_range(y) && y != 0.0 {
        exp_m1_short(y)
    } else {
        y.exp_m1()
    }
}

/// Applies `short` to every value, block by block (a loop the compiler vectorizes, as it has
/// no branch), then `one` (which picks per value) to the values outside `in_range`.
#[inline(always)]
fn map_blocks(
    values: &mut [f64],
    in_range: impl Fn(f64) -> bool,
    short: impl Fn(f64) -> f64,
    one: impl Fn(f64) -> f64,
) {
    for block in values.chunks_mut(BLOCK) {
        let mut original = [0.0; BLOCK];
        let original = &mut original[..block.len()];
        original.copy_from_slice(block);
        for v in block.iter_mut() {
            *v = short(*v);
        }
        // `|` rather than `||`: a vector compare over the block, no branch per value.
        if original.iter().fold(false, |any, &x| any | !in_range(x)) {
            for (v, &x) in block.iter_mut().zip(original.iter()) {
                if !in_range(x) {
                    *v = one(x);
                }
            }
        }
    }
}

/// A map over a slice, to compile for several widths of vector instructions.
trait Blocks {
    /// Inlined into each width's function, so that its loops are vectorized that wide.
    fn apply(values: &mut [f64]);
}

struct Ln1p;

impl Blocks for Ln1p {
    #[inline(always)]
    fn apply(values: &mut [f64]) {
        map_blocks(values, ln_1p_in_range, ln_1p_short, ln_1p_one);
    }
}

struct ExpM1;

impl Blocks for ExpM1 {
    #[inline(always)]
    fn apply(values: &mut [f64]) {
        // Zero goes to libm, for its sign.
        map_blocks(
            values,
            |y| exp_m1_in_range(y) & (y != 0.0),
            exp_m1_short,
            exp_m1_one,
        );
    }
}

/// The vector instructions the blocks are compiled for. Every choice gives the same bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vectors {
    Avx512,
    Avx2,
    /// What the target guarantees (SSE2 on x86-64).
    Baseline,
}

impl Vectors {
    /// The widest the CPU has.
    fn widest() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Self::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Self::Avx2;
            }
        }
        Self::Baseline
    }

    /// The ones this CPU has, narrowest first.
    #[cfg(test)]
    fn available() -> Vec<Self> {
        match Self::widest() {
            Self::Avx512 => vec![Self::Baseline, Self::Avx2, Self::Avx512],
            Self::Avx2 => vec![Self::Baseline, Self::Avx2],
            Self::Baseline => vec![Self::Baseline],
        }
    }

    /// `B` compiled for `self`, which the CPU must have.
    fn apply<B: Blocks>(self, values: &mut [f64]) {
        match self {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `widest` found the feature.
            Self::Avx512 => unsafe { with_avx512::<B>(values) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            Self::Avx2 => unsafe { with_avx2::<B>(values) },
            _ => B::apply(values),
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn with_avx512<B: Blocks>(values: &mut [f64]) {
    B::apply(values)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn with_avx2<B: Blocks>(values: &mut [f64]) {
    B::apply(values)
}

/// Replaces every value `x` of `values` by `ln(1 + x)`.
pub fn ln_1p_in_place(values: &mut [f64]) {
    Vectors::widest().apply::<Ln1p>(values)
}

/// Replaces every value `y` of `values` by `exp(y) - 1`.
pub fn exp_m1_in_place(values: &mut [f64]) {
    Vectors::widest().apply::<ExpM1>(values)
}

/// `ln(1 + x)` of one value, with the same result as [`ln_1p_in_place`] gives it.
pub fn ln_1p(x: f64) -> f64 {
    ln_1p_one(x)
}

/// `exp(y) - 1` of one value, with the same result as [`exp_m1_in_place`] gives it.
pub fn exp_m1(y: f64) -> f64 {
    exp_m1_one(y)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place between two finite values of one sign (or zeros).
    fn ulps(a: f64, b: f64) -> u64 {
        if a == b {
            return 0;
        }
        assert_eq!(a.is_sign_negative(), b.is_sign_negative(), "{a} vs {b}");
        a.to_bits().abs_diff(b.to_bits())
    }

    /// Deterministic uniform values in `[low, high)`.
    fn uniform(seed: u64, n: usize, low: f64, high: f64) -> Vec<f64> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
                low + (high - low) * unit
            })
            .collect()
    }

    /// Values spread over many orders of magnitude, of both signs, below `limit` in size.
    fn log_spread(seed: u64, n: usize, limit: f64) -> Vec<f64> {
        let exponents = uniform(seed, n, -60.0, limit.log2());
        let signs = uniform(seed + 1, n, -1.0, 1.0);
        exponents
            .iter()
            .zip(&signs)
            .map(|(e, s)| e.exp2().copysign(*s))
            .collect()
    }

    fn worst_ulps(values: &[f64], ours: impl Fn(&mut [f64]), libm: impl Fn(f64) -> f64) -> u64 {
        let mut got = values.to_vec();
        ours(&mut got);
        values
            .iter()
            .zip(&got)
            .map(|(&v, &g)| ulps(g, libm(v)))
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn ln_1p_is_within_the_bound_of_libm() {
        let mut values = uniform(1, 400_000, -0.35, 0.45);
        values.extend(uniform(2, 100_000, -0.02, 0.02));
        values.extend(log_spread(3, 100_000, 0.29));
        let worst = worst_ulps(&values, ln_1p_in_place, f64::ln_1p);
        assert!(worst <= MAX_ULPS_FROM_LIBM, "worst {worst} ulps");
    }

    #[test]
    fn exp_m1_is_within_the_bound_of_libm() {
        let mut values = uniform(4, 400_000, -EXP_M1_LIMIT, EXP_M1_LIMIT);
        values.extend(uniform(5, 200_000, -1.5, 1.5));
        values.extend(log_spread(6, 200_000, EXP_M1_LIMIT));
        let worst = worst_ulps(&values, exp_m1_in_place, f64::exp_m1);
        assert!(worst <= MAX_ULPS_FROM_LIBM, "worst {worst} ulps");
    }

    /// A double-double `hi + lo` (about 106 bits), for an oracle independent of libm.
    #[derive(Clone, Copy)]
    struct Dd(f64, f64);

    impl Dd {
        fn add(self, o: Dd) -> Dd {
            let s = self.0 + o.0;
            let b = s - self.0;
            let e = (self.0 - (s - b)) + (o.0 - b) + self.1 + o.1;
            let hi = s + e;
            Dd(hi, e - (hi - s))
        }

        fn mul(self, o: Dd) -> Dd {
            let p = self.0 * o.0;
            let e = self.0.mul_add(o.0, -p) + (self.0 * o.1 + self.1 * o.0);
            let hi = p + e;
            Dd(hi, e - (hi - p))
        }
    }

    /// `exp(y) - 1` to about 100 bits: the series at `t = y / 2^m` (exact, `|t| < 2^-7`),
    /// then `m` doublings `expm1(2t) = expm1(t) (2 + expm1(t))`, which keep relative precision.
    fn exp_m1_oracle(y: f64) -> Dd {
        let m = (y.abs().log2().ceil() + 7.0).max(0.0) as i32;
        let t = Dd(y / 2f64.powi(m), 0.0);
        let (mut e, mut term) = (Dd(0.0, 0.0), Dd(1.0, 0.0));
        for k in 1..=20 {
            term = term.mul(t).mul(Dd(1.0 / k as f64, 0.0));
            e = e.add(term);
        }
        for _ in 0..m {
            e = e.mul(e.add(Dd(2.0, 0.0)));
        }
        e
    }

    #[test]
    fn exp_m1_is_within_its_bound_of_the_exact_value() {
        // `1 / k` is inexact in the oracle's series, but its error is below `2^-100` after the
        // doublings on this range, far under the bound checked.
        let mut values = uniform(10, 100_000, -EXP_M1_LIMIT, EXP_M1_LIMIT);
        values.extend(uniform(11, 100_000, -1.5, 1.5));
        let mut got = values.clone();
        exp_m1_in_place(&mut got);
        let worst = values
            .iter()
            .zip(&got)
            .map(|(&y, &g)| {
                let exact = exp_m1_oracle(y);
                ((g - exact.0) - exact.1).abs() / exact.0.abs()
            })
            .fold(0.0f64, f64::max);
        assert!(worst <= EXP_M1_MAX_RELATIVE_ERROR, "worst {worst:e}");
    }

    #[test]
    fn the_edges_of_the_short_ranges_are_within_the_bound() {
        let near = |v: f64| {
            let b = v.to_bits();
            [
                f64::from_bits(b - 2),
                f64::from_bits(b - 1),
                v,
                f64::from_bits(b + 1),
            ]
        };
        let mut logs = Vec::new();
        for edge in [
            LN_1P_RANGE.0,
            LN_1P_RANGE.1,
            0.0f64.next_up(),
            1e-300,
            1e-17,
        ] {
            logs.extend(near(edge));
            logs.extend(near(-edge));
        }
        assert!(worst_ulps(&logs, ln_1p_in_place, f64::ln_1p) <= MAX_ULPS_FROM_LIBM);
        let ln2 = std::f64::consts::LN_2;
        let mut exps = Vec::new();
        for edge in [
            EXP_M1_LIMIT,
            ln2 / 2.0,
            ln2,
            1.5 * ln2,
            1e-300,
            1e-17,
            2.0f64.powi(-54),
        ] {
            exps.extend(near(edge));
            exps.extend(near(-edge));
        }
        assert!(worst_ulps(&exps, exp_m1_in_place, f64::exp_m1) <= MAX_ULPS_FROM_LIBM);
    }

    #[test]
    fn special_values_are_libms() {
        let specials = [
            0.0,
            -0.0,
            -1.0,
            -2.0,
            1e300,
            -1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE / 4.0,
            -f64::MIN_POSITIVE / 4.0,
            750.0,
            -750.0,
        ];
        for &v in &specials {
            let (mut log, mut exp) = ([v; 5], [v; 5]);
            ln_1p_in_place(&mut log);
            exp_m1_in_place(&mut exp);
            for (got, want) in [(log[0], v.ln_1p()), (exp[0], v.exp_m1())] {
                assert!(
                    got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                    "{v}: {got} vs {want}"
                );
            }
            assert_eq!(log[0].to_bits(), log[4].to_bits());
            assert_eq!(exp[0].to_bits(), exp[4].to_bits());
        }
    }

    #[test]
    fn a_value_gets_the_same_bits_in_a_block_alone_with_its_neighbours_or_in_the_tail() {
        let values = uniform(7, 4_001, -0.5, 0.5);
        for (apply, one) in [
            (ln_1p_in_place as fn(&mut [f64]), ln_1p as fn(f64) -> f64),
            (exp_m1_in_place, exp_m1),
        ] {
            let mut whole = values.clone();
            apply(&mut whole);
            // Shifted by one, every value sits in another lane and next to other values.
            let mut shifted = values[1..].to_vec();
            apply(&mut shifted);
            for (i, &v) in values.iter().enumerate() {
                assert_eq!(whole[i].to_bits(), one(v).to_bits(), "{v}");
                if i > 0 {
                    assert_eq!(shifted[i - 1].to_bits(), whole[i].to_bits(), "{v}");
                }
            }
        }
    }

    #[test]
    fn every_width_of_vectors_gives_the_same_bits() {
        let mut values = uniform(8, 10_001, -0.4, 0.5);
        values.extend(uniform(9, 10_000, -40.0, 40.0));
        fn each_width<B: Blocks>(values: &[f64]) {
            let mut want = values.to_vec();
            B::apply(&mut want);
            for width in Vectors::available() {
                let mut got = values.to_vec();
                width.apply::<B>(&mut got);
                let same = got
                    .iter()
                    .zip(&want)
                    .all(|(g, w)| g.to_bits() == w.to_bits());
                assert!(same, "{width:?}");
            }
        }
        each_width::<Ln1p>(&values);
        each_width::<ExpM1>(&values);
    }
}
