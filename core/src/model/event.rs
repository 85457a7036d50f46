//! Domain events and the transactional outbox.
//!
//! A store appends an event in the same atomic step as the change it reports (an order is never
//! placed without its `OrderPlaced`, a stock change never happens without its `InventoryUpdated`),
//! so a relay reading the outbox delivers every change at least once. Each event has a unique
//! [`EventId`] for consumers to deduplicate on, and a store-assigned `sequence` that only grows, so
//! a relay keeps a per-consumer delivery cursor (the last sequence it delivered) instead of marking
//! events one by one.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::{EventId, OrderId, ProductId, UserId, VariantId};
use crate::model::order::{OrderStatus, PaymentStatus};
use crate::money::Currency;

/// What happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    tag = "type",
    rename_all = "PascalCase",
    rename_all_fields = "camelCase"
)]
// utoipa does not read `rename_all_fields`, so each struct variant repeats it as `schema(rename_all)`.
#[non_exhaustive]
pub enum EventPayload {
    /// A user account was created.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    UserRegistered {
        /// The new user.
        user_id: UserId,
        /// Their normalized email.
        email: String,
    },
    /// Checkout created an order.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    OrderPlaced {
        /// The order.
        order_id: OrderId,
        /// The buyer, when signed in.
        customer_id: Option<UserId>,
        /// The order currency.
        currency: Currency,
        /// The grand total.
        #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
        total: Decimal,
    },
    /// An order moved to another status.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    OrderStatusChanged {
        /// The order.
        order_id: OrderId,
        /// The status before.
        from: OrderStatus,
        /// The status after.
        to: OrderStatus,
    },
    /// Money was captured for an order.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    PaymentCaptured {
        /// The order.
        order_id: OrderId,
        /// The currency.
        currency: Currency,
        /// The captured amount.
        #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
        amount: Decimal,
    },
    /// Money was refunded for an order.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    PaymentRefunded {
        /// The order.
        order_id: OrderId,
        /// The currency.
        currency: Currency,
        /// This refund's amount.
        #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
        amount: Decimal,
        /// The payment status after the refund.
        payment_status: PaymentStatus,
    },
    /// A variant's stock changed outside checkout (restock, correction, cancellation).
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    InventoryUpdated {
        /// The variant.
        variant_id: VariantId,
        /// Its SKU.
        sku: String,
        /// Stock after the change.
        #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
        stock: Decimal,
    },
    /// A user asked to reset their password. The notifier emails `token` to `email`; it is the
    /// only place the token travels (the API never returns it, the store keeps only its hash).
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    PasswordResetRequested {
        /// The user.
        user_id: UserId,
        /// Where to send the token.
        email: String,
        /// The one-time reset token.
        token: String,
        /// When the token stops working.
        expires_at: DateTime<Utc>,
    },
    /// A product was created, changed or deleted.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    ProductChanged {
        /// The product.
        product_id: ProductId,
        /// Whether it was deleted.
        deleted: bool,
    },
}

impl EventPayload {
    /// The event's type name as it appears on the wire (`"OrderPlaced"`).
    pub fn kind(&self) -> &'static str {
        match self {
            EventPayload::UserRegistered { .. } => "UserRegistered",
            EventPayload::OrderPlaced { .. } => "OrderPlaced",
            EventPayload::OrderStatusChanged { .. } => "OrderStatusChanged",
            EventPayload::PaymentCaptured { .. } => "PaymentCaptured",
            EventPayload::PaymentRefunded { .. } => "PaymentRefunded",
            EventPayload::InventoryUpdated { .. } => "InventoryUpdated",
            EventPayload::ProductChanged { .. } => "ProductChanged",
            EventPayload::PasswordResetRequested { .. } => "PasswordResetRequested",
        }
    }

    /// Whether the payload carries a secret (a password-reset token). Notifiers deliver such
    /// events only when configured for their type by name, and logs and listings show them
    /// [`redacted`](EventPayload::redacted).
    pub fn is_sensitive(&self) -> bool {
        matches!(self, EventPayload::PasswordResetRequested { .. })
    }

    /// The payload with every secret replaced by `[redacted]`.
    pub fn redacted(&self) -> EventPayload {
        match self {
            EventPayload::PasswordResetRequested {
                user_id,
                email,
                expires_at,
                ..
            } => EventPayload::PasswordResetRequested {
                user_id: *user_id,
                email: email.clone(),
                token: REDACTED.to_string(),
                expires_at: *expires_at,
            },
            other => other.clone(),
        }
    }
}

/// What [`EventPayload::redacted`] puts in place of a secret.
pub const REDACTED: &str = "[redacted]";

/// An event not yet in the outbox.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NewEvent {
    /// Unique id, fixed before appending so a retried append cannot duplicate it.
    pub id: EventId,
    /// When the change happened.
    pub occurred_at: DateTime<Utc>,
    /// What happened.
    pub payload: EventPayload,
}

impl NewEvent {
    /// A new event with a fresh id.
    pub fn new(payload: EventPayload, occurred_at: DateTime<Utc>) -> NewEvent {
        NewEvent {
            id: EventId::new(),
            occurred_at,
            payload,
        }
    }
}

/// An event in the outbox.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OutboxEvent {
    /// Position in the outbox, assigned by the store; strictly increasing, starting at 1.
    pub sequence: u64,
    /// Unique id.
    pub id: EventId,
    /// When the change happened.
    pub occurred_at: DateTime<Utc>,
    /// What happened.
    pub payload: EventPayload,
}

impl OutboxEvent {
    /// The outbox record of `event` at `sequence`.
    pub fn at(sequence: u64, event: NewEvent) -> OutboxEvent {
        OutboxEvent {
            sequence,
            id: event.id,
            occurred_at: event.occurred_at,
            payload: event.payload,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_json_is_tagged_with_the_event_name() {
        let payload = EventPayload::ProductChanged {
            product_id: ProductId::new(),
            deleted: false,
        };
        let v = serde_json::to_value(&payload).unwrap();
        assert_eq!(v["type"], payload.kind());
        assert_eq!(v["deleted"], false);
        assert!(v.get("productId").is_some());
        let back: EventPayload = serde_json::from_value(v).unwrap();
        assert_eq!(back, payload);
    }
}
