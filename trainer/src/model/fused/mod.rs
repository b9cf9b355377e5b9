//! Fused CPU kernels with hand-written backward passes for the decoder's
//! training path: RMSNorm, RoPE, causal grouped-query attention (with
//! Gemma's scale, softcapping and sliding windows), SwiGLU and GeGLU, and
//! the language-model head with cross-entropy (and Gemma's final
//! softcapping). What no kernel covers runs as candle ops on both paths:
//! the slicing of Phi-3's fused projections, the per-head q/k norms'
//! reshapes, Gemma's embedding scale and the residual adds. Built from candle's
//! generic tensor ops the same model runs several passes over memory per
//! op and materialises every intermediate (the head's logits alone are
//! [tokens, vocab]); each kernel here is one pass forward and one backward,
//! split over rows with rayon. The gradient checks in the tests hold every
//! kernel to the generic ops it replaces, so a wrong backward cannot hide.
//!
//! The kernels run on the CPU with f32; `llama.rs` uses the generic ops on
//! any other device.

pub mod attention;
pub mod cross_entropy;
pub mod lora;
pub(crate) mod math;
pub(crate) mod matrix;
pub mod norm;
pub mod rope;
pub mod swiglu;

use candle_core::{CpuStorage, Device, Layout, Result, Shape, Storage, Tensor, bail};

/// Whether the fused kernels can run for this tensor.
pub fn applies(x: &Tensor) -> bool {
    x.device().is_cpu() && x.dtype() == candle_core::DType::F32
}

/// The contiguous f32 data of a custom op's input.
pub(crate) fn data<'a>(s: &'a CpuStorage, l: &Layout, op: &str) -> Result<&'a [f32]> {
    let CpuStorage::F32(d) = s else {
        bail!("{op} takes f32 input");
    };
    let Some((start, end)) = l.contiguous_offsets() else {
        bail!("{op} takes contiguous input");
    };
    Ok(&d[start..end])
}

/// Runs `f` on CPU tensors' f32 data (each made contiguous first if needed).
pub(crate) fn with_data<R, const N: usize>(
    ts: [&Tensor; N],
    op: &str,
    f: impl FnOnce([&[f32]; N]) -> Result<R>,
) -> Result<R> {
    let owned = ts.map(Tensor::contiguous);
    let owned: Vec<Tensor> = owned.into_iter().collect::<Result<_>>()?;
    let guards: Vec<_> = owned.iter().map(Tensor::storage_and_layout).collect();
    let mut slices = Vec::with_capacity(N);
    for (storage, layout) in &guards {
        let Storage::Cpu(s) = &**storage else {
            bail!("{op} runs on the CPU");
        };
        slices.push(data(s, layout, op)?);
    }
    match slices.try_into() {
        Ok(slices) => f(slices),
        Err(_) => bail!("{op}: {N} inputs expected"),
    }
}

pub(crate) fn tensor(v: Vec<f32>, shape: impl Into<Shape>) -> Result<Tensor> {
    Tensor::from_vec(v, shape, &Device::Cpu)
}

/// A buffer for an output the kernel writes in full before anything reads
/// it: zeroing it first was 7% of a training step.
/// candle's CPU backend allocates its op outputs the same way.
#[expect(
    clippy::uninit_vec,
    reason = "every caller writes all n elements before reading (see SAFETY)"
)]
pub(crate) fn uninit(n: usize) -> Vec<f32> {
    let mut v = Vec::with_capacity(n);
    // SAFETY: f32 has no invalid bit patterns, and every caller writes all
    // n elements (gemm without read_dst, or a loop over the whole output)
    // before the buffer is read or returned.
    unsafe { v.set_len(n) };
    v
}

/// Elements per rayon task in the elementwise kernels: enough work to pay
/// for a task.
const ELEMS_PER_TASK: usize = 16_384;

/// Rows per rayon task for row-wise kernels.
fn rows_per_task(cols: usize) -> usize {
    (ELEMS_PER_TASK / cols.max(1)).max(1)
}
