//! Notification and webhook server functions.

use crate::AppError;
use brightrun::notifications::NotificationPage;
use brightrun::webhooks::{Delivery, Webhook};
use leptos::prelude::*;
use uuid::Uuid;

#[server(prefix = "/rpc", endpoint = "unread_notifications", output = crate::rpc::Json)]
pub async fn unread_notifications() -> Result<i64, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::notifications::unread_count(&services, user.id).await?)
}

#[server(prefix = "/rpc", endpoint = "list_notifications", output = crate::rpc::Json)]
pub async fn list_notifications(page: u32, per_page: u32) -> Result<NotificationPage, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::notifications::list(&services, user.id, false, page, per_page).await?)
}

#[server(prefix = "/rpc", endpoint = "mark_notification_read", output = crate::rpc::Json)]
pub async fn mark_notification_read(id: Uuid) -> Result<(), AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::notifications::mark_read(&services, user.id, id).await?)
}

#[server(prefix = "/rpc", endpoint = "mark_all_notifications_read", output = crate::rpc::Json)]
pub async fn mark_all_notifications_read() -> Result<u64, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::notifications::mark_all_read(&services, user.id).await?)
}

#[server(prefix = "/rpc", endpoint = "list_webhooks", output = crate::rpc::Json)]
pub async fn list_webhooks() -> Result<(Vec<Webhook>, Vec<Delivery>), AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    let hooks = brightrun_backend::webhooks::list(&services, user.id).await?;
    let deliveries = brightrun_backend::webhooks::deliveries(&services, user.id, None).await?;
    Ok((hooks, deliveries))
}

#[server(prefix = "/rpc", endpoint = "create_webhook", output = crate::rpc::Json)]
pub async fn create_webhook(url: String) -> Result<Webhook, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::webhooks::create(
        &services,
        user.id,
        brightrun::webhooks::NewWebhook { url },
    )
    .await?)
}

#[server(prefix = "/rpc", endpoint = "delete_webhook", output = crate::rpc::Json)]
pub async fn delete_webhook(id: Uuid) -> Result<(), AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::webhooks::delete(&services, user.id, id).await?)
}
