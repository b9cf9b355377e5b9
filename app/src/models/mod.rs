//! Trained models in the UI: the list, the model page, and their server functions.

pub mod api;
pub mod detail_page;
pub mod list_page;
pub mod stars;

pub use detail_page::ModelPage;
pub use list_page::ModelsPage;
