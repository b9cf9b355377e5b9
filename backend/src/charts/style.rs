//! The BrightRun look for charts: the colours, type sizes and font stack of
//! style/main.css, registered once as a charts-rs theme every chart uses.

use charts_rs::{Color, Theme, add_theme, get_theme};
use std::sync::LazyLock;

/// `--color-primary`: the training loss, the histogram's and trend's bars.
pub const PRIMARY: &str = "#4f46e5";
/// `--color-warning`: the validation loss.
pub const WARNING: &str = "#b45309";
/// `--color-danger`: the max-length line.
pub const DANGER: &str = "#c81e3a";
/// `--color-text`.
const TEXT: &str = "#161a2b";
/// `--color-text-muted`: axis labels.
const MUTED: &str = "#5d6478";
/// `--color-border`: grid lines and the axis.
const BORDER: &str = "#e2e5ee";
/// The page's sans-serif stack (`--font-sans` without its quotes, which
/// would end the SVG attribute). Text is measured with charts-rs's Roboto,
/// close enough to these for labels not to collide.
const FONT: &str = "Inter, system-ui, -apple-system, Segoe UI, Roboto, sans-serif";
/// Axis labels and the legend: `--text-sm`, readable at the charts' width.
pub const LABEL_SIZE: f32 = 13.0;

/// The palette index of [`DANGER`].
pub const LIMIT_INDEX: usize = 2;

const NAME: &str = "brightrun";

static REGISTERED: LazyLock<&'static str> = LazyLock::new(|| {
    add_theme(NAME, theme());
    NAME
});

/// The theme's name, registered on first use.
pub fn theme_name() -> &'static str {
    &REGISTERED
}

/// A colour from `#rrggbb`.
pub fn color(hex: &str) -> Color {
    Color::from(hex)
}

/// The light theme with BrightRun's colours, type and a transparent
/// background (the card behind it is the page's surface colour).
fn theme() -> Theme {
    let mut t = (*get_theme("light")).clone();
    let (text, muted, border) = (color(TEXT), color(MUTED), color(BORDER));
    t.font_family = FONT.to_string();
    t.background_color = Color::transparent();
    t.legend.font.size = LABEL_SIZE;
    t.legend.font.color = text;
    t.x_axis.font.size = LABEL_SIZE;
    t.x_axis.font.color = muted;
    t.x_axis.stroke_color = border;
    t.y_axis.font.size = LABEL_SIZE;
    t.y_axis.font.color = muted;
    t.grid.stroke_color = border;
    t.series.colors = vec![color(PRIMARY), color(WARNING), color(DANGER)];
    t.series.label.font.size = LABEL_SIZE;
    t.series.label.font.color = text;
    t
}
