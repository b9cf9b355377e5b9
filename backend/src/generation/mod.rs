//! Generation: a person's trained model (or a base model) answering a
//! conversation, for the playground and the OpenAI-compatible endpoint.
//! The model is looked up by owner, its adapter handed to the cluster as
//! signed URLs, and the cluster's events passed on as they come.

pub mod queries;

use crate::error::ServiceError;
use crate::jobs::cluster::{ClusterError, GenerateSpec, Generation};
use crate::services::Services;
use crate::training::base_models;
use brightrun::generation::GenerationRequest;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A model a person can talk to: one of their trained models, or a base model.
#[derive(Debug, Clone, PartialEq)]
pub struct Answerer {
    /// The model's id, or the base model's.
    pub id: String,
    pub created: DateTime<Utc>,
    /// `brightrun` for base models, the owner's email otherwise.
    pub owned_by: String,
}

/// What `model` names for `owner`: a trained model (by id) with its base
/// model and adapter, or a base model (by id) alone.
async fn spec_for(
    services: &Services,
    owner: Uuid,
    model: &str,
    request: GenerationRequest,
) -> Result<GenerateSpec, ServiceError> {
    if let Ok(id) = Uuid::parse_str(model) {
        let queries::AdapterRow {
            base_model: base,
            storage_prefix: prefix,
        } = queries::adapter(&services.pool, owner, id)
            .await?
            .ok_or(ServiceError::NotFound("Model"))?;
        let base = base_models::find(&services.config, &base)?;
        return Ok(GenerateSpec {
            base_model: base.spec_name,
            adapter: Some(crate::jobs::spec::adapter_urls(services, &prefix).await?),
            adapter_id: Some(id.to_string()),
            request,
        });
    }
    let base =
        base_models::find(&services.config, model).map_err(|_| ServiceError::NotFound("Model"))?;
    Ok(GenerateSpec {
        base_model: base.spec_name,
        adapter: None,
        adapter_id: None,
        request: GenerationRequest {
            adapter: false,
            ..request
        },
    })
}

/// Starts `model`'s answer to `request`; its events arrive on the returned
/// receiver, and dropping it stops the generation.
#[tracing::instrument(skip_all, fields(user = %owner, model = %model))]
pub async fn start(
    services: &Services,
    owner: Uuid,
    model: &str,
    request: GenerationRequest,
) -> Result<Generation, ServiceError> {
    request.validate().map_err(|e| ServiceError::Invalid {
        field: e.field,
        message: format!("`{}` {}", e.field, e.message),
    })?;
    let spec = spec_for(services, owner, model, request).await?;
    services.cluster.generate(spec).await.map_err(|e| match e {
        ClusterError::Unsuitable(why) => ServiceError::Unavailable(format!("{why}.")),
        ClusterError::Unreachable(why) => {
            tracing::warn!("generation: {why}");
            ServiceError::Unavailable(
                "The trainer is not answering right now; try again in a minute.".into(),
            )
        }
        ClusterError::Rejected(why) => ServiceError::Invalid {
            field: "model",
            message: why,
        },
        ClusterError::NotFound | ClusterError::Finished => ServiceError::Internal,
    })
}

/// Every model `owner` can talk to: their trained models, newest first,
/// then the base models.
#[tracing::instrument(skip_all, fields(user = %owner))]
pub async fn answerers(services: &Services, owner: Uuid) -> Result<Vec<Answerer>, ServiceError> {
    let mut out: Vec<Answerer> = queries::models(&services.pool, owner)
        .await?
        .into_iter()
        .map(|row| Answerer {
            id: row.id.to_string(),
            created: row.created_at,
            owned_by: row.email,
        })
        .collect();
    let epoch = DateTime::<Utc>::UNIX_EPOCH;
    out.extend(
        base_models::list(&services.config)
            .into_iter()
            .map(|b| Answerer {
                id: b.id,
                created: epoch,
                owned_by: "brightrun".into(),
            }),
    );
    Ok(out)
}
