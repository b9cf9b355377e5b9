//! PresetSelector: the three presets as a radio group, and "Custom", which
//! is chosen by itself once an advanced value differs from every preset.

use super::run_form::RunForm;
use crate::ui::Card;
use brightrun::training::{PRESETS, Preset};
use leptos::prelude::*;

#[component]
pub fn PresetSelector(form: RunForm) -> impl IntoView {
    let preset = Memo::new(move |_| form.config.with(Preset::matching));
    view! {
        <Card title="Preset">
            <div class="preset-grid" role="radiogroup" aria-label="Preset">
                {PRESETS.iter().map(|row| {
                    let p = row.preset;
                    view! {
                        <button type="button" role="radio" class="preset-card"
                            class:selected=move || preset.get() == p
                            aria-checked=move || (preset.get() == p).to_string()
                            data-testid=format!("preset-{}", p.as_str())
                            on:click=move |_| form.apply_preset(p)>
                            <strong>{row.label}</strong>
                            <span class="muted small">{row.summary}</span>
                            <span class="small">{format!("lr {:e} · batch {} · {} epochs · r {} · alpha {} · dropout {}", row.learning_rate, row.batch_size, row.epochs, row.lora_r, row.lora_alpha, row.lora_dropout)}</span>
                        </button>
                    }
                }).collect_view()}
                <div class="preset-card preset-custom" class:selected=move || preset.get() == Preset::Custom
                    aria-checked=move || (preset.get() == Preset::Custom).to_string() role="radio" data-testid="preset-custom">
                    <strong>"Custom"</strong>
                    <span class="muted small">"Your own values from the advanced panel."</span>
                </div>
            </div>
            <p class="muted small">"Every preset uses a cosine schedule with 3 % warmup."</p>
        </Card>
    }
}
