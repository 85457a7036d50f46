//! An in-memory [`Store`](super::Store) for tests, examples, demos and the browser.
//!
//! All state sits behind one mutex. Every method takes the lock once, checks everything it needs,
//! and only then mutates, so each method is atomic without rollback code, and checkout is
//! all-or-nothing exactly as the SQL stores' transactions are. The lock is held only for map work
//! (no I/O, no awaits inside), which keeps it uncontended enough for tests racing hundreds of
//! checkouts. A poisoned lock (a panic while holding it) is recovered rather than propagated:
//! every method validates before it mutates, so a panic cannot leave half a write behind.

use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use rust_decimal::Decimal;

use super::{
    CartStore, CatalogStore, ClaimOutcome, EventStore, IdempotencyClaim, IdempotencyCompletion,
    IdempotencyKey, IdempotencyRecord, IdempotencyStore, InventoryStore, OrderFilter, OrderStore,
    OrderUpdate, Page, PaymentStore, PricingSettings, ProductFilter, PromotionUsageStore,
    ReviewStore, SearchStore, SettingsStore, StockLevel, StorageError, StorageResult, UserStore,
    CHECKOUT_SCOPE,
};
use crate::cart::Cart;
use crate::catalog::{Category, Product};
use crate::clock::{Clock, SystemClock};
use crate::event::{EventPayload, NewEvent, OutboxEvent};
use crate::ids::{
    CartId, CategoryId, EventId, OrderId, ProductId, PromotionId, ReviewId, ShippingMethodId,
    TransactionId, UserId, VariantId,
};
use crate::model::order::{Order, OrderDraft, OrderStatus};
use crate::model::payment::PaymentTransaction;
use crate::model::review::{Review, ReviewStatus};
use crate::model::user::{PasswordReset, User};
use crate::promotion::Promotion;
use crate::promotion::{PromotionUsage, PromotionUsageMap};
use crate::search::{search_in_memory, ProductPage, ProductSearch};
use crate::shipping::ShippingMethod;

#[derive(Debug, Default)]
struct State {
    categories: HashMap<CategoryId, Category>,
    products: HashMap<ProductId, Product>,
    variant_owner: HashMap<VariantId, ProductId>,
    sku_owner: HashMap<String, ProductId>,
    slug_owner: HashMap<String, ProductId>,
    promotions: HashMap<PromotionId, Promotion>,
    pricing_settings: PricingSettings,
    shipping_methods: HashMap<ShippingMethodId, ShippingMethod>,
    carts: HashMap<CartId, Cart>,
    orders: HashMap<OrderId, Order>,
    orders_of_customer: HashMap<UserId, Vec<OrderId>>,
    users: HashMap<UserId, User>,
    user_by_email: HashMap<String, UserId>,
    password_resets: HashMap<String, PasswordReset>,
    reviews: HashMap<ReviewId, Review>,
    review_by_author: HashMap<(UserId, ProductId), ReviewId>,
    usage_total: HashMap<PromotionId, u64>,
    usage_by_customer: HashMap<(PromotionId, UserId), u64>,
    transactions: HashMap<OrderId, Vec<PaymentTransaction>>,
    transaction_ids: HashSet<TransactionId>,
    idempotency: HashMap<(String, String), IdempotencyRecord>,
    events: Vec<OutboxEvent>,
    event_ids: HashSet<EventId>,
    cursors: HashMap<String, u64>,
    leases: HashMap<String, (String, DateTime<Utc>)>,
}

impl State {
    fn insert_transaction(&mut self, transaction: PaymentTransaction) {
        self.transaction_ids.insert(transaction.id);
        self.transactions
            .entry(transaction.order_id)
            .or_default()
            .push(transaction);
    }

    /// Refuses a completion whose holder no longer holds its key in flight.
    fn check_completion(&self, completion: &IdempotencyCompletion) -> StorageResult<()> {
        let record = self
            .idempotency
            .get(&(completion.scope.clone(), completion.key.clone()))
            .ok_or_else(|| StorageError::not_found("idempotency key", &completion.key))?;
        if record.is_completed() || record.holder.as_deref() != Some(completion.holder.as_str()) {
            return Err(StorageError::IdempotencyInFlight {
                key: completion.key.clone(),
            });
        }
        Ok(())
    }

    /// Completes a key [`State::check_completion`] accepted.
    fn complete(
        &mut self,
        completion: IdempotencyCompletion,
        now: DateTime<Utc>,
    ) -> IdempotencyRecord {
        let record = self
            .idempotency
            .get_mut(&(completion.scope, completion.key))
            .expect("checked by check_completion");
        record.holder = None;
        record.lease_until = None;
        record.completed_at = Some(now);
        record.resource_id = completion.resource_id;
        record.response = completion.response;
        record.clone()
    }

    fn append(&mut self, event: NewEvent) -> OutboxEvent {
        let record = OutboxEvent::at(self.events.len() as u64 + 1, event);
        self.event_ids.insert(record.id);
        self.events.push(record.clone());
        record
    }

    fn variant_location(&self, variant_id: VariantId) -> StorageResult<(ProductId, usize)> {
        let not_found = || StorageError::not_found(VariantId::ENTITY, variant_id);
        let product_id = *self.variant_owner.get(&variant_id).ok_or_else(not_found)?;
        let index = self.products[&product_id]
            .variants
            .iter()
            .position(|v| v.id == variant_id)
            .ok_or_else(not_found)?;
        Ok((product_id, index))
    }

    fn stock_level(&self, variant_id: VariantId) -> StorageResult<StockLevel> {
        let (product_id, index) = self.variant_location(variant_id)?;
        let variant = &self.products[&product_id].variants[index];
        Ok(StockLevel {
            variant_id,
            product_id,
            sku: variant.sku.clone(),
            stock: variant.stock,
            allow_backorder: variant.allow_backorder,
        })
    }

    /// Adds `delta` to a variant's stock; the caller has checked that the result is allowed.
    fn add_stock(&mut self, variant_id: VariantId, delta: Decimal) -> StorageResult<StockLevel> {
        let (product_id, index) = self.variant_location(variant_id)?;
        let variant = &mut self
            .products
            .get_mut(&product_id)
            .expect("owner index is consistent")
            .variants[index];
        variant.stock += delta;
        self.stock_level(variant_id)
    }
}

fn page<T>(items: impl Iterator<Item = T>, page: Page) -> Vec<T> {
    items
        .skip(page.offset as usize)
        .take(page.limit as usize)
        .collect()
}

/// The in-memory store.
#[derive(Debug)]
pub struct MemoryStore {
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new(Arc::new(SystemClock))
    }
}

impl MemoryStore {
    /// An empty store stamping its events with `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> MemoryStore {
        MemoryStore {
            clock,
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
impl CatalogStore for MemoryStore {
    async fn put_category(&self, category: Category) -> StorageResult<Category> {
        self.state()
            .categories
            .insert(category.id, category.clone());
        Ok(category)
    }

    async fn list_categories(&self) -> StorageResult<Vec<Category>> {
        let mut all: Vec<Category> = self.state().categories.values().cloned().collect();
        all.sort_by(|a, b| {
            a.position
                .cmp(&b.position)
                .then_with(|| a.name.cmp(&b.name))
                .then(a.id.cmp(&b.id))
        });
        Ok(all)
    }

    async fn delete_category(&self, id: CategoryId) -> StorageResult<()> {
        match self.state().categories.remove(&id) {
            Some(_) => Ok(()),
            None => Err(StorageError::not_found(CategoryId::ENTITY, id)),
        }
    }

    async fn put_product(&self, mut product: Product) -> StorageResult<Product> {
        let now = self.clock.now();
        let mut state = self.state();
        if let Some(owner) = state.slug_owner.get(&product.slug) {
            if *owner != product.id {
                return Err(StorageError::conflict(
                    ProductId::ENTITY,
                    format!("slug `{}` is taken", product.slug),
                ));
            }
        }
        for variant in &product.variants {
            if let Some(owner) = state.sku_owner.get(&variant.sku.to_ascii_lowercase()) {
                if *owner != product.id {
                    return Err(StorageError::conflict(
                        VariantId::ENTITY,
                        format!("SKU `{}` is taken", variant.sku),
                    ));
                }
            }
            if let Some(owner) = state.variant_owner.get(&variant.id) {
                if *owner != product.id {
                    return Err(StorageError::conflict(
                        VariantId::ENTITY,
                        format!("variant `{}` belongs to another product", variant.id),
                    ));
                }
            }
        }
        if let Some(old) = state.products.remove(&product.id) {
            for variant in &mut product.variants {
                if let Some(stored) = old.variants.iter().find(|v| v.id == variant.id) {
                    variant.stock = stored.stock;
                }
            }
            state.slug_owner.remove(&old.slug);
            for variant in &old.variants {
                state.sku_owner.remove(&variant.sku.to_ascii_lowercase());
                state.variant_owner.remove(&variant.id);
            }
        }
        state.slug_owner.insert(product.slug.clone(), product.id);
        for variant in &product.variants {
            state
                .sku_owner
                .insert(variant.sku.to_ascii_lowercase(), product.id);
            state.variant_owner.insert(variant.id, product.id);
        }
        state.products.insert(product.id, product.clone());
        state.append(NewEvent::new(
            EventPayload::ProductChanged {
                product_id: product.id,
                deleted: false,
            },
            now,
        ));
        Ok(product)
    }

    async fn get_product(&self, id: ProductId) -> StorageResult<Product> {
        self.state()
            .products
            .get(&id)
            .cloned()
            .ok_or_else(|| StorageError::not_found(ProductId::ENTITY, id))
    }

    async fn get_product_by_slug(&self, slug: &str) -> StorageResult<Product> {
        let state = self.state();
        state
            .slug_owner
            .get(slug)
            .and_then(|id| state.products.get(id))
            .cloned()
            .ok_or_else(|| StorageError::not_found(ProductId::ENTITY, slug))
    }

    async fn find_product_by_sku(&self, sku: &str) -> StorageResult<Product> {
        let state = self.state();
        state
            .sku_owner
            .get(&sku.to_ascii_lowercase())
            .and_then(|id| state.products.get(id))
            .cloned()
            .ok_or_else(|| StorageError::not_found(VariantId::ENTITY, sku))
    }

    async fn list_products(&self, filter: &ProductFilter) -> StorageResult<Vec<Product>> {
        let state = self.state();
        let mut matching: Vec<&Product> = state
            .products
            .values()
            .filter(|p| filter.status.is_none_or(|s| p.status == s))
            .filter(|p| {
                filter
                    .category_id
                    .is_none_or(|c| p.category_ids.contains(&c))
            })
            .collect();
        matching.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(page(matching.into_iter().cloned(), filter.page))
    }

    async fn delete_product(&self, id: ProductId) -> StorageResult<()> {
        let now = self.clock.now();
        let mut state = self.state();
        let product = state
            .products
            .remove(&id)
            .ok_or_else(|| StorageError::not_found(ProductId::ENTITY, id))?;
        state.slug_owner.remove(&product.slug);
        for variant in &product.variants {
            state.sku_owner.remove(&variant.sku.to_ascii_lowercase());
            state.variant_owner.remove(&variant.id);
        }
        state.append(NewEvent::new(
            EventPayload::ProductChanged {
                product_id: id,
                deleted: true,
            },
            now,
        ));
        Ok(())
    }
}

#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
impl InventoryStore for MemoryStore {
    async fn stock_level(&self, variant_id: VariantId) -> StorageResult<StockLevel> {
        self.state().stock_level(variant_id)
    }

    async fn adjust_stock(
        &self,
        variant_id: VariantId,
        delta: Decimal,
    ) -> StorageResult<StockLevel> {
        let now = self.clock.now();
        let mut state = self.state();
        let level = state.stock_level(variant_id)?;
        if level.stock + delta < Decimal::ZERO && !level.allow_backorder {
            return Err(StorageError::OutOfStock {
                variant_id,
                sku: level.sku,
                requested: -delta,
                available: level.stock,
            });
        }
        let level = state.add_stock(variant_id, delta)?;
        state.append(NewEvent::new(
            EventPayload::InventoryUpdated {
                variant_id,
                sku: level.sku.clone(),
                stock: level.stock,
            },
            now,
        ));
        Ok(level)
    }

    async fn set_stock(&self, variant_id: VariantId, stock: Decimal) -> StorageResult<StockLevel> {
        let now = self.clock.now();
        let mut state = self.state();
        let level = state.stock_level(variant_id)?;
        if stock < Decimal::ZERO && !level.allow_backorder {
            return Err(StorageError::OutOfStock {
                variant_id,
                sku: level.sku,
                requested: -stock,
                available: Decimal::ZERO,
            });
        }
        let level = state.add_stock(variant_id, stock - level.stock)?;
        state.append(NewEvent::new(
            EventPayload::InventoryUpdated {
                variant_id,
                sku: level.sku.clone(),
                stock: level.stock,
            },
            now,
        ));
        Ok(level)
    }
}

#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
impl SettingsStore for MemoryStore {
    async fn put_promotion(&self, promotion: Promotion) -> StorageResult<Promotion> {
        let mut state = self.state();
        if let Some(code) = &promotion.coupon_code {
            let taken = state
                .promotions
                .values()
                .any(|p| p.id != promotion.id && p.coupon_code.as_ref() == Some(code));
            if taken {
                return Err(StorageError::conflict(
                    PromotionId::ENTITY,
                    format!("coupon code `{code}` is taken"),
                ));
            }
        }
        state.promotions.insert(promotion.id, promotion.clone());
        Ok(promotion)
    }

    async fn get_promotion(&self, id: PromotionId) -> StorageResult<Promotion> {
        self.state()
            .promotions
            .get(&id)
            .cloned()
            .ok_or_else(|| StorageError::not_found(PromotionId::ENTITY, id))
    }

    async fn find_promotion_by_coupon(&self, code: &str) -> StorageResult<Promotion> {
        self.state()
            .promotions
            .values()
            .find(|p| p.coupon_code.as_deref() == Some(code))
            .cloned()
            .ok_or_else(|| StorageError::not_found("coupon", code))
    }

    async fn list_promotions(&self) -> StorageResult<Vec<Promotion>> {
        let mut all: Vec<Promotion> = self.state().promotions.values().cloned().collect();
        all.sort_by(|a, b| a.priority.cmp(&b.priority).then(a.id.cmp(&b.id)));
        Ok(all)
    }

    async fn delete_promotion(&self, id: PromotionId) -> StorageResult<()> {
        match self.state().promotions.remove(&id) {
            Some(_) => Ok(()),
            None => Err(StorageError::not_found(PromotionId::ENTITY, id)),
        }
    }

    async fn pricing_settings(&self) -> StorageResult<PricingSettings> {
        Ok(self.state().pricing_settings.clone())
    }

    async fn put_pricing_settings(
        &self,
        mut settings: PricingSettings,
        expected_version: u64,
    ) -> StorageResult<PricingSettings> {
        let mut state = self.state();
        if state.pricing_settings.version != expected_version {
            return Err(StorageError::stale_pricing_settings(expected_version));
        }
        settings.version = expected_version + 1;
        state.pricing_settings = settings.clone();
        Ok(settings)
    }

    async fn put_shipping_method(&self, method: ShippingMethod) -> StorageResult<ShippingMethod> {
        self.state()
            .shipping_methods
            .insert(method.id, method.clone());
        Ok(method)
    }

    async fn list_shipping_methods(&self) -> StorageResult<Vec<ShippingMethod>> {
        let mut all: Vec<ShippingMethod> =
            self.state().shipping_methods.values().cloned().collect();
        all.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(all)
    }

    async fn delete_shipping_method(&self, id: ShippingMethodId) -> StorageResult<()> {
        match self.state().shipping_methods.remove(&id) {
            Some(_) => Ok(()),
            None => Err(StorageError::not_found(ShippingMethodId::ENTITY, id)),
        }
    }
}

#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
impl CartStore for MemoryStore {
    async fn create_cart(&self, cart: Cart) -> StorageResult<Cart> {
        let mut state = self.state();
        if state.carts.contains_key(&cart.id) {
            return Err(StorageError::conflict(
                CartId::ENTITY,
                format!("cart `{}` exists", cart.id),
            ));
        }
        state.carts.insert(cart.id, cart.clone());
        Ok(cart)
    }

    async fn get_cart(&self, id: CartId) -> StorageResult<Cart> {
        self.state()
            .carts
            .get(&id)
            .cloned()
            .ok_or_else(|| StorageError::not_found(CartId::ENTITY, id))
    }

    async fn save_cart(&self, cart: Cart, expected_version: u64) -> StorageResult<Cart> {
        let mut state = self.state();
        let stored = state
            .carts
            .get_mut(&cart.id)
            .ok_or_else(|| StorageError::not_found(CartId::ENTITY, cart.id))?;
        if stored.version != expected_version {
            return Err(StorageError::conflict(
                CartId::ENTITY,
                format!(
                    "cart is at version {}, not {expected_version}",
                    stored.version
                ),
            ));
        }
        *stored = cart.clone();
        Ok(cart)
    }

    async fn delete_cart(&self, id: CartId) -> StorageResult<()> {
        match self.state().carts.remove(&id) {
            Some(_) => Ok(()),
            None => Err(StorageError::not_found(CartId::ENTITY, id)),
        }
    }

    async fn latest_cart_of_customer(&self, customer_id: UserId) -> StorageResult<Cart> {
        self.state()
            .carts
            .values()
            .filter(|c| c.customer_id == Some(customer_id))
            .max_by(|a, b| a.updated_at.cmp(&b.updated_at).then(a.id.cmp(&b.id)))
            .cloned()
            .ok_or_else(|| {
                StorageError::not_found(CartId::ENTITY, format!("of customer {customer_id}"))
            })
    }
}

#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
impl OrderStore for MemoryStore {
    async fn place_order(
        &self,
        draft: OrderDraft,
        idempotency: Option<IdempotencyKey>,
    ) -> StorageResult<Order> {
        let now = self.clock.now();
        let OrderDraft {
            order,
            redemptions,
            consume_cart,
        } = draft;
        let mut state = self.state();

        // Checks first, with no mutation, so a refusal leaves everything untouched.
        if let Some(key) = &idempotency {
            if let Some(record) = state
                .idempotency
                .get(&(CHECKOUT_SCOPE.to_string(), key.key.clone()))
            {
                if record.fingerprint != key.fingerprint {
                    return Err(StorageError::IdempotencyConflict {
                        key: key.key.clone(),
                    });
                }
                if !record.is_completed() {
                    return Err(StorageError::IdempotencyInFlight {
                        key: key.key.clone(),
                    });
                }
                let first = record
                    .resource_id
                    .as_deref()
                    .and_then(|id| id.parse::<OrderId>().ok());
                return first
                    .and_then(|id| state.orders.get(&id).cloned())
                    .ok_or_else(|| {
                        StorageError::backend_message("idempotency record points at no order")
                    });
            }
        }
        if state.orders.contains_key(&order.id) {
            return Err(StorageError::conflict(
                OrderId::ENTITY,
                format!("order `{}` exists", order.id),
            ));
        }
        if let Some(cart) = &consume_cart {
            let stored = state
                .carts
                .get(&cart.cart_id)
                .ok_or_else(|| StorageError::not_found(CartId::ENTITY, cart.cart_id))?;
            if stored.version != cart.version {
                return Err(StorageError::conflict(
                    CartId::ENTITY,
                    "the cart changed after it was priced",
                ));
            }
        }
        let demand = order.stock_demand();
        for (variant_id, quantity) in &demand {
            let level = state.stock_level(*variant_id)?;
            if level.stock < *quantity && !level.allow_backorder {
                return Err(StorageError::OutOfStock {
                    variant_id: *variant_id,
                    sku: level.sku,
                    requested: *quantity,
                    available: level.stock,
                });
            }
        }
        for r in &redemptions {
            let total = state.usage_total.get(&r.promotion_id).copied().unwrap_or(0);
            if r.usage_limit.is_some_and(|limit| total >= limit) {
                return Err(StorageError::PromotionUsageLimit {
                    promotion_id: r.promotion_id,
                    coupon_code: r.coupon_code.clone(),
                    per_customer: false,
                });
            }
            if let (Some(limit), Some(customer)) = (r.per_customer_limit, order.customer_id) {
                let mine = state
                    .usage_by_customer
                    .get(&(r.promotion_id, customer))
                    .copied()
                    .unwrap_or(0);
                if mine >= limit {
                    return Err(StorageError::PromotionUsageLimit {
                        promotion_id: r.promotion_id,
                        coupon_code: r.coupon_code.clone(),
                        per_customer: true,
                    });
                }
            }
        }

        for (variant_id, quantity) in &demand {
            state.add_stock(*variant_id, -*quantity)?;
        }
        for r in &redemptions {
            *state.usage_total.entry(r.promotion_id).or_insert(0) += 1;
            if let Some(customer) = order.customer_id {
                *state
                    .usage_by_customer
                    .entry((r.promotion_id, customer))
                    .or_insert(0) += 1;
            }
        }
        if let Some(cart) = &consume_cart {
            state.carts.remove(&cart.cart_id);
        }
        if let Some(key) = idempotency {
            state.idempotency.insert(
                (CHECKOUT_SCOPE.to_string(), key.key.clone()),
                IdempotencyRecord {
                    scope: CHECKOUT_SCOPE.to_string(),
                    key: key.key,
                    fingerprint: key.fingerprint,
                    holder: None,
                    lease_until: None,
                    completed_at: Some(now),
                    resource_id: Some(order.id.to_string()),
                    response: None,
                    created_at: now,
                },
            );
        }
        if let Some(customer) = order.customer_id {
            state
                .orders_of_customer
                .entry(customer)
                .or_default()
                .push(order.id);
        }
        state.append(NewEvent::new(
            EventPayload::OrderPlaced {
                order_id: order.id,
                customer_id: order.customer_id,
                currency: order.currency,
                total: order.totals.total,
            },
            now,
        ));
        state.orders.insert(order.id, order.clone());
        Ok(order)
    }

    async fn get_order(&self, id: OrderId) -> StorageResult<Order> {
        self.state()
            .orders
            .get(&id)
            .cloned()
            .ok_or_else(|| StorageError::not_found(OrderId::ENTITY, id))
    }

    async fn list_orders(&self, filter: &OrderFilter) -> StorageResult<Vec<Order>> {
        let state = self.state();
        let mut matching: Vec<&Order> = match filter.customer_id {
            Some(customer) => state
                .orders_of_customer
                .get(&customer)
                .map(|ids| ids.iter().filter_map(|id| state.orders.get(id)).collect())
                .unwrap_or_default(),
            None => state.orders.values().collect(),
        };
        matching.retain(|o| filter.status.is_none_or(|s| o.status == s));
        matching.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(page(matching.into_iter().cloned(), filter.page))
    }

    async fn update_order(&self, update: OrderUpdate) -> StorageResult<Order> {
        let now = self.clock.now();
        let OrderUpdate {
            mut order,
            stock_releases,
            events,
            release_promotion_usage,
            transactions,
            idempotency,
        } = update;
        let mut state = self.state();
        let stored = state
            .orders
            .get(&order.id)
            .ok_or_else(|| StorageError::not_found(OrderId::ENTITY, order.id))?;
        if stored.version != order.version {
            return Err(StorageError::conflict(
                OrderId::ENTITY,
                format!(
                    "order is at version {}, not {}",
                    stored.version, order.version
                ),
            ));
        }
        if let Some(duplicate) = events.iter().find(|e| state.event_ids.contains(&e.id)) {
            return Err(StorageError::conflict(
                EventId::ENTITY,
                format!("event `{}` exists", duplicate.id),
            ));
        }
        for release in &stock_releases {
            state.variant_location(release.variant_id)?;
        }
        if let Some(t) = transactions
            .iter()
            .find(|t| state.transaction_ids.contains(&t.id))
        {
            return Err(StorageError::conflict(
                TransactionId::ENTITY,
                format!("transaction `{}` exists", t.id),
            ));
        }
        if let Some(completion) = &idempotency {
            state.check_completion(completion)?;
        }
        for transaction in transactions {
            state.insert_transaction(transaction);
        }
        if let Some(completion) = idempotency {
            state.complete(completion, now);
        }
        for release in stock_releases {
            let level = state.add_stock(release.variant_id, release.quantity)?;
            state.append(NewEvent::new(
                EventPayload::InventoryUpdated {
                    variant_id: level.variant_id,
                    sku: level.sku,
                    stock: level.stock,
                },
                now,
            ));
        }
        if release_promotion_usage {
            for promotion_id in order.promotion_ids() {
                if let Some(total) = state.usage_total.get_mut(&promotion_id) {
                    *total = total.saturating_sub(1);
                }
                if let Some(customer) = order.customer_id {
                    if let Some(uses) = state.usage_by_customer.get_mut(&(promotion_id, customer)) {
                        *uses = uses.saturating_sub(1);
                    }
                }
            }
        }
        for event in events {
            state.append(event);
        }
        order.version += 1;
        state.orders.insert(order.id, order.clone());
        Ok(order)
    }

    async fn has_purchased(&self, user_id: UserId, product_id: ProductId) -> StorageResult<bool> {
        let state = self.state();
        Ok(state.orders_of_customer.get(&user_id).is_some_and(|ids| {
            ids.iter()
                .filter_map(|id| state.orders.get(id))
                .any(|o| o.status != OrderStatus::Cancelled && o.contains_product(product_id))
        }))
    }
}

#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
impl UserStore for MemoryStore {
    async fn create_user(&self, user: User) -> StorageResult<User> {
        let now = self.clock.now();
        let mut state = self.state();
        if state.user_by_email.contains_key(&user.email) {
            return Err(StorageError::conflict(UserId::ENTITY, "email is taken"));
        }
        if state.users.contains_key(&user.id) {
            return Err(StorageError::conflict(
                UserId::ENTITY,
                format!("user `{}` exists", user.id),
            ));
        }
        state.user_by_email.insert(user.email.clone(), user.id);
        state.users.insert(user.id, user.clone());
        state.append(NewEvent::new(
            EventPayload::UserRegistered {
                user_id: user.id,
                email: user.email.clone(),
            },
            now,
        ));
        Ok(user)
    }

    async fn get_user(&self, id: UserId) -> StorageResult<User> {
        self.state()
            .users
            .get(&id)
            .cloned()
            .ok_or_else(|| StorageError::not_found(UserId::ENTITY, id))
    }

    async fn find_user_by_email(&self, email: &str) -> StorageResult<User> {
        let state = self.state();
        state
            .user_by_email
            .get(email)
            .and_then(|id| state.users.get(id))
            .cloned()
            .ok_or_else(|| StorageError::not_found(UserId::ENTITY, email))
    }

    async fn update_user(&self, user: User) -> StorageResult<User> {
        self.write_user(None, user)
    }

    async fn replace_user(&self, previous: &User, user: User) -> StorageResult<User> {
        self.write_user(Some(previous), user)
    }

    async fn list_users(&self, page_of: Page) -> StorageResult<Vec<User>> {
        let state = self.state();
        let mut all: Vec<&User> = state.users.values().collect();
        all.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(page(all.into_iter().cloned(), page_of))
    }

    async fn put_password_reset(&self, reset: PasswordReset) -> StorageResult<()> {
        let mut state = self.state();
        if !state.users.contains_key(&reset.user_id) {
            return Err(StorageError::not_found(UserId::ENTITY, reset.user_id));
        }
        state
            .password_resets
            .insert(reset.token_hash.clone(), reset);
        Ok(())
    }

    async fn take_password_reset(&self, token_hash: &str) -> StorageResult<PasswordReset> {
        self.state()
            .password_resets
            .remove(token_hash)
            .ok_or_else(|| StorageError::not_found("password reset", "token"))
    }

    async fn delete_password_resets(&self, user_id: UserId) -> StorageResult<()> {
        self.state()
            .password_resets
            .retain(|_, r| r.user_id != user_id);
        Ok(())
    }
}

#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
impl ReviewStore for MemoryStore {
    async fn create_review(&self, review: Review) -> StorageResult<Review> {
        let mut state = self.state();
        let author_key = (review.user_id, review.product_id);
        if state.review_by_author.contains_key(&author_key)
            || state.reviews.contains_key(&review.id)
        {
            return Err(StorageError::conflict(
                ReviewId::ENTITY,
                "this user has already reviewed this product",
            ));
        }
        state.review_by_author.insert(author_key, review.id);
        state.reviews.insert(review.id, review.clone());
        Ok(review)
    }

    async fn get_review(&self, id: ReviewId) -> StorageResult<Review> {
        self.state()
            .reviews
            .get(&id)
            .cloned()
            .ok_or_else(|| StorageError::not_found(ReviewId::ENTITY, id))
    }

    async fn update_review(&self, review: Review) -> StorageResult<Review> {
        let mut state = self.state();
        let stored = state
            .reviews
            .get_mut(&review.id)
            .ok_or_else(|| StorageError::not_found(ReviewId::ENTITY, review.id))?;
        if (stored.user_id, stored.product_id) != (review.user_id, review.product_id) {
            return Err(StorageError::conflict(
                ReviewId::ENTITY,
                "a review cannot change author or product",
            ));
        }
        *stored = review.clone();
        Ok(review)
    }

    async fn list_reviews(
        &self,
        product_id: ProductId,
        include_hidden: bool,
    ) -> StorageResult<Vec<Review>> {
        let state = self.state();
        let mut matching: Vec<Review> = state
            .reviews
            .values()
            .filter(|r| {
                r.product_id == product_id && (include_hidden || r.status == ReviewStatus::Visible)
            })
            .cloned()
            .collect();
        matching.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(matching)
    }

    async fn delete_review(&self, id: ReviewId) -> StorageResult<()> {
        let mut state = self.state();
        let review = state
            .reviews
            .remove(&id)
            .ok_or_else(|| StorageError::not_found(ReviewId::ENTITY, id))?;
        state
            .review_by_author
            .remove(&(review.user_id, review.product_id));
        Ok(())
    }
}

#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
impl PromotionUsageStore for MemoryStore {
    async fn promotion_usage(&self, customer: Option<UserId>) -> StorageResult<PromotionUsageMap> {
        let state = self.state();
        Ok(state
            .usage_total
            .iter()
            .map(|(id, total)| {
                let by_customer = customer
                    .and_then(|c| state.usage_by_customer.get(&(*id, c)).copied())
                    .unwrap_or(0);
                (
                    *id,
                    PromotionUsage {
                        total: *total,
                        by_customer,
                    },
                )
            })
            .collect())
    }
}

#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
impl PaymentStore for MemoryStore {
    async fn record_transaction(&self, transaction: PaymentTransaction) -> StorageResult<()> {
        let mut state = self.state();
        if state.transaction_ids.contains(&transaction.id) {
            return Err(StorageError::conflict(
                TransactionId::ENTITY,
                format!("transaction `{}` exists", transaction.id),
            ));
        }
        state.insert_transaction(transaction);
        Ok(())
    }

    async fn list_transactions(&self, order_id: OrderId) -> StorageResult<Vec<PaymentTransaction>> {
        Ok(self
            .state()
            .transactions
            .get(&order_id)
            .cloned()
            .unwrap_or_default())
    }
}

#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
impl IdempotencyStore for MemoryStore {
    async fn claim_idempotency_key(&self, claim: IdempotencyClaim) -> StorageResult<ClaimOutcome> {
        let mut state = self.state();
        let id = (claim.scope.clone(), claim.key.clone());
        if let Some(existing) = state.idempotency.get_mut(&id) {
            let lapsed = existing.lapsed_for(&claim);
            if !lapsed {
                return Ok(ClaimOutcome::Existing(existing.clone()));
            }
            existing.holder = Some(claim.holder);
            existing.lease_until = Some(claim.lease_until);
            return Ok(ClaimOutcome::Claimed);
        }
        state.idempotency.insert(id, claim.into_record());
        Ok(ClaimOutcome::Claimed)
    }

    async fn get_idempotency_record(
        &self,
        scope: &str,
        key: &str,
    ) -> StorageResult<Option<IdempotencyRecord>> {
        Ok(self
            .state()
            .idempotency
            .get(&(scope.to_string(), key.to_string()))
            .cloned())
    }

    async fn complete_idempotency_key(
        &self,
        completion: IdempotencyCompletion,
    ) -> StorageResult<IdempotencyRecord> {
        let now = self.clock.now();
        let mut state = self.state();
        state.check_completion(&completion)?;
        Ok(state.complete(completion, now))
    }

    async fn release_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        holder: &str,
    ) -> StorageResult<()> {
        let mut state = self.state();
        let id = (scope.to_string(), key.to_string());
        let held = state
            .idempotency
            .get(&id)
            .is_some_and(|r| !r.is_completed() && r.holder.as_deref() == Some(holder));
        if held {
            state.idempotency.remove(&id);
        }
        Ok(())
    }
}

#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
impl EventStore for MemoryStore {
    async fn append_events(&self, events: Vec<NewEvent>) -> StorageResult<Vec<OutboxEvent>> {
        let mut state = self.state();
        let mut seen = HashSet::new();
        if let Some(duplicate) = events
            .iter()
            .find(|e| state.event_ids.contains(&e.id) || !seen.insert(e.id))
        {
            return Err(StorageError::conflict(
                EventId::ENTITY,
                format!("event `{}` exists", duplicate.id),
            ));
        }
        Ok(events.into_iter().map(|e| state.append(e)).collect())
    }

    async fn events_after(&self, after: u64, limit: u32) -> StorageResult<Vec<OutboxEvent>> {
        let state = self.state();
        // Sequences are 1-based positions, so the events after `after` start at index `after`.
        let start = (after as usize).min(state.events.len());
        Ok(state.events[start..]
            .iter()
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn find_events(
        &self,
        after: u64,
        kinds: &[String],
        limit: u32,
    ) -> StorageResult<Vec<OutboxEvent>> {
        let state = self.state();
        let start = (after as usize).min(state.events.len());
        Ok(state.events[start..]
            .iter()
            .filter(|e| kinds.is_empty() || kinds.iter().any(|k| k == e.payload.kind()))
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn delivery_cursor(&self, consumer: &str) -> StorageResult<u64> {
        Ok(self.state().cursors.get(consumer).copied().unwrap_or(0))
    }

    async fn advance_delivery_cursor(&self, consumer: &str, sequence: u64) -> StorageResult<u64> {
        let mut state = self.state();
        let last = state.events.len() as u64;
        if sequence > last {
            return Err(StorageError::conflict(
                EventId::ENTITY,
                format!("cannot advance past the last event ({last})"),
            ));
        }
        let cursor = state.cursors.entry(consumer.to_string()).or_insert(0);
        *cursor = (*cursor).max(sequence);
        Ok(*cursor)
    }

    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StorageResult<bool> {
        let mut state = self.state();
        let free = state
            .leases
            .get(name)
            .is_none_or(|(current, expires_at)| current == holder || *expires_at <= now);
        if free {
            state
                .leases
                .insert(name.to_string(), (holder.to_string(), until));
        }
        Ok(free)
    }

    async fn release_lease(&self, name: &str, holder: &str) -> StorageResult<()> {
        let mut state = self.state();
        if state
            .leases
            .get(name)
            .is_some_and(|(current, _)| current == holder)
        {
            state.leases.remove(name);
        }
        Ok(())
    }
}

#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
impl SearchStore for MemoryStore {
    async fn search_products(&self, query: &ProductSearch) -> StorageResult<ProductPage> {
        let state = self.state();
        let categories: Vec<Category> = state.categories.values().cloned().collect();
        Ok(search_in_memory(
            state.products.values(),
            &categories,
            query,
        ))
    }
}

impl MemoryStore {
    fn write_user(&self, previous: Option<&User>, user: User) -> StorageResult<User> {
        let mut state = self.state();
        let stored = state
            .users
            .get(&user.id)
            .ok_or_else(|| StorageError::not_found(UserId::ENTITY, user.id))?;
        if previous.is_some_and(|previous| !previous.same_revision(stored)) {
            return Err(StorageError::conflict(
                UserId::ENTITY,
                "the account changed since it was read",
            ));
        }
        let old_email = stored.email.clone();
        if old_email != user.email {
            if state.user_by_email.contains_key(&user.email) {
                return Err(StorageError::conflict(UserId::ENTITY, "email is taken"));
            }
            state.user_by_email.remove(&old_email);
            state.user_by_email.insert(user.email.clone(), user.id);
        }
        state.users.insert(user.id, user.clone());
        Ok(user)
    }
}
