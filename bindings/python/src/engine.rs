//! `merx._merx.Engine`: the core services over one store, for a Python program that embeds Merx.
//!
//! The store traits and services are async; Python callers are not. Each engine owns a tokio
//! runtime and blocks on it with the GIL released, so the Python methods are plain synchronous
//! calls and several Python threads can share one engine. The runtime is multi-threaded (with one
//! worker) because a current-thread runtime would serialise concurrent `block_on` callers behind
//! its single driver.
//!
//! Each method is what a server handler is: convert the arguments, call a core service, convert
//! the result. The engine acts as the system principal (the program embedding Merx runs the
//! shop), so catalog, settings, cart, checkout and order calls get exactly the validation and
//! refusals the server's get, with no invented admin account. Carts are named by id, whoever
//! they belong to. Every argument and result is the core's JSON contract as text (see the crate
//! docs for why).

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use merx_core::cart::{Address, Cart};
use merx_core::cart_service::{CartOwner, CartService, CartView};
use merx_core::catalog::{Category, Product};
use merx_core::catalog_service::CatalogService;
use merx_core::checkout::{CheckoutRequest, CheckoutService};
use merx_core::clock::{Clock, SystemClock};
use merx_core::ids::{CartId, LineId, OrderId, ShippingMethodId, UserId, VariantId};
use merx_core::money::Money;
use merx_core::order::{Actor, OrderService, OrderStatus};
use merx_core::payment::{
    GatewayError, GatewayReceipt, PaymentGateway, PaymentMethod, PaymentProcessor, Sleeper,
};
use merx_core::principal::Principal;
use merx_core::promotion::Promotion;
use merx_core::search::ProductSearch;
use merx_core::settings_service::SettingsService;
use merx_core::shipping::ShippingMethod;
use merx_core::store::memory::MemoryStore;
use merx_core::store::{OrderFilter, PricingSettings, StorageError, Store};
use merx_core::{Currency, Error};
use pyo3::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;
use tokio::runtime::Runtime;

use crate::errors::{parse, Failure};

/// The gateway of an engine that takes no payments: the Python API has no payment calls, so only
/// an order paid through another shell over the same store can reach it (cancelling such an
/// order must refund), and that is refused rather than pretended.
#[derive(Debug)]
struct NoPaymentProvider;

const NO_PROVIDER: &str = "this engine has no payment provider configured";

#[async_trait]
impl PaymentGateway for NoPaymentProvider {
    fn name(&self) -> &str {
        "none"
    }

    async fn authorize(
        &self,
        _: &PaymentMethod,
        _: Money,
        _: &str,
    ) -> Result<GatewayReceipt, GatewayError> {
        Err(GatewayError::Rejected {
            message: NO_PROVIDER.into(),
        })
    }

    async fn capture(&self, _: &str, _: Money, _: &str) -> Result<GatewayReceipt, GatewayError> {
        Err(GatewayError::Rejected {
            message: NO_PROVIDER.into(),
        })
    }

    async fn void(&self, _: &str, _: &str) -> Result<GatewayReceipt, GatewayError> {
        Err(GatewayError::Rejected {
            message: NO_PROVIDER.into(),
        })
    }

    async fn refund(&self, _: &str, _: Money, _: &str) -> Result<GatewayReceipt, GatewayError> {
        Err(GatewayError::Rejected {
            message: NO_PROVIDER.into(),
        })
    }
}

/// Payment retries wait on the engine's runtime.
#[derive(Debug)]
struct TokioSleeper;

#[async_trait]
impl Sleeper for TokioSleeper {
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// The Merx services over one store, with the runtime that drives them.
#[pyclass(frozen, module = "merx._merx")]
#[derive(Debug)]
pub(crate) struct Engine {
    runtime: Runtime,
    store: Arc<dyn Store>,
    catalog: CatalogService,
    settings: SettingsService,
    carts: CartService,
    checkout: CheckoutService,
    orders: OrderService,
}

/// The embedding program runs the shop.
const SYSTEM: Principal = Principal::System;

/// The cart services take the currency of a cart they would start; a cart named by id is never
/// started (an unknown id is `not_found`), so this one is never used.
const UNUSED_CURRENCY: Currency = Currency::Usd;

/// A cart the engine names by id.
fn cart(cart_id: &str) -> Result<CartOwner, Failure> {
    Ok(CartOwner::of(&SYSTEM, Some(id(cart_id)?))?)
}

/// The cart of a cart operation's answer (the engine's API returns carts, priced separately).
fn changed(view: Result<CartView, Error>) -> Result<Cart, Failure> {
    Ok(view?.cart)
}

fn id<T: FromStr<Err = Error>>(text: &str) -> Result<T, Failure> {
    Ok(text.parse()?)
}

fn decimal(field: &str, text: &str) -> Result<Decimal, Failure> {
    Decimal::from_str(text.trim())
        .map_err(|_| Error::validation(field, format!("`{text}` is not a decimal number")).into())
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("core wire types always serialize")
}

impl Engine {
    fn runtime() -> PyResult<Runtime> {
        Ok(tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("merx-engine")
            .enable_all()
            .build()?)
    }

    fn over(runtime: Runtime, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Engine {
        let payments = Arc::new(PaymentProcessor::new(
            store.clone(),
            Arc::new(NoPaymentProvider),
            Arc::new(TokioSleeper),
            clock.clone(),
        ));
        Engine {
            runtime,
            catalog: CatalogService::new(store.clone(), clock.clone()),
            settings: SettingsService::new(store.clone()),
            carts: CartService::new(store.clone(), clock.clone()),
            checkout: CheckoutService::new(store.clone(), clock.clone()),
            orders: OrderService::new(store.clone(), payments, clock),
            store,
        }
    }

    /// Runs `work` on the engine's runtime with the GIL released and returns its result as JSON.
    fn run<T, F>(&self, py: Python<'_>, work: F) -> PyResult<String>
    where
        T: Serialize,
        F: Future<Output = Result<T, Failure>> + Send,
    {
        py.detach(|| self.runtime.block_on(work).map(|value| json(&value)))
            .map_err(|failure| failure.into_py(py))
    }
}

#[pymethods]
impl Engine {
    /// An engine over a fresh in-memory store (nothing persists when it is dropped).
    #[staticmethod]
    fn in_memory() -> PyResult<Engine> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let store = Arc::new(MemoryStore::new(clock.clone()));
        Ok(Engine::over(Engine::runtime()?, store, clock))
    }

    /// An engine over the SQLite database at `url` (`sqlite:///path/to/merx.db`, or
    /// `sqlite::memory:`), created and migrated when needed.
    #[staticmethod]
    fn open(py: Python<'_>, url: &str) -> PyResult<Engine> {
        let runtime = Engine::runtime()?;
        let opened = py.detach(|| runtime.block_on(merx_sqlite::SqliteStore::open(url)));
        let store = opened.map_err(|err| {
            let failure = match err {
                merx_sqlite::Error::InvalidUrl(_) => Error::validation("url", err.to_string()),
                other => StorageError::backend(other).into(),
            };
            Failure::Core(failure).into_py(py)
        })?;
        Ok(Engine::over(
            runtime,
            Arc::new(store),
            Arc::new(SystemClock),
        ))
    }

    /// Inserts or replaces a category (the tree must stay a tree); a missing slug is derived
    /// from the name.
    fn put_category(&self, py: Python<'_>, category: &str) -> PyResult<String> {
        self.run(py, async {
            let category: Category = parse(category, "a category")?;
            Ok(self.catalog.put_category(&SYSTEM, category).await?)
        })
    }

    /// Every category.
    fn list_categories(&self, py: Python<'_>) -> PyResult<String> {
        self.run(py, async { Ok(self.catalog.categories().await?) })
    }

    /// Validates and inserts or replaces a product (its categories must exist); a missing slug
    /// is derived from the name.
    fn put_product(&self, py: Python<'_>, product: &str) -> PyResult<String> {
        self.run(py, async {
            let product: Product = parse(product, "a product")?;
            Ok(self.catalog.put_product(&SYSTEM, product).await?)
        })
    }

    /// The product with this id.
    fn get_product(&self, py: Python<'_>, product_id: &str) -> PyResult<String> {
        self.run(py, async {
            Ok(self.catalog.product_for(&SYSTEM, id(product_id)?).await?)
        })
    }

    /// A variant's stock level.
    fn stock_level(&self, py: Python<'_>, variant_id: &str) -> PyResult<String> {
        self.run(py, async {
            Ok(self.store.stock_level(id(variant_id)?).await?)
        })
    }

    /// Adds `delta` (negative removes) to a variant's stock, atomically.
    fn adjust_stock(&self, py: Python<'_>, variant_id: &str, delta: &str) -> PyResult<String> {
        self.run(py, async {
            let delta = decimal("delta", delta)?;
            let variant_id: VariantId = id(variant_id)?;
            let product_id = self.store.stock_level(variant_id).await?.product_id;
            Ok(self
                .catalog
                .adjust_stock(&SYSTEM, product_id, variant_id, delta)
                .await?)
        })
    }

    /// One page of a validated product search, with the total count.
    fn search_products(&self, py: Python<'_>, query: &str) -> PyResult<String> {
        self.run(py, async {
            let query: ProductSearch = parse(query, "a product search")?;
            Ok(self.catalog.search(&SYSTEM, query).await?)
        })
    }

    /// Validates and inserts or replaces a promotion.
    fn put_promotion(&self, py: Python<'_>, promotion: &str) -> PyResult<String> {
        self.run(py, async {
            let promotion: Promotion = parse(promotion, "a promotion")?;
            Ok(self.settings.put_promotion(&SYSTEM, promotion).await?)
        })
    }

    /// Every promotion.
    fn list_promotions(&self, py: Python<'_>) -> PyResult<String> {
        self.run(py, async { Ok(self.settings.promotions(&SYSTEM).await?) })
    }

    /// Validates and inserts or replaces a shipping method.
    fn put_shipping_method(&self, py: Python<'_>, method: &str) -> PyResult<String> {
        self.run(py, async {
            let method: ShippingMethod = parse(method, "a shipping method")?;
            Ok(self.settings.put_shipping_method(&SYSTEM, method).await?)
        })
    }

    /// The tax settings and rounding mode, with the version a write must send back.
    fn pricing_settings(&self, py: Python<'_>) -> PyResult<String> {
        self.run(py, async {
            Ok(self.settings.pricing_settings(&SYSTEM).await?)
        })
    }

    /// Validates and replaces the tax settings and rounding mode, if they are still at the
    /// `version` the settings carry (`conflict` otherwise).
    fn put_pricing_settings(&self, py: Python<'_>, settings: &str) -> PyResult<String> {
        self.run(py, async {
            let settings: PricingSettings = parse(settings, "pricing settings")?;
            Ok(self
                .settings
                .put_pricing_settings(&SYSTEM, settings)
                .await?)
        })
    }

    /// A new empty cart in `currency`, for a customer or (without one) a guest.
    #[pyo3(signature = (currency, customer_id = None))]
    fn create_cart(
        &self,
        py: Python<'_>,
        currency: &str,
        customer_id: Option<&str>,
    ) -> PyResult<String> {
        self.run(py, async {
            let currency = Currency::from_code(currency)?;
            let customer: Option<UserId> = customer_id.map(id).transpose()?;
            Ok(self.carts.create_cart(&SYSTEM, currency, customer).await?)
        })
    }

    /// The cart with this id.
    fn get_cart(&self, py: Python<'_>, cart_id: &str) -> PyResult<String> {
        self.run(py, async {
            let owner = cart(cart_id)?;
            self.carts.find(owner).await?.ok_or_else(|| {
                Error::NotFound {
                    entity: CartId::ENTITY,
                    id: cart_id.to_string(),
                }
                .into()
            })
        })
    }

    /// Adds a quantity of a variant (named by SKU, or by product and variant id) to a cart.
    #[pyo3(signature = (cart_id, quantity, sku = None, product_id = None, variant_id = None))]
    fn add_item(
        &self,
        py: Python<'_>,
        cart_id: &str,
        quantity: &str,
        sku: Option<&str>,
        product_id: Option<&str>,
        variant_id: Option<&str>,
    ) -> PyResult<String> {
        self.run(py, async {
            let owner = cart(cart_id)?;
            let quantity = decimal("quantity", quantity)?;
            let added = match (sku, product_id, variant_id) {
                (Some(sku), None, None) => {
                    self.carts
                        .add_item_by_sku(owner, UNUSED_CURRENCY, sku, quantity)
                        .await
                }
                (None, Some(product_id), Some(variant_id)) => {
                    self.carts
                        .add_item(
                            owner,
                            UNUSED_CURRENCY,
                            id(product_id)?,
                            id(variant_id)?,
                            quantity,
                        )
                        .await
                }
                _ => {
                    return Err(Error::validation(
                        "sku",
                        "name the item by its sku, or by both productId and variantId",
                    )
                    .into())
                }
            };
            changed(added)
        })
    }

    /// Sets a line's quantity; zero removes the line.
    fn set_quantity(
        &self,
        py: Python<'_>,
        cart_id: &str,
        line_id: &str,
        quantity: &str,
    ) -> PyResult<String> {
        self.run(py, async {
            let owner = cart(cart_id)?;
            let line_id: LineId = id(line_id)?;
            let quantity = decimal("quantity", quantity)?;
            changed(self.carts.set_quantity(owner, line_id, quantity).await)
        })
    }

    /// Removes a line from a cart.
    fn remove_line(&self, py: Python<'_>, cart_id: &str, line_id: &str) -> PyResult<String> {
        self.run(py, async {
            let owner = cart(cart_id)?;
            changed(self.carts.remove_line(owner, id(line_id)?).await)
        })
    }

    /// Enters a coupon code: a code no promotion has is refused (`coupon_not_found`); whether a
    /// known one applies is reported when the cart is priced.
    fn apply_coupon(&self, py: Python<'_>, cart_id: &str, code: &str) -> PyResult<String> {
        self.run(py, async {
            let owner = cart(cart_id)?;
            changed(self.carts.apply_coupon(owner, UNUSED_CURRENCY, code).await)
        })
    }

    /// Removes a coupon code.
    fn remove_coupon(&self, py: Python<'_>, cart_id: &str, code: &str) -> PyResult<String> {
        self.run(py, async {
            let owner = cart(cart_id)?;
            changed(self.carts.remove_coupon(owner, code).await)
        })
    }

    /// Sets (an address as JSON) or clears (`None`) a cart's shipping address.
    #[pyo3(signature = (cart_id, address = None))]
    fn set_shipping_address(
        &self,
        py: Python<'_>,
        cart_id: &str,
        address: Option<&str>,
    ) -> PyResult<String> {
        self.run(py, async {
            let owner = cart(cart_id)?;
            let address: Option<Address> = address.map(|a| parse(a, "an address")).transpose()?;
            changed(
                self.carts
                    .set_shipping_address(owner, UNUSED_CURRENCY, address)
                    .await,
            )
        })
    }

    /// Sets or clears a cart's shipping method; the method must exist and be active.
    #[pyo3(signature = (cart_id, method_id = None))]
    fn set_shipping_method(
        &self,
        py: Python<'_>,
        cart_id: &str,
        method_id: Option<&str>,
    ) -> PyResult<String> {
        self.run(py, async {
            let owner = cart(cart_id)?;
            let method: Option<ShippingMethodId> = method_id.map(id).transpose()?;
            changed(
                self.carts
                    .set_shipping_method(owner, UNUSED_CURRENCY, method)
                    .await,
            )
        })
    }

    /// Prices a stored cart with the store's rules and promotion usage, now.
    fn price_cart(&self, py: Python<'_>, cart_id: &str) -> PyResult<String> {
        self.run(py, async {
            let owner = cart(cart_id)?;
            Ok(self.carts.get(owner, UNUSED_CURRENCY).await?.priced)
        })
    }

    /// Turns a cart into an order (stock reserved, cart consumed, all or nothing).
    #[pyo3(signature = (cart_id, email = None, idempotency_key = None))]
    fn checkout(
        &self,
        py: Python<'_>,
        cart_id: &str,
        email: Option<String>,
        idempotency_key: Option<String>,
    ) -> PyResult<String> {
        self.run(py, async {
            let cart_id: CartId = id(cart_id)?;
            // The shopper is the cart's customer; a cart already consumed by an idempotent
            // first attempt is gone, and its replay needs no actor beyond a guest.
            let actor = match self.store.get_cart(cart_id).await {
                Ok(Cart {
                    customer_id: Some(user_id),
                    ..
                }) => Actor::User { user_id },
                _ => Actor::Guest,
            };
            let request = CheckoutRequest {
                cart_id,
                email,
                idempotency_key,
            };
            Ok(self.checkout.checkout(request, actor).await?)
        })
    }

    /// The order with this id.
    fn get_order(&self, py: Python<'_>, order_id: &str) -> PyResult<String> {
        self.run(py, async {
            Ok(self.orders.get_for(&SYSTEM, id(order_id)?).await?)
        })
    }

    /// Orders matching a filter (`customerId`, `status`, `page`), newest first.
    fn list_orders(&self, py: Python<'_>, filter: &str) -> PyResult<String> {
        self.run(py, async {
            let filter: OrderFilter = parse(filter, "an order filter")?;
            Ok(self.store.list_orders(&filter).await?)
        })
    }

    /// Moves an order to `status` (processing, shipped, delivered, cancelled) as the system.
    #[pyo3(signature = (order_id, status, tracking_number = None))]
    fn transition_order(
        &self,
        py: Python<'_>,
        order_id: &str,
        status: &str,
        tracking_number: Option<String>,
    ) -> PyResult<String> {
        self.run(py, async {
            let order_id: OrderId = id(order_id)?;
            let to: OrderStatus =
                serde_json::from_value(serde_json::Value::String(status.to_string())).map_err(
                    |_| Error::validation("status", format!("`{status}` is not an order status")),
                )?;
            let actor = SYSTEM.actor();
            let order = match to {
                OrderStatus::Processing => self.orders.start_processing(order_id, actor).await,
                OrderStatus::Shipped => self.orders.ship(order_id, tracking_number, actor).await,
                OrderStatus::Delivered => self.orders.deliver(order_id, actor).await,
                OrderStatus::Cancelled => self.orders.cancel(order_id, actor, None).await,
                // No service moves an order back to pending (or to a status added later), so
                // the move is refused the way the state machine refuses any illegal one.
                _ => {
                    let order = self.store.get_order(order_id).await?;
                    Err(Error::InvalidTransition {
                        machine: "order status",
                        from: order.status.as_str().into(),
                        to: to.as_str().into(),
                    })
                }
            };
            Ok(order?)
        })
    }
}
