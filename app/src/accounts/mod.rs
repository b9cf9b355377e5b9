//! Accounts in the UI: the sign-in and sign-up pages, the settings page with
//! API tokens, and the server functions behind them.

pub mod api;
pub mod auth_form;
pub mod settings_page;
pub mod sign_in_page;
pub mod sign_up_page;

pub use api::{CreateToken, RevokeToken, SignIn, SignOut, SignUp, current_user, list_tokens};
pub use settings_page::SettingsPage;
pub use sign_in_page::SignInPage;
pub use sign_up_page::SignUpPage;
