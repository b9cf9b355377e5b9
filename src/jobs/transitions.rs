//! The job state machine: `queued → initializing → running → completed |
//! failed | cancelled`. Any other move is rejected; the poller logs it.

use crate::status::JobStatus;

/// A move the state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a job cannot go from {from} to {to}")]
pub struct IllegalTransition {
    pub from: JobStatus,
    pub to: JobStatus,
}

/// Whether a job may move from `from` to `to` in one step. Staying put is
/// not a move. A job may skip stages it was never seen in (a short run can
/// be queued at one poll and completed at the next), but never go back.
pub fn allowed(from: JobStatus, to: JobStatus) -> bool {
    use JobStatus::*;
    match (from, to) {
        _ if from.is_terminal() => false,
        (_, Queued) => false,
        (Queued, Initializing | Running) => true,
        (Initializing, Running) => true,
        (Queued | Initializing | Running, Completed | Failed | Cancelled) => true,
        _ => false,
    }
}

pub fn check(from: JobStatus, to: JobStatus) -> Result<(), IllegalTransition> {
    if allowed(from, to) {
        Ok(())
    } else {
        Err(IllegalTransition { from, to })
    }
}

/// Retry puts a failed (or cancelled) job back in the queue; it is the one
/// way out of a terminal state, and it starts a new run.
pub fn can_retry(status: JobStatus) -> bool {
    matches!(status, JobStatus::Failed | JobStatus::Cancelled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use JobStatus::*;

    #[test]
    fn every_pair_is_allowed_or_rejected_as_the_machine_says() {
        let legal = [
            (Queued, Initializing),
            (Queued, Running),
            (Queued, Completed),
            (Queued, Failed),
            (Queued, Cancelled),
            (Initializing, Running),
            (Initializing, Completed),
            (Initializing, Failed),
            (Initializing, Cancelled),
            (Running, Completed),
            (Running, Failed),
            (Running, Cancelled),
        ];
        let mut rejected = 0;
        for &from in JobStatus::ALL {
            for &to in JobStatus::ALL {
                let expected = legal.contains(&(from, to));
                assert_eq!(allowed(from, to), expected, "{from} -> {to}");
                if !expected {
                    rejected += 1;
                    let e = check(from, to).unwrap_err();
                    assert_eq!(
                        e.to_string(),
                        format!("a job cannot go from {from} to {to}")
                    );
                }
            }
        }
        assert_eq!(rejected, 36 - legal.len());
        assert!(can_retry(Failed) && can_retry(Cancelled));
        assert!(!can_retry(Completed) && !can_retry(Running));
    }
}
