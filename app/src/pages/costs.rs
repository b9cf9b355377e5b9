use crate::ui::{EmptyState, StatsCard};
use leptos::prelude::*;

#[component]
pub fn CostsPage() -> impl IntoView {
    view! {
        <leptos_meta::Title text="Costs · BrightRun"/>
        <header class="page-header"><div><h1>"Costs"</h1><p class="muted">"Compute, storage and transfer, by month and by job."</p></div></header>
        <div class="stats-grid">
            <StatsCard label="This month" value="$0.00"/>
            <StatsCard label="Compute" value="$0.00"/>
            <StatsCard label="Storage" value="$0.00"/>
        </div>
        <EmptyState icon="$" title="Nothing billed yet" message="Costs are recorded while jobs run and for what you store."/>
    }
}
