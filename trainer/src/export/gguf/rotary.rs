//! llama.cpp's rotary layout for Llama's q and k rows: Hugging Face keeps
//! each head's two rotated halves apart, llama.cpp interleaves them.
//! convert_hf_to_gguf.py: `w.reshape(n_head, 2, rows // n_head // 2, *rest)
//! .swapaxes(1, 2).reshape(w.shape)`.

use crate::error::{Result, TrainerError};
use candle_core::Tensor;

/// Rows (dim 0) of a weight [out, in], a bias [out] or a LoRA B [out, r]
/// into llama.cpp's order.
pub fn permute_rows(t: &Tensor, n_head: usize) -> Result<Tensor> {
    swap(t, n_head, true)
}

/// The inverse: llama.cpp's order back to Hugging Face's.
#[cfg(test)]
pub fn unpermute_rows(t: &Tensor, n_head: usize) -> Result<Tensor> {
    swap(t, n_head, false)
}

fn swap(t: &Tensor, n_head: usize, forward: bool) -> Result<Tensor> {
    let dims = t.dims().to_vec();
    let rows = dims[0];
    if n_head == 0 || !rows.is_multiple_of(2 * n_head) {
        return Err(TrainerError::UnsupportedModel(format!(
            "a [{rows}, …] q/k projection does not split into {n_head} heads of two rotary halves"
        )));
    }
    let half = rows / n_head / 2;
    let rest: Vec<usize> = dims[1..].to_vec();
    // forward: (head, 2, half) → (head, half, 2); back: the reverse.
    let from = if forward {
        [n_head, 2, half]
    } else {
        [n_head, half, 2]
    };
    let mut shape = from.to_vec();
    shape.extend(&rest);
    Ok(t.reshape(shape)?
        .transpose(1, 2)?
        .contiguous()?
        .reshape(dims)?)
}
