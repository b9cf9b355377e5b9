//! A branch-free exp for the kernels' inner loops. `f32::exp` calls libm
//! one value at a time (8% of a training step went to `__expf_fma`); this
//! one is plain arithmetic that the compiler vectorises, accurate to about
//! 2 ulp on the range softmax and sigmoid use (Cephes' expf polynomial).

const LOG2E: f32 = std::f32::consts::LOG2_E;
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// Adding and subtracting 1.5 · 2²³ rounds to the nearest integer.
const ROUND: f32 = 12_582_912.0;

/// e^x; below −87 it returns about 1e-38 rather than 0, which is what a
/// softmax of max-subtracted scores needs.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let n = (x * LOG2E + ROUND) - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_1e-4f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 0.166_666_65;
    p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    e * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// Lanes of the reductions below: independent accumulators, so that the
/// compiler can keep them in vector registers (an f32 `sum()` is a serial
/// chain of dependent adds).
const LANES: usize = 16;

/// Σ f(i) over 0..n, accumulated in LANES interleaved partial sums.
#[inline(always)]
fn reduce(n: usize, f: impl Fn(usize) -> f32) -> f32 {
    let mut acc = [0f32; LANES];
    let whole = n / LANES * LANES;
    for base in (0..whole).step_by(LANES) {
        for (l, a) in acc.iter_mut().enumerate() {
            *a += f(base + l);
        }
    }
    let tail: f32 = (whole..n).map(&f).sum();
    acc.iter().sum::<f32>() + tail
}

/// Σ a·b.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    reduce(n, |i| a[i] * b[i])
}

/// Σ a·b·c.
#[inline]
pub fn dot3(a: &[f32], b: &[f32], c: &[f32]) -> f32 {
    let n = a.len().min(b.len()).min(c.len());
    let (a, b, c) = (&a[..n], &b[..n], &c[..n]);
    reduce(n, |i| a[i] * b[i] * c[i])
}

/// The largest value (−∞ for none).
#[inline]
pub fn max(xs: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let mut chunks = xs.chunks_exact(LANES);
    for c in &mut chunks {
        for (a, v) in acc.iter_mut().zip(c) {
            *a = a.max(*v);
        }
    }
    let m = acc.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    chunks.remainder().iter().copied().fold(m, f32::max)
}

/// Replaces each x by e^(x − shift) and returns their sum.
#[inline]
pub fn exp_sum(xs: &mut [f32], shift: f32) -> f32 {
    for v in xs.iter_mut() {
        *v = exp(*v - shift);
    }
    reduce(xs.len(), |i| xs[i])
}

#[cfg(test)]
mod tests {
    #[test]
    fn reductions_agree_with_plain_loops() {
        let a: Vec<f32> = (0..37).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..37).map(|i| (i as f32 * 0.11).cos()).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((super::dot(&a, &b) - plain).abs() < 1e-5);
        let plain3: f32 = a.iter().zip(&b).map(|(x, y)| x * y * y).sum();
        assert!((super::dot3(&a, &b, &b) - plain3).abs() < 1e-5);
        assert_eq!(super::max(&a), a.iter().copied().fold(f32::MIN, f32::max));
        let mut e = a.clone();
        let s = super::exp_sum(&mut e, 1.0);
        let plain_e: f32 = a.iter().map(|x| (x - 1.0).exp()).sum();
        assert!((s - plain_e).abs() < 1e-5 && (e[3] - (a[3] - 1.0).exp()).abs() < 1e-6);
    }

    #[test]
    fn exp_matches_the_standard_library() {
        let mut worst = 0f32;
        let mut x = -87.0f32;
        while x < 88.0 {
            let (ours, std) = (super::exp(x), x.exp());
            worst = worst.max(((ours - std) / std).abs());
            x += 0.0137;
        }
        assert!(worst < 3e-7, "relative error {worst}");
        assert_eq!(super::exp(0.0), 1.0);
        assert!(super::exp(f32::NEG_INFINITY) < 1e-37);
    }
}
