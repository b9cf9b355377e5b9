//! Serving: bind, serve with client addresses (for rate limiting) and the
//! operators' metrics on their own address when configured, stop on
//! Ctrl-C or SIGTERM after in-flight requests finish, and the housekeeping
//! task that removes expired sessions and deleted models' files and bills
//! a day of storage.

use crate::build_router;
use brightrun_backend::Services;
use brightrun_backend::accounts::sessions;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;

/// Serves until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    services: Services,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        let host = if addr.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else {
            addr.ip().to_string()
        };
        services.set_own_url(format!("http://{host}:{}", addr.port()));
    }
    let metrics = crate::observability::listen(&services).await?;
    let housekeeping = supervised("housekeeping", &services, housekeeping);
    let workers = services.config.server.workers.then(|| {
        use brightrun_backend::{base_models, datasets, jobs, models, webhooks};
        [
            supervised("validation", &services, datasets::worker::run),
            supervised("poller", &services, jobs::poller::run),
            supervised("webhooks", &services, webhooks::worker::run),
            supervised("base_models", &services, base_models::worker::run),
            supervised("exports", &services, models::exports::worker::run),
        ]
    });
    let cluster = services.cluster.clone();
    let app = build_router(services);
    let result = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    housekeeping.abort();
    if let Some(metrics) = metrics {
        metrics.abort();
    }
    for w in workers.into_iter().flatten() {
        w.abort();
    }
    // Running jobs stop at their next step and resume on the next start.
    if let Err(e) = cluster.shutdown().await {
        tracing::warn!("stopping the cluster backend: {e}");
    }
    result
}

/// Spawns a worker under supervision: a panic is logged and the worker
/// starts again a second later.
fn supervised<Fut>(
    name: &'static str,
    services: &Services,
    run: fn(Services) -> Fut,
) -> tokio::task::JoinHandle<()>
where
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let services = services.clone();
    tokio::spawn(brightrun_backend::workers::supervise(
        name,
        Duration::from_secs(1),
        move || run(services.clone()),
    ))
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

async fn housekeeping(services: Services) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every.tick().await;
        match sessions::delete_expired(&services).await {
            Ok(n) if n > 0 => tracing::info!(removed = n, "expired sessions removed"),
            Ok(_) => {}
            Err(err) => tracing::warn!(%err, "session clean-up failed"),
        }
        if let Err(err) = brightrun_backend::accounts::rate_limit::prune(&services).await {
            tracing::warn!(%err, "rate limit clean-up failed");
        }
        match brightrun_backend::models::cleanup::tick(&services).await {
            Ok(n) if n > 0 => tracing::info!(models = n, "deleted models' files removed"),
            Ok(_) => {}
            Err(err) => tracing::warn!(%err, "model clean-up failed"),
        }
        match brightrun_backend::costs::storage::tick(&services).await {
            Ok(n) if n > 0 => tracing::info!(records = n, "storage billed"),
            Ok(_) => {}
            Err(err) => tracing::warn!(%err, "storage billing failed"),
        }
        services.workers.ticked("housekeeping");
    }
}
