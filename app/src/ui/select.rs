//! Select: a native `<select>` with the kit's look, bound to a value the
//! page owns. The options are its children, so a page can list them from
//! any data (and reactively).

use leptos::prelude::*;

/// `value` is shown as chosen and `on_change` hears each new choice; give
/// `name` when the select is a field of an `ActionForm`, and `aria_label`
/// when no `Label` names it.
#[component]
pub fn Select(
    children: Children,
    #[prop(into)] value: Signal<String>,
    on_change: Callback<String>,
    #[prop(optional, into)] id: Option<String>,
    #[prop(optional)] name: Option<&'static str>,
    #[prop(optional)] aria_label: Option<&'static str>,
    #[prop(optional)] test_id: Option<&'static str>,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    view! {
        <select
            class="input"
            id=id
            name=name
            aria-label=aria_label
            data-testid=test_id
            disabled=move || disabled.get()
            prop:value=move || value.get()
            on:change=move |ev| on_change.run(event_target_value(&ev))
        >
            {children()}
        </select>
    }
}
