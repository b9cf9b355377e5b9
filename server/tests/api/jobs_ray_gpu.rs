//! A GPU job on a Ray node whose trainer sees no GPU. A Ray head of its own
//! (`scripts/ray-head` with `RAY_OVERRIDE_RESOURCES`) says it has a T4, so
//! Ray schedules the job and hands it "its" GPU; the trainer on the node is
//! the test command's CPU build, which sees none. The job must fail with
//! that reason instead of training on the CPU, and must not be billed as
//! GPU work. Runs in the `ray` test group (.config/nextest.toml): another
//! Ray test stops every Ray process on the machine.

use crate::common::{TestApp, create, new_job, ready_dataset, tick_until};
use sqlx::PgPool;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A Ray head whose node claims one T4, stopped (its processes, by id) when
/// dropped: `scripts/ray-head stop` would stop every Ray on the machine.
struct GpuHead {
    dir: tempfile::TempDir,
    address: String,
    token: String,
}

impl GpuHead {
    fn start() -> Self {
        let shared = PathBuf::from(std::env::var("BRIGHTRUN_TEST_RAY_DIR").expect(
            "the Ray backend's tests need a Ray head: run ./scripts/test, or `scripts/ray-head start DIR` \
             and set BRIGHTRUN_TEST_RAY_DIR=DIR",
        ));
        // The PATH the test head found brightrun-trainer on.
        let path =
            std::fs::read_to_string(shared.join("path")).expect("DIR/path from scripts/ray-head");
        let dir = tempfile::tempdir().unwrap();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/ray-head");
        let out = std::process::Command::new(script)
            .arg("start")
            .arg(dir.path())
            .env("PATH", path)
            .env(
                "RAY_OVERRIDE_RESOURCES",
                r#"{"GPU": 1, "accelerator_type:T4": 1}"#,
            )
            .output()
            .unwrap();
        // Whatever happens next, dropping this stops what was started.
        let mut head = Self {
            address: String::new(),
            token: String::new(),
            dir,
        };
        assert!(
            out.status.success(),
            "ray-head start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let env = std::fs::read_to_string(head.dir.path().join("ray.env")).unwrap();
        let get = |k: &str| {
            env.lines()
                .find_map(|l| l.strip_prefix(&format!("{k}=")))
                .unwrap_or_else(|| panic!("{k} in ray.env"))
                .to_string()
        };
        head.address = get("RAY_ADDRESS");
        head.token = get("RAY_AUTH_TOKEN");
        head
    }
}

impl Drop for GpuHead {
    fn drop(&mut self) {
        for pid in processes_mentioning(self.dir.path()) {
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status();
        }
    }
}

/// This head's processes: every one whose command line names its folder.
fn processes_mentioning(dir: &Path) -> Vec<u32> {
    let needle = dir.display().to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != std::process::id())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| {
                    String::from_utf8_lossy(&c)
                        .replace('\0', " ")
                        .contains(&needle)
                })
                .unwrap_or(false)
        })
        .collect()
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_gpu_job_on_a_node_whose_trainer_sees_no_gpu_fails_with_the_reason_unbilled(
    pool: PgPool,
) {
    let head = GpuHead::start();
    let app = TestApp::spawn_with(
        pool,
        &[
            ("BRIGHTRUN_CLUSTER", "ray"),
            ("RAY_ADDRESS", head.address.as_str()),
            ("RAY_AUTH_TOKEN", head.token.as_str()),
        ],
    )
    .await;
    let client = app.signed_in("ray-gpu@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let id = create(&app, &client, new_job(&dataset, "t4", 4)).await;
    let done = tick_until(&app, &client, &id, Duration::from_secs(180), |b| {
        matches!(
            b["job"]["status"].as_str(),
            Some("completed" | "failed" | "cancelled")
        )
    })
    .await;
    assert_eq!(done["job"]["status"], "failed", "{done}");
    let reason = done["job"]["error_message"].as_str().unwrap();
    assert!(
        reason.contains("the job asks for a GPU (cuda) but this trainer sees none")
            && reason.contains("built without the `cuda` feature"),
        "{reason}"
    );
    assert_eq!(
        done["metric_count"], 0,
        "it never trained on the CPU: {done}"
    );

    // Not billed as GPU work: it never had its GPU.
    assert_eq!(done["job"]["cost_so_far"].as_f64(), Some(0.0), "{done}");
    let (records, billed): (i64, f64) = sqlx::query_as(
        "SELECT count(*), coalesce(sum(amount), 0)::float8 FROM cost_records
         WHERE job_id = $1::uuid",
    )
    .bind(&id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((records, billed), (0, 0.0));
    let trained: Option<serde_json::Value> =
        sqlx::query_scalar("SELECT trained_on FROM training_jobs WHERE id = $1::uuid")
            .bind(&id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(trained, None);
}
