//! `/signin`.

use super::api::SignIn;
use super::auth_form::{AuthFields, AuthMode, AuthPage};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let next = Signal::derive(move || query.read().get("next"));
    let signup = Signal::derive(move || match next.get() {
        Some(n) => format!("/signup?next={n}"),
        None => "/signup".into(),
    });
    view! {
        <AuthPage
            title="Sign in · BrightRun"
            heading="Sign in"
            subtitle="Fine-tune LoRA adapters from your conversation datasets."
            switch_text="New to BrightRun? "
            switch_label="Create an account"
            switch_href=signup
        >
            <ActionForm action=action>
                <AuthFields mode=AuthMode::SignIn result=action.value().into() pending=action.pending().into() next=next/>
            </ActionForm>
        </AuthPage>
    }
}
