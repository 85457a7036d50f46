//! Promotion redemption counts, total and per customer; written only by checkout's
//! `place_order` (see the `orders` module).

use async_trait::async_trait;

use merx_core::ids::{PromotionId, UserId};
use merx_core::promotion::{PromotionUsage, PromotionUsageMap};
use merx_core::store::{PromotionUsageStore, StorageResult};

use crate::codec::{get_id, get_u64};
use crate::{backend, SqliteStore};

#[async_trait]
impl PromotionUsageStore for SqliteStore {
    async fn promotion_usage(&self, customer: Option<UserId>) -> StorageResult<PromotionUsageMap> {
        self.read(move |tx| {
            tx.prepare_cached(
                "SELECT u.promotion_id, u.total, COALESCE(c.uses, 0)
                 FROM promotion_usage u
                 LEFT JOIN promotion_customer_usage c
                   ON c.promotion_id = u.promotion_id AND c.customer_id = ?1",
            )
            .map_err(backend)?
            .query_map([customer.map(|c| c.to_string())], |r| {
                Ok((
                    get_id::<PromotionId>(r, 0)?,
                    PromotionUsage {
                        total: get_u64(r, 1)?,
                        by_customer: get_u64(r, 2)?,
                    },
                ))
            })
            .map_err(backend)?
            .collect::<rusqlite::Result<_>>()
            .map_err(backend)
        })
        .await
    }
}
