//! Models the trainer fine-tunes: the Llama family (with Qwen3, Phi-3 and
//! Gemma 2/3 beside it), loaded from a Hugging
//! Face folder or built in (`tiny-llama`), with LoRA on chosen projections.

#[cfg(test)]
mod arch_tests;
pub mod config;
pub mod decode;
pub mod folder;
pub mod frozen;
pub mod fused;
pub mod generic;
pub mod gradcheck;
pub mod grads;
pub mod layer;
pub mod llama;
pub mod lora;
pub mod packing;
pub mod tiny;

pub use config::ModelConfig;
pub use llama::Llama;
pub use lora::LoraShape;
pub use packing::{Batch, Packing};
