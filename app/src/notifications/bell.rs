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
        <Transition fallback=|| view! { <a class="bell" href="/notifications" aria-label="Notifications"><span aria-hidden="true">"🔔"</span></a> }>
            <a class="bell" href="/notifications" aria-label=move || format!("Notifications, {} unread", unread())>
                <span aria-hidden="true">"🔔"</span>
                {move || (unread() > 0).then(|| view! { <span class="bell-count" data-testid="unread-count">{unread()}</span> })}
            </a>
        </Transition>
    }
}
