//! Trained models (LoRA adapters): the record, its quality metrics and rating.

pub mod quality;
pub mod records;

pub use quality::{Quality, assess};
pub use records::Model;
