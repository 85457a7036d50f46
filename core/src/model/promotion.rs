//! Promotion definitions: what a promotion gives, to which items, under which conditions.
//!
//! The rules for applying them (order, rounding, allocation, exclusivity) live in
//! [`crate::pricing`]; this module holds the data and its validation. Amounts that depend on the
//! currency (a fixed discount, a minimum spend) are given per currency, so one promotion serves a
//! multi-currency store; a promotion without an amount for the cart's currency does not apply.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::{CategoryId, ProductId, PromotionId, ShippingMethodId, UserId, VariantId};
use crate::money::Currency;
use crate::text::{check_multiline_text, check_text};

/// An amount given per currency (`{"USD": "5.00", "EUR": "4.50"}`).
///
/// Schema derives cannot see through an alias, so fields of this type name its schema with
/// `schema(value_type = BTreeMap<Currency, Decimal>)`.
pub type CurrencyAmounts = BTreeMap<Currency, Decimal>;

/// Which cart lines a promotion looks at. Empty lists match every line; otherwise a line matches
/// when its product, variant, SKU or any of its categories (with ancestors) is listed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LineSelector {
    /// Matching products.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub product_ids: Vec<ProductId>,
    /// Matching variants.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variant_ids: Vec<VariantId>,
    /// Matching SKUs (exact).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skus: Vec<String>,
    /// Matching categories; a line filed under a descendant matches too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category_ids: Vec<CategoryId>,
}

impl LineSelector {
    /// Whether the selector lists nothing and so matches every line.
    pub fn matches_everything(&self) -> bool {
        self.product_ids.is_empty()
            && self.variant_ids.is_empty()
            && self.skus.is_empty()
            && self.category_ids.is_empty()
    }

    /// Whether a line with these attributes matches.
    pub fn matches(
        &self,
        product_id: ProductId,
        variant_id: VariantId,
        sku: &str,
        category_ids: &[CategoryId],
    ) -> bool {
        self.matches_everything()
            || self.product_ids.contains(&product_id)
            || self.variant_ids.contains(&variant_id)
            || self.skus.iter().any(|s| s == sku)
            || self.category_ids.iter().any(|c| category_ids.contains(c))
    }

    fn check_text(&self, field: &str) -> Result<()> {
        self.skus.iter().try_for_each(|sku| check_text(field, sku))
    }
}

/// What a promotion's discount is measured against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Target {
    /// The whole order: the discount is rounded once and spread over all lines.
    Order,
    /// Only matching lines.
    Items(LineSelector),
}

impl Target {
    /// The selector this target applies, `None` for the whole order.
    pub fn selector(&self) -> Option<&LineSelector> {
        match self {
            Target::Order => None,
            Target::Items(s) => Some(s),
        }
    }
}

/// The reward of a buy-X-get-Y promotion for each freed unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
// utoipa does not read `rename_all_fields`, so each struct variant repeats it as `schema(rename_all)`.
pub enum BxgyReward {
    /// The Y units are free.
    Free,
    /// The Y units get `percent` off.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    PercentOff {
        /// 0 < percent <= 100.
        #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
        percent: Decimal,
    },
}

/// The reward of a spend tier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
// utoipa does not read `rename_all_fields`, so each struct variant repeats it as `schema(rename_all)`.
pub enum TierReward {
    /// Percent off the order.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    PercentOff {
        /// 0 < percent <= 100.
        #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
        percent: Decimal,
    },
    /// A fixed amount off the order.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    AmountOff {
        /// Amount per currency.
        #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<Currency, Decimal>))]
        amounts: CurrencyAmounts,
    },
}

/// One step of a tiered spend promotion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SpendTier {
    /// Running subtotal needed for this tier, per currency.
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<Currency, Decimal>))]
    pub threshold: CurrencyAmounts,
    /// What the tier gives.
    pub reward: TierReward,
}

/// What a promotion gives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
// utoipa does not read `rename_all_fields`, so each struct variant repeats it as `schema(rename_all)`.
pub enum PromotionEffect {
    /// `percent` off the order (rounded once, allocated) or off each matching line (rounded per line).
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    PercentageOff {
        /// 0 < percent <= 100.
        #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
        percent: Decimal,
        /// Order or matching items.
        target: Target,
    },
    /// A fixed amount off the order or off the matching items together (rounded once, allocated
    /// over the matching lines), capped at what it discounts.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    AmountOff {
        /// Amount per currency.
        #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<Currency, Decimal>))]
        amounts: CurrencyAmounts,
        /// Order or matching items.
        target: Target,
    },
    /// A fixed amount off each matching unit, capped per line.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    AmountOffEachItem {
        /// Amount per unit, per currency.
        #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<Currency, Decimal>))]
        amounts: CurrencyAmounts,
        /// Matching items.
        items: LineSelector,
    },
    /// Matching units sold at a fixed unit price (never raises a price).
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    FixedPrice {
        /// Unit price per currency.
        #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<Currency, Decimal>))]
        prices: CurrencyAmounts,
        /// Matching items.
        items: LineSelector,
    },
    /// Buy `buyQuantity` of `buy`, get `getQuantity` of `get` (or of `buy`) free or discounted.
    /// The freed units are the cheapest qualifying units at their price after earlier discounts.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    BuyXGetY {
        /// Units that qualify as the purchase.
        buy: LineSelector,
        /// How many must be bought per application.
        buy_quantity: u32,
        /// Units that can be rewarded; `None` means the same as `buy`.
        #[serde(default)]
        get: Option<LineSelector>,
        /// How many are rewarded per application.
        get_quantity: u32,
        /// Free or a percentage off.
        reward: BxgyReward,
        /// Most applications per cart; `None` for no limit.
        #[serde(default)]
        max_applications: Option<u32>,
    },
    /// The highest tier whose threshold the running subtotal reaches applies, on the whole order.
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    TieredSpend {
        /// Tiers in ascending threshold order.
        tiers: Vec<SpendTier>,
    },
    /// Shipping is free (on the listed methods, or any method when the list is empty).
    #[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
    FreeShipping {
        /// Methods it applies to; empty for all.
        #[serde(default)]
        method_ids: Vec<ShippingMethodId>,
    },
}

/// Conditions that must all hold for a promotion to apply.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Conditions {
    /// Minimum running merchandise subtotal (after earlier promotions), per currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<std::collections::BTreeMap<Currency, Decimal>>))]
    pub min_subtotal: Option<CurrencyAmounts>,
    /// Minimum number of qualifying units (matching items, or all items for order targets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub min_quantity: Option<Decimal>,
    /// Only these customers; empty for everyone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub customer_ids: Vec<UserId>,
    /// Starts at this instant (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<DateTime<Utc>>,
    /// Ends at this instant (exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<DateTime<Utc>>,
}

/// A promotion, automatic or behind a coupon code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Promotion {
    /// Identifier.
    #[serde(default)]
    pub id: PromotionId,
    /// Name shown to shoppers and admins.
    pub name: String,
    /// Longer explanation.
    #[serde(default)]
    pub description: String,
    /// Coupon code (stored uppercase); `None` for an automatic promotion.
    #[serde(default)]
    pub coupon_code: Option<String>,
    /// Switched on.
    #[serde(default = "yes")]
    pub active: bool,
    /// What it gives.
    pub effect: PromotionEffect,
    /// When it applies.
    #[serde(default)]
    pub conditions: Conditions,
    /// Most redemptions over all customers.
    #[serde(default)]
    pub usage_limit: Option<u64>,
    /// Most redemptions per customer (needs a signed-in customer).
    #[serde(default)]
    pub per_customer_limit: Option<u64>,
    /// Lower numbers apply first; ties are broken by id.
    #[serde(default)]
    pub priority: i32,
    /// An exclusive promotion applies only when nothing applied before it, and nothing applies
    /// after it.
    #[serde(default)]
    pub exclusive: bool,
}

fn yes() -> bool {
    true
}

/// How often a promotion has been redeemed, as the store counts it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PromotionUsage {
    /// Redemptions by everyone.
    #[serde(default)]
    pub total: u64,
    /// Redemptions by the cart's customer.
    #[serde(default)]
    pub by_customer: u64,
}

/// Usage counts per promotion, passed into pricing by the caller.
pub type PromotionUsageMap = BTreeMap<PromotionId, PromotionUsage>;

/// Normalizes a coupon code (trimmed, uppercase) and checks its shape.
pub fn normalize_coupon_code(code: &str) -> Result<String> {
    let code = code.trim().to_ascii_uppercase();
    let ok = !code.is_empty()
        && code.len() <= 64
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(code)
    } else {
        Err(Error::validation(
            "code",
            "a coupon code is 1-64 letters, digits, '-' or '_'",
        ))
    }
}

fn check_percent(percent: Decimal, field: &str) -> Result<()> {
    if percent <= Decimal::ZERO || percent > Decimal::ONE_HUNDRED {
        return Err(Error::validation(
            field,
            "percent must be above 0 and at most 100",
        ));
    }
    if percent.normalize().scale() > MAX_PERCENT_DECIMALS {
        return Err(Error::validation(
            field,
            format!("percent has at most {MAX_PERCENT_DECIMALS} decimals"),
        ));
    }
    Ok(())
}

/// Most decimals a percentage may have (12.5%, 8.875%, 0.0001%): enough for every tax and
/// discount rate in use, and it keeps pricing's integer arithmetic far from overflow.
pub const MAX_PERCENT_DECIMALS: u32 = 6;

fn check_amounts(amounts: &CurrencyAmounts, field: &str) -> Result<()> {
    if amounts.is_empty() {
        return Err(Error::validation(
            field,
            "give an amount for at least one currency",
        ));
    }
    for (currency, amount) in amounts {
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(Error::validation(
                field,
                format!("{currency} amount must not be negative"),
            ));
        }
        if !currency.is_exact(*amount) {
            return Err(Error::validation(
                field,
                format!(
                    "{amount} has more than {} decimals for {currency}",
                    currency.minor_units()
                ),
            ));
        }
    }
    Ok(())
}

impl Promotion {
    /// An automatic, stackable promotion with default conditions.
    pub fn new(name: impl Into<String>, effect: PromotionEffect) -> Promotion {
        Promotion {
            id: PromotionId::new(),
            name: name.into(),
            description: String::new(),
            coupon_code: None,
            active: true,
            effect,
            conditions: Conditions::default(),
            usage_limit: None,
            per_customer_limit: None,
            priority: 0,
            exclusive: false,
        }
    }

    /// Puts the promotion behind a coupon code.
    pub fn with_coupon(mut self, code: &str) -> Result<Promotion> {
        self.coupon_code = Some(normalize_coupon_code(code)?);
        Ok(self)
    }

    /// Checks the promotion and normalizes its coupon code.
    pub fn validate(&mut self) -> Result<()> {
        check_text("name", &self.name)?;
        check_multiline_text("description", &self.description)?;
        if self.name.trim().is_empty() || self.name.chars().count() > 200 {
            return Err(Error::validation(
                "name",
                "name must be 1 to 200 characters",
            ));
        }
        if let Some(code) = &self.coupon_code {
            self.coupon_code = Some(normalize_coupon_code(code)?);
        }
        match &self.effect {
            PromotionEffect::PercentageOff { target, .. }
            | PromotionEffect::AmountOff { target, .. } => {
                if let Some(selector) = target.selector() {
                    selector.check_text("effect.target.skus")?;
                }
            }
            PromotionEffect::AmountOffEachItem { items, .. }
            | PromotionEffect::FixedPrice { items, .. } => items.check_text("effect.items.skus")?,
            PromotionEffect::BuyXGetY { buy, get, .. } => {
                buy.check_text("effect.buy.skus")?;
                if let Some(get) = get {
                    get.check_text("effect.get.skus")?;
                }
            }
            PromotionEffect::TieredSpend { .. } | PromotionEffect::FreeShipping { .. } => {}
        }
        match &self.effect {
            PromotionEffect::PercentageOff { percent, .. } => {
                check_percent(*percent, "effect.percent")?
            }
            PromotionEffect::AmountOff { amounts, .. }
            | PromotionEffect::AmountOffEachItem { amounts, .. } => {
                check_amounts(amounts, "effect.amounts")?
            }
            PromotionEffect::FixedPrice { prices, .. } => check_amounts(prices, "effect.prices")?,
            PromotionEffect::BuyXGetY {
                buy_quantity,
                get_quantity,
                reward,
                max_applications,
                ..
            } => {
                if *buy_quantity == 0 || *get_quantity == 0 {
                    return Err(Error::validation(
                        "effect.buyQuantity",
                        "buy and get quantities must be at least 1",
                    ));
                }
                if *buy_quantity > 1000 || *get_quantity > 1000 {
                    return Err(Error::validation(
                        "effect.buyQuantity",
                        "buy and get quantities are at most 1000",
                    ));
                }
                if max_applications == &Some(0) {
                    return Err(Error::validation(
                        "effect.maxApplications",
                        "must be at least 1",
                    ));
                }
                if let BxgyReward::PercentOff { percent } = reward {
                    check_percent(*percent, "effect.reward.percent")?;
                }
            }
            PromotionEffect::TieredSpend { tiers } => {
                if tiers.is_empty() {
                    return Err(Error::validation("effect.tiers", "give at least one tier"));
                }
                for tier in tiers {
                    check_amounts(&tier.threshold, "effect.tiers.threshold")?;
                    match &tier.reward {
                        TierReward::PercentOff { percent } => {
                            check_percent(*percent, "effect.tiers.reward.percent")?
                        }
                        TierReward::AmountOff { amounts } => {
                            check_amounts(amounts, "effect.tiers.reward.amounts")?
                        }
                    }
                }
                for pair in tiers.windows(2) {
                    for (currency, lower) in &pair[0].threshold {
                        if let Some(upper) = pair[1].threshold.get(currency) {
                            if upper <= lower {
                                return Err(Error::validation(
                                    "effect.tiers",
                                    "tier thresholds must rise strictly",
                                ));
                            }
                        }
                    }
                }
            }
            PromotionEffect::FreeShipping { .. } => {}
        }
        if let Some(min) = &self.conditions.min_subtotal {
            check_amounts(min, "conditions.minSubtotal")?;
        }
        if let Some(q) = self.conditions.min_quantity {
            if q <= Decimal::ZERO {
                return Err(Error::validation(
                    "conditions.minQuantity",
                    "must be above zero",
                ));
            }
        }
        if let (Some(s), Some(e)) = (self.conditions.starts_at, self.conditions.ends_at) {
            if e <= s {
                return Err(Error::validation(
                    "conditions.endsAt",
                    "must be after startsAt",
                ));
            }
        }
        if self.usage_limit == Some(0) || self.per_customer_limit == Some(0) {
            return Err(Error::validation(
                "usageLimit",
                "a usage limit must be at least 1",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn effect_json_shape_is_tagged_and_camel_case() {
        let p = Promotion::new(
            "3 for 2",
            PromotionEffect::BuyXGetY {
                buy: LineSelector::default(),
                buy_quantity: 2,
                get: None,
                get_quantity: 1,
                reward: BxgyReward::Free,
                max_applications: None,
            },
        );
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["effect"]["type"], "buy_x_get_y");
        assert_eq!(v["effect"]["buyQuantity"], 2);
        assert_eq!(v["effect"]["reward"]["type"], "free");
        let back: Promotion = serde_json::from_value(v).unwrap();
        assert_eq!(back, p);

        let json = r#"{"name":"10% off shirts","couponCode":"shirt10",
            "effect":{"type":"percentage_off","percent":"10",
                      "target":{"type":"items","skus":["TEE-M"]}}}"#;
        let mut p: Promotion = serde_json::from_str(json).unwrap();
        p.validate().unwrap();
        assert_eq!(p.coupon_code.as_deref(), Some("SHIRT10"));
        assert!(p.active);
    }

    #[test]
    fn invalid_promotions_are_refused() {
        let bad_percent = PromotionEffect::PercentageOff {
            percent: dec!(120),
            target: Target::Order,
        };
        assert!(Promotion::new("x", bad_percent).validate().is_err());
        let bad_amount = PromotionEffect::AmountOff {
            amounts: BTreeMap::from([(Currency::Jpy, dec!(10.5))]),
            target: Target::Order,
        };
        assert!(Promotion::new("x", bad_amount).validate().is_err());
        let falling = PromotionEffect::TieredSpend {
            tiers: vec![
                SpendTier {
                    threshold: BTreeMap::from([(Currency::Usd, dec!(100))]),
                    reward: TierReward::PercentOff { percent: dec!(10) },
                },
                SpendTier {
                    threshold: BTreeMap::from([(Currency::Usd, dec!(50))]),
                    reward: TierReward::PercentOff { percent: dec!(5) },
                },
            ],
        };
        assert!(Promotion::new("x", falling).validate().is_err());
        assert!(normalize_coupon_code("no spaces please").is_err());
        assert!(normalize_coupon_code("SAVE\0").is_err());

        let field_of = |mut p: Promotion| match p.validate() {
            Err(Error::Validation { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        };
        let free = || {
            Promotion::new(
                "Free shipping",
                PromotionEffect::FreeShipping {
                    method_ids: Vec::new(),
                },
            )
        };
        assert_eq!(
            field_of(Promotion {
                name: "Sale\0".into(),
                ..free()
            }),
            "name"
        );
        let mut p = free();
        p.description = "Two lines\nare fine".into();
        p.validate().unwrap();
        p.description = "but not \u{1b}[31m escapes".into();
        assert_eq!(field_of(p), "description");
        let bogo = Promotion::new(
            "BOGO",
            PromotionEffect::BuyXGetY {
                buy: LineSelector::default(),
                buy_quantity: 1,
                get: Some(LineSelector {
                    skus: vec!["TEE\0".into()],
                    ..LineSelector::default()
                }),
                get_quantity: 1,
                reward: BxgyReward::Free,
                max_applications: None,
            },
        );
        assert_eq!(field_of(bogo), "effect.get.skus");
        assert_eq!(normalize_coupon_code("  save-10 ").unwrap(), "SAVE-10");
    }
}
