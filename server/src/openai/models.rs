//! `GET /v1/models`: the models the key's owner can call, in OpenAI's list
//! shape; their ids are what `model` takes.

use super::error::OpenAiError;
use axum::Json;
use axum::extract::State;
use brightrun_backend::accounts::CurrentUser;
use brightrun_backend::{ServiceError, Services, generation};
use serde_json::{Value, json};

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
