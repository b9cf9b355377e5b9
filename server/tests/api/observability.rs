//! The operators' Prometheus endpoint on its own address
//! (`BRIGHTRUN_METRICS_ADDR`), scraped over loopback and parsed: requests
//! by route template and status, jobs by status, the database pool, poll
//! ticks and cluster calls, validation throughput, the workers' last ticks.
//! Each server has its own registry, so these tests count only their own.

use crate::common::{TestApp, create, fixture, new_job, ready_dataset};
use brightrun::JobStatus;
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn requests_jobs_the_pool_validation_and_poll_ticks_are_scraped(pool: PgPool) {
    let app = TestApp::spawn_with(pool, &[("BRIGHTRUN_METRICS_ADDR", "127.0.0.1:0")]).await;
    let before = scrape(&app).await;
    for status in JobStatus::ALL {
        let labels = [("status", status.as_str())];
        assert_eq!(before.value("brightrun_jobs", &labels), Some(0.0));
    }
    assert_eq!(
        before.count("brightrun_poll_tick_duration_seconds_count"),
        0
    );

    let client = app.signed_in("ops@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let id = create(&app, &client, new_job(&dataset, "cpu", 1)).await;
    let (status, _) = app.get(&client, &format!("/api/jobs/{id}")).await;
    assert_eq!(status, 200);
    let missing = uuid::Uuid::new_v4();
    let (status, _) = app.get(&client, &format!("/api/jobs/{missing}")).await;
    assert_eq!(status, 404);
    let site = client.get(app.url("/metrics")).send().await.unwrap();
    let page = site.text().await.unwrap();
    assert!(
        !page.contains("brightrun_http_requests"),
        "never on the site: {page}"
    );

    let m = scrape(&app).await;
    let route = |status: &'static str| {
        [
            ("method", "GET"),
            ("route", "/api/jobs/{id}"),
            ("status", status),
        ]
    };
    assert_eq!(
        m.value("brightrun_http_requests_total", &route("200")),
        Some(1.0)
    );
    assert_eq!(
        m.value("brightrun_http_requests_total", &route("404")),
        Some(1.0)
    );
    assert_eq!(
        m.value(
            "brightrun_http_request_duration_seconds_count",
            &route("200")
        ),
        Some(1.0)
    );
    let signup = [
        ("method", "POST"),
        ("route", "/api/auth/signup"),
        ("status", "201"),
    ];
    assert_eq!(m.value("brightrun_http_requests_total", &signup), Some(1.0));
    assert!(
        !m.text.contains(&id) && !m.text.contains(&missing.to_string()),
        "raw paths never become labels"
    );
    let unmatched = m
        .samples
        .iter()
        .find(|s| s.name == "brightrun_http_requests_total" && s.labels["route"] == "unmatched");
    assert!(
        unmatched.is_some(),
        "the site's /metrics counts as unmatched"
    );
    assert!(!m.text.contains("route=\"/metrics\""));
    assert_eq!(
        m.value("brightrun_jobs", &[("status", "queued")]),
        Some(1.0)
    );
    assert_eq!(
        m.value("brightrun_jobs", &[("status", "running")]),
        Some(0.0)
    );
    assert_pool(&m);
    let bytes = fixture("EQ-12-conversations-demo.jsonl").len() as f64;
    assert_eq!(
        m.value("brightrun_dataset_bytes_validated_total", &[]),
        Some(bytes)
    );
    assert!(m.value("brightrun_dataset_rows_validated_total", &[]) >= Some(44.0));
    let ready = [("outcome", "ready")];
    assert_eq!(
        m.value(
            "brightrun_dataset_validation_duration_seconds_count",
            &ready
        ),
        Some(1.0)
    );

    brightrun_backend::jobs::poller::tick(&app.services)
        .await
        .unwrap();
    let m = scrape(&app).await;
    let ok = [("outcome", "ok")];
    assert_eq!(
        m.value("brightrun_poll_tick_duration_seconds_count", &ok),
        Some(1.0)
    );
    let inf = [("outcome", "ok"), ("le", "+Inf")];
    assert_eq!(
        m.value("brightrun_poll_tick_duration_seconds_bucket", &inf),
        Some(1.0)
    );
    let submit = [("backend", "local"), ("call", "submit"), ("outcome", "ok")];
    assert_eq!(m.value("brightrun_cluster_calls_total", &submit), Some(1.0));
    app.stop().await;
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn every_workers_last_tick_and_the_poll_ticks_are_scraped(pool: PgPool) {
    let app = TestApp::spawn_with(
        pool,
        &[
            ("BRIGHTRUN_WORKERS", "true"),
            ("BRIGHTRUN_METRICS_ADDR", "127.0.0.1:0"),
        ],
    )
    .await;
    let start = now_seconds();
    let workers = ["housekeeping", "poller", "validation", "webhooks"];
    let waited = Instant::now();
    let m = loop {
        let m = scrape(&app).await;
        let ticked = workers.iter().all(|w| {
            m.value("brightrun_worker_last_tick_seconds", &[("worker", w)])
                .is_some()
        });
        if ticked && m.count("brightrun_poll_tick_duration_seconds_count") > 0 {
            break m;
        }
        assert!(waited.elapsed() < Duration::from_secs(30), "{}", m.text);
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for w in workers {
        let at = m
            .value("brightrun_worker_last_tick_seconds", &[("worker", w)])
            .unwrap();
        assert!(at >= start - 1.0 && at <= now_seconds() + 1.0, "{w}: {at}");
    }
    let ok = [("outcome", "ok")];
    assert!(m.value("brightrun_poll_tick_duration_seconds_count", &ok) >= Some(1.0));
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn metrics_are_off_by_default(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (status, _) = app.get(&app.script(), "/api/health").await;
    assert_eq!(status, 200);
    // The server answers, so it has passed the point where it would listen.
    assert!(app.services.observability.listening().is_none());
}

fn now_seconds() -> f64 {
    chrono::Utc::now().timestamp_micros() as f64 / 1e6
}

/// The pool's gauges agree with each other.
fn assert_pool(m: &Exposition) {
    let size = m.value("brightrun_db_pool_size", &[]).expect("pool size");
    let idle = m.value("brightrun_db_pool_idle", &[]).expect("pool idle");
    let in_use = m
        .value("brightrun_db_pool_in_use", &[])
        .expect("pool in use");
    let max = m.value("brightrun_db_pool_max", &[]).expect("pool max");
    assert!(size >= 1.0 && size <= max, "{size} of {max}");
    assert_eq!(idle + in_use, size);
}

/// Waits for the metrics address and GETs `/metrics` there.
async fn scrape(app: &TestApp) -> Exposition {
    let waited = Instant::now();
    let addr = loop {
        if let Some(addr) = app.services.observability.listening() {
            break addr;
        }
        assert!(
            waited.elapsed() < Duration::from_secs(10),
            "metrics never listened"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert!(addr.ip().is_loopback());
    let res = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let kind = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    Exposition::parse(res.text().await.unwrap())
}

/// One sample line: name, labels, value.
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// The text exposition, parsed (the subset this server writes: no
/// timestamps or exemplars).
struct Exposition {
    text: String,
    samples: Vec<Sample>,
}

impl Exposition {
    fn parse(text: String) -> Self {
        assert!(text.ends_with("# EOF\n"), "{text}");
        let samples = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| parse_sample(l).unwrap_or_else(|| panic!("bad sample line {l:?}")))
            .collect();
        Self { text, samples }
    }

    /// The one sample named `name` whose labels are exactly `labels`.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let want: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut found = self
            .samples
            .iter()
            .filter(|s| s.name == name && s.labels == want);
        let first = found.next().map(|s| s.value);
        assert!(found.next().is_none(), "{name} {labels:?} twice");
        first
    }

    /// How many samples are named `name`.
    fn count(&self, name: &str) -> usize {
        self.samples.iter().filter(|s| s.name == name).count()
    }
}

/// `name{k="v",…} value`, with `\\`, `\"` and `\n` escapes in values.
fn parse_sample(line: &str) -> Option<Sample> {
    let name_end = line.find(['{', ' '])?;
    let name = line[..name_end].to_string();
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(after) = rest.strip_prefix('{') {
        let mut chars = after.char_indices();
        loop {
            let (i, c) = chars.next()?;
            if c == '}' {
                rest = &after[i + 1..];
                break;
            }
            if c == ',' {
                continue;
            }
            let eq = after[i..].find("=\"")? + i;
            let key = after[i..eq].to_string();
            while chars.next()?.0 < eq + 1 {}
            let mut value = String::new();
            loop {
                match chars.next()?.1 {
                    '"' => break,
                    '\\' => match chars.next()?.1 {
                        'n' => value.push('\n'),
                        other => value.push(other),
                    },
                    other => value.push(other),
                }
            }
            labels.insert(key, value);
        }
    }
    let value = rest.split_whitespace().next()?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().ok()?,
    };
    Some(Sample {
        name,
        labels,
        value,
    })
}

#[test]
fn the_parser_reads_labels_with_braces_commas_and_escapes() {
    let s = parse_sample(r#"x_total{route="/api/jobs/{id}",q="a,\"b\"\\",le="+Inf"} 3"#).unwrap();
    assert_eq!(s.name, "x_total");
    assert_eq!(s.labels["route"], "/api/jobs/{id}");
    assert_eq!(s.labels["q"], r#"a,"b"\"#);
    assert_eq!(s.labels["le"], "+Inf");
    assert_eq!(s.value, 3.0);
    let s = parse_sample("y 1.5e-3").unwrap();
    assert!(s.labels.is_empty() && s.value == 0.0015);
}
