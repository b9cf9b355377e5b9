//! `/signup`.

use super::api::SignUp;
use super::auth_form::{AuthFields, AuthMode};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let query = use_query_map();
    let next = Signal::derive(move || query.read().get("next"));
    view! {
        <leptos_meta::Title text="Create account · BrightRun"/>
        <main class="auth-page">
            <div class="auth-brand"><span class="logo-mark">"◆"</span>" BrightRun"</div>
            <h1>"Create your account"</h1>
            <p class="muted">"Upload a dataset, pick a preset, watch the loss fall."</p>
            <ActionForm action=action>
                <AuthFields
                    mode=AuthMode::SignUp
                    result=action.value().into()
                    pending=action.pending().into()
                    next=next
                />
            </ActionForm>
            <p class="auth-switch">"Already have an account? "<a href="/signin">"Sign in"</a></p>
        </main>
    }
}
