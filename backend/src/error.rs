//! The service layer's error: safe to show, with the HTTP status it maps to.
//! Internal causes (database, I/O) are logged where they are turned into
//! `Internal`, never carried towards the browser.

use brightrun::AccountRuleError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// Input breaks a rule; names the field (empty: none in particular).
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("An account with this email already exists. Sign in instead.")]
    EmailTaken,
    /// Same message for unknown email and wrong password, by design.
    #[error("Email or password is incorrect.")]
    InvalidCredentials,
    #[error("Too many attempts from here. Wait a minute and try again.")]
    RateLimited,
    #[error("Sign in to continue.")]
    Unauthenticated,
    #[error("{0} not found.")]
    NotFound(&'static str),
    /// Signed in, but this way of signing in may not do this; says why.
    #[error("{0}")]
    Forbidden(String),
    /// The object is in the wrong state for this; says which and what to do.
    #[error("{0}")]
    Conflict(String),
    /// Over a size limit; says which.
    #[error("{0}")]
    TooLarge(String),
    /// A job's estimate passes what is left of the monthly budget; says by how much.
    #[error("{0}")]
    OverBudget(String),
    /// What is asked needs a part that is not there or not answering
    /// (a backend that cannot serve models, an unreachable trainer); says which.
    #[error("{0}")]
    Unavailable(String),
    #[error("Something went wrong on our side.")]
    Internal,
}

impl ServiceError {
    /// The stable code of the REST envelope (DESIGN §4.1).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "invalid_input",
            Self::EmailTaken => "email_taken",
            Self::InvalidCredentials => "invalid_credentials",
            Self::RateLimited => "rate_limited",
            Self::Unauthenticated => "unauthenticated",
            Self::NotFound(_) => "not_found",
            Self::Forbidden(_) => "forbidden",
            Self::Conflict(_) => "conflict",
            Self::TooLarge(_) => "too_large",
            Self::OverBudget(_) => "over_budget",
            Self::Unavailable(_) => "unavailable",
            Self::Internal => "internal",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::Invalid { .. } => 400,
            Self::EmailTaken => 409,
            Self::InvalidCredentials | Self::Unauthenticated => 401,
            Self::RateLimited => 429,
            Self::NotFound(_) => 404,
            Self::Forbidden(_) => 403,
            Self::Conflict(_) => 409,
            Self::TooLarge(_) => 413,
            Self::OverBudget(_) => 402,
            Self::Unavailable(_) => 503,
            Self::Internal => 500,
        }
    }

    /// The form field the error belongs to, when there is one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Invalid { field, .. } => Some(*field).filter(|f| !f.is_empty()),
            Self::EmailTaken => Some("email"),
            _ => None,
        }
    }

    /// `Ok` when an owner-scoped UPDATE touched exactly one row; otherwise the
    /// row is not this owner's (or not live) and is reported as not found.
    pub fn one_row(done: sqlx::postgres::PgQueryResult, what: &'static str) -> Result<(), Self> {
        if done.rows_affected() == 1 {
            Ok(())
        } else {
            Err(Self::NotFound(what))
        }
    }

    /// Logs an internal cause and returns the opaque error that replaces it.
    pub fn internal(context: &str, cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "{context}");
        Self::Internal
    }
}

impl From<AccountRuleError> for ServiceError {
    fn from(err: AccountRuleError) -> Self {
        Self::Invalid {
            field: err.field(),
            message: err.to_string(),
        }
    }
}

impl From<sqlx::Error> for ServiceError {
    fn from(err: sqlx::Error) -> Self {
        // PostgreSQL text cannot hold a NUL character: a value that has one
        // is the caller's mistake, wherever it reached the database from.
        let code = err.as_database_error().and_then(|e| e.code());
        if matches!(code.as_deref(), Some(NO_NUL_IN_TEXT | NO_NUL_IN_JSON)) {
            return Self::Invalid {
                field: "",
                message: "Text may not contain NUL characters (\\u0000).".into(),
            };
        }
        Self::internal("database error", err)
    }
}

/// SQLSTATE `character_not_in_repertoire` (a NUL in a text parameter).
const NO_NUL_IN_TEXT: &str = "22021";
/// SQLSTATE `untranslatable_character` (`\u0000` in a `jsonb` value).
const NO_NUL_IN_JSON: &str = "22P05";
