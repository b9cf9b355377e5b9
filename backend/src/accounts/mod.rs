//! Accounts: sign-up and sign-in with argon2id passwords, server-side sessions
//! carried by an HttpOnly cookie, API tokens for scripts, and the extractor
//! that turns either credential into the `CurrentUser` every handler and
//! server function takes. Sign-up, sign-in and sign-out are written once
//! (`sessions`), for the REST API and the server functions alike; the SQL
//! is in `queries`.

pub mod client;
pub mod cookies;
pub mod extractor;
pub mod passwords;
mod queries;
pub mod rate_limit;
pub mod secrets;
pub mod sessions;
pub mod tokens;
pub mod users;

pub use client::Client;
pub use cookies::SessionCookie;
pub use extractor::CurrentUser;
pub use secrets::SecretToken;
pub use sessions::{sign_in, sign_out, sign_up};
