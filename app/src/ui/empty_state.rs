use leptos::prelude::*;

/// What a section shows before it has anything: what goes here and the next step.
#[component]
pub fn EmptyState(
    #[prop(into)] title: String,
    #[prop(into)] message: String,
    #[prop(optional, into)] action_href: Option<String>,
    #[prop(optional, into)] action_label: Option<String>,
    #[prop(default = "◇")] icon: &'static str,
) -> impl IntoView {
    view! {
        <div class="empty-state">
            <div class="empty-icon" aria-hidden="true">{icon}</div>
            <h3>{title}</h3>
            <p class="muted">{message}</p>
            {action_href.map(|href| view! { <a class="btn btn-primary btn-md" href=href>{action_label.unwrap_or_default()}</a> })}
        </div>
    }
}
