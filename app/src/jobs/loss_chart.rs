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

/// `(step, loss)` of the points that have a finite value for `pick`.
fn series(points: &[MetricPoint], pick: fn(&MetricPoint) -> Option<f64>) -> Vec<(f64, f64)> {
    points
        .iter()
        .filter_map(|p| {
            pick(p)
                .filter(|v| v.is_finite())
                .map(|v| (p.step as f64, v))
        })
        .collect()
}

/// The axes: steps from 0 to the run's total (or the last step) across,
/// the loss range of both series down, widened when the loss is flat.
#[derive(Clone, Copy)]
struct Scale {
    lo: f64,
    hi: f64,
    x_max: f64,
}

impl Scale {
    /// `train` must not be empty.
    fn new(train: &[(f64, f64)], eval: &[(f64, f64)], total_steps: Option<u32>) -> Self {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for (_, y) in train.iter().chain(eval) {
            lo = lo.min(*y);
            hi = hi.max(*y);
        }
        if hi - lo < 1e-6 {
            hi += 0.5;
            lo = (lo - 0.5).max(0.0);
        }
        let last_step = train.last().map_or(1.0, |p| p.0);
        let x_max = total_steps
            .map_or(last_step, |n| n as f64)
            .max(last_step)
            .max(1.0);
        Self { lo, hi, x_max }
    }

    fn x(&self, step: f64) -> f64 {
        LEFT + step / self.x_max * (W - LEFT - RIGHT)
    }

    fn y(&self, loss: f64) -> f64 {
        TOP + (self.hi - loss) / (self.hi - self.lo) * (H - TOP - BOTTOM)
    }

    /// An SVG path through the points.
    fn path(&self, points: &[(f64, f64)]) -> String {
        points
            .iter()
            .enumerate()
            .map(|(i, (s, l))| {
                format!(
                    "{}{:.1},{:.1}",
                    if i == 0 { "M" } else { "L" },
                    self.x(*s),
                    self.y(*l)
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[component]
pub fn LossChart(
    train: Vec<MetricPoint>,
    eval: Vec<MetricPoint>,
    total_steps: Option<u32>,
) -> impl IntoView {
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
    let scale = Scale::new(&t, &v, total_steps);
    let grid = (0..=4)
        .map(|i| {
            let l = scale.lo + (scale.hi - scale.lo) * i as f64 / 4.0;
            let gy = scale.y(l);
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
                <circle class="chart-eval-dot" cx=scale.x(*s) cy=scale.y(*l) r="3.5">
                    <title>{format!("step {s}: validation loss {l:.4}")}</title>
                </circle>
            }
        })
        .collect_view();
    view! {
        <figure class="loss-chart">
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label="Training and validation loss by step"
                data-testid="loss-chart" data-points=t.len().to_string()>
                {grid}
                <line class="chart-axis" x1=LEFT x2=W - RIGHT y1=H - BOTTOM y2=H - BOTTOM/>
                <path class="chart-train" d=scale.path(&t)/>
                {(v.len() > 1).then(|| view! { <path class="chart-eval" d=scale.path(&v)/> })}
                {dots}
                <text class="chart-label" x=LEFT y=H - 10.0>"step 0"</text>
                <text class="chart-label" x=W - RIGHT y=H - 10.0 text-anchor="end">{format!("step {}", scale.x_max as u64)}</text>
            </svg>
            <figcaption class="chart-legend">
                <span class="legend-train">"Training loss"</span>
                <span class="legend-eval">"Validation loss"</span>
            </figcaption>
        </figure>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_spans_the_run_and_pads_a_flat_loss() {
        let s = Scale::new(&[(1.0, 2.0), (5.0, 1.0)], &[(4.0, 1.5)], Some(10));
        assert_eq!((s.lo, s.hi, s.x_max), (1.0, 2.0, 10.0));
        assert_eq!(s.x(0.0), LEFT);
        assert_eq!(s.x(10.0), W - RIGHT);
        assert_eq!(s.y(2.0), TOP);
        assert_eq!(s.y(1.0), H - BOTTOM);
        let flat = Scale::new(&[(3.0, 1.0)], &[], None);
        assert_eq!((flat.lo, flat.hi, flat.x_max), (0.5, 1.5, 3.0));
    }
}
