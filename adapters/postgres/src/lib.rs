//! Merx stores on PostgreSQL, through sqlx.
//!
//! [`PgStore`] implements every store trait of `merx-core` (the [`merx_core::store::Store`]
//! super-trait) and passes the core's conformance suite unchanged. Open one from a URL with
//! [`PgStore::connect`], inside a schema of its own with [`PgStore::connect_in_schema`], or over
//! an existing pool with [`PgStore::from_pool`]; each runs the pending [migrations](migrate)
//! first.
//!
//! # Design
//! - **Schema.** One embedded `.sql` file per migration (see `migrations/`). Money and quantities
//!   are `NUMERIC`; stock, prices per currency, emails (unique on `lower(email)`), order status,
//!   promotion usage, idempotency keys and the outbox are real columns with constraints; nested
//!   data SQL never filters on is JSONB in the core's serde form. Timestamps are `timestamptz`,
//!   which keeps microseconds: a value with nanoseconds comes back truncated to microseconds.
//! - **Checkout** ([`OrderStore::place_order`](merx_core::store::OrderStore::place_order)) is one
//!   READ COMMITTED transaction of four round trips on the common path: `BEGIN`; one conditional
//!   `UPDATE variants ... FROM unnest($ids, $quantities) WHERE stock >= q OR allow_backorder` for
//!   every line at once; one statement writing the order, its lines (`unnest` again) and its
//!   `OrderPlaced` event through data-modifying CTEs; `COMMIT`. The stock check and decrement are
//!   one step on the row, so no lock outlives the transaction, no table is locked and no
//!   SERIALIZABLE retry is needed: racing checkouts queue on the variant's row lock and each
//!   re-checks the condition on the row version it finally sees. Demand is sorted by variant id
//!   so multi-line checkouts take row locks in one order; a deadlock the planner could still
//!   provoke is retried. Measurements are in `BENCHMARKS.md` and the [`orders`] module docs.
//! - **Outbox order.** Sequences come from an identity column, so a transaction can take
//!   sequence 7 and commit after another took 8. A relay that read 8 first and moved its cursor
//!   would never see 7. Every writer therefore holds a shared advisory lock (per schema) while it
//!   appends, and [`EventStore::events_after`](merx_core::store::EventStore::events_after) takes
//!   the exclusive one before reading: it waits for appends in flight, so everything below the
//!   highest sequence it sees is final. Writers never wait for each other.
//! - **Search** is PostgreSQL full text over maintained `tsvector`s (see [`search`]).

#![warn(missing_docs)]

pub mod load;
pub mod migrate;

mod accounts;
mod catalog;
pub mod orders;
mod outbox;
mod records;
mod rows;
pub mod search;
mod settings;

use std::str::FromStr;
use std::sync::Arc;

use merx_core::clock::{Clock, SystemClock};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};

/// What opening a store can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database URL could not be parsed.
    #[error("invalid PostgreSQL URL: {0}")]
    InvalidUrl(#[source] sqlx::Error),
    /// A schema name that is not a plain lowercase identifier.
    #[error("invalid schema name `{0}`: use lowercase letters, digits and underscores")]
    InvalidSchema(String),
    /// A migration failed; nothing of it was applied.
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        /// The migration's version.
        version: i64,
        /// Its name.
        name: &'static str,
        /// What PostgreSQL said.
        #[source]
        source: sqlx::Error,
    },
    /// The server did not accept a connection (nothing listening, unreachable host, no answer
    /// within [`CONNECT_TIMEOUT`]).
    #[error("cannot connect to {target}: {reason}")]
    Unreachable {
        /// `postgres://user@host:port/database`, never the password.
        target: String,
        /// Why, as a person would say it (`connection refused`).
        reason: String,
    },
    /// The database failed or could not be reached.
    #[error("PostgreSQL error: {0}")]
    Database(#[from] sqlx::Error),
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Connections a store opens by default: enough for 8 concurrent checkouts plus readers, well
/// under PostgreSQL's default limit of 100 so several stores (or test processes) fit.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 16;

/// How long opening a store waits for the server to accept its first connection. sqlx's pool
/// retries a refused connection until its acquire timeout (30 s) and then reports only "pool
/// timed out"; one direct attempt first fails in milliseconds when nothing listens, and says so.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// A [`merx_core::store::Store`] on PostgreSQL.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("pool_size", &self.pool.size())
            .finish_non_exhaustive()
    }
}

/// One connection attempt, so an unreachable server is reported at once and by name.
async fn probe(options: &PgConnectOptions) -> Result<()> {
    let target = format!(
        "postgres://{}@{}:{}/{}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or_default()
    );
    let unreachable = |reason: String| Error::Unreachable {
        target: target.clone(),
        reason,
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, options.connect()).await {
        Err(_) => Err(unreachable(format!(
            "no answer within {} s",
            CONNECT_TIMEOUT.as_secs()
        ))),
        Ok(Err(sqlx::Error::Io(e))) => Err(unreachable(match e.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
            _ => e.to_string(),
        })),
        Ok(Err(other)) => Err(Error::Database(other)),
        Ok(Ok(connection)) => {
            // Closing politely; a failure to say goodbye changes nothing for the pool.
            let _ = sqlx::Connection::close(connection).await;
            Ok(())
        }
    }
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/database`), applies pending migrations in
    /// the URL's default schema, and stamps store-made events with the system clock.
    pub async fn connect(url: &str) -> Result<PgStore> {
        let options = PgConnectOptions::from_str(url).map_err(Error::InvalidUrl)?;
        PgStore::connect_with(options, DEFAULT_MAX_CONNECTIONS).await
    }

    /// Connects with explicit options and pool size, then migrates.
    pub async fn connect_with(options: PgConnectOptions, max_connections: u32) -> Result<PgStore> {
        let options = options.disable_statement_logging();
        probe(&options).await?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .connect_with(options)
            .await?;
        PgStore::from_pool(pool).await
    }

    /// Connects to `url` with every table in `schema` (created when missing; the connections'
    /// `search_path` is set to it), then migrates. Separate schemas are separate stores in one
    /// database: tests use a fresh schema each.
    pub async fn connect_in_schema(
        url: &str,
        schema: &str,
        max_connections: u32,
    ) -> Result<PgStore> {
        let is_identifier = !schema.is_empty()
            && schema.len() <= 63
            && !schema.starts_with(|c: char| c.is_ascii_digit())
            && schema
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !is_identifier {
            return Err(Error::InvalidSchema(schema.to_string()));
        }
        let options = PgConnectOptions::from_str(url).map_err(Error::InvalidUrl)?;
        let mut admin = options.clone().connect().await?;
        // Identifiers cannot be bound; the name was checked to be a plain identifier above.
        sqlx::raw_sql(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
            .execute(&mut admin)
            .await?;
        drop(admin);
        PgStore::connect_with(options.options([("search_path", schema)]), max_connections).await
    }

    /// A store over an existing pool (whose connections already point at the right schema);
    /// applies pending migrations.
    pub async fn from_pool(pool: PgPool) -> Result<PgStore> {
        migrate::run_migrations(&pool).await?;
        Ok(PgStore {
            pool,
            clock: Arc::new(SystemClock),
        })
    }

    /// The same store stamping its events with `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> PgStore {
        self.clock = clock;
        self
    }

    /// The underlying pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}
