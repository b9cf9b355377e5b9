//! One export format on the model page: its label and what it is for, then
//! by the state of its export "Export" (none yet), a progress bar (queued
//! or running), the size and "Get download links" (completed: links are
//! signed when asked for, valid an hour), or the reason and "Retry"
//! (failed).

use super::api::{ExportModel, ModelExportLinks};
use crate::ui::{ActionError, ActionErrors, Badge, BadgeTone, Button, Progress};
use brightrun::base_models::files::human_bytes;
use brightrun::models::{ExportDownload, ExportFormat, ExportStatus, ModelExport};
use leptos::prelude::*;
use uuid::Uuid;

fn tone(status: ExportStatus) -> BadgeTone {
    match status {
        ExportStatus::Queued | ExportStatus::Running => BadgeTone::Info,
        ExportStatus::Completed => BadgeTone::Success,
        ExportStatus::Failed => BadgeTone::Danger,
    }
}

#[component]
pub fn ExportRow(
    id: Uuid,
    format: ExportFormat,
    #[prop(into)] export: Signal<Option<ModelExport>>,
    ask: ServerAction<ExportModel>,
) -> impl IntoView {
    let start = Callback::new(move |_| {
        ask.dispatch(ExportModel { id, format });
    });
    view! {
        <li class="export-row" data-testid="export-row" data-format=format.as_str()>
            <div class="export-head">
                <div>
                    <strong>{format.label()}</strong>
                    <p class="muted small">{format.description()}</p>
                </div>
                {move || export.get().map(|e| view! {
                    <span data-testid="export-status"><Badge tone=tone(e.status)>{e.status.as_str()}</Badge></span>
                })}
            </div>
            {move || match export.get() {
                None => view! {
                    <Button variant="secondary" size="sm" disabled=ask.pending() on_click=start test_id="export-start">"Export"</Button>
                }.into_any(),
                Some(e) if e.status.is_active() => view! { <ExportRunning export=e/> }.into_any(),
                Some(e) if e.status == ExportStatus::Completed => view! { <ExportLinks id export=e/> }.into_any(),
                Some(e) => view! {
                    <p class="alert alert-error" data-testid="export-error">{e.error.unwrap_or_else(|| "The export failed.".into())}</p>
                    <Button variant="secondary" size="sm" disabled=ask.pending() on_click=start test_id="export-retry">"Retry"</Button>
                }.into_any(),
            }}
        </li>
    }
}

#[component]
fn ExportRunning(export: ModelExport) -> impl IntoView {
    let fraction = f64::from(export.progress);
    let stage = match (export.status, export.stage) {
        (ExportStatus::Queued, _) => "Waiting for the exporter".to_string(),
        (_, Some(stage)) => capitalised(&stage),
        (_, None) => "Starting".to_string(),
    };
    view! {
        <Progress value=Signal::derive(move || fraction) label="Export progress"/>
        <p class="muted small" data-testid="export-progress">{format!("{stage} ({:.0}%)", fraction * 100.0)}</p>
    }
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[component]
fn ExportLinks(id: Uuid, export: ModelExport) -> impl IntoView {
    let format = export.format;
    let links = ServerAction::<ModelExportLinks>::new();
    let fetched = move || links.value().get().and_then(Result::ok);
    let summary = format!(
        "{} file{} · {}",
        export.files.len(),
        if export.files.len() == 1 { "" } else { "s" },
        human_bytes(export.size_bytes)
    );
    view! {
        <p class="muted small">{summary}</p>
        <ActionError error=links.last_error() title="Could not sign the links."/>
        {move || match fetched() {
            None => view! {
                <Button variant="secondary" size="sm" disabled=links.pending() test_id="export-links"
                    on_click=Callback::new(move |_| { links.dispatch(ModelExportLinks { id, format }); })>
                    "Get download links"
                </Button>
            }.into_any(),
            Some(d) => view! { <LinkList download=d/> }.into_any(),
        }}
    }
}

#[component]
fn LinkList(download: ExportDownload) -> impl IntoView {
    let expires = format!(
        "Links expire at {} UTC.",
        download.expires_at.format("%H:%M")
    );
    view! {
        <ul class="download-list" data-testid="export-download-links">
            {download.files.into_iter().map(|f| view! {
                <li>
                    <a href=f.url.clone() download=f.name.clone() rel="external" data-testid="export-file" data-name=f.name.clone()>{f.name.clone()}</a>
                    <span class="muted small">{f.size_bytes.map(|s| format!(" · {}", human_bytes(s))).unwrap_or_default()}</span>
                </li>
            }).collect_view()}
        </ul>
        <p class="muted small">{expires}</p>
    }
}
