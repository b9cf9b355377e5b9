//! A job's loss chart, drawn on the server: the points the job's page
//! shows (thinned to [`CHART_POINTS`] as its detail thins them) and every
//! validation loss, through [`crate::charts::loss_svg`].

use super::{CHART_POINTS, queries};
use crate::charts::{Drawn, LossChartOptions, loss_svg, loss_train_points};
use crate::error::ServiceError;
use crate::services::Services;
use brightrun::jobs::sample_indices;
use uuid::Uuid;

/// The owner's job's training and validation loss as an SVG, on a log
/// axis when `log_scale`; an unknown job (or someone else's) is not found.
#[tracing::instrument(skip_all, fields(user = %owner, job = %id, log_scale))]
pub async fn loss_chart(
    services: &Services,
    owner: Uuid,
    id: Uuid,
    log_scale: bool,
) -> Result<Drawn, ServiceError> {
    let pool = &services.pool;
    let job = queries::get(pool, owner, id).await?;
    let count = queries::metric_count(pool, owner, id).await?;
    let positions = sample_indices(count as usize, CHART_POINTS);
    let train = queries::metrics_at(pool, owner, id, &positions).await?;
    let eval = queries::eval_points(pool, owner, id).await?;
    let opts = LossChartOptions {
        log_scale,
        total_steps: job.total_steps,
    };
    Ok(Drawn {
        svg: loss_svg(&train, &eval, &opts),
        points: loss_train_points(&train, &opts),
    })
}
