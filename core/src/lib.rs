//! Merx core: the commerce domain, its store contract and the services over both.
//!
//! The core is three layers, each depending only on the ones below it (`tests/layers.rs` checks
//! every `crate::` path, so a cycle cannot creep back in):
//!
//! 1. [`model`]: plain data and synchronous rules: the catalog, carts, promotions, tax, shipping,
//!    orders and their state machines, payment ledger rows, users, reviews, events, ids, paging and
//!    the search contract; with [`money`], [`pricing`] (the pure [`pricing::price_cart`]),
//!    [`error`] and [`principal`], which keep their top-level paths. No store, no async runtime,
//!    no I/O, so the same code runs in the server, the CLI, Python and a browser (wasm32), and a
//!    total computed in one place equals the total computed in any other.
//! 2. [`store`]: the async store traits every backend implements (object-safe, `?Send` on wasm32),
//!    the in-memory [`store::memory::MemoryStore`], and, behind the `conformance` feature, the suite
//!    every backend must pass ([`conformance`]).
//! 3. [`services`]: the only code that calls the stores: [`checkout::CheckoutService`],
//!    [`order::OrderService`], [`payment::PaymentProcessor`], [`user::UserService`],
//!    [`review::ReviewService`], [`cart_service::CartService`],
//!    [`catalog_service::CatalogService`], [`settings_service::SettingsService`], paged
//!    [`listing`]s, the idempotency claims and leases, and the outbox [`relay`]. Time, sleeping and
//!    randomness for retries come in from the shell ([`clock::Clock`], [`payment::Sleeper`]), and
//!    so does where password hashing runs ([`user::PasswordHasher`]).
//!
//! The services are the only door: every shell calls them with a [`principal::Principal`] (a
//! signed-in user, a guest, or the system for the CLI and embedding programs) and the services
//! decide what that principal may do, so access rules exist once.
//!
//! # Paths outside the core
//!
//! Shells and third-party code name the core by the module paths it had before the layers
//! (`merx_core::order::OrderService`, `merx_core::cart::Cart`, `merx_core::store::PricingSettings`),
//! and those paths stay: a module that lives wholly in one layer is re-exported under its old name
//! (`cart` is [`model::cart`], `checkout` is [`services::checkout`]), and the four that were split
//! (`order`, `payment`, `review`, `user`) are facades that re-export both halves. Inside the core,
//! code names the layer it depends on (`crate::model::order`, `crate::services::payment`) wherever
//! a facade would hide a dependency on the services.
#![warn(missing_docs)]

pub mod model;
pub mod services;
pub mod store;

// The model layer, with the paths every shell uses.
pub mod error;
pub mod money;
pub mod pricing;
pub mod principal;
pub mod recommend;

// The suite races tasks across threads, which a wasm32 store cannot do.
#[cfg(all(feature = "conformance", not(target_family = "wasm")))]
pub mod conformance;

// Modules that live wholly in one layer, under the names they had before the layers.
pub use model::{
    cart, catalog, clock, country, event, ids, promotion, search, shipping, tax, text,
};
pub use services::{
    cart as cart_service, catalog as catalog_service, checkout, idempotency, listing, relay,
    settings as settings_service,
};

/// Orders: the model's types and state machines ([`model::order`]) and the
/// [`OrderService`](services::order::OrderService) that persists their moves.
pub mod order {
    pub use crate::model::order::*;
    pub use crate::services::order::*;
}

/// Payments: the ledger's types ([`model::payment`]) and the gateway, retries and
/// [`PaymentProcessor`](services::payment::PaymentProcessor) ([`services::payment`]).
pub mod payment {
    pub use crate::model::payment::*;
    pub use crate::services::payment::*;
}

/// Reviews: the review and its validation ([`model::review`]) and the
/// [`ReviewService`](services::review::ReviewService).
pub mod review {
    pub use crate::model::review::*;
    pub use crate::services::review::*;
}

/// Users: accounts, email and password rules ([`model::user`]) and the
/// [`UserService`](services::user::UserService) with its password hasher.
pub mod user {
    pub use crate::model::user::*;
    pub use crate::services::user::*;
}

pub use error::{Error, ErrorBody, ErrorCode, Result};
pub use money::{Currency, Money, RoundingMode};
