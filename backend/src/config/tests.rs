//! The configuration's unit tests: defaults, refusals that name the
//! variable, and secrets that never show in `Debug`.

use super::*;
use std::collections::HashMap;
use std::time::Duration;

fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_lookup(|k| map.get(k).cloned())
}

#[test]
fn defaults_serve_loopback_with_embedded_postgres() {
    let c = config(&[]).unwrap();
    assert_eq!(c.server.addr.to_string(), "127.0.0.1:3000");
    assert!(c.database.url.is_none());
    assert_eq!(c.data_dir, PathBuf::from("./.brightrun"));
    assert_eq!(c.accounts.signin_failures_per_minute, 10);
    assert!(!c.server.secure_cookies);
    assert_eq!(c.accounts.session_ttl, Duration::from_secs(30 * 24 * 3600));
}

#[test]
fn metrics_are_off_unless_given_an_address() {
    assert!(config(&[]).unwrap().server.metrics_addr.is_none());
    let c = config(&[("BRIGHTRUN_METRICS_ADDR", "127.0.0.1:9464")]).unwrap();
    assert_eq!(c.server.metrics_addr.unwrap().to_string(), "127.0.0.1:9464");
    let err = config(&[("BRIGHTRUN_METRICS_ADDR", "9464")]).unwrap_err();
    assert_eq!(err.name, "BRIGHTRUN_METRICS_ADDR");
}

#[test]
fn bad_values_name_the_variable() {
    let err = config(&[("BRIGHTRUN_ADDR", "localhost")]).unwrap_err();
    assert_eq!(err.name, "BRIGHTRUN_ADDR");
    let err = config(&[("BRIGHTRUN_SECURE_COOKIES", "maybe")]).unwrap_err();
    assert!(err.to_string().contains("BRIGHTRUN_SECURE_COOKIES"));
}

#[test]
fn the_cluster_is_local_by_default_and_http_needs_its_url() {
    let c = config(&[]).unwrap();
    assert_eq!(c.cluster.kind, ClusterKind::Local);
    assert_eq!(c.cluster.local_trainer_jobs, 1);
    assert_eq!(c.base_models.dir, PathBuf::from("./.brightrun/models"));
    let err = config(&[("BRIGHTRUN_CLUSTER", "http")]).unwrap_err();
    assert_eq!(err.name, "GPU_CLUSTER_API_URL");
    let c = config(&[
        ("BRIGHTRUN_CLUSTER", "http"),
        ("GPU_CLUSTER_API_URL", "http://127.0.0.1:8080/"),
        ("GPU_CLUSTER_API_KEY", "secret-key"),
        ("BRIGHTRUN_CLUSTER_MODELS", "llama-3-8b, qwen2-7b,"),
    ])
    .unwrap();
    assert_eq!(c.cluster.url.as_deref(), Some("http://127.0.0.1:8080"));
    assert_eq!(c.cluster.models, ["llama-3-8b", "qwen2-7b"]);
    assert!(!format!("{c:?}").contains("secret-key"));
    assert_eq!(
        config(&[("BRIGHTRUN_CLUSTER", "slurm")]).unwrap_err().name,
        "BRIGHTRUN_CLUSTER"
    );
    assert_eq!(
        config(&[("BRIGHTRUN_CLUSTER", "ray")]).unwrap_err().name,
        "RAY_ADDRESS",
        "ray needs the dashboard URL"
    );
    let ray = config(&[
        ("BRIGHTRUN_CLUSTER", "ray"),
        ("RAY_ADDRESS", "http://127.0.0.1:8265/"),
        ("RAY_AUTH_TOKEN", "ray-secret"),
    ])
    .unwrap();
    assert_eq!(
        ray.cluster.ray.address.as_deref(),
        Some("http://127.0.0.1:8265")
    );
    assert_eq!(
        ray.cluster.ray.entrypoint,
        "brightrun-trainer run --spec {spec}"
    );
    assert!(!format!("{ray:?}").contains("ray-secret"));
    assert_eq!(
        config(&[
            ("BRIGHTRUN_CLUSTER", "ray"),
            ("RAY_ADDRESS", "http://127.0.0.1:8265"),
            ("BRIGHTRUN_RAY_ENTRYPOINT", "trainer run"),
        ])
        .unwrap_err()
        .name,
        "BRIGHTRUN_RAY_ENTRYPOINT"
    );
    assert_eq!(
        config(&[("BRIGHTRUN_CPU_PRICE_PER_HOUR", "-1")])
            .unwrap_err()
            .name,
        "BRIGHTRUN_CPU_PRICE_PER_HOUR"
    );
}

#[test]
fn debug_hides_the_database_url() {
    let c = config(&[("DATABASE_URL", "postgres://u:hunter2@h/db")]).unwrap();
    assert!(!format!("{c:?}").contains("hunter2"));
}

#[test]
fn debug_hides_the_storage_secrets() {
    let c = config(&[
        ("BRIGHTRUN_STORAGE", "s3"),
        ("BRIGHTRUN_S3_BUCKET", "bucket"),
        ("AWS_SECRET_ACCESS_KEY", "s3-secret"),
        ("AWS_SESSION_TOKEN", "s3-session"),
        ("BRIGHTRUN_STORAGE_KEY", "signing-key"),
    ])
    .unwrap();
    let shown = format!("{c:?}");
    for secret in ["s3-secret", "s3-session", "signing-key"] {
        assert!(!shown.contains(secret), "{secret} shown");
    }
    assert!(shown.contains("bucket"));
}
