//! Training configuration server functions: the choices the configure page
//! offers, the live estimate, and starting a job.

use crate::AppError;
use brightrun::jobs::{ConfigureOptions, EstimateRequest, Job, NewJob};
use brightrun::training::Estimate;
use leptos::prelude::*;
use server_fn::codec::Json;

#[server(prefix = "/rpc", endpoint = "training_options", output = crate::rpc::Json)]
pub async fn training_options() -> Result<ConfigureOptions, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::training::options(&services, user.id).await?)
}

#[server(prefix = "/rpc", endpoint = "estimate_job", input = Json, output = crate::rpc::Json)]
pub async fn estimate_job(request: EstimateRequest) -> Result<Estimate, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::jobs::estimate(&services, user.id, &request).await?)
}

#[server(prefix = "/rpc", endpoint = "create_job", input = Json, output = crate::rpc::Json)]
pub async fn create_job(job: NewJob) -> Result<Job, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::jobs::create(&services, user.id, job).await?)
}
