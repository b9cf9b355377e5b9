//! A trained model (LoRA adapter) as the pages and the API show it.

use super::quality::Quality;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub base_model: String,
    pub job_id: Uuid,
    pub dataset_id: Uuid,
    pub dataset_name: String,
    pub parent_model_id: Option<Uuid>,
    pub size_bytes: u64,
    pub quality: Option<Quality>,
    pub rating: Option<u8>,
    pub created_at: DateTime<Utc>,
}
