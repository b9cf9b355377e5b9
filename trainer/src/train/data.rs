//! The examples a run trains and validates on, their order per epoch, and
//! the padded batches the model takes.

use crate::chat::Encoded;
use crate::error::Result;
use crate::model::llama::IGNORE;
use crate::model::{Batch, Packing};
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

/// A micro-batch as the model takes it, and its real (non-padding) tokens.
/// Unpacked (`pack` None), one example per row, right-padded to the
/// longest; packed, the examples go longest first into the first row with
/// room for them within `pack` tokens (each fits: examples are cut to the
/// run's maximum length), so short examples share a row. Label i is the
/// token after position i where that token is learned, within the same
/// example only.
pub fn collate(batch: &[&Encoded], pack: Option<usize>, device: &Device) -> Result<(Batch, usize)> {
    let rows = match pack {
        Some(max_len) => first_fit(batch, max_len),
        None => (0..batch.len()).map(|i| vec![i]).collect(),
    };
    let lengths: Vec<Vec<usize>> = rows
        .iter()
        .map(|row| row.iter().map(|&i| batch[i].ids.len()).collect())
        .collect();
    let t = lengths
        .iter()
        .map(|l| l.iter().sum::<usize>())
        .max()
        .unwrap_or(1)
        .max(2);
    let mut ids = Vec::with_capacity(rows.len() * t);
    let mut labels = Vec::with_capacity(rows.len() * t);
    for row in &rows {
        let row_start = ids.len();
        for e in row.iter().map(|&i| batch[i]) {
            ids.extend(&e.ids);
            labels.extend((0..e.ids.len()).map(|i| {
                match (e.ids.get(i + 1), e.target.get(i + 1)) {
                    (Some(&next), Some(true)) => i64::from(next),
                    _ => IGNORE,
                }
            }));
        }
        let pad = t - (ids.len() - row_start);
        ids.extend(std::iter::repeat_n(0, pad));
        labels.extend(std::iter::repeat_n(IGNORE, pad));
    }
    let real = batch.iter().map(|e| e.ids.len()).sum();
    let packing = match pack {
        Some(_) => Packing::of_rows(&lengths, t),
        None => Packing::none(),
    };
    let ids = Tensor::from_vec(ids, (rows.len(), t), device)?;
    Ok((
        Batch {
            ids,
            labels,
            packing,
        },
        real,
    ))
}

/// Example indices per row: longest first, each into the first row it fits.
fn first_fit(batch: &[&Encoded], max_len: usize) -> Vec<Vec<usize>> {
    let mut by_length: Vec<usize> = (0..batch.len()).collect();
    by_length.sort_by_key(|&i| std::cmp::Reverse(batch[i].ids.len()));
    let mut rows: Vec<(usize, Vec<usize>)> = Vec::new();
    for i in by_length {
        let len = batch[i].ids.len();
        match rows.iter_mut().find(|(used, _)| used + len <= max_len) {
            Some((used, row)) => {
                *used += len;
                row.push(i);
            }
            None => rows.push((len, vec![i])),
        }
    }
    rows.into_iter().map(|(_, row)| row).collect()
}

/// Mean loss over the validation set (no dropout, weighted by target tokens).
pub fn evaluate(
    model: &crate::model::Llama,
    set: &[Encoded],
    batch_size: usize,
    pack: Option<usize>,
    device: &Device,
) -> Result<f64> {
    let mut total = 0.0;
    let mut count = 0usize;
    for chunk in set.chunks(batch_size) {
        let batch: Vec<&Encoded> = chunk.iter().collect();
        let (batch, _) = collate(&batch, pack, device)?;
        let (loss, n) = model.batch_loss(&batch, None)?;
        total += loss.to_dtype(candle_core::DType::F32)?.to_scalar::<f32>()? as f64 * n as f64;
        count += n;
    }
    Ok(total / count.max(1) as f64)
}

#[cfg(test)]
#[path = "packing_tests.rs"]
mod packing_tests;
