use crate::AppError;
use leptos::prelude::*;

/// A failed load, in words the user can act on.
#[component]
pub fn ErrorDisplay(error: AppError) -> impl IntoView {
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
            <strong>"Could not load this. "</strong>
            {error.to_string()}
            " "
            {hint}
        </div>
    }
}
