//! Promotions, pricing settings and shipping methods ([`SettingsStore`]).

use async_trait::async_trait;
use merx_core::ids::{PromotionId, ShippingMethodId};
use merx_core::promotion::Promotion;
use merx_core::shipping::ShippingMethod;
use merx_core::store::{PricingSettings, SettingsStore, StorageError, StorageResult};
use sqlx::postgres::PgRow;
use sqlx::Row;

use crate::codec::{backend, from_json, to_i64, to_json, to_u64, unique_violation};
use crate::PgStore;

const PROMOTION_COLUMNS: &str = "id, name, description, coupon_code, active, effect, conditions,
    usage_limit, per_customer_limit, priority, exclusive";

fn promotion(row: PgRow) -> StorageResult<Promotion> {
    let limit = |column: &str| -> StorageResult<Option<u64>> {
        row.get::<Option<i64>, _>(column).map(to_u64).transpose()
    };
    Ok(Promotion {
        id: PromotionId(row.get("id")),
        name: row.get("name"),
        description: row.get("description"),
        coupon_code: row.get("coupon_code"),
        active: row.get("active"),
        effect: from_json(row.get("effect"))?,
        conditions: from_json(row.get("conditions"))?,
        usage_limit: limit("usage_limit")?,
        per_customer_limit: limit("per_customer_limit")?,
        priority: row.get("priority"),
        exclusive: row.get("exclusive"),
    })
}

#[async_trait]
impl SettingsStore for PgStore {
    async fn put_promotion(&self, promotion: Promotion) -> StorageResult<Promotion> {
        sqlx::query(
            "INSERT INTO promotions (id, name, description, coupon_code, active, effect, conditions,
                 usage_limit, per_customer_limit, priority, exclusive)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name,
                 description = excluded.description, coupon_code = excluded.coupon_code,
                 active = excluded.active, effect = excluded.effect,
                 conditions = excluded.conditions, usage_limit = excluded.usage_limit,
                 per_customer_limit = excluded.per_customer_limit,
                 priority = excluded.priority, exclusive = excluded.exclusive",
        )
        .bind(promotion.id.0)
        .bind(&promotion.name)
        .bind(&promotion.description)
        .bind(&promotion.coupon_code)
        .bind(promotion.active)
        .bind(to_json(&promotion.effect)?)
        .bind(to_json(&promotion.conditions)?)
        .bind(promotion.usage_limit.map(to_i64).transpose()?)
        .bind(promotion.per_customer_limit.map(to_i64).transpose()?)
        .bind(promotion.priority)
        .bind(promotion.exclusive)
        .execute(&self.pool)
        .await
        .map_err(|e| match unique_violation(&e) {
            Some(_) => StorageError::conflict(
                PromotionId::ENTITY,
                format!(
                    "coupon code `{}` is taken",
                    promotion.coupon_code.as_deref().unwrap_or_default()
                ),
            ),
            None => backend(e),
        })?;
        Ok(promotion)
    }

    async fn get_promotion(&self, id: PromotionId) -> StorageResult<Promotion> {
        sqlx::query(&format!(
            "SELECT {PROMOTION_COLUMNS} FROM promotions WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .map(promotion)
        .unwrap_or_else(|| Err(StorageError::not_found(PromotionId::ENTITY, id)))
    }

    async fn find_promotion_by_coupon(&self, code: &str) -> StorageResult<Promotion> {
        sqlx::query(&format!(
            "SELECT {PROMOTION_COLUMNS} FROM promotions WHERE coupon_code = $1"
        ))
        .bind(code)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .map(promotion)
        .unwrap_or_else(|| Err(StorageError::not_found("coupon", code)))
    }

    async fn list_promotions(&self) -> StorageResult<Vec<Promotion>> {
        sqlx::query(&format!(
            "SELECT {PROMOTION_COLUMNS} FROM promotions ORDER BY priority, id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .into_iter()
        .map(promotion)
        .collect()
    }

    async fn delete_promotion(&self, id: PromotionId) -> StorageResult<()> {
        delete_by_id(self, "DELETE FROM promotions WHERE id = $1", id.0, || {
            StorageError::not_found(PromotionId::ENTITY, id)
        })
        .await
    }

    async fn pricing_settings(&self) -> StorageResult<PricingSettings> {
        let stored = sqlx::query("SELECT settings, version FROM pricing_settings")
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        let Some(row) = stored else {
            return Ok(PricingSettings::default());
        };
        Ok(PricingSettings {
            version: to_u64(row.get("version"))?,
            ..from_json(row.get("settings"))?
        })
    }

    async fn put_pricing_settings(
        &self,
        mut settings: PricingSettings,
        expected_version: u64,
    ) -> StorageResult<PricingSettings> {
        let next = expected_version.saturating_add(1);
        let document = to_json(&settings)?;
        // The row is absent until the first save, so version 0 is "insert if still absent".
        let written = if expected_version == 0 {
            sqlx::query(
                "INSERT INTO pricing_settings (singleton, settings, version) VALUES (true, $1, 1)
                 ON CONFLICT (singleton) DO NOTHING",
            )
            .bind(document)
            .execute(&self.pool)
            .await
        } else {
            sqlx::query(
                "UPDATE pricing_settings SET settings = $1, version = $2
                 WHERE singleton AND version = $3",
            )
            .bind(document)
            .bind(to_i64(next)?)
            .bind(to_i64(expected_version)?)
            .execute(&self.pool)
            .await
        }
        .map_err(backend)?;
        if written.rows_affected() == 0 {
            return Err(StorageError::stale_pricing_settings(expected_version));
        }
        settings.version = next;
        Ok(settings)
    }

    async fn put_shipping_method(&self, method: ShippingMethod) -> StorageResult<ShippingMethod> {
        sqlx::query(
            "INSERT INTO shipping_methods (id, name, method) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, method = excluded.method",
        )
        .bind(method.id.0)
        .bind(&method.name)
        .bind(to_json(&method)?)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(method)
    }

    async fn list_shipping_methods(&self) -> StorageResult<Vec<ShippingMethod>> {
        sqlx::query_scalar::<_, serde_json::Value>(
            "SELECT method FROM shipping_methods ORDER BY name, id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .into_iter()
        .map(from_json)
        .collect()
    }

    async fn delete_shipping_method(&self, id: ShippingMethodId) -> StorageResult<()> {
        delete_by_id(
            self,
            "DELETE FROM shipping_methods WHERE id = $1",
            id.0,
            || StorageError::not_found(ShippingMethodId::ENTITY, id),
        )
        .await
    }
}

/// Runs a `DELETE ... WHERE id = $1`; `missing` when it deleted nothing.
pub(crate) async fn delete_by_id(
    store: &PgStore,
    sql: &'static str,
    id: uuid::Uuid,
    missing: impl FnOnce() -> StorageError,
) -> StorageResult<()> {
    let deleted = sqlx::query(sql)
        .bind(id)
        .execute(&store.pool)
        .await
        .map_err(backend)?
        .rows_affected();
    if deleted == 0 {
        return Err(missing());
    }
    Ok(())
}
