//! DatasetUploadForm: the upload wizard's three steps as cards — choose
//! the file (picker or drag and drop) and see it checked, describe it, and
//! upload it with progress — over one shared [`Wizard`].

use super::browser::ChosenFile;
use super::report_view::ReportView;
use super::status_badge::megabytes;
use super::upload_wizard::{Phase, Wizard};
use crate::ui::{ActionError, Button, Card, FieldError, Input, Label, Progress, Textarea};
use leptos::prelude::*;

#[component]
pub fn DatasetUploadForm() -> impl IntoView {
    let wizard = Wizard::for_page();
    view! {
        <ChooseStep wizard/>
        <DescribeStep wizard/>
        <UploadStep wizard/>
    }
}

/// 1. The drop zone, the check's progress, and its report.
#[component]
fn ChooseStep(wizard: Wizard) -> impl IntoView {
    let Wizard {
        file_label,
        phase,
        report,
        ..
    } = wizard;
    let busy = wizard.busy();
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        if let Some(file) = ChosenFile::from_drop(&ev) {
            wizard.choose(file);
        }
    };
    let checking = move || match phase.get() {
        Phase::Checking(p) => Some(p),
        _ => None,
    };
    view! {
        <Card title="1. Choose the file">
            <label class="dropzone" data-testid="dropzone"
                on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
                on:drop=on_drop>
                <input type="file" accept=".jsonl,.json,application/json" data-testid="file-input" disabled=move || busy.get()
                    on:change=move |ev| if let Some(file) = ChosenFile::from_input(&ev) { wizard.choose(file) }/>
                {move || match file_label.get() {
                    Some((n, size)) => view! { <span><strong>{n}</strong>" · "{megabytes(size)}</span> }.into_any(),
                    None => view! { <span>"Drop a file here, or click to choose one"</span> }.into_any(),
                }}
            </label>
            {move || checking().map(|p| view! {
                <div class="phase" data-testid="checking">
                    <p class="muted">{format!("Checking the file in your browser… {:.0}%", p * 100.0)}</p>
                    <Progress value=Signal::derive(move || checking().unwrap_or(1.0)) label="Validation progress"/>
                </div>
            })}
            {move || report.get().map(|r| view! {
                <div class="phase">
                    {if r.valid {
                        view! { <p class="alert alert-success" data-testid="precheck-ok">{format!("Looks good: {} trainable examples in {} conversations (token counts here are estimates; the server counts them exactly).", r.stats.trainable_examples, r.stats.conversations)}</p> }.into_any()
                    } else {
                        view! { <p class="alert alert-error" data-testid="precheck-failed">"This file has errors. Fix them and choose it again; nothing has been uploaded."</p> }.into_any()
                    }}
                    <ReportView report=r/>
                </div>
            })}
        </Card>
    }
}

/// 2. Name and description.
#[component]
fn DescribeStep(wizard: Wizard) -> impl IntoView {
    view! {
        <Card title="2. Describe it">
            <div class="field">
                <Label for_id="dataset-name">"Name"</Label>
                <Input id="dataset-name" name="name" value=wizard.name placeholder="EQ-12 financial conversations"/>
                <FieldError message=wizard.name_error()/>
            </div>
            <div class="field">
                <Label for_id="dataset-description">"Description (optional)"</Label>
                <Textarea id="dataset-description" value=wizard.description/>
            </div>
        </Card>
    }
}

/// 3. The upload's progress, what went wrong, and the buttons.
#[component]
fn UploadStep(wizard: Wizard) -> impl IntoView {
    let Wizard { phase, problem, .. } = wizard;
    let (can_upload, has_errors) = (wizard.can_upload(), wizard.has_errors());
    let fraction = move || match phase.get() {
        Phase::Uploading { fraction, .. } => fraction,
        _ => 1.0,
    };
    view! {
        <Card title="3. Upload">
            {move || match phase.get() {
                Phase::Uploading { detail, .. } => Some(view! {
                    <div class="phase" data-testid="uploading">
                        <Progress value=Signal::derive(fraction) label="Upload progress"/>
                        <p class="muted" data-testid="upload-detail">{detail}</p>
                    </div>
                }.into_any()),
                Phase::Confirming => Some(view! { <p class="muted">"Upload complete; confirming…"</p> }.into_any()),
                _ => None,
            }}
            {move || problem.get().map(|e| view! { <div class="alert alert-error" role="alert">{e}</div> })}
            <ActionError error=wizard.server_error() title="Could not upload the dataset."/>
            <div class="actions">
                <Button disabled=Signal::derive(move || !can_upload.get()) on_click=Callback::new(move |_| wizard.upload()) test_id="upload-button">
                    {move || if has_errors.get() { "Fix the errors to upload" } else { "Upload and validate" }}
                </Button>
                <Button variant="secondary" on_click=Callback::new(move |_| wizard.cancel()) test_id="cancel-button">"Cancel"</Button>
                <a class="btn btn-ghost btn-md" href="/datasets">"Back to datasets"</a>
            </div>
        </Card>
    }
}
