//! Stock outside checkout ([`InventoryStore`]): levels, adjustments and replacements, each
//! with its `InventoryUpdated` event in the same transaction.

use async_trait::async_trait;
use merx_core::event::{EventPayload, NewEvent};
use merx_core::ids::{ProductId, VariantId};
use merx_core::store::{InventoryStore, StockLevel, StorageError, StorageResult};
use rust_decimal::Decimal;
use sqlx::postgres::PgRow;
use sqlx::Row;

use crate::codec::backend;
use crate::events::append_events;
use crate::PgStore;

fn stock_level(row: &PgRow) -> StockLevel {
    StockLevel {
        variant_id: VariantId(row.get("id")),
        product_id: ProductId(row.get("product_id")),
        sku: row.get("sku"),
        stock: row.get("stock"),
        allow_backorder: row.get("allow_backorder"),
    }
}

#[async_trait]
impl InventoryStore for PgStore {
    async fn stock_level(&self, variant_id: VariantId) -> StorageResult<StockLevel> {
        sqlx::query(
            "SELECT id, product_id, sku, stock, allow_backorder FROM variants WHERE id = $1",
        )
        .bind(variant_id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .map(|row| stock_level(&row))
        .ok_or_else(|| StorageError::not_found(VariantId::ENTITY, variant_id))
    }

    async fn adjust_stock(
        &self,
        variant_id: VariantId,
        delta: Decimal,
    ) -> StorageResult<StockLevel> {
        self.write_stock(
            variant_id,
            "UPDATE variants SET stock = stock + $2
             WHERE id = $1 AND (stock + $2 >= 0 OR allow_backorder)
             RETURNING id, product_id, sku, stock, allow_backorder",
            delta,
            |level| StorageError::OutOfStock {
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
            "UPDATE variants SET stock = $2
             WHERE id = $1 AND ($2 >= 0 OR allow_backorder)
             RETURNING id, product_id, sku, stock, allow_backorder",
            stock,
            |level| StorageError::OutOfStock {
                variant_id,
                sku: level.sku,
                requested: -stock,
                available: Decimal::ZERO,
            },
        )
        .await
    }
}

impl PgStore {
    /// Runs a conditional stock `UPDATE` (`$1` the variant, `$2` the value, returning the level),
    /// appends `InventoryUpdated` and commits, all in one transaction; when the condition refuses
    /// the change, `refused` turns the current level into the error.
    async fn write_stock(
        &self,
        variant_id: VariantId,
        sql: &'static str,
        value: Decimal,
        refused: impl FnOnce(StockLevel) -> StorageError + Send,
    ) -> StorageResult<StockLevel> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let updated = sqlx::query(sql)
            .bind(variant_id.0)
            .bind(value)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
        let Some(row) = updated else {
            drop(tx);
            return Err(refused(self.stock_level(variant_id).await?));
        };
        let level = stock_level(&row);
        append_events(
            &mut tx,
            vec![NewEvent::new(
                EventPayload::InventoryUpdated {
                    variant_id,
                    sku: level.sku.clone(),
                    stock: level.stock,
                },
                now,
            )],
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(level)
    }
}
