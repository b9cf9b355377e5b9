//! The token-length histogram, drawn on the server by
//! `brightrun_backend::charts::histogram_svg` (charts-rs): the examples per
//! length bin and the max-sequence-length line where it falls.

use crate::AppError;
use crate::ui::{ChartSvg, ErrorDisplay, ServerChart};
use brightrun::datasets::stats::HistogramBin;
use leptos::prelude::*;
use server_fn::codec::Json;

/// The bins as an SVG. It takes the bins rather than a dataset, so the
/// upload form's report (not stored yet) draws the same way.
#[server(prefix = "/rpc", endpoint = "token_histogram", input = Json, output = crate::rpc::Json)]
pub async fn token_histogram(
    bins: Vec<HistogramBin>,
    max_seq_len: u64,
) -> Result<ChartSvg, AppError> {
    // Most bins one drawing takes (a report has at most 21).
    const MAX_BINS: usize = 200;
    crate::ssr::current_user().await?;
    if bins.len() > MAX_BINS {
        return Err(AppError::Invalid {
            field: None,
            message: format!("At most {MAX_BINS} bins can be drawn."),
        });
    }
    Ok(ChartSvg {
        svg: brightrun_backend::charts::histogram_svg(&bins, max_seq_len),
        points: bins.len() as u32,
    })
}

#[component]
pub fn TokenHistogram(bins: Vec<HistogramBin>, max_seq_len: u64) -> impl IntoView {
    if bins.is_empty() {
        return view! { <p class="muted">"No examples to chart."</p> }.into_any();
    }
    let chart = Resource::new(
        move || (bins.clone(), max_seq_len),
        |(b, m)| token_histogram(b, m),
    );
    view! {
        <Transition fallback=|| view! { <div class="histogram chart-empty muted">"Drawing…"</div> }>
            {move || Suspend::new(async move {
                match chart.await {
                    Err(e) => view! { <ErrorDisplay error=e/> }.into_any(),
                    Ok(c) => view! {
                        <ServerChart chart=c class="histogram" testid="token-histogram" label="Token length per example"/>
                    }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}
