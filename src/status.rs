//! The status and kind enums stored in PostgreSQL. Each has one canonical
//! snake_case spelling, used in JSON, in the database (where CHECK constraints
//! list exactly these values) and in the UI.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A stored string that matches no variant of the enum it was read into.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} '{value}'")]
pub struct UnknownStatus {
    pub kind: &'static str,
    pub value: String,
}

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every variant, in lifecycle order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownStatus;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownStatus { kind: $kind, value: s.to_string() }),
                }
            }
        }
    };
}

string_enum!(
    /// Where a dataset is between upload and training.
    DatasetStatus, "dataset status", {
        PendingUpload => "pending_upload",
        Uploaded => "uploaded",
        Validating => "validating",
        Ready => "ready",
        Invalid => "invalid",
    }
);

string_enum!(
    /// A training job's state; the cluster API uses the same values.
    JobStatus, "job status", {
        Queued => "queued",
        Initializing => "initializing",
        Running => "running",
        Completed => "completed",
        Failed => "failed",
        Cancelled => "cancelled",
    }
);

string_enum!(
    /// What a notification is about; each links to its object.
    NotificationType, "notification type", {
        DatasetReady => "dataset_ready",
        DatasetInvalid => "dataset_invalid",
        JobStarted => "job_started",
        JobCompleted => "job_completed",
        JobFailed => "job_failed",
        JobCancelled => "job_cancelled",
        BudgetAlert => "budget_alert",
        ArtifactReady => "artifact_ready",
        ExportFailed => "export_failed",
    }
);

string_enum!(
    /// What a cost record bills for.
    CostType, "cost type", {
        Compute => "compute",
        Storage => "storage",
        DataTransfer => "data_transfer",
    }
);

impl JobStatus {
    /// A job in a terminal state never changes again.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_for_every_variant() {
        for s in JobStatus::ALL {
            assert_eq!(s.as_str().parse::<JobStatus>().unwrap(), *s);
            assert_eq!(
                serde_json::to_string(s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        for s in DatasetStatus::ALL {
            assert_eq!(s.as_str().parse::<DatasetStatus>().unwrap(), *s);
        }
        for s in NotificationType::ALL {
            assert_eq!(s.as_str().parse::<NotificationType>().unwrap(), *s);
        }
        for s in CostType::ALL {
            assert_eq!(s.as_str().parse::<CostType>().unwrap(), *s);
        }
    }

    #[test]
    fn unknown_text_names_the_kind() {
        let err = "done".parse::<JobStatus>().unwrap_err();
        assert_eq!(err.to_string(), "unknown job status 'done'");
    }

    #[test]
    fn only_completed_failed_cancelled_are_terminal() {
        let terminal: Vec<_> = JobStatus::ALL.iter().filter(|s| s.is_terminal()).collect();
        assert_eq!(
            terminal,
            [
                &JobStatus::Completed,
                &JobStatus::Failed,
                &JobStatus::Cancelled
            ]
        );
    }
}
