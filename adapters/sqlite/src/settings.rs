//! Promotions, pricing settings and shipping methods.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};

use merx_core::ids::{PromotionId, ShippingMethodId};
use merx_core::promotion::Promotion;
use merx_core::shipping::ShippingMethod;
use merx_core::store::{PricingSettings, SettingsStore, StorageError, StorageResult};

use crate::codec::{get_id, get_json, get_opt_json, get_wire, int, json, wire};
use crate::{backend, is_unique_violation, SqliteStore};

const PROMOTION_COLUMNS: &str = "id, name, description, coupon_code, active, effect, conditions, \
                                 usage_limit, per_customer_limit, priority, exclusive";

fn promotion_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Promotion> {
    let limit = |i: usize| -> rusqlite::Result<Option<u64>> {
        Ok(r.get::<_, Option<i64>>(i)?.map(|v| v.max(0) as u64))
    };
    Ok(Promotion {
        id: get_id(r, 0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        coupon_code: r.get(3)?,
        active: r.get(4)?,
        effect: get_json(r, 5)?,
        conditions: get_json(r, 6)?,
        usage_limit: limit(7)?,
        per_customer_limit: limit(8)?,
        priority: r.get(9)?,
        exclusive: r.get(10)?,
    })
}

fn load_promotion_where(
    tx: &Connection,
    condition: &str,
    key: &str,
) -> StorageResult<Option<Promotion>> {
    let sql = format!("SELECT {PROMOTION_COLUMNS} FROM promotions WHERE {condition}");
    tx.prepare_cached(&sql)
        .map_err(backend)?
        .query_row([key], promotion_from_row)
        .optional()
        .map_err(backend)
}

fn delete_by_id(tx: &Connection, sql: &str, id: String, entity: &'static str) -> StorageResult<()> {
    let deleted = tx
        .prepare_cached(sql)
        .map_err(backend)?
        .execute([&id])
        .map_err(backend)?;
    if deleted == 0 {
        return Err(StorageError::not_found(entity, id));
    }
    Ok(())
}

#[async_trait]
impl SettingsStore for SqliteStore {
    async fn put_promotion(&self, promotion: Promotion) -> StorageResult<Promotion> {
        self.write(move |tx| {
            let p = &promotion;
            tx.prepare_cached(
                "INSERT INTO promotions (id, name, description, coupon_code, active, effect,
                     conditions, usage_limit, per_customer_limit, priority, exclusive)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name,
                     description = excluded.description, coupon_code = excluded.coupon_code,
                     active = excluded.active, effect = excluded.effect,
                     conditions = excluded.conditions, usage_limit = excluded.usage_limit,
                     per_customer_limit = excluded.per_customer_limit,
                     priority = excluded.priority, exclusive = excluded.exclusive",
            )
            .map_err(backend)?
            .execute(params![
                p.id.to_string(),
                p.name,
                p.description,
                p.coupon_code,
                p.active,
                json(&p.effect)?,
                json(&p.conditions)?,
                p.usage_limit.map(int),
                p.per_customer_limit.map(int),
                p.priority,
                p.exclusive,
            ])
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StorageError::conflict(
                        PromotionId::ENTITY,
                        format!(
                            "coupon code `{}` is taken",
                            p.coupon_code.as_deref().unwrap_or_default()
                        ),
                    )
                } else {
                    backend(e)
                }
            })?;
            Ok(promotion)
        })
        .await
    }

    async fn get_promotion(&self, id: PromotionId) -> StorageResult<Promotion> {
        self.read(move |tx| {
            load_promotion_where(tx, "id = ?1", &id.to_string())?
                .ok_or_else(|| StorageError::not_found(PromotionId::ENTITY, id))
        })
        .await
    }

    async fn find_promotion_by_coupon(&self, code: &str) -> StorageResult<Promotion> {
        let code = code.to_string();
        self.read(move |tx| {
            load_promotion_where(tx, "coupon_code = ?1", &code)?
                .ok_or_else(|| StorageError::not_found("coupon", &code))
        })
        .await
    }

    async fn list_promotions(&self) -> StorageResult<Vec<Promotion>> {
        self.read(|tx| {
            let sql = format!("SELECT {PROMOTION_COLUMNS} FROM promotions ORDER BY priority, id");
            tx.prepare_cached(&sql)
                .map_err(backend)?
                .query_map([], promotion_from_row)
                .map_err(backend)?
                .collect::<rusqlite::Result<_>>()
                .map_err(backend)
        })
        .await
    }

    async fn delete_promotion(&self, id: PromotionId) -> StorageResult<()> {
        self.write(move |tx| {
            delete_by_id(
                tx,
                "DELETE FROM promotions WHERE id = ?1",
                id.to_string(),
                PromotionId::ENTITY,
            )
        })
        .await
    }

    async fn pricing_settings(&self) -> StorageResult<PricingSettings> {
        self.read(|tx| {
            let stored = tx
                .prepare_cached("SELECT tax, rounding, version FROM pricing_settings WHERE id = 1")
                .map_err(backend)?
                .query_row([], |r| {
                    Ok(PricingSettings {
                        tax: get_json(r, 0)?,
                        rounding: get_wire(r, 1)?,
                        version: r.get::<_, i64>(2)?.max(0) as u64,
                    })
                })
                .optional()
                .map_err(backend)?;
            Ok(stored.unwrap_or_default())
        })
        .await
    }

    async fn put_pricing_settings(
        &self,
        mut settings: PricingSettings,
        expected_version: u64,
    ) -> StorageResult<PricingSettings> {
        self.write(move |tx| {
            let next = expected_version.saturating_add(1);
            let tax = json(&settings.tax)?;
            let rounding = wire(&settings.rounding)?;
            // The row is absent until the first save, so version 0 is "insert if still absent".
            let written = if expected_version == 0 {
                tx.prepare_cached(
                    "INSERT INTO pricing_settings (id, tax, rounding, version)
                     VALUES (1, ?1, ?2, 1) ON CONFLICT (id) DO NOTHING",
                )
                .map_err(backend)?
                .execute(params![tax, rounding])
            } else {
                tx.prepare_cached(
                    "UPDATE pricing_settings SET tax = ?1, rounding = ?2, version = ?3
                     WHERE id = 1 AND version = ?4",
                )
                .map_err(backend)?
                .execute(params![tax, rounding, int(next), int(expected_version)])
            }
            .map_err(backend)?;
            if written == 0 {
                return Err(StorageError::stale_pricing_settings(expected_version));
            }
            settings.version = next;
            Ok(settings)
        })
        .await
    }

    async fn put_shipping_method(&self, method: ShippingMethod) -> StorageResult<ShippingMethod> {
        self.write(move |tx| {
            let m = &method;
            tx.prepare_cached(
                "INSERT INTO shipping_methods (id, name, countries, rate, free_over, tax_class, active)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name,
                     countries = excluded.countries, rate = excluded.rate,
                     free_over = excluded.free_over, tax_class = excluded.tax_class,
                     active = excluded.active",
            )
            .map_err(backend)?
            .execute(params![
                m.id.to_string(),
                m.name,
                json(&m.countries)?,
                json(&m.rate)?,
                m.free_over.as_ref().map(json).transpose()?,
                m.tax_class,
                m.active,
            ])
            .map_err(backend)?;
            Ok(method)
        })
        .await
    }

    async fn list_shipping_methods(&self) -> StorageResult<Vec<ShippingMethod>> {
        self.read(|tx| {
            tx.prepare_cached(
                "SELECT id, name, countries, rate, free_over, tax_class, active
                 FROM shipping_methods ORDER BY name, id",
            )
            .map_err(backend)?
            .query_map([], |r| {
                Ok(ShippingMethod {
                    id: get_id(r, 0)?,
                    name: r.get(1)?,
                    countries: get_json(r, 2)?,
                    rate: get_json(r, 3)?,
                    free_over: get_opt_json(r, 4)?,
                    tax_class: r.get(5)?,
                    active: r.get(6)?,
                })
            })
            .map_err(backend)?
            .collect::<rusqlite::Result<_>>()
            .map_err(backend)
        })
        .await
    }

    async fn delete_shipping_method(&self, id: ShippingMethodId) -> StorageResult<()> {
        self.write(move |tx| {
            delete_by_id(
                tx,
                "DELETE FROM shipping_methods WHERE id = ?1",
                id.to_string(),
                ShippingMethodId::ENTITY,
            )
        })
        .await
    }
}
