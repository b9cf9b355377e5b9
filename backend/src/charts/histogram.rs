//! The token-length histogram: a filled step per bin on a continuous token
//! axis (each bin's count level from its lower to its upper edge), and the
//! max-sequence-length line (dashed, named in the legend) exactly where it
//! falls. Steps rather than charts-rs bars: on a continuous axis its bars
//! are as wide as the smallest gap between two x values, which the line's
//! own x would shrink to a sliver.

use super::style;
use brightrun::datasets::stats::HistogramBin;
use charts_rs::{LineChart, LineStep, Series, Symbol};

const WIDTH: f32 = 720.0;
const HEIGHT: f32 = 240.0;

/// The vertical max-length line: a two-point line series from the axis to
/// the top of the tallest bar, at `max_seq_len` tokens.
fn limit_line(max_seq_len: u64, top: u64) -> Series {
    let mut s = Series::new(format!("Max length {max_seq_len}"), vec![0.0, top as f32]);
    s.x_values = Some(vec![max_seq_len as f64; 2]);
    s.stroke_dash_array = Some("4,3".to_string());
    s.symbol = Some(Symbol::None);
    s.index = Some(style::LIMIT_INDEX);
    s
}

/// The bins as an SVG step histogram, with a line at `max_seq_len` when it
/// falls inside them; an empty string when there are no bins.
pub fn histogram_svg(bins: &[HistogramBin], max_seq_len: u64) -> String {
    let (Some(first), Some(last)) = (bins.first(), bins.last()) else {
        return String::new();
    };
    let top = bins.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let mut counts: Vec<f32> = bins.iter().map(|b| b.count as f32).collect();
    counts.push(last.count as f32);
    let mut xs: Vec<f64> = bins.iter().map(|b| b.from as f64).collect();
    xs.push(last.to as f64);
    let mut bars = Series::new("Examples".to_string(), counts);
    bars.x_values = Some(xs);
    bars.step = Some(LineStep::End);
    bars.fill = Some(true);
    bars.symbol = Some(Symbol::None);
    let mut series = vec![bars];
    if max_seq_len > first.from && max_seq_len < last.to {
        series.push(limit_line(max_seq_len, top));
    }
    let mut c = LineChart::new_with_theme(series, Vec::new(), style::theme_name());
    c.width = WIDTH;
    c.height = HEIGHT;
    c.compact = true;
    c.margin = (8.0, 8.0, 16.0, 8.0).into();
    c.x_axis.min = Some(first.from as f64);
    c.x_axis.max = Some(last.to as f64);
    c.x_axis.title = "Tokens per example".to_string();
    c.y_axis_configs[0].title = Some("Examples".to_string());
    c.svg().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::read::{lines_in, texts};

    /// 12 bins of 50 tokens from 100, a bell of counts.
    fn bins() -> Vec<HistogramBin> {
        (0..12)
            .map(|i| HistogramBin {
                from: 100 + i * 50,
                to: 150 + i * 50,
                count: 40 - (i as i64 - 5).unsigned_abs() * 6,
            })
            .collect()
    }

    #[test]
    fn draws_the_bins_and_the_max_length_line_where_it_falls() {
        let svg = histogram_svg(&bins(), 512);
        // The bins: one stepped outline (and its fill) in the primary colour.
        let steps = lines_in(&svg, "#4F46E5");
        assert_eq!(steps.len(), 1, "{svg}");
        assert!(svg.contains("fill=\"#4F46E5\""), "{svg}");
        // A step per bin: the outline turns twice at every inner edge.
        let d = &steps[0][steps[0].find("d=\"").unwrap()..];
        assert!(d.matches('v').count() + d.matches('V').count() >= 11, "{d}");
        // The limit: one vertical dashed line in the danger colour, named.
        let limit = lines_in(&svg, "#C81E3A");
        assert_eq!(limit.len(), 1, "{svg}");
        assert!(limit[0].contains("stroke-dasharray"));
        let texts = texts(&svg);
        for label in ["Max length 512", "Examples", "Tokens per example"] {
            assert!(
                texts.iter().any(|t| t == label),
                "{label} missing from {texts:?}"
            );
        }
    }

    #[test]
    fn a_max_length_outside_the_bins_draws_no_line() {
        for max in [100, 700, 4096] {
            let svg = histogram_svg(&bins(), max);
            assert!(lines_in(&svg, "#C81E3A").is_empty(), "{max}: {svg}");
            assert!(!texts(&svg).iter().any(|t| t.starts_with("Max length")));
            assert_eq!(lines_in(&svg, "#4F46E5").len(), 1);
        }
    }

    #[test]
    fn no_bins_draw_nothing() {
        assert_eq!(histogram_svg(&[], 512), "");
    }
}
