//! A frozen linear layer with its LoRA adapter in one op:
//! y = x Wᵀ + s · ((x ⊙ m) Aᵀ) Bᵀ, m the dropout mask (or none), s = α / r.
//! Built from generic ops this is six ops forward and more backward, each
//! a pass over [tokens, width]; here it is three gemms forward, keeping
//! only u = (x ⊙ m) Aᵀ ([tokens, r]), and backward
//! dB = s · dyᵀ u, du = s · dy B, dA = duᵀ (x ⊙ m),
//! dx = dy W + (du A) ⊙ m (W frozen: no gradient of its own).

use super::matrix::{Mat, matmul, threads};
use super::{ELEMS_PER_TASK, data, tensor, uninit, with_data};
use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};
use rayon::prelude::*;
use std::sync::Mutex;

struct LoraLinear {
    /// [out, in], frozen.
    weight: Tensor,
    scale: f32,
    /// The dropout mask over x, [tokens, in].
    mask: Option<Vec<f32>>,
    /// u = (x ⊙ m) Aᵀ from the forward pass.
    u: Mutex<Option<Vec<f32>>>,
}

impl LoraLinear {
    /// x ⊙ m, or x itself without dropout.
    fn masked<'a>(&self, x: &'a [f32], buf: &'a mut Vec<f32>) -> &'a [f32] {
        match &self.mask {
            Some(m) => {
                *buf = uninit(x.len());
                buf.par_chunks_mut(ELEMS_PER_TASK)
                    .zip(
                        x.par_chunks(ELEMS_PER_TASK)
                            .zip(m.par_chunks(ELEMS_PER_TASK)),
                    )
                    .for_each(|(o, (x, m))| {
                        for ((o, x), m) in o.iter_mut().zip(x).zip(m) {
                            *o = x * m;
                        }
                    });
                buf
            }
            None => x,
        }
    }

    /// dx = dy W + (du A) ⊙ m, for x [n, inp] (W [out, inp], A [r, inp]).
    fn input_grad(
        &self,
        dy: &[f32],
        du: &[f32],
        a: &[f32],
        w: &[f32],
        (n, inp, out, r): (usize, usize, usize, usize),
    ) -> Vec<f32> {
        let dy_m = Mat::of(dy, 0, n, out, out);
        let du_m = Mat::of(du, 0, n, r, r);
        let mut dx = uninit(n * inp);
        let dx_m = Mat::of_mut(&mut dx, 0, n, inp, inp);
        let a_m = Mat::of(a, 0, r, inp, inp);
        // SAFETY: dx and t are this call's own buffers.
        unsafe {
            matmul(
                dx_m,
                dy_m,
                Mat::of(w, 0, out, inp, inp),
                false,
                1.0,
                threads(),
            );
            match &self.mask {
                None => matmul(dx_m, du_m, a_m, true, 1.0, threads()),
                Some(m) => {
                    let mut t = uninit(n * inp);
                    matmul(
                        Mat::of_mut(&mut t, 0, n, inp, inp),
                        du_m,
                        a_m,
                        false,
                        1.0,
                        threads(),
                    );
                    dx.par_chunks_mut(ELEMS_PER_TASK)
                        .zip(
                            t.par_chunks(ELEMS_PER_TASK)
                                .zip(m.par_chunks(ELEMS_PER_TASK)),
                        )
                        .for_each(|(d, (t, m))| {
                            for ((d, t), m) in d.iter_mut().zip(t).zip(m) {
                                *d += t * m;
                            }
                        });
                }
            }
        }
        dx
    }
}

impl CustomOp3 for LoraLinear {
    fn name(&self) -> &'static str {
        "fused-lora-linear"
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
        let (x, a, b) = (
            data(s1, l1, self.name())?,
            data(s2, l2, self.name())?,
            data(s3, l3, self.name())?,
        );
        let (out, inp) = self.weight.dims2()?;
        let r = l2.dims()[0];
        let n = x.len() / inp;
        let mut y = uninit(n * out);
        let mut u = uninit(n * r);
        let mut buf = Vec::new();
        let xm = self.masked(x, &mut buf);
        with_data([&self.weight], self.name(), |[w]| {
            // SAFETY: y and u are this call's own buffers; the rest is read.
            unsafe {
                let y_m = Mat::of_mut(&mut y, 0, n, out, out);
                matmul(
                    y_m,
                    Mat::of(x, 0, n, inp, inp),
                    Mat::of(w, 0, out, inp, inp).t(),
                    false,
                    1.0,
                    threads(),
                );
                let u_m = Mat::of_mut(&mut u, 0, n, r, r);
                matmul(
                    u_m,
                    Mat::of(xm, 0, n, inp, inp),
                    Mat::of(a, 0, r, inp, inp).t(),
                    false,
                    1.0,
                    threads(),
                );
                matmul(
                    y_m,
                    Mat::of(&u, 0, n, r, r),
                    Mat::of(b, 0, out, r, r).t(),
                    true,
                    self.scale,
                    threads(),
                );
            }
            Ok(())
        })?;
        *self.u.lock().unwrap() = Some(u);
        Ok((CpuStorage::F32(y), Shape::from((n, out))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        a: &Tensor,
        b: &Tensor,
        _y: &Tensor,
        dy: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let Some(u) = self.u.lock().unwrap().take() else {
            candle_core::bail!("fused-lora-linear: backward without the forward's state");
        };
        let (out, inp) = self.weight.dims2()?;
        let r = a.dim(0)?;
        let need_dx = x.track_op();
        let (dx, da, db) = with_data(
            [x, a, b, dy, &self.weight],
            self.name(),
            |[x, a, b, dy, w]| {
                let n = x.len() / inp;
                let mut db = uninit(out * r);
                let mut du = uninit(n * r);
                let mut da = uninit(r * inp);
                let mut buf = Vec::new();
                let xm = self.masked(x, &mut buf);
                let dy_m = Mat::of(dy, 0, n, out, out);
                let du_m = Mat::of_mut(&mut du, 0, n, r, r);
                // SAFETY: db, du, da and dx are this call's own buffers.
                unsafe {
                    matmul(
                        Mat::of_mut(&mut db, 0, out, r, r),
                        dy_m.t(),
                        Mat::of(&u, 0, n, r, r),
                        false,
                        self.scale,
                        threads(),
                    );
                    matmul(
                        du_m,
                        dy_m,
                        Mat::of(b, 0, out, r, r),
                        false,
                        self.scale,
                        threads(),
                    );
                    matmul(
                        Mat::of_mut(&mut da, 0, r, inp, inp),
                        du_m.t(),
                        Mat::of(xm, 0, n, inp, inp),
                        false,
                        1.0,
                        threads(),
                    );
                }
                let dx = need_dx.then(|| self.input_grad(dy, &du, a, w, (n, inp, out, r)));
                Ok((dx, da, db))
            },
        )?;
        Ok((
            dx.map(|dx| tensor(dx, x.shape())).transpose()?,
            Some(tensor(da, a.shape())?),
            Some(tensor(db, b.shape())?),
        ))
    }
}

/// x: [tokens, in] (f32, CPU), weight: [out, in] frozen, a: [r, in],
/// b: [out, r], mask: dropout over x (None without dropout).
pub fn lora_linear(
    x: &Tensor,
    weight: &Tensor,
    a: &Tensor,
    b: &Tensor,
    scale: f64,
    mask: Option<Vec<f32>>,
) -> Result<Tensor> {
    let (n, inp) = x.dims2()?;
    let (out, w_in) = weight.dims2()?;
    let (r, a_in) = a.dims2()?;
    if w_in != inp
        || a_in != inp
        || b.dims() != [out, r]
        || mask.as_ref().is_some_and(|m| m.len() != n * inp)
    {
        candle_core::bail!(
            "fused-lora-linear: x {:?}, weight {:?}, A {:?}, B {:?} do not fit",
            x.dims(),
            weight.dims(),
            a.dims(),
            b.dims()
        );
    }
    x.contiguous()?.apply_op3(
        &a.contiguous()?,
        &b.contiguous()?,
        LoraLinear {
            weight: weight.clone(),
            scale: scale as f32,
            mask,
            u: Mutex::new(None),
        },
    )
}
