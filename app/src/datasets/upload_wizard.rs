//! The upload wizard's state and steps: choose a file → check it in the
//! browser → create the dataset (the `create_dataset` server action) →
//! send the file to its signed URL with progress (the browser) → confirm
//! (the `confirm_dataset` server action) → the dataset's page. Cancel at
//! any point stops the upload and removes the pending dataset. The server
//! actions are chained by effects on their results, so a result that comes
//! back after Cancel is undone rather than acted on.

use super::api::{CancelDatasetUpload, ConfirmDataset, CreateDataset};
use super::browser::{ChosenFile, Held, Upload, held};
use crate::AppError;
use crate::ui::ActionErrors;
use brightrun::datasets::{CreatedDataset, ValidationReport};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use uuid::Uuid;

/// Upload limit shown before the server says so; the server's is the one that counts.
pub const MAX_UPLOAD_BYTES: u64 = 500 * 1024 * 1024;

#[derive(Clone, PartialEq)]
pub enum Phase {
    Choose,
    Checking(f64),
    Checked,
    Uploading { fraction: f64, detail: String },
    Confirming,
}

/// Everything the wizard's steps share.
#[derive(Clone, Copy)]
pub struct Wizard {
    pub file_label: RwSignal<Option<(String, u64)>>,
    pub name: RwSignal<String>,
    pub description: RwSignal<String>,
    pub phase: RwSignal<Phase>,
    pub report: RwSignal<Option<ValidationReport>>,
    /// What went wrong in the browser (reading or sending the file).
    pub problem: RwSignal<Option<String>>,
    name_missing: RwSignal<bool>,
    file: Held<ChosenFile>,
    upload: Held<Upload>,
    /// The pending dataset, from creation until confirmed or cancelled.
    created: RwSignal<Option<Uuid>>,
    create: ServerAction<CreateDataset>,
    confirm: ServerAction<ConfirmDataset>,
    cancel: ServerAction<CancelDatasetUpload>,
}

impl Wizard {
    /// The wizard of the page being built: its signals, actions and the
    /// effects that chain them belong to the current component.
    pub fn for_page() -> Self {
        let wizard = Self {
            file_label: RwSignal::new(None),
            name: RwSignal::new(String::new()),
            description: RwSignal::new(String::new()),
            phase: RwSignal::new(Phase::Choose),
            report: RwSignal::new(None),
            problem: RwSignal::new(None),
            name_missing: RwSignal::new(false),
            file: held(),
            upload: held(),
            created: RwSignal::new(None),
            create: ServerAction::new(),
            confirm: ServerAction::new(),
            cancel: ServerAction::new(),
        };
        Effect::new(move |_| match wizard.create.value().get() {
            Some(Ok(made)) => wizard.created_dataset(made),
            Some(Err(_)) => wizard.back_to_checked(),
            None => {}
        });
        let navigate = use_navigate();
        Effect::new(move |_| match wizard.confirm.value().get() {
            Some(Ok(d)) if wizard.phase.get_untracked() == Phase::Confirming => {
                navigate(&format!("/datasets/{}", d.id), Default::default());
            }
            Some(Err(_)) => wizard.back_to_checked(),
            _ => {}
        });
        wizard
    }

    /// Takes a chosen file: remembers it and checks it in the browser. The
    /// name defaults to the file's, without its extension.
    pub fn choose(&self, file: ChosenFile) {
        let file_name = file.name();
        if self.name.get_untracked().trim().is_empty() {
            let stem = file_name
                .rsplit_once('.')
                .map_or(file_name.as_str(), |(stem, _)| stem);
            self.name.set(stem.to_string());
        }
        self.file_label.set(Some((file_name, file.size())));
        self.report.set(None);
        self.problem.set(None);
        self.create.clear();
        self.confirm.clear();
        self.phase.set(Phase::Checking(0.0));
        let Self {
            phase,
            report,
            problem,
            ..
        } = *self;
        file.check(
            MAX_UPLOAD_BYTES,
            move |p| phase.set(Phase::Checking(p)),
            move |outcome| match outcome {
                Ok(r) => {
                    report.set(Some(r));
                    phase.set(Phase::Checked);
                }
                Err(e) => {
                    problem.set(Some(e));
                    phase.set(Phase::Choose);
                }
            },
        );
        self.file.set_value(Some(file));
    }

    /// Upload: creates the dataset; its effect then sends the file.
    pub fn upload(&self) {
        self.name_missing.set(false);
        self.problem.set(None);
        self.create.clear();
        self.confirm.clear();
        let name = self.name.get_untracked();
        if name.trim().is_empty() {
            self.name_missing.set(true);
            return;
        }
        let Some((file_name, size_bytes)) = self
            .file
            .with_value(|f| f.as_ref().map(|f| (f.name(), f.size())))
        else {
            return;
        };
        let description = Some(self.description.get_untracked()).filter(|d| !d.trim().is_empty());
        self.phase.set(Phase::Uploading {
            fraction: 0.0,
            detail: "starting…".into(),
        });
        self.create.dispatch(CreateDataset {
            name,
            description,
            file_name,
            size_bytes,
        });
    }

    /// The dataset exists: send the file, unless Cancel came first.
    fn created_dataset(&self, made: CreatedDataset) {
        let id = made.dataset.id;
        let cancelled = !matches!(self.phase.get_untracked(), Phase::Uploading { .. });
        let Some(file) = self.file.get_value().filter(|_| !cancelled) else {
            self.cancel.dispatch(CancelDatasetUpload { id });
            return;
        };
        self.created.set(Some(id));
        let Self {
            phase,
            problem,
            confirm,
            ..
        } = *self;
        let this = *self;
        let progress = move |sent: super::browser::Sent| {
            phase.set(Phase::Uploading {
                fraction: sent.fraction(),
                detail: sent.detail(),
            });
        };
        let done = move |result: Result<(), String>| match result {
            Ok(()) => {
                phase.set(Phase::Confirming);
                confirm.dispatch(ConfirmDataset { id });
            }
            Err(message) => {
                problem.set(Some(format!("Upload failed: {message}")));
                phase.set(Phase::Checked);
                this.drop_pending();
            }
        };
        match Upload::start(&made.upload, &file, progress, done) {
            Ok(upload) => self.upload.set_value(Some(upload)),
            Err(e) => problem.set(Some(e)),
        }
    }

    /// A refused step returns to the checked file, unless Cancel has
    /// already started over.
    fn back_to_checked(&self) {
        if !matches!(
            self.phase.get_untracked(),
            Phase::Choose | Phase::Checking(_)
        ) {
            self.phase.set(Phase::Checked);
        }
    }

    /// Cancel: stops the upload, removes the pending dataset, starts over.
    pub fn cancel(&self) {
        self.upload.update_value(|u| {
            if let Some(u) = u.take() {
                u.abort();
            }
        });
        self.drop_pending();
        self.file.set_value(None);
        self.file_label.set(None);
        self.report.set(None);
        self.phase.set(Phase::Choose);
    }

    /// Removes the pending dataset, if there is one. Its outcome is not
    /// shown: an upload never confirmed is also removed by the server's
    /// cleanup once its URL expires.
    fn drop_pending(&self) {
        if let Some(id) = self.created.get_untracked() {
            self.created.set(None);
            self.cancel.dispatch(CancelDatasetUpload { id });
        }
    }

    /// The message under the name field.
    pub fn name_error(&self) -> Signal<Option<String>> {
        let missing = self.name_missing;
        let refused = self.create.field_error("name");
        Signal::derive(move || {
            missing
                .get()
                .then(|| "Give the dataset a name.".to_string())
                .or_else(|| refused.get())
        })
    }

    /// A refusal from the server that is not about the name.
    pub fn server_error(&self) -> Signal<Option<AppError>> {
        let created = self.create.last_error();
        let confirmed = self.confirm.last_error();
        Signal::derive(move || {
            created
                .get()
                .filter(|e| e.for_field("name").is_none())
                .or_else(|| confirmed.get())
        })
    }

    /// Checking, uploading or confirming: the file cannot change.
    pub fn busy(&self) -> Signal<bool> {
        let phase = self.phase;
        Signal::derive(move || {
            matches!(
                phase.get(),
                Phase::Checking(_) | Phase::Uploading { .. } | Phase::Confirming
            )
        })
    }

    /// Checked and valid: ready to upload.
    pub fn can_upload(&self) -> Signal<bool> {
        let (phase, report) = (self.phase, self.report);
        Signal::derive(move || {
            phase.get() == Phase::Checked && report.with(|r| r.as_ref().is_some_and(|r| r.valid))
        })
    }

    /// The file was checked and has errors.
    pub fn has_errors(&self) -> Signal<bool> {
        let report = self.report;
        Signal::derive(move || report.with(|r| r.as_ref().is_some_and(|r| !r.valid)))
    }
}
