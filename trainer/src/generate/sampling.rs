//! Choosing the next token from the logits: the repetition penalty, then
//! greedy argmax at temperature 0, or temperature, top-k and top-p (nucleus)
//! sampling from a seeded generator, so the same seed repeats exactly.

use crate::rng::TrainRng;
use brightrun::generation::Sampling;

pub struct Sampler {
    params: Sampling,
    rng: TrainRng,
}

impl Sampler {
    pub fn new(params: Sampling) -> Self {
        Self {
            params,
            rng: TrainRng::derive(params.seed, "sampling"),
        }
    }

    /// The next token from `logits` (changed in place), given the tokens
    /// already in the prompt and answer (`seen`, for the penalty).
    pub fn next(&mut self, logits: &mut [f32], seen: &[u32]) -> u32 {
        penalize(logits, seen, self.params.repetition_penalty);
        if self.params.is_greedy() {
            return argmax(logits);
        }
        let candidates = self.candidates(logits);
        let u = self.rng.uniform(1, 0.0, 1.0)[0];
        let mut acc = 0.0;
        for &(id, p) in &candidates {
            acc += p;
            if u < acc {
                return id;
            }
        }
        candidates.last().map_or(0, |c| c.0)
    }

    /// The tokens that may be drawn with their probabilities (summing to 1):
    /// the top k, then the nucleus of mass top_p.
    fn candidates(&self, logits: &[f32]) -> Vec<(u32, f32)> {
        let t = self.params.temperature;
        let mut c: Vec<(u32, f32)> = logits
            .iter()
            .enumerate()
            .filter(|(_, l)| l.is_finite())
            .map(|(i, &l)| (i as u32, l / t))
            .collect();
        let k = self.params.top_k as usize;
        let by_logit = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if k > 0 && k < c.len() {
            c.select_nth_unstable_by(k - 1, by_logit);
            c.truncate(k);
        }
        softmax(&mut c);
        if self.params.top_p < 1.0 {
            c.sort_unstable_by(by_logit);
            let mut mass = 0.0;
            let keep = c
                .iter()
                .position(|&(_, p)| {
                    mass += p;
                    mass >= self.params.top_p
                })
                .map_or(c.len(), |i| i + 1);
            c.truncate(keep);
            let total: f32 = c.iter().map(|x| x.1).sum();
            c.iter_mut().for_each(|x| x.1 /= total);
        }
        c
    }
}

/// CTRL's penalty, as transformers applies it: each distinct seen token's
/// logit is divided by the penalty when positive, multiplied when negative.
pub(crate) fn penalize(logits: &mut [f32], seen: &[u32], penalty: f32) {
    if penalty == 1.0 {
        return;
    }
    let mut done = vec![false; logits.len()];
    for &id in seen {
        let i = id as usize;
        if i < logits.len() && !done[i] {
            done[i] = true;
            let l = &mut logits[i];
            *l = if *l > 0.0 { *l / penalty } else { *l * penalty };
        }
    }
}

/// The first index of the largest logit.
pub fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0;
    for (i, l) in logits.iter().enumerate() {
        if *l > logits[best] {
            best = i;
        }
    }
    best as u32
}

/// Logits (as the second field) → probabilities, in place.
fn softmax(c: &mut [(u32, f32)]) {
    let max = c.iter().map(|x| x.1).fold(f32::NEG_INFINITY, f32::max);
    let mut total = 0.0;
    for x in c.iter_mut() {
        x.1 = (x.1 - max).exp();
        total += x.1;
    }
    c.iter_mut().for_each(|x| x.1 /= total);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sampling(temperature: f32, top_p: f32, top_k: u32, seed: u64) -> Sampling {
        Sampling {
            temperature,
            top_p,
            top_k,
            repetition_penalty: 1.0,
            seed,
        }
    }

    #[test]
    fn greedy_takes_the_largest_and_the_penalty_can_move_it() {
        let mut s = Sampler::new(Sampling::GREEDY);
        assert_eq!(s.next(&mut [0.1, 2.0, 1.5], &[]), 1);
        let mut p = Sampler::new(Sampling {
            repetition_penalty: 2.0,
            ..Sampling::GREEDY
        });
        // 2.0 / 2 = 1.0 < 1.5: the seen token loses its lead.
        assert_eq!(p.next(&mut [0.1, 2.0, 1.5], &[1, 1]), 2);
        let mut negative = [-1.0, -0.6, -0.5];
        penalize(&mut negative, &[1], 2.0);
        assert_eq!(negative, [-1.0, -1.2, -0.5]);
    }

    #[test]
    fn top_k_and_top_p_keep_only_the_likeliest() {
        let logits = [3.0, 2.0, 1.0, 0.0, -1.0];
        let k2 = Sampler::new(sampling(1.0, 1.0, 2, 0)).candidates(&logits);
        let mut ids: Vec<u32> = k2.iter().map(|c| c.0).collect();
        ids.sort();
        assert_eq!(ids, [0, 1]);
        let total: f32 = k2.iter().map(|c| c.1).sum();
        assert!((total - 1.0).abs() < 1e-6);
        // Probabilities ≈ .64, .23, .09, .03, .01: 0.8 needs the first two.
        let p = Sampler::new(sampling(1.0, 0.8, 0, 0)).candidates(&logits);
        assert_eq!(p.iter().map(|c| c.0).collect::<Vec<_>>(), [0, 1]);
        for _ in 0..200 {
            let mut s = Sampler::new(sampling(1.0, 0.8, 0, rand_seed()));
            assert!(s.next(&mut logits.clone(), &[]) < 2);
        }
    }

    fn rand_seed() -> u64 {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(1);
        N.fetch_add(1, Ordering::Relaxed)
    }

    #[test]
    fn a_seed_repeats_and_different_seeds_differ() {
        let logits: Vec<f32> = (0..50).map(|i| (i % 7) as f32 * 0.3).collect();
        let draw = |seed| {
            let mut s = Sampler::new(sampling(1.0, 1.0, 0, seed));
            (0..40)
                .map(|_| s.next(&mut logits.clone(), &[]))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        // Temperature 1 over 50 tokens draws many different ones.
        let mut distinct = draw(7);
        distinct.sort();
        distinct.dedup();
        assert!(distinct.len() > 10, "{distinct:?}");
    }
}
