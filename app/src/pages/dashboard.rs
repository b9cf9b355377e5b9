use crate::ui::{Card, StatsCard};
use leptos::prelude::*;

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <leptos_meta::Title text="Dashboard · BrightRun"/>
        <header class="page-header">
            <div>
                <h1>"Dashboard"</h1>
                <p class="muted">"From conversation dataset to LoRA adapter, with the cost in view."</p>
            </div>
            <a class="btn btn-primary btn-md" href="/datasets">"Upload a dataset"</a>
        </header>
        <div class="stats-grid">
            <StatsCard label="Datasets" value="0" detail="ready to train"/>
            <StatsCard label="Active jobs" value="0" detail="queued or running"/>
            <StatsCard label="Models" value="0" detail="adapters trained"/>
            <StatsCard label="This month" value="$0.00" detail="compute and storage"/>
        </div>
        <Card title="Getting started">
            <ol class="steps">
                <li><strong>"Upload"</strong>" a brightrun-lora-v4 or OpenAI chat dataset; it is validated with real token statistics."</li>
                <li><strong>"Configure"</strong>" a run: pick a preset and a GPU, and see the cost before starting."</li>
                <li><strong>"Watch"</strong>" the loss fall live, then download an adapter that PEFT, vLLM or LoRAX loads unchanged."</li>
            </ol>
        </Card>
    }
}
