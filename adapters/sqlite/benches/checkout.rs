//! Checkouts per second on SQLite: one `place_order` (two lines, two variants, an idempotency
//! key, the conditional stock decrements, the order, its items and its outbox event) per
//! iteration, from 1 and from 8 concurrent callers, on a WAL file with `synchronous=NORMAL`
//! (the default), with `synchronous=FULL`, and in memory. Criterion's `thrpt` is checkouts/s.
//!
//! `cargo bench -p merx-sqlite --bench checkout`

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use merx_core::catalog::{Product, ProductStatus, Variant};
use merx_core::ids::{OrderId, OrderLineId};
use merx_core::money::Currency;
use merx_core::order::{
    Actor, FulfillmentStatus, HistoryEntry, Order, OrderChange, OrderDraft, OrderLine,
    OrderPayment, OrderStatus, OrderTotals,
};
use merx_core::store::{CatalogStore, IdempotencyKey, OrderStore};
use merx_sqlite::{Location, SqliteOptions, SqliteStore, Synchronous};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn draft(product: &Product, n: u64) -> (OrderDraft, IdempotencyKey) {
    let now = Utc::now();
    let lines: Vec<OrderLine> = [(n % 4) as usize, ((n + 1) % 4) as usize]
        .iter()
        .map(|i| {
            let v = &product.variants[*i];
            let unit_price = v.prices[&Currency::Usd];
            OrderLine {
                id: OrderLineId::new(),
                product_id: product.id,
                variant_id: v.id,
                sku: v.sku.clone(),
                name: product.name.clone(),
                quantity: Decimal::ONE,
                unit_price,
                subtotal: unit_price,
                discount_total: Decimal::ZERO,
                tax_total: Decimal::ZERO,
                total: unit_price,
            }
        })
        .collect();
    let total = lines.iter().map(|l| l.total).sum();
    let order = Order {
        id: OrderId::new(),
        cart_id: None,
        customer_id: None,
        email: Some("bench@example.com".into()),
        currency: Currency::Usd,
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
            item_count: dec!(2),
            ..OrderTotals::default()
        },
        history: vec![HistoryEntry {
            at: now,
            actor: Actor::System,
            change: OrderChange::Placed,
        }],
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let key = IdempotencyKey {
        key: format!("bench-{}", order.id),
        fingerprint: "bench".into(),
    };
    let draft = OrderDraft {
        order,
        redemptions: Vec::new(),
        consume_cart: None,
    };
    (draft, key)
}

async fn seeded(location: Location, synchronous: Synchronous) -> (SqliteStore, Product) {
    let options = SqliteOptions {
        synchronous,
        ..SqliteOptions::default()
    };
    let store = SqliteStore::open_location(location, options)
        .await
        .expect("open");
    let variants = (0..4)
        .map(|i| {
            let mut v = Variant::new(format!("BENCH-{i}"), Currency::Usd, dec!(19.99));
            v.stock = dec!(1000000000);
            v
        })
        .collect();
    let mut product = Product::new("Bench tee", variants);
    product.status = ProductStatus::Active;
    let product = store.put_product(product).await.expect("seed");
    (store, product)
}

fn checkouts(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut group = c.benchmark_group("checkout");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(5));
    let setups = [
        ("wal_normal", Synchronous::Normal, true),
        ("wal_full", Synchronous::Full, true),
        ("memory", Synchronous::Normal, false),
    ];
    for (name, synchronous, on_disk) in setups {
        let location = if on_disk {
            Location::File(dir.path().join(format!("{name}.db")))
        } else {
            Location::Memory
        };
        let (store, product) = rt.block_on(seeded(location, synchronous));
        let product = Arc::new(product);
        for callers in [1u64, 8] {
            group.bench_with_input(BenchmarkId::new(name, callers), &callers, |b, &callers| {
                b.iter_custom(|iters| {
                    let per_caller = iters.div_ceil(callers);
                    let batches: Vec<Vec<_>> = (0..callers)
                        .map(|c| {
                            (0..per_caller)
                                .map(|n| draft(&product, c * per_caller + n))
                                .collect()
                        })
                        .collect();
                    rt.block_on(async {
                        let start = Instant::now();
                        let tasks: Vec<_> = batches
                            .into_iter()
                            .map(|batch| {
                                let store = store.clone();
                                tokio::spawn(async move {
                                    for (d, key) in batch {
                                        store.place_order(d, Some(key)).await.expect("checkout");
                                    }
                                })
                            })
                            .collect();
                        for t in tasks {
                            t.await.expect("caller");
                        }
                        // Scaled to exactly `iters` checkouts.
                        start
                            .elapsed()
                            .mul_f64(iters as f64 / (per_caller * callers) as f64)
                    })
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, checkouts);
criterion_main!(benches);
