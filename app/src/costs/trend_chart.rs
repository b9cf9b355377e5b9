//! The daily cost trend: one bar per day of the month so far, hand-drawn SVG.

use crate::ui::format::money;
use brightrun::costs::DailyCost;
use leptos::prelude::*;

const W: f64 = 640.0;
const H: f64 = 180.0;
const BOTTOM: f64 = 22.0;
const LEFT: f64 = 52.0;

#[component]
pub fn TrendChart(days: Vec<DailyCost>) -> impl IntoView {
    let max = days.iter().map(|d| d.amount).fold(0.0f64, f64::max);
    let scale = if max > 0.0 { max } else { 1.0 };
    let n = days.len().max(1) as f64;
    let slot = (W - LEFT) / n;
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let h = (d.amount / scale) * (H - BOTTOM - 10.0);
            let x = LEFT + i as f64 * slot + slot * 0.15;
            let label = format!("{}: {}", d.day.format("%b %-d"), money(d.amount));
            view! {
                <rect class="trend-bar" x=format!("{x:.1}") y=format!("{:.1}", H - BOTTOM - h)
                    width=format!("{:.1}", slot * 0.7) height=format!("{h:.1}") data-amount=format!("{:.4}", d.amount)>
                    <title>{label}</title>
                </rect>
            }
        })
        .collect_view();
    let first = days
        .first()
        .map(|d| d.day.format("%b %-d").to_string())
        .unwrap_or_default();
    let last = days
        .last()
        .map(|d| d.day.format("%b %-d").to_string())
        .unwrap_or_default();
    view! {
        <svg class="trend-chart" viewBox=format!("0 0 {W} {H}") role="img"
            aria-label=format!("Daily cost this month, highest {}", money(max)) data-testid="cost-trend">
            <line class="axis" x1=LEFT y1=H - BOTTOM x2=W y2=H - BOTTOM/>
            <text class="axis-label" x=LEFT - 6.0 y="16" text-anchor="end">{money(max)}</text>
            <text class="axis-label" x=LEFT - 6.0 y=H - BOTTOM text-anchor="end">"$0"</text>
            {bars}
            <text class="axis-label" x=LEFT y=H - 4.0>{first}</text>
            <text class="axis-label" x=W y=H - 4.0 text-anchor="end">{last}</text>
        </svg>
    }
}
