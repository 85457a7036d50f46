//! Killing a process in the middle of a stream of checkouts leaves the database consistent:
//! every order is whole (lines and totals), has its `OrderPlaced` event, and stock plus units
//! sold equals the initial stock, because each checkout is one transaction that PostgreSQL
//! rolls back when its connection dies.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use merx_core::catalog::{Product, ProductStatus, Variant};
use merx_core::money::Currency;
use merx_core::store::{CatalogStore, EventStore, InventoryStore, OrderFilter, OrderStore, Page};
use merx_postgres::PgStore;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sqlx::Row;

const INITIAL_STOCK: Decimal = dec!(100000);
/// Orders the child must have reported before it is killed, so the kill lands mid-stream.
const PLACED_BEFORE_KILL: usize = 150;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_checkout_stream_leaves_the_database_consistent() {
    let Some((store, url, schema)) = support::fresh_store_with(4).await else {
        return;
    };
    let mut products = Vec::new();
    for i in 0..3 {
        let mut variant = Variant::new(format!("CRASH-{i}"), Currency::Usd, dec!(9.99));
        variant.stock = INITIAL_STOCK;
        let mut product = Product::new(format!("Crash product {i}"), vec![variant]);
        product.status = ProductStatus::Active;
        products.push(store.put_product(product).await.unwrap());
    }

    let mut child = Command::new(env!("CARGO_BIN_EXE_merx-pg-checkout-stream"))
        .args([url.as_str(), schema.as_str(), "4"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the checkout stream");
    let stdout = child.stdout.take().expect("child stdout");
    let reported = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut lines = BufReader::new(stdout).lines();
        let mut placed = 0;
        while placed < PLACED_BEFORE_KILL && started.elapsed() < Duration::from_secs(120) {
            match lines.next() {
                Some(Ok(line)) if line.starts_with("placed ") => placed += 1,
                Some(_) => {}
                None => break,
            }
        }
        placed
    })
    .await
    .unwrap();
    child.kill().expect("SIGKILL the checkout stream");
    let status = child.wait().unwrap();
    assert_eq!(
        reported, PLACED_BEFORE_KILL,
        "the stream stopped early ({status})"
    );
    drop(store);

    // Reopen as a new process would: the migrations run again (a no-op) on the same schema.
    let reopened = PgStore::connect_in_schema(&url, &schema, 4).await.unwrap();
    let pool = reopened.pool();
    let orders: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(pool)
        .await
        .unwrap();
    assert!(
        orders >= PLACED_BEFORE_KILL as i64,
        "{orders} orders, {PLACED_BEFORE_KILL} reported"
    );
    for product in &products {
        let variant = &product.variants[0];
        let sold: Decimal = sqlx::query_scalar(
            "SELECT coalesce(sum(quantity), 0) FROM order_items WHERE variant_id = $1",
        )
        .bind(variant.id.0)
        .fetch_one(pool)
        .await
        .unwrap();
        let stock = reopened.stock_level(variant.id).await.unwrap().stock;
        assert_eq!(stock + sold, INITIAL_STOCK, "{}", variant.sku);
        assert!(sold > Decimal::ZERO);
    }
    let broken = sqlx::query(
        "SELECT
             (SELECT count(*) FROM orders o WHERE NOT EXISTS (
                 SELECT 1 FROM order_items i WHERE i.order_id = o.id)) AS without_lines,
             (SELECT count(*) FROM orders o WHERE o.item_count <> (
                 SELECT sum(i.quantity) FROM order_items i WHERE i.order_id = o.id)) AS short_lines,
             (SELECT count(*) FROM orders o WHERE NOT EXISTS (
                 SELECT 1 FROM outbox e WHERE e.kind = 'OrderPlaced'
                     AND (e.payload ->> 'orderId')::uuid = o.id)) AS without_event,
             (SELECT count(*) FROM outbox e WHERE e.kind = 'OrderPlaced' AND NOT EXISTS (
                 SELECT 1 FROM orders o WHERE o.id = (e.payload ->> 'orderId')::uuid))
                 AS event_without_order",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    for column in [
        "without_lines",
        "short_lines",
        "without_event",
        "event_without_order",
    ] {
        assert_eq!(broken.get::<i64, _>(column), 0, "{column}");
    }

    // The store is usable after the crash: no lock or half transaction survived the process.
    let listed = reopened
        .list_orders(&OrderFilter {
            page: Page {
                offset: 0,
                limit: 5,
            },
            ..OrderFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 5);
    let events = reopened.events_after(0, u32::MAX).await.unwrap();
    assert!(events.windows(2).all(|w| w[0].sequence < w[1].sequence));
    let draft = merx_postgres::load::guest_draft(
        &[&products[0]],
        dec!(1),
        Currency::Usd,
        chrono::Utc::now(),
    );
    reopened.place_order(draft, None).await.unwrap();
}
