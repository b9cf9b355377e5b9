//! "3 min ago": how the notification lists say when.

use chrono::{DateTime, Utc};

pub fn time_ago(at: DateTime<Utc>) -> String {
    let secs = (Utc::now() - at).num_seconds().max(0);
    match secs {
        0..=59 => "just now".into(),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=86_399 => format!("{} h ago", secs / 3600),
        _ => at.format("%Y-%m-%d").to_string(),
    }
}
