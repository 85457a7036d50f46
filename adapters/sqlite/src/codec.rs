//! Conversions between domain values and SQLite columns.
//!
//! Every conversion is exact: decimals travel as text (`Decimal`'s own `Display`/`FromStr`, which
//! keep the scale), stock and price sort keys as integers of millionths, timestamps as fixed-width
//! UTC text whose text order is time order, and unit-like enums as their serde wire names so the
//! database holds the same words as the API.

use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::types::Type;
use rusqlite::Row;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

use merx_core::store::{StorageError, StorageResult};

/// Millionths per unit of stock and of price sort keys: `MAX_MEASURE_PRECISION` decimals.
const MICROS_PER_UNIT: i64 = 1_000_000;

/// The fixed-width text of a timestamp (nanoseconds always written).
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// A row value read as a column of `row`, mapping conversion failures to a column error.
fn column_error(
    index: usize,
    err: impl std::error::Error + Send + Sync + 'static,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, Type::Text, Box::new(err))
}

/// Reads a timestamp column.
pub(crate) fn get_timestamp(row: &Row<'_>, index: usize) -> rusqlite::Result<DateTime<Utc>> {
    let text: String = row.get(index)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|e| column_error(index, e))
}

/// Reads an optional timestamp column.
pub(crate) fn get_opt_timestamp(
    row: &Row<'_>,
    index: usize,
) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let text: Option<String> = row.get(index)?;
    text.map(|text| {
        DateTime::parse_from_rfc3339(&text)
            .map(|at| at.with_timezone(&Utc))
            .map_err(|e| column_error(index, e))
    })
    .transpose()
}

/// Reads a decimal text column.
pub(crate) fn get_decimal(row: &Row<'_>, index: usize) -> rusqlite::Result<Decimal> {
    let text: String = row.get(index)?;
    Decimal::from_str(&text).map_err(|e| column_error(index, e))
}

/// Reads an optional decimal text column.
pub(crate) fn get_opt_decimal(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<Decimal>> {
    let text: Option<String> = row.get(index)?;
    text.map(|t| Decimal::from_str(&t).map_err(|e| column_error(index, e)))
        .transpose()
}

/// Reads a UUID-typed id column.
pub(crate) fn get_id<T: From<Uuid>>(row: &Row<'_>, index: usize) -> rusqlite::Result<T> {
    let text: String = row.get(index)?;
    Uuid::parse_str(&text)
        .map(T::from)
        .map_err(|e| column_error(index, e))
}

/// Reads an optional UUID-typed id column.
pub(crate) fn get_opt_id<T: From<Uuid>>(
    row: &Row<'_>,
    index: usize,
) -> rusqlite::Result<Option<T>> {
    let text: Option<String> = row.get(index)?;
    text.map(|t| {
        Uuid::parse_str(&t)
            .map(T::from)
            .map_err(|e| column_error(index, e))
    })
    .transpose()
}

/// Reads a JSON text column.
pub(crate) fn get_json<T: DeserializeOwned>(row: &Row<'_>, index: usize) -> rusqlite::Result<T> {
    let text: String = row.get(index)?;
    serde_json::from_str(&text).map_err(|e| column_error(index, e))
}

/// Reads an optional JSON text column.
pub(crate) fn get_opt_json<T: DeserializeOwned>(
    row: &Row<'_>,
    index: usize,
) -> rusqlite::Result<Option<T>> {
    let text: Option<String> = row.get(index)?;
    text.map(|t| serde_json::from_str(&t).map_err(|e| column_error(index, e)))
        .transpose()
}

/// Reads a column holding an enum's wire name (`"pending"`, `"USD"`).
pub(crate) fn get_wire<T: DeserializeOwned>(row: &Row<'_>, index: usize) -> rusqlite::Result<T> {
    let text: String = row.get(index)?;
    serde_json::from_value(serde_json::Value::String(text)).map_err(|e| column_error(index, e))
}

/// Reads a non-negative integer column as `u64`.
pub(crate) fn get_u64(row: &Row<'_>, index: usize) -> rusqlite::Result<u64> {
    let value: i64 = row.get(index)?;
    u64::try_from(value).map_err(|e| column_error(index, e))
}

/// JSON text of a value.
pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> StorageResult<String> {
    serde_json::to_string(value).map_err(StorageError::backend)
}

/// The wire name of a unit-like enum (or a currency): its serde form without the quotes.
pub(crate) fn wire<T: Serialize>(value: &T) -> StorageResult<String> {
    match serde_json::to_value(value).map_err(StorageError::backend)? {
        serde_json::Value::String(name) => Ok(name),
        other => Err(StorageError::backend_message(format!(
            "expected a wire name, got {other}"
        ))),
    }
}

/// A count or version as an SQLite integer (saturating: SQLite integers are signed 64-bit).
pub(crate) fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A decimal as an exact integer of millionths, `None` when it has more than six decimals or does
/// not fit.
pub(crate) fn micros(value: Decimal) -> Option<i64> {
    let scaled = value.checked_mul(Decimal::from(MICROS_PER_UNIT))?;
    if scaled.fract().is_zero() {
        scaled.to_i64()
    } else {
        None
    }
}

/// Millionths back to a decimal, without trailing zeros (`5000000` is `5`).
pub(crate) fn from_micros(value: i64) -> Decimal {
    Decimal::new(value, 6).normalize()
}

/// The smallest integer of millionths at or above `value` (for an inclusive lower bound).
pub(crate) fn micros_ceil(value: Decimal) -> i64 {
    value
        .checked_mul(Decimal::from(MICROS_PER_UNIT))
        .map(|v| v.ceil())
        .and_then(|v| v.to_i64())
        .unwrap_or(if value.is_sign_negative() {
            i64::MIN
        } else {
            i64::MAX
        })
}

/// The largest integer of millionths at or below `value` (for an inclusive upper bound).
pub(crate) fn micros_floor(value: Decimal) -> i64 {
    value
        .checked_mul(Decimal::from(MICROS_PER_UNIT))
        .map(|v| v.floor())
        .and_then(|v| v.to_i64())
        .unwrap_or(if value.is_sign_negative() {
            i64::MIN
        } else {
            i64::MAX
        })
}

/// Stock in millionths, or `conflict` naming the variant when the quantity cannot be stored
/// exactly (more than six decimals, or beyond nine trillion units).
pub(crate) fn stock_micros(value: Decimal, sku: &str) -> StorageResult<i64> {
    micros(value).ok_or_else(|| {
        StorageError::conflict(
            "variant",
            format!(
                "stock or quantity {value} of `{sku}` has more than 6 decimals or is too large"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_are_fixed_width_and_sort_as_time() {
        let whole = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let later = whole + chrono::Duration::milliseconds(500);
        assert_eq!(timestamp(whole), "2026-01-01T00:00:00.000000000Z");
        assert!(timestamp(whole) < timestamp(later));
        assert_eq!(timestamp(whole).len(), timestamp(later).len());
    }

    #[test]
    fn micros_are_exact_or_refused() {
        assert_eq!(micros(Decimal::new(15, 1)), Some(1_500_000));
        assert_eq!(micros(Decimal::new(-2, 0)), Some(-2_000_000));
        assert_eq!(micros(Decimal::new(1, 7)), None);
        assert_eq!(from_micros(5_000_000).to_string(), "5");
        assert_eq!(from_micros(1_250_000).to_string(), "1.25");
        assert_eq!(micros_ceil(Decimal::new(1, 7)), 1);
        assert_eq!(micros_floor(Decimal::new(19_999_999, 7)), 1_999_999);
    }
}
