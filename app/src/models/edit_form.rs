//! The model page's edit form: name and description, saved by the
//! `update_model` server action; its refusals show under their fields.

use super::api::UpdateModel;
use crate::ui::{ActionError, ActionErrors, Button, Card, FieldError, Input, Label, Textarea};
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
    let update = ServerAction::<UpdateModel>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = update.value().get() {
            on_saved.run(());
        }
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let change = ModelUpdate {
            name: Some(name.get_untracked()),
            description: Some(description.get_untracked()),
        };
        update.dispatch(UpdateModel { id, change });
    };
    view! {
        <Card title="Edit model">
            <form on:submit=save data-testid="model-edit-form">
                <div class="field">
                    <Label for_id="model-name-input">"Name"</Label>
                    <Input id="model-name-input" name="name" value=name/>
                    <FieldError message=update.field_error("name")/>
                </div>
                <div class="field">
                    <Label for_id="model-description-input">"Description"</Label>
                    <Textarea id="model-description-input" value=description/>
                    <FieldError message=update.field_error("description")/>
                </div>
                <ActionError error=update.general_error() title="Could not save the model."/>
                <Button button_type="submit" test_id="save-model" disabled=update.pending()>"Save"</Button>
            </form>
        </Card>
    }
}
