//! Trained models (LoRA adapters): their quality metrics and rating.

pub mod quality;

pub use quality::{Quality, assess};
