//! The loss curve: training loss as a line, validation loss as a dashed
//! line with a dot per evaluation, on a continuous step axis spanning the
//! run; the loss axis linear (zoomed to the losses) or logarithmic.

use super::style::{self, LABEL_SIZE};
use brightrun::jobs::MetricPoint;
use charts_rs::{AxisScale, LineChart, Series, Symbol};

/// The chart's size in SVG units; the page scales it to its card.
const WIDTH: f32 = 720.0;
const HEIGHT: f32 = 280.0;

/// How the loss curve is drawn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LossChartOptions {
    /// A logarithmic (base 10) loss axis instead of a linear one.
    pub log_scale: bool,
    /// The run's planned steps: the step axis spans them, so the curve
    /// fills it as the run goes on. `None`: up to the last step.
    pub total_steps: Option<u32>,
}

/// `(step, loss)` of the points with a finite loss for `pick` (a positive
/// one on a log axis, where zero and below have no place).
fn series(
    points: &[MetricPoint],
    pick: fn(&MetricPoint) -> Option<f64>,
    log: bool,
) -> Vec<(f64, f32)> {
    points
        .iter()
        .filter_map(|p| {
            let v = pick(p).filter(|v| v.is_finite() && (!log || *v > 0.0))?;
            Some((f64::from(p.step), v as f32))
        })
        .collect()
}

/// How many training points [`loss_svg`] draws: those with a finite loss
/// (and a positive one on a log axis).
pub fn train_points(train: &[MetricPoint], opts: &LossChartOptions) -> u32 {
    series(train, |p| p.train_loss, opts.log_scale).len() as u32
}

/// A charts-rs series of `points` on the continuous step axis.
fn line(name: &str, points: &[(f64, f32)]) -> Series {
    let mut s = Series::new(name.to_string(), points.iter().map(|p| p.1).collect());
    s.x_values = Some(points.iter().map(|p| p.0).collect());
    s
}

/// A round value at or below the lowest loss, so a linear axis zooms in on
/// the curve (a loss from 2.1 to 1.4 fills the plot instead of its top
/// third) and still starts on a tick.
fn linear_floor(lo: f32, hi: f32) -> f32 {
    let span = (hi - lo).max(0.05);
    let magnitude = 10f32.powf((span / 5.0).log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| span / s <= 5.0)
        .unwrap_or(magnitude * 10.0);
    ((lo / step).floor() * step).max(0.0)
}

/// How many powers of ten a log axis from `lo` to `hi` spans (at least 1).
fn decades(lo: f32, hi: f32) -> usize {
    (hi.log10().ceil() - lo.log10().floor()).max(1.0) as usize
}

/// The training (`train_loss` of `train`) and validation (`eval_loss` of
/// `eval`) loss by step as an SVG document; an empty string when there is
/// no training point yet (the page shows its own empty state).
pub fn loss_svg(train: &[MetricPoint], eval: &[MetricPoint], opts: &LossChartOptions) -> String {
    let t = series(train, |p| p.train_loss, opts.log_scale);
    let v = series(eval, |p| p.eval_loss, opts.log_scale);
    let Some(last) = t.last() else {
        return String::new();
    };
    let x_max = opts
        .total_steps
        .map_or(last.0, f64::from)
        .max(last.0)
        .max(1.0);
    let mut train_line = line("Training loss", &t);
    train_line.symbol = Some(Symbol::None);
    let mut eval_line = line("Validation loss", &v);
    eval_line.stroke_dash_array = Some("5,4".to_string());
    eval_line.symbol = Some(Symbol::Circle(3.5, Some(style::color(style::WARNING))));
    let mut c =
        LineChart::new_with_theme(vec![train_line, eval_line], Vec::new(), style::theme_name());
    c.width = WIDTH;
    c.height = HEIGHT;
    c.compact = true;
    c.margin = (8.0, 8.0, 16.0, 8.0).into();
    c.x_axis.min = Some(0.0);
    c.x_axis.max = Some(x_max);
    c.x_axis.title = "Step".to_string();
    let y = &mut c.y_axis_configs[0];
    y.title = Some(if opts.log_scale { "Loss (log)" } else { "Loss" }.to_string());
    y.split_number = 5;
    let (lo, hi) = t
        .iter()
        .chain(&v)
        .fold((f32::MAX, f32::MIN), |(lo, hi), p| {
            (lo.min(p.1), hi.max(p.1))
        });
    if opts.log_scale {
        y.scale = AxisScale::Log(10.0);
        // One grid line a decade, each with its label.
        y.split_number = decades(lo, hi);
    } else {
        y.min = Some(linear_floor(lo, hi));
    }
    y.font.size = LABEL_SIZE;
    c.svg().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::read::{lines_in, texts};

    fn point(step: u32, train: Option<f64>, eval: Option<f64>) -> MetricPoint {
        MetricPoint {
            step,
            epoch: None,
            train_loss: train,
            eval_loss: eval,
            learning_rate: None,
            tokens_per_second: None,
            grad_norm: None,
        }
    }

    /// 60 training steps falling from 2.5 to about 0.3, validation every 20.
    fn run() -> (Vec<MetricPoint>, Vec<MetricPoint>) {
        let loss = |s: u32| 2.2 * (-f64::from(s) / 15.0).exp() + 0.3;
        let train = (1..=60).map(|s| point(s, Some(loss(s)), None)).collect();
        let eval = [20, 40, 60]
            .map(|s| point(s, None, Some(loss(s) + 0.1)))
            .to_vec();
        (train, eval)
    }

    const LINEAR: LossChartOptions = LossChartOptions {
        log_scale: false,
        total_steps: Some(100),
    };
    const LOG: LossChartOptions = LossChartOptions {
        log_scale: true,
        total_steps: Some(100),
    };

    #[test]
    fn draws_a_line_per_series_in_the_brightrun_colours_with_a_legend() {
        let (train, eval) = run();
        let svg = loss_svg(&train, &eval, &LINEAR);
        assert!(svg.starts_with("<svg"), "{svg}");
        // Each series: its line in the plot and its swatch in the legend.
        let train_lines = lines_in(&svg, "#4F46E5");
        let eval_lines = lines_in(&svg, "#B45309");
        assert_eq!(train_lines.len(), 1, "{svg}");
        assert_eq!(eval_lines.len(), 1, "{svg}");
        assert!(
            eval_lines[0].contains("stroke-dasharray=\"5,4\""),
            "{}",
            eval_lines[0]
        );
        let texts = texts(&svg);
        for label in ["Training loss", "Validation loss", "Step", "Loss"] {
            assert!(
                texts.iter().any(|t| t == label),
                "{label} missing from {texts:?}"
            );
        }
        // A dot at each of the three evaluations.
        assert_eq!(svg.matches("r=\"3.5\"").count(), 3, "{svg}");
        assert_eq!(train_points(&train, &LINEAR), 60);
    }

    #[test]
    fn the_step_axis_spans_the_planned_run() {
        let (train, eval) = run();
        let texts = texts(&loss_svg(&train, &eval, &LINEAR));
        assert!(texts.iter().any(|t| t == "100"), "{texts:?}");
        let unplanned = LossChartOptions {
            total_steps: None,
            ..LINEAR
        };
        let texts = super::super::read::texts(&loss_svg(&train, &eval, &unplanned));
        assert!(!texts.iter().any(|t| t == "100"), "{texts:?}");
        assert!(texts.iter().any(|t| t == "60"), "{texts:?}");
    }

    #[test]
    fn log_scale_labels_powers_of_ten_where_linear_labels_even_steps() {
        let (train, eval) = run();
        let log = texts(&loss_svg(&train, &eval, &LOG));
        for tick in ["0.1", "1", "10"] {
            assert!(log.iter().any(|t| t == tick), "{tick} missing from {log:?}");
        }
        assert!(log.iter().any(|t| t == "Loss (log)"));
        assert!(!log.iter().any(|t| t == "0.5"), "{log:?}");
        let linear = texts(&loss_svg(&train, &eval, &LINEAR));
        assert!(!linear.iter().any(|t| t == "0.1"), "{linear:?}");
        assert!(linear.iter().any(|t| t == "Loss"));
        // Even steps from a round floor: 0, 0.5, … up to above 2.5.
        for tick in ["0", "0.5", "1.5", "2.5"] {
            assert!(
                linear.iter().any(|t| t == tick),
                "{tick} missing from {linear:?}"
            );
        }
    }

    #[test]
    fn no_training_point_draws_nothing_and_log_skips_what_it_cannot_place() {
        let (_, eval) = run();
        assert_eq!(loss_svg(&[], &eval, &LINEAR), "");
        let odd = vec![
            point(1, Some(f64::NAN), None),
            point(2, Some(0.0), None),
            point(3, Some(1.5), None),
            point(4, None, None),
            point(5, Some(1.2), None),
        ];
        assert_eq!(train_points(&odd, &LINEAR), 3);
        assert_eq!(train_points(&odd, &LOG), 2);
        let svg = loss_svg(&odd, &[], &LOG);
        assert_eq!(lines_in(&svg, "#4F46E5").len(), 1, "{svg}");
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    }

    #[test]
    fn a_flat_loss_still_gets_an_axis() {
        let flat: Vec<MetricPoint> = (1..=5).map(|s| point(s, Some(1.0), None)).collect();
        let svg = loss_svg(&flat, &[], &LINEAR);
        assert_eq!(lines_in(&svg, "#4F46E5").len(), 1, "{svg}");
        assert!(!svg.contains("NaN"), "{svg}");
        assert!(texts(&svg).len() > 4);
    }

    #[test]
    fn the_linear_floor_is_round_and_below_the_lowest_loss() {
        assert_eq!(linear_floor(0.32, 2.5), 0.0);
        assert_eq!(linear_floor(1.43, 2.1), 1.4);
        assert_eq!(linear_floor(1.0, 1.0), 1.0);
        assert_eq!(decades(0.3, 2.8), 2);
        assert_eq!(decades(1.5, 1.6), 1);
    }
}
