//! Store metrics for `/metrics`: the latency of every store operation, and how far each relay
//! consumer is behind the outbox.
//!
//! Latency is measured by [`TimedStore`], a wrapper around the store the app state holds, so
//! every call the core's services make on behalf of a request is observed, whatever the service,
//! without the services knowing. One histogram series per trait method
//! (`merx_store_operation_duration_seconds{operation="place_order"}`) keeps the label set small
//! and fixed. Outbox lag is read from the store when Prometheus scrapes ([`outbox_lag`]), so it is
//! as fresh as the scrape and costs nothing between scrapes.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use merx_core::cart::Cart;
use merx_core::catalog::{Category, Product};
use merx_core::event::{NewEvent, OutboxEvent};
use merx_core::ids::{
    CartId, CategoryId, OrderId, ProductId, PromotionId, ReviewId, ShippingMethodId, UserId,
    VariantId,
};
use merx_core::order::{Order, OrderDraft};
use merx_core::payment::PaymentTransaction;
use merx_core::pricing::PricingRules;
use merx_core::promotion::{Promotion, PromotionUsageMap};
use merx_core::review::Review;
use merx_core::search::{ProductPage, ProductSearch};
use merx_core::shipping::ShippingMethod;
use merx_core::store::{
    CartStore, CatalogStore, ClaimOutcome, EventStore, IdempotencyClaim, IdempotencyCompletion,
    IdempotencyKey, IdempotencyRecord, IdempotencyStore, InventoryStore, OrderFilter, OrderStore,
    OrderUpdate, Page, PaymentStore, PricingSettings, ProductFilter, PromotionUsageStore,
    ReviewStore, SearchStore, SettingsStore, StockLevel, StorageResult, Store, UserStore,
};
use merx_core::user::{PasswordReset, User};
use prometheus::HistogramVec;
use rust_decimal::Decimal;

/// A store that observes the duration of every call into `latency`, labelled by operation.
pub struct TimedStore {
    inner: Arc<dyn Store>,
    latency: HistogramVec,
}

impl std::fmt::Debug for TimedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimedStore")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl TimedStore {
    /// `inner`, timed into `latency` (a histogram with one label, `operation`).
    pub fn new(inner: Arc<dyn Store>, latency: HistogramVec) -> TimedStore {
        TimedStore { inner, latency }
    }

    async fn time<T>(&self, operation: &str, call: impl Future<Output = T>) -> T {
        let started = Instant::now();
        let out = call.await;
        self.latency
            .with_label_values(&[operation])
            .observe(started.elapsed().as_secs_f64());
        out
    }
}

/// Upper bounds of the latency buckets, in seconds: an embedded SQLite read takes tens of
/// microseconds and a PostgreSQL checkout milliseconds, so the buckets start far below the
/// client library's defaults (5 ms) and end at a stalled database.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0,
];

#[async_trait]
impl CatalogStore for TimedStore {
    async fn put_category(&self, category: Category) -> StorageResult<Category> {
        self.time("put_category", self.inner.put_category(category))
            .await
    }
    async fn list_categories(&self) -> StorageResult<Vec<Category>> {
        self.time("list_categories", self.inner.list_categories())
            .await
    }
    async fn delete_category(&self, id: CategoryId) -> StorageResult<()> {
        self.time("delete_category", self.inner.delete_category(id))
            .await
    }
    async fn put_product(&self, product: Product) -> StorageResult<Product> {
        self.time("put_product", self.inner.put_product(product))
            .await
    }
    async fn get_product(&self, id: ProductId) -> StorageResult<Product> {
        self.time("get_product", self.inner.get_product(id)).await
    }
    async fn get_product_by_slug(&self, slug: &str) -> StorageResult<Product> {
        self.time("get_product_by_slug", self.inner.get_product_by_slug(slug))
            .await
    }
    async fn find_product_by_sku(&self, sku: &str) -> StorageResult<Product> {
        self.time("find_product_by_sku", self.inner.find_product_by_sku(sku))
            .await
    }
    async fn list_products(&self, filter: &ProductFilter) -> StorageResult<Vec<Product>> {
        self.time("list_products", self.inner.list_products(filter))
            .await
    }
    async fn delete_product(&self, id: ProductId) -> StorageResult<()> {
        self.time("delete_product", self.inner.delete_product(id))
            .await
    }
}

#[async_trait]
impl InventoryStore for TimedStore {
    async fn stock_level(&self, variant_id: VariantId) -> StorageResult<StockLevel> {
        self.time("stock_level", self.inner.stock_level(variant_id))
            .await
    }
    async fn adjust_stock(
        &self,
        variant_id: VariantId,
        delta: Decimal,
    ) -> StorageResult<StockLevel> {
        self.time("adjust_stock", self.inner.adjust_stock(variant_id, delta))
            .await
    }
    async fn set_stock(&self, variant_id: VariantId, stock: Decimal) -> StorageResult<StockLevel> {
        self.time("set_stock", self.inner.set_stock(variant_id, stock))
            .await
    }
}

#[async_trait]
impl SettingsStore for TimedStore {
    async fn put_promotion(&self, promotion: Promotion) -> StorageResult<Promotion> {
        self.time("put_promotion", self.inner.put_promotion(promotion))
            .await
    }
    async fn get_promotion(&self, id: PromotionId) -> StorageResult<Promotion> {
        self.time("get_promotion", self.inner.get_promotion(id))
            .await
    }
    async fn find_promotion_by_coupon(&self, code: &str) -> StorageResult<Promotion> {
        self.time(
            "find_promotion_by_coupon",
            self.inner.find_promotion_by_coupon(code),
        )
        .await
    }
    async fn list_promotions(&self) -> StorageResult<Vec<Promotion>> {
        self.time("list_promotions", self.inner.list_promotions())
            .await
    }
    async fn delete_promotion(&self, id: PromotionId) -> StorageResult<()> {
        self.time("delete_promotion", self.inner.delete_promotion(id))
            .await
    }
    async fn pricing_settings(&self) -> StorageResult<PricingSettings> {
        self.time("pricing_settings", self.inner.pricing_settings())
            .await
    }
    async fn put_pricing_settings(
        &self,
        settings: PricingSettings,
        expected_version: u64,
    ) -> StorageResult<PricingSettings> {
        self.time(
            "put_pricing_settings",
            self.inner.put_pricing_settings(settings, expected_version),
        )
        .await
    }
    async fn put_shipping_method(&self, method: ShippingMethod) -> StorageResult<ShippingMethod> {
        self.time(
            "put_shipping_method",
            self.inner.put_shipping_method(method),
        )
        .await
    }
    async fn list_shipping_methods(&self) -> StorageResult<Vec<ShippingMethod>> {
        self.time("list_shipping_methods", self.inner.list_shipping_methods())
            .await
    }
    async fn delete_shipping_method(&self, id: ShippingMethodId) -> StorageResult<()> {
        self.time(
            "delete_shipping_method",
            self.inner.delete_shipping_method(id),
        )
        .await
    }
    // Delegated whole: a backend may read the rules in one query rather than three.
    async fn pricing_rules(&self) -> StorageResult<PricingRules> {
        self.time("pricing_rules", self.inner.pricing_rules()).await
    }
}

#[async_trait]
impl CartStore for TimedStore {
    async fn create_cart(&self, cart: Cart) -> StorageResult<Cart> {
        self.time("create_cart", self.inner.create_cart(cart)).await
    }
    async fn get_cart(&self, id: CartId) -> StorageResult<Cart> {
        self.time("get_cart", self.inner.get_cart(id)).await
    }
    async fn save_cart(&self, cart: Cart, expected_version: u64) -> StorageResult<Cart> {
        self.time("save_cart", self.inner.save_cart(cart, expected_version))
            .await
    }
    async fn delete_cart(&self, id: CartId) -> StorageResult<()> {
        self.time("delete_cart", self.inner.delete_cart(id)).await
    }
    async fn latest_cart_of_customer(&self, customer_id: UserId) -> StorageResult<Cart> {
        self.time(
            "latest_cart_of_customer",
            self.inner.latest_cart_of_customer(customer_id),
        )
        .await
    }
}

#[async_trait]
impl OrderStore for TimedStore {
    async fn place_order(
        &self,
        draft: OrderDraft,
        idempotency: Option<IdempotencyKey>,
    ) -> StorageResult<Order> {
        self.time("place_order", self.inner.place_order(draft, idempotency))
            .await
    }
    async fn get_order(&self, id: OrderId) -> StorageResult<Order> {
        self.time("get_order", self.inner.get_order(id)).await
    }
    async fn list_orders(&self, filter: &OrderFilter) -> StorageResult<Vec<Order>> {
        self.time("list_orders", self.inner.list_orders(filter))
            .await
    }
    async fn update_order(&self, update: OrderUpdate) -> StorageResult<Order> {
        self.time("update_order", self.inner.update_order(update))
            .await
    }
    async fn has_purchased(&self, user_id: UserId, product_id: ProductId) -> StorageResult<bool> {
        self.time(
            "has_purchased",
            self.inner.has_purchased(user_id, product_id),
        )
        .await
    }
}

#[async_trait]
impl UserStore for TimedStore {
    async fn create_user(&self, user: User) -> StorageResult<User> {
        self.time("create_user", self.inner.create_user(user)).await
    }
    async fn get_user(&self, id: UserId) -> StorageResult<User> {
        self.time("get_user", self.inner.get_user(id)).await
    }
    async fn find_user_by_email(&self, email: &str) -> StorageResult<User> {
        self.time("find_user_by_email", self.inner.find_user_by_email(email))
            .await
    }
    async fn update_user(&self, user: User) -> StorageResult<User> {
        self.time("update_user", self.inner.update_user(user)).await
    }
    async fn replace_user(&self, previous: &User, user: User) -> StorageResult<User> {
        self.time("replace_user", self.inner.replace_user(previous, user))
            .await
    }
    async fn list_users(&self, page: Page) -> StorageResult<Vec<User>> {
        self.time("list_users", self.inner.list_users(page)).await
    }
    async fn put_password_reset(&self, reset: PasswordReset) -> StorageResult<()> {
        self.time("put_password_reset", self.inner.put_password_reset(reset))
            .await
    }
    async fn take_password_reset(&self, token_hash: &str) -> StorageResult<PasswordReset> {
        self.time(
            "take_password_reset",
            self.inner.take_password_reset(token_hash),
        )
        .await
    }
    async fn delete_password_resets(&self, user_id: UserId) -> StorageResult<()> {
        self.time(
            "delete_password_resets",
            self.inner.delete_password_resets(user_id),
        )
        .await
    }
}

#[async_trait]
impl ReviewStore for TimedStore {
    async fn create_review(&self, review: Review) -> StorageResult<Review> {
        self.time("create_review", self.inner.create_review(review))
            .await
    }
    async fn get_review(&self, id: ReviewId) -> StorageResult<Review> {
        self.time("get_review", self.inner.get_review(id)).await
    }
    async fn update_review(&self, review: Review) -> StorageResult<Review> {
        self.time("update_review", self.inner.update_review(review))
            .await
    }
    async fn list_reviews(
        &self,
        product_id: ProductId,
        include_hidden: bool,
    ) -> StorageResult<Vec<Review>> {
        self.time(
            "list_reviews",
            self.inner.list_reviews(product_id, include_hidden),
        )
        .await
    }
    async fn delete_review(&self, id: ReviewId) -> StorageResult<()> {
        self.time("delete_review", self.inner.delete_review(id))
            .await
    }
}

#[async_trait]
impl PromotionUsageStore for TimedStore {
    async fn promotion_usage(&self, customer: Option<UserId>) -> StorageResult<PromotionUsageMap> {
        self.time("promotion_usage", self.inner.promotion_usage(customer))
            .await
    }
}

#[async_trait]
impl PaymentStore for TimedStore {
    async fn record_transaction(&self, transaction: PaymentTransaction) -> StorageResult<()> {
        self.time(
            "record_transaction",
            self.inner.record_transaction(transaction),
        )
        .await
    }
    async fn list_transactions(&self, order_id: OrderId) -> StorageResult<Vec<PaymentTransaction>> {
        self.time("list_transactions", self.inner.list_transactions(order_id))
            .await
    }
}

#[async_trait]
impl IdempotencyStore for TimedStore {
    async fn claim_idempotency_key(&self, claim: IdempotencyClaim) -> StorageResult<ClaimOutcome> {
        self.time(
            "claim_idempotency_key",
            self.inner.claim_idempotency_key(claim),
        )
        .await
    }
    async fn get_idempotency_record(
        &self,
        scope: &str,
        key: &str,
    ) -> StorageResult<Option<IdempotencyRecord>> {
        self.time(
            "get_idempotency_record",
            self.inner.get_idempotency_record(scope, key),
        )
        .await
    }
    async fn complete_idempotency_key(
        &self,
        completion: IdempotencyCompletion,
    ) -> StorageResult<IdempotencyRecord> {
        self.time(
            "complete_idempotency_key",
            self.inner.complete_idempotency_key(completion),
        )
        .await
    }
    async fn release_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        holder: &str,
    ) -> StorageResult<()> {
        self.time(
            "release_idempotency_key",
            self.inner.release_idempotency_key(scope, key, holder),
        )
        .await
    }
}

#[async_trait]
impl EventStore for TimedStore {
    async fn append_events(&self, events: Vec<NewEvent>) -> StorageResult<Vec<OutboxEvent>> {
        self.time("append_events", self.inner.append_events(events))
            .await
    }
    async fn events_after(&self, after: u64, limit: u32) -> StorageResult<Vec<OutboxEvent>> {
        self.time("events_after", self.inner.events_after(after, limit))
            .await
    }
    async fn find_events(
        &self,
        after: u64,
        kinds: &[String],
        limit: u32,
    ) -> StorageResult<Vec<OutboxEvent>> {
        self.time("find_events", self.inner.find_events(after, kinds, limit))
            .await
    }
    async fn delivery_cursor(&self, consumer: &str) -> StorageResult<u64> {
        self.time("delivery_cursor", self.inner.delivery_cursor(consumer))
            .await
    }
    async fn advance_delivery_cursor(&self, consumer: &str, sequence: u64) -> StorageResult<u64> {
        self.time(
            "advance_delivery_cursor",
            self.inner.advance_delivery_cursor(consumer, sequence),
        )
        .await
    }
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StorageResult<bool> {
        self.time(
            "acquire_lease",
            self.inner.acquire_lease(name, holder, now, until),
        )
        .await
    }
    async fn release_lease(&self, name: &str, holder: &str) -> StorageResult<()> {
        self.time("release_lease", self.inner.release_lease(name, holder))
            .await
    }
}

#[async_trait]
impl SearchStore for TimedStore {
    async fn search_products(&self, query: &ProductSearch) -> StorageResult<ProductPage> {
        self.time("search_products", self.inner.search_products(query))
            .await
    }
}

/// How far one relay consumer is behind the outbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutboxLag {
    /// Events after the consumer's cursor (sequences are gap-free, so the newest sequence minus
    /// the cursor).
    pub pending: u64,
    /// When the oldest of them happened; `None` when nothing is pending.
    pub oldest: Option<DateTime<Utc>>,
}

/// The lag of `consumer`. The store can list events after a sequence but cannot count them, so
/// the newest sequence is found by probing `events_after(s, 1)` (empty exactly when `s` is the
/// newest or beyond) with doubling steps and then bisection: a handful of indexed one-row reads
/// however far behind the consumer is.
pub async fn outbox_lag(store: &dyn Store, consumer: &str) -> StorageResult<OutboxLag> {
    let cursor = store.delivery_cursor(consumer).await?;
    let Some(first) = store.events_after(cursor, 1).await?.into_iter().next() else {
        return Ok(OutboxLag {
            pending: 0,
            oldest: None,
        });
    };
    // `low` is a sequence known to exist; `high`, once found, one at or past the newest.
    let mut low = first.sequence;
    let mut step = 1u64;
    let high = loop {
        let probe = low.saturating_add(step);
        match store.events_after(probe, 1).await?.into_iter().next() {
            Some(event) => {
                low = event.sequence;
                step = step.saturating_mul(2);
            }
            None => break probe,
        }
    };
    let (mut low, mut high) = (low, high);
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        match store.events_after(middle, 1).await?.into_iter().next() {
            Some(event) => low = event.sequence,
            None => high = middle,
        }
    }
    // `low` exists and nothing is after `high`; with `high = low + 1` the newest is `low` unless
    // an event sits at `high` itself.
    let newest = if store.events_after(low, 1).await?.is_empty() {
        low
    } else {
        high
    };
    Ok(OutboxLag {
        pending: newest.saturating_sub(cursor),
        oldest: Some(first.occurred_at),
    })
}
