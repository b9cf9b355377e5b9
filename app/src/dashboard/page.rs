//! The home page: the user's counts at a glance and the three steps from a
//! dataset to an adapter.

use super::api::load_dashboard;
use crate::ui::{Card, StatsCard};
use leptos::prelude::*;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let summary = Resource::new(|| (), |_| load_dashboard());
    view! {
        <leptos_meta::Title text="Dashboard · BrightRun"/>
        <header class="page-header">
            <div>
                <h1>"Dashboard"</h1>
                <p class="muted">"From conversation dataset to LoRA adapter, with the cost in view."</p>
            </div>
            <a class="btn btn-primary btn-md" href="/datasets">"Upload a dataset"</a>
        </header>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let s = summary.await.unwrap_or_default();
                view! {
                    <div class="stats-grid" data-testid="dashboard-stats">
                        <StatsCard label="Datasets" value=s.ready_datasets.to_string() detail=format!("ready to train, of {}", s.datasets)/>
                        <StatsCard label="Active jobs" value=s.active_jobs.to_string() detail="queued or running"/>
                        <StatsCard label="Models" value=s.models.to_string() detail="adapters trained"/>
                        <StatsCard label="This month" value=format!("${:.2}", s.month_cost) detail="compute and storage"/>
                    </div>
                }
            })}
        </Transition>
        <Card title="Getting started">
            <ol class="steps">
                <li><strong>"Upload"</strong>" a brightrun-lora-v4 or OpenAI chat dataset; it is validated with real token statistics."</li>
                <li><strong>"Configure"</strong>" a run: pick a preset and a GPU, and see the cost before starting."</li>
                <li><strong>"Watch"</strong>" the loss fall live, then download an adapter that PEFT, vLLM or LoRAX loads unchanged."</li>
            </ol>
        </Card>
    }
}
