//! What an export's owner is told when it ends: ready (`artifact_ready`,
//! with its size) or failed (`export_failed`, with the reason), each
//! linking to the model's page.

use crate::notifications::{NewNotification, NotificationType};
use brightrun::base_models::files::human_bytes;
use brightrun::models::ExportFormat;
use uuid::Uuid;

/// The export being told about.
pub struct Ended<'a> {
    pub owner: Uuid,
    pub model: Uuid,
    pub model_name: &'a str,
    /// The stored format name; an unknown one is shown as it is.
    pub format: &'a str,
}

impl Ended<'_> {
    fn label(&self) -> String {
        ExportFormat::parse(self.format)
            .map(|f| f.label().to_string())
            .unwrap_or_else(|| self.format.to_string())
    }

    fn note(&self, kind: NotificationType, title: &str, message: String) -> NewNotification {
        NewNotification {
            owner: self.owner,
            kind,
            title: title.into(),
            message,
            link: Some(format!("/models/{}", self.model)),
        }
    }

    pub fn ready(&self, size_bytes: u64) -> NewNotification {
        let message = format!(
            "{} is ready to download as {} ({}).",
            self.model_name,
            self.label(),
            human_bytes(size_bytes)
        );
        self.note(NotificationType::ArtifactReady, "Export ready", message)
    }

    pub fn failed(&self, reason: &str) -> NewNotification {
        let message = format!(
            "The {} export of {} failed: {reason}",
            self.label(),
            self.model_name
        );
        self.note(NotificationType::ExportFailed, "Export failed", message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_reads_what_ended_how_and_where_to_look() {
        let ended = Ended {
            owner: Uuid::nil(),
            model: Uuid::nil(),
            model_name: "eq-advisor",
            format: "gguf-q4_k_m",
        };
        let ready = ended.ready(1_300_000_000);
        assert_eq!(ready.kind, NotificationType::ArtifactReady);
        assert!(ready.message.contains("eq-advisor"), "{}", ready.message);
        assert!(ready.message.contains("GGUF q4_K_M"), "{}", ready.message);
        assert!(ready.message.contains("GB"), "{}", ready.message);
        let failed = ended.failed("The export was stopped.");
        assert_eq!(failed.kind, NotificationType::ExportFailed);
        assert!(failed.message.ends_with("failed: The export was stopped."));
        assert_eq!(
            failed.link.as_deref(),
            Some(format!("/models/{}", Uuid::nil()).as_str())
        );
    }
}
