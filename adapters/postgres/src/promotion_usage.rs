//! Promotion redemption counts ([`PromotionUsageStore`]), total and per customer; written only
//! by checkout's `place_order` (see the `orders` module).

use async_trait::async_trait;
use merx_core::ids::UserId;
use merx_core::promotion::{PromotionUsage, PromotionUsageMap};
use merx_core::store::{PromotionUsageStore, StorageResult};
use sqlx::Row;

use crate::codec::{backend, to_u64};
use crate::PgStore;

#[async_trait]
impl PromotionUsageStore for PgStore {
    async fn promotion_usage(&self, customer: Option<UserId>) -> StorageResult<PromotionUsageMap> {
        let rows = sqlx::query(
            "SELECT u.promotion_id, u.total, coalesce(c.total, 0) AS by_customer
             FROM promotion_usage u
             LEFT JOIN promotion_customer_usage c
                 ON c.promotion_id = u.promotion_id AND c.customer_id = $1",
        )
        .bind(customer.map(|c| c.0))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|row| {
                Ok((
                    merx_core::ids::PromotionId(row.get("promotion_id")),
                    PromotionUsage {
                        total: to_u64(row.get("total"))?,
                        by_customer: to_u64(row.get("by_customer"))?,
                    },
                ))
            })
            .collect()
    }
}
