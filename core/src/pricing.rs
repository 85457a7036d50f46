//! Cart pricing: one pure, deterministic function from a cart and the store's rules to every
//! amount a shopper, an accountant and an order need.
//!
//! [`price_cart`] is the single implementation behind the server, the CLI, Python and the WASM
//! bundle, so a total shown in a browser is the total charged. Its JSON input ([`PricingRequest`])
//! and output ([`PricedCart`]) are the wire contract every shell exposes unchanged: camelCase field
//! names, decimals as strings, currencies as ISO codes.
//!
//! # Conventions (the accountant's reading)
//! 1. A line's subtotal is unit price x quantity, rounded once per line (rules' rounding mode),
//!    never per unit then multiplied.
//! 2. Promotions apply in ascending `priority`, ties broken by id. Each sees the *running* amounts
//!    left by the promotions before it. A minimum-subtotal or minimum-quantity condition is tested
//!    on that running state before the promotion's own discount, so a coupon's discount never
//!    counts against its own minimum.
//! 3. Line promotions (percentage off items, amount off each item, fixed price) round per line and
//!    are capped at the line's running amount. Buy-X-get-Y rewards the cheapest qualifying units at
//!    their price after earlier discounts; lines sold by measure never take part.
//! 4. Order promotions (percentage or amount off the order, an amount off a group of items, spend
//!    tiers) compute one discount, round it once, cap it at what it discounts, and spread it over
//!    the lines pro rata to their running amounts by largest remainder (ties: larger line, then
//!    earlier line). A 100% discount leaves exactly zero and no line ever goes negative.
//! 5. Tax is computed on the discounted amount. Tax-exclusive prices add tax; tax-inclusive prices
//!    keep the gross fixed and extract `gross x p / (100 + P)` for each rate `p` of the `P` that
//!    apply to the line.
//! 6. Tax calculation is per line (each line and rate rounded on its own) or per rate (one rounding
//!    per rate over every line it applies to, then allocated back to the lines by largest
//!    remainder). Tax rounding has its own mode (half-up, half-even, or down).
//! 7. A free-shipping threshold is tested on the discounted merchandise subtotal. Shipping is
//!    taxed like a line when the store says shipping is taxable. Free-shipping promotions discount
//!    the selected method's charge after its quote.
//! 8. Every total is the sum of the rounded parts it reports:
//!    `total = sum(line totals) + shipping total`, where a line total is
//!    `subtotal - discounts (+ tax when prices exclude tax)`.
//! 9. Quantities are integers unless a variant is sold by measure (see [`crate::catalog::SaleUnit`]).
//! 10. Zero-decimal (JPY) and three-decimal (KWD) currencies go through the same code: every
//!     rounding and allocation works in the cart currency's minor units.
//!
//! Rejected coupons are reported with a reason, never raised: a shopper who typed an expired code
//! still gets a priced cart. An automatic promotion whose conditions fail is simply not applied.
//!
//! # Speed
//! Pricing allocates only the output and a few small vectors and does no hashing; a 10-line cart
//! with three promotions and tax prices in about a microsecond and a half (see `BENCHMARKS.md`).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::cart::{Cart, CartLine};
use crate::error::{CouponRejection, Error, Result};
use crate::ids::{CartId, LineId, ProductId, PromotionId, ShippingMethodId, TaxRateId, VariantId};
use crate::money::{allocate_units, div_round, Currency, RoundingMode};
use crate::promotion::{
    BxgyReward, CurrencyAmounts, LineSelector, Promotion, PromotionEffect, PromotionUsageMap,
    Target, TierReward,
};
use crate::shipping::ShippingMethod;
use crate::tax::{TaxCalculation, TaxSettings};

/// Everything the store decides about prices beyond the catalog: promotions, tax and shipping.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PricingRules {
    /// All promotions, automatic and behind coupon codes.
    #[serde(default)]
    pub promotions: Vec<Promotion>,
    /// Tax rates and modes.
    #[serde(default)]
    pub tax: TaxSettings,
    /// Shipping methods.
    #[serde(default)]
    pub shipping_methods: Vec<ShippingMethod>,
    /// How line amounts and discounts are rounded to minor units.
    #[serde(default)]
    pub rounding: RoundingMode,
}

impl PricingRules {
    /// Checks and normalizes every promotion, rate and method; coupon codes must be unique.
    pub fn validate(&mut self) -> Result<()> {
        for p in &mut self.promotions {
            p.validate()?;
        }
        let mut codes: Vec<&str> = self
            .promotions
            .iter()
            .filter_map(|p| p.coupon_code.as_deref())
            .collect();
        codes.sort_unstable();
        if let Some(w) = codes.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::validation(
                "promotions",
                format!("coupon code `{}` is used by two promotions", w[0]),
            ));
        }
        self.tax.validate()?;
        for m in &mut self.shipping_methods {
            m.validate()?;
        }
        Ok(())
    }
}

static NO_USAGE: PromotionUsageMap = PromotionUsageMap::new();

/// What pricing needs besides the cart: the rules, the instant, and promotion usage counts.
#[derive(Clone, Copy, Debug)]
pub struct PricingContext<'a> {
    /// The store's rules.
    pub rules: &'a PricingRules,
    /// The instant promotions are judged at (start and end times).
    pub now: DateTime<Utc>,
    /// Redemptions so far per promotion, as the store counts them (total and by this customer).
    pub usage: &'a PromotionUsageMap,
}

impl<'a> PricingContext<'a> {
    /// A context with no recorded promotion usage.
    pub fn new(rules: &'a PricingRules, now: DateTime<Utc>) -> PricingContext<'a> {
        PricingContext {
            rules,
            now,
            usage: &NO_USAGE,
        }
    }

    /// The same context with usage counts.
    pub fn with_usage(self, usage: &'a PromotionUsageMap) -> PricingContext<'a> {
        PricingContext { usage, ..self }
    }
}

/// The owned JSON request of the pricing contract: `{"cart": ..., "rules": ..., "now": ...,
/// "usage": ...}`. `rules`, `now` and `usage` may be left out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PricingRequest {
    /// The cart to price.
    pub cart: Cart,
    /// The store's rules.
    #[serde(default)]
    pub rules: PricingRules,
    /// The instant to price at; the caller's clock when absent.
    #[serde(default)]
    pub now: Option<DateTime<Utc>>,
    /// Promotion usage counts.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<PromotionId, crate::promotion::PromotionUsage>))]
    pub usage: PromotionUsageMap,
}

impl PricingRequest {
    /// Validates the rules and prices the cart at `now`, or at `default_now` when the request
    /// names no instant.
    pub fn price(&self, default_now: DateTime<Utc>) -> Result<PricedCart> {
        let mut rules = self.rules.clone();
        rules.validate()?;
        let ctx = PricingContext {
            rules: &rules,
            now: self.now.unwrap_or(default_now),
            usage: &self.usage,
        };
        price_cart(&self.cart, &ctx)
    }
}

/// A discount on a line or on shipping, with the promotion that gave it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Discount {
    /// The promotion.
    pub promotion_id: PromotionId,
    /// Amount taken off, in minor units of the cart currency.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub amount: Decimal,
}

/// A tax amount on a line or on shipping, with its rate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TaxAmount {
    /// The rate.
    pub rate_id: TaxRateId,
    /// Tax amount.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub amount: Decimal,
}

/// A priced cart line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PricedLine {
    /// The cart line.
    pub line_id: LineId,
    /// Its product.
    pub product_id: ProductId,
    /// Its variant.
    pub variant_id: VariantId,
    /// Quantity.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub quantity: Decimal,
    /// Price of one unit.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub unit_price: Decimal,
    /// Unit price x quantity, rounded once.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub subtotal: Decimal,
    /// Discounts in the order they were applied.
    pub discounts: Vec<Discount>,
    /// Sum of `discounts`.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub discount_total: Decimal,
    /// Tax per rate.
    pub taxes: Vec<TaxAmount>,
    /// Sum of `taxes`.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub tax_total: Decimal,
    /// `subtotal - discountTotal`, plus `taxTotal` when prices exclude tax.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub total: Decimal,
}

/// The selected shipping method, priced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PricedShipping {
    /// The method.
    pub method_id: ShippingMethodId,
    /// Its name.
    pub name: String,
    /// Its charge for this cart (zero once a free-over threshold is reached).
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub amount: Decimal,
    /// Free-shipping discounts.
    pub discounts: Vec<Discount>,
    /// Sum of `discounts`.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub discount_total: Decimal,
    /// Tax per rate, when shipping is taxable.
    pub taxes: Vec<TaxAmount>,
    /// Sum of `taxes`.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub tax_total: Decimal,
    /// `amount - discountTotal`, plus `taxTotal` when prices exclude tax.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub total: Decimal,
}

/// A method that can ship this cart, with its charge before promotions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ShippingOption {
    /// The method.
    pub method_id: ShippingMethodId,
    /// Its name.
    pub name: String,
    /// Its charge for this cart.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub amount: Decimal,
}

/// A promotion that applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AppliedPromotion {
    /// The promotion.
    pub promotion_id: PromotionId,
    /// Its name.
    pub name: String,
    /// The coupon code that unlocked it, if any.
    pub coupon_code: Option<String>,
    /// Total it took off (lines and shipping).
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub amount: Decimal,
    /// Lines it discounted.
    pub line_ids: Vec<LineId>,
    /// Whether it makes shipping free.
    pub free_shipping: bool,
}

/// A coupon code that did not apply, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RejectedCoupon {
    /// The code.
    pub code: String,
    /// Stable reason (`expired`, `not_found`, `usage_limit`, `min_subtotal_not_met`, ...).
    pub reason: CouponRejection,
    /// A sentence for the shopper.
    pub message: String,
}

/// Tax per rate over the whole cart, for invoices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TaxLine {
    /// The rate.
    pub rate_id: TaxRateId,
    /// Its name.
    pub name: String,
    /// Its percent.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub percent: Decimal,
    /// Net amount the rate was charged on.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub taxable_amount: Decimal,
    /// Tax charged.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub amount: Decimal,
}

/// Something the shopper should know that is not an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NoticeCode {
    /// The selected shipping method does not exist.
    ShippingMethodNotFound,
    /// The selected shipping method cannot ship this cart.
    ShippingMethodUnavailable,
    /// Tax rates exist but the destination is not known yet, so no tax is included.
    TaxDestinationUnknown,
}

/// A notice on a priced cart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    /// Stable code.
    pub code: NoticeCode,
    /// Explanation.
    pub message: String,
}

/// The cart's totals. `total = subtotal - discountTotal + shippingTotal (+ taxTotal when prices
/// exclude tax)`, exactly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    /// Sum of line subtotals.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub subtotal: Decimal,
    /// Sum of line and shipping discounts.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub discount_total: Decimal,
    /// Shipping charge before discounts.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub shipping_total: Decimal,
    /// Sum of line and shipping tax.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub tax_total: Decimal,
    /// What the shopper pays.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub total: Decimal,
    /// Units in the cart.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub item_count: Decimal,
}

/// The result of [`price_cart`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PricedCart {
    /// The cart priced.
    pub cart_id: CartId,
    /// The cart version priced, so a checkout can tell the cart has not changed since.
    pub cart_version: u64,
    /// Currency of every amount.
    pub currency: Currency,
    /// Whether line amounts include tax.
    pub prices_include_tax: bool,
    /// Lines in cart order.
    pub lines: Vec<PricedLine>,
    /// The selected shipping method, when it can ship the cart.
    pub shipping: Option<PricedShipping>,
    /// Methods that can ship the cart.
    pub shipping_options: Vec<ShippingOption>,
    /// Promotions that applied, in the order they applied.
    pub applied_promotions: Vec<AppliedPromotion>,
    /// Coupon codes that did not apply.
    pub rejected_coupons: Vec<RejectedCoupon>,
    /// Tax per rate.
    pub tax_lines: Vec<TaxLine>,
    /// Notices for the shopper.
    pub notices: Vec<Notice>,
    /// Totals.
    pub totals: Totals,
}

/// An amount in integer minor units of the cart currency. Pricing computes in these so that
/// every rounding is one exact integer division ([`div_round`]); decimals appear only at the edges.
type Units = i128;

/// `amount` in minor units of `currency`. Amounts with more decimals than the currency has (only
/// possible with unvalidated rules) are rounded with `mode`.
fn to_units(amount: Decimal, currency: Currency, mode: RoundingMode) -> Result<Units> {
    let minor = currency.minor_units();
    let scale = amount.scale();
    if scale <= minor {
        amount
            .mantissa()
            .checked_mul(10i128.pow(minor - scale))
            .ok_or(Error::Overflow)
    } else {
        Ok(div_round(
            amount.mantissa(),
            10i128.pow(scale - minor),
            mode,
        ))
    }
}

fn to_decimal(units: Units, currency: Currency) -> Result<Decimal> {
    Decimal::try_from_i128_with_scale(units, currency.minor_units()).map_err(|_| Error::Overflow)
}

/// A decimal as the fraction `mantissa / 10^scale`.
fn fraction(value: Decimal) -> (i128, i128) {
    (value.mantissa(), 10i128.pow(value.scale()))
}

/// `amount x quantity`, rounded once.
fn times(amount: Units, quantity: Decimal, mode: RoundingMode) -> Result<Units> {
    let (num, den) = fraction(quantity);
    Ok(div_round(
        amount.checked_mul(num).ok_or(Error::Overflow)?,
        den,
        mode,
    ))
}

/// `percent`% of `amount`, rounded once.
fn percent_of(amount: Units, percent: Decimal, mode: RoundingMode) -> Result<Units> {
    let (num, den) = fraction(percent);
    Ok(div_round(
        amount.checked_mul(num).ok_or(Error::Overflow)?,
        den * 100,
        mode,
    ))
}

/// Running state of one line while promotions apply.
struct LineWork {
    subtotal: Units,
    current: Units,
    /// Kept in the wire type so the output needs no second allocation per line.
    discounts: Vec<Discount>,
}

/// A promotion that applied, before conversion to the wire type.
struct AppliedWork<'r> {
    promotion: &'r Promotion,
    code: Option<&'r str>,
    amount: Units,
    line_ids: Vec<LineId>,
    free_shipping: bool,
}

/// The selected shipping method and its charge, before conversion to the wire type.
struct ShippingWork<'r> {
    method: &'r ShippingMethod,
    amount: Units,
    discounts: Vec<(PromotionId, Units)>,
}

impl ShippingWork<'_> {
    fn charged(&self) -> Units {
        self.amount - self.discounts.iter().map(|d| d.1).sum::<Units>()
    }
}

/// A promotion's outcome before it is applied.
enum Outcome {
    /// Per-line discounts `(line index, amount)`, each within the line's running amount.
    Lines(Vec<(usize, Units)>),
    /// Shipping becomes free (on the methods the promotion lists), once shipping is quoted.
    FreeShipping,
}

/// Prices a cart. Pure and deterministic: the same cart and context always give the same result.
///
/// Errors only on a malformed cart (see [`Cart::validate`]) or amounts too large to compute;
/// coupons that do not apply are reported in [`PricedCart::rejected_coupons`].
pub fn price_cart(cart: &Cart, ctx: &PricingContext<'_>) -> Result<PricedCart> {
    cart.validate()?;
    let currency = cart.currency;
    let rules = ctx.rules;
    let rounding = rules.rounding;

    let mut work = Vec::with_capacity(cart.lines.len());
    for line in &cart.lines {
        let unit = to_units(line.unit_price, currency, rounding)?;
        let subtotal = times(unit, line.quantity, rounding)?;
        work.push(LineWork {
            subtotal,
            current: subtotal,
            discounts: Vec::new(),
        });
    }

    let mut applied: Vec<AppliedWork<'_>> = Vec::new();
    let mut rejected: Vec<RejectedCoupon> = Vec::new();
    let mut exclusive_applied = false;

    for (promotion, code) in candidates(cart, rules, &mut rejected) {
        let verdict = match judge(
            promotion,
            cart,
            ctx,
            &work,
            !applied.is_empty(),
            exclusive_applied,
        )? {
            Ok(()) => outcome(promotion, cart, &work, rounding)?,
            Err(reason) => Err(reason),
        };
        let (lines, free_shipping) = match verdict {
            Ok(Outcome::Lines(lines)) => (lines, false),
            Ok(Outcome::FreeShipping) => (Vec::new(), true),
            Err(reason) => {
                if let Some(code) = code {
                    rejected.push(rejection(code, reason));
                }
                continue;
            }
        };
        let mut line_ids = Vec::with_capacity(lines.len());
        let mut amount = 0;
        for (i, d) in lines {
            if d == 0 {
                continue;
            }
            let w = &mut work[i];
            w.current -= d;
            w.discounts.push(Discount {
                promotion_id: promotion.id,
                amount: to_decimal(d, currency)?,
            });
            line_ids.push(cart.lines[i].id);
            amount += d;
        }
        exclusive_applied |= promotion.exclusive;
        applied.push(AppliedWork {
            promotion,
            code,
            amount,
            line_ids,
            free_shipping,
        });
    }

    let merchandise = to_decimal(work.iter().map(|w| w.current).sum(), currency)?;
    let mut notices = Vec::new();
    let (shipping_options, mut shipping) = quote_shipping(cart, rules, merchandise, &mut notices)?;
    apply_free_shipping(cart, rules, &mut shipping, &mut applied, &mut rejected);
    let taxes = compute_tax(cart, rules, &work, shipping.as_ref(), &mut notices)?;
    assemble(
        cart,
        rules,
        work,
        shipping,
        shipping_options,
        applied,
        rejected,
        taxes,
        notices,
    )
}

/// Automatic active promotions and the promotions behind the cart's coupon codes, in application
/// order. Codes no promotion carries are rejected here.
fn candidates<'r>(
    cart: &'r Cart,
    rules: &'r PricingRules,
    rejected: &mut Vec<RejectedCoupon>,
) -> Vec<(&'r Promotion, Option<&'r str>)> {
    let mut list: Vec<(&Promotion, Option<&str>)> = rules
        .promotions
        .iter()
        .filter(|p| p.coupon_code.is_none() && p.active)
        .map(|p| (p, None))
        .collect();
    for code in &cart.coupon_codes {
        let found = rules
            .promotions
            .iter()
            .filter(|p| p.coupon_code.as_deref() == Some(code.as_str()))
            .min_by(|a, b| a.priority.cmp(&b.priority).then(a.id.cmp(&b.id)));
        match found {
            Some(p) => list.push((p, Some(code.as_str()))),
            None => rejected.push(rejection(code, CouponRejection::NotFound)),
        }
    }
    list.sort_by(|(a, _), (b, _)| a.priority.cmp(&b.priority).then(a.id.cmp(&b.id)));
    list
}

fn rejection(code: &str, reason: CouponRejection) -> RejectedCoupon {
    RejectedCoupon {
        code: code.to_string(),
        reason,
        message: reason.message().to_string(),
    }
}

/// The lines a promotion's quantity condition counts.
fn counted_selector(effect: &PromotionEffect) -> Option<&LineSelector> {
    match effect {
        PromotionEffect::PercentageOff { target, .. }
        | PromotionEffect::AmountOff { target, .. } => target.selector(),
        PromotionEffect::AmountOffEachItem { items, .. }
        | PromotionEffect::FixedPrice { items, .. } => Some(items),
        PromotionEffect::BuyXGetY { buy, .. } => Some(buy),
        PromotionEffect::TieredSpend { .. } | PromotionEffect::FreeShipping { .. } => None,
    }
}

fn line_matches(selector: Option<&LineSelector>, line: &CartLine) -> bool {
    selector.is_none_or(|s| {
        s.matches(
            line.product_id,
            line.variant_id,
            &line.sku,
            &line.category_ids,
        )
    })
}

/// Whether the effect has what it needs in the cart's currency.
fn has_currency(effect: &PromotionEffect, currency: Currency) -> bool {
    match effect {
        PromotionEffect::AmountOff { amounts, .. }
        | PromotionEffect::AmountOffEachItem { amounts, .. } => amounts.contains_key(&currency),
        PromotionEffect::FixedPrice { prices, .. } => prices.contains_key(&currency),
        PromotionEffect::TieredSpend { tiers } => {
            tiers.iter().any(|t| t.threshold.contains_key(&currency))
        }
        PromotionEffect::PercentageOff { .. }
        | PromotionEffect::BuyXGetY { .. }
        | PromotionEffect::FreeShipping { .. } => true,
    }
}

type Verdict<T> = Result<std::result::Result<T, CouponRejection>>;

fn running_total(work: &[LineWork], currency: Currency) -> Result<Decimal> {
    to_decimal(work.iter().map(|w| w.current).sum(), currency)
}

/// Checks a promotion's conditions against the running state, in a fixed order so the reason
/// reported is predictable: switched off, dates, customer, usage, currency, exclusivity, minimum
/// subtotal, minimum quantity.
fn judge(
    p: &Promotion,
    cart: &Cart,
    ctx: &PricingContext<'_>,
    work: &[LineWork],
    any_applied: bool,
    exclusive_applied: bool,
) -> Verdict<()> {
    use CouponRejection as R;
    let c = &p.conditions;
    let reject = |r: R| Ok(Err(r));
    if !p.active {
        return reject(R::Inactive);
    }
    if c.starts_at.is_some_and(|t| ctx.now < t) {
        return reject(R::NotStarted);
    }
    if c.ends_at.is_some_and(|t| ctx.now >= t) {
        return reject(R::Expired);
    }
    if !c.customer_ids.is_empty()
        && !cart
            .customer_id
            .is_some_and(|id| c.customer_ids.contains(&id))
    {
        return reject(R::CustomerNotEligible);
    }
    let usage = ctx.usage.get(&p.id).copied().unwrap_or_default();
    if p.usage_limit.is_some_and(|limit| usage.total >= limit) {
        return reject(R::UsageLimit);
    }
    if let Some(limit) = p.per_customer_limit {
        // A per-customer limit cannot be counted for a guest, so it needs a signed-in customer.
        if cart.customer_id.is_none() {
            return reject(R::CustomerNotEligible);
        }
        if usage.by_customer >= limit {
            return reject(R::CustomerUsageLimit);
        }
    }
    let currency = cart.currency;
    if !has_currency(&p.effect, currency)
        || c.min_subtotal
            .as_ref()
            .is_some_and(|m| !m.contains_key(&currency))
    {
        return reject(R::CurrencyMismatch);
    }
    if exclusive_applied || (p.exclusive && any_applied) {
        return reject(R::NotCombinable);
    }
    if let Some(min) = c.min_subtotal.as_ref().and_then(|m| m.get(&currency)) {
        if running_total(work, currency)? < *min {
            return reject(R::MinSubtotalNotMet);
        }
    }
    if let Some(min) = c.min_quantity {
        let selector = counted_selector(&p.effect);
        let mut units = Decimal::ZERO;
        for line in cart.lines.iter().filter(|l| line_matches(selector, l)) {
            units = units.checked_add(line.quantity).ok_or(Error::Overflow)?;
        }
        if units < min {
            return reject(R::MinQuantityNotMet);
        }
    }
    Ok(Ok(()))
}

/// Indices of the lines a selector matches that still have something to discount.
fn matching(selector: Option<&LineSelector>, cart: &Cart, work: &[LineWork]) -> Vec<usize> {
    (0..cart.lines.len())
        .filter(|&i| work[i].current > 0 && line_matches(selector, &cart.lines[i]))
        .collect()
}

/// The discounts a promotion gives on the running state, or why it gives none.
fn outcome(
    p: &Promotion,
    cart: &Cart,
    work: &[LineWork],
    rounding: RoundingMode,
) -> Verdict<Outcome> {
    let currency = cart.currency;
    let amount_in = |amounts: &CurrencyAmounts| to_units(amounts[&currency], currency, rounding);
    let discounts: Vec<(usize, Units)> = match &p.effect {
        PromotionEffect::PercentageOff { percent, target } => match target {
            Target::Order => {
                let lines = matching(None, cart, work);
                let base = lines.iter().map(|&i| work[i].current).sum();
                spread(
                    &lines,
                    percent_of(base, *percent, rounding)?.min(base),
                    work,
                )?
            }
            Target::Items(selector) => {
                let mut out = Vec::new();
                for i in matching(Some(selector), cart, work) {
                    let current = work[i].current;
                    out.push((i, percent_of(current, *percent, rounding)?.min(current)));
                }
                out
            }
        },
        PromotionEffect::AmountOff { amounts, target } => {
            let lines = matching(target.selector(), cart, work);
            let base: Units = lines.iter().map(|&i| work[i].current).sum();
            spread(&lines, amount_in(amounts)?.min(base), work)?
        }
        PromotionEffect::AmountOffEachItem { amounts, items } => {
            let per_unit = amount_in(amounts)?;
            let mut out = Vec::new();
            for i in matching(Some(items), cart, work) {
                let off = times(per_unit, cart.lines[i].quantity, rounding)?;
                out.push((i, off.min(work[i].current)));
            }
            out
        }
        PromotionEffect::FixedPrice { prices, items } => {
            let unit = amount_in(prices)?;
            let mut out = Vec::new();
            for i in matching(Some(items), cart, work) {
                let target = times(unit, cart.lines[i].quantity, rounding)?;
                out.push((i, (work[i].current - target).max(0)));
            }
            out
        }
        PromotionEffect::BuyXGetY {
            buy,
            buy_quantity,
            get,
            get_quantity,
            reward,
            max_applications,
        } => {
            let deal = Bxgy {
                buy,
                get: get.as_ref().unwrap_or(buy),
                buy_quantity: i128::from(*buy_quantity),
                get_quantity: i128::from(*get_quantity),
                max_applications: max_applications.map(i128::from),
                reward,
            };
            match deal.discounts(cart, work, rounding)? {
                Some(d) => d,
                None => return Ok(Err(CouponRejection::MinQuantityNotMet)),
            }
        }
        PromotionEffect::TieredSpend { tiers } => {
            let running = running_total(work, currency)?;
            let reached = tiers
                .iter()
                .filter_map(|t| t.threshold.get(&currency).map(|th| (th, &t.reward)))
                .filter(|(th, _)| **th <= running)
                .max_by(|a, b| a.0.cmp(b.0));
            let Some((_, reward)) = reached else {
                return Ok(Err(CouponRejection::MinSubtotalNotMet));
            };
            let lines = matching(None, cart, work);
            let base: Units = lines.iter().map(|&i| work[i].current).sum();
            let total = match reward {
                TierReward::PercentOff { percent } => percent_of(base, *percent, rounding)?,
                TierReward::AmountOff { amounts } => match amounts.get(&currency) {
                    Some(amount) => to_units(*amount, currency, rounding)?,
                    None => return Ok(Err(CouponRejection::CurrencyMismatch)),
                },
            };
            spread(&lines, total.min(base), work)?
        }
        PromotionEffect::FreeShipping { .. } => return Ok(Ok(Outcome::FreeShipping)),
    };
    if discounts.iter().all(|(_, d)| *d == 0) {
        return Ok(Err(CouponRejection::NotApplicable));
    }
    Ok(Ok(Outcome::Lines(discounts)))
}

/// `total` over the lines pro rata to their running amounts, by largest remainder.
fn spread(lines: &[usize], total: Units, work: &[LineWork]) -> Result<Vec<(usize, Units)>> {
    if lines.is_empty() || total <= 0 {
        return Ok(Vec::new());
    }
    let weights: Vec<Units> = lines.iter().map(|&i| work[i].current).collect();
    let parts = allocate_units(total, &weights)?;
    Ok(lines.iter().copied().zip(parts).collect())
}

/// A buy-X-get-Y deal being evaluated.
struct Bxgy<'p> {
    buy: &'p LineSelector,
    get: &'p LineSelector,
    buy_quantity: i128,
    get_quantity: i128,
    max_applications: Option<i128>,
    reward: &'p BxgyReward,
}

impl Bxgy<'_> {
    /// Per-line discounts, or `None` when not even one application fits.
    ///
    /// `a` applications need `a x get` reward units and `a x buy` other units that qualify as the
    /// purchase. Reward units are the cheapest units of the reward pool (at running unit prices);
    /// when the pools overlap, the reward units taken from the overlap are no longer available as
    /// purchase units. The purchase units left shrink as `a` grows, so the largest feasible `a`
    /// is found by bisection over whole-unit counts, without expanding units one by one.
    fn discounts(
        &self,
        cart: &Cart,
        work: &[LineWork],
        rounding: RoundingMode,
    ) -> Result<Option<Vec<(usize, Units)>>> {
        // Whole units per line; lines sold by measure (or with a fractional count) sit out.
        let whole: Vec<i128> = cart
            .lines
            .iter()
            .map(|l| {
                if l.sale_unit.is_each() && l.quantity.fract().is_zero() {
                    l.quantity.mantissa() / 10i128.pow(l.quantity.scale())
                } else {
                    0
                }
            })
            .collect();
        let in_buy: Vec<bool> = (0..cart.lines.len())
            .map(|i| whole[i] > 0 && line_matches(Some(self.buy), &cart.lines[i]))
            .collect();
        let mut pool: Vec<usize> = (0..cart.lines.len())
            .filter(|&i| whole[i] > 0 && line_matches(Some(self.get), &cart.lines[i]))
            .collect();
        // Cheapest running unit price first, compared exactly by cross-multiplication; ties keep
        // cart order.
        pool.sort_by(|&a, &b| {
            (work[a].current * whole[b])
                .cmp(&(work[b].current * whole[a]))
                .then(a.cmp(&b))
        });
        let buy_units: i128 = (0..cart.lines.len())
            .filter(|&i| in_buy[i])
            .map(|i| whole[i])
            .sum();
        let pool_units: i128 = pool.iter().map(|&i| whole[i]).sum();

        // Reward units taken from the cheapest end of the pool for `a` applications, and how many
        // of them also counted as purchase units.
        let take = |a: i128, mut taken: Option<&mut Vec<(usize, i128)>>| -> i128 {
            let mut need = a * self.get_quantity;
            let mut overlap = 0;
            for &i in &pool {
                if need == 0 {
                    break;
                }
                let k = whole[i].min(need);
                need -= k;
                if in_buy[i] {
                    overlap += k;
                }
                if let Some(t) = taken.as_mut() {
                    t.push((i, k));
                }
            }
            overlap
        };
        let feasible = |a: i128| {
            let overlap = take(a, None);
            a * self.get_quantity <= pool_units && a * self.buy_quantity <= buy_units - overlap
        };
        let mut hi = (pool_units / self.get_quantity).min(buy_units / self.buy_quantity);
        if let Some(max) = self.max_applications {
            hi = hi.min(max);
        }
        let mut lo = 0;
        while lo < hi {
            let mid = lo + (hi - lo + 1) / 2;
            if feasible(mid) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        if lo == 0 {
            return Ok(None);
        }
        let mut taken = Vec::new();
        take(lo, Some(&mut taken));
        let mut out = Vec::with_capacity(taken.len());
        for (i, k) in taken {
            let current = work[i].current;
            let d = match self.reward {
                BxgyReward::Free if k == whole[i] => current,
                BxgyReward::Free => div_round(current * k, whole[i], rounding),
                BxgyReward::PercentOff { percent } => {
                    let (num, den) = fraction(*percent);
                    let numerator = (current * k).checked_mul(num).ok_or(Error::Overflow)?;
                    div_round(numerator, whole[i] * den * 100, rounding)
                }
            };
            out.push((i, d.min(current)));
        }
        Ok(Some(out))
    }
}

/// The shipping options and the selected method's charge.
fn quote_shipping<'r>(
    cart: &Cart,
    rules: &'r PricingRules,
    merchandise: Decimal,
    notices: &mut Vec<Notice>,
) -> Result<(Vec<ShippingOption>, Option<ShippingWork<'r>>)> {
    let currency = cart.currency;
    let country = cart.shipping_address.as_ref().map(|a| a.country.as_str());
    let mut weight = Decimal::ZERO;
    for line in &cart.lines {
        if let Some(w) = line.weight {
            let line_weight = w.checked_mul(line.quantity).ok_or(Error::Overflow)?;
            weight = weight.checked_add(line_weight).ok_or(Error::Overflow)?;
        }
    }
    let mut options = Vec::new();
    for m in &rules.shipping_methods {
        if let Ok(amount) = m.quote(currency, country, weight, merchandise) {
            let amount = currency.round(amount, RoundingMode::HalfUp);
            options.push(ShippingOption {
                method_id: m.id,
                name: m.name.clone(),
                amount,
            });
        }
    }
    let Some(selected) = cart.shipping_method_id else {
        return Ok((options, None));
    };
    let Some(method) = rules.shipping_methods.iter().find(|m| m.id == selected) else {
        notices.push(Notice {
            code: NoticeCode::ShippingMethodNotFound,
            message: format!("shipping method `{selected}` does not exist"),
        });
        return Ok((options, None));
    };
    match method.quote(currency, country, weight, merchandise) {
        Ok(amount) => {
            let amount = to_units(amount, currency, RoundingMode::HalfUp)?;
            Ok((
                options,
                Some(ShippingWork {
                    method,
                    amount,
                    discounts: Vec::new(),
                }),
            ))
        }
        Err(why) => {
            notices.push(Notice {
                code: NoticeCode::ShippingMethodUnavailable,
                message: format!("{}: {}", method.name, why.reason()),
            });
            Ok((options, None))
        }
    }
}

/// Applies free-shipping promotions to the selected method. One that does not cover the selected
/// method is withdrawn (a coupon is reported as not applicable); with no method selected yet they
/// stay applied at zero, to take effect when a method is chosen.
fn apply_free_shipping(
    cart: &Cart,
    rules: &PricingRules,
    shipping: &mut Option<ShippingWork<'_>>,
    applied: &mut Vec<AppliedWork<'_>>,
    rejected: &mut Vec<RejectedCoupon>,
) {
    let covers = |p: &Promotion, id: ShippingMethodId| match &p.effect {
        PromotionEffect::FreeShipping { method_ids } => {
            method_ids.is_empty() || method_ids.contains(&id)
        }
        _ => false,
    };
    let selected_but_unavailable = cart
        .shipping_method_id
        .filter(|id| shipping.is_none() && rules.shipping_methods.iter().any(|m| m.id == *id));
    let mut withdrawn = Vec::new();
    for (index, a) in applied
        .iter_mut()
        .enumerate()
        .filter(|(_, a)| a.free_shipping)
    {
        match shipping.as_mut() {
            Some(s) if covers(a.promotion, s.method.id) => {
                let remaining = s.charged();
                if remaining > 0 {
                    s.discounts.push((a.promotion.id, remaining));
                    a.amount += remaining;
                }
            }
            Some(_) => withdrawn.push(index),
            None => {
                if selected_but_unavailable.is_some_and(|id| !covers(a.promotion, id)) {
                    withdrawn.push(index);
                }
            }
        }
    }
    for index in withdrawn.into_iter().rev() {
        let promotion = applied.remove(index);
        if let Some(code) = promotion.code {
            rejected.push(rejection(code, CouponRejection::NotApplicable));
        }
    }
}

/// Tax amounts as `(item, rate index, amount)` sorted by item then rate, where items are the
/// lines in order and then shipping (index `lines.len()`).
type TaxAmounts = Vec<(usize, usize, Units)>;

fn compute_tax(
    cart: &Cart,
    rules: &PricingRules,
    work: &[LineWork],
    shipping: Option<&ShippingWork<'_>>,
    notices: &mut Vec<Notice>,
) -> Result<TaxAmounts> {
    let tax = &rules.tax;
    let destination = match &cart.shipping_address {
        Some(a) => Some((a.country.as_str(), a.region.as_deref())),
        None => tax
            .default_country
            .as_deref()
            .map(|c| (c, tax.default_region.as_deref())),
    };
    let Some((country, region)) = destination else {
        if !tax.rates.is_empty() {
            notices.push(Notice {
                code: NoticeCode::TaxDestinationUnknown,
                message: "tax is added once a shipping address is given".into(),
            });
        }
        return Ok(Vec::new());
    };
    if tax.rates.is_empty() {
        return Ok(Vec::new());
    }

    // Rates as integers at one common scale, so that a rate's share of an item is the exact
    // fraction `base x rate / denominator` with the denominator `100` (tax on top) or
    // `100 + sum of the item's rates` (tax included), both at that scale.
    let scale = tax
        .rates
        .iter()
        .map(|r| r.percent.scale())
        .max()
        .unwrap_or(0);
    let rates: Vec<i128> = tax
        .rates
        .iter()
        .map(|r| {
            r.percent
                .mantissa()
                .checked_mul(10i128.pow(scale - r.percent.scale()))
                .ok_or(Error::Overflow)
        })
        .collect::<Result<_>>()?;
    let hundred = 100 * 10i128.pow(scale);

    let shipping_item = shipping.filter(|_| tax.shipping_taxable).map(|s| {
        let class = s
            .method
            .tax_class
            .as_deref()
            .unwrap_or(tax.shipping_tax_class.as_str());
        (s.charged(), class)
    });
    let items = work
        .iter()
        .zip(&cart.lines)
        .map(|(w, l)| (w.current, l.tax_class.as_str()))
        .chain(shipping_item);

    // `(item, rate, numerator, denominator)` for every rate that applies to an item.
    let mut shares: Vec<(usize, usize, Units, Units)> = Vec::with_capacity(work.len() * 2);
    for (k, (base, class)) in items.enumerate() {
        let first = shares.len();
        let mut combined = 0;
        for (r, rate) in tax.rates.iter().enumerate() {
            if rate.applies(country, region, class) {
                combined = rates[r].checked_add(combined).ok_or(Error::Overflow)?;
                let numerator = base.checked_mul(rates[r]).ok_or(Error::Overflow)?;
                shares.push((k, r, numerator, hundred));
            }
        }
        if tax.prices_include_tax {
            let denominator = hundred.checked_add(combined).ok_or(Error::Overflow)?;
            for share in &mut shares[first..] {
                share.3 = denominator;
            }
        }
    }

    let mut out: TaxAmounts = Vec::with_capacity(shares.len());
    match tax.calculation {
        TaxCalculation::PerLine => {
            for &(k, r, num, den) in &shares {
                out.push((k, r, div_round(num, den, tax.rounding)));
            }
        }
        TaxCalculation::PerRate => {
            // Every item a rate applies to has the rate's tax class, hence the same set of rates
            // and the same denominator; grouping by denominator as well keeps this exact anyway.
            let mut groups: Vec<(usize, Units)> =
                shares.iter().map(|&(_, r, _, den)| (r, den)).collect();
            groups.sort_unstable();
            groups.dedup();
            for (r, den) in groups {
                let members: Vec<(usize, Units)> = shares
                    .iter()
                    .filter(|s| s.1 == r && s.3 == den)
                    .map(|&(k, _, num, _)| (k, num))
                    .collect();
                let numerator: Units = members.iter().map(|m| m.1).sum();
                let total = div_round(numerator, den, tax.rounding);
                let weights: Vec<Units> = members.iter().map(|m| m.1).collect();
                let parts = allocate_units(total, &weights)?;
                out.extend(
                    members
                        .iter()
                        .zip(parts)
                        .map(|(&(k, _), amount)| (k, r, amount)),
                );
            }
            out.sort_unstable_by_key(|&(k, r, _)| (k, r));
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn assemble(
    cart: &Cart,
    rules: &PricingRules,
    work: Vec<LineWork>,
    shipping: Option<ShippingWork<'_>>,
    shipping_options: Vec<ShippingOption>,
    applied: Vec<AppliedWork<'_>>,
    rejected: Vec<RejectedCoupon>,
    taxes: TaxAmounts,
    notices: Vec<Notice>,
) -> Result<PricedCart> {
    let currency = cart.currency;
    let tax = &rules.tax;
    let inclusive = tax.prices_include_tax;
    let money = |u: Units| to_decimal(u, currency);
    let discounts_of = |list: &[(PromotionId, Units)]| -> Result<Vec<Discount>> {
        list.iter()
            .map(|&(promotion_id, amount)| {
                Ok(Discount {
                    promotion_id,
                    amount: money(amount)?,
                })
            })
            .collect()
    };

    // Per rate: (taxable net amount, tax), for the invoice summary.
    let mut per_rate: Vec<Option<(Units, Units)>> = vec![None; tax.rates.len()];
    let mut cursor = 0;
    // Takes the taxes of `item` off the sorted list and books them per rate; returns the item's
    // tax amounts, its tax total and its total.
    let mut book = |item: usize, charged: Units| -> Result<(Vec<TaxAmount>, Units, Units)> {
        let start = cursor;
        while cursor < taxes.len() && taxes[cursor].0 == item {
            cursor += 1;
        }
        let own = &taxes[start..cursor];
        let tax_total: Units = own.iter().map(|t| t.2).sum();
        let (net, total) = if inclusive {
            (charged - tax_total, charged)
        } else {
            (charged, charged + tax_total)
        };
        let mut amounts = Vec::with_capacity(own.len());
        for &(_, r, amount) in own {
            let slot = per_rate[r].get_or_insert((0, 0));
            slot.0 += net;
            slot.1 += amount;
            amounts.push(TaxAmount {
                rate_id: tax.rates[r].id,
                amount: money(amount)?,
            });
        }
        Ok((amounts, tax_total, total))
    };

    let mut lines = Vec::with_capacity(work.len());
    let (mut subtotal, mut discount_total, mut tax_total, mut total) = (0, 0, 0, 0);
    for (k, (w, line)) in work.into_iter().zip(&cart.lines).enumerate() {
        let (taxes, line_tax, line_total) = book(k, w.current)?;
        subtotal += w.subtotal;
        discount_total += w.subtotal - w.current;
        tax_total += line_tax;
        total += line_total;
        lines.push(PricedLine {
            line_id: line.id,
            product_id: line.product_id,
            variant_id: line.variant_id,
            quantity: line.quantity,
            unit_price: line.unit_price,
            subtotal: money(w.subtotal)?,
            discounts: w.discounts,
            discount_total: money(w.subtotal - w.current)?,
            taxes,
            tax_total: money(line_tax)?,
            total: money(line_total)?,
        });
    }
    let mut shipping_total = 0;
    let shipping = match shipping {
        Some(s) => {
            let charged = s.charged();
            let (taxes, ship_tax, ship_total) = if tax.shipping_taxable {
                book(cart.lines.len(), charged)?
            } else {
                (Vec::new(), 0, charged)
            };
            shipping_total = s.amount;
            discount_total += s.amount - charged;
            tax_total += ship_tax;
            total += ship_total;
            Some(PricedShipping {
                method_id: s.method.id,
                name: s.method.name.clone(),
                amount: money(s.amount)?,
                discounts: discounts_of(&s.discounts)?,
                discount_total: money(s.amount - charged)?,
                taxes,
                tax_total: money(ship_tax)?,
                total: money(ship_total)?,
            })
        }
        None => None,
    };
    let tax_lines = per_rate
        .into_iter()
        .enumerate()
        .filter_map(|(r, booked)| booked.map(|b| (r, b)))
        .map(|(r, (net, amount))| {
            let rate = &tax.rates[r];
            Ok(TaxLine {
                rate_id: rate.id,
                name: rate.name.clone(),
                percent: rate.percent,
                taxable_amount: money(net)?,
                amount: money(amount)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let applied_promotions = applied
        .into_iter()
        .map(|a| {
            Ok(AppliedPromotion {
                promotion_id: a.promotion.id,
                name: a.promotion.name.clone(),
                coupon_code: a.code.map(str::to_string),
                amount: money(a.amount)?,
                line_ids: a.line_ids,
                free_shipping: a.free_shipping,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(PricedCart {
        cart_id: cart.id,
        cart_version: cart.version,
        currency,
        prices_include_tax: inclusive,
        lines,
        shipping,
        shipping_options,
        applied_promotions,
        rejected_coupons: rejected,
        tax_lines,
        notices,
        totals: Totals {
            subtotal: money(subtotal)?,
            discount_total: money(discount_total)?,
            shipping_total: money(shipping_total)?,
            tax_total: money(tax_total)?,
            total: money(total)?,
            item_count: cart.item_count(),
        },
    })
}
