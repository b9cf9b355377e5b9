//! Metrics for operators, exposed in the Prometheus (OpenMetrics) text
//! format on their own address (`BRIGHTRUN_METRICS_ADDR`; the server's
//! `observability` module serves it). Every metric is named and described
//! once, here; callers record through the methods below, never by name.
//!
//! Each `Services` holds its own registry (no process-wide recorder): two
//! servers in one process, as the tests run them, never count each other's
//! work. What a cheap read answers at scrape time (jobs by status, the
//! database pool, the workers' last ticks) is read then, in [`scrape`];
//! the rest is counted as it happens.

pub mod queries;
pub mod scrape;

use crate::jobs::cluster::ClusterError;
use crate::services::Services;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

pub use scrape::render;

/// Every metric's name prefix.
pub const PREFIX: &str = "brightrun";
/// The route label of a request no route matched (static files, 404s).
pub const UNMATCHED: &str = "unmatched";

/// Seconds, for request latencies.
const HTTP_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];
/// Seconds, for a poll tick (one cluster call plus one transaction).
const TICK_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0,
];
/// Seconds, for validating one dataset (kilobytes to gigabytes).
const VALIDATION_BUCKETS: [f64; 10] = [0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: &'static str,
    /// The matched route template (`/api/jobs/{id}`), never the raw path.
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ClusterLabels {
    pub backend: &'static str,
    pub call: &'static str,
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabels {
    pub status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WorkerLabels {
    pub worker: &'static str,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;
type Timestamps = Family<WorkerLabels, Gauge<f64, AtomicU64>>;

fn histograms<L: Clone + std::hash::Hash + Eq>(buckets: fn() -> Histogram) -> Histograms<L> {
    Family::new_with_constructor(buckets)
}

/// The registry and every metric in it.
pub struct Metrics {
    registry: Registry,
    /// Where the metrics endpoint listens, once it does (tests bind port 0).
    listening: OnceLock<SocketAddr>,
    http_requests: Family<HttpLabels, Counter>,
    http_duration: Histograms<HttpLabels>,
    poll_ticks: Histograms<OutcomeLabels>,
    cluster_calls: Family<ClusterLabels, Counter>,
    rows_validated: Counter,
    bytes_validated: Counter,
    validation_duration: Histograms<OutcomeLabels>,
    jobs: Family<StatusLabels, Gauge>,
    worker_last_tick: Timestamps,
    pool_size: Gauge,
    pool_idle: Gauge,
    pool_in_use: Gauge,
    pool_max: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered, all at zero.
    pub fn new() -> Self {
        let mut m = Self {
            registry: Registry::with_prefix(PREFIX),
            listening: OnceLock::new(),
            http_requests: Family::default(),
            http_duration: histograms(|| Histogram::new(HTTP_BUCKETS)),
            poll_ticks: histograms(|| Histogram::new(TICK_BUCKETS)),
            cluster_calls: Family::default(),
            rows_validated: Counter::default(),
            bytes_validated: Counter::default(),
            validation_duration: histograms(|| Histogram::new(VALIDATION_BUCKETS)),
            jobs: Family::default(),
            worker_last_tick: Family::default(),
            pool_size: Gauge::default(),
            pool_idle: Gauge::default(),
            pool_in_use: Gauge::default(),
            pool_max: Gauge::default(),
        };
        m.register();
        m
    }

    /// The names and help texts, each once.
    fn register(&mut self) {
        let r = &mut self.registry;
        r.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            self.http_requests.clone(),
        );
        r.register(
            "http_request_duration_seconds",
            "Time to the response head, by method, route template and status",
            self.http_duration.clone(),
        );
        r.register(
            "poll_tick_duration_seconds",
            "Job poller ticks (claim, dispatch, observe, persist), by outcome",
            self.poll_ticks.clone(),
        );
        r.register(
            "cluster_calls",
            "Calls to the training cluster, by backend, call and outcome",
            self.cluster_calls.clone(),
        );
        r.register(
            "dataset_rows_validated",
            "Dataset records (pairs and conversations) the validation worker read",
            self.rows_validated.clone(),
        );
        r.register(
            "dataset_bytes_validated",
            "Dataset bytes the validation worker read",
            self.bytes_validated.clone(),
        );
        r.register(
            "dataset_validation_duration_seconds",
            "Validating one dataset, by result (ready or invalid)",
            self.validation_duration.clone(),
        );
        r.register(
            "jobs",
            "Training jobs (not deleted) by status, counted at scrape time",
            self.jobs.clone(),
        );
        r.register(
            "worker_last_tick_seconds",
            "When each background worker last finished a tick (unix seconds)",
            self.worker_last_tick.clone(),
        );
        r.register(
            "db_pool_size",
            "Database connections open",
            self.pool_size.clone(),
        );
        r.register(
            "db_pool_idle",
            "Database connections idle",
            self.pool_idle.clone(),
        );
        r.register(
            "db_pool_in_use",
            "Database connections in use",
            self.pool_in_use.clone(),
        );
        r.register(
            "db_pool_max",
            "Database connections the pool may open",
            self.pool_max.clone(),
        );
    }

    /// One answered request. `method` is one of the standard methods or
    /// `other`, so a client cannot grow the label set.
    pub fn http_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let labels = HttpLabels {
            method: method_label(method),
            route: route.to_string(),
            status,
        };
        self.http_requests.get_or_create(&labels).inc();
        self.http_duration
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    /// One poll tick, `ok` or not.
    pub fn poll_tick(&self, ok: bool, took: Duration) {
        let outcome = if ok { "ok" } else { "error" };
        self.poll_ticks
            .get_or_create(&OutcomeLabels { outcome })
            .observe(took.as_secs_f64());
    }

    /// One call to the training cluster (`submit`, `query`, `cancel`) and
    /// how it ended (`ok` or the error's kind).
    pub fn cluster_call(&self, backend: &'static str, call: &'static str, outcome: &'static str) {
        self.cluster_calls
            .get_or_create(&ClusterLabels {
                backend,
                call,
                outcome,
            })
            .inc();
    }

    /// One dataset validated: its records, its bytes and how long it took.
    pub fn dataset_validated(&self, rows: u64, bytes: u64, ready: bool, took: Duration) {
        self.rows_validated.inc_by(rows);
        self.bytes_validated.inc_by(bytes);
        let outcome = if ready { "ready" } else { "invalid" };
        self.validation_duration
            .get_or_create(&OutcomeLabels { outcome })
            .observe(took.as_secs_f64());
    }

    /// The registry as it stands, in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }

    /// Records where the metrics endpoint listens (the first call wins).
    pub fn set_listening(&self, addr: SocketAddr) {
        let _ = self.listening.set(addr);
    }

    /// Where the metrics endpoint listens, once it does.
    pub fn listening(&self) -> Option<SocketAddr> {
        self.listening.get().copied()
    }
}

fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
    KNOWN.into_iter().find(|m| *m == method).unwrap_or("other")
}

/// Counts one call to `services.cluster` (`submit`, `query`, `cancel`) by
/// how it ended.
pub fn cluster_call<T>(services: &Services, call: &'static str, result: &Result<T, ClusterError>) {
    services
        .observability
        .cluster_call(services.cluster.name(), call, cluster_outcome(result));
}

fn cluster_outcome<T>(result: &Result<T, ClusterError>) -> &'static str {
    use ClusterError as E;
    match result {
        Ok(_) => "ok",
        Err(E::Unreachable(_)) => "unreachable",
        Err(E::Rejected(_)) => "rejected",
        Err(E::NotFound) => "not_found",
        Err(E::Finished) => "finished",
        Err(E::Unsuitable(_)) => "unsuitable",
    }
}

#[cfg(test)]
mod tests;
