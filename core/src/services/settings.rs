//! Store configuration: promotions and coupon codes, tax settings and rates, rounding, shipping
//! methods. Admins (and the system) only; every write is validated (and normalized, e.g. coupon
//! codes and country codes) by the type's own `validate` before it reaches the store.
//!
//! Tax settings, tax rates and rounding are one record, [`PricingSettings`], written whole. It
//! carries a version that every write checks and moves on, so two admins editing it at once cannot
//! silently overwrite each other: a write based on a version that is no longer current is
//! `conflict` and changes nothing. A whole-record write ([`SettingsService::put_pricing_settings`])
//! is based on the version its caller read; the tax-rate operations change one rate in the
//! current record, so they re-read and retry when another write got in between, which loses
//! nothing because each touches only its own rate.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::ids::{PromotionId, ShippingMethodId, TaxRateId};
use crate::principal::Principal;
use crate::promotion::Promotion;
use crate::shipping::ShippingMethod;
use crate::store::{PricingSettings, StorageError, Store};
use crate::tax::TaxRate;

/// How often a tax-rate change re-reads the settings after losing a race to another write. Each
/// loss means another write succeeded, so this bounds the time spent under a write storm rather
/// than expecting one to happen.
const TAX_RATE_ATTEMPTS: usize = 5;

/// Store settings.
#[derive(Clone, Debug)]
pub struct SettingsService {
    store: Arc<dyn Store>,
}

fn require_admin(principal: &Principal) -> Result<()> {
    principal.require_admin("change store settings")
}

impl SettingsService {
    /// A service over `store`.
    pub fn new(store: Arc<dyn Store>) -> SettingsService {
        SettingsService { store }
    }

    /// Every promotion.
    pub async fn promotions(&self, principal: &Principal) -> Result<Vec<Promotion>> {
        require_admin(principal)?;
        Ok(self.store.list_promotions().await?)
    }

    /// One promotion.
    pub async fn promotion(&self, principal: &Principal, id: PromotionId) -> Result<Promotion> {
        require_admin(principal)?;
        Ok(self.store.get_promotion(id).await?)
    }

    /// Creates a promotion with a fresh id.
    pub async fn create_promotion(
        &self,
        principal: &Principal,
        mut promotion: Promotion,
    ) -> Result<Promotion> {
        promotion.id = PromotionId::new();
        self.put_promotion(principal, promotion).await
    }

    /// Replaces the promotion `id`.
    pub async fn update_promotion(
        &self,
        principal: &Principal,
        id: PromotionId,
        mut promotion: Promotion,
    ) -> Result<Promotion> {
        require_admin(principal)?;
        self.store.get_promotion(id).await?;
        promotion.id = id;
        self.put_promotion(principal, promotion).await
    }

    /// Creates the promotion under its own id or replaces the one stored with it: for callers
    /// that choose their ids, such as a program embedding the engine.
    pub async fn put_promotion(
        &self,
        principal: &Principal,
        mut promotion: Promotion,
    ) -> Result<Promotion> {
        require_admin(principal)?;
        promotion.validate()?;
        Ok(self.store.put_promotion(promotion).await?)
    }

    /// Deletes a promotion.
    pub async fn delete_promotion(&self, principal: &Principal, id: PromotionId) -> Result<()> {
        require_admin(principal)?;
        Ok(self.store.delete_promotion(id).await?)
    }

    /// Tax settings (with rates) and rounding, with the version a write must name.
    pub async fn pricing_settings(&self, principal: &Principal) -> Result<PricingSettings> {
        require_admin(principal)?;
        Ok(self.store.pricing_settings().await?)
    }

    /// Replaces tax settings and rounding. `settings.version` is the version the caller read; if
    /// another write has happened since, the write is `conflict` and changes nothing.
    pub async fn put_pricing_settings(
        &self,
        principal: &Principal,
        mut settings: PricingSettings,
    ) -> Result<PricingSettings> {
        require_admin(principal)?;
        settings.tax.validate()?;
        let read_version = settings.version;
        Ok(self
            .store
            .put_pricing_settings(settings, read_version)
            .await?)
    }

    /// Applies `change` to the current settings and writes them, re-reading and re-applying when
    /// another write lands in between.
    async fn change_pricing_settings<T>(
        &self,
        principal: &Principal,
        change: impl Fn(&mut PricingSettings) -> Result<T>,
    ) -> Result<T> {
        require_admin(principal)?;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut settings = self.store.pricing_settings().await?;
            let read_version = settings.version;
            let outcome = change(&mut settings)?;
            settings.tax.validate()?;
            match self
                .store
                .put_pricing_settings(settings, read_version)
                .await
            {
                Ok(_) => return Ok(outcome),
                Err(StorageError::Conflict { .. }) if attempts < TAX_RATE_ATTEMPTS => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Adds a tax rate with a fresh id.
    pub async fn create_tax_rate(&self, principal: &Principal, rate: TaxRate) -> Result<TaxRate> {
        let id = TaxRateId::new();
        self.change_pricing_settings(principal, |settings| {
            let mut rate = TaxRate { id, ..rate.clone() };
            rate.validate()?;
            settings.tax.rates.push(rate.clone());
            Ok(rate)
        })
        .await
    }

    /// Replaces the tax rate `id`.
    pub async fn update_tax_rate(
        &self,
        principal: &Principal,
        id: TaxRateId,
        rate: TaxRate,
    ) -> Result<TaxRate> {
        self.change_pricing_settings(principal, |settings| {
            let stored = rate_mut(settings, id)?;
            let mut rate = TaxRate { id, ..rate.clone() };
            rate.validate()?;
            *stored = rate.clone();
            Ok(rate)
        })
        .await
    }

    /// Deletes the tax rate `id`.
    pub async fn delete_tax_rate(&self, principal: &Principal, id: TaxRateId) -> Result<()> {
        self.change_pricing_settings(principal, |settings| {
            rate_mut(settings, id)?;
            settings.tax.rates.retain(|rate| rate.id != id);
            Ok(())
        })
        .await
    }

    /// Shipping methods; shoppers see the active ones through the priced cart's options.
    pub async fn shipping_methods(&self) -> Result<Vec<ShippingMethod>> {
        Ok(self.store.list_shipping_methods().await?)
    }

    /// Creates a shipping method with a fresh id.
    pub async fn create_shipping_method(
        &self,
        principal: &Principal,
        mut method: ShippingMethod,
    ) -> Result<ShippingMethod> {
        method.id = ShippingMethodId::new();
        self.put_shipping_method(principal, method).await
    }

    /// Replaces the shipping method `id`.
    pub async fn update_shipping_method(
        &self,
        principal: &Principal,
        id: ShippingMethodId,
        mut method: ShippingMethod,
    ) -> Result<ShippingMethod> {
        require_admin(principal)?;
        let exists = self
            .store
            .list_shipping_methods()
            .await?
            .iter()
            .any(|m| m.id == id);
        if !exists {
            return Err(StorageError::not_found(ShippingMethodId::ENTITY, id).into());
        }
        method.id = id;
        self.put_shipping_method(principal, method).await
    }

    /// Creates the shipping method under its own id or replaces the one stored with it: for
    /// callers that choose their ids, such as a program embedding the engine.
    pub async fn put_shipping_method(
        &self,
        principal: &Principal,
        mut method: ShippingMethod,
    ) -> Result<ShippingMethod> {
        require_admin(principal)?;
        method.validate()?;
        Ok(self.store.put_shipping_method(method).await?)
    }

    /// Deletes a shipping method.
    pub async fn delete_shipping_method(
        &self,
        principal: &Principal,
        id: ShippingMethodId,
    ) -> Result<()> {
        require_admin(principal)?;
        Ok(self.store.delete_shipping_method(id).await?)
    }
}

fn rate_mut(settings: &mut PricingSettings, id: TaxRateId) -> Result<&mut TaxRate> {
    settings
        .tax
        .rates
        .iter_mut()
        .find(|rate| rate.id == id)
        .ok_or_else(|| Error::NotFound {
            entity: TaxRateId::ENTITY,
            id: id.to_string(),
        })
}
