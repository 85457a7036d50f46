//! Checkouts per second on PostgreSQL with 1 and 8 concurrent callers.
//!
//! `MERX_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p merx-postgres --bench checkout`
//!
//! Each scenario runs in a fresh schema: a 1-second warm-up, then `SECONDS` seconds of
//! checkouts through [`OrderStore::place_order`](merx_core::store::OrderStore) (the same path a
//! shop's checkout takes), each order one unit of each picked product. Scenarios:
//! - `spread`: 3-line orders over 200 products, so callers rarely wait on the same row;
//! - `hot`: 1-line orders of one product, so every caller queues on one row lock (the worst
//!   case for stock contention).
//!
//! Prints one Markdown table row per run, for `BENCHMARKS.md`.

use std::sync::Arc;
use std::time::Duration;

use merx_core::catalog::{Product, ProductStatus, Variant};
use merx_core::money::Currency;
use merx_core::store::CatalogStore;
use merx_postgres::load::drive_checkouts;
use merx_postgres::PgStore;
use rust_decimal_macros::dec;

const SECONDS: u64 = 5;

async fn catalog(store: &PgStore, count: usize) -> Vec<Product> {
    let mut products = Vec::with_capacity(count);
    for i in 0..count {
        let mut variant = Variant::new(format!("BENCH-{i}"), Currency::Usd, dec!(19.99));
        variant.stock = dec!(1000000000);
        let mut product = Product::new(format!("Bench product {i}"), vec![variant]);
        product.status = ProductStatus::Active;
        products.push(store.put_product(product).await.expect("put product"));
    }
    products
}

async fn scenario(url: &str, name: &str, products: usize, lines: usize, callers: usize) {
    let schema = format!(
        "merx_bench_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let store = PgStore::connect_in_schema(url, &schema, callers as u32 + 2)
        .await
        .expect("open store");
    let catalog = Arc::new(catalog(&store, products).await);
    let store = Arc::new(store);
    let pick = move |caller: usize, n: u64| -> Vec<usize> {
        let start = (caller * 7919 + n as usize * 31) % products;
        (0..lines.min(products))
            .map(|i| (start + i * 67) % products)
            .collect()
    };
    drive_checkouts(
        store.clone(),
        catalog.clone(),
        callers,
        Duration::from_secs(1),
        None,
        pick,
        |_| {},
    )
    .await
    .expect("warm-up");
    let run = drive_checkouts(
        store.clone(),
        catalog,
        callers,
        Duration::from_secs(SECONDS),
        None,
        pick,
        |_| {},
    )
    .await
    .expect("run");
    println!(
        "| {name} | {lines} | {callers} | {} | {:.0} | {:.2} ms |",
        run.placed,
        run.per_second(),
        run.elapsed.as_secs_f64() * 1000.0 * callers as f64 / run.placed.max(1) as f64
    );
    sqlx::raw_sql(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(store.pool())
        .await
        .expect("drop bench schema");
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: run only when asked.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let Ok(url) = std::env::var("MERX_TEST_DATABASE_URL") else {
        eprintln!("SKIPPED: set MERX_TEST_DATABASE_URL to benchmark checkouts on PostgreSQL");
        return;
    };
    println!("| scenario | lines per order | callers | orders in {SECONDS} s | checkouts/s | mean latency |");
    println!("|---|---|---|---|---|---|");
    for callers in [1, 8] {
        scenario(&url, "spread", 200, 3, callers).await;
    }
    for callers in [1, 8] {
        scenario(&url, "hot", 1, 1, callers).await;
    }
}
