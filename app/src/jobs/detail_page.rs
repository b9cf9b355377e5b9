//! `/training/jobs/{id}`: the stage, progress (step of total, epoch, time
//! left), tokens/s, loss and learning rate, the loss curves, cost so far
//! against the estimate, the trainer's log, cancel (with confirmation) and
//! retry. While the job is active the page asks every 5 seconds what
//! changed since its last look (`job_updates`: the new points, the log
//! after its offset, the small status, or `Unchanged`), keeps what it has
//! and adds that, and stops when the job ends or the page is left; a
//! reload shows the same state, read from the server.

use super::api::{CancelJob, RetryJob, get_job, job_log, job_updates};
use super::job_actions::JobActions;
use super::loss_chart::LossChart;
use super::samples::LatestSamples;
use super::stage_indicator::JobStageIndicator;
use super::status_badge::JobStatusBadge;
use super::status_card::JobStatusCard;
use crate::ui::{ActionError, ActionErrors, Card, EmptyState, ErrorDisplay, Skeleton};
use brightrun::JobStatus;
use brightrun::jobs::updates::append_log;
use brightrun::jobs::{CHART_POINTS, Job, JobDetail, JobPoll};
use leptos::prelude::*;
use std::time::Duration;

/// How often an active job's page asks again.
pub const REFRESH: Duration = Duration::from_secs(5);

#[component]
pub fn JobPage() -> impl IntoView {
    let id = crate::ui::use_id_param();
    let refreshes = RwSignal::new(0u32);
    let cancel = ServerAction::<CancelJob>::new();
    let retry = ServerAction::<RetryJob>::new();
    let confirming = RwSignal::new(false);
    // Read in full on load and after cancel or retry; the poll brings the rest.
    let reload = move || (id(), cancel.version().get(), retry.version().get());
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
    // The dialog closes once the cancel has been answered, either way.
    Effect::new(move |_| {
        cancel.version().track();
        confirming.set(false);
    });
    view! {
        <Transition fallback=|| view! { <Skeleton lines=8/> }>
            {move || Suspend::new(async move {
                let text = log.await;
                match detail.await {
                    Err(e) => view! { <ErrorDisplay error=e/> }.into_any(),
                    Ok(None) => view! {
                        <EmptyState title="Job not found" message="It may have been deleted, or it belongs to someone else." action_href="/training/jobs" action_label="All jobs"/>
                    }.into_any(),
                    Ok(Some(d)) => view! {
                        <LiveJob detail=d log=text cancel retry confirming refreshes/>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The job as loaded, kept current by the poll while it is active.
#[component]
fn LiveJob(
    detail: JobDetail,
    log: String,
    cancel: ServerAction<CancelJob>,
    retry: ServerAction<RetryJob>,
    confirming: RwSignal<bool>,
    refreshes: RwSignal<u32>,
) -> impl IntoView {
    let job_id = detail.job.id;
    let state = RwSignal::new(detail);
    let log = RwSignal::new(log);
    poll_while_active(state, log, refreshes);
    // The chart stays mounted (its scale switch keeps its state) and asks
    // for its SVG again only when the point count changes.
    let revision = Signal::derive(move || state.with(|d| d.metric_count));
    view! {
        {move || view! { <JobHeader job=state.with(|d| d.job.clone()) cancel retry confirming/> }}
        <ActionError error=cancel.last_error() title="Could not cancel the job."/>
        <ActionError error=retry.last_error() title="Could not retry the job."/>
        {move || view! { <JobView detail=state.get()/> }}
        <Card title="Loss">
            <LossChart job_id revision/>
            <p class="muted small" data-testid="refresh-count" data-refreshes=move || refreshes.get().to_string()>
                {move || live_line(&state.read())}
            </p>
        </Card>
        {move || state.with(|d| view! { <LatestSamples samples=d.samples.clone() active=d.job.is_active()/> })}
        <Card title="Trainer log">
            <pre class="log-panel" data-testid="job-log">{move || log.get()}</pre>
        </Card>
    }
}

/// Every [`REFRESH`] while the job is active (in the browser), asks what
/// changed since the page's last look and applies it; an unchanged job
/// answers `Unchanged`. Stops when the job ends or the page is left.
fn poll_while_active(state: RwSignal<JobDetail>, log: RwSignal<String>, refreshes: RwSignal<u32>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let left = Arc::new(AtomicBool::new(false));
    let leaving = left.clone();
    on_cleanup(move || leaving.store(true, Ordering::Relaxed));
    let gone = move || left.load(Ordering::Relaxed);
    let Some((id, mut after_step)) = state.try_with_untracked(|d| (d.job.id, d.last_step())) else {
        return;
    };
    // The first answer brings the log's offset (and its tail) with it.
    let (mut log_offset, mut version) = (None, None);
    let poll = async move {
        loop {
            crate::ui::timer::sleep(REFRESH).await;
            if gone()
                || !state
                    .try_with_untracked(|d| d.job.is_active())
                    .unwrap_or(false)
            {
                break;
            }
            let answer = job_updates(id, after_step, log_offset, version.clone()).await;
            if gone() {
                break;
            }
            if let Ok(JobPoll::Changed(u)) = answer {
                let u = *u;
                log.update(|l| append_log(l, &u.log, u.log_is_tail));
                (log_offset, version) = (Some(u.log_offset), Some(u.version.clone()));
                state.update(|d| d.apply(u));
                after_step = state.with_untracked(|d| d.last_step());
            }
            // An error is asked again at the next refresh.
            refreshes.update(|n| *n += 1);
        }
    };
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(poll);
    #[cfg(not(feature = "hydrate"))]
    drop(poll);
}

/// "Live: refreshes every 5 s." or that it ended, and whether the chart
/// is thinned.
fn live_line(d: &JobDetail) -> String {
    let live = if d.job.is_active() {
        format!("Live: refreshes every {} s.", REFRESH.as_secs())
    } else {
        "The run has ended.".to_string()
    };
    let thinned = (d.metric_count as usize > CHART_POINTS)
        .then(|| format!(" Showing {CHART_POINTS} of {} steps.", d.metric_count));
    format!("{live}{}", thinned.unwrap_or_default())
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

/// The job's stage, why it failed, and its progress.
#[component]
fn JobView(detail: JobDetail) -> impl IntoView {
    let j = detail.job.clone();
    view! {
        <JobStageIndicator status=j.status/>
        {j.error_message.clone().filter(|_| j.status == JobStatus::Failed).map(|e| view! {
            <div class="alert alert-error" role="alert" data-testid="job-error">
                <strong>"Why it failed: "</strong>{e}
            </div>
        })}
        <JobStatusCard detail/>
    }
}

fn gpu_label(j: &Job) -> String {
    if j.gpu_type == "cpu" {
        "this machine's CPU".into()
    } else {
        format!("{} × {}", j.gpu_count, j.gpu_type)
    }
}
