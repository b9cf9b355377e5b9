//! The router's state: the services every handler reaches and the Leptos
//! options the pages are rendered with. Handlers take the part they need
//! (`State<Services>`, `State<LeptosOptions>`) through `FromRef`, as leptos'
//! `session_auth_axum` example does; server functions get the services from
//! the Leptos context instead (see `router`).

use axum::extract::FromRef;
use brightrun_backend::Services;
use leptos::config::LeptosOptions;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub services: Services,
    pub leptos: LeptosOptions,
}
