//! `/api/health` says when each background worker last finished a tick.

use crate::common::TestApp;
use sqlx::PgPool;
use std::time::{Duration, Instant};

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn health_reports_every_workers_last_tick(pool: PgPool) {
    let app = TestApp::spawn_with(pool, &[("BRIGHTRUN_WORKERS", "true")]).await;
    let start = Instant::now();
    loop {
        let (status, body) = app.get(&app.script(), "/api/health").await;
        assert_eq!(status, 200, "{body}");
        let workers = &body["data"]["workers"];
        let all = ["housekeeping", "poller", "validation", "webhooks"]
            .iter()
            .all(|w| {
                workers[w]
                    .as_str()
                    .is_some_and(|t| t.parse::<chrono::DateTime<chrono::Utc>>().is_ok())
            });
        if all {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
