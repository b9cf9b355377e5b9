//! `/training/jobs/{id}`: the stage, progress (step of total, epoch, time
//! left), tokens/s, loss and learning rate, the loss curves, cost so far
//! against the estimate, the trainer's log, cancel (with confirmation) and
//! retry. While the job is active the page refreshes every 5 seconds and
//! stops when it ends; a reload shows the same state, read from the server.

use super::api::{cancel_job, get_job, job_log, retry_job};
use super::loss_chart::LossChart;
use super::samples::LatestSamples;
use super::status_badge::JobStatusBadge;
use crate::ui::format::{duration, loss, money, thousands};
use crate::ui::{Button, Card, EmptyState, ErrorDisplay, Progress, Skeleton, StatsCard};
use brightrun::JobStatus;
use brightrun::jobs::{Job, JobDetail};
use brightrun::training::Throughput;
use leptos::prelude::*;
use std::time::Duration;

/// How often an active job's page asks again.
pub const REFRESH: Duration = Duration::from_secs(5);

#[component]
pub fn JobPage() -> impl IntoView {
    let id = crate::ui::use_id_param();
    let tick = RwSignal::new(0u32);
    let refreshes = RwSignal::new(0u32);
    let detail = Resource::new(
        move || (id(), tick.get()),
        |(id, _)| async move {
            match id {
                Some(id) => get_job(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let log = Resource::new(
        move || (id(), tick.get()),
        |(id, _)| async move {
            match id {
                Some(id) => job_log(id).await.unwrap_or_default(),
                None => String::new(),
            }
        },
    );
    // Refresh while the job is active; stop once it has ended.
    Effect::new(move |_| {
        let active = detail
            .get()
            .and_then(|r| r.ok())
            .flatten()
            .is_some_and(|d| d.job.is_active());
        if active {
            set_timeout(
                move || {
                    refreshes.update(|n| *n += 1);
                    tick.update(|t| *t += 1)
                },
                REFRESH,
            );
        }
    });
    let action_error = RwSignal::new(None::<String>);
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let run_action = move |cancel: bool| {
        let Some(id) = id() else { return };
        busy.set(true);
        action_error.set(None);
        leptos::task::spawn_local(async move {
            let result = if cancel {
                cancel_job(id).await
            } else {
                retry_job(id).await
            };
            busy.set(false);
            confirming.set(false);
            match result {
                Ok(_) => tick.update(|t| *t += 1),
                Err(e) => action_error.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <Transition fallback=|| view! { <Skeleton lines=8/> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(e) => view! { <ErrorDisplay error=e/> }.into_any(),
                    Ok(None) => view! {
                        <EmptyState title="Job not found" message="It may have been deleted, or it belongs to someone else." action_href="/training/jobs" action_label="All jobs"/>
                    }.into_any(),
                    Ok(Some(d)) => {
                        let j = d.job.clone();
                        let active = j.is_active();
                        view! {
                            <leptos_meta::Title text=format!("{} · BrightRun", j.name)/>
                            <header class="page-header">
                                <div>
                                    <h1>{j.name.clone()}</h1>
                                    <p class="muted">
                                        <JobStatusBadge status=j.status/>
                                        " "{j.base_model.clone()}" on "{gpu_label(&j)}" · dataset "
                                        <a href=format!("/datasets/{}", j.dataset_id)>{j.dataset_name.clone()}</a>
                                        " · "{j.preset.label()}" preset"
                                    </p>
                                </div>
                                <div class="header-actions">
                                    {j.is_active().then(|| view! {
                                        <Show when=move || confirming.get() fallback=move || view! {
                                            <Button variant="danger" test_id="cancel-job" on_click=Callback::new(move |_| confirming.set(true))>"Cancel job"</Button>
                                        }>
                                            <span class="confirm" role="alertdialog" aria-label="Confirm cancel">
                                                <span>"Stop this run? Progress so far is kept; no adapter is produced."</span>
                                                <Button variant="danger" size="sm" test_id="confirm-cancel" disabled=busy on_click=Callback::new(move |_| run_action(true))>"Yes, cancel"</Button>
                                                <Button variant="secondary" size="sm" on_click=Callback::new(move |_| confirming.set(false))>"Keep training"</Button>
                                            </span>
                                        </Show>
                                    })}
                                    {brightrun::jobs::can_retry(j.status).then(|| view! {
                                        <Button test_id="retry-job" disabled=busy on_click=Callback::new(move |_| run_action(false))>"Retry"</Button>
                                    })}
                                    {j.model_id.map(|m| view! {
                                        <a class="btn btn-primary btn-md" href=format!("/models/{m}") data-testid="model-link">"View model"</a>
                                    })}
                                </div>
                            </header>
                            {move || action_error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                            <Stages status=j.status/>
                            {j.error_message.clone().filter(|_| j.status == JobStatus::Failed).map(|e| view! {
                                <div class="alert alert-error" role="alert" data-testid="job-error">
                                    <strong>"Why it failed: "</strong>{e}
                                </div>
                            })}
                            <Overview detail=d.clone()/>
                            <Card title="Loss">
                                <LossChart train=d.metrics.clone() eval=d.eval_points.clone() total_steps=j.total_steps/>
                                <p class="muted small" data-testid="refresh-count" data-refreshes=move || refreshes.get().to_string()>
                                    {if j.is_active() { format!("Live: refreshes every {} s.", REFRESH.as_secs()) } else { "The run has ended.".to_string() }}
                                    {(d.metric_count as usize > d.metrics.len()).then(|| format!(" Showing {} of {} steps.", d.metrics.len(), d.metric_count))}
                                </p>
                            </Card>
                            <LatestSamples samples=d.samples.clone() active/>
                            <Card title="Trainer log">
                                <pre class="log-panel" data-testid="job-log">{move || log.get().unwrap_or_default()}</pre>
                            </Card>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

fn gpu_label(j: &Job) -> String {
    if j.gpu_type == "cpu" {
        "this machine's CPU".into()
    } else {
        format!("{} × {}", j.gpu_count, j.gpu_type)
    }
}

/// queued → starting → training → completed, with the end it reached.
#[component]
fn Stages(status: JobStatus) -> impl IntoView {
    let order = [
        (JobStatus::Queued, "Queued"),
        (JobStatus::Initializing, "Starting"),
        (JobStatus::Running, "Training"),
    ];
    let reached = |s: JobStatus| match status {
        JobStatus::Queued => s == JobStatus::Queued,
        JobStatus::Initializing => s != JobStatus::Running,
        _ => true,
    };
    let end = match status {
        JobStatus::Failed => ("Failed", "stage stage-failed"),
        JobStatus::Cancelled => ("Cancelled", "stage stage-cancelled"),
        JobStatus::Completed => ("Completed", "stage stage-done"),
        _ => ("Completed", "stage"),
    };
    view! {
        <ol class="stages" aria-label="Stage" data-testid="job-stages">
            {order.iter().map(|(s, name)| {
                let class = if *s == status { "stage stage-current" } else if reached(*s) { "stage stage-done" } else { "stage" };
                view! { <li class=class>{*name}</li> }
            }).collect_view()}
            <li class=end.1>{end.0}</li>
        </ol>
    }
}

#[component]
fn Overview(detail: JobDetail) -> impl IntoView {
    let j = &detail.job;
    let fraction = j.progress_pct() / 100.0;
    let m = j.current_metrics.clone();
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
    let elapsed = match (j.started_at, j.finished_at) {
        (Some(s), Some(f)) => Some(duration((f - s).num_milliseconds() as f64 / 1000.0)),
        _ => None,
    };
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
            <p data-testid="job-progress">{steps}{epoch}{left}{elapsed.map(|e| format!(" · ran {e}"))}</p>
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
