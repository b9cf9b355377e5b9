//! The configure form's first card: the dataset to train on, where the
//! validation loss comes from, the base model (fixed when continuing a
//! model) and the run's name.

use super::run_form::RunForm;
use crate::AppError;
use crate::ui::format::thousands;
use crate::ui::{Card, FieldError, Input, Label, Select};
use brightrun::jobs::{ModelOption, ReadyDataset};
use leptos::prelude::*;

/// `server_errors`: the last refused start, whose field messages show
/// under their fields.
#[component]
pub fn DataAndModel(
    form: RunForm,
    datasets: Vec<ReadyDataset>,
    models: Vec<ModelOption>,
    /// A continued run keeps its parent's base model.
    continuing: bool,
    #[prop(into)] server_errors: Signal<Option<AppError>>,
) -> impl IntoView {
    let RunForm {
        dataset,
        validation,
        model,
        name,
        ..
    } = form;
    let server_error = move |field: &'static str| {
        Signal::derive(move || server_errors.with(|e| e.as_ref().and_then(|e| e.for_field(field))))
    };
    let validation_choices = StoredValue::new(datasets.clone());
    view! {
        <Card title="Data and model">
            <div class="field">
                <Label for_id="dataset">"Dataset"</Label>
                <Select id="dataset" test_id="dataset-select" value=dataset on_change=Callback::new(move |v| dataset.set(v))>
                    {datasets.into_iter().map(|d| view! {
                        <option value=d.id.to_string()>{format!("{} · {} examples · {} tokens", d.name, d.trainable_examples, thousands(d.total_tokens as i64))}</option>
                    }).collect_view()}
                </Select>
            </div>
            <div class="field">
                <Label for_id="validation-dataset">"Validation data"</Label>
                <Select id="validation-dataset" test_id="validation-select" value=validation on_change=Callback::new(move |v| validation.set(v))>
                    <option value="">"A share of the training file (the validation split)"</option>
                    {move || validation_choices.with_value(|all| all.iter()
                        .filter(|d| d.id.to_string() != dataset.get())
                        .map(|d| view! { <option value=d.id.to_string()>{format!("{} · {} examples", d.name, d.trainable_examples)}</option> })
                        .collect_view())}
                </Select>
                <p class="muted small">"A file of your own measures the validation loss and answers the sample prompts; all of the training file then trains."</p>
                <FieldError message=server_error("validation_dataset_id")/>
            </div>
            <div class="field">
                <Label for_id="base-model">"Base model"</Label>
                <Select id="base-model" disabled=continuing value=model on_change=Callback::new(move |v| model.set(v))>
                    {models.into_iter().map(|m| view! { <option value=m.id.clone()>{m.label.clone()}</option> }).collect_view()}
                </Select>
                <FieldError message=server_error("base_model")/>
            </div>
            <div class="field">
                <Label for_id="job-name">"Name (optional)"</Label>
                <Input id="job-name" name="name" value=name placeholder="e.g. EQ-12 balanced, first try"/>
                <FieldError message=server_error("name")/>
            </div>
        </Card>
    }
}
