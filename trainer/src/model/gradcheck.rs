//! Backpropagated LoRA gradients against central differences of the loss:
//! for each trainable tensor, its largest gradient coordinate beside the
//! finite difference there. The tests hold the CPU to it; `bench/gpu.sh`
//! runs it on a GPU.

use super::Llama;
use super::llama::IGNORE;
use crate::error::Result;
use candle_core::{Device, Tensor, Var};

/// One tensor's largest gradient coordinate and the finite difference there.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub name: String,
    pub index: usize,
    pub backprop: f64,
    pub finite_difference: f64,
    /// Whether any coordinate of the gradient is non-zero.
    pub any_nonzero: bool,
}

/// A fixed batch of two 12-token rows over the tiny vocabulary, some
/// positions unlabelled.
pub fn batch(device: &Device) -> Result<(Tensor, Vec<i64>)> {
    let ids: Vec<u32> = (0..24u32).map(|i| (i * 37) % 250).collect();
    let labels = (0..24)
        .map(|i| {
            if i % 12 < 4 || i % 12 == 11 {
                IGNORE
            } else {
                ((i * 37 + 37) % 250) as i64
            }
        })
        .collect();
    Ok((Tensor::from_vec(ids, (2, 12), device)?, labels))
}

fn flat(t: &Tensor) -> Result<Vec<f32>> {
    Ok(t.to_device(&Device::Cpu)?.flatten_all()?.to_vec1()?)
}

/// Central differences (step `eps`) at each var's largest gradient
/// coordinate; each var is restored afterwards.
pub fn compare(
    model: &Llama,
    vars: &[(String, Var)],
    ids: &Tensor,
    labels: &[i64],
    eps: f32,
) -> Result<Vec<Comparison>> {
    let loss = |m: &Llama| -> Result<f64> {
        let (l, _) = m.loss(ids, labels, None)?;
        Ok(l.to_device(&Device::Cpu)?.to_scalar::<f32>()? as f64)
    };
    let (l, _) = model.loss(ids, labels, None)?;
    let grads = l.backward()?;
    let mut out = Vec::with_capacity(vars.len());
    for (name, v) in vars {
        let g = match grads.get(v.as_tensor()) {
            Some(g) => flat(g)?,
            None => vec![0.0; v.elem_count()],
        };
        let (index, &gi) = g
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .expect("a non-empty tensor");
        let base = flat(v.as_tensor())?;
        let at = |delta: f32| -> Result<f64> {
            let mut w = base.clone();
            w[index] += delta;
            v.set(&Tensor::from_vec(w, v.shape(), v.device())?)?;
            loss(model)
        };
        let finite_difference = (at(eps)? - at(-eps)?) / (2.0 * eps as f64);
        v.set(&Tensor::from_vec(base, v.shape(), v.device())?)?;
        out.push(Comparison {
            name: name.clone(),
            index,
            backprop: gi as f64,
            finite_difference,
            any_nonzero: g.iter().any(|x| x.abs() > 0.0),
        });
    }
    Ok(out)
}
