//! Payment orchestration against the deterministic test gateway.

mod support;

use std::sync::Arc;
use std::time::Duration;

use merx_core::event::EventPayload;
use merx_core::order::{Actor, OrderService, OrderStatus, PaymentStatus};
use merx_core::payment::{
    test_cards, PaymentMethod, PaymentProcessor, RecordingSleeper, RetryPolicy, TestGateway,
    TransactionKind, TransactionStatus,
};
use merx_core::{Error, ErrorCode};
use rust_decimal_macros::dec;
use support::World;

struct Payments {
    world: World,
    gateway: Arc<TestGateway>,
    sleeper: Arc<RecordingSleeper>,
    processor: Arc<PaymentProcessor>,
}

fn payments() -> Payments {
    let world = World::new();
    let gateway = Arc::new(TestGateway::new());
    let sleeper = Arc::new(RecordingSleeper::default());
    let processor = PaymentProcessor::new(
        world.store.clone(),
        gateway.clone(),
        sleeper.clone(),
        world.clock.clone(),
    )
    .with_retry_policy(RetryPolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(100),
        multiplier: 2,
        max_backoff: Duration::from_secs(1),
    });
    Payments {
        world,
        gateway,
        sleeper,
        processor: Arc::new(processor),
    }
}

fn card(number: &str) -> PaymentMethod {
    PaymentMethod::new(number)
}

#[tokio::test]
async fn transient_failures_are_retried_with_backoff_and_every_attempt_recorded() {
    let p = payments();
    let order = p.world.order("TEE-1", dec!(25.00), dec!(2)).await;
    let flaky = test_cards::fails_then_succeeds(2);
    let authorized = p
        .processor
        .authorize(order.id, &card(&flaky), Actor::Guest)
        .await
        .unwrap();
    assert_eq!(authorized.payment.status, PaymentStatus::Authorized);
    assert_eq!(authorized.payment.authorized, dec!(50.00));
    assert_eq!(
        p.sleeper.delays(),
        vec![Duration::from_millis(100), Duration::from_millis(200)]
    );

    let attempts = p.world.store.list_transactions(order.id).await.unwrap();
    let shape: Vec<(TransactionKind, u32, TransactionStatus)> = attempts
        .iter()
        .map(|t| (t.kind, t.attempt, t.status))
        .collect();
    assert_eq!(
        shape,
        vec![
            (TransactionKind::Authorize, 1, TransactionStatus::Failed),
            (TransactionKind::Authorize, 2, TransactionStatus::Failed),
            (TransactionKind::Authorize, 3, TransactionStatus::Succeeded),
        ]
    );
    assert!(
        attempts
            .iter()
            .all(|t| t.idempotency_key == attempts[0].idempotency_key),
        "retries reuse the key"
    );
    assert_eq!(
        attempts[2].provider_reference,
        authorized.payment.authorization_reference
    );

    // The same card's capture is flaky too (per key), and is retried the same way.
    let captured = p.processor.capture(order.id, Actor::System).await.unwrap();
    assert_eq!(captured.payment.status, PaymentStatus::Captured);
    assert_eq!(p.gateway.captures_performed(), 1);
    assert_eq!(p.sleeper.delays().len(), 4);
}

#[tokio::test]
async fn exhausted_retries_fail_the_payment_and_a_new_attempt_may_follow() {
    let p = payments();
    let order = p.world.order("TEE-1", dec!(10.00), dec!(1)).await;
    let err = p
        .processor
        .authorize(order.id, &card(test_cards::ALWAYS_TRANSIENT), Actor::Guest)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::PaymentFailed { attempts: 4, .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), ErrorCode::PaymentFailed);
    assert_eq!(
        p.sleeper.delays(),
        vec![
            Duration::from_millis(100),
            Duration::from_millis(200),
            Duration::from_millis(400)
        ]
    );
    assert_eq!(
        p.world
            .store
            .list_transactions(order.id)
            .await
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        p.world
            .store
            .get_order(order.id)
            .await
            .unwrap()
            .payment
            .status,
        PaymentStatus::Failed
    );

    let retried = p
        .processor
        .authorize(order.id, &card(test_cards::SUCCEEDS), Actor::Guest)
        .await
        .unwrap();
    assert_eq!(retried.payment.status, PaymentStatus::Authorized);
}

#[tokio::test]
async fn declines_are_not_retried() {
    let p = payments();
    let order = p.world.order("TEE-1", dec!(10.00), dec!(1)).await;
    let err = p
        .processor
        .authorize(order.id, &card(test_cards::DECLINED), Actor::Guest)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::PaymentDeclined { reason } if reason == "card declined"),
        "{err:?}"
    );
    assert_eq!(p.gateway.calls(), 1);
    assert!(p.sleeper.delays().is_empty());
    let attempts = p.world.store.list_transactions(order.id).await.unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].status, TransactionStatus::Declined);
    let stored = p.world.store.get_order(order.id).await.unwrap();
    assert_eq!(stored.payment.status, PaymentStatus::Failed);
    assert!(matches!(
        stored.history.last().map(|h| &h.change),
        Some(merx_core::order::OrderChange::Payment {
            from: PaymentStatus::Unpaid,
            to: PaymentStatus::Failed,
            ..
        })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capture_is_never_done_twice_for_one_order() {
    let p = payments();
    let order = p.world.order("TEE-1", dec!(30.00), dec!(1)).await;
    p.processor
        .authorize(order.id, &card(test_cards::SUCCEEDS), Actor::Guest)
        .await
        .unwrap();

    let mut tasks = Vec::new();
    for _ in 0..10 {
        let processor = p.processor.clone();
        tasks.push(tokio::spawn(async move {
            processor.capture(order.id, Actor::System).await
        }));
    }
    let mut captured = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(order) => {
                captured += 1;
                assert_eq!(order.payment.captured, dec!(30.00));
            }
            // A racer is told the capture is done, or that it is still running.
            Err(err) => assert!(
                matches!(
                    err.code(),
                    ErrorCode::AlreadyCaptured | ErrorCode::RequestInFlight
                ),
                "{err:?}"
            ),
        }
    }
    assert_eq!(captured, 1);
    assert_eq!(p.gateway.captures_performed(), 1);
    let err = p
        .processor
        .capture(order.id, Actor::System)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::AlreadyCaptured);
    let stored = p.world.store.get_order(order.id).await.unwrap();
    assert_eq!(
        (stored.payment.status, stored.payment.captured),
        (PaymentStatus::Captured, dec!(30.00))
    );
    let capture_events = p.world.store.events_after(0, 1000).await.unwrap().into_iter()
        .filter(|e| matches!(e.payload, EventPayload::PaymentCaptured { amount, .. } if amount == dec!(30.00)))
        .count();
    assert_eq!(capture_events, 1);

    let unpaid = p.world.order("TEE-2", dec!(5.00), dec!(1)).await;
    assert_eq!(
        p.processor
            .capture(unpaid.id, Actor::System)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::InvalidTransition
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refunds_never_exceed_the_captured_amount() {
    let p = payments();
    let order = p.world.order("TEE-1", dec!(10.00), dec!(3)).await;
    p.processor
        .authorize(order.id, &card(test_cards::SUCCEEDS), Actor::Guest)
        .await
        .unwrap();
    let captured = p.processor.capture(order.id, Actor::System).await.unwrap();
    let authorization = captured.payment.authorization_reference.clone().unwrap();

    let partial = p
        .processor
        .refund(order.id, Some(dec!(10.00)), Actor::System, Some("r1"))
        .await
        .unwrap();
    assert_eq!(
        (partial.payment.status, partial.payment.refunded),
        (PaymentStatus::PartiallyRefunded, dec!(10.00))
    );
    let replay = p
        .processor
        .refund(order.id, Some(dec!(10.00)), Actor::System, Some("r1"))
        .await
        .unwrap();
    assert_eq!(
        replay.payment.refunded,
        dec!(10.00),
        "the same refund key refunds once"
    );
    assert_eq!(p.gateway.refunds_performed(), 1);

    let calls_before = p.gateway.calls();
    let err = p
        .processor
        .refund(order.id, Some(dec!(25.00)), Actor::System, Some("r2"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::RefundExceedsCapture {
            requested: dec!(25.00),
            refundable: dec!(20.00)
        }
    );
    assert_eq!(
        p.gateway.calls(),
        calls_before,
        "an over-refund never reaches the provider"
    );
    assert_eq!(
        p.processor
            .refund(order.id, Some(dec!(0)), Actor::System, Some("r3"))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::ValidationFailed
    );

    // Racing refunds of 5.00 each against 20.00 refundable: one at a time moves money, the others
    // are told to retry; retried, exactly four succeed and the rest exceed the capture.
    let mut tasks = Vec::new();
    for i in 0..8 {
        let processor = p.processor.clone();
        tasks.push(tokio::spawn(async move {
            let key = format!("race-{i}");
            let outcome = processor
                .refund(order.id, Some(dec!(5.00)), Actor::System, Some(&key))
                .await;
            (key, outcome)
        }));
    }
    let mut succeeded = 0;
    let mut to_retry = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            (_, Ok(_)) => succeeded += 1,
            (key, Err(err)) if err.code() == ErrorCode::RequestInFlight => to_retry.push(key),
            (_, Err(err)) => assert!(
                matches!(
                    err.code(),
                    ErrorCode::RefundExceedsCapture | ErrorCode::InvalidTransition
                ),
                "{err}"
            ),
        }
    }
    for key in to_retry {
        match p
            .processor
            .refund(order.id, Some(dec!(5.00)), Actor::System, Some(&key))
            .await
        {
            Ok(_) => succeeded += 1,
            Err(err) => assert!(
                matches!(
                    err.code(),
                    ErrorCode::RefundExceedsCapture | ErrorCode::InvalidTransition
                ),
                "{err}"
            ),
        }
    }
    let stored = p.world.store.get_order(order.id).await.unwrap();
    assert_eq!(
        stored.payment.refunded,
        dec!(10.00) + dec!(5.00) * rust_decimal::Decimal::from(succeeded)
    );
    assert!(stored.payment.refunded <= stored.payment.captured);
    assert_eq!(
        p.gateway.refunded_on(&authorization),
        Some(stored.payment.refunded)
    );
    assert_eq!(succeeded, 4);
    assert_eq!(stored.payment.status, PaymentStatus::Refunded);
    assert_eq!(
        p.processor
            .refund(order.id, Some(dec!(0.01)), Actor::System, Some("late"))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::InvalidTransition
    );
    let refund_events = p
        .world
        .store
        .events_after(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.payload.kind() == "PaymentRefunded")
        .count();
    assert_eq!(refund_events, 5);
}

#[tokio::test]
async fn cancelling_voids_an_authorization_or_refunds_a_capture() {
    let p = payments();
    let service = OrderService::new(
        p.world.store.clone(),
        p.processor.clone(),
        p.world.clock.clone(),
    );

    let authorized = p.world.order("TEE-1", dec!(10.00), dec!(2)).await;
    p.processor
        .authorize(authorized.id, &card(test_cards::SUCCEEDS), Actor::Guest)
        .await
        .unwrap();
    let cancelled = service
        .cancel(authorized.id, Actor::System, None)
        .await
        .unwrap();
    assert_eq!(
        (cancelled.status, cancelled.payment.status),
        (OrderStatus::Cancelled, PaymentStatus::Voided)
    );
    assert_eq!(
        p.world
            .store
            .stock_level(authorized.lines[0].variant_id)
            .await
            .unwrap()
            .stock,
        dec!(100)
    );

    let paid = p.world.order("TEE-2", dec!(7.50), dec!(2)).await;
    p.processor
        .authorize(paid.id, &card(test_cards::SUCCEEDS), Actor::Guest)
        .await
        .unwrap();
    p.processor.capture(paid.id, Actor::System).await.unwrap();
    service
        .start_processing(paid.id, Actor::System)
        .await
        .unwrap();
    let cancelled = service.cancel(paid.id, Actor::System, None).await.unwrap();
    assert_eq!(
        (cancelled.status, cancelled.payment.status),
        (OrderStatus::Cancelled, PaymentStatus::Refunded)
    );
    assert_eq!(cancelled.payment.refunded, dec!(15.00));
    assert_eq!(
        p.world
            .store
            .stock_level(paid.lines[0].variant_id)
            .await
            .unwrap()
            .stock,
        dec!(100)
    );

    let shipped = p.world.order("TEE-3", dec!(5.00), dec!(1)).await;
    p.processor
        .authorize(shipped.id, &card(test_cards::SUCCEEDS), Actor::Guest)
        .await
        .unwrap();
    p.processor
        .capture(shipped.id, Actor::System)
        .await
        .unwrap();
    service
        .start_processing(shipped.id, Actor::System)
        .await
        .unwrap();
    service.ship(shipped.id, None, Actor::System).await.unwrap();
    let refunds_before = p.gateway.refunds_performed();
    assert_eq!(
        service
            .cancel(shipped.id, Actor::System, None)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::InvalidTransition
    );
    assert_eq!(
        p.gateway.refunds_performed(),
        refunds_before,
        "a refused cancel refunds nothing"
    );
}
