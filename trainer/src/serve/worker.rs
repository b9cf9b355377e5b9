//! The queue's workers: each takes the next queued job and runs it with
//! [`crate::train::run_job`] on a blocking thread, recording its events.

use super::jobs::{Job, JobTable, Status};
use crate::error::TrainerError;
use crate::spec::JobSpec;
use crate::train::{self, Event, TrainOutcome};
use chrono::Utc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::watch;
use tokio::task::JoinError;

/// Runs jobs until `stop` turns true. A job running then is interrupted at
/// its next step and left `running` on disk, for a restart to resume.
pub async fn worker(
    table: Arc<JobTable>,
    stopping: Arc<AtomicBool>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let job = tokio::select! {
            job = table.next_queued() => job,
            _ = stop.wait_for(|s| *s) => return,
        };
        if stopping.load(Ordering::SeqCst) {
            table.requeue_front(&job);
            return;
        }
        run_one(&table, &job, &stopping).await;
    }
}

async fn run_one(table: &JobTable, job: &Arc<Job>, stopping: &Arc<AtomicBool>) {
    let Some(spec) = start(job, stopping) else {
        return;
    };
    let runner = job.clone();
    let result = tokio::task::spawn_blocking(move || {
        let mut on_event = |event: &Event| record_event(&runner, event);
        train::run_job(&spec, &runner.work_dir(), &mut on_event, &runner.cancel)
    })
    .await;
    record_result(table, job, stopping, result);
}

/// Marks the job initializing and returns its spec; None when the trainer
/// is stopping.
fn start(job: &Job, stopping: &AtomicBool) -> Option<JobSpec> {
    let mut state = job.lock();
    // Checked under the job's lock: either the stop sees this job
    // initializing and interrupts it, or this sees the stop.
    if stopping.load(Ordering::SeqCst) {
        return None;
    }
    let r = &mut state.record;
    r.status = Status::Initializing;
    r.started_at.get_or_insert_with(Utc::now);
    let attempt = r.resume_count;
    let spec = r.spec.clone();
    // Shown (and billed) from the start; a job asking for a device this
    // trainer lacks fails in `run_job`, with the reason.
    if let Ok(c) = crate::device::choose(spec.device, spec.dtype, crate::device::detected()) {
        r.device = Some(c.info);
    }
    job.persist_or_warn(&state);
    drop(state);
    job.log(&if attempt == 0 {
        "initializing".to_string()
    } else {
        format!("initializing (resume {attempt})")
    });
    Some(spec)
}

/// Records how the run ended: completed, cancelled or failed; left as it
/// is when the trainer is stopping (a restart resumes it); back in the
/// queue after a passing failure, while retries are left.
fn record_result(
    table: &JobTable,
    job: &Job,
    stopping: &AtomicBool,
    result: Result<Result<TrainOutcome, TrainerError>, JoinError>,
) {
    let mut state = job.lock();
    let r = &mut state.record;
    let message = match result {
        Ok(Ok(outcome)) => {
            r.status = Status::Completed;
            r.error = None;
            completed_line(&outcome)
        }
        Ok(Err(TrainerError::Cancelled)) if r.cancel_requested => {
            r.status = Status::Cancelled;
            "cancelled".to_string()
        }
        Ok(Err(TrainerError::Cancelled)) if stopping.load(Ordering::SeqCst) => {
            // Left as it is on disk: the next start resumes it.
            drop(state);
            job.log("the trainer is stopping: interrupted, to resume on restart");
            return;
        }
        Ok(Err(e)) if e.is_transient() && r.resume_count < table.max_resumes => {
            // A passing failure (network, disk): back in the queue, to resume
            // from the last checkpoint like a restarted trainer does.
            r.resume_count += 1;
            r.status = Status::Queued;
            let line = format!(
                "failed: {e}; retrying from the last checkpoint (retry {} of {})",
                r.resume_count, table.max_resumes
            );
            job.persist_or_warn(&state);
            drop(state);
            job.log(&line);
            table.requeue_front(job);
            return;
        }
        Ok(Err(e)) => {
            r.status = Status::Failed;
            r.error = Some(e.to_string());
            format!("failed: {e}")
        }
        Err(join) => {
            let why = format!("the trainer crashed: {}", panic_message(join));
            r.status = Status::Failed;
            r.error = Some(why.clone());
            format!("failed: {why}")
        }
    };
    r.finished_at = Some(Utc::now());
    job.persist_or_warn(&state);
    drop(state);
    job.log(&message);
}

/// The log line of a completed run.
fn completed_line(outcome: &TrainOutcome) -> String {
    format!(
        "completed: {} steps, final loss {:.4}{}{}; adapter in {}",
        outcome.steps,
        outcome.final_loss,
        outcome
            .best_val_loss
            .map(|v| format!(", best validation loss {v:.4}"))
            .unwrap_or_default(),
        if outcome.stopped_early {
            " (stopped early)"
        } else {
            ""
        },
        outcome.adapter_dir.display()
    )
}

/// What a crashed training thread said, where it said something.
fn panic_message(join: JoinError) -> String {
    match join.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into()),
        Err(e) => e.to_string(),
    }
}

/// Called on the training thread for each event.
fn record_event(job: &Job, event: &Event) {
    match event {
        Event::Started {
            total_steps,
            examples,
            validation_examples,
            truncated,
            resumed_from_step,
            device,
            dtype,
            gradient_checkpointing,
        } => {
            let mut state = job.lock();
            state.record.status = Status::Running;
            state.record.device = Some(device.clone());
            state.record.total_steps = *total_steps;
            job.truncate_points(&mut state, *resumed_from_step);
            job.persist_or_warn(&state);
            drop(state);
            let checkpointing = if *gradient_checkpointing {
                ", gradient checkpointing"
            } else {
                ""
            };
            let mut line = format!(
                "started: {total_steps} steps, {examples} training examples, {validation_examples} validation examples, {truncated} truncated; on {} ({dtype} base weights{checkpointing})",
                device.name
            );
            if *resumed_from_step > 0 {
                line.push_str(&format!("; resumed from step {resumed_from_step}"));
            }
            job.log(&line);
        }
        Event::Step(point) => {
            let mut state = job.lock();
            job.add_point(&mut state, point);
        }
        Event::Eval(e) => {
            let when = if e.step == 0 {
                "before training".to_string()
            } else {
                format!("step {}", e.step)
            };
            job.log(&format!(
                "{when}: validation loss {:.4}, {} samples answered",
                e.val_loss,
                e.samples.len()
            ));
        }
        Event::Checkpoint { step } => job.log(&format!("step {step}: checkpoint saved")),
        Event::Log { message } => job.log(message),
    }
}
