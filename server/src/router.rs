//! One router for everything: pages (server-rendered, then hydrated), server
//! functions under `/rpc`, the REST API under `/api`, and the built site's
//! static files. Middleware order, outermost first: request id and tracing,
//! the services extension, the cross-site refusal, the page sign-in gate.

use crate::{api, middleware};
use axum::body::Body;
use axum::extract::{Extension, Request};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Router, middleware as mw};
use brightrun_app::{App, shell};
use brightrun_backend::Services;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list, handle_server_fns_with_context};

/// The Leptos options for the built site under `site_root`.
pub fn leptos_options(services: &Services) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name(std::env::var("LEPTOS_OUTPUT_NAME").unwrap_or_else(|_| "brightrun".into()))
        .site_root(services.config.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(services.config.addr)
        .build()
}

pub fn build_router(services: Services) -> Router {
    let options = leptos_options(&services);
    let routes = generate_route_list(App);
    let context_services = services.clone();
    let shell_options = options.clone();
    Router::new()
        .leptos_routes_with_context(
            &options,
            routes,
            move || provide_context(context_services.clone()),
            move || shell(shell_options.clone()),
        )
        .route(
            "/rpc/{*fn_name}",
            post(server_fn_handler).get(server_fn_handler),
        )
        .nest("/api", api::router())
        .nest("/v1", crate::openai::router())
        .merge(crate::storage_routes::router())
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options)
        .layer(mw::from_fn(middleware::require_session))
        .layer(mw::from_fn(middleware::same_site_only))
        .layer(Extension(services))
        .layer(mw::from_fn(middleware::request_context))
}

async fn server_fn_handler(
    Extension(services): Extension<Services>,
    req: Request<Body>,
) -> impl IntoResponse {
    handle_server_fns_with_context(move || provide_context(services.clone()), req).await
}
