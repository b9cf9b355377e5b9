//! Base models added from the Hugging Face Hub: what a person asks for (a
//! repository id and revision), which of its files BrightRun downloads, and
//! a download as the "Base models" page and `/api/base-models` show it.

pub mod files;
pub mod hub_ref;
pub mod records;

pub use files::{HubFile, pick_files};
pub use hub_ref::HubRef;
pub use records::{AddBaseModel, BaseModelDownload, DownloadStatus, Inspection};
