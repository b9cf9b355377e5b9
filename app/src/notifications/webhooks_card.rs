//! Settings' webhooks card: register a URL (its signing secret is shown
//! once), remove one, and see the latest delivery attempts. Adding and
//! removing are server actions; the list reloads when one ends.

use super::api::{CreateWebhook, DeleteWebhook, list_webhooks};
use crate::ui::{
    ActionError, ActionErrors, Badge, BadgeTone, Button, Card, ErrorDisplay, FieldError, Input,
    Label, Skeleton,
};
use brightrun::webhooks::{Delivery, SIGNATURE_HEADER, TIMESTAMP_HEADER, Webhook};
use leptos::prelude::*;

#[component]
pub fn WebhooksCard() -> impl IntoView {
    let create = ServerAction::<CreateWebhook>::new();
    let remove = ServerAction::<DeleteWebhook>::new();
    let hooks = Resource::new(
        move || (create.version().get(), remove.version().get()),
        |_| list_webhooks(),
    );
    let url = RwSignal::new(String::new());
    // A registered URL leaves the field empty for the next one.
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            url.set(String::new());
        }
    });
    let error = create.last_error();
    let secret = move || {
        create
            .value()
            .get()
            .and_then(Result::ok)
            .and_then(|h| h.secret)
    };
    view! {
        <Card title="Webhooks">
            <p class="muted small">
                "Every notification is POSTed as JSON to each URL here. Check the "<code>{SIGNATURE_HEADER}</code>
                " header: "<code>"sha256="</code>" and the hex HMAC-SHA256 of "<code>"<timestamp>.<body>"</code>" under the hook's secret, with the timestamp from "<code>{TIMESTAMP_HEADER}</code>
                " (refuse old ones). Failed deliveries are retried with growing waits. Receivers must be on public addresses."
            </p>
            <ActionForm action=create attr:class="inline-form">
                <div class="field grow">
                    <Label for_id="webhook-url">"Receiver URL"</Label>
                    <Input id="webhook-url" name="url" value=url placeholder="https://hooks.example.com/brightrun"/>
                    <FieldError message=Signal::derive(move || error.get().map(|e| e.to_string()))/>
                </div>
                <Button button_type="submit" test_id="add-webhook" disabled=create.pending()>"Add webhook"</Button>
            </ActionForm>
            {move || secret().map(|secret| view! {
                <div class="alert alert-success" data-testid="webhook-secret">
                    <p>"Copy the signing secret now; it will not be shown again."</p>
                    <code class="token-value">{secret}</code>
                </div>
            })}
            <ActionError error=remove.last_error() title="Could not remove the webhook."/>
            <Transition fallback=|| view! { <Skeleton lines=2/> }>
                {move || Suspend::new(async move {
                    match hooks.await {
                        Err(e) => view! { <ErrorDisplay error=e/> }.into_any(),
                        Ok((list, deliveries)) => view! {
                            <WebhookList list remove/>
                            <DeliveryList deliveries/>
                        }.into_any(),
                    }
                })}
            </Transition>
        </Card>
    }
}

#[component]
fn WebhookList(list: Vec<Webhook>, remove: ServerAction<DeleteWebhook>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted">"No webhooks yet."</p> }.into_any();
    }
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
                                <Button variant="danger" size="sm" disabled=remove.pending()
                                    on_click=Callback::new(move |_| { remove.dispatch(DeleteWebhook { id }); })>"Remove"</Button>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// The latest delivery attempts, when there are any.
#[component]
fn DeliveryList(deliveries: Vec<Delivery>) -> impl IntoView {
    (!deliveries.is_empty()).then(|| view! {
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
    })
}
