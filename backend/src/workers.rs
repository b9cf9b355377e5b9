//! The background workers' supervision: each runs under `supervise`, which
//! logs a panic and starts the worker again, and each reports its successful
//! ticks here, for `/api/health`.

use chrono::{DateTime, Utc};
use futures::FutureExt;
use std::collections::BTreeMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use std::time::Duration;

/// When each worker last finished a tick without an error.
#[derive(Default)]
pub struct WorkerHealth {
    last_tick: Mutex<BTreeMap<&'static str, DateTime<Utc>>>,
}

impl WorkerHealth {
    pub fn ticked(&self, worker: &'static str) {
        self.last_tick
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(worker, Utc::now());
    }

    /// Worker name → its last successful tick.
    pub fn report(&self) -> BTreeMap<&'static str, DateTime<Utc>> {
        self.last_tick
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// Runs the worker `start` makes until the server stops: when it panics (or
/// returns), the panic is logged and a new one starts after `pause`.
#[tracing::instrument(skip_all, fields(worker = worker))]
pub async fn supervise<F, Fut>(worker: &'static str, pause: Duration, start: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        match AssertUnwindSafe(start()).catch_unwind().await {
            Ok(()) => tracing::warn!(worker, "worker stopped; starting it again"),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(worker, %message, "worker panicked; starting it again");
            }
        }
        tokio::time::sleep(pause).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_panicking_worker_is_started_again_and_its_ticks_are_reported() {
        let health = Arc::new(WorkerHealth::default());
        let starts = Arc::new(AtomicUsize::new(0));
        let (h, s) = (health.clone(), starts.clone());
        let supervisor = tokio::spawn(supervise("test", Duration::from_millis(1), move || {
            let (h, s) = (h.clone(), s.clone());
            async move {
                if s.fetch_add(1, Ordering::SeqCst) < 2 {
                    panic!("a bad tick");
                }
                loop {
                    h.ticked("test");
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
        }));
        for _ in 0..500 {
            if health.report().contains_key("test") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        supervisor.abort();
        assert_eq!(starts.load(Ordering::SeqCst), 3, "two panics, then it ran");
        assert!(health.report().contains_key("test"));
    }
}
