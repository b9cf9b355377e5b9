//! `/base-models`: the models jobs can start from that came from the Hub,
//! each with its download's progress (refreshed every second while one
//! downloads), and the form that adds one.

use super::add_form::AddForm;
use super::api::list_base_models;
use super::download_row::DownloadRow;
use crate::ui::{EmptyState, ErrorDisplay, Skeleton};
use brightrun::base_models::DownloadStatus;
use leptos::prelude::*;
use std::time::Duration;

#[component]
pub fn BaseModelsPage() -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let list = Resource::new(move || tick.get(), |_| list_base_models());
    let refresh = Callback::new(move |_| tick.update(|t| *t += 1));
    Effect::new(move |_| {
        let active = list
            .get()
            .and_then(|r| r.ok())
            .is_some_and(|l| l.iter().any(|m| m.status == DownloadStatus::Downloading));
        if active {
            set_timeout(move || tick.update(|t| *t += 1), Duration::from_secs(1));
        }
    });
    view! {
        <leptos_meta::Title text="Base models · BrightRun"/>
        <header class="page-header"><div>
            <h1>"Base models"</h1>
            <p class="muted">"Models from the Hugging Face Hub that jobs can start from. BrightRun checks the architecture before downloading and every file's checksum after."</p>
        </div></header>
        <AddForm on_added=refresh/>
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
                            {l.into_iter().map(|m| view! { <DownloadRow model=m on_change=refresh/> }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
