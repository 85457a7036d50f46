//! Carts ([`CartStore`]), versioned: a save based on a stale version is a conflict.

use async_trait::async_trait;
use merx_core::cart::Cart;
use merx_core::ids::{CartId, UserId};
use merx_core::store::{CartStore, StorageError, StorageResult};
use sqlx::postgres::PgRow;
use sqlx::Row;

use crate::codec::{backend, from_json, to_i64, to_json, unique_violation};
use crate::settings::delete_by_id;
use crate::PgStore;

fn cart(row: PgRow) -> StorageResult<Cart> {
    from_json(row.get("cart"))
}

#[async_trait]
impl CartStore for PgStore {
    async fn create_cart(&self, cart: Cart) -> StorageResult<Cart> {
        sqlx::query(
            "INSERT INTO carts (id, customer_id, currency, version, updated_at, cart)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(cart.id.0)
        .bind(cart.customer_id.map(|c| c.0))
        .bind(cart.currency.code())
        .bind(to_i64(cart.version)?)
        .bind(cart.updated_at)
        .bind(to_json(&cart)?)
        .execute(&self.pool)
        .await
        .map_err(|e| match unique_violation(&e) {
            Some(_) => StorageError::conflict(CartId::ENTITY, format!("cart `{}` exists", cart.id)),
            None => backend(e),
        })?;
        Ok(cart)
    }

    async fn get_cart(&self, id: CartId) -> StorageResult<Cart> {
        sqlx::query("SELECT cart FROM carts WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
            .map(cart)
            .unwrap_or_else(|| Err(StorageError::not_found(CartId::ENTITY, id)))
    }

    async fn save_cart(&self, cart: Cart, expected_version: u64) -> StorageResult<Cart> {
        let saved = sqlx::query(
            "UPDATE carts SET customer_id = $3, currency = $4, version = $5, updated_at = $6,
                 cart = $7
             WHERE id = $1 AND version = $2",
        )
        .bind(cart.id.0)
        .bind(to_i64(expected_version)?)
        .bind(cart.customer_id.map(|c| c.0))
        .bind(cart.currency.code())
        .bind(to_i64(cart.version)?)
        .bind(cart.updated_at)
        .bind(to_json(&cart)?)
        .execute(&self.pool)
        .await
        .map_err(backend)?
        .rows_affected();
        if saved == 1 {
            return Ok(cart);
        }
        let stored: Option<i64> = sqlx::query_scalar("SELECT version FROM carts WHERE id = $1")
            .bind(cart.id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        match stored {
            None => Err(StorageError::not_found(CartId::ENTITY, cart.id)),
            Some(version) => Err(StorageError::conflict(
                CartId::ENTITY,
                format!("cart is at version {version}, not {expected_version}"),
            )),
        }
    }

    async fn delete_cart(&self, id: CartId) -> StorageResult<()> {
        delete_by_id(self, "DELETE FROM carts WHERE id = $1", id.0, || {
            StorageError::not_found(CartId::ENTITY, id)
        })
        .await
    }

    async fn latest_cart_of_customer(&self, customer_id: UserId) -> StorageResult<Cart> {
        sqlx::query(
            "SELECT cart FROM carts WHERE customer_id = $1 ORDER BY updated_at DESC, id DESC LIMIT 1",
        )
        .bind(customer_id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .map(cart)
        .unwrap_or_else(|| {
            Err(StorageError::not_found(
                CartId::ENTITY,
                format!("of customer {customer_id}"),
            ))
        })
    }
}
