//! `GET /v1/info`: what this agent has (devices: kind, name, memory, count,
//! dtypes; build features), found once at start; and the refusal of a job
//! whose device it lacks, so a job is only ever run where its device
//! exists (the rule: `brightrun::cluster::placement`).

use super::AppState;
use super::api::ApiError;
use crate::spec::JobSpec;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use brightrun::cluster::{AgentInfo, placement};
use brightrun::training::GpuCatalog;
use std::sync::Arc;

/// The error code of a job refused for its device.
pub const DEVICE_UNAVAILABLE: &str = "device_unavailable";

pub async fn info(State(state): State<Arc<AppState>>) -> Json<AgentInfo> {
    Json(state.info.clone())
}

/// A 422 naming what the job asks for and what this agent has, when it
/// asks for a GPU the agent lacks. GPU types are the shipped catalog's.
pub fn refusal(spec: &JobSpec, info: &AgentInfo) -> Option<ApiError> {
    let gpu_type = spec.gpu.as_ref().map(|g| g.gpu_type.as_str());
    let count = spec.gpu.as_ref().map_or(1, |g| g.count);
    let why = placement::refusal(spec.device, gpu_type, count, info, &GpuCatalog::default())?;
    Some(ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        DEVICE_UNAVAILABLE,
        why,
    ))
}
