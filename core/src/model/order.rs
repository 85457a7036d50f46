//! Orders and their state machines.
//!
//! An order has three states side by side: its [`OrderStatus`] (`pending -> processing -> shipped ->
//! delivered`, or `cancelled` from pending or processing), its [`PaymentStatus`] and its
//! [`FulfillmentStatus`]. The moves are plain synchronous functions on [`Order`] that validate the
//! move, apply it and append a [`HistoryEntry`] with time and actor; an illegal move is
//! [`Error::InvalidTransition`] and leaves the order untouched. Persisting a move is the store's job
//! ([`crate::store::OrderStore::update_order`]), with an optimistic version check so two racing
//! moves cannot both win; [`OrderService`](crate::services::order::OrderService) ties the two
//! together.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::cart::Address;
use crate::error::{Error, Result};
use crate::event::{EventPayload, NewEvent};
use crate::ids::{CartId, OrderId, OrderLineId, ProductId, PromotionId, UserId, VariantId};
use crate::money::Currency;

/// Where an order is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OrderStatus {
    /// Placed; stock is reserved, nothing shipped.
    Pending,
    /// Accepted and being prepared.
    Processing,
    /// Handed to the carrier.
    Shipped,
    /// Received by the customer. Final.
    Delivered,
    /// Called off; stock released, payment voided or refunded. Final.
    Cancelled,
}

impl OrderStatus {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Processing => "processing",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    /// The statuses reachable in one move.
    pub const fn next_statuses(self) -> &'static [OrderStatus] {
        match self {
            OrderStatus::Pending => &[OrderStatus::Processing, OrderStatus::Cancelled],
            OrderStatus::Processing => &[OrderStatus::Shipped, OrderStatus::Cancelled],
            OrderStatus::Shipped => &[OrderStatus::Delivered],
            OrderStatus::Delivered | OrderStatus::Cancelled => &[],
        }
    }

    /// Whether `self -> to` is a legal move.
    pub fn can_move_to(self, to: OrderStatus) -> bool {
        self.next_statuses().contains(&to)
    }

    /// Every status.
    pub const ALL: [OrderStatus; 5] = [
        OrderStatus::Pending,
        OrderStatus::Processing,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
    ];
}

/// Where the order's money is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PaymentStatus {
    /// Nothing authorized yet.
    Unpaid,
    /// The provider holds the funds.
    Authorized,
    /// The funds are taken.
    Captured,
    /// Part of the captured amount went back.
    PartiallyRefunded,
    /// All of the captured amount went back. Final.
    Refunded,
    /// The last authorization failed or was declined; a new one may be tried.
    Failed,
    /// The authorization was released without capture. Final.
    Voided,
}

impl PaymentStatus {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Unpaid => "unpaid",
            PaymentStatus::Authorized => "authorized",
            PaymentStatus::Captured => "captured",
            PaymentStatus::PartiallyRefunded => "partially_refunded",
            PaymentStatus::Refunded => "refunded",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Voided => "voided",
        }
    }

    /// Whether `self -> to` is a legal move.
    pub fn can_move_to(self, to: PaymentStatus) -> bool {
        use PaymentStatus::*;
        matches!(
            (self, to),
            (Unpaid | Failed, Authorized | Failed)
                | (Authorized, Captured | Voided)
                | (Captured | PartiallyRefunded, PartiallyRefunded | Refunded)
        )
    }

    /// Whether money has been taken (and so a cancellation must refund rather than void).
    pub fn is_captured(self) -> bool {
        matches!(
            self,
            PaymentStatus::Captured | PaymentStatus::PartiallyRefunded
        )
    }
}

/// Where the goods are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FulfillmentStatus {
    /// Not yet shipped.
    Unfulfilled,
    /// With the carrier.
    Shipped,
    /// Received.
    Delivered,
    /// Will not be shipped.
    Cancelled,
}

impl FulfillmentStatus {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            FulfillmentStatus::Unfulfilled => "unfulfilled",
            FulfillmentStatus::Shipped => "shipped",
            FulfillmentStatus::Delivered => "delivered",
            FulfillmentStatus::Cancelled => "cancelled",
        }
    }
}

/// Who made a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
// utoipa does not read `rename_all_fields`, so each struct variant repeats it as `schema(rename_all)`.
#[non_exhaustive]
pub enum Actor {
    /// The engine itself (checkout, a scheduled job, a payment callback).
    System,
    /// A signed-in user (customer, admin or moderator).
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    User {
        /// The user.
        user_id: UserId,
    },
    /// A shopper without an account.
    Guest,
}

/// One change recorded in an order's history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
// utoipa does not read `rename_all_fields`, so each struct variant repeats it as `schema(rename_all)`.
#[non_exhaustive]
pub enum OrderChange {
    /// The order was placed.
    Placed,
    /// The order status moved.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    Status {
        /// Before.
        from: OrderStatus,
        /// After.
        to: OrderStatus,
    },
    /// The payment status moved.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    Payment {
        /// Before.
        from: PaymentStatus,
        /// After.
        to: PaymentStatus,
        /// The money moved by this step, if any.
        #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
        amount: Option<Decimal>,
    },
    /// The fulfilment status moved.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    Fulfillment {
        /// Before.
        from: FulfillmentStatus,
        /// After.
        to: FulfillmentStatus,
    },
}

/// An entry of an order's history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: Actor,
    /// What.
    pub change: OrderChange,
}

/// A purchased line, frozen at the prices of the moment of purchase.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderLine {
    /// Identifier.
    pub id: OrderLineId,
    /// The product.
    pub product_id: ProductId,
    /// The variant bought.
    pub variant_id: VariantId,
    /// Its SKU at purchase.
    pub sku: String,
    /// Its name at purchase.
    pub name: String,
    /// Units (or measure) bought.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub quantity: Decimal,
    /// Unit price at purchase, in the store's price mode.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub unit_price: Decimal,
    /// Unit price x quantity, rounded once.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub subtotal: Decimal,
    /// Discounts allocated to the line.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub discount_total: Decimal,
    /// Tax on the line.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub tax_total: Decimal,
    /// What the line costs the customer.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub total: Decimal,
}

/// A promotion that applied to the order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderPromotion {
    /// The promotion.
    pub promotion_id: PromotionId,
    /// Its name at purchase.
    pub name: String,
    /// The coupon code that unlocked it.
    pub coupon_code: Option<String>,
    /// The discount it gave.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub amount: Decimal,
}

/// The order's totals; equal to the priced cart's at checkout.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderTotals {
    /// Sum of line subtotals.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub subtotal: Decimal,
    /// Sum of discounts.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub discount_total: Decimal,
    /// Shipping charge.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub shipping_total: Decimal,
    /// Sum of taxes.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub tax_total: Decimal,
    /// What the customer pays.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub total: Decimal,
    /// Units (or measure) over all lines.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub item_count: Decimal,
}

/// The money side of an order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderPayment {
    /// Current status.
    pub status: PaymentStatus,
    /// The provider's authorization reference, once authorized.
    pub authorization_reference: Option<String>,
    /// Amount authorized.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub authorized: Decimal,
    /// Amount captured.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub captured: Decimal,
    /// Amount refunded so far.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub refunded: Decimal,
}

impl Default for OrderPayment {
    fn default() -> Self {
        OrderPayment {
            status: PaymentStatus::Unpaid,
            authorization_reference: None,
            authorized: Decimal::ZERO,
            captured: Decimal::ZERO,
            refunded: Decimal::ZERO,
        }
    }
}

impl OrderPayment {
    /// What can still be refunded.
    pub fn refundable(&self) -> Decimal {
        self.captured - self.refunded
    }
}

/// An order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// Identifier.
    pub id: OrderId,
    /// The cart it came from.
    pub cart_id: Option<CartId>,
    /// The buyer, when signed in.
    pub customer_id: Option<UserId>,
    /// Contact email for the order.
    pub email: Option<String>,
    /// Currency of every amount.
    pub currency: Currency,
    /// Order status.
    pub status: OrderStatus,
    /// Fulfilment status.
    pub fulfillment_status: FulfillmentStatus,
    /// Carrier tracking number, once shipped.
    pub tracking_number: Option<String>,
    /// Payment state.
    pub payment: OrderPayment,
    /// Whether the line prices include tax.
    pub prices_include_tax: bool,
    /// Purchased lines.
    pub lines: Vec<OrderLine>,
    /// Promotions that applied.
    pub promotions: Vec<OrderPromotion>,
    /// Where it ships.
    pub shipping_address: Option<Address>,
    /// The shipping method chosen, by name at purchase.
    pub shipping_method: Option<String>,
    /// Totals.
    pub totals: OrderTotals,
    /// Every change, oldest first; the first entry is [`OrderChange::Placed`].
    pub history: Vec<HistoryEntry>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version; the store increments it on every update.
    pub version: u64,
}

impl Order {
    /// The distinct promotions that applied to the order, in order of first appearance; each
    /// counted one use at checkout.
    pub fn promotion_ids(&self) -> Vec<PromotionId> {
        let mut ids: Vec<PromotionId> = Vec::with_capacity(self.promotions.len());
        for promotion in &self.promotions {
            if !ids.contains(&promotion.promotion_id) {
                ids.push(promotion.promotion_id);
            }
        }
        ids
    }

    fn record(&mut self, actor: Actor, at: DateTime<Utc>, change: OrderChange) {
        self.history.push(HistoryEntry { at, actor, change });
        self.updated_at = at;
    }

    /// Moves the order status (and the fulfilment status that goes with it), recording both.
    ///
    /// Returns the `OrderStatusChanged` event to append with the update. Stock release and payment
    /// void/refund on cancellation are
    /// [`OrderService::cancel`](crate::services::order::OrderService::cancel)'s job, not this
    /// function's.
    pub fn move_to(
        &mut self,
        to: OrderStatus,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Result<NewEvent> {
        let from = self.status;
        if !from.can_move_to(to) {
            return Err(Error::InvalidTransition {
                machine: "order status",
                from: from.as_str().into(),
                to: to.as_str().into(),
            });
        }
        self.status = to;
        self.record(actor, now, OrderChange::Status { from, to });
        let fulfillment = match to {
            OrderStatus::Shipped => Some(FulfillmentStatus::Shipped),
            OrderStatus::Delivered => Some(FulfillmentStatus::Delivered),
            OrderStatus::Cancelled => Some(FulfillmentStatus::Cancelled),
            _ => None,
        };
        if let Some(next) = fulfillment {
            let before = self.fulfillment_status;
            self.fulfillment_status = next;
            self.record(
                actor,
                now,
                OrderChange::Fulfillment {
                    from: before,
                    to: next,
                },
            );
        }
        Ok(NewEvent::new(
            EventPayload::OrderStatusChanged {
                order_id: self.id,
                from,
                to,
            },
            now,
        ))
    }

    /// Moves the payment status, recording it with the amount moved.
    pub fn move_payment_to(
        &mut self,
        to: PaymentStatus,
        amount: Option<Decimal>,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let from = self.payment.status;
        if !from.can_move_to(to) {
            return Err(Error::InvalidTransition {
                machine: "payment status",
                from: from.as_str().into(),
                to: to.as_str().into(),
            });
        }
        self.payment.status = to;
        self.record(actor, now, OrderChange::Payment { from, to, amount });
        Ok(())
    }

    /// The stock each line reserved, to give back on cancellation.
    pub fn stock_releases(&self) -> Vec<StockRelease> {
        self.lines
            .iter()
            .map(|l| StockRelease {
                variant_id: l.variant_id,
                quantity: l.quantity,
            })
            .collect()
    }

    /// The stock the order takes: one entry per variant, in the order of the variant's first
    /// line, with the quantities of all its lines summed. Lines of one variant draw on one stock,
    /// so a store checks and reserves these sums, never line by line: two lines that each fit
    /// must not pass together when their sum does not, and an out-of-stock refusal names the
    /// whole quantity asked for. Every store calls this, so all of them agree on what "enough"
    /// means.
    pub fn stock_demand(&self) -> Vec<(VariantId, Decimal)> {
        let mut demand: Vec<(VariantId, Decimal)> = Vec::with_capacity(self.lines.len());
        for line in &self.lines {
            match demand.iter_mut().find(|(v, _)| *v == line.variant_id) {
                Some((_, quantity)) => *quantity += line.quantity,
                None => demand.push((line.variant_id, line.quantity)),
            }
        }
        demand
    }

    /// Whether the order contains `product_id`.
    pub fn contains_product(&self, product_id: ProductId) -> bool {
        self.lines.iter().any(|l| l.product_id == product_id)
    }
}

/// Stock to give back to a variant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockRelease {
    /// The variant.
    pub variant_id: VariantId,
    /// Units to add back.
    pub quantity: Decimal,
}

/// A promotion redemption to count atomically with the order that uses it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromotionRedemption {
    /// The promotion.
    pub promotion_id: PromotionId,
    /// The coupon code used, if any (for the error when the limit is reached).
    pub coupon_code: Option<String>,
    /// The promotion's total limit at pricing time.
    pub usage_limit: Option<u64>,
    /// The promotion's per-customer limit at pricing time (counted only for signed-in customers).
    pub per_customer_limit: Option<u64>,
}

/// Everything checkout hands the store to place an order in one atomic step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDraft {
    /// The order as it will be stored: status pending, history starting with `Placed`, version 1.
    /// Each line's quantity is reserved from its variant's stock.
    pub order: Order,
    /// Promotions to count, each within its limits.
    pub redemptions: Vec<PromotionRedemption>,
    /// The cart the order comes from, deleted in the same step if still at the priced version.
    pub consume_cart: Option<ConsumedCart>,
}

/// A cart that checkout turns into an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumedCart {
    /// The cart.
    pub cart_id: CartId,
    /// The version that was priced.
    pub version: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    pub(crate) fn sample_order() -> Order {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        Order {
            id: OrderId::new(),
            cart_id: None,
            customer_id: None,
            email: None,
            currency: Currency::Usd,
            status: OrderStatus::Pending,
            fulfillment_status: FulfillmentStatus::Unfulfilled,
            tracking_number: None,
            payment: OrderPayment::default(),
            prices_include_tax: false,
            lines: Vec::new(),
            promotions: Vec::new(),
            shipping_address: None,
            shipping_method: None,
            totals: OrderTotals {
                total: dec!(10.00),
                ..OrderTotals::default()
            },
            history: vec![HistoryEntry {
                at,
                actor: Actor::System,
                change: OrderChange::Placed,
            }],
            created_at: at,
            updated_at: at,
            version: 1,
        }
    }

    #[test]
    fn only_the_documented_order_moves_are_legal() {
        use OrderStatus::*;
        let legal = [
            (Pending, Processing),
            (Pending, Cancelled),
            (Processing, Shipped),
            (Processing, Cancelled),
            (Shipped, Delivered),
        ];
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                assert_eq!(
                    from.can_move_to(to),
                    legal.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
    }

    #[test]
    fn a_move_records_history_and_fulfilment_and_an_illegal_one_changes_nothing() {
        let mut order = sample_order();
        let now = order.created_at + chrono::Duration::minutes(1);
        let admin = Actor::User {
            user_id: UserId::new(),
        };
        order.move_to(OrderStatus::Processing, admin, now).unwrap();
        let event = order.move_to(OrderStatus::Shipped, admin, now).unwrap();
        assert!(matches!(
            event.payload,
            EventPayload::OrderStatusChanged {
                from: OrderStatus::Processing,
                to: OrderStatus::Shipped,
                ..
            }
        ));
        assert_eq!(order.fulfillment_status, FulfillmentStatus::Shipped);
        assert_eq!(order.history.len(), 4);
        assert_eq!(order.history[3].actor, admin);
        assert_eq!(order.updated_at, now);

        let before = order.clone();
        let err = order
            .move_to(OrderStatus::Cancelled, admin, now)
            .unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::InvalidTransition);
        assert_eq!(order, before);
    }

    #[test]
    fn stock_demand_sums_the_lines_of_a_variant_in_first_line_order() {
        let line = |variant_id: VariantId, quantity: Decimal| OrderLine {
            id: OrderLineId::new(),
            product_id: ProductId::new(),
            variant_id,
            sku: "SKU".into(),
            name: "Item".into(),
            quantity,
            unit_price: dec!(1),
            subtotal: quantity,
            discount_total: Decimal::ZERO,
            tax_total: Decimal::ZERO,
            total: quantity,
        };
        let (tee, mug) = (VariantId::new(), VariantId::new());
        let mut order = sample_order();
        order.lines = vec![
            line(mug, dec!(1)),
            line(tee, dec!(2)),
            line(mug, dec!(0.5)),
            line(tee, dec!(3)),
        ];
        assert_eq!(order.stock_demand(), vec![(mug, dec!(1.5)), (tee, dec!(5))]);
        order.lines.clear();
        assert!(order.stock_demand().is_empty());
    }

    #[test]
    fn payment_moves_follow_the_money() {
        use PaymentStatus::*;
        assert!(Unpaid.can_move_to(Authorized));
        assert!(Failed.can_move_to(Authorized));
        assert!(Authorized.can_move_to(Captured));
        assert!(Authorized.can_move_to(Voided));
        assert!(Captured.can_move_to(PartiallyRefunded));
        assert!(PartiallyRefunded.can_move_to(Refunded));
        for illegal in [
            (Unpaid, Captured),
            (Captured, Captured),
            (Voided, Captured),
            (Refunded, PartiallyRefunded),
            (Unpaid, Refunded),
            (Captured, Voided),
        ] {
            assert!(!illegal.0.can_move_to(illegal.1), "{illegal:?}");
        }
        let mut order = sample_order();
        let now = order.created_at;
        assert!(order
            .move_payment_to(Captured, Some(dec!(10)), Actor::System, now)
            .is_err());
        order
            .move_payment_to(Authorized, Some(dec!(10)), Actor::System, now)
            .unwrap();
        assert_eq!(order.history.len(), 2);
    }
}
