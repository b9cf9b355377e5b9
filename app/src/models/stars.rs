use leptos::prelude::*;

/// A 1–5 rating as stars, with the number for screen readers.
#[component]
pub fn Stars(rating: Option<u8>) -> impl IntoView {
    match rating {
        Some(r) => {
            let r = r.clamp(1, 5) as usize;
            view! {
                <span class="stars" aria-label=format!("{r} of 5 stars") data-testid="model-rating" data-rating=r.to_string()>
                    {"★".repeat(r)}<span class="stars-off">{"★".repeat(5 - r)}</span>
                </span>
            }
            .into_any()
        }
        None => view! { <span class="muted">"not rated"</span> }.into_any(),
    }
}
