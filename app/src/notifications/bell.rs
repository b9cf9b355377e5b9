//! The bell in the header: the unread count, refreshed every 30 seconds, and
//! a dropdown of the latest notifications with a link to all of them.
//! Opening one marks it read (the `mark_notification_read` server action)
//! and the count follows.

use super::api::{MarkNotificationRead, list_notifications, unread_notifications};
use super::time_ago::time_ago;
use brightrun::notifications::LATEST;
use leptos::prelude::*;
use std::time::Duration;

pub const REFRESH: Duration = Duration::from_secs(30);

#[component]
pub fn NotificationBell() -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let open = RwSignal::new(false);
    // Owned here, not by the dropdown, which closes as the request starts.
    let mark_read = ServerAction::<MarkNotificationRead>::new();
    let count = Resource::new(
        move || (tick.get(), mark_read.version().get()),
        |_| unread_notifications(),
    );
    // Stopped when the bell is unmounted.
    Effect::new(move |_| crate::ui::timer::every(move || tick.update(|t| *t += 1), REFRESH));
    let unread = move || count.get().and_then(|r| r.ok()).unwrap_or(0);
    view! {
        <div class="bell-wrap">
            <Transition fallback=move || view! {
                <button type="button" class="bell" data-testid="bell" aria-label="Notifications"
                    on:click=move |_| open.update(|o| *o = !*o)><BellIcon/></button>
            }>
                <button type="button" class="bell" data-testid="bell" aria-haspopup="true" aria-expanded=move || open.get().to_string()
                    aria-label=move || format!("Notifications, {} unread", unread())
                    on:click=move |_| open.update(|o| *o = !*o)>
                    <BellIcon/>
                    {move || (unread() > 0).then(|| view! { <span class="bell-count" data-testid="unread-count">{unread()}</span> })}
                </button>
            </Transition>
            {move || open.get().then(|| view! { <BellMenu open mark_read/> })}
        </div>
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

/// The dropdown: the latest notifications, fetched when it opens.
#[component]
fn BellMenu(open: RwSignal<bool>, mark_read: ServerAction<MarkNotificationRead>) -> impl IntoView {
    let latest = Resource::new(|| (), |_| list_notifications(1, LATEST));
    view! {
        <div class="bell-menu" data-testid="bell-menu" role="menu">
            <Transition fallback=|| view! { <p class="muted small">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match latest.await {
                        Ok(p) if !p.items.is_empty() => view! {
                            <ul>
                                {p.items.into_iter().map(|n| {
                                    let id = n.id;
                                    let href = n.link.clone().unwrap_or_else(|| "/notifications".into());
                                    view! {
                                        <li class=if n.read { "read" } else { "unread" }>
                                            <a href=href on:click=move |_| {
                                                open.set(false);
                                                mark_read.dispatch(MarkNotificationRead { id });
                                            }>
                                                <strong>{n.title.clone()}</strong>
                                                <span class="small">{n.message.clone()}</span>
                                                <span class="muted small">{time_ago(n.created_at)}</span>
                                            </a>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Ok(_) => view! { <p class="muted small">"Nothing new."</p> }.into_any(),
                        Err(e) => view! { <p class="muted small">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            <a class="bell-all" href="/notifications" on:click=move |_| open.set(false)>"All notifications"</a>
        </div>
    }
}
