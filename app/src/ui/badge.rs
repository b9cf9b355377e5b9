use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BadgeTone {
    #[default]
    Neutral,
    Info,
    Success,
    Warning,
    Danger,
}

impl BadgeTone {
    fn class(self) -> &'static str {
        match self {
            Self::Neutral => "badge-neutral",
            Self::Info => "badge-info",
            Self::Success => "badge-success",
            Self::Warning => "badge-warning",
            Self::Danger => "badge-danger",
        }
    }
}

#[component]
pub fn Badge(children: Children, #[prop(optional)] tone: BadgeTone) -> impl IntoView {
    view! { <span class=format!("badge {}", tone.class())>{children()}</span> }
}
