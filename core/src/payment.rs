//! Payment orchestration over a [`PaymentGateway`].
//!
//! [`PaymentProcessor`] authorizes, captures, voids and refunds an order's payment. Rules it keeps:
//! - only transient provider errors are retried, with exponential backoff through an injected
//!   [`Sleeper`] (the core has no timer; the server passes a tokio sleeper, tests a recording one);
//!   a decline is final;
//! - every attempt, successful or not, is recorded as a [`PaymentTransaction`] (the successful one
//!   in the same store write as the payment state it causes);
//! - each operation sends an idempotency key derived from the order (and, for refunds, the caller's
//!   key), so a retry after a lost response cannot capture or refund twice at the provider;
//! - one request at a time moves an order's money, and a client's idempotency key is claimed and
//!   completed with the effect (see [`crate::idempotency`]), so concurrent repeats move money once;
//! - the order's payment state machine is checked before the provider is called, so a capture of a
//!   captured order or a refund above the refundable amount never reaches the provider.
//!
//! [`TestGateway`] is a deterministic in-process provider for examples and tests.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::event::{EventPayload, NewEvent};
use crate::idempotency::{
    claim_key, fingerprint, replayed_order, run_locked, Begun, PAYMENT_SCOPE, REFUND_SCOPE,
};
use crate::ids::{OrderId, TransactionId};
use crate::money::{Currency, Money};
use crate::order::{Actor, Order, OrderStatus, PaymentStatus};
use crate::store::{IdempotencyCompletion, OrderUpdate, StorageError, Store};
use crate::text::check_text;

/// What the shopper pays with: a provider token, or a card number for [`TestGateway`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethod {
    /// The provider's token for the card or wallet.
    pub token: String,
}

impl fmt::Debug for PaymentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Card numbers must not reach logs.
        let tail: String = self
            .token
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        write!(f, "PaymentMethod(****{tail})")
    }
}

impl PaymentMethod {
    /// A payment method from a token or test card number.
    pub fn new(token: impl Into<String>) -> PaymentMethod {
        PaymentMethod {
            token: token.into(),
        }
    }
}

/// A provider's answer to a successful call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayReceipt {
    /// The provider's reference for the authorization, capture, void or refund.
    pub reference: String,
}

/// Why a provider call failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// The provider refused the payment; retrying will not help.
    #[error("declined: {reason}")]
    Declined {
        /// The provider's reason.
        reason: String,
    },
    /// A timeout, rate limit or outage; the same call may succeed later.
    #[error("transient failure: {message}")]
    Transient {
        /// What failed.
        message: String,
    },
    /// The provider refused the request itself (unknown authorization, over-refund, bad amount).
    #[error("rejected: {message}")]
    Rejected {
        /// Why.
        message: String,
    },
}

/// A payment provider. Every call carries an idempotency key; the provider must answer a repeated
/// key with the first answer instead of moving money again.
#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
pub trait PaymentGateway: Send + Sync + fmt::Debug {
    /// The provider's name, recorded with each transaction.
    fn name(&self) -> &str;
    /// Reserves `amount` on the payment method.
    async fn authorize(
        &self,
        method: &PaymentMethod,
        amount: Money,
        idempotency_key: &str,
    ) -> std::result::Result<GatewayReceipt, GatewayError>;
    /// Takes `amount` of an authorization.
    async fn capture(
        &self,
        authorization: &str,
        amount: Money,
        idempotency_key: &str,
    ) -> std::result::Result<GatewayReceipt, GatewayError>;
    /// Releases an authorization without taking money.
    async fn void(
        &self,
        authorization: &str,
        idempotency_key: &str,
    ) -> std::result::Result<GatewayReceipt, GatewayError>;
    /// Gives back `amount` of what was captured.
    async fn refund(
        &self,
        authorization: &str,
        amount: Money,
        idempotency_key: &str,
    ) -> std::result::Result<GatewayReceipt, GatewayError>;
}

/// Waits between retries. The core cannot sleep by itself (no runtime, and wasm32 has no blocking
/// sleep), so the shell provides this.
#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
pub trait Sleeper: Send + Sync + fmt::Debug {
    /// Returns after `duration`.
    async fn sleep(&self, duration: Duration);
}

/// A sleeper that returns at once and remembers every delay it was asked for.
#[derive(Debug, Default)]
pub struct RecordingSleeper(Mutex<Vec<Duration>>);

impl RecordingSleeper {
    /// The delays requested so far, in order.
    pub fn delays(&self) -> Vec<Duration> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
impl Sleeper for RecordingSleeper {
    async fn sleep(&self, duration: Duration) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(duration);
    }
}

/// How transient failures are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryPolicy {
    /// Attempts in total, the first included (at least 1).
    pub max_attempts: u32,
    /// Delay before the second attempt.
    pub initial_backoff: Duration,
    /// Each later delay is the previous one times this factor.
    pub multiplier: u32,
    /// Upper bound of a delay.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
            multiplier: 2,
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The delay after failed attempt number `attempt` (1-based).
    pub fn backoff_after(&self, attempt: u32) -> Duration {
        let factor = self
            .multiplier
            .max(1)
            .saturating_pow(attempt.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// The kind of provider call a transaction records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TransactionKind {
    /// Authorization.
    Authorize,
    /// Capture.
    Capture,
    /// Void.
    Void,
    /// Refund.
    Refund,
}

/// How one attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TransactionStatus {
    /// The provider did it.
    Succeeded,
    /// The provider declined.
    Declined,
    /// A transient failure.
    Failed,
    /// The provider refused the request.
    Rejected,
}

/// One attempt at the provider.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PaymentTransaction {
    /// Identifier.
    pub id: TransactionId,
    /// The order paid for.
    pub order_id: OrderId,
    /// What was attempted.
    pub kind: TransactionKind,
    /// 1 for the first attempt of an operation, 2 for its first retry, ...
    pub attempt: u32,
    /// The amount involved (zero for a void).
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub amount: Decimal,
    /// The currency.
    pub currency: Currency,
    /// The outcome.
    pub status: TransactionStatus,
    /// The provider's name.
    pub provider: String,
    /// The provider's reference, on success.
    pub provider_reference: Option<String>,
    /// The idempotency key sent.
    pub idempotency_key: String,
    /// The provider's message on failure.
    pub message: Option<String>,
    /// When the attempt finished.
    pub created_at: DateTime<Utc>,
}

/// How many times an optimistic order update is retried after losing a race.
const UPDATE_RETRIES: u32 = 5;

/// Applies `change` to the stored order and saves it with `transactions` and `completion` in the
/// same write, re-reading and re-applying when another writer got there first. `change` decides
/// on the fresh order, so its checks see the latest state.
pub(crate) async fn save_order_change<F>(
    store: &dyn Store,
    clock: &dyn Clock,
    order_id: OrderId,
    transactions: Vec<PaymentTransaction>,
    completion: Option<IdempotencyCompletion>,
    change: F,
) -> Result<Order>
where
    F: Fn(Order, DateTime<Utc>) -> Result<OrderUpdate>,
{
    let mut tries = 0;
    loop {
        let order = store.get_order(order_id).await?;
        let mut update = change(order, clock.now())?;
        update.transactions = transactions.clone();
        update.idempotency = completion.clone();
        match store.update_order(update).await {
            Err(StorageError::Conflict { entity, .. })
                if entity == OrderId::ENTITY && tries < UPDATE_RETRIES =>
            {
                tries += 1
            }
            other => return Ok(other?),
        }
    }
}

/// A successful provider call, not yet stored: the attempt to put in the ledger with the order
/// change it causes.
#[derive(Clone, Debug)]
pub(crate) struct ProviderSuccess {
    pub(crate) receipt: GatewayReceipt,
    pub(crate) transaction: PaymentTransaction,
}

/// Moves an order's money through a gateway, recording every attempt.
///
/// Every public operation holds the order's payment lock ([`OrderLock`]) while it calls the
/// provider, and an operation with a client idempotency key claims it first and completes it in
/// the write that stores the outcome (see [`crate::idempotency`]). A failed attempt goes to the
/// ledger at once; the successful one goes in the same write as the payment state it causes, so
/// the ledger never shows a success the order does not (a provider success whose write failed is
/// recovered by the retry: the provider answers the repeated key with the same result).
#[derive(Debug)]
pub struct PaymentProcessor {
    store: Arc<dyn Store>,
    gateway: Arc<dyn PaymentGateway>,
    sleeper: Arc<dyn Sleeper>,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
}

impl PaymentProcessor {
    /// A processor with the default [`RetryPolicy`].
    pub fn new(
        store: Arc<dyn Store>,
        gateway: Arc<dyn PaymentGateway>,
        sleeper: Arc<dyn Sleeper>,
        clock: Arc<dyn Clock>,
    ) -> PaymentProcessor {
        PaymentProcessor {
            store,
            gateway,
            sleeper,
            clock,
            retry: RetryPolicy::default(),
        }
    }

    /// Replaces the retry policy.
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> PaymentProcessor {
        self.retry = retry;
        self
    }

    /// Runs an operation on `order_id` exactly once per client key: claims `key` (when given)
    /// under `scope` with the request's fingerprint, replays the first result of a completed key,
    /// and otherwise runs `work` holding the order's payment lock, handing it the completion to
    /// store with its effect. Keys are per order and operation, so two orders never share a key's
    /// history.
    pub(crate) async fn run_once<F, Fut>(
        &self,
        scope: &str,
        order_id: OrderId,
        key: Option<&str>,
        request_fingerprint: impl FnOnce() -> String,
        work: F,
    ) -> Result<Order>
    where
        F: FnOnce(Option<IdempotencyCompletion>) -> Fut,
        Fut: std::future::Future<Output = Result<Order>>,
    {
        let claim = match key {
            Some(key) => {
                check_text("idempotencyKey", key)?;
                let scoped = format!("{order_id}:{key}");
                let print = request_fingerprint();
                match claim_key(&*self.store, &*self.clock, scope, &scoped, &print).await? {
                    Begun::Run(claim) => Some(claim),
                    Begun::Replay(record) => return replayed_order(&*self.store, &record).await,
                }
            }
            None => None,
        };
        let completion = claim.as_ref().map(|c| c.completion(order_id));
        run_locked(
            &*self.store,
            &*self.clock,
            order_id,
            claim.as_ref(),
            work(completion),
        )
        .await
    }

    /// Pays an order in one step, as a storefront's "pay now" does: authorizes the order total on
    /// `method` and captures it at once. An order already authorized is only captured; one already
    /// captured is `already_captured`. With `idempotency_key`, a repeat of the request (same order
    /// and payment method) answers with the order as the first one left it, a different request
    /// under the key is `idempotency_conflict`, and one still running is `request_in_flight`.
    pub async fn charge(
        &self,
        order_id: OrderId,
        method: &PaymentMethod,
        actor: Actor,
        idempotency_key: Option<&str>,
    ) -> Result<Order> {
        let request = || {
            fingerprint(&[
                ("order", &order_id.to_string()),
                ("method", &method.token.replace([' ', '-'], "")),
            ])
        };
        self.run_once(PAYMENT_SCOPE, order_id, idempotency_key, request, |done| {
            self.charge_locked(order_id, method, actor, done)
        })
        .await
    }

    async fn charge_locked(
        &self,
        order_id: OrderId,
        method: &PaymentMethod,
        actor: Actor,
        completion: Option<IdempotencyCompletion>,
    ) -> Result<Order> {
        let order = self.store.get_order(order_id).await?;
        match order.payment.status {
            PaymentStatus::Authorized => {}
            PaymentStatus::Captured
            | PaymentStatus::PartiallyRefunded
            | PaymentStatus::Refunded => {
                return Err(Error::AlreadyCaptured {
                    order_id: order_id.to_string(),
                })
            }
            _ => {
                self.authorize_locked(order_id, method, actor, None).await?;
            }
        }
        self.capture_locked(order_id, actor, completion).await
    }

    /// Calls the gateway until success, a non-transient error or the attempt limit. Failed
    /// attempts are recorded at once; the success is returned for the caller to record with the
    /// order change it causes.
    pub(crate) async fn call_provider(
        &self,
        order: &Order,
        kind: TransactionKind,
        amount: Decimal,
        idempotency_key: &str,
        method: Option<&PaymentMethod>,
    ) -> Result<ProviderSuccess> {
        let money = Money::new(amount, order.currency);
        let authorization = order
            .payment
            .authorization_reference
            .as_deref()
            .unwrap_or_default();
        let max_attempts = self.retry.max_attempts.max(1);
        let mut attempt = 1;
        loop {
            let outcome = match (kind, method) {
                (TransactionKind::Authorize, Some(method)) => {
                    self.gateway.authorize(method, money, idempotency_key).await
                }
                (TransactionKind::Authorize, None) => Err(GatewayError::Rejected {
                    message: "authorization needs a payment method".into(),
                }),
                (TransactionKind::Capture, _) => {
                    self.gateway
                        .capture(authorization, money, idempotency_key)
                        .await
                }
                (TransactionKind::Void, _) => {
                    self.gateway.void(authorization, idempotency_key).await
                }
                (TransactionKind::Refund, _) => {
                    self.gateway
                        .refund(authorization, money, idempotency_key)
                        .await
                }
            };
            let (status, reference, message) = match &outcome {
                Ok(receipt) => (
                    TransactionStatus::Succeeded,
                    Some(receipt.reference.clone()),
                    None,
                ),
                Err(GatewayError::Declined { reason }) => {
                    (TransactionStatus::Declined, None, Some(reason.clone()))
                }
                Err(GatewayError::Transient { message }) => {
                    (TransactionStatus::Failed, None, Some(message.clone()))
                }
                Err(GatewayError::Rejected { message }) => {
                    (TransactionStatus::Rejected, None, Some(message.clone()))
                }
            };
            let transaction = PaymentTransaction {
                id: TransactionId::new(),
                order_id: order.id,
                kind,
                attempt,
                amount,
                currency: order.currency,
                status,
                provider: self.gateway.name().to_string(),
                provider_reference: reference,
                idempotency_key: idempotency_key.to_string(),
                message,
                created_at: self.clock.now(),
            };
            let receipt = match outcome {
                Ok(receipt) => receipt,
                Err(err) => {
                    self.store.record_transaction(transaction).await?;
                    match err {
                        GatewayError::Transient { message } if attempt >= max_attempts => {
                            return Err(Error::PaymentFailed {
                                reason: message,
                                attempts: attempt,
                            });
                        }
                        GatewayError::Transient { .. } => {
                            self.sleeper.sleep(self.retry.backoff_after(attempt)).await;
                            attempt += 1;
                            continue;
                        }
                        GatewayError::Declined { reason } => {
                            return Err(Error::PaymentDeclined { reason })
                        }
                        GatewayError::Rejected { message } => {
                            return Err(Error::PaymentFailed {
                                reason: message,
                                attempts: attempt,
                            });
                        }
                    }
                }
            };
            return Ok(ProviderSuccess {
                receipt,
                transaction,
            });
        }
    }

    /// Authorizes the order's total on `method`. Allowed while the payment is unpaid or failed.
    pub async fn authorize(
        &self,
        order_id: OrderId,
        method: &PaymentMethod,
        actor: Actor,
    ) -> Result<Order> {
        self.run_once(PAYMENT_SCOPE, order_id, None, String::new, |_| {
            self.authorize_locked(order_id, method, actor, None)
        })
        .await
    }

    async fn authorize_locked(
        &self,
        order_id: OrderId,
        method: &PaymentMethod,
        actor: Actor,
        completion: Option<IdempotencyCompletion>,
    ) -> Result<Order> {
        let order = self.store.get_order(order_id).await?;
        if order.status == OrderStatus::Cancelled
            || !order.payment.status.can_move_to(PaymentStatus::Authorized)
        {
            return Err(Error::InvalidTransition {
                machine: "payment status",
                from: order.payment.status.as_str().into(),
                to: PaymentStatus::Authorized.as_str().into(),
            });
        }
        let amount = order.totals.total;
        // The version changes with every recorded failure, so a new authorization attempt after a
        // decline gets a new key while retries within this call (and a retry after a crash)
        // share one.
        let key = format!("authorize-{order_id}-{}", order.version);
        match self
            .call_provider(
                &order,
                TransactionKind::Authorize,
                amount,
                &key,
                Some(method),
            )
            .await
        {
            Ok(success) => {
                let reference = success.receipt.reference.clone();
                save_order_change(
                    &*self.store,
                    &*self.clock,
                    order_id,
                    vec![success.transaction],
                    completion,
                    |mut order, now| {
                        order.move_payment_to(
                            PaymentStatus::Authorized,
                            Some(amount),
                            actor,
                            now,
                        )?;
                        order.payment.authorization_reference = Some(reference.clone());
                        order.payment.authorized = amount;
                        Ok(OrderUpdate::new(order, Vec::new()))
                    },
                )
                .await
            }
            Err(err) => {
                save_order_change(
                    &*self.store,
                    &*self.clock,
                    order_id,
                    Vec::new(),
                    None,
                    |mut order, now| {
                        if order.payment.status != PaymentStatus::Failed {
                            order.move_payment_to(PaymentStatus::Failed, None, actor, now)?;
                        }
                        Ok(OrderUpdate::new(order, Vec::new()))
                    },
                )
                .await?;
                Err(err)
            }
        }
    }

    /// Captures the whole authorized amount. A captured order answers `already_captured`.
    pub async fn capture(&self, order_id: OrderId, actor: Actor) -> Result<Order> {
        self.run_once(PAYMENT_SCOPE, order_id, None, String::new, |_| {
            self.capture_locked(order_id, actor, None)
        })
        .await
    }

    async fn capture_locked(
        &self,
        order_id: OrderId,
        actor: Actor,
        completion: Option<IdempotencyCompletion>,
    ) -> Result<Order> {
        let order = self.store.get_order(order_id).await?;
        let already_captured = || Error::AlreadyCaptured {
            order_id: order_id.to_string(),
        };
        match order.payment.status {
            PaymentStatus::Authorized => {}
            PaymentStatus::Captured
            | PaymentStatus::PartiallyRefunded
            | PaymentStatus::Refunded => {
                return Err(already_captured());
            }
            other => {
                return Err(Error::InvalidTransition {
                    machine: "payment status",
                    from: other.as_str().into(),
                    to: PaymentStatus::Captured.as_str().into(),
                })
            }
        }
        let amount = order.payment.authorized;
        // One provider key per order: a capture retried after a crash reaches the provider as
        // the same capture.
        let key = format!("capture-{order_id}");
        let success = self
            .call_provider(&order, TransactionKind::Capture, amount, &key, None)
            .await?;
        save_order_change(
            &*self.store,
            &*self.clock,
            order_id,
            vec![success.transaction],
            completion,
            |mut order, now| {
                if order.payment.status.is_captured()
                    || order.payment.status == PaymentStatus::Refunded
                {
                    return Err(already_captured());
                }
                order.move_payment_to(PaymentStatus::Captured, Some(amount), actor, now)?;
                order.payment.captured = amount;
                let event = NewEvent::new(
                    EventPayload::PaymentCaptured {
                        order_id,
                        currency: order.currency,
                        amount,
                    },
                    now,
                );
                Ok(OrderUpdate::new(order, vec![event]))
            },
        )
        .await
    }

    /// Releases the authorization.
    pub async fn void(&self, order_id: OrderId, actor: Actor) -> Result<Order> {
        self.run_once(PAYMENT_SCOPE, order_id, None, String::new, |_| async {
            let order = self.store.get_order(order_id).await?;
            let success = self.void_at_provider(&order).await?;
            save_order_change(
                &*self.store,
                &*self.clock,
                order_id,
                vec![success.transaction],
                None,
                |mut order, now| {
                    apply_void(&mut order, actor, now)?;
                    Ok(OrderUpdate::new(order, Vec::new()))
                },
            )
            .await
        })
        .await
    }

    /// Voids the order's authorization at the provider (the caller holds the order's lock and
    /// stores the outcome with [`apply_void`]).
    pub(crate) async fn void_at_provider(&self, order: &Order) -> Result<ProviderSuccess> {
        if order.payment.status != PaymentStatus::Authorized {
            return Err(Error::InvalidTransition {
                machine: "payment status",
                from: order.payment.status.as_str().into(),
                to: PaymentStatus::Voided.as_str().into(),
            });
        }
        let key = format!("void-{}", order.id);
        self.call_provider(order, TransactionKind::Void, Decimal::ZERO, &key, None)
            .await
    }

    /// Refunds captured money: `amount`, or everything still refundable when `None`.
    ///
    /// `idempotency_key` names this refund: a repeat with the same key and amount answers with
    /// the order as the refund left it and moves no money, even when the repeats race; the same
    /// key with another amount is `idempotency_conflict`; a repeat while the first is still
    /// running is `request_in_flight`. Without a key every call is a new refund, as asked.
    pub async fn refund(
        &self,
        order_id: OrderId,
        amount: Option<Decimal>,
        actor: Actor,
        idempotency_key: Option<&str>,
    ) -> Result<Order> {
        let generated;
        let key = match idempotency_key {
            Some(key) => key,
            None => {
                generated = uuid::Uuid::new_v4().to_string();
                &generated
            }
        };
        let request = || {
            let amount = amount.map_or_else(|| "all".to_string(), |a| a.normalize().to_string());
            fingerprint(&[("order", &order_id.to_string()), ("amount", &amount)])
        };
        let provider_key = format!("refund-{order_id}-{key}");
        self.run_once(
            REFUND_SCOPE,
            order_id,
            Some(key),
            request,
            |done| async move {
                let order = self.store.get_order(order_id).await?;
                let amount = amount.unwrap_or_else(|| order.payment.refundable());
                let success = self
                    .refund_at_provider(&order, amount, &provider_key)
                    .await?;
                save_order_change(
                    &*self.store,
                    &*self.clock,
                    order_id,
                    vec![success.transaction],
                    done,
                    |mut order, now| {
                        let event = apply_refund(&mut order, amount, actor, now)?;
                        Ok(OrderUpdate::new(order, vec![event]))
                    },
                )
                .await
            },
        )
        .await
    }

    /// Checks a refund of `amount` against the order and makes it at the provider under
    /// `provider_key` (the caller holds the order's lock and stores the outcome with
    /// [`apply_refund`]).
    pub(crate) async fn refund_at_provider(
        &self,
        order: &Order,
        amount: Decimal,
        provider_key: &str,
    ) -> Result<ProviderSuccess> {
        if !order.payment.status.is_captured() {
            return Err(Error::InvalidTransition {
                machine: "payment status",
                from: order.payment.status.as_str().into(),
                to: PaymentStatus::Refunded.as_str().into(),
            });
        }
        if amount <= Decimal::ZERO || !order.currency.is_exact(amount) {
            return Err(Error::validation(
                "amount",
                format!(
                    "a refund is a positive amount in whole minor units of {}",
                    order.currency
                ),
            ));
        }
        let refundable = order.payment.refundable();
        if amount > refundable {
            return Err(Error::RefundExceedsCapture {
                requested: amount,
                refundable,
            });
        }
        self.call_provider(order, TransactionKind::Refund, amount, provider_key, None)
            .await
    }
}

/// Records a voided authorization on the order.
pub(crate) fn apply_void(order: &mut Order, actor: Actor, now: DateTime<Utc>) -> Result<()> {
    order.move_payment_to(PaymentStatus::Voided, None, actor, now)
}

/// Records a refund of `amount` on the order; the `PaymentRefunded` event to store with it.
pub(crate) fn apply_refund(
    order: &mut Order,
    amount: Decimal,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<NewEvent> {
    let refundable = order.payment.refundable();
    if amount > refundable {
        return Err(Error::RefundExceedsCapture {
            requested: amount,
            refundable,
        });
    }
    let to = if amount == refundable {
        PaymentStatus::Refunded
    } else {
        PaymentStatus::PartiallyRefunded
    };
    order.move_payment_to(to, Some(amount), actor, now)?;
    order.payment.refunded += amount;
    Ok(NewEvent::new(
        EventPayload::PaymentRefunded {
            order_id: order.id,
            currency: order.currency,
            amount,
            payment_status: to,
        },
        now,
    ))
}

/// Test card numbers understood by [`TestGateway`].
pub mod test_cards {
    /// Always succeeds.
    pub const SUCCEEDS: &str = "4242424242424242";
    /// Always declined ("card declined").
    pub const DECLINED: &str = "4000000000000002";
    /// Always fails transiently (provider timeout).
    pub const ALWAYS_TRANSIENT: &str = "4000000000000119";

    /// A card whose every operation fails transiently `failures` times (per idempotency key, at
    /// most 99) and then succeeds: `"40000000000001NN"`.
    pub fn fails_then_succeeds(failures: u8) -> String {
        format!("40000000000001{:02}", failures.min(99))
    }
}

#[derive(Debug)]
struct TestAuthorization {
    card: String,
    amount: Money,
    captured: Decimal,
    refunded: Decimal,
    voided: bool,
}

#[derive(Debug, Default)]
struct TestGatewayState {
    authorizations: HashMap<String, TestAuthorization>,
    answered: HashMap<String, std::result::Result<GatewayReceipt, GatewayError>>,
    failures_by_key: HashMap<String, u32>,
    calls: u32,
    captures: u32,
    refunds: u32,
    next_reference: u64,
}

/// A deterministic in-memory payment provider.
///
/// Behaviour depends on the card number (see [`test_cards`]); idempotency keys are honoured like a
/// real provider: a repeated key returns the first final answer, so money moves at most once per
/// key. It refuses to capture an authorization twice or to refund more than was captured, which
/// lets tests prove the orchestration never asks it to.
#[derive(Debug, Default)]
pub struct TestGateway {
    state: Mutex<TestGatewayState>,
}

impl TestGateway {
    /// A fresh gateway.
    pub fn new() -> TestGateway {
        TestGateway::default()
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut TestGatewayState) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Calls received, retries included.
    pub fn calls(&self) -> u32 {
        self.with_state(|s| s.calls)
    }

    /// Captures that actually moved money.
    pub fn captures_performed(&self) -> u32 {
        self.with_state(|s| s.captures)
    }

    /// Refunds that actually moved money.
    pub fn refunds_performed(&self) -> u32 {
        self.with_state(|s| s.refunds)
    }

    /// Total refunded on an authorization.
    pub fn refunded_on(&self, authorization: &str) -> Option<Decimal> {
        self.with_state(|s| s.authorizations.get(authorization).map(|a| a.refunded))
    }

    /// Runs one call: counts it, answers a repeated key from memory, injects the card's transient
    /// failures, then performs `operation` and remembers its final answer.
    fn handle(
        &self,
        card: &str,
        idempotency_key: &str,
        operation: impl FnOnce(
            &mut TestGatewayState,
        ) -> std::result::Result<GatewayReceipt, GatewayError>,
    ) -> std::result::Result<GatewayReceipt, GatewayError> {
        self.with_state(|s| {
            s.calls += 1;
            if let Some(answer) = s.answered.get(idempotency_key) {
                return answer.clone();
            }
            let planned_failures = match card {
                test_cards::ALWAYS_TRANSIENT => u32::MAX,
                c if c.len() == 16 && c.starts_with("40000000000001") => {
                    c[14..].parse().unwrap_or(0)
                }
                _ => 0,
            };
            let seen = s
                .failures_by_key
                .entry(idempotency_key.to_string())
                .or_insert(0);
            if *seen < planned_failures {
                *seen += 1;
                return Err(GatewayError::Transient {
                    message: "provider timed out".into(),
                });
            }
            let answer = operation(s);
            s.answered
                .insert(idempotency_key.to_string(), answer.clone());
            answer
        })
    }

    fn card_of(&self, authorization: &str) -> String {
        self.with_state(|s| {
            s.authorizations
                .get(authorization)
                .map(|a| a.card.clone())
                .unwrap_or_default()
        })
    }
}

/// Gives other tasks a turn, as waiting for a real provider's answer would, so that tests racing
/// requests through [`TestGateway`] interleave at the provider call as they would in production
/// (without it, a single-threaded in-memory run would serialize every race and prove nothing).
async fn network_round_trip() {
    struct YieldOnce(bool);
    impl std::future::Future for YieldOnce {
        type Output = ();
        fn poll(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<()> {
            if self.0 {
                return std::task::Poll::Ready(());
            }
            self.0 = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
    YieldOnce(false).await
}

fn rejected(message: &str) -> GatewayError {
    GatewayError::Rejected {
        message: message.into(),
    }
}

#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
impl PaymentGateway for TestGateway {
    fn name(&self) -> &str {
        "test"
    }

    async fn authorize(
        &self,
        method: &PaymentMethod,
        amount: Money,
        idempotency_key: &str,
    ) -> std::result::Result<GatewayReceipt, GatewayError> {
        let card = method.token.replace([' ', '-'], "");
        network_round_trip().await;
        self.handle(&card.clone(), idempotency_key, move |s| {
            if card == test_cards::DECLINED {
                return Err(GatewayError::Declined {
                    reason: "card declined".into(),
                });
            }
            if amount.is_negative() {
                return Err(rejected("amount must not be negative"));
            }
            s.next_reference += 1;
            let reference = format!("auth_{}", s.next_reference);
            s.authorizations.insert(
                reference.clone(),
                TestAuthorization {
                    card,
                    amount,
                    captured: Decimal::ZERO,
                    refunded: Decimal::ZERO,
                    voided: false,
                },
            );
            Ok(GatewayReceipt { reference })
        })
    }

    async fn capture(
        &self,
        authorization: &str,
        amount: Money,
        idempotency_key: &str,
    ) -> std::result::Result<GatewayReceipt, GatewayError> {
        let card = self.card_of(authorization);
        network_round_trip().await;
        self.handle(&card, idempotency_key, |s| {
            let auth = s
                .authorizations
                .get_mut(authorization)
                .ok_or_else(|| rejected("unknown authorization"))?;
            if auth.voided {
                return Err(rejected("authorization was voided"));
            }
            if !auth.captured.is_zero() {
                return Err(rejected("authorization already captured"));
            }
            if amount.currency != auth.amount.currency || amount.amount > auth.amount.amount {
                return Err(rejected("capture exceeds the authorization"));
            }
            auth.captured = amount.amount;
            s.captures += 1;
            Ok(GatewayReceipt {
                reference: format!("{authorization}_capture"),
            })
        })
    }

    async fn void(
        &self,
        authorization: &str,
        idempotency_key: &str,
    ) -> std::result::Result<GatewayReceipt, GatewayError> {
        let card = self.card_of(authorization);
        network_round_trip().await;
        self.handle(&card, idempotency_key, |s| {
            let auth = s
                .authorizations
                .get_mut(authorization)
                .ok_or_else(|| rejected("unknown authorization"))?;
            if !auth.captured.is_zero() {
                return Err(rejected("a captured authorization cannot be voided"));
            }
            auth.voided = true;
            Ok(GatewayReceipt {
                reference: format!("{authorization}_void"),
            })
        })
    }

    async fn refund(
        &self,
        authorization: &str,
        amount: Money,
        idempotency_key: &str,
    ) -> std::result::Result<GatewayReceipt, GatewayError> {
        let card = self.card_of(authorization);
        network_round_trip().await;
        self.handle(&card, idempotency_key, |s| {
            let auth = s
                .authorizations
                .get_mut(authorization)
                .ok_or_else(|| rejected("unknown authorization"))?;
            if amount.amount <= Decimal::ZERO || auth.refunded + amount.amount > auth.captured {
                return Err(rejected("refund exceeds the captured amount"));
            }
            auth.refunded += amount.amount;
            s.refunds += 1;
            let n = s.refunds;
            Ok(GatewayReceipt {
                reference: format!("{authorization}_refund_{n}"),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_geometrically_up_to_the_cap() {
        let policy = RetryPolicy {
            max_attempts: 6,
            initial_backoff: Duration::from_millis(100),
            multiplier: 3,
            max_backoff: Duration::from_millis(1000),
        };
        let delays: Vec<u128> = (1..=4)
            .map(|a| policy.backoff_after(a).as_millis())
            .collect();
        assert_eq!(delays, vec![100, 300, 900, 1000]);
    }

    #[test]
    fn payment_method_debug_hides_the_card_number() {
        let shown = format!("{:?}", PaymentMethod::new(test_cards::SUCCEEDS));
        assert_eq!(shown, "PaymentMethod(****4242)");
    }

    #[test]
    fn flaky_cards_encode_their_failure_count() {
        assert_eq!(test_cards::fails_then_succeeds(2), "4000000000000102");
        assert_eq!(test_cards::fails_then_succeeds(2).len(), 16);
    }
}
