//! A tiny seeded random source (xorshift64*). The crowd draws its decisions from one stream in
//! the order they come up, so the same `--seed` makes the same decisions: with the same number of
//! orders won, the same number are paid, whichever buyers happened to win them.

/// A seeded stream.
pub struct Rng(u64);

/// SplitMix64: spreads nearby seeds (buyer 0, 1, 2, …) over the whole state space.
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

impl Rng {
    /// The stream of `seed`.
    pub fn new(seed: u64) -> Self {
        // xorshift must never hold zero.
        Self(splitmix64(seed).max(1))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// True with probability `p` (clamped to 0..=1).
    pub fn chance(&mut self, p: f64) -> bool {
        // 53 random bits make a uniform float in [0, 1).
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        unit < p.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_makes_the_same_choices() {
        let a: Vec<u64> = {
            let mut r = Rng::new(7);
            (0..5).map(|_| r.next_u64()).collect()
        };
        let mut r = Rng::new(7);
        let b: Vec<u64> = (0..5).map(|_| r.next_u64()).collect();
        assert_eq!(a, b);
        assert_ne!(a[0], Rng::new(8).next_u64());
        assert_ne!(Rng::new(0).next_u64(), 0, "seed zero still makes a stream");
    }

    #[test]
    fn chance_follows_the_probability() {
        let mut r = Rng::new(42);
        assert!((0..1000).all(|_| !r.chance(0.0)));
        assert!((0..1000).all(|_| r.chance(1.0)));
        let hits = (0..100_000).filter(|_| r.chance(0.7)).count();
        assert!((68_000..72_000).contains(&hits), "{hits} of 100000");
    }
}
