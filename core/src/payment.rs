//! Payment orchestration over a [`PaymentGateway`].
//!
//! [`PaymentProcessor`] authorizes, captures, voids and refunds an order's payment. Rules it keeps:
//! - only transient provider errors are retried, with exponential backoff through an injected
//!   [`Sleeper`] (the core has no timer; the server passes a tokio sleeper, tests a recording one);
//!   a decline is final;
//! - every attempt, successful or not, is recorded as a [`PaymentTransaction`];
//! - each operation sends an idempotency key derived from the order (and, for refunds, the caller's
//!   key), so a retry after a lost response cannot capture or refund twice at the provider;
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
use crate::ids::{OrderId, TransactionId};
use crate::money::{Currency, Money};
use crate::order::{Actor, Order, OrderStatus, PaymentStatus};
use crate::store::{OrderUpdate, StorageError, Store};

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

/// Moves an order's money through a gateway, recording every attempt.
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

    /// Pays an order in one step, as a storefront's "pay now" does: authorizes the order total on
    /// `method` and captures it at once. An order already authorized is only captured.
    pub async fn charge(
        &self,
        order_id: OrderId,
        method: &PaymentMethod,
        actor: Actor,
    ) -> Result<Order> {
        let order = self.store.get_order(order_id).await?;
        if order.payment.status != PaymentStatus::Authorized {
            self.authorize(order_id, method, actor).await?;
        }
        self.capture(order_id, actor).await
    }

    /// Calls the gateway until success, a non-transient error or the attempt limit, recording
    /// each attempt.
    async fn call_with_retries(
        &self,
        order: &Order,
        kind: TransactionKind,
        amount: Decimal,
        idempotency_key: &str,
        method: Option<&PaymentMethod>,
    ) -> Result<GatewayReceipt> {
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
            self.store
                .record_transaction(PaymentTransaction {
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
                })
                .await?;
            match outcome {
                Ok(receipt) => return Ok(receipt),
                Err(GatewayError::Transient { message }) if attempt >= max_attempts => {
                    return Err(Error::PaymentFailed {
                        reason: message,
                        attempts: attempt,
                    });
                }
                Err(GatewayError::Transient { .. }) => {
                    self.sleeper.sleep(self.retry.backoff_after(attempt)).await;
                    attempt += 1;
                }
                Err(GatewayError::Declined { reason }) => {
                    return Err(Error::PaymentDeclined { reason })
                }
                Err(GatewayError::Rejected { message }) => {
                    return Err(Error::PaymentFailed {
                        reason: message,
                        attempts: attempt,
                    });
                }
            }
        }
    }

    /// Applies `change` to the stored order and saves it, re-reading and re-applying when another
    /// writer got there first. `change` decides on the fresh order, so its checks see the latest
    /// state.
    async fn save_change<F>(&self, order_id: OrderId, change: F) -> Result<Order>
    where
        F: Fn(&mut Order, DateTime<Utc>) -> Result<Vec<NewEvent>>,
    {
        let mut tries = 0;
        loop {
            let mut order = self.store.get_order(order_id).await?;
            let events = change(&mut order, self.clock.now())?;
            match self
                .store
                .update_order(OrderUpdate {
                    order,
                    stock_releases: Vec::new(),
                    events,
                    release_promotion_usage: false,
                })
                .await
            {
                Err(StorageError::Conflict { .. }) if tries < UPDATE_RETRIES => tries += 1,
                other => return Ok(other?),
            }
        }
    }

    /// Authorizes the order's total on `method`. Allowed while the payment is unpaid or failed.
    pub async fn authorize(
        &self,
        order_id: OrderId,
        method: &PaymentMethod,
        actor: Actor,
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
        // decline gets a new key while retries within this call share one.
        let key = format!("authorize-{order_id}-{}", order.version);
        match self
            .call_with_retries(
                &order,
                TransactionKind::Authorize,
                amount,
                &key,
                Some(method),
            )
            .await
        {
            Ok(receipt) => {
                self.save_change(order_id, |order, now| {
                    order.move_payment_to(PaymentStatus::Authorized, Some(amount), actor, now)?;
                    order.payment.authorization_reference = Some(receipt.reference.clone());
                    order.payment.authorized = amount;
                    Ok(Vec::new())
                })
                .await
            }
            Err(err) => {
                self.save_change(order_id, |order, now| {
                    if order.payment.status != PaymentStatus::Failed {
                        order.move_payment_to(PaymentStatus::Failed, None, actor, now)?;
                    }
                    Ok(Vec::new())
                })
                .await?;
                Err(err)
            }
        }
    }

    /// Captures the whole authorized amount. A captured order answers `already_captured`.
    pub async fn capture(&self, order_id: OrderId, actor: Actor) -> Result<Order> {
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
        // One key per order: two racing captures reach the provider as one.
        let key = format!("capture-{order_id}");
        self.call_with_retries(&order, TransactionKind::Capture, amount, &key, None)
            .await?;
        self.save_change(order_id, |order, now| {
            if order.payment.status.is_captured() || order.payment.status == PaymentStatus::Refunded
            {
                return Err(already_captured());
            }
            order.move_payment_to(PaymentStatus::Captured, Some(amount), actor, now)?;
            order.payment.captured = amount;
            Ok(vec![NewEvent::new(
                EventPayload::PaymentCaptured {
                    order_id,
                    currency: order.currency,
                    amount,
                },
                now,
            )])
        })
        .await
    }

    /// Releases the authorization.
    pub async fn void(&self, order_id: OrderId, actor: Actor) -> Result<Order> {
        let order = self.store.get_order(order_id).await?;
        if order.payment.status != PaymentStatus::Authorized {
            return Err(Error::InvalidTransition {
                machine: "payment status",
                from: order.payment.status.as_str().into(),
                to: PaymentStatus::Voided.as_str().into(),
            });
        }
        let key = format!("void-{order_id}");
        self.call_with_retries(&order, TransactionKind::Void, Decimal::ZERO, &key, None)
            .await?;
        self.save_change(order_id, |order, now| {
            order.move_payment_to(PaymentStatus::Voided, None, actor, now)?;
            Ok(Vec::new())
        })
        .await
    }

    /// Refunds `amount` of the captured money. `idempotency_key` names this refund: calling again
    /// with the same key after a success returns the order without refunding twice.
    pub async fn refund(
        &self,
        order_id: OrderId,
        amount: Decimal,
        actor: Actor,
        idempotency_key: &str,
    ) -> Result<Order> {
        crate::text::check_text("idempotencyKey", idempotency_key)?;
        let order = self.store.get_order(order_id).await?;
        let key = format!("refund-{order_id}-{idempotency_key}");
        let done_before = self
            .store
            .list_transactions(order_id)
            .await?
            .iter()
            .any(|t| {
                t.kind == TransactionKind::Refund
                    && t.idempotency_key == key
                    && t.status == TransactionStatus::Succeeded
            });
        if done_before {
            return Ok(order);
        }
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
        self.call_with_retries(&order, TransactionKind::Refund, amount, &key, None)
            .await?;
        self.save_change(order_id, |order, now| {
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
            Ok(vec![NewEvent::new(
                EventPayload::PaymentRefunded {
                    order_id,
                    currency: order.currency,
                    amount,
                    payment_status: to,
                },
                now,
            )])
        })
        .await
    }
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
