//! The trainer's own seeded random numbers: candle's CPU generator cannot be
//! seeded, so LoRA initialisation, dropout masks and data order all come
//! from here, and the same seed gives the same run.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub struct TrainRng(StdRng);

impl TrainRng {
    pub fn new(seed: u64) -> Self {
        Self(StdRng::seed_from_u64(seed))
    }

    /// A generator for one purpose, independent of how much the others drew.
    pub fn derive(seed: u64, purpose: &str) -> Self {
        let mut h = seed ^ 0x9E37_79B9_7F4A_7C15;
        for b in purpose.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
        }
        Self::new(h)
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, n: usize, lo: f32, hi: f32) -> Vec<f32> {
        (0..n).map(|_| self.0.random_range(lo..hi)).collect()
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self, n: usize, std: f32) -> Vec<f32> {
        (0..n)
            .map(|_| {
                let u1: f32 = self.0.random_range(f32::EPSILON..1.0);
                let u2: f32 = self.0.random();
                std * (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
            })
            .collect()
    }

    /// Dropout keep-mask scaled by 1/(1-p): each entry 0 or 1/(1-p).
    pub fn dropout_mask(&mut self, n: usize, p: f32) -> Vec<f32> {
        let keep = 1.0 / (1.0 - p);
        (0..n)
            .map(|_| {
                if self.0.random::<f32>() < p {
                    0.0
                } else {
                    keep
                }
            })
            .collect()
    }

    /// A permutation of 0..n.
    pub fn shuffle(&mut self, items: &mut [usize]) {
        for i in (1..items.len()).rev() {
            let j = self.0.random_range(0..=i);
            items.swap(i, j);
        }
    }
}
