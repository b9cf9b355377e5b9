use crate::ui::{Card, EmptyState};
use leptos::prelude::*;

#[component]
pub fn TrainingPage() -> impl IntoView {
    view! {
        <leptos_meta::Title text="Training · BrightRun"/>
        <header class="page-header"><div><h1>"Training"</h1><p class="muted">"Configure runs and follow them live."</p></div></header>
        <div class="card-grid">
            <Card title="Jobs">
                <p class="muted">"Every run with its status, progress, loss and cost so far."</p>
                <a class="btn btn-secondary btn-md" href="/training/jobs">"View jobs"</a>
            </Card>
            <Card title="Configure">
                <p class="muted">"Pick a ready dataset, a preset and a GPU; the estimate updates as you go."</p>
                <a class="btn btn-secondary btn-md" href="/training/configure">"Configure a run"</a>
            </Card>
        </div>
    }
}

#[component]
pub fn JobsPage() -> impl IntoView {
    view! {
        <leptos_meta::Title text="Jobs · BrightRun"/>
        <header class="page-header"><div><h1>"Jobs"</h1></div></header>
        <EmptyState
            icon="▶"
            title="No training jobs yet"
            message="Start a run from Configure; it appears here with live progress and loss."
            action_href="/training/configure"
            action_label="Configure a run"
        />
    }
}

#[component]
pub fn ConfigurePage() -> impl IntoView {
    view! {
        <leptos_meta::Title text="Configure · BrightRun"/>
        <header class="page-header"><div><h1>"Configure a run"</h1></div></header>
        <EmptyState
            icon="⚙"
            title="No ready dataset to train on"
            message="A run starts from a validated dataset. Upload one first; presets, GPU choice and the cost estimate appear here once it is ready."
            action_href="/datasets"
            action_label="Go to datasets"
        />
    }
}
