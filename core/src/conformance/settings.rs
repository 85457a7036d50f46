//! [`SettingsStore`](crate::store::SettingsStore): promotions, pricing settings and shipping
//! methods round-trip, and a stale pricing write is refused.

use std::sync::Arc;

use rust_decimal_macros::dec;

use crate::money::{Currency, RoundingMode};
use crate::shipping::ShippingMethod;
use crate::store::{PricingSettings, StorageError, Store};
use crate::tax::TaxSettings;

use super::fixtures::*;
use super::Spawn;

/// put/get/find-by-coupon/list/delete of promotions; coupon codes are unique.
pub async fn settings_promotions_round_trip(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let mut automatic = ten_percent(None);
    automatic.priority = 5;
    let coupon = ten_percent(Some("SAVE10"));
    store.put_promotion(automatic.clone()).await.unwrap();
    store.put_promotion(coupon.clone()).await.unwrap();
    assert_eq!(store.get_promotion(coupon.id).await.unwrap(), coupon);
    assert_eq!(
        store.find_promotion_by_coupon("SAVE10").await.unwrap().id,
        coupon.id
    );
    assert!(matches!(
        store.find_promotion_by_coupon("NOPE").await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.put_promotion(ten_percent(Some("SAVE10"))).await,
        Err(StorageError::Conflict { .. })
    ));
    let listed = store.list_promotions().await.unwrap();
    assert_eq!(listed.len(), 2);
    let mut changed = coupon.clone();
    changed.usage_limit = Some(3);
    store.put_promotion(changed.clone()).await.unwrap();
    assert_eq!(
        store.get_promotion(coupon.id).await.unwrap().usage_limit,
        Some(3)
    );
    store.delete_promotion(automatic.id).await.unwrap();
    assert!(matches!(
        store.get_promotion(automatic.id).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store.delete_promotion(automatic.id).await,
        Err(StorageError::NotFound { .. })
    ));
    assert_eq!(store.list_promotions().await.unwrap(), vec![changed]);
}

/// Pricing settings default until saved; shipping methods put/list/delete; `pricing_rules`.
pub async fn settings_pricing_and_shipping_round_trip(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    assert_eq!(
        store.pricing_settings().await.unwrap(),
        PricingSettings::default()
    );
    let settings = PricingSettings {
        tax: TaxSettings {
            prices_include_tax: true,
            ..TaxSettings::default()
        },
        rounding: RoundingMode::HalfEven,
        version: 0,
    };
    let saved = store
        .put_pricing_settings(settings.clone(), 0)
        .await
        .unwrap();
    assert_eq!(saved.version, 1);
    assert_eq!(
        store.pricing_settings().await.unwrap(),
        PricingSettings {
            version: 1,
            ..settings.clone()
        }
    );

    let ground = ShippingMethod::flat("Ground", Currency::Usd, dec!(5.00));
    let express = ShippingMethod::flat("Express", Currency::Usd, dec!(15.00));
    store.put_shipping_method(ground.clone()).await.unwrap();
    store.put_shipping_method(express.clone()).await.unwrap();
    let methods = store.list_shipping_methods().await.unwrap();
    assert_eq!(methods.len(), 2);
    store.delete_shipping_method(express.id).await.unwrap();
    assert!(matches!(
        store.delete_shipping_method(express.id).await,
        Err(StorageError::NotFound { .. })
    ));

    let promotion = ten_percent(None);
    store.put_promotion(promotion.clone()).await.unwrap();
    let rules = store.pricing_rules().await.unwrap();
    assert_eq!(rules.promotions, vec![promotion]);
    assert_eq!(rules.shipping_methods, vec![ground]);
    assert_eq!(rules.tax, settings.tax);
    assert_eq!(rules.rounding, RoundingMode::HalfEven);
}

/// Pricing settings are written conditionally on the version read: a write based on a version
/// that is no longer current is `conflict` and changes nothing, whatever version it claims.
pub async fn settings_refuse_a_stale_pricing_write(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let first = PricingSettings {
        rounding: RoundingMode::HalfEven,
        ..PricingSettings::default()
    };
    let first = store.put_pricing_settings(first, 0).await.unwrap();
    assert_eq!(first.version, 1);
    let second = PricingSettings {
        tax: TaxSettings {
            shipping_taxable: true,
            ..first.tax.clone()
        },
        ..first.clone()
    };
    let second = store.put_pricing_settings(second, 1).await.unwrap();
    assert_eq!(second.version, 2);

    // A writer that read version 1 (or never read at all) lost the race.
    for stale in [0, 1, 3] {
        let lost = PricingSettings {
            tax: TaxSettings {
                prices_include_tax: true,
                ..TaxSettings::default()
            },
            rounding: RoundingMode::Down,
            version: 2,
        };
        assert!(
            matches!(
                store.put_pricing_settings(lost, stale).await,
                Err(StorageError::Conflict { .. })
            ),
            "a write based on version {stale} was accepted at version 2"
        );
    }
    assert_eq!(store.pricing_settings().await.unwrap(), second);
    assert_eq!(store.pricing_rules().await.unwrap().tax, second.tax);

    let third = store.put_pricing_settings(second.clone(), 2).await.unwrap();
    assert_eq!(third.version, 3);
    assert_eq!(store.pricing_settings().await.unwrap(), third);
}
