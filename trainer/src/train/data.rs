//! The examples a run trains and validates on, their order per epoch, and
//! the padded batches the model takes.

use crate::chat::Encoded;
use crate::error::Result;
use crate::model::llama::IGNORE;
use crate::rng::TrainRng;
use candle_core::{Device, Tensor};

/// Holds out `n_val` examples, chosen by the seed.
pub fn split<T>(mut all: Vec<T>, n_val: usize, seed: u64) -> (Vec<T>, Vec<T>) {
    if n_val == 0 || all.len() < 2 {
        return (all, Vec::new());
    }
    let mut idx: Vec<usize> = (0..all.len()).collect();
    TrainRng::derive(seed, "validation-split").shuffle(&mut idx);
    let val_idx: std::collections::HashSet<usize> = idx[..n_val].iter().copied().collect();
    let mut train = Vec::new();
    let mut val = Vec::new();
    for (i, e) in all.drain(..).enumerate() {
        if val_idx.contains(&i) {
            val.push(e)
        } else {
            train.push(e)
        }
    }
    (train, val)
}

/// The order of the training examples in one epoch.
pub fn order(n: usize, seed: u64, epoch: u64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    TrainRng::derive(seed, &format!("order-{epoch}")).shuffle(&mut idx);
    idx
}

/// Pads a batch on the right; label i is token i+1 where that token is part
/// of the target. Returns ids, labels and the number of real tokens.
pub fn collate(batch: &[&Encoded], device: &Device) -> Result<(Tensor, Vec<i64>, usize)> {
    let t = batch.iter().map(|e| e.ids.len()).max().unwrap_or(1).max(2);
    let mut ids = Vec::with_capacity(batch.len() * t);
    let mut labels = Vec::with_capacity(batch.len() * t);
    let mut real = 0;
    for e in batch {
        real += e.ids.len();
        for i in 0..t {
            ids.push(e.ids.get(i).copied().unwrap_or(0));
            let label = match (e.ids.get(i + 1), e.target.get(i + 1)) {
                (Some(&next), Some(true)) => i64::from(next),
                _ => IGNORE,
            };
            labels.push(label);
        }
    }
    Ok((
        Tensor::from_vec(ids, (batch.len(), t), device)?,
        labels,
        real,
    ))
}

/// Mean loss over the validation set (no dropout, weighted by target tokens).
pub fn evaluate(
    model: &crate::model::Llama,
    set: &[Encoded],
    batch_size: usize,
    device: &Device,
) -> Result<f64> {
    let mut total = 0.0;
    let mut count = 0usize;
    for chunk in set.chunks(batch_size) {
        let batch: Vec<&Encoded> = chunk.iter().collect();
        let (ids, labels, _) = collate(&batch, device)?;
        let (loss, n) = model.loss(&ids, &labels, None)?;
        total += loss.to_dtype(candle_core::DType::F32)?.to_scalar::<f32>()? as f64 * n as f64;
        count += n;
    }
    Ok(total / count.max(1) as f64)
}
