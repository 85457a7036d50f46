//! [`CatalogStore`](crate::store::CatalogStore): products and categories round-trip, slugs and
//! SKUs stay unique, and replacing a product keeps its stock.

use std::sync::Arc;

use rust_decimal_macros::dec;

use crate::catalog::{Category, ProductStatus, Variant};
use crate::event::EventPayload;
use crate::ids::ProductId;
use crate::money::Currency;
use crate::store::{Page, ProductFilter, StorageError, Store};

use super::fixtures::*;
use super::Spawn;

/// put/get/slug/SKU/list/delete of products, with their `ProductChanged` events.
pub async fn catalog_products_round_trip(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let shirts = Category::new("Shirts");
    let mut tee = product("Classic Tee", "TEE-M", dec!(5), false);
    tee.category_ids = vec![shirts.id];
    let mut mug = product("Mug", "MUG-1", dec!(3), false);
    mug.status = ProductStatus::Draft;
    mug.created_at = at(5);
    let mut cap = product("Cap", "CAP-1", dec!(1), false);
    cap.created_at = at(10);
    for p in [&tee, &mug, &cap] {
        assert_eq!(&store.put_product(p.clone()).await.unwrap(), p);
    }
    assert_eq!(store.get_product(tee.id).await.unwrap(), tee);
    assert_eq!(
        store.get_product_by_slug("classic-tee").await.unwrap().id,
        tee.id
    );
    assert_eq!(
        store.find_product_by_sku("tee-m").await.unwrap().id,
        tee.id,
        "SKU lookup is case-insensitive"
    );

    let all = store
        .list_products(&ProductFilter::default())
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![tee.id, mug.id, cap.id],
        "oldest first"
    );
    let active = ProductFilter {
        status: Some(ProductStatus::Active),
        ..ProductFilter::default()
    };
    assert_eq!(store.list_products(&active).await.unwrap().len(), 2);
    let in_shirts = ProductFilter {
        category_id: Some(shirts.id),
        ..ProductFilter::default()
    };
    assert_eq!(
        store
            .list_products(&in_shirts)
            .await
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect::<Vec<_>>(),
        vec![tee.id]
    );
    let second_page = ProductFilter {
        page: Page {
            offset: 1,
            limit: 1,
        },
        ..ProductFilter::default()
    };
    assert_eq!(
        store
            .list_products(&second_page)
            .await
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect::<Vec<_>>(),
        vec![mug.id]
    );

    store.delete_product(mug.id).await.unwrap();
    assert!(matches!(
        store.get_product(mug.id).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.find_product_by_sku("MUG-1").await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.get_product_by_slug("mug").await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.delete_product(mug.id).await,
        Err(StorageError::NotFound { .. })
    ));

    let changes: Vec<(ProductId, bool)> = all_events(&store)
        .await
        .into_iter()
        .filter_map(|e| match e.payload {
            EventPayload::ProductChanged {
                product_id,
                deleted,
            } => Some((product_id, deleted)),
            _ => None,
        })
        .collect();
    assert_eq!(
        changes,
        vec![
            (tee.id, false),
            (mug.id, false),
            (cap.id, false),
            (mug.id, true)
        ]
    );
}

/// A slug or SKU owned by another product is a conflict; the product's own are not.
pub async fn catalog_refuses_taken_slugs_and_skus(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let tee = product("Classic Tee", "TEE-M", dec!(5), false);
    store.put_product(tee.clone()).await.unwrap();
    let same_slug = product("Classic Tee", "OTHER-1", dec!(5), false);
    assert!(matches!(
        store.put_product(same_slug).await,
        Err(StorageError::Conflict { .. })
    ));
    let same_sku = product("Another Tee", "tee-m", dec!(5), false);
    assert!(matches!(
        store.put_product(same_sku).await,
        Err(StorageError::Conflict { .. })
    ));
    let mut renamed = tee.clone();
    renamed.name = "Classic Tee v2".into();
    store.put_product(renamed).await.unwrap();
    assert_eq!(
        store
            .list_products(&ProductFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
}

/// Replacing a product does not overwrite stock sold in the meantime.
pub async fn catalog_replacing_a_product_keeps_its_stock(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let tee = product("Classic Tee", "TEE-M", dec!(5), false);
    store.put_product(tee.clone()).await.unwrap();
    store
        .place_order(draft(vec![line(&tee, dec!(2))], None), None)
        .await
        .unwrap();
    let mut edited = tee.clone();
    edited.description = "Heavier cotton".into();
    edited.variants[0].stock = dec!(5);
    let mut added = Variant::new("TEE-L", Currency::Usd, dec!(11.00));
    added.stock = dec!(7);
    edited.variants.push(added.clone());
    let stored = store.put_product(edited).await.unwrap();
    assert_eq!(stored.variants[0].stock, dec!(3));
    assert_eq!(
        store.get_product(tee.id).await.unwrap().description,
        "Heavier cotton"
    );
    assert_eq!(stock_of(&store, &tee).await, dec!(3));
    assert_eq!(store.stock_level(added.id).await.unwrap().stock, dec!(7));
}

/// put/list/delete of categories.
pub async fn catalog_categories_round_trip(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let clothing = Category::new("Clothing");
    let mut shirts = Category::child_of(clothing.id, "Shirts");
    store.put_category(clothing.clone()).await.unwrap();
    store.put_category(shirts.clone()).await.unwrap();
    let all = store.list_categories().await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(all.contains(&clothing) && all.contains(&shirts));
    shirts.name = "Tops".into();
    store.put_category(shirts.clone()).await.unwrap();
    assert!(store.list_categories().await.unwrap().contains(&shirts));
    store.delete_category(clothing.id).await.unwrap();
    assert_eq!(store.list_categories().await.unwrap(), vec![shirts]);
    assert!(matches!(
        store.delete_category(clothing.id).await,
        Err(StorageError::NotFound { .. })
    ));
}
