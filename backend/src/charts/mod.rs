//! BrightRun's charts, drawn with `charts-rs` on the server: pure functions
//! from a page's data to an SVG `String` the page inserts as it is. Drawn
//! here rather than in the browser because charts-rs embeds a 168 KB font
//! (and its layout code), which the hydrate bundle need not carry.
//!
//! - [`loss_svg`]: a job's training and validation loss by step, linear or
//!   log-scale.
//! - [`histogram_svg`]: a dataset's token lengths, with the max-length line.
//! - [`cost_trend_svg`]: the month's cost by day.
//!
//! A job's chart read from the database is `jobs::chart::loss_chart`.

mod cost_trend;
mod histogram;
mod loss;
mod style;

pub use cost_trend::cost_trend_svg;
pub use histogram::histogram_svg;
pub use loss::{LossChartOptions, loss_svg, train_points as loss_train_points};

/// A chart as a page shows it: the SVG, and how many points (training
/// steps, bins, days) it draws, which the page exposes as `data-points`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drawn {
    pub svg: String,
    pub points: u32,
}

/// Reading the drawn SVGs back in tests: the series' paths by colour, the
/// texts (labels, legend).
#[cfg(test)]
pub(crate) mod read {
    /// The `<path>` elements drawn as a line (no fill) in `hex` (upper case,
    /// as charts-rs writes it): stroked themselves, or in a group that is
    /// (compact SVG hoists a series' stroke to a `<g>` around it).
    pub fn lines_in<'a>(svg: &'a str, hex: &str) -> Vec<&'a str> {
        let stroke = format!("stroke=\"{hex}\"");
        let mut found = Vec::new();
        for (at, _) in svg.match_indices("<path ") {
            let rest = &svg[at..];
            let attrs = &rest[..rest.find('>').unwrap_or(rest.len())];
            if !attrs.contains("fill=\"none\"") || !attrs.contains("d=\"M") {
                continue;
            }
            let own = attrs.contains("stroke=\"");
            let group = svg[..at]
                .rfind("<g ")
                .filter(|&g| !svg[g..at].contains("</g>"));
            let grouped = group.is_some_and(|g| {
                let open = &svg[g..];
                open[..open.find('>').unwrap_or(open.len())].contains(&stroke)
            });
            if (own && attrs.contains(&stroke)) || (!own && grouped) {
                found.push(attrs);
            }
        }
        found
    }

    /// Every `<text>`'s content, trimmed.
    pub fn texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                let body = &t[t.find('>')? + 1..];
                Some(body[..body.find("</text>")?].trim().to_string())
            })
            .collect()
    }
}
