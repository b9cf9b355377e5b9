//! SwiGLU's gate: y = silu(gate) ⊙ up, silu(g) = g·σ(g). Backward:
//! d_up = dy ⊙ silu(g), d_gate = dy ⊙ up ⊙ σ(g)(1 + g(1 − σ(g))).
//! Gemma's GeGLU is the same with gelu_pytorch_tanh for silu:
//! gelu(g) = ½g(1 + tanh(k(g + 0.044715g³))), k = √(2/π), whose derivative
//! is ½(1 + tanh) + ½g(1 − tanh²)·k(1 + 3·0.044715g²).

use super::{ELEMS_PER_TASK, data, math, tensor, uninit, with_data};
use candle_core::{CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

#[derive(Clone, Copy)]
enum Act {
    Silu,
    GeluTanh,
}

struct SwiGlu(Act);

const GELU_K: f32 = 0.797_884_6; // √(2/π)

/// gelu_pytorch_tanh(g), as candle's `gelu` computes it.
fn gelu(g: f32) -> f32 {
    0.5 * g * (1.0 + (GELU_K * g * (1.0 + 0.044715 * g * g)).tanh())
}

fn gelu_grad(g: f32) -> f32 {
    let th = (GELU_K * g * (1.0 + 0.044715 * g * g)).tanh();
    0.5 * (1.0 + th) + 0.5 * g * (1.0 - th * th) * GELU_K * (1.0 + 3.0 * 0.044715 * g * g)
}

fn sigmoid(g: f32) -> f32 {
    1.0 / (1.0 + math::exp(-g))
}

impl CustomOp2 for SwiGlu {
    fn name(&self) -> &'static str {
        match self.0 {
            Act::Silu => "fused-swiglu",
            Act::GeluTanh => "fused-geglu",
        }
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let g = data(s1, l1, self.name())?;
        let u = data(s2, l2, self.name())?;
        let mut y = uninit(g.len());
        y.par_chunks_mut(ELEMS_PER_TASK)
            .zip(
                g.par_chunks(ELEMS_PER_TASK)
                    .zip(u.par_chunks(ELEMS_PER_TASK)),
            )
            .for_each(|(y, (g, u))| match self.0 {
                Act::Silu => {
                    for ((y, g), u) in y.iter_mut().zip(g).zip(u) {
                        *y = g * sigmoid(*g) * u;
                    }
                }
                Act::GeluTanh => {
                    for ((y, g), u) in y.iter_mut().zip(g).zip(u) {
                        *y = gelu(*g) * u;
                    }
                }
            });
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }

    fn bwd(
        &self,
        gate: &Tensor,
        up: &Tensor,
        _y: &Tensor,
        dy: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let (dg, du) = with_data([gate, up, dy], self.name(), |[g, u, dy]| {
            let mut dg = uninit(g.len());
            let mut du = uninit(g.len());
            dg.par_chunks_mut(ELEMS_PER_TASK)
                .zip(du.par_chunks_mut(ELEMS_PER_TASK))
                .zip(
                    g.par_chunks(ELEMS_PER_TASK)
                        .zip(u.par_chunks(ELEMS_PER_TASK)),
                )
                .zip(dy.par_chunks(ELEMS_PER_TASK))
                .for_each(|(((dg, du), (g, u)), dy)| {
                    for i in 0..g.len() {
                        match self.0 {
                            Act::Silu => {
                                let s = sigmoid(g[i]);
                                du[i] = dy[i] * g[i] * s;
                                dg[i] = dy[i] * u[i] * s * (1.0 + g[i] * (1.0 - s));
                            }
                            Act::GeluTanh => {
                                du[i] = dy[i] * gelu(g[i]);
                                dg[i] = dy[i] * u[i] * gelu_grad(g[i]);
                            }
                        }
                    }
                });
            Ok((dg, du))
        })?;
        Ok((
            Some(tensor(dg, gate.shape())?),
            Some(tensor(du, up.shape())?),
        ))
    }
}

/// silu(gate) ⊙ up for two tensors of one shape (f32, CPU).
pub fn swiglu(gate: &Tensor, up: &Tensor) -> Result<Tensor> {
    glu(gate, up, Act::Silu)
}

/// gelu_pytorch_tanh(gate) ⊙ up (Gemma's MLP), likewise.
pub fn geglu(gate: &Tensor, up: &Tensor) -> Result<Tensor> {
    glu(gate, up, Act::GeluTanh)
}

fn glu(gate: &Tensor, up: &Tensor, act: Act) -> Result<Tensor> {
    if gate.shape() != up.shape() {
        candle_core::bail!(
            "fused-glu: gate {:?} and up {:?} differ",
            gate.dims(),
            up.dims()
        );
    }
    gate.contiguous()?.apply_op2(&up.contiguous()?, SwiGlu(act))
}
