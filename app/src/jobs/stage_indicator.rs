//! JobStageIndicator: queued → starting → training → completed, with the
//! end the job reached (completed, failed or cancelled).

use brightrun::JobStatus;
use leptos::prelude::*;

#[component]
pub fn JobStageIndicator(status: JobStatus) -> impl IntoView {
    let order = [
        (JobStatus::Queued, "Queued"),
        (JobStatus::Initializing, "Starting"),
        (JobStatus::Running, "Training"),
    ];
    let reached = |s: JobStatus| match status {
        JobStatus::Queued => s == JobStatus::Queued,
        JobStatus::Initializing => s != JobStatus::Running,
        _ => true,
    };
    let end = match status {
        JobStatus::Failed => ("Failed", "stage stage-failed"),
        JobStatus::Cancelled => ("Cancelled", "stage stage-cancelled"),
        JobStatus::Completed => ("Completed", "stage stage-done"),
        _ => ("Completed", "stage"),
    };
    view! {
        <ol class="stages" aria-label="Stage" data-testid="job-stages">
            {order.iter().map(|(s, name)| {
                let class = if *s == status { "stage stage-current" } else if reached(*s) { "stage stage-done" } else { "stage" };
                view! { <li class=class>{*name}</li> }
            }).collect_view()}
            <li class=end.1>{end.0}</li>
        </ol>
    }
}
