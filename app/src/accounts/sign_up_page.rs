//! `/signup`.

use super::api::SignUp;
use super::auth_form::{AuthFields, AuthMode, AuthPage};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let query = use_query_map();
    let next = Signal::derive(move || query.read().get("next"));
    view! {
        <AuthPage
            title="Create account · BrightRun"
            heading="Create your account"
            subtitle="Upload a dataset, pick a preset, watch the loss fall."
            switch_text="Already have an account? "
            switch_label="Sign in"
            switch_href=Signal::derive(|| "/signin".to_string())
        >
            <ActionForm action=action>
                <AuthFields mode=AuthMode::SignUp result=action.value().into() pending=action.pending().into() next=next/>
            </ActionForm>
        </AuthPage>
    }
}
