//! `merx-embed`: the Merx engine embedded in a Rust program on an SQLite file, with no server.
//!
//! `merx-embed [sqlite://path/to/shop.db]` (default `sqlite://merx-embed.db`) sets up a small
//! catalog (a category, a tee in two sizes, a coupon, flat shipping), fills a cart, checks it out,
//! authorizes and captures the payment with the built-in test gateway, moves the order through
//! processing, shipped and delivered, then reopens the file to show that everything persisted.
//! Run it twice on one file and the second run sells from the stock the first left.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use merx_core::cart::{Address, Cart};
use merx_core::catalog::{Category, CategoryTree, Product, ProductStatus, Variant};
use merx_core::checkout::{CheckoutRequest, CheckoutService};
use merx_core::clock::{Clock, SystemClock};
use merx_core::order::{Actor, OrderService};
use merx_core::payment::{test_cards, PaymentMethod, PaymentProcessor, Sleeper, TestGateway};
use merx_core::promotion::{Promotion, PromotionEffect, Target};
use merx_core::search::ProductSearch;
use merx_core::shipping::ShippingMethod;
use merx_core::store::{
    CartStore, CatalogStore, EventStore, InventoryStore, OrderStore, SearchStore, SettingsStore,
    Store,
};
use merx_core::Currency;
use merx_sqlite::SqliteStore;
use rust_decimal_macros::dec;

/// Retry back-off for the payment processor, on the tokio timer.
#[derive(Debug)]
struct TokioSleeper;

#[async_trait]
impl Sleeper for TokioSleeper {
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// The catalog, created on the first run and found again on later runs.
async fn catalog(store: &SqliteStore) -> Result<Product, Failure> {
    if let Ok(product) = store.get_product_by_slug("organic-tee").await {
        return Ok(product);
    }
    let shirts = store.put_category(Category::new("Shirts")).await?;
    let mut small = Variant::new("TEE-ORG-S", Currency::Usd, dec!(25.00));
    small.title = "Small".into();
    small.stock = dec!(20);
    let mut large = Variant::new("TEE-ORG-L", Currency::Usd, dec!(27.00));
    large.title = "Large".into();
    large.stock = dec!(20);
    let mut tee = Product::new("Organic tee", vec![small, large]);
    tee.description = "Soft organic cotton jersey.".into();
    tee.status = ProductStatus::Active;
    tee.category_ids = vec![shirts.id];
    let tee = store.put_product(tee).await?;
    let mut coupon = Promotion::new(
        "Ten percent off",
        PromotionEffect::PercentageOff {
            percent: dec!(10),
            target: Target::Order,
        },
    );
    coupon.coupon_code = Some("WELCOME10".into());
    store.put_promotion(coupon).await?;
    store
        .put_shipping_method(ShippingMethod::flat("Ground", Currency::Usd, dec!(5.00)))
        .await?;
    Ok(tee)
}

async fn run(url: &str) -> Result<(), Failure> {
    let store = SqliteStore::open(url).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let shared: Arc<dyn Store> = Arc::new(store.clone());
    let tee = catalog(&store).await?;
    let found = store
        .search_products(&{
            let mut q = ProductSearch::storefront(Currency::Usd);
            q.text = Some("organic".into());
            q
        })
        .await?;
    println!("search \"organic\": {} product(s)", found.total);

    let mut cart = Cart::new(Currency::Usd, None, clock.now());
    let tree = CategoryTree::new(store.list_categories().await?)?;
    cart.add_item(&tee, tee.variants[0].id, dec!(2), Some(&tree), clock.now())?;
    cart.add_item(&tee, tee.variants[1].id, dec!(1), Some(&tree), clock.now())?;
    cart.apply_coupon("welcome10", clock.now())?;
    cart.set_shipping_address(
        Some(Address {
            name: "Ada Lovelace".into(),
            line1: "12 St James's Square".into(),
            city: "Portland".into(),
            region: Some("OR".into()),
            postal_code: "97201".into(),
            ..Address::in_country("US")
        }),
        clock.now(),
    )?;
    let ground = store.list_shipping_methods().await?;
    cart.set_shipping_method(ground.first().map(|m| m.id), clock.now());
    let cart = store.create_cart(cart).await?;

    let checkout = CheckoutService::new(shared.clone(), clock.clone());
    let order = checkout
        .checkout(
            CheckoutRequest {
                cart_id: cart.id,
                email: Some("ada@example.com".into()),
                idempotency_key: Some(format!("embed-{}", cart.id)),
            },
            Actor::Guest,
        )
        .await?;
    println!(
        "order {}: {} items, total {} {} ({} off)",
        order.id,
        order.totals.item_count,
        order.totals.total,
        order.currency.code(),
        order.totals.discount_total
    );

    let payments = Arc::new(PaymentProcessor::new(
        shared.clone(),
        Arc::new(TestGateway::new()),
        Arc::new(TokioSleeper),
        clock.clone(),
    ));
    let card = PaymentMethod::new(test_cards::SUCCEEDS);
    payments.authorize(order.id, &card, Actor::System).await?;
    payments.capture(order.id, Actor::System).await?;
    let orders = OrderService::new(shared.clone(), payments, clock.clone());
    orders.start_processing(order.id, Actor::System).await?;
    orders
        .ship(order.id, Some("1Z999AA10123456784".into()), Actor::System)
        .await?;
    let delivered = orders.deliver(order.id, Actor::System).await?;
    println!(
        "order {} is {} (payment {}), {} history entries",
        delivered.id,
        delivered.status.as_str(),
        delivered.payment.status.as_str(),
        delivered.history.len()
    );
    drop(orders);
    drop(checkout);
    drop(shared);
    drop(store);

    // A fresh store on the same file sees everything the first one committed.
    let reopened = SqliteStore::open(url).await?;
    let stored = reopened.get_order(order.id).await?;
    assert_eq!(stored, delivered, "the order persisted as last written");
    let small = reopened.stock_level(tee.variants[0].id).await?;
    let events = reopened.events_after(0, u32::MAX).await?;
    println!(
        "reopened: order {} {}, {} left of {}, {} outbox events",
        stored.id,
        stored.status.as_str(),
        small.stock,
        small.sku,
        events.len()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sqlite://merx-embed.db".to_string());
    match run(&url).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("merx-embed: {err}");
            ExitCode::FAILURE
        }
    }
}
