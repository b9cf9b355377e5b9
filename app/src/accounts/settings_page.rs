//! `/settings`: the monthly budget, webhooks, and API tokens (create, shown
//! once; revoke). Every change is a server action; what it changed is read
//! again when it ends.

use super::api::{CreateToken, RevokeToken, list_tokens};
use crate::costs::api::{SetBudget, get_budget};
use crate::notifications::WebhooksCard;
use crate::ui::{
    ActionErrors, Badge, BadgeTone, Button, Card, EmptyState, ErrorDisplay, FieldError, Input,
    Label, Select, Skeleton,
};
use brightrun::ApiTokenInfo;
use leptos::prelude::*;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    view! {
        <leptos_meta::Title text="Settings · BrightRun"/>
        <header class="page-header">
            <div>
                <h1>"Settings"</h1>
                <p class="muted">"API tokens let scripts call the REST API as you: send "<code>"Authorization: Bearer <token>"</code>"."</p>
                <p class="muted">"Every route, its parameters and answers: the "<a href="/api/docs" rel="external">"API reference"</a>" ("<a href="/api/openapi.json" rel="external">"OpenAPI document"</a>")."</p>
            </div>
        </header>
        <BudgetCard/>
        <WebhooksCard/>
        <CreateTokenCard create/>
        <Card title="Your tokens">
            <Suspense fallback=|| view! { <Skeleton lines=3/> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Err(e) => view! { <ErrorDisplay error=e/> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <EmptyState title="No API tokens yet" message="Create one above to use the REST API from scripts."/>
                        }.into_any(),
                        Ok(list) => view! { <TokenTable list revoke/> }.into_any(),
                    }
                })}
            </Suspense>
        </Card>
    }
}

/// A new token's name and expiry; the token itself is shown once.
#[component]
fn CreateTokenCard(create: ServerAction<CreateToken>) -> impl IntoView {
    let token_name = RwSignal::new(String::new());
    let expiry = RwSignal::new(String::new());
    view! {
        <Card title="Create an API token">
            <ActionForm action=create attr:class="inline-form">
                <div class="field grow">
                    <Label for_id="token-name">"Name"</Label>
                    <Input id="token-name" name="name" value=token_name placeholder="ci-upload-script"/>
                    <FieldError message=create.field_error("name")/>
                </div>
                <div class="field">
                    <Label for_id="token-expiry">"Expires"</Label>
                    <Select id="token-expiry" name="expires_in_days" value=expiry on_change=Callback::new(move |v| expiry.set(v))>
                        <option value="">"never"</option>
                        <option value="30">"in 30 days"</option>
                        <option value="90">"in 90 days"</option>
                        <option value="365">"in a year"</option>
                    </Select>
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
    }
}

#[component]
fn TokenTable(list: Vec<ApiTokenInfo>, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    let when = |d: Option<chrono::DateTime<chrono::Utc>>, format: &str| {
        d.map(|d| d.format(format).to_string())
            .unwrap_or_else(|| "never".into())
    };
    view! {
        <table class="table">
            <thead><tr><th>"Name"</th><th>"Token"</th><th>"Created"</th><th>"Last used"</th><th>"Expires"</th><th></th></tr></thead>
            <tbody>
                {list.into_iter().map(|t| {
                    let id = t.id;
                    let state = match (t.revoked_at, t.expires_at.is_some_and(|e| e <= chrono::Utc::now())) {
                        (Some(_), _) => view! { <Badge tone=BadgeTone::Neutral>"revoked"</Badge> }.into_any(),
                        (None, true) => view! { <Badge tone=BadgeTone::Neutral>"expired"</Badge> }.into_any(),
                        (None, false) => view! {
                            <Button variant="danger" size="sm" on_click=Callback::new(move |_| { revoke.dispatch(RevokeToken { id }); })>"Revoke"</Button>
                        }.into_any(),
                    };
                    view! {
                        <tr>
                            <td>{t.name}</td>
                            <td><code>{t.prefix}"…"</code></td>
                            <td>{t.created_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                            <td>{when(t.last_used_at, "%Y-%m-%d %H:%M")}</td>
                            <td>{when(t.expires_at, "%Y-%m-%d")}</td>
                            <td class="right">{state}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The monthly budget: shown as saved, changed with the `set_budget`
/// server action (empty removes it).
#[component]
fn BudgetCard() -> impl IntoView {
    let current = Resource::new(|| (), |_| get_budget());
    let save = ServerAction::<SetBudget>::new();
    let value = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(b)) = current.get() {
            value.set(b.map(|b| format!("{b:.2}")).unwrap_or_default());
        }
    });
    let error = save.last_error();
    let saved = move || save.value().get().and_then(Result::ok);
    view! {
        <Card title="Monthly budget">
            <p class="muted small">"You are notified at 80, 90 and 100 % of it, once each a month, and a run whose estimate would pass what is left is stopped before it starts unless you override it. Leave empty for no budget."</p>
            <ActionForm action=save attr:class="inline-form">
                <div class="field grow">
                    <Label for_id="monthly-budget">"Budget (USD per month)"</Label>
                    <Input id="monthly-budget" name="monthly_budget" value=value placeholder="25.00"/>
                    <FieldError message=Signal::derive(move || error.get().map(|e| e.to_string()))/>
                </div>
                <Button button_type="submit" test_id="save-budget" disabled=save.pending()>"Save budget"</Button>
            </ActionForm>
            {move || saved().map(|b| view! {
                <p class="alert alert-success" data-testid="budget-saved">
                    {match b { Some(b) => format!("Budget saved: ${b:.2} a month."), None => "Budget removed.".to_string() }}
                </p>
            })}
        </Card>
    }
}
