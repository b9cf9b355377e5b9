//! One base model download: its name, architecture and size, a progress bar
//! while it downloads, the reason when it failed, and "Delete" (the page's
//! `delete_base_model` server action).

use super::api::DeleteBaseModel;
use crate::ui::format::parameters;
use crate::ui::{Badge, BadgeTone, Button, Progress};
use brightrun::base_models::files::human_bytes;
use brightrun::base_models::{BaseModelDownload, DownloadStatus};
use leptos::prelude::*;

fn tone(status: DownloadStatus) -> BadgeTone {
    match status {
        DownloadStatus::Downloading => BadgeTone::Info,
        DownloadStatus::Ready => BadgeTone::Success,
        DownloadStatus::Failed => BadgeTone::Danger,
    }
}

#[component]
pub fn DownloadRow(
    model: BaseModelDownload,
    remove: ServerAction<DeleteBaseModel>,
) -> impl IntoView {
    let id = model.id;
    let fraction = model.percent() as f64 / 100.0;
    let downloading = model.status == DownloadStatus::Downloading;
    view! {
        <li class="card base-model" data-testid="base-model-row" data-name=model.name.clone()>
            <div class="base-model-head">
                <div>
                    <h3>{model.name.clone()}</h3>
                    <p class="muted">{format!("{} @ {} · {} · {} parameters · {}", model.hub_id, model.revision, model.architecture, parameters(model.parameters), human_bytes(model.total_bytes))}</p>
                </div>
                <span data-testid="base-model-status"><Badge tone=tone(model.status)>{model.status.as_str()}</Badge></span>
            </div>
            {downloading.then(|| view! {
                <Progress value=Signal::derive(move || fraction) label="Download progress"/>
                <p class="muted small" data-testid="base-model-progress">
                    {format!("{} of {} ({}%)", human_bytes(model.downloaded_bytes), human_bytes(model.total_bytes), model.percent())}
                </p>
            })}
            {model.error.clone().map(|e| view! {
                <p class=if downloading { "muted small" } else { "alert alert-error" } data-testid="base-model-error">{e}</p>
            })}
            <Button variant="ghost" size="sm" disabled=remove.pending() test_id="base-model-delete"
                on_click=Callback::new(move |_| { remove.dispatch(DeleteBaseModel { id }); })>
                {if downloading { "Stop and delete" } else { "Delete" }}
            </Button>
        </li>
    }
}
