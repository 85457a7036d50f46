//! Conversions between core values and SQL values, and the mapping of database errors.

use merx_core::money::Currency;
use merx_core::store::{Page, StorageError, StorageResult};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// SQLSTATE of a unique violation.
const UNIQUE_VIOLATION: &str = "23505";
/// SQLSTATE of a foreign-key violation.
const FOREIGN_KEY_VIOLATION: &str = "23503";
/// SQLSTATE of a CHECK violation.
const CHECK_VIOLATION: &str = "23514";
/// SQLSTATE of a detected deadlock.
const DEADLOCK_DETECTED: &str = "40P01";

/// Any sqlx failure as a backend error (details for logs only).
pub(crate) fn backend(err: sqlx::Error) -> StorageError {
    StorageError::backend(err)
}

/// The constraint a unique violation hit, if `err` is one.
pub(crate) fn unique_violation(err: &sqlx::Error) -> Option<String> {
    violation(err, UNIQUE_VIOLATION)
}

/// The constraint a foreign-key violation hit, if `err` is one.
pub(crate) fn foreign_key_violation(err: &sqlx::Error) -> Option<String> {
    violation(err, FOREIGN_KEY_VIOLATION)
}

/// The constraint a CHECK violation hit, if `err` is one.
pub(crate) fn check_violation(err: &sqlx::Error) -> Option<String> {
    violation(err, CHECK_VIOLATION)
}

/// Whether PostgreSQL aborted the transaction to break a deadlock.
pub(crate) fn is_deadlock(err: &StorageError) -> bool {
    let StorageError::Backend(source) = err else {
        return false;
    };
    source
        .downcast_ref::<sqlx::Error>()
        .and_then(|e| e.as_database_error())
        .and_then(|e| e.code())
        .is_some_and(|code| code == DEADLOCK_DETECTED)
}

fn violation(err: &sqlx::Error, code: &str) -> Option<String> {
    let db = err.as_database_error()?;
    (db.code().as_deref() == Some(code)).then(|| db.constraint().unwrap_or_default().to_string())
}

/// A value's serde form as JSON, for JSONB columns.
pub(crate) fn to_json<T: Serialize>(value: &T) -> StorageResult<serde_json::Value> {
    serde_json::to_value(value).map_err(StorageError::backend)
}

/// A JSONB column back into a core value.
pub(crate) fn from_json<T: DeserializeOwned>(value: serde_json::Value) -> StorageResult<T> {
    serde_json::from_value(value).map_err(StorageError::backend)
}

/// A unit-like enum's wire name (`"pending"`), for TEXT columns with CHECK constraints.
pub(crate) fn enum_text<T: Serialize>(value: &T) -> StorageResult<String> {
    match to_json(value)? {
        serde_json::Value::String(s) => Ok(s),
        other => Err(StorageError::backend_message(format!(
            "expected a string-valued enum, got {other}"
        ))),
    }
}

/// A TEXT column back into a unit-like enum.
pub(crate) fn text_enum<T: DeserializeOwned>(text: String) -> StorageResult<T> {
    from_json(serde_json::Value::String(text))
}

/// A currency column.
pub(crate) fn currency(code: &str) -> StorageResult<Currency> {
    Currency::from_code(code)
        .map_err(|e| StorageError::backend_message(format!("stored currency `{code}`: {e}")))
}

/// A u64 (versions, limits, counts) as BIGINT.
pub(crate) fn to_i64(value: u64) -> StorageResult<i64> {
    i64::try_from(value)
        .map_err(|_| StorageError::backend_message(format!("{value} exceeds BIGINT")))
}

/// A BIGINT back into a u64.
pub(crate) fn to_u64(value: i64) -> StorageResult<u64> {
    u64::try_from(value)
        .map_err(|_| StorageError::backend_message(format!("negative stored count {value}")))
}

/// LIMIT and OFFSET of a page.
pub(crate) fn limit_offset(page: Page) -> (i64, i64) {
    (i64::from(page.limit), i64::from(page.offset))
}
