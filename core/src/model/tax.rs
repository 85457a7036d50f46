//! Tax configuration: rates by country, region and tax class, and the store's tax modes.
//!
//! Every rate whose country matches, whose region is absent or matches, and whose class matches
//! the line's tax class applies; several rates stack (Canada's GST plus a province's PST) and each
//! is reported on its own. How tax is computed and rounded is in [`crate::pricing`].

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::TaxRateId;
use crate::money::RoundingMode;
use crate::text::check_text;

/// One tax rate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TaxRate {
    /// Identifier.
    #[serde(default)]
    pub id: TaxRateId,
    /// Name on invoices ("VAT", "GST", "CA sales tax").
    pub name: String,
    /// ISO-3166 alpha-2 country code, uppercase.
    pub country: String,
    /// Region (state, province) code; `None` for the whole country.
    #[serde(default)]
    pub region: Option<String>,
    /// Tax class it applies to ("standard", "reduced", "shipping").
    #[serde(default = "crate::catalog::default_tax_class")]
    pub tax_class: String,
    /// The rate in percent (20 means 20%).
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub percent: Decimal,
}

impl TaxRate {
    /// A country-wide rate for `tax_class`.
    pub fn new(name: &str, country: &str, tax_class: &str, percent: Decimal) -> TaxRate {
        TaxRate {
            id: TaxRateId::new(),
            name: name.to_string(),
            country: country.to_ascii_uppercase(),
            region: None,
            tax_class: tax_class.to_string(),
            percent,
        }
    }

    /// Whether the rate applies to this destination and class.
    pub fn applies(&self, country: &str, region: Option<&str>, tax_class: &str) -> bool {
        self.country == country
            && self.tax_class == tax_class
            && match &self.region {
                None => true,
                Some(r) => region.is_some_and(|given| given.eq_ignore_ascii_case(r)),
            }
    }

    /// Checks and normalizes the rate.
    pub fn validate(&mut self) -> Result<()> {
        self.country = normalize_country(&self.country)?;
        check_text("name", &self.name)?;
        check_text("taxClass", &self.tax_class)?;
        if self.name.trim().is_empty() {
            return Err(Error::validation("name", "a tax rate needs a name"));
        }
        if self.percent.is_sign_negative() || self.percent > Decimal::ONE_HUNDRED {
            return Err(Error::validation(
                "percent",
                "percent must be between 0 and 100",
            ));
        }
        if self.percent.normalize().scale() > crate::promotion::MAX_PERCENT_DECIMALS {
            return Err(Error::validation(
                "percent",
                format!(
                    "percent has at most {} decimals",
                    crate::promotion::MAX_PERCENT_DECIMALS
                ),
            ));
        }
        if self.tax_class.trim().is_empty() {
            return Err(Error::validation("taxClass", "tax class must not be empty"));
        }
        if let Some(r) = &self.region {
            check_text("region", r)?;
            if r.trim().is_empty() {
                self.region = None;
            } else {
                self.region = Some(r.trim().to_ascii_uppercase());
            }
        }
        Ok(())
    }
}

/// Re-exported where it first lived, so callers of `tax::normalize_country` keep compiling.
pub use crate::country::normalize_country;

/// Whether tax is computed and rounded per line, or once per rate over the whole order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TaxCalculation {
    /// Each line's tax is rounded on its own (the usual European practice).
    #[default]
    PerLine,
    /// Tax is computed once per rate over the sum of the lines it applies to, then allocated back
    /// to the lines by largest remainder (US sales-tax engines, Japanese qualified invoices).
    PerRate,
}

impl TaxCalculation {
    /// Every mode.
    pub const ALL: [TaxCalculation; 2] = [TaxCalculation::PerLine, TaxCalculation::PerRate];
}

/// The store's tax settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TaxSettings {
    /// Whether catalog prices (and shipping amounts) already include tax.
    #[serde(default)]
    pub prices_include_tax: bool,
    /// Whether shipping is taxed.
    #[serde(default)]
    pub shipping_taxable: bool,
    /// Tax class of shipping when a method does not name one.
    #[serde(default = "crate::catalog::default_tax_class")]
    pub shipping_tax_class: String,
    /// Per line or per rate.
    #[serde(default)]
    pub calculation: TaxCalculation,
    /// How tax amounts are rounded (truncation is common for Japanese consumption tax).
    #[serde(default)]
    pub rounding: RoundingMode,
    /// Country used when the cart has no shipping address yet.
    #[serde(default)]
    pub default_country: Option<String>,
    /// Region used with the default country.
    #[serde(default)]
    pub default_region: Option<String>,
    /// All rates.
    #[serde(default)]
    pub rates: Vec<TaxRate>,
}

impl Default for TaxSettings {
    fn default() -> Self {
        TaxSettings {
            prices_include_tax: false,
            shipping_taxable: false,
            shipping_tax_class: crate::catalog::default_tax_class(),
            calculation: TaxCalculation::PerLine,
            rounding: RoundingMode::HalfUp,
            default_country: None,
            default_region: None,
            rates: Vec::new(),
        }
    }
}

impl TaxSettings {
    /// Checks and normalizes every rate and the default country.
    pub fn validate(&mut self) -> Result<()> {
        if let Some(c) = &self.default_country {
            self.default_country = Some(normalize_country(c)?);
        }
        check_text("shippingTaxClass", &self.shipping_tax_class)?;
        if let Some(region) = &self.default_region {
            check_text("defaultRegion", region)?;
        }
        for rate in &mut self.rates {
            rate.validate()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn region_rates_stack_on_country_rates() {
        let gst = TaxRate::new("GST", "CA", "standard", dec!(5));
        let mut pst = TaxRate::new("PST", "CA", "standard", dec!(7));
        pst.region = Some("BC".into());
        assert!(gst.applies("CA", Some("BC"), "standard"));
        assert!(pst.applies("CA", Some("bc"), "standard"));
        assert!(!pst.applies("CA", Some("ON"), "standard"));
        assert!(!pst.applies("CA", None, "standard"));
        assert!(!gst.applies("CA", None, "reduced"));
    }

    #[test]
    fn invalid_rates_are_refused() {
        let mut r = TaxRate::new("VAT", "DEU", "standard", dec!(19));
        assert!(r.validate().is_err());
        let mut r = TaxRate::new("VAT", "de", "standard", dec!(-1));
        assert!(r.validate().is_err());
        let mut r = TaxRate::new("VAT", "de", "standard", dec!(19));
        r.validate().unwrap();
        assert_eq!(r.country, "DE");
        let mut r = TaxRate::new("VAT", "ZZ", "standard", dec!(19));
        assert!(r.validate().is_err());
        let mut r = TaxRate::new("V\0T", "DE", "standard", dec!(19));
        assert!(matches!(r.validate(), Err(Error::Validation { field, .. }) if field == "name"));
        let mut settings = TaxSettings {
            default_country: Some("XX".into()),
            ..TaxSettings::default()
        };
        assert!(settings.validate().is_err());
    }
}
