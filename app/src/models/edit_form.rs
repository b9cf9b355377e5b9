//! The model page's edit form: name and description.

use super::api::update_model;
use crate::ui::{Button, Card, FieldError, Input, Label};
use brightrun::models::ModelUpdate;
use leptos::prelude::*;
use uuid::Uuid;

#[component]
pub fn EditForm(
    id: Uuid,
    name: String,
    description: String,
    on_saved: Callback<()>,
) -> impl IntoView {
    let name = RwSignal::new(name);
    let description = RwSignal::new(description);
    let error = RwSignal::new(None::<crate::AppError>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let change = ModelUpdate {
            name: Some(name.get_untracked()),
            description: Some(description.get_untracked()),
        };
        leptos::task::spawn_local(async move {
            match update_model(id, change).await {
                Ok(_) => on_saved.run(()),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let field = move |f: &'static str| {
        Signal::derive(move || error.with(|e| e.as_ref().and_then(|e| e.for_field(f))))
    };
    view! {
        <Card title="Edit model">
            <form on:submit=save data-testid="model-edit-form">
                <div class="field">
                    <Label for_id="model-name-input">"Name"</Label>
                    <Input id="model-name-input" name="name" value=name/>
                    <FieldError message=field("name")/>
                </div>
                <div class="field">
                    <Label for_id="model-description-input">"Description"</Label>
                    <textarea id="model-description-input" class="input" rows="3" prop:value=move || description.get()
                        on:input=move |ev| description.set(event_target_value(&ev))></textarea>
                    <FieldError message=field("description")/>
                </div>
                {move || error.get().filter(|e| e.is_general()).map(|e| view! { <p class="alert alert-error">{e.to_string()}</p> })}
                <Button button_type="submit" test_id="save-model">"Save"</Button>
            </form>
        </Card>
    }
}
