//! `Services`: the pool and configuration every handler, server function and
//! worker reaches the backend through. Cheap to clone; put in the request
//! extensions by the server and in the Leptos context for server functions.

use crate::config::Config;
use sqlx::PgPool;
use std::sync::Arc;

#[derive(Clone)]
pub struct Services {
    pub pool: PgPool,
    pub config: Arc<Config>,
}

impl Services {
    pub fn new(pool: PgPool, config: Config) -> Self {
        Self {
            pool,
            config: Arc::new(config),
        }
    }
}
