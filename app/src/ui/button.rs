use leptos::ev::MouseEvent;
use leptos::prelude::*;

/// `variant`: primary (default), secondary, ghost, danger; `size`: md, sm.
#[component]
pub fn Button(
    children: Children,
    #[prop(optional, into)] variant: Option<&'static str>,
    #[prop(optional, into)] size: Option<&'static str>,
    #[prop(default = "button")] button_type: &'static str,
    #[prop(optional, into)] class: Option<&'static str>,
    #[prop(optional, into)] disabled: Signal<bool>,
    #[prop(optional)] on_click: Option<Callback<MouseEvent>>,
    #[prop(optional, into)] test_id: Option<&'static str>,
) -> impl IntoView {
    let class = format!(
        "btn btn-{} btn-{} {}",
        variant.unwrap_or("primary"),
        size.unwrap_or("md"),
        class.unwrap_or("")
    );
    view! {
        <button
            type=button_type
            class=class
            disabled=move || disabled.get()
            data-testid=test_id
            on:click=move |ev| {
                if let Some(cb) = on_click {
                    cb.run(ev);
                }
            }
        >
            {children()}
        </button>
    }
}
