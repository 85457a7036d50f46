//! [`ReviewStore`](crate::store::ReviewStore): one review per user and product, listed with and
//! without hidden ones.

use std::sync::Arc;

use crate::ids::{ProductId, UserId};
use crate::review::ReviewStatus;
use crate::store::{StorageError, Store};

use super::fixtures::*;
use super::Spawn;

/// Reviews: one per user and product, get, update, list with and without hidden, delete.
pub async fn reviews_round_trip(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let tee = ProductId::new();
    let (ada, bob) = (UserId::new(), UserId::new());
    let first = review(ada, tee, 0);
    let second = review(bob, tee, 1);
    store.create_review(first.clone()).await.unwrap();
    store.create_review(second.clone()).await.unwrap();
    assert!(matches!(
        store.create_review(review(ada, tee, 2)).await,
        Err(StorageError::Conflict { .. })
    ));
    store
        .create_review(review(ada, ProductId::new(), 2))
        .await
        .expect("another product is fine");
    assert_eq!(store.get_review(first.id).await.unwrap(), first);

    let mut hidden = second.clone();
    hidden.status = ReviewStatus::Hidden;
    hidden.moderated_by = Some(UserId::new());
    store.update_review(hidden.clone()).await.unwrap();
    assert_eq!(
        store.list_reviews(tee, false).await.unwrap(),
        vec![first.clone()]
    );
    assert_eq!(
        store.list_reviews(tee, true).await.unwrap(),
        vec![hidden, first.clone()],
        "newest first"
    );
    let mut moved = first.clone();
    moved.user_id = bob;
    assert!(
        store.update_review(moved).await.is_err(),
        "author and product are fixed"
    );

    store.delete_review(first.id).await.unwrap();
    assert!(matches!(
        store.get_review(first.id).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.delete_review(first.id).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.update_review(first.clone()).await,
        Err(StorageError::NotFound { .. })
    ));
    store
        .create_review(review(ada, tee, 3))
        .await
        .expect("a deleted review frees the slot");
}
