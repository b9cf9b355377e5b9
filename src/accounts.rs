//! Account rules: what a valid email and an acceptable password are. The sign-up
//! form checks them as the user types and the server checks them again, with
//! the same code and the same messages.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Shortest password accepted, counted in characters (not bytes).
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted; argon2 costs grow with input and nobody types more.
pub const MAX_PASSWORD_CHARS: usize = 256;
/// Longest email address (RFC 5321 path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// Why an email or password was refused. `field()` names the form field it
/// belongs to; `Display` is the message shown beside that field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AccountRuleError {
    #[error("Enter an email address.")]
    EmailMissing,
    #[error("Enter an email address like name@example.com.")]
    EmailMalformed,
    #[error("Email addresses are at most {MAX_EMAIL_CHARS} characters.")]
    EmailTooLong,
    #[error("Use at least {MIN_PASSWORD_CHARS} characters for the password.")]
    PasswordTooShort,
    #[error("Use at most {MAX_PASSWORD_CHARS} characters for the password.")]
    PasswordTooLong,
}

impl AccountRuleError {
    /// The form field the error belongs to: `email` or `password`.
    pub fn field(&self) -> &'static str {
        match self {
            Self::EmailMissing | Self::EmailMalformed | Self::EmailTooLong => "email",
            Self::PasswordTooShort | Self::PasswordTooLong => "password",
        }
    }
}

/// A syntactically valid, normalised (trimmed, lower-cased) email address.
/// Lower-casing makes `Ana@Example.com` and `ana@example.com` one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, AccountRuleError> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err(AccountRuleError::EmailMissing);
        }
        if email.chars().count() > MAX_EMAIL_CHARS {
            return Err(AccountRuleError::EmailTooLong);
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err(AccountRuleError::EmailMalformed);
        };
        let domain_ok = !domain.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        let local_ok = !local.is_empty()
            && !local.contains(char::is_whitespace)
            && !local.contains('@')
            && !local.contains(['<', '>', '(', ')', ',', ';', ':', '"', '[', ']', '\\']);
        if domain_ok && local_ok {
            Ok(Self(email))
        } else {
            Err(AccountRuleError::EmailMalformed)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a new password against the length rules. Characters, not bytes, so
/// a passphrase in any script counts the same.
pub fn validate_password(password: &str) -> Result<(), AccountRuleError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        Err(AccountRuleError::PasswordTooShort)
    } else if chars > MAX_PASSWORD_CHARS {
        Err(AccountRuleError::PasswordTooLong)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_lower_cased() {
        let email = Email::parse("  Ana.Lima@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "ana.lima@example.com");
    }

    #[test]
    fn malformed_emails_are_refused_with_the_email_field() {
        for raw in [
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "ana@.example.com",
            "ana@example..com",
            "ana lima@example.com",
            "ana@exa mple.com",
            "a@b@example.com",
        ] {
            let err = Email::parse(raw).unwrap_err();
            assert_eq!(err, AccountRuleError::EmailMalformed, "{raw}");
            assert_eq!(err.field(), "email");
        }
        assert_eq!(
            Email::parse("   ").unwrap_err(),
            AccountRuleError::EmailMissing
        );
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(
            Email::parse(&long).unwrap_err(),
            AccountRuleError::EmailTooLong
        );
    }

    #[test]
    fn password_length_counts_characters_not_bytes() {
        assert_eq!(
            validate_password("123456789"),
            Err(AccountRuleError::PasswordTooShort)
        );
        assert!(validate_password("1234567890").is_ok());
        // Ten characters, thirty bytes.
        assert!(validate_password("ééééééééé").is_err());
        assert!(validate_password("éééééééééé").is_ok());
        assert_eq!(
            validate_password(&"x".repeat(MAX_PASSWORD_CHARS + 1)),
            Err(AccountRuleError::PasswordTooLong)
        );
        assert_eq!(AccountRuleError::PasswordTooShort.field(), "password");
    }

    #[test]
    fn messages_name_the_limit() {
        assert!(
            AccountRuleError::PasswordTooShort
                .to_string()
                .contains("10 characters")
        );
    }
}
