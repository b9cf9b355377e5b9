//! The form shared by sign-in and sign-up: email, password, the field
//! messages from the server, and — once hydrated — live checks with the same
//! rules the server applies.

use crate::AppError;
use crate::ui::{Button, Card, FieldError, Input, Label};
use brightrun::{Email, MIN_PASSWORD_CHARS, validate_password};
use leptos::prelude::*;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    SignIn,
    SignUp,
}

/// The form body. `result` is the server action's last result; `check_rules`
/// turns on the live password and email hints (sign-up only).
#[component]
pub fn AuthFields(
    mode: AuthMode,
    result: Signal<Option<Result<(), AppError>>>,
    pending: Signal<bool>,
    next: Signal<Option<String>>,
) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let server_error = move |field: &'static str| {
        Signal::derive(move || {
            result
                .get()
                .and_then(|r| r.err())
                .and_then(|e| e.for_field(field))
        })
    };
    let general_error = move || {
        result
            .get()
            .and_then(|r| r.err())
            .filter(|e| e.is_general())
            .map(|e| e.to_string())
    };
    let sign_up = mode == AuthMode::SignUp;
    let email_hint = Signal::derive(move || {
        let value = email.get();
        (sign_up && !value.is_empty())
            .then(|| Email::parse(&value).err().map(|e| e.to_string()))
            .flatten()
    });
    let password_hint = move || {
        let count = password.get().chars().count();
        match validate_password(&password.get()) {
            Ok(()) => "Password length is fine.".to_string(),
            Err(_) if count < MIN_PASSWORD_CHARS => {
                format!("{count} of at least {MIN_PASSWORD_CHARS} characters")
            }
            Err(e) => e.to_string(),
        }
    };
    view! {
        <Card class="auth-card">
            {move || general_error().map(|message| view! { <div class="alert alert-error" role="alert">{message}</div> })}
            <input type="hidden" name="next" prop:value=move || next.get().unwrap_or_default()/>
            <div class="field">
                <Label for_id="email">"Email"</Label>
                <Input id="email" name="email" input_type="email" autocomplete="email" value=email required=true/>
                <FieldError message=server_error("email")/>
                <FieldError message=email_hint/>
            </div>
            <div class="field">
                <Label for_id="password">"Password"</Label>
                <Input
                    id="password"
                    name="password"
                    input_type="password"
                    autocomplete=if sign_up { "new-password" } else { "current-password" }
                    value=password
                    required=true
                />
                <FieldError message=server_error("password")/>
                {sign_up.then(|| view! { <p class="field-hint" data-testid="password-hint">{password_hint}</p> })}
            </div>
            <Button button_type="submit" class="btn-block" disabled=pending>
                {move || match (mode, pending.get()) {
                    (_, true) => "Working…",
                    (AuthMode::SignIn, false) => "Sign in",
                    (AuthMode::SignUp, false) => "Create account",
                }}
            </Button>
        </Card>
    }
}

/// The page around the form: brand, heading, the form, the link to the other page.
#[component]
pub fn AuthPage(
    title: &'static str,
    heading: &'static str,
    subtitle: &'static str,
    children: Children,
    switch_text: &'static str,
    switch_label: &'static str,
    #[prop(into)] switch_href: Signal<String>,
) -> impl IntoView {
    view! {
        <leptos_meta::Title text=title/>
        <main class="auth-page">
            <div class="auth-brand"><span class="logo-mark">"◆"</span>" BrightRun"</div>
            <h1>{heading}</h1>
            <p class="muted">{subtitle}</p>
            {children()}
            <p class="auth-switch">{switch_text}<a href=move || switch_href.get()>{switch_label}</a></p>
        </main>
    }
}
