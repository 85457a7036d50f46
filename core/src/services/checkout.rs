//! Checkout: a cart becomes an order in one atomic store step.
//!
//! [`CheckoutService::checkout`] re-reads the catalog (so a price change or a withdrawn product
//! since the cart was filled is not silently charged), prices the cart with the same
//! [`price_cart`] every shell uses, freezes each priced line into an [`OrderLine`] (unit price,
//! discount, tax and total at purchase; the order totals are the priced cart's totals), and hands
//! the whole order to [`OrderStore::place_order`](crate::store::OrderStore::place_order), which
//! reserves stock, counts promotion usage within limits, deletes the cart and appends `OrderPlaced`
//! in one transaction.
//!
//! With an idempotency key the request's fingerprint is the cart and the contact email: the same key
//! for the same request returns the first order (even after the cart is gone, and to every one of
//! many racing repeats), the same key for another cart or email is `idempotency_conflict`.

use std::sync::Arc;

use crate::cart::Cart;
use crate::cart_service::CartOwner;
use crate::catalog::{CategoryTree, Product};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::idempotency::{decide, fingerprint, replayed_order};
use crate::ids::{CartId, OrderId, OrderLineId};
use crate::order::{
    Actor, ConsumedCart, FulfillmentStatus, HistoryEntry, Order, OrderChange, OrderDraft,
    OrderLine, OrderPayment, OrderPromotion, OrderStatus, OrderTotals, PromotionRedemption,
};
use crate::pricing::{price_cart, PricedCart, PricingContext, PricingRules};
use crate::store::{IdempotencyKey, StorageError, Store, CHECKOUT_SCOPE};
use crate::text::check_text;
use crate::user::normalize_email;

/// What a shopper submits at checkout.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutRequest {
    /// The cart to buy.
    pub cart_id: CartId,
    /// Contact email (required of guests by most storefronts; checked when given).
    #[serde(default)]
    pub email: Option<String>,
    /// The client's `Idempotency-Key`.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

/// Turns carts into orders.
#[derive(Clone, Debug)]
pub struct CheckoutService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl CheckoutService {
    /// A service over `store`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> CheckoutService {
        CheckoutService { store, clock }
    }

    /// The order an idempotency key already produced, if any: `idempotency_conflict` when the
    /// key was used for a different request.
    async fn replay(&self, key: &IdempotencyKey) -> Result<Option<Order>> {
        let Some(record) = self
            .store
            .get_idempotency_record(CHECKOUT_SCOPE, &key.key)
            .await?
        else {
            return Ok(None);
        };
        let record = decide(record, &key.key, &key.fingerprint)?;
        Ok(Some(replayed_order(&*self.store, &record).await?))
    }

    /// Places an order for the cart.
    ///
    /// With an idempotency key, the request is the cart and the contact email: a repeat returns
    /// the first order (even after the cart is gone, and even when the repeats race: a repeat
    /// that loses the race to its twin at any step answers with the twin's order), and the same
    /// key with another cart or email is `idempotency_conflict`.
    pub async fn checkout(&self, request: CheckoutRequest, actor: Actor) -> Result<Order> {
        if let Some(key) = &request.idempotency_key {
            check_text("idempotencyKey", key)?;
        }
        let email = request.email.as_deref().map(normalize_email).transpose()?;
        let idempotency = request.idempotency_key.as_ref().map(|key| IdempotencyKey {
            key: key.clone(),
            fingerprint: checkout_fingerprint(request.cart_id, email.as_deref()),
        });
        if let Some(key) = &idempotency {
            if let Some(order) = self.replay(key).await? {
                return Ok(order);
            }
        }
        let placed = self
            .place(request.cart_id, email, idempotency.clone(), actor)
            .await;
        match (placed, &idempotency) {
            // A twin with the same key may have consumed the cart while this request read it.
            (Err(err), Some(key)) => match self.replay(key).await? {
                Some(order) => Ok(order),
                None => Err(err),
            },
            (placed, _) => placed,
        }
    }

    async fn place(
        &self,
        cart_id: CartId,
        email: Option<String>,
        idempotency: Option<IdempotencyKey>,
        actor: Actor,
    ) -> Result<Order> {
        let cart = match self.store.get_cart(cart_id).await {
            Ok(cart) => cart,
            Err(StorageError::NotFound { .. }) => {
                return Err(Error::NotFound {
                    entity: CartId::ENTITY,
                    id: cart_id.to_string(),
                })
            }
            Err(e) => return Err(e.into()),
        };
        let cart = self.refreshed(cart).await?;
        let now = self.clock.now();
        let rules = self.store.pricing_rules().await?;
        let usage = self.store.promotion_usage(cart.customer_id).await?;
        let priced = price_cart(
            &cart,
            &PricingContext {
                rules: &rules,
                now,
                usage: &usage,
            },
        )?;
        let draft = order_draft(&cart, &priced, &rules, email, actor, now)?;
        Ok(self.store.place_order(draft, idempotency).await?)
    }

    /// The cart with every line re-taken from the catalog. A line whose product is gone or no
    /// longer for sale, or a changed price, stops the checkout (after saving the refreshed cart)
    /// so the shopper confirms the new total instead of being charged it unseen.
    async fn refreshed(&self, mut cart: Cart) -> Result<Cart> {
        if cart.is_empty() {
            return Err(Error::CartEmpty);
        }
        let mut products = Vec::with_capacity(cart.lines.len());
        for line in &cart.lines {
            if products.iter().any(|p: &Product| p.id == line.product_id) {
                continue;
            }
            match self.store.get_product(line.product_id).await {
                Ok(product) => products.push(product),
                Err(StorageError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        // Promotions on a parent category must keep matching, so lines carry expanded categories.
        let tree = CategoryTree::new(self.store.list_categories().await?).ok();
        let read_version = cart.version;
        let report = cart.refresh(
            |id| products.iter().find(|p| p.id == id),
            tree.as_ref(),
            self.clock.now(),
        );
        if report.removed.is_empty() && report.repriced.is_empty() {
            return Ok(cart);
        }
        self.store.save_cart(cart, read_version).await?;
        if !report.removed.is_empty() {
            return Err(Error::Conflict {
                entity: CartId::ENTITY,
                message: "some items are no longer available and were removed; review the cart"
                    .into(),
            });
        }
        Err(Error::Conflict {
            entity: CartId::ENTITY,
            message: "prices changed; review the cart".into(),
        })
    }
}

impl CheckoutService {
    /// Checks out the cart of `owner` (see [`CartService`](crate::cart_service::CartService) for
    /// how carts are resolved).
    ///
    /// The client's idempotency key is scoped to the owner (the customer, or the guest's cart id),
    /// so one caller's key can never replay another caller's order. A key seen before replays the
    /// first order even though its cart is gone by then; used again after the owner filled a new
    /// cart, or with another email, it is `idempotency_conflict`.
    pub async fn checkout_for(
        &self,
        owner: CartOwner,
        email: Option<String>,
        idempotency_key: Option<String>,
        actor: Actor,
    ) -> Result<Order> {
        // Checked before the key's first store lookup, not only in `checkout`.
        if let Some(key) = &idempotency_key {
            check_text("idempotencyKey", key)?;
        }
        let email = email.as_deref().map(normalize_email).transpose()?;
        let scoped = idempotency_key.map(|key| match owner {
            CartOwner::Customer(id) => format!("customer:{id}:{key}"),
            CartOwner::Guest(Some(cart)) => format!("guest:{cart}:{key}"),
            CartOwner::Guest(None) => format!("guest:-:{key}"),
            CartOwner::System(cart) => format!("cart:{cart}:{key}"),
        });
        if let Some(key) = &scoped {
            if let Some(order) = self.replay_for(owner, key, email.as_deref()).await? {
                return Ok(order);
            }
        }
        let found = match owner {
            CartOwner::Customer(id) => self.store.latest_cart_of_customer(id).await,
            CartOwner::Guest(Some(id)) => match self.store.get_cart(id).await {
                Ok(cart) if cart.customer_id.is_some() => return Err(Error::CartEmpty),
                other => other,
            },
            CartOwner::Guest(None) => return Err(Error::CartEmpty),
            CartOwner::System(id) => self.store.get_cart(id).await,
        };
        let cart = match found {
            Ok(cart) => cart,
            Err(StorageError::NotFound { .. }) => {
                // A twin with the same key may have just turned the cart into its order.
                if let Some(key) = &scoped {
                    if let Some(order) = self.replay_for(owner, key, email.as_deref()).await? {
                        return Ok(order);
                    }
                }
                return Err(Error::CartEmpty);
            }
            Err(e) => return Err(e.into()),
        };
        let request = CheckoutRequest {
            cart_id: cart.id,
            email,
            idempotency_key: scoped,
        };
        self.checkout(request, actor).await
    }

    /// The order an owner's scoped key produced, if it did. The request it stood for is the cart
    /// that order came from and the email: an owner who has filled another cart since, or gives
    /// another email, is making a different request.
    async fn replay_for(
        &self,
        owner: CartOwner,
        key: &str,
        email: Option<&str>,
    ) -> Result<Option<Order>> {
        let Some(record) = self
            .store
            .get_idempotency_record(CHECKOUT_SCOPE, key)
            .await?
        else {
            return Ok(None);
        };
        let first = replayed_order(&*self.store, &record).await?;
        let conflict = || Error::IdempotencyConflict {
            key: key.to_string(),
        };
        let first_cart = first.cart_id.ok_or_else(conflict)?;
        let current = match owner {
            CartOwner::Customer(id) => self.store.latest_cart_of_customer(id).await,
            CartOwner::Guest(Some(id)) | CartOwner::System(id) => self.store.get_cart(id).await,
            CartOwner::Guest(None) => Err(StorageError::not_found(CartId::ENTITY, "-")),
        };
        match current {
            Ok(cart) if cart.id != first_cart && !cart.is_empty() => return Err(conflict()),
            Ok(_) | Err(StorageError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        decide(record, key, &checkout_fingerprint(first_cart, email))?;
        Ok(Some(first))
    }
}

/// What makes two checkouts under one key the same request: the cart and the contact email.
fn checkout_fingerprint(cart_id: CartId, email: Option<&str>) -> String {
    fingerprint(&[
        ("cart", &cart_id.to_string()),
        ("email", email.unwrap_or_default()),
    ])
}

/// Freezes a priced cart into the order checkout will store.
///
/// A coupon that did not apply stops the checkout with its reason: a shopper who entered a code
/// expects its discount, and charging them without it would be a surprise. A selected shipping
/// method that cannot ship the cart stops it too.
pub fn order_draft(
    cart: &Cart,
    priced: &PricedCart,
    rules: &PricingRules,
    email: Option<String>,
    actor: Actor,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<OrderDraft> {
    if cart.is_empty() {
        return Err(Error::CartEmpty);
    }
    if let Some(rejected) = priced.rejected_coupons.first() {
        return Err(Error::CouponRejected {
            code: rejected.code.clone(),
            reason: rejected.reason,
        });
    }
    if let (Some(method_id), None) = (cart.shipping_method_id, &priced.shipping) {
        return Err(Error::ShippingMethodUnavailable {
            method_id: method_id.to_string(),
            reason: "it cannot ship this cart to this address".into(),
        });
    }
    let lines = priced
        .lines
        .iter()
        .map(|l| {
            // SKU and name come from the cart line the priced line was computed from.
            let source = cart
                .lines
                .iter()
                .find(|c| c.id == l.line_id)
                .ok_or_else(|| Error::NotFound {
                    entity: "cart line",
                    id: l.line_id.to_string(),
                })?;
            Ok(OrderLine {
                id: OrderLineId::new(),
                product_id: l.product_id,
                variant_id: l.variant_id,
                sku: source.sku.clone(),
                name: source.name.clone(),
                quantity: l.quantity,
                unit_price: l.unit_price,
                subtotal: l.subtotal,
                discount_total: l.discount_total,
                tax_total: l.tax_total,
                total: l.total,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let promotions = priced
        .applied_promotions
        .iter()
        .map(|p| OrderPromotion {
            promotion_id: p.promotion_id,
            name: p.name.clone(),
            coupon_code: p.coupon_code.clone(),
            amount: p.amount,
        })
        .collect();
    let redemptions = priced
        .applied_promotions
        .iter()
        .map(|p| {
            let definition = rules.promotions.iter().find(|d| d.id == p.promotion_id);
            PromotionRedemption {
                promotion_id: p.promotion_id,
                coupon_code: p.coupon_code.clone(),
                usage_limit: definition.and_then(|d| d.usage_limit),
                per_customer_limit: definition.and_then(|d| d.per_customer_limit),
            }
        })
        .collect();
    let t = &priced.totals;
    let order = Order {
        id: OrderId::new(),
        cart_id: Some(cart.id),
        customer_id: cart.customer_id,
        email,
        currency: priced.currency,
        status: OrderStatus::Pending,
        fulfillment_status: FulfillmentStatus::Unfulfilled,
        tracking_number: None,
        payment: OrderPayment::default(),
        prices_include_tax: priced.prices_include_tax,
        lines,
        promotions,
        shipping_address: cart.shipping_address.clone(),
        shipping_method: priced.shipping.as_ref().map(|s| s.name.clone()),
        totals: OrderTotals {
            subtotal: t.subtotal,
            discount_total: t.discount_total,
            shipping_total: t.shipping_total,
            tax_total: t.tax_total,
            total: t.total,
            item_count: t.item_count,
        },
        history: vec![HistoryEntry {
            at: now,
            actor,
            change: OrderChange::Placed,
        }],
        created_at: now,
        updated_at: now,
        version: 1,
    };
    Ok(OrderDraft {
        order,
        redemptions,
        consume_cart: Some(ConsumedCart {
            cart_id: cart.id,
            version: priced.cart_version,
        }),
    })
}
