//! `/settings`: the account and its API tokens (create, shown once; revoke).

use super::api::{CreateToken, RevokeToken, list_tokens};
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
        <Card title="Create an API token">
            <ActionForm action=create attr:class="inline-form">
                <div class="field grow">
                    <Label for_id="token-name">"Name"</Label>
                    <Input id="token-name" name="name" value=token_name placeholder="ci-upload-script"/>
                    <FieldError message=name_error/>
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
                                <thead><tr><th>"Name"</th><th>"Token"</th><th>"Created"</th><th>"Last used"</th><th></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|t| {
                                        let id = t.id;
                                        view! {
                                            <tr>
                                                <td>{t.name}</td>
                                                <td><code>{t.prefix}"…"</code></td>
                                                <td>{t.created_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                                                <td>{t.last_used_at.map(|d| d.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| "never".into())}</td>
                                                <td class="right">
                                                    {match t.revoked_at {
                                                        Some(_) => view! { <Badge tone=BadgeTone::Neutral>"revoked"</Badge> }.into_any(),
                                                        None => view! {
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
