//! The trainer's job spec for a BrightRun job: the base model, a signed URL
//! to GET the dataset, the hyperparameters, and signed URLs to PUT each
//! artifact to under the model's storage prefix. The trainer never holds
//! storage credentials, wherever it runs.

use crate::error::ServiceError;
use crate::services::Services;
use crate::storage::keys;
use brightrun::cluster::{DeviceRequest, GpuRequest, HyperParams, InitAdapter, JobSpec, Output};
use brightrun::training::{CPU_GPU, TrainingConfig};
use std::collections::BTreeMap;
use std::time::Duration;
use uuid::Uuid;

/// The files the trainer uploads, as DESIGN §4.3 names them.
pub const ARTIFACTS: &[&str] = &[
    "adapter_config.json",
    "adapter_model.safetensors",
    "training_args.json",
    "metrics.jsonl",
];
/// The two files without which a model cannot be loaded.
pub const REQUIRED: &[&str] = &["adapter_config.json", "adapter_model.safetensors"];
/// A queued job may wait a while before it starts; its URLs must outlive that.
const URL_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// Largest artifact accepted (a rank-256 adapter of a 70B model is ~3 GB).
const MAX_ARTIFACT_BYTES: u64 = 8 * 1024 * 1024 * 1024;

/// The idempotency key the cluster sees: the job id, and the attempt after a retry.
pub fn cluster_job_id(job: Uuid, attempt: i32) -> String {
    if attempt == 0 {
        job.to_string()
    } else {
        format!("{job}-attempt-{attempt}")
    }
}

pub fn hyperparameters(config: &TrainingConfig, total_steps: u64) -> HyperParams {
    HyperParams {
        epochs: config.epochs,
        max_steps: config.max_steps as u64,
        learning_rate: config.learning_rate,
        batch_size: config.batch_size as usize,
        gradient_accumulation: config.gradient_accumulation as usize,
        max_seq_len: config.max_seq_len as usize,
        lora_r: config.lora_r as usize,
        lora_alpha: config.lora_alpha as f64,
        lora_dropout: config.lora_dropout as f32,
        target_modules: config.target_modules.clone(),
        warmup_steps: config.warmup_steps(total_steps),
        schedule: config.scheduler,
        seed: config.seed,
        validation_split: config.validation_split,
        eval_every: config.eval_interval as u64,
        eval_samples: config.eval_samples as usize,
        early_stopping_patience: config.early_stopping_patience,
        keep_adapter: config.keep_adapter,
        // A checkpoint at every evaluation: a restarted trainer resumes there.
        checkpoint_every: config.eval_interval as u64,
        gradient_checkpointing: config.gradient_checkpointing,
        packing: config.packing,
        ..HyperParams::default()
    }
}

/// The device a job of this GPU type trains on: the CPU for `cpu`, else
/// the first GPU the node gives it (Ray and an agent's
/// `CUDA_VISIBLE_DEVICES` number them from 0).
pub fn device(gpu_type: &str) -> DeviceRequest {
    if gpu_type == CPU_GPU {
        DeviceRequest::Cpu
    } else {
        DeviceRequest::Cuda(0)
    }
}

pub struct SpecInput<'a> {
    pub job: Uuid,
    pub attempt: i32,
    pub owner: Uuid,
    pub model: Uuid,
    pub base_model: &'a str,
    pub dataset_key: &'a str,
    /// The separate validation file's storage key, when the job has one.
    pub validation_key: Option<&'a str>,
    pub config: &'a TrainingConfig,
    pub total_steps: u64,
    /// The storage prefix of the model this run continues.
    pub parent_prefix: Option<&'a str>,
    pub gpu_type: &'a str,
    pub gpu_count: u32,
}

/// Signed download URLs of the adapter stored under `prefix`, for a trainer.
#[tracing::instrument(skip_all)]
pub async fn adapter_urls(services: &Services, prefix: &str) -> Result<InitAdapter, ServiceError> {
    let url = async |file: &str| -> Result<String, ServiceError> {
        let signed = services
            .storage
            .download_url(&keys::object_in(prefix, file), URL_TTL)
            .await?;
        Ok(services.absolute_url(&signed.url))
    };
    Ok(InitAdapter {
        config: url("adapter_config.json").await?,
        weights: url("adapter_model.safetensors").await?,
    })
}

/// Signed download URLs of a Hub model's files in storage.
pub(crate) async fn base_model_urls(
    services: &Services,
    name: &str,
    files: &[String],
) -> Result<BTreeMap<String, String>, ServiceError> {
    let mut urls = BTreeMap::new();
    for file in files {
        let key = keys::base_model_object(name, file)?;
        let signed = services.storage.download_url(&key, URL_TTL).await?;
        urls.insert(file.clone(), services.absolute_url(&signed.url));
    }
    Ok(urls)
}

/// The spec of one attempt of a job, every URL signed for a week.
#[tracing::instrument(skip_all, fields(job = %input.job, attempt = input.attempt))]
pub async fn build(services: &Services, input: &SpecInput<'_>) -> Result<JobSpec, ServiceError> {
    let base = crate::training::base_models::find(&services.config, input.base_model)?;
    let dataset = services
        .storage
        .download_url(input.dataset_key, URL_TTL)
        .await?;
    let validation_dataset = match input.validation_key {
        Some(key) => {
            let signed = services.storage.download_url(key, URL_TTL).await?;
            Some(services.absolute_url(&signed.url))
        }
        None => None,
    };
    let mut urls = BTreeMap::new();
    for file in ARTIFACTS {
        let key = keys::adapter_object(input.owner, input.model, file)?;
        let signed = services
            .storage
            .upload_url(&key, MAX_ARTIFACT_BYTES, URL_TTL)
            .await?;
        urls.insert(file.to_string(), services.absolute_url(&signed.url));
    }
    let base_model_files = match &base.stored_files {
        Some(files) => Some(base_model_urls(services, &base.id, files).await?),
        None => None,
    };
    let init_adapter = match input.parent_prefix {
        Some(prefix) => Some(adapter_urls(services, prefix).await?),
        None => None,
    };
    Ok(JobSpec {
        job_id: cluster_job_id(input.job, input.attempt),
        base_model: base.spec_name,
        base_model_files,
        dataset: services.absolute_url(&dataset.url),
        validation_dataset,
        device: device(input.gpu_type),
        dtype: input.config.dtype,
        hyperparameters: hyperparameters(input.config, input.total_steps),
        output: Output::Upload {
            urls,
            work_dir: None,
        },
        init_adapter,
        report: None,
        gpu: Some(GpuRequest {
            gpu_type: input.gpu_type.to_string(),
            count: input.gpu_count,
        }),
        owner: Some(input.owner.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use brightrun::training::{Preset, Scheduler};

    #[test]
    fn the_gpu_type_picks_the_device_and_the_config_its_precision_and_checkpointing() {
        assert_eq!(device("cpu"), DeviceRequest::Cpu);
        assert_eq!(device("a100-80gb"), DeviceRequest::Cuda(0));
        assert_eq!(device("t4"), DeviceRequest::Cuda(0));
        let mut config = Preset::Balanced.config();
        config.scheduler = Scheduler::Constant;
        config.gradient_checkpointing = Some(false);
        let h = hyperparameters(&config, 100);
        assert_eq!(h.schedule, Scheduler::Constant);
        assert_eq!(h.gradient_checkpointing, Some(false));
        assert_eq!(h.warmup_steps, 3);
        assert_eq!(
            hyperparameters(&Preset::Balanced.config(), 100).gradient_checkpointing,
            None
        );
    }
}
