//! Stock outside checkout: levels, adjustments and replacements, each with its
//! `InventoryUpdated` event, and the release of stock a cancelled order gives back.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};
use rust_decimal::Decimal;

use merx_core::event::{EventPayload, NewEvent};
use merx_core::ids::VariantId;
use merx_core::store::{InventoryStore, StockLevel, StorageError, StorageResult};

use crate::codec::{from_micros, get_id, stock_micros};
use crate::events::append_event;
use crate::{backend, is_check_violation, SqliteStore};

/// The stock level of a variant, `None` when it does not exist.
pub(crate) fn stock_level(
    tx: &Connection,
    variant_id: VariantId,
) -> StorageResult<Option<StockLevel>> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT product_id, sku, stock_micros, allow_backorder FROM variants WHERE id = ?1",
        )
        .map_err(backend)?;
    stmt.query_row([variant_id.to_string()], |r| {
        Ok(StockLevel {
            variant_id,
            product_id: get_id(r, 0)?,
            sku: r.get(1)?,
            stock: from_micros(r.get(2)?),
            allow_backorder: r.get(3)?,
        })
    })
    .optional()
    .map_err(backend)
}

/// Adds `delta_micros` to a variant's stock (a release; never refused) and appends
/// `InventoryUpdated`. `not_found` when the variant is gone.
pub(crate) fn release_stock(
    tx: &Connection,
    variant_id: VariantId,
    quantity: Decimal,
    now: chrono::DateTime<chrono::Utc>,
) -> StorageResult<()> {
    let delta = stock_micros(quantity, &variant_id.to_string())?;
    let changed = tx
        .prepare_cached("UPDATE variants SET stock_micros = stock_micros + ?1 WHERE id = ?2")
        .map_err(backend)?
        .execute(params![delta, variant_id.to_string()])
        .map_err(|e| stock_error(e, variant_id))?;
    if changed == 0 {
        return Err(StorageError::not_found(VariantId::ENTITY, variant_id));
    }
    let level = stock_level(tx, variant_id)?
        .ok_or_else(|| StorageError::not_found(VariantId::ENTITY, variant_id))?;
    append_event(
        tx,
        &NewEvent::new(
            EventPayload::InventoryUpdated {
                variant_id,
                sku: level.sku,
                stock: level.stock,
            },
            now,
        ),
    )?;
    Ok(())
}

/// A CHECK failure on stock is a conflict (negative stock without backorders), not an outage.
pub(crate) fn stock_error(err: rusqlite::Error, variant_id: VariantId) -> StorageError {
    if is_check_violation(&err) {
        StorageError::conflict(
            VariantId::ENTITY,
            format!("stock of `{variant_id}` cannot go below zero without backorders"),
        )
    } else {
        backend(err)
    }
}

#[async_trait]
impl InventoryStore for SqliteStore {
    async fn stock_level(&self, variant_id: VariantId) -> StorageResult<StockLevel> {
        self.read(move |tx| {
            stock_level(tx, variant_id)?
                .ok_or_else(|| StorageError::not_found(VariantId::ENTITY, variant_id))
        })
        .await
    }

    async fn adjust_stock(
        &self,
        variant_id: VariantId,
        delta: Decimal,
    ) -> StorageResult<StockLevel> {
        // The check and the change are one statement: no window between reading and writing.
        self.write_stock(
            variant_id,
            "UPDATE variants SET stock_micros = stock_micros + ?1
             WHERE id = ?2 AND (allow_backorder = 1 OR stock_micros + ?1 >= 0)",
            delta,
            move |level| StorageError::OutOfStock {
                variant_id,
                sku: level.sku,
                requested: -delta,
                available: level.stock,
            },
        )
        .await
    }

    async fn set_stock(&self, variant_id: VariantId, stock: Decimal) -> StorageResult<StockLevel> {
        self.write_stock(
            variant_id,
            "UPDATE variants SET stock_micros = ?1
             WHERE id = ?2 AND (allow_backorder = 1 OR ?1 >= 0)",
            stock,
            move |level| StorageError::OutOfStock {
                variant_id,
                sku: level.sku,
                requested: -stock,
                available: Decimal::ZERO,
            },
        )
        .await
    }
}

impl SqliteStore {
    /// Runs a conditional stock `UPDATE` (`?1` the value in micro-units, `?2` the variant) and
    /// appends `InventoryUpdated` in one write transaction; when the condition refuses the
    /// change, `refused` turns the current level into the error.
    async fn write_stock(
        &self,
        variant_id: VariantId,
        sql: &'static str,
        value: Decimal,
        refused: impl FnOnce(StockLevel) -> StorageError + Send + 'static,
    ) -> StorageResult<StockLevel> {
        let now = self.now();
        self.write(move |tx| {
            let micros = stock_micros(value, &variant_id.to_string())?;
            let changed = tx
                .prepare_cached(sql)
                .map_err(backend)?
                .execute(params![micros, variant_id.to_string()])
                .map_err(|e| stock_error(e, variant_id))?;
            let level = stock_level(tx, variant_id)?
                .ok_or_else(|| StorageError::not_found(VariantId::ENTITY, variant_id))?;
            if changed == 0 {
                return Err(refused(level));
            }
            append_event(
                tx,
                &NewEvent::new(
                    EventPayload::InventoryUpdated {
                        variant_id,
                        sku: level.sku.clone(),
                        stock: level.stock,
                    },
                    now,
                ),
            )?;
            Ok(level)
        })
        .await
    }
}
