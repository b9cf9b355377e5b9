//! RMSNorm over the last dimension with a frozen weight: y = x · r · w,
//! r = 1/√(mean(x²) + eps). Backward (w frozen, so only x's gradient):
//! dx = r · (dy ⊙ w) − (r³ / h) · x · Σ(dy ⊙ w ⊙ x).

use super::{data, math, rows_per_task, tensor, uninit, with_data};
use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

struct RmsNorm {
    weight: Vec<f32>,
    eps: f32,
}

fn inv_rms(x: &[f32], eps: f32) -> f32 {
    let ss = math::dot(x, x);
    1.0 / (ss / x.len() as f32 + eps).sqrt()
}

impl CustomOp1 for RmsNorm {
    fn name(&self) -> &'static str {
        "fused-rms-norm"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = data(s, l, self.name())?;
        let h = self.weight.len();
        let mut y = uninit(x.len());
        let chunk = h * rows_per_task(h);
        y.par_chunks_mut(chunk)
            .zip(x.par_chunks(chunk))
            .for_each(|(yc, xc)| {
                for (yr, xr) in yc.chunks_mut(h).zip(xc.chunks(h)) {
                    let r = inv_rms(xr, self.eps);
                    for ((y, x), w) in yr.iter_mut().zip(xr).zip(&self.weight) {
                        *y = x * r * w;
                    }
                }
            });
        Ok((CpuStorage::F32(y), l.shape().clone()))
    }

    fn bwd(&self, x: &Tensor, _y: &Tensor, dy: &Tensor) -> Result<Option<Tensor>> {
        let h = self.weight.len();
        let dx = with_data([x, dy], self.name(), |[x, dy]| {
            let mut dx = uninit(x.len());
            let chunk = h * rows_per_task(h);
            dx.par_chunks_mut(chunk)
                .zip(x.par_chunks(chunk).zip(dy.par_chunks(chunk)))
                .for_each(|(dxc, (xc, dyc))| {
                    for ((dxr, xr), dyr) in dxc.chunks_mut(h).zip(xc.chunks(h)).zip(dyc.chunks(h)) {
                        let r = inv_rms(xr, self.eps);
                        let dot = math::dot3(dyr, &self.weight, xr);
                        let c = r * r * r / h as f32 * dot;
                        for (((dx, d), w), x) in dxr.iter_mut().zip(dyr).zip(&self.weight).zip(xr) {
                            *dx = r * d * w - c * x;
                        }
                    }
                });
            Ok(dx)
        })?;
        Ok(Some(tensor(dx, x.shape())?))
    }
}

/// x: [.., h] (f32, CPU), weight: [h] frozen.
pub fn rms_norm(x: &Tensor, weight: &Tensor, eps: f64) -> Result<Tensor> {
    x.contiguous()?.apply_op1(RmsNorm {
        weight: weight.to_vec1::<f32>()?,
        eps: eps as f32,
    })
}
