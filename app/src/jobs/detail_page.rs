//! `/training/jobs/{id}`: the stage, progress (step of total, epoch, time
//! left), tokens/s, loss and learning rate, the loss curves, cost so far
//! against the estimate, the trainer's log, cancel (with confirmation) and
//! retry. While the job is active the page refreshes every 5 seconds and
//! stops when it ends; a reload shows the same state, read from the server.

use super::api::{CancelJob, RetryJob, get_job, job_log};
use super::job_actions::JobActions;
use super::loss_chart::LossChart;
use super::samples::LatestSamples;
use super::stage_indicator::JobStageIndicator;
use super::status_badge::JobStatusBadge;
use super::status_card::JobStatusCard;
use crate::ui::{ActionError, ActionErrors, Card, EmptyState, ErrorDisplay, Skeleton};
use brightrun::JobStatus;
use brightrun::jobs::{Job, JobDetail};
use leptos::prelude::*;
use std::time::Duration;

/// How often an active job's page asks again.
pub const REFRESH: Duration = Duration::from_secs(5);

#[component]
pub fn JobPage() -> impl IntoView {
    let id = crate::ui::use_id_param();
    let tick = RwSignal::new(0u32);
    let refreshes = RwSignal::new(0u32);
    let cancel = ServerAction::<CancelJob>::new();
    let retry = ServerAction::<RetryJob>::new();
    let confirming = RwSignal::new(false);
    // The job is read again at every refresh and after cancel or retry.
    let reload = move || {
        (
            id(),
            tick.get(),
            cancel.version().get(),
            retry.version().get(),
        )
    };
    let detail = Resource::new(reload, |(id, ..)| async move {
        match id {
            Some(id) => get_job(id).await.map(Some),
            None => Ok(None),
        }
    });
    let log = Resource::new(reload, |(id, ..)| async move {
        match id {
            Some(id) => job_log(id).await.unwrap_or_default(),
            None => String::new(),
        }
    });
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
    // The dialog closes once the cancel has been answered, either way.
    Effect::new(move |_| {
        cancel.version().track();
        confirming.set(false);
    });
    view! {
        <Transition fallback=|| view! { <Skeleton lines=8/> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(e) => view! { <ErrorDisplay error=e/> }.into_any(),
                    Ok(None) => view! {
                        <EmptyState title="Job not found" message="It may have been deleted, or it belongs to someone else." action_href="/training/jobs" action_label="All jobs"/>
                    }.into_any(),
                    Ok(Some(d)) => view! {
                        <JobHeader job=d.job.clone() cancel retry confirming/>
                        <ActionError error=cancel.last_error() title="Could not cancel the job."/>
                        <ActionError error=retry.last_error() title="Could not retry the job."/>
                        <JobView detail=d log refreshes/>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn JobHeader(
    job: Job,
    cancel: ServerAction<CancelJob>,
    retry: ServerAction<RetryJob>,
    confirming: RwSignal<bool>,
) -> impl IntoView {
    let j = job;
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
            <JobActions job=j.clone() cancel retry confirming/>
        </header>
    }
}

/// The job's stage, progress, loss curves, samples and log.
#[component]
fn JobView(detail: JobDetail, log: Resource<String>, refreshes: RwSignal<u32>) -> impl IntoView {
    let d = detail;
    let j = d.job.clone();
    let live = if j.is_active() {
        format!("Live: refreshes every {} s.", REFRESH.as_secs())
    } else {
        "The run has ended.".to_string()
    };
    let thinned = (d.metric_count as usize > d.metrics.len())
        .then(|| format!(" Showing {} of {} steps.", d.metrics.len(), d.metric_count));
    view! {
        <JobStageIndicator status=j.status/>
        {j.error_message.clone().filter(|_| j.status == JobStatus::Failed).map(|e| view! {
            <div class="alert alert-error" role="alert" data-testid="job-error">
                <strong>"Why it failed: "</strong>{e}
            </div>
        })}
        <JobStatusCard detail=d.clone()/>
        <Card title="Loss">
            <LossChart train=d.metrics.clone() eval=d.eval_points.clone() total_steps=j.total_steps/>
            <p class="muted small" data-testid="refresh-count" data-refreshes=move || refreshes.get().to_string()>
                {live}{thinned}
            </p>
        </Card>
        <LatestSamples samples=d.samples.clone() active=j.is_active()/>
        <Card title="Trainer log">
            <pre class="log-panel" data-testid="job-log">{move || log.get().unwrap_or_default()}</pre>
        </Card>
    }
}

fn gpu_label(j: &Job) -> String {
    if j.gpu_type == "cpu" {
        "this machine's CPU".into()
    } else {
        format!("{} × {}", j.gpu_count, j.gpu_type)
    }
}
