use crate::AppError;
use leptos::prelude::*;

#[server(prefix = "/rpc", endpoint = "unread_notifications")]
pub async fn unread_notifications() -> Result<i64, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::notifications::unread_count(&services.pool, user.id).await?)
}
