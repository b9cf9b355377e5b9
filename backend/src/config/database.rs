//! PostgreSQL: an external server, or the embedded one kept in the data
//! folder (`Config::data_dir`) when no URL is given.

use super::secret::Secret;
use super::vars::{ConfigError, Vars};
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// `DATABASE_URL`, default unset: an external PostgreSQL (the URL may
    /// carry a password); unset starts an embedded one.
    pub url: Option<Secret<String>>,
    /// `BRIGHTRUN_PG_BIN`, default: found on `PATH` and in the usual
    /// install folders: the folder holding `initdb`, `pg_ctl` and `postgres`
    /// for the embedded server.
    pub pg_bin: Option<PathBuf>,
    /// `BRIGHTRUN_DB_MAX_CONNECTIONS`, default `10`: size of the connection pool.
    pub max_connections: u32,
}

impl DatabaseConfig {
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            url: vars.secret("DATABASE_URL"),
            pg_bin: vars.get("BRIGHTRUN_PG_BIN").map(PathBuf::from),
            max_connections: vars.parse(
                "BRIGHTRUN_DB_MAX_CONNECTIONS",
                "10",
                "expected a whole number",
            )?,
        })
    }
}
