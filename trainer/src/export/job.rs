//! An export as a cluster runs it from an [`ExportSpec`]: the adapter (and
//! a Hub base model's files) fetched from their URLs into a work folder,
//! the export into `out/`, and the written files named and sized. The
//! agent (`serve`) serves them; a scheduler's job (`run --spec` on Ray)
//! PUTs its view and each file to the spec's upload URLs ([`run_job`]).

use super::{ExportJob, user_reason};
use crate::error::{Result, TrainerError};
use brightrun::cluster::{ExportRunStatus, ExportSpec, ExportView};
use brightrun::models::ExportFile;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

/// How often a job PUTs its view while it works.
const REPORT_EVERY: Duration = Duration::from_secs(2);

/// Fetches the inputs into `folder` and exports into `folder/out`; the
/// files written. `progress` gets the fraction done and the stage.
pub fn run_spec(
    spec: &ExportSpec,
    folder: &Path,
    progress: &mut dyn FnMut(f32, String),
    cancel: &AtomicBool,
) -> Result<Vec<ExportFile>> {
    let mut log = |m: String| tracing::info!(id = %spec.export_id, "{m}");
    let adapter = folder.join("adapter");
    progress(0.0, "fetching the adapter".into());
    crate::train::fetch_adapter(&spec.adapter, "the adapter", &adapter, &mut log)?;
    let base = match &spec.base_model_files {
        Some(files) => {
            progress(0.0, "fetching the base model".into());
            crate::train::fetch_base_model(&spec.base_model, files, folder, &mut log)?
        }
        None => spec.base_model.clone(),
    };
    let out = folder.join("out");
    let job = ExportJob {
        base_model: &base,
        adapter_dir: &adapter,
        format: spec.format,
        out_dir: &out,
        cancel: Some(cancel),
    };
    let written = super::run(&job, &mut |p| progress(p.fraction(), p.stage))?;
    written
        .iter()
        .map(|relative| {
            let name = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            let size = std::fs::metadata(out.join(relative))
                .map_err(|e| TrainerError::io(relative.display(), e))?
                .len();
            Ok(ExportFile {
                name,
                size_bytes: size,
            })
        })
        .collect()
}

/// The reason a failed export shows: the user's to act on, or a pointer to
/// the log (where the cause goes).
pub fn failure_reason(id: &str, e: &TrainerError) -> String {
    user_reason(e).unwrap_or_else(|| {
        tracing::error!(%id, "export failed: {e}");
        format!(
            "The export failed on the GPU machine ({}); its log says more.",
            kind(e)
        )
    })
}

fn kind(e: &TrainerError) -> &'static str {
    match e {
        TrainerError::Io(_) => "reading or writing files",
        TrainerError::ModelFiles(..) => "reading the base model",
        _ => "an internal error",
    }
}

/// `run --spec` with an export spec: runs it in `work_dir`, PUTting its
/// view to `upload.status` every [`REPORT_EVERY`] and at the end, and each
/// written file to its upload URL before the view that lists it.
pub fn run_job(spec: &ExportSpec, work_dir: &Path, cancel: &AtomicBool) -> Result<()> {
    let upload = spec
        .upload
        .as_ref()
        .ok_or_else(|| TrainerError::spec("upload", "is needed to run an export as a job"))?;
    let mut view = ExportView {
        id: spec.export_id.clone(),
        status: ExportRunStatus::Running,
        fraction: 0.0,
        stage: "starting".into(),
        error: None,
        files: Vec::new(),
    };
    let mut last = None::<Instant>;
    let mut report = |view: &ExportView, force: bool| {
        if force || last.is_none_or(|t| t.elapsed() >= REPORT_EVERY) {
            last = Some(Instant::now());
            let body = serde_json::to_vec(view).expect("a view is JSON");
            if let Err(e) = crate::transfer::put(&upload.status, body) {
                if force {
                    return Err(e);
                }
                tracing::warn!("reporting the export's progress: {e}");
            }
        }
        Ok(())
    };
    report(&view, true)?;
    let outcome = run_spec(
        spec,
        work_dir,
        &mut |fraction, stage| {
            view.fraction = fraction;
            view.stage = stage;
            let _ = report(&view, false);
        },
        cancel,
    )
    .and_then(|files| send_files(&files, &work_dir.join("out"), &upload.files).map(|()| files));
    match outcome {
        Ok(files) => {
            view.status = ExportRunStatus::Completed;
            view.fraction = 1.0;
            view.stage = "done".into();
            view.files = files;
            report(&view, true)
        }
        Err(e) => {
            view.status = ExportRunStatus::Failed;
            view.error = Some(failure_reason(&spec.export_id, &e));
            report(&view, true)?;
            Err(e)
        }
    }
}

/// PUTs the n-th file to the n-th URL.
fn send_files(files: &[ExportFile], out: &Path, urls: &[String]) -> Result<()> {
    if files.len() > urls.len() {
        return Err(TrainerError::spec(
            "upload.files",
            format!(
                "has {} URLs; the export wrote {} files",
                urls.len(),
                files.len()
            ),
        ));
    }
    for (file, url) in files.iter().zip(urls) {
        tracing::info!("uploading {}", file.name);
        crate::transfer::put_file(url, &out.join(&file.name))?;
    }
    Ok(())
}
