//! Adding a Hub model: the id (and revision, and a token for gated models),
//! looked up first so the architecture, parameters and size show before
//! anything is downloaded; then "Download". Both are server actions; the
//! form shows their pending state and refusals (under the field they name).

use super::api::{DownloadBaseModel, InspectBaseModel};
use crate::AppError;
use crate::ui::format::parameters;
use crate::ui::{ActionError, ActionErrors, Button, Card, FieldError, Input, Label};
use brightrun::base_models::files::human_bytes;
use brightrun::base_models::{AddBaseModel, Inspection};
use leptos::prelude::*;

/// `download` belongs to the page, which lists the new download when it ends.
#[component]
pub fn AddForm(download: ServerAction<DownloadBaseModel>) -> impl IntoView {
    let hub_id = RwSignal::new(String::new());
    let revision = RwSignal::new(String::new());
    let token = RwSignal::new(String::new());
    let inspect = ServerAction::<InspectBaseModel>::new();
    let request = move || AddBaseModel {
        hub_id: hub_id.get_untracked(),
        revision: Some(revision.get_untracked()),
        token: Some(token.get_untracked()),
    };
    let found = move || inspect.value().get().and_then(Result::ok);
    // The error shown is the latest one: a look-up clears the download's.
    let error = Signal::derive(move || download.last_error().get().or(inspect.last_error().get()));
    let busy = Signal::derive(move || inspect.pending().get() || download.pending().get());
    // Once the download has started, the form is ready for the next model.
    Effect::new(move |_| {
        if let Some(Ok(_)) = download.value().get() {
            hub_id.set(String::new());
            token.set(String::new());
            inspect.clear();
        }
    });
    let look_up = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        inspect.clear();
        download.clear();
        inspect.dispatch(InspectBaseModel { request: request() });
    };
    let start = Callback::new(move |_| {
        download.dispatch(DownloadBaseModel { request: request() });
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
                <ActionError error=Signal::derive(move || error.get().filter(AppError::is_general)) title="Could not add the model."/>
                <Button button_type="submit" variant="secondary" disabled=busy test_id="base-lookup">"Look up"</Button>
            </form>
            {move || found().map(|f| view! { <Found found=f busy download=start/> })}
        </Card>
    }
}

/// What the lookup found, and the button that starts the download.
#[component]
fn Found(found: Inspection, busy: Signal<bool>, download: Callback<()>) -> impl IntoView {
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
