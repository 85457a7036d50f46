//! The store conformance suite: what every [`Store`](crate::store::Store) must do, as async
//! tests.
//!
//! Each check is a public `async fn(Arc<dyn Store>, Spawn)`, in the module of the store trait it
//! holds to account ([`catalog`], [`inventory`], [`settings`], [`carts`], [`orders`],
//! [`promotion_usage`], [`users`], [`reviews`], [`payments`], [`events`], [`search`]; the
//! adapters use the same file names), plus [`exactly_once`], which races the services on the
//! store. [`conformance_tests!`](crate::conformance_tests) turns the whole list into one
//! `#[tokio::test]` per check, each on a fresh store from the backend's factory. The core has no
//! runtime, so the concurrency checks receive a [`Spawn`] function from the invoking crate (the
//! macro passes `tokio::spawn`) and race real tasks on several threads. The sample data the
//! checks build on is public in [`fixtures`].
//!
//! # Running the suite on a store of your own
//!
//! A store in another crate is held to the same rules as the memory, SQLite and PostgreSQL
//! stores, with the same macro they use:
//!
//! 1. Add `merx-core` with the `conformance` feature, and `tokio` with the `macros` and
//!    `rt-multi-thread` features, to the crate's `[dev-dependencies]`.
//! 2. In `tests/conformance.rs`, invoke the macro with a factory: a closure returning a future of
//!    a fresh, empty store (any type implementing every store trait). Each check calls it once,
//!    and checks run in parallel, so each store must be isolated: a new in-memory database, a new
//!    schema, a new temporary file.
//! 3. A store that needs a server the machine may lack uses `conformance_tests!(optional ...)`:
//!    the factory's future yields `Option<YourStore>`, and `None` passes each check without
//!    running it (print why in the factory; a CI run should make `None` an error instead).
//! 4. `cargo test --test conformance` then runs one test per check, named after it, inside a
//!    module `merx_conformance`. A single check can also be called directly, as
//!    `merx_core::conformance::<check>(store, &spawn)`, and the [`fixtures`] set up the same data
//!    for a store's own tests.
//!
//! ```ignore
//! // tests/conformance.rs of a store crate
//! use my_store::MyStore;
//! merx_core::conformance_tests!(|| async { MyStore::open_in_memory().await.unwrap() });
//!
//! // or, when the store needs a server:
//! merx_core::conformance_tests!(optional || async {
//!     match std::env::var("MY_STORE_TEST_URL") {
//!         Ok(url) => Some(MyStore::connect_fresh_schema(&url).await.unwrap()),
//!         Err(_) => {
//!             eprintln!("MY_STORE_TEST_URL is not set; skipping");
//!             None
//!         }
//!     }
//! });
//! ```
//!
//! A new rule for stores gets a check here, in its trait's module, and its name in the macro's
//! list, so every store is held to it at once.

use std::future::Future;
use std::pin::Pin;

pub mod fixtures;

// One module per store trait, named like the adapters' files; `exactly_once` races the services.
pub mod carts;
pub mod catalog;
pub mod events;
pub mod exactly_once;
pub mod inventory;
pub mod orders;
pub mod payments;
pub mod promotion_usage;
pub mod reviews;
pub mod search;
pub mod settings;
pub mod users;

// The macro calls every check as `conformance::<check>`, whatever its module.
pub use carts::*;
pub use catalog::*;
pub use events::*;
pub use exactly_once::*;
pub use inventory::*;
pub use orders::*;
pub use payments::*;
pub use promotion_usage::*;
pub use reviews::*;
pub use search::*;
pub use settings::*;
pub use users::*;

/// A boxed task for [`Spawn`].
pub type Task = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Runs a task on the invoking crate's runtime and returns a future that completes with it
/// (panicking if the task panicked).
pub type Spawn<'a> = &'a (dyn Fn(Task) -> Task + Sync);

/// Generates one `#[tokio::test]` per conformance check, inside a module `merx_conformance`.
///
/// `$factory` is an expression callable with no arguments that returns a future of a fresh,
/// isolated store (any type implementing [`Store`](crate::store::Store)). The invoking crate
/// needs `tokio` with the `macros` and `rt-multi-thread` features.
///
/// `conformance_tests!(optional $factory)` is for backends that need a service the machine may
/// lack (a database server): the factory's future yields an `Option` of a store, and `None`
/// passes the check without running it (the factory has printed why).
#[macro_export]
macro_rules! conformance_tests {
    (optional $factory:expr) => {
        $crate::conformance_tests!(@all optional $factory);
    };
    ($factory:expr) => {
        $crate::conformance_tests!(@all required $factory);
    };
    (@all $mode:ident $factory:expr) => {
        $crate::conformance_tests!(@checks $mode $factory;
            catalog_products_round_trip,
            catalog_refuses_taken_slugs_and_skus,
            catalog_replacing_a_product_keeps_its_stock,
            catalog_categories_round_trip,
            inventory_adjustments_never_go_below_zero_without_backorder,
            inventory_set_stock_replaces_the_level,
            settings_promotions_round_trip,
            settings_pricing_and_shipping_round_trip,
            settings_refuse_a_stale_pricing_write,
            carts_round_trip_with_versions,
            place_order_reserves_stock_and_writes_everything,
            place_order_is_all_or_nothing,
            place_order_allows_backorders,
            concurrent_checkouts_never_oversell,
            idempotent_checkout_returns_the_first_order,
            promotion_usage_limits_hold_under_races,
            place_order_refuses_a_changed_cart,
            update_order_checks_versions_and_releases_stock,
            order_service_rejects_every_illegal_transition,
            cancelling_an_order_returns_its_stock,
            cancelling_an_order_gives_back_promotion_uses,
            orders_list_filter_and_purchase_check,
            users_round_trip,
            users_are_replaced_only_as_read,
            users_keep_their_session_generation,
            password_resets_are_single_use,
            reviews_round_trip,
            payment_transactions_round_trip,
            idempotency_claims_complete_with_the_effect,
            concurrent_refunds_with_one_key_move_money_once,
            one_key_with_two_bodies_takes_effect_once,
            concurrent_checkouts_with_one_key_get_one_order,
            concurrent_payments_authorize_and_capture_once,
            concurrent_cancellations_refund_and_release_once,
            outbox_sequences_and_delivery_cursors,
            leases_have_one_holder_at_a_time,
            search_matches_text_by_relevance,
            search_filters_sorts_and_pages,
        );
    };
    (@store required $store:expr) => {
        ::std::option::Option::Some($store)
    };
    (@store optional $store:expr) => {
        $store
    };
    (@checks $mode:ident $factory:expr; $($check:ident),+ $(,)?) => {
        mod merx_conformance {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $check() {
                    let factory = $factory;
                    let ::std::option::Option::Some(store) = $crate::conformance_tests!(@store $mode factory().await) else {
                        return;
                    };
                    let store: ::std::sync::Arc<dyn $crate::store::Store> = ::std::sync::Arc::new(store);
                    let spawn = |task: $crate::conformance::Task| -> $crate::conformance::Task {
                        let handle = ::tokio::spawn(task);
                        ::std::boxed::Box::pin(async move { handle.await.expect("conformance task panicked") })
                    };
                    $crate::conformance::$check(store, &spawn).await;
                }
            )+
        }
    };
}
