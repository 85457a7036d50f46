//! Carts, versioned: a save based on a stale version is a conflict.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};

use merx_core::cart::Cart;
use merx_core::ids::{CartId, UserId};
use merx_core::store::{CartStore, StorageError, StorageResult};

use crate::codec::{
    get_id, get_json, get_opt_id, get_opt_json, get_timestamp, get_u64, get_wire, int, json,
    timestamp, wire,
};
use crate::{backend, SqliteStore};

const CART_COLUMNS: &str = "id, customer_id, currency, lines, coupon_codes, shipping_address, \
                            shipping_method_id, created_at, updated_at, version";

fn cart_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Cart> {
    Ok(Cart {
        id: get_id(r, 0)?,
        customer_id: get_opt_id(r, 1)?,
        currency: get_wire(r, 2)?,
        lines: get_json(r, 3)?,
        coupon_codes: get_json(r, 4)?,
        shipping_address: get_opt_json(r, 5)?,
        shipping_method_id: get_opt_id(r, 6)?,
        created_at: get_timestamp(r, 7)?,
        updated_at: get_timestamp(r, 8)?,
        version: get_u64(r, 9)?,
    })
}

pub(crate) fn cart_version(tx: &Connection, id: CartId) -> StorageResult<Option<u64>> {
    let version: Option<i64> = tx
        .prepare_cached("SELECT version FROM carts WHERE id = ?1")
        .map_err(backend)?
        .query_row([id.to_string()], |r| r.get(0))
        .optional()
        .map_err(backend)?;
    Ok(version.map(|v| v.max(0) as u64))
}

#[async_trait]
impl CartStore for SqliteStore {
    async fn create_cart(&self, cart: Cart) -> StorageResult<Cart> {
        self.write(move |tx| {
            if cart_version(tx, cart.id)?.is_some() {
                return Err(StorageError::conflict(
                    CartId::ENTITY,
                    format!("cart `{}` exists", cart.id),
                ));
            }
            let sql = format!(
                "INSERT INTO carts ({CART_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
            );
            tx.prepare_cached(&sql)
                .map_err(backend)?
                .execute(params![
                    cart.id.to_string(),
                    cart.customer_id.map(|c| c.to_string()),
                    wire(&cart.currency)?,
                    json(&cart.lines)?,
                    json(&cart.coupon_codes)?,
                    cart.shipping_address.as_ref().map(json).transpose()?,
                    cart.shipping_method_id.map(|m| m.to_string()),
                    timestamp(cart.created_at),
                    timestamp(cart.updated_at),
                    int(cart.version),
                ])
                .map_err(backend)?;
            Ok(cart)
        })
        .await
    }

    async fn get_cart(&self, id: CartId) -> StorageResult<Cart> {
        self.read(move |tx| {
            let sql = format!("SELECT {CART_COLUMNS} FROM carts WHERE id = ?1");
            tx.prepare_cached(&sql)
                .map_err(backend)?
                .query_row([id.to_string()], cart_from_row)
                .optional()
                .map_err(backend)?
                .ok_or_else(|| StorageError::not_found(CartId::ENTITY, id))
        })
        .await
    }

    async fn save_cart(&self, cart: Cart, expected_version: u64) -> StorageResult<Cart> {
        self.write(move |tx| {
            // The version check and the write are one statement.
            let changed = tx
                .prepare_cached(
                    "UPDATE carts SET customer_id = ?3, currency = ?4, lines = ?5,
                         coupon_codes = ?6, shipping_address = ?7, shipping_method_id = ?8,
                         created_at = ?9, updated_at = ?10, version = ?11
                     WHERE id = ?1 AND version = ?2",
                )
                .map_err(backend)?
                .execute(params![
                    cart.id.to_string(),
                    int(expected_version),
                    cart.customer_id.map(|c| c.to_string()),
                    wire(&cart.currency)?,
                    json(&cart.lines)?,
                    json(&cart.coupon_codes)?,
                    cart.shipping_address.as_ref().map(json).transpose()?,
                    cart.shipping_method_id.map(|m| m.to_string()),
                    timestamp(cart.created_at),
                    timestamp(cart.updated_at),
                    int(cart.version),
                ])
                .map_err(backend)?;
            if changed == 0 {
                return Err(match cart_version(tx, cart.id)? {
                    None => StorageError::not_found(CartId::ENTITY, cart.id),
                    Some(stored) => StorageError::conflict(
                        CartId::ENTITY,
                        format!("cart is at version {stored}, not {expected_version}"),
                    ),
                });
            }
            Ok(cart)
        })
        .await
    }

    async fn delete_cart(&self, id: CartId) -> StorageResult<()> {
        self.write(move |tx| {
            let deleted = tx
                .prepare_cached("DELETE FROM carts WHERE id = ?1")
                .map_err(backend)?
                .execute([id.to_string()])
                .map_err(backend)?;
            if deleted == 0 {
                return Err(StorageError::not_found(CartId::ENTITY, id));
            }
            Ok(())
        })
        .await
    }

    async fn latest_cart_of_customer(&self, customer_id: UserId) -> StorageResult<Cart> {
        self.read(move |tx| {
            let sql = format!(
                "SELECT {CART_COLUMNS} FROM carts WHERE customer_id = ?1
                 ORDER BY updated_at DESC, id DESC LIMIT 1"
            );
            tx.prepare_cached(&sql)
                .map_err(backend)?
                .query_row([customer_id.to_string()], cart_from_row)
                .optional()
                .map_err(backend)?
                .ok_or_else(|| {
                    StorageError::not_found(CartId::ENTITY, format!("of customer {customer_id}"))
                })
        })
        .await
    }
}
