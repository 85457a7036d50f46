//! Shipping methods: flat or weight-tiered rates by destination country, optionally free over a
//! merchandise threshold.
//!
//! Amounts follow the store's price mode: when prices include tax, shipping amounts do too.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::country::normalize_country;
use crate::error::{Error, Result};
use crate::ids::ShippingMethodId;
use crate::money::Currency;
use crate::promotion::CurrencyAmounts;
use crate::text::check_text;

/// One weight band of a weight-tiered rate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WeightTier {
    /// Upper bound of the band in kilograms, inclusive; `None` for "anything heavier".
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub up_to: Option<Decimal>,
    /// Price of the band per currency.
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<Currency, Decimal>))]
    pub amounts: CurrencyAmounts,
}

/// How a method's price is found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
// utoipa does not read `rename_all_fields`, so each struct variant repeats it as `schema(rename_all)`.
pub enum ShippingRate {
    /// One price per currency whatever the cart.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    Flat {
        /// Price per currency.
        #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<Currency, Decimal>))]
        amounts: CurrencyAmounts,
    },
    /// The first band whose `upTo` is at least the cart's total weight.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    WeightTiered {
        /// Bands in ascending weight.
        tiers: Vec<WeightTier>,
    },
}

/// A shipping method.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ShippingMethod {
    /// Identifier.
    #[serde(default)]
    pub id: ShippingMethodId,
    /// Name shown at checkout.
    pub name: String,
    /// Destination countries (ISO alpha-2); empty for everywhere.
    #[serde(default)]
    pub countries: Vec<String>,
    /// Price rule.
    pub rate: ShippingRate,
    /// Free when the discounted merchandise subtotal reaches this amount, per currency.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<std::collections::BTreeMap<Currency, Decimal>>))]
    pub free_over: Option<CurrencyAmounts>,
    /// Tax class of this method's charge; the store's shipping tax class when `None`.
    #[serde(default)]
    pub tax_class: Option<String>,
    /// Switched on.
    #[serde(default = "enabled")]
    pub active: bool,
}

fn enabled() -> bool {
    true
}

/// Why a method cannot serve a cart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unavailable {
    /// The method is switched off.
    Inactive,
    /// It does not ship to the destination.
    Destination,
    /// It has no price in the cart's currency.
    Currency,
    /// The cart is heavier than the last band.
    TooHeavy,
}

impl Unavailable {
    /// A sentence for the notice or error.
    pub fn reason(&self) -> &'static str {
        match self {
            Unavailable::Inactive => "the method is not active",
            Unavailable::Destination => "the method does not ship to this country",
            Unavailable::Currency => "the method has no price in the cart's currency",
            Unavailable::TooHeavy => "the cart is too heavy for this method",
        }
    }
}

impl ShippingMethod {
    /// A flat-rate method shipping everywhere.
    pub fn flat(name: &str, currency: Currency, amount: Decimal) -> ShippingMethod {
        ShippingMethod {
            id: ShippingMethodId::new(),
            name: name.to_string(),
            countries: Vec::new(),
            rate: ShippingRate::Flat {
                amounts: CurrencyAmounts::from([(currency, amount)]),
            },
            free_over: None,
            tax_class: None,
            active: true,
        }
    }

    /// Whether it ships to `country` (any country when the destination is not known yet).
    pub fn serves(&self, country: Option<&str>) -> bool {
        match country {
            None => true,
            Some(c) => self.countries.is_empty() || self.countries.iter().any(|x| x == c),
        }
    }

    /// The price before the free-over rule and promotions, for a cart of `weight` kilograms.
    pub fn base_amount(
        &self,
        currency: Currency,
        weight: Decimal,
    ) -> std::result::Result<Decimal, Unavailable> {
        match &self.rate {
            ShippingRate::Flat { amounts } => {
                amounts.get(&currency).copied().ok_or(Unavailable::Currency)
            }
            ShippingRate::WeightTiered { tiers } => {
                let tier = tiers
                    .iter()
                    .find(|t| t.up_to.is_none_or(|max| weight <= max))
                    .ok_or(Unavailable::TooHeavy)?;
                tier.amounts
                    .get(&currency)
                    .copied()
                    .ok_or(Unavailable::Currency)
            }
        }
    }

    /// The price for a cart: the base amount, or zero once `merchandise` reaches `free_over`.
    pub fn quote(
        &self,
        currency: Currency,
        country: Option<&str>,
        weight: Decimal,
        merchandise: Decimal,
    ) -> std::result::Result<Decimal, Unavailable> {
        if !self.active {
            return Err(Unavailable::Inactive);
        }
        if !self.serves(country) {
            return Err(Unavailable::Destination);
        }
        let base = self.base_amount(currency, weight)?;
        let free = self
            .free_over
            .as_ref()
            .and_then(|t| t.get(&currency))
            .is_some_and(|threshold| merchandise >= *threshold);
        Ok(if free {
            currency.round(Decimal::ZERO, Default::default())
        } else {
            base
        })
    }

    /// Checks and normalizes the method.
    pub fn validate(&mut self) -> Result<()> {
        check_text("name", &self.name)?;
        if self.name.trim().is_empty() {
            return Err(Error::validation("name", "a shipping method needs a name"));
        }
        if let Some(class) = &self.tax_class {
            check_text("taxClass", class)?;
        }
        for c in &mut self.countries {
            *c = normalize_country(c)?;
        }
        let check = |amounts: &CurrencyAmounts, field: &str| -> Result<()> {
            if amounts.is_empty() {
                return Err(Error::validation(
                    field,
                    "give an amount for at least one currency",
                ));
            }
            for (cur, a) in amounts {
                if a.is_sign_negative() || !cur.is_exact(*a) {
                    return Err(Error::validation(
                        field,
                        format!("{a} is not a valid non-negative amount in {cur}"),
                    ));
                }
            }
            Ok(())
        };
        match &self.rate {
            ShippingRate::Flat { amounts } => check(amounts, "rate.amounts")?,
            ShippingRate::WeightTiered { tiers } => {
                if tiers.is_empty() {
                    return Err(Error::validation(
                        "rate.tiers",
                        "give at least one weight band",
                    ));
                }
                let mut last: Option<Decimal> = None;
                for (i, t) in tiers.iter().enumerate() {
                    check(&t.amounts, "rate.tiers.amounts")?;
                    match t.up_to {
                        Some(max) => {
                            if max <= Decimal::ZERO || last.is_some_and(|l| max <= l) {
                                return Err(Error::validation(
                                    "rate.tiers.upTo",
                                    "band limits must be positive and rise strictly",
                                ));
                            }
                            last = Some(max);
                        }
                        None if i + 1 != tiers.len() => {
                            return Err(Error::validation(
                                "rate.tiers.upTo",
                                "only the last band may be open-ended",
                            ))
                        }
                        None => {}
                    }
                }
            }
        }
        if let Some(f) = &self.free_over {
            check(f, "freeOver")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn tiered() -> ShippingMethod {
        let usd = |a| CurrencyAmounts::from([(Currency::Usd, a)]);
        ShippingMethod {
            rate: ShippingRate::WeightTiered {
                tiers: vec![
                    WeightTier {
                        up_to: Some(dec!(1)),
                        amounts: usd(dec!(4.00)),
                    },
                    WeightTier {
                        up_to: Some(dec!(5)),
                        amounts: usd(dec!(9.00)),
                    },
                    WeightTier {
                        up_to: Some(dec!(20)),
                        amounts: usd(dec!(19.00)),
                    },
                ],
            },
            countries: vec!["US".into()],
            free_over: Some(usd(dec!(100))),
            ..ShippingMethod::flat("Ground", Currency::Usd, dec!(0))
        }
    }

    #[test]
    fn weight_bands_free_over_and_destinations() {
        let m = tiered();
        let q = |w, merch| m.quote(Currency::Usd, Some("US"), w, merch);
        assert_eq!(q(dec!(0.5), dec!(10)), Ok(dec!(4.00)));
        assert_eq!(q(dec!(1), dec!(10)), Ok(dec!(4.00)));
        assert_eq!(q(dec!(1.01), dec!(10)), Ok(dec!(9.00)));
        assert_eq!(q(dec!(25), dec!(10)), Err(Unavailable::TooHeavy));
        assert_eq!(q(dec!(3), dec!(100)), Ok(dec!(0.00)));
        assert_eq!(
            m.quote(Currency::Usd, Some("CA"), dec!(1), dec!(1)),
            Err(Unavailable::Destination)
        );
        assert_eq!(
            m.quote(Currency::Eur, Some("US"), dec!(1), dec!(1)),
            Err(Unavailable::Currency)
        );
        let mut m = m;
        m.validate().unwrap();
    }

    #[test]
    fn invalid_bands_are_refused() {
        let mut m = tiered();
        if let ShippingRate::WeightTiered { tiers } = &mut m.rate {
            tiers.swap(0, 1);
        }
        assert!(m.validate().is_err());
    }
}
