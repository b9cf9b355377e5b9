//! Form fields: Label, Input, Textarea and the message under a field.

use leptos::prelude::*;

#[component]
pub fn Label(children: Children, #[prop(into)] for_id: String) -> impl IntoView {
    view! { <label class="label" for=for_id>{children()}</label> }
}

/// A text input bound to `value`, so hydrated code sees every keystroke.
#[component]
pub fn Input(
    #[prop(into)] id: String,
    #[prop(into)] name: String,
    value: RwSignal<String>,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional, into)] placeholder: Option<String>,
    #[prop(optional, into)] autocomplete: Option<&'static str>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    view! {
        <input
            class="input"
            id=id
            name=name
            type=input_type
            placeholder=placeholder
            autocomplete=autocomplete
            required=required
            prop:value=move || value.get()
            on:input=move |ev| value.set(event_target_value(&ev))
        />
    }
}

/// A multi-line text input bound to `value`, like [`Input`].
#[component]
pub fn Textarea(
    #[prop(into)] id: String,
    value: RwSignal<String>,
    #[prop(default = 3)] rows: u32,
    #[prop(optional, into)] name: Option<String>,
    #[prop(optional, into)] placeholder: Option<String>,
    #[prop(optional)] test_id: Option<&'static str>,
) -> impl IntoView {
    view! {
        <textarea
            class="input"
            id=id
            name=name
            rows=rows.to_string()
            placeholder=placeholder
            data-testid=test_id
            prop:value=move || value.get()
            on:input=move |ev| value.set(event_target_value(&ev))
        ></textarea>
    }
}

/// The message under a field, when there is one.
#[component]
pub fn FieldError(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message
            .get()
            .map(|m| view! { <p class="field-error" role="alert">{m}</p> })
    }
}
