//! Registration, authentication, roles, soft delete, password reset, and reviews.

mod support;

use chrono::Duration;
use merx_core::order::Actor;
use merx_core::principal::Principal;
use merx_core::review::{ReviewInput, ReviewService, ReviewStatus};
use merx_core::store::memory::MemoryStore;
use merx_core::user::{
    PasswordHashing, ProfileUpdate, Registration, Role, User, UserService, UserStatus,
};
use merx_core::{Error, ErrorCode};
use rust_decimal_macros::dec;
use support::World;

/// A signed-in user as the services take them.
fn p(user: &User) -> Principal {
    Principal::User(user.clone())
}

fn users(world: &World) -> UserService {
    UserService::new(world.store.clone(), world.clock.clone())
        .with_hashing(PasswordHashing::insecure_fast())
}

fn registration(email: &str) -> Registration {
    Registration {
        email: email.into(),
        password: "correct horse 42".into(),
        name: "Ada".into(),
    }
}

#[tokio::test]
async fn registration_normalizes_email_hashes_with_argon2id_and_refuses_duplicates() {
    let world = World::new();
    let service = users(&world);
    let ada = service
        .register(registration("  Ada@Example.com "))
        .await
        .unwrap();
    assert_eq!(ada.email, "ada@example.com");
    assert_eq!(ada.roles, vec![Role::Customer]);
    assert!(ada.password_hash.starts_with("$argon2id$"));
    assert!(
        !serde_json::to_string(&ada).unwrap().contains("argon2"),
        "the hash never serializes"
    );
    assert_eq!(
        service
            .register(registration("ADA@example.COM"))
            .await
            .unwrap_err(),
        Error::EmailTaken
    );
    assert!(matches!(
        service.register(registration("not-an-email")).await,
        Err(Error::InvalidEmail(_))
    ));
    let weak = Registration {
        password: "short".into(),
        ..registration("bob@example.com")
    };
    assert_eq!(
        service.register(weak).await.unwrap_err().code(),
        ErrorCode::WeakPassword
    );
    let events = world.store.events_after(0, 100).await.unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.payload.kind() == "UserRegistered")
            .count(),
        1
    );
}

#[tokio::test]
async fn authentication_checks_password_and_status() {
    let world = World::new();
    let service = users(&world);
    let ada = service
        .register(registration("ada@example.com"))
        .await
        .unwrap();
    assert_eq!(
        service
            .authenticate("ADA@example.com", "correct horse 42")
            .await
            .unwrap()
            .id,
        ada.id
    );
    assert_eq!(
        service
            .authenticate("ada@example.com", "wrong horse 42")
            .await
            .unwrap_err(),
        Error::InvalidCredentials
    );
    assert_eq!(
        service
            .authenticate("nobody@example.com", "correct horse 42")
            .await
            .unwrap_err(),
        Error::InvalidCredentials
    );

    let mut admin = service
        .register(registration("admin@example.com"))
        .await
        .unwrap();
    admin.roles = vec![Role::Admin];
    let admin = world.store.update_user(admin).await.unwrap();
    service
        .set_status(&p(&admin), ada.id, UserStatus::Inactive)
        .await
        .unwrap();
    assert_eq!(
        service
            .authenticate("ada@example.com", "correct horse 42")
            .await
            .unwrap_err(),
        Error::AccountInactive
    );
    service
        .set_status(&p(&admin), ada.id, UserStatus::Active)
        .await
        .unwrap();
    service
        .authenticate("ada@example.com", "correct horse 42")
        .await
        .unwrap();

    let ada = world.store.get_user(ada.id).await.unwrap();
    assert_eq!(
        service
            .set_status(&p(&ada), admin.id, UserStatus::Inactive)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Forbidden
    );
    assert_eq!(
        service
            .set_roles(&p(&ada), ada.id, &[Role::Admin])
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Forbidden
    );
    let promoted = service
        .set_roles(
            &p(&admin),
            ada.id,
            &[Role::Moderator, Role::Customer, Role::Moderator],
        )
        .await
        .unwrap();
    assert_eq!(promoted.roles, vec![Role::Customer, Role::Moderator]);

    let changed = service
        .change_password(ada.id, "correct horse 42", "battery staple 7")
        .await
        .unwrap();
    assert_ne!(changed.password_hash, ada.password_hash);
    assert_eq!(
        service
            .change_password(ada.id, "correct horse 42", "x")
            .await
            .unwrap_err(),
        Error::InvalidCredentials
    );
    service
        .authenticate("ada@example.com", "battery staple 7")
        .await
        .unwrap();
}

#[tokio::test]
async fn soft_delete_keeps_the_record_but_blocks_sign_in() {
    let world = World::new();
    let service = users(&world);
    let ada = service
        .register(registration("ada@example.com"))
        .await
        .unwrap();
    let bob = service
        .register(registration("bob@example.com"))
        .await
        .unwrap();
    assert_eq!(
        service.delete(&p(&bob), ada.id).await.unwrap_err().code(),
        ErrorCode::Forbidden
    );
    let deleted = service.delete(&p(&ada), ada.id).await.unwrap();
    assert_eq!(deleted.deleted_at, Some(support::start()));
    assert_eq!(deleted.status, UserStatus::Inactive);
    assert_eq!(world.store.get_user(ada.id).await.unwrap().id, ada.id);
    assert_eq!(
        service
            .authenticate("ada@example.com", "correct horse 42")
            .await
            .unwrap_err(),
        Error::AccountInactive
    );
    assert_eq!(
        service
            .register(registration("ada@example.com"))
            .await
            .unwrap_err(),
        Error::EmailTaken
    );
}

#[tokio::test]
async fn the_session_generation_moves_with_password_roles_and_status_and_nothing_else() {
    let world = World::new();
    let service = users(&world);
    let admin = service
        .register_admin(registration("admin@example.com"))
        .await
        .unwrap();
    let ada = service
        .register(registration("ada@example.com"))
        .await
        .unwrap();
    assert_eq!(ada.session_generation, 0);
    let generation = || async {
        world
            .store
            .get_user(ada.id)
            .await
            .unwrap()
            .session_generation
    };

    let renamed = service
        .update_profile(
            &p(&ada),
            ada.id,
            ProfileUpdate {
                name: Some("Ada Lovelace".into()),
                ..ProfileUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        renamed.session_generation, 0,
        "a new name is not a new session"
    );
    service
        .set_roles(&p(&admin), ada.id, &[Role::Customer])
        .await
        .unwrap();
    assert_eq!(generation().await, 0, "the same roles are no change");

    service
        .change_password(ada.id, "correct horse 42", "battery staple 7")
        .await
        .unwrap();
    assert_eq!(generation().await, 1, "password change");
    assert_eq!(
        service
            .change_password(ada.id, "wrong password 1", "battery staple 8")
            .await
            .unwrap_err(),
        Error::InvalidCredentials
    );
    assert_eq!(generation().await, 1, "a refused change is no change");

    let issued = service
        .request_password_reset("ada@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(generation().await, 1, "asking for a reset proves nothing");
    let reset = service
        .reset_password(&issued.token, "new password 99")
        .await
        .unwrap();
    assert_eq!(reset.session_generation, 2, "password reset");

    service
        .set_roles(&p(&admin), ada.id, &[Role::Customer, Role::Moderator])
        .await
        .unwrap();
    assert_eq!(generation().await, 3, "role change");
    let ada_now = world.store.get_user(ada.id).await.unwrap();
    service
        .update_profile(
            &p(&admin),
            ada.id,
            ProfileUpdate {
                roles: Some(vec![Role::Customer]),
                ..ProfileUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(generation().await, 4, "role change through the profile");
    service
        .set_status(&p(&admin), ada.id, UserStatus::Inactive)
        .await
        .unwrap();
    assert_eq!(generation().await, 5, "disabled");
    service
        .set_status(&p(&admin), ada.id, UserStatus::Active)
        .await
        .unwrap();
    assert_eq!(generation().await, 6, "enabled again");
    let deleted = service.close_account(&p(&ada_now), ada.id).await.unwrap();
    assert_eq!(deleted.session_generation, 7, "deleted");
    assert_eq!(
        world
            .store
            .get_user(admin.id)
            .await
            .unwrap()
            .session_generation,
        admin.session_generation,
        "the admin's own sessions are untouched"
    );
}

#[tokio::test]
async fn password_reset_tokens_are_hashed_single_use_and_expire() {
    let world = World::new();
    let service = users(&world).with_reset_ttl(Duration::minutes(30));
    let ada = service
        .register(registration("ada@example.com"))
        .await
        .unwrap();
    assert!(service
        .request_password_reset("nobody@example.com")
        .await
        .unwrap()
        .is_none());
    let issued = service
        .request_password_reset("Ada@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(issued.user_id, ada.id);
    assert!(
        matches!(
            world.store.take_password_reset(&issued.token).await,
            Err(merx_core::store::StorageError::NotFound { .. })
        ),
        "the plaintext token is not a key in the store"
    );

    let second = service
        .request_password_reset("ada@example.com")
        .await
        .unwrap()
        .unwrap();
    let reset = service
        .reset_password(&issued.token, "new password 99")
        .await
        .unwrap();
    service
        .authenticate("ada@example.com", "new password 99")
        .await
        .unwrap();
    assert_ne!(reset.password_hash, ada.password_hash);
    assert_eq!(
        service
            .reset_password(&issued.token, "other password 1")
            .await
            .unwrap_err(),
        Error::InvalidToken
    );
    assert_eq!(
        service
            .reset_password(&second.token, "other password 1")
            .await
            .unwrap_err(),
        Error::InvalidToken,
        "a reset revokes the others"
    );
    assert_eq!(
        service
            .reset_password("garbage", "other password 1")
            .await
            .unwrap_err(),
        Error::InvalidToken
    );

    let late = service
        .request_password_reset("ada@example.com")
        .await
        .unwrap()
        .unwrap();
    world.clock.advance(Duration::minutes(31));
    assert_eq!(
        service
            .reset_password(&late.token, "other password 1")
            .await
            .unwrap_err(),
        Error::TokenExpired
    );
    let weak = service
        .request_password_reset("ada@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        service
            .reset_password(&weak.token, "weak")
            .await
            .unwrap_err()
            .code(),
        ErrorCode::WeakPassword
    );
}

#[tokio::test]
async fn reviews_are_one_per_user_and_product_verified_from_orders_and_moderated() {
    let world = World::new();
    let accounts = users(&world);
    let reviews = ReviewService::new(world.store.clone(), world.clock.clone());
    let buyer = accounts
        .register(registration("buyer@example.com"))
        .await
        .unwrap();
    let browser = accounts
        .register(registration("browser@example.com"))
        .await
        .unwrap();
    let moderator = accounts
        .register(registration("mod@example.com"))
        .await
        .unwrap();
    let moderator = world
        .store
        .update_user(User {
            roles: vec![Role::Moderator],
            ..moderator
        })
        .await
        .unwrap();

    let tee = world.product("TEE-1", dec!(20.00), dec!(5)).await;
    let mut cart =
        merx_core::cart::Cart::new(merx_core::Currency::Usd, Some(buyer.id), world.clock_now());
    cart.add_item(&tee, tee.variants[0].id, dec!(1), None, world.clock_now())
        .unwrap();
    let cart = world.store.create_cart(cart).await.unwrap();
    let request = merx_core::checkout::CheckoutRequest {
        cart_id: cart.id,
        email: None,
        idempotency_key: None,
    };
    world
        .checkout_service()
        .checkout(request, Actor::User { user_id: buyer.id })
        .await
        .unwrap();

    let input = |rating| ReviewInput {
        rating,
        title: " Great tee ".into(),
        body: "Soft.".into(),
    };
    let verified = reviews.submit(&p(&buyer), tee.id, input(5)).await.unwrap();
    assert!(verified.verified_purchase);
    assert_eq!(verified.title, "Great tee");
    let unverified = reviews
        .submit(&p(&browser), tee.id, input(2))
        .await
        .unwrap();
    assert!(!unverified.verified_purchase);
    assert_eq!(
        reviews
            .submit(&p(&buyer), tee.id, input(4))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Conflict
    );
    assert_eq!(
        reviews
            .submit(&p(&browser), tee.id, input(6))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::ValidationFailed
    );
    assert_eq!(
        reviews
            .submit(&p(&browser), merx_core::ids::ProductId::new(), input(3))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );

    assert_eq!(
        reviews
            .hide(&p(&buyer), unverified.id)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Forbidden
    );
    let hidden = reviews.hide(&p(&moderator), unverified.id).await.unwrap();
    assert_eq!(
        (hidden.status, hidden.moderated_by),
        (ReviewStatus::Hidden, Some(moderator.id))
    );
    assert_eq!(
        reviews
            .hide(&p(&moderator), unverified.id)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::InvalidTransition
    );
    assert_eq!(
        reviews
            .for_product(&Principal::Guest, tee.id, false)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        reviews
            .for_product(&p(&moderator), tee.id, true)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        reviews
            .for_product(&p(&buyer), tee.id, true)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Forbidden
    );
    reviews
        .restore(&p(&moderator), unverified.id)
        .await
        .unwrap();
    assert_eq!(
        reviews
            .for_product(&Principal::Guest, tee.id, false)
            .await
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn one_store_serves_every_narrower_trait_object() {
    let store: std::sync::Arc<dyn merx_core::store::Store> =
        std::sync::Arc::new(MemoryStore::default());
    let catalog: std::sync::Arc<dyn merx_core::store::CatalogStore> = store.clone();
    let events: std::sync::Arc<dyn merx_core::store::EventStore> = store.clone();
    let mut product = merx_core::catalog::Product::new(
        "Mug",
        vec![merx_core::catalog::Variant::new(
            "MUG-1",
            merx_core::Currency::Usd,
            dec!(8.00),
        )],
    );
    product.status = merx_core::catalog::ProductStatus::Active;
    catalog.put_product(product.clone()).await.unwrap();
    assert_eq!(store.get_product(product.id).await.unwrap(), product);
    assert_eq!(
        events.events_after(0, 10).await.unwrap()[0].payload.kind(),
        "ProductChanged"
    );
}
