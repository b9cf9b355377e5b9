//! Settings' webhooks card: register a URL (its signing secret is shown
//! once), remove one, and see the latest delivery attempts.

use super::api::{create_webhook, delete_webhook, list_webhooks};
use crate::ui::{Badge, BadgeTone, Button, Card, ErrorDisplay, FieldError, Input, Label, Skeleton};
use brightrun::webhooks::{SIGNATURE_HEADER, TIMESTAMP_HEADER, Webhook};
use leptos::prelude::*;

#[component]
pub fn WebhooksCard() -> impl IntoView {
    let changed = RwSignal::new(0u32);
    let hooks = Resource::new(move || changed.get(), |_| list_webhooks());
    let url = RwSignal::new(String::new());
    let created = RwSignal::new(None::<Webhook>);
    let error = RwSignal::new(None::<String>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = url.get_untracked();
        leptos::task::spawn_local(async move {
            match create_webhook(value).await {
                Ok(hook) => {
                    error.set(None);
                    url.set(String::new());
                    created.set(Some(hook));
                    changed.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <Card title="Webhooks">
            <p class="muted small">
                "Every notification is POSTed as JSON to each URL here. Check the "<code>{SIGNATURE_HEADER}</code>
                " header: "<code>"sha256="</code>" and the hex HMAC-SHA256 of "<code>"<timestamp>.<body>"</code>" under the hook's secret, with the timestamp from "<code>{TIMESTAMP_HEADER}</code>
                " (refuse old ones). Failed deliveries are retried with growing waits. Receivers must be on public addresses."
            </p>
            <form class="inline-form" on:submit=add>
                <div class="field grow">
                    <Label for_id="webhook-url">"Receiver URL"</Label>
                    <Input id="webhook-url" name="url" value=url placeholder="https://hooks.example.com/brightrun"/>
                    <FieldError message=Signal::derive(move || error.get())/>
                </div>
                <Button button_type="submit" test_id="add-webhook">"Add webhook"</Button>
            </form>
            {move || created.get().and_then(|h| h.secret).map(|secret| view! {
                <div class="alert alert-success" data-testid="webhook-secret">
                    <p>"Copy the signing secret now; it will not be shown again."</p>
                    <code class="token-value">{secret}</code>
                </div>
            })}
            <Transition fallback=|| view! { <Skeleton lines=2/> }>
                {move || Suspend::new(async move {
                    match hooks.await {
                        Err(e) => view! { <ErrorDisplay error=e/> }.into_any(),
                        Ok((list, deliveries)) => view! {
                            {if list.is_empty() {
                                view! { <p class="muted">"No webhooks yet."</p> }.into_any()
                            } else {
                                view! {
                                    <table class="table" data-testid="webhook-list">
                                        <thead><tr><th>"URL"</th><th>"Added"</th><th></th></tr></thead>
                                        <tbody>
                                            {list.into_iter().map(|h| {
                                                let id = h.id;
                                                view! {
                                                    <tr>
                                                        <td><code>{h.url}</code></td>
                                                        <td>{h.created_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                                                        <td class="right">
                                                            <Button variant="danger" size="sm" on_click=Callback::new(move |_| {
                                                                leptos::task::spawn_local(async move {
                                                                    let _ = delete_webhook(id).await;
                                                                    changed.update(|n| *n += 1);
                                                                });
                                                            })>"Remove"</Button>
                                                        </td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }}
                            {(!deliveries.is_empty()).then(|| view! {
                                <h3 class="subhead">"Latest deliveries"</h3>
                                <table class="table" data-testid="webhook-deliveries">
                                    <thead><tr><th>"Event"</th><th>"Status"</th><th class="right">"Attempts"</th><th>"Last answer"</th><th>"When"</th></tr></thead>
                                    <tbody>
                                        {deliveries.into_iter().map(|d| {
                                            let tone = match d.status.as_str() {
                                                "delivered" => BadgeTone::Success,
                                                "failed" => BadgeTone::Danger,
                                                _ => BadgeTone::Warning,
                                            };
                                            let status = d.status.clone();
                                            view! {
                                                <tr data-status=d.status>
                                                    <td>{d.event}</td>
                                                    <td><Badge tone=tone>{status}</Badge></td>
                                                    <td class="right">{d.attempts}</td>
                                                    <td>{d.last_status_code.map(|c| format!("HTTP {c}")).or(d.last_error).unwrap_or_default()}</td>
                                                    <td>{d.delivered_at.or(d.next_attempt_at).unwrap_or(d.created_at).format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            })}
                        }.into_any(),
                    }
                })}
            </Transition>
        </Card>
    }
}
