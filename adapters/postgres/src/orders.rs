//! Orders and checkout ([`OrderStore`]).
//!
//! # Checkout
//! [`OrderStore::place_order`] runs one READ COMMITTED transaction. On the common path (no
//! idempotency key, no cart to consume, no coupon) that is four round trips:
//!
//! 1. `BEGIN`;
//! 2. one conditional decrement for every line at once:
//!    `UPDATE variants v SET stock = v.stock - d.q FROM unnest($ids, $qs) d
//!     WHERE v.id = d.id AND (v.stock >= d.q OR v.allow_backorder) RETURNING v.id` —
//!    a line whose row is not returned was short (or unknown), and the transaction is rolled
//!    back after reading why;
//! 3. one statement writing the order row, its lines (`unnest` of eleven arrays) and the
//!    `OrderPlaced` event through data-modifying CTEs;
//! 4. `COMMIT`.
//!
//! An idempotency key adds one `INSERT ... ON CONFLICT DO NOTHING` up front (a racing repeat
//! waits on the key's unique index until the first commits, then replays its order); a consumed
//! cart adds one `DELETE ... WHERE version = $v`; each redemption adds one conditional upsert of
//! its counter (`... DO UPDATE SET total = total + 1 WHERE total < limit`), so usage limits hold
//! under races for the same reason stock does.
//!
//! Why batching, measured (`cargo bench -p merx-postgres --bench checkout`, figures in
//! `BENCHMARKS.md`): with one caller a checkout takes 4.2 ms for one line and 4.5 ms for three,
//! almost all of it the durable commit's WAL flush; with per-line statements every extra line
//! would add two more round trips. The `unnest` forms keep a checkout at a fixed number of round
//! trips whatever its size, and sqlx prepares each statement once per connection and reuses it.
//! Throughput therefore comes from concurrency: eight callers on distinct rows share WAL
//! flushes (group commit) and reach about 1,300 checkouts/s on the 2-core machine, which is
//! why the default pool ([`crate::DEFAULT_MAX_CONNECTIONS`]) has room for eight checkouts plus
//! readers. On one hot variant the row lock serializes buyers for the length of each commit.
//! Lines are sorted by variant id before the decrement so that two multi-line checkouts lock
//! shared variants in the same order; should the planner still pick another order and
//! PostgreSQL report a deadlock, the whole transaction is retried (at most
//! [`DEADLOCK_RETRIES`] times).

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use merx_core::event::{EventPayload, NewEvent};
use merx_core::ids::{CartId, OrderId, OrderLineId, ProductId, UserId, VariantId};
use merx_core::order::{Order, OrderDraft, OrderLine, OrderPayment, OrderStatus, OrderTotals};
use merx_core::store::{
    IdempotencyKey, OrderFilter, OrderStore, OrderUpdate, StorageError, StorageResult,
    CHECKOUT_SCOPE,
};
use rust_decimal::Decimal;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{PgConnection, Postgres, Row};
use uuid::Uuid;

use crate::codec::{
    backend, currency, enum_text, from_json, is_deadlock, limit_offset, text_enum, to_i64, to_json,
    to_u64, unique_violation,
};
use crate::events::{append_events, EventColumns, INSERT_OUTBOX, OUTBOX_ROWS};
use crate::idempotency::complete_idempotency;
use crate::payments::insert_transaction;
use crate::PgStore;

/// How often a checkout aborted by a deadlock is retried before the error is returned.
pub const DEADLOCK_RETRIES: u32 = 3;

type PgQuery<'q> = Query<'q, Postgres, PgArguments>;

const ORDER_COLUMNS: &str = "id, cart_id, customer_id, email, currency, status,
    fulfillment_status, tracking_number, payment_status, authorization_reference, authorized,
    captured, refunded, prices_include_tax, promotions, shipping_address, shipping_method,
    subtotal, discount_total, shipping_total, tax_total, total, item_count, history, created_at,
    updated_at, version";

/// Binds the 25 order fields between the id and the version, in `ORDER_COLUMNS` order.
fn bind_order_fields<'q>(query: PgQuery<'q>, order: &Order) -> StorageResult<PgQuery<'q>> {
    Ok(query
        .bind(order.cart_id.map(|c| c.0))
        .bind(order.customer_id.map(|c| c.0))
        .bind(order.email.clone())
        .bind(order.currency.code())
        .bind(order.status.as_str())
        .bind(enum_text(&order.fulfillment_status)?)
        .bind(order.tracking_number.clone())
        .bind(enum_text(&order.payment.status)?)
        .bind(order.payment.authorization_reference.clone())
        .bind(order.payment.authorized)
        .bind(order.payment.captured)
        .bind(order.payment.refunded)
        .bind(order.prices_include_tax)
        .bind(to_json(&order.promotions)?)
        .bind(order.shipping_address.as_ref().map(to_json).transpose()?)
        .bind(order.shipping_method.clone())
        .bind(order.totals.subtotal)
        .bind(order.totals.discount_total)
        .bind(order.totals.shipping_total)
        .bind(order.totals.tax_total)
        .bind(order.totals.total)
        .bind(order.totals.item_count)
        .bind(to_json(&order.history)?)
        .bind(order.created_at)
        .bind(order.updated_at))
}

/// Binds the eleven line arrays, in `order_items` column order from `id`.
fn bind_lines<'q>(query: PgQuery<'q>, lines: &[OrderLine]) -> PgQuery<'q> {
    let column = |f: fn(&OrderLine) -> Decimal| lines.iter().map(f).collect::<Vec<Decimal>>();
    query
        .bind(lines.iter().map(|l| l.id.0).collect::<Vec<Uuid>>())
        .bind(lines.iter().map(|l| l.product_id.0).collect::<Vec<Uuid>>())
        .bind(lines.iter().map(|l| l.variant_id.0).collect::<Vec<Uuid>>())
        .bind(lines.iter().map(|l| l.sku.clone()).collect::<Vec<String>>())
        .bind(
            lines
                .iter()
                .map(|l| l.name.clone())
                .collect::<Vec<String>>(),
        )
        .bind(column(|l| l.quantity))
        .bind(column(|l| l.unit_price))
        .bind(column(|l| l.subtotal))
        .bind(column(|l| l.discount_total))
        .bind(column(|l| l.tax_total))
        .bind(column(|l| l.total))
}

/// Inserts `order_items` from the eleven arrays starting at parameter `$first`, for the order
/// id in parameter `$order`.
fn insert_lines_sql(order: usize, first: usize) -> String {
    let p = |i: usize| first + i;
    format!(
        "INSERT INTO order_items (order_id, position, id, product_id, variant_id, sku, name,
             quantity, unit_price, subtotal, discount_total, tax_total, total)
         SELECT ${order}, l.n - 1, l.id, l.product_id, l.variant_id, l.sku, l.name, l.quantity,
             l.unit_price, l.subtotal, l.discount_total, l.tax_total, l.total
         FROM unnest(${}::uuid[], ${}::uuid[], ${}::uuid[], ${}::text[], ${}::text[],
                     ${}::numeric[], ${}::numeric[], ${}::numeric[], ${}::numeric[],
                     ${}::numeric[], ${}::numeric[])
             WITH ORDINALITY AS l(id, product_id, variant_id, sku, name, quantity, unit_price,
                                  subtotal, discount_total, tax_total, total, n)",
        p(0),
        p(1),
        p(2),
        p(3),
        p(4),
        p(5),
        p(6),
        p(7),
        p(8),
        p(9),
        p(10)
    )
}

fn order_line(row: &PgRow) -> OrderLine {
    OrderLine {
        id: OrderLineId(row.get("id")),
        product_id: ProductId(row.get("product_id")),
        variant_id: VariantId(row.get("variant_id")),
        sku: row.get("sku"),
        name: row.get("name"),
        quantity: row.get("quantity"),
        unit_price: row.get("unit_price"),
        subtotal: row.get("subtotal"),
        discount_total: row.get("discount_total"),
        tax_total: row.get("tax_total"),
        total: row.get("total"),
    }
}

fn order(row: &PgRow, lines: Vec<OrderLine>) -> StorageResult<Order> {
    Ok(Order {
        id: OrderId(row.get("id")),
        cart_id: row.get::<Option<Uuid>, _>("cart_id").map(CartId),
        customer_id: row.get::<Option<Uuid>, _>("customer_id").map(UserId),
        email: row.get("email"),
        currency: currency(row.get("currency"))?,
        status: text_enum(row.get("status"))?,
        fulfillment_status: text_enum(row.get("fulfillment_status"))?,
        tracking_number: row.get("tracking_number"),
        payment: OrderPayment {
            status: text_enum(row.get("payment_status"))?,
            authorization_reference: row.get("authorization_reference"),
            authorized: row.get("authorized"),
            captured: row.get("captured"),
            refunded: row.get("refunded"),
        },
        prices_include_tax: row.get("prices_include_tax"),
        lines,
        promotions: from_json(row.get("promotions"))?,
        shipping_address: row
            .get::<Option<serde_json::Value>, _>("shipping_address")
            .map(from_json)
            .transpose()?,
        shipping_method: row.get("shipping_method"),
        totals: OrderTotals {
            subtotal: row.get("subtotal"),
            discount_total: row.get("discount_total"),
            shipping_total: row.get("shipping_total"),
            tax_total: row.get("tax_total"),
            total: row.get("total"),
            item_count: row.get("item_count"),
        },
        history: from_json(row.get("history"))?,
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
        version: to_u64(row.get("version"))?,
    })
}

/// Orders from their rows, with their lines, in row order.
async fn orders_with_lines(conn: &mut PgConnection, rows: Vec<PgRow>) -> StorageResult<Vec<Order>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.get("id")).collect();
    let line_rows = sqlx::query(
        "SELECT order_id, id, product_id, variant_id, sku, name, quantity, unit_price, subtotal,
             discount_total, tax_total, total
         FROM order_items WHERE order_id = ANY($1) ORDER BY order_id, position",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?;
    let mut lines: HashMap<Uuid, Vec<OrderLine>> = HashMap::new();
    for row in &line_rows {
        lines
            .entry(row.get("order_id"))
            .or_default()
            .push(order_line(row));
    }
    rows.iter()
        .map(|row| order(row, lines.remove(&row.get("id")).unwrap_or_default()))
        .collect()
}

impl PgStore {
    async fn order_exists(&self, conn: &mut PgConnection, id: OrderId) -> StorageResult<bool> {
        let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM orders WHERE id = $1")
            .bind(id.0)
            .fetch_optional(conn)
            .await
            .map_err(backend)?;
        Ok(found.is_some())
    }

    /// The refusal to report after a check failed: an existing order id comes first, as in the
    /// reference store, whatever else failed.
    async fn refusal(
        &self,
        conn: &mut PgConnection,
        order_id: OrderId,
        otherwise: StorageError,
    ) -> StorageError {
        match self.order_exists(conn, order_id).await {
            Ok(true) => {
                StorageError::conflict(OrderId::ENTITY, format!("order `{order_id}` exists"))
            }
            Ok(false) => otherwise,
            Err(err) => err,
        }
    }

    async fn try_place_order(
        &self,
        draft: &OrderDraft,
        idempotency: Option<&IdempotencyKey>,
    ) -> StorageResult<Order> {
        let now = self.clock.now();
        let order = &draft.order;
        let mut tx = self.pool.begin().await.map_err(backend)?;

        if let Some(key) = idempotency {
            let claimed = sqlx::query(
                "INSERT INTO idempotency_keys
                     (scope, key, fingerprint, resource_id, created_at, completed_at)
                 VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (scope, key) DO NOTHING",
            )
            .bind(CHECKOUT_SCOPE)
            .bind(&key.key)
            .bind(&key.fingerprint)
            .bind(order.id.to_string())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
            if claimed == 0 {
                let first = sqlx::query(
                    "SELECT fingerprint, resource_id, completed_at IS NOT NULL AS completed
                     FROM idempotency_keys WHERE scope = $1 AND key = $2",
                )
                .bind(CHECKOUT_SCOPE)
                .bind(&key.key)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?
                .ok_or_else(|| {
                    StorageError::backend_message("idempotency key released during checkout")
                })?;
                drop(tx);
                if first.get::<String, _>("fingerprint") != key.fingerprint {
                    return Err(StorageError::IdempotencyConflict {
                        key: key.key.clone(),
                    });
                }
                if !first.get::<bool, _>("completed") {
                    return Err(StorageError::IdempotencyInFlight {
                        key: key.key.clone(),
                    });
                }
                let first_order = first
                    .get::<Option<String>, _>("resource_id")
                    .and_then(|id| id.parse::<OrderId>().ok())
                    .ok_or_else(|| {
                        StorageError::backend_message("idempotency record points at no order")
                    })?;
                return self.get_order(first_order).await;
            }
        }

        if let Some(cart) = &draft.consume_cart {
            let consumed = sqlx::query("DELETE FROM carts WHERE id = $1 AND version = $2")
                .bind(cart.cart_id.0)
                .bind(to_i64(cart.version)?)
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected();
            if consumed == 0 {
                let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM carts WHERE id = $1")
                    .bind(cart.cart_id.0)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(backend)?;
                let otherwise = match exists {
                    Some(_) => StorageError::conflict(
                        CartId::ENTITY,
                        "the cart changed after it was priced",
                    ),
                    None => StorageError::not_found(CartId::ENTITY, cart.cart_id),
                };
                return Err(self.refusal(&mut tx, order.id, otherwise).await);
            }
        }

        // Summed per variant by the core (in first-line order for error reporting), sent sorted
        // by id for a stable lock order.
        let demand: Vec<(Uuid, Decimal)> = order
            .stock_demand()
            .into_iter()
            .map(|(variant_id, quantity)| (variant_id.0, quantity))
            .collect();
        let mut sorted = demand.clone();
        sorted.sort_by_key(|(id, _)| *id);
        let (ids, quantities): (Vec<Uuid>, Vec<Decimal>) = sorted.into_iter().unzip();
        let decremented: Vec<Uuid> = sqlx::query_scalar(
            "UPDATE variants v SET stock = v.stock - d.quantity
             FROM unnest($1::uuid[], $2::numeric[]) AS d(id, quantity)
             WHERE v.id = d.id AND (v.stock >= d.quantity OR v.allow_backorder)
             RETURNING v.id",
        )
        .bind(&ids)
        .bind(&quantities)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        if decremented.len() != demand.len() {
            let shortage = self.shortage(&mut tx, &demand, &decremented).await?;
            return Err(self.refusal(&mut tx, order.id, shortage).await);
        }

        for redemption in &draft.redemptions {
            let total_ok = count_redemption(
                &mut tx,
                "INSERT INTO promotion_usage (promotion_id, total) VALUES ($1, 1)
                 ON CONFLICT (promotion_id) DO UPDATE SET total = promotion_usage.total + 1
                 WHERE $2::bigint IS NULL OR promotion_usage.total < $2
                 RETURNING total",
                redemption.promotion_id.0,
                None,
                redemption.usage_limit,
            )
            .await?;
            let customer_ok =
                match order.customer_id {
                    Some(customer) if total_ok => count_redemption(
                        &mut tx,
                        "INSERT INTO promotion_customer_usage (promotion_id, customer_id, total)
                         VALUES ($1, $3, 1)
                         ON CONFLICT (promotion_id, customer_id) DO UPDATE
                             SET total = promotion_customer_usage.total + 1
                         WHERE $2::bigint IS NULL OR promotion_customer_usage.total < $2
                         RETURNING total",
                        redemption.promotion_id.0,
                        Some(customer.0),
                        redemption.per_customer_limit,
                    )
                    .await?,
                    _ => true,
                };
            if !(total_ok && customer_ok) {
                let limit = StorageError::PromotionUsageLimit {
                    promotion_id: redemption.promotion_id,
                    coupon_code: redemption.coupon_code.clone(),
                    per_customer: total_ok,
                };
                return Err(self.refusal(&mut tx, order.id, limit).await);
            }
        }

        let placed = NewEvent::new(
            EventPayload::OrderPlaced {
                order_id: order.id,
                customer_id: order.customer_id,
                currency: order.currency,
                total: order.totals.total,
            },
            now,
        );
        let sql = format!(
            "WITH placed AS (
                 INSERT INTO orders ({ORDER_COLUMNS})
                 VALUES ($5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
                         $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31)),
             lines AS ({lines})
             {INSERT_OUTBOX}{OUTBOX_ROWS}",
            lines = insert_lines_sql(5, 32),
        );
        let query = EventColumns::new(std::slice::from_ref(&placed))?
            .bind(sqlx::query(&sql))
            .bind(order.id.0);
        let query = bind_order_fields(query, order)?.bind(to_i64(order.version)?);
        bind_lines(query, &order.lines)
            .execute(&mut *tx)
            .await
            .map_err(|e| match unique_violation(&e).as_deref() {
                Some("orders_pkey") => {
                    StorageError::conflict(OrderId::ENTITY, format!("order `{}` exists", order.id))
                }
                _ => backend(e),
            })?;
        tx.commit().await.map_err(backend)?;
        Ok(order.clone())
    }

    /// Why the decrement skipped a line: the first line (in order) whose variant is unknown or
    /// short.
    async fn shortage(
        &self,
        conn: &mut PgConnection,
        demand: &[(Uuid, Decimal)],
        decremented: &[Uuid],
    ) -> StorageResult<StorageError> {
        let ids: Vec<Uuid> = demand.iter().map(|(id, _)| *id).collect();
        let rows = sqlx::query("SELECT id, sku, stock FROM variants WHERE id = ANY($1)")
            .bind(&ids)
            .fetch_all(&mut *conn)
            .await
            .map_err(backend)?;
        let done: HashSet<&Uuid> = decremented.iter().collect();
        for (id, quantity) in demand {
            if done.contains(id) {
                continue;
            }
            let variant_id = VariantId(*id);
            return Ok(match rows.iter().find(|r| r.get::<Uuid, _>("id") == *id) {
                None => StorageError::not_found(VariantId::ENTITY, variant_id),
                Some(row) => StorageError::OutOfStock {
                    variant_id,
                    sku: row.get("sku"),
                    requested: *quantity,
                    available: row.get("stock"),
                },
            });
        }
        Err(StorageError::backend_message(
            "a stock decrement was skipped for no reason",
        ))
    }
}

/// Counts one redemption if the limit allows; whether it did.
async fn count_redemption(
    conn: &mut PgConnection,
    sql: &'static str,
    promotion_id: Uuid,
    customer_id: Option<Uuid>,
    limit: Option<u64>,
) -> StorageResult<bool> {
    if limit == Some(0) {
        return Ok(false);
    }
    let mut query = sqlx::query(sql)
        .bind(promotion_id)
        .bind(limit.map(to_i64).transpose()?);
    if let Some(customer) = customer_id {
        query = query.bind(customer);
    }
    Ok(query.fetch_optional(conn).await.map_err(backend)?.is_some())
}

#[async_trait]
impl OrderStore for PgStore {
    async fn place_order(
        &self,
        draft: OrderDraft,
        idempotency: Option<IdempotencyKey>,
    ) -> StorageResult<Order> {
        let mut attempt = 0;
        loop {
            match self.try_place_order(&draft, idempotency.as_ref()).await {
                Err(err) if is_deadlock(&err) && attempt < DEADLOCK_RETRIES => attempt += 1,
                outcome => return outcome,
            }
        }
    }

    async fn get_order(&self, id: OrderId) -> StorageResult<Order> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        let row = sqlx::query(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?
            .ok_or_else(|| StorageError::not_found(OrderId::ENTITY, id))?;
        orders_with_lines(&mut conn, vec![row])
            .await?
            .pop()
            .ok_or_else(|| StorageError::not_found(OrderId::ENTITY, id))
    }

    async fn list_orders(&self, filter: &OrderFilter) -> StorageResult<Vec<Order>> {
        let (limit, offset) = limit_offset(filter.page);
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        let rows = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders
             WHERE ($1::uuid IS NULL OR customer_id = $1) AND ($2::text IS NULL OR status = $2)
             ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
        ))
        .bind(filter.customer_id.map(|c| c.0))
        .bind(filter.status.map(|s| s.as_str()))
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?;
        orders_with_lines(&mut conn, rows).await
    }

    async fn update_order(&self, update: OrderUpdate) -> StorageResult<Order> {
        let now = self.clock.now();
        let OrderUpdate {
            mut order,
            stock_releases,
            events,
            release_promotion_usage,
            transactions,
            idempotency,
        } = update;
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let sql = format!(
            "UPDATE orders SET ({}) = ($3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                 $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $2 + 1)
             WHERE id = $1 AND version = $2",
            ORDER_COLUMNS.trim_start_matches("id,")
        );
        let query = sqlx::query(&sql)
            .bind(order.id.0)
            .bind(to_i64(order.version)?);
        let updated = bind_order_fields(query, &order)?
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
        if updated == 0 {
            let stored: Option<i64> =
                sqlx::query_scalar("SELECT version FROM orders WHERE id = $1")
                    .bind(order.id.0)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(backend)?;
            return Err(match stored {
                None => StorageError::not_found(OrderId::ENTITY, order.id),
                Some(version) => StorageError::conflict(
                    OrderId::ENTITY,
                    format!("order is at version {version}, not {}", order.version),
                ),
            });
        }
        if let Some(completion) = &idempotency {
            complete_idempotency(&mut tx, completion, now).await?;
        }
        for transaction in &transactions {
            insert_transaction(&mut *tx, transaction).await?;
        }
        sqlx::query("DELETE FROM order_items WHERE order_id = $1")
            .bind(order.id.0)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let insert_lines = insert_lines_sql(1, 2);
        bind_lines(sqlx::query(&insert_lines).bind(order.id.0), &order.lines)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;

        let mut appended = Vec::with_capacity(stock_releases.len() + events.len());
        for release in &stock_releases {
            let row = sqlx::query(
                "UPDATE variants SET stock = stock + $2 WHERE id = $1 RETURNING sku, stock",
            )
            .bind(release.variant_id.0)
            .bind(release.quantity)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
            .ok_or_else(|| StorageError::not_found(VariantId::ENTITY, release.variant_id))?;
            appended.push(NewEvent::new(
                EventPayload::InventoryUpdated {
                    variant_id: release.variant_id,
                    sku: row.get("sku"),
                    stock: row.get("stock"),
                },
                now,
            ));
        }
        if release_promotion_usage {
            for promotion_id in order.promotion_ids() {
                sqlx::query(
                    "UPDATE promotion_usage SET total = total - 1
                     WHERE promotion_id = $1 AND total > 0",
                )
                .bind(promotion_id.0)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                if let Some(customer) = order.customer_id {
                    sqlx::query(
                        "UPDATE promotion_customer_usage SET total = total - 1
                         WHERE promotion_id = $1 AND customer_id = $2 AND total > 0",
                    )
                    .bind(promotion_id.0)
                    .bind(customer.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                }
            }
        }
        appended.extend(events);
        append_events(&mut tx, appended).await?;
        tx.commit().await.map_err(backend)?;
        order.version += 1;
        Ok(order)
    }

    async fn has_purchased(&self, user_id: UserId, product_id: ProductId) -> StorageResult<bool> {
        sqlx::query_scalar(
            "SELECT EXISTS (
                 SELECT 1 FROM orders o JOIN order_items i ON i.order_id = o.id
                 WHERE o.customer_id = $1 AND i.product_id = $2 AND o.status <> $3)",
        )
        .bind(user_id.0)
        .bind(product_id.0)
        .bind(OrderStatus::Cancelled.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(backend)
    }
}
