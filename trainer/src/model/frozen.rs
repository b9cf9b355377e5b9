//! x·Wᵀ for a frozen weight W whose backward pass computes only x's
//! gradient. candle's matmul backward always computes W's gradient too,
//! which a frozen base model throws away: a third of every linear layer's
//! training work, and a weight-sized tensor per layer kept in the gradient
//! store until the backward pass ends (the model's size again in memory).
//!
//! On the CPU in f32 it runs the fused kernels' gemm; on any other device
//! or dtype, candle's own matmul for that backend (cuBLAS on CUDA) on the
//! transposed view of W, with no copy.

use super::fused::matrix::{Mat, matmul, threads};
use super::fused::{data, tensor, uninit, with_data};
use candle_core::backend::BackendStorage;
use candle_core::{
    CpuStorage, CudaStorage, CustomOp1, DType, Layout, Result, Shape, Storage, Tensor,
};

struct FrozenLinear {
    /// [out, in]
    weight: Tensor,
}

impl FrozenLinear {
    /// [n, in] rows and the output shape (x's with the last dim `out`).
    fn shapes(&self, layout: &Layout) -> Result<(usize, usize, usize, Shape)> {
        let (out, inp) = self.weight.dims2()?;
        if layout.dims().last() != Some(&inp) || !layout.is_contiguous() {
            candle_core::bail!(
                "frozen-linear: input {:?} (contiguous {}) for a weight of [{out}, {inp}]",
                layout.dims(),
                layout.is_contiguous()
            );
        }
        let n = layout.shape().elem_count() / inp;
        let mut dims = layout.dims().to_vec();
        *dims.last_mut().expect("rank ≥ 1") = out;
        Ok((n, out, inp, Shape::from(dims)))
    }

    /// candle's matmul for the backend: x [n, in] times the [in, out]
    /// transposed view of W.
    fn backend_matmul<S: BackendStorage>(
        &self,
        x: &S,
        layout: &Layout,
        w: &S,
        w_layout: &Layout,
    ) -> Result<(S, Shape)> {
        let (n, out, inp, shape) = self.shapes(layout)?;
        let x_layout = Layout::contiguous_with_offset((n, inp), layout.start_offset());
        let y = x.matmul(w, (1, n, out, inp), &x_layout, &w_layout.transpose(0, 1)?)?;
        Ok((y, shape))
    }

    fn cpu_f32(&self, x: &[f32], layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (n, out, inp, shape) = self.shapes(layout)?;
        let mut y = uninit(n * out);
        with_data([&self.weight], self.name(), |[w]| {
            // SAFETY: y is this call's own buffer; x and w are read only.
            unsafe {
                matmul(
                    Mat::of_mut(&mut y, 0, n, out, out),
                    Mat::of(x, 0, n, inp, inp),
                    Mat::of(w, 0, out, inp, inp).t(),
                    false,
                    1.0,
                    threads(),
                )
            };
            Ok(())
        })?;
        Ok((CpuStorage::F32(y), shape))
    }
}

impl CustomOp1 for FrozenLinear {
    fn name(&self) -> &'static str {
        "frozen-linear"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        if self.weight.dtype() == DType::F32 {
            return self.cpu_f32(data(storage, layout, self.name())?, layout);
        }
        let (w, w_layout) = self.weight.storage_and_layout();
        let Storage::Cpu(w) = &*w else {
            candle_core::bail!("frozen-linear: the weight is not on the CPU");
        };
        self.backend_matmul(storage, layout, w, w_layout)
    }

    fn cuda_fwd(&self, storage: &CudaStorage, layout: &Layout) -> Result<(CudaStorage, Shape)> {
        let (w, w_layout) = self.weight.storage_and_layout();
        let Storage::Cuda(w) = &*w else {
            candle_core::bail!("frozen-linear: the weight is not on the GPU");
        };
        self.backend_matmul(storage, layout, w, w_layout)
    }

    fn bwd(&self, x: &Tensor, _y: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        // y = x Wᵀ  ⇒  dL/dx = dL/dy · W.
        let (out, inp) = self.weight.dims2()?;
        if !super::fused::applies(grad) || self.weight.dtype() != DType::F32 {
            let rows = grad.elem_count() / out;
            let dx = grad.reshape((rows, out))?.matmul(&self.weight)?;
            return Ok(Some(dx.reshape(x.shape())?));
        }
        let dx = with_data([grad, &self.weight], self.name(), |[dy, w]| {
            let n = dy.len() / out;
            let mut dx = uninit(n * inp);
            // SAFETY: dx is this call's own buffer.
            unsafe {
                matmul(
                    Mat::of_mut(&mut dx, 0, n, inp, inp),
                    Mat::of(dy, 0, n, out, out),
                    Mat::of(w, 0, out, inp, inp),
                    false,
                    1.0,
                    threads(),
                )
            };
            Ok(dx)
        })?;
        Ok(Some(tensor(dx, x.shape())?))
    }
}

/// x: [.., in], weight: [out, in], same device and dtype → [.., out].
pub fn linear(x: &Tensor, weight: &Tensor) -> Result<Tensor> {
    if x.dtype() != weight.dtype() {
        candle_core::bail!(
            "frozen-linear: input in {:?}, weight in {:?}",
            x.dtype(),
            weight.dtype()
        );
    }
    x.contiguous()?.apply_op1(FrozenLinear {
        weight: weight.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    fn check(dtype: DType, tolerance: f32) {
        let dev = Device::Cpu;
        let w = (Tensor::arange(0f32, 12.0, &dev)
            .unwrap()
            .reshape((3, 4))
            .unwrap()
            / 10.0)
            .unwrap()
            .to_dtype(dtype)
            .unwrap();
        let x0 = (Tensor::arange(0f32, 8.0, &dev)
            .unwrap()
            .reshape((2, 4))
            .unwrap()
            / 7.0)
            .unwrap()
            .to_dtype(dtype)
            .unwrap();
        let x = Var::from_tensor(&x0).unwrap();
        let ours = linear(x.as_tensor(), &w).unwrap();
        let plain = x.as_tensor().matmul(&w.t().unwrap()).unwrap();
        let flat = |t: &Tensor| {
            t.to_dtype(DType::F32)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap()
        };
        let close = |a: Vec<f32>, b: Vec<f32>| {
            for (p, q) in a.iter().zip(&b) {
                assert!(
                    (p - q).abs() <= tolerance * q.abs().max(1.0),
                    "{a:?} vs {b:?}"
                );
            }
        };
        close(flat(&ours), flat(&plain));
        let sq = |t: &Tensor| {
            t.to_dtype(DType::F32)
                .unwrap()
                .sqr()
                .unwrap()
                .sum_all()
                .unwrap()
        };
        let g_ours = sq(&ours).backward().unwrap();
        let g_plain = sq(&plain).backward().unwrap();
        close(
            flat(g_ours.get(x.as_tensor()).unwrap()),
            flat(g_plain.get(x.as_tensor()).unwrap()),
        );
        // The frozen weight gets no gradient (plain matmul computes one).
        assert!(g_ours.get(&w).is_none());
    }

    #[test]
    fn same_output_and_input_gradient_as_matmul_and_none_for_the_weight() {
        check(DType::F32, 0.0);
    }

    #[test]
    fn half_precision_weights_run_through_candles_matmul() {
        check(DType::BF16, 1e-2);
        check(DType::F16, 1e-3);
    }
}
