//! Merx core: the pure commerce domain.
//!
//! Everything here is plain data and synchronous functions over it: money, the catalog, promotions,
//! tax, shipping, carts and [`pricing::price_cart`]. No I/O, no async runtime, so the same code runs
//! in the server, the CLI, Python and a browser (wasm32), and a total computed in one place equals
//! the total computed in any other.
//!
//! Around that pure centre sit the contracts with the outside world, still free of any runtime:
//! the async store traits in [`store`] (with the in-memory [`store::memory::MemoryStore`] and, behind
//! the `conformance` feature, the suite every backend must pass), the [`payment::PaymentGateway`]
//! trait, and services that combine them: [`checkout::CheckoutService`], [`order::OrderService`],
//! [`payment::PaymentProcessor`], [`user::UserService`] and [`review::ReviewService`]. Time, sleeping
//! and randomness for retries come in from the shell ([`clock::Clock`], [`payment::Sleeper`]), and
//! so does where password hashing runs ([`user::PasswordHasher`]).
//!
//! The services are the only door: every shell calls them with a [`principal::Principal`] (a
//! signed-in user, a guest, or the system for the CLI and embedding programs) and the services
//! decide what that principal may do, so access rules exist once.
#![warn(missing_docs)]

pub mod cart;
pub mod cart_service;
pub mod catalog;
pub mod catalog_service;
pub mod checkout;
pub mod clock;
// The suite races tasks across threads, which a wasm32 store cannot do.
#[cfg(all(feature = "conformance", not(target_family = "wasm")))]
pub mod conformance;
pub mod country;
pub mod error;
pub mod event;
pub mod idempotency;
pub mod ids;
pub mod listing;
pub mod money;
pub mod order;
pub mod payment;
pub mod pricing;
pub mod principal;
pub mod promotion;
pub mod recommend;
pub mod relay;
pub mod review;
pub mod search;
pub mod settings_service;
pub mod shipping;
pub mod store;
pub mod tax;
pub mod text;
pub mod user;

pub use error::{Error, ErrorBody, ErrorCode, Result};
pub use money::{Currency, Money, RoundingMode};
