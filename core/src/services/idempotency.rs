//! Exactly once under concurrency: idempotency keys and the per-order payment lock.
//!
//! Clients retry (a timeout, a double click, a proxy that replays), and the money an order moves
//! must move once. Two mechanisms, both built on one conditional write that every store performs
//! atomically, so they hold across threads, processes and replicas alike:
//!
//! - **An idempotency key names one request.** [`claim_key`] marks the key in flight for this
//!   request (a random holder token) together with a fingerprint of the request's parameters.
//!   The request then does its work and completes the key *inside the same store write that
//!   records its effect* ([`OrderUpdate::idempotency`](crate::store::OrderUpdate::idempotency)),
//!   so a crash leaves either both or neither. A later request with the key and the same
//!   fingerprint replays the first result; with another fingerprint it is
//!   `idempotency_conflict` (Stripe's contract); while the first is still running it is
//!   `request_in_flight` (409, retryable) and never a second execution. A request that fails
//!   before any effect releases its claim so the client may retry; a claim whose holder died is
//!   taken over once its lease ([`CLAIM_LEASE`]) runs out, and the completion's holder check
//!   makes sure the late first holder can then no longer store anything.
//! - **An order's payment lock** ([`OrderLock`]) lets one request at a time call the payment
//!   provider for an order (authorize, capture, void, refund, cancel), so the refundable amount
//!   checked before a provider call is still true when the result is stored, and racing "pay now"
//!   clicks reach the provider once instead of leaving one ledger row each. It is a store lease
//!   ([`EventStore::acquire_lease`](crate::store::EventStore::acquire_lease)); a second request
//!   gets `request_in_flight`.
//!
//! Checkout needs no claim of its own: its whole effect is one store transaction, which records
//! the key as completed with the order ([`OrderStore::place_order`](crate::store::OrderStore::place_order)),
//! so a racing twin waits for that transaction and then replays its order.

use std::future::Future;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::ids::OrderId;
use crate::store::{
    ClaimOutcome, IdempotencyClaim, IdempotencyCompletion, IdempotencyRecord, Store,
};

/// How long a claim or an order lock protects a request that neither finishes nor gives it up
/// (its process died). Longer than the slowest provider call with all its retries (four attempts
/// with at most 1.4 s of backoff between them and a provider timeout each), short enough that a
/// client retrying after a crash is served within a minute.
pub const CLAIM_LEASE: Duration = Duration::from_secs(30);

/// The scope of client keys on `POST /orders/{id}/payments`.
pub const PAYMENT_SCOPE: &str = "payment";
/// The scope of client keys on refunds.
pub const REFUND_SCOPE: &str = "refund";
/// The scope of client keys on cancellations.
pub const CANCEL_SCOPE: &str = "cancel";

/// A digest of a request's parameters, as `name=value` pairs in a fixed order: what makes "the
/// same request" for an idempotency key. Hashed, so a card token or an email in a parameter is
/// not stored in the clear.
pub fn fingerprint(parts: &[(&str, &str)]) -> String {
    let mut hasher = Sha256::new();
    for (name, value) in parts {
        // Lengths first, so no choice of values can make two different lists hash alike.
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update((value.len() as u64).to_le_bytes());
        hasher.update(value.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fresh random token naming one request as the holder of a claim or lock.
fn new_holder() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn lease_end(clock: &dyn Clock) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    let now = clock.now();
    let lease = chrono::Duration::from_std(CLAIM_LEASE).unwrap_or(chrono::Duration::seconds(30));
    (now, now + lease)
}

/// What [`claim_key`] decided.
#[derive(Debug)]
pub enum Begun {
    /// This request holds the key: do the work and complete the key with its effect.
    Run(ClaimedKey),
    /// The key's request completed before: answer with its result.
    Replay(IdempotencyRecord),
}

/// A key this request holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedKey {
    scope: String,
    key: String,
    holder: String,
}

impl ClaimedKey {
    /// The completion to put in the write that stores the effect on `resource`.
    pub fn completion(&self, resource: impl ToString) -> IdempotencyCompletion {
        IdempotencyCompletion {
            scope: self.scope.clone(),
            key: self.key.clone(),
            holder: self.holder.clone(),
            resource_id: Some(resource.to_string()),
            response: None,
        }
    }

    /// Gives the key up after a failure with no effect, so the client may retry. Best effort: if
    /// the store cannot be reached the claim simply lapses at the end of its lease.
    pub async fn release(&self, store: &dyn Store) {
        let _ = store
            .release_idempotency_key(&self.scope, &self.key, &self.holder)
            .await;
    }
}

/// Claims `key` under `scope` for a request with `fingerprint`; see the module docs.
pub async fn claim_key(
    store: &dyn Store,
    clock: &dyn Clock,
    scope: &str,
    key: &str,
    fingerprint: &str,
) -> Result<Begun> {
    let (now, lease_until) = lease_end(clock);
    let holder = new_holder();
    let outcome = store
        .claim_idempotency_key(IdempotencyClaim {
            scope: scope.to_string(),
            key: key.to_string(),
            fingerprint: fingerprint.to_string(),
            holder: holder.clone(),
            now,
            lease_until,
        })
        .await?;
    match outcome {
        ClaimOutcome::Claimed => Ok(Begun::Run(ClaimedKey {
            scope: scope.to_string(),
            key: key.to_string(),
            holder,
        })),
        ClaimOutcome::Existing(record) => decide(record, key, fingerprint).map(Begun::Replay),
    }
}

/// Whether an existing record may be replayed for a request with `fingerprint`.
pub fn decide(
    record: IdempotencyRecord,
    key: &str,
    fingerprint: &str,
) -> Result<IdempotencyRecord> {
    if record.fingerprint != fingerprint {
        return Err(Error::IdempotencyConflict {
            key: key.to_string(),
        });
    }
    if !record.is_completed() {
        return Err(Error::RequestInFlight {
            key: key.to_string(),
        });
    }
    Ok(record)
}

/// The order a completed record names.
pub async fn replayed_order(
    store: &dyn Store,
    record: &IdempotencyRecord,
) -> Result<crate::order::Order> {
    let order_id: OrderId = record
        .resource_id
        .as_deref()
        .ok_or_else(|| Error::Conflict {
            entity: OrderId::ENTITY,
            message: "the first request with this key recorded no order".into(),
        })?
        .parse()?;
    Ok(store.get_order(order_id).await?)
}

/// The lock that lets one request at a time move an order's money (see the module docs).
#[derive(Debug)]
pub struct OrderLock {
    name: String,
    holder: String,
}

impl OrderLock {
    /// Takes the lock of `order_id`, or `request_in_flight` when another request holds it.
    pub async fn acquire(
        store: &dyn Store,
        clock: &dyn Clock,
        order_id: OrderId,
    ) -> Result<OrderLock> {
        let (now, until) = lease_end(clock);
        let lock = OrderLock {
            name: format!("order-payment:{order_id}"),
            holder: new_holder(),
        };
        if store
            .acquire_lease(&lock.name, &lock.holder, now, until)
            .await?
        {
            Ok(lock)
        } else {
            Err(Error::RequestInFlight {
                key: order_id.to_string(),
            })
        }
    }

    /// Gives the lock up. Best effort: a lock that cannot be released lapses with its lease.
    pub async fn release(self, store: &dyn Store) {
        let _ = store.release_lease(&self.name, &self.holder).await;
    }
}

/// Runs `work` (a future not yet polled, so nothing happens before the lock is held) holding the
/// payment lock of `order_id`; releases the lock afterwards and, when `work` fails, the claimed
/// key so the client may retry.
pub async fn run_locked<T, F>(
    store: &dyn Store,
    clock: &dyn Clock,
    order_id: OrderId,
    claim: Option<&ClaimedKey>,
    work: F,
) -> Result<T>
where
    F: Future<Output = Result<T>>,
{
    let result = match OrderLock::acquire(store, clock, order_id).await {
        Ok(lock) => {
            let result = work.await;
            lock.release(store).await;
            result
        }
        Err(err) => Err(err),
    };
    if result.is_err() {
        if let Some(claim) = claim {
            claim.release(store).await;
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_differ_by_any_part_and_not_by_concatenation_tricks() {
        let base = fingerprint(&[("order", "o-1"), ("amount", "1.00")]);
        assert_eq!(base, fingerprint(&[("order", "o-1"), ("amount", "1.00")]));
        assert_ne!(base, fingerprint(&[("order", "o-1"), ("amount", "2.00")]));
        assert_ne!(
            fingerprint(&[("a", "bc"), ("d", "")]),
            fingerprint(&[("a", "b"), ("cd", "")])
        );
        assert_eq!(base.len(), 64);
    }
}
