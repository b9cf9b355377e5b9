//! Poll-tick benchmark (issue 5): one `poller::tick` over BENCH_JOBS (10,000)
//! running jobs on the `http` backend, against a cluster-API stand-in on
//! 127.0.0.1 that answers `POST /v1/jobs/query` from memory (status running
//! and one new point after the step asked, per known id) and counts requests.
//! Prints cluster requests, SQL statements and wall time per tick, and fails
//! loudly if a tick did not store one point per job and advance every job.
//!
//! Works in its own database (`poll_bench_<pid>`, created in the server
//! DATABASE_URL points at, dropped at the end), so it never touches others'.
//!
//! ```text
//! DATABASE_URL=postgres://… cargo run --profile bench -p brightrun-backend --example poll_bench
//! ```
//! Knobs: BENCH_JOBS (10000), BENCH_HISTORY (points already stored per job,
//! 100), BENCH_TICKS (2), BENCH_KEEP_DB (set: keep the database, to profile),
//! BENCH_SETUP_SQL (SQL run after the migrations, to try a schema change).

mod stand_in;

use axum::routing::post;
use brightrun::cluster::JobQuery;
use brightrun_backend::jobs::poller;
use brightrun_backend::{Config, Services};
use chrono::Utc;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use stand_in::{KEY, StandIn, TOTAL_STEPS, point, query};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One user, one ready dataset, `jobs` running jobs on `http` with
/// `history` points each already stored (one statement per table).
async fn seed(pool: &PgPool, jobs: usize, history: usize) -> Result<(), Error> {
    let owner = uuid::Uuid::new_v4();
    let dataset = uuid::Uuid::new_v4();
    sqlx::query("INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'x')")
        .bind(owner)
        .bind(format!("poll-bench-{owner}@example.com"))
        .execute(pool)
        .await?;
    sqlx::query(
        "INSERT INTO datasets (id, owner_id, name, status, format, file_name, storage_key, size_bytes)
         VALUES ($1, $2, 'bench', 'ready', 'brightrun-lora-v4', 'bench.jsonl', $3, 1000)",
    )
    .bind(dataset)
    .bind(owner)
    .bind(format!("datasets/{owner}/{dataset}/bench.jsonl"))
    .execute(pool)
    .await?;
    let hyperparams = serde_json::to_value(brightrun::training::TrainingConfig::default())?;
    let estimate = serde_json::json!({ "price_per_hour": 0.35, "duration_s": 3600.0 });
    let mut metrics = serde_json::to_value(point(history as u64))?;
    metrics["eta_s"] = serde_json::json!(1000.0);
    sqlx::query(
        "INSERT INTO training_jobs (id, owner_id, dataset_id, name, base_model, status, backend,
             external_job_id, hyperparams, gpu_type, gpu_count, estimate, current_step,
             total_steps, current_epoch, current_metrics, queued_at, started_at, cluster_seen_at)
         SELECT gen_random_uuid(), $1, $2, 'bench job ' || n, 'tiny-llama', 'running', 'http',
             'tj_' || n, $3, 't4', 1, $4, $5, $6, 0.3, $7,
             now() - interval '2 hours' + n * interval '1 ms', now() - interval '1 hour', now()
         FROM generate_series(1, $8) AS n",
    )
    .bind(owner)
    .bind(dataset)
    .bind(&hyperparams)
    .bind(&estimate)
    .bind(history as i32)
    .bind(TOTAL_STEPS as i32)
    .bind(&metrics)
    .bind(jobs as i32)
    .execute(pool)
    .await?;
    if history > 0 {
        sqlx::query(
            "INSERT INTO metrics_points (job_id, step, epoch, train_loss, learning_rate,
                 tokens_per_second, grad_norm)
             SELECT j.id, s, 0.003 * s, 2.5 / (1 + 0.01 * s), 0.0002, 1500, 0.8
             FROM training_jobs j, generate_series(1, $1) AS s",
        )
        .bind(history as i32)
        .execute(pool)
        .await?;
    }
    sqlx::query("ANALYZE").execute(pool).await?;
    Ok(())
}

async fn count(pool: &PgPool, sql: &'static str) -> Result<i64, Error> {
    Ok(sqlx::query_scalar(sql).fetch_one(pool).await?)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let url = std::env::var("DATABASE_URL").map_err(|_| "set DATABASE_URL")?;
    let jobs = knob("BENCH_JOBS", 10_000);
    let history = knob("BENCH_HISTORY", 100);
    let ticks = knob("BENCH_TICKS", 2).max(1);

    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await?;
    let db = format!("poll_bench_{}", std::process::id());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{db}\"")))
        .execute(&admin)
        .await?;
    let result = run(&url, &db, jobs, history, ticks).await;
    if std::env::var_os("BENCH_KEEP_DB").is_some() {
        println!("kept database {db} (BENCH_KEEP_DB)");
        return result;
    }
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"
    )))
    .execute(&admin)
    .await?;
    admin.close().await;
    result
}

async fn run(url: &str, db: &str, jobs: usize, history: usize, ticks: usize) -> Result<(), Error> {
    let pool = seeded_pool(url, db, jobs, history).await?;
    let (stand, cluster_url, served) = serve_stand_in(&pool).await?;
    let data = tempfile::tempdir()?;
    let services = services_for(&pool, &cluster_url, data.path())?;
    println!(
        "cluster stand-in at {cluster_url}; {} ids per query page",
        brightrun_backend::jobs::cluster::http::QUERY_PAGE
    );
    let mut walls = Vec::new();
    let mut last = poller::TickReport::default();
    for t in 1..=ticks {
        let (report, wall) = checked_tick(&services, &pool, &stand, t, jobs, history).await?;
        walls.push(wall);
        last = report;
    }
    print_result(jobs, ticks, &last, &walls);
    breakdown(&services, &stand, history + ticks).await?;
    served.abort();
    services.cluster.shutdown().await.ok();
    pool.close().await;
    Ok(())
}

/// The bench's database, migrated (and `BENCH_SETUP_SQL` run), with the
/// jobs seeded.
async fn seeded_pool(url: &str, db: &str, jobs: usize, history: usize) -> Result<PgPool, Error> {
    let options = PgConnectOptions::from_str(url)?.database(db);
    let pool = PgPoolOptions::new()
        .max_connections(10)
        .connect_with(options)
        .await?;
    brightrun_backend::db::MIGRATOR.run(&pool).await?;
    if let Ok(sql) = std::env::var("BENCH_SETUP_SQL") {
        // An experiment on the schema, e.g. another index or a fillfactor.
        println!("BENCH_SETUP_SQL: {sql}");
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await?;
    }
    let seeded = Instant::now();
    seed(&pool, jobs, history).await?;
    println!(
        "seeded {jobs} running jobs with {history} points each in {:.1} s",
        seeded.elapsed().as_secs_f64()
    );
    Ok(pool)
}

/// The cluster-API stand-in, knowing every seeded job, on 127.0.0.1.
async fn serve_stand_in(
    pool: &PgPool,
) -> Result<
    (
        Arc<StandIn>,
        String,
        tokio::task::JoinHandle<std::io::Result<()>>,
    ),
    Error,
> {
    let known: Vec<(String, uuid::Uuid)> =
        sqlx::query_as("SELECT external_job_id, id FROM training_jobs")
            .fetch_all(pool)
            .await?;
    let stand = Arc::new(StandIn {
        jobs: known
            .into_iter()
            .map(|(ext, id)| (ext, id.to_string()))
            .collect(),
        started: Utc::now() - chrono::Duration::hours(1),
        requests: AtomicUsize::new(0),
        asked: AtomicUsize::new(0),
        busy_ns: AtomicU64::new(0),
        bytes_in: AtomicUsize::new(0),
        bytes_out: AtomicUsize::new(0),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let cluster_url = format!("http://{}", listener.local_addr()?);
    let app = axum::Router::new()
        .route("/v1/jobs/query", post(query))
        .with_state(stand.clone());
    let served = tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((stand, cluster_url, served))
}

/// Services on the `http` backend pointed at the stand-in, workers off.
fn services_for(
    pool: &PgPool,
    cluster_url: &str,
    data: &std::path::Path,
) -> Result<Services, Error> {
    let vars: HashMap<&str, String> = HashMap::from([
        ("BRIGHTRUN_CLUSTER", "http".to_string()),
        ("GPU_CLUSTER_API_URL", cluster_url.to_string()),
        ("GPU_CLUSTER_API_KEY", KEY.to_string()),
        ("BRIGHTRUN_DATA_DIR", data.display().to_string()),
        ("BRIGHTRUN_WORKERS", "false".to_string()),
        ("DATABASE_URL", "postgres://unused-by-the-bench".to_string()),
    ]);
    let config = Config::from_lookup(|k| vars.get(k).cloned()).map_err(|e| e.to_string())?;
    Ok(Services::new(pool.clone(), config)?)
}

/// Tick `t`: runs it, checks it did its work — one new point per job,
/// every job one step further, no lease left behind — and prints it.
async fn checked_tick(
    services: &Services,
    pool: &PgPool,
    stand: &StandIn,
    t: usize,
    jobs: usize,
    history: usize,
) -> Result<(poller::TickReport, Duration), Error> {
    let before_requests = stand.requests.load(Ordering::Relaxed);
    let before_busy = stand.busy_ns.load(Ordering::Relaxed);
    let before_in = stand.bytes_in.load(Ordering::Relaxed);
    let before_out = stand.bytes_out.load(Ordering::Relaxed);
    let start = Instant::now();
    let report = poller::tick(services).await?;
    let wall = start.elapsed();
    let requests = stand.requests.load(Ordering::Relaxed) - before_requests;
    let busy = Duration::from_nanos(stand.busy_ns.load(Ordering::Relaxed) - before_busy);
    let bytes_in = stand.bytes_in.load(Ordering::Relaxed) - before_in;
    let bytes_out = stand.bytes_out.load(Ordering::Relaxed) - before_out;

    let want_step = (history + t) as i64;
    let points = count(pool, "SELECT count(*) FROM metrics_points").await?;
    let advanced = sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM training_jobs WHERE current_step = $1 AND lease_until IS NULL
           AND status = 'running' AND cluster_seen_at IS NOT NULL",
    )
    .bind(want_step as i32)
    .fetch_one(pool)
    .await?;
    assert_eq!(report.claimed, jobs, "tick {t} claimed {report:?}");
    assert_eq!(report.points, jobs, "tick {t} points {report:?}");
    assert_eq!(report.submitted, 0, "tick {t} submitted {report:?}");
    assert_eq!(
        points,
        (jobs * (history + t)) as i64,
        "tick {t}: metrics_points rows"
    );
    assert_eq!(advanced, jobs as i64, "tick {t}: jobs at step {want_step}");
    assert_eq!(
        requests, report.cluster_requests,
        "the stand-in and the report disagree"
    );

    println!(
        "tick {t}: {} jobs claimed, {} points stored, {} status changes; \
         cluster requests {} (stand-in counted {requests}, {:.1} MB asked, {:.1} MB answered, \
         {:.0} ms spent answering); SQL statements {}; wall {:.0} ms",
        report.claimed,
        report.points,
        report.status_changes,
        report.cluster_requests,
        bytes_in as f64 / 1e6,
        bytes_out as f64 / 1e6,
        busy.as_secs_f64() * 1e3,
        report.sql_statements,
        wall.as_secs_f64() * 1e3,
    );
    Ok((report, wall))
}

fn print_result(jobs: usize, ticks: usize, last: &poller::TickReport, walls: &[Duration]) {
    let best = walls.iter().min().copied().unwrap_or_default();
    println!(
        "RESULT poll tick: {jobs} jobs, {} cluster requests/tick, {} SQL statements/tick, \
         wall {} ms (best of {ticks}), goal < 1000 ms: {}",
        last.cluster_requests,
        last.sql_statements,
        walls
            .iter()
            .map(|w| format!("{:.0}", w.as_secs_f64() * 1e3))
            .collect::<Vec<_>>()
            .join(" / "),
        if best < Duration::from_secs(1) {
            "met"
        } else {
            "NOT met"
        }
    );
}

/// Where the time goes, outside the tick: the cluster calls alone (the
/// stand-in answers in the same process, so its time is part of this).
async fn breakdown(services: &Services, stand: &StandIn, after_step: usize) -> Result<(), Error> {
    let asks: Vec<JobQuery> = stand
        .jobs
        .keys()
        .map(|id| JobQuery {
            id: id.clone(),
            after_step: Some(after_step as u64),
        })
        .collect();
    let before_busy = stand.busy_ns.load(Ordering::Relaxed);
    let start = Instant::now();
    let updates = services.cluster.query(&asks).await?;
    let took = start.elapsed();
    let busy = Duration::from_nanos(stand.busy_ns.load(Ordering::Relaxed) - before_busy);
    assert_eq!(updates.len(), stand.jobs.len());
    println!(
        "breakdown: cluster.query for {} ids alone takes {:.0} ms ({:.0} ms of it the \
         stand-in building its answers); the rest of a tick is SQL and the poller's own work",
        stand.jobs.len(),
        took.as_secs_f64() * 1e3,
        busy.as_secs_f64() * 1e3
    );
    Ok(())
}
