//! The agent: the job table and its workers, without HTTP. `serve` puts the
//! cluster API in front of it; BrightRun's `local` backend embeds it in the
//! server and calls it directly. Both see the same jobs the same way.

use super::jobs::{Job, JobTable, Status};
use super::{store, worker};
use crate::spec::JobSpec;
use brightrun::cluster::{JobQuery, JobUpdate, JobView, Progress, StepMetrics};
use chrono::Utc;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    #[error("no job with id `{0}`")]
    NotFound(String),
    #[error("job `{id}` is already {status}")]
    Finished { id: String, status: &'static str },
    #[error("cancelling the job: {0}")]
    Io(#[from] io::Error),
}

pub struct Agent {
    table: Arc<JobTable>,
    stopping: Arc<AtomicBool>,
    stop: watch::Sender<bool>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl Agent {
    /// Opens the job table in `data_dir` (re-queueing what was running) and
    /// starts `concurrency` workers on the current tokio runtime. A job is
    /// resumed from its last checkpoint at most `max_resumes` times.
    pub fn start(data_dir: &Path, concurrency: usize, max_resumes: u32) -> io::Result<Self> {
        let table = Arc::new(JobTable::open(data_dir, max_resumes)?);
        let (stop, stop_rx) = watch::channel(false);
        let stopping = Arc::new(AtomicBool::new(false));
        let workers = (0..concurrency.max(1))
            .map(|_| {
                tokio::spawn(worker::worker(
                    table.clone(),
                    stopping.clone(),
                    stop_rx.clone(),
                ))
            })
            .collect();
        Ok(Self {
            table,
            stopping,
            stop,
            workers: Mutex::new(workers),
        })
    }

    /// Queues a job, or returns the one already submitted under its `job_id`
    /// with `false`. Writes to disk: call from a blocking context.
    pub fn submit(&self, spec: JobSpec) -> io::Result<(JobView, bool)> {
        spec.check().map_err(io::Error::other)?;
        let (job, created) = self.table.submit(spec)?;
        let mut view = view(&job);
        if created {
            // Reported as queued even if a worker took it meanwhile.
            view.status = Status::Queued;
        }
        Ok((view, created))
    }

    pub fn job(&self, id: &str) -> Option<JobView> {
        self.table.get(id).map(|j| view(&j))
    }

    /// The jobs asked for, in order, leaving out ids the agent does not know;
    /// `None`: every job, oldest first.
    pub fn jobs(&self, ids: Option<&[&str]>) -> Vec<JobView> {
        match ids {
            Some(ids) => ids
                .iter()
                .filter_map(|id| self.table.get(id))
                .map(|j| view(&j))
                .collect(),
            None => self.table.all().iter().map(|j| view(j)).collect(),
        }
    }

    /// The job's points after `after_step` (all without it).
    pub fn metrics(&self, id: &str, after_step: Option<u64>) -> Option<Vec<StepMetrics>> {
        let job = self.table.get(id)?;
        Some(points_after(&job, after_step))
    }

    /// Status and new points of many jobs in one call; unknown ids left out.
    pub fn query(&self, asks: &[JobQuery]) -> Vec<JobUpdate> {
        asks.iter()
            .filter_map(|q| {
                let job = self.table.get(&q.id)?;
                Some(JobUpdate {
                    job: view(&job),
                    points: points_after(&job, q.after_step),
                })
            })
            .collect()
    }

    /// A queued job is cancelled at once, a running one stops at its next
    /// step. Writes to disk: call from a blocking context.
    pub fn cancel(&self, id: &str) -> Result<JobView, CancelError> {
        let job = self
            .table
            .get(id)
            .ok_or_else(|| CancelError::NotFound(id.to_string()))?;
        let mut guard = job.lock();
        let r = &mut guard.record;
        match r.status {
            s if s.is_terminal() => {
                return Err(CancelError::Finished {
                    id: id.to_string(),
                    status: s.as_str(),
                });
            }
            Status::Queued => {
                r.status = Status::Cancelled;
                r.cancel_requested = true;
                r.finished_at = Some(Utc::now());
                job.persist(&guard)?;
                drop(guard);
                job.log("cancelled before it started");
            }
            _ => {
                let first = !r.cancel_requested;
                if first {
                    r.cancel_requested = true;
                    job.persist(&guard)?;
                }
                // Unlocked before logging and viewing, which lock again.
                drop(guard);
                if first {
                    job.log("cancel requested: stopping at the next step");
                }
                job.cancel.store(true, Ordering::SeqCst);
            }
        }
        Ok(view(&job))
    }

    /// The job's log from byte `offset`: the text and the next offset.
    pub fn logs(&self, id: &str, offset: u64) -> Option<io::Result<(String, u64)>> {
        let job = self.table.get(id)?;
        Some(store::read_from(&job.log_path(), offset))
    }

    /// Interrupts running jobs at their next step (they stay `running` on
    /// disk, to resume on the next start) and waits for the workers.
    pub async fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.table.interrupt_running();
        let _ = self.stop.send(true);
        let workers = std::mem::take(&mut *self.workers.lock().unwrap_or_else(|e| e.into_inner()));
        for w in workers {
            let _ = w.await;
        }
    }
}

fn points_after(job: &Job, after_step: Option<u64>) -> Vec<StepMetrics> {
    let guard = job.lock();
    let from = after_step.map_or(0, |after| guard.points.partition_point(|p| p.step <= after));
    guard.points[from..].to_vec()
}

fn view(job: &Job) -> JobView {
    let state = job.lock();
    let r = &state.record;
    let last = state.points.last();
    JobView {
        id: job.id.clone(),
        job_id: r.spec.job_id.clone(),
        status: r.status,
        progress: Progress {
            step: last.map_or(0, |p| p.step),
            total_steps: r.total_steps,
            epoch: last.map_or(0.0, |p| p.epoch),
        },
        metrics: last.cloned(),
        error: r.error.clone(),
        created_at: r.created_at,
        started_at: r.started_at,
        finished_at: r.finished_at,
        device: r.device.clone(),
    }
}
