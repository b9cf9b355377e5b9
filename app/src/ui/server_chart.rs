//! A chart drawn on the server (`brightrun_backend::charts`, with
//! charts-rs) and shown as it came: the SVG goes in with `inner_html`, so
//! the browser bundle carries no chart code and no font.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A drawn chart: its SVG, and how many points (steps, bins, days) it
/// shows; an empty SVG when there was nothing to draw.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChartSvg {
    pub svg: String,
    pub points: u32,
}

#[cfg(feature = "ssr")]
impl From<brightrun_backend::charts::Drawn> for ChartSvg {
    fn from(d: brightrun_backend::charts::Drawn) -> Self {
        Self {
            svg: d.svg,
            points: d.points,
        }
    }
}

/// The chart's SVG in a container that carries the page's test id, its
/// point count as `data-points` and, for screen readers, `label`.
#[component]
pub fn ServerChart(
    chart: ChartSvg,
    class: &'static str,
    testid: &'static str,
    #[prop(into)] label: String,
) -> impl IntoView {
    view! {
        <div class=format!("server-chart {class}") role="img" aria-label=label
            data-testid=testid data-points=chart.points.to_string() inner_html=chart.svg/>
    }
}
