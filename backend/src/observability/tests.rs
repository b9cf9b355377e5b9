use super::*;

#[test]
fn recorded_values_are_written_under_their_names_and_labels() {
    let m = Metrics::new();
    m.http_request("GET", "/api/jobs/{id}", 404, Duration::from_millis(3));
    m.http_request("GET", "/api/jobs/{id}", 404, Duration::from_millis(30));
    m.http_request("BREW", UNMATCHED, 405, Duration::from_millis(1));
    m.cluster_call("http", "query", "unreachable");
    m.dataset_validated(12, 3456, true, Duration::from_millis(70));
    m.poll_tick(true, Duration::from_millis(7));
    let text = m.encode();
    for line in [
        r#"brightrun_http_requests_total{method="GET",route="/api/jobs/{id}",status="404"} 2"#,
        r#"brightrun_http_requests_total{method="other",route="unmatched",status="405"} 1"#,
        r#"brightrun_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/jobs/{id}",status="404"} 1"#,
        r#"brightrun_http_request_duration_seconds_count{method="GET",route="/api/jobs/{id}",status="404"} 2"#,
        r#"brightrun_cluster_calls_total{backend="http",call="query",outcome="unreachable"} 1"#,
        "brightrun_dataset_rows_validated_total 12",
        "brightrun_dataset_bytes_validated_total 3456",
        r#"brightrun_dataset_validation_duration_seconds_count{outcome="ready"} 1"#,
        r#"brightrun_poll_tick_duration_seconds_count{outcome="ok"} 1"#,
        "# TYPE brightrun_db_pool_in_use gauge",
        "brightrun_db_pool_in_use 0",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    assert!(text.ends_with("# EOF\n"));
}

#[test]
fn two_registries_count_apart() {
    let (a, b) = (Metrics::new(), Metrics::new());
    a.cluster_call("local", "submit", "ok");
    assert!(a.encode().contains("brightrun_cluster_calls_total{"));
    assert!(!b.encode().contains("brightrun_cluster_calls_total{"));
}
