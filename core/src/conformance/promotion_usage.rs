//! [`PromotionUsageStore`](crate::store::PromotionUsageStore): usage limits hold when checkouts
//! race.

use std::sync::{Arc, Mutex};

use rust_decimal_macros::dec;

use crate::ids::UserId;
use crate::order::PromotionRedemption;
use crate::store::{StorageError, Store};
use crate::ErrorCode;

use super::fixtures::*;
use super::Spawn;

/// A coupon with a total limit of 1 raced by 8 checkouts is redeemed once; a per-customer limit
/// holds for that customer only.
pub async fn promotion_usage_limits_hold_under_races(store: Arc<dyn Store>, spawn: Spawn<'_>) {
    let tee = product("Classic Tee", "TEE-M", dec!(100), false);
    store.put_product(tee.clone()).await.unwrap();
    let once = ten_percent(Some("ONCE"));
    store.put_promotion(once.clone()).await.unwrap();
    let results = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        let results = results.clone();
        let mut d = draft(vec![line(&tee, dec!(1))], None);
        d.redemptions = vec![PromotionRedemption {
            promotion_id: once.id,
            coupon_code: Some("ONCE".into()),
            usage_limit: Some(1),
            per_customer_limit: None,
        }];
        tasks.push(spawn(Box::pin(async move {
            let outcome = store.place_order(d, None).await;
            results.lock().expect("results lock").push(outcome);
        })));
    }
    for task in tasks {
        task.await;
    }
    let results = std::mem::take(&mut *results.lock().expect("results lock"));
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    for refused in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            matches!(
                refused,
                StorageError::PromotionUsageLimit {
                    per_customer: false,
                    ..
                }
            ),
            "{refused:?}"
        );
        assert_eq!(refused.code(), ErrorCode::CouponUsageLimit);
    }
    assert_eq!(
        stock_of(&store, &tee).await,
        dec!(99),
        "refused checkouts reserve nothing"
    );
    assert_eq!(
        store.promotion_usage(None).await.unwrap()[&once.id].total,
        1
    );

    let per_customer = ten_percent(Some("MINE"));
    store.put_promotion(per_customer.clone()).await.unwrap();
    let redemption = PromotionRedemption {
        promotion_id: per_customer.id,
        coupon_code: Some("MINE".into()),
        usage_limit: None,
        per_customer_limit: Some(1),
    };
    let (alice, bob) = (UserId::new(), UserId::new());
    for (customer, expect_ok) in [(alice, true), (alice, false), (bob, true)] {
        let mut d = draft(vec![line(&tee, dec!(1))], Some(customer));
        d.redemptions = vec![redemption.clone()];
        let outcome = store.place_order(d, None).await;
        if expect_ok {
            outcome.unwrap();
        } else {
            assert!(matches!(
                outcome,
                Err(StorageError::PromotionUsageLimit {
                    per_customer: true,
                    ..
                })
            ));
        }
    }
    assert_eq!(
        store.promotion_usage(Some(alice)).await.unwrap()[&per_customer.id].by_customer,
        1
    );
    assert_eq!(
        store.promotion_usage(None).await.unwrap()[&per_customer.id].total,
        2
    );
}
