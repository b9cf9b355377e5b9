//! HyperparameterForm: the advanced settings, folded away by default —
//! every numeric value of the config with its range and help, the
//! scheduler, precision and switches, and the target modules. A value is
//! checked as it is typed against the domain's one table of ranges, the
//! same the API and the trainer apply.

use super::choice_fields::ChoiceFields;
use super::run_form::{FieldText, RunForm};
use crate::AppError;
use crate::ui::{FieldError, Label};
use brightrun::training::TARGET_MODULES;
use leptos::prelude::*;

/// `server_errors`: the last refused start, whose field messages show
/// under their fields.
#[component]
pub fn HyperparameterForm(
    form: RunForm,
    #[prop(into)] server_errors: Signal<Option<AppError>>,
) -> impl IntoView {
    view! {
        <details class="card advanced" data-testid="advanced">
            <summary>"Advanced settings"</summary>
            <div class="advanced-grid">
                {form.fields.get_value().into_iter().map(|field| view! {
                    <NumberField form field server_errors/>
                }).collect_view()}
                <ChoiceFields config=form.config/>
                <TargetModules form/>
            </div>
        </details>
    }
}

/// One numeric value: its input, help, and the first thing wrong with it
/// (not a number, out of range, or refused by the server).
#[component]
fn NumberField(
    form: RunForm,
    field: FieldText,
    server_errors: Signal<Option<AppError>>,
) -> impl IntoView {
    let r = field.range;
    let id = format!("field-{}", r.field);
    let message = Signal::derive(move || {
        if field.bad.get() {
            Some(format!("Enter a number for {}.", r.label.to_lowercase()))
        } else {
            form.config
                .with(|c| c.error_of(r.field))
                .or_else(|| server_errors.with(|e| e.as_ref().and_then(|e| e.for_field(r.field))))
        }
    });
    view! {
        <div class="field">
            <Label for_id=id.clone()>{r.label}</Label>
            <input class="input" id=id type="number" name=r.field
                min=r.min.to_string() max=r.max.to_string() step=r.step.to_string()
                title=r.help
                prop:value=move || field.text.get()
                on:input=move |ev| form.type_into(field, event_target_value(&ev))/>
            <p class="muted small">{r.help}</p>
            <FieldError message=message/>
        </div>
    }
}

/// The modules LoRA adapts, kept in the table's order.
#[component]
fn TargetModules(form: RunForm) -> impl IntoView {
    let config = form.config;
    let toggle = move |module: &'static str, on: bool| {
        config.update(|c| {
            c.target_modules.retain(|t| t != module);
            if on {
                c.target_modules.push(module.to_string());
                c.target_modules
                    .sort_by_key(|t| TARGET_MODULES.iter().position(|x| x == t));
            }
        });
    };
    view! {
        <fieldset class="field modules">
            <legend class="label">"Target modules"</legend>
            {TARGET_MODULES.iter().map(|m| {
                let m = *m;
                view! {
                    <label class="check">
                        <input type="checkbox" prop:checked=move || config.with(|c| c.target_modules.iter().any(|t| t == m))
                            on:change=move |ev| toggle(m, event_target_checked(&ev))/>
                        {m}
                    </label>
                }
            }).collect_view()}
            <FieldError message=Signal::derive(move || config.with(|c| c.error_of("target_modules")))/>
        </fieldset>
    }
}
