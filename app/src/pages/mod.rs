//! Pages that belong to no one feature: the dashboard, the training
//! overview and the 404. Each feature (datasets, training, jobs, models,
//! costs, notifications) has its own folder.

mod dashboard;
mod not_found;
mod training;

pub use dashboard::DashboardPage;
pub use not_found::NotFoundPage;
pub use training::TrainingPage;
