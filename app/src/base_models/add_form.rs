//! Adding a Hub model: the id (and revision, and a token for gated models),
//! looked up first so the architecture, parameters and size show before
//! anything is downloaded; then "Download".

use super::api::{download_base_model, inspect_base_model};
use crate::AppError;
use crate::ui::format::parameters;
use crate::ui::{Button, Card, FieldError, Input, Label};
use brightrun::base_models::files::human_bytes;
use brightrun::base_models::{AddBaseModel, Inspection};
use leptos::prelude::*;

#[component]
pub fn AddForm(on_added: Callback<()>) -> impl IntoView {
    let hub_id = RwSignal::new(String::new());
    let revision = RwSignal::new(String::new());
    let token = RwSignal::new(String::new());
    let found = RwSignal::new(None::<Inspection>);
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    let request = move || AddBaseModel {
        hub_id: hub_id.get_untracked(),
        revision: Some(revision.get_untracked()),
        token: Some(token.get_untracked()),
    };
    let look_up = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        found.set(None);
        leptos::task::spawn_local(async move {
            let result = inspect_base_model(request()).await;
            busy.set(false);
            match result {
                Ok(f) => {
                    error.set(None);
                    found.set(Some(f));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let download = Callback::new(move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = download_base_model(request()).await;
            busy.set(false);
            match result {
                Ok(_) => {
                    error.set(None);
                    found.set(None);
                    hub_id.set(String::new());
                    token.set(String::new());
                    on_added.run(());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    });
    let field = move |f: &'static str| {
        Signal::derive(move || error.with(|e| e.as_ref().and_then(|e| e.for_field(f))))
    };
    view! {
        <Card title="Add a model from the Hugging Face Hub">
            <form on:submit=look_up data-testid="base-model-form">
                <div class="field">
                    <Label for_id="base-hub-id">"Model id"</Label>
                    <Input id="base-hub-id" name="hub_id" value=hub_id placeholder="Qwen/Qwen3-1.7B" required=true/>
                    <FieldError message=field("hub_id")/>
                </div>
                <div class="field">
                    <Label for_id="base-revision">"Revision (optional)"</Label>
                    <Input id="base-revision" name="revision" value=revision placeholder="main"/>
                    <FieldError message=field("revision")/>
                </div>
                <div class="field">
                    <Label for_id="base-token">"Access token (gated models)"</Label>
                    <Input id="base-token" name="token" value=token input_type="password" autocomplete="off" placeholder="hf_…"/>
                    <p class="muted small">"Used for this download only, then erased; never shown again."</p>
                    <FieldError message=field("token")/>
                </div>
                {move || error.get().filter(|e| e.is_general()).map(|e| view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> })}
                <Button button_type="submit" variant="secondary" disabled=busy test_id="base-lookup">"Look up"</Button>
            </form>
            {move || found.get().map(|f| view! { <Found found=f busy=busy download=download/> })}
        </Card>
    }
}

/// What the lookup found, and the button that starts the download.
#[component]
fn Found(found: Inspection, busy: RwSignal<bool>, download: Callback<()>) -> impl IntoView {
    view! {
        <div class="inspection" data-testid="base-inspection">
            <dl class="facts">
                <dt>"Repository"</dt><dd>{format!("{} @ {}", found.hub_id, found.revision)}</dd>
                <dt>"Architecture"</dt><dd data-testid="base-architecture">{found.architecture.clone()}</dd>
                <dt>"Parameters"</dt><dd data-testid="base-parameters">{parameters(found.parameters)}</dd>
                <dt>"Download"</dt><dd data-testid="base-size">{format!("{} in {} files", human_bytes(found.total_bytes), found.files.len())}</dd>
                <dt>"Offered as"</dt><dd>{found.name.clone()}</dd>
            </dl>
            <Button variant="primary" disabled=busy on_click=Callback::new(move |_| download.run(())) test_id="base-download">
                "Download"
            </Button>
        </div>
    }
}
