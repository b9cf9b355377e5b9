//! `/costs`: this month's total and by type, the budget, a daily trend,
//! cost by job, the records (filter by type) and their CSV export.

use super::api::{list_costs, month_costs};
use super::trend_chart::TrendChart;
use crate::ui::format::money;
use crate::ui::{Card, EmptyState, ErrorDisplay, Select, Skeleton, StatsCard};
use brightrun::CostType;
use brightrun::costs::{CostFilter, CostRecord, CostSummary};
use leptos::prelude::*;

fn type_label(t: CostType) -> &'static str {
    match t {
        CostType::Compute => "Compute",
        CostType::Storage => "Storage",
        CostType::DataTransfer => "Data transfer",
    }
}

#[component]
pub fn CostsPage() -> impl IntoView {
    let summary = Resource::new(|| (), |_| month_costs());
    let kind = RwSignal::new(String::new());
    let csv_href = move || match kind.get().as_str() {
        "" => "/api/costs?format=csv".to_string(),
        k => format!("/api/costs?format=csv&type={k}"),
    };
    view! {
        <leptos_meta::Title text="Costs · BrightRun"/>
        <header class="page-header">
            <div><h1>"Costs"</h1><p class="muted">"Compute, storage and transfer, by month and by job."</p></div>
            <a class="btn btn-secondary btn-md" href=csv_href download="brightrun-costs.csv" data-testid="costs-csv" rel="external">"Export CSV"</a>
        </header>
        <Suspense fallback=|| view! { <Skeleton lines=6/> }>
            {move || Suspend::new(async move {
                match summary.await {
                    Err(e) => view! { <ErrorDisplay error=e/> }.into_any(),
                    Ok(s) => view! { <MonthSummary summary=s/> }.into_any(),
                }
            })}
        </Suspense>
        <CostRecords kind/>
    }
}

/// This month: the total and by type, the budget, the daily trend, by job.
#[component]
fn MonthSummary(summary: CostSummary) -> impl IntoView {
    let s = summary;
    let month = s.month.format("%B %Y").to_string();
    view! {
        <div class="stats-grid" data-testid="cost-summary">
            <StatsCard label="This month" value=money(s.total) detail=month/>
            {s.by_type.iter().map(|t| view! {
                <StatsCard label=type_label(t.cost_type) value=money(t.amount)/>
            }).collect_view()}
        </div>
        {match s.budget.clone() {
            Some(b) => view! {
                <Card title="Monthly budget">
                    <div class="budget-meter" data-testid="budget-meter">
                        <div class={if b.percent >= 100.0 { "budget-fill over" } else if b.percent >= 80.0 { "budget-fill warn" } else { "budget-fill" }}
                            style=format!("width: {:.1}%", b.percent.min(100.0))></div>
                    </div>
                    <p class="small">{format!("{} of {} ({:.0} %)", money(b.spent), money(b.monthly_budget), b.percent)}" · "<a href="/settings">"Change"</a></p>
                </Card>
            }.into_any(),
            None => view! {
                <p class="muted small">"No monthly budget set. "<a href="/settings">"Set one"</a>" to be warned at 80, 90 and 100 % and to stop runs that would pass it."</p>
            }.into_any(),
        }}
        <Card title="Daily trend"><TrendChart days=s.daily.clone()/></Card>
        <Card title="By job">
            {if s.by_job.is_empty() {
                view! { <p class="muted">"No job has been billed this month."</p> }.into_any()
            } else {
                view! {
                    <table class="table" data-testid="cost-by-job">
                        <thead><tr><th>"Job"</th><th class="right">"This month"</th></tr></thead>
                        <tbody>
                            {s.by_job.iter().map(|j| view! {
                                <tr><td><a href=format!("/training/jobs/{}", j.job_id)>{j.job_name.clone()}</a></td><td class="right">{money(j.amount)}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </Card>
    }
}

/// The records, filtered by type (`kind`, "" for all; the CSV link follows it).
#[component]
fn CostRecords(kind: RwSignal<String>) -> impl IntoView {
    let records = Resource::new(
        move || kind.get(),
        |k| {
            list_costs(CostFilter {
                cost_type: k.parse().ok(),
                ..CostFilter::default()
            })
        },
    );
    view! {
        <Card title="Records">
            <div class="filters">
                <Select aria_label="Cost type" test_id="cost-type-filter" value=kind on_change=Callback::new(move |v| kind.set(v))>
                    <option value="">"All types"</option>
                    {CostType::ALL.iter().map(|t| view! { <option value=t.as_str()>{type_label(*t)}</option> }).collect_view()}
                </Select>
            </div>
            <Transition fallback=|| view! { <Skeleton lines=4/> }>
                {move || Suspend::new(async move {
                    match records.await {
                        Err(e) => view! { <ErrorDisplay error=e/> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <EmptyState icon="$" title="Nothing billed yet" message="Compute is recorded each minute while a job runs, storage once a day, and downloads as they happen."/>
                        }.into_any(),
                        Ok(list) => view! { <RecordTable list/> }.into_any(),
                    }
                })}
            </Transition>
        </Card>
    }
}

#[component]
fn RecordTable(list: Vec<CostRecord>) -> impl IntoView {
    view! {
        <table class="table" data-testid="cost-records">
            <thead><tr><th>"When"</th><th>"Type"</th><th>"What"</th><th class="right">"Quantity"</th><th class="right">"Amount"</th></tr></thead>
            <tbody>
                {list.into_iter().map(|r| {
                    let what = match (r.job_id, r.job_name.clone()) {
                        (Some(id), Some(name)) => view! { <a href=format!("/training/jobs/{id}")>{name}</a> }.into_any(),
                        _ => view! { <span>{r.model_id.map(|_| "model download").or(r.unit.as_deref().filter(|u| *u == "gb_month").map(|_| "datasets and adapters")).unwrap_or("")}</span> }.into_any(),
                    };
                    view! {
                        <tr>
                            <td>{r.period_start.format("%Y-%m-%d %H:%M").to_string()}</td>
                            <td>{type_label(r.cost_type)}</td>
                            <td>{what}</td>
                            <td class="right">{r.quantity.map(|q| format!("{q:.4} {}", r.unit.clone().unwrap_or_default())).unwrap_or_default()}</td>
                            <td class="right">{money(r.amount)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
