//! The sample data the conformance checks build on, public so that a store's own tests (in this
//! workspace or in a third-party crate) can set up the same catalog, users, orders and reviews
//! the suite uses, and so that a check that fails can be reproduced by hand.
//!
//! Everything is deterministic except ids: timestamps come from [`at`], prices are USD.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::catalog::{Category, Product, ProductStatus, Variant};
use crate::clock::FixedClock;
use crate::ids::{CategoryId, OrderId, OrderLineId, ProductId, ReviewId, UserId};
use crate::money::Currency;
use crate::order::{
    Actor, FulfillmentStatus, HistoryEntry, Order, OrderChange, OrderDraft, OrderLine,
    OrderPayment, OrderService, OrderStatus, OrderTotals,
};
use crate::payment::{PaymentProcessor, RecordingSleeper, TestGateway};
use crate::promotion::{Promotion, PromotionEffect, Target};
use crate::review::{Review, ReviewStatus};
use crate::store::Store;
use crate::user::{Role, User, UserStatus};

/// A fixed instant `minutes` after 2026-01-01T00:00Z. Every timestamp the checks write comes
/// from here, so what a store returns can be compared exactly.
pub fn at(minutes: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).expect("valid timestamp")
        + Duration::minutes(minutes)
}

/// An active product named `name` with one variant `sku`: 10.00 USD, `stock` units on hand,
/// backorders as given; created at [`at`]`(0)`.
pub fn product(name: &str, sku: &str, stock: Decimal, allow_backorder: bool) -> Product {
    let mut variant = Variant::new(sku, Currency::Usd, dec!(10.00));
    variant.stock = stock;
    variant.allow_backorder = allow_backorder;
    let mut product = Product::new(name, vec![variant]);
    product.status = ProductStatus::Active;
    product.created_at = at(0);
    product.updated_at = at(0);
    product
}

/// An order line of `quantity` units of `product`'s first variant at its USD price, without
/// discount or tax.
pub fn line(product: &Product, quantity: Decimal) -> OrderLine {
    let variant = &product.variants[0];
    let subtotal = variant.prices[&Currency::Usd] * quantity;
    OrderLine {
        id: OrderLineId::new(),
        product_id: product.id,
        variant_id: variant.id,
        sku: variant.sku.clone(),
        name: product.name.clone(),
        quantity,
        unit_price: variant.prices[&Currency::Usd],
        subtotal,
        discount_total: Decimal::ZERO,
        tax_total: Decimal::ZERO,
        total: subtotal,
    }
}

/// A pending USD order of `lines` (totals summed from them) for `customer_id`, placed at
/// [`at`]`(1)`, version 1.
pub fn order(lines: Vec<OrderLine>, customer_id: Option<UserId>) -> Order {
    let total: Decimal = lines.iter().map(|l| l.total).sum();
    let item_count: Decimal = lines.iter().map(|l| l.quantity).sum();
    Order {
        id: OrderId::new(),
        cart_id: None,
        customer_id,
        email: None,
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
            item_count,
            ..OrderTotals::default()
        },
        history: vec![HistoryEntry {
            at: at(1),
            actor: Actor::System,
            change: OrderChange::Placed,
        }],
        created_at: at(1),
        updated_at: at(1),
        version: 1,
    }
}

/// What checkout hands [`place_order`](crate::store::OrderStore::place_order) for [`order`]:
/// no promotion redemptions, no cart to consume.
pub fn draft(lines: Vec<OrderLine>, customer_id: Option<UserId>) -> OrderDraft {
    OrderDraft {
        order: order(lines, customer_id),
        redemptions: Vec::new(),
        consume_cart: None,
    }
}

/// An active customer with `email` and a placeholder password hash, created at
/// [`at`]`(created_minute)`.
pub fn user(email: &str, created_minute: i64) -> User {
    User {
        id: UserId::new(),
        email: email.to_string(),
        name: "Test User".into(),
        password_hash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA".into(),
        roles: vec![Role::Customer],
        status: UserStatus::Active,
        created_at: at(created_minute),
        updated_at: at(created_minute),
        deleted_at: None,
        session_generation: 0,
    }
}

/// The stock of `product`'s first variant as the store reports it.
pub async fn stock_of(store: &Arc<dyn Store>, product: &Product) -> Decimal {
    store
        .stock_level(product.variants[0].id)
        .await
        .expect("stock level")
        .stock
}

/// Every event in the store's outbox, in sequence order.
pub async fn all_events(store: &Arc<dyn Store>) -> Vec<crate::event::OutboxEvent> {
    store.events_after(0, u32::MAX).await.expect("events")
}

/// A ten percent discount on the order, redeemed with `code` when one is given.
pub fn ten_percent(code: Option<&str>) -> Promotion {
    let mut promotion = Promotion::new(
        "Ten off",
        PromotionEffect::PercentageOff {
            percent: dec!(10),
            target: Target::Order,
        },
    );
    promotion.coupon_code = code.map(str::to_string);
    promotion
}

/// An [`OrderService`] over `store`, paying through a [`TestGateway`] with a recording sleeper
/// and a clock fixed at [`at`]`(10)`.
pub fn order_service(store: &Arc<dyn Store>) -> OrderService {
    let clock = Arc::new(FixedClock::new(at(10)));
    let payments = PaymentProcessor::new(
        store.clone(),
        Arc::new(TestGateway::new()),
        Arc::new(RecordingSleeper::default()),
        clock.clone(),
    );
    OrderService::new(store.clone(), Arc::new(payments), clock)
}

/// A visible four-star review by `user_id` of `product_id`, written at [`at`]`(minute)`.
pub fn review(user_id: UserId, product_id: ProductId, minute: i64) -> Review {
    Review {
        id: ReviewId::new(),
        product_id,
        user_id,
        rating: 4,
        title: "Good".into(),
        body: "Soft fabric.".into(),
        verified_purchase: false,
        status: ReviewStatus::Visible,
        moderated_by: None,
        created_at: at(minute),
        updated_at: at(minute),
    }
}

/// A small catalog for the search checks: categories Apparel > Shirts and Kitchen; products
/// created one minute apart (tee oldest).
pub async fn search_catalog(store: &Arc<dyn Store>) -> (Category, Category, Vec<Product>) {
    let apparel = Category::new("Apparel");
    let shirts = Category::child_of(apparel.id, "Shirts");
    let kitchen = Category::new("Kitchen");
    for c in [&apparel, &shirts, &kitchen] {
        store.put_category(c.clone()).await.unwrap();
    }
    let make =
        |name: &str, sku: &str, usd: Decimal, stock: Decimal, category: CategoryId, minute| {
            let mut p = product(name, sku, stock, false);
            p.variants[0].prices.insert(Currency::Usd, usd);
            p.category_ids = vec![category];
            p.created_at = at(minute);
            p.updated_at = at(minute);
            p
        };
    let mut tee = make(
        "Organic cotton tee",
        "TEE-ORG",
        dec!(25.00),
        dec!(5),
        shirts.id,
        1,
    );
    tee.description = "Soft jersey knit.".into();
    tee.variants[0].prices.insert(Currency::Eur, dec!(23.00));
    let linen = make(
        "Linen shirt",
        "SHIRT-LIN",
        dec!(60.00),
        dec!(0),
        shirts.id,
        2,
    );
    let mut mug = make(
        "Ceramic mug",
        "MUG-001",
        dec!(12.00),
        dec!(3),
        kitchen.id,
        3,
    );
    mug.description = "Wrapped in an organic cotton sleeve.".into();
    let mut scarf = make("Wool scarf", "SCARF-W", dec!(35.00), dec!(0), apparel.id, 4);
    scarf.variants[0].allow_backorder = true;
    let mut draft = make(
        "Secret cotton tee",
        "TEE-SEC",
        dec!(30.00),
        dec!(9),
        shirts.id,
        5,
    );
    draft.status = ProductStatus::Draft;
    let all = vec![tee, linen, mug, scarf, draft];
    for p in &all {
        store.put_product(p.clone()).await.unwrap();
    }
    (apparel, shirts, all)
}
