//! The store conformance suite: what every [`Store`] must do, as async tests.
//!
//! Each check is a public `async fn(Arc<dyn Store>, Spawn)`; [`conformance_tests!`](crate::conformance_tests)
//! turns the whole list into one `#[tokio::test]` per check, each on a fresh store from the
//! backend's factory. The core has no runtime, so the concurrency checks receive a [`Spawn`]
//! function from the invoking crate (the macro passes `tokio::spawn`) and race real tasks on
//! several threads.
//!
//! ```ignore
//! // adapters/sqlite/tests/conformance.rs
//! use merx_sqlite::SqliteStore;
//! merx_core::conformance_tests!(|| async { SqliteStore::open_in_memory().await.unwrap() });
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::cart::Cart;
use crate::catalog::{Category, Product, ProductStatus, Variant};
use crate::clock::FixedClock;
use crate::event::{EventPayload, NewEvent};
use crate::ids::{
    CategoryId, EventId, OrderId, OrderLineId, ProductId, ReviewId, TransactionId, UserId,
    VariantId,
};
use crate::money::{Currency, RoundingMode};
use crate::order::{
    Actor, ConsumedCart, FulfillmentStatus, HistoryEntry, Order, OrderChange, OrderDraft,
    OrderLine, OrderPayment, OrderPromotion, OrderService, OrderStatus, OrderTotals,
    PromotionRedemption,
};
use crate::payment::{
    PaymentProcessor, PaymentTransaction, RecordingSleeper, TestGateway, TransactionKind,
    TransactionStatus,
};
use crate::promotion::{Promotion, PromotionEffect, Target};
use crate::review::{Review, ReviewStatus};
use crate::search::{ProductSearch, ProductSort};
use crate::shipping::ShippingMethod;
use crate::store::{
    IdempotencyKey, OrderFilter, OrderUpdate, Page, PricingSettings, ProductFilter, StorageError,
    Store,
};
use crate::tax::TaxSettings;
use crate::user::{PasswordReset, Role, User, UserStatus};
use crate::ErrorCode;

mod exactly_once;
pub use exactly_once::*;

/// A boxed task for [`Spawn`].
pub type Task = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Runs a task on the invoking crate's runtime and returns a future that completes with it
/// (panicking if the task panicked).
pub type Spawn<'a> = &'a (dyn Fn(Task) -> Task + Sync);

/// Generates one `#[tokio::test]` per conformance check, inside a module `merx_conformance`.
///
/// `$factory` is an expression callable with no arguments that returns a future of a fresh,
/// isolated store (any type implementing [`Store`]). The invoking crate needs `tokio` with the
/// `macros` and `rt-multi-thread` features.
///
/// `conformance_tests!(optional $factory)` is for backends that need a service the machine may
/// lack (a database server): the factory's future yields an `Option` of a store, and `None`
/// passes the check without running it (the factory has printed why).
#[macro_export]
macro_rules! conformance_tests {
    (optional $factory:expr) => {
        $crate::conformance_tests!(@all optional $factory);
    };
    ($factory:expr) => {
        $crate::conformance_tests!(@all required $factory);
    };
    (@all $mode:ident $factory:expr) => {
        $crate::conformance_tests!(@checks $mode $factory;
            catalog_products_round_trip,
            catalog_refuses_taken_slugs_and_skus,
            catalog_replacing_a_product_keeps_its_stock,
            catalog_categories_round_trip,
            inventory_adjustments_never_go_below_zero_without_backorder,
            inventory_set_stock_replaces_the_level,
            settings_promotions_round_trip,
            settings_pricing_and_shipping_round_trip,
            settings_refuse_a_stale_pricing_write,
            carts_round_trip_with_versions,
            place_order_reserves_stock_and_writes_everything,
            place_order_is_all_or_nothing,
            place_order_allows_backorders,
            concurrent_checkouts_never_oversell,
            idempotent_checkout_returns_the_first_order,
            promotion_usage_limits_hold_under_races,
            place_order_refuses_a_changed_cart,
            update_order_checks_versions_and_releases_stock,
            order_service_rejects_every_illegal_transition,
            cancelling_an_order_returns_its_stock,
            cancelling_an_order_gives_back_promotion_uses,
            orders_list_filter_and_purchase_check,
            users_round_trip,
            users_keep_their_session_generation,
            password_resets_are_single_use,
            reviews_round_trip,
            payment_transactions_round_trip,
            idempotency_claims_complete_with_the_effect,
            concurrent_refunds_with_one_key_move_money_once,
            one_key_with_two_bodies_takes_effect_once,
            concurrent_checkouts_with_one_key_get_one_order,
            concurrent_payments_authorize_and_capture_once,
            concurrent_cancellations_refund_and_release_once,
            outbox_sequences_and_delivery_cursors,
            leases_have_one_holder_at_a_time,
            search_matches_text_by_relevance,
            search_filters_sorts_and_pages,
        );
    };
    (@store required $store:expr) => {
        ::std::option::Option::Some($store)
    };
    (@store optional $store:expr) => {
        $store
    };
    (@checks $mode:ident $factory:expr; $($check:ident),+ $(,)?) => {
        mod merx_conformance {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $check() {
                    let factory = $factory;
                    let ::std::option::Option::Some(store) = $crate::conformance_tests!(@store $mode factory().await) else {
                        return;
                    };
                    let store: ::std::sync::Arc<dyn $crate::store::Store> = ::std::sync::Arc::new(store);
                    let spawn = |task: $crate::conformance::Task| -> $crate::conformance::Task {
                        let handle = ::tokio::spawn(task);
                        ::std::boxed::Box::pin(async move { handle.await.expect("conformance task panicked") })
                    };
                    $crate::conformance::$check(store, &spawn).await;
                }
            )+
        }
    };
}

fn at(minutes: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).expect("valid timestamp")
        + Duration::minutes(minutes)
}

fn product(name: &str, sku: &str, stock: Decimal, allow_backorder: bool) -> Product {
    let mut variant = Variant::new(sku, Currency::Usd, dec!(10.00));
    variant.stock = stock;
    variant.allow_backorder = allow_backorder;
    let mut product = Product::new(name, vec![variant]);
    product.status = ProductStatus::Active;
    product.created_at = at(0);
    product.updated_at = at(0);
    product
}

fn line(product: &Product, quantity: Decimal) -> OrderLine {
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

fn order(lines: Vec<OrderLine>, customer_id: Option<UserId>) -> Order {
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

fn draft(lines: Vec<OrderLine>, customer_id: Option<UserId>) -> OrderDraft {
    OrderDraft {
        order: order(lines, customer_id),
        redemptions: Vec::new(),
        consume_cart: None,
    }
}

fn user(email: &str, created_minute: i64) -> User {
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

async fn stock_of(store: &Arc<dyn Store>, product: &Product) -> Decimal {
    store
        .stock_level(product.variants[0].id)
        .await
        .expect("stock level")
        .stock
}

async fn all_events(store: &Arc<dyn Store>) -> Vec<crate::event::OutboxEvent> {
    store.events_after(0, u32::MAX).await.expect("events")
}

/// put/get/slug/SKU/list/delete of products, with their `ProductChanged` events.
pub async fn catalog_products_round_trip(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let shirts = Category::new("Shirts");
    let mut tee = product("Classic Tee", "TEE-M", dec!(5), false);
    tee.category_ids = vec![shirts.id];
    let mut mug = product("Mug", "MUG-1", dec!(3), false);
    mug.status = ProductStatus::Draft;
    mug.created_at = at(5);
    let mut cap = product("Cap", "CAP-1", dec!(1), false);
    cap.created_at = at(10);
    for p in [&tee, &mug, &cap] {
        assert_eq!(&store.put_product(p.clone()).await.unwrap(), p);
    }
    assert_eq!(store.get_product(tee.id).await.unwrap(), tee);
    assert_eq!(
        store.get_product_by_slug("classic-tee").await.unwrap().id,
        tee.id
    );
    assert_eq!(
        store.find_product_by_sku("tee-m").await.unwrap().id,
        tee.id,
        "SKU lookup is case-insensitive"
    );

    let all = store
        .list_products(&ProductFilter::default())
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![tee.id, mug.id, cap.id],
        "oldest first"
    );
    let active = ProductFilter {
        status: Some(ProductStatus::Active),
        ..ProductFilter::default()
    };
    assert_eq!(store.list_products(&active).await.unwrap().len(), 2);
    let in_shirts = ProductFilter {
        category_id: Some(shirts.id),
        ..ProductFilter::default()
    };
    assert_eq!(
        store
            .list_products(&in_shirts)
            .await
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect::<Vec<_>>(),
        vec![tee.id]
    );
    let second_page = ProductFilter {
        page: Page {
            offset: 1,
            limit: 1,
        },
        ..ProductFilter::default()
    };
    assert_eq!(
        store
            .list_products(&second_page)
            .await
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect::<Vec<_>>(),
        vec![mug.id]
    );

    store.delete_product(mug.id).await.unwrap();
    assert!(matches!(
        store.get_product(mug.id).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.find_product_by_sku("MUG-1").await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.get_product_by_slug("mug").await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.delete_product(mug.id).await,
        Err(StorageError::NotFound { .. })
    ));

    let changes: Vec<(ProductId, bool)> = all_events(&store)
        .await
        .into_iter()
        .filter_map(|e| match e.payload {
            EventPayload::ProductChanged {
                product_id,
                deleted,
            } => Some((product_id, deleted)),
            _ => None,
        })
        .collect();
    assert_eq!(
        changes,
        vec![
            (tee.id, false),
            (mug.id, false),
            (cap.id, false),
            (mug.id, true)
        ]
    );
}

/// A slug or SKU owned by another product is a conflict; the product's own are not.
pub async fn catalog_refuses_taken_slugs_and_skus(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let tee = product("Classic Tee", "TEE-M", dec!(5), false);
    store.put_product(tee.clone()).await.unwrap();
    let same_slug = product("Classic Tee", "OTHER-1", dec!(5), false);
    assert!(matches!(
        store.put_product(same_slug).await,
        Err(StorageError::Conflict { .. })
    ));
    let same_sku = product("Another Tee", "tee-m", dec!(5), false);
    assert!(matches!(
        store.put_product(same_sku).await,
        Err(StorageError::Conflict { .. })
    ));
    let mut renamed = tee.clone();
    renamed.name = "Classic Tee v2".into();
    store.put_product(renamed).await.unwrap();
    assert_eq!(
        store
            .list_products(&ProductFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
}

/// Replacing a product does not overwrite stock sold in the meantime.
pub async fn catalog_replacing_a_product_keeps_its_stock(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let tee = product("Classic Tee", "TEE-M", dec!(5), false);
    store.put_product(tee.clone()).await.unwrap();
    store
        .place_order(draft(vec![line(&tee, dec!(2))], None), None)
        .await
        .unwrap();
    let mut edited = tee.clone();
    edited.description = "Heavier cotton".into();
    edited.variants[0].stock = dec!(5);
    let mut added = Variant::new("TEE-L", Currency::Usd, dec!(11.00));
    added.stock = dec!(7);
    edited.variants.push(added.clone());
    let stored = store.put_product(edited).await.unwrap();
    assert_eq!(stored.variants[0].stock, dec!(3));
    assert_eq!(
        store.get_product(tee.id).await.unwrap().description,
        "Heavier cotton"
    );
    assert_eq!(stock_of(&store, &tee).await, dec!(3));
    assert_eq!(store.stock_level(added.id).await.unwrap().stock, dec!(7));
}

/// put/list/delete of categories.
pub async fn catalog_categories_round_trip(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let clothing = Category::new("Clothing");
    let mut shirts = Category::child_of(clothing.id, "Shirts");
    store.put_category(clothing.clone()).await.unwrap();
    store.put_category(shirts.clone()).await.unwrap();
    let all = store.list_categories().await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(all.contains(&clothing) && all.contains(&shirts));
    shirts.name = "Tops".into();
    store.put_category(shirts.clone()).await.unwrap();
    assert!(store.list_categories().await.unwrap().contains(&shirts));
    store.delete_category(clothing.id).await.unwrap();
    assert_eq!(store.list_categories().await.unwrap(), vec![shirts]);
    assert!(matches!(
        store.delete_category(clothing.id).await,
        Err(StorageError::NotFound { .. })
    ));
}

/// `stock_level` and `adjust_stock`, the zero floor, backorders and `InventoryUpdated`.
pub async fn inventory_adjustments_never_go_below_zero_without_backorder(
    store: Arc<dyn Store>,
    _spawn: Spawn<'_>,
) {
    let tee = product("Classic Tee", "TEE-M", dec!(2), false);
    let pre = product("Preorder", "PRE-1", dec!(0), true);
    store.put_product(tee.clone()).await.unwrap();
    store.put_product(pre.clone()).await.unwrap();
    let level = store.stock_level(tee.variants[0].id).await.unwrap();
    assert_eq!(
        (
            level.product_id,
            level.sku.as_str(),
            level.stock,
            level.allow_backorder
        ),
        (tee.id, "TEE-M", dec!(2), false)
    );

    assert_eq!(
        store
            .adjust_stock(tee.variants[0].id, dec!(3))
            .await
            .unwrap()
            .stock,
        dec!(5)
    );
    assert_eq!(
        store
            .adjust_stock(tee.variants[0].id, dec!(-5))
            .await
            .unwrap()
            .stock,
        dec!(0)
    );
    let refused = store.adjust_stock(tee.variants[0].id, dec!(-1)).await;
    assert!(
        matches!(refused, Err(StorageError::OutOfStock { requested, available, .. }) if requested == dec!(1) && available == dec!(0))
    );
    assert_eq!(stock_of(&store, &tee).await, dec!(0));
    assert_eq!(
        store
            .adjust_stock(pre.variants[0].id, dec!(-4))
            .await
            .unwrap()
            .stock,
        dec!(-4)
    );
    assert!(matches!(
        store.stock_level(VariantId::new()).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.adjust_stock(VariantId::new(), dec!(1)).await,
        Err(StorageError::NotFound { .. })
    ));

    let updates: Vec<Decimal> = all_events(&store)
        .await
        .into_iter()
        .filter_map(|e| match e.payload {
            EventPayload::InventoryUpdated { stock, .. } => Some(stock),
            _ => None,
        })
        .collect();
    assert_eq!(
        updates,
        vec![dec!(5), dec!(0), dec!(-4)],
        "one event per applied adjustment, none for the refused one"
    );
}

/// `set_stock`: an absolute level in one write, the zero floor without backorders, fractional
/// measures, unknown variants and one `InventoryUpdated` per applied write.
pub async fn inventory_set_stock_replaces_the_level(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let tee = product("Classic Tee", "TEE-M", dec!(7), false);
    let pre = product("Preorder", "PRE-1", dec!(0), true);
    store.put_product(tee.clone()).await.unwrap();
    store.put_product(pre.clone()).await.unwrap();
    let tee_variant = tee.variants[0].id;

    let level = store.set_stock(tee_variant, dec!(25)).await.unwrap();
    assert_eq!((level.sku.as_str(), level.stock), ("TEE-M", dec!(25)));
    assert_eq!(
        store.set_stock(tee_variant, dec!(0)).await.unwrap().stock,
        dec!(0)
    );
    let refused = store.set_stock(tee_variant, dec!(-2)).await;
    assert!(
        matches!(refused, Err(StorageError::OutOfStock { requested, .. }) if requested == dec!(2)),
        "{refused:?}"
    );
    assert_eq!(stock_of(&store, &tee).await, dec!(0));
    assert_eq!(
        store
            .set_stock(pre.variants[0].id, dec!(-3))
            .await
            .unwrap()
            .stock,
        dec!(-3)
    );
    // Six decimals is what a sold-by-measure variant may carry; every store keeps them exactly.
    assert_eq!(
        store
            .set_stock(tee_variant, dec!(12.345678))
            .await
            .unwrap()
            .stock,
        dec!(12.345678)
    );
    assert_eq!(
        store.stock_level(tee_variant).await.unwrap().stock,
        dec!(12.345678)
    );
    assert!(matches!(
        store.set_stock(VariantId::new(), dec!(1)).await,
        Err(StorageError::NotFound { .. })
    ));
    // A later adjustment starts from the level that was set.
    assert_eq!(
        store
            .adjust_stock(tee_variant, dec!(-0.345678))
            .await
            .unwrap()
            .stock,
        dec!(12)
    );

    let updates: Vec<Decimal> = all_events(&store)
        .await
        .into_iter()
        .filter_map(|e| match e.payload {
            EventPayload::InventoryUpdated { stock, .. } => Some(stock),
            _ => None,
        })
        .collect();
    assert_eq!(
        updates,
        vec![dec!(25), dec!(0), dec!(-3), dec!(12.345678), dec!(12)],
        "one event per applied write, none for the refused or unknown ones"
    );
}

fn ten_percent(code: Option<&str>) -> Promotion {
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

/// put/get/find-by-coupon/list/delete of promotions; coupon codes are unique.
pub async fn settings_promotions_round_trip(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let mut automatic = ten_percent(None);
    automatic.priority = 5;
    let coupon = ten_percent(Some("SAVE10"));
    store.put_promotion(automatic.clone()).await.unwrap();
    store.put_promotion(coupon.clone()).await.unwrap();
    assert_eq!(store.get_promotion(coupon.id).await.unwrap(), coupon);
    assert_eq!(
        store.find_promotion_by_coupon("SAVE10").await.unwrap().id,
        coupon.id
    );
    assert!(matches!(
        store.find_promotion_by_coupon("NOPE").await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.put_promotion(ten_percent(Some("SAVE10"))).await,
        Err(StorageError::Conflict { .. })
    ));
    let listed = store.list_promotions().await.unwrap();
    assert_eq!(listed.len(), 2);
    let mut changed = coupon.clone();
    changed.usage_limit = Some(3);
    store.put_promotion(changed.clone()).await.unwrap();
    assert_eq!(
        store.get_promotion(coupon.id).await.unwrap().usage_limit,
        Some(3)
    );
    store.delete_promotion(automatic.id).await.unwrap();
    assert!(matches!(
        store.get_promotion(automatic.id).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.delete_promotion(automatic.id).await,
        Err(StorageError::NotFound { .. })
    ));
    assert_eq!(store.list_promotions().await.unwrap(), vec![changed]);
}

/// Pricing settings default until saved; shipping methods put/list/delete; `pricing_rules`.
pub async fn settings_pricing_and_shipping_round_trip(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    assert_eq!(
        store.pricing_settings().await.unwrap(),
        PricingSettings::default()
    );
    let settings = PricingSettings {
        tax: TaxSettings {
            prices_include_tax: true,
            ..TaxSettings::default()
        },
        rounding: RoundingMode::HalfEven,
        version: 0,
    };
    let saved = store
        .put_pricing_settings(settings.clone(), 0)
        .await
        .unwrap();
    assert_eq!(saved.version, 1);
    assert_eq!(
        store.pricing_settings().await.unwrap(),
        PricingSettings {
            version: 1,
            ..settings.clone()
        }
    );

    let ground = ShippingMethod::flat("Ground", Currency::Usd, dec!(5.00));
    let express = ShippingMethod::flat("Express", Currency::Usd, dec!(15.00));
    store.put_shipping_method(ground.clone()).await.unwrap();
    store.put_shipping_method(express.clone()).await.unwrap();
    let methods = store.list_shipping_methods().await.unwrap();
    assert_eq!(methods.len(), 2);
    store.delete_shipping_method(express.id).await.unwrap();
    assert!(matches!(
        store.delete_shipping_method(express.id).await,
        Err(StorageError::NotFound { .. })
    ));

    let promotion = ten_percent(None);
    store.put_promotion(promotion.clone()).await.unwrap();
    let rules = store.pricing_rules().await.unwrap();
    assert_eq!(rules.promotions, vec![promotion]);
    assert_eq!(rules.shipping_methods, vec![ground]);
    assert_eq!(rules.tax, settings.tax);
    assert_eq!(rules.rounding, RoundingMode::HalfEven);
}

/// Pricing settings are written conditionally on the version read: a write based on a version
/// that is no longer current is `conflict` and changes nothing, whatever version it claims.
pub async fn settings_refuse_a_stale_pricing_write(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let first = PricingSettings {
        rounding: RoundingMode::HalfEven,
        ..PricingSettings::default()
    };
    let first = store.put_pricing_settings(first, 0).await.unwrap();
    assert_eq!(first.version, 1);
    let second = PricingSettings {
        tax: TaxSettings {
            shipping_taxable: true,
            ..first.tax.clone()
        },
        ..first.clone()
    };
    let second = store.put_pricing_settings(second, 1).await.unwrap();
    assert_eq!(second.version, 2);

    // A writer that read version 1 (or never read at all) lost the race.
    for stale in [0, 1, 3] {
        let lost = PricingSettings {
            tax: TaxSettings {
                prices_include_tax: true,
                ..TaxSettings::default()
            },
            rounding: RoundingMode::Down,
            version: 2,
        };
        assert!(
            matches!(
                store.put_pricing_settings(lost, stale).await,
                Err(StorageError::Conflict { .. })
            ),
            "a write based on version {stale} was accepted at version 2"
        );
    }
    assert_eq!(store.pricing_settings().await.unwrap(), second);
    assert_eq!(store.pricing_rules().await.unwrap().tax, second.tax);

    let third = store.put_pricing_settings(second.clone(), 2).await.unwrap();
    assert_eq!(third.version, 3);
    assert_eq!(store.pricing_settings().await.unwrap(), third);
}

/// Carts: create (unique), get, optimistic save, latest of a customer, delete.
pub async fn carts_round_trip_with_versions(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let customer = UserId::new();
    let older = Cart::new(Currency::Usd, Some(customer), at(0));
    let mut cart = Cart::new(Currency::Usd, Some(customer), at(1));
    store.create_cart(older.clone()).await.unwrap();
    store.create_cart(cart.clone()).await.unwrap();
    assert!(matches!(
        store.create_cart(cart.clone()).await,
        Err(StorageError::Conflict { .. })
    ));
    assert_eq!(store.get_cart(cart.id).await.unwrap(), cart);
    assert_eq!(
        store.latest_cart_of_customer(customer).await.unwrap().id,
        cart.id
    );
    assert!(matches!(
        store.latest_cart_of_customer(UserId::new()).await,
        Err(StorageError::NotFound { .. })
    ));

    let read_at = cart.version;
    cart.apply_coupon("save10", at(2)).unwrap();
    let saved = store.save_cart(cart.clone(), read_at).await.unwrap();
    assert_eq!(saved.coupon_codes, vec!["SAVE10".to_string()]);
    assert_eq!(store.get_cart(cart.id).await.unwrap().version, cart.version);
    let mut stale = cart.clone();
    stale.remove_coupon("SAVE10", at(3)).unwrap();
    assert!(matches!(
        store.save_cart(stale, read_at).await,
        Err(StorageError::Conflict { .. })
    ));
    assert_eq!(
        store.get_cart(cart.id).await.unwrap().coupon_codes.len(),
        1,
        "a stale save changes nothing"
    );

    store.delete_cart(cart.id).await.unwrap();
    assert!(matches!(
        store.get_cart(cart.id).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.delete_cart(cart.id).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.save_cart(cart.clone(), cart.version).await,
        Err(StorageError::NotFound { .. })
    ));
}

/// A placed order: stock reserved, order and history stored, usage counted, cart consumed,
/// `OrderPlaced` appended.
pub async fn place_order_reserves_stock_and_writes_everything(
    store: Arc<dyn Store>,
    _spawn: Spawn<'_>,
) {
    let tee = product("Classic Tee", "TEE-M", dec!(5), false);
    let mug = product("Mug", "MUG-1", dec!(4), false);
    store.put_product(tee.clone()).await.unwrap();
    store.put_product(mug.clone()).await.unwrap();
    let promotion = ten_percent(Some("SAVE10"));
    store.put_promotion(promotion.clone()).await.unwrap();
    let customer = UserId::new();
    let cart = Cart::new(Currency::Usd, Some(customer), at(0));
    store.create_cart(cart.clone()).await.unwrap();

    let mut d = draft(
        vec![
            line(&tee, dec!(2)),
            line(&mug, dec!(1)),
            line(&tee, dec!(1)),
        ],
        Some(customer),
    );
    d.redemptions = vec![PromotionRedemption {
        promotion_id: promotion.id,
        coupon_code: Some("SAVE10".into()),
        usage_limit: None,
        per_customer_limit: None,
    }];
    d.consume_cart = Some(ConsumedCart {
        cart_id: cart.id,
        version: cart.version,
    });
    let placed = store.place_order(d.clone(), None).await.unwrap();
    assert_eq!(placed, d.order);
    assert_eq!(store.get_order(placed.id).await.unwrap(), d.order);
    assert_eq!(placed.history[0].change, OrderChange::Placed);
    assert_eq!(
        stock_of(&store, &tee).await,
        dec!(2),
        "two lines of one variant both draw on it"
    );
    assert_eq!(stock_of(&store, &mug).await, dec!(3));
    assert!(matches!(
        store.get_cart(cart.id).await,
        Err(StorageError::NotFound { .. })
    ));
    let usage = store.promotion_usage(Some(customer)).await.unwrap();
    assert_eq!(
        (usage[&promotion.id].total, usage[&promotion.id].by_customer),
        (1, 1)
    );
    let guest_view = store.promotion_usage(None).await.unwrap();
    assert_eq!(
        (
            guest_view[&promotion.id].total,
            guest_view[&promotion.id].by_customer
        ),
        (1, 0)
    );
    let placed_events: Vec<_> = all_events(&store)
        .await
        .into_iter()
        .filter(|e| matches!(e.payload, EventPayload::OrderPlaced { order_id, .. } if order_id == placed.id))
        .collect();
    assert_eq!(placed_events.len(), 1);
    assert!(matches!(
        store.get_order(OrderId::new()).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(
        matches!(
            store.place_order(d, None).await,
            Err(StorageError::Conflict { .. })
        ),
        "order ids are unique"
    );
}

/// A refused line or redemption leaves stock, usage, carts, orders and the outbox untouched.
pub async fn place_order_is_all_or_nothing(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let tee = product("Classic Tee", "TEE-M", dec!(5), false);
    let mug = product("Mug", "MUG-1", dec!(1), false);
    store.put_product(tee.clone()).await.unwrap();
    store.put_product(mug.clone()).await.unwrap();
    let cart = Cart::new(Currency::Usd, None, at(0));
    store.create_cart(cart.clone()).await.unwrap();
    let promotion = ten_percent(Some("ONCE"));
    store.put_promotion(promotion.clone()).await.unwrap();
    let events_before = all_events(&store).await.len();

    let mut short = draft(vec![line(&tee, dec!(3)), line(&mug, dec!(2))], None);
    short.consume_cart = Some(ConsumedCart {
        cart_id: cart.id,
        version: cart.version,
    });
    short.redemptions = vec![PromotionRedemption {
        promotion_id: promotion.id,
        coupon_code: Some("ONCE".into()),
        usage_limit: Some(1),
        per_customer_limit: None,
    }];
    let refused = store.place_order(short.clone(), None).await;
    assert!(
        matches!(&refused, Err(StorageError::OutOfStock { sku, requested, available, .. })
        if sku == "MUG-1" && *requested == dec!(2) && *available == dec!(1)),
        "{refused:?}"
    );
    assert_eq!(refused.unwrap_err().code(), ErrorCode::OutOfStock);
    assert_eq!(stock_of(&store, &tee).await, dec!(5));
    assert_eq!(stock_of(&store, &mug).await, dec!(1));
    assert!(store.promotion_usage(None).await.unwrap().is_empty());
    assert!(store.get_cart(cart.id).await.is_ok());
    assert!(matches!(
        store.get_order(short.order.id).await,
        Err(StorageError::NotFound { .. })
    ));
    assert_eq!(all_events(&store).await.len(), events_before);

    let mut unknown = draft(vec![line(&tee, dec!(1))], None);
    unknown.order.lines[0].variant_id = VariantId::new();
    assert!(matches!(
        store.place_order(unknown, None).await,
        Err(StorageError::NotFound { .. })
    ));
    assert_eq!(stock_of(&store, &tee).await, dec!(5));
}

/// A variant with backorders sells past zero.
pub async fn place_order_allows_backorders(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let pre = product("Preorder", "PRE-1", dec!(1), true);
    store.put_product(pre.clone()).await.unwrap();
    store
        .place_order(draft(vec![line(&pre, dec!(3))], None), None)
        .await
        .unwrap();
    assert_eq!(stock_of(&store, &pre).await, dec!(-2));
}

/// 64 concurrent checkouts of one unit against stock 10: exactly 10 succeed, 54 are clean
/// `out_of_stock`, stock ends at zero.
pub async fn concurrent_checkouts_never_oversell(store: Arc<dyn Store>, spawn: Spawn<'_>) {
    let tee = product("Classic Tee", "TEE-M", dec!(10), false);
    store.put_product(tee.clone()).await.unwrap();
    let results = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let store = store.clone();
        let results = results.clone();
        let d = draft(vec![line(&tee, dec!(1))], None);
        tasks.push(spawn(Box::pin(async move {
            let outcome = store.place_order(d, None).await;
            results.lock().expect("results lock").push(outcome);
        })));
    }
    for task in tasks {
        task.await;
    }
    let results = std::mem::take(&mut *results.lock().expect("results lock"));
    let sold = results.iter().filter(|r| r.is_ok()).count();
    let out_of_stock = results
        .iter()
        .filter(|r| matches!(r, Err(StorageError::OutOfStock { .. })))
        .count();
    assert_eq!(
        (sold, out_of_stock),
        (10, 54),
        "{:?}",
        results.iter().filter(|r| r.is_err()).collect::<Vec<_>>()
    );
    assert_eq!(stock_of(&store, &tee).await, dec!(0));
    assert_eq!(
        store
            .list_orders(&OrderFilter {
                page: Page {
                    offset: 0,
                    limit: 100
                },
                ..OrderFilter::default()
            })
            .await
            .unwrap()
            .len(),
        10
    );
}

/// 20 concurrent repeats of one idempotent checkout give one order and one reservation; the key
/// with another fingerprint is `idempotency_conflict`.
pub async fn idempotent_checkout_returns_the_first_order(store: Arc<dyn Store>, spawn: Spawn<'_>) {
    let tee = product("Classic Tee", "TEE-M", dec!(10), false);
    store.put_product(tee.clone()).await.unwrap();
    let key = IdempotencyKey {
        key: "key-1".into(),
        fingerprint: "cart-a".into(),
    };
    let results = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let store = store.clone();
        let results = results.clone();
        let key = key.clone();
        // Each retry is a fresh request: a new order id, the same key.
        let d = draft(vec![line(&tee, dec!(2))], None);
        tasks.push(spawn(Box::pin(async move {
            let outcome = store.place_order(d, Some(key)).await;
            results.lock().expect("results lock").push(outcome);
        })));
    }
    for task in tasks {
        task.await;
    }
    let results = std::mem::take(&mut *results.lock().expect("results lock"));
    let ids: std::collections::HashSet<OrderId> = results
        .iter()
        .map(|r| r.as_ref().expect("every repeat succeeds").id)
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(stock_of(&store, &tee).await, dec!(8));
    assert_eq!(
        store
            .list_orders(&OrderFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
    let placed_events = all_events(&store)
        .await
        .into_iter()
        .filter(|e| e.payload.kind() == "OrderPlaced")
        .count();
    assert_eq!(placed_events, 1);

    let other = IdempotencyKey {
        key: "key-1".into(),
        fingerprint: "cart-b".into(),
    };
    let reused = store
        .place_order(draft(vec![line(&tee, dec!(1))], None), Some(other))
        .await;
    assert!(matches!(
        reused,
        Err(StorageError::IdempotencyConflict { .. })
    ));
    assert_eq!(stock_of(&store, &tee).await, dec!(8));
    let record = store
        .get_idempotency_record(crate::store::CHECKOUT_SCOPE, "key-1")
        .await
        .unwrap()
        .expect("recorded");
    assert_eq!(
        record.resource_id,
        ids.iter().next().map(|id| id.to_string())
    );
}

/// A coupon with a total limit of 1 raced by 8 checkouts is redeemed once; a per-customer limit
/// holds for that customer only.
pub async fn promotion_usage_limits_hold_under_races(store: Arc<dyn Store>, spawn: Spawn<'_>) {
    let tee = product("Classic Tee", "TEE-M", dec!(100), false);
    store.put_product(tee.clone()).await.unwrap();
    let once = ten_percent(Some("ONCE"));
    store.put_promotion(once.clone()).await.unwrap();
    let results = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        let results = results.clone();
        let mut d = draft(vec![line(&tee, dec!(1))], None);
        d.redemptions = vec![PromotionRedemption {
            promotion_id: once.id,
            coupon_code: Some("ONCE".into()),
            usage_limit: Some(1),
            per_customer_limit: None,
        }];
        tasks.push(spawn(Box::pin(async move {
            let outcome = store.place_order(d, None).await;
            results.lock().expect("results lock").push(outcome);
        })));
    }
    for task in tasks {
        task.await;
    }
    let results = std::mem::take(&mut *results.lock().expect("results lock"));
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    for refused in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            matches!(
                refused,
                StorageError::PromotionUsageLimit {
                    per_customer: false,
                    ..
                }
            ),
            "{refused:?}"
        );
        assert_eq!(refused.code(), ErrorCode::CouponUsageLimit);
    }
    assert_eq!(
        stock_of(&store, &tee).await,
        dec!(99),
        "refused checkouts reserve nothing"
    );
    assert_eq!(
        store.promotion_usage(None).await.unwrap()[&once.id].total,
        1
    );

    let per_customer = ten_percent(Some("MINE"));
    store.put_promotion(per_customer.clone()).await.unwrap();
    let redemption = PromotionRedemption {
        promotion_id: per_customer.id,
        coupon_code: Some("MINE".into()),
        usage_limit: None,
        per_customer_limit: Some(1),
    };
    let (alice, bob) = (UserId::new(), UserId::new());
    for (customer, expect_ok) in [(alice, true), (alice, false), (bob, true)] {
        let mut d = draft(vec![line(&tee, dec!(1))], Some(customer));
        d.redemptions = vec![redemption.clone()];
        let outcome = store.place_order(d, None).await;
        if expect_ok {
            outcome.unwrap();
        } else {
            assert!(matches!(
                outcome,
                Err(StorageError::PromotionUsageLimit {
                    per_customer: true,
                    ..
                })
            ));
        }
    }
    assert_eq!(
        store.promotion_usage(Some(alice)).await.unwrap()[&per_customer.id].by_customer,
        1
    );
    assert_eq!(
        store.promotion_usage(None).await.unwrap()[&per_customer.id].total,
        2
    );
}

/// A cart changed (or gone) since pricing cannot become an order.
pub async fn place_order_refuses_a_changed_cart(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let tee = product("Classic Tee", "TEE-M", dec!(5), false);
    store.put_product(tee.clone()).await.unwrap();
    let mut cart = Cart::new(Currency::Usd, None, at(0));
    store.create_cart(cart.clone()).await.unwrap();
    let priced_version = cart.version;
    cart.apply_coupon("LATE", at(1)).unwrap();
    store.save_cart(cart.clone(), priced_version).await.unwrap();
    let mut d = draft(vec![line(&tee, dec!(1))], None);
    d.consume_cart = Some(ConsumedCart {
        cart_id: cart.id,
        version: priced_version,
    });
    assert!(matches!(
        store.place_order(d.clone(), None).await,
        Err(StorageError::Conflict { .. })
    ));
    assert_eq!(stock_of(&store, &tee).await, dec!(5));
    d.consume_cart = Some(ConsumedCart {
        cart_id: crate::ids::CartId::new(),
        version: 0,
    });
    assert!(matches!(
        store.place_order(d, None).await,
        Err(StorageError::NotFound { .. })
    ));
}

/// `update_order`: version check, version bump, stock releases with `InventoryUpdated`, events.
pub async fn update_order_checks_versions_and_releases_stock(
    store: Arc<dyn Store>,
    _spawn: Spawn<'_>,
) {
    let tee = product("Classic Tee", "TEE-M", dec!(5), false);
    store.put_product(tee.clone()).await.unwrap();
    let placed = store
        .place_order(draft(vec![line(&tee, dec!(2))], None), None)
        .await
        .unwrap();
    let mut moved = placed.clone();
    let event = moved
        .move_to(OrderStatus::Processing, Actor::System, at(2))
        .unwrap();
    let event_id = event.id;
    let attempt = |status: TransactionStatus| PaymentTransaction {
        id: TransactionId::new(),
        order_id: placed.id,
        kind: TransactionKind::Authorize,
        attempt: 1,
        amount: dec!(20.00),
        currency: Currency::Usd,
        status,
        provider: "test".into(),
        provider_reference: Some("auth_1".into()),
        idempotency_key: "authorize-1".into(),
        message: None,
        created_at: at(2),
    };
    let recorded = attempt(TransactionStatus::Succeeded);
    let stored = store
        .update_order(OrderUpdate {
            transactions: vec![recorded.clone()],
            ..OrderUpdate::new(moved.clone(), vec![event])
        })
        .await
        .unwrap();
    assert_eq!(stored.version, placed.version + 1);
    assert_eq!(store.get_order(placed.id).await.unwrap(), stored);
    assert_eq!(
        store.list_transactions(placed.id).await.unwrap(),
        vec![recorded.clone()],
        "a transaction is stored with the order write"
    );
    let stale = OrderUpdate {
        transactions: vec![attempt(TransactionStatus::Succeeded)],
        ..OrderUpdate::new(moved, Vec::new())
    };
    assert!(matches!(
        store.update_order(stale).await,
        Err(StorageError::Conflict { .. })
    ));
    assert_eq!(
        store.list_transactions(placed.id).await.unwrap(),
        vec![recorded],
        "a refused write stores none of its transactions"
    );

    let mut cancelled = stored.clone();
    let event = cancelled
        .move_to(OrderStatus::Cancelled, Actor::System, at(3))
        .unwrap();
    let releases = cancelled.stock_releases();
    let after = store
        .update_order(OrderUpdate {
            stock_releases: releases,
            ..OrderUpdate::new(cancelled, vec![event])
        })
        .await
        .unwrap();
    assert_eq!(after.status, OrderStatus::Cancelled);
    assert_eq!(stock_of(&store, &tee).await, dec!(5));
    let events = all_events(&store).await;
    assert!(events.iter().any(|e| e.id == event_id));
    assert!(events.iter().any(
        |e| matches!(e.payload, EventPayload::InventoryUpdated { stock, .. } if stock == dec!(5))
    ));
    let statuses: Vec<OrderStatus> = events
        .iter()
        .filter_map(|e| match e.payload {
            EventPayload::OrderStatusChanged { to, .. } => Some(to),
            _ => None,
        })
        .collect();
    assert_eq!(
        statuses,
        vec![OrderStatus::Processing, OrderStatus::Cancelled]
    );
    let ghost = OrderUpdate::new(order(Vec::new(), None), Vec::new());
    assert!(matches!(
        store.update_order(ghost).await,
        Err(StorageError::NotFound { .. })
    ));
}

fn order_service(store: &Arc<dyn Store>) -> OrderService {
    let clock = Arc::new(FixedClock::new(at(10)));
    let payments = PaymentProcessor::new(
        store.clone(),
        Arc::new(TestGateway::new()),
        Arc::new(RecordingSleeper::default()),
        clock.clone(),
    );
    OrderService::new(store.clone(), Arc::new(payments), clock)
}

/// Every move outside pending -> processing -> shipped -> delivered and cancel-from-pending/
/// processing is `invalid_transition` and leaves the stored order as it was.
pub async fn order_service_rejects_every_illegal_transition(
    store: Arc<dyn Store>,
    _spawn: Spawn<'_>,
) {
    let tee = product("Classic Tee", "TEE-M", dec!(50), false);
    store.put_product(tee.clone()).await.unwrap();
    let service = order_service(&store);
    let admin = Actor::User {
        user_id: UserId::new(),
    };
    let path = [
        OrderStatus::Pending,
        OrderStatus::Processing,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
    ];
    let mut checked = 0;
    for from in OrderStatus::ALL {
        let placed = store
            .place_order(draft(vec![line(&tee, dec!(1))], None), None)
            .await
            .unwrap();
        if from == OrderStatus::Cancelled {
            service.cancel(placed.id, admin, None).await.unwrap();
        } else {
            for step in path.iter().skip(1).take_while(|s| {
                path.iter().position(|p| p == *s) <= path.iter().position(|p| *p == from)
            }) {
                match step {
                    OrderStatus::Processing => {
                        service.start_processing(placed.id, admin).await.unwrap()
                    }
                    OrderStatus::Shipped => service
                        .ship(placed.id, Some("TRACK-1".into()), admin)
                        .await
                        .unwrap(),
                    _ => service.deliver(placed.id, admin).await.unwrap(),
                };
            }
        }
        let before = store.get_order(placed.id).await.unwrap();
        assert_eq!(before.status, from);
        for to in [
            OrderStatus::Processing,
            OrderStatus::Shipped,
            OrderStatus::Delivered,
            OrderStatus::Cancelled,
        ] {
            if from.can_move_to(to) {
                continue;
            }
            let refused = match to {
                OrderStatus::Processing => service.start_processing(placed.id, admin).await,
                OrderStatus::Shipped => service.ship(placed.id, None, admin).await,
                OrderStatus::Delivered => service.deliver(placed.id, admin).await,
                _ => service.cancel(placed.id, admin, None).await,
            };
            let err = refused.expect_err("an illegal move must fail");
            assert_eq!(
                err.code(),
                ErrorCode::InvalidTransition,
                "{from:?} -> {to:?}: {err}"
            );
            assert_eq!(
                store.get_order(placed.id).await.unwrap(),
                before,
                "{from:?} -> {to:?} changed the order"
            );
            checked += 1;
        }
    }
    // pending: shipped, delivered; processing: processing, delivered; shipped: processing, shipped,
    // cancelled; delivered: all four; cancelled: all four.
    assert_eq!(checked, 15);
    let delivered = store
        .list_orders(&OrderFilter {
            status: Some(OrderStatus::Delivered),
            ..OrderFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(delivered[0].tracking_number.as_deref(), Some("TRACK-1"));
    assert_eq!(
        delivered[0].fulfillment_status,
        FulfillmentStatus::Delivered
    );
    let actors: Vec<Actor> = delivered[0]
        .history
        .iter()
        .skip(1)
        .map(|h| h.actor)
        .collect();
    assert!(
        actors.iter().all(|a| *a == admin),
        "every move is recorded with its actor"
    );
}

/// Cancelling a pending or processing order gives its stock back and records the move.
pub async fn cancelling_an_order_returns_its_stock(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let tee = product("Classic Tee", "TEE-M", dec!(10), false);
    store.put_product(tee.clone()).await.unwrap();
    let service = order_service(&store);
    let first = store
        .place_order(draft(vec![line(&tee, dec!(3))], None), None)
        .await
        .unwrap();
    let second = store
        .place_order(draft(vec![line(&tee, dec!(4))], None), None)
        .await
        .unwrap();
    assert_eq!(stock_of(&store, &tee).await, dec!(3));
    let cancelled = service.cancel(first.id, Actor::Guest, None).await.unwrap();
    assert_eq!(stock_of(&store, &tee).await, dec!(6));
    assert_eq!(
        (cancelled.status, cancelled.fulfillment_status),
        (OrderStatus::Cancelled, FulfillmentStatus::Cancelled)
    );
    let last = cancelled
        .history
        .iter()
        .rev()
        .find(|h| matches!(h.change, OrderChange::Status { .. }))
        .unwrap();
    assert_eq!(
        (last.change.clone(), last.actor, last.at),
        (
            OrderChange::Status {
                from: OrderStatus::Pending,
                to: OrderStatus::Cancelled
            },
            Actor::Guest,
            at(10)
        )
    );
    service
        .start_processing(second.id, Actor::System)
        .await
        .unwrap();
    service
        .cancel(second.id, Actor::System, None)
        .await
        .unwrap();
    assert_eq!(stock_of(&store, &tee).await, dec!(10));
    assert_eq!(
        service
            .cancel(second.id, Actor::System, None)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::InvalidTransition
    );
    assert_eq!(
        stock_of(&store, &tee).await,
        dec!(10),
        "a refused second cancel releases nothing"
    );
}

/// Cancelling gives back the uses the order counted, in total and per customer, so a
/// one-per-customer coupon works again; other updates count nothing back.
pub async fn cancelling_an_order_gives_back_promotion_uses(
    store: Arc<dyn Store>,
    _spawn: Spawn<'_>,
) {
    let tee = product("Classic Tee", "TEE-M", dec!(10), false);
    store.put_product(tee.clone()).await.unwrap();
    let promotion = ten_percent(Some("ONCE"));
    store.put_promotion(promotion.clone()).await.unwrap();
    let customer = UserId::new();
    let with_coupon = |customer: Option<UserId>| {
        let mut d = draft(vec![line(&tee, dec!(1))], customer);
        d.order.promotions = vec![OrderPromotion {
            promotion_id: promotion.id,
            name: promotion.name.clone(),
            coupon_code: Some("ONCE".into()),
            amount: dec!(1.00),
        }];
        d.redemptions = vec![PromotionRedemption {
            promotion_id: promotion.id,
            coupon_code: Some("ONCE".into()),
            usage_limit: Some(5),
            per_customer_limit: Some(1),
        }];
        d
    };
    let usage = |customer| {
        let store = store.clone();
        async move {
            let usage = store.promotion_usage(Some(customer)).await.unwrap();
            usage
                .get(&promotion.id)
                .map_or((0, 0), |u| (u.total, u.by_customer))
        }
    };
    let first = store
        .place_order(with_coupon(Some(customer)), None)
        .await
        .unwrap();
    let guest = store.place_order(with_coupon(None), None).await.unwrap();
    assert_eq!(usage(customer).await, (2, 1));
    assert!(matches!(
        store.place_order(with_coupon(Some(customer)), None).await,
        Err(StorageError::PromotionUsageLimit {
            per_customer: true,
            ..
        })
    ));

    let service = order_service(&store);
    service
        .start_processing(first.id, Actor::System)
        .await
        .unwrap();
    assert_eq!(
        usage(customer).await,
        (2, 1),
        "a status change gives nothing back"
    );
    service.cancel(first.id, Actor::System, None).await.unwrap();
    assert_eq!(usage(customer).await, (1, 0));
    store
        .place_order(with_coupon(Some(customer)), None)
        .await
        .expect("the customer's coupon use came back");
    service.cancel(guest.id, Actor::System, None).await.unwrap();
    assert_eq!(
        usage(customer).await,
        (1, 1),
        "a guest order gives back only the total"
    );
}

/// `list_orders` filters by customer and status and pages newest first; `has_purchased` ignores
/// cancelled orders.
pub async fn orders_list_filter_and_purchase_check(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let tee = product("Classic Tee", "TEE-M", dec!(10), false);
    let mug = product("Mug", "MUG-1", dec!(10), false);
    store.put_product(tee.clone()).await.unwrap();
    store.put_product(mug.clone()).await.unwrap();
    let (alice, bob) = (UserId::new(), UserId::new());
    let mut placed = Vec::new();
    for (minute, customer, item) in [(1, alice, &tee), (2, bob, &tee), (3, alice, &mug)] {
        let mut d = draft(vec![line(item, dec!(1))], Some(customer));
        d.order.created_at = at(minute);
        placed.push(store.place_order(d, None).await.unwrap());
    }
    let of_alice = store
        .list_orders(&OrderFilter {
            customer_id: Some(alice),
            ..OrderFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        of_alice.iter().map(|o| o.id).collect::<Vec<_>>(),
        vec![placed[2].id, placed[0].id],
        "newest first"
    );
    let paged = store
        .list_orders(&OrderFilter {
            page: Page {
                offset: 1,
                limit: 1,
            },
            ..OrderFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        paged.iter().map(|o| o.id).collect::<Vec<_>>(),
        vec![placed[1].id]
    );
    assert!(store.has_purchased(alice, tee.id).await.unwrap());
    assert!(store.has_purchased(alice, mug.id).await.unwrap());
    assert!(!store.has_purchased(bob, mug.id).await.unwrap());

    order_service(&store)
        .cancel(placed[2].id, Actor::System, None)
        .await
        .unwrap();
    assert!(
        !store.has_purchased(alice, mug.id).await.unwrap(),
        "a cancelled order is not a purchase"
    );
    let cancelled = store
        .list_orders(&OrderFilter {
            status: Some(OrderStatus::Cancelled),
            ..OrderFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        cancelled.iter().map(|o| o.id).collect::<Vec<_>>(),
        vec![placed[2].id]
    );
}

/// Users: create (unique email, `UserRegistered`), get, find by email, update, list.
pub async fn users_round_trip(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let ada = user("ada@example.com", 0);
    let bob = user("bob@example.com", 1);
    assert_eq!(store.create_user(ada.clone()).await.unwrap(), ada);
    store.create_user(bob.clone()).await.unwrap();
    assert_eq!(
        store.get_user(ada.id).await.unwrap().password_hash,
        ada.password_hash,
        "the hash is stored"
    );
    assert!(matches!(
        store.create_user(user("ada@example.com", 2)).await,
        Err(StorageError::Conflict { .. })
    ));
    assert_eq!(
        store
            .find_user_by_email("ada@example.com")
            .await
            .unwrap()
            .id,
        ada.id
    );
    assert!(matches!(
        store.find_user_by_email("nobody@example.com").await,
        Err(StorageError::NotFound { .. })
    ));

    let mut renamed = ada.clone();
    renamed.email = "ada.l@example.com".into();
    renamed.roles = vec![Role::Admin, Role::Customer];
    store.update_user(renamed.clone()).await.unwrap();
    assert_eq!(store.get_user(ada.id).await.unwrap(), renamed);
    assert!(matches!(
        store.find_user_by_email("ada@example.com").await,
        Err(StorageError::NotFound { .. })
    ));
    store
        .create_user(user("ada@example.com", 3))
        .await
        .expect("the old email is free again");
    let mut clash = bob.clone();
    clash.email = "ada.l@example.com".into();
    assert!(matches!(
        store.update_user(clash).await,
        Err(StorageError::Conflict { .. })
    ));
    assert!(matches!(
        store.update_user(user("ghost@example.com", 4)).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.get_user(UserId::new()).await,
        Err(StorageError::NotFound { .. })
    ));

    let listed = store
        .list_users(Page {
            offset: 0,
            limit: 2,
        })
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![ada.id, bob.id],
        "oldest first"
    );
    assert_eq!(
        store
            .list_users(Page {
                offset: 2,
                limit: 10
            })
            .await
            .unwrap()
            .len(),
        1
    );
    let registered = all_events(&store)
        .await
        .into_iter()
        .filter(|e| e.payload.kind() == "UserRegistered")
        .count();
    assert_eq!(registered, 3);
}

/// Users: the session generation is stored as given on create and update and comes back from
/// every read. Access tokens are checked against it, so a store that dropped it (read it as 0)
/// would bring back every session a password reset or role change had ended.
pub async fn users_keep_their_session_generation(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let fresh = user("fresh@example.com", 0);
    store.create_user(fresh.clone()).await.unwrap();
    assert_eq!(
        store.get_user(fresh.id).await.unwrap().session_generation,
        0
    );

    // Past 32 bits, so a narrow column shows.
    let big = u64::from(u32::MAX) + 7;
    let ada = User {
        session_generation: big,
        ..user("ada@example.com", 1)
    };
    assert_eq!(store.create_user(ada.clone()).await.unwrap(), ada);
    assert_eq!(store.get_user(ada.id).await.unwrap(), ada);

    let bumped = User {
        session_generation: big + 1,
        password_hash: "$argon2id$v=19$m=8,t=1,p=1$b3RoZXJzYWx0$aGFzaDI".into(),
        updated_at: at(2),
        ..ada.clone()
    };
    assert_eq!(store.update_user(bumped.clone()).await.unwrap(), bumped);
    assert_eq!(store.get_user(ada.id).await.unwrap(), bumped);
    assert_eq!(
        store
            .find_user_by_email("ada@example.com")
            .await
            .unwrap()
            .session_generation,
        big + 1
    );
    let listed = store
        .list_users(Page {
            offset: 0,
            limit: 10,
        })
        .await
        .unwrap();
    let generations: Vec<(UserId, u64)> = listed
        .iter()
        .map(|u| (u.id, u.session_generation))
        .collect();
    assert_eq!(generations, vec![(fresh.id, 0), (ada.id, big + 1)]);

    let mut renamed = store.get_user(fresh.id).await.unwrap();
    renamed.name = "Renamed".into();
    store.update_user(renamed).await.unwrap();
    assert_eq!(
        store.get_user(fresh.id).await.unwrap().session_generation,
        0,
        "the store keeps what it is given; bumping is the user service's job"
    );
}

/// A reset token is taken at most once, even by racing callers; resets are revocable per user.
pub async fn password_resets_are_single_use(store: Arc<dyn Store>, spawn: Spawn<'_>) {
    let ada = user("ada@example.com", 0);
    store.create_user(ada.clone()).await.unwrap();
    let reset = |hash: &str| PasswordReset {
        token_hash: hash.into(),
        user_id: ada.id,
        created_at: at(0),
        expires_at: at(60),
    };
    store.put_password_reset(reset("h1")).await.unwrap();
    let taken = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        let taken = taken.clone();
        tasks.push(spawn(Box::pin(async move {
            let outcome = store.take_password_reset("h1").await;
            taken.lock().expect("lock").push(outcome);
        })));
    }
    for task in tasks {
        task.await;
    }
    let taken = std::mem::take(&mut *taken.lock().expect("lock"));
    let winners: Vec<&PasswordReset> = taken.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners, vec![&reset("h1")]);
    assert!(taken
        .iter()
        .filter(|r| r.is_err())
        .all(|r| matches!(r, Err(StorageError::NotFound { .. }))));

    store.put_password_reset(reset("h2")).await.unwrap();
    store.put_password_reset(reset("h3")).await.unwrap();
    store.delete_password_resets(ada.id).await.unwrap();
    assert!(matches!(
        store.take_password_reset("h2").await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.take_password_reset("h3").await,
        Err(StorageError::NotFound { .. })
    ));
}

fn review(user_id: UserId, product_id: ProductId, minute: i64) -> Review {
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

/// Reviews: one per user and product, get, update, list with and without hidden, delete.
pub async fn reviews_round_trip(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let tee = ProductId::new();
    let (ada, bob) = (UserId::new(), UserId::new());
    let first = review(ada, tee, 0);
    let second = review(bob, tee, 1);
    store.create_review(first.clone()).await.unwrap();
    store.create_review(second.clone()).await.unwrap();
    assert!(matches!(
        store.create_review(review(ada, tee, 2)).await,
        Err(StorageError::Conflict { .. })
    ));
    store
        .create_review(review(ada, ProductId::new(), 2))
        .await
        .expect("another product is fine");
    assert_eq!(store.get_review(first.id).await.unwrap(), first);

    let mut hidden = second.clone();
    hidden.status = ReviewStatus::Hidden;
    hidden.moderated_by = Some(UserId::new());
    store.update_review(hidden.clone()).await.unwrap();
    assert_eq!(
        store.list_reviews(tee, false).await.unwrap(),
        vec![first.clone()]
    );
    assert_eq!(
        store.list_reviews(tee, true).await.unwrap(),
        vec![hidden, first.clone()],
        "newest first"
    );
    let mut moved = first.clone();
    moved.user_id = bob;
    assert!(
        store.update_review(moved).await.is_err(),
        "author and product are fixed"
    );

    store.delete_review(first.id).await.unwrap();
    assert!(matches!(
        store.get_review(first.id).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.delete_review(first.id).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.update_review(first.clone()).await,
        Err(StorageError::NotFound { .. })
    ));
    store
        .create_review(review(ada, tee, 3))
        .await
        .expect("a deleted review frees the slot");
}

/// Payment attempts are stored per order, oldest first, with unique ids.
pub async fn payment_transactions_round_trip(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let order_id = OrderId::new();
    let attempt = |n: u32, status: TransactionStatus| PaymentTransaction {
        id: TransactionId::new(),
        order_id,
        kind: TransactionKind::Authorize,
        attempt: n,
        amount: dec!(10.00),
        currency: Currency::Usd,
        status,
        provider: "test".into(),
        provider_reference: None,
        idempotency_key: "authorize-1".into(),
        message: None,
        created_at: at(n as i64),
    };
    let first = attempt(1, TransactionStatus::Failed);
    let second = attempt(2, TransactionStatus::Succeeded);
    store.record_transaction(first.clone()).await.unwrap();
    store.record_transaction(second.clone()).await.unwrap();
    assert!(matches!(
        store.record_transaction(first.clone()).await,
        Err(StorageError::Conflict { .. })
    ));
    assert_eq!(
        store.list_transactions(order_id).await.unwrap(),
        vec![first, second]
    );
    assert!(store
        .list_transactions(OrderId::new())
        .await
        .unwrap()
        .is_empty());
}

/// `acquire_lease`/`release_lease`: one holder at a time, renewal by the holder, takeover only
/// after the time ran out, release; and under racing acquirers exactly one wins.
pub async fn leases_have_one_holder_at_a_time(store: Arc<dyn Store>, spawn: Spawn<'_>) {
    let t0 = DateTime::<Utc>::from_timestamp(1_793_534_400, 0).unwrap();
    let later = move |s: i64| t0 + Duration::seconds(s);
    assert!(store
        .acquire_lease("relay:a", "one", t0, later(30))
        .await
        .unwrap());
    assert!(!store
        .acquire_lease("relay:a", "two", later(10), later(40))
        .await
        .unwrap());
    assert!(
        store
            .acquire_lease("relay:b", "two", later(10), later(40))
            .await
            .unwrap(),
        "names are independent"
    );
    assert!(
        store
            .acquire_lease("relay:a", "one", later(20), later(50))
            .await
            .unwrap(),
        "the holder renews"
    );
    assert!(!store
        .acquire_lease("relay:a", "two", later(45), later(75))
        .await
        .unwrap());
    assert!(
        store
            .acquire_lease("relay:a", "two", later(50), later(80))
            .await
            .unwrap(),
        "taken over once the time ran out"
    );
    assert!(!store
        .acquire_lease("relay:a", "one", later(55), later(85))
        .await
        .unwrap());
    store.release_lease("relay:a", "one").await.unwrap();
    assert!(
        !store
            .acquire_lease("relay:a", "one", later(56), later(86))
            .await
            .unwrap(),
        "only the holder can release"
    );
    store.release_lease("relay:a", "two").await.unwrap();
    assert!(store
        .acquire_lease("relay:a", "one", later(57), later(87))
        .await
        .unwrap());

    let winners = Arc::new(Mutex::new(0));
    let mut racers = Vec::new();
    for n in 0..8 {
        let store = store.clone();
        let winners = winners.clone();
        racers.push(spawn(Box::pin(async move {
            let won = store
                .acquire_lease("relay:race", &format!("racer-{n}"), t0, later(30))
                .await
                .unwrap();
            if won {
                *winners.lock().expect("winners lock") += 1;
            }
        })));
    }
    for racer in racers {
        racer.await;
    }
    let winners = *winners.lock().expect("winners lock");
    assert_eq!(winners, 1, "exactly one racer holds the lease");
}

/// The outbox: unique ids, increasing sequences, paging, and cursors that only move forward.
pub async fn outbox_sequences_and_delivery_cursors(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let events: Vec<NewEvent> = (0..5)
        .map(|i| {
            NewEvent::new(
                EventPayload::ProductChanged {
                    product_id: ProductId::new(),
                    deleted: false,
                },
                at(i),
            )
        })
        .collect();
    let appended = store.append_events(events.clone()).await.unwrap();
    assert_eq!(
        appended.iter().map(|e| e.id).collect::<Vec<EventId>>(),
        events.iter().map(|e| e.id).collect::<Vec<_>>()
    );
    assert!(appended.windows(2).all(|w| w[0].sequence < w[1].sequence));
    assert_eq!(appended[0].payload, events[0].payload);
    assert_eq!(appended[0].occurred_at, events[0].occurred_at);

    let duplicate = vec![
        NewEvent::new(
            EventPayload::ProductChanged {
                product_id: ProductId::new(),
                deleted: true,
            },
            at(9),
        ),
        events[0].clone(),
    ];
    assert!(matches!(
        store.append_events(duplicate).await,
        Err(StorageError::Conflict { .. })
    ));
    assert_eq!(
        all_events(&store).await.len(),
        5,
        "a refused batch appends nothing"
    );

    let first_two = store.events_after(0, 2).await.unwrap();
    assert_eq!(first_two, appended[..2].to_vec());
    let rest = store.events_after(first_two[1].sequence, 10).await.unwrap();
    assert_eq!(rest, appended[2..].to_vec());
    assert!(store
        .events_after(appended[4].sequence, 10)
        .await
        .unwrap()
        .is_empty());

    assert_eq!(store.delivery_cursor("webhook").await.unwrap(), 0);
    assert_eq!(
        store
            .advance_delivery_cursor("webhook", appended[2].sequence)
            .await
            .unwrap(),
        appended[2].sequence
    );
    assert_eq!(
        store
            .advance_delivery_cursor("webhook", appended[0].sequence)
            .await
            .unwrap(),
        appended[2].sequence,
        "never back"
    );
    assert!(matches!(
        store
            .advance_delivery_cursor("webhook", appended[4].sequence + 1)
            .await,
        Err(StorageError::Conflict { .. })
    ));
    assert_eq!(
        store.delivery_cursor("webhook").await.unwrap(),
        appended[2].sequence
    );
    assert_eq!(
        store.delivery_cursor("email").await.unwrap(),
        0,
        "cursors are per consumer"
    );
    let pending = store
        .events_after(store.delivery_cursor("webhook").await.unwrap(), 100)
        .await
        .unwrap();
    assert_eq!(pending, appended[3..].to_vec());
    // A kind filter runs before the limit: one rare event after many others is found.
    let many: Vec<NewEvent> = (0..60)
        .map(|i| {
            NewEvent::new(
                EventPayload::ProductChanged {
                    product_id: ProductId::new(),
                    deleted: false,
                },
                at(10 + i),
            )
        })
        .chain(std::iter::once(NewEvent::new(
            EventPayload::OrderStatusChanged {
                order_id: OrderId::new(),
                from: OrderStatus::Pending,
                to: OrderStatus::Processing,
            },
            at(80),
        )))
        .collect();
    let many = store.append_events(many).await.unwrap();
    let seq: Vec<u64> = many.iter().map(|e| e.sequence).collect();
    let rare = store
        .find_events(0, &["OrderStatusChanged".to_string()], 50)
        .await
        .unwrap();
    assert_eq!(rare.len(), 1);
    assert_eq!(rare[0].sequence, seq[60]);
    let two_kinds = store
        .find_events(
            seq[0],
            &[
                "OrderStatusChanged".to_string(),
                "ProductChanged".to_string(),
            ],
            3,
        )
        .await
        .unwrap();
    assert_eq!(
        two_kinds.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        seq[1..4].to_vec()
    );
    let any = store.find_events(seq[58], &[], 50).await.unwrap();
    assert_eq!(
        any.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        seq[59..].to_vec()
    );
    assert!(store
        .find_events(0, &["NoSuchKind".to_string()], 50)
        .await
        .unwrap()
        .is_empty());
}

/// A small catalog for the search checks: categories Apparel > Shirts and Kitchen; products
/// created one minute apart (tee oldest).
async fn search_catalog(store: &Arc<dyn Store>) -> (Category, Category, Vec<Product>) {
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

fn names(page: &crate::search::ProductPage) -> Vec<&str> {
    page.items.iter().map(|p| p.name.as_str()).collect()
}

/// Full text over name, description, category names and SKUs; every term must match (as a word
/// prefix); name matches rank first; `status` filters.
pub async fn search_matches_text_by_relevance(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    search_catalog(&store).await;
    let query = |text: &str| {
        let mut q = ProductSearch::storefront(Currency::Usd);
        q.text = Some(text.to_string());
        q
    };
    let found = store.search_products(&query("cotton")).await.unwrap();
    assert_eq!(
        names(&found),
        vec!["Organic cotton tee", "Ceramic mug"],
        "name match ranks first"
    );
    assert_eq!(found.total, 2);
    let found = store.search_products(&query("organic tee")).await.unwrap();
    assert_eq!(
        names(&found),
        vec!["Organic cotton tee"],
        "every term must match"
    );
    let found = store.search_products(&query("org")).await.unwrap();
    assert_eq!(
        names(&found),
        vec!["Organic cotton tee", "Ceramic mug"],
        "terms match word prefixes"
    );
    let found = store.search_products(&query("mug-001")).await.unwrap();
    assert_eq!(names(&found), vec!["Ceramic mug"], "SKUs are searchable");
    let found = store.search_products(&query("kitchen")).await.unwrap();
    assert_eq!(
        names(&found),
        vec!["Ceramic mug"],
        "category names are searchable"
    );
    let found = store.search_products(&query("jersey")).await.unwrap();
    assert_eq!(
        names(&found),
        vec!["Organic cotton tee"],
        "descriptions are searchable"
    );
    assert_eq!(
        store.search_products(&query("velvet")).await.unwrap().total,
        0
    );
    let mut any_status = query("cotton");
    any_status.status = None;
    let found = store.search_products(&any_status).await.unwrap();
    assert_eq!(found.total, 3);
    assert_eq!(
        names(&found)[..2]
            .iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>(),
        ["Organic cotton tee", "Secret cotton tee"]
            .into_iter()
            .collect(),
        "both name matches rank above the description match"
    );
    assert_eq!(
        names(&found)[0],
        "Secret cotton tee",
        "newer first within a rank"
    );
}

/// Category (with descendants), price range in a currency, stock, sorting, paging and totals.
pub async fn search_filters_sorts_and_pages(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let (apparel, shirts, _) = search_catalog(&store).await;
    let base = ProductSearch::storefront(Currency::Usd);
    let run = |q: ProductSearch| {
        let store = store.clone();
        async move { store.search_products(&q).await.unwrap() }
    };
    let found = run(base.clone()).await;
    assert_eq!(
        names(&found),
        vec![
            "Wool scarf",
            "Ceramic mug",
            "Linen shirt",
            "Organic cotton tee"
        ],
        "no text: newest first, drafts left out"
    );
    let found = run(ProductSearch {
        category_id: Some(apparel.id),
        ..base.clone()
    })
    .await;
    assert_eq!(
        names(&found),
        vec!["Wool scarf", "Linen shirt", "Organic cotton tee"]
    );
    let found = run(ProductSearch {
        category_id: Some(shirts.id),
        ..base.clone()
    })
    .await;
    assert_eq!(names(&found), vec!["Linen shirt", "Organic cotton tee"]);
    let found = run(ProductSearch {
        min_price: Some(dec!(20)),
        max_price: Some(dec!(35.00)),
        ..base.clone()
    })
    .await;
    assert_eq!(
        names(&found),
        vec!["Wool scarf", "Organic cotton tee"],
        "bounds are inclusive"
    );
    let found = run(ProductSearch {
        in_stock: Some(true),
        ..base.clone()
    })
    .await;
    assert_eq!(
        names(&found),
        vec!["Wool scarf", "Ceramic mug", "Organic cotton tee"]
    );
    let found = run(ProductSearch {
        in_stock: Some(false),
        ..base.clone()
    })
    .await;
    assert_eq!(names(&found), vec!["Linen shirt"]);
    let found = run(ProductSearch {
        sort: ProductSort::PriceAsc,
        ..base.clone()
    })
    .await;
    assert_eq!(
        names(&found),
        vec![
            "Ceramic mug",
            "Organic cotton tee",
            "Wool scarf",
            "Linen shirt"
        ]
    );
    let found = run(ProductSearch {
        sort: ProductSort::PriceDesc,
        ..base.clone()
    })
    .await;
    assert_eq!(names(&found)[0], "Linen shirt");
    let found = run(ProductSearch {
        sort: ProductSort::NameAsc,
        ..base.clone()
    })
    .await;
    assert_eq!(
        names(&found),
        vec![
            "Ceramic mug",
            "Linen shirt",
            "Organic cotton tee",
            "Wool scarf"
        ]
    );
    let found = run(ProductSearch {
        sort: ProductSort::NameDesc,
        ..base.clone()
    })
    .await;
    assert_eq!(names(&found)[0], "Wool scarf");
    let found = run(ProductSearch {
        sort: ProductSort::PriceAsc,
        page: Page {
            offset: 1,
            limit: 2,
        },
        ..base.clone()
    })
    .await;
    assert_eq!(found.total, 4, "the total counts every match before paging");
    assert_eq!(names(&found), vec!["Organic cotton tee", "Wool scarf"]);
    let eur = ProductSearch {
        currency: Currency::Eur,
        sort: ProductSort::PriceAsc,
        ..base.clone()
    };
    let found = run(eur).await;
    assert_eq!(
        names(&found),
        vec!["Organic cotton tee"],
        "price sorts need a price in the currency"
    );
    let found = run(ProductSearch {
        currency: Currency::Eur,
        ..base.clone()
    })
    .await;
    assert_eq!(
        found.total, 4,
        "without price filter or sort the currency does not filter"
    );
}
