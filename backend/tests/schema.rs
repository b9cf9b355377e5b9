//! The schema against the domain: every status and kind the domain enums can
//! hold is accepted by the CHECK constraints, and nothing else is.

use brightrun::{CostType, DatasetStatus, JobStatus, NotificationType};
use sqlx::PgPool;
use uuid::Uuid;

async fn user(pool: &PgPool) -> Uuid {
    let id = Uuid::new_v4();
    sqlx::query("INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'x')")
        .bind(id)
        .bind(format!("{id}@example.com"))
        .execute(pool)
        .await
        .unwrap();
    id
}

async fn dataset(pool: &PgPool, owner: Uuid, status: &str) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO datasets (id, owner_id, name, status, file_name, storage_key, size_bytes)
         VALUES ($1, $2, 'eq-12', $3, 'eq.jsonl', 'k', 10)",
    )
    .bind(id)
    .bind(owner)
    .bind(status)
    .execute(pool)
    .await
    .map(|_| id)
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn dataset_status_check_matches_the_domain(pool: PgPool) {
    let owner = user(&pool).await;
    for status in DatasetStatus::ALL {
        dataset(&pool, owner, status.as_str()).await.unwrap();
    }
    assert!(dataset(&pool, owner, "done").await.is_err());
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn job_notification_and_cost_checks_match_the_domain(pool: PgPool) {
    let owner = user(&pool).await;
    let ds = dataset(&pool, owner, "ready").await.unwrap();
    let insert_job = |status: String| {
        let pool = pool.clone();
        async move {
            sqlx::query(
                "INSERT INTO training_jobs (id, owner_id, dataset_id, name, base_model, status, backend, hyperparams, gpu_type, gpu_count)
                 VALUES ($1, $2, $3, 'run', 'tiny-llama', $4, 'local', '{}', 'cpu', 1)",
            )
            .bind(Uuid::new_v4())
            .bind(owner)
            .bind(ds)
            .bind(status)
            .execute(&pool)
            .await
        }
    };
    for s in JobStatus::ALL {
        insert_job(s.as_str().to_string()).await.unwrap();
    }
    assert!(insert_job("paused".into()).await.is_err());

    for t in NotificationType::ALL {
        sqlx::query("INSERT INTO notifications (id, owner_id, notification_type, title, message) VALUES ($1, $2, $3, 't', 'm')")
            .bind(Uuid::new_v4())
            .bind(owner)
            .bind(t.as_str())
            .execute(&pool)
            .await
            .unwrap();
    }
    for t in CostType::ALL {
        sqlx::query(
            "INSERT INTO cost_records (id, owner_id, cost_type, amount, period_start, period_end)
             VALUES ($1, $2, $3, 1.5, now(), now())",
        )
        .bind(Uuid::new_v4())
        .bind(owner)
        .bind(t.as_str())
        .execute(&pool)
        .await
        .unwrap();
    }
    let bad = sqlx::query(
        "INSERT INTO cost_records (id, owner_id, cost_type, amount, period_start, period_end)
         VALUES ($1, $2, 'compute', -1, now(), now())",
    )
    .bind(Uuid::new_v4())
    .bind(owner)
    .execute(&pool)
    .await;
    assert!(bad.is_err(), "negative amounts are refused");
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn emails_are_unique_among_live_accounts_and_stored_lower_case(pool: PgPool) {
    let a = user(&pool).await;
    let email = format!("{a}@example.com");
    let dup = sqlx::query("INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'x')")
        .bind(Uuid::new_v4())
        .bind(&email)
        .execute(&pool)
        .await;
    assert!(dup.is_err());
    let upper = sqlx::query(
        "INSERT INTO users (id, email, password_hash) VALUES ($1, 'UP@example.com', 'x')",
    )
    .bind(Uuid::new_v4())
    .execute(&pool)
    .await;
    assert!(upper.is_err());
    sqlx::query("UPDATE users SET deleted_at = now() WHERE id = $1")
        .bind(a)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'x')")
        .bind(Uuid::new_v4())
        .bind(&email)
        .execute(&pool)
        .await
        .expect("a deleted account frees its email");
}
