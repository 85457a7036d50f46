//! The pricing settings a shop keeps apart from its lists of promotions, rates and shipping
//! methods: tax configuration and the rounding mode, versioned so two admins' writes cannot
//! silently overwrite each other.

use serde::{Deserialize, Serialize};

use crate::model::tax::TaxSettings;
use crate::money::RoundingMode;

/// The entity name of [`PricingSettings`] in errors.
pub const PRICING_SETTINGS_ENTITY: &str = "pricing settings";

/// Pricing settings that are not lists: tax configuration and the rounding mode.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PricingSettings {
    /// Tax rates and modes.
    #[serde(default)]
    pub tax: TaxSettings,
    /// How line amounts and discounts are rounded.
    #[serde(default)]
    pub rounding: RoundingMode,
    /// Counts the writes: 0 until the settings are first saved, one more with each save. A write
    /// names the version it was based on and is refused once that is no longer current.
    #[serde(default)]
    pub version: u64,
}
