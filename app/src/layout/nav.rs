use leptos::prelude::*;
use leptos_router::components::A;

/// Every section, in sidebar order: (path, label, icon, indented).
pub const NAV_ITEMS: &[(&str, &str, &str, bool)] = &[
    ("/", "Dashboard", "▦", false),
    ("/datasets", "Datasets", "▤", false),
    ("/training", "Training", "▶", false),
    ("/training/jobs", "Jobs", "·", true),
    ("/training/configure", "Configure", "·", true),
    ("/base-models", "Base models", "·", true),
    ("/models", "Models", "◈", false),
    ("/costs", "Costs", "$", false),
    ("/settings", "Settings", "⚙", false),
];

#[component]
pub fn Nav() -> impl IntoView {
    view! {
        <nav class="nav" aria-label="Sections">
            {NAV_ITEMS.iter().map(|(href, label, icon, sub)| view! {
                <A href=*href exact=true attr:class=if *sub { "nav-link nav-sub" } else { "nav-link" }>
                    <span class="nav-icon" aria-hidden="true">{*icon}</span>
                    <span>{*label}</span>
                </A>
            }).collect_view()}
        </nav>
    }
}
