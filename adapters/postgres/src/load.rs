//! A checkout load generator: guest order drafts and a driver placing them from concurrent
//! callers. The crash-consistency test's child process (`merx-pg-checkout-stream`) and the
//! checkout benchmark both use it, so they exercise exactly the path a shop's checkout takes:
//! [`OrderStore::place_order`] with lines frozen at the variant's current price.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use merx_core::catalog::Product;
use merx_core::ids::{OrderId, OrderLineId};
use merx_core::money::Currency;
use merx_core::order::{
    Actor, FulfillmentStatus, HistoryEntry, Order, OrderChange, OrderDraft, OrderLine,
    OrderPayment, OrderStatus, OrderTotals,
};
use merx_core::store::{OrderStore, StorageError};
use rust_decimal::Decimal;

/// A guest order for `quantity` units of the first variant of each product, priced in
/// `currency` (products without a price in it are skipped).
pub fn guest_draft(
    products: &[&Product],
    quantity: Decimal,
    currency: Currency,
    now: DateTime<Utc>,
) -> OrderDraft {
    let lines: Vec<OrderLine> = products
        .iter()
        .filter_map(|product| {
            let variant = product.variants.first()?;
            let unit_price = *variant.prices.get(&currency)?;
            let subtotal = unit_price * quantity;
            Some(OrderLine {
                id: OrderLineId::new(),
                product_id: product.id,
                variant_id: variant.id,
                sku: variant.sku.clone(),
                name: product.name.clone(),
                quantity,
                unit_price,
                subtotal,
                discount_total: Decimal::ZERO,
                tax_total: Decimal::ZERO,
                total: subtotal,
            })
        })
        .collect();
    let total: Decimal = lines.iter().map(|l| l.total).sum();
    let item_count: Decimal = lines.iter().map(|l| l.quantity).sum();
    OrderDraft {
        order: Order {
            id: OrderId::new(),
            cart_id: None,
            customer_id: None,
            email: None,
            currency,
            status: OrderStatus::Pending,
            fulfillment_status: FulfillmentStatus::Unfulfilled,
            tracking_number: None,
            payment: OrderPayment::default(),
            prices_include_tax: false,
            lines,
            promotions: Vec::new(),
            shipping_address: None,
            shipping_method: None,
            totals: OrderTotals {
                subtotal: total,
                total,
                item_count,
                ..OrderTotals::default()
            },
            history: vec![HistoryEntry {
                at: now,
                actor: Actor::Guest,
                change: OrderChange::Placed,
            }],
            created_at: now,
            updated_at: now,
            version: 1,
        },
        redemptions: Vec::new(),
        consume_cart: None,
    }
}

/// What a run of [`drive_checkouts`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckoutRun {
    /// Orders placed.
    pub placed: u64,
    /// Checkouts refused for lack of stock.
    pub out_of_stock: u64,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl CheckoutRun {
    /// Placed orders per second.
    pub fn per_second(&self) -> f64 {
        self.placed as f64 / self.elapsed.as_secs_f64()
    }
}

/// Places one-unit orders from `callers` concurrent tasks until `duration` has passed (or, with
/// `max_orders`, that many were placed). Caller `i`'s `n`-th order takes the products
/// `pick(i, n)` returns. `on_placed` runs after every placed order. Errors other than
/// `out_of_stock` end the run.
pub async fn drive_checkouts<S, P, F>(
    store: Arc<S>,
    products: Arc<Vec<Product>>,
    callers: usize,
    duration: Duration,
    max_orders: Option<u64>,
    pick: P,
    on_placed: F,
) -> Result<CheckoutRun, StorageError>
where
    S: OrderStore + ?Sized + 'static,
    P: Fn(usize, u64) -> Vec<usize> + Send + Sync + 'static,
    F: Fn(&Order) + Send + Sync + 'static,
{
    let placed = Arc::new(AtomicU64::new(0));
    let out_of_stock = Arc::new(AtomicU64::new(0));
    let pick = Arc::new(pick);
    let on_placed = Arc::new(on_placed);
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(callers);
    for caller in 0..callers {
        let (store, products, placed, out_of_stock, pick, on_placed) = (
            store.clone(),
            products.clone(),
            placed.clone(),
            out_of_stock.clone(),
            pick.clone(),
            on_placed.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline
                && max_orders.is_none_or(|max| placed.load(Ordering::Relaxed) < max)
            {
                let chosen: Vec<&Product> =
                    pick(caller, n).into_iter().map(|i| &products[i]).collect();
                n += 1;
                let draft = guest_draft(&chosen, Decimal::ONE, Currency::Usd, Utc::now());
                match store.place_order(draft, None).await {
                    Ok(order) => {
                        placed.fetch_add(1, Ordering::Relaxed);
                        on_placed(&order);
                    }
                    Err(StorageError::OutOfStock { .. }) => {
                        out_of_stock.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(err) => return Err(err),
                }
            }
            Ok(())
        }));
    }
    for task in tasks {
        task.await
            .map_err(|e| StorageError::backend_message(format!("checkout caller failed: {e}")))??;
    }
    Ok(CheckoutRun {
        placed: placed.load(Ordering::Relaxed),
        out_of_stock: out_of_stock.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
    })
}
