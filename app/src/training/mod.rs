//! Training configuration in the UI: the configure page (presets, advanced
//! values, base model and GPU, the live estimate) and its server functions.

pub mod api;
pub mod configure_page;

pub use configure_page::ConfigurePage;
