//! One step count: a job's estimate says how many optimizer steps the run
//! takes, and the real trainer on the local cluster takes exactly that many,
//! with max steps below, at and above one epoch's steps (max steps is a cap).

use crate::common::{TestApp, create, new_job, ready_dataset, tick_until};
use serde_json::json as j;
use sqlx::PgPool;
use std::time::Duration;

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn the_estimate_s_steps_are_the_steps_the_run_takes(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("steps@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    // EQ-12: 44 examples, 4 held out, 8 a step: 5 steps an epoch, one epoch.
    let cases = [(3, 3), (5, 5), (8, 5)];
    let mut jobs = Vec::new();
    for (max_steps, expect) in cases {
        let mut body = new_job(&dataset, "cpu", max_steps);
        body["config"]["batch_size"] = j!(8);
        // One validation loss, at the end; no checkpoints.
        body["config"]["eval_interval"] = j!(1000);
        // The precision and checkpointing settings travel with the job.
        body["config"]["dtype"] = j!("f32");
        body["config"]["gradient_checkpointing"] = j!(false);
        jobs.push((max_steps, expect, create(&app, &client, body).await));
    }
    for (max_steps, expect, id) in jobs {
        let job = tick_until(&app, &client, &id, Duration::from_secs(300), |j| {
            j["job"]["status"] != "queued"
                && j["job"]["status"] != "initializing"
                && j["job"]["status"] != "running"
        })
        .await;
        assert_eq!(job["job"]["status"], "completed", "{job}");
        assert_eq!(job["config"]["dtype"], "f32");
        assert_eq!(job["config"]["gradient_checkpointing"], false);
        let estimated = job["estimate"]["total_steps"].as_u64().unwrap();
        assert_eq!(estimated, expect, "max steps {max_steps}: the estimate");
        let ran = (
            job["job"]["total_steps"].as_u64().unwrap(),
            job["job"]["current_step"].as_u64().unwrap(),
            job["metric_count"].as_u64().unwrap(),
        );
        assert_eq!(
            ran,
            (estimated, estimated, estimated),
            "max steps {max_steps}: (total, last step, points) the run reported against the estimate's {estimated}"
        );
        let epoch = job["job"]["current_epoch"].as_f64().unwrap();
        assert!(
            (epoch - expect as f64 / 5.0).abs() < 1e-3,
            "max steps {max_steps}: epoch {epoch}"
        );
        // The model's page says the epochs that ran, not the ones asked for.
        let model = job["job"]["model_id"].as_str().unwrap();
        let html = client
            .get(app.url(&format!("/models/{model}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let epochs = if expect == 5 {
            "1".to_string()
        } else {
            format!("{}", expect as f64 / 5.0)
        };
        let shown = format!("{epochs} ({expect} steps)");
        assert!(
            html.contains(&shown),
            "max steps {max_steps}: no `{shown}` in the model page"
        );
    }
}
