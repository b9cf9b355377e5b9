//! The 404 page, with the status set on the server so crawlers and the
//! browser tests see a real not-found.

use leptos::prelude::*;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(axum::http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <leptos_meta::Title text="Not found · BrightRun"/>
        <main class="not-found">
            <div class="not-found-code">"404"</div>
            <h1>"This page does not exist"</h1>
            <p class="muted">"The link may be old, or the item may have been deleted."</p>
            <a class="btn btn-primary btn-md" href="/">"Back to the dashboard"</a>
        </main>
    }
}
