//! Notifications as the bell, the `/notifications` page and the API show them.

use crate::status::NotificationType;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notification {
    pub id: Uuid,
    pub kind: NotificationType,
    pub title: String,
    pub message: String,
    /// The page of the object it is about.
    pub link: Option<String>,
    pub read: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationPage {
    pub items: Vec<Notification>,
    pub unread: u64,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// How many the bell's dropdown shows.
pub const LATEST: u32 = 5;
