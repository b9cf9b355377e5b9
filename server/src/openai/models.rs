//! `GET /v1/models`: the models the key's owner can call, in OpenAI's list
//! shape; their ids are what `model` takes.

use super::error::OpenAiError;
use super::schemas::{ModelList, OpenAiErrorBody};
use axum::Json;
use axum::extract::State;
use brightrun_backend::accounts::CurrentUser;
use brightrun_backend::{ServiceError, Services, generation};
use serde_json::{Value, json};

#[utoipa::path(
    get,
    path = "/v1/models",
    summary = "List callable models (OpenAI)",
    tag = "openai",
    responses(
        (status = 200, description = "The models the key's owner can call", body = ModelList),
        (status = 401, description = "No valid API token (`invalid_api_key`)", body = OpenAiErrorBody),
        (status = 500, description = "A fault on the server's side", body = OpenAiErrorBody),
    )
)]
pub async fn list(
    State(services): State<Services>,
    user: Result<CurrentUser, ServiceError>,
) -> Result<Json<Value>, OpenAiError> {
    let user = user?;
    let data: Vec<Value> = generation::answerers(&services, user.id)
        .await?
        .into_iter()
        .map(|m| {
            json!({"id": m.id, "object": "model", "created": m.created.timestamp(), "owned_by": m.owned_by})
        })
        .collect();
    Ok(Json(json!({"object": "list", "data": data})))
}
