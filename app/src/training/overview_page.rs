//! The training section's front page: where to follow runs and where to
//! configure one.

use crate::ui::Card;
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
