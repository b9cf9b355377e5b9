//! x·Wᵀ for a frozen weight W whose backward pass computes only x's
//! gradient. candle's matmul backward always computes W's gradient too,
//! which a frozen base model throws away: a third of every linear layer's
//! training work.

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
        let CpuStorage::F32(data) = storage else {
            candle_core::bail!("frozen-linear takes f32 input");
        };
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("frozen-linear takes contiguous input");
        };
        let x = Tensor::from_slice(&data[start..end], layout.shape(), &candle_core::Device::Cpu)?;
        let y = x.matmul(&self.weight.t()?)?;
        let shape = y.shape().clone();
        let out = y.flatten_all()?.to_vec1::<f32>()?;
        Ok((CpuStorage::F32(out), shape))
    }

    fn bwd(&self, _x: &Tensor, _y: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        // y = x Wᵀ  ⇒  dL/dx = dL/dy · W.
        Ok(Some(grad.matmul(&self.weight)?))
    }
}

/// x: [n, in] (f32, on the CPU), weight: [out, in] → [n, out].
pub fn linear(x: &Tensor, weight: &Tensor) -> Result<Tensor> {
    if !x.track_op() || !x.device().is_cpu() {
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
