//! Checkout through the service: priced lines frozen into the order, atomic reservation,
//! idempotency, coupon limits and refusals.

mod support;

use std::sync::Arc;

use merx_core::cart::Address;
use merx_core::checkout::{CheckoutRequest, CheckoutService};
use merx_core::event::EventPayload;
use merx_core::order::{Actor, OrderChange, OrderStatus, PaymentStatus};
use merx_core::pricing::{price_cart, PricingContext};
use merx_core::promotion::{Promotion, PromotionEffect, Target};
use merx_core::shipping::ShippingMethod;
use merx_core::store::{PricingSettings, StorageError};
use merx_core::tax::{TaxRate, TaxSettings};
use merx_core::{Currency, Error, ErrorCode};
use rust_decimal_macros::dec;
use support::World;

fn request(cart_id: merx_core::ids::CartId, key: Option<&str>) -> CheckoutRequest {
    CheckoutRequest {
        cart_id,
        email: Some("Shopper@Example.com".into()),
        idempotency_key: key.map(str::to_string),
    }
}

async fn coupon(world: &World, code: &str, usage_limit: Option<u64>) -> Promotion {
    let mut promotion = Promotion::new(
        "Ten off",
        PromotionEffect::PercentageOff {
            percent: dec!(10),
            target: Target::Order,
        },
    )
    .with_coupon(code)
    .unwrap();
    promotion.usage_limit = usage_limit;
    world.store.put_promotion(promotion).await.unwrap()
}

#[tokio::test]
async fn an_order_freezes_the_priced_cart() {
    let world = World::new();
    let settings = PricingSettings {
        tax: TaxSettings {
            rates: vec![TaxRate::new("Sales tax", "US", "standard", dec!(8.25))],
            ..TaxSettings::default()
        },
        ..PricingSettings::default()
    };
    world.store.put_pricing_settings(settings, 0).await.unwrap();
    let ground = world
        .store
        .put_shipping_method(ShippingMethod::flat("Ground", Currency::Usd, dec!(4.95)))
        .await
        .unwrap();
    let promotion = coupon(&world, "SAVE10", Some(5)).await;
    let tee = world.product("TEE-1", dec!(19.99), dec!(10)).await;
    let mug = world.product("MUG-1", dec!(8.50), dec!(10)).await;
    let mut cart = world
        .cart(&[(&tee, dec!(3)), (&mug, dec!(1))], &["save10"])
        .await;
    let read_at = cart.version;
    cart.set_shipping_address(Some(Address::in_country("US")), world.clock_now())
        .unwrap();
    cart.set_shipping_method(Some(ground.id), world.clock_now());
    let cart = world.store.save_cart(cart, read_at).await.unwrap();

    let rules = world.store.pricing_rules().await.unwrap();
    let usage = world.store.promotion_usage(None).await.unwrap();
    let priced = price_cart(
        &cart,
        &PricingContext {
            rules: &rules,
            now: world.clock_now(),
            usage: &usage,
        },
    )
    .unwrap();
    assert!(
        priced.totals.discount_total > dec!(0) && priced.totals.tax_total > dec!(0),
        "the example exercises discount and tax"
    );

    let order = world
        .checkout_service()
        .checkout(request(cart.id, None), Actor::Guest)
        .await
        .unwrap();
    let t = &priced.totals;
    assert_eq!(
        (
            order.totals.subtotal,
            order.totals.discount_total,
            order.totals.shipping_total,
            order.totals.tax_total,
            order.totals.total,
            order.totals.item_count
        ),
        (
            t.subtotal,
            t.discount_total,
            t.shipping_total,
            t.tax_total,
            t.total,
            t.item_count
        )
    );
    assert_eq!(order.lines.len(), priced.lines.len());
    for (frozen, line) in order.lines.iter().zip(&priced.lines) {
        assert_eq!(
            (
                frozen.variant_id,
                frozen.quantity,
                frozen.unit_price,
                frozen.subtotal,
                frozen.discount_total,
                frozen.tax_total,
                frozen.total
            ),
            (
                line.variant_id,
                line.quantity,
                line.unit_price,
                line.subtotal,
                line.discount_total,
                line.tax_total,
                line.total
            )
        );
    }
    assert_eq!(order.promotions[0].promotion_id, promotion.id);
    assert_eq!(order.email.as_deref(), Some("shopper@example.com"));
    assert_eq!(order.shipping_method.as_deref(), Some("Ground"));
    assert_eq!(
        (order.status, order.payment.status),
        (OrderStatus::Pending, PaymentStatus::Unpaid)
    );
    assert_eq!(
        (
            order.history.len(),
            order.history[0].change.clone(),
            order.history[0].actor
        ),
        (1, OrderChange::Placed, Actor::Guest)
    );

    assert_eq!(
        world
            .store
            .stock_level(tee.variants[0].id)
            .await
            .unwrap()
            .stock,
        dec!(7)
    );
    assert_eq!(
        world
            .store
            .stock_level(mug.variants[0].id)
            .await
            .unwrap()
            .stock,
        dec!(9)
    );
    assert!(matches!(
        world.store.get_cart(cart.id).await,
        Err(StorageError::NotFound { .. })
    ));
    assert_eq!(
        world.store.promotion_usage(None).await.unwrap()[&promotion.id].total,
        1
    );
    let placed = world
        .store
        .events_after(0, 100)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.payload {
            EventPayload::OrderPlaced {
                order_id, total, ..
            } => Some((order_id, total)),
            _ => None,
        });
    assert_eq!(placed.collect::<Vec<_>>(), vec![(order.id, t.total)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_repeats_of_one_idempotent_checkout_give_one_order() {
    let world = World::new();
    let tee = world.product("TEE-1", dec!(10.00), dec!(10)).await;
    let cart = world.cart(&[(&tee, dec!(2))], &[]).await;
    let service = Arc::new(world.checkout_service());
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let service: Arc<CheckoutService> = service.clone();
        tasks.push(tokio::spawn(async move {
            service
                .checkout(request(cart.id, Some("idem-1")), Actor::Guest)
                .await
        }));
    }
    let mut ids = std::collections::HashSet::new();
    for task in tasks {
        ids.insert(task.await.unwrap().unwrap().id);
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(
        world
            .store
            .stock_level(tee.variants[0].id)
            .await
            .unwrap()
            .stock,
        dec!(8)
    );

    let other = world.cart(&[(&tee, dec!(1))], &[]).await;
    let err = service
        .checkout(request(other.id, Some("idem-1")), Actor::Guest)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::IdempotencyConflict);
    assert_eq!(
        world
            .store
            .stock_level(tee.variants[0].id)
            .await
            .unwrap()
            .stock,
        dec!(8)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_single_use_coupon_is_redeemed_once_by_racing_checkouts() {
    let world = World::new();
    let promotion = coupon(&world, "ONCE", Some(1)).await;
    let tee = world.product("TEE-1", dec!(10.00), dec!(100)).await;
    let service = Arc::new(world.checkout_service());
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let cart = world.cart(&[(&tee, dec!(1))], &["ONCE"]).await;
        let service = service.clone();
        tasks.push(tokio::spawn(async move {
            service.checkout(request(cart.id, None), Actor::Guest).await
        }));
    }
    let mut placed = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(order) => {
                placed += 1;
                assert_eq!(order.totals.discount_total, dec!(1.00));
            }
            Err(err) => assert_eq!(err.code(), ErrorCode::CouponUsageLimit, "{err:?}"),
        }
    }
    assert_eq!(placed, 1);
    assert_eq!(
        world.store.promotion_usage(None).await.unwrap()[&promotion.id].total,
        1
    );
    assert_eq!(
        world
            .store
            .stock_level(tee.variants[0].id)
            .await
            .unwrap()
            .stock,
        dec!(99)
    );
}

#[tokio::test]
async fn refusals_leave_the_cart_and_stock_alone() {
    let world = World::new();
    let service = world.checkout_service();
    let tee = world.product("TEE-1", dec!(10.00), dec!(2)).await;

    let empty = world.cart(&[], &[]).await;
    assert_eq!(
        service
            .checkout(request(empty.id, None), Actor::Guest)
            .await
            .unwrap_err(),
        Error::CartEmpty
    );

    let mut too_many = world.cart(&[(&tee, dec!(2))], &[]).await;
    world
        .store
        .adjust_stock(tee.variants[0].id, dec!(-1))
        .await
        .unwrap();
    let err = service
        .checkout(request(too_many.id, None), Actor::Guest)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::OutOfStock);
    assert_eq!(world.store.get_cart(too_many.id).await.unwrap(), too_many);
    assert_eq!(
        world
            .store
            .stock_level(tee.variants[0].id)
            .await
            .unwrap()
            .stock,
        dec!(1)
    );

    let unknown = world.cart(&[(&tee, dec!(1))], &["NOSUCH"]).await;
    let err = service
        .checkout(request(unknown.id, None), Actor::Guest)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::CouponRejected { ref code, .. } if code == "NOSUCH"),
        "{err:?}"
    );
    assert_eq!(err.code(), ErrorCode::CouponNotFound);

    let bad_email = CheckoutRequest {
        email: Some("nope".into()),
        ..request(unknown.id, None)
    };
    assert_eq!(
        service
            .checkout(bad_email, Actor::Guest)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::InvalidEmail
    );

    // A price change since the cart was filled stops checkout once, saving the repriced cart.
    let mut repriced = tee.clone();
    repriced.variants[0]
        .prices
        .insert(Currency::Usd, dec!(12.00));
    world.store.put_product(repriced).await.unwrap();
    let read_at = too_many.version;
    too_many
        .set_quantity(
            too_many.lines[0].id,
            dec!(1),
            &tee.variants[0],
            world.clock_now(),
        )
        .unwrap();
    let too_many = world.store.save_cart(too_many, read_at).await.unwrap();
    let err = service
        .checkout(request(too_many.id, None), Actor::Guest)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    assert_eq!(
        world.store.get_cart(too_many.id).await.unwrap().lines[0].unit_price,
        dec!(12.00)
    );
    let order = service
        .checkout(request(too_many.id, None), Actor::Guest)
        .await
        .unwrap();
    assert_eq!(order.totals.total, dec!(12.00));
}
