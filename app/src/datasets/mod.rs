//! Datasets in the UI: the list, the upload wizard (validation in the
//! browser, then a direct upload to the signed URL), the dataset page, and
//! the server functions behind them. Browser-only code lives in
//! [`browser`] alone.

pub mod api;
pub mod browser;
pub mod detail_page;
pub mod histogram;
pub mod list_page;
pub mod new_page;
pub mod report_view;
pub mod status_badge;
pub mod upload_form;
pub mod upload_wizard;

pub use detail_page::DatasetPage;
pub use list_page::{DatasetCard, DatasetsPage};
pub use new_page::NewDatasetPage;
pub use upload_form::DatasetUploadForm;
