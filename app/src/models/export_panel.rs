//! The export card: each of the five export formats with what it is for,
//! and its export's state — a button to start it, a progress bar while it
//! runs (the list is read again every second while any export is active),
//! download links once completed, the reason and a retry when it failed.
//! The card owns the `export_model` server action; each row its links.

use super::api::{ExportModel, list_model_exports};
use super::export_row::ExportRow;
use crate::ui::{ActionError, ActionErrors, Card};
use brightrun::models::{ExportFormat, ModelExport};
use leptos::prelude::*;
use std::time::Duration;
use uuid::Uuid;

const REFRESH: Duration = Duration::from_secs(1);

#[component]
pub fn ExportPanel(id: Uuid, exports: Vec<ModelExport>) -> impl IntoView {
    let current = RwSignal::new(exports);
    // Bumped when a read fails, so that the next one is still scheduled.
    let failed_reads = RwSignal::new(0u32);
    let ask = ServerAction::<ExportModel>::new();
    // The queued export answers at once: shown before the next read.
    Effect::new(move |_| {
        if let Some(Ok(queued)) = ask.value().get() {
            current.update(|list| replace(list, queued));
        }
    });
    Effect::new(move |_| {
        failed_reads.track();
        if current.with(|list| list.iter().any(|e| e.status.is_active())) {
            crate::ui::timer::after(move || refresh(id, current, failed_reads), REFRESH);
        }
    });
    view! {
        <Card title="Export">
            <p class="muted small">"Run the model without BrightRun: merged into its base for vLLM, TGI or transformers, or as GGUF for llama.cpp, Ollama and LM Studio. Each export is made once and kept with the model."</p>
            <ActionError error=ask.last_error() title="Could not start the export."/>
            <ul class="export-list" data-testid="export-list">
                {ExportFormat::ALL.into_iter().map(|format| {
                    // A memo: a row re-renders only when its own export changed
                    // (its fetched links stay while another export runs).
                    let export = Memo::new(move |_| {
                        current.with(|list| list.iter().find(|e| e.format == format).cloned())
                    });
                    view! { <ExportRow id format export ask/> }
                }).collect_view()}
            </ul>
        </Card>
    }
}

/// Puts `export` in the list in place of the one of its format.
fn replace(list: &mut Vec<ModelExport>, export: ModelExport) {
    list.retain(|e| e.format != export.format);
    list.push(export);
}

/// Reads the model's exports again (in the browser); after an error the
/// next read is scheduled all the same.
fn refresh(id: Uuid, current: RwSignal<Vec<ModelExport>>, failed_reads: RwSignal<u32>) {
    let read = async move {
        match list_model_exports(id).await {
            Ok(list) => drop(current.try_set(list)),
            Err(_) => drop(failed_reads.try_update(|n| *n += 1)),
        }
    };
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(read);
    #[cfg(not(feature = "hydrate"))]
    drop(read);
}
