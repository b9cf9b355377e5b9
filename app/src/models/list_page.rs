//! `/models`: every trained adapter as a card with its base model, dataset,
//! date, rating and size.

use super::api::list_models;
use super::stars::Stars;
use crate::datasets::status_badge::megabytes;
use crate::ui::{EmptyState, ErrorDisplay, Skeleton};
use leptos::prelude::*;

#[component]
pub fn ModelsPage() -> impl IntoView {
    let models = Resource::new(|| (), |_| list_models());
    view! {
        <leptos_meta::Title text="Models · BrightRun"/>
        <header class="page-header"><div><h1>"Models"</h1><p class="muted">"Trained LoRA adapters, ready to download."</p></div></header>
        <Suspense fallback=|| view! { <Skeleton lines=4/> }>
            {move || Suspend::new(async move {
                match models.await {
                    Err(e) => view! { <ErrorDisplay error=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <EmptyState icon="◈" title="No models yet"
                            message="When a training job completes its adapter appears here with quality metrics, loss curves and downloads in PEFT format."
                            action_href="/training/configure" action_label="Train a model"/>
                    }.into_any(),
                    Ok(list) => view! {
                        <div class="card-grid" data-testid="model-list">
                            {list.into_iter().map(|m| view! {
                                <a class="card dataset-card" href=format!("/models/{}", m.id)>
                                    <div class="dataset-card-head"><h3>{m.name.clone()}</h3><Stars rating=m.rating/></div>
                                    <p class="muted small">{format!("{} · {}", m.base_model, megabytes(m.size_bytes))}</p>
                                    <p class="small">{format!("Dataset {}", m.dataset_name)}</p>
                                    <p class="muted small">{m.created_at.format("%Y-%m-%d %H:%M").to_string()}</p>
                                </a>
                            }).collect_view()}
                        </div>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
