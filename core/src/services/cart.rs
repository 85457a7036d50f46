//! Cart operations over the store: find the caller's cart, change it, save it, price it.
//!
//! [`Cart`] holds the rules of a cart (quantities, stock, coupon limits, merging); this service
//! adds what needs the store: whose cart it is, the catalog lookups an operation needs, the
//! optimistic-concurrency save, and pricing with the store's rules and usage counts. Every shell
//! (server, CLI, Python) resolves carts the same way:
//! - a signed-in customer has one cart, the most recently updated one with their id;
//! - a guest reaches a cart only by its id (a random UUID, so holding the id is the permission);
//!   a customer's cart is never reachable as a guest cart, whoever knows its id;
//! - a guest id that no longer resolves (the cart was checked out or deleted) starts a new cart
//!   rather than failing, because storefronts keep stale ids in cookies;
//! - a cart is stored on its first change, so reading an empty cart writes nothing;
//! - the system principal (the CLI, an embedding program) names carts by id, whoever owns them,
//!   and an id that does not resolve is `not_found` (it has no cookie to be stale).

use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::cart::{Address, Cart};
use crate::catalog::{CategoryTree, Product};
use crate::clock::Clock;
use crate::error::{CouponRejection, Error, Result};
use crate::ids::{CartId, LineId, ProductId, ShippingMethodId, UserId, VariantId};
use crate::money::Currency;
use crate::pricing::{price_cart, PricedCart, PricingContext};
use crate::principal::Principal;
use crate::promotion::normalize_coupon_code;
use crate::store::{StorageError, Store};

fn cart_not_found(id: String) -> Error {
    Error::NotFound {
        entity: CartId::ENTITY,
        id,
    }
}

/// Whose cart an operation is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CartOwner {
    /// A signed-in customer: their latest cart.
    Customer(UserId),
    /// A guest: the cart with this id, if any was given.
    Guest(Option<CartId>),
    /// The system principal: the cart with this id, whoever owns it. Only [`CartOwner::of`]
    /// with [`Principal::System`] leads here; a shopper's request never does.
    System(CartId),
}

impl CartOwner {
    /// Whose cart `principal` works on: a signed-in customer's own (whatever `cart_id` says), a
    /// guest's by `cart_id`, and for the system the cart `cart_id`, which it must name.
    pub fn of(principal: &Principal, cart_id: Option<CartId>) -> Result<CartOwner> {
        match principal {
            Principal::User(user) => Ok(CartOwner::Customer(user.id)),
            Principal::Guest => Ok(CartOwner::Guest(cart_id)),
            Principal::System => cart_id
                .map(CartOwner::System)
                .ok_or_else(|| Error::validation("cartId", "name the cart to work on")),
        }
    }
}

/// A cart together with its price, as every cart response carries it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CartView {
    /// The cart (lines, coupons, address, shipping method, version).
    pub cart: Cart,
    /// The cart priced with the store's current rules.
    pub priced: PricedCart,
    /// Whether the cart is stored (an empty cart is not, until its first change).
    pub stored: bool,
}

/// The cart operations.
#[derive(Clone, Debug)]
pub struct CartService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

/// A cart as loaded: `read_version` is `None` for a cart not stored yet.
struct Loaded {
    cart: Cart,
    read_version: Option<u64>,
}

impl CartService {
    /// A service over `store`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> CartService {
        CartService { store, clock }
    }

    /// The owner's stored cart, if there is one.
    pub async fn find(&self, owner: CartOwner) -> Result<Option<Cart>> {
        let found = match owner {
            CartOwner::Customer(customer) => self.store.latest_cart_of_customer(customer).await,
            CartOwner::Guest(Some(id)) => match self.store.get_cart(id).await {
                Ok(cart) if cart.customer_id.is_some() => return Ok(None),
                other => other,
            },
            CartOwner::Guest(None) => return Ok(None),
            CartOwner::System(id) => self.store.get_cart(id).await,
        };
        match found {
            Ok(cart) => Ok(Some(cart)),
            Err(StorageError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn load(&self, owner: CartOwner, currency: Currency) -> Result<Loaded> {
        Ok(match self.find(owner).await? {
            Some(cart) => Loaded {
                read_version: Some(cart.version),
                cart,
            },
            None => {
                let customer = match owner {
                    CartOwner::Customer(id) => Some(id),
                    CartOwner::Guest(_) => None,
                    CartOwner::System(id) => return Err(cart_not_found(id.to_string())),
                };
                Loaded {
                    cart: Cart::new(currency, customer, self.clock.now()),
                    read_version: None,
                }
            }
        })
    }

    async fn save(&self, loaded: Loaded) -> Result<Cart> {
        Ok(match loaded.read_version {
            None => self.store.create_cart(loaded.cart).await?,
            Some(version) => self.store.save_cart(loaded.cart, version).await?,
        })
    }

    /// Prices a cart with the store's rules and the customer's promotion usage.
    pub async fn price(&self, cart: &Cart) -> Result<PricedCart> {
        let rules = self.store.pricing_rules().await?;
        let usage = self.store.promotion_usage(cart.customer_id).await?;
        price_cart(
            cart,
            &PricingContext {
                rules: &rules,
                now: self.clock.now(),
                usage: &usage,
            },
        )
    }

    async fn view(&self, cart: Cart, stored: bool) -> Result<CartView> {
        let priced = self.price(&cart).await?;
        Ok(CartView {
            cart,
            priced,
            stored,
        })
    }

    /// Stores a new empty cart in `currency` for `customer` (`None`: a guest cart). A customer
    /// creates only their own carts and a guest only guest carts; the system creates any.
    pub async fn create_cart(
        &self,
        principal: &Principal,
        currency: Currency,
        customer: Option<UserId>,
    ) -> Result<Cart> {
        let allowed = match principal {
            Principal::System => true,
            Principal::User(user) => customer.is_none_or(|id| id == user.id),
            Principal::Guest => customer.is_none(),
        };
        if !allowed {
            return Err(Error::Forbidden {
                action: "create a cart for another customer".into(),
            });
        }
        let customer = customer.or_else(|| principal.user().map(|u| u.id));
        let cart = Cart::new(currency, customer, self.clock.now());
        Ok(self.store.create_cart(cart).await?)
    }

    /// The owner's cart, priced; an empty unsaved cart in `currency` when there is none.
    pub async fn get(&self, owner: CartOwner, currency: Currency) -> Result<CartView> {
        let loaded = self.load(owner, currency).await?;
        let stored = loaded.read_version.is_some();
        self.view(loaded.cart, stored).await
    }

    /// Adds `quantity` of a variant (to its line when the cart has one).
    pub async fn add_item(
        &self,
        owner: CartOwner,
        currency: Currency,
        product_id: ProductId,
        variant_id: VariantId,
        quantity: Decimal,
    ) -> Result<CartView> {
        let product = self.store.get_product(product_id).await?;
        self.add_variant(owner, currency, &product, variant_id, quantity)
            .await
    }

    /// Adds the variant with this SKU (compared without case and surrounding blanks, as the
    /// catalog stores SKUs). An unknown SKU is `not_found`, naming it; every shell that adds by
    /// SKU comes here, so they agree on what matches.
    pub async fn add_item_by_sku(
        &self,
        owner: CartOwner,
        currency: Currency,
        sku: &str,
        quantity: Decimal,
    ) -> Result<CartView> {
        let sku = sku.trim();
        let product = self.store.find_product_by_sku(sku).await?;
        let variant_id = product
            .variants
            .iter()
            .find(|v| v.sku.eq_ignore_ascii_case(sku))
            .map(|v| v.id)
            .ok_or_else(|| Error::NotFound {
                entity: VariantId::ENTITY,
                id: sku.to_string(),
            })?;
        self.add_variant(owner, currency, &product, variant_id, quantity)
            .await
    }

    async fn add_variant(
        &self,
        owner: CartOwner,
        currency: Currency,
        product: &Product,
        variant_id: VariantId,
        quantity: Decimal,
    ) -> Result<CartView> {
        // Lines carry expanded categories so a promotion on a parent category matches.
        let tree = CategoryTree::new(self.store.list_categories().await?).ok();
        let mut loaded = self.load(owner, currency).await?;
        loaded.cart.add_item(
            product,
            variant_id,
            quantity,
            tree.as_ref(),
            self.clock.now(),
        )?;
        let cart = self.save(loaded).await?;
        self.view(cart, true).await
    }

    async fn existing(&self, owner: CartOwner) -> Result<Loaded> {
        let cart = self.find(owner).await?.ok_or_else(|| {
            cart_not_found(match owner {
                CartOwner::Guest(Some(id)) | CartOwner::System(id) => id.to_string(),
                _ => "current".into(),
            })
        })?;
        Ok(Loaded {
            read_version: Some(cart.version),
            cart,
        })
    }

    /// Sets a line's quantity; zero removes the line.
    pub async fn set_quantity(
        &self,
        owner: CartOwner,
        line_id: LineId,
        quantity: Decimal,
    ) -> Result<CartView> {
        let mut loaded = self.existing(owner).await?;
        let line = loaded.cart.line(line_id)?.clone();
        let product = self.store.get_product(line.product_id).await?;
        let variant = product.variant(line.variant_id)?;
        loaded
            .cart
            .set_quantity(line_id, quantity, variant, self.clock.now())?;
        let cart = self.save(loaded).await?;
        self.view(cart, true).await
    }

    /// Removes a line.
    pub async fn remove_line(&self, owner: CartOwner, line_id: LineId) -> Result<CartView> {
        let mut loaded = self.existing(owner).await?;
        loaded.cart.remove_line(line_id, self.clock.now())?;
        let cart = self.save(loaded).await?;
        self.view(cart, true).await
    }

    /// Adds a coupon code. A code no promotion has is refused at once (the shopper mistyped it);
    /// a code that exists but does not apply yet (minimum spend, for example) is kept and its
    /// reason reported in `priced.rejectedCoupons`, since it may apply once the cart changes.
    pub async fn apply_coupon(
        &self,
        owner: CartOwner,
        currency: Currency,
        code: &str,
    ) -> Result<CartView> {
        let normalized = normalize_coupon_code(code)?;
        match self.store.find_promotion_by_coupon(&normalized).await {
            Ok(_) => {}
            Err(StorageError::NotFound { .. }) => {
                return Err(Error::CouponRejected {
                    code: normalized,
                    reason: CouponRejection::NotFound,
                })
            }
            Err(e) => return Err(e.into()),
        }
        let mut loaded = self.load(owner, currency).await?;
        loaded.cart.apply_coupon(&normalized, self.clock.now())?;
        let cart = self.save(loaded).await?;
        self.view(cart, true).await
    }

    /// Removes a coupon code.
    pub async fn remove_coupon(&self, owner: CartOwner, code: &str) -> Result<CartView> {
        let mut loaded = self.existing(owner).await?;
        loaded.cart.remove_coupon(code, self.clock.now())?;
        let cart = self.save(loaded).await?;
        self.view(cart, true).await
    }

    /// Sets (or clears) the shipping address.
    pub async fn set_shipping_address(
        &self,
        owner: CartOwner,
        currency: Currency,
        address: Option<Address>,
    ) -> Result<CartView> {
        let mut loaded = self.load(owner, currency).await?;
        loaded
            .cart
            .set_shipping_address(address, self.clock.now())?;
        let cart = self.save(loaded).await?;
        self.view(cart, true).await
    }

    /// Selects (or clears) the shipping method; the method must exist and be active. Whether it
    /// serves the address is reported by pricing and enforced at checkout.
    pub async fn set_shipping_method(
        &self,
        owner: CartOwner,
        currency: Currency,
        method_id: Option<ShippingMethodId>,
    ) -> Result<CartView> {
        if let Some(id) = method_id {
            let methods = self.store.list_shipping_methods().await?;
            if !methods.iter().any(|m| m.id == id && m.active) {
                return Err(Error::NotFound {
                    entity: ShippingMethodId::ENTITY,
                    id: id.to_string(),
                });
            }
        }
        let mut loaded = self.load(owner, currency).await?;
        loaded.cart.set_shipping_method(method_id, self.clock.now());
        let cart = self.save(loaded).await?;
        self.view(cart, true).await
    }

    /// Moves a guest cart into the customer's cart (on sign-in) and deletes the guest cart.
    /// Nothing happens when the id does not name a guest cart; a cart already owned by someone
    /// is never taken over.
    pub async fn merge_guest_cart(
        &self,
        customer: UserId,
        guest_cart_id: CartId,
    ) -> Result<Option<Cart>> {
        let Some(guest) = self.find(CartOwner::Guest(Some(guest_cart_id))).await? else {
            return Ok(None);
        };
        let mut loaded = self
            .load(CartOwner::Customer(customer), guest.currency)
            .await?;
        loaded.cart.merge(&guest, self.clock.now())?;
        let cart = self.save(loaded).await?;
        match self.store.delete_cart(guest.id).await {
            Ok(()) | Err(StorageError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(Some(cart))
    }
}
