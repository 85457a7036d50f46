//! Typed identifiers. Each is a UUID underneath, so an order id can never be passed where a
//! product id is expected; on the wire they are plain UUID strings.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::Error;

macro_rules! typed_ids {
    ($( $(#[$meta:meta])* $name:ident = $entity:literal ),+ $(,)?) => {$(
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        // A newtype over `Uuid` documents as the UUID string it serializes to.
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh random (v4) identifier.
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }

            /// The underlying UUID.
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }

            /// The kind of resource this id names, as used in `not_found` errors.
            pub const ENTITY: &'static str = $entity;
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                Uuid::parse_str(s.trim())
                    .map($name)
                    .map_err(|_| Error::validation($entity, format!("`{s}` is not a valid {} id", $entity)))
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }
    )+};
}

typed_ids! {
    /// Identifies a product.
    ProductId = "product",
    /// Identifies a variant (the purchasable unit with a SKU).
    VariantId = "variant",
    /// Identifies a category.
    CategoryId = "category",
    /// Identifies a cart.
    CartId = "cart",
    /// Identifies a line within a cart.
    LineId = "cart line",
    /// Identifies a promotion.
    PromotionId = "promotion",
    /// Identifies a tax rate.
    TaxRateId = "tax rate",
    /// Identifies a shipping method.
    ShippingMethodId = "shipping method",
    /// Identifies a user (customer, admin or moderator).
    UserId = "user",
    /// Identifies an order.
    OrderId = "order",
    /// Identifies a line within an order.
    OrderLineId = "order line",
    /// Identifies a product review.
    ReviewId = "review",
    /// Identifies an outbox event; consumers deduplicate on it.
    EventId = "event",
    /// Identifies one recorded payment attempt (authorize, capture, void or refund).
    TransactionId = "payment transaction",
}
