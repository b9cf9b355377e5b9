//! The model page's header: name, rating, base model, size and where it
//! came from, and its actions — continue training, edit (the form opens
//! below), and delete after the kit's AlertDialog asks.

use super::api::DeleteModel;
use super::edit_form::EditForm;
use super::stars::Stars;
use crate::datasets::status_badge::megabytes;
use crate::ui::{ActionError, ActionErrors, AlertDialog, Button};
use brightrun::models::Model;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// `changed` is bumped when an edit is saved, so the page reloads the model.
#[component]
pub fn ModelHeader(model: Model, changed: RwSignal<u32>) -> impl IntoView {
    let m = model;
    let id = m.id;
    let editing = RwSignal::new(false);
    let confirm_delete = RwSignal::new(false);
    let delete = ServerAction::<DeleteModel>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            navigate("/models", Default::default());
        }
    });
    let continue_href = format!(
        "/training/configure?datasetId={}&parentModelId={}",
        m.dataset_id, m.id
    );
    view! {
        <leptos_meta::Title text=format!("{} · BrightRun", m.name)/>
        <header class="page-header">
            <div>
                <h1 data-testid="model-name">{m.name.clone()}</h1>
                <p class="muted">
                    <Stars rating=m.rating/>
                    {format!(" LoRA adapter on {} · {} · ", m.base_model, megabytes(m.size_bytes))}
                    <a href=format!("/datasets/{}", m.dataset_id)>{m.dataset_name.clone()}</a>
                    " · "
                    <a href=format!("/training/jobs/{}", m.job_id) data-testid="model-job-link">"training job"</a>
                </p>
                {m.description.clone().map(|d| view! { <p class="model-description" data-testid="model-description">{d}</p> })}
            </div>
            <div class="header-actions">
                <a class="btn btn-primary btn-md" href=continue_href data-testid="continue-training">"Continue training"</a>
                <Button variant="secondary" on_click=Callback::new(move |_| editing.update(|e| *e = !*e)) test_id="edit-model">"Edit"</Button>
                <Button variant="danger" on_click=Callback::new(move |_| confirm_delete.set(true)) test_id="delete-model">"Delete"</Button>
            </div>
        </header>
        <AlertDialog open=confirm_delete label="Confirm delete"
            message="Delete this model? It leaves your lists now and its files are removed from storage within the hour. Models continued from it keep their own weights."
            confirm_label="Delete model" cancel_label="Keep it" confirm_test_id="confirm-delete-model"
            pending=delete.pending() on_confirm=Callback::new(move |_| { delete.dispatch(DeleteModel { id }); })/>
        <ActionError error=delete.last_error() title="Could not delete the model."/>
        {move || editing.get().then(|| view! {
            <EditForm id name=m.name.clone() description=m.description.clone().unwrap_or_default()
                on_saved=Callback::new(move |_| { editing.set(false); changed.update(|c| *c += 1); })/>
        })}
    }
}
