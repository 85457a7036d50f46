//! Payment records: what a shopper pays with and the ledger of provider attempts.
//!
//! These are the plain types the payment services write and the stores keep; how money moves
//! (retries, leases, idempotency) is in [`crate::services::payment`]. They live apart from it so
//! the store contract can name a ledger row without depending on the services that write it.

use std::fmt;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::{OrderId, TransactionId};
use crate::money::Currency;

/// What the shopper pays with: a provider token, or a card number for
/// [`TestGateway`](crate::services::payment::TestGateway).
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
