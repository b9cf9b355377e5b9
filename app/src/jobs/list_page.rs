//! `/training/jobs`: every job with its status, progress, dataset, model and
//! cost; filter by status, search. Refreshes every 5 s while any job runs.

use super::api::list_jobs;
use super::status_badge::{JobStatusBadge, label};
use crate::ui::format::money;
use crate::ui::{EmptyState, ErrorDisplay, Progress, Skeleton};
use brightrun::JobStatus;
use brightrun::url::with_filter;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use std::time::Duration;

#[component]
pub fn JobsPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).filter(|v| !v.is_empty());
    let page = move || get("page").and_then(|p| p.parse::<u32>().ok()).unwrap_or(1);
    let tick = RwSignal::new(0u32);
    let jobs = Resource::new(
        move || (get("status"), get("q"), page(), tick.get()),
        |(status, q, page, _)| list_jobs(status, q, Some(page)),
    );
    Effect::new(move |_| {
        let active = jobs
            .get()
            .and_then(|r| r.ok())
            .is_some_and(|p| p.jobs.iter().any(|j| j.is_active()));
        if active {
            set_timeout(move || tick.update(|t| *t += 1), Duration::from_secs(5));
        }
    });
    let navigate = use_navigate();
    let set_param = move |key: &'static str, value: String| {
        navigate(
            &with_filter("/training/jobs", &["status", "q"], get, key, &value),
            Default::default(),
        );
    };
    let set_status = set_param.clone();
    let set_q = set_param;
    view! {
        <leptos_meta::Title text="Jobs · BrightRun"/>
        <header class="page-header">
            <div><h1>"Jobs"</h1><p class="muted">"Every training run, live while it trains."</p></div>
            <a class="btn btn-primary btn-md" href="/training/configure">"New training job"</a>
        </header>
        <div class="filters">
            <input class="input" type="search" placeholder="Search by name, dataset or model" aria-label="Search jobs"
                prop:value=move || get("q").unwrap_or_default()
                on:change=move |ev| set_q("q", event_target_value(&ev))/>
            <select class="input" aria-label="Status" prop:value=move || get("status").unwrap_or_default()
                on:change=move |ev| set_status("status", event_target_value(&ev))>
                <option value="">"Any status"</option>
                {JobStatus::ALL.iter().map(|s| view! { <option value=s.as_str()>{label(*s)}</option> }).collect_view()}
            </select>
        </div>
        <Transition fallback=|| view! { <Skeleton lines=4/> }>
            {move || Suspend::new(async move {
                match jobs.await {
                    Err(e) => view! { <ErrorDisplay error=e/> }.into_any(),
                    Ok(p) if p.jobs.is_empty() && p.page == 1 && get("status").is_none() && get("q").is_none() => view! {
                        <EmptyState icon="▶" title="No training jobs yet"
                            message="Start a run from a ready dataset; it appears here with live progress, loss and cost."
                            action_href="/training/configure" action_label="Configure a run"/>
                    }.into_any(),
                    Ok(p) if p.jobs.is_empty() => view! {
                        <p class="muted">"No job matches these filters."</p>
                    }.into_any(),
                    Ok(p) => {
                        let pages = p.total.div_ceil(u64::from(p.per_page)).max(1) as u32;
                        let current = p.page;
                        view! {
                            <div class="table-wrap">
                            <table class="table" data-testid="job-list">
                                <thead><tr>
                                    <th>"Job"</th><th>"Status"</th><th>"Progress"</th><th>"Dataset"</th>
                                    <th>"Model"</th><th class="num">"Cost"</th><th>"Created"</th>
                                </tr></thead>
                                <tbody>
                                {p.jobs.into_iter().map(|j| {
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
                                }).collect_view()}
                                </tbody>
                            </table>
                            </div>
                            <nav class="pagination" aria-label="Pages">
                                <span class="muted">{format!("{} jobs · page {current} of {pages}", p.total)}</span>
                                {(current > 1).then(|| view! { <a class="btn btn-secondary btn-sm" href=format!("?page={}", current - 1)>"Previous"</a> })}
                                {(current < pages).then(|| view! { <a class="btn btn-secondary btn-sm" href=format!("?page={}", current + 1)>"Next"</a> })}
                            </nav>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
