use crate::ui::EmptyState;
use leptos::prelude::*;

#[component]
pub fn ModelsPage() -> impl IntoView {
    view! {
        <leptos_meta::Title text="Models · BrightRun"/>
        <header class="page-header"><div><h1>"Models"</h1><p class="muted">"Trained LoRA adapters, ready to download."</p></div></header>
        <EmptyState
            icon="◈"
            title="No models yet"
            message="When a training job completes its adapter appears here with quality metrics, loss curves and downloads in PEFT format."
        />
    }
}
