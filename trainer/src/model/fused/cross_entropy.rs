//! The language-model head and cross-entropy in one op, over the positions
//! that have a label only. The generic path builds [tokens, vocab] logits
//! and several tensors of that size for log-softmax and its backward (on a
//! 49k vocabulary, 200 MB each for one batch of 1,024 tokens); here the
//! labelled rows go through the head a chunk at a time, and each chunk's
//! gradient, (softmax − one-hot) / count · W, is taken while its logits are
//! at hand, so the backward pass only scales the stored [tokens, hidden]
//! gradient by the incoming one. With Gemma's final softcapping, each
//! logit l becomes tanh(l/c)·c before the softmax, and its gradient is
//! multiplied by 1 − tanh²(l/c).

use super::matrix::{Mat, matmul, threads};
use super::{data, math, tensor, uninit, with_data};
use crate::model::llama::IGNORE;
use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};
use rayon::prelude::*;
use std::sync::Mutex;

/// Logits held at once, in floats (32 MB).
const CHUNK_LOGITS: usize = 8 << 20;

struct HeadLoss {
    /// [vocab, hidden], frozen.
    head: Tensor,
    labels: Vec<i64>,
    /// final_logit_softcapping.
    cap: Option<f32>,
    /// d loss / d hidden, [tokens, hidden], when the input needs it.
    grad: Mutex<Option<Vec<f32>>>,
    keep: bool,
}

/// One row's loss, logsumexp(row) − row[label], after the cap where there
/// is one (`th` keeps each tanh(l/c) for its gradient). With `keep` the
/// row becomes d loss / d logits, the mean over `count` rows: softmax − 1
/// at the label, through the cap's 1 − tanh².
fn row_loss(
    row: &mut [f32],
    th: &mut [f32],
    label: usize,
    cap: Option<f32>,
    keep: bool,
    count: f32,
) -> f64 {
    if let Some(c) = cap {
        for (v, t) in row.iter_mut().zip(th.iter_mut()) {
            *t = (*v / c).tanh();
            *v = *t * c;
        }
    }
    let max = math::max(row);
    let picked = row[label];
    let sum = math::exp_sum(row, max);
    let loss = f64::from(max + sum.ln() - picked);
    if keep {
        let inv = 1.0 / (sum * count);
        for v in row.iter_mut() {
            *v *= inv;
        }
        row[label] -= 1.0 / count;
        if cap.is_some() {
            for (v, t) in row.iter_mut().zip(th.iter()) {
                *v *= 1.0 - t * t;
            }
        }
    }
    loss
}

impl CustomOp1 for HeadLoss {
    fn name(&self) -> &'static str {
        "fused-head-cross-entropy"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let hidden = data(s, l, self.name())?;
        let (vocab, h) = self.head.dims2()?;
        let rows: Vec<usize> = (0..self.labels.len())
            .filter(|&i| self.labels[i] != IGNORE)
            .collect();
        let count = rows.len().max(1) as f32;
        let chunk = (CHUNK_LOGITS / vocab).clamp(16, 1024);
        let mut grad = if self.keep {
            vec![0f32; hidden.len()]
        } else {
            Vec::new()
        };
        let mut total = 0f64;
        with_data([&self.head], self.name(), |[w]| {
            let mut x = uninit(chunk * h);
            let mut logits = uninit(chunk * vocab);
            let mut dx = uninit(chunk * h);
            // Each capped row's tanh(l/c), for the gradient (a float per
            // row, unused, without a cap).
            let tw = if self.cap.is_some() { vocab } else { 1 };
            let mut th = uninit(chunk * tw);
            for part in rows.chunks(chunk) {
                let m = part.len();
                for (dst, &r) in x.chunks_mut(h).zip(part) {
                    dst.copy_from_slice(&hidden[r * h..(r + 1) * h]);
                }
                let wt = Mat::of(w, 0, vocab, h, h).t();
                // SAFETY: x, logits and dx are this call's own buffers.
                unsafe {
                    matmul(
                        Mat::of_mut(&mut logits, 0, m, vocab, vocab),
                        Mat::of(&x, 0, m, h, h),
                        wt,
                        false,
                        1.0,
                        threads(),
                    )
                };
                let keep = self.keep;
                let cap = self.cap;
                total += logits[..m * vocab]
                    .par_chunks_mut(vocab)
                    .zip(th[..m * tw].par_chunks_mut(tw))
                    .zip(part.par_iter())
                    .map(|((row, th), &r)| {
                        row_loss(row, th, self.labels[r] as usize, cap, keep, count)
                    })
                    .sum::<f64>();
                if self.keep {
                    unsafe {
                        matmul(
                            Mat::of_mut(&mut dx, 0, m, h, h),
                            Mat::of(&logits, 0, m, vocab, vocab),
                            Mat::of(w, 0, vocab, h, h),
                            false,
                            1.0,
                            threads(),
                        )
                    };
                    for (src, &r) in dx.chunks(h).zip(part) {
                        grad[r * h..(r + 1) * h].copy_from_slice(src);
                    }
                }
            }
            Ok(())
        })?;
        if self.keep {
            *self.grad.lock().unwrap() = Some(grad);
        }
        let loss = (total / f64::from(count)) as f32;
        Ok((CpuStorage::F32(vec![loss]), Shape::from(())))
    }

    fn bwd(&self, hidden: &Tensor, _loss: &Tensor, d_loss: &Tensor) -> Result<Option<Tensor>> {
        let Some(grad) = self.grad.lock().unwrap().take() else {
            candle_core::bail!("fused-head-cross-entropy: backward without the forward's gradient");
        };
        let g = tensor(grad, hidden.shape())?;
        Ok(Some(g.broadcast_mul(d_loss)?))
    }
}

/// Mean cross-entropy of head(hidden) against `labels` over the positions
/// whose label is not `IGNORE`. hidden: [tokens, hidden] (f32, CPU),
/// head: [vocab, hidden] frozen; `cap`: final logit softcapping.
pub fn head_loss(
    hidden: &Tensor,
    head: &Tensor,
    labels: &[i64],
    cap: Option<f64>,
) -> Result<Tensor> {
    let (n, h) = hidden.dims2()?;
    let (vocab, hw) = head.dims2()?;
    if n != labels.len() || h != hw {
        candle_core::bail!(
            "fused-head-cross-entropy: hidden [{n}, {h}], head [{vocab}, {hw}], {} labels",
            labels.len()
        );
    }
    if let Some(bad) = labels
        .iter()
        .find(|&&l| l != IGNORE && !(0..vocab as i64).contains(&l))
    {
        candle_core::bail!(
            "fused-head-cross-entropy: label {bad} is outside the vocabulary of {vocab}"
        );
    }
    hidden.contiguous()?.apply_op1(HeadLoss {
        head: head.contiguous()?,
        labels: labels.to_vec(),
        cap: cap.map(|c| c as f32),
        grad: Mutex::new(None),
        keep: hidden.track_op(),
    })
}
