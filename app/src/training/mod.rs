//! Training in the UI: the overview page, and the configure page composed
//! from its parts — the form's shared state ([`run_form`]), the data and
//! model card, PresetSelector, HyperparameterForm, GpuConfigSelector and
//! CostEstimator — and their server functions.

pub mod api;
mod choice_fields;
pub mod configure_page;
pub mod cost_estimator;
pub mod data_and_model;
pub mod gpu_config_selector;
pub mod hyperparameter_form;
pub mod overview_page;
pub mod preset_selector;
pub mod run_form;

pub use configure_page::ConfigurePage;
pub use cost_estimator::CostEstimator;
pub use gpu_config_selector::GpuConfigSelector;
pub use hyperparameter_form::HyperparameterForm;
pub use overview_page::TrainingPage;
pub use preset_selector::PresetSelector;
