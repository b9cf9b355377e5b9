use crate::ui::{Badge, BadgeTone};
use brightrun::JobStatus;
use leptos::prelude::*;

pub fn label(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Queued => "queued",
        JobStatus::Initializing => "starting",
        JobStatus::Running => "training",
        JobStatus::Completed => "completed",
        JobStatus::Failed => "failed",
        JobStatus::Cancelled => "cancelled",
    }
}

#[component]
pub fn JobStatusBadge(status: JobStatus) -> impl IntoView {
    let tone = match status {
        JobStatus::Completed => BadgeTone::Success,
        JobStatus::Failed => BadgeTone::Danger,
        JobStatus::Running | JobStatus::Initializing => BadgeTone::Info,
        JobStatus::Queued => BadgeTone::Warning,
        JobStatus::Cancelled => BadgeTone::Neutral,
    };
    view! { <span data-testid="job-status" data-status=status.as_str()><Badge tone=tone>{label(status)}</Badge></span> }
}
