//! Trained models in the UI: the list, the model page (summary, quality,
//! downloads, exports, versions, edit), and their server functions.

pub mod api;
pub mod before_after;
pub mod chat_stream;
pub mod detail_page;
pub mod download_panel;
pub mod edit_form;
pub mod export_panel;
pub mod export_row;
pub mod header;
pub mod list_page;
pub mod playground;
pub mod stars;
pub mod summary;
pub mod versions;

pub use detail_page::ModelPage;
pub use list_page::ModelsPage;
