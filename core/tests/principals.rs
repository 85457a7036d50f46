//! The services decide what a principal may do: admin-only writes, other customers' orders, the
//! shopper's view of the catalog, the system principal of the CLI and embedding programs, and
//! versioned pricing settings with tax-rate operations.

mod support;

use std::sync::Arc;

use merx_core::cart::Cart;
use merx_core::cart_service::{CartOwner, CartService};
use merx_core::catalog::{Product, ProductStatus, Variant};
use merx_core::catalog_service::CatalogService;
use merx_core::checkout::CheckoutRequest;
use merx_core::ids::{CategoryId, TaxRateId, UserId};
use merx_core::order::{Actor, OrderService};
use merx_core::payment::{PaymentProcessor, RecordingSleeper, TestGateway};
use merx_core::principal::Principal;
use merx_core::search::ProductSearch;
use merx_core::settings_service::SettingsService;
use merx_core::store::{PricingSettings, StorageError};
use merx_core::tax::TaxRate;
use merx_core::user::{Role, User, UserStatus};
use merx_core::{Currency, ErrorCode, RoundingMode};
use rust_decimal_macros::dec;
use support::World;

fn user(roles: &[Role]) -> Principal {
    let now = support::start();
    Principal::User(User {
        id: UserId::new(),
        email: format!("{}@example.com", UserId::new()),
        name: String::new(),
        password_hash: String::new(),
        roles: roles.to_vec(),
        status: UserStatus::Active,
        created_at: now,
        updated_at: now,
        deleted_at: None,
        session_generation: 0,
    })
}

fn product(sku: &str) -> Product {
    let mut product = Product::new(
        format!("Product {sku}"),
        vec![Variant::new(sku, Currency::Usd, dec!(10))],
    );
    product.status = ProductStatus::Active;
    product
}

#[tokio::test]
async fn catalog_writes_are_for_admins_and_the_system() {
    let world = World::new();
    let catalog = CatalogService::new(world.store.clone(), world.clock.clone());
    for refused in [
        user(&[Role::Customer]),
        user(&[Role::Moderator]),
        Principal::Guest,
    ] {
        let err = catalog
            .create_product(&refused, product("MUG-1"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::Forbidden, "{refused:?}");
    }
    let made = catalog
        .create_product(&Principal::System, product("MUG-1"))
        .await
        .unwrap();
    catalog
        .create_product(&user(&[Role::Admin]), product("MUG-2"))
        .await
        .unwrap();
    assert_eq!(
        catalog
            .delete_product(&user(&[Role::Customer]), made.id)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Forbidden
    );

    // `put_product` keeps the caller's id and checks categories like every other write.
    let mut lost = product("LOST-1");
    lost.category_ids = vec![CategoryId::new()];
    assert_eq!(
        catalog
            .put_product(&Principal::System, lost)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::ValidationFailed
    );
    let own_id = product("OWN-1");
    let stored = catalog
        .put_product(&Principal::System, own_id.clone())
        .await
        .unwrap();
    assert_eq!(stored.id, own_id.id);
}

#[tokio::test]
async fn shoppers_do_not_see_products_that_are_not_active() {
    let world = World::new();
    let catalog = CatalogService::new(world.store.clone(), world.clock.clone());
    let mut draft = product("DRAFT-1");
    draft.status = ProductStatus::Draft;
    let draft = catalog
        .create_product(&Principal::System, draft)
        .await
        .unwrap();
    for shopper in [Principal::Guest, user(&[Role::Customer])] {
        assert_eq!(
            catalog
                .product_for(&shopper, draft.id)
                .await
                .unwrap_err()
                .code(),
            ErrorCode::NotFound
        );
        let mut every_status = ProductSearch::storefront(Currency::Usd);
        every_status.status = None;
        assert_eq!(
            catalog.search(&shopper, every_status).await.unwrap().total,
            0
        );
    }
    for admin in [Principal::System, user(&[Role::Admin])] {
        catalog.product_for(&admin, draft.id).await.unwrap();
        let mut drafts = ProductSearch::storefront(Currency::Usd);
        drafts.status = Some(ProductStatus::Draft);
        assert_eq!(catalog.search(&admin, drafts).await.unwrap().total, 1);
    }
}

#[tokio::test]
async fn another_customers_order_does_not_exist_for_them() {
    let world = World::new();
    let owner = user(&[Role::Customer]);
    let owner_id = owner.user().unwrap().id;
    let tee = world.product("TEE-1", dec!(20), dec!(5)).await;
    let mut cart = Cart::new(Currency::Usd, Some(owner_id), world.clock_now());
    cart.add_item(&tee, tee.variants[0].id, dec!(1), None, world.clock_now())
        .unwrap();
    let cart = world.store.create_cart(cart).await.unwrap();
    let order = world
        .checkout_service()
        .checkout(
            CheckoutRequest {
                cart_id: cart.id,
                email: None,
                idempotency_key: None,
            },
            owner.actor(),
        )
        .await
        .unwrap();
    let payments = Arc::new(PaymentProcessor::new(
        world.store.clone(),
        Arc::new(TestGateway::new()),
        Arc::new(RecordingSleeper::default()),
        world.clock.clone(),
    ));
    let orders = OrderService::new(world.store.clone(), payments, world.clock.clone());

    for allowed in [owner.clone(), user(&[Role::Admin]), Principal::System] {
        assert_eq!(
            orders.get_for(&allowed, order.id).await.unwrap().id,
            order.id
        );
        orders.transactions_for(&allowed, order.id).await.unwrap();
    }
    for refused in [user(&[Role::Customer]), Principal::Guest] {
        assert_eq!(
            orders.get_for(&refused, order.id).await.unwrap_err().code(),
            ErrorCode::NotFound
        );
        assert_eq!(
            orders
                .cancel_for(&refused, order.id, None)
                .await
                .unwrap_err()
                .code(),
            ErrorCode::NotFound
        );
    }
    let cancelled = orders
        .cancel_for(&Principal::System, order.id, None)
        .await
        .unwrap();
    assert_eq!(cancelled.history.last().unwrap().actor, Actor::System);
}

#[tokio::test]
async fn the_system_names_carts_by_id_and_customers_reach_only_their_own() {
    let world = World::new();
    let carts = CartService::new(world.store.clone(), world.clock.clone());
    let ada = user(&[Role::Customer]);
    let ada_id = ada.user().unwrap().id;
    let cart = carts
        .create_cart(&Principal::System, Currency::Usd, Some(ada_id))
        .await
        .unwrap();
    assert_eq!(cart.customer_id, Some(ada_id));
    let by_id = CartOwner::of(&Principal::System, Some(cart.id)).unwrap();
    assert_eq!(carts.find(by_id).await.unwrap().unwrap().id, cart.id);
    // A customer's cart is never a guest's, whoever knows its id.
    let as_guest = CartOwner::of(&Principal::Guest, Some(cart.id)).unwrap();
    assert_eq!(carts.find(as_guest).await.unwrap(), None);
    assert_eq!(
        carts
            .create_cart(&user(&[Role::Customer]), Currency::Usd, Some(ada_id))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Forbidden
    );
    assert_eq!(
        CartOwner::of(&Principal::System, None).unwrap_err().code(),
        ErrorCode::ValidationFailed
    );
    let gone = CartOwner::of(&Principal::System, Some(merx_core::ids::CartId::new())).unwrap();
    assert_eq!(
        carts
            .apply_coupon(gone, Currency::Usd, "ANY")
            .await
            .unwrap_err()
            .code(),
        ErrorCode::CouponNotFound,
        "the code is checked first"
    );
    assert_eq!(
        carts
            .set_shipping_address(gone, Currency::Usd, None)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::NotFound,
        "the system's unknown cart is not started afresh"
    );
}

#[tokio::test]
async fn pricing_settings_writes_check_the_version_and_rate_changes_lose_nothing() {
    let world = World::new();
    let settings = SettingsService::new(world.store.clone());
    let admin = user(&[Role::Admin]);
    assert_eq!(
        settings
            .create_tax_rate(
                &user(&[Role::Customer]),
                TaxRate::new("VAT", "DE", "standard", dec!(19))
            )
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Forbidden
    );

    let read = settings.pricing_settings(&admin).await.unwrap();
    assert_eq!(read.version, 0);
    let vat = settings
        .create_tax_rate(&admin, TaxRate::new("VAT", "de", "standard", dec!(19)))
        .await
        .unwrap();
    assert_eq!(vat.country, "DE", "normalized like any settings write");

    // A whole-settings write based on what was read before the rate came is refused.
    let stale = PricingSettings {
        rounding: RoundingMode::Down,
        ..read.clone()
    };
    let err = settings
        .put_pricing_settings(&admin, stale)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    let current = settings.pricing_settings(&admin).await.unwrap();
    assert_eq!(current.version, 1);
    assert_eq!(current.tax.rates, vec![vat.clone()]);
    assert_eq!(current.rounding, RoundingMode::default());

    let fresh = settings
        .put_pricing_settings(
            &admin,
            PricingSettings {
                rounding: RoundingMode::Down,
                ..current
            },
        )
        .await
        .unwrap();
    assert_eq!(fresh.version, 2);

    // Rate operations apply to the current settings, so they keep the rounding just written.
    let reduced = settings
        .update_tax_rate(
            &Principal::System,
            vat.id,
            TaxRate::new("VAT reduced", "DE", "standard", dec!(7)),
        )
        .await
        .unwrap();
    assert_eq!((reduced.id, reduced.percent), (vat.id, dec!(7)));
    let after = settings.pricing_settings(&admin).await.unwrap();
    assert_eq!(
        (after.version, after.rounding, after.tax.rates.clone()),
        (3, RoundingMode::Down, vec![reduced])
    );
    assert_eq!(
        settings
            .delete_tax_rate(&admin, TaxRateId::new())
            .await
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
    settings.delete_tax_rate(&admin, vat.id).await.unwrap();
    assert!(settings
        .pricing_settings(&admin)
        .await
        .unwrap()
        .tax
        .rates
        .is_empty());
    assert!(matches!(
        world
            .store
            .put_pricing_settings(PricingSettings::default(), 3)
            .await,
        Err(StorageError::Conflict { .. })
    ));
}
