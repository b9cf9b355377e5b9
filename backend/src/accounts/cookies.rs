//! The session cookie: its name, and the `Set-Cookie` values that set and
//! clear it. HttpOnly always, SameSite=Lax, `Secure` when configured. Sign-in
//! and sign-out hand back a [`SessionCookie`]; REST handlers and server
//! functions only put it on their response.

use super::secrets::SecretToken;
use axum::http::header::COOKIE;
use axum::http::{HeaderMap, HeaderValue};
use std::time::Duration;

pub const SESSION_COOKIE: &str = "brightrun_session";

/// A `Set-Cookie` value for the session cookie. It carries the session
/// token, so `Debug` redacts it.
pub struct SessionCookie(String);

impl SessionCookie {
    pub(crate) fn set(token: &SecretToken, ttl: Duration, secure: bool) -> Self {
        Self(set_session(token, ttl, secure))
    }

    pub(crate) fn clear(secure: bool) -> Self {
        Self(clear_session(secure))
    }

    /// The header value for `Set-Cookie`; `None` only if it is not a valid
    /// header value (tokens are base64url, so never in practice).
    pub fn header_value(&self) -> Option<HeaderValue> {
        HeaderValue::from_str(&self.0).ok()
    }
}

impl std::fmt::Debug for SessionCookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionCookie(<redacted>)")
    }
}

fn set_session(token: &SecretToken, ttl: Duration, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        token.expose(),
        ttl.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

fn clear_session(secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The session token from the request's `Cookie` headers, if any.
pub fn session_from(headers: &HeaderMap) -> Option<SecretToken> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == SESSION_COOKIE && !value.is_empty())
        .map(|(_, value)| SecretToken::from_client(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_is_http_only_lax_and_secure_when_asked() {
        let t = SecretToken::from_client("abc");
        let c = set_session(&t, Duration::from_secs(60), false);
        assert_eq!(
            c,
            "brightrun_session=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=60"
        );
        assert!(set_session(&t, Duration::from_secs(60), true).ends_with("; Secure"));
        assert!(clear_session(false).contains("Max-Age=0"));
    }

    #[test]
    fn finds_the_session_among_other_cookies() {
        let mut h = HeaderMap::new();
        h.append(
            COOKIE,
            "theme=dark; brightrun_session=tok123".parse().unwrap(),
        );
        assert_eq!(session_from(&h).unwrap().expose(), "tok123");
        let mut empty = HeaderMap::new();
        empty.append(COOKIE, "brightrun_session=".parse().unwrap());
        assert!(session_from(&empty).is_none());
    }
}
