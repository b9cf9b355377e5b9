use crate::ui::EmptyState;
use leptos::prelude::*;

#[component]
pub fn NotificationsPage() -> impl IntoView {
    view! {
        <leptos_meta::Title text="Notifications · BrightRun"/>
        <header class="page-header"><h1>"Notifications"</h1></header>
        <EmptyState
            icon="◎"
            title="You're all caught up"
            message="Dataset validation results, job progress, finished adapters and budget alerts will appear here."
        />
    }
}
