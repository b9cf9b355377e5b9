use leptos::prelude::*;

#[component]
pub fn StatsCard(
    #[prop(into)] label: String,
    #[prop(into)] value: String,
    #[prop(optional, into)] detail: Option<String>,
) -> impl IntoView {
    view! {
        <div class="stats-card">
            <div class="stats-label">{label}</div>
            <div class="stats-value">{value}</div>
            {detail.map(|d| view! { <div class="stats-detail muted">{d}</div> })}
        </div>
    }
}
