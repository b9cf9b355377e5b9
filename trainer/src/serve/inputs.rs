//! What a job spec may ask of this machine when it arrives over the cluster
//! API. Whoever holds the agent's token is still a remote caller: in
//! [`Inputs::Remote`] (the `serve` command) every input is an http(s) URL,
//! every output an upload URL, and a base model a folder name in the
//! agent's own models folder; no local path of the caller's choosing is
//! read or written. [`Inputs::Trusted`] is for callers inside this process
//! (the embedded cluster, tests), whose specs name local paths.

use crate::spec::{JobSpec, Output, SpecError};
use brightrun::cluster::{ExportSpec, GenerateSpec};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq)]
pub enum Inputs {
    Trusted,
    Remote { models_dir: PathBuf },
}

fn is_url(s: &str) -> bool {
    s.starts_with("https://") || s.starts_with("http://")
}

fn url_only(field: &str, value: &str) -> Result<(), SpecError> {
    if is_url(value) {
        Ok(())
    } else {
        Err(SpecError::new(
            field,
            "must be an http(s) URL: this agent reads and writes no local paths a job names",
        ))
    }
}

/// `spec` as this agent runs it, or the field it may not ask for.
pub fn admit(mut spec: JobSpec, inputs: &Inputs) -> Result<JobSpec, SpecError> {
    let Inputs::Remote { models_dir } = inputs else {
        return Ok(spec);
    };
    url_only("dataset", &spec.dataset)?;
    if let Some(v) = &spec.validation_dataset {
        url_only("validation_dataset", v)?;
    }
    if let Some(init) = &spec.init_adapter {
        url_only("init_adapter.config", &init.config)?;
        url_only("init_adapter.weights", &init.weights)?;
    }
    if let Some(report) = &spec.report {
        url_only("report.status", &report.status)?;
        url_only("report.metrics", &report.metrics)?;
    }
    match &spec.output {
        Output::Folder(_) => {
            return Err(SpecError::new(
                "output.folder",
                "is not accepted here: send output.upload with a URL per file",
            ));
        }
        Output::Upload { urls, work_dir } => {
            if work_dir.is_some() {
                return Err(SpecError::new(
                    "output.upload.work_dir",
                    "is chosen by this agent; leave it out",
                ));
            }
            for (name, url) in urls {
                url_only(&format!("output.upload.urls.{name}"), url)?;
            }
        }
    }
    spec.base_model = base_model_of(&spec.base_model, spec.base_model_files.as_ref(), models_dir)?;
    Ok(spec)
}

/// A generation `spec` as this agent runs it: checked, and from a remote
/// caller only URLs for the adapter and a model of its own models folder.
pub fn admit_generate(mut spec: GenerateSpec, inputs: &Inputs) -> Result<GenerateSpec, SpecError> {
    spec.check()?;
    let Inputs::Remote { models_dir } = inputs else {
        return Ok(spec);
    };
    if let Some(adapter) = &spec.adapter {
        url_only("adapter.config", &adapter.config)?;
        url_only("adapter.weights", &adapter.weights)?;
    }
    spec.base_model = base_model_folder(&spec.base_model, models_dir)?;
    Ok(spec)
}

/// An export `spec` as this agent runs it: checked, and from a remote
/// caller only URLs for the adapter and the base model's files, and a base
/// model of its own models folder (a Hub one is fetched into it).
pub fn admit_export(mut spec: ExportSpec, inputs: &Inputs) -> Result<ExportSpec, SpecError> {
    spec.check()?;
    let Inputs::Remote { models_dir } = inputs else {
        return Ok(spec);
    };
    url_only("adapter.config", &spec.adapter.config)?;
    url_only("adapter.weights", &spec.adapter.weights)?;
    if spec.upload.is_some() {
        return Err(SpecError::new(
            "upload",
            "is for export jobs on a scheduler; this agent serves the files itself",
        ));
    }
    spec.base_model = base_model_of(&spec.base_model, spec.base_model_files.as_ref(), models_dir)?;
    Ok(spec)
}

/// Where the agent finds the base model: sent as files, the folder of its
/// models they are fetched into (the spec's check made the name plain),
/// where later jobs and generation find it; else one already there.
fn base_model_of(
    name: &str,
    files: Option<&std::collections::BTreeMap<String, String>>,
    models_dir: &std::path::Path,
) -> Result<String, SpecError> {
    let Some(files) = files else {
        return base_model_folder(name, models_dir);
    };
    for (file, url) in files {
        url_only(&format!("base_model_files.{file}"), url)?;
    }
    Ok(models_dir.join(name).display().to_string())
}

/// The built-in model, or a folder of `models_dir` named by its plain name.
fn base_model_folder(name: &str, models_dir: &std::path::Path) -> Result<String, SpecError> {
    if name == crate::model::tiny::NAME {
        return Ok(name.to_string());
    }
    if !brightrun::base_models::files::is_plain_name(name) {
        return Err(SpecError::new(
            "base_model",
            "must be the name of a model in this agent's models folder (letters, digits, '-', '_', '.'), not a path",
        ));
    }
    let folder = models_dir.join(name);
    if !folder.is_dir() {
        return Err(SpecError::new(
            "base_model",
            format!(
                "`{name}` is not in this agent's models folder ({})",
                models_dir.display()
            ),
        ));
    }
    Ok(folder.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(edit: impl FnOnce(&mut serde_json::Value)) -> JobSpec {
        let mut v = json!({
            "job_id": "j", "base_model": "tiny-llama",
            "dataset": "https://storage.example/d.jsonl?sig=1",
            "output": {"upload": {"urls": {"adapter_config.json": "https://storage.example/a"}}}
        });
        edit(&mut v);
        JobSpec::from_json(&v.to_string()).unwrap()
    }

    fn refused_field(s: JobSpec, models: &std::path::Path) -> String {
        let inputs = Inputs::Remote {
            models_dir: models.to_path_buf(),
        };
        admit(s, &inputs).unwrap_err().field
    }

    #[test]
    fn a_remote_spec_names_no_local_path() {
        let models = tempfile::tempdir().unwrap();
        let m = models.path();
        assert!(
            admit(
                spec(|_| {}),
                &Inputs::Remote {
                    models_dir: m.into()
                }
            )
            .is_ok()
        );
        assert_eq!(
            refused_field(spec(|v| v["dataset"] = json!("/etc/shadow")), m),
            "dataset"
        );
        assert_eq!(
            refused_field(spec(|v| v["dataset"] = json!("file:///etc/passwd")), m),
            "dataset"
        );
        assert_eq!(
            refused_field(spec(|v| v["output"] = json!({"folder": "/root/.ssh"})), m),
            "output.folder"
        );
        assert_eq!(
            refused_field(
                spec(|v| v["output"]["upload"]["work_dir"] = json!("/var/lib/postgresql")),
                m
            ),
            "output.upload.work_dir"
        );
        assert_eq!(
            refused_field(
                spec(|v| v["init_adapter"] = json!({"config": "/a", "weights": "https://x/w"})),
                m
            ),
            "init_adapter.config"
        );
        for bad in ["/models/llama", "../llama", ".hidden", "a/b", "llama"] {
            assert_eq!(
                refused_field(spec(|v| v["base_model"] = json!(bad)), m),
                "base_model",
                "{bad}"
            );
        }
    }

    #[test]
    fn a_base_model_is_a_folder_of_the_agents_models() {
        let models = tempfile::tempdir().unwrap();
        std::fs::create_dir(models.path().join("llama-3.2-1b")).unwrap();
        let inputs = Inputs::Remote {
            models_dir: models.path().to_path_buf(),
        };
        let admitted = admit(spec(|v| v["base_model"] = json!("llama-3.2-1b")), &inputs).unwrap();
        assert_eq!(
            admitted.base_model,
            models.path().join("llama-3.2-1b").display().to_string()
        );
        // Trusted callers keep their paths.
        let local = spec(|v| v["dataset"] = json!("/data/d.jsonl"));
        assert_eq!(admit(local.clone(), &Inputs::Trusted).unwrap(), local);
    }

    #[test]
    fn a_base_model_sent_as_files_goes_to_the_agents_models_from_urls_only() {
        let models = tempfile::tempdir().unwrap();
        let inputs = Inputs::Remote {
            models_dir: models.path().to_path_buf(),
        };
        let files = |config: &'static str| {
            move |v: &mut serde_json::Value| {
                v["base_model"] = json!("acme--tiny");
                v["base_model_files"] =
                    json!({"config.json": config, "model.safetensors": "http://h/m"});
            }
        };
        let admitted = admit(spec(files("http://h/c")), &inputs).unwrap();
        let folder = models.path().join("acme--tiny").display().to_string();
        assert_eq!(
            admitted.base_model, folder,
            "not there yet: fetched at run time"
        );
        assert!(
            admitted.check().is_ok(),
            "the agent's folder passes the check again"
        );
        assert_eq!(
            refused_field(spec(files("/etc/passwd")), models.path()),
            "base_model_files.config.json"
        );
    }

    #[test]
    fn an_export_from_a_remote_caller_reads_urls_and_the_agents_models_only() {
        let models = tempfile::tempdir().unwrap();
        let inputs = Inputs::Remote {
            models_dir: models.path().to_path_buf(),
        };
        let export = |edit: &dyn Fn(&mut serde_json::Value)| {
            let mut v = json!({
                "export_id": "e-1", "base_model": "tiny-llama", "format": "merged",
                "adapter": {"config": "http://h/c", "weights": "http://h/w"}
            });
            edit(&mut v);
            serde_json::from_value::<ExportSpec>(v).unwrap()
        };
        let refused = |edit: &dyn Fn(&mut serde_json::Value)| {
            admit_export(export(edit), &inputs).unwrap_err().field
        };
        assert!(admit_export(export(&|_| {}), &inputs).is_ok());
        assert_eq!(
            refused(&|v| v["adapter"]["weights"] = json!("/srv/other/adapter.safetensors")),
            "adapter.weights"
        );
        assert_eq!(
            refused(&|v| v["base_model"] = json!("/models/llama")),
            "base_model"
        );
        assert_eq!(refused(&|v| v["export_id"] = json!("../../x")), "export_id");
        assert_eq!(
            refused(&|v| v["upload"] = json!({"status": "http://h/s", "files": []})),
            "upload"
        );
        let hub = admit_export(
            export(&|v| {
                v["base_model"] = json!("acme--tiny");
                v["base_model_files"] = json!({"config.json": "http://h/c"});
            }),
            &inputs,
        )
        .unwrap();
        assert_eq!(
            hub.base_model,
            models.path().join("acme--tiny").display().to_string()
        );
        assert_eq!(
            refused(&|v| {
                v["base_model"] = json!("acme--tiny");
                v["base_model_files"] = json!({"config.json": "file:///etc/passwd"});
            }),
            "base_model_files.config.json"
        );
    }
}
