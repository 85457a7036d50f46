//! The model layer: plain data and the synchronous rules over it.
//!
//! Catalog, carts, promotions, tax, shipping, orders and their state machines, payments' ledger
//! rows, users, reviews, events, ids and the search contract. Nothing here reads or writes a store
//! or awaits anything, so every rule in this layer can be unit-tested on values and runs
//! unchanged in a browser. Money, pricing, errors and principals belong to this layer too but
//! keep their top-level paths ([`crate::money`], [`crate::pricing`], [`crate::error`],
//! [`crate::principal`]), which every shell already names.
//!
//! A module here may use only this layer; `tests/layers.rs` fails the build's tests otherwise.

pub mod cart;
pub mod catalog;
pub mod clock;
pub mod country;
pub mod event;
pub mod ids;
pub mod order;
pub mod page;
pub mod payment;
pub mod promotion;
pub mod review;
pub mod search;
pub mod settings;
pub mod shipping;
pub mod tax;
pub mod text;
pub mod user;
