//! Store traits: the persistence contract every backend (memory, SQLite, PostgreSQL) implements.
//!
//! The traits are async (async-trait) so that network databases fit, object-safe so the server can
//! hold `Arc<dyn Store>`, and `?Send` on wasm32 so the same contract compiles for the browser.
//! [`Store`] bundles them; any type implementing every trait is a `Store`, and an `Arc<dyn Store>`
//! upcasts to `Arc<dyn OrderStore>` etc. where a component needs less.
//!
//! Rules every implementation follows (the conformance suite in [`crate::conformance`] checks them):
//! - Each method is atomic. The compound ones ([`OrderStore::place_order`],
//!   [`OrderStore::update_order`], [`InventoryStore::adjust_stock`]) change several records and
//!   append their outbox events in one transaction: all or nothing.
//! - Stock never goes below zero unless the variant allows backorders; the check and the decrement
//!   are one step (`UPDATE ... SET stock = stock - q WHERE id = ? AND (stock >= q OR
//!   allow_backorder)` in SQL), never a read followed by a write.
//! - Optimistic concurrency: carts and orders carry a `version`; a write based on a stale version
//!   is [`StorageError::Conflict`].
//! - Writes that other systems care about append their event to the outbox in the same step: a new
//!   user (`UserRegistered`), a product put or deleted (`ProductChanged`), a stock adjustment or a
//!   stock release on cancellation (`InventoryUpdated`), a placed order (`OrderPlaced`), and the
//!   events an [`OrderUpdate`] carries. Timestamps of store-made events come from the store's
//!   [`crate::clock::Clock`].
//! - Emails are compared in the normalized form [`crate::user::normalize_email`] gives; SKUs
//!   case-insensitively; coupon codes in [`crate::promotion::normalize_coupon_code`] form.

pub mod memory;

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::cart::Cart;
use crate::catalog::{Category, Product, ProductStatus};
use crate::error::{BackendError, CouponRejection, Error, ErrorCode};
use crate::event::{NewEvent, OutboxEvent};
use crate::ids::{
    CartId, CategoryId, OrderId, ProductId, PromotionId, ReviewId, ShippingMethodId, UserId,
    VariantId,
};
use crate::model::order::{Order, OrderDraft, OrderStatus};
use crate::model::payment::PaymentTransaction;
use crate::model::review::Review;
use crate::model::user::{PasswordReset, User};
use crate::pricing::PricingRules;
use crate::promotion::{Promotion, PromotionUsageMap};
use crate::search::{ProductPage, ProductSearch};
use crate::shipping::ShippingMethod;

// Plain types the traits take that were first defined here; they live in the model now, and these
// names keep every `merx_core::store::...` path working.
pub use crate::model::order::StockRelease;
pub use crate::model::page::Page;
pub use crate::model::settings::{PricingSettings, PRICING_SETTINGS_ENTITY};

/// `Result` with [`StorageError`].
pub type StorageResult<T> = std::result::Result<T, StorageError>;

/// What a store operation can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The record does not exist.
    #[error("{entity} `{id}` not found")]
    NotFound {
        /// The kind of record.
        entity: &'static str,
        /// Its key as given.
        id: String,
    },
    /// A uniqueness rule or a version check failed.
    #[error("{entity} conflict: {message}")]
    Conflict {
        /// The kind of record.
        entity: &'static str,
        /// What collided.
        message: String,
    },
    /// A stock decrement would go below zero on a variant without backorders.
    #[error("not enough stock for `{sku}`: requested {requested}, available {available}")]
    OutOfStock {
        /// The variant.
        variant_id: VariantId,
        /// Its SKU.
        sku: String,
        /// Quantity asked for.
        requested: Decimal,
        /// Quantity on hand when refused.
        available: Decimal,
    },
    /// Counting a redemption would exceed a promotion's usage limit.
    #[error("promotion `{promotion_id}` has reached its {} usage limit", if *per_customer { "per-customer" } else { "total" })]
    PromotionUsageLimit {
        /// The promotion.
        promotion_id: PromotionId,
        /// The coupon code used, if any.
        coupon_code: Option<String>,
        /// Whether the per-customer limit (rather than the total) was hit.
        per_customer: bool,
    },
    /// An idempotency key was reused with a different request fingerprint.
    #[error("idempotency key `{key}` was used for a different request")]
    IdempotencyConflict {
        /// The key.
        key: String,
    },
    /// Another request holds the idempotency key (or took it over), so this one must not act.
    #[error("a request with idempotency key `{key}` is still in flight")]
    IdempotencyInFlight {
        /// The key.
        key: String,
    },
    /// The backend failed (connection, I/O, corruption). The source is for logs only.
    #[error("storage backend error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StorageError {
    /// `not_found` for an entity and key.
    pub fn not_found(entity: &'static str, id: impl fmt::Display) -> StorageError {
        StorageError::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    /// `conflict` for an entity.
    pub fn conflict(entity: &'static str, message: impl Into<String>) -> StorageError {
        StorageError::Conflict {
            entity,
            message: message.into(),
        }
    }

    /// `conflict` for a pricing-settings write based on `expected_version` when the stored
    /// settings have moved on, worded the same by every store.
    pub fn stale_pricing_settings(expected_version: u64) -> StorageError {
        StorageError::conflict(
            PRICING_SETTINGS_ENTITY,
            format!(
                "the pricing settings changed after version {expected_version} was read; \
                 read them again and retry"
            ),
        )
    }

    /// Wraps a backend error.
    pub fn backend(err: impl std::error::Error + Send + Sync + 'static) -> StorageError {
        StorageError::Backend(Box::new(err))
    }

    /// The stable code this error reports as.
    pub fn code(&self) -> ErrorCode {
        match self {
            StorageError::NotFound { .. } => ErrorCode::NotFound,
            StorageError::Conflict { .. } => ErrorCode::Conflict,
            StorageError::OutOfStock { .. } => ErrorCode::OutOfStock,
            StorageError::PromotionUsageLimit {
                per_customer: false,
                ..
            } => ErrorCode::CouponUsageLimit,
            StorageError::PromotionUsageLimit {
                per_customer: true, ..
            } => ErrorCode::CouponCustomerUsageLimit,
            StorageError::IdempotencyConflict { .. } => ErrorCode::IdempotencyConflict,
            StorageError::IdempotencyInFlight { .. } => ErrorCode::RequestInFlight,
            StorageError::Backend(_) => ErrorCode::StorageUnavailable,
        }
    }
}

/// A backend error whose message is all there is (used by stores that get errors as text).
#[derive(Debug)]
struct BackendFailure(String);

impl fmt::Display for BackendFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BackendFailure {}

impl StorageError {
    /// A backend error from a message.
    pub fn backend_message(message: impl Into<String>) -> StorageError {
        StorageError::backend(BackendFailure(message.into()))
    }
}

impl From<StorageError> for Error {
    fn from(err: StorageError) -> Error {
        match err {
            StorageError::NotFound { entity, id } => Error::NotFound { entity, id },
            StorageError::Conflict { entity, message } => Error::Conflict { entity, message },
            StorageError::OutOfStock {
                sku,
                requested,
                available,
                ..
            } => Error::OutOfStock {
                sku,
                requested,
                available,
            },
            StorageError::PromotionUsageLimit {
                promotion_id,
                coupon_code,
                per_customer,
            } => Error::CouponRejected {
                code: coupon_code.unwrap_or_else(|| promotion_id.to_string()),
                reason: if per_customer {
                    CouponRejection::CustomerUsageLimit
                } else {
                    CouponRejection::UsageLimit
                },
            },
            StorageError::IdempotencyConflict { key } => Error::IdempotencyConflict { key },
            StorageError::IdempotencyInFlight { key } => Error::RequestInFlight { key },
            StorageError::Backend(source) => Error::StorageUnavailable(BackendError(source.into())),
        }
    }
}

/// Which products to list. Products come ordered by creation time, then id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductFilter {
    /// Only this status.
    pub status: Option<ProductStatus>,
    /// Only products filed directly under this category.
    pub category_id: Option<CategoryId>,
    /// The page.
    #[serde(default)]
    pub page: Page,
}

/// A variant's stock as the inventory sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StockLevel {
    /// The variant.
    pub variant_id: VariantId,
    /// Its product.
    pub product_id: ProductId,
    /// Its SKU.
    pub sku: String,
    /// Units on hand (negative only with backorders).
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub stock: Decimal,
    /// Whether it may be sold beyond stock.
    pub allow_backorder: bool,
}

/// A versioned order write: the new order state, stock to release and events to append.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderUpdate {
    /// The order as it should be stored; its `version` is the version it was read at. The store
    /// refuses the write with `conflict` when the stored version differs, and stores it with
    /// `version + 1`.
    pub order: Order,
    /// Stock given back in the same step (cancellation), each with its `InventoryUpdated` event.
    pub stock_releases: Vec<StockRelease>,
    /// Events appended in the same step.
    pub events: Vec<NewEvent>,
    /// Give back one use of every promotion on the order (total and, for a customer's order,
    /// per customer; never below zero) in the same step: a cancelled order no longer counts
    /// against usage limits, so a one-per-customer coupon can be used again.
    pub release_promotion_usage: bool,
    /// Payment attempts recorded in the same step (the provider call whose outcome this write
    /// stores), so the ledger and the order's payment state never disagree.
    #[serde(default)]
    pub transactions: Vec<PaymentTransaction>,
    /// An idempotency key completed in the same step.
    #[serde(default)]
    pub idempotency: Option<IdempotencyCompletion>,
}

impl OrderUpdate {
    /// An update that stores `order` with `events` and nothing else.
    pub fn new(order: Order, events: Vec<NewEvent>) -> OrderUpdate {
        OrderUpdate {
            order,
            stock_releases: Vec::new(),
            events,
            release_promotion_usage: false,
            transactions: Vec::new(),
            idempotency: None,
        }
    }
}

/// Which orders to list. Orders come newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderFilter {
    /// Only this customer's.
    pub customer_id: Option<UserId>,
    /// Only this status.
    pub status: Option<OrderStatus>,
    /// The page.
    #[serde(default)]
    pub page: Page,
}

/// An idempotency key with the fingerprint of the request it was first used for.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdempotencyKey {
    /// The client's key (the `Idempotency-Key` header).
    pub key: String,
    /// A digest of the request; the same key with another fingerprint is `idempotency_conflict`.
    pub fingerprint: String,
}

/// The idempotency scope under which checkout records its keys.
pub const CHECKOUT_SCOPE: &str = "checkout";

/// A remembered idempotent request: in flight while its holder works on it, completed once the
/// effect is stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdempotencyRecord {
    /// What the key is for ("checkout", "refund", ...); keys are unique per scope.
    pub scope: String,
    /// The client's key.
    pub key: String,
    /// The request digest.
    pub fingerprint: String,
    /// The request working on the key; `None` once completed.
    pub holder: Option<String>,
    /// Until when the holder's claim protects it; after that another request with the same
    /// fingerprint may take the key over (its first holder crashed).
    pub lease_until: Option<DateTime<Utc>>,
    /// When the effect was stored; `None` while in flight.
    pub completed_at: Option<DateTime<Utc>>,
    /// The resource the request created or changed (the order id), once completed.
    pub resource_id: Option<String>,
    /// A response to replay, for requests whose answer is not a stored resource.
    pub response: Option<serde_json::Value>,
    /// When the key was first used.
    pub created_at: DateTime<Utc>,
}

impl IdempotencyRecord {
    /// Whether the request that claimed the key has stored its effect.
    pub fn is_completed(&self) -> bool {
        self.completed_at.is_some()
    }

    /// Whether `claim` may take this record over: the same request, still in flight, whose
    /// holder's lease has run out (it crashed). The one rule every store's claim applies.
    pub fn lapsed_for(&self, claim: &IdempotencyClaim) -> bool {
        !self.is_completed()
            && self.fingerprint == claim.fingerprint
            && self.lease_until.is_some_and(|until| until <= claim.now)
    }
}

impl IdempotencyClaim {
    /// The record a fresh claim stores: in flight for its holder.
    pub fn into_record(self) -> IdempotencyRecord {
        IdempotencyRecord {
            scope: self.scope,
            key: self.key,
            fingerprint: self.fingerprint,
            holder: Some(self.holder),
            lease_until: Some(self.lease_until),
            completed_at: None,
            resource_id: None,
            response: None,
            created_at: self.now,
        }
    }
}

/// A request's claim on an idempotency key, taken before it starts work that cannot be rolled
/// back (a call to a payment provider).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdempotencyClaim {
    /// The key's scope.
    pub scope: String,
    /// The key.
    pub key: String,
    /// The request digest.
    pub fingerprint: String,
    /// A token naming this request (random per request).
    pub holder: String,
    /// The time of the claim.
    pub now: DateTime<Utc>,
    /// When the claim lapses if its holder never completes nor releases it.
    pub lease_until: DateTime<Utc>,
}

/// What [`IdempotencyStore::claim_idempotency_key`] found.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ClaimOutcome {
    /// The key is now the caller's: do the work, then complete the key with its effect.
    Claimed,
    /// The key was used before (completed, in flight, or with another fingerprint), unchanged.
    Existing(IdempotencyRecord),
}

/// Completes a claimed key inside the write that stores the request's effect, so the effect and
/// "this key is done" are one atomic step: a crash leaves either both or neither.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdempotencyCompletion {
    /// The key's scope.
    pub scope: String,
    /// The key.
    pub key: String,
    /// The holder that claimed it; a write whose holder no longer holds the key (the claim
    /// lapsed and another request took it over, or it is completed) is refused with
    /// [`StorageError::IdempotencyInFlight`] and stores nothing.
    pub holder: String,
    /// The resource the request created or changed.
    pub resource_id: Option<String>,
    /// A response to replay.
    pub response: Option<serde_json::Value>,
}

/// Products and categories.
#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
pub trait CatalogStore: MaybeSendSync {
    /// Inserts or replaces a category.
    async fn put_category(&self, category: Category) -> StorageResult<Category>;
    /// Every category.
    async fn list_categories(&self) -> StorageResult<Vec<Category>>;
    /// Deletes a category; `not_found` when absent.
    async fn delete_category(&self, id: CategoryId) -> StorageResult<()>;
    /// Inserts or replaces a product (the caller has validated it). A slug or SKU used by another
    /// product is `conflict`. Replacing keeps the stored stock of variants that already exist:
    /// stock changes only through [`InventoryStore`] and checkout, so a catalog edit cannot undo
    /// a sale. Appends `ProductChanged`.
    async fn put_product(&self, product: Product) -> StorageResult<Product>;
    /// The product with `id`.
    async fn get_product(&self, id: ProductId) -> StorageResult<Product>;
    /// The product with `slug`.
    async fn get_product_by_slug(&self, slug: &str) -> StorageResult<Product>;
    /// The product owning the variant with `sku` (case-insensitive).
    async fn find_product_by_sku(&self, sku: &str) -> StorageResult<Product>;
    /// Products matching `filter`, oldest first.
    async fn list_products(&self, filter: &ProductFilter) -> StorageResult<Vec<Product>>;
    /// Deletes a product; appends `ProductChanged { deleted: true }`.
    async fn delete_product(&self, id: ProductId) -> StorageResult<()>;
}

/// Stock outside checkout.
#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
pub trait InventoryStore: MaybeSendSync {
    /// A variant's stock.
    async fn stock_level(&self, variant_id: VariantId) -> StorageResult<StockLevel>;
    /// Adds `delta` (negative to remove) atomically; `out_of_stock` when the result would be below
    /// zero without backorders. Appends `InventoryUpdated`.
    async fn adjust_stock(
        &self,
        variant_id: VariantId,
        delta: Decimal,
    ) -> StorageResult<StockLevel>;
    /// Sets the units on hand to `stock` in one write (a stocktake), whatever sold meanwhile;
    /// `out_of_stock` when `stock` is negative without backorders. Appends `InventoryUpdated`.
    async fn set_stock(&self, variant_id: VariantId, stock: Decimal) -> StorageResult<StockLevel>;
}

/// Promotions, tax, rounding and shipping methods.
#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
pub trait SettingsStore: MaybeSendSync {
    /// Inserts or replaces a promotion; a coupon code used by another promotion is `conflict`.
    async fn put_promotion(&self, promotion: Promotion) -> StorageResult<Promotion>;
    /// The promotion with `id`.
    async fn get_promotion(&self, id: PromotionId) -> StorageResult<Promotion>;
    /// The promotion behind a (normalized) coupon code.
    async fn find_promotion_by_coupon(&self, code: &str) -> StorageResult<Promotion>;
    /// Every promotion.
    async fn list_promotions(&self) -> StorageResult<Vec<Promotion>>;
    /// Deletes a promotion.
    async fn delete_promotion(&self, id: PromotionId) -> StorageResult<()>;
    /// Tax settings and rounding; defaults (at version 0) until first saved.
    async fn pricing_settings(&self) -> StorageResult<PricingSettings>;
    /// Replaces tax settings and rounding if the stored settings are still at `expected_version`,
    /// in one conditional write; the stored and returned settings are at `expected_version + 1`
    /// (whatever `settings.version` says). Otherwise `conflict`, and nothing changes.
    async fn put_pricing_settings(
        &self,
        settings: PricingSettings,
        expected_version: u64,
    ) -> StorageResult<PricingSettings>;
    /// Inserts or replaces a shipping method.
    async fn put_shipping_method(&self, method: ShippingMethod) -> StorageResult<ShippingMethod>;
    /// Every shipping method.
    async fn list_shipping_methods(&self) -> StorageResult<Vec<ShippingMethod>>;
    /// Deletes a shipping method.
    async fn delete_shipping_method(&self, id: ShippingMethodId) -> StorageResult<()>;
    /// Everything pricing needs, assembled from the other methods.
    async fn pricing_rules(&self) -> StorageResult<PricingRules> {
        let settings = self.pricing_settings().await?;
        Ok(PricingRules {
            promotions: self.list_promotions().await?,
            tax: settings.tax,
            shipping_methods: self.list_shipping_methods().await?,
            rounding: settings.rounding,
        })
    }
}

/// Carts.
#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
pub trait CartStore: MaybeSendSync {
    /// Stores a new cart; an existing id is `conflict`.
    async fn create_cart(&self, cart: Cart) -> StorageResult<Cart>;
    /// The cart with `id`.
    async fn get_cart(&self, id: CartId) -> StorageResult<Cart>;
    /// Replaces a cart that is still at `expected_version` (the version it was read at; the cart's
    /// own operations have since raised `cart.version`); otherwise `conflict`.
    async fn save_cart(&self, cart: Cart, expected_version: u64) -> StorageResult<Cart>;
    /// Deletes a cart.
    async fn delete_cart(&self, id: CartId) -> StorageResult<()>;
    /// The most recently updated cart of a customer.
    async fn latest_cart_of_customer(&self, customer_id: UserId) -> StorageResult<Cart>;
}

/// Orders, including the atomic checkout.
#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
pub trait OrderStore: MaybeSendSync {
    /// Checkout's single atomic step. In one transaction:
    /// 1. with an idempotency key already recorded under [`CHECKOUT_SCOPE`]: the same fingerprint
    ///    returns the order placed the first time and changes nothing; another fingerprint is
    ///    `idempotency_conflict`;
    /// 2. when `draft.consume_cart` is set, the cart must still be at that version (`conflict` otherwise)
    ///    and is deleted, so one cart becomes at most one order;
    /// 3. every line's quantity is taken from its variant's stock, refused with `out_of_stock`
    ///    (naming the first short line) unless stock suffices or the variant allows backorders;
    /// 4. every redemption is counted, refused with `promotion_usage_limit` beyond a limit;
    /// 5. the order is written as given and `OrderPlaced` appended; the key is recorded.
    ///
    /// Any refusal leaves everything as it was.
    async fn place_order(
        &self,
        draft: OrderDraft,
        idempotency: Option<IdempotencyKey>,
    ) -> StorageResult<Order>;
    /// The order with `id`.
    async fn get_order(&self, id: OrderId) -> StorageResult<Order>;
    /// Orders matching `filter`, newest first.
    async fn list_orders(&self, filter: &OrderFilter) -> StorageResult<Vec<Order>>;
    /// Applies an [`OrderUpdate`] atomically (version check, stock releases, promotion usage
    /// releases, events).
    async fn update_order(&self, update: OrderUpdate) -> StorageResult<Order>;
    /// Whether the user has a non-cancelled order containing the product.
    async fn has_purchased(&self, user_id: UserId, product_id: ProductId) -> StorageResult<bool>;
}

/// Users and password-reset tokens.
#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
pub trait UserStore: MaybeSendSync {
    /// Stores a new user; an email already in use (by any user, deleted ones included) is
    /// `conflict`. Appends `UserRegistered`.
    async fn create_user(&self, user: User) -> StorageResult<User>;
    /// The user with `id` (deleted ones included).
    async fn get_user(&self, id: UserId) -> StorageResult<User>;
    /// The user with a normalized email.
    async fn find_user_by_email(&self, email: &str) -> StorageResult<User>;
    /// Replaces a user; taking another user's email is `conflict`.
    async fn update_user(&self, user: User) -> StorageResult<User>;
    /// Replaces a user only if the stored one still has `previous`'s password hash, session
    /// generation and update time, in one conditional write; otherwise `conflict`. Two account
    /// changes read at once (a password change and a role change, say) must not let the later
    /// write restore the earlier hash or session generation: the loser re-reads and re-applies.
    async fn replace_user(&self, previous: &User, user: User) -> StorageResult<User>;
    /// Users, oldest first.
    async fn list_users(&self, page: Page) -> StorageResult<Vec<User>>;
    /// Stores a reset token's hash.
    async fn put_password_reset(&self, reset: PasswordReset) -> StorageResult<()>;
    /// Removes and returns the reset with `token_hash`, atomically, so only one caller gets it;
    /// `not_found` when absent or already taken.
    async fn take_password_reset(&self, token_hash: &str) -> StorageResult<PasswordReset>;
    /// Removes every outstanding reset of a user.
    async fn delete_password_resets(&self, user_id: UserId) -> StorageResult<()>;
}

/// Reviews.
#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
pub trait ReviewStore: MaybeSendSync {
    /// Stores a new review; a second review by the same user of the same product is `conflict`.
    async fn create_review(&self, review: Review) -> StorageResult<Review>;
    /// The review with `id`.
    async fn get_review(&self, id: ReviewId) -> StorageResult<Review>;
    /// Replaces a review (rating, text, status, moderation).
    async fn update_review(&self, review: Review) -> StorageResult<Review>;
    /// A product's reviews, newest first; hidden ones only when asked.
    async fn list_reviews(
        &self,
        product_id: ProductId,
        include_hidden: bool,
    ) -> StorageResult<Vec<Review>>;
    /// Deletes a review.
    async fn delete_review(&self, id: ReviewId) -> StorageResult<()>;
}

/// Promotion redemption counts (written only by [`OrderStore::place_order`]).
#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
pub trait PromotionUsageStore: MaybeSendSync {
    /// Counts for every redeemed promotion: the total, and `customer`'s own (zero for guests).
    async fn promotion_usage(&self, customer: Option<UserId>) -> StorageResult<PromotionUsageMap>;
}

/// Payment attempts.
#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
pub trait PaymentStore: MaybeSendSync {
    /// Records one attempt; a duplicate id is `conflict`.
    async fn record_transaction(&self, transaction: PaymentTransaction) -> StorageResult<()>;
    /// An order's attempts, oldest first.
    async fn list_transactions(&self, order_id: OrderId) -> StorageResult<Vec<PaymentTransaction>>;
}

/// Idempotency keys for requests other than checkout (which records its own inside
/// [`OrderStore::place_order`], under [`CHECKOUT_SCOPE`]).
///
/// The life of a key: [`claim_idempotency_key`](Self::claim_idempotency_key) marks it in flight
/// for one holder; the request does its work and completes the key inside the write that stores
/// the effect ([`OrderUpdate::idempotency`], or
/// [`complete_idempotency_key`](Self::complete_idempotency_key)); a request that fails before
/// any effect [releases](Self::release_idempotency_key) it so the client may retry.
#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
pub trait IdempotencyStore: MaybeSendSync {
    /// In one conditional write: records the key as in flight for `claim.holder` when it is new,
    /// or takes it over when it is in flight with the same fingerprint and its lease has run out
    /// (`lease_until <= claim.now`) — [`ClaimOutcome::Claimed`]. Otherwise the existing record,
    /// unchanged (the caller replays, refuses, or reports it in flight). Of many racing claims
    /// exactly one is `Claimed`.
    async fn claim_idempotency_key(&self, claim: IdempotencyClaim) -> StorageResult<ClaimOutcome>;
    /// The record of a key.
    async fn get_idempotency_record(
        &self,
        scope: &str,
        key: &str,
    ) -> StorageResult<Option<IdempotencyRecord>>;
    /// Completes a key its holder still holds, for requests whose effect is not an order write;
    /// `idempotency_in_flight` when the holder does not hold it, `not_found` when it is absent.
    async fn complete_idempotency_key(
        &self,
        completion: IdempotencyCompletion,
    ) -> StorageResult<IdempotencyRecord>;
    /// Forgets a key `holder` still holds in flight (its request failed before any effect, so
    /// the client may retry). A key completed or held by another holder is left alone.
    async fn release_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        holder: &str,
    ) -> StorageResult<()>;
}

/// The event outbox and its delivery cursors.
#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
pub trait EventStore: MaybeSendSync {
    /// Appends events not tied to another write; an id already in the outbox is `conflict` and
    /// nothing is appended.
    async fn append_events(&self, events: Vec<NewEvent>) -> StorageResult<Vec<OutboxEvent>>;
    /// Up to `limit` events with a sequence above `after`, in sequence order.
    async fn events_after(&self, after: u64, limit: u32) -> StorageResult<Vec<OutboxEvent>>;
    /// Up to `limit` events with a sequence above `after` whose kind (`OrderPlaced`, ...) is one
    /// of `kinds` (any kind when empty), in sequence order. The filter runs in the store, before
    /// the limit, so a rare kind is found however many other events came first.
    async fn find_events(
        &self,
        after: u64,
        kinds: &[String],
        limit: u32,
    ) -> StorageResult<Vec<OutboxEvent>>;
    /// The last sequence delivered to `consumer` (0 before the first delivery).
    async fn delivery_cursor(&self, consumer: &str) -> StorageResult<u64>;
    /// Records that `consumer` has everything up to `sequence`. The cursor never moves back (a
    /// lower value leaves it) and cannot pass the last event (`conflict`). Returns the cursor.
    async fn advance_delivery_cursor(&self, consumer: &str, sequence: u64) -> StorageResult<u64>;
    /// Takes or renews the lease `name` for `holder` until `until`, in one conditional write:
    /// granted when nobody holds it, when its holder's time ran out (`expires_at <= now`), or
    /// when `holder` already holds it. Two holders can never both hold it, so one process of many
    /// runs the job it guards (a relay consumer). Returns whether `holder` holds it now.
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StorageResult<bool>;
    /// Gives the lease up if `holder` holds it, so another holder need not wait for it to run out.
    async fn release_lease(&self, name: &str, holder: &str) -> StorageResult<()>;
}

/// Full-text product search with filters, sorting and paging; see [`crate::search`] for the
/// semantics every store must follow.
#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
pub trait SearchStore: MaybeSendSync {
    /// One page of products matching `query` (validated by the caller) and the total count.
    async fn search_products(&self, query: &ProductSearch) -> StorageResult<ProductPage>;
}

/// `Send + Sync` on native targets, nothing on wasm32 where stores live on one thread.
#[cfg(not(target_family = "wasm"))]
pub trait MaybeSendSync: Send + Sync {}
#[cfg(not(target_family = "wasm"))]
impl<T: Send + Sync + ?Sized> MaybeSendSync for T {}
/// `Send + Sync` on native targets, nothing on wasm32 where stores live on one thread.
#[cfg(target_family = "wasm")]
pub trait MaybeSendSync {}
#[cfg(target_family = "wasm")]
impl<T: ?Sized> MaybeSendSync for T {}

/// Every store trait in one: what shells pass around as `Arc<dyn Store>`.
pub trait Store:
    CatalogStore
    + InventoryStore
    + SettingsStore
    + CartStore
    + OrderStore
    + UserStore
    + ReviewStore
    + PromotionUsageStore
    + PaymentStore
    + IdempotencyStore
    + EventStore
    + SearchStore
    + fmt::Debug
{
}

impl<T> Store for T where
    T: CatalogStore
        + InventoryStore
        + SettingsStore
        + CartStore
        + OrderStore
        + UserStore
        + ReviewStore
        + PromotionUsageStore
        + PaymentStore
        + IdempotencyStore
        + EventStore
        + SearchStore
        + fmt::Debug
        + ?Sized
{
}
