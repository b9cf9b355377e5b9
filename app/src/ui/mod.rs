//! BrightRun's UI kit, written once and used by every page. Components take
//! semantic props (variant, tone, size) and map them to classes defined in
//! `style/main.css`; pages never carry one-off colours.

mod action_errors;
mod alert_dialog;
mod badge;
mod button;
mod card;
mod empty_state;
mod error_display;
mod form;
pub mod format;
mod id_param;
mod list_filters;
mod pagination;
mod progress;
mod select;
mod server_chart;
mod skeleton;
mod stats_card;
pub mod timer;

pub use action_errors::ActionErrors;
pub use alert_dialog::AlertDialog;
pub use badge::{Badge, BadgeTone};
pub use button::Button;
pub use card::Card;
pub use empty_state::EmptyState;
pub use error_display::{ActionError, ErrorDisplay};
pub use form::{FieldError, Input, Label, Textarea};
pub use id_param::use_id_param;
pub use list_filters::{ListFilters, use_list_filters};
pub use pagination::PageLinks;
pub use progress::Progress;
pub use select::Select;
pub use server_chart::{ChartSvg, ServerChart};
pub use skeleton::Skeleton;
pub use stats_card::StatsCard;
