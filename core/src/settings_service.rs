//! Store configuration: promotions and coupon codes, tax settings and rates, rounding, shipping
//! methods. Admins only; every write is validated (and normalized, e.g. coupon codes and country
//! codes) by the type's own `validate` before it reaches the store.

use std::sync::Arc;

use crate::error::Result;
use crate::ids::{PromotionId, ShippingMethodId};
use crate::promotion::Promotion;
use crate::shipping::ShippingMethod;
use crate::store::{PricingSettings, StorageError, Store};
use crate::user::{Role, User};

/// Store settings.
#[derive(Clone, Debug)]
pub struct SettingsService {
    store: Arc<dyn Store>,
}

fn require_admin(user: &User) -> Result<()> {
    user.require_any_role(&[Role::Admin], "change store settings")
}

impl SettingsService {
    /// A service over `store`.
    pub fn new(store: Arc<dyn Store>) -> SettingsService {
        SettingsService { store }
    }

    /// Every promotion.
    pub async fn promotions(&self, admin: &User) -> Result<Vec<Promotion>> {
        require_admin(admin)?;
        Ok(self.store.list_promotions().await?)
    }

    /// One promotion.
    pub async fn promotion(&self, admin: &User, id: PromotionId) -> Result<Promotion> {
        require_admin(admin)?;
        Ok(self.store.get_promotion(id).await?)
    }

    /// Creates a promotion with a fresh id.
    pub async fn create_promotion(
        &self,
        admin: &User,
        mut promotion: Promotion,
    ) -> Result<Promotion> {
        require_admin(admin)?;
        promotion.id = PromotionId::new();
        promotion.validate()?;
        Ok(self.store.put_promotion(promotion).await?)
    }

    /// Replaces the promotion `id`.
    pub async fn update_promotion(
        &self,
        admin: &User,
        id: PromotionId,
        mut promotion: Promotion,
    ) -> Result<Promotion> {
        require_admin(admin)?;
        self.store.get_promotion(id).await?;
        promotion.id = id;
        promotion.validate()?;
        Ok(self.store.put_promotion(promotion).await?)
    }

    /// Deletes a promotion.
    pub async fn delete_promotion(&self, admin: &User, id: PromotionId) -> Result<()> {
        require_admin(admin)?;
        Ok(self.store.delete_promotion(id).await?)
    }

    /// Tax settings (with rates) and rounding.
    pub async fn pricing_settings(&self, admin: &User) -> Result<PricingSettings> {
        require_admin(admin)?;
        Ok(self.store.pricing_settings().await?)
    }

    /// Replaces tax settings and rounding.
    pub async fn put_pricing_settings(
        &self,
        admin: &User,
        mut settings: PricingSettings,
    ) -> Result<PricingSettings> {
        require_admin(admin)?;
        settings.tax.validate()?;
        Ok(self.store.put_pricing_settings(settings).await?)
    }

    /// Shipping methods; shoppers see the active ones through the priced cart's options.
    pub async fn shipping_methods(&self) -> Result<Vec<ShippingMethod>> {
        Ok(self.store.list_shipping_methods().await?)
    }

    /// Creates a shipping method with a fresh id.
    pub async fn create_shipping_method(
        &self,
        admin: &User,
        mut method: ShippingMethod,
    ) -> Result<ShippingMethod> {
        require_admin(admin)?;
        method.id = ShippingMethodId::new();
        method.validate()?;
        Ok(self.store.put_shipping_method(method).await?)
    }

    /// Replaces the shipping method `id`.
    pub async fn update_shipping_method(
        &self,
        admin: &User,
        id: ShippingMethodId,
        mut method: ShippingMethod,
    ) -> Result<ShippingMethod> {
        require_admin(admin)?;
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
        method.validate()?;
        Ok(self.store.put_shipping_method(method).await?)
    }

    /// Deletes a shipping method.
    pub async fn delete_shipping_method(&self, admin: &User, id: ShippingMethodId) -> Result<()> {
        require_admin(admin)?;
        Ok(self.store.delete_shipping_method(id).await?)
    }
}
