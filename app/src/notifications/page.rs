//! `/notifications`: every notification, newest first, with its link; mark
//! one read (opening it does too) or all of them. Marking is a server
//! action; the list reloads when one ends.

use super::api::{MarkAllNotificationsRead, MarkNotificationRead, list_notifications};
use super::time_ago::time_ago;
use crate::ui::{Button, EmptyState, ErrorDisplay, Skeleton};
use brightrun::notifications::{Notification, NotificationPage};
use leptos::prelude::*;

pub const PER_PAGE: u32 = 30;

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let page = RwSignal::new(1u32);
    let mark_one = ServerAction::<MarkNotificationRead>::new();
    let mark_all = ServerAction::<MarkAllNotificationsRead>::new();
    let list = Resource::new(
        move || {
            (
                mark_one.version().get(),
                mark_all.version().get(),
                page.get(),
            )
        },
        |(.., page)| list_notifications(page, PER_PAGE),
    );
    view! {
        <leptos_meta::Title text="Notifications · BrightRun"/>
        <header class="page-header">
            <div><h1>"Notifications"</h1><p class="muted">"Datasets validated, jobs started and finished, adapters ready, budget alerts."</p></div>
            <Button variant="secondary" on_click=Callback::new(move |_| { mark_all.dispatch(MarkAllNotificationsRead {}); })
                disabled=mark_all.pending() test_id="mark-all-read">"Mark all read"</Button>
        </header>
        <Transition fallback=|| view! { <Skeleton lines=5/> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => view! { <ErrorDisplay error=e/> }.into_any(),
                    Ok(p) if p.items.is_empty() => view! {
                        <EmptyState icon="◎" title="You're all caught up"
                            message="Dataset validation results, job progress, finished adapters and budget alerts will appear here."/>
                    }.into_any(),
                    Ok(p) => view! { <NotificationList list=p page mark_one/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn NotificationList(
    list: NotificationPage,
    page: RwSignal<u32>,
    mark_one: ServerAction<MarkNotificationRead>,
) -> impl IntoView {
    let pages = list.total.div_ceil(u64::from(list.per_page)).max(1) as u32;
    let current = list.page;
    view! {
        <p class="muted small" data-testid="unread-summary">{format!("{} unread of {}", list.unread, list.total)}</p>
        <ul class="notification-list" data-testid="notification-list">
            {list.items.into_iter().map(|n| view! { <NotificationItem notification=n mark_one/> }).collect_view()}
        </ul>
        {(pages > 1).then(|| view! {
            <nav class="pagination">
                <Button variant="secondary" size="sm" disabled=Signal::derive(move || current <= 1) on_click=Callback::new(move |_| page.update(|p| *p = p.saturating_sub(1).max(1)))>"Newer"</Button>
                <span class="muted small">{format!("Page {current} of {pages}")}</span>
                <Button variant="secondary" size="sm" disabled=Signal::derive(move || current >= pages) on_click=Callback::new(move |_| page.update(|p| *p += 1))>"Older"</Button>
            </nav>
        })}
    }
}

#[component]
fn NotificationItem(
    notification: Notification,
    mark_one: ServerAction<MarkNotificationRead>,
) -> impl IntoView {
    let n = notification;
    let id = n.id;
    let read = n.read;
    let mark = move || {
        mark_one.dispatch(MarkNotificationRead { id });
    };
    view! {
        <li class=if read { "notification read" } else { "notification unread" }
            data-testid="notification" data-kind=n.kind.as_str() data-read=read.to_string()>
            <div class="notification-body">
                <strong>{n.title.clone()}</strong>
                <p>{n.message.clone()}</p>
                <p class="muted small">
                    {time_ago(n.created_at)}
                    {n.link.clone().map(|href| view! { " · "<a href=href on:click=move |_| mark()>"Open"</a> })}
                </p>
            </div>
            {(!read).then(|| view! {
                <Button variant="ghost" size="sm" on_click=Callback::new(move |_| mark()) test_id="mark-read">"Mark read"</Button>
            })}
        </li>
    }
}
