//! The services layer: the only code that calls the stores.
//!
//! Each service takes an `Arc<dyn Store>` (and, where it needs them, a clock, a payment gateway, a
//! sleeper or a password hasher) and a [`Principal`](crate::principal::Principal) per call, and
//! combines the model's rules with the store's atomic writes: checkout, order moves, payments with
//! their idempotency claims and leases, accounts, reviews, carts, catalog and settings writes,
//! paged listings and the outbox relay. Shells call these and nothing below them, so a rule about
//! who may do what, or in which order the store is written, exists once.
//!
//! This layer may use [`crate::model`] and [`crate::store`]; neither of them may use it.

pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod idempotency;
pub mod listing;
pub mod order;
pub mod payment;
pub mod relay;
pub mod review;
pub mod settings;
pub mod user;
