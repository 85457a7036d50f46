//! Versioned schema migrations, applied when a store opens.
//!
//! Each migration is one `.sql` file under `migrations/`, embedded in the binary with
//! `include_str!`, and recorded in `schema_migrations` once applied. They run in the schema the
//! connection's `search_path` names, which is what lets every test own a fresh schema (sqlx's
//! own migrator keeps its bookkeeping table wherever the search path points too, but embedding
//! the files keeps the crate free of the `migrate` feature and its build-time directory scan).
//!
//! All pending migrations run in one transaction under an advisory lock scoped to the schema, so
//! two processes opening the same database at once apply each migration exactly once, and a
//! failed migration leaves the schema as it was.

use sqlx::{PgPool, Row};

use crate::{Error, Result};

/// A schema change: its version (applied in increasing order), name and SQL.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Increasing version number.
    pub version: i64,
    /// Short description (the file name without the number).
    pub name: &'static str,
    /// The statements.
    pub sql: &'static str,
}

/// Every migration, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "product_search",
        sql: include_str!("../migrations/0002_product_search.sql"),
    },
    Migration {
        version: 3,
        name: "leases",
        sql: include_str!("../migrations/0003_leases.sql"),
    },
    Migration {
        version: 4,
        name: "session_generation",
        sql: include_str!("../migrations/0004_session_generation.sql"),
    },
    Migration {
        version: 5,
        name: "idempotency_claims",
        sql: include_str!("../migrations/0005_idempotency_claims.sql"),
    },
    Migration {
        version: 6,
        name: "settings_version",
        sql: include_str!("../migrations/0006_settings_version.sql"),
    },
];

/// Advisory-lock class for migrations (the second key is a hash of the schema name).
const MIGRATION_LOCK_CLASS: i32 = 0x4d58_4d31;

/// Applies every migration not yet recorded; returns the versions applied now.
pub async fn run_migrations(pool: &PgPool) -> Result<Vec<i64>> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))")
        .bind(MIGRATION_LOCK_CLASS)
        .execute(&mut *tx)
        .await?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version bigint PRIMARY KEY,
            name text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )",
    )
    .execute(&mut *tx)
    .await?;
    let applied: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| row.get::<i64, _>(0))
        .collect();
    let mut now_applied = Vec::new();
    for migration in MIGRATIONS {
        if applied.contains(&migration.version) {
            continue;
        }
        sqlx::raw_sql(migration.sql)
            .execute(&mut *tx)
            .await
            .map_err(|source| Error::Migration {
                version: migration.version,
                name: migration.name,
                source,
            })?;
        sqlx::query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)")
            .bind(migration.version)
            .bind(migration.name)
            .execute(&mut *tx)
            .await?;
        now_applied.push(migration.version);
    }
    tx.commit().await?;
    Ok(now_applied)
}

/// The versions recorded in `schema_migrations`, oldest first.
pub async fn applied_versions(pool: &PgPool) -> Result<Vec<i64>> {
    Ok(
        sqlx::query("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(pool)
            .await?
            .iter()
            .map(|row| row.get::<i64, _>(0))
            .collect(),
    )
}
