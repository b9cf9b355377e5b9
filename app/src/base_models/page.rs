//! `/base-models`: the models jobs can start from that came from the Hub,
//! each with its download's progress (refreshed every second while one
//! downloads), and the form that adds one. The page owns the download and
//! delete server actions, so the list is read again when either ends.

use super::add_form::AddForm;
use super::api::{DeleteBaseModel, DownloadBaseModel, list_base_models};
use super::download_row::DownloadRow;
use crate::ui::{ActionError, ActionErrors, EmptyState, ErrorDisplay, Skeleton};
use brightrun::base_models::DownloadStatus;
use leptos::prelude::*;
use std::time::Duration;

#[component]
pub fn BaseModelsPage() -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let download = ServerAction::<DownloadBaseModel>::new();
    let remove = ServerAction::<DeleteBaseModel>::new();
    let list = Resource::new(
        move || (tick.get(), download.version().get(), remove.version().get()),
        |_| list_base_models(),
    );
    Effect::new(move |_| {
        let active = list
            .get()
            .and_then(|r| r.ok())
            .is_some_and(|l| l.iter().any(|m| m.status == DownloadStatus::Downloading));
        if active {
            crate::ui::timer::after(move || tick.update(|t| *t += 1), Duration::from_secs(1));
        }
    });
    view! {
        <leptos_meta::Title text="Base models · BrightRun"/>
        <header class="page-header"><div>
            <h1>"Base models"</h1>
            <p class="muted">"Models from the Hugging Face Hub that jobs can start from. BrightRun checks the architecture before downloading and every file's checksum after."</p>
        </div></header>
        <AddForm download/>
        <ActionError error=remove.last_error() title="Could not delete the model."/>
        <Transition fallback=|| view! { <Skeleton lines=3/> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => view! { <ErrorDisplay error=e/> }.into_any(),
                    Ok(l) if l.is_empty() => view! {
                        <EmptyState icon="⬇" title="No Hub models yet"
                            message="Look a model up by its Hub id above; once downloaded it is offered on the configure page."
                            action_href="/training/configure" action_label="Configure a job"/>
                    }.into_any(),
                    Ok(l) => view! {
                        <ul class="base-model-list" data-testid="base-model-list">
                            {l.into_iter().map(|m| view! { <DownloadRow model=m remove/> }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
