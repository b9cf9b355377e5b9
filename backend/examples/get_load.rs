//! Load generator for `GET /api/jobs/{id}` (issue 5), run as its own process
//! against a running `brightrun serve` on loopback. It signs up a user,
//! marks a dataset of theirs ready (SQL), creates a job through `POST
//! /api/jobs`, makes it a running job with BENCH_POINTS stored points (SQL,
//! as the poller would have left it), creates API tokens, then keeps
//! BENCH_CLIENTS (1000) clients each with one request in flight for
//! BENCH_SECONDS (15) after a 2 s warm-up, and prints throughput and latency
//! percentiles. Two rounds: every client with the same API token, and every
//! client with its own token (each request's auth writes `last_used_at` on
//! the token's row, so one shared token is one hot row).
//!
//! ```text
//! BENCH_URL=http://127.0.0.1:PORT DATABASE_URL=postgres://… \
//!   cargo run --profile bench -p brightrun-backend --example get_load
//! ```
//! BENCH_MODES picks the rounds: `shared,per-client` (default): the full
//! detail with one shared token / one token per client; `updates`,
//! `updates-per-client`: the job monitor's refresh, `GET
//! /api/jobs/{id}/updates?after_step=N&log_offset=0` with the job's ETag
//! as `If-None-Match` (an unchanged job answers `304`).

use serde_json::{Value, json};
use sqlx::postgres::PgPoolOptions;
use std::time::{Duration, Instant};

type Error = Box<dyn std::error::Error + Send + Sync>;

const WARMUP: Duration = Duration::from_secs(2);

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn send(req: reqwest::RequestBuilder) -> Result<(u16, Value), Error> {
    let res = req.send().await?;
    let status = res.status().as_u16();
    let text = res.text().await?;
    let body = serde_json::from_str(&text).map_err(|_| format!("not JSON ({status}): {text}"))?;
    Ok((status, body))
}

/// What one round measured.
struct Round {
    latencies_us: Vec<u32>,
    errors: usize,
    window: Duration,
    bytes: usize,
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i] as f64 / 1000.0
}

/// `tag`: sent as `If-None-Match`, and then `304 Not Modified` counts as
/// answered (the monitor's poll of an unchanged job).
async fn round(
    url: &str,
    tag: Option<&str>,
    tokens: &[String],
    clients: usize,
    seconds: u64,
) -> Round {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("a client builds");
    let begin = Instant::now() + WARMUP;
    let end = begin + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let http = http.clone();
            let url = url.to_string();
            let auth = format!("Bearer {}", tokens[c % tokens.len()]);
            let tag = tag.map(str::to_string);
            tokio::spawn(async move {
                let mut lat = Vec::with_capacity(4096);
                let mut errors = 0usize;
                let mut bytes = 0usize;
                let mut last = begin;
                loop {
                    let sent = Instant::now();
                    if sent >= end {
                        break;
                    }
                    let mut req = http.get(&url).header("authorization", &auth);
                    if let Some(tag) = &tag {
                        req = req.header("if-none-match", tag);
                    }
                    let got = match req.send().await {
                        Ok(r) if r.status() == 200 || (tag.is_some() && r.status() == 304) => {
                            r.bytes().await.ok().map(|b| b.len())
                        }
                        _ => None,
                    };
                    let done = Instant::now();
                    if sent >= begin {
                        if let Some(n) = got {
                            bytes += n;
                            lat.push((done - sent).as_micros().min(u32::MAX as u128) as u32);
                        } else {
                            errors += 1;
                        }
                        last = last.max(done);
                    }
                }
                (lat, errors, bytes, last)
            })
        })
        .collect();
    let mut all = Round {
        latencies_us: Vec::new(),
        errors: 0,
        window: Duration::ZERO,
        bytes: 0,
    };
    let mut last = begin;
    for t in tasks {
        let (lat, errors, bytes, l) = t.await.expect("a client task");
        all.latencies_us.extend(lat);
        all.errors += errors;
        all.bytes += bytes;
        last = last.max(l);
    }
    all.window = last - begin;
    all.latencies_us.sort_unstable();
    all
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let base = std::env::var("BENCH_URL").map_err(|_| "set BENCH_URL")?;
    let db_url = std::env::var("DATABASE_URL").map_err(|_| "set DATABASE_URL")?;
    let clients = knob("BENCH_CLIENTS", 1000).max(1);
    let seconds = knob("BENCH_SECONDS", 15).max(1) as u64;
    let points = knob("BENCH_POINTS", 200);
    let modes = std::env::var("BENCH_MODES").unwrap_or_else(|_| "shared,per-client".into());
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(&db_url)
        .await?;

    // A user, signed in with a cookie.
    let browser = reqwest::Client::builder().cookie_store(true).build()?;
    let email = format!("get-bench-{}@example.com", uuid::Uuid::new_v4().simple());
    let (status, body) = send(
        browser
            .post(format!("{base}/api/auth/signup"))
            .json(&json!({ "email": email, "password": "a long enough password" })),
    )
    .await?;
    assert_eq!(status, 201, "signup: {body}");
    let owner: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(&email)
        .fetch_one(&pool)
        .await?;

    // A ready dataset (the validation worker's result, written directly).
    let dataset = uuid::Uuid::new_v4();
    let mut stats = brightrun::datasets::DatasetStats {
        conversations: 500,
        pairs: 1000,
        trainable_examples: 1000,
        max_seq_len: 2048,
        tokenizer: "cl100k_base".into(),
        ..Default::default()
    };
    stats.tokens.total = 400_000;
    stats.tokens.assistant = 150_000;
    stats.tokens.min = 80;
    stats.tokens.max = 1200;
    stats.tokens.mean = 400.0;
    stats.tokens.median = 380.0;
    stats.tokens.p95 = 900;
    sqlx::query(
        "INSERT INTO datasets (id, owner_id, name, status, format, file_name, storage_key,
             size_bytes, stats, validated_at)
         VALUES ($1, $2, 'bench', 'ready', 'brightrun-lora-v4', 'bench.jsonl', $3, 1000000, $4, now())",
    )
    .bind(dataset)
    .bind(owner)
    .bind(format!("datasets/{owner}/{dataset}/bench.jsonl"))
    .bind(serde_json::to_value(&stats)?)
    .execute(&pool)
    .await?;

    // The job, through the API, then as the poller leaves a running one.
    let (status, body) = send(browser.post(format!("{base}/api/jobs")).json(&json!({
        "name": "GET benchmark",
        "dataset_id": dataset,
        "base_model": "tiny-llama",
        "preset": "balanced",
        "gpu_type": "cpu",
        "gpu_count": 1
    })))
    .await?;
    assert_eq!(status, 201, "create job: {body}");
    let job: uuid::Uuid = body["data"]["id"].as_str().ok_or("no job id")?.parse()?;
    sqlx::query(
        "UPDATE training_jobs SET status = 'running', external_job_id = 'tj_get_bench',
             current_step = $2, total_steps = 1000, current_epoch = 0.6,
             current_metrics = '{\"step\": 1, \"train_loss\": 1.2}', started_at = now() - interval '1 hour',
             cluster_seen_at = now()
         WHERE id = $1",
    )
    .bind(job)
    .bind(points as i32)
    .execute(&pool)
    .await?;
    sqlx::query(
        "INSERT INTO metrics_points (job_id, step, epoch, train_loss, eval_loss, learning_rate,
             tokens_per_second, grad_norm)
         SELECT $1, s, 0.003 * s, 2.5 / (1 + 0.01 * s),
             CASE WHEN s % 10 = 0 THEN 2.6 / (1 + 0.01 * s) END, 0.0002, 1500, 0.8
         FROM generate_series(1, $2) AS s",
    )
    .bind(job)
    .bind(points as i32)
    .execute(&pool)
    .await?;

    // API tokens: one per client (the first is also the shared one).
    let wanted = if modes.contains("per-client") {
        clients
    } else {
        1
    };
    let mut tokens = Vec::with_capacity(wanted);
    for i in 0..wanted {
        let (status, body) = send(
            browser
                .post(format!("{base}/api/tokens"))
                .json(&json!({ "name": format!("bench {i}") })),
        )
        .await?;
        assert_eq!(status, 201, "token: {body}");
        tokens.push(
            body["data"]["token"]
                .as_str()
                .ok_or("no token")?
                .to_string(),
        );
    }

    let url = format!("{base}/api/jobs/{job}");
    let script = reqwest::Client::new();
    let (status, body) = send(script.get(&url).bearer_auth(&tokens[0])).await?;
    assert_eq!(status, 200, "GET: {body}");
    assert_eq!(body["data"]["job"]["status"], "running", "{body}");
    assert_eq!(body["data"]["metric_count"], points, "{body}");
    let size = serde_json::to_vec(&body)?.len();
    println!(
        "GET {url}: {size} bytes, {points} points stored, {} chart points, {} eval points",
        body["data"]["metrics"].as_array().map_or(0, Vec::len),
        body["data"]["eval_points"].as_array().map_or(0, Vec::len)
    );

    // The monitor's refresh: what changed since the last step and the log's
    // end, with the ETag of the last answer (an unchanged job: 304).
    let updates_url = format!("{base}/api/jobs/{job}/updates?after_step={points}&log_offset=0");
    let res = script
        .get(&updates_url)
        .bearer_auth(&tokens[0])
        .send()
        .await?;
    assert_eq!(res.status(), 200, "updates");
    let tag = res.headers()["etag"].to_str()?.to_string();
    let res = script
        .get(&updates_url)
        .bearer_auth(&tokens[0])
        .header("if-none-match", &tag)
        .send()
        .await?;
    assert_eq!(res.status(), 304, "updates with If-None-Match");
    println!("GET {updates_url} with If-None-Match {tag}: 304");

    for mode in modes.split(',').map(str::trim).filter(|m| !m.is_empty()) {
        let (used, target, tag): (&[String], &str, Option<&str>) = match mode {
            "shared" => (&tokens[..1], &url, None),
            "per-client" => (&tokens, &url, None),
            "updates" => (&tokens[..1], &updates_url, Some(&tag)),
            "updates-per-client" => (&tokens, &updates_url, Some(&tag)),
            other => return Err(format!("unknown BENCH_MODES entry {other}").into()),
        };
        let r = round(target, tag, used, clients, seconds).await;
        let n = r.latencies_us.len();
        let secs = r.window.as_secs_f64();
        println!(
            "RESULT GET /api/jobs/{{id}}{} ({mode}): {clients} clients, {n} ok in {secs:.1} s \
             = {:.0} req/s; latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; \
             errors {}; {:.1} MB/s",
            if tag.is_some() {
                "/updates + If-None-Match"
            } else {
                ""
            },
            n as f64 / secs,
            percentile(&r.latencies_us, 0.50),
            percentile(&r.latencies_us, 0.90),
            percentile(&r.latencies_us, 0.99),
            percentile(&r.latencies_us, 1.0),
            r.errors,
            r.bytes as f64 / secs / 1e6,
        );
        if r.errors > 0 {
            eprintln!("warning: {} requests failed or were not 200", r.errors);
        }
    }
    let job_url = url.clone();
    bytes_per_refresh(&pool, &script, &tokens[0], &job_url, job, points).await?;
    pool.close().await;
    Ok(())
}

/// Bytes on the wire (status line, headers and body) of one response.
async fn wire_bytes(req: reqwest::RequestBuilder) -> Result<(u16, usize), Error> {
    let res = req.send().await?;
    let status = res.status().as_u16();
    let head: usize = res
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum::<usize>()
        + 17;
    Ok((status, head + res.bytes().await?.len()))
}

/// What the monitor transfers per refresh: the old page's `GET` of the
/// whole detail and the log, against the new poll while the job trains
/// (three new points since the last one) and once it is unchanged.
async fn bytes_per_refresh(
    pool: &sqlx::PgPool,
    http: &reqwest::Client,
    token: &str,
    job_url: &str,
    job: uuid::Uuid,
    points: usize,
) -> Result<(), Error> {
    let get = |u: String| http.get(u).bearer_auth(token);
    let (_, detail) = wire_bytes(get(job_url.to_string())).await?;
    let (_, log) = wire_bytes(get(format!("{job_url}/logs"))).await?;
    let last = points as i32;
    let since = format!("{job_url}/updates?after_step={last}&log_offset=0");
    let tag = get(since.clone()).send().await?.headers()["etag"]
        .to_str()?
        .to_string();
    sqlx::query(
        "INSERT INTO metrics_points (job_id, step, train_loss, learning_rate, tokens_per_second)
         SELECT $1, s, 2.5 / (1 + 0.01 * s), 0.0002, 1500 FROM generate_series($2 + 1, $2 + 3) AS s",
    )
    .bind(job)
    .bind(last)
    .execute(pool)
    .await?;
    sqlx::query("UPDATE training_jobs SET current_step = $2 + 3, updated_at = now() WHERE id = $1")
        .bind(job)
        .bind(last)
        .execute(pool)
        .await?;
    let (s1, training) = wire_bytes(get(since.clone()).header("if-none-match", &tag)).await?;
    let tag = get(since.clone()).send().await?.headers()["etag"]
        .to_str()?
        .to_string();
    let after = format!("{job_url}/updates?after_step={}&log_offset=0", last + 3);
    let (s2, unchanged) = wire_bytes(get(after).header("if-none-match", &tag)).await?;
    assert_eq!((s1, s2), (200, 304));
    println!(
        "RESULT bytes per monitor refresh (headers + body, uncompressed; this job's log is empty): \
         old (GET detail + GET logs) {} B; new while training (3 new points) {training} B; \
         new unchanged (304) {unchanged} B",
        detail + log
    );
    Ok(())
}
