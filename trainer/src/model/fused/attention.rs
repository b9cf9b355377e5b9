//! Causal grouped-query attention, softmax(cap(Q Kᵀ · scale) + causal) V, on the
//! projections' own [tokens, heads × head_dim] layout: each head is a
//! strided view, so there is no transpose, no repeat of the key/value heads
//! and no [b, h, t, t] mask or score tensors beyond the probabilities kept
//! for the backward pass. Work is split over (sequence, key/value head)
//! pairs, whose outputs and gradients never overlap, and rows go in blocks
//! so the masked upper triangle is mostly skipped. In a packed batch a
//! position also never sees keys before its own example's start, and a
//! block's keys begin at its first row's example.
//!
//! The scale is head_dim^-½ unless the model sets it (Gemma's
//! query_pre_attn_scalar); cap is the identity or Gemma 2's softcapping,
//! s ↦ tanh(s/c)·c. A sliding layer's position sees only the `window`
//! keys up to itself: its row starts later, like a packed example's.
//!
//! Backward, per head: dP = dO Vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)), with a
//! cap dS ⊙= 1 − tanh²(S/c) (S recomputed, one more matmul per block),
//! dQ = dS K · scale, dK += dSᵀ Q · scale, dV += Pᵀ dO.

use super::super::packing::Packing;
use super::matrix::{Mat, matmul};
use super::{data, math, tensor, uninit, with_data};
use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};
use rayon::prelude::*;
use std::sync::Mutex;

/// Query rows per block; block i attends to keys 0..(i + 1)·BLOCK only.
const BLOCK: usize = 64;

#[derive(Clone, Copy)]
pub struct Dims {
    pub batch: usize,
    pub t: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub head_dim: usize,
    /// The scores' scale (head_dim^-½ for most models).
    pub scale: f32,
    /// Logit softcapping c: scores become tanh(s/c)·c.
    pub softcap: Option<f32>,
    /// Sliding window: a position sees itself and the window − 1 before.
    pub window: Option<usize>,
}

impl Dims {
    fn q_width(&self) -> usize {
        self.heads * self.head_dim
    }
    fn kv_width(&self) -> usize {
        self.kv_heads * self.head_dim
    }
    fn group(&self) -> usize {
        self.heads / self.kv_heads
    }
    fn scale(&self) -> f32 {
        self.scale
    }
    /// The first key row `row` of sequence `seq` sees.
    fn start(&self, packing: &Packing, seq: usize, row: usize) -> usize {
        let s = packing.start(seq * self.t + row);
        match self.window {
            Some(w) => s.max((row + 1).saturating_sub(w)),
            None => s,
        }
    }
    /// (sequence, key/value head) pairs: the unit of parallel work.
    fn tasks(&self) -> impl IndexedParallelIterator<Item = (usize, usize)> + use<> {
        let kv = self.kv_heads;
        (0..self.batch * kv)
            .into_par_iter()
            .map(move |i| (i / kv, i % kv))
    }
    /// Query row blocks: (first row, rows, keys attended).
    fn blocks(&self) -> impl Iterator<Item = (usize, usize, usize)> + use<> {
        let t = self.t;
        (0..t.div_ceil(BLOCK)).map(move |i| {
            let r0 = i * BLOCK;
            let rows = BLOCK.min(t - r0);
            (r0, rows, r0 + rows)
        })
    }
}

struct Attention {
    dims: Dims,
    packing: Packing,
    /// The probabilities [batch, heads, t, t], kept for the backward pass.
    probs: Mutex<Option<Vec<f32>>>,
    keep: bool,
}

/// One sequence's head in a [tokens, heads × head_dim] matrix.
fn head(m: Mat, d: &Dims, seq: usize, h: usize) -> Mat {
    m.block(seq * d.t, h * d.head_dim, d.t, d.head_dim)
}

/// Masked softmax of each row of a block of scores, in place: row r of the
/// block (absolute row r0 + r) keeps keys start(r0 + r)..=r0 + r.
fn causal_softmax(p: &mut [f32], t: usize, r0: usize, rows: usize, start: impl Fn(usize) -> usize) {
    for r in 0..rows {
        let row = &mut p[(r0 + r) * t..(r0 + r + 1) * t];
        let (seen, after) = row.split_at_mut(r0 + r + 1);
        let (before, live) = seen.split_at_mut(start(r0 + r));
        let sum = math::exp_sum(live, math::max(live));
        let inv = 1.0 / sum;
        live.iter_mut().for_each(|v| *v *= inv);
        before.fill(0.0);
        after.fill(0.0);
    }
}

/// S = Q Kᵀ · scale of query rows r0..r0 + rows against keys k0..keys,
/// into `dst`.
///
/// # Safety
/// No other thread reads or writes `dst`'s memory during the call.
unsafe fn scores(
    dst: Mat,
    qh: Mat,
    kh: Mat,
    (r0, rows): (usize, usize),
    (k0, keys): (usize, usize),
    scale: f32,
) {
    unsafe {
        matmul(
            dst,
            qh.rows(r0, rows),
            kh.rows(k0, keys - k0).t(),
            false,
            scale,
            1,
        )
    }
}

/// [`causal_softmax`]'s backward over a block, in place: each row's dP in
/// `ds` becomes dS = P ⊙ (dP − rowsum(dP ⊙ P)), times the cap's
/// 1 − tanh²(S/c) where there is one (`raw`: the block's scores S, rows
/// `keys − k0` wide), and zero outside the keys the row sees.
fn causal_softmax_grad(
    ds: &mut [f32],
    p: &[f32],
    raw: &[f32],
    softcap: Option<f32>,
    t: usize,
    (r0, rows, k0, keys): (usize, usize, usize, usize),
    start: impl Fn(usize) -> usize,
) {
    let w = keys - k0;
    for r in 0..rows {
        let i = (r0 + r) * t;
        let (s, end) = (start(r0 + r), r0 + r + 1);
        let (pr, dr) = (&p[i + s..i + end], &mut ds[i + s..i + end]);
        let dot = math::dot(pr, dr);
        for (dv, pv) in dr.iter_mut().zip(pr) {
            *dv = pv * (*dv - dot);
        }
        if let Some(c) = softcap {
            let sr = &raw[r * w + s - k0..r * w + end - k0];
            for (dv, sv) in dr.iter_mut().zip(sr) {
                let th = (sv / c).tanh();
                *dv *= 1.0 - th * th;
            }
        }
        ds[i + k0..i + s].fill(0.0);
        ds[i + end..i + keys].fill(0.0);
    }
}

impl CustomOp3 for Attention {
    fn name(&self) -> &'static str {
        "fused-attention"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let d = self.dims;
        let (n, t) = (d.batch * d.t, d.t);
        let (qw, kw) = (d.q_width(), d.kv_width());
        let q = Mat::of(data(s1, l1, self.name())?, 0, n, qw, qw);
        let k = Mat::of(data(s2, l2, self.name())?, 0, n, kw, kw);
        let v = Mat::of(data(s3, l3, self.name())?, 0, n, kw, kw);
        let mut out = uninit(n * qw);
        let mut probs = uninit(d.batch * d.heads * t * t);
        let out_m = Mat::of_mut(&mut out, 0, n, qw, qw);
        let probs_m = Mat::of_mut(&mut probs, 0, d.batch * d.heads * t, t, t);
        d.tasks().for_each(|(seq, g)| {
            let (kh, vh) = (head(k, &d, seq, g), head(v, &d, seq, g));
            for h in g * d.group()..(g + 1) * d.group() {
                let (qh, oh) = (head(q, &d, seq, h), head(out_m, &d, seq, h));
                // SAFETY: this task alone writes head h of sequence seq, in
                // both `probs` and `out`; the buffers outlive the loop.
                let p = unsafe {
                    std::slice::from_raw_parts_mut(probs_m.at((seq * d.heads + h) * t * t), t * t)
                };
                let start = |row: usize| d.start(&self.packing, seq, row);
                for (r0, rows, keys) in d.blocks() {
                    let k0 = start(r0);
                    let pb = Mat::of_mut(p, r0 * t + k0, rows, keys - k0, t);
                    unsafe { scores(pb, qh, kh, (r0, rows), (k0, keys), d.scale()) };
                    if let Some(c) = d.softcap {
                        for r in 0..rows {
                            let i = (r0 + r) * t;
                            for s in &mut p[i + k0..i + keys] {
                                *s = (*s / c).tanh() * c;
                            }
                        }
                    }
                    causal_softmax(p, t, r0, rows, start);
                    unsafe { matmul(oh.rows(r0, rows), pb, vh.rows(k0, keys - k0), false, 1.0, 1) };
                }
            }
        });
        if self.keep {
            *self.probs.lock().unwrap() = Some(probs);
        }
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        _out: &Tensor,
        d_out: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let Some(probs) = self.probs.lock().unwrap().take() else {
            candle_core::bail!("fused-attention: backward without the forward's probabilities");
        };
        let d = self.dims;
        let (n, t) = (d.batch * d.t, d.t);
        let (qw, kw) = (d.q_width(), d.kv_width());
        let (dq, dk, dv) = with_data([q, k, v, d_out], self.name(), |[q, k, v, d_out]| {
            let (q, d_out) = (Mat::of(q, 0, n, qw, qw), Mat::of(d_out, 0, n, qw, qw));
            let (k, v) = (Mat::of(k, 0, n, kw, kw), Mat::of(v, 0, n, kw, kw));
            let mut dq = uninit(n * qw);
            let mut dk = vec![0f32; n * kw];
            let mut dv = vec![0f32; n * kw];
            let dq_m = Mat::of_mut(&mut dq, 0, n, qw, qw);
            let dk_m = Mat::of_mut(&mut dk, 0, n, kw, kw);
            let dv_m = Mat::of_mut(&mut dv, 0, n, kw, kw);
            d.tasks().for_each(|(seq, g)| {
                let (kh, vh) = (head(k, &d, seq, g), head(v, &d, seq, g));
                let (dkh, dvh) = (head(dk_m, &d, seq, g), head(dv_m, &d, seq, g));
                let mut ds = uninit(t * t);
                // The block's raw scores, recomputed for the cap's gradient.
                let mut raw = if d.softcap.is_some() {
                    uninit(BLOCK * t)
                } else {
                    Vec::new()
                };
                for h in g * d.group()..(g + 1) * d.group() {
                    let (qh, doh, dqh) = (
                        head(q, &d, seq, h),
                        head(d_out, &d, seq, h),
                        head(dq_m, &d, seq, h),
                    );
                    let p = &probs[(seq * d.heads + h) * t * t..][..t * t];
                    let start = |row: usize| d.start(&self.packing, seq, row);
                    for (r0, rows, keys) in d.blocks() {
                        let k0 = start(r0);
                        let w = keys - k0;
                        if d.softcap.is_some() {
                            let rb = Mat::of_mut(&mut raw, 0, rows, w, w);
                            // SAFETY: `raw` is this task's.
                            unsafe { scores(rb, qh, kh, (r0, rows), (k0, keys), d.scale()) };
                        }
                        let pb = Mat::of(p, r0 * t + k0, rows, w, t);
                        let dsb = Mat::of_mut(&mut ds, r0 * t + k0, rows, w, t);
                        // SAFETY: `ds` is this task's; dq's head h and dk/dv's
                        // head g of this sequence are written by this task alone.
                        unsafe {
                            matmul(dsb, doh.rows(r0, rows), vh.rows(k0, w).t(), false, 1.0, 1)
                        };
                        causal_softmax_grad(
                            &mut ds,
                            p,
                            &raw,
                            d.softcap,
                            t,
                            (r0, rows, k0, keys),
                            start,
                        );
                        unsafe {
                            matmul(dqh.rows(r0, rows), dsb, kh.rows(k0, w), false, d.scale(), 1);
                            matmul(
                                dkh.rows(k0, w),
                                dsb.t(),
                                qh.rows(r0, rows),
                                true,
                                d.scale(),
                                1,
                            );
                            matmul(dvh.rows(k0, w), pb.t(), doh.rows(r0, rows), true, 1.0, 1);
                        }
                    }
                }
            });
            Ok((dq, dk, dv))
        })?;
        Ok((
            Some(tensor(dq, q.shape())?),
            Some(tensor(dk, k.shape())?),
            Some(tensor(dv, v.shape())?),
        ))
    }
}

/// q: [batch · t, heads · head_dim], k and v: [batch · t, kv_heads · head_dim]
/// (f32, CPU, rows in (sequence, position) order) → [batch · t, heads · head_dim].
pub fn attend(q: &Tensor, k: &Tensor, v: &Tensor, dims: Dims, packing: &Packing) -> Result<Tensor> {
    let n = dims.batch * dims.t;
    if q.dims() != [n, dims.q_width()]
        || k.dims() != [n, dims.kv_width()]
        || v.dims() != k.dims()
        || dims.kv_heads == 0
        || !dims.heads.is_multiple_of(dims.kv_heads)
    {
        candle_core::bail!(
            "fused-attention: q {:?}, k {:?}, v {:?} do not fit the model's heads",
            q.dims(),
            k.dims(),
            v.dims()
        );
    }
    let keep = q.track_op() || k.track_op() || v.track_op();
    q.contiguous()?.apply_op3(
        &k.contiguous()?,
        &v.contiguous()?,
        Attention {
            dims,
            packing: packing.clone(),
            probs: Mutex::new(None),
            keep,
        },
    )
}
