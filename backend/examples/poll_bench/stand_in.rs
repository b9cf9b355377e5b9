//! The cluster-API stand-in: `POST /v1/jobs/query` answered from memory
//! (status running and one new point after the step asked, per known id),
//! every request counted and timed.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use brightrun::JobStatus as Status;
use brightrun::cluster::{JobQuery, JobUpdate, JobView, Progress, StepMetrics};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

pub const KEY: &str = "poll-bench-key";
pub const TOTAL_STEPS: u64 = 1000;

/// The cluster-API stand-in: the jobs it knows (external id → the caller's
/// job id) and what it counted.
pub struct StandIn {
    pub jobs: HashMap<String, String>,
    pub started: DateTime<Utc>,
    pub requests: AtomicUsize,
    pub asked: AtomicUsize,
    pub busy_ns: AtomicU64,
    pub bytes_in: AtomicUsize,
    pub bytes_out: AtomicUsize,
}

#[derive(Deserialize)]
struct Asked {
    jobs: Vec<JobQuery>,
}

#[derive(Serialize)]
struct Answer {
    jobs: Vec<JobUpdate>,
}

pub fn point(step: u64) -> StepMetrics {
    StepMetrics {
        step,
        total_steps: TOTAL_STEPS,
        epoch: 3.0 * step as f64 / TOTAL_STEPS as f64,
        train_loss: 2.5 / (1.0 + 0.01 * step as f64),
        learning_rate: 2e-4,
        grad_norm: 0.8,
        tokens_per_second: 1500.0,
        elapsed_s: 1.2 * step as f64,
        eta_s: 1.2 * TOTAL_STEPS.saturating_sub(step) as f64,
        val_loss: None,
        evaluations: Vec::new(),
    }
}

/// `POST /v1/jobs/query`, timed from the raw body to the serialised answer.
pub async fn query(State(s): State<Arc<StandIn>>, headers: HeaderMap, body: Bytes) -> Response {
    let start = Instant::now();
    s.requests.fetch_add(1, Ordering::Relaxed);
    s.bytes_in.fetch_add(body.len(), Ordering::Relaxed);
    let authorized = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {KEY}"));
    if !authorized {
        return (StatusCode::UNAUTHORIZED, "{\"details\":\"bad key\"}").into_response();
    }
    let asked: Asked = match serde_json::from_slice(&body) {
        Ok(a) => a,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    s.asked.fetch_add(asked.jobs.len(), Ordering::Relaxed);
    let jobs = asked
        .jobs
        .iter()
        .filter_map(|q| {
            let job_id = s.jobs.get(&q.id)?;
            let p = point(q.after_step.unwrap_or(0) + 1);
            Some(JobUpdate {
                job: JobView {
                    id: q.id.clone(),
                    job_id: job_id.clone(),
                    status: Status::Running,
                    progress: Progress {
                        step: p.step,
                        total_steps: TOTAL_STEPS,
                        epoch: p.epoch,
                    },
                    metrics: Some(p.clone()),
                    error: None,
                    created_at: s.started,
                    started_at: Some(s.started),
                    finished_at: None,
                    device: None,
                },
                points: vec![p],
            })
        })
        .collect();
    let out = serde_json::to_vec(&Answer { jobs }).expect("the answer serialises");
    s.bytes_out.fetch_add(out.len(), Ordering::Relaxed);
    s.busy_ns
        .fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
    ([(header::CONTENT_TYPE, "application/json")], out).into_response()
}
