//! [`PaymentStore`](crate::store::PaymentStore): payment attempts round-trip in order.

use std::sync::Arc;

use rust_decimal_macros::dec;

use crate::ids::{OrderId, TransactionId};
use crate::money::Currency;
use crate::payment::{PaymentTransaction, TransactionKind, TransactionStatus};
use crate::store::{StorageError, Store};

use super::fixtures::*;
use super::Spawn;

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
