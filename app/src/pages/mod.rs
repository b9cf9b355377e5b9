//! One module per section page. Each section's features (datasets, training,
//! models, costs) grow their own folders as their issues land; until then the
//! page shows what will be there and the first step to take.

mod costs;
mod dashboard;
mod not_found;
mod training;

pub use costs::CostsPage;
pub use dashboard::DashboardPage;
pub use not_found::NotFoundPage;
pub use training::TrainingPage;
