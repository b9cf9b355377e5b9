//! JobStatusCard: where a run stands — its progress (step of total, epoch,
//! time left or taken), the latest loss, learning rate and tokens/s, and
//! the cost so far against the estimate.

use crate::ui::format::{duration, loss, money, thousands};
use crate::ui::{Card, Progress, StatsCard};
use brightrun::jobs::{Job, JobDetail};
use brightrun::training::Throughput;
use leptos::prelude::*;

/// "Step 12 of 40 · epoch 1.20 · about 2 min left · ran 3 min", as far as known.
fn progress_line(j: &Job) -> String {
    let steps = match j.total_steps {
        Some(t) => format!("Step {} of {t}", j.current_step),
        None => format!("Step {}", j.current_step),
    };
    let epoch = j
        .current_epoch
        .map(|e| format!(" · epoch {e:.2}"))
        .unwrap_or_default();
    let left = match (j.status, j.eta_s) {
        (s, Some(eta)) if !s.is_terminal() => format!(" · about {} left", duration(eta)),
        _ => String::new(),
    };
    let ran = match (j.started_at, j.finished_at) {
        (Some(s), Some(f)) => format!(
            " · ran {}",
            duration((f - s).num_milliseconds() as f64 / 1000.0)
        ),
        _ => String::new(),
    };
    format!("{steps}{epoch}{left}{ran}")
}

#[component]
pub fn JobStatusCard(detail: JobDetail) -> impl IntoView {
    let j = &detail.job;
    let fraction = j.progress_pct() / 100.0;
    let progress = progress_line(j);
    let m = j.current_metrics.clone();
    let estimate = detail.estimate.clone();
    let cost_detail = match &estimate {
        Some(e) => format!(
            "estimate {} · {}",
            money(e.cost),
            match e.throughput {
                Throughput::Calibrated { jobs } =>
                    format!("calibrated from {jobs} finished job(s)"),
                Throughput::Baseline => "catalog baseline".into(),
            }
        ),
        None => "no estimate".into(),
    };
    view! {
        <Card title="Progress">
            <Progress value=Signal::derive(move || fraction) label="Training progress"/>
            <p data-testid="job-progress">{progress}</p>
        </Card>
        <div class="stats-grid">
            <StatsCard label="Training loss" value=loss(m.as_ref().and_then(|m| m.train_loss))
                detail=m.as_ref().and_then(|m| m.eval_loss).map(|v| format!("validation {v:.4}")).unwrap_or_else(|| "validation pending".into())/>
            <StatsCard label="Learning rate" value=m.as_ref().and_then(|m| m.learning_rate).map_or("–".into(), |v| format!("{v:.2e}"))
                detail=m.as_ref().and_then(|m| m.grad_norm).map_or(String::new(), |g| format!("gradient norm {g:.3}"))/>
            <StatsCard label="Tokens / s" value=m.as_ref().and_then(|m| m.tokens_per_second).map_or("–".into(), |v| thousands(v.round() as i64))
                detail=estimate.as_ref().map(|e| format!("estimated {}", thousands(e.tokens_per_second.round() as i64))).unwrap_or_default()/>
            <StatsCard label="Cost so far" value=money(j.cost_so_far) detail=cost_detail/>
        </div>
    }
}
