//! `/training/jobs`: every job with its status, progress, dataset, model and
//! cost; filter by status, search. Refreshes every 5 s while any job runs.

use super::api::list_jobs;
use super::status_badge::{JobStatusBadge, label};
use crate::ui::format::money;
use crate::ui::{
    EmptyState, ErrorDisplay, PageLinks, Progress, Select, Skeleton, use_list_filters,
};
use brightrun::JobStatus;
use brightrun::jobs::Job;
use leptos::prelude::*;
use std::time::Duration;

#[component]
pub fn JobsPage() -> impl IntoView {
    let filters = use_list_filters("/training/jobs", &["status", "q"]);
    let tick = RwSignal::new(0u32);
    let jobs = Resource::new(
        move || {
            (
                filters.get("status"),
                filters.get("q"),
                filters.page(),
                tick.get(),
            )
        },
        |(status, q, page, _)| list_jobs(status, q, Some(page)),
    );
    Effect::new(move |_| {
        let active = jobs
            .get()
            .and_then(|r| r.ok())
            .is_some_and(|p| p.jobs.iter().any(|j| j.is_active()));
        if active {
            crate::ui::timer::after(move || tick.update(|t| *t += 1), Duration::from_secs(5));
        }
    });
    let unfiltered = move || filters.get("status").is_none() && filters.get("q").is_none();
    view! {
        <leptos_meta::Title text="Jobs · BrightRun"/>
        <header class="page-header">
            <div><h1>"Jobs"</h1><p class="muted">"Every training run, live while it trains."</p></div>
            <a class="btn btn-primary btn-md" href="/training/configure">"New training job"</a>
        </header>
        <div class="filters">
            <input class="input" type="search" placeholder="Search by name, dataset or model" aria-label="Search jobs"
                prop:value=move || filters.get("q").unwrap_or_default()
                on:change=move |ev| filters.set("q", event_target_value(&ev))/>
            <Select aria_label="Status" value=filters.value("status") on_change=filters.setter("status")>
                <option value="">"Any status"</option>
                {JobStatus::ALL.iter().map(|s| view! { <option value=s.as_str()>{label(*s)}</option> }).collect_view()}
            </Select>
        </div>
        <Transition fallback=|| view! { <Skeleton lines=4/> }>
            {move || Suspend::new(async move {
                match jobs.await {
                    Err(e) => view! { <ErrorDisplay error=e/> }.into_any(),
                    Ok(p) if p.jobs.is_empty() && p.page == 1 && unfiltered() => view! {
                        <EmptyState icon="▶" title="No training jobs yet"
                            message="Start a run from a ready dataset; it appears here with live progress, loss and cost."
                            action_href="/training/configure" action_label="Configure a run"/>
                    }.into_any(),
                    Ok(p) if p.jobs.is_empty() => view! {
                        <p class="muted">"No job matches these filters."</p>
                    }.into_any(),
                    Ok(p) => view! {
                        <JobTable jobs=p.jobs/>
                        <PageLinks noun="jobs" total=p.total page=p.page per_page=p.per_page/>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn JobTable(jobs: Vec<Job>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="job-list">
                <thead><tr>
                    <th>"Job"</th><th>"Status"</th><th>"Progress"</th><th>"Dataset"</th>
                    <th>"Model"</th><th class="num">"Cost"</th><th>"Created"</th>
                </tr></thead>
                <tbody>
                    {jobs.into_iter().map(|j| view! { <JobRow job=j/> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn JobRow(job: Job) -> impl IntoView {
    let j = job;
    let fraction = j.progress_pct() / 100.0;
    let steps = match j.total_steps {
        Some(t) => format!("{} / {t}", j.current_step),
        None => "–".into(),
    };
    view! {
        <tr>
            <td><a href=format!("/training/jobs/{}", j.id)>{j.name.clone()}</a></td>
            <td><JobStatusBadge status=j.status/></td>
            <td class="progress-cell">
                <Progress value=Signal::derive(move || fraction) label="Job progress"/>
                <span class="muted small">{steps}</span>
            </td>
            <td><a href=format!("/datasets/{}", j.dataset_id)>{j.dataset_name.clone()}</a></td>
            <td>{j.base_model.clone()}</td>
            <td class="num">{money(j.cost_so_far)}</td>
            <td class="muted small">{j.created_at.format("%Y-%m-%d %H:%M").to_string()}</td>
        </tr>
    }
}
