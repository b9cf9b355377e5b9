//! The training and validation loss curves as an inline SVG. The server
//! thins long series (at most 400 points), so drawing stays fast however
//! long the run.

use brightrun::jobs::MetricPoint;
use leptos::prelude::*;

const W: f64 = 720.0;
const H: f64 = 260.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 32.0;

#[component]
pub fn LossChart(
    train: Vec<MetricPoint>,
    eval: Vec<MetricPoint>,
    total_steps: Option<u32>,
) -> impl IntoView {
    let series =
        |points: &[MetricPoint], pick: fn(&MetricPoint) -> Option<f64>| -> Vec<(f64, f64)> {
            points
                .iter()
                .filter_map(|p| {
                    pick(p)
                        .filter(|v| v.is_finite())
                        .map(|v| (p.step as f64, v))
                })
                .collect()
        };
    let t = series(&train, |p| p.train_loss);
    let v = series(&eval, |p| p.eval_loss);
    if t.is_empty() {
        return view! {
            <div class="chart-empty muted" data-testid="loss-chart" data-points="0">
                "The loss curve appears after the first training step."
            </div>
        }
        .into_any();
    }
    let all = t.iter().chain(v.iter());
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for (_, y) in all {
        lo = lo.min(*y);
        hi = hi.max(*y);
    }
    if hi - lo < 1e-6 {
        hi += 0.5;
        lo = (lo - 0.5).max(0.0);
    }
    let last_step = t.last().map_or(1.0, |p| p.0);
    let x_max = total_steps
        .map_or(last_step, |n| n as f64)
        .max(last_step)
        .max(1.0);
    let x = move |s: f64| LEFT + s / x_max * (W - LEFT - RIGHT);
    let y = move |l: f64| TOP + (hi - l) / (hi - lo) * (H - TOP - BOTTOM);
    let path = |pts: &[(f64, f64)]| {
        pts.iter()
            .enumerate()
            .map(|(i, (s, l))| {
                format!(
                    "{}{:.1},{:.1}",
                    if i == 0 { "M" } else { "L" },
                    x(*s),
                    y(*l)
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let grid = (0..=4)
        .map(|i| {
            let l = lo + (hi - lo) * i as f64 / 4.0;
            let gy = y(l);
            view! {
                <line class="chart-grid" x1=LEFT x2=W - RIGHT y1=gy y2=gy/>
                <text class="chart-label" x=LEFT - 6.0 y=gy + 4.0 text-anchor="end">{format!("{l:.2}")}</text>
            }
        })
        .collect_view();
    let dots = v
        .iter()
        .map(|(s, l)| {
            view! {
                <circle class="chart-eval-dot" cx=x(*s) cy=y(*l) r="3.5">
                    <title>{format!("step {s}: validation loss {l:.4}")}</title>
                </circle>
            }
        })
        .collect_view();
    let count = t.len();
    view! {
        <figure class="loss-chart">
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label="Training and validation loss by step"
                data-testid="loss-chart" data-points=count.to_string()>
                {grid}
                <line class="chart-axis" x1=LEFT x2=W - RIGHT y1=H - BOTTOM y2=H - BOTTOM/>
                <path class="chart-train" d=path(&t)/>
                {(v.len() > 1).then(|| view! { <path class="chart-eval" d=path(&v)/> })}
                {dots}
                <text class="chart-label" x=LEFT y=H - 10.0>"step 0"</text>
                <text class="chart-label" x=W - RIGHT y=H - 10.0 text-anchor="end">{format!("step {}", x_max as u64)}</text>
            </svg>
            <figcaption class="chart-legend">
                <span class="legend-train">"Training loss"</span>
                <span class="legend-eval">"Validation loss"</span>
            </figcaption>
        </figure>
    }
    .into_any()
}
