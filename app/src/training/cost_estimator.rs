//! CostEstimator: the run's duration, cost, steps and tokens for the
//! choices as they stand. Changes closer together than [`DEBOUNCE`] make one
//! request; while a value is out of range there is no estimate, and the
//! card says why.

use super::api::estimate_job;
use crate::ui::format::{duration, money, thousands};
use crate::ui::{ErrorDisplay, Skeleton};
use brightrun::jobs::EstimateRequest;
use brightrun::training::{Estimate, Throughput};
use leptos::prelude::*;
use std::time::Duration;

/// Changes closer together than this make one estimate request.
pub const DEBOUNCE: Duration = Duration::from_millis(300);

/// `request`: the estimate request, `None` while the form has errors.
#[component]
pub fn CostEstimator(#[prop(into)] request: Signal<Option<EstimateRequest>>) -> impl IntoView {
    let settled = RwSignal::new(None::<EstimateRequest>);
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        let r = request.get();
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        // The page may be gone (Start navigates away) when the timer fires.
        crate::ui::timer::after(
            move || {
                if generation.try_get_value() == Some(mine) {
                    settled.try_set(r);
                }
            },
            DEBOUNCE,
        );
    });
    let estimate = Resource::new(
        move || settled.get(),
        |r| async move {
            match r {
                Some(r) => Some(estimate_job(r).await),
                None => None,
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <Skeleton lines=4/> }>
            {move || Suspend::new(async move {
                match estimate.await {
                    None => view! { <p class="muted" data-testid="estimate-pending">"Fix the highlighted fields to see the estimate."</p> }.into_any(),
                    Some(Err(e)) => view! { <ErrorDisplay error=e/> }.into_any(),
                    Some(Ok(e)) => view! { <EstimateView estimate=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn EstimateView(estimate: Estimate) -> impl IntoView {
    let e = estimate;
    let source = match e.throughput {
        Throughput::Calibrated { jobs } => {
            format!("measured on your {jobs} finished job(s) with this GPU and model")
        }
        Throughput::Baseline => {
            "from the GPU catalog's baseline, scaled to the model's size".to_string()
        }
    };
    let validation = match e.evaluations {
        0 => "none".to_string(),
        n => format!(
            "{n} passes × {} tokens · {}",
            thousands(e.validation_tokens as i64),
            duration(e.eval_s)
        ),
    };
    view! {
        <dl class="estimate" data-testid="estimate">
            <dt>"Duration"</dt><dd data-testid="estimate-duration">{duration(e.duration_s)}</dd>
            <dt>"Cost"</dt><dd data-testid="estimate-cost">{money(e.cost)}</dd>
            <dt>"Steps"</dt><dd data-testid="estimate-steps">{thousands(e.total_steps as i64)}</dd>
            <dt>"Training tokens"</dt><dd>{thousands(e.total_tokens as i64)}</dd>
            <dt>"Learned from"</dt><dd data-testid="estimate-trained">{format!("{} tokens", thousands(e.trained_tokens as i64))}</dd>
            <dt>"Validation"</dt><dd data-testid="estimate-validation">{validation}</dd>
            <dt>"Throughput"</dt><dd>{format!("{} tokens/s", thousands(e.tokens_per_second.round() as i64))}</dd>
        </dl>
        <p class="muted small">{format!("Throughput {source}; {} startup included; {} examples train.", duration(e.startup_s), e.training_examples)}</p>
        {e.fit.warning.clone().map(|w| view! { <p class="alert alert-warning" role="alert" data-testid="fit-warning">{w}</p> })}
    }
}
