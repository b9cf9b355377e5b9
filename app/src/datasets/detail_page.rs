//! `/datasets/{id}`: status (live while validating), statistics and the
//! token histogram, the validation report, sample conversations as a chat,
//! edit, delete with confirmation, and "Train on this dataset".

use super::api::{DeleteDataset, UpdateDataset, get_dataset};
use super::report_view::{ReportView, StatsPanel};
use super::status_badge::{DatasetStatusBadge, megabytes};
use crate::ui::{
    ActionError, ActionErrors, AlertDialog, Button, Card, EmptyState, ErrorDisplay, Progress,
    Skeleton,
};
use brightrun::DatasetStatus;
use brightrun::datasets::{Role, TrainingExample};
use leptos::prelude::*;
use std::time::Duration;
use uuid::Uuid;

#[component]
pub fn DatasetPage() -> impl IntoView {
    let id = crate::ui::use_id_param();
    let tick = RwSignal::new(0u32);
    let update = ServerAction::<UpdateDataset>::new();
    let detail = Resource::new(
        move || (id(), tick.get(), update.version().get()),
        |(id, _, _)| async move {
            match id {
                Some(id) => get_dataset(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    // While the server validates, refresh every second.
    Effect::new(move |_| {
        let active = detail
            .get()
            .and_then(|r| r.ok())
            .flatten()
            .is_some_and(|d| {
                matches!(
                    d.dataset.status,
                    DatasetStatus::Uploaded | DatasetStatus::Validating
                )
            });
        if active {
            crate::ui::timer::after(move || tick.update(|t| *t += 1), Duration::from_secs(1));
        }
    });
    view! {
        <Transition fallback=|| view! { <Skeleton lines=6/> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(e) => view! { <ErrorDisplay error=e/> }.into_any(),
                    Ok(None) => view! { <EmptyState title="Dataset not found" message="It may have been deleted." action_href="/datasets" action_label="All datasets"/> }.into_any(),
                    Ok(Some(d)) => {
                        let ds = d.dataset.clone();
                        let progress = if ds.size_bytes > 0 { ds.progress_bytes as f64 / ds.size_bytes as f64 } else { 0.0 };
                        view! {
                            <leptos_meta::Title text=format!("{} · BrightRun", ds.name)/>
                            <header class="page-header">
                                <div>
                                    <h1>{ds.name.clone()}</h1>
                                    <p class="muted">
                                        <DatasetStatusBadge status=ds.status/>
                                        " "{ds.file_name.clone()}" · "{megabytes(ds.size_bytes)}
                                        {ds.format.map(|f| format!(" · {}", f.label()))}
                                    </p>
                                    {ds.description.clone().map(|t| view! { <p>{t}</p> })}
                                </div>
                                {(ds.status == DatasetStatus::Ready).then(|| view! {
                                    <a class="btn btn-primary btn-md" href=format!("/training/configure?datasetId={}", ds.id) data-testid="train-link">"Train on this dataset"</a>
                                })}
                            </header>
                            {matches!(ds.status, DatasetStatus::Uploaded | DatasetStatus::Validating).then(|| view! {
                                <Card title="Validating on the server">
                                    <Progress value=Signal::derive(move || progress) label="Server validation progress"/>
                                    <p class="muted">{format!("{} of {} read", megabytes(ds.progress_bytes), megabytes(ds.size_bytes))}</p>
                                </Card>
                            })}
                            {d.report.clone().map(|r| view! {
                                <StatsPanel report=r.clone()/>
                                <Card title="Validation report"><ReportView report=r/></Card>
                            })}
                            {(!d.samples.is_empty()).then(|| view! {
                                <Card title="Sample conversations">
                                    {d.samples.clone().into_iter().map(|s| view! { <ChatSample example=s/> }).collect_view()}
                                </Card>
                            })}
                            <EditCard id=ds.id name=ds.name.clone() description=ds.description.clone().unwrap_or_default() action=update/>
                            <DeleteCard id=ds.id/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn ChatSample(example: TrainingExample) -> impl IntoView {
    view! {
        <div class="chat">
            {example.messages.into_iter().map(|m| {
                let (class, who) = match m.role {
                    Role::System => ("chat-msg chat-system", "system"),
                    Role::User => ("chat-msg chat-user", "user"),
                    Role::Assistant => ("chat-msg chat-assistant", "assistant (target)"),
                };
                view! { <div class=class><div class="chat-role">{who}</div><div class="chat-text">{m.content}</div></div> }
            }).collect_view()}
        </div>
    }
}

#[component]
fn EditCard(
    id: Uuid,
    name: String,
    description: String,
    action: ServerAction<UpdateDataset>,
) -> impl IntoView {
    view! {
        <Card title="Edit">
            <ActionForm action=action>
                <input type="hidden" name="id" value=id.to_string()/>
                <div class="field">
                    <label class="label" for="edit-name">"Name"</label>
                    <input class="input" id="edit-name" name="name" value=name/>
                </div>
                <div class="field">
                    <label class="label" for="edit-description">"Description"</label>
                    <textarea class="input" id="edit-description" name="description" rows="2">{description}</textarea>
                </div>
                <ActionError error=action.last_error() title="Could not save the dataset."/>
                <Button button_type="submit" variant="secondary" disabled=action.pending() test_id="save-dataset">"Save"</Button>
            </ActionForm>
        </Card>
    }
}

/// Delete, after the kit's AlertDialog asks; the server function then
/// sends the browser to the list.
#[component]
fn DeleteCard(id: Uuid) -> impl IntoView {
    let delete = ServerAction::<DeleteDataset>::new();
    let confirming = RwSignal::new(false);
    view! {
        <Card title="Delete">
            <p class="muted">"Deleting removes the dataset from your list; its file is removed from storage shortly after. Jobs already trained on it keep their results."</p>
            <Show when=move || confirming.get() fallback=move || view! {
                <Button variant="danger" on_click=Callback::new(move |_| confirming.set(true)) test_id="delete-dataset">"Delete dataset"</Button>
            }>
                <AlertDialog open=confirming label="Confirm delete" message="Delete this dataset? This cannot be undone."
                    confirm_label="Delete for good" cancel_label="Keep it" confirm_test_id="confirm-delete"
                    pending=delete.pending() on_confirm=Callback::new(move |_| { delete.dispatch(DeleteDataset { id }); })/>
            </Show>
            <ActionError error=delete.last_error() title="Could not delete the dataset."/>
        </Card>
    }
}
