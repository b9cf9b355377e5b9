//! The daily cost trend, drawn on the server by
//! `brightrun_backend::charts::cost_trend_svg` (charts-rs): one bar per day
//! of the month so far.

use crate::AppError;
use crate::ui::format::money;
use crate::ui::{ChartSvg, ErrorDisplay, ServerChart};
use brightrun::costs::DailyCost;
use leptos::prelude::*;
use server_fn::codec::Json;

/// The days as an SVG bar chart.
#[server(prefix = "/rpc", endpoint = "cost_trend", input = Json, output = crate::rpc::Json)]
pub async fn cost_trend(days: Vec<DailyCost>) -> Result<ChartSvg, AppError> {
    // Most days one drawing takes (a month has at most 31).
    const MAX_DAYS: usize = 366;
    crate::ssr::current_user().await?;
    if days.len() > MAX_DAYS {
        return Err(AppError::Invalid {
            field: None,
            message: format!("At most {MAX_DAYS} days can be drawn."),
        });
    }
    Ok(ChartSvg {
        svg: brightrun_backend::charts::cost_trend_svg(&days),
        points: days.len() as u32,
    })
}

#[component]
pub fn TrendChart(days: Vec<DailyCost>) -> impl IntoView {
    let max = days.iter().map(|d| d.amount).fold(0.0f64, f64::max);
    let label = format!("Daily cost this month, highest {}", money(max));
    let chart = Resource::new(move || days.clone(), cost_trend);
    view! {
        <Transition fallback=|| view! { <div class="trend-chart chart-empty muted">"Drawing…"</div> }>
            {move || {
                let label = label.clone();
                Suspend::new(async move {
                    match chart.await {
                        Err(e) => view! { <ErrorDisplay error=e/> }.into_any(),
                        Ok(c) if c.points == 0 => view! {
                            <p class="muted" data-testid="cost-trend">"Nothing billed this month yet."</p>
                        }.into_any(),
                        Ok(c) => view! {
                            <ServerChart chart=c class="trend-chart" testid="cost-trend" label/>
                        }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}
