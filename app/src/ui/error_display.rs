use crate::AppError;
use leptos::prelude::*;

/// A failure, in words the user can act on: `title` says what could not
/// be done (by default, a load).
#[component]
pub fn ErrorDisplay(
    error: AppError,
    #[prop(default = "Could not load this.".into(), into)] title: String,
) -> impl IntoView {
    let hint = match &error {
        AppError::Unauthenticated => {
            Some(view! { <a href="/signin">"Sign in again"</a> }.into_any())
        }
        AppError::Transport(_) => {
            Some(view! { <span>"Check your connection and reload the page."</span> }.into_any())
        }
        _ => None,
    };
    view! {
        <div class="alert alert-error" role="alert">
            <strong>{format!("{title} ")}</strong>
            {error.to_string()}
            " "
            {hint}
        </div>
    }
}

/// An action's failure while its last run failed; nothing otherwise.
#[component]
pub fn ActionError(
    #[prop(into)] error: Signal<Option<AppError>>,
    #[prop(into)] title: String,
) -> impl IntoView {
    move || {
        error
            .get()
            .map(|e| view! { <ErrorDisplay error=e title=title.clone()/> })
    }
}
