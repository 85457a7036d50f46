//! [`InventoryStore`](crate::store::InventoryStore): stock adjustments never go below zero without
//! backorders, and each change appends its event.

use std::sync::Arc;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::event::EventPayload;
use crate::ids::VariantId;
use crate::store::{StorageError, Store};

use super::fixtures::*;
use super::Spawn;

/// `stock_level` and `adjust_stock`, the zero floor, backorders and `InventoryUpdated`.
pub async fn inventory_adjustments_never_go_below_zero_without_backorder(
    store: Arc<dyn Store>,
    _spawn: Spawn<'_>,
) {
    let tee = product("Classic Tee", "TEE-M", dec!(2), false);
    let pre = product("Preorder", "PRE-1", dec!(0), true);
    store.put_product(tee.clone()).await.unwrap();
    store.put_product(pre.clone()).await.unwrap();
    let level = store.stock_level(tee.variants[0].id).await.unwrap();
    assert_eq!(
        (
            level.product_id,
            level.sku.as_str(),
            level.stock,
            level.allow_backorder
        ),
        (tee.id, "TEE-M", dec!(2), false)
    );

    assert_eq!(
        store
            .adjust_stock(tee.variants[0].id, dec!(3))
            .await
            .unwrap()
            .stock,
        dec!(5)
    );
    assert_eq!(
        store
            .adjust_stock(tee.variants[0].id, dec!(-5))
            .await
            .unwrap()
            .stock,
        dec!(0)
    );
    let refused = store.adjust_stock(tee.variants[0].id, dec!(-1)).await;
    assert!(
        matches!(refused, Err(StorageError::OutOfStock { requested, available, .. }) if requested == dec!(1) && available == dec!(0))
    );
    assert_eq!(stock_of(&store, &tee).await, dec!(0));
    assert_eq!(
        store
            .adjust_stock(pre.variants[0].id, dec!(-4))
            .await
            .unwrap()
            .stock,
        dec!(-4)
    );
    assert!(matches!(
        store.stock_level(VariantId::new()).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.adjust_stock(VariantId::new(), dec!(1)).await,
        Err(StorageError::NotFound { .. })
    ));

    let updates: Vec<Decimal> = all_events(&store)
        .await
        .into_iter()
        .filter_map(|e| match e.payload {
            EventPayload::InventoryUpdated { stock, .. } => Some(stock),
            _ => None,
        })
        .collect();
    assert_eq!(
        updates,
        vec![dec!(5), dec!(0), dec!(-4)],
        "one event per applied adjustment, none for the refused one"
    );
}

/// `set_stock`: an absolute level in one write, the zero floor without backorders, fractional
/// measures, unknown variants and one `InventoryUpdated` per applied write.
pub async fn inventory_set_stock_replaces_the_level(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let tee = product("Classic Tee", "TEE-M", dec!(7), false);
    let pre = product("Preorder", "PRE-1", dec!(0), true);
    store.put_product(tee.clone()).await.unwrap();
    store.put_product(pre.clone()).await.unwrap();
    let tee_variant = tee.variants[0].id;

    let level = store.set_stock(tee_variant, dec!(25)).await.unwrap();
    assert_eq!((level.sku.as_str(), level.stock), ("TEE-M", dec!(25)));
    assert_eq!(
        store.set_stock(tee_variant, dec!(0)).await.unwrap().stock,
        dec!(0)
    );
    let refused = store.set_stock(tee_variant, dec!(-2)).await;
    assert!(
        matches!(refused, Err(StorageError::OutOfStock { requested, .. }) if requested == dec!(2)),
        "{refused:?}"
    );
    assert_eq!(stock_of(&store, &tee).await, dec!(0));
    assert_eq!(
        store
            .set_stock(pre.variants[0].id, dec!(-3))
            .await
            .unwrap()
            .stock,
        dec!(-3)
    );
    // Six decimals is what a sold-by-measure variant may carry; every store keeps them exactly.
    assert_eq!(
        store
            .set_stock(tee_variant, dec!(12.345678))
            .await
            .unwrap()
            .stock,
        dec!(12.345678)
    );
    assert_eq!(
        store.stock_level(tee_variant).await.unwrap().stock,
        dec!(12.345678)
    );
    assert!(matches!(
        store.set_stock(VariantId::new(), dec!(1)).await,
        Err(StorageError::NotFound { .. })
    ));
    // A later adjustment starts from the level that was set.
    assert_eq!(
        store
            .adjust_stock(tee_variant, dec!(-0.345678))
            .await
            .unwrap()
            .stock,
        dec!(12)
    );

    let updates: Vec<Decimal> = all_events(&store)
        .await
        .into_iter()
        .filter_map(|e| match e.payload {
            EventPayload::InventoryUpdated { stock, .. } => Some(stock),
            _ => None,
        })
        .collect();
    assert_eq!(
        updates,
        vec![dec!(25), dec!(0), dec!(-3), dec!(12.345678), dec!(12)],
        "one event per applied write, none for the refused or unknown ones"
    );
}
