//! The job monitor's samples: what the model answered to held-out
//! prompts at its latest evaluation, beside the dataset's own answer (and
//! before training, until the first evaluation after it).

use crate::ui::Card;
use crate::ui::format::loss;
use brightrun::cluster::Evaluation;
use brightrun::jobs::JobSamples;
use leptos::prelude::*;

/// "before training" for step 0, else "at step N".
pub fn when(e: &Evaluation) -> String {
    if e.step == 0 {
        "before training".into()
    } else {
        format!("at step {}", e.step)
    }
}

/// An answer as shown: one that is only whitespace says so.
pub fn answer_text(answer: &str) -> String {
    if answer.trim().is_empty() {
        format!(
            "(no visible text: {} whitespace characters)",
            answer.chars().count()
        )
    } else {
        answer.to_string()
    }
}

#[component]
pub fn LatestSamples(samples: JobSamples, active: bool) -> impl IntoView {
    let shown = samples.latest.clone().or(samples.before.clone());
    view! {
        <Card title="What the model says">
            {match shown {
                None => view! {
                    <p class="muted" data-testid="samples-empty">{if active {
                        "Answers to held-out prompts appear at the first evaluation (before the first step, when the run holds out a validation split)."
                    } else {
                        "This run answered no held-out prompts: it had no validation split, or its samples per evaluation were 0."
                    }}</p>
                }.into_any(),
                Some(e) => view! {
                    <p class="muted" data-testid="samples-when">
                        {format!("Greedy answers {} · validation loss {}", when(&e), loss(Some(e.val_loss)))}
                    </p>
                    <ol class="samples" data-testid="job-samples">
                        {e.samples.into_iter().map(|s| view! {
                            <li class="sample">
                                <p class="sample-prompt"><strong>"Prompt "</strong>{s.prompt}</p>
                                <div class="two-column">
                                    <div><h4>"Model"</h4><p class="sample-text" data-testid="sample-answer">{answer_text(&s.answer)}</p></div>
                                    <div><h4>"Reference"</h4><p class="sample-text" data-testid="sample-reference">{s.reference}</p></div>
                                </div>
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any(),
            }}
        </Card>
    }
}
