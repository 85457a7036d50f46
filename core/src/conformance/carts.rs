//! [`CartStore`](crate::store::CartStore): carts round-trip with versions.

use std::sync::Arc;

use crate::cart::Cart;
use crate::ids::UserId;
use crate::money::Currency;
use crate::store::{StorageError, Store};

use super::fixtures::*;
use super::Spawn;

/// Carts: create (unique), get, optimistic save, latest of a customer, delete.
pub async fn carts_round_trip_with_versions(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let customer = UserId::new();
    let older = Cart::new(Currency::Usd, Some(customer), at(0));
    let mut cart = Cart::new(Currency::Usd, Some(customer), at(1));
    store.create_cart(older.clone()).await.unwrap();
    store.create_cart(cart.clone()).await.unwrap();
    assert!(matches!(
        store.create_cart(cart.clone()).await,
        Err(StorageError::Conflict { .. })
    ));
    assert_eq!(store.get_cart(cart.id).await.unwrap(), cart);
    assert_eq!(
        store.latest_cart_of_customer(customer).await.unwrap().id,
        cart.id
    );
    assert!(matches!(
        store.latest_cart_of_customer(UserId::new()).await,
        Err(StorageError::NotFound { .. })
    ));

    let read_at = cart.version;
    cart.apply_coupon("save10", at(2)).unwrap();
    let saved = store.save_cart(cart.clone(), read_at).await.unwrap();
    assert_eq!(saved.coupon_codes, vec!["SAVE10".to_string()]);
    assert_eq!(store.get_cart(cart.id).await.unwrap().version, cart.version);
    let mut stale = cart.clone();
    stale.remove_coupon("SAVE10", at(3)).unwrap();
    assert!(matches!(
        store.save_cart(stale, read_at).await,
        Err(StorageError::Conflict { .. })
    ));
    assert_eq!(
        store.get_cart(cart.id).await.unwrap().coupon_codes.len(),
        1,
        "a stale save changes nothing"
    );

    store.delete_cart(cart.id).await.unwrap();
    assert!(matches!(
        store.get_cart(cart.id).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.delete_cart(cart.id).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.save_cart(cart.clone(), cart.version).await,
        Err(StorageError::NotFound { .. })
    ));
}
