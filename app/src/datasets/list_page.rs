//! `/datasets`: every dataset with its status, filters, search, pages.

use super::api::list_datasets;
use super::status_badge::{DatasetStatusBadge, megabytes};
use crate::ui::{EmptyState, ErrorDisplay, Skeleton};
use brightrun::DatasetStatus;
use brightrun::url::with_filter;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

#[component]
pub fn DatasetsPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).filter(|v| !v.is_empty());
    let page = move || get("page").and_then(|p| p.parse::<u32>().ok()).unwrap_or(1);
    let datasets = Resource::new(
        move || (get("status"), get("format"), get("q"), page()),
        |(status, format, q, page)| list_datasets(status, format, q, Some(page)),
    );
    let navigate = use_navigate();
    let set_param = move |key: &'static str, value: String| {
        navigate(
            &with_filter("/datasets", &["status", "format", "q"], get, key, &value),
            Default::default(),
        );
    };
    let set_status = set_param.clone();
    let set_format = set_param.clone();
    let set_q = set_param;
    view! {
        <leptos_meta::Title text="Datasets · BrightRun"/>
        <header class="page-header">
            <div><h1>"Datasets"</h1><p class="muted">"Conversation datasets, validated before training."</p></div>
            <a class="btn btn-primary btn-md" href="/datasets/new">"Upload dataset"</a>
        </header>
        <div class="filters">
            <input class="input" type="search" placeholder="Search by name" aria-label="Search by name"
                prop:value=move || get("q").unwrap_or_default()
                on:change=move |ev| set_q("q", event_target_value(&ev))/>
            <select class="input" aria-label="Status" prop:value=move || get("status").unwrap_or_default()
                on:change=move |ev| set_status("status", event_target_value(&ev))>
                <option value="">"Any status"</option>
                {DatasetStatus::ALL.iter().map(|s| view! { <option value=s.as_str()>{super::status_badge::label(*s)}</option> }).collect_view()}
            </select>
            <select class="input" aria-label="Format" prop:value=move || get("format").unwrap_or_default()
                on:change=move |ev| set_format("format", event_target_value(&ev))>
                <option value="">"Any format"</option>
                <option value="brightrun_v4_jsonl">"brightrun-lora-v4 JSONL"</option>
                <option value="brightrun_v4_json">"brightrun-lora-v4 JSON"</option>
                <option value="brightrun_v3_json">"brightrun v3 JSON"</option>
                <option value="openai_chat_jsonl">"OpenAI chat JSONL"</option>
            </select>
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
                    Ok(p) => {
                        let pages = p.total.div_ceil(u64::from(p.per_page)).max(1) as u32;
                        let current = p.page;
                        view! {
                            <div class="card-grid" data-testid="dataset-list">
                                {p.items.into_iter().map(|d| view! {
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
                                }).collect_view()}
                            </div>
                            <nav class="pagination" aria-label="Pages">
                                <span class="muted">{format!("{} datasets · page {current} of {pages}", p.total)}</span>
                                {(current > 1).then(|| view! { <a class="btn btn-secondary btn-sm" href=format!("?page={}", current - 1)>"Previous"</a> })}
                                {(current < pages).then(|| view! { <a class="btn btn-secondary btn-sm" href=format!("?page={}", current + 1)>"Next"</a> })}
                            </nav>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
