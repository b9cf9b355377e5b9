//! PostgreSQL: the pool every service uses, the migrations, and where the
//! server comes from — `DATABASE_URL` when set, otherwise a cluster this
//! process starts from the machine's PostgreSQL binaries (see `embedded`).

pub mod embedded;

use crate::config::Config;
pub use embedded::{EmbeddedError, EmbeddedPostgres};
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;
use std::time::Duration;

/// The migrations in `migrations/`, compiled into the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// A list's search box as an `ILIKE` pattern: a plain substring, LIKE's
/// wildcards escaped; `None` when the box is empty.
pub fn search_pattern(q: Option<&str>) -> Option<String> {
    q.map(str::trim).filter(|q| !q.is_empty()).map(|q| {
        // A search longer than any name can only be slow.
        let q: String = q.chars().take(MAX_SEARCH_CHARS).collect();
        format!(
            "%{}%",
            q.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        )
    })
}

/// The longest search a list query uses; the rest is ignored.
pub const MAX_SEARCH_CHARS: usize = 200;

/// The OFFSET of a 1-based `page` of `per_page` rows, in i64: no page
/// number overflows it (`?page=50000000` is an empty page, not a panic).
pub fn offset(page: u32, per_page: u32) -> i64 {
    i64::from(page.max(1) - 1) * i64::from(per_page)
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Embedded(#[from] EmbeddedError),
    #[error(
        "cannot connect to PostgreSQL: {0}. Check DATABASE_URL, or unset it to let BrightRun start its own."
    )]
    Connect(sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// A pool and, when this process started PostgreSQL itself, the handle that
/// stops it again.
pub struct Database {
    pub pool: PgPool,
    embedded: Option<EmbeddedPostgres>,
}

impl Database {
    /// Connects (starting the embedded server if `DATABASE_URL` is unset).
    #[tracing::instrument(skip_all, fields(embedded = config.database.url.is_none()))]
    pub async fn open(config: &Config) -> Result<Self, DbError> {
        let (url, embedded) = match &config.database.url {
            Some(url) => (url.expose().clone(), None),
            None => {
                let pg = EmbeddedPostgres::start(
                    &config.data_dir,
                    config.database.pg_bin.as_deref(),
                    embedded::Durability::Durable,
                )
                .await?;
                (pg.url().to_string(), Some(pg))
            }
        };
        let pool = connect(&url, config.database.max_connections).await?;
        Ok(Self { pool, embedded })
    }

    /// Applies pending migrations.
    #[tracing::instrument(skip_all)]
    pub async fn migrate(&self) -> Result<(), DbError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool, then stops PostgreSQL if this process started it.
    pub async fn close(self) {
        self.pool.close().await;
        if let Some(pg) = self.embedded
            && let Err(err) = pg.stop().await
        {
            tracing::warn!(%err, "embedded PostgreSQL did not stop cleanly");
        }
    }
}

pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, DbError> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .map_err(DbError::Connect)
}

#[cfg(test)]
mod paging_tests {
    use super::*;

    #[test]
    fn offsets_never_overflow() {
        assert_eq!(offset(0, 20), 0);
        assert_eq!(offset(1, 20), 0);
        assert_eq!(offset(3, 20), 40);
        assert_eq!(offset(u32::MAX, 100), i64::from(u32::MAX - 1) * 100);
    }

    #[test]
    fn searches_are_escaped_and_capped() {
        assert_eq!(
            search_pattern(Some(" 50%_a\\ ")).unwrap(),
            "%50\\%\\_a\\\\%"
        );
        assert_eq!(search_pattern(Some("  ")), None);
        let long = search_pattern(Some(&"é".repeat(10_000))).unwrap();
        assert_eq!(long.chars().count(), MAX_SEARCH_CHARS + 2);
    }
}
