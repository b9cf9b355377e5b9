//! The configure form's state: what the user has chosen so far, as signals
//! the form's parts share, and the two things made from it — the estimate
//! request (only while every value is in range) and the job to start.

use brightrun::jobs::{ConfigureOptions, EstimateRequest, NewJob};
use brightrun::models::ModelDetail;
use brightrun::training::{FieldRange, Preset, RANGES, TrainingConfig};
use leptos::prelude::*;
use uuid::Uuid;

/// One advanced numeric field as typed: its range, its text, and whether
/// the text is not a number (the config keeps its last good value then).
#[derive(Clone, Copy)]
pub struct FieldText {
    pub range: &'static FieldRange,
    pub text: RwSignal<String>,
    pub bad: RwSignal<bool>,
}

/// The form's choices. Ids are kept as the `<select>`s hold them: text.
#[derive(Clone, Copy)]
pub struct RunForm {
    pub dataset: RwSignal<String>,
    /// "": hold out the validation split of the training file.
    pub validation: RwSignal<String>,
    pub model: RwSignal<String>,
    pub gpu: RwSignal<String>,
    pub gpu_count: RwSignal<u32>,
    pub config: RwSignal<TrainingConfig>,
    pub name: RwSignal<String>,
    pub fields: StoredValue<Vec<FieldText>>,
}

fn text_of(config: &TrainingConfig, field: &str) -> String {
    config
        .value(field)
        .map(|v| format!("{v}"))
        .unwrap_or_default()
}

impl RunForm {
    /// The starting choices: the dataset asked for in the link when it is
    /// one of the ready ones, else the first. A continued run starts from
    /// the parent's settings and base model: its rank and target modules
    /// must stay, the rest may change.
    pub fn new(
        options: &ConfigureOptions,
        parent: Option<&ModelDetail>,
        wanted_dataset: Option<String>,
    ) -> Self {
        let dataset = wanted_dataset
            .filter(|w| options.datasets.iter().any(|d| d.id.to_string() == *w))
            .or_else(|| options.datasets.first().map(|d| d.id.to_string()))
            .unwrap_or_default();
        let model = match parent {
            Some(p) => p.model.base_model.clone(),
            None => options
                .models
                .first()
                .map(|m| m.id.clone())
                .unwrap_or_default(),
        };
        let config = parent.map_or_else(|| Preset::Balanced.config(), |p| p.job.config.clone());
        let fields = RANGES
            .iter()
            .map(|range| FieldText {
                range,
                text: RwSignal::new(text_of(&config, range.field)),
                bad: RwSignal::new(false),
            })
            .collect();
        Self {
            dataset: RwSignal::new(dataset),
            validation: RwSignal::new(String::new()),
            model: RwSignal::new(model),
            gpu: RwSignal::new(
                options
                    .gpus
                    .first()
                    .map(|g| g.id.clone())
                    .unwrap_or_default(),
            ),
            gpu_count: RwSignal::new(1),
            config: RwSignal::new(config),
            name: RwSignal::new(String::new()),
            fields: StoredValue::new(fields),
        }
    }

    /// Sets a preset's values and shows them in the advanced fields.
    pub fn apply_preset(&self, preset: Preset) {
        self.config.update(|c| preset.apply(c));
        let config = self.config.get_untracked();
        self.fields.with_value(|fields| {
            for f in fields {
                f.text.set(text_of(&config, f.range.field));
                f.bad.set(false);
            }
        });
    }

    /// Takes what was typed into an advanced field.
    pub fn type_into(&self, field: FieldText, text: String) {
        let mut ok = false;
        self.config.update(|c| ok = c.set(field.range.field, &text));
        field.text.set(text);
        field.bad.set(!ok);
    }

    /// The estimate request for the choices as they stand (tracked), or
    /// `None` while a value is out of range or not a number.
    pub fn estimate_request(&self) -> Option<EstimateRequest> {
        let config = self.config.get();
        let any_bad = self.fields.with_value(|f| f.iter().any(|f| f.bad.get()));
        if !config.check().is_empty() || any_bad {
            return None;
        }
        Some(EstimateRequest {
            dataset_id: Uuid::parse_str(&self.dataset.get()).ok()?,
            validation_dataset_id: Uuid::parse_str(&self.validation.get()).ok(),
            base_model: self.model.get(),
            config,
            gpu_type: self.gpu.get(),
            gpu_count: self.gpu_count.get(),
        })
    }

    /// The job to start from the choices as they stand (untracked).
    pub fn new_job(&self, budget_override: bool, parent_model_id: Option<Uuid>) -> Option<NewJob> {
        let name = self.name.get_untracked();
        Some(NewJob {
            name: Some(name).filter(|n| !n.trim().is_empty()),
            dataset_id: Uuid::parse_str(&self.dataset.get_untracked()).ok()?,
            base_model: self.model.get_untracked(),
            preset: Preset::Custom,
            config: Some(self.config.get_untracked()),
            gpu_type: self.gpu.get_untracked(),
            gpu_count: self.gpu_count.get_untracked(),
            budget_override,
            parent_model_id,
            validation_dataset_id: Uuid::parse_str(&self.validation.get_untracked()).ok(),
        })
    }
}
