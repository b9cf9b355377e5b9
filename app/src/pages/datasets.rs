use crate::ui::EmptyState;
use leptos::prelude::*;

#[component]
pub fn DatasetsPage() -> impl IntoView {
    view! {
        <leptos_meta::Title text="Datasets · BrightRun"/>
        <header class="page-header">
            <div><h1>"Datasets"</h1><p class="muted">"Conversation datasets, validated before training."</p></div>
        </header>
        <EmptyState
            icon="▤"
            title="No datasets yet"
            message="Upload a brightrun-lora-v4 JSONL or JSON file, or OpenAI chat JSONL. Each is checked line by line and gets token statistics."
        />
    }
}
