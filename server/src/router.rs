//! One router for everything: pages (server-rendered, then hydrated), server
//! functions under `/rpc`, the REST API under `/api`, and the built site's
//! static files. Handlers reach the services through the router's typed
//! state (`crate::state`); server functions through the Leptos context.
//! Middleware order, outermost first: the operators' metrics (counted by
//! route template), request id and tracing, the cross-site refusal, the page
//! sign-in gate.

use crate::state::AppState;
use crate::{api, middleware, site};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Router, middleware as mw};
use brightrun_app::{App, shell};
use brightrun_backend::Services;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list, handle_server_fns_with_context};

/// The Leptos options for the built site under `site_root`.
/// A prepared site's content-hashed output name wins over the configured one.
pub fn leptos_options(services: &Services) -> LeptosOptions {
    let server = &services.config.server;
    let output_name = crate::site::Manifest::read(&server.site_root)
        .map_or_else(|| server.leptos_output_name.clone(), |m| m.output_name);
    LeptosOptions::builder()
        .output_name(output_name)
        .site_root(server.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(server.addr)
        .build()
}

pub fn build_router(services: Services) -> Router {
    let state = AppState {
        leptos: leptos_options(&services),
        services,
    };
    let routes = generate_route_list(App);
    let context_services = state.services.clone();
    let shell_options = state.leptos.clone();
    Router::<AppState>::new()
        .leptos_routes_with_context(
            &state,
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
        .nest(
            "/pkg",
            site::pkg_service(&state.services.config.server.site_root),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(mw::from_fn_with_state(
            state.clone(),
            middleware::require_session,
        ))
        .layer(mw::from_fn(site::cache_policy))
        .layer(site::compression_layer())
        .layer(mw::from_fn(middleware::same_site_only))
        .layer(mw::from_fn(middleware::request_context))
        .layer(mw::from_fn_with_state(
            state.services.observability.clone(),
            crate::observability::track,
        ))
        .with_state(state)
}

async fn server_fn_handler(
    State(services): State<Services>,
    req: Request<Body>,
) -> impl IntoResponse {
    handle_server_fns_with_context(move || provide_context(services.clone()), req).await
}
