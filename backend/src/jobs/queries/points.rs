//! A job's metric points and evaluations: the poller writes them in bulk
//! (one statement per tick each, a point or evaluation already stored is
//! kept), the job's pages read them. Reads join the job for its owner.

use crate::error::ServiceError;
use brightrun::jobs::MetricPoint;
use sqlx::PgPool;
use uuid::Uuid;

/// One stored point (`metrics_points`).
#[derive(Debug, Clone, PartialEq)]
pub struct PointRow {
    pub step: i32,
    pub epoch: Option<f32>,
    pub train_loss: Option<f32>,
    pub eval_loss: Option<f32>,
    pub learning_rate: Option<f32>,
    pub tokens_per_second: Option<f32>,
    pub grad_norm: Option<f32>,
}

impl From<PointRow> for MetricPoint {
    fn from(r: PointRow) -> Self {
        Self {
            step: r.step.max(0) as u32,
            epoch: r.epoch.map(f64::from),
            train_loss: r.train_loss.map(f64::from),
            eval_loss: r.eval_loss.map(f64::from),
            learning_rate: r.learning_rate.map(f64::from),
            tokens_per_second: r.tokens_per_second.map(f64::from),
            grad_norm: r.grad_norm.map(f64::from),
        }
    }
}

/// `SELECT`s the owner's job's [`PointRow`]s (`$1` the job, `$2` the
/// owner), the rest of the WHERE clause given as a literal.
macro_rules! select_points {
    ($tail:literal, $($arg:expr),+ $(,)?) => {
        sqlx::query_as!(
            PointRow,
            "SELECT m.step, m.epoch, m.train_loss, m.eval_loss, m.learning_rate,
                    m.tokens_per_second, m.grad_norm
             FROM metrics_points m JOIN training_jobs j ON j.id = m.job_id
             WHERE m.job_id = $1 AND j.owner_id = $2 AND j.deleted_at IS NULL "
                + $tail,
            $($arg),+
        )
    };
}

/// At most `limit` of the job's points after `after_step`, in step order;
/// the job must be the owner's.
pub async fn metrics(
    pool: &PgPool,
    owner: Uuid,
    job: Uuid,
    after_step: Option<u32>,
    limit: u32,
) -> Result<Vec<MetricPoint>, ServiceError> {
    let rows = select_points!(
        "AND ($3::int IS NULL OR m.step > $3) ORDER BY m.step LIMIT $4",
        job,
        owner,
        after_step.map(|s| s.min(i32::MAX as u32) as i32),
        i64::from(limit),
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(MetricPoint::from).collect())
}

/// How many points the job has.
pub async fn metric_count(pool: &PgPool, owner: Uuid, job: Uuid) -> Result<u64, ServiceError> {
    let n = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM metrics_points m JOIN training_jobs j ON j.id = m.job_id
           WHERE m.job_id = $1 AND j.owner_id = $2 AND j.deleted_at IS NULL"#,
        job,
        owner,
    )
    .fetch_one(pool)
    .await?;
    Ok(n.max(0) as u64)
}

/// The job's points at the given positions (0-based, in step order): a
/// thinned chart without reading every point into memory.
pub async fn metrics_at(
    pool: &PgPool,
    owner: Uuid,
    job: Uuid,
    positions: &[usize],
) -> Result<Vec<MetricPoint>, ServiceError> {
    let positions: Vec<i64> = positions.iter().map(|&p| p as i64).collect();
    let rows = sqlx::query_as!(
        PointRow,
        r#"SELECT step AS "step!", epoch, train_loss, eval_loss, learning_rate,
                  tokens_per_second, grad_norm
           FROM (SELECT m.step, m.epoch, m.train_loss, m.eval_loss, m.learning_rate,
                        m.tokens_per_second, m.grad_norm,
                        row_number() OVER (ORDER BY m.step) - 1 AS n
                 FROM metrics_points m JOIN training_jobs j ON j.id = m.job_id
                 WHERE m.job_id = $1 AND j.owner_id = $2 AND j.deleted_at IS NULL) p
           WHERE n = ANY($3) ORDER BY step"#,
        job,
        owner,
        &positions,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(MetricPoint::from).collect())
}

/// The job's points that carry a validation loss (one per eval interval).
pub async fn eval_points(
    pool: &PgPool,
    owner: Uuid,
    job: Uuid,
) -> Result<Vec<MetricPoint>, ServiceError> {
    let rows = select_points!("AND m.eval_loss IS NOT NULL ORDER BY m.step", job, owner)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(MetricPoint::from).collect())
}

/// A point the cluster reported, to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPoint {
    pub job: Uuid,
    pub point: PointRow,
}

/// Stores the points in one statement; a step already stored is kept.
pub async fn insert_points(
    conn: &mut sqlx::PgConnection,
    points: &[NewPoint],
) -> Result<(), ServiceError> {
    let col = |f: fn(&PointRow) -> Option<f32>| -> Vec<Option<f32>> {
        points.iter().map(|p| f(&p.point)).collect()
    };
    let jobs: Vec<Uuid> = points.iter().map(|p| p.job).collect();
    let steps: Vec<i32> = points.iter().map(|p| p.point.step).collect();
    sqlx::query!(
        "INSERT INTO metrics_points (job_id, step, epoch, train_loss, eval_loss,
             learning_rate, tokens_per_second, grad_norm)
         SELECT * FROM UNNEST($1::uuid[], $2::int[], $3::real[], $4::real[], $5::real[],
             $6::real[], $7::real[], $8::real[])
         ON CONFLICT (job_id, step) DO NOTHING",
        &jobs,
        &steps,
        &col(|p| p.epoch) as &[Option<f32>],
        &col(|p| p.train_loss) as &[Option<f32>],
        &col(|p| p.eval_loss) as &[Option<f32>],
        &col(|p| p.learning_rate) as &[Option<f32>],
        &col(|p| p.tokens_per_second) as &[Option<f32>],
        &col(|p| p.grad_norm) as &[Option<f32>],
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A job's (train, validation) losses in step order: what a finished
/// model's quality is judged on.
pub struct LossRow {
    pub train_loss: Option<f32>,
    pub eval_loss: Option<f32>,
}

pub async fn losses(
    conn: &mut sqlx::PgConnection,
    job: Uuid,
) -> Result<Vec<LossRow>, ServiceError> {
    Ok(sqlx::query_as!(
        LossRow,
        "SELECT train_loss, eval_loss FROM metrics_points WHERE job_id = $1 ORDER BY step",
        job,
    )
    .fetch_all(conn)
    .await?)
}

/// An evaluation the trainer reported (its samples as JSON), to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvaluation {
    pub job: Uuid,
    pub step: i32,
    pub val_loss: f32,
    pub samples: serde_json::Value,
}

/// Stores the evaluations in one statement; one already stored is kept.
pub async fn insert_evaluations(
    conn: &mut sqlx::PgConnection,
    evaluations: &[NewEvaluation],
) -> Result<(), ServiceError> {
    let jobs: Vec<Uuid> = evaluations.iter().map(|e| e.job).collect();
    let steps: Vec<i32> = evaluations.iter().map(|e| e.step).collect();
    let losses: Vec<f32> = evaluations.iter().map(|e| e.val_loss).collect();
    let samples: Vec<serde_json::Value> = evaluations.iter().map(|e| e.samples.clone()).collect();
    sqlx::query!(
        "INSERT INTO job_evaluations (job_id, step, val_loss, samples)
         SELECT * FROM UNNEST($1::uuid[], $2::int[], $3::real[], $4::jsonb[])
         ON CONFLICT (job_id, step) DO NOTHING",
        &jobs,
        &steps,
        &losses,
        &samples,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A stored evaluation.
pub struct EvaluationRow {
    pub step: i32,
    pub val_loss: f32,
    pub samples: serde_json::Value,
}

/// The owner's job's evaluation before training (step 0) and its latest one.
pub async fn first_and_last_evaluations(
    pool: &PgPool,
    owner: Uuid,
    job: Uuid,
) -> Result<Vec<EvaluationRow>, ServiceError> {
    Ok(sqlx::query_as!(
        EvaluationRow,
        "SELECT e.step, e.val_loss, e.samples FROM job_evaluations e
         JOIN training_jobs j ON j.id = e.job_id
         WHERE e.job_id = $1 AND j.owner_id = $2 AND j.deleted_at IS NULL
           AND (e.step = 0 OR e.step = (SELECT max(step) FROM job_evaluations WHERE job_id = $1))
         ORDER BY e.step",
        job,
        owner,
    )
    .fetch_all(pool)
    .await?)
}
