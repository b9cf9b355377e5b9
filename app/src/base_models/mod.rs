//! Base models from the Hugging Face Hub in the UI: the "Base models" page
//! (look a repository up, download it, follow and delete downloads) and its
//! server functions.

pub mod add_form;
pub mod api;
pub mod download_row;
pub mod page;

pub use page::BaseModelsPage;
