//! Accounts: sign-up and sign-in with argon2id passwords, server-side sessions
//! carried by an HttpOnly cookie, API tokens for scripts, and the extractor
//! that turns either credential into the `CurrentUser` every handler and
//! server function takes.

pub mod client;
pub mod cookies;
pub mod extractor;
pub mod passwords;
pub mod rate_limit;
pub mod secrets;
pub mod sessions;
pub mod tokens;
pub mod users;

pub use extractor::CurrentUser;
pub use secrets::SecretToken;
