//! The session cookie: its name, and the `Set-Cookie` values that set and
//! clear it. HttpOnly always, SameSite=Lax, `Secure` when configured.

use super::secrets::SecretToken;
use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use std::time::Duration;

pub const SESSION_COOKIE: &str = "brightrun_session";

pub fn set_session(token: &SecretToken, ttl: Duration, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        token.expose(),
        ttl.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

pub fn clear_session(secure: bool) -> String {
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
