//! `/models`: every trained adapter as a card with its base model, dataset,
//! date, rating and size; search, base model and lowest-rating filters in
//! the URL.

use super::api::list_models;
use super::stars::Stars;
use crate::datasets::status_badge::megabytes;
use crate::ui::{EmptyState, ErrorDisplay, Select, Skeleton, use_list_filters};
use leptos::prelude::*;

const FILTERS: &[&str] = &["q", "base_model", "min_rating"];

#[component]
pub fn ModelsPage() -> impl IntoView {
    let filters = use_list_filters("/models", FILTERS);
    let models = Resource::new(
        move || {
            (
                filters.get("q"),
                filters.get("base_model"),
                filters.get("min_rating"),
            )
        },
        |(q, base, rating)| list_models(q, base, rating.and_then(|r| r.parse().ok())),
    );
    let filtered = move || FILTERS.iter().any(|k| filters.get(k).is_some());
    view! {
        <leptos_meta::Title text="Models · BrightRun"/>
        <header class="page-header"><div><h1>"Models"</h1><p class="muted">"Trained LoRA adapters, ready to download."</p></div></header>
        <div class="filters">
            <input class="input" type="search" placeholder="Search name, dataset, base model" aria-label="Search models" data-testid="model-search"
                prop:value=move || filters.get("q").unwrap_or_default()
                on:change=move |ev| filters.set("q", event_target_value(&ev))/>
            <input class="input" type="text" placeholder="Base model" aria-label="Base model"
                prop:value=move || filters.get("base_model").unwrap_or_default()
                on:change=move |ev| filters.set("base_model", event_target_value(&ev))/>
            <Select aria_label="Lowest rating" value=filters.value("min_rating") on_change=filters.setter("min_rating")>
                <option value="">"Any rating"</option>
                {(1..=5u8).rev().map(|r| view! { <option value=r.to_string()>{format!("{} stars or more", r)}</option> }).collect_view()}
            </Select>
        </div>
        <Transition fallback=|| view! { <Skeleton lines=4/> }>
            {move || Suspend::new(async move {
                match models.await {
                    Err(e) => view! { <ErrorDisplay error=e/> }.into_any(),
                    Ok(list) if list.is_empty() && filtered() => view! {
                        <EmptyState icon="◈" title="No model matches" message="Change the search or the filters." action_href="/models" action_label="Clear filters"/>
                    }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <EmptyState icon="◈" title="No models yet"
                            message="When a training job completes its adapter appears here with quality metrics, loss curves and downloads in PEFT format."
                            action_href="/training/configure" action_label="Train a model"/>
                    }.into_any(),
                    Ok(list) => view! {
                        <div class="card-grid" data-testid="model-list">
                            {list.into_iter().map(|m| view! {
                                <a class="card dataset-card" href=format!("/models/{}", m.id) data-testid="model-card">
                                    <div class="dataset-card-head"><h3>{m.name.clone()}</h3><Stars rating=m.rating/></div>
                                    <p class="muted small">{format!("{} · {}", m.base_model, megabytes(m.size_bytes))}</p>
                                    <p class="small">{format!("Dataset {}", m.dataset_name)}</p>
                                    {m.parent_model_id.map(|_| view! { <p class="small muted">"continued from an earlier version"</p> })}
                                    <p class="muted small">{m.created_at.format("%Y-%m-%d %H:%M").to_string()}</p>
                                </a>
                            }).collect_view()}
                        </div>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
