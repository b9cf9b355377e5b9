//! A job as the scheduler hands it over: the dataset and a parent adapter
//! fetched from their (signed) URLs into the work folder, the run, and the
//! artifacts PUT to the URLs the spec names.

use super::{Event, TrainOutcome, train};
use crate::error::{Result, TrainerError};
use crate::spec::JobSpec;
use brightrun::cluster::InitAdapter;
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
    let mut log = |message: String| on_event(&Event::Log { message });
    local.dataset = fetch_file(
        &spec.dataset,
        "the dataset",
        &work_dir.join("dataset"),
        &mut log,
    )?;
    if let Some(v) = &spec.validation_dataset {
        let path = work_dir.join("validation_dataset");
        local.validation_dataset = Some(fetch_file(v, "the validation dataset", &path, &mut log)?);
    }
    if let Some(init) = &spec.init_adapter {
        let dir = work_dir.join("init_adapter");
        let mut log = |message: String| on_event(&Event::Log { message });
        local.init_adapter = Some(fetch_adapter(init, "the parent adapter", &dir, &mut log)?);
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

/// A file where it can be read: a URL downloaded to `path` (once; a file
/// already there is kept), a path as it is.
fn fetch_file(
    source: &str,
    what: &str,
    path: &Path,
    log: &mut dyn FnMut(String),
) -> Result<String> {
    if !(source.starts_with("http://") || source.starts_with("https://")) {
        return Ok(source.to_string());
    }
    if !path.is_file() {
        log(format!("downloading {what}"));
        crate::transfer::download(what, source, path, crate::transfer::MAX_DOWNLOAD_BYTES)?;
    }
    Ok(path.display().to_string())
}

/// An adapter's files where they can be read: each URL downloaded into
/// `dir` (once; a file already there is kept), each path as it is.
pub fn fetch_adapter(
    adapter: &InitAdapter,
    what: &str,
    dir: &Path,
    log: &mut dyn FnMut(String),
) -> Result<InitAdapter> {
    std::fs::create_dir_all(dir).map_err(|e| TrainerError::io(dir.display(), e))?;
    let mut fetched = adapter.clone();
    for (source, file, target) in [
        (
            &adapter.config,
            crate::adapter::CONFIG_FILE,
            &mut fetched.config,
        ),
        (
            &adapter.weights,
            crate::adapter::WEIGHTS_FILE,
            &mut fetched.weights,
        ),
    ] {
        *target = fetch_file(source, &format!("{what}'s {file}"), &dir.join(file), log)?;
    }
    Ok(fetched)
}
