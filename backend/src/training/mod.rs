//! Training configuration on the server: what the configure page offers
//! (the owner's ready datasets, the base models, the GPUs the cluster runs)
//! and the estimate, calibrated by the owner's finished jobs.

pub mod base_models;
pub mod queries;

use crate::error::ServiceError;
use crate::services::Services;
use brightrun::cluster::placement;
use brightrun::datasets::DatasetStats;
use brightrun::jobs::{ConfigureOptions, EstimateRequest, ReadyDataset};
use brightrun::training::{
    CPU_GPU, Estimate, EstimateInput, FieldRange, GpuCatalog, GpuType, TrainingConfig, estimate,
};
use uuid::Uuid;

pub use base_models::BaseModel;

/// Most GPUs one job may ask for.
pub const MAX_GPU_COUNT: u32 = 8;

/// The GPU catalog from `BRIGHTRUN_GPU_CATALOG` or the shipped default, with
/// the configured CPU price.
pub fn load_catalog(config: &crate::Config) -> Result<GpuCatalog, String> {
    let catalog = match &config.cluster.gpu_catalog {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                format!("cannot read BRIGHTRUN_GPU_CATALOG {}: {e}", path.display())
            })?;
            GpuCatalog::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => GpuCatalog::default(),
    };
    Ok(catalog.with_cpu_price(config.billing.cpu_price_per_hour))
}

/// The GPU types the configured cluster runs: the catalog entries of the
/// devices its agent reports — this machine's CPU and CUDA GPUs for
/// `local`, the agent's for `http` — and the whole catalog for `ray` (whose
/// clusters have CPU workers as well as GPU ones, and say nothing of them).
/// An `http` agent that cannot be asked right now is taken to have the
/// catalog's GPUs; a job it cannot run is refused when it is sent.
#[tracing::instrument(skip_all)]
pub async fn gpus(services: &Services) -> Vec<GpuType> {
    let catalog = &services.catalog;
    match services.cluster.devices().await {
        Ok(Some(info)) => return placement::offered(catalog, &info),
        Ok(None) => {}
        Err(e) => tracing::warn!("the cluster's devices are unknown for now: {e}"),
    }
    let cluster = services.cluster.name();
    catalog
        .gpus
        .iter()
        .filter(|g| match cluster {
            "local" => g.id == CPU_GPU,
            "ray" => true,
            _ => g.id != CPU_GPU,
        })
        .cloned()
        .collect()
}

/// The most GPUs one job may ask for on this cluster: 1 on `local`, the
/// most of one type the `http` agent has, [`MAX_GPU_COUNT`] on Ray.
async fn max_gpu_count(services: &Services) -> u32 {
    match services.cluster.name() {
        "local" => 1,
        _ => match services.cluster.devices().await {
            Ok(Some(info)) => placement::max_count(&services.catalog, &info),
            _ => MAX_GPU_COUNT,
        },
    }
}

#[tracing::instrument(skip_all, fields(gpu = %id))]
pub async fn gpu(services: &Services, id: &str) -> Result<GpuType, ServiceError> {
    let offered = gpus(services).await;
    if let Some(g) = offered.iter().find(|g| g.id == id) {
        return Ok(g.clone());
    }
    Err(ServiceError::Invalid {
        field: "gpu_type",
        message: format!(
            "Unknown GPU type '{id}' for the {} cluster; choose one of: {}.",
            services.cluster.name(),
            offered
                .iter()
                .map(|g| g.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

#[tracing::instrument(skip_all, fields(user = %owner))]
pub async fn options(services: &Services, owner: Uuid) -> Result<ConfigureOptions, ServiceError> {
    let datasets = queries::ready_datasets(&services.pool, owner)
        .await?
        .into_iter()
        .map(|row| {
            let stats: DatasetStats = row
                .stats
                .and_then(|s| serde_json::from_value(s).ok())
                .unwrap_or_default();
            ReadyDataset {
                id: row.id,
                name: row.name,
                trainable_examples: stats.trainable_examples,
                total_tokens: stats.tokens.total,
            }
        })
        .collect();
    Ok(ConfigureOptions {
        datasets,
        models: base_models::list(&services.config)
            .iter()
            .map(BaseModel::option)
            .collect(),
        gpus: gpus(services).await,
        backend: services.cluster.name().to_string(),
        max_gpu_count: max_gpu_count(services).await,
    })
}

/// A ready dataset's statistics, the owner's only.
#[tracing::instrument(skip_all, fields(user = %owner, dataset = %dataset))]
pub async fn ready_stats(
    services: &Services,
    owner: Uuid,
    dataset: Uuid,
) -> Result<DatasetStats, ServiceError> {
    let Some(queries::StatsRow { status, stats }) =
        queries::dataset_stats(&services.pool, owner, dataset).await?
    else {
        return Err(ServiceError::NotFound("Dataset"));
    };
    if status != "ready" {
        return Err(ServiceError::Conflict(format!(
            "This dataset is {}; only a ready (validated) dataset can be trained on.",
            status.replace('_', " ")
        )));
    }
    let stats = stats
        .and_then(|s| serde_json::from_value(s).ok())
        .unwrap_or_default();
    Ok(stats)
}

/// Checks the config against the range table, naming the first bad field.
pub fn check_config(config: &TrainingConfig) -> Result<(), ServiceError> {
    match config.check().into_iter().next() {
        None => Ok(()),
        Some(e) => Err(ServiceError::Invalid {
            // Every ranged field is in the table; the one other rule is the modules'.
            field: FieldRange::get(&e.field).map_or("target_modules", |r| r.field),
            message: e.message,
        }),
    }
}

/// Mean tokens/s of the owner's completed jobs on this GPU and model, and how many.
async fn calibration(
    services: &Services,
    owner: Uuid,
    gpu_type: &str,
    gpu_count: u32,
    base_model: &str,
) -> Result<Option<(f64, u32)>, ServiceError> {
    let speed = queries::speed(&services.pool, owner, gpu_type, gpu_count, base_model).await?;
    Ok(match speed.tokens_per_second {
        Some(tps) if speed.runs > 0 && tps > 0.0 => Some((tps, speed.runs as u32)),
        _ => None,
    })
}

/// The estimate of a job: its config checked, its GPUs on offer, its
/// datasets ready, calibrated by the owner's finished runs of the same setup.
#[tracing::instrument(skip_all, fields(user = %owner, dataset = %req.dataset_id, gpu = %req.gpu_type))]
pub async fn estimate_for(
    services: &Services,
    owner: Uuid,
    req: &EstimateRequest,
) -> Result<Estimate, ServiceError> {
    check_config(&req.config)?;
    let gpu = gpu(services, &req.gpu_type).await?;
    let max = max_gpu_count(services).await.max(1);
    if !(1..=max).contains(&req.gpu_count) {
        return Err(ServiceError::Invalid {
            field: "gpu_count",
            message: format!("GPU count must be between 1 and {max} on this cluster."),
        });
    }
    let model = base_models::find(&services.config, &req.base_model)?;
    let stats = ready_stats(services, owner, req.dataset_id).await?;
    let validation = match req.validation_dataset_id {
        Some(id) if id == req.dataset_id => {
            return Err(ServiceError::Invalid {
                field: "validation_dataset_id",
                message: "The validation file is the training file; choose another dataset, or none to hold out a share of this one.".into(),
            });
        }
        Some(id) => Some(
            ready_stats(services, owner, id)
                .await
                .map_err(|e| match e {
                    ServiceError::NotFound(_) => ServiceError::Invalid {
                        field: "validation_dataset_id",
                        message: "No dataset of yours has this id.".into(),
                    },
                    other => other,
                })?,
        ),
        None => None,
    };
    let config = req
        .config
        .clone()
        .with_validation_file(validation.is_some());
    let calibration = calibration(services, owner, &gpu.id, req.gpu_count, &req.base_model).await?;
    Ok(estimate::estimate(&EstimateInput {
        stats: &stats,
        config: &config,
        validation: validation.as_ref(),
        model: &model.shape,
        gpu: &gpu,
        gpu_count: req.gpu_count,
        calibration,
        machine_memory_bytes: brightrun_trainer::memory::available(0),
    }))
}
