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
    if let Some(files) = &spec.base_model_files {
        local.base_model = fetch_base_model(&spec.base_model, files, work_dir, &mut log)?;
        local.base_model_files = None;
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

/// A base model sent as files (one added from the Hub): its folder, from
/// an earlier job when it holds every file, else each file downloaded into
/// the work folder and the whole moved into place. `name` is the folder
/// (an agent's models folder) or a plain name (under `work_dir`).
pub(crate) fn fetch_base_model(
    name: &str,
    files: &std::collections::BTreeMap<String, String>,
    work_dir: &Path,
    log: &mut dyn FnMut(String),
) -> Result<String> {
    let folder = if Path::new(name).is_absolute() {
        std::path::PathBuf::from(name)
    } else {
        work_dir.join("base_model").join(name)
    };
    let held = |dir: &Path| files.keys().all(|f| dir.join(f).is_file());
    if held(&folder) {
        return Ok(folder.display().to_string());
    }
    let staging = work_dir.join("base_model_download");
    std::fs::create_dir_all(&staging).map_err(|e| TrainerError::io(staging.display(), e))?;
    for (file, url) in files {
        let what = format!("the base model's {file}");
        fetch_file(url, &what, &staging.join(file), log)?;
    }
    if let Some(parent) = folder.parent() {
        std::fs::create_dir_all(parent).map_err(|e| TrainerError::io(parent.display(), e))?;
    }
    // Another job may have placed it meanwhile: then that copy serves.
    if let Err(e) = std::fs::rename(&staging, &folder)
        && !held(&folder)
    {
        return Err(TrainerError::io(folder.display(), e));
    }
    Ok(folder.display().to_string())
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
