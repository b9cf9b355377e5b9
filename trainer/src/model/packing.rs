//! Packed batches: several examples side by side in one row, so a batch of
//! short and long examples is not padded to its longest. Each position
//! knows where its example starts in the row: attention never looks before
//! that start (nor ahead, as always), and RoPE counts positions from it, so
//! every example sees exactly what it would see alone in a row.

use crate::error::Result;
use candle_core::{Device, Tensor};
use std::sync::Arc;

/// One micro-batch as the model takes it: token ids [b, t], each
/// position's label (the next token where it is learned, else `IGNORE`),
/// and how examples are packed in the rows.
#[derive(Debug, Clone)]
pub struct Batch {
    pub ids: Tensor,
    pub labels: Vec<i64>,
    pub packing: Packing,
}

impl Batch {
    /// One example per row.
    pub fn unpacked(ids: Tensor, labels: Vec<i64>) -> Self {
        Self {
            ids,
            labels,
            packing: Packing::none(),
        }
    }
}

/// Where each position's example starts in its row (flat index row·t +
/// position); `None`: one example per row, starting at 0.
#[derive(Debug, Clone, Default)]
pub struct Packing(Option<Arc<[u32]>>);

impl Packing {
    /// One example per row.
    pub fn none() -> Self {
        Self(None)
    }

    /// Rows of `t` positions, each holding examples of these lengths in
    /// order; what a row leaves over is padding, a segment of its own.
    pub fn of_rows(rows: &[Vec<usize>], t: usize) -> Self {
        let mut starts = Vec::with_capacity(rows.len() * t);
        for row in rows {
            let mut at = 0;
            for &len in row {
                starts.extend(std::iter::repeat_n(at as u32, len));
                at += len;
            }
            starts.extend(std::iter::repeat_n(at as u32, t.saturating_sub(at)));
        }
        Self(Some(starts.into()))
    }

    pub fn is_packed(&self) -> bool {
        self.0.is_some()
    }

    /// The row position where the example at flat index `i` starts.
    pub fn start(&self, i: usize) -> usize {
        self.0.as_ref().map_or(0, |s| s[i] as usize)
    }

    /// The RoPE position of flat index `i` in rows of `t`.
    pub fn position(&self, i: usize, t: usize) -> usize {
        i % t - self.start(i)
    }

    /// For the generic ops: the additive mask [b, 1, t, t] (f32) in which
    /// each position sees its own example's keys up to itself.
    pub fn mask(&self, b: usize, t: usize, dev: &Device) -> Result<Tensor> {
        let mut m = Vec::with_capacity(b * t * t);
        for row in 0..b {
            for i in 0..t {
                let start = self.start(row * t + i);
                m.extend((0..t).map(|j| {
                    if j < start || j > i {
                        f32::NEG_INFINITY
                    } else {
                        0.0
                    }
                }));
            }
        }
        Ok(Tensor::from_vec(m, (b, 1, t, t), dev)?)
    }

    /// For the generic ops: each position's RoPE position, [b·t].
    pub fn positions(&self, b: usize, t: usize, dev: &Device) -> Result<Tensor> {
        let p: Vec<u32> = (0..b * t).map(|i| self.position(i, t) as u32).collect();
        Ok(Tensor::from_vec(p, b * t, dev)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_restart_per_example_and_padding_is_its_own_segment() {
        let p = Packing::of_rows(&[vec![2, 3], vec![4]], 6);
        let starts: Vec<usize> = (0..12).map(|i| p.start(i)).collect();
        assert_eq!(starts, [0, 0, 2, 2, 2, 5, 0, 0, 0, 0, 4, 4]);
        let pos: Vec<usize> = (0..12).map(|i| p.position(i, 6)).collect();
        assert_eq!(pos, [0, 1, 0, 1, 2, 0, 0, 1, 2, 3, 0, 1]);
        let mask = p.mask(2, 6, &Device::Cpu).unwrap();
        let row: Vec<f32> = mask
            .get(0)
            .unwrap()
            .get(0)
            .unwrap()
            .get(3)
            .unwrap()
            .to_vec1()
            .unwrap();
        let seen: Vec<bool> = row.iter().map(|v| v.is_finite()).collect();
        assert_eq!(seen, [false, false, true, true, false, false]);
        assert_eq!(Packing::none().position(7, 6), 1);
    }
}
