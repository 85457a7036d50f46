//! Opening a fresh, isolated store for a test.
//!
//! The database comes from `MERX_TEST_DATABASE_URL` (read, never set). Each store lives in a
//! schema of its own named `merx_test_<unix seconds>_<random>`, so tests and test processes
//! never see each other's rows; schemas of runs older than an hour are dropped when the first
//! store of a process opens. Without the variable the tests pass with a skip note, except under
//! `CI=true`, where a missing or unreachable PostgreSQL is a failure.

#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use merx_postgres::PgStore;
use sqlx::{Connection, PgConnection, Row};

/// The variable naming the test database.
pub const URL_VARIABLE: &str = "MERX_TEST_DATABASE_URL";

const SCHEMA_PREFIX: &str = "merx_test_";
const STALE_AFTER_SECONDS: u64 = 3600;

static CLEANED: AtomicBool = AtomicBool::new(false);

fn running_in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The test database URL, or `None` (with a note) when the tests should skip.
pub fn database_url() -> Option<String> {
    match std::env::var(URL_VARIABLE) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if running_in_ci() => panic!(
            "{URL_VARIABLE} is not set and CI=true: the PostgreSQL tests must run in CI \
             (scripts/test sets it to postgres://postgres@127.0.0.1:5432/test)"
        ),
        _ => {
            eprintln!(
                "SKIPPED (no PostgreSQL): set {URL_VARIABLE}=postgres://user@host:port/db to run \
                 the PostgreSQL tests; `bash scripts/test` sets it for you"
            );
            None
        }
    }
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// A schema name no other test or run uses.
pub fn fresh_schema_name() -> String {
    format!(
        "{SCHEMA_PREFIX}{}_{}",
        unix_seconds(),
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

fn unreachable(url: &str, err: impl std::fmt::Display) -> ! {
    panic!("PostgreSQL at {URL_VARIABLE}={url} cannot be used: {err}")
}

/// Drops the schemas of test runs older than an hour.
async fn drop_stale_schemas(url: &str) {
    let mut conn = PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| unreachable(url, e));
    let names: Vec<String> =
        sqlx::query("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)")
            .bind(SCHEMA_PREFIX)
            .fetch_all(&mut conn)
            .await
            .unwrap_or_else(|e| unreachable(url, e))
            .iter()
            .map(|row| row.get(0))
            .collect();
    let now = unix_seconds();
    for name in names {
        let created = name[SCHEMA_PREFIX.len()..]
            .split('_')
            .next()
            .and_then(|s| s.parse::<u64>().ok());
        let is_stale = created.is_some_and(|t| now.saturating_sub(t) > STALE_AFTER_SECONDS);
        let is_plain = name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if is_stale && is_plain {
            // Another process may be dropping it too; losing that race is fine.
            let _ = sqlx::raw_sql(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                .execute(&mut conn)
                .await;
        }
    }
}

/// A store in a fresh schema of the test database with `max_connections`, or `None` to skip.
pub async fn fresh_store_with(max_connections: u32) -> Option<(PgStore, String, String)> {
    let url = database_url()?;
    if !CLEANED.swap(true, Ordering::SeqCst) {
        drop_stale_schemas(&url).await;
    }
    let schema = fresh_schema_name();
    let store = PgStore::connect_in_schema(&url, &schema, max_connections)
        .await
        .unwrap_or_else(|e| unreachable(&url, e));
    Some((store, url, schema))
}

/// A store in a fresh schema of the test database, or `None` to skip.
pub async fn fresh_store() -> Option<PgStore> {
    fresh_store_with(merx_postgres::DEFAULT_MAX_CONNECTIONS)
        .await
        .map(|(store, _, _)| store)
}
