//! The training and validation loss curves, drawn on the server by
//! `brightrun_backend::charts::loss_svg` (charts-rs) and shown as SVG, with
//! a log-scale switch. The server thins long series (at most 400 points),
//! so drawing stays fast however long the run.
//!
//! `<LossChart job_id revision/>`: `revision` is any number that changes
//! when the curve has new points (the page's metric count or last step);
//! the chart asks for its SVG again then, and when the scale is switched.
//! It must stay mounted across the page's refreshes for the switch to keep
//! its state, or the page passes its own `log_scale` signal.

use crate::AppError;
use crate::ui::{ChartSvg, ErrorDisplay, ServerChart};
use leptos::prelude::*;
use uuid::Uuid;

/// The job's loss chart as SVG, on a log (base 10) loss axis when asked.
#[server(prefix = "/rpc", endpoint = "loss_chart", output = crate::rpc::Json)]
pub async fn loss_chart(id: Uuid, log_scale: bool) -> Result<ChartSvg, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(
        brightrun_backend::jobs::chart::loss_chart(&services, user.id, id, log_scale)
            .await?
            .into(),
    )
}

#[component]
pub fn LossChart(
    job_id: Uuid,
    /// Changes whenever the curve must be drawn again.
    #[prop(into, optional)]
    revision: MaybeProp<u32>,
    /// The scale switch's state, when the page keeps it.
    #[prop(optional)]
    log_scale: Option<RwSignal<bool>>,
) -> impl IntoView {
    let log_scale = log_scale.unwrap_or_else(|| RwSignal::new(false));
    let chart = Resource::new(
        move || (job_id, log_scale.get(), revision.get()),
        |(id, log, _)| loss_chart(id, log),
    );
    view! {
        <figure class="loss-chart">
            <Transition fallback=|| view! { <Empty text="Drawing the loss curve…"/> }>
                {move || Suspend::new(async move {
                    match chart.await {
                        Err(e) => view! { <ErrorDisplay error=e/> }.into_any(),
                        Ok(c) if c.points == 0 => view! {
                            <Empty text="The loss curve appears after the first training step."/>
                        }.into_any(),
                        Ok(c) => view! {
                            <ServerChart chart=c class="loss-svg" testid="loss-chart"
                                label="Training and validation loss by step"/>
                        }.into_any(),
                    }
                })}
            </Transition>
            <label class="checkbox chart-scale">
                <input type="checkbox" data-testid="loss-log-scale" prop:checked=move || log_scale.get()
                    on:change=move |ev| log_scale.set(event_target_checked(&ev))/>
                "Log scale"
            </label>
        </figure>
    }
}

/// No curve (yet), under the chart's test id with no points.
#[component]
fn Empty(text: &'static str) -> impl IntoView {
    view! { <div class="chart-empty muted" data-testid="loss-chart" data-points="0">{text}</div> }
}
