//! [`UserStore`](crate::store::UserStore): users round-trip with unique emails and keep their
//! session generation; password resets work once.

use std::sync::{Arc, Mutex};

use crate::ids::UserId;
use crate::store::{Page, StorageError, Store};
use crate::user::{PasswordReset, Role, User};

use super::fixtures::*;
use super::Spawn;

/// `replace_user` writes only over the revision it read: a write based on a stale read (another
/// change came between) is `conflict` and leaves the stored account as the winner wrote it, so a
/// role change cannot restore a password hash or session generation a password change replaced.
pub async fn users_are_replaced_only_as_read(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let ada = store.create_user(user("ada@example.com", 0)).await.unwrap();
    let read_by_both = store.get_user(ada.id).await.unwrap();

    let mut new_password = read_by_both.clone();
    new_password.password_hash = "$argon2id$v=19$m=8,t=1,p=1$bmV3c2FsdA$bmV3".into();
    new_password.session_generation += 1;
    new_password.updated_at = at(1);
    store
        .replace_user(&read_by_both, new_password.clone())
        .await
        .expect("the first write over the read revision wins");

    let mut new_roles = read_by_both.clone();
    new_roles.roles = vec![Role::Admin, Role::Customer];
    new_roles.updated_at = at(2);
    assert!(matches!(
        store.replace_user(&read_by_both, new_roles).await,
        Err(StorageError::Conflict { .. })
    ));
    let stored = store.get_user(ada.id).await.unwrap();
    assert_eq!(stored, new_password, "the stale write changed nothing");

    // Re-read and re-applied on top, the role change goes through and keeps the new password.
    let mut on_top = stored.clone();
    on_top.roles = vec![Role::Admin, Role::Customer];
    on_top.updated_at = at(3);
    store.replace_user(&stored, on_top.clone()).await.unwrap();
    assert_eq!(store.get_user(ada.id).await.unwrap(), on_top);

    assert!(matches!(
        store
            .replace_user(&on_top, user("ghost@example.com", 4))
            .await,
        Err(StorageError::NotFound { .. })
    ));
}

/// Users: create (unique email, `UserRegistered`), get, find by email, update, list.
pub async fn users_round_trip(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let ada = user("ada@example.com", 0);
    let bob = user("bob@example.com", 1);
    assert_eq!(store.create_user(ada.clone()).await.unwrap(), ada);
    store.create_user(bob.clone()).await.unwrap();
    assert_eq!(
        store.get_user(ada.id).await.unwrap().password_hash,
        ada.password_hash,
        "the hash is stored"
    );
    assert!(matches!(
        store.create_user(user("ada@example.com", 2)).await,
        Err(StorageError::Conflict { .. })
    ));
    assert_eq!(
        store
            .find_user_by_email("ada@example.com")
            .await
            .unwrap()
            .id,
        ada.id
    );
    assert!(matches!(
        store.find_user_by_email("nobody@example.com").await,
        Err(StorageError::NotFound { .. })
    ));

    let mut renamed = ada.clone();
    renamed.email = "ada.l@example.com".into();
    renamed.roles = vec![Role::Admin, Role::Customer];
    store.update_user(renamed.clone()).await.unwrap();
    assert_eq!(store.get_user(ada.id).await.unwrap(), renamed);
    assert!(matches!(
        store.find_user_by_email("ada@example.com").await,
        Err(StorageError::NotFound { .. })
    ));
    store
        .create_user(user("ada@example.com", 3))
        .await
        .expect("the old email is free again");
    let mut clash = bob.clone();
    clash.email = "ada.l@example.com".into();
    assert!(matches!(
        store.update_user(clash).await,
        Err(StorageError::Conflict { .. })
    ));
    assert!(matches!(
        store.update_user(user("ghost@example.com", 4)).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.get_user(UserId::new()).await,
        Err(StorageError::NotFound { .. })
    ));

    let listed = store
        .list_users(Page {
            offset: 0,
            limit: 2,
        })
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![ada.id, bob.id],
        "oldest first"
    );
    assert_eq!(
        store
            .list_users(Page {
                offset: 2,
                limit: 10
            })
            .await
            .unwrap()
            .len(),
        1
    );
    let registered = all_events(&store)
        .await
        .into_iter()
        .filter(|e| e.payload.kind() == "UserRegistered")
        .count();
    assert_eq!(registered, 3);
}

/// Users: the session generation is stored as given on create and update and comes back from
/// every read. Access tokens are checked against it, so a store that dropped it (read it as 0)
/// would bring back every session a password reset or role change had ended.
pub async fn users_keep_their_session_generation(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let fresh = user("fresh@example.com", 0);
    store.create_user(fresh.clone()).await.unwrap();
    assert_eq!(
        store.get_user(fresh.id).await.unwrap().session_generation,
        0
    );

    // Past 32 bits, so a narrow column shows.
    let big = u64::from(u32::MAX) + 7;
    let ada = User {
        session_generation: big,
        ..user("ada@example.com", 1)
    };
    assert_eq!(store.create_user(ada.clone()).await.unwrap(), ada);
    assert_eq!(store.get_user(ada.id).await.unwrap(), ada);

    let bumped = User {
        session_generation: big + 1,
        password_hash: "$argon2id$v=19$m=8,t=1,p=1$b3RoZXJzYWx0$aGFzaDI".into(),
        updated_at: at(2),
        ..ada.clone()
    };
    assert_eq!(store.update_user(bumped.clone()).await.unwrap(), bumped);
    assert_eq!(store.get_user(ada.id).await.unwrap(), bumped);
    assert_eq!(
        store
            .find_user_by_email("ada@example.com")
            .await
            .unwrap()
            .session_generation,
        big + 1
    );
    let listed = store
        .list_users(Page {
            offset: 0,
            limit: 10,
        })
        .await
        .unwrap();
    let generations: Vec<(UserId, u64)> = listed
        .iter()
        .map(|u| (u.id, u.session_generation))
        .collect();
    assert_eq!(generations, vec![(fresh.id, 0), (ada.id, big + 1)]);

    let mut renamed = store.get_user(fresh.id).await.unwrap();
    renamed.name = "Renamed".into();
    store.update_user(renamed).await.unwrap();
    assert_eq!(
        store.get_user(fresh.id).await.unwrap().session_generation,
        0,
        "the store keeps what it is given; bumping is the user service's job"
    );
}

/// A reset token is taken at most once, even by racing callers; resets are revocable per user.
pub async fn password_resets_are_single_use(store: Arc<dyn Store>, spawn: Spawn<'_>) {
    let ada = user("ada@example.com", 0);
    store.create_user(ada.clone()).await.unwrap();
    let reset = |hash: &str| PasswordReset {
        token_hash: hash.into(),
        user_id: ada.id,
        created_at: at(0),
        expires_at: at(60),
    };
    store.put_password_reset(reset("h1")).await.unwrap();
    let taken = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        let taken = taken.clone();
        tasks.push(spawn(Box::pin(async move {
            let outcome = store.take_password_reset("h1").await;
            taken.lock().expect("lock").push(outcome);
        })));
    }
    for task in tasks {
        task.await;
    }
    let taken = std::mem::take(&mut *taken.lock().expect("lock"));
    let winners: Vec<&PasswordReset> = taken.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners, vec![&reset("h1")]);
    assert!(taken
        .iter()
        .filter(|r| r.is_err())
        .all(|r| matches!(r, Err(StorageError::NotFound { .. }))));

    store.put_password_reset(reset("h2")).await.unwrap();
    store.put_password_reset(reset("h3")).await.unwrap();
    store.delete_password_resets(ada.id).await.unwrap();
    assert!(matches!(
        store.take_password_reset("h2").await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.take_password_reset("h3").await,
        Err(StorageError::NotFound { .. })
    ));
}
