//! Shared setup for the core's integration tests: a memory store on a fixed clock, a small
//! catalog, carts and placed orders.
#![allow(dead_code)]

use std::sync::Arc;

use chrono::{DateTime, Utc};
use merx_core::cart::Cart;
use merx_core::catalog::{Product, ProductStatus, Variant};
use merx_core::checkout::{CheckoutRequest, CheckoutService};
use merx_core::clock::FixedClock;
use merx_core::order::{Actor, Order};
use merx_core::store::memory::MemoryStore;
use merx_core::store::Store;
use merx_core::Currency;
use rust_decimal::Decimal;

pub fn start() -> DateTime<Utc> {
    "2026-11-26T12:00:00Z".parse().unwrap()
}

pub struct World {
    pub store: Arc<dyn Store>,
    pub clock: Arc<FixedClock>,
}

impl World {
    pub fn new() -> World {
        let clock = Arc::new(FixedClock::new(start()));
        World {
            store: Arc::new(MemoryStore::new(clock.clone())),
            clock,
        }
    }

    pub async fn product(&self, sku: &str, price: Decimal, stock: Decimal) -> Product {
        let mut variant = Variant::new(sku, Currency::Usd, price);
        variant.stock = stock;
        let mut product = Product::new(format!("Product {sku}"), vec![variant]);
        product.status = ProductStatus::Active;
        self.store.put_product(product).await.unwrap()
    }

    pub async fn cart(&self, items: &[(&Product, Decimal)], coupons: &[&str]) -> Cart {
        let mut cart = Cart::new(Currency::Usd, None, self.clock_now());
        for (product, quantity) in items {
            cart.add_item(
                product,
                product.variants[0].id,
                *quantity,
                None,
                self.clock_now(),
            )
            .unwrap();
        }
        for code in coupons {
            cart.apply_coupon(code, self.clock_now()).unwrap();
        }
        self.store.create_cart(cart).await.unwrap()
    }

    pub fn clock_now(&self) -> DateTime<Utc> {
        use merx_core::clock::Clock;
        self.clock.now()
    }

    pub fn checkout_service(&self) -> CheckoutService {
        CheckoutService::new(self.store.clone(), self.clock.clone())
    }

    /// A placed order for `quantity` of a fresh product at `price`.
    pub async fn order(&self, sku: &str, price: Decimal, quantity: Decimal) -> Order {
        let product = self.product(sku, price, Decimal::from(100)).await;
        let cart = self.cart(&[(&product, quantity)], &[]).await;
        let request = CheckoutRequest {
            cart_id: cart.id,
            email: None,
            idempotency_key: None,
        };
        self.checkout_service()
            .checkout(request, Actor::Guest)
            .await
            .unwrap()
    }
}
