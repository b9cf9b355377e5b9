//! A training job as the trainer receives it (`run --spec job.json`, or the
//! body of `POST /v1/jobs`): the base model, the dataset, where it trains
//! and in what precision, hyperparameters, and where status, metrics and
//! artifacts go. [`JobSpec::from_json`] and [`JobSpec::check`] are the one
//! validation both sides run.

use super::device::{BaseDtype, DeviceKind, DeviceRequest};
use super::hyperparams::HyperParams;
use crate::training::FieldRange;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSpec {
    /// The caller's job id; also the idempotency key of `POST /v1/jobs`.
    pub job_id: String,
    /// `tiny-llama` (built in) or a local Hugging Face model folder; with
    /// `base_model_files`, the model's plain name.
    pub base_model: String,
    /// A base model the trainer's machine may not hold (one added from the
    /// Hub): file name → URL (signed) of `config.json`, the tokenizer files
    /// and the safetensors shards, fetched into a folder named
    /// `base_model` before training.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_model_files: Option<BTreeMap<String, String>>,
    /// Where the dataset is: a local path or an http(s) URL (e.g. signed).
    pub dataset: String,
    /// A separate validation file (same formats), instead of holding out a
    /// share of `dataset`: then `hyperparameters.validation_split` is 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_dataset: Option<String>,
    /// Where it trains: `auto` (the default), `cpu`, `cuda` or `cuda:N`.
    #[serde(
        default,
        skip_serializing_if = "is_auto",
        deserialize_with = "device_field"
    )]
    pub device: DeviceRequest,
    /// The base weights' precision; `None`: the device's default
    /// ([`BaseDtype::default_for`]).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "dtype_field"
    )]
    pub dtype: Option<BaseDtype>,
    #[serde(default)]
    pub hyperparameters: HyperParams,
    /// Where artifacts go.
    pub output: Output,
    /// Continue from an earlier adapter: LoRA starts from its weights
    /// instead of PEFT's initialisation. Its rank and target modules must be
    /// the hyperparameters' own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_adapter: Option<InitAdapter>,
    /// Where `run` reports progress while it trains (for schedulers such as
    /// Ray, whose own status knows nothing of steps and losses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<Report>,
    /// What the job asks of the scheduler: GPU type and count (`cpu` for none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<GpuRequest>,
    /// Who the job is for, for the scheduler's bookkeeping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuRequest {
    /// A GPU catalog id (`a100-80gb`, `t4` …) or `cpu`.
    pub gpu_type: String,
    pub count: u32,
}

/// Signed URLs the trainer PUTs its progress to, every few seconds and at the end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// The job's view ([`super::JobView`] as JSON): status, progress, latest
    /// metrics, the error of a failed run.
    pub status: String,
    /// `metrics.jsonl` so far: one [`super::StepMetrics`] per line.
    pub metrics: String,
}

/// An adapter's two files, each a local path or an http(s) URL (e.g. signed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitAdapter {
    /// `adapter_config.json`.
    pub config: String,
    /// `adapter_model.safetensors`.
    pub weights: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Output {
    /// A local folder: the adapter, checkpoints, metrics and status.
    Folder(String),
    /// Signed URLs to PUT each artifact to, by file name
    /// (`adapter_config.json`, `adapter_model.safetensors`,
    /// `training_args.json`, `metrics.jsonl`); work files stay in `work_dir`.
    Upload {
        urls: BTreeMap<String, String>,
        #[serde(default)]
        work_dir: Option<String>,
    },
}

/// A spec that cannot run: the field (dotted, as in the JSON) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid spec: `{field}` {message}")]
pub struct SpecError {
    pub field: String,
    pub message: String,
}

impl SpecError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

fn is_auto(d: &DeviceRequest) -> bool {
    *d == DeviceRequest::Auto
}

/// serde's own errors for these say what was wrong but not where; these
/// name the field so [`JobSpec::from_json`] can.
fn device_field<'de, D: Deserializer<'de>>(d: D) -> Result<DeviceRequest, D::Error> {
    use serde::de::Error;
    let s = String::deserialize(d).map_err(|e| D::Error::custom(format!("field `device`: {e}")))?;
    s.parse()
        .map_err(|e| D::Error::custom(format!("field `device`: {e}")))
}

fn dtype_field<'de, D: Deserializer<'de>>(d: D) -> Result<Option<BaseDtype>, D::Error> {
    use serde::de::Error;
    let s = Option::<String>::deserialize(d)
        .map_err(|e| D::Error::custom(format!("field `dtype`: {e}")))?;
    s.map(|s| s.parse())
        .transpose()
        .map_err(|e| D::Error::custom(format!("field `dtype`: {e}")))
}

impl JobSpec {
    /// Reads a spec, naming the field that is wrong.
    pub fn from_json(text: &str) -> Result<Self, SpecError> {
        let spec: Self = serde_json::from_str(text).map_err(|e| {
            let msg = e.to_string();
            let field = msg
                .split('`')
                .nth(1)
                .filter(|_| msg.contains("field"))
                .unwrap_or("spec");
            SpecError::new(field, format!("is wrong: {msg}"))
        })?;
        spec.check()?;
        Ok(spec)
    }

    pub fn check(&self) -> Result<(), SpecError> {
        let h = &self.hyperparameters;
        // The ranges are the domain crate's one table, which the configure
        // page and the API check too.
        let mut ranged = vec![
            ("learning_rate", h.learning_rate),
            ("batch_size", h.batch_size as f64),
            ("gradient_accumulation", h.gradient_accumulation as f64),
            ("lora_r", h.lora_r as f64),
            ("lora_alpha", h.lora_alpha),
            ("lora_dropout", h.lora_dropout as f64),
            ("max_seq_len", h.max_seq_len as f64),
            ("eval_samples", h.eval_samples as f64),
            ("validation_split", h.validation_split),
            ("early_stopping_patience", h.early_stopping_patience as f64),
        ];
        if h.max_steps == 0 || h.epochs > 0 {
            ranged.push(("epochs", h.epochs as f64));
        }
        for (field, value) in ranged {
            let range = FieldRange::get(field).expect("every ranged field is in RANGES");
            if let Some(message) = range.check(value) {
                return Err(SpecError::new(&format!("hyperparameters.{field}"), message));
            }
        }
        if h.target_modules.is_empty() {
            return Err(SpecError::new(
                "hyperparameters.target_modules",
                "must name at least one projection",
            ));
        }
        if let Some(v) = &self.validation_dataset {
            if v.trim().is_empty() {
                return Err(SpecError::new("validation_dataset", "must not be empty"));
            }
            if h.validation_split > 0.0 {
                return Err(SpecError::new(
                    "hyperparameters.validation_split",
                    "must be 0 with a validation_dataset: the file is the validation set",
                ));
            }
        }
        if self.job_id.trim().is_empty() {
            return Err(SpecError::new("job_id", "must not be empty"));
        }
        if self.base_model.trim().is_empty() {
            return Err(SpecError::new("base_model", "must not be empty"));
        }
        if let Some(files) = &self.base_model_files {
            check_base_model_files(&self.base_model, files)?;
        }
        if let Some(init) = &self.init_adapter {
            if init.config.trim().is_empty() {
                return Err(SpecError::new("init_adapter.config", "must not be empty"));
            }
            if init.weights.trim().is_empty() {
                return Err(SpecError::new("init_adapter.weights", "must not be empty"));
            }
        }
        Ok(())
    }

    /// The base weights' dtype on a device of `kind`: the spec's, or that
    /// device's default.
    pub fn base_dtype(&self, kind: DeviceKind, supports_bf16: bool) -> BaseDtype {
        self.dtype
            .unwrap_or_else(|| BaseDtype::default_for(kind, supports_bf16))
    }
}

/// A base model sent as files: `base_model` a plain name (or the absolute
/// folder an agent chose for it), the files plain names with config.json.
pub(super) fn check_base_model_files(
    base_model: &str,
    files: &BTreeMap<String, String>,
) -> Result<(), SpecError> {
    use crate::base_models::files::is_plain_name;
    // A plain name, or the folder an agent chose for it (absolute).
    let path = std::path::Path::new(base_model);
    let named = path.file_name().and_then(|n| n.to_str()) == Some(base_model)
        || (path.is_absolute() && !base_model.contains(".."));
    let last = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if !(named && is_plain_name(last)) {
        return Err(SpecError::new(
            "base_model",
            "must be a plain name (letters, digits, '-', '_', '.') when base_model_files are given",
        ));
    }
    if !files.contains_key("config.json") {
        return Err(SpecError::new(
            "base_model_files",
            "must include config.json",
        ));
    }
    for (name, url) in files {
        if !is_plain_name(name) {
            return Err(SpecError::new(
                "base_model_files",
                format!("`{name}` is not a plain file name"),
            ));
        }
        if url.trim().is_empty() {
            return Err(SpecError::new(
                &format!("base_model_files.{name}"),
                "must not be empty",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str =
        r#"{"job_id":"j","base_model":"tiny-llama","dataset":"d.jsonl","output":{"folder":"o"}}"#;

    fn with(extra: &str) -> String {
        MINIMAL.replacen('{', &format!("{{{extra},"), 1)
    }

    #[test]
    fn a_malformed_spec_names_the_field() {
        let e = JobSpec::from_json(&with(r#""hyperparameters":{"lora_rank":8}"#)).unwrap_err();
        assert!(e.to_string().contains("lora_rank"), "{e}");
        let e = JobSpec::from_json(&with(r#""hyperparameters":{"batch_size":0}"#)).unwrap_err();
        assert_eq!(e.field, "hyperparameters.batch_size");
        let e = JobSpec::from_json(r#"{"job_id":"j","dataset":"d","output":{"folder":"o"}}"#)
            .unwrap_err();
        assert_eq!(e.field, "base_model", "{e}");
    }

    #[test]
    fn base_model_files_need_a_plain_name_plain_file_names_and_a_config() {
        let files =
            r#""base_model_files":{"config.json":"http://h/c","model.safetensors":"http://h/m"}"#;
        let ok = with(files).replace("tiny-llama", "acme--tiny");
        assert!(JobSpec::from_json(&ok).is_ok());
        let e = JobSpec::from_json(&with(files).replace("tiny-llama", "../x")).unwrap_err();
        assert_eq!(e.field, "base_model", "{e}");
        let bad = ok.replace("model.safetensors", "../model.safetensors");
        let e = JobSpec::from_json(&bad).unwrap_err();
        assert!(e.message.contains("../model.safetensors"), "{e}");
        let e = JobSpec::from_json(&ok.replace("config.json", "conf.json")).unwrap_err();
        assert_eq!(e.field, "base_model_files", "{e}");
        let e = JobSpec::from_json(&ok.replace("http://h/m", " ")).unwrap_err();
        assert_eq!(e.field, "base_model_files.model.safetensors", "{e}");
    }

    #[test]
    fn device_and_dtype_default_and_a_bad_one_names_its_field() {
        let spec = JobSpec::from_json(MINIMAL).unwrap();
        assert_eq!((spec.device, spec.dtype), (DeviceRequest::Auto, None));
        assert_eq!(spec.base_dtype(DeviceKind::Cpu, false), BaseDtype::F32);
        assert_eq!(spec.base_dtype(DeviceKind::Cuda, true), BaseDtype::Bf16);

        let spec = JobSpec::from_json(&with(r#""device":"cuda:1","dtype":"f16""#)).unwrap();
        assert_eq!(spec.device, DeviceRequest::Cuda(1));
        assert_eq!(spec.base_dtype(DeviceKind::Cuda, true), BaseDtype::F16);

        for (extra, field, says) in [
            (r#""device":"gpu""#, "device", "auto, cpu, cuda or cuda:N"),
            (r#""device":3"#, "device", "expected a string"),
            (r#""dtype":"fp8""#, "dtype", "bf16, f16 or f32"),
            (r#""dtype":16"#, "dtype", "expected a string"),
        ] {
            let e = JobSpec::from_json(&with(extra)).unwrap_err();
            assert_eq!(e.field, field, "{extra}: {e}");
            assert!(e.message.contains(says), "{extra}: {e}");
        }
    }

    #[test]
    fn an_old_spec_reads_and_writes_as_it_was() {
        let spec = JobSpec::from_json(MINIMAL).unwrap();
        let json = serde_json::to_value(&spec).unwrap();
        for absent in [
            "device",
            "dtype",
            "validation_dataset",
            "init_adapter",
            "report",
            "gpu",
            "owner",
        ] {
            assert!(json.get(absent).is_none(), "{absent}: {json}");
        }
        let cpu = JobSpec {
            device: DeviceRequest::Cpu,
            dtype: Some(BaseDtype::Bf16),
            ..spec
        };
        let json = serde_json::to_value(&cpu).unwrap();
        assert_eq!(
            (&json["device"], &json["dtype"]),
            (&"cpu".into(), &"bf16".into())
        );
        assert_eq!(serde_json::from_value::<JobSpec>(json).unwrap(), cpu);
    }
}
