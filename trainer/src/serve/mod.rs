//! `brightrun-trainer serve`: the cluster API of DESIGN 4.2 over the job
//! table in `data_dir`, with `concurrency` workers training queued jobs.
//!
//! Stopping (SIGINT/SIGTERM, or [`Server::stop`]) stops accepting requests
//! and interrupts running jobs at their next step without marking them: they
//! stay `running` on disk and the next start resumes them from their last
//! checkpoint.

mod agent;
mod api;
mod exports;
mod exports_api;
mod generate;
mod generate_api;
mod info;
mod inputs;
mod jobs;
mod store;
mod worker;

pub use agent::{Agent, CancelError};
pub use brightrun::cluster::{JobQuery, JobUpdate, JobView, Progress};
pub use exports::Exports;
pub use generate::{DEFAULT_CACHE_BYTES, Generator};
pub use generate_api::event_lines;
pub use inputs::Inputs;
pub use jobs::{MAX_RESUMES, Status};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub struct Config {
    /// Bound as given; nothing else is listened on.
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    /// The bearer token every request must carry. Must not be empty.
    pub token: String,
    /// How many jobs train at once (at least 1).
    pub concurrency: usize,
    /// Resumes from the last checkpoint a job gets (after a restart or a
    /// passing failure) before it is failed; [`MAX_RESUMES`] by default.
    pub max_resumes: u32,
    /// What submitted specs may name: only URLs and the models folder
    /// (`serve`), or local paths too (callers in this process).
    pub inputs: Inputs,
}

pub struct AppState {
    agent: Arc<Agent>,
    exports: Arc<Exports>,
    generator: Arc<Generator>,
    /// What `GET /v1/info` answers, found once at start.
    info: brightrun::cluster::AgentInfo,
    inputs: Inputs,
    token_hash: [u8; 32],
}

impl AppState {
    /// Compares hashes, in constant time, so the time taken says nothing
    /// about how much of the token was right.
    fn token_matches(&self, given: &str) -> bool {
        let given: [u8; 32] = Sha256::digest(given.as_bytes()).into();
        given
            .iter()
            .zip(self.token_hash.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

/// A running server: its address, and how to stop it.
pub struct Server {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    agent: Arc<Agent>,
    http: JoinHandle<std::io::Result<()>>,
}

/// Opens the job table, binds `config.bind` and starts serving and training.
pub async fn start(config: Config) -> std::io::Result<Server> {
    if config.token.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the API token is empty",
        ));
    }
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    let addr = listener.local_addr()?;
    let data_dir = config.data_dir.clone();
    let concurrency = config.concurrency;
    let max_resumes = config.max_resumes;
    let handle = tokio::runtime::Handle::current();
    let agent = Arc::new(
        tokio::task::spawn_blocking(move || {
            let _guard = handle.enter();
            Agent::start(&data_dir, concurrency, max_resumes)
        })
        .await
        .map_err(std::io::Error::other)??,
    );
    let state = Arc::new(AppState {
        agent: agent.clone(),
        exports: Arc::new(Exports::new(
            config.data_dir.join("exports"),
            config.inputs.clone(),
        )),
        generator: Arc::new(Generator::new(
            config.data_dir.join("generate"),
            config.inputs.clone(),
            DEFAULT_CACHE_BYTES,
        )),
        info: crate::device::detected().clone(),
        inputs: config.inputs.clone(),
        token_hash: Sha256::digest(config.token.as_bytes()).into(),
    });
    let (stop, mut stop_rx) = watch::channel(false);
    let http = tokio::spawn(async move {
        axum::serve(listener, router(state))
            .with_graceful_shutdown(async move {
                let _ = stop_rx.wait_for(|s| *s).await;
            })
            .await
    });
    Ok(Server {
        addr,
        stop,
        agent,
        http,
    })
}

impl Server {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting requests, interrupts running jobs at their next step
    /// (they stay `running` on disk, to resume on the next start) and waits
    /// for the HTTP server and the workers to finish.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        self.agent.stop().await;
        match self.http.await {
            Ok(Err(e)) => tracing::error!("HTTP server: {e}"),
            Err(e) => tracing::error!("HTTP server task: {e}"),
            Ok(Ok(())) => {}
        }
    }
}

fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/jobs", post(api::submit).get(api::list_jobs))
        .route("/v1/jobs/query", post(api::query_jobs))
        .route("/v1/jobs/{id}", get(api::get_job))
        .route("/v1/jobs/{id}/metrics", get(api::metrics))
        .route("/v1/jobs/{id}/logs", get(api::logs))
        .route("/v1/jobs/{id}/cancel", post(api::cancel))
        .route("/v1/exports", post(exports_api::submit))
        .route(
            "/v1/exports/{id}",
            get(exports_api::get).delete(exports_api::remove),
        )
        .route("/v1/exports/{id}/files/{*name}", get(exports_api::file))
        .route("/v1/info", get(info::info))
        .route("/v1/generate", post(generate_api::generate))
        .fallback(api::no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), auth))
        .with_state(state)
}

async fn method_not_allowed() -> api::ApiError {
    api::ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method",
    )
}

async fn auth(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or(""));
    let details = match header {
        None => "missing `Authorization: Bearer <token>` header",
        Some(v) => match v.strip_prefix("Bearer ") {
            Some(token) if state.token_matches(token.trim()) => return next.run(req).await,
            Some(_) => "the bearer token is wrong",
            None => "the Authorization header must be `Bearer <token>`",
        },
    };
    let mut resp =
        api::ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", details).into_response();
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    resp
}
