//! A small, seeded, version-stable random number generator and the few distributions the
//! crate draws from.
//!
//! [`Rng`] is xoshiro256++ (Blackman & Vigna) with its state seeded by four consecutive
//! SplitMix64 outputs from a `u64` (the seeding the authors recommend, and the one
//! `rand_xoshiro`'s `seed_from_u64` uses). It is written out here rather than taken from
//! `rand` so that a stored seed reproduces the same numbers in every future version (`rand`
//! documents that `StdRng`'s algorithm may change between releases). For the same seed its
//! stream is bit for bit the one of the bootstrap's generator (`stats/bootstrap.rs`).

/// SplitMix64's increment (the golden ratio in 64-bit fixed point).
const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// 2⁻⁵³: turns the top 53 bits of a draw into a float in `[0, 1)`.
const F64_UNIT: f64 = 1.0 / (1u64 << 53) as f64;

/// One SplitMix64 step from state `z`: adds the increment, then mixes. Used to seed [`Rng`]
/// and to derive independent seeds (`splitmix64(seed ^ splitmix64(index))`); the same
/// function as the simulated endpoint's `mock::profile::splitmix64`.
pub(crate) fn splitmix64(z: u64) -> u64 {
    mix(z.wrapping_add(GOLDEN_GAMMA))
}

/// SplitMix64's output function: a bijective mix of 64 bits.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// xoshiro256++ seeded by SplitMix64, with uniform, exponential, normal and gamma draws.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    /// The generator's 256 bits of state (never all zero).
    state: [u64; 4],
    /// The second normal of the last polar-method pair, not yet returned.
    spare_normal: Option<f64>,
}

impl Rng {
    /// A generator whose state is the first four outputs of SplitMix64 started at `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        let mut z = seed;
        let mut next = || {
            let out = splitmix64(z);
            z = z.wrapping_add(GOLDEN_GAMMA);
            out
        };
        Rng {
            state: [next(), next(), next(), next()],
            spare_normal: None,
        }
    }

    /// The next 64 uniformly distributed bits.
    #[inline]
    pub(crate) fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A uniform float in `[0, 1)`: the top 53 bits of a draw, times 2⁻⁵³.
    #[inline]
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * F64_UNIT
    }

    /// A uniform float in `(0, 1]`: never zero, so its logarithm is finite.
    #[inline]
    pub(crate) fn open01(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * F64_UNIT
    }

    /// An exponential draw with the given `mean` (inversion: `−mean·ln U`, `U` in `(0, 1]`).
    pub(crate) fn exponential(&mut self, mean: f64) -> f64 {
        -mean * self.open01().ln()
    }

    /// A standard normal draw (Marsaglia's polar method; the pair's second value is kept for
    /// the next call).
    pub(crate) fn standard_normal(&mut self) -> f64 {
        if let Some(spare) = self.spare_normal.take() {
            return spare;
        }
        loop {
            let u = 2.0 * self.next_f64() - 1.0;
            let v = 2.0 * self.next_f64() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let factor = (-2.0 * s.ln() / s).sqrt();
                self.spare_normal = Some(v * factor);
                return u * factor;
            }
        }
    }

    /// A gamma draw with `shape` k > 0 and `scale` θ > 0 (mean kθ, variance kθ²):
    /// Marsaglia & Tsang's method, with `Gamma(k) = Gamma(k + 1)·U^(1/k)` for k < 1.
    pub(crate) fn gamma(&mut self, shape: f64, scale: f64) -> f64 {
        debug_assert!(shape > 0.0 && scale > 0.0, "gamma({shape}, {scale})");
        if shape < 1.0 {
            let boost = self.open01().powf(1.0 / shape);
            return self.gamma_at_least_one(shape + 1.0) * boost * scale;
        }
        self.gamma_at_least_one(shape) * scale
    }

    /// A unit-scale gamma draw for `shape >= 1` (Marsaglia & Tsang 2000).
    fn gamma_at_least_one(&mut self, shape: f64) -> f64 {
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.standard_normal();
            let v = 1.0 + c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = self.open01();
            let x2 = x * x;
            if u < 1.0 - 0.0331 * x2 * x2 || u.ln() < 0.5 * x2 + d * (1.0 - v + v.ln()) {
                return d * v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DRAWS: usize = 100_000;

    /// The mean and the (population) variance of `values`.
    fn mean_variance(values: &[f64]) -> (f64, f64) {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        (mean, var)
    }

    #[test]
    fn splitmix64_matches_the_reference_outputs() {
        // SplitMix64 (Vigna's splitmix64.c) started at 0: its first three outputs.
        let mut z = 0u64;
        let outputs: Vec<u64> = (0..3)
            .map(|_| {
                let out = splitmix64(z);
                z = z.wrapping_add(GOLDEN_GAMMA);
                out
            })
            .collect();
        assert_eq!(
            outputs,
            [
                0xe220_a839_7b1d_cdaf,
                0x6e78_9e6a_a1b9_65f4,
                0x06c4_5d18_8009_454f
            ]
        );
    }

    #[test]
    fn xoshiro_matches_the_reference_implementation() {
        // State [1, 2, 3, 4]: the first outputs of the reference C code (prng.di.unimi.it),
        // the same check as the bootstrap generator's.
        let mut g = Rng {
            state: [1, 2, 3, 4],
            spare_normal: None,
        };
        let first: Vec<u64> = (0..3).map(|_| g.next_u64()).collect();
        assert_eq!(first, [41943041, 58720359, 3588806011781223]);
    }

    #[test]
    fn seeded_stream_matches_the_bootstrap_generator() {
        // Computed independently (Python, arbitrary-precision integers) from the reference
        // algorithms: state = four SplitMix64 outputs from the seed, then xoshiro256++. This
        // is how `stats/bootstrap.rs`'s `Xoshiro256pp::seed_from_u64` seeds too.
        let expect: [(u64, [u64; 4]); 3] = [
            (
                0,
                [
                    0x5317_5d61_490b_23df,
                    0x61da_6f3d_c380_d507,
                    0x5c0f_df91_ec9a_7bfc,
                    0x02ee_bf8c_3bbe_5e1a,
                ],
            ),
            (
                42,
                [
                    0xd076_4d4f_4476_689f,
                    0x519e_4174_576f_3791,
                    0xfbe0_7cfb_0c24_ed8c,
                    0xb37d_9f60_0cd8_35b8,
                ],
            ),
            (
                0xdead_beef,
                [
                    0x0c52_0eb8_fea9_8ede,
                    0x2b74_a633_8b80_e0e2,
                    0xbe23_8770_c379_5322,
                    0x5f23_5f98_a244_ea97,
                ],
            ),
        ];
        for (seed, outputs) in expect {
            let mut g = Rng::new(seed);
            let got: Vec<u64> = (0..4).map(|_| g.next_u64()).collect();
            assert_eq!(got, outputs, "seed {seed}");
        }
    }

    #[test]
    fn same_seed_same_stream_other_seed_other_stream() {
        let draw = |seed| {
            let mut g = Rng::new(seed);
            (0..64).map(|_| g.gamma(0.7, 2.0)).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
    }

    #[test]
    fn uniforms_stay_in_their_intervals() {
        let mut g = Rng::new(1);
        for _ in 0..DRAWS {
            let u = g.next_f64();
            assert!((0.0..1.0).contains(&u), "{u}");
            let o = g.open01();
            assert!(o > 0.0 && o <= 1.0, "{o}");
        }
        let (mean, var) = mean_variance(&(0..DRAWS).map(|_| g.next_f64()).collect::<Vec<_>>());
        assert!((mean - 0.5).abs() < 0.005, "{mean}");
        assert!((var - 1.0 / 12.0).abs() < 0.002, "{var}");
    }

    #[test]
    fn exponential_has_its_mean_and_variance() {
        let mut g = Rng::new(2);
        let draws: Vec<f64> = (0..DRAWS).map(|_| g.exponential(3.0)).collect();
        assert!(draws.iter().all(|d| d.is_finite() && *d >= 0.0));
        let (mean, var) = mean_variance(&draws);
        // Standard errors: 3/√n ≈ 0.0095 for the mean, ≈ 9·√8/√n ≈ 0.08 for the variance.
        assert!((mean - 3.0).abs() < 0.05, "mean {mean}");
        assert!((var - 9.0).abs() < 0.4, "variance {var}");
    }

    #[test]
    fn standard_normal_has_mean_zero_and_variance_one() {
        let mut g = Rng::new(3);
        let draws: Vec<f64> = (0..DRAWS).map(|_| g.standard_normal()).collect();
        let (mean, var) = mean_variance(&draws);
        assert!(mean.abs() < 0.02, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "variance {var}");
    }

    #[test]
    fn gamma_has_its_mean_and_variance() {
        // Shapes below 1 (the boost), at 1 and above; mean kθ, variance kθ².
        for (seed, shape, scale) in [(4, 0.3, 2.0), (5, 0.5, 1.0), (6, 1.0, 0.5), (7, 4.0, 0.25)] {
            let mut g = Rng::new(seed);
            let draws: Vec<f64> = (0..DRAWS).map(|_| g.gamma(shape, scale)).collect();
            assert!(draws.iter().all(|d| d.is_finite() && *d >= 0.0));
            let (mean, var) = mean_variance(&draws);
            let (want_mean, want_var) = (shape * scale, shape * scale * scale);
            assert!(
                (mean / want_mean - 1.0).abs() < 0.02,
                "gamma({shape}, {scale}) mean {mean}, want {want_mean}"
            );
            assert!(
                (var / want_var - 1.0).abs() < 0.06,
                "gamma({shape}, {scale}) variance {var}, want {want_var}"
            );
        }
    }
}
