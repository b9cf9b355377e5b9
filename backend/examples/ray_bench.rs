//! Ray poll-tick benchmark (issue 7; not a test): the `ray` backend's part of
//! one poll tick — one `GET /api/jobs/` for every job, then each job's report
//! (`status.json`, and `metrics.jsonl` when it has new points) from storage —
//! over BENCH_JOBS (100) BrightRun jobs on a real Ray head.
//!
//! The jobs are submitted through the backend (spec stored, signed, Ray job
//! created); their entrypoint exits at once (`true`), so Ray runs 100 jobs
//! without 100 trainers on two cores, and each job's report is written as a
//! trainer at step 50 of 100 would have (50 points), asked for after step 49.
//!
//! ```text
//! BRIGHTRUN_TEST_RAY_DIR=DIR cargo run --profile bench -p brightrun-backend --example ray_bench
//! ```
//! (DIR from `scripts/ray-head start DIR`.) Knobs: BENCH_JOBS (100), BENCH_TICKS (20).

use brightrun::JobStatus as Status;
use brightrun::cluster::{JobView, Progress, StepMetrics};
use brightrun_backend::jobs::cluster::ray::{RayCluster, report_key};
use brightrun_backend::jobs::cluster::{Cluster, JobQuery};
use brightrun_backend::services::OwnUrl;
use brightrun_backend::storage::Storage;
use brightrun_backend::storage::signing::SigningKey;
use std::time::{Duration, Instant};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn point(step: u64) -> StepMetrics {
    StepMetrics {
        step,
        total_steps: 100,
        epoch: step as f64 / 100.0,
        train_loss: 2.5 / (1.0 + 0.01 * step as f64),
        learning_rate: 2e-4,
        grad_norm: 0.8,
        tokens_per_second: 1500.0,
        elapsed_s: 1.2 * step as f64,
        eta_s: 1.2 * (100 - step) as f64,
        val_loss: None,
        evaluations: Vec::new(),
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let jobs = knob("BENCH_JOBS", 100);
    let ticks = knob("BENCH_TICKS", 20);
    let dir = std::env::var("BRIGHTRUN_TEST_RAY_DIR")
        .map_err(|_| "set BRIGHTRUN_TEST_RAY_DIR (scripts/ray-head start DIR)")?;
    let env = std::fs::read_to_string(format!("{dir}/ray.env"))?;
    let get = |k: &str| {
        env.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .map(String::from)
    };
    let address = get("RAY_ADDRESS").ok_or("RAY_ADDRESS in ray.env")?;
    let token = get("RAY_AUTH_TOKEN");

    let root = tempfile::tempdir()?;
    let storage = Storage::local(
        root.path(),
        SigningKey::from_hex(&"ab".repeat(32)).unwrap(),
        String::new(),
    )?;
    let ray = RayCluster::new(
        &address,
        token,
        "true {spec}".into(),
        storage.clone(),
        OwnUrl::new("http://127.0.0.1:9".into()),
        Duration::from_secs(30),
    );
    let run = uuid::Uuid::new_v4().simple().to_string();
    let spec = |i: usize| {
        brightrun_trainer::JobSpec::from_json(&format!(
            r#"{{"job_id":"bench-{run}-{i}","base_model":"tiny-llama","dataset":"d.jsonl","output":{{"folder":"o"}}}}"#
        ))
        .unwrap()
    };

    let start = Instant::now();
    let mut ids = Vec::with_capacity(jobs);
    for i in 0..jobs {
        ids.push(ray.submit(&spec(i)).await?);
    }
    let submit_s = start.elapsed().as_secs_f64();
    let metrics: String = (1..=50)
        .map(|s| serde_json::to_string(&point(s)).unwrap() + "\n")
        .collect();
    for id in &ids {
        let view = JobView {
            id: id.clone(),
            job_id: id.clone(),
            status: Status::Running,
            progress: Progress {
                step: 50,
                total_steps: 100,
                epoch: 0.5,
            },
            metrics: Some(point(50)),
            error: None,
            created_at: chrono::Utc::now(),
            started_at: Some(chrono::Utc::now()),
            finished_at: None,
            device: None,
        };
        storage
            .put_bytes(
                &report_key(id, "status.json"),
                serde_json::to_vec(&view)?.into(),
            )
            .await?;
        storage
            .put_bytes(&report_key(id, "metrics.jsonl"), metrics.clone().into())
            .await?;
    }
    let asks: Vec<JobQuery> = ids
        .iter()
        .map(|id| JobQuery {
            id: id.clone(),
            after_step: Some(49),
        })
        .collect();

    let mut times = Vec::with_capacity(ticks);
    for _ in 0..ticks {
        let t = Instant::now();
        let updates = ray.query(&asks).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(updates.len(), jobs, "every job is known to Ray");
        assert!(
            updates
                .iter()
                .all(|u| u.points.len() == 1 && u.points[0].step == 50)
        );
    }
    let listed: Vec<serde_json::Value> = reqwest::Client::new()
        .get(format!("{address}/api/jobs/"))
        .bearer_auth(get("RAY_AUTH_TOKEN").unwrap_or_default())
        .send()
        .await?
        .json()
        .await?;
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    println!("jobs {jobs}; Ray lists {} jobs in all", listed.len());
    println!(
        "submit: {:.0} ms per job ({submit_s:.1} s for {jobs})",
        submit_s * 1000.0 / jobs as f64
    );
    println!(
        "query (1 Ray request + {} storage reads) over {ticks} ticks: mean {mean:.1} ms, p50 {:.1} ms, max {:.1} ms",
        2 * jobs,
        times[times.len() / 2],
        times[times.len() - 1]
    );
    Ok(())
}
