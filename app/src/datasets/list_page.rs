//! `/datasets`: every dataset with its status, filters, search, pages.

use super::api::list_datasets;
use super::status_badge::{DatasetStatusBadge, megabytes};
use crate::ui::{EmptyState, ErrorDisplay, PageLinks, Select, Skeleton, use_list_filters};
use brightrun::DatasetStatus;
use brightrun::datasets::Dataset;
use leptos::prelude::*;

#[component]
pub fn DatasetsPage() -> impl IntoView {
    let filters = use_list_filters("/datasets", &["status", "format", "q"]);
    let datasets = Resource::new(
        move || {
            (
                filters.get("status"),
                filters.get("format"),
                filters.get("q"),
                filters.page(),
            )
        },
        |(status, format, q, page)| list_datasets(status, format, q, Some(page)),
    );
    view! {
        <leptos_meta::Title text="Datasets · BrightRun"/>
        <header class="page-header">
            <div><h1>"Datasets"</h1><p class="muted">"Conversation datasets, validated before training."</p></div>
            <a class="btn btn-primary btn-md" href="/datasets/new">"Upload dataset"</a>
        </header>
        <div class="filters">
            <input class="input" type="search" placeholder="Search by name" aria-label="Search by name"
                prop:value=move || filters.get("q").unwrap_or_default()
                on:change=move |ev| filters.set("q", event_target_value(&ev))/>
            <Select aria_label="Status" value=filters.value("status") on_change=filters.setter("status")>
                <option value="">"Any status"</option>
                {DatasetStatus::ALL.iter().map(|s| view! { <option value=s.as_str()>{super::status_badge::label(*s)}</option> }).collect_view()}
            </Select>
            <Select aria_label="Format" value=filters.value("format") on_change=filters.setter("format")>
                <option value="">"Any format"</option>
                <option value="brightrun_v4_jsonl">"brightrun-lora-v4 JSONL"</option>
                <option value="brightrun_v4_json">"brightrun-lora-v4 JSON"</option>
                <option value="brightrun_v3_json">"brightrun v3 JSON"</option>
                <option value="openai_chat_jsonl">"OpenAI chat JSONL"</option>
            </Select>
        </div>
        <Transition fallback=|| view! { <Skeleton lines=4/> }>
            {move || Suspend::new(async move {
                match datasets.await {
                    Err(e) => view! { <ErrorDisplay error=e/> }.into_any(),
                    Ok(p) if p.items.is_empty() && p.page == 1 => view! {
                        <EmptyState icon="▤" title="No datasets yet"
                            message="Upload a brightrun-lora-v4 JSONL or JSON file, or OpenAI chat JSONL. It is checked line by line in your browser before upload, and again on the server with real token counts."
                            action_href="/datasets/new" action_label="Upload dataset"/>
                    }.into_any(),
                    Ok(p) => view! {
                        <div class="card-grid" data-testid="dataset-list">
                            {p.items.into_iter().map(|d| view! { <DatasetCard dataset=d/> }).collect_view()}
                        </div>
                        <PageLinks noun="datasets" total=p.total page=p.page per_page=p.per_page/>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// DatasetCard: one dataset in the list, linking to its page.
#[component]
pub fn DatasetCard(dataset: Dataset) -> impl IntoView {
    let d = dataset;
    view! {
        <a class="card dataset-card" href=format!("/datasets/{}", d.id)>
            <div class="dataset-card-head">
                <h3>{d.name.clone()}</h3>
                <DatasetStatusBadge status=d.status/>
            </div>
            <p class="muted small">{d.file_name.clone()}" · "{megabytes(d.size_bytes)}</p>
            <p class="small">
                {d.format.map(|f| f.label()).unwrap_or("format pending")}
                {d.trainable_examples.map(|n| format!(" · {n} examples"))}
                {d.total_tokens.map(|n| format!(" · {n} tokens"))}
            </p>
            <p class="muted small">{d.created_at.format("%Y-%m-%d %H:%M").to_string()}</p>
        </a>
    }
}
