//! The bell in the header: unread count, refreshed every 30 seconds.

use super::api::unread_notifications;
use leptos::prelude::*;
use std::time::Duration;

pub const REFRESH: Duration = Duration::from_secs(30);

#[component]
pub fn NotificationBell() -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let count = Resource::new(move || tick.get(), |_| unread_notifications());
    Effect::new(move |_| {
        let handle = set_interval_with_handle(move || tick.update(|t| *t += 1), REFRESH).ok();
        on_cleanup(move || {
            if let Some(h) = handle {
                h.clear();
            }
        });
    });
    let unread = move || count.get().and_then(|r| r.ok()).unwrap_or(0);
    view! {
        <Transition fallback=|| view! { <a class="bell" href="/notifications" aria-label="Notifications"><BellIcon/></a> }>
            <a class="bell" href="/notifications" aria-label=move || format!("Notifications, {} unread", unread())>
                <BellIcon/>
                {move || (unread() > 0).then(|| view! { <span class="bell-count" data-testid="unread-count">{unread()}</span> })}
            </a>
        </Transition>
    }
}

#[component]
fn BellIcon() -> impl IntoView {
    view! {
        <svg class="bell-icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
            <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9"/>
            <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0"/>
        </svg>
    }
}
