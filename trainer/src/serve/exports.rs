//! Exports on the agent (`/v1/exports`, DESIGN §4.2): a trained adapter
//! merged into, or laid out beside, base weights this machine holds. Each
//! runs on its own thread, one export at a time, in
//! `<data dir>/exports/<id>/`: the adapter (and a Hub base model's files)
//! fetched from their signed URLs, then the trainer's export into `out/`.
//! The caller fetches the written files and deletes the export. Exports
//! live in memory: a restarted agent has none, and clears their folders.

use super::inputs::{self, Inputs};
use brightrun::cluster::{ExportRunStatus, ExportSpec, ExportView, SpecError};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Exports kept at once (finished ones until the caller deletes them).
pub const MAX_KEPT: usize = 16;

/// Why an export was not taken.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error(transparent)]
    Invalid(#[from] SpecError),
    #[error("this agent already keeps {MAX_KEPT} exports; delete finished ones first")]
    Full,
}

struct Run {
    view: Mutex<ExportView>,
    cancel: AtomicBool,
}

impl Run {
    fn update(&self, edit: impl FnOnce(&mut ExportView)) {
        edit(&mut self.view.lock().unwrap_or_else(|p| p.into_inner()));
    }

    fn view(&self) -> ExportView {
        self.view.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

pub struct Exports {
    dir: PathBuf,
    inputs: Inputs,
    runs: Mutex<HashMap<String, Arc<Run>>>,
    /// Held while an export works: they run one after another.
    turn: Arc<Mutex<()>>,
}

impl Exports {
    /// Exports under `dir`, whose leftovers from an earlier start are removed.
    pub fn new(dir: PathBuf, inputs: Inputs) -> Self {
        if let Err(e) = std::fs::remove_dir_all(&dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(dir = %dir.display(), "clearing old exports: {e}");
        }
        Self {
            dir,
            inputs,
            runs: Mutex::default(),
            turn: Arc::default(),
        }
    }

    /// Starts `spec`, or returns the export already under its id with
    /// `false`.
    pub fn submit(&self, spec: ExportSpec) -> Result<(ExportView, bool), SubmitError> {
        let spec = inputs::admit_export(spec, &self.inputs)?;
        let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(run) = runs.get(&spec.export_id) {
            return Ok((run.view(), false));
        }
        if runs.len() >= MAX_KEPT {
            return Err(SubmitError::Full);
        }
        let run = Arc::new(Run {
            view: Mutex::new(ExportView {
                id: spec.export_id.clone(),
                status: ExportRunStatus::Queued,
                fraction: 0.0,
                stage: "waiting for the export before it".into(),
                error: None,
                files: Vec::new(),
            }),
            cancel: AtomicBool::new(false),
        });
        runs.insert(spec.export_id.clone(), run.clone());
        let view = run.view();
        let (folder, turn) = (self.dir.join(&spec.export_id), self.turn.clone());
        std::thread::spawn(move || work(&spec, &folder, &run, &turn));
        Ok((view, true))
    }

    pub fn view(&self, id: &str) -> Option<ExportView> {
        self.run(id).map(|r| r.view())
    }

    /// A completed export's file by the name it listed (no other name is
    /// served): its path and size.
    pub fn file(&self, id: &str, name: &str) -> Option<(PathBuf, u64)> {
        let view = self.view(id)?;
        let file = view.files.iter().find(|f| f.name == name)?;
        (view.status == ExportRunStatus::Completed)
            .then(|| (self.dir.join(id).join("out").join(name), file.size_bytes))
    }

    /// Stops the export if it runs and removes it with its files; `false`
    /// when there was none.
    pub fn remove(&self, id: &str) -> bool {
        let removed = self
            .runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
        let Some(run) = removed else {
            return false;
        };
        run.cancel.store(true, Ordering::Relaxed);
        // A running export removes its own folder when it stops.
        if run.view().status != ExportRunStatus::Running {
            remove_dir(&self.dir.join(id));
        }
        true
    }

    fn run(&self, id: &str) -> Option<Arc<Run>> {
        self.runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }
}

/// One export, on its thread: waits its turn, works, records the outcome.
fn work(spec: &ExportSpec, folder: &Path, run: &Run, turn: &Mutex<()>) {
    let _turn = turn.lock().unwrap_or_else(|p| p.into_inner());
    if run.cancel.load(Ordering::Relaxed) {
        return remove_dir(folder);
    }
    run.update(|v| v.status = ExportRunStatus::Running);
    remove_dir(folder);
    let outcome = crate::export::job::run_spec(
        spec,
        folder,
        &mut |fraction, stage| {
            run.update(|v| {
                v.fraction = fraction;
                v.stage = stage;
            })
        },
        &run.cancel,
    );
    if run.cancel.load(Ordering::Relaxed) {
        return remove_dir(folder);
    }
    run.update(|v| match outcome {
        Ok(files) => {
            v.status = ExportRunStatus::Completed;
            v.fraction = 1.0;
            v.stage = "done".into();
            v.files = files;
        }
        Err(e) => {
            v.status = ExportRunStatus::Failed;
            v.error = Some(crate::export::job::failure_reason(&spec.export_id, &e));
        }
    });
}

fn remove_dir(dir: &Path) {
    if let Err(e) = std::fs::remove_dir_all(dir)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(dir = %dir.display(), "removing an export's folder: {e}");
    }
}
