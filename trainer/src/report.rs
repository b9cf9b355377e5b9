//! Progress for schedulers that know nothing of steps and losses (Ray):
//! while `run` trains, the job's view (`serve::JobView`) and its
//! `metrics.jsonl` so far are PUT to the spec's signed report URLs — at the
//! first step, then at most every `EVERY`, and always at the end — so the
//! server reads progress from storage instead of scraping logs. A failed
//! progress upload is logged and retried at the next one; only the last,
//! which says how the run ended, must land.

use crate::error::{Result, TrainerError};
use crate::serve::{JobView, Progress, Status};
use crate::spec::Report;
use crate::train::{Event, TrainOutcome};
use chrono::Utc;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub const EVERY: Duration = Duration::from_secs(2);

pub struct Reporter {
    urls: Report,
    metrics_file: PathBuf,
    view: JobView,
    last: Option<Instant>,
}

impl Reporter {
    pub fn new(urls: Report, job_id: &str, work_dir: &std::path::Path) -> Self {
        Self {
            urls,
            metrics_file: work_dir.join("metrics.jsonl"),
            view: JobView::new(job_id, Status::Initializing, Utc::now()),
            last: None,
        }
    }

    /// The device the job trains on, reported from the next report on.
    pub fn set_device(&mut self, device: brightrun::cluster::DeviceInfo) {
        self.view.device = Some(device);
    }

    /// Says the job has started (before the dataset and model load).
    pub fn begin(&mut self) {
        self.send(false);
    }

    pub fn on_event(&mut self, event: &Event) {
        match event {
            Event::Started {
                total_steps,
                device,
                ..
            } => {
                self.view.device = Some(device.clone());
                self.view.status = Status::Running;
                self.view.started_at.get_or_insert_with(Utc::now);
                self.view.progress.total_steps = *total_steps;
                self.send(false);
            }
            Event::Step(m) => {
                self.view.progress = Progress {
                    step: m.step,
                    total_steps: m.total_steps,
                    epoch: m.epoch,
                };
                self.view.metrics = Some(m.clone());
                let first = self.view.progress.step <= 1;
                if first || self.last.is_none_or(|t| t.elapsed() >= EVERY) {
                    self.send(true);
                }
            }
            _ => {}
        }
    }

    /// The last report: how the run ended. Its failure is the run's failure.
    pub fn finish(&mut self, result: &Result<TrainOutcome>) -> Result<()> {
        self.view.finished_at = Some(Utc::now());
        match result {
            Ok(_) => self.view.status = Status::Completed,
            Err(TrainerError::Cancelled) => self.view.status = Status::Cancelled,
            Err(e) => {
                self.view.status = Status::Failed;
                self.view.error = Some(e.to_string());
            }
        }
        self.put_metrics()?;
        self.put_status()
    }

    fn send(&mut self, with_metrics: bool) {
        self.last = Some(Instant::now());
        if with_metrics && let Err(e) = self.put_metrics() {
            eprintln!("warning: progress not reported: {e}");
        }
        if let Err(e) = self.put_status() {
            eprintln!("warning: progress not reported: {e}");
        }
    }

    fn put_status(&self) -> Result<()> {
        let body = serde_json::to_vec(&self.view).expect("json");
        crate::transfer::put(&self.urls.status, body)
    }

    fn put_metrics(&self) -> Result<()> {
        let body = std::fs::read(&self.metrics_file).unwrap_or_default();
        crate::transfer::put(&self.urls.metrics, body)
    }
}
