//! A job as the scheduler hands it over: the dataset and a parent adapter
//! fetched from their (signed) URLs into the work folder, the run, and the
//! artifacts PUT to the URLs the spec names.

use super::{Event, TrainOutcome, train};
use crate::error::{Result, TrainerError};
use crate::spec::JobSpec;
use std::path::Path;
use std::sync::atomic::AtomicBool;

/// Fetches the dataset (path or http(s) URL), trains, and delivers the
/// artifacts as the spec says (a folder, or PUTs to signed URLs).
pub fn run_job(
    spec: &JobSpec,
    work_dir: &Path,
    on_event: &mut dyn FnMut(&Event),
    cancel: &AtomicBool,
) -> Result<TrainOutcome> {
    std::fs::create_dir_all(work_dir).map_err(|e| TrainerError::io(work_dir.display(), e))?;
    let mut local = spec.clone();
    if spec.dataset.starts_with("http://") || spec.dataset.starts_with("https://") {
        let path = work_dir.join("dataset");
        if !path.is_file() {
            on_event(&Event::Log {
                message: "downloading the dataset".into(),
            });
            crate::transfer::download(
                "the dataset",
                &spec.dataset,
                &path,
                crate::transfer::MAX_DOWNLOAD_BYTES,
            )?;
        }
        local.dataset = path.display().to_string();
    }
    if let Some(init) = &spec.init_adapter {
        let dir = work_dir.join("init_adapter");
        std::fs::create_dir_all(&dir).map_err(|e| TrainerError::io(dir.display(), e))?;
        let mut fetched = init.clone();
        for (source, file, target) in [
            (
                &init.config,
                crate::adapter::CONFIG_FILE,
                &mut fetched.config,
            ),
            (
                &init.weights,
                crate::adapter::WEIGHTS_FILE,
                &mut fetched.weights,
            ),
        ] {
            if source.starts_with("http://") || source.starts_with("https://") {
                let path = dir.join(file);
                if !path.is_file() {
                    on_event(&Event::Log {
                        message: format!("downloading the parent adapter's {file}"),
                    });
                    crate::transfer::download(
                        &format!("the parent adapter's {file}"),
                        source,
                        &path,
                        crate::transfer::MAX_DOWNLOAD_BYTES,
                    )?;
                }
                *target = path.display().to_string();
            }
        }
        local.init_adapter = Some(fetched);
    }
    let outcome = train(&local, work_dir, on_event, cancel)?;
    if let crate::spec::Output::Upload { urls, .. } = &spec.output {
        for (name, url) in urls {
            let path = outcome.adapter_dir.join(name);
            let bytes = std::fs::read(&path).map_err(|_| {
                TrainerError::spec(
                    "output.upload.urls",
                    format!("names `{name}`, which the trainer does not write"),
                )
            })?;
            on_event(&Event::Log {
                message: format!("uploading {name}"),
            });
            crate::transfer::put(url, bytes)?;
        }
    }
    Ok(outcome)
}
