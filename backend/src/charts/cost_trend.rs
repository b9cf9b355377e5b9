//! The month's cost trend: one bar per day, in dollars.

use super::style;
use brightrun::costs::DailyCost;
use charts_rs::BarChart;

const WIDTH: f32 = 720.0;
const HEIGHT: f32 = 220.0;

/// One bar per day as an SVG; an empty string when there are no days.
pub fn cost_trend_svg(days: &[DailyCost]) -> String {
    if days.is_empty() {
        return String::new();
    }
    let labels = days
        .iter()
        .map(|d| d.day.format("%b %-d").to_string())
        .collect();
    let amounts: Vec<f32> = days.iter().map(|d| d.amount as f32).collect();
    let max = amounts.iter().copied().fold(0.0, f32::max);
    let mut c = BarChart::new_with_theme(
        vec![("Cost (USD)", amounts).into()],
        labels,
        style::theme_name(),
    );
    c.width = WIDTH;
    c.height = HEIGHT;
    c.compact = true;
    c.margin = (8.0, 8.0, 16.0, 8.0).into();
    c.legend.show = Some(false);
    let y = &mut c.y_axis_configs[0];
    y.formatter = Some("${c}".to_string());
    y.split_number = 4;
    // The hover tooltips: cents, or a fraction of a cent on a month of
    // pennies (as the page's money formatting does).
    c.tooltip.show = true;
    c.series.label.formatter = if max < 0.01 { "4" } else { "2" }.to_string();
    c.svg().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::read::texts;
    use chrono::NaiveDate;

    fn days(amounts: &[f64]) -> Vec<DailyCost> {
        amounts
            .iter()
            .enumerate()
            .map(|(i, &amount)| DailyCost {
                day: NaiveDate::from_ymd_opt(2026, 12, i as u32 + 1).unwrap(),
                amount,
            })
            .collect()
    }

    #[test]
    fn one_bar_per_day_with_its_amount_and_dollar_ticks() {
        let svg = cost_trend_svg(&days(&[1.5, 0.0, 12.25, 3.0]));
        // Compact SVG draws a bar as a closed path.
        let bars: Vec<&str> = svg
            .split("<path ")
            .skip(1)
            .filter(|r| r.contains("fill=\"#4F46E5\"") && r.contains("data-value"))
            .collect();
        assert_eq!(bars.len(), 4, "{svg}");
        assert!(
            bars[2].contains("<title>Cost (USD): 12.25</title>"),
            "{}",
            bars[2]
        );
        assert!(bars[0].contains("data-category=\"Dec 1\""), "{}", bars[0]);
        let texts = texts(&svg);
        assert!(texts.iter().any(|t| t == "$0"), "{texts:?}");
        assert!(
            texts.iter().filter(|t| t.starts_with('$')).count() >= 3,
            "{texts:?}"
        );
        assert!(texts.iter().any(|t| t == "Dec 1"), "{texts:?}");
    }

    #[test]
    fn a_month_of_pennies_keeps_its_fractions() {
        let svg = cost_trend_svg(&days(&[0.0042, 0.0]));
        assert!(svg.contains("<title>Cost (USD): 0.0042</title>"), "{svg}");
    }

    #[test]
    fn no_days_draw_nothing() {
        assert_eq!(cost_trend_svg(&[]), "");
    }
}
