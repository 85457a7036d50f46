//! Order moves that need the store: status changes persisted with an optimistic version check,
//! shipping, and cancellation (which voids or refunds the payment and gives the stock back in
//! the same write). The state machines themselves are plain functions on [`Order`].

use std::sync::Arc;

use rust_decimal::Decimal;

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::ids::OrderId;
use crate::model::order::{Actor, Order, OrderStatus, PaymentStatus};
use crate::model::payment::{PaymentMethod, PaymentTransaction};
use crate::principal::Principal;
use crate::services::idempotency::{fingerprint, CANCEL_SCOPE};
use crate::services::payment::{apply_refund, apply_void, save_order_change, PaymentProcessor};
use crate::store::{IdempotencyCompletion, OrderUpdate, StorageError, Store};
use crate::text::check_text;

/// Longest tracking number [`OrderService::ship`] takes; carriers' numbers are far shorter, and
/// the bound keeps a pasted page out of the order, its events and every email quoting it.
pub const MAX_TRACKING_NUMBER: usize = 100;

/// Order moves that need the store (and, for cancellation, the payment provider).
#[derive(Clone, Debug)]
pub struct OrderService {
    store: Arc<dyn Store>,
    payments: Arc<PaymentProcessor>,
    clock: Arc<dyn Clock>,
}

impl OrderService {
    /// A service over `store`, cancelling payments through `payments`.
    pub fn new(
        store: Arc<dyn Store>,
        payments: Arc<PaymentProcessor>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        OrderService {
            store,
            payments,
            clock,
        }
    }

    async fn move_order(
        &self,
        order_id: OrderId,
        to: OrderStatus,
        actor: Actor,
        tracking: Option<String>,
    ) -> Result<Order> {
        let mut order = self.store.get_order(order_id).await?;
        let event = order.move_to(to, actor, self.clock.now())?;
        if tracking.is_some() {
            order.tracking_number = tracking;
        }
        Ok(self
            .store
            .update_order(OrderUpdate::new(order, vec![event]))
            .await?)
    }

    /// pending -> processing.
    pub async fn start_processing(&self, order_id: OrderId, actor: Actor) -> Result<Order> {
        self.move_order(order_id, OrderStatus::Processing, actor, None)
            .await
    }

    /// processing -> shipped, with an optional carrier tracking number (one line, at most
    /// [`MAX_TRACKING_NUMBER`] characters).
    pub async fn ship(
        &self,
        order_id: OrderId,
        tracking_number: Option<String>,
        actor: Actor,
    ) -> Result<Order> {
        if let Some(tracking) = &tracking_number {
            check_text("trackingNumber", tracking)?;
            if tracking.chars().count() > MAX_TRACKING_NUMBER {
                return Err(Error::validation(
                    "trackingNumber",
                    format!("a tracking number is at most {MAX_TRACKING_NUMBER} characters"),
                ));
            }
        }
        self.move_order(order_id, OrderStatus::Shipped, actor, tracking_number)
            .await
    }

    /// shipped -> delivered.
    pub async fn deliver(&self, order_id: OrderId, actor: Actor) -> Result<Order> {
        self.move_order(order_id, OrderStatus::Delivered, actor, None)
            .await
    }

    /// The order `order_id` if `principal` may see it (see [`Principal::can_view_order`]);
    /// `not_found` otherwise, so ids of other customers' orders cannot be confirmed.
    pub async fn get_for(&self, principal: &Principal, order_id: OrderId) -> Result<Order> {
        let order = self.store.get_order(order_id).await?;
        if principal.can_view_order(&order) {
            Ok(order)
        } else {
            Err(StorageError::not_found(OrderId::ENTITY, order_id).into())
        }
    }

    /// The payment attempts of an order `principal` may see, oldest first.
    pub async fn transactions_for(
        &self,
        principal: &Principal,
        order_id: OrderId,
    ) -> Result<Vec<PaymentTransaction>> {
        self.get_for(principal, order_id).await?;
        Ok(self.store.list_transactions(order_id).await?)
    }

    /// Pays an order `principal` may see (see [`PaymentProcessor::charge`]); history records the
    /// principal's actor.
    pub async fn pay_for(
        &self,
        principal: &Principal,
        order_id: OrderId,
        method: &PaymentMethod,
        idempotency_key: Option<&str>,
    ) -> Result<Order> {
        self.get_for(principal, order_id).await?;
        self.payments
            .charge(order_id, method, principal.actor(), idempotency_key)
            .await
    }

    /// Cancels on behalf of `principal`: an admin (or the system) cancels any pending or
    /// processing order; a customer cancels their own order while it is still `pending` (once
    /// the shop has started on it, only the shop can). Another customer's order is `not_found`,
    /// so its id is not confirmed.
    pub async fn cancel_for(
        &self,
        principal: &Principal,
        order_id: OrderId,
        idempotency_key: Option<&str>,
    ) -> Result<Order> {
        let actor = principal.actor();
        if principal.is_admin() {
            return self.cancel(order_id, actor, idempotency_key).await;
        }
        let order = self.store.get_order(order_id).await?;
        if order
            .customer_id
            .is_none_or(|owner| !principal.is_user(owner))
        {
            return Err(StorageError::not_found(OrderId::ENTITY, order_id).into());
        }
        // Processing is the one state the shop may still cancel from but the customer may not;
        // from any other state the state machine's own refusal is the right answer (unless the
        // request repeats one that already cancelled it, which replays).
        if order.status == OrderStatus::Processing {
            return Err(Error::Forbidden {
                action: "cancel an order that is processing (only the shop can now)".into(),
            });
        }
        self.cancel(order_id, actor, idempotency_key).await
    }

    /// pending/processing -> cancelled: voids an authorization or refunds what was captured, and
    /// in the one store write that records the cancellation, stores the payment outcome, releases
    /// the reserved stock and gives back promotion uses.
    ///
    /// The status is checked before touching the payment, so a shipped order's money is never
    /// refunded by a refused cancellation. The order's payment lock is held throughout, so a
    /// cancellation never races a capture or a refund. With `idempotency_key`, a repeat answers
    /// with the cancelled order instead of `invalid_transition`.
    pub async fn cancel(
        &self,
        order_id: OrderId,
        actor: Actor,
        idempotency_key: Option<&str>,
    ) -> Result<Order> {
        let request = || fingerprint(&[("order", &order_id.to_string())]);
        self.payments
            .run_once(CANCEL_SCOPE, order_id, idempotency_key, request, |done| {
                self.cancel_locked(order_id, actor, done)
            })
            .await
    }

    async fn cancel_locked(
        &self,
        order_id: OrderId,
        actor: Actor,
        completion: Option<IdempotencyCompletion>,
    ) -> Result<Order> {
        let order = self.store.get_order(order_id).await?;
        if !order.status.can_move_to(OrderStatus::Cancelled) {
            return Err(Error::InvalidTransition {
                machine: "order status",
                from: order.status.as_str().into(),
                to: OrderStatus::Cancelled.as_str().into(),
            });
        }
        #[derive(Clone, Copy)]
        enum Settlement {
            Nothing,
            Void,
            Refund(Decimal),
        }
        let (settlement, transactions) = match order.payment.status {
            PaymentStatus::Authorized => {
                let success = self.payments.void_at_provider(&order).await?;
                (Settlement::Void, vec![success.transaction])
            }
            status if status.is_captured() => {
                let refundable = order.payment.refundable();
                // One provider key per order's cancellation: a retry refunds nothing twice.
                let key = format!("refund-{order_id}-cancel-{order_id}");
                let success = self
                    .payments
                    .refund_at_provider(&order, refundable, &key)
                    .await?;
                (Settlement::Refund(refundable), vec![success.transaction])
            }
            _ => (Settlement::Nothing, Vec::new()),
        };
        save_order_change(
            &*self.store,
            &*self.clock,
            order_id,
            transactions,
            completion,
            |mut order, now| {
                let mut events = Vec::new();
                match settlement {
                    Settlement::Nothing => {}
                    Settlement::Void => apply_void(&mut order, actor, now)?,
                    Settlement::Refund(amount) => {
                        events.push(apply_refund(&mut order, amount, actor, now)?)
                    }
                }
                events.push(order.move_to(OrderStatus::Cancelled, actor, now)?);
                let stock_releases = order.stock_releases();
                Ok(OrderUpdate {
                    stock_releases,
                    release_promotion_usage: true,
                    ..OrderUpdate::new(order, events)
                })
            },
        )
        .await
    }
}
