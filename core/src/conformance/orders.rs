//! [`OrderStore`](crate::store::OrderStore): checkout is atomic and never oversells, idempotent
//! checkout answers with the first order, order updates check versions and give stock (and
//! promotion uses) back on cancellation, and orders list and filter.

use std::sync::{Arc, Mutex};

use rust_decimal_macros::dec;

use crate::cart::Cart;
use crate::event::EventPayload;
use crate::ids::{OrderId, TransactionId, UserId, VariantId};
use crate::money::Currency;
use crate::order::{
    Actor, ConsumedCart, FulfillmentStatus, OrderChange, OrderPromotion, OrderStatus,
    PromotionRedemption,
};
use crate::payment::{PaymentTransaction, TransactionKind, TransactionStatus};
use crate::store::{IdempotencyKey, OrderFilter, OrderUpdate, Page, StorageError, Store};
use crate::ErrorCode;

use super::fixtures::*;
use super::Spawn;

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
