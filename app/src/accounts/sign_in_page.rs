//! `/signin`.

use super::api::SignIn;
use super::auth_form::{AuthFields, AuthMode};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let next = Signal::derive(move || query.read().get("next"));
    let next_for_link = move || match next.get() {
        Some(n) => format!("/signup?next={n}"),
        None => "/signup".into(),
    };
    view! {
        <leptos_meta::Title text="Sign in · BrightRun"/>
        <main class="auth-page">
            <div class="auth-brand"><span class="logo-mark">"◆"</span>" BrightRun"</div>
            <h1>"Sign in"</h1>
            <p class="muted">"Fine-tune LoRA adapters from your conversation datasets."</p>
            <ActionForm action=action>
                <AuthFields
                    mode=AuthMode::SignIn
                    result=action.value().into()
                    pending=action.pending().into()
                    next=next
                />
            </ActionForm>
            <p class="auth-switch">"New to BrightRun? "<a href=next_for_link>"Create an account"</a></p>
        </main>
    }
}
