//! What the model page says about the run that made the model: its
//! summary numbers, the configuration it trained with and which step's
//! weights were kept, and the quality panel (how the rating was reached).

use crate::ui::format::{duration, epochs, loss, money, thousands};
use crate::ui::{Card, StatsCard};
use brightrun::jobs::JobDetail;
use brightrun::models::Quality;
use brightrun::training::KeptAdapter;
use leptos::prelude::*;

/// Duration, tokens, cost and the final losses.
#[component]
pub fn ModelSummary(job: JobDetail) -> impl IntoView {
    let j = &job.job;
    let took = match (j.started_at, j.finished_at) {
        (Some(a), Some(b)) => duration((b - a).num_milliseconds() as f64 / 1000.0),
        _ => "–".into(),
    };
    let last = job.metrics.last().cloned();
    let tokens = job
        .estimate
        .as_ref()
        .map(|e| thousands(e.total_tokens as i64))
        .unwrap_or_else(|| "–".into());
    view! {
        <div class="stats-grid" data-testid="model-summary">
            <StatsCard label="Duration" value=took/>
            <StatsCard label="Tokens trained" value=tokens/>
            <StatsCard label="Cost" value=money(j.cost_so_far) detail=format!("{} × {}", j.gpu_count, j.gpu_type)/>
            <StatsCard label="Final training loss" value=loss(last.as_ref().and_then(|p| p.train_loss)) detail=format!("step {}", last.as_ref().map(|p| p.step).unwrap_or(0))/>
            <StatsCard label="Final validation loss" value=loss(job.eval_points.last().and_then(|p| p.eval_loss))/>
        </div>
    }
}

/// The settings the run trained with, and the adapter step kept.
#[component]
pub fn ModelConfig(job: JobDetail, adapter: KeptAdapter) -> impl IntoView {
    // What the run did, not what was asked: max steps may have cut it short.
    let epochs_run = match job.epochs_run() {
        Some(e) => format!("{} ({} steps)", epochs(e), job.job.current_step),
        None => "–".into(),
    };
    let JobDetail { job: j, config, .. } = job;
    let validation = match j.validation_dataset_id {
        Some(v) => view! { <a href=format!("/datasets/{v}")>"a separate file"</a> }.into_any(),
        None => format!(
            "{:.0} % of the training file",
            config.validation_split * 100.0
        )
        .into_any(),
    };
    let packing = brightrun::cluster::packing_on(config.packing, config.batch_size as usize);
    let early_stopping = match config.early_stopping_patience {
        0 => "off".to_string(),
        p => format!("after {p} evaluations without improvement"),
    };
    view! {
        <Card title="Configuration">
            <dl class="facts" data-testid="model-config">
                <dt>"Preset"</dt><dd>{j.preset.label()}</dd>
                <dt>"LoRA"</dt><dd>{format!("r {} · alpha {} · dropout {}", config.lora_r, config.lora_alpha, config.lora_dropout)}</dd>
                <dt>"Targets"</dt><dd>{config.target_modules.join(", ")}</dd>
                <dt>"Learning rate"</dt><dd>{format!("{:.1e} · {:?}", config.learning_rate, config.scheduler)}</dd>
                <dt>"Batch"</dt><dd>{format!("{} × {} accumulation", config.batch_size, config.gradient_accumulation)}</dd>
                <dt>"Epochs"</dt><dd data-testid="model-epochs">{epochs_run}</dd>
                <dt>"Max length"</dt><dd>{config.max_seq_len}</dd>
                <dt>"Validation"</dt><dd data-testid="model-validation">{validation}</dd>
                <dt>"Packing"</dt><dd>{if packing { "on" } else { "off" }}</dd>
                <dt>"Early stopping"</dt><dd>{early_stopping}</dd>
                <dt>"Adapter"</dt><dd data-testid="model-adapter-step">{format!("step {} · {}", adapter.step, adapter.choice.label().to_lowercase())}</dd>
            </dl>
            <p class="muted small" data-testid="model-adapter-why">{adapter.why.clone()}</p>
        </Card>
    }
}

/// Loss reduction, perplexity and overfitting, and the reasons for the rating.
#[component]
pub fn QualityPanel(quality: Option<Quality>) -> impl IntoView {
    let Some(q) = quality else {
        return view! { <p class="muted">"No quality metrics: the run recorded no loss."</p> }
            .into_any();
    };
    view! {
        <div class="stats-grid" data-testid="model-quality">
            <StatsCard label="Loss reduction" value=format!("{:.1} %", q.loss_reduction_pct) detail=format!("{:.3} → {:.3}", q.initial_loss, q.final_train_loss)/>
            <StatsCard label="Perplexity" value=format!("{:.2}", q.perplexity) detail=q.final_val_loss.map(|v| format!("validation loss {v:.3}")).unwrap_or_else(|| "from training loss".into())/>
            <StatsCard label="Overfitting" value=if q.overfit { "yes" } else { "no" } detail="validation more than 0.5 above training"/>
        </div>
        <Card title="How the rating was reached">
            <ul>{q.reasons.iter().map(|r| view! { <li>{r.clone()}</li> }).collect_view()}</ul>
        </Card>
    }
    .into_any()
}
