//! The advanced settings chosen from a list: scheduler, the adapter to
//! keep, the base weights' precision, and the auto/on/off switches
//! (gradient checkpointing, packing).

use crate::ui::{Label, Select};
use brightrun::cluster::BaseDtype;
use brightrun::training::{KeepAdapter, Scheduler, TrainingConfig};
use leptos::prelude::*;

/// An auto/on/off select's value for a setting, and back.
fn auto_choice(setting: Option<bool>) -> &'static str {
    match setting {
        None => "auto",
        Some(true) => "on",
        Some(false) => "off",
    }
}

fn auto_setting(choice: &str) -> Option<bool> {
    match choice {
        "on" => Some(true),
        "off" => Some(false),
        _ => None,
    }
}

#[component]
pub fn ChoiceFields(config: RwSignal<TrainingConfig>) -> impl IntoView {
    let pick = move |read: fn(&TrainingConfig) -> String| Signal::derive(move || config.with(read));
    view! {
        <div class="field">
            <Label for_id="field-scheduler">"Scheduler"</Label>
            <Select id="field-scheduler" value=pick(|c| c.scheduler.as_str().into())
                on_change=Callback::new(move |v: String| if let Some(s) = Scheduler::parse(&v) { config.update(|c| c.scheduler = s) })>
                {Scheduler::ALL.iter().map(|s| view! { <option value=s.as_str()>{s.as_str()}</option> }).collect_view()}
            </Select>
        </div>
        <div class="field">
            <Label for_id="field-keep-adapter">"Adapter to keep"</Label>
            <Select id="field-keep-adapter" test_id="keep-adapter-select" value=pick(|c| c.keep_adapter.as_str().into())
                on_change=Callback::new(move |v: String| if let Some(k) = KeepAdapter::parse(&v) { config.update(|c| c.keep_adapter = k) })>
                {KeepAdapter::ALL.iter().map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
            </Select>
            <p class="muted small">"The best: the weights of the evaluation with the lowest validation loss (the last step's when there is no validation split)."</p>
        </div>
        <div class="field">
            <Label for_id="field-dtype">"Base weights precision"</Label>
            <Select id="field-dtype" test_id="dtype-select" value=pick(|c| c.dtype.map_or("", BaseDtype::as_str).into())
                on_change=Callback::new(move |v: String| config.update(|c| c.dtype = v.parse().ok()))>
                <option value="">"Default for the device"</option>
                {BaseDtype::ALL.iter().map(|d| view! { <option value=d.as_str()>{d.as_str()}</option> }).collect_view()}
            </Select>
            <p class="muted small">"The default is bf16 on a GPU that has it, f16 on older cards such as the T4, and f32 on the CPU. The adapter always trains in f32."</p>
        </div>
        <AutoOnOff id="field-gradient-checkpointing" test_id="checkpointing-select" label="Gradient checkpointing"
            auto_label="Auto (on from 1B parameters)" config
            get=|c| c.gradient_checkpointing set=|c, v| c.gradient_checkpointing = v
            help="Keeps only each layer's input and recomputes the rest while going backward: less memory for some more time per step."/>
        <AutoOnOff id="field-packing" test_id="packing-select" label="Packing"
            auto_label="Auto (on from batch size 2)" config
            get=|c| c.packing set=|c, v| c.packing = v
            help="Puts several examples in one row up to the max length, each seeing only itself, instead of padding every example to the longest: fewer wasted tokens per step, the same loss."/>
    }
}

/// A select for an optional switch of the config: auto (`None`), on or off.
#[component]
fn AutoOnOff(
    id: &'static str,
    test_id: &'static str,
    label: &'static str,
    auto_label: &'static str,
    help: &'static str,
    config: RwSignal<TrainingConfig>,
    get: fn(&TrainingConfig) -> Option<bool>,
    set: fn(&mut TrainingConfig, Option<bool>),
) -> impl IntoView {
    view! {
        <div class="field">
            <Label for_id=id>{label}</Label>
            <Select id=id test_id=test_id
                value=Signal::derive(move || config.with(|c| auto_choice(get(c)).to_string()))
                on_change=Callback::new(move |v: String| config.update(|c| set(c, auto_setting(&v))))>
                <option value="auto">{auto_label}</option>
                <option value="on">"On"</option>
                <option value="off">"Off"</option>
            </Select>
            <p class="muted small">{help}</p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_on_off_round_trips() {
        for setting in [None, Some(true), Some(false)] {
            assert_eq!(auto_setting(auto_choice(setting)), setting);
        }
    }
}
