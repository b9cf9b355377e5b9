//! The trainer's own seeded random numbers: candle's CPU generator cannot be
//! seeded, so LoRA initialisation, dropout masks and data order all come
//! from here, and the same seed gives the same run.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

#[derive(Clone)]
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

    /// Dropout keep-mask scaled by 1/(1-p): each entry 0 or 1/(1-p), zero
    /// with probability p. One seed is drawn from this generator; blocks of
    /// the mask are filled in parallel from generators derived from it (so
    /// the same seed gives the same mask), as raw 32-bit words compared
    /// with p · 2³² (one float draw per entry, serially, was 4% of a step).
    pub fn dropout_mask(&mut self, n: usize, p: f32) -> Vec<f32> {
        const BLOCK: usize = 1 << 16;
        let keep = 1.0 / (1.0 - p);
        let threshold = (f64::from(p) * 4_294_967_296.0) as u64;
        let seed: u64 = self.0.random();
        let mut mask = vec![0f32; n];
        mask.par_chunks_mut(BLOCK)
            .enumerate()
            .for_each(|(i, block)| {
                let mut rng =
                    StdRng::seed_from_u64(seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let mut words = vec![0u32; block.len()];
                rng.fill(&mut words[..]);
                for (m, &w) in block.iter_mut().zip(&words) {
                    *m = if u64::from(w) < threshold { 0.0 } else { keep };
                }
            });
        mask
    }

    /// A permutation of 0..n.
    pub fn shuffle(&mut self, items: &mut [usize]) {
        for i in (1..items.len()).rev() {
            let j = self.0.random_range(0..=i);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TrainRng;

    #[test]
    fn dropout_masks_drop_p_of_the_entries_and_keep_the_mean() {
        let n = 200_000;
        let m = TrainRng::new(5).dropout_mask(n, 0.1);
        assert_eq!(m, TrainRng::new(5).dropout_mask(n, 0.1));
        let keep = 1.0 / 0.9f32;
        assert!(m.iter().all(|&v| v == 0.0 || v == keep));
        let dropped = m.iter().filter(|&&v| v == 0.0).count() as f64 / n as f64;
        assert!((dropped - 0.1).abs() < 0.005, "dropped {dropped}");
        let mean = m.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
        assert!((mean - 1.0).abs() < 0.01, "mean {mean}");
        assert!(
            TrainRng::new(5)
                .dropout_mask(1000, 0.0)
                .iter()
                .all(|&v| v == 1.0)
        );
    }
}
