//! The model page's before and after: for each held-out prompt, the base
//! model's answer (before training), the adapter's and the dataset's own
//! side by side, with the validation loss before and after.

use crate::jobs::samples::{answer_text, when};
use crate::ui::Card;
use crate::ui::format::loss;
use brightrun::jobs::JobSamples;
use leptos::prelude::*;

#[component]
pub fn BeforeAfter(samples: JobSamples) -> impl IntoView {
    if samples.latest.is_none() {
        return view! {
            <Card title="Before and after">
                <p class="muted" data-testid="before-after-empty">
                    "No held-out answers were recorded for this run (it had no validation split, or 0 samples per evaluation). Ask it in the playground below."
                </p>
            </Card>
        }
        .into_any();
    }
    let before = samples.before.as_ref().map(|e| e.val_loss);
    let after = samples.latest.as_ref().map(|e| (e.val_loss, when(e)));
    let rows: Vec<_> = samples
        .comparisons()
        .into_iter()
        .map(|c| {
            (
                c.prompt.to_string(),
                c.base.map(answer_text),
                answer_text(c.adapter),
                c.reference.to_string(),
            )
        })
        .collect();
    view! {
        <Card title="Before and after">
            <p data-testid="before-after-loss">
                {format!("Validation loss {} before training → {} {}", loss(before), loss(after.as_ref().map(|a| a.0)), after.as_ref().map(|a| a.1.clone()).unwrap_or_default())}
            </p>
            <ol class="samples" data-testid="before-after">
                {rows.into_iter().map(|(prompt, base, adapter, reference)| view! {
                    <li class="sample">
                        <p class="sample-prompt"><strong>"Prompt "</strong>{prompt}</p>
                        <div class="three-column">
                            <div><h4>"Base model"</h4><p class="sample-text" data-testid="before-answer">{base.unwrap_or_else(|| "(not recorded)".into())}</p></div>
                            <div><h4>"Fine-tuned"</h4><p class="sample-text" data-testid="after-answer">{adapter}</p></div>
                            <div><h4>"Reference"</h4><p class="sample-text">{reference}</p></div>
                        </div>
                    </li>
                }).collect_view()}
            </ol>
        </Card>
    }
    .into_any()
}
