//! `f64` lanes that add, subtract, multiply, divide and compare side by side, for loops the
//! compiler does not vectorize well by itself: rows of one column two to a register, where
//! pairing each `x` with its `y` would spend the loop shuffling, and two or four series run
//! side by side through a recurrence no compiler can split.
//!
//! On x86-64 the two lanes of [`F64x2`] are an SSE2 register (SSE2 is part of the x86-64
//! baseline); elsewhere they are a pair of floats. [`F64x4`] is an array the caller's
//! target features vectorize. [`FourLanes`] is four lanes for code written once and compiled
//! twice: one AVX register ([`avx::F64x4Avx`]) in an AVX2 copy, two SSE2 registers
//! ([`TwoPairs`]) elsewhere. All round every lane exactly as the scalar operation does, so a
//! sum over lanes has the bits of the same sum written lane by lane.

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{
        __m128d, _mm_add_pd, _mm_and_pd, _mm_andnot_pd, _mm_cmpeq_pd, _mm_cmpge_pd, _mm_cmple_pd,
        _mm_cmplt_pd, _mm_div_pd, _mm_loadu_pd, _mm_max_pd, _mm_movemask_pd, _mm_mul_pd, _mm_or_pd,
        _mm_set1_pd, _mm_set_pd, _mm_setzero_pd, _mm_sqrt_pd, _mm_storeu_pd, _mm_sub_pd,
    };

    #[derive(Clone, Copy)]
    pub struct F64x2(__m128d);

    // SAFETY (every `unsafe` below): SSE2 is enabled on every x86-64 target, so the SSE2
    // intrinsics are always available; the loads and stores touch exactly two `f64`s of a
    // slice or array whose length is checked first.
    impl F64x2 {
        #[inline(always)]
        pub fn splat(v: f64) -> Self {
            Self(unsafe { _mm_set1_pd(v) })
        }

        /// `v[i]` and `v[i + 1]`.
        #[inline(always)]
        pub fn load(v: &[f64], i: usize) -> Self {
            let pair = &v[i..i + 2];
            Self(unsafe { _mm_loadu_pd(pair.as_ptr()) })
        }

        #[inline(always)]
        pub fn from_array([low, high]: [f64; 2]) -> Self {
            Self(unsafe { _mm_set_pd(high, low) })
        }

        /// Stores the lanes at `v[i]` and `v[i + 1]`.
        #[inline(always)]
        pub fn store(self, v: &mut [f64], i: usize) {
            let pair = &mut v[i..i + 2];
            unsafe { _mm_storeu_pd(pair.as_mut_ptr(), self.0) };
        }

        #[inline(always)]
        pub fn to_array(self) -> [f64; 2] {
            let mut out = [0.0; 2];
            unsafe { _mm_storeu_pd(out.as_mut_ptr(), self.0) };
            out
        }

        /// Per lane, `if self > o { self } else { o }`.
        #[inline(always)]
        pub fn max(self, o: Self) -> Self {
            Self(unsafe { _mm_max_pd(self.0, o.0) })
        }

        /// Bit `l` set where lane `l` of `self >= o` (false for NaN).
        #[inline(always)]
        pub fn ge_bits(self, o: Self) -> u32 {
            (unsafe { _mm_movemask_pd(_mm_cmpge_pd(self.0, o.0)) }) as u32
        }

        /// Bit `l` set where lane `l` is finite: `v - v` is exactly 0 for a finite `v` and
        /// NaN for an infinity or a NaN.
        #[inline(always)]
        pub fn finite_bits(self) -> u32 {
            let zero_when_finite = unsafe { _mm_sub_pd(self.0, self.0) };
            (unsafe { _mm_movemask_pd(_mm_cmpeq_pd(zero_when_finite, _mm_setzero_pd())) }) as u32
        }

        /// Per lane, the correctly rounded square root (as `f64::sqrt`).
        #[inline(always)]
        pub fn sqrt(self) -> Self {
            Self(unsafe { _mm_sqrt_pd(self.0) })
        }

        /// Per lane, the value with its sign bit cleared (as `f64::abs`).
        #[inline(always)]
        pub fn abs(self) -> Self {
            Self(unsafe { _mm_andnot_pd(_mm_set1_pd(-0.0), self.0) })
        }

        /// All ones in the lanes where `self <= o`, zeros elsewhere (and where either is NaN).
        #[inline(always)]
        pub fn le_mask(self, o: Self) -> Self {
            Self(unsafe { _mm_cmple_pd(self.0, o.0) })
        }

        /// All ones in the lanes where `self < o`, zeros elsewhere (and where either is NaN).
        #[inline(always)]
        pub fn lt_mask(self, o: Self) -> Self {
            Self(unsafe { _mm_cmplt_pd(self.0, o.0) })
        }

        /// Bitwise `self & mask`: the lanes where `mask` (from a `*_mask`) is set, `0.0`
        /// elsewhere.
        #[inline(always)]
        pub fn and(self, mask: Self) -> Self {
            Self(unsafe { _mm_and_pd(self.0, mask.0) })
        }

        /// Bitwise `self & !mask`: `0.0` in the lanes where `mask` is set.
        #[inline(always)]
        pub fn and_not(self, mask: Self) -> Self {
            Self(unsafe { _mm_andnot_pd(mask.0, self.0) })
        }

        /// Bitwise `self | o`.
        #[inline(always)]
        pub fn or(self, o: Self) -> Self {
            Self(unsafe { _mm_or_pd(self.0, o.0) })
        }
    }

    impl std::ops::Div for F64x2 {
        type Output = Self;
        #[inline(always)]
        fn div(self, o: Self) -> Self {
            Self(unsafe { _mm_div_pd(self.0, o.0) })
        }
    }

    impl std::ops::Add for F64x2 {
        type Output = Self;
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            Self(unsafe { _mm_add_pd(self.0, o.0) })
        }
    }

    impl std::ops::Sub for F64x2 {
        type Output = Self;
        #[inline(always)]
        fn sub(self, o: Self) -> Self {
            Self(unsafe { _mm_sub_pd(self.0, o.0) })
        }
    }

    impl std::ops::Mul for F64x2 {
        type Output = Self;
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            Self(unsafe { _mm_mul_pd(self.0, o.0) })
        }
    }
}

// Also built for the tests on x86-64, which check that both give the same bits.
#[cfg(any(not(target_arch = "x86_64"), test))]
mod portable {
    #[derive(Clone, Copy)]
    pub struct F64x2([f64; 2]);

    impl F64x2 {
        #[inline(always)]
        pub fn splat(v: f64) -> Self {
            Self([v, v])
        }

        /// `v[i]` and `v[i + 1]`.
        #[inline(always)]
        pub fn load(v: &[f64], i: usize) -> Self {
            Self([v[i], v[i + 1]])
        }

        #[inline(always)]
        pub fn from_array(lanes: [f64; 2]) -> Self {
            Self(lanes)
        }

        /// Stores the lanes at `v[i]` and `v[i + 1]`.
        #[inline(always)]
        pub fn store(self, v: &mut [f64], i: usize) {
            v[i..i + 2].copy_from_slice(&self.0);
        }

        #[inline(always)]
        pub fn to_array(self) -> [f64; 2] {
            self.0
        }

        /// Per lane, `if self > o { self } else { o }`.
        #[inline(always)]
        pub fn max(self, o: Self) -> Self {
            let lane = |l: usize| {
                if self.0[l] > o.0[l] {
                    self.0[l]
                } else {
                    o.0[l]
                }
            };
            Self([lane(0), lane(1)])
        }

        /// Bit `l` set where lane `l` of `self >= o` (false for NaN).
        #[inline(always)]
        pub fn ge_bits(self, o: Self) -> u32 {
            u32::from(self.0[0] >= o.0[0]) | (u32::from(self.0[1] >= o.0[1]) << 1)
        }

        /// Bit `l` set where lane `l` is finite.
        #[inline(always)]
        pub fn finite_bits(self) -> u32 {
            u32::from(self.0[0].is_finite()) | (u32::from(self.0[1].is_finite()) << 1)
        }

        fn lanes(self, o: Self, op: impl Fn(f64, f64) -> f64) -> Self {
            Self([op(self.0[0], o.0[0]), op(self.0[1], o.0[1])])
        }

        fn bits(self, o: Self, op: impl Fn(u64, u64) -> u64) -> Self {
            self.lanes(o, |a, b| f64::from_bits(op(a.to_bits(), b.to_bits())))
        }

        fn mask(flag: bool) -> f64 {
            f64::from_bits(if flag { u64::MAX } else { 0 })
        }

        /// Per lane, the correctly rounded square root.
        #[inline(always)]
        pub fn sqrt(self) -> Self {
            self.lanes(self, |a, _| a.sqrt())
        }

        /// Per lane, the value with its sign bit cleared.
        #[inline(always)]
        pub fn abs(self) -> Self {
            self.lanes(self, |a, _| a.abs())
        }

        /// All ones in the lanes where `self <= o`, zeros elsewhere.
        #[inline(always)]
        pub fn le_mask(self, o: Self) -> Self {
            self.lanes(o, |a, b| Self::mask(a <= b))
        }

        /// All ones in the lanes where `self < o`, zeros elsewhere.
        #[inline(always)]
        pub fn lt_mask(self, o: Self) -> Self {
            self.lanes(o, |a, b| Self::mask(a < b))
        }

        /// Bitwise `self & mask`.
        #[inline(always)]
        pub fn and(self, mask: Self) -> Self {
            self.bits(mask, |a, m| a & m)
        }

        /// Bitwise `self & !mask`.
        #[inline(always)]
        pub fn and_not(self, mask: Self) -> Self {
            self.bits(mask, |a, m| a & !m)
        }

        /// Bitwise `self | o`.
        #[inline(always)]
        pub fn or(self, o: Self) -> Self {
            self.bits(o, |a, b| a | b)
        }
    }

    impl std::ops::Div for F64x2 {
        type Output = Self;
        #[inline(always)]
        fn div(self, o: Self) -> Self {
            self.lanes(o, |a, b| a / b)
        }
    }

    impl std::ops::Add for F64x2 {
        type Output = Self;
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            self.lanes(o, |a, b| a + b)
        }
    }

    impl std::ops::Sub for F64x2 {
        type Output = Self;
        #[inline(always)]
        fn sub(self, o: Self) -> Self {
            self.lanes(o, |a, b| a - b)
        }
    }

    impl std::ops::Mul for F64x2 {
        type Output = Self;
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            self.lanes(o, |a, b| a * b)
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
pub use portable::F64x2;
#[cfg(target_arch = "x86_64")]
pub use sse2::F64x2;

/// Four `f64` lanes as a plain array. Its per-lane loops become one instruction each where
/// the caller is compiled for AVX2 (a `#[target_feature(enable = "avx2")]` function that
/// inlines them), and pairs of SSE2 instructions elsewhere; either way every lane rounds
/// exactly as the scalar operation does, since nothing is fused.
#[derive(Clone, Copy)]
pub struct F64x4(pub [f64; 4]);

impl F64x4 {
    #[inline(always)]
    pub fn map(self, f: impl Fn(f64) -> f64) -> Self {
        Self(self.0.map(f))
    }

    #[inline(always)]
    pub fn zip(self, o: Self, f: impl Fn(f64, f64) -> f64) -> Self {
        Self(std::array::from_fn(|i| f(self.0[i], o.0[i])))
    }
}

impl std::ops::Add for F64x4 {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        self.zip(o, |a, b| a + b)
    }
}

impl std::ops::Sub for F64x4 {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        self.zip(o, |a, b| a - b)
    }
}

impl std::ops::Mul for F64x4 {
    type Output = Self;
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        self.zip(o, |a, b| a * b)
    }
}

/// Four `f64` lanes for code written once and compiled twice: [`TwoPairs`] anywhere, and
/// [`avx::F64x4Avx`] in the bodies of functions compiled for AVX2. Every lane rounds as the
/// scalar operation does, so both give the same bits.
pub trait FourLanes:
    Copy + std::ops::Add<Output = Self> + std::ops::Sub<Output = Self> + std::ops::Mul<Output = Self>
{
    fn splat(v: f64) -> Self;
    /// `v[i..i + 4]`.
    fn load(v: &[f64], i: usize) -> Self;
    fn from_array(lanes: [f64; 4]) -> Self;
    fn to_array(self) -> [f64; 4];
    /// Stores the lanes at `v[i..i + 4]`.
    fn store(self, v: &mut [f64], i: usize);
    /// Per lane, `if self > o { self } else { o }`.
    fn max(self, o: Self) -> Self;
    /// Bit `l` set where lane `l` of `self >= o` (false for NaN).
    fn ge_bits(self, o: Self) -> u32;
    /// `self` with lane `l` (below 4) set to `value`.
    #[inline(always)]
    fn with_lane(self, l: usize, value: f64) -> Self {
        let mut lanes = self.to_array();
        lanes[l] = value;
        Self::from_array(lanes)
    }
    /// The four values as a 4 × 4 matrix, one row a value, transposed: lane `l` of result
    /// `k` is lane `k` of `rows[l]`.
    fn transpose(rows: [Self; 4]) -> [Self; 4];
}

/// Four lanes as two [`F64x2`], so two SSE2 registers on x86-64.
#[derive(Clone, Copy)]
pub struct TwoPairs(pub F64x2, pub F64x2);

impl std::ops::Add for TwoPairs {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Self(self.0 + o.0, self.1 + o.1)
    }
}

impl std::ops::Sub for TwoPairs {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Self(self.0 - o.0, self.1 - o.1)
    }
}

impl std::ops::Mul for TwoPairs {
    type Output = Self;
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        Self(self.0 * o.0, self.1 * o.1)
    }
}

impl FourLanes for TwoPairs {
    #[inline(always)]
    fn splat(v: f64) -> Self {
        Self(F64x2::splat(v), F64x2::splat(v))
    }

    #[inline(always)]
    fn load(v: &[f64], i: usize) -> Self {
        Self(F64x2::load(v, i), F64x2::load(v, i + 2))
    }

    #[inline(always)]
    fn from_array([l0, l1, l2, l3]: [f64; 4]) -> Self {
        Self(F64x2::from_array([l0, l1]), F64x2::from_array([l2, l3]))
    }

    #[inline(always)]
    fn to_array(self) -> [f64; 4] {
        let ([l0, l1], [l2, l3]) = (self.0.to_array(), self.1.to_array());
        [l0, l1, l2, l3]
    }

    #[inline(always)]
    fn store(self, v: &mut [f64], i: usize) {
        self.0.store(v, i);
        self.1.store(v, i + 2);
    }

    #[inline(always)]
    fn max(self, o: Self) -> Self {
        Self(self.0.max(o.0), self.1.max(o.1))
    }

    #[inline(always)]
    fn ge_bits(self, o: Self) -> u32 {
        self.0.ge_bits(o.0) | self.1.ge_bits(o.1) << 2
    }

    #[inline(always)]
    fn transpose(rows: [Self; 4]) -> [Self; 4] {
        let [r0, r1, r2, r3] = [rows[0], rows[1], rows[2], rows[3]].map(Self::to_array);
        let column = |k: usize| Self::from_array([r0[k], r1[k], r2[k], r3[k]]);
        [column(0), column(1), column(2), column(3)]
    }
}

/// Four `f64` lanes in one AVX register, for the bodies of `#[target_feature(enable =
/// "avx2")]` functions.
#[cfg(target_arch = "x86_64")]
pub mod avx {
    use super::FourLanes;
    use std::arch::x86_64::{
        __m256d, _mm256_add_pd, _mm256_blendv_pd, _mm256_castsi256_pd, _mm256_cmp_pd,
        _mm256_loadu_pd, _mm256_loadu_si256, _mm256_max_pd, _mm256_movemask_pd, _mm256_mul_pd,
        _mm256_permute2f128_pd, _mm256_set1_pd, _mm256_set_pd, _mm256_storeu_pd, _mm256_sub_pd,
        _mm256_unpackhi_pd, _mm256_unpacklo_pd, _CMP_GE_OQ,
    };

    #[derive(Clone, Copy)]
    pub struct F64x4Avx(__m256d);

    // SAFETY (every `unsafe` below): values of this type are made and used only in the
    // bodies of functions compiled with AVX2, which run after the machine was found to have
    // it, so the AVX intrinsics are available; loads and stores touch exactly four `f64`s of
    // a slice or array whose length is checked first.
    impl F64x4Avx {
        #[inline(always)]
        pub fn splat(v: f64) -> Self {
            Self(unsafe { _mm256_set1_pd(v) })
        }

        /// `v[i..i + 4]`.
        #[inline(always)]
        pub fn load(v: &[f64], i: usize) -> Self {
            let lanes = &v[i..i + 4];
            Self(unsafe { _mm256_loadu_pd(lanes.as_ptr()) })
        }

        #[inline(always)]
        pub fn to_array(self) -> [f64; 4] {
            let mut out = [0.0; 4];
            unsafe { _mm256_storeu_pd(out.as_mut_ptr(), self.0) };
            out
        }
    }

    impl FourLanes for F64x4Avx {
        #[inline(always)]
        fn splat(v: f64) -> Self {
            Self::splat(v)
        }

        #[inline(always)]
        fn load(v: &[f64], i: usize) -> Self {
            Self::load(v, i)
        }

        #[inline(always)]
        fn from_array([l0, l1, l2, l3]: [f64; 4]) -> Self {
            Self(unsafe { _mm256_set_pd(l3, l2, l1, l0) })
        }

        #[inline(always)]
        fn to_array(self) -> [f64; 4] {
            Self::to_array(self)
        }

        #[inline(always)]
        fn store(self, v: &mut [f64], i: usize) {
            let lanes = &mut v[i..i + 4];
            unsafe { _mm256_storeu_pd(lanes.as_mut_ptr(), self.0) };
        }

        #[inline(always)]
        fn max(self, o: Self) -> Self {
            Self(unsafe { _mm256_max_pd(self.0, o.0) })
        }

        #[inline(always)]
        fn ge_bits(self, o: Self) -> u32 {
            (unsafe { _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_GE_OQ>(self.0, o.0)) }) as u32
        }

        /// A blend in the register: going through memory, as the default does, makes the
        /// vector load wait for the scalar store before it (a failed store forward).
        #[inline(always)]
        fn with_lane(self, l: usize, value: f64) -> Self {
            // Row `l` selects lane `l` (the blend reads each lane's sign bit).
            const LANE: [[i64; 4]; 4] =
                [[-1, 0, 0, 0], [0, -1, 0, 0], [0, 0, -1, 0], [0, 0, 0, -1]];
            let mask = &LANE[l];
            unsafe {
                let mask = _mm256_castsi256_pd(_mm256_loadu_si256(mask.as_ptr().cast()));
                Self(_mm256_blendv_pd(self.0, _mm256_set1_pd(value), mask))
            }
        }

        #[inline(always)]
        fn transpose([r0, r1, r2, r3]: [Self; 4]) -> [Self; 4] {
            unsafe {
                // Lanes 0 and 2 (low), 1 and 3 (high) of each pair of rows ...
                let low01 = _mm256_unpacklo_pd(r0.0, r1.0);
                let high01 = _mm256_unpackhi_pd(r0.0, r1.0);
                let low23 = _mm256_unpacklo_pd(r2.0, r3.0);
                let high23 = _mm256_unpackhi_pd(r2.0, r3.0);
                // ... then their low halves make columns 0 and 1, their high halves 2 and 3.
                [
                    Self(_mm256_permute2f128_pd::<0x20>(low01, low23)),
                    Self(_mm256_permute2f128_pd::<0x20>(high01, high23)),
                    Self(_mm256_permute2f128_pd::<0x31>(low01, low23)),
                    Self(_mm256_permute2f128_pd::<0x31>(high01, high23)),
                ]
            }
        }
    }

    impl std::ops::Add for F64x4Avx {
        type Output = Self;
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            Self(unsafe { _mm256_add_pd(self.0, o.0) })
        }
    }

    impl std::ops::Sub for F64x4Avx {
        type Output = Self;
        #[inline(always)]
        fn sub(self, o: Self) -> Self {
            Self(unsafe { _mm256_sub_pd(self.0, o.0) })
        }
    }

    impl std::ops::Mul for F64x4Avx {
        type Output = Self;
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            Self(unsafe { _mm256_mul_pd(self.0, o.0) })
        }
    }
}

/// The validity byte of eight values: bit `i` set where `values[i]` is finite. Two values a
/// compare, about twice as fast as testing them one by one (SSE2 has no 64-bit integer
/// compare for the compiler's own `is_finite`).
#[inline(always)]
pub fn finite_byte(values: &[f64; 8]) -> u8 {
    let bits = (0..4).fold(0, |bits, k| {
        bits | F64x2::load(values, 2 * k).finite_bits() << (2 * k)
    });
    // Eight bits, one per value.
    bits as u8
}

/// Calls `put(i, byte)` with the validity byte ([`finite_byte`]) of each group `i`, and
/// returns how many values are finite. A group a compare where the machine has AVX-512, four
/// values a compare where it has AVX2 (either with the `popcnt` instruction for the count,
/// which every such machine has).
#[inline]
pub fn finite_bytes(groups: &[[f64; 8]], put: impl FnMut(usize, u8)) -> usize {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("popcnt")
    {
        // SAFETY: the machine has AVX-512F and POPCNT (checked just above).
        return unsafe { finite_bytes_avx512(groups, put) };
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("popcnt")
    {
        // SAFETY: the machine has AVX2 and POPCNT (checked just above).
        return unsafe { finite_bytes_avx2(groups, put) };
    }
    finite_bytes_baseline(groups, put)
}

fn finite_bytes_baseline(groups: &[[f64; 8]], mut put: impl FnMut(usize, u8)) -> usize {
    let mut finite = 0;
    for (i, group) in groups.iter().enumerate() {
        let byte = finite_byte(group);
        finite += byte.count_ones() as usize;
        put(i, byte);
    }
    finite
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt")]
fn finite_bytes_avx2(groups: &[[f64; 8]], mut put: impl FnMut(usize, u8)) -> usize {
    use std::arch::x86_64::{
        _mm256_cmp_pd, _mm256_loadu_pd, _mm256_movemask_pd, _mm256_setzero_pd, _mm256_sub_pd,
        _CMP_EQ_OQ,
    };
    let mut finite = 0;
    for (i, group) in groups.iter().enumerate() {
        // `v - v` is exactly 0 for a finite `v` and NaN for an infinity or a NaN.
        let finite_bits = |at: usize| {
            // SAFETY: `at + 4 <= 8`: four values of the group.
            let v = unsafe { _mm256_loadu_pd(group[at..at + 4].as_ptr()) };
            let zero_when_finite = _mm256_sub_pd(v, v);
            _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_EQ_OQ>(
                zero_when_finite,
                _mm256_setzero_pd(),
            ))
        };
        // Eight bits, one per value.
        let byte = (finite_bits(0) | finite_bits(4) << 4) as u8;
        finite += byte.count_ones() as usize;
        put(i, byte);
    }
    finite
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,popcnt")]
fn finite_bytes_avx512(groups: &[[f64; 8]], mut put: impl FnMut(usize, u8)) -> usize {
    use std::arch::x86_64::{
        _mm512_cmp_pd_mask, _mm512_loadu_pd, _mm512_setzero_pd, _mm512_sub_pd, _CMP_EQ_OQ,
    };
    let mut finite = 0;
    for (i, group) in groups.iter().enumerate() {
        // SAFETY: a group is eight values, one 512-bit load.
        let v = unsafe { _mm512_loadu_pd(group.as_ptr()) };
        // `v - v` is exactly 0 for a finite `v` and NaN for an infinity or a NaN; the compare
        // gives the eight bits directly.
        let byte = _mm512_cmp_pd_mask::<_CMP_EQ_OQ>(_mm512_sub_pd(v, v), _mm512_setzero_pd());
        finite += byte.count_ones() as usize;
        put(i, byte);
    }
    finite
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finite_bytes_mark_exactly_the_finite_values() {
        let specials = [
            f64::NAN,
            -f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            5e-324,
            -0.0,
            0.0,
            1.5,
        ];
        // Every special at every position of a group, among ordinary values.
        let mut values = Vec::new();
        for (k, &v) in specials.iter().enumerate() {
            for at in 0..8 {
                let mut group = [k as f64 - 3.25; 8];
                group[at] = v;
                group[(at + k) % 8] = specials[(k + 3) % specials.len()];
                values.extend(group);
            }
        }
        let groups = values.as_chunks::<8>().0;
        let expected: Vec<u8> = groups
            .iter()
            .map(|g| (0..8).fold(0, |b, i| b | u8::from(g[i].is_finite()) << i))
            .collect();
        let count = values.iter().filter(|v| v.is_finite()).count();
        let mut got = vec![0; groups.len()];
        assert_eq!(finite_bytes(groups, |i, b| got[i] = b), count);
        assert_eq!(got, expected);
        let mut baseline = vec![0; groups.len()];
        assert_eq!(finite_bytes_baseline(groups, |i, b| baseline[i] = b), count);
        assert_eq!(baseline, expected);
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("popcnt")
        {
            let mut avx2 = vec![0; groups.len()];
            // SAFETY: the machine has AVX2 and POPCNT (checked just above).
            assert_eq!(
                unsafe { finite_bytes_avx2(groups, |i, b| avx2[i] = b) },
                count
            );
            assert_eq!(avx2, expected);
        }
        assert_eq!(finite_bytes(&[], |_, _| unreachable!()), 0);
    }

    #[test]
    fn lanes_round_as_the_scalar_operations() {
        let a = [0.1, -3.7e10, 1e-300, f64::MAX];
        let b = [0.2, 2.9e-7, 3.0, 2.0];
        for i in [0, 2] {
            let (va, vb) = (F64x2::load(&a, i), F64x2::load(&b, i));
            let (sum, diff, prod) = (va + vb, va - vb, va * vb);
            for l in 0..2 {
                let (x, y) = (a[i + l], b[i + l]);
                assert_eq!(sum.to_array()[l].to_bits(), (x + y).to_bits());
                assert_eq!(diff.to_array()[l].to_bits(), (x - y).to_bits());
                assert_eq!(prod.to_array()[l].to_bits(), (x * y).to_bits());
                assert_eq!((va / vb).to_array()[l].to_bits(), (x / y).to_bits());
                assert_eq!(va.sqrt().to_array()[l].to_bits(), x.sqrt().to_bits());
                assert_eq!(va.abs().to_array()[l].to_bits(), x.abs().to_bits());
            }
        }
        let (a, b) = (
            F64x2::from_array([1.0, f64::NAN]),
            F64x2::from_array([2.0, 0.0]),
        );
        assert_eq!(a.max(b).to_array()[0], 2.0);
        assert_eq!(a.max(b).to_array()[1], 0.0, "a NaN lane is not the larger");
        assert_eq!(b.max(a).to_array()[0], 2.0);
        assert_eq!(b.ge_bits(a), 0b01, "NaN compares false");
        let less = |p: F64x2, q: F64x2| p.lt_mask(q).to_array().map(|m| m.to_bits() == u64::MAX);
        assert_eq!(less(a, b), [true, false], "NaN compares false");
        let zeros = F64x2::from_array([-0.0, 0.0]);
        assert_eq!(
            less(zeros, F64x2::splat(0.0)),
            [false, false],
            "-0.0 is not below 0.0"
        );
        assert_eq!(a.ge_bits(a), 0b01);
        let mut stored = [0.0; 3];
        F64x2::from_array([-1.5, 4.0]).store(&mut stored, 1);
        assert_eq!(stored, [0.0, -1.5, 4.0]);
        assert_eq!(
            F64x2::splat(-0.0).to_array()[1].to_bits(),
            (-0.0f64).to_bits()
        );
        assert!(F64x2::load(&[f64::NAN, 1.0], 0).to_array()[0].is_nan());
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn sse2_and_portable_lanes_give_the_same_bits() {
        use super::portable::F64x2 as Portable;
        let values = lane_test_values(3);
        for (i, j) in (0..values.len() - 1).zip((1..values.len() - 1).rev()) {
            let (a, b) = (F64x2::load(&values, i), F64x2::load(&values, j));
            let (pa, pb) = (Portable::load(&values, i), Portable::load(&values, j));
            let bits = |v: [f64; 2]| v.map(f64::to_bits);
            assert_eq!(bits((a + b).to_array()), bits((pa + pb).to_array()));
            assert_eq!(bits((a - b).to_array()), bits((pa - pb).to_array()));
            assert_eq!(bits((a * b).to_array()), bits((pa * pb).to_array()));
            assert_eq!(bits(a.max(b).to_array()), bits(pa.max(pb).to_array()));
            assert_eq!(bits((a / b).to_array()), bits((pa / pb).to_array()));
            assert_eq!(bits(a.sqrt().to_array()), bits(pa.sqrt().to_array()));
            assert_eq!(bits(a.abs().to_array()), bits(pa.abs().to_array()));
            let (mask, pmask) = (a.le_mask(b), pa.le_mask(pb));
            assert_eq!(bits(mask.to_array()), bits(pmask.to_array()));
            let (less, pless) = (a.lt_mask(b), pa.lt_mask(pb));
            assert_eq!(bits(less.to_array()), bits(pless.to_array()));
            assert_eq!(bits(b.and(mask).to_array()), bits(pb.and(pmask).to_array()));
            assert_eq!(
                bits(b.and_not(mask).to_array()),
                bits(pb.and_not(pmask).to_array())
            );
            assert_eq!(bits(a.or(b).to_array()), bits(pa.or(pb).to_array()));
            assert_eq!(a.ge_bits(b), pa.ge_bits(pb));
            assert_eq!(a.finite_bits(), pa.finite_bits());
            let pair = [values[i], values[j]];
            assert_eq!(bits(F64x2::from_array(pair).to_array()), bits(pair));
            assert_eq!(bits(Portable::from_array(pair).to_array()), bits(pair));
            let (mut stored, mut stored_portable) = ([0.0; 3], [0.0; 3]);
            F64x2::from_array(pair).store(&mut stored, 1);
            Portable::from_array(pair).store(&mut stored_portable, 1);
            assert_eq!(stored.map(f64::to_bits), stored_portable.map(f64::to_bits));
            assert_eq!(
                bits(F64x2::splat(values[i]).to_array()),
                bits(Portable::splat(values[i]).to_array())
            );
        }
    }

    /// Every [`FourLanes`] operation of `L` against the scalar operation, lane by lane.
    #[inline(always)]
    fn check_four_lanes<L: FourLanes>(values: &[f64]) {
        let bits = |v: [f64; 4]| v.map(f64::to_bits);
        for (i, j) in (0..values.len() - 4).zip((0..values.len() - 4).rev()) {
            let (x, y): ([f64; 4], [f64; 4]) = (
                std::array::from_fn(|l| values[i + l]),
                std::array::from_fn(|l| values[j + l]),
            );
            let (a, b) = (L::load(values, i), L::from_array(y));
            let scalar =
                |op: fn(f64, f64) -> f64| -> [f64; 4] { std::array::from_fn(|l| op(x[l], y[l])) };
            assert_eq!(bits(a.to_array()), bits(x));
            assert_eq!(bits((a + b).to_array()), bits(scalar(|p, q| p + q)));
            assert_eq!(bits((a - b).to_array()), bits(scalar(|p, q| p - q)));
            assert_eq!(bits((a * b).to_array()), bits(scalar(|p, q| p * q)));
            let larger = scalar(|p, q| if p > q { p } else { q });
            assert_eq!(bits(a.max(b).to_array()), bits(larger));
            let ge = (0..4).fold(0, |m, l| m | u32::from(x[l] >= y[l]) << l);
            assert_eq!(a.ge_bits(b), ge, "rows {i} and {j}");
            assert_eq!(bits(L::splat(x[1]).to_array()), bits([x[1]; 4]));
            let mut stored = [0.0; 6];
            a.store(&mut stored, 1);
            assert_eq!(bits(stored[1..5].try_into().unwrap()), bits(x));
            for l in 0..4 {
                let mut want = x;
                want[l] = y[3 - l];
                assert_eq!(
                    bits(a.with_lane(l, y[3 - l]).to_array()),
                    bits(want),
                    "lane {l}"
                );
            }
            let rows: [L; 4] = std::array::from_fn(|r| L::load(values, (i + 3 * r) % 60));
            let columns = L::transpose(rows);
            for (k, column) in columns.iter().enumerate() {
                let want: [f64; 4] = std::array::from_fn(|r| values[(i + 3 * r) % 60 + k]);
                assert_eq!(bits(column.to_array()), bits(want), "column {k}");
            }
        }
    }

    /// Ordinary values from `seed`, then the special ones.
    fn lane_test_values(seed: u64) -> Vec<f64> {
        let mut values = crate::test_support::lcg_series(seed, 64, 1e3);
        values.extend([
            f64::NAN,
            f64::INFINITY,
            -0.0,
            0.0,
            5e-324,
            f64::MAX,
            -f64::MAX,
            1.0,
        ]);
        values
    }

    #[test]
    fn two_pairs_round_as_the_scalar_operations() {
        check_four_lanes::<TwoPairs>(&lane_test_values(5));
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx_lanes_round_as_the_scalar_operations() {
        #[target_feature(enable = "avx2")]
        fn check_avx(values: &[f64]) {
            check_four_lanes::<avx::F64x4Avx>(values);
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the machine has AVX2 (checked just above).
            unsafe { check_avx(&lane_test_values(5)) };
        }
    }

    #[test]
    fn finite_byte_marks_exactly_the_finite_values() {
        let odd = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -f64::NAN];
        let plain = [
            0.0,
            -0.0,
            f64::MAX,
            f64::MIN,
            5e-324,
            -1.5,
            1e300,
            f64::MIN_POSITIVE,
        ];
        for mask in 0..=255u8 {
            let values: [f64; 8] = std::array::from_fn(|i| {
                if mask >> i & 1 == 1 {
                    plain[(i + mask as usize) % 8]
                } else {
                    odd[(i + mask as usize) % 4]
                }
            });
            assert_eq!(finite_byte(&values), mask, "{values:?}");
        }
    }
}
