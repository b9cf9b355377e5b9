use crate::accounts::SignOut;
use leptos::prelude::*;

/// The account button and its dropdown (settings, sign out). Sign-out is a
/// form, so it works before hydration too.
#[component]
pub fn UserMenu(email: String) -> impl IntoView {
    let open = RwSignal::new(false);
    let sign_out = ServerAction::<SignOut>::new();
    let initial = email
        .chars()
        .next()
        .map(|c| c.to_ascii_uppercase())
        .unwrap_or('?');
    view! {
        <div class="user-menu">
            <button
                type="button"
                class="user-button"
                aria-haspopup="menu"
                aria-expanded=move || open.get().to_string()
                data-testid="user-menu"
                on:click=move |_| open.update(|o| *o = !*o)
            >
                <span class="avatar" aria-hidden="true">{initial.to_string()}</span>
                <span class="user-email">{email.clone()}</span>
            </button>
            <div class="menu" role="menu" class:open=move || open.get()>
                <div class="menu-header muted">{email.clone()}</div>
                <a class="menu-item" role="menuitem" href="/settings" on:click=move |_| open.set(false)>"Settings & API tokens"</a>
                <ActionForm action=sign_out>
                    <button type="submit" class="menu-item menu-danger" role="menuitem">"Sign out"</button>
                </ActionForm>
            </div>
        </div>
    }
}
