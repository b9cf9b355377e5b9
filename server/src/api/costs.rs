//! `/api/costs` (filters: from, to, type, job; `format=csv` for the export),
//! `/api/costs/summary`, and the monthly budget at `/api/settings/budget`.

use super::openapi::schemas::{Envelope, MonthlyBudget};
use super::{ApiError, ApiJson, ApiQuery, ok};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use brightrun::costs::CostFilter;
use brightrun::costs::{CostRecord, CostSummary};
use brightrun_backend::accounts::CurrentUser;
use brightrun_backend::{ServiceError, Services, costs};
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    from: Option<String>,
    to: Option<String>,
    #[serde(rename = "type")]
    cost_type: Option<String>,
    job: Option<String>,
    format: Option<String>,
}

fn date(field: &'static str, raw: Option<&str>) -> Result<Option<NaiveDate>, ServiceError> {
    match raw {
        None | Some("") => Ok(None),
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| ServiceError::Invalid {
                field,
                message: format!("`{field}` is a date like 2026-12-01, not '{d}'."),
            }),
    }
}

fn filter(q: &ListQuery) -> Result<CostFilter, ServiceError> {
    Ok(CostFilter {
        from: date("from", q.from.as_deref())?,
        to: date("to", q.to.as_deref())?,
        cost_type: match q.cost_type.as_deref() {
            None | Some("") => None,
            Some(t) => Some(t.parse().map_err(|_| ServiceError::Invalid {
                field: "type",
                message: format!("Unknown cost type '{t}'; use compute, storage or data_transfer."),
            })?),
        },
        job_id: match q.job.as_deref() {
            None | Some("") => None,
            Some(j) => Some(Uuid::parse_str(j).map_err(|_| ServiceError::Invalid {
                field: "job",
                message: format!("`job` is a job id, not '{j}'."),
            })?),
        },
    })
}

#[utoipa::path(
    get,
    path = "/api/costs",
    summary = "List cost records (JSON or CSV)",
    tag = "costs",
    params(ListQuery),
    responses(
        (status = 200, description = "The cost records (newest first), or with `format=csv` all of them as CSV", content((Envelope<Vec<CostRecord>> = "application/json"), (String = "text/csv"))),
    )
)]
pub async fn list(
    State(services): State<Services>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let filter = filter(&query)?;
    match query.format.as_deref() {
        Some("csv") => {
            let body = costs::csv(&services, user.id, &filter).await?;
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"brightrun-costs.csv\"",
                    ),
                ],
                body,
            )
                .into_response())
        }
        None | Some("") | Some("json") => Ok(ok(costs::list(
            &services,
            user.id,
            &filter,
            Some(costs::LIST_LIMIT),
        )
        .await?)),
        Some(other) => Err(ServiceError::Invalid {
            field: "format",
            message: format!("Unknown format '{other}'; use json or csv."),
        }
        .into()),
    }
}

#[utoipa::path(
    get,
    path = "/api/costs/summary",
    summary = "Summarise costs",
    tag = "costs",
    responses(
        (status = 200, description = "This month's and all-time totals, by type, day and job", body = Envelope<CostSummary>),
    )
)]
pub async fn summary(
    State(services): State<Services>,
    user: CurrentUser,
) -> Result<Response, ApiError> {
    Ok(ok(costs::summary(&services, user.id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Budget {
    monthly_budget: Option<f64>,
}

#[utoipa::path(
    get,
    path = "/api/settings/budget",
    summary = "Read the monthly budget",
    tag = "costs",
    responses(
        (status = 200, description = "The monthly budget", body = Envelope<MonthlyBudget>),
    )
)]
pub async fn get_budget(
    State(services): State<Services>,
    user: CurrentUser,
) -> Result<Response, ApiError> {
    let budget = costs::budget::get(&services, user.id).await?;
    Ok(ok(serde_json::json!({ "monthly_budget": budget })))
}

#[utoipa::path(
    put,
    path = "/api/settings/budget",
    summary = "Set the monthly budget",
    tag = "costs",
    request_body = Budget,
    responses(
        (status = 200, description = "The monthly budget as set", body = Envelope<MonthlyBudget>),
    )
)]
pub async fn set_budget(
    State(services): State<Services>,
    user: CurrentUser,
    ApiJson(body): ApiJson<Budget>,
) -> Result<Response, ApiError> {
    let budget = costs::budget::set(&services, user.id, body.monthly_budget).await?;
    Ok(ok(serde_json::json!({ "monthly_budget": budget })))
}
