//! Merx core: the pure commerce domain.
//!
//! Everything here is plain data and synchronous functions over it: money, the catalog, promotions,
//! tax, shipping, carts and [`pricing::price_cart`]. No I/O, no async runtime, so the same code runs
//! in the server, the CLI, Python and a browser (wasm32), and a total computed in one place equals
//! the total computed in any other.
#![warn(missing_docs)]

pub mod catalog;
pub mod error;
pub mod ids;
pub mod money;
pub mod promotion;
pub mod recommend;
pub mod shipping;
pub mod tax;

pub use error::{Error, ErrorBody, ErrorCode, Result};
pub use money::{Currency, Money, RoundingMode};
