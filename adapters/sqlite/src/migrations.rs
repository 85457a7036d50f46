//! Versioned schema migrations, applied in order when a store opens.
//!
//! Each migration is one `.sql` file under `adapters/sqlite/migrations/`, embedded at compile time.
//! `schema_migrations` records the versions applied; each migration runs in its own immediate
//! transaction together with its record, so a crash mid-migration leaves the previous version, and
//! two processes opening the same file at once apply each migration exactly once. A database
//! whose version is newer than this build knows is refused rather than used with a schema the
//! code does not understand.

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::codec::timestamp;
use crate::{Error, Result};

/// One schema change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Migration {
    /// Its version; versions start at 1 and increase by one.
    pub version: u32,
    /// A short name.
    pub name: &'static str,
    /// The SQL it runs.
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
        name: "leases",
        sql: include_str!("../migrations/0002_leases.sql"),
    },
    Migration {
        version: 3,
        name: "session_generation",
        sql: include_str!("../migrations/0003_session_generation.sql"),
    },
    Migration {
        version: 4,
        name: "idempotency_claims",
        sql: include_str!("../migrations/0004_idempotency_claims.sql"),
    },
    Migration {
        version: 5,
        name: "settings_version",
        sql: include_str!("../migrations/0005_settings_version.sql"),
    },
];

/// The schema version this build writes.
pub fn latest_version() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Applies every migration not yet applied; returns the versions applied now.
pub fn apply_migrations(conn: &mut Connection) -> Result<Vec<u32>> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             name       TEXT NOT NULL,
             applied_at TEXT NOT NULL
         )",
    )?;
    let mut applied = Vec::new();
    for migration in MIGRATIONS {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let newest: Option<u32> = tx
            .query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
                r.get(0)
            })
            .optional()?
            .flatten();
        if let Some(newest) = newest {
            if newest > latest_version() {
                return Err(Error::SchemaTooNew {
                    found: newest,
                    supported: latest_version(),
                });
            }
        }
        let done: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)",
            [migration.version],
            |r| r.get(0),
        )?;
        if done {
            continue;
        }
        tx.execute_batch(migration.sql)
            .map_err(|source| Error::Migration {
                version: migration.version,
                source,
            })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            (migration.version, migration.name, timestamp(Utc::now())),
        )?;
        tx.commit()?;
        applied.push(migration.version);
    }
    Ok(applied)
}

/// The highest version applied to a database (0 for a fresh one).
pub fn schema_version(conn: &Connection) -> Result<u32> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(0);
    }
    let version: Option<u32> =
        conn.query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
            r.get(0)
        })?;
    Ok(version.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_consecutive_from_one() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1, "{}", m.name);
        }
    }

    #[test]
    fn migrating_twice_applies_nothing_the_second_time() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(schema_version(&conn).unwrap(), 0);
        assert_eq!(
            apply_migrations(&mut conn).unwrap(),
            MIGRATIONS.iter().map(|m| m.version).collect::<Vec<_>>()
        );
        assert!(apply_migrations(&mut conn).unwrap().is_empty());
        assert_eq!(schema_version(&conn).unwrap(), latest_version());
    }

    #[test]
    fn settings_saved_before_versions_start_at_one() {
        let mut conn = Connection::open_in_memory().unwrap();
        let before = &MIGRATIONS[..4];
        assert_eq!(before.last().unwrap().name, "idempotency_claims");
        for migration in before {
            conn.execute_batch(migration.sql).unwrap();
        }
        conn.execute(
            "INSERT INTO pricing_settings (id, tax, rounding) VALUES (1, '{}', 'half_up')",
            [],
        )
        .unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
                                             applied_at TEXT NOT NULL);
             INSERT INTO schema_migrations VALUES (1, 'initial', 'x'), (2, 'leases', 'x'),
                 (3, 'session_generation', 'x'), (4, 'idempotency_claims', 'x');",
        )
        .unwrap();
        assert_eq!(apply_migrations(&mut conn).unwrap(), vec![5]);
        let version: i64 = conn
            .query_row(
                "SELECT version FROM pricing_settings WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(version, 1, "0 is for settings never saved");
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        apply_migrations(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, 'future', 'x')",
            [latest_version() + 1],
        )
        .unwrap();
        assert!(matches!(
            apply_migrations(&mut conn),
            Err(Error::SchemaTooNew { .. })
        ));
    }
}
