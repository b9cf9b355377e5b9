//! Account server functions. Thin by policy: the session user and input in,
//! one call to `brightrun_backend::accounts` out.

use crate::AppError;
use brightrun::{ApiTokenInfo, NewApiToken, UserProfile};
use leptos::prelude::*;
use uuid::Uuid;

/// Where to go after signing in: only same-site paths, so a crafted link
/// cannot send a user elsewhere.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        // Browsers drop tabs and newlines inside URLs (`/\t/evil.example` is
        // `//evil.example` to them), so a path with any control character or
        // space is refused before looking at its start.
        Some(n)
            if n.starts_with('/')
                && !n.chars().any(|c| c.is_control() || c.is_whitespace())
                && !n.starts_with("//")
                && !n.starts_with("/\\") =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use brightrun_backend::accounts::SessionCookie;
    use leptos::prelude::*;
    use leptos_axum::ResponseOptions;

    /// Puts the session cookie sign-in or sign-out handed back on the response.
    pub fn set_cookie(cookie: &SessionCookie) {
        if let (Some(opts), Some(value)) = (use_context::<ResponseOptions>(), cookie.header_value())
        {
            opts.append_header(axum::http::header::SET_COOKIE, value);
        }
    }
}

#[server(prefix = "/rpc", endpoint = "sign_up", output = crate::rpc::Json)]
pub async fn sign_up(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    let services = crate::ssr::services()?;
    let client = crate::ssr::client(&services);
    let (_, cookie) =
        brightrun_backend::accounts::sign_up(&services, &email, &password, &client).await?;
    ssr::set_cookie(&cookie);
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "sign_in", output = crate::rpc::Json)]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    let services = crate::ssr::services()?;
    let client = crate::ssr::client(&services);
    let (_, cookie) =
        brightrun_backend::accounts::sign_in(&services, &email, &password, &client).await?;
    ssr::set_cookie(&cookie);
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "sign_out", output = crate::rpc::Json)]
pub async fn sign_out() -> Result<(), AppError> {
    let services = crate::ssr::services()?;
    let headers = use_context::<axum::http::request::Parts>()
        .map(|p| p.headers)
        .unwrap_or_default();
    let cookie = brightrun_backend::accounts::sign_out(&services, &headers).await?;
    ssr::set_cookie(&cookie);
    leptos_axum::redirect("/signin");
    Ok(())
}

/// The signed-in user's profile, or `None` when signed out.
#[server(prefix = "/rpc", endpoint = "current_user", output = crate::rpc::Json)]
pub async fn current_user() -> Result<Option<UserProfile>, AppError> {
    let services = crate::ssr::services()?;
    match crate::ssr::optional_user().await? {
        Some(user) => Ok(Some(
            brightrun_backend::accounts::users::profile(&services, user.id).await?,
        )),
        None => Ok(None),
    }
}

#[server(prefix = "/rpc", endpoint = "list_tokens", output = crate::rpc::Json)]
pub async fn list_tokens() -> Result<Vec<ApiTokenInfo>, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::accounts::tokens::list(&services, user.id).await?)
}

#[server(prefix = "/rpc", endpoint = "create_token", output = crate::rpc::Json)]
pub async fn create_token(
    name: String,
    expires_in_days: Option<String>,
) -> Result<NewApiToken, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    // The form's "never" is an empty value.
    let expires_in_days = match expires_in_days.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(days) => Some(days.parse::<u32>().map_err(|_| AppError::Invalid {
            field: Some("expires_in_days".into()),
            message: "Choose when the token expires.".into(),
        })?),
    };
    Ok(
        brightrun_backend::accounts::tokens::create(&services, &user, &name, expires_in_days)
            .await?,
    )
}

#[server(prefix = "/rpc", endpoint = "revoke_token", output = crate::rpc::Json)]
pub async fn revoke_token(id: Uuid) -> Result<(), AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::accounts::tokens::revoke(&services, user.id, id).await?)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/models")), "/models");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("/\t/evil.example")), "/");
        assert_eq!(safe_next(Some("/\n/evil.example")), "/");
        assert_eq!(safe_next(Some("/\r\n/evil.example")), "/");
        assert_eq!(safe_next(Some("/ /evil.example")), "/");
        assert_eq!(safe_next(Some("/datasets?q=a%20b")), "/datasets?q=a%20b");
        assert_eq!(safe_next(None), "/");
    }
}
