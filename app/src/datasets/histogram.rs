//! The token-length histogram as an inline SVG: one bar per bin, axis labels
//! at the ends, the max-sequence-length line where it falls.

use brightrun::datasets::stats::HistogramBin;
use leptos::prelude::*;

const W: f64 = 640.0;
const H: f64 = 200.0;
const PAD: f64 = 28.0;

#[component]
pub fn TokenHistogram(bins: Vec<HistogramBin>, max_seq_len: u64) -> impl IntoView {
    let Some(last) = bins.last().cloned() else {
        return view! { <p class="muted">"No examples to chart."</p> }.into_any();
    };
    let first = bins[0].from;
    let top = bins.iter().map(|b| b.count).max().unwrap_or(1).max(1) as f64;
    let span = (last.to - first).max(1) as f64;
    let x = move |v: u64| PAD + (v.saturating_sub(first)) as f64 / span * (W - 2.0 * PAD);
    let bars = bins
        .iter()
        .map(|b| {
            let h = b.count as f64 / top * (H - 2.0 * PAD);
            let (x0, x1) = (x(b.from), x(b.to));
            view! {
                <rect class="hist-bar" x=x0 + 1.0 y=H - PAD - h width=(x1 - x0 - 2.0).max(1.0) height=h>
                    <title>{format!("{}–{} tokens: {} examples", b.from, b.to, b.count)}</title>
                </rect>
            }
        })
        .collect_view();
    let limit = (max_seq_len > first && max_seq_len < last.to).then(|| {
        let lx = x(max_seq_len);
        view! {
            <line class="hist-limit" x1=lx x2=lx y1=PAD / 2.0 y2=H - PAD/>
            <text class="hist-label" x=lx + 4.0 y=PAD>{format!("max {max_seq_len}")}</text>
        }
    });
    view! {
        <svg class="histogram" viewBox=format!("0 0 {W} {H}") role="img" aria-label="Token length per example" data-testid="token-histogram">
            <line class="hist-axis" x1=PAD x2=W - PAD y1=H - PAD y2=H - PAD/>
            {bars}
            {limit}
            <text class="hist-label" x=PAD y=H - 8.0>{first.to_string()}</text>
            <text class="hist-label" x=W - PAD y=H - 8.0 text-anchor="end">{format!("{} tokens", last.to)}</text>
            <text class="hist-label" x=PAD y=PAD - 10.0>{format!("{} examples", top as u64)}</text>
        </svg>
    }
    .into_any()
}
