//! Exactly once under concurrency, through the services every shell calls: racing repeats of a
//! refund, a checkout, a payment and a cancellation move money and stock once, and a key reused
//! for another request is refused. These run on every store because the guarantees rest on each
//! store's conditional writes (claims, leases, versioned updates), not on the services alone.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::fixtures::{all_events, at, draft, line, product, stock_of, user};
use super::Spawn;
use crate::cart::Cart;
use crate::cart_service::CartOwner;
use crate::checkout::CheckoutService;
use crate::clock::FixedClock;
use crate::error::{Error, Result};
use crate::ids::OrderId;
use crate::money::Currency;
use crate::order::{Actor, Order, OrderService, OrderStatus, PaymentStatus};
use crate::payment::{
    test_cards, PaymentMethod, PaymentProcessor, RecordingSleeper, TestGateway, TransactionKind,
    TransactionStatus,
};
use crate::store::{
    ClaimOutcome, IdempotencyClaim, IdempotencyCompletion, OrderUpdate, StorageError, Store,
};
use crate::ErrorCode;

const RACERS: usize = 32;

struct Shop {
    store: Arc<dyn Store>,
    gateway: Arc<TestGateway>,
    payments: Arc<PaymentProcessor>,
    orders: Arc<OrderService>,
}

fn shop(store: &Arc<dyn Store>) -> Shop {
    let clock = Arc::new(FixedClock::new(at(10)));
    let gateway = Arc::new(TestGateway::new());
    let payments = Arc::new(PaymentProcessor::new(
        store.clone(),
        gateway.clone(),
        Arc::new(RecordingSleeper::default()),
        clock.clone(),
    ));
    let orders = Arc::new(OrderService::new(store.clone(), payments.clone(), clock));
    Shop {
        store: store.clone(),
        gateway,
        payments,
        orders,
    }
}

/// A pending order of two 10.00 tees (20.00), placed directly in the store.
async fn pending_order(store: &Arc<dyn Store>) -> Order {
    let tee = product("Classic Tee", "TEE-EO", dec!(50), false);
    store.put_product(tee.clone()).await.unwrap();
    store
        .place_order(draft(vec![line(&tee, dec!(2))], None), None)
        .await
        .unwrap()
}

async fn captured_order(shop: &Shop) -> Order {
    let order = pending_order(&shop.store).await;
    let paid = shop
        .payments
        .charge(
            order.id,
            &PaymentMethod::new(test_cards::SUCCEEDS),
            Actor::System,
            None,
        )
        .await
        .unwrap();
    assert_eq!(paid.payment.captured, dec!(20.00));
    paid
}

/// Runs `RACERS` copies of `attempt` at once and returns their outcomes.
async fn race<F, Fut>(spawn: Spawn<'_>, attempt: F) -> Vec<Result<Order>>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<Order>> + Send + 'static,
{
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..RACERS {
        let outcomes = outcomes.clone();
        let run = attempt(i);
        tasks.push(spawn(Box::pin(async move {
            let outcome = run.await;
            outcomes.lock().expect("outcomes lock").push(outcome);
        })));
    }
    for task in tasks {
        task.await;
    }
    let outcomes = std::mem::take(&mut *outcomes.lock().expect("outcomes lock"));
    outcomes
}

fn codes(outcomes: &[Result<Order>]) -> Vec<ErrorCode> {
    outcomes
        .iter()
        .filter_map(|o| o.as_ref().err().map(Error::code))
        .collect()
}

async fn count_events(store: &Arc<dyn Store>, kind: &str) -> usize {
    all_events(store)
        .await
        .iter()
        .filter(|e| e.payload.kind() == kind)
        .count()
}

async fn ledger(
    store: &Arc<dyn Store>,
    order_id: OrderId,
) -> Vec<(TransactionKind, TransactionStatus)> {
    store
        .list_transactions(order_id)
        .await
        .unwrap()
        .iter()
        .map(|t| (t.kind, t.status))
        .collect()
}

/// 32 concurrent refunds of 1.00 with one key on a captured 20.00 order: the money moves once, one
/// `PaymentRefunded` is emitted, one refund is in the ledger; every answer is the refunded order
/// or `request_in_flight`; a later repeat replays; the key with another amount is
/// `idempotency_conflict` and moves nothing.
pub async fn concurrent_refunds_with_one_key_move_money_once(
    store: Arc<dyn Store>,
    spawn: Spawn<'_>,
) {
    let shop = shop(&store);
    let order = captured_order(&shop).await;
    let payments = shop.payments.clone();
    let outcomes = race(spawn, |_| {
        let payments = payments.clone();
        async move {
            payments
                .refund(order.id, Some(dec!(1.00)), Actor::System, Some("refund-1"))
                .await
        }
    })
    .await;
    for outcome in &outcomes {
        match outcome {
            Ok(order) => assert_eq!(order.payment.refunded, dec!(1.00)),
            Err(err) => assert_eq!(err.code(), ErrorCode::RequestInFlight, "{err}"),
        }
    }
    assert!(outcomes.iter().any(Result::is_ok));
    let stored = store.get_order(order.id).await.unwrap();
    assert_eq!(stored.payment.refunded, dec!(1.00));
    assert_eq!(stored.payment.status, PaymentStatus::PartiallyRefunded);
    assert_eq!(shop.gateway.refunds_performed(), 1);
    assert_eq!(count_events(&store, "PaymentRefunded").await, 1);
    let refunds = ledger(&store, order.id)
        .await
        .into_iter()
        .filter(|(kind, _)| *kind == TransactionKind::Refund)
        .collect::<Vec<_>>();
    assert_eq!(
        refunds,
        vec![(TransactionKind::Refund, TransactionStatus::Succeeded)]
    );

    let again = shop
        .payments
        .refund(order.id, Some(dec!(1.00)), Actor::System, Some("refund-1"))
        .await
        .unwrap();
    assert_eq!(again.payment.refunded, dec!(1.00));
    let other_amount = shop
        .payments
        .refund(order.id, Some(dec!(2.00)), Actor::System, Some("refund-1"))
        .await;
    assert_eq!(
        other_amount.unwrap_err().code(),
        ErrorCode::IdempotencyConflict
    );
    assert_eq!(shop.gateway.refunds_performed(), 1);
    assert_eq!(
        store.get_order(order.id).await.unwrap().payment.refunded,
        dec!(1.00)
    );
}

/// One key sent with two different bodies at once (16 racers each): exactly one body takes
/// effect, every answer for the other body is `idempotency_conflict` (or `request_in_flight`
/// while the winner runs, for its own repeats).
pub async fn one_key_with_two_bodies_takes_effect_once(store: Arc<dyn Store>, spawn: Spawn<'_>) {
    let shop = shop(&store);
    let order = captured_order(&shop).await;
    let payments = shop.payments.clone();
    let outcomes = race(spawn, |i| {
        let payments = payments.clone();
        let amount = if i % 2 == 0 { dec!(1.00) } else { dec!(2.00) };
        async move {
            payments
                .refund(order.id, Some(amount), Actor::System, Some("same-key"))
                .await
                .map_err(|err| match err {
                    // Tag which body lost, so the check below can tell them apart.
                    Error::IdempotencyConflict { .. } => Error::IdempotencyConflict {
                        key: amount.to_string(),
                    },
                    other => other,
                })
        }
    })
    .await;
    let stored = store.get_order(order.id).await.unwrap();
    let winner = stored.payment.refunded;
    assert!(winner == dec!(1.00) || winner == dec!(2.00), "{winner}");
    assert_eq!(shop.gateway.refunds_performed(), 1);
    assert_eq!(count_events(&store, "PaymentRefunded").await, 1);
    for outcome in &outcomes {
        match outcome {
            Ok(order) => assert_eq!(order.payment.refunded, winner),
            Err(Error::IdempotencyConflict { key }) => {
                assert_ne!(key.parse::<Decimal>().unwrap(), winner)
            }
            Err(err) => assert_eq!(err.code(), ErrorCode::RequestInFlight, "{err}"),
        }
    }
    assert!(codes(&outcomes).contains(&ErrorCode::IdempotencyConflict));
}

/// 32 concurrent checkouts of one customer's cart with one key all get the same order; stock and
/// `OrderPlaced` happen once. The key with another email, or after the customer filled a new
/// cart, is `idempotency_conflict` and places nothing.
pub async fn concurrent_checkouts_with_one_key_get_one_order(
    store: Arc<dyn Store>,
    spawn: Spawn<'_>,
) {
    let clock = Arc::new(FixedClock::new(at(10)));
    let checkout = Arc::new(CheckoutService::new(store.clone(), clock));
    let tee = product("Classic Tee", "TEE-CO", dec!(50), false);
    store.put_product(tee.clone()).await.unwrap();
    let buyer = store
        .create_user(user("racer@example.com", 1))
        .await
        .unwrap();
    let fill_cart = |quantity: Decimal| {
        let store = store.clone();
        let tee = tee.clone();
        async move {
            let mut cart = Cart::new(Currency::Usd, Some(buyer.id), at(2));
            cart.add_item(&tee, tee.variants[0].id, quantity, None, at(2))
                .unwrap();
            store.create_cart(cart).await.unwrap()
        }
    };
    fill_cart(dec!(3)).await;
    let outcomes = race(spawn, |_| {
        let checkout = checkout.clone();
        async move {
            checkout
                .checkout_for(
                    CartOwner::Customer(buyer.id),
                    Some("racer@example.com".into()),
                    Some("checkout-1".into()),
                    Actor::User { user_id: buyer.id },
                )
                .await
        }
    })
    .await;
    let ids: HashSet<OrderId> = outcomes
        .iter()
        .map(|o| o.as_ref().expect("every repeat gets the order").id)
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(stock_of(&store, &tee).await, dec!(47));
    assert_eq!(count_events(&store, "OrderPlaced").await, 1);

    let owner = CartOwner::Customer(buyer.id);
    let actor = Actor::User { user_id: buyer.id };
    let other_email = checkout
        .checkout_for(
            owner,
            Some("someone-else@example.com".into()),
            Some("checkout-1".into()),
            actor,
        )
        .await;
    assert_eq!(
        other_email.unwrap_err().code(),
        ErrorCode::IdempotencyConflict
    );
    fill_cart(dec!(1)).await;
    let new_cart = checkout
        .checkout_for(
            owner,
            Some("racer@example.com".into()),
            Some("checkout-1".into()),
            actor,
        )
        .await;
    assert_eq!(new_cart.unwrap_err().code(), ErrorCode::IdempotencyConflict);
    assert_eq!(stock_of(&store, &tee).await, dec!(47));
    assert_eq!(count_events(&store, "OrderPlaced").await, 1);
    let fresh_key = checkout
        .checkout_for(
            owner,
            Some("racer@example.com".into()),
            Some("checkout-2".into()),
            actor,
        )
        .await
        .unwrap();
    assert!(!ids.contains(&fresh_key.id));
    assert_eq!(stock_of(&store, &tee).await, dec!(46));
}

/// 32 concurrent "pay now" requests (half with one client key, half without) leave exactly one
/// authorization and one capture in the ledger and one `PaymentCaptured`; the losers are told
/// `request_in_flight` or `already_captured`, or get the paid order. Afterwards the key replays
/// the paid order and a keyless repeat is `already_captured`.
pub async fn concurrent_payments_authorize_and_capture_once(
    store: Arc<dyn Store>,
    spawn: Spawn<'_>,
) {
    let shop = shop(&store);
    let order = pending_order(&store).await;
    let payments = shop.payments.clone();
    let outcomes = race(spawn, |i| {
        let payments = payments.clone();
        async move {
            let key = (i % 2 == 0).then_some("pay-1");
            payments
                .charge(
                    order.id,
                    &PaymentMethod::new(test_cards::SUCCEEDS),
                    Actor::Guest,
                    key,
                )
                .await
        }
    })
    .await;
    for outcome in &outcomes {
        match outcome {
            Ok(order) => assert_eq!(order.payment.status, PaymentStatus::Captured),
            Err(err) => assert!(
                matches!(
                    err.code(),
                    ErrorCode::RequestInFlight | ErrorCode::AlreadyCaptured
                ),
                "{err}"
            ),
        }
    }
    assert_eq!(
        ledger(&store, order.id).await,
        vec![
            (TransactionKind::Authorize, TransactionStatus::Succeeded),
            (TransactionKind::Capture, TransactionStatus::Succeeded),
        ]
    );
    assert_eq!(shop.gateway.captures_performed(), 1);
    assert_eq!(count_events(&store, "PaymentCaptured").await, 1);
    let stored = store.get_order(order.id).await.unwrap();
    assert_eq!(stored.payment.captured, dec!(20.00));

    let keyless = shop
        .payments
        .charge(
            order.id,
            &PaymentMethod::new(test_cards::SUCCEEDS),
            Actor::Guest,
            None,
        )
        .await;
    assert_eq!(keyless.unwrap_err().code(), ErrorCode::AlreadyCaptured);
    let with_key = shop
        .payments
        .charge(
            order.id,
            &PaymentMethod::new(test_cards::SUCCEEDS),
            Actor::Guest,
            Some("pay-2"),
        )
        .await;
    assert_eq!(with_key.unwrap_err().code(), ErrorCode::AlreadyCaptured);
    let other_card = shop
        .payments
        .charge(
            order.id,
            &PaymentMethod::new(test_cards::DECLINED),
            Actor::Guest,
            Some("pay-1"),
        )
        .await;
    // Only when a keyed racer won is "pay-1" completed; otherwise its claim was released.
    if let Err(err) = &other_card {
        assert!(
            matches!(
                err.code(),
                ErrorCode::IdempotencyConflict | ErrorCode::AlreadyCaptured
            ),
            "{err}"
        );
    }
    assert_eq!(ledger(&store, order.id).await.len(), 2);
}

/// 32 concurrent cancellations of a captured order (half with one key): one refund at the
/// provider and in the ledger, stock given back once, the order cancelled; the keyed repeat
/// afterwards replays the cancelled order.
pub async fn concurrent_cancellations_refund_and_release_once(
    store: Arc<dyn Store>,
    spawn: Spawn<'_>,
) {
    let shop = shop(&store);
    let order = captured_order(&shop).await;
    let tee_variant = order.lines[0].variant_id;
    let stock_before = store.stock_level(tee_variant).await.unwrap().stock;
    let orders = shop.orders.clone();
    let outcomes = race(spawn, |i| {
        let orders = orders.clone();
        async move {
            let key = (i % 2 == 0).then_some("cancel-1");
            orders.cancel(order.id, Actor::System, key).await
        }
    })
    .await;
    for outcome in &outcomes {
        match outcome {
            Ok(order) => assert_eq!(order.status, OrderStatus::Cancelled),
            Err(err) => assert!(
                matches!(
                    err.code(),
                    ErrorCode::RequestInFlight | ErrorCode::InvalidTransition
                ),
                "{err}"
            ),
        }
    }
    let stored = store.get_order(order.id).await.unwrap();
    assert_eq!(stored.status, OrderStatus::Cancelled);
    assert_eq!(stored.payment.status, PaymentStatus::Refunded);
    assert_eq!(stored.payment.refunded, dec!(20.00));
    assert_eq!(shop.gateway.refunds_performed(), 1);
    assert_eq!(
        store.stock_level(tee_variant).await.unwrap().stock,
        stock_before + dec!(2)
    );
    assert_eq!(count_events(&store, "PaymentRefunded").await, 1);
    let refunds = ledger(&store, order.id)
        .await
        .into_iter()
        .filter(|(kind, _)| *kind == TransactionKind::Refund)
        .count();
    assert_eq!(refunds, 1);
    let keyless = shop.orders.cancel(order.id, Actor::System, None).await;
    assert_eq!(keyless.unwrap_err().code(), ErrorCode::InvalidTransition);
}

/// The claim primitive itself: one of many racing claims wins; a repeat sees the record in
/// flight; a lapsed claim is taken over by the same request only; a completion by a holder that
/// lost its claim stores nothing (not even the order change it came with); release by another
/// holder does nothing.
pub async fn idempotency_claims_complete_with_the_effect(store: Arc<dyn Store>, spawn: Spawn<'_>) {
    let claim = |holder: &str, minute: i64, fingerprint: &str| IdempotencyClaim {
        scope: "refund".into(),
        key: "k1".into(),
        fingerprint: fingerprint.into(),
        holder: holder.into(),
        now: at(minute),
        lease_until: at(minute + 1),
    };
    let winners = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        let winners = winners.clone();
        let c = claim(&format!("h{i}"), 0, "f1");
        tasks.push(spawn(Box::pin(async move {
            if store.claim_idempotency_key(c.clone()).await.expect("claim") == ClaimOutcome::Claimed
            {
                winners.lock().expect("lock").push(c.holder);
            }
        })));
    }
    for task in tasks {
        task.await;
    }
    let winners = std::mem::take(&mut *winners.lock().expect("lock"));
    assert_eq!(winners.len(), 1);
    let first = winners[0].clone();

    let record = store
        .get_idempotency_record("refund", "k1")
        .await
        .unwrap()
        .unwrap();
    assert!(!record.is_completed());
    assert_eq!(record.holder.as_deref(), Some(first.as_str()));
    assert_eq!(record.lease_until, Some(at(1)));
    assert_eq!(record.fingerprint, "f1");

    // Within the lease nobody else gets it; after it, a request with another fingerprint still
    // does not, the same request does.
    assert!(matches!(
        store.claim_idempotency_key(claim("late", 0, "f1")).await.unwrap(),
        ClaimOutcome::Existing(r) if !r.is_completed()
    ));
    assert!(matches!(
        store
            .claim_idempotency_key(claim("other", 5, "f2"))
            .await
            .unwrap(),
        ClaimOutcome::Existing(_)
    ));
    assert_eq!(
        store
            .claim_idempotency_key(claim("second", 5, "f1"))
            .await
            .unwrap(),
        ClaimOutcome::Claimed
    );
    // Keys are per scope.
    let mut elsewhere = claim("h", 0, "f1");
    elsewhere.scope = "cancel".into();
    assert_eq!(
        store.claim_idempotency_key(elsewhere).await.unwrap(),
        ClaimOutcome::Claimed
    );

    // The first holder lost its claim: its order write carrying the completion is refused whole.
    let order = pending_order(&store).await;
    let completion = |holder: &str| IdempotencyCompletion {
        scope: "refund".into(),
        key: "k1".into(),
        holder: holder.into(),
        resource_id: Some(order.id.to_string()),
        response: None,
    };
    let mut changed = order.clone();
    changed.tracking_number = Some("LATE".into());
    let late = store
        .update_order(OrderUpdate {
            idempotency: Some(completion(&first)),
            ..OrderUpdate::new(changed.clone(), Vec::new())
        })
        .await;
    assert!(
        matches!(late, Err(StorageError::IdempotencyInFlight { .. })),
        "{late:?}"
    );
    assert_eq!(
        store.get_order(order.id).await.unwrap().version,
        order.version
    );
    assert_eq!(
        store.get_order(order.id).await.unwrap().tracking_number,
        None
    );

    // Release by someone else does nothing; the holder's completion lands with its write.
    store
        .release_idempotency_key("refund", "k1", &first)
        .await
        .unwrap();
    assert!(store
        .get_idempotency_record("refund", "k1")
        .await
        .unwrap()
        .is_some());
    let saved = store
        .update_order(OrderUpdate {
            idempotency: Some(completion("second")),
            ..OrderUpdate::new(changed, Vec::new())
        })
        .await
        .unwrap();
    assert_eq!(saved.tracking_number.as_deref(), Some("LATE"));
    let done = store
        .get_idempotency_record("refund", "k1")
        .await
        .unwrap()
        .unwrap();
    assert!(done.is_completed());
    assert_eq!(done.holder, None);
    assert_eq!(done.resource_id, Some(order.id.to_string()));
    assert!(matches!(
        store.claim_idempotency_key(claim("after", 9, "f1")).await.unwrap(),
        ClaimOutcome::Existing(r) if r.is_completed()
    ));
    // Completed keys are never released or completed again.
    store
        .release_idempotency_key("refund", "k1", "second")
        .await
        .unwrap();
    assert!(store
        .get_idempotency_record("refund", "k1")
        .await
        .unwrap()
        .is_some());
    assert!(matches!(
        store.complete_idempotency_key(completion("second")).await,
        Err(StorageError::IdempotencyInFlight { .. })
    ));

    // A standalone completion for effects that are not an order write; release of a held claim.
    let mut standalone = claim("solo", 0, "f1");
    standalone.key = "k2".into();
    assert_eq!(
        store.claim_idempotency_key(standalone).await.unwrap(),
        ClaimOutcome::Claimed
    );
    let response = serde_json::json!({"status": 201});
    let done = store
        .complete_idempotency_key(IdempotencyCompletion {
            key: "k2".into(),
            response: Some(response.clone()),
            ..completion("solo")
        })
        .await
        .unwrap();
    assert_eq!(done.response, Some(response));
    let mut released = claim("gone", 0, "f1");
    released.key = "k3".into();
    store.claim_idempotency_key(released).await.unwrap();
    store
        .release_idempotency_key("refund", "k3", "gone")
        .await
        .unwrap();
    assert_eq!(
        store.get_idempotency_record("refund", "k3").await.unwrap(),
        None
    );
    assert!(matches!(
        store
            .complete_idempotency_key(IdempotencyCompletion {
                key: "missing".into(),
                ..completion("nobody")
            })
            .await,
        Err(StorageError::NotFound { .. })
    ));
}
