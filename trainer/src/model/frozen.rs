//! x·Wᵀ for a frozen weight W whose backward pass computes only x's
//! gradient. candle's matmul backward always computes W's gradient too,
//! which a frozen base model throws away: a third of every linear layer's
//! training work.

use super::fused::matrix::{Mat, matmul, threads};
use super::fused::{data, tensor, uninit, with_data};
use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};

struct FrozenLinear {
    /// [out, in]
    weight: Tensor,
}

impl CustomOp1 for FrozenLinear {
    fn name(&self) -> &'static str {
        "frozen-linear"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = data(storage, layout, self.name())?;
        let (out, inp) = self.weight.dims2()?;
        if layout.dims().last() != Some(&inp) {
            candle_core::bail!(
                "frozen-linear: input {:?} for a weight of [{out}, {inp}]",
                layout.dims()
            );
        }
        let n = x.len() / inp;
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
        let mut dims = layout.dims().to_vec();
        *dims.last_mut().unwrap() = out;
        Ok((CpuStorage::F32(y), Shape::from(dims)))
    }

    fn bwd(&self, x: &Tensor, _y: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        // y = x Wᵀ  ⇒  dL/dx = dL/dy · W.
        let (out, inp) = self.weight.dims2()?;
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

/// x: [n, in] (f32, on the CPU), weight: [out, in] → [n, out].
pub fn linear(x: &Tensor, weight: &Tensor) -> Result<Tensor> {
    if !super::fused::applies(x) {
        return x.matmul(&weight.t()?);
    }
    x.contiguous()?.apply_op1(FrozenLinear {
        weight: weight.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn same_output_and_input_gradient_as_matmul_and_none_for_the_weight() {
        let dev = Device::Cpu;
        let w = Tensor::arange(0f32, 12.0, &dev)
            .unwrap()
            .reshape((3, 4))
            .unwrap();
        let x = Var::from_tensor(
            &(Tensor::arange(0f32, 8.0, &dev)
                .unwrap()
                .reshape((2, 4))
                .unwrap()
                / 7.0)
                .unwrap(),
        )
        .unwrap();
        let ours = linear(x.as_tensor(), &w).unwrap();
        let plain = x.as_tensor().matmul(&w.t().unwrap()).unwrap();
        let flat = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(flat(&ours), flat(&plain));
        let g_ours = ours.sqr().unwrap().sum_all().unwrap().backward().unwrap();
        let g_plain = plain.sqr().unwrap().sum_all().unwrap().backward().unwrap();
        assert_eq!(
            flat(g_ours.get(x.as_tensor()).unwrap()),
            flat(g_plain.get(x.as_tensor()).unwrap())
        );
        assert!(g_ours.get(&w).is_none());
    }
}
