//! Trained models (LoRA adapters): the record, its quality metrics and
//! rating, edits, versions and download links.

pub mod exports;
pub mod quality;
pub mod records;

pub use exports::{
    ExportDownload, ExportFile, ExportFormat, ExportProgress, ExportRequest, ExportStatus,
    ModelExport,
};
pub use quality::{Quality, assess};
pub use records::{
    DownloadLink, Model, ModelDetail, ModelDownload, ModelFilter, ModelUpdate, ModelVersion,
};
