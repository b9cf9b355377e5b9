//! The exports queue in the database: the schema's checks match the domain,
//! a failed export is queued again in place while any other is not, the
//! worker's claim skips deleted models, a claim that lost its lease writes
//! nothing, and an export left `running` by a dead worker goes back to the
//! queue (or fails, after too many tries).

use brightrun::models::{ExportFile, ExportFormat, ExportStatus};
use brightrun_backend::models::exports::queries;
use brightrun_backend::models::exports::worker::{MAX_ATTEMPTS, STOPPED};
use sqlx::PgPool;
use uuid::Uuid;

/// A user's model (with the dataset and job it needs): (owner, model).
async fn model(pool: &PgPool) -> (Uuid, Uuid) {
    let (owner, dataset, job, model) = (
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
    );
    let statements = [
        "INSERT INTO users (id, email, password_hash) VALUES ($1, $1::text || '@example.com', 'x')",
        "INSERT INTO datasets (id, owner_id, name, status, file_name, storage_key, size_bytes)
         VALUES ($2, $1, 'eq-12', 'ready', 'eq.jsonl', 'k', 10)",
        "INSERT INTO training_jobs (id, owner_id, dataset_id, name, base_model, status, backend,
                                    hyperparams, gpu_type, gpu_count, model_id)
         VALUES ($3, $1, $2, 'run', 'tiny-llama', 'completed', 'local', '{}', 'cpu', 1, $4)",
        "INSERT INTO model_artifacts (id, owner_id, job_id, name, base_model, storage_prefix)
         VALUES ($4, $1, $3, 'model', 'tiny-llama', 'lora-models/x/')",
    ];
    for sql in statements {
        sqlx::query(sql)
            .bind(owner)
            .bind(dataset)
            .bind(job)
            .bind(model)
            .execute(pool)
            .await
            .unwrap();
    }
    (owner, model)
}

async fn status(pool: &PgPool, owner: Uuid, model: Uuid, format: ExportFormat) -> ExportStatus {
    let export = queries::get(pool, owner, model, format).await.unwrap();
    export.expect("the export").status
}

/// Moves the export's lease into the past, as a dead worker leaves it.
async fn expire_lease(pool: &PgPool, id: Uuid) {
    sqlx::query("UPDATE model_exports SET lease_until = now() - interval '1 second' WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await
        .unwrap();
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn the_format_and_status_checks_match_the_domain(pool: PgPool) {
    let (owner, model) = model(&pool).await;
    for format in ExportFormat::ALL {
        assert!(
            queries::queue(&pool, owner, model, format, "p/")
                .await
                .unwrap()
        );
    }
    for s in ["queued", "running", "completed", "failed"] {
        assert_eq!(ExportStatus::parse(s).map(ExportStatus::as_str), Some(s));
        sqlx::query("UPDATE model_exports SET status = $1 WHERE model_id = $2")
            .bind(s)
            .bind(model)
            .execute(&pool)
            .await
            .unwrap();
    }
    let bad = sqlx::query("UPDATE model_exports SET format = 'onnx' WHERE model_id = $1")
        .bind(model)
        .execute(&pool)
        .await;
    assert!(bad.is_err(), "an unknown format is refused");
    let bad = sqlx::query("UPDATE model_exports SET status = 'paused' WHERE model_id = $1")
        .bind(model)
        .execute(&pool)
        .await;
    assert!(bad.is_err(), "an unknown status is refused");
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn only_a_failed_export_is_queued_again(pool: PgPool) {
    let (owner, model) = model(&pool).await;
    let f = ExportFormat::GgufQ8_0;
    assert!(queries::queue(&pool, owner, model, f, "p/").await.unwrap());
    assert!(
        !queries::queue(&pool, owner, model, f, "p/").await.unwrap(),
        "queued"
    );
    let claimed = queries::claim(&pool, 60.0).await.unwrap().unwrap();
    assert!(
        !queries::queue(&pool, owner, model, f, "p/").await.unwrap(),
        "running"
    );
    assert!(
        queries::fail(&pool, claimed.id, claimed.attempts, "why")
            .await
            .unwrap()
    );
    let failed = queries::get(&pool, owner, model, f).await.unwrap().unwrap();
    assert_eq!(
        (failed.status, failed.error.as_deref()),
        (ExportStatus::Failed, Some("why"))
    );
    assert!(
        queries::queue(&pool, owner, model, f, "p/").await.unwrap(),
        "failed"
    );
    let again = queries::get(&pool, owner, model, f).await.unwrap().unwrap();
    assert_eq!(
        (again.id, again.status, again.error),
        (failed.id, ExportStatus::Queued, None)
    );
    let claimed = queries::claim(&pool, 60.0).await.unwrap().unwrap();
    assert_eq!(claimed.attempts, 1, "a retry starts its count again");
    let file = ExportFile {
        name: "model-q8_0.gguf".into(),
        size_bytes: 42,
    };
    assert!(
        queries::complete(
            &pool,
            claimed.id,
            claimed.attempts,
            std::slice::from_ref(&file)
        )
        .await
        .unwrap()
    );
    let done = queries::get(&pool, owner, model, f).await.unwrap().unwrap();
    assert_eq!(
        (done.status, done.files, done.size_bytes),
        (ExportStatus::Completed, vec![file], 42)
    );
    assert!(
        !queries::queue(&pool, owner, model, f, "p/").await.unwrap(),
        "completed"
    );
    let stranger = Uuid::new_v4();
    assert!(
        queries::list(&pool, stranger, model)
            .await
            .unwrap()
            .is_empty()
    );
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn a_running_export_whose_worker_died_is_queued_again(pool: PgPool) {
    let (owner, model) = model(&pool).await;
    let f = ExportFormat::Merged;
    queries::queue(&pool, owner, model, f, "p/").await.unwrap();
    let first = queries::claim(&pool, 60.0).await.unwrap().unwrap();
    assert!(
        queries::progress(&pool, first.id, first.attempts, 0.4, "merging", 60.0)
            .await
            .unwrap()
    );

    // A live lease is left alone; nothing else is there to claim.
    let (stale, stopped) = queries::requeue_stale(&pool, MAX_ATTEMPTS, STOPPED)
        .await
        .unwrap();
    assert_eq!((stale, stopped.len()), (0, 0));
    assert!(queries::claim(&pool, 60.0).await.unwrap().is_none());
    assert_eq!(status(&pool, owner, model, f).await, ExportStatus::Running);

    // Its worker died: the lease runs out and the export is queued again,
    // its progress reset, then claimed by the next worker.
    expire_lease(&pool, first.id).await;
    let (stale, stopped) = queries::requeue_stale(&pool, MAX_ATTEMPTS, STOPPED)
        .await
        .unwrap();
    assert_eq!((stale, stopped.len()), (1, 0), "queued again, not failed");
    let queued = queries::get(&pool, owner, model, f).await.unwrap().unwrap();
    assert_eq!(
        (queued.status, queued.progress, queued.stage),
        (ExportStatus::Queued, 0.0, None)
    );
    let second = queries::claim(&pool, 60.0).await.unwrap().unwrap();
    assert_eq!((second.id, second.attempts), (first.id, 2));

    // The first claim, if its worker wakes up, writes nothing.
    assert!(
        !queries::progress(&pool, first.id, first.attempts, 0.9, "late", 60.0)
            .await
            .unwrap()
    );
    assert!(
        !queries::complete(&pool, first.id, first.attempts, &[])
            .await
            .unwrap()
    );
    assert!(
        !queries::fail(&pool, first.id, first.attempts, "late")
            .await
            .unwrap()
    );
    assert_eq!(status(&pool, owner, model, f).await, ExportStatus::Running);

    // Dying every time, it is failed after the last try, with the reason.
    expire_lease(&pool, second.id).await;
    queries::requeue_stale(&pool, MAX_ATTEMPTS, STOPPED)
        .await
        .unwrap();
    let third = queries::claim(&pool, 60.0).await.unwrap().unwrap();
    assert_eq!(third.attempts, MAX_ATTEMPTS);
    expire_lease(&pool, third.id).await;
    let (stale, stopped) = queries::requeue_stale(&pool, MAX_ATTEMPTS, STOPPED)
        .await
        .unwrap();
    assert_eq!(stale, 1);
    let told: Vec<_> = stopped
        .iter()
        .map(|s| {
            (
                s.owner_id,
                s.model_id,
                s.format.as_str(),
                s.model_name.is_empty(),
            )
        })
        .collect();
    assert_eq!(told, [(owner, model, "merged", false)], "its owner is told");
    let failed = queries::get(&pool, owner, model, f).await.unwrap().unwrap();
    assert_eq!(
        (failed.status, failed.error.as_deref()),
        (ExportStatus::Failed, Some(STOPPED))
    );
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn the_claim_skips_deleted_models_and_takes_the_oldest(pool: PgPool) {
    let (owner, gone) = model(&pool).await;
    queries::queue(&pool, owner, gone, ExportFormat::GgufF16, "p/")
        .await
        .unwrap();
    sqlx::query("UPDATE model_artifacts SET deleted_at = now() WHERE id = $1")
        .bind(gone)
        .execute(&pool)
        .await
        .unwrap();
    let (owner, live) = model(&pool).await;
    queries::queue(&pool, owner, live, ExportFormat::GgufLora, "a/")
        .await
        .unwrap();
    queries::queue(&pool, owner, live, ExportFormat::GgufQ4KM, "b/")
        .await
        .unwrap();
    let first = queries::claim(&pool, 60.0).await.unwrap().unwrap();
    assert_eq!(
        (first.format.as_str(), first.storage_prefix.as_str()),
        ("gguf-lora", "a/")
    );
    assert_eq!(
        (first.base_model.as_str(), first.adapter_prefix.as_str()),
        ("tiny-llama", "lora-models/x/")
    );
    let second = queries::claim(&pool, 60.0).await.unwrap().unwrap();
    assert_eq!(second.format, "gguf-q4_k_m");
    assert!(
        queries::claim(&pool, 60.0).await.unwrap().is_none(),
        "the deleted model's export waits for its clean-up"
    );
    assert_eq!(queries::delete_for_model(&pool, gone).await.unwrap(), 1);
}
