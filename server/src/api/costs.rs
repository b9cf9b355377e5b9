//! `/api/costs` (filters: from, to, type, job; `format=csv` for the export),
//! `/api/costs/summary`, and the monthly budget at `/api/settings/budget`.

use super::{ApiError, ApiJson, ok};
use axum::extract::Query;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use brightrun::costs::CostFilter;
use brightrun_backend::accounts::CurrentUser;
use brightrun_backend::{ServiceError, Services, costs};
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize)]
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

pub async fn list(
    State(services): State<Services>,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
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

pub async fn summary(
    State(services): State<Services>,
    user: CurrentUser,
) -> Result<Response, ApiError> {
    Ok(ok(costs::summary(&services, user.id).await?))
}

#[derive(Deserialize)]
pub struct Budget {
    monthly_budget: Option<f64>,
}

pub async fn get_budget(
    State(services): State<Services>,
    user: CurrentUser,
) -> Result<Response, ApiError> {
    let budget = costs::budget::get(&services, user.id).await?;
    Ok(ok(serde_json::json!({ "monthly_budget": budget })))
}

pub async fn set_budget(
    State(services): State<Services>,
    user: CurrentUser,
    ApiJson(body): ApiJson<Budget>,
) -> Result<Response, ApiError> {
    let budget = costs::budget::set(&services, user.id, body.monthly_budget).await?;
    Ok(ok(serde_json::json!({ "monthly_budget": budget })))
}
