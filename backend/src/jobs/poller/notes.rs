//! What a job's status change tells its owner: started, completed (and its
//! adapter ready), failed with the reason, or cancelled. Each links to the
//! job's page (the adapter's, to the model's).

use super::job::Tracked;
use crate::notifications::{NewNotification, NotificationType};
use brightrun::JobStatus;

/// The notifications for the job's move this tick (none for other moves).
pub fn for_change(t: &Tracked) -> Vec<NewNotification> {
    let (job, change) = (&t.job, &t.change);
    let note = |kind, title: &str, message: String, link: String| NewNotification {
        owner: job.owner_id,
        kind,
        title: title.into(),
        message,
        link: Some(link),
    };
    let link = format!("/training/jobs/{}", job.id);
    let first = match change.status {
        JobStatus::Running if change.old_status != JobStatus::Running => note(
            NotificationType::JobStarted,
            "Training started",
            format!("{} is training on {}.", job.name, job.gpu_type),
            link,
        ),
        JobStatus::Completed => note(
            NotificationType::JobCompleted,
            "Training complete",
            format!("{} finished; its adapter is ready to download.", job.name),
            link,
        ),
        JobStatus::Failed => note(
            NotificationType::JobFailed,
            "Training failed",
            format!(
                "{}: {}",
                job.name,
                change.error.as_deref().unwrap_or("the trainer stopped")
            ),
            link,
        ),
        JobStatus::Cancelled => note(
            NotificationType::JobCancelled,
            "Training cancelled",
            format!("{} was cancelled; it is billed up to the cancel.", job.name),
            link,
        ),
        _ => return Vec::new(),
    };
    let mut notes = vec![first];
    if change.status == JobStatus::Completed {
        notes.push(note(
            NotificationType::ArtifactReady,
            "Adapter ready",
            format!(
                "The LoRA adapter from {} is in storage and ready to download.",
                job.name
            ),
            format!("/models/{}", job.model_id),
        ));
    }
    notes
}
