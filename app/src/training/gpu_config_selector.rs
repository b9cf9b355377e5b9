//! GpuConfigSelector (DESIGN's GPUConfigSelector): where the run trains —
//! the GPU type with its memory and price, and how many when the cluster
//! offers more than one.

use super::run_form::RunForm;
use crate::ui::format::money;
use crate::ui::{Card, FieldError, Label, Select};
use brightrun::training::{CPU_GPU, GpuType};
use leptos::prelude::*;

fn gpu_label(g: &GpuType) -> String {
    if g.id == CPU_GPU {
        format!("{} · {}/h", g.name, money(g.price_per_hour))
    } else {
        format!(
            "{} · {} GB · {}/h",
            g.name,
            g.vram_gb,
            money(g.price_per_hour)
        )
    }
}

#[component]
pub fn GpuConfigSelector(
    form: RunForm,
    gpus: Vec<GpuType>,
    max_gpus: u32,
    #[prop(into)] gpu_error: Signal<Option<String>>,
) -> impl IntoView {
    let gpu = form.gpu;
    let gpu_count = form.gpu_count;
    view! {
        <Card title="Where to train">
            <div class="field">
                <Label for_id="gpu-type">"GPU"</Label>
                <Select id="gpu-type" value=gpu on_change=Callback::new(move |v| gpu.set(v))>
                    {gpus.iter().map(|g| view! { <option value=g.id.clone()>{gpu_label(g)}</option> }).collect_view()}
                </Select>
                <FieldError message=gpu_error/>
            </div>
            {(max_gpus > 1).then(|| view! {
                <div class="field">
                    <Label for_id="gpu-count">"GPU count"</Label>
                    <input id="gpu-count" class="input" type="number" min="1" max=max_gpus.to_string()
                        prop:value=move || gpu_count.get().to_string()
                        on:input=move |ev| {
                            if let Ok(n) = event_target_value(&ev).parse::<u32>() {
                                gpu_count.set(n.clamp(1, max_gpus));
                            }
                        }/>
                </div>
            })}
        </Card>
    }
}
