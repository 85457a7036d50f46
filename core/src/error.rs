//! The core's error type and the one table of stable error codes.
//!
//! Every error a Merx shell reports carries a stable snake_case [`ErrorCode`]. The table below is
//! the single source for each code's HTTP status; the server, the CLI, the Python module and the
//! WASM bundle map codes from here (to a status, an exception class, a JS `code`) and never invent
//! their own. Codes are part of the public contract: add new ones, never rename.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Currency;

/// `Result` with the core [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

macro_rules! error_codes {
    ($( $variant:ident = ($code:literal, $status:literal, $family:ident, $doc:literal) ),+ $(,)?) => {
        /// A stable, machine-readable error code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $(
                #[doc = $doc]
                $variant,
            )+
        }

        impl ErrorCode {
            /// Every code, in table order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            /// The snake_case wire form of the code.
            pub const fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)+ }
            }

            /// The HTTP status a server answers with for this code.
            pub const fn http_status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)+ }
            }

            /// The family the code belongs to: what a shell groups it under (a Python exception
            /// class, a JS `family`).
            pub const fn family(self) -> ErrorFamily {
                match self { $(ErrorCode::$variant => ErrorFamily::$family,)+ }
            }

            /// One sentence on what the code means.
            pub const fn description(self) -> &'static str {
                match self { $(ErrorCode::$variant => $doc,)+ }
            }

            /// Parses the wire form of a code.
            pub fn from_code(code: &str) -> Option<ErrorCode> {
                match code { $($code => Some(ErrorCode::$variant),)+ _ => None }
            }
        }
    };
}

/// What kind of failure a code is: the column of the error table that shells group codes by.
///
/// A caller that does not care which coupon rule failed catches the `coupon` family; Python raises
/// one exception class per family (`merx.CouponError`) and the WASM bundle sets `family` on its
/// errors. The families and their wire names are part of the public contract, like the codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ErrorFamily {
    /// The input is malformed or breaks a rule (bad quantity, currency, email, amount...).
    Validation,
    /// The resource does not exist or is not visible to the caller.
    NotFound,
    /// The thing cannot be bought or shipped as asked (inactive product, missing price, empty or
    /// full cart, unusable shipping method or missing address).
    Unavailable,
    /// Not enough stock for the requested quantity.
    OutOfStock,
    /// A coupon was refused.
    Coupon,
    /// The request collides with the current state (a concurrent change, a reused idempotency
    /// key, an illegal state transition, a taken email, a payment already captured).
    Conflict,
    /// The payment provider declined or failed, or a refund exceeds what was captured.
    Payment,
    /// Authentication or authorisation failed, or the caller is rate limited.
    Auth,
    /// The store cannot be reached; the operation may be retried later.
    Storage,
    /// An unexpected error.
    Internal,
}

impl ErrorFamily {
    /// Every family, in the order of the error table.
    pub const ALL: &'static [ErrorFamily] = &[
        ErrorFamily::Validation,
        ErrorFamily::NotFound,
        ErrorFamily::Unavailable,
        ErrorFamily::OutOfStock,
        ErrorFamily::Coupon,
        ErrorFamily::Conflict,
        ErrorFamily::Payment,
        ErrorFamily::Auth,
        ErrorFamily::Storage,
        ErrorFamily::Internal,
    ];

    /// The snake_case wire form of the family.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorFamily::Validation => "validation",
            ErrorFamily::NotFound => "not_found",
            ErrorFamily::Unavailable => "unavailable",
            ErrorFamily::OutOfStock => "out_of_stock",
            ErrorFamily::Coupon => "coupon",
            ErrorFamily::Conflict => "conflict",
            ErrorFamily::Payment => "payment",
            ErrorFamily::Auth => "auth",
            ErrorFamily::Storage => "storage",
            ErrorFamily::Internal => "internal",
        }
    }

    /// The codes of this family, in table order.
    pub fn codes(self) -> impl Iterator<Item = ErrorCode> {
        ErrorCode::ALL
            .iter()
            .copied()
            .filter(move |code| code.family() == self)
    }
}

impl std::fmt::Display for ErrorFamily {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

// The columns: variant = (wire code, HTTP status, family, description).
error_codes! {
    // Input
    ValidationFailed = ("validation_failed", 422, Validation, "The input is well-formed but breaks a rule."),
    MalformedRequest = ("malformed_request", 400, Validation, "The request body or parameters could not be parsed."),
    PayloadTooLarge = ("payload_too_large", 413, Validation, "The request body exceeds the size limit."),
    UriTooLong = ("uri_too_long", 414, Validation, "The request URI (path and query) exceeds the length limit."),
    MethodNotAllowed = ("method_not_allowed", 405, Validation, "The resource does not support this HTTP method."),
    UnknownCurrency = ("unknown_currency", 422, Validation, "The currency code is not a supported ISO-4217 code."),
    CurrencyMismatch = ("currency_mismatch", 422, Validation, "Amounts in different currencies were combined."),
    InvalidQuantity = ("invalid_quantity", 422, Validation, "The quantity is zero, negative, too large or too precise."),
    Overflow = ("overflow", 422, Validation, "An amount is too large to compute exactly."),
    // Catalog and cart
    NotFound = ("not_found", 404, NotFound, "The resource does not exist or is not visible to the caller."),
    ProductNotAvailable = ("product_not_available", 422, Unavailable, "The product is not active and cannot be bought."),
    PriceNotAvailable = ("price_not_available", 422, Unavailable, "The variant has no price in the cart's currency."),
    CartLimitExceeded = ("cart_limit_exceeded", 422, Unavailable, "The cart would exceed its line or coupon limit."),
    CartEmpty = ("cart_empty", 422, Unavailable, "The cart has no lines to check out."),
    OutOfStock = ("out_of_stock", 409, OutOfStock, "Not enough stock to reserve the requested quantity."),
    // Promotions
    CouponNotFound = ("coupon_not_found", 422, Coupon, "No promotion has this coupon code."),
    CouponExpired = ("coupon_expired", 422, Coupon, "The coupon's promotion has ended."),
    CouponNotStarted = ("coupon_not_started", 422, Coupon, "The coupon's promotion has not started yet."),
    CouponInactive = ("coupon_inactive", 422, Coupon, "The coupon's promotion is disabled."),
    CouponUsageLimit = ("coupon_usage_limit", 422, Coupon, "The coupon has reached its total usage limit."),
    CouponCustomerUsageLimit = ("coupon_customer_usage_limit", 422, Coupon, "The customer has used the coupon as often as allowed."),
    CouponCustomerNotEligible = ("coupon_customer_not_eligible", 422, Coupon, "The coupon is restricted to other customers."),
    CouponMinSubtotalNotMet = ("coupon_min_subtotal_not_met", 422, Coupon, "The cart subtotal is below the coupon's minimum."),
    CouponMinQuantityNotMet = ("coupon_min_quantity_not_met", 422, Coupon, "The cart has fewer qualifying items than the coupon needs."),
    CouponNotApplicable = ("coupon_not_applicable", 422, Coupon, "The coupon matches no item in the cart or gives no discount."),
    CouponNotCombinable = ("coupon_not_combinable", 422, Coupon, "The coupon cannot be combined with a promotion already applied."),
    CouponCurrencyMismatch = ("coupon_currency_mismatch", 422, Coupon, "The coupon has no amount in the cart's currency."),
    // Shipping and tax
    ShippingMethodUnavailable = ("shipping_method_unavailable", 422, Unavailable, "The shipping method does not serve this address or cart."),
    ShippingAddressRequired = ("shipping_address_required", 422, Unavailable, "A shipping address is needed first."),
    // Orders, payments, idempotency
    InvalidTransition = ("invalid_transition", 409, Conflict, "The order cannot move from its current state to the requested one."),
    Conflict = ("conflict", 409, Conflict, "The resource changed or already exists."),
    IdempotencyConflict = ("idempotency_conflict", 409, Conflict, "The idempotency key was used with a different request."),
    RequestInFlight = ("request_in_flight", 409, Conflict, "A request with this idempotency key, or another payment operation on this order, is still running; retry shortly."),
    PaymentDeclined = ("payment_declined", 402, Payment, "The payment provider declined the payment."),
    PaymentFailed = ("payment_failed", 502, Payment, "The payment provider failed; the attempt may be retried later."),
    AlreadyCaptured = ("already_captured", 409, Conflict, "The payment has already been captured."),
    RefundExceedsCapture = ("refund_exceeds_capture", 422, Payment, "The refund is larger than what remains captured."),
    // Users and auth
    EmailTaken = ("email_taken", 409, Conflict, "A user with this email already exists."),
    InvalidEmail = ("invalid_email", 422, Validation, "The email address is not valid."),
    WeakPassword = ("weak_password", 422, Validation, "The password does not meet the password policy."),
    InvalidCredentials = ("invalid_credentials", 401, Auth, "Email or password is wrong."),
    Unauthenticated = ("unauthenticated", 401, Auth, "A valid access token is required."),
    TokenExpired = ("token_expired", 401, Auth, "The token has expired."),
    InvalidToken = ("invalid_token", 401, Auth, "The token is malformed, forged or already used."),
    SessionRevoked = ("session_revoked", 401, Auth, "The session was ended by a password change, a password reset or a change of roles or status; sign in again."),
    Forbidden = ("forbidden", 403, Auth, "The caller's role does not allow this action."),
    AccountInactive = ("account_inactive", 403, Auth, "The account is disabled or deleted."),
    RateLimited = ("rate_limited", 429, Auth, "Too many requests; retry after the indicated delay."),
    // Infrastructure
    StorageUnavailable = ("storage_unavailable", 503, Storage, "The store cannot be reached right now."),
    Internal = ("internal", 500, Internal, "An unexpected error; the details are in the server log."),
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ErrorCode::from_code(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown error code `{s}`")))
    }
}

// Hand-written because the codes come from the table above, not from a serde derive.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("Stable snake_case error code"))
            .enum_values(Some(ErrorCode::ALL.iter().map(|c| c.as_str())))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for ErrorCode {}

/// Why a coupon code did not apply to a cart. Reported inside a priced cart, not raised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CouponRejection {
    /// No promotion has this code.
    NotFound,
    /// The promotion has ended.
    Expired,
    /// The promotion has not started.
    NotStarted,
    /// The promotion is switched off.
    Inactive,
    /// The promotion's total usage limit is reached.
    UsageLimit,
    /// This customer's usage limit is reached.
    CustomerUsageLimit,
    /// The promotion is for other customers (or needs a signed-in customer).
    CustomerNotEligible,
    /// The running subtotal is below the minimum.
    MinSubtotalNotMet,
    /// Too few qualifying units.
    MinQuantityNotMet,
    /// Nothing in the cart qualifies, or the discount would be zero.
    NotApplicable,
    /// An exclusive promotion blocks it, or it is exclusive and another applied first.
    NotCombinable,
    /// The promotion has no amount in the cart's currency.
    CurrencyMismatch,
}

impl CouponRejection {
    /// The matching error code, for shells that turn a rejection into an error.
    pub const fn error_code(self) -> ErrorCode {
        match self {
            CouponRejection::NotFound => ErrorCode::CouponNotFound,
            CouponRejection::Expired => ErrorCode::CouponExpired,
            CouponRejection::NotStarted => ErrorCode::CouponNotStarted,
            CouponRejection::Inactive => ErrorCode::CouponInactive,
            CouponRejection::UsageLimit => ErrorCode::CouponUsageLimit,
            CouponRejection::CustomerUsageLimit => ErrorCode::CouponCustomerUsageLimit,
            CouponRejection::CustomerNotEligible => ErrorCode::CouponCustomerNotEligible,
            CouponRejection::MinSubtotalNotMet => ErrorCode::CouponMinSubtotalNotMet,
            CouponRejection::MinQuantityNotMet => ErrorCode::CouponMinQuantityNotMet,
            CouponRejection::NotApplicable => ErrorCode::CouponNotApplicable,
            CouponRejection::NotCombinable => ErrorCode::CouponNotCombinable,
            CouponRejection::CurrencyMismatch => ErrorCode::CouponCurrencyMismatch,
        }
    }

    /// A sentence for shoppers.
    pub const fn message(self) -> &'static str {
        match self {
            CouponRejection::NotFound => "This coupon code does not exist.",
            CouponRejection::Expired => "This coupon has expired.",
            CouponRejection::NotStarted => "This coupon is not valid yet.",
            CouponRejection::Inactive => "This coupon is not active.",
            CouponRejection::UsageLimit => "This coupon has been fully redeemed.",
            CouponRejection::CustomerUsageLimit => "You have already used this coupon.",
            CouponRejection::CustomerNotEligible => {
                "This coupon is not available for your account."
            }
            CouponRejection::MinSubtotalNotMet => {
                "Your cart does not reach this coupon's minimum spend."
            }
            CouponRejection::MinQuantityNotMet => {
                "Your cart has too few qualifying items for this coupon."
            }
            CouponRejection::NotApplicable => {
                "This coupon does not apply to any item in your cart."
            }
            CouponRejection::NotCombinable => {
                "This coupon cannot be combined with other promotions."
            }
            CouponRejection::CurrencyMismatch => {
                "This coupon is not valid in your cart's currency."
            }
        }
    }
}

/// Everything that can go wrong in the core.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not readable at all: text that is not JSON (cut short, trailing text, empty).
    #[error("{0}")]
    Malformed(String),
    /// A field breaks a rule.
    #[error("{field}: {message}")]
    Validation {
        /// The offending field, as named on the wire.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The currency code is not supported.
    #[error("unknown currency `{0}`")]
    UnknownCurrency(String),
    /// Two amounts in different currencies met.
    #[error("currency mismatch: expected {expected}, found {found}")]
    CurrencyMismatch {
        /// The currency in force.
        expected: Currency,
        /// The currency that was given.
        found: Currency,
    },
    /// A quantity is not acceptable.
    #[error("invalid quantity {quantity}: {reason}")]
    InvalidQuantity {
        /// The quantity given.
        quantity: Decimal,
        /// Why it is refused.
        reason: String,
    },
    /// A computation would leave the representable range.
    #[error("amount too large to compute exactly")]
    Overflow,
    /// A resource does not exist.
    #[error("{entity} `{id}` not found")]
    NotFound {
        /// The kind of resource ("product", "cart line", ...).
        entity: &'static str,
        /// Its identifier as given.
        id: String,
    },
    /// The product is not active.
    #[error("product `{product_id}` is not available for sale")]
    ProductNotAvailable {
        /// The product.
        product_id: String,
    },
    /// The variant has no price in the requested currency.
    #[error("variant `{sku}` has no price in {currency}")]
    PriceNotAvailable {
        /// The variant's SKU.
        sku: String,
        /// The currency asked for.
        currency: Currency,
    },
    /// A cart limit would be exceeded.
    #[error("{0}")]
    CartLimitExceeded(String),
    /// Checkout of an empty cart.
    #[error("the cart is empty")]
    CartEmpty,
    /// Not enough stock for the requested quantity.
    #[error("not enough stock for `{sku}`: requested {requested}, available {available}")]
    OutOfStock {
        /// The variant's SKU.
        sku: String,
        /// Quantity asked for.
        requested: Decimal,
        /// Quantity on hand.
        available: Decimal,
    },
    /// A coupon was refused where a shell asked for it to be enforced.
    #[error("coupon `{code}` rejected: {}", reason.message())]
    CouponRejected {
        /// The code as entered.
        code: String,
        /// Why.
        reason: CouponRejection,
    },
    /// The chosen shipping method does not serve the cart.
    #[error("shipping method `{method_id}` is not available: {reason}")]
    ShippingMethodUnavailable {
        /// The method.
        method_id: String,
        /// Why it does not apply.
        reason: String,
    },
    /// A shipping address is needed.
    #[error("a shipping address is required")]
    ShippingAddressRequired,
    /// A state machine refused a move (order status, payment status, fulfilment, review state).
    #[error("{machine} cannot move from `{from}` to `{to}`")]
    InvalidTransition {
        /// Which state machine ("order status", "payment status", "fulfillment status").
        machine: &'static str,
        /// The current state, as named on the wire.
        from: String,
        /// The state asked for, as named on the wire.
        to: String,
    },
    /// The resource changed since it was read, or already exists.
    #[error("{entity} conflict: {message}")]
    Conflict {
        /// The kind of resource.
        entity: &'static str,
        /// What collided.
        message: String,
    },
    /// An idempotency key was reused for a different request.
    #[error("idempotency key `{key}` was already used for a different request")]
    IdempotencyConflict {
        /// The key as given.
        key: String,
    },
    /// A request with the same idempotency key, or another payment operation on the same order,
    /// is still running. Retrying shortly gets its result.
    #[error("another request for `{key}` is still in progress; retry shortly")]
    RequestInFlight {
        /// The idempotency key or the order whose operation is running.
        key: String,
    },
    /// The payment provider declined; retrying the same payment will not help.
    #[error("payment declined: {reason}")]
    PaymentDeclined {
        /// The provider's reason, safe to show to the shopper.
        reason: String,
    },
    /// The payment provider failed (after any retries).
    #[error("payment provider failed after {attempts} attempt(s): {reason}")]
    PaymentFailed {
        /// The last failure.
        reason: String,
        /// How many attempts were made.
        attempts: u32,
    },
    /// The order's payment is already captured.
    #[error("the payment of order `{order_id}` has already been captured")]
    AlreadyCaptured {
        /// The order.
        order_id: String,
    },
    /// A refund larger than what remains captured.
    #[error("refund of {requested} exceeds the refundable {refundable}")]
    RefundExceedsCapture {
        /// The amount asked for.
        requested: Decimal,
        /// Captured minus already refunded.
        refundable: Decimal,
    },
    /// Registration with an email that already has an account.
    #[error("a user with this email already exists")]
    EmailTaken,
    /// The email address is not acceptable.
    #[error("invalid email: {0}")]
    InvalidEmail(String),
    /// The password breaks the password policy.
    #[error("weak password: {0}")]
    WeakPassword(String),
    /// Email or password is wrong (deliberately not saying which).
    #[error("invalid email or password")]
    InvalidCredentials,
    /// The token has expired.
    #[error("the token has expired")]
    TokenExpired,
    /// The token is unknown, malformed or already used.
    #[error("the token is invalid or already used")]
    InvalidToken,
    /// The access token was issued before a change that ended the account's sessions.
    #[error("the session was ended by a password change, a password reset or a change of roles or status; sign in again")]
    SessionRevoked,
    /// The actor's roles do not allow the action.
    #[error("not allowed to {action}")]
    Forbidden {
        /// What was attempted.
        action: String,
    },
    /// The account is inactive or deleted.
    #[error("the account is inactive")]
    AccountInactive,
    /// The store failed; the source is kept for the server log, never sent to clients.
    #[error("storage unavailable: {0}")]
    StorageUnavailable(BackendError),
}

impl Error {
    /// The stable code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Malformed(_) => ErrorCode::MalformedRequest,
            Error::Validation { .. } => ErrorCode::ValidationFailed,
            Error::UnknownCurrency(_) => ErrorCode::UnknownCurrency,
            Error::CurrencyMismatch { .. } => ErrorCode::CurrencyMismatch,
            Error::InvalidQuantity { .. } => ErrorCode::InvalidQuantity,
            Error::Overflow => ErrorCode::Overflow,
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::ProductNotAvailable { .. } => ErrorCode::ProductNotAvailable,
            Error::PriceNotAvailable { .. } => ErrorCode::PriceNotAvailable,
            Error::CartLimitExceeded(_) => ErrorCode::CartLimitExceeded,
            Error::CartEmpty => ErrorCode::CartEmpty,
            Error::OutOfStock { .. } => ErrorCode::OutOfStock,
            Error::CouponRejected { reason, .. } => reason.error_code(),
            Error::ShippingMethodUnavailable { .. } => ErrorCode::ShippingMethodUnavailable,
            Error::ShippingAddressRequired => ErrorCode::ShippingAddressRequired,
            Error::InvalidTransition { .. } => ErrorCode::InvalidTransition,
            Error::Conflict { .. } => ErrorCode::Conflict,
            Error::IdempotencyConflict { .. } => ErrorCode::IdempotencyConflict,
            Error::RequestInFlight { .. } => ErrorCode::RequestInFlight,
            Error::PaymentDeclined { .. } => ErrorCode::PaymentDeclined,
            Error::PaymentFailed { .. } => ErrorCode::PaymentFailed,
            Error::AlreadyCaptured { .. } => ErrorCode::AlreadyCaptured,
            Error::RefundExceedsCapture { .. } => ErrorCode::RefundExceedsCapture,
            Error::EmailTaken => ErrorCode::EmailTaken,
            Error::InvalidEmail(_) => ErrorCode::InvalidEmail,
            Error::WeakPassword(_) => ErrorCode::WeakPassword,
            Error::InvalidCredentials => ErrorCode::InvalidCredentials,
            Error::TokenExpired => ErrorCode::TokenExpired,
            Error::InvalidToken => ErrorCode::InvalidToken,
            Error::SessionRevoked => ErrorCode::SessionRevoked,
            Error::Forbidden { .. } => ErrorCode::Forbidden,
            Error::AccountInactive => ErrorCode::AccountInactive,
            Error::StorageUnavailable(_) => ErrorCode::StorageUnavailable,
        }
    }

    /// Structured details for the wire (`details` in the error body), when there are any.
    pub fn details(&self) -> Option<serde_json::Value> {
        use serde_json::json;
        match self {
            Error::Validation { field, .. } => Some(json!({ "field": field })),
            Error::UnknownCurrency(code) => Some(json!({ "currency": code })),
            Error::CurrencyMismatch { expected, found } => {
                Some(json!({ "expected": expected, "found": found }))
            }
            Error::InvalidQuantity { quantity, .. } => Some(json!({ "quantity": quantity })),
            Error::NotFound { entity, id } => Some(json!({ "entity": entity, "id": id })),
            Error::ProductNotAvailable { product_id } => Some(json!({ "productId": product_id })),
            Error::PriceNotAvailable { sku, currency } => {
                Some(json!({ "sku": sku, "currency": currency }))
            }
            Error::OutOfStock {
                sku,
                requested,
                available,
            } => Some(json!({ "sku": sku, "requested": requested, "available": available })),
            Error::CouponRejected { code, reason } => {
                Some(json!({ "coupon": code, "reason": reason }))
            }
            Error::ShippingMethodUnavailable { method_id, .. } => {
                Some(json!({ "methodId": method_id }))
            }
            Error::InvalidTransition { machine, from, to } => {
                Some(json!({ "machine": machine, "from": from, "to": to }))
            }
            Error::Conflict { entity, .. } => Some(json!({ "entity": entity })),
            Error::PaymentFailed { attempts, .. } => Some(json!({ "attempts": attempts })),
            Error::RefundExceedsCapture {
                requested,
                refundable,
            } => Some(json!({ "requested": requested, "refundable": refundable })),
            Error::AlreadyCaptured { order_id } => Some(json!({ "orderId": order_id })),
            Error::IdempotencyConflict { .. }
            | Error::RequestInFlight { .. }
            | Error::PaymentDeclined { .. }
            | Error::EmailTaken
            | Error::InvalidEmail(_)
            | Error::WeakPassword(_)
            | Error::InvalidCredentials
            | Error::TokenExpired
            | Error::InvalidToken
            | Error::SessionRevoked
            | Error::Forbidden { .. }
            | Error::AccountInactive
            | Error::StorageUnavailable(_) => None,
            Error::Malformed(_)
            | Error::Overflow
            | Error::CartLimitExceeded(_)
            | Error::CartEmpty
            | Error::ShippingAddressRequired => None,
        }
    }

    /// The error for contract input that serde_json refused, classified as every shell answers
    /// it: text that is not JSON (a syntax error, input cut short) is `malformed_request`; JSON
    /// that does not make `what` (not an object, a missing field, a value its type refuses,
    /// such as an unknown currency) is `validation_failed`, as the server's JSON extractor
    /// answers a body of the wrong shape.
    pub fn from_json(err: &serde_json::Error, what: &str) -> Error {
        let message = format!("not {what}: {err}");
        if err.is_data() {
            Error::validation("body", message)
        } else {
            Error::Malformed(message)
        }
    }

    /// Shorthand for a validation error on `field`.
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The wire body for this error.
    pub fn to_body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code(),
            message: self.to_string(),
            details: self.details(),
        }
    }
}

/// A storage backend's own error, shared so that [`Error`] stays `Clone`.
///
/// Two values are equal only when they are the same underlying error; the text is for logs.
#[derive(Clone, Debug)]
pub struct BackendError(pub std::sync::Arc<dyn std::error::Error + Send + Sync>);

impl BackendError {
    /// Wraps a backend error.
    pub fn new(err: impl std::error::Error + Send + Sync + 'static) -> BackendError {
        BackendError(std::sync::Arc::new(err))
    }
}

impl PartialEq for BackendError {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Display for BackendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for BackendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// The error body every shell sends: `{"code": "...", "message": "...", "details": ...}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = Error))]
pub struct ErrorBody {
    /// Stable code from the table.
    pub code: ErrorCode,
    /// Human-readable explanation.
    pub message: String,
    /// Structured details, when useful.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub details: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_snake_case_and_round_trip() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "duplicate code {s}");
            assert!(
                s.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{s} is not snake_case"
            );
            assert_eq!(ErrorCode::from_code(s), Some(*code));
            assert!((400..600).contains(&code.http_status()));
        }
    }

    #[test]
    fn every_family_has_codes_and_each_code_one_family() {
        for family in ErrorFamily::ALL {
            assert!(family.codes().next().is_some(), "{family} has no code");
            assert!(family
                .as_str()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_'));
        }
        assert_eq!(ErrorCode::CouponExpired.family(), ErrorFamily::Coupon);
        assert_eq!(
            ErrorCode::MalformedRequest.family(),
            ErrorFamily::Validation
        );
        assert_eq!(ErrorCode::Internal.family(), ErrorFamily::Internal);
    }

    #[test]
    fn json_errors_are_malformed_only_when_the_text_is_not_json() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Request {
            currency: Currency,
        }
        let code = |text: &str| {
            let err = serde_json::from_str::<Request>(text).unwrap_err();
            Error::from_json(&err, "a request").code()
        };
        for text in ["", "{", "not json", "{\"currency\": \"USD\"} more"] {
            assert_eq!(code(text), ErrorCode::MalformedRequest, "{text:?}");
        }
        for text in [
            "[]",
            "\"USD\"",
            "{}",
            "{\"currency\": \"XYZ\"}",
            "{\"currency\": 3}",
        ] {
            assert_eq!(code(text), ErrorCode::ValidationFailed, "{text:?}");
        }
    }

    #[test]
    fn error_body_has_code_message_and_details() {
        let err = Error::OutOfStock {
            sku: "TEE-M".into(),
            requested: 3.into(),
            available: 1.into(),
        };
        let body = serde_json::to_value(err.to_body()).unwrap();
        assert_eq!(body["code"], "out_of_stock");
        assert_eq!(body["details"]["sku"], "TEE-M");
        assert_eq!(err.code().http_status(), 409);
    }
}
