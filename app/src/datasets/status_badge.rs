use crate::ui::{Badge, BadgeTone};
use brightrun::DatasetStatus;
use leptos::prelude::*;

pub fn label(status: DatasetStatus) -> &'static str {
    match status {
        DatasetStatus::PendingUpload => "uploading",
        DatasetStatus::Uploaded => "queued for validation",
        DatasetStatus::Validating => "validating",
        DatasetStatus::Ready => "ready",
        DatasetStatus::Invalid => "needs fixing",
    }
}

#[component]
pub fn DatasetStatusBadge(status: DatasetStatus) -> impl IntoView {
    let tone = match status {
        DatasetStatus::Ready => BadgeTone::Success,
        DatasetStatus::Invalid => BadgeTone::Danger,
        DatasetStatus::Validating | DatasetStatus::Uploaded => BadgeTone::Info,
        DatasetStatus::PendingUpload => BadgeTone::Warning,
    };
    view! { <span data-testid="dataset-status" data-status=status.as_str()><Badge tone=tone>{label(status)}</Badge></span> }
}

pub fn megabytes(bytes: u64) -> String {
    if bytes < 1024 * 1024 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MB", bytes as f64 / 1_048_576.0)
    }
}
