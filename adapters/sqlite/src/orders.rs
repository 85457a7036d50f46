//! Orders with their items, and checkout's atomic `place_order` (stock, promotion usage, the
//! idempotency key and the consumed cart in one transaction).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use rust_decimal::Decimal;

use merx_core::event::{EventPayload, NewEvent};
use merx_core::ids::{CartId, OrderId, ProductId, PromotionId, UserId, VariantId};
use merx_core::order::{Order, OrderDraft, OrderLine, OrderStatus};
use merx_core::store::{
    IdempotencyKey, IdempotencyRecord, OrderFilter, OrderStore, OrderUpdate, StorageError,
    StorageResult, CHECKOUT_SCOPE,
};

use crate::carts::cart_version;
use crate::codec::{
    get_decimal, get_id, get_json, get_opt_id, get_opt_json, get_timestamp, get_u64, get_wire, int,
    json, stock_micros, timestamp, wire,
};
use crate::events::append_event;
use crate::idempotency::{complete_idempotency, idempotency_record, insert_idempotency_record};
use crate::inventory::{release_stock, stock_level};
use crate::payments::insert_transaction;
use crate::{backend, SqliteStore};

const ORDER_COLUMNS: &str =
    "id, cart_id, customer_id, email, currency, status, fulfillment_status, \
                             tracking_number, payment, prices_include_tax, promotions, \
                             shipping_address, shipping_method, totals, history, created_at, \
                             updated_at, version";

fn order_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Order> {
    Ok(Order {
        id: get_id(r, 0)?,
        cart_id: get_opt_id(r, 1)?,
        customer_id: get_opt_id(r, 2)?,
        email: r.get(3)?,
        currency: get_wire(r, 4)?,
        status: get_wire(r, 5)?,
        fulfillment_status: get_wire(r, 6)?,
        tracking_number: r.get(7)?,
        payment: get_json(r, 8)?,
        prices_include_tax: r.get(9)?,
        lines: Vec::new(),
        promotions: get_json(r, 10)?,
        shipping_address: get_opt_json(r, 11)?,
        shipping_method: r.get(12)?,
        totals: get_json(r, 13)?,
        history: get_json(r, 14)?,
        created_at: get_timestamp(r, 15)?,
        updated_at: get_timestamp(r, 16)?,
        version: get_u64(r, 17)?,
    })
}

fn order_lines(tx: &Connection, order_id: &str) -> StorageResult<Vec<OrderLine>> {
    tx.prepare_cached(
        "SELECT id, product_id, variant_id, sku, name, quantity, unit_price, subtotal,
                discount_total, tax_total, total
         FROM order_items WHERE order_id = ?1 ORDER BY position",
    )
    .map_err(backend)?
    .query_map([order_id], |r| {
        Ok(OrderLine {
            id: get_id(r, 0)?,
            product_id: get_id(r, 1)?,
            variant_id: get_id(r, 2)?,
            sku: r.get(3)?,
            name: r.get(4)?,
            quantity: get_decimal(r, 5)?,
            unit_price: get_decimal(r, 6)?,
            subtotal: get_decimal(r, 7)?,
            discount_total: get_decimal(r, 8)?,
            tax_total: get_decimal(r, 9)?,
            total: get_decimal(r, 10)?,
        })
    })
    .map_err(backend)?
    .collect::<rusqlite::Result<_>>()
    .map_err(backend)
}

pub(crate) fn load_order(tx: &Connection, id: OrderId) -> StorageResult<Option<Order>> {
    let key = id.to_string();
    let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?1");
    let order = tx
        .prepare_cached(&sql)
        .map_err(backend)?
        .query_row([&key], order_from_row)
        .optional()
        .map_err(backend)?;
    order
        .map(|mut order| {
            order.lines = order_lines(tx, &key)?;
            Ok(order)
        })
        .transpose()
}

/// Writes an order's row and items; `replace` first removes the stored ones.
fn write_order(tx: &Connection, order: &Order, replace: bool) -> StorageResult<()> {
    let id = order.id.to_string();
    if replace {
        for sql in [
            "DELETE FROM order_items WHERE order_id = ?1",
            "DELETE FROM orders WHERE id = ?1",
        ] {
            tx.prepare_cached(sql)
                .map_err(backend)?
                .execute([&id])
                .map_err(backend)?;
        }
    }
    let sql = format!(
        "INSERT INTO orders ({ORDER_COLUMNS}, total)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"
    );
    tx.prepare_cached(&sql)
        .map_err(backend)?
        .execute(params![
            id,
            order.cart_id.map(|c| c.to_string()),
            order.customer_id.map(|c| c.to_string()),
            order.email,
            wire(&order.currency)?,
            wire(&order.status)?,
            wire(&order.fulfillment_status)?,
            order.tracking_number,
            json(&order.payment)?,
            order.prices_include_tax,
            json(&order.promotions)?,
            order.shipping_address.as_ref().map(json).transpose()?,
            order.shipping_method,
            json(&order.totals)?,
            json(&order.history)?,
            timestamp(order.created_at),
            timestamp(order.updated_at),
            int(order.version),
            order.totals.total.to_string(),
        ])
        .map_err(backend)?;
    for (position, line) in order.lines.iter().enumerate() {
        tx.prepare_cached(
            "INSERT INTO order_items (id, order_id, position, product_id, variant_id, sku, name,
                 quantity, unit_price, subtotal, discount_total, tax_total, total)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )
        .map_err(backend)?
        .execute(params![
            line.id.to_string(),
            id,
            position as i64,
            line.product_id.to_string(),
            line.variant_id.to_string(),
            line.sku,
            line.name,
            line.quantity.to_string(),
            line.unit_price.to_string(),
            line.subtotal.to_string(),
            line.discount_total.to_string(),
            line.tax_total.to_string(),
            line.total.to_string(),
        ])
        .map_err(|e| {
            if crate::is_check_violation(&e) {
                StorageError::conflict(
                    OrderId::ENTITY,
                    format!("line `{}` has a quantity that is not positive", line.sku),
                )
            } else if crate::is_unique_violation(&e) {
                StorageError::conflict(OrderId::ENTITY, format!("order line `{}` exists", line.id))
            } else {
                backend(e)
            }
        })?;
    }
    Ok(())
}

/// Takes `quantity` from a variant's stock with one conditional UPDATE; `out_of_stock` or
/// `not_found` when refused.
fn reserve_stock(tx: &Connection, variant_id: VariantId, quantity: Decimal) -> StorageResult<()> {
    let wanted = stock_micros(quantity, &variant_id.to_string())?;
    let changed = tx
        .prepare_cached(
            "UPDATE variants SET stock_micros = stock_micros - ?1
             WHERE id = ?2 AND (stock_micros >= ?1 OR allow_backorder = 1)",
        )
        .map_err(backend)?
        .execute(params![wanted, variant_id.to_string()])
        .map_err(backend)?;
    if changed == 1 {
        return Ok(());
    }
    let level = stock_level(tx, variant_id)?
        .ok_or_else(|| StorageError::not_found(VariantId::ENTITY, variant_id))?;
    Err(StorageError::OutOfStock {
        variant_id,
        sku: level.sku,
        requested: quantity,
        available: level.stock,
    })
}

/// Counts one redemption within `limit` with a conditional upsert; `false` when the limit is hit.
fn count_total_use(
    tx: &Connection,
    promotion_id: PromotionId,
    limit: Option<u64>,
) -> StorageResult<bool> {
    let changed = tx
        .prepare_cached(
            "INSERT INTO promotion_usage (promotion_id, total)
             SELECT ?1, 1 WHERE ?2 IS NULL OR ?2 > 0
             ON CONFLICT (promotion_id) DO UPDATE SET total = total + 1
             WHERE ?2 IS NULL OR total < ?2",
        )
        .map_err(backend)?
        .execute(params![promotion_id.to_string(), limit.map(int)])
        .map_err(backend)?;
    Ok(changed == 1)
}

fn count_customer_use(
    tx: &Connection,
    promotion_id: PromotionId,
    customer: UserId,
    limit: Option<u64>,
) -> StorageResult<bool> {
    let changed = tx
        .prepare_cached(
            "INSERT INTO promotion_customer_usage (promotion_id, customer_id, uses)
             SELECT ?1, ?2, 1 WHERE ?3 IS NULL OR ?3 > 0
             ON CONFLICT (promotion_id, customer_id) DO UPDATE SET uses = uses + 1
             WHERE ?3 IS NULL OR uses < ?3",
        )
        .map_err(backend)?
        .execute(params![
            promotion_id.to_string(),
            customer.to_string(),
            limit.map(int)
        ])
        .map_err(backend)?;
    Ok(changed == 1)
}

/// Gives back one use of `promotion_id` (and of the customer's, for a customer's order).
fn release_use(
    tx: &Connection,
    promotion_id: PromotionId,
    customer: Option<UserId>,
) -> StorageResult<()> {
    tx.prepare_cached(
        "UPDATE promotion_usage SET total = total - 1 WHERE promotion_id = ?1 AND total > 0",
    )
    .map_err(backend)?
    .execute([promotion_id.to_string()])
    .map_err(backend)?;
    if let Some(customer) = customer {
        tx.prepare_cached(
            "UPDATE promotion_customer_usage SET uses = uses - 1
             WHERE promotion_id = ?1 AND customer_id = ?2 AND uses > 0",
        )
        .map_err(backend)?
        .execute(params![promotion_id.to_string(), customer.to_string()])
        .map_err(backend)?;
    }
    Ok(())
}

/// Checkout's transaction body; see [`OrderStore::place_order`] for the steps.
fn place_order(
    tx: &Connection,
    draft: OrderDraft,
    idempotency: Option<IdempotencyKey>,
    now: DateTime<Utc>,
) -> StorageResult<Order> {
    let OrderDraft {
        order,
        redemptions,
        consume_cart,
    } = draft;
    if let Some(key) = &idempotency {
        if let Some(record) = idempotency_record(tx, CHECKOUT_SCOPE, &key.key)? {
            if record.fingerprint != key.fingerprint {
                return Err(StorageError::IdempotencyConflict {
                    key: key.key.clone(),
                });
            }
            if !record.is_completed() {
                return Err(StorageError::IdempotencyInFlight {
                    key: key.key.clone(),
                });
            }
            let first = record
                .resource_id
                .as_deref()
                .and_then(|id| id.parse::<OrderId>().ok());
            return match first {
                Some(id) => load_order(tx, id)?,
                None => None,
            }
            .ok_or_else(|| StorageError::backend_message("idempotency record points at no order"));
        }
    }
    let exists: bool = tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM orders WHERE id = ?1)")
        .map_err(backend)?
        .query_row([order.id.to_string()], |r| r.get(0))
        .map_err(backend)?;
    if exists {
        return Err(StorageError::conflict(
            OrderId::ENTITY,
            format!("order `{}` exists", order.id),
        ));
    }
    if let Some(cart) = &consume_cart {
        let stored = cart_version(tx, cart.cart_id)?
            .ok_or_else(|| StorageError::not_found(CartId::ENTITY, cart.cart_id))?;
        if stored != cart.version {
            return Err(StorageError::conflict(
                CartId::ENTITY,
                "the cart changed after it was priced",
            ));
        }
    }
    for (variant_id, quantity) in &order.stock_demand() {
        reserve_stock(tx, *variant_id, *quantity)?;
    }
    for r in &redemptions {
        if !count_total_use(tx, r.promotion_id, r.usage_limit)? {
            return Err(StorageError::PromotionUsageLimit {
                promotion_id: r.promotion_id,
                coupon_code: r.coupon_code.clone(),
                per_customer: false,
            });
        }
        if let Some(customer) = order.customer_id {
            if !count_customer_use(tx, r.promotion_id, customer, r.per_customer_limit)? {
                return Err(StorageError::PromotionUsageLimit {
                    promotion_id: r.promotion_id,
                    coupon_code: r.coupon_code.clone(),
                    per_customer: true,
                });
            }
        }
    }
    if let Some(cart) = &consume_cart {
        tx.prepare_cached("DELETE FROM carts WHERE id = ?1")
            .map_err(backend)?
            .execute([cart.cart_id.to_string()])
            .map_err(backend)?;
    }
    write_order(tx, &order, false)?;
    if let Some(key) = idempotency {
        insert_idempotency_record(
            tx,
            &IdempotencyRecord {
                scope: CHECKOUT_SCOPE.to_string(),
                key: key.key,
                fingerprint: key.fingerprint,
                holder: None,
                lease_until: None,
                completed_at: Some(now),
                resource_id: Some(order.id.to_string()),
                response: None,
                created_at: now,
            },
        )?;
    }
    append_event(
        tx,
        &NewEvent::new(
            EventPayload::OrderPlaced {
                order_id: order.id,
                customer_id: order.customer_id,
                currency: order.currency,
                total: order.totals.total,
            },
            now,
        ),
    )?;
    Ok(order)
}

#[async_trait]
impl OrderStore for SqliteStore {
    async fn place_order(
        &self,
        draft: OrderDraft,
        idempotency: Option<IdempotencyKey>,
    ) -> StorageResult<Order> {
        let now = self.now();
        self.write(move |tx| place_order(tx, draft, idempotency, now))
            .await
    }

    async fn get_order(&self, id: OrderId) -> StorageResult<Order> {
        self.read(move |tx| {
            load_order(tx, id)?.ok_or_else(|| StorageError::not_found(OrderId::ENTITY, id))
        })
        .await
    }

    async fn list_orders(&self, filter: &OrderFilter) -> StorageResult<Vec<Order>> {
        let filter = filter.clone();
        self.read(move |tx| {
            let ids: Vec<OrderId> = tx
                .prepare_cached(
                    "SELECT id FROM orders
                     WHERE (?1 IS NULL OR customer_id = ?1) AND (?2 IS NULL OR status = ?2)
                     ORDER BY created_at DESC, id DESC
                     LIMIT ?3 OFFSET ?4",
                )
                .map_err(backend)?
                .query_map(
                    params![
                        filter.customer_id.map(|c| c.to_string()),
                        filter.status.map(|s| wire(&s)).transpose()?,
                        i64::from(filter.page.limit),
                        i64::from(filter.page.offset),
                    ],
                    |r| get_id(r, 0),
                )
                .map_err(backend)?
                .collect::<rusqlite::Result<_>>()
                .map_err(backend)?;
            ids.into_iter()
                .map(|id| {
                    load_order(tx, id)?.ok_or_else(|| StorageError::not_found(OrderId::ENTITY, id))
                })
                .collect()
        })
        .await
    }

    async fn update_order(&self, update: OrderUpdate) -> StorageResult<Order> {
        let now = self.now();
        self.write(move |tx| {
            let OrderUpdate {
                mut order,
                stock_releases,
                events,
                release_promotion_usage,
                transactions,
                idempotency,
            } = update;
            let stored: Option<i64> = tx
                .prepare_cached("SELECT version FROM orders WHERE id = ?1")
                .map_err(backend)?
                .query_row([order.id.to_string()], |r| r.get(0))
                .optional()
                .map_err(backend)?;
            let stored =
                stored.ok_or_else(|| StorageError::not_found(OrderId::ENTITY, order.id))?;
            if stored != int(order.version) {
                return Err(StorageError::conflict(
                    OrderId::ENTITY,
                    format!("order is at version {stored}, not {}", order.version),
                ));
            }
            if let Some(completion) = &idempotency {
                complete_idempotency(tx, completion, now)?;
            }
            for transaction in &transactions {
                insert_transaction(tx, transaction)?;
            }
            for release in &stock_releases {
                release_stock(tx, release.variant_id, release.quantity, now)?;
            }
            if release_promotion_usage {
                for promotion_id in order.promotion_ids() {
                    release_use(tx, promotion_id, order.customer_id)?;
                }
            }
            for event in &events {
                append_event(tx, event)?;
            }
            order.version += 1;
            write_order(tx, &order, true)?;
            Ok(order)
        })
        .await
    }

    async fn has_purchased(&self, user_id: UserId, product_id: ProductId) -> StorageResult<bool> {
        self.read(move |tx| {
            tx.prepare_cached(
                "SELECT EXISTS (
                     SELECT 1 FROM order_items i JOIN orders o ON o.id = i.order_id
                     WHERE i.product_id = ?2 AND o.customer_id = ?1 AND o.status <> ?3)",
            )
            .map_err(backend)?
            .query_row(
                params![
                    user_id.to_string(),
                    product_id.to_string(),
                    wire(&OrderStatus::Cancelled)?
                ],
                |r| r.get(0),
            )
            .map_err(backend)
        })
        .await
    }
}
