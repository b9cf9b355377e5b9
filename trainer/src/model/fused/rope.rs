//! RoPE in the Hugging Face (non-interleaved) layout, applied in place of
//! the [tokens, heads × head_dim] projection output (row = batch · t + pos),
//! so no transpose is needed before or after. The backward pass is the
//! inverse rotation.

use super::super::packing::Packing;
use super::{data, rows_per_task, tensor, uninit, with_data};
use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};
use rayon::prelude::*;
use std::sync::Arc;

/// cos and sin of position × frequency, [positions, head_dim / 2].
pub struct Tables {
    pub cos: Vec<f32>,
    pub sin: Vec<f32>,
    pub half: usize,
}

impl Tables {
    pub fn new(cos: &Tensor, sin: &Tensor) -> Result<Self> {
        Ok(Self {
            half: cos.dim(1)?,
            cos: cos.flatten_all()?.to_vec1()?,
            sin: sin.flatten_all()?.to_vec1()?,
        })
    }
}

struct Rope {
    tables: Arc<Tables>,
    packing: Packing,
    t: usize,
    heads: usize,
}

impl Rope {
    /// Rotates every head of every row by +θ (forward) or −θ (backward).
    fn rotate(&self, x: &[f32], inverse: bool) -> Vec<f32> {
        let half = self.tables.half;
        let width = self.heads * half * 2;
        let mut y = uninit(x.len());
        let rows = rows_per_task(width);
        y.par_chunks_mut(width * rows)
            .zip(x.par_chunks(width * rows))
            .enumerate()
            .for_each(|(c, (yc, xc))| {
                for (r, (yr, xr)) in yc.chunks_mut(width).zip(xc.chunks(width)).enumerate() {
                    let pos = self.packing.position(c * rows + r, self.t);
                    let cos = &self.tables.cos[pos * half..(pos + 1) * half];
                    let sin = &self.tables.sin[pos * half..(pos + 1) * half];
                    for (yh, xh) in yr.chunks_mut(2 * half).zip(xr.chunks(2 * half)) {
                        let (y1, y2) = yh.split_at_mut(half);
                        let (x1, x2) = xh.split_at(half);
                        for i in 0..half {
                            let s = if inverse { -sin[i] } else { sin[i] };
                            y1[i] = x1[i] * cos[i] - x2[i] * s;
                            y2[i] = x2[i] * cos[i] + x1[i] * s;
                        }
                    }
                }
            });
        y
    }
}

impl CustomOp1 for Rope {
    fn name(&self) -> &'static str {
        "fused-rope"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = data(s, l, self.name())?;
        Ok((CpuStorage::F32(self.rotate(x, false)), l.shape().clone()))
    }

    fn bwd(&self, x: &Tensor, _y: &Tensor, dy: &Tensor) -> Result<Option<Tensor>> {
        let dx = with_data([dy], self.name(), |[dy]| Ok(self.rotate(dy, true)))?;
        Ok(Some(tensor(dx, x.shape())?))
    }
}

/// x: [b·t, heads · head_dim] (f32, CPU), rows in (batch, position) order;
/// in a packed batch positions count from each example's start.
pub fn rope(
    x: &Tensor,
    tables: &Arc<Tables>,
    t: usize,
    heads: usize,
    packing: &Packing,
) -> Result<Tensor> {
    let (n, width) = x.dims2()?;
    if width != heads * tables.half * 2 || n % t != 0 || t * tables.half > tables.cos.len() {
        candle_core::bail!(
            "fused-rope: [{n}, {width}] does not fit {heads} heads over {t} positions"
        );
    }
    x.contiguous()?.apply_op1(Rope {
        tables: tables.clone(),
        packing: packing.clone(),
        t,
        heads,
    })
}
