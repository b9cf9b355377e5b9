//! The job table: every job the server has accepted, in memory and on disk
//! under `data-dir/jobs/<id>/` (`job.json`: spec, status, timestamps;
//! `metrics.jsonl`: one line per step; `log.txt`; `work/`: the trainer's
//! checkpoints and adapter). A restart loads it back and re-queues what was
//! running, which resumes from its last checkpoint.

use super::store;
use crate::spec::JobSpec;
use brightrun::cluster::StepMetrics;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;

/// A job's status: the app's own (DESIGN §4.2), one enum on both sides.
pub use brightrun::JobStatus as Status;

/// The default number of times a job is resumed from its last checkpoint
/// (after a restart of the trainer, or a passing failure such as an upload
/// that kept failing) before it is failed: something about it, or the
/// machine, keeps stopping it.
pub const MAX_RESUMES: u32 = 3;

/// What `job.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: String,
    pub spec: JobSpec,
    pub status: Status,
    #[serde(default)]
    pub error: Option<String>,
    /// From the trainer's `Started` event; 0 until then.
    #[serde(default)]
    pub total_steps: u64,
    /// How many times a restart of the server re-queued this job.
    #[serde(default)]
    pub resume_count: u32,
    /// A cancel arrived while it ran; a restart finishes it as cancelled.
    #[serde(default)]
    pub cancel_requested: bool,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub finished_at: Option<DateTime<Utc>>,
    /// The device it trains on, once chosen (see `crate::device`).
    #[serde(default)]
    pub device: Option<brightrun::cluster::DeviceInfo>,
}

pub struct JobState {
    pub record: JobRecord,
    /// Every step's metrics, in step order.
    pub points: Vec<StepMetrics>,
}

pub struct Job {
    pub id: String,
    pub dir: PathBuf,
    /// Set to stop the run at its next step: a cancel, or the server stopping.
    pub cancel: Arc<AtomicBool>,
    state: Mutex<JobState>,
}

impl Job {
    pub fn lock(&self) -> MutexGuard<'_, JobState> {
        // A panic elsewhere must not take every request down with it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn work_dir(&self) -> PathBuf {
        self.dir.join("work")
    }

    fn record_path(&self) -> PathBuf {
        self.dir.join("job.json")
    }

    fn metrics_path(&self) -> PathBuf {
        self.dir.join("metrics.jsonl")
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.join("log.txt")
    }

    /// Rewrites `job.json`; call with the state locked so writes keep their order.
    pub fn persist(&self, state: &JobState) -> io::Result<()> {
        let json = serde_json::to_vec_pretty(&state.record).map_err(io::Error::other)?;
        store::write_atomic(&self.record_path(), &json)
    }

    /// Persists, logging rather than returning a failure: the in-memory
    /// state stays right and the next write tries again.
    pub fn persist_or_warn(&self, state: &JobState) {
        if let Err(e) = self.persist(state) {
            tracing::error!(job = %self.id, "writing job.json: {e}");
        }
    }

    pub fn add_point(&self, state: &mut JobState, point: &StepMetrics) {
        match serde_json::to_string(point) {
            Ok(line) => {
                if let Err(e) = store::append_line(&self.metrics_path(), &line) {
                    tracing::error!(job = %self.id, "writing metrics.jsonl: {e}");
                }
            }
            Err(e) => tracing::error!(job = %self.id, "metrics to JSON: {e}"),
        }
        state.points.push(point.clone());
    }

    /// A resumed run repeats the steps after its checkpoint: drop the points
    /// past it so the series stays one point per step.
    pub fn truncate_points(&self, state: &mut JobState, last_kept_step: u64) {
        if state.points.last().is_none_or(|p| p.step <= last_kept_step) {
            return;
        }
        state.points.retain(|p| p.step <= last_kept_step);
        let mut text = String::new();
        for p in &state.points {
            if let Ok(line) = serde_json::to_string(p) {
                text.push_str(&line);
                text.push('\n');
            }
        }
        if let Err(e) = store::write_atomic(&self.metrics_path(), text.as_bytes()) {
            tracing::error!(job = %self.id, "rewriting metrics.jsonl: {e}");
        }
    }

    /// One line in the job's log, prefixed with the time.
    pub fn log(&self, message: &str) {
        let line = format!(
            "{} {message}",
            Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        if let Err(e) = store::append_line(&self.log_path(), &line) {
            tracing::error!(job = %self.id, "writing log.txt: {e}");
        }
    }
}

struct Inner {
    jobs: HashMap<String, Arc<Job>>,
    by_job_id: HashMap<String, String>,
    queue: VecDeque<String>,
}

pub struct JobTable {
    jobs_dir: PathBuf,
    /// Resumes a job gets before it is failed.
    pub max_resumes: u32,
    inner: Mutex<Inner>,
    queued: Notify,
}

impl JobTable {
    /// Loads every job under `data_dir/jobs`. Queued jobs stay queued; jobs
    /// that were initializing or running when the server stopped are queued
    /// again (the trainer resumes them from their checkpoint), unless they
    /// have been resumed [`MAX_RESUMES`] times already or a cancel was asked.
    pub fn open(data_dir: &Path, max_resumes: u32) -> io::Result<Self> {
        let jobs_dir = data_dir.join("jobs");
        create_private_dir(data_dir)?;
        create_private_dir(&jobs_dir)?;
        let mut jobs = HashMap::new();
        let mut by_job_id = HashMap::new();
        let mut queue = Vec::new();
        for entry in std::fs::read_dir(&jobs_dir)? {
            let dir = entry?.path();
            let Some(job) = load_job(&dir) else { continue };
            {
                let mut state = job.lock();
                let now = Utc::now();
                let r = &mut state.record;
                if matches!(r.status, Status::Initializing | Status::Running) {
                    let message = if r.cancel_requested {
                        r.status = Status::Cancelled;
                        r.finished_at = Some(now);
                        "the trainer restarted after a cancel was asked: cancelled".to_string()
                    } else if r.resume_count >= max_resumes {
                        let why = format!(
                            "the trainer restarted while this job ran {} times; not resuming it again",
                            r.resume_count + 1
                        );
                        r.status = Status::Failed;
                        r.error = Some(why.clone());
                        r.finished_at = Some(now);
                        format!("failed: {why}")
                    } else {
                        r.resume_count += 1;
                        r.status = Status::Queued;
                        format!(
                            "the trainer restarted: queued to resume from the last checkpoint (resume {} of {max_resumes})",
                            r.resume_count
                        )
                    };
                    job.persist(&state)?;
                    job.log(&message);
                }
                let r = &state.record;
                if r.status == Status::Queued {
                    queue.push((r.resume_count == 0, r.created_at, job.id.clone()));
                }
                by_job_id.insert(r.spec.job_id.clone(), job.id.clone());
            }
            jobs.insert(job.id.clone(), job);
        }
        // Resumed jobs first (they were running), then in the order they came.
        queue.sort();
        let table = Self {
            jobs_dir,
            max_resumes,
            inner: Mutex::new(Inner {
                jobs,
                by_job_id,
                queue: queue.into_iter().map(|(_, _, id)| id).collect(),
            }),
            queued: Notify::new(),
        };
        let n = table.lock().queue.len();
        for _ in 0..n {
            table.queued.notify_one();
        }
        Ok(table)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, id: &str) -> Option<Arc<Job>> {
        self.lock().jobs.get(id).cloned()
    }

    /// Every job, oldest first.
    pub fn all(&self) -> Vec<Arc<Job>> {
        let mut jobs: Vec<_> = self.lock().jobs.values().cloned().collect();
        jobs.sort_by_cached_key(|j| (j.lock().record.created_at, j.id.clone()));
        jobs
    }

    /// Queues a new job, or returns the one already submitted under the same
    /// `job_id` (the idempotency key) with `false`.
    pub fn submit(&self, spec: JobSpec) -> io::Result<(Arc<Job>, bool)> {
        let mut inner = self.lock();
        if let Some(job) = inner
            .by_job_id
            .get(&spec.job_id)
            .and_then(|id| inner.jobs.get(id))
        {
            return Ok((job.clone(), false));
        }
        let id = format!("tj_{}", uuid::Uuid::new_v4().simple());
        let dir = self.jobs_dir.join(&id);
        std::fs::create_dir(&dir)?;
        let job_id = spec.job_id.clone();
        let record = JobRecord {
            id: id.clone(),
            spec,
            status: Status::Queued,
            error: None,
            total_steps: 0,
            resume_count: 0,
            cancel_requested: false,
            created_at: Utc::now(),
            started_at: None,
            finished_at: None,
            device: None,
        };
        let job = Arc::new(Job {
            id: id.clone(),
            dir,
            cancel: Arc::new(AtomicBool::new(false)),
            state: Mutex::new(JobState {
                record,
                points: Vec::new(),
            }),
        });
        if let Err(e) = job.persist(&job.lock()) {
            let _ = std::fs::remove_dir_all(&job.dir);
            return Err(e);
        }
        job.log(&format!("queued (job_id {job_id})"));
        inner.by_job_id.insert(job_id, id.clone());
        inner.jobs.insert(id.clone(), job.clone());
        inner.queue.push_back(id);
        drop(inner);
        self.queued.notify_one();
        Ok((job, true))
    }

    /// Waits for the next queued job (skipping any cancelled meanwhile).
    pub async fn next_queued(&self) -> Arc<Job> {
        loop {
            {
                let mut inner = self.lock();
                while let Some(id) = inner.queue.pop_front() {
                    if let Some(job) = inner.jobs.get(&id)
                        && job.lock().record.status == Status::Queued
                    {
                        return job.clone();
                    }
                }
            }
            self.queued.notified().await;
        }
    }

    /// Puts a job back at the head of the queue (a worker picked it as the
    /// server was stopping).
    pub fn requeue_front(&self, job: &Job) {
        self.lock().queue.push_front(job.id.clone());
        self.queued.notify_one();
    }

    /// Stops every job that is running at its next step, leaving its status
    /// as it is so that a restart resumes it.
    pub fn interrupt_running(&self) {
        for job in self.lock().jobs.values() {
            if matches!(
                job.lock().record.status,
                Status::Initializing | Status::Running
            ) {
                job.cancel.store(true, Ordering::SeqCst);
            }
        }
    }
}

fn load_job(dir: &Path) -> Option<Arc<Job>> {
    let path = dir.join("job.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::error!("skipping {}: {e}", path.display());
            return None;
        }
    };
    let record: JobRecord = match serde_json::from_str(&text) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("skipping {}: {e}", path.display());
            return None;
        }
    };
    // A crash mid-append can leave a partial last line: skip what does not parse.
    let mut points: Vec<StepMetrics> = std::fs::read_to_string(dir.join("metrics.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    points.sort_by_key(|p| p.step);
    points.dedup_by_key(|p| p.step);
    Some(Arc::new(Job {
        id: record.id.clone(),
        dir: dir.to_path_buf(),
        cancel: Arc::new(AtomicBool::new(false)),
        state: Mutex::new(JobState { record, points }),
    }))
}

/// The data dir holds specs with signed URLs: readable by its owner only.
fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(job_id: &str) -> JobSpec {
        JobSpec::from_json(&format!(
            r#"{{"job_id":"{job_id}","base_model":"tiny-llama","dataset":"d.jsonl","output":{{"folder":"o"}}}}"#
        ))
        .unwrap()
    }

    fn set_status(table: &JobTable, id: &str, status: Status, resumes: u32) {
        let job = table.get(id).unwrap();
        let mut state = job.lock();
        state.record.status = status;
        state.record.resume_count = resumes;
        job.persist(&state).unwrap();
    }

    #[test]
    fn a_reopened_table_requeues_running_jobs_until_the_resume_limit() {
        let dir = tempfile::tempdir().unwrap();
        let table = JobTable::open(dir.path(), MAX_RESUMES).unwrap();
        let (queued, _) = table.submit(spec("a")).unwrap();
        let (running, _) = table.submit(spec("b")).unwrap();
        let (worn, _) = table.submit(spec("c")).unwrap();
        let (done, _) = table.submit(spec("d")).unwrap();
        let (again, created) = table.submit(spec("a")).unwrap();
        assert!(!created);
        assert_eq!(again.id, queued.id);
        set_status(&table, &running.id, Status::Running, 0);
        set_status(&table, &worn.id, Status::Initializing, MAX_RESUMES);
        set_status(&table, &done.id, Status::Completed, 0);
        drop(table);

        let table = JobTable::open(dir.path(), MAX_RESUMES).unwrap();
        let status = |id: &str| table.get(id).unwrap().lock().record.clone();
        assert_eq!(status(&queued.id).status, Status::Queued);
        let r = status(&running.id);
        assert_eq!((r.status, r.resume_count), (Status::Queued, 1));
        let r = status(&worn.id);
        assert_eq!(r.status, Status::Failed);
        assert!(r.error.unwrap().contains("restarted"));
        assert_eq!(status(&done.id).status, Status::Completed);
        // The resumed job goes first, then the one that was waiting.
        let inner = table.lock();
        assert_eq!(
            inner.queue.iter().cloned().collect::<Vec<_>>(),
            vec![running.id.clone(), queued.id.clone()]
        );
        assert_eq!(inner.by_job_id["c"], worn.id);
    }
}
