//! `/settings`: the monthly budget, webhooks, and API tokens (create, shown
//! once; revoke).

use super::api::{CreateToken, RevokeToken, list_tokens};
use crate::costs::api::{get_budget, set_budget};
use crate::notifications::WebhooksCard;
use crate::ui::{
    Badge, BadgeTone, Button, Card, EmptyState, ErrorDisplay, FieldError, Input, Label, Skeleton,
};
use leptos::prelude::*;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    let token_name = RwSignal::new(String::new());
    let name_error = Signal::derive(move || {
        create
            .value()
            .get()
            .and_then(|r| r.err())
            .and_then(|e| e.for_field("name"))
    });
    view! {
        <leptos_meta::Title text="Settings · BrightRun"/>
        <header class="page-header">
            <div>
                <h1>"Settings"</h1>
                <p class="muted">"API tokens let scripts call the REST API as you: send "<code>"Authorization: Bearer <token>"</code>"."</p>
            </div>
        </header>
        <BudgetCard/>
        <WebhooksCard/>
        <Card title="Create an API token">
            <ActionForm action=create attr:class="inline-form">
                <div class="field grow">
                    <Label for_id="token-name">"Name"</Label>
                    <Input id="token-name" name="name" value=token_name placeholder="ci-upload-script"/>
                    <FieldError message=name_error/>
                </div>
                <div class="field">
                    <Label for_id="token-expiry">"Expires"</Label>
                    <select id="token-expiry" name="expires_in_days" class="input">
                        <option value="">"never"</option>
                        <option value="30">"in 30 days"</option>
                        <option value="90">"in 90 days"</option>
                        <option value="365">"in a year"</option>
                    </select>
                </div>
                <Button button_type="submit" disabled=create.pending()>"Create token"</Button>
            </ActionForm>
            {move || create.value().get().and_then(|r| r.ok()).map(|new| view! {
                <div class="alert alert-success" data-testid="new-token">
                    <p>"Copy this token now; it will not be shown again."</p>
                    <code class="token-value">{new.token}</code>
                </div>
            })}
        </Card>
        <Card title="Your tokens">
            <Suspense fallback=|| view! { <Skeleton lines=3/> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Err(e) => view! { <ErrorDisplay error=e/> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <EmptyState title="No API tokens yet" message="Create one above to use the REST API from scripts."/>
                        }.into_any(),
                        Ok(list) => view! {
                            <table class="table">
                                <thead><tr><th>"Name"</th><th>"Token"</th><th>"Created"</th><th>"Last used"</th><th>"Expires"</th><th></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|t| {
                                        let id = t.id;
                                        view! {
                                            <tr>
                                                <td>{t.name}</td>
                                                <td><code>{t.prefix}"…"</code></td>
                                                <td>{t.created_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                                                <td>{t.last_used_at.map(|d| d.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| "never".into())}</td>
                                                <td>{t.expires_at.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "never".into())}</td>
                                                <td class="right">
                                                    {match (t.revoked_at, t.expires_at.is_some_and(|e| e <= chrono::Utc::now())) {
                                                        (Some(_), _) => view! { <Badge tone=BadgeTone::Neutral>"revoked"</Badge> }.into_any(),
                                                        (None, true) => view! { <Badge tone=BadgeTone::Neutral>"expired"</Badge> }.into_any(),
                                                        (None, false) => view! {
                                                            <Button variant="danger" size="sm" on_click=Callback::new(move |_| { revoke.dispatch(RevokeToken { id }); })>"Revoke"</Button>
                                                        }.into_any(),
                                                    }}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </Card>
    }
}

#[component]
fn BudgetCard() -> impl IntoView {
    let current = Resource::new(|| (), |_| get_budget());
    let value = RwSignal::new(String::new());
    let saved = RwSignal::new(None::<Option<f64>>);
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(b)) = current.get() {
            value.set(b.map(|b| format!("{b:.2}")).unwrap_or_default());
        }
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = value.get_untracked();
        leptos::task::spawn_local(async move {
            match set_budget(text).await {
                Ok(b) => {
                    error.set(None);
                    saved.set(Some(b));
                }
                Err(e) => {
                    saved.set(None);
                    error.set(Some(e.to_string()));
                }
            }
        });
    };
    view! {
        <Card title="Monthly budget">
            <p class="muted small">"You are notified at 80, 90 and 100 % of it, once each a month, and a run whose estimate would pass what is left is stopped before it starts unless you override it. Leave empty for no budget."</p>
            <form class="inline-form" on:submit=save>
                <div class="field grow">
                    <Label for_id="monthly-budget">"Budget (USD per month)"</Label>
                    <Input id="monthly-budget" name="monthly_budget" value=value placeholder="25.00"/>
                    <FieldError message=Signal::derive(move || error.get())/>
                </div>
                <Button button_type="submit" test_id="save-budget">"Save budget"</Button>
            </form>
            {move || saved.get().map(|b| view! {
                <p class="alert alert-success" data-testid="budget-saved">
                    {match b { Some(b) => format!("Budget saved: ${b:.2} a month."), None => "Budget removed.".to_string() }}
                </p>
            })}
        </Card>
    }
}
