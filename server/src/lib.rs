//! The BrightRun server: the Axum router that joins the Leptos app, its
//! server functions and the REST API, the middleware every request passes
//! through, and serving with graceful shutdown.
// The app's view types are deep; their layouts are computed here too.
#![recursion_limit = "512"]

pub mod api;
pub mod dataset_cli;
pub mod middleware;
pub mod observability;
pub mod openai;
pub mod router;
pub mod serve;
pub mod site;
pub mod state;
pub mod storage_routes;

pub use router::{build_router, leptos_options};
pub use state::AppState;
