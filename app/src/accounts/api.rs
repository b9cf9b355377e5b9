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
    use crate::AppError;
    use brightrun_backend::accounts::{cookies, sessions, users};
    use leptos::prelude::*;
    use leptos_axum::ResponseOptions;

    /// Starts a session for `user_id` and sets its cookie on the response.
    pub async fn start_session(user_id: uuid::Uuid) -> Result<(), AppError> {
        let services = crate::ssr::services()?;
        let agent = use_context::<axum::http::request::Parts>().and_then(|p| {
            p.headers
                .get(axum::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        });
        let token = sessions::create(
            &services.pool,
            user_id,
            services.config.session_ttl,
            agent.as_deref(),
        )
        .await?;
        let cookie = cookies::set_session(
            &token,
            services.config.session_ttl,
            services.config.secure_cookies,
        );
        set_cookie(&cookie);
        Ok(())
    }

    pub fn set_cookie(value: &str) {
        if let (Some(opts), Ok(value)) = (use_context::<ResponseOptions>(), value.parse()) {
            opts.append_header(axum::http::header::SET_COOKIE, value);
        }
    }

    pub use users::{sign_up, verify_credentials};
}

#[server(prefix = "/rpc", endpoint = "sign_up")]
pub async fn sign_up(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    let services = crate::ssr::services()?;
    let client = crate::ssr::client_address();
    let limit = services.config.signups_per_minute;
    let user = ssr::sign_up(&services.pool, &email, &password, &client, limit).await?;
    ssr::start_session(user.id).await?;
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    let services = crate::ssr::services()?;
    let client = crate::ssr::client_address();
    let limit = services.config.signin_failures_per_minute;
    let user = ssr::verify_credentials(&services.pool, &email, &password, &client, limit).await?;
    ssr::start_session(user.id).await?;
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use brightrun_backend::accounts::{cookies, sessions};
    let services = crate::ssr::services()?;
    let parts = use_context::<axum::http::request::Parts>();
    if let Some(token) = parts
        .as_ref()
        .and_then(|p| cookies::session_from(&p.headers))
    {
        sessions::delete(&services.pool, &token).await?;
    }
    ssr::set_cookie(&cookies::clear_session(services.config.secure_cookies));
    leptos_axum::redirect("/signin");
    Ok(())
}

/// The signed-in user's profile, or `None` when signed out.
#[server(prefix = "/rpc", endpoint = "current_user")]
pub async fn current_user() -> Result<Option<UserProfile>, AppError> {
    let services = crate::ssr::services()?;
    match crate::ssr::optional_user().await? {
        Some(user) => Ok(Some(
            brightrun_backend::accounts::users::profile(&services.pool, user.id).await?,
        )),
        None => Ok(None),
    }
}

#[server(prefix = "/rpc", endpoint = "list_tokens")]
pub async fn list_tokens() -> Result<Vec<ApiTokenInfo>, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::accounts::tokens::list(&services.pool, user.id).await?)
}

#[server(prefix = "/rpc", endpoint = "create_token")]
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
        brightrun_backend::accounts::tokens::create(&services.pool, &user, &name, expires_in_days)
            .await?,
    )
}

#[server(prefix = "/rpc", endpoint = "revoke_token")]
pub async fn revoke_token(id: Uuid) -> Result<(), AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::accounts::tokens::revoke(&services.pool, user.id, id).await?)
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
