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
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::cart::{Cart, CartLine};
use crate::error::{CouponRejection, Error, Result};
use crate::ids::{CartId, LineId, ProductId, PromotionId, ShippingMethodId, TaxRateId, VariantId};
use crate::money::{allocate, Currency, RoundingMode};
use crate::promotion::{
    BxgyReward, LineSelector, Promotion, PromotionEffect, PromotionUsageMap, Target, TierReward,
};
use crate::shipping::ShippingMethod;
use crate::tax::{TaxCalculation, TaxSettings};

/// Everything the store decides about prices beyond the catalog: promotions, tax and shipping.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
#[serde(rename_all = "camelCase")]
pub struct Discount {
    /// The promotion.
    pub promotion_id: PromotionId,
    /// Amount taken off, in minor units of the cart currency.
    pub amount: Decimal,
}

/// A tax amount on a line or on shipping, with its rate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxAmount {
    /// The rate.
    pub rate_id: TaxRateId,
    /// Tax amount.
    pub amount: Decimal,
}

/// A priced cart line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PricedLine {
    /// The cart line.
    pub line_id: LineId,
    /// Its product.
    pub product_id: ProductId,
    /// Its variant.
    pub variant_id: VariantId,
    /// Its SKU.
    pub sku: String,
    /// Its display name.
    pub name: String,
    /// Quantity.
    pub quantity: Decimal,
    /// Price of one unit.
    pub unit_price: Decimal,
    /// Unit price x quantity, rounded once.
    pub subtotal: Decimal,
    /// Discounts in the order they were applied.
    pub discounts: Vec<Discount>,
    /// Sum of `discounts`.
    pub discount_total: Decimal,
    /// Tax per rate.
    pub taxes: Vec<TaxAmount>,
    /// Sum of `taxes`.
    pub tax_total: Decimal,
    /// `subtotal - discountTotal`, plus `taxTotal` when prices exclude tax.
    pub total: Decimal,
}

/// The selected shipping method, priced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PricedShipping {
    /// The method.
    pub method_id: ShippingMethodId,
    /// Its name.
    pub name: String,
    /// Its charge for this cart (zero once a free-over threshold is reached).
    pub amount: Decimal,
    /// Free-shipping discounts.
    pub discounts: Vec<Discount>,
    /// Sum of `discounts`.
    pub discount_total: Decimal,
    /// Tax per rate, when shipping is taxable.
    pub taxes: Vec<TaxAmount>,
    /// Sum of `taxes`.
    pub tax_total: Decimal,
    /// `amount - discountTotal`, plus `taxTotal` when prices exclude tax.
    pub total: Decimal,
}

/// A method that can ship this cart, with its charge before promotions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingOption {
    /// The method.
    pub method_id: ShippingMethodId,
    /// Its name.
    pub name: String,
    /// Its charge for this cart.
    pub amount: Decimal,
}

/// A promotion that applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedPromotion {
    /// The promotion.
    pub promotion_id: PromotionId,
    /// Its name.
    pub name: String,
    /// The coupon code that unlocked it, if any.
    pub coupon_code: Option<String>,
    /// Total it took off (lines and shipping).
    pub amount: Decimal,
    /// Lines it discounted.
    pub line_ids: Vec<LineId>,
    /// Whether it makes shipping free.
    pub free_shipping: bool,
}

/// A coupon code that did not apply, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
#[serde(rename_all = "camelCase")]
pub struct TaxLine {
    /// The rate.
    pub rate_id: TaxRateId,
    /// Its name.
    pub name: String,
    /// Its percent.
    pub percent: Decimal,
    /// Net amount the rate was charged on.
    pub taxable_amount: Decimal,
    /// Tax charged.
    pub amount: Decimal,
}

/// Something the shopper should know that is not an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[serde(rename_all = "camelCase")]
pub struct Totals {
    /// Sum of line subtotals.
    pub subtotal: Decimal,
    /// Sum of line and shipping discounts.
    pub discount_total: Decimal,
    /// Shipping charge before discounts.
    pub shipping_total: Decimal,
    /// Sum of line and shipping tax.
    pub tax_total: Decimal,
    /// What the shopper pays.
    pub total: Decimal,
    /// Units in the cart.
    pub item_count: Decimal,
}

/// The result of [`price_cart`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

/// Running state of one line while promotions apply.
struct LineWork {
    subtotal: Decimal,
    current: Decimal,
    discounts: Vec<Discount>,
}

/// A promotion's outcome before it is applied.
enum Outcome {
    /// Per-line discounts `(line index, amount)`, each rounded and within the line's running
    /// amount.
    Lines(Vec<(usize, Decimal)>),
    /// Shipping becomes free on these methods (all when empty).
    FreeShipping(Vec<ShippingMethodId>),
}

fn sum(values: impl IntoIterator<Item = Decimal>) -> Result<Decimal> {
    values.into_iter().try_fold(Decimal::ZERO, |acc, v| {
        acc.checked_add(v).ok_or(Error::Overflow)
    })
}

fn percent_of(amount: Decimal, percent: Decimal) -> Decimal {
    amount * percent / Decimal::ONE_HUNDRED
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
        let raw = line
            .unit_price
            .checked_mul(line.quantity)
            .ok_or(Error::Overflow)?;
        let subtotal = currency.round(raw, rounding);
        work.push(LineWork {
            subtotal,
            current: subtotal,
            discounts: Vec::new(),
        });
    }

    let mut applied: Vec<AppliedPromotion> = Vec::new();
    let mut rejected: Vec<RejectedCoupon> = Vec::new();
    let mut free_shipping: Vec<(usize, Vec<ShippingMethodId>)> = Vec::new();
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
        match verdict {
            Ok(Outcome::Lines(discounts)) => {
                let mut line_ids = Vec::with_capacity(discounts.len());
                let mut amount = Decimal::ZERO;
                for (i, d) in discounts {
                    if d.is_zero() {
                        continue;
                    }
                    let w = &mut work[i];
                    w.current -= d;
                    w.discounts.push(Discount {
                        promotion_id: promotion.id,
                        amount: d,
                    });
                    line_ids.push(cart.lines[i].id);
                    amount += d;
                }
                exclusive_applied |= promotion.exclusive;
                applied.push(AppliedPromotion {
                    promotion_id: promotion.id,
                    name: promotion.name.clone(),
                    coupon_code: code.map(str::to_string),
                    amount,
                    line_ids,
                    free_shipping: false,
                });
            }
            Ok(Outcome::FreeShipping(methods)) => {
                exclusive_applied |= promotion.exclusive;
                free_shipping.push((applied.len(), methods));
                applied.push(AppliedPromotion {
                    promotion_id: promotion.id,
                    name: promotion.name.clone(),
                    coupon_code: code.map(str::to_string),
                    amount: currency.round(Decimal::ZERO, rounding),
                    line_ids: Vec::new(),
                    free_shipping: true,
                });
            }
            Err(reason) => {
                if let Some(code) = code {
                    rejected.push(rejection(code, reason));
                }
            }
        }
    }

    let merchandise = sum(work.iter().map(|w| w.current))?;
    let mut notices = Vec::new();
    let (shipping_options, mut shipping) = quote_shipping(cart, rules, merchandise, &mut notices)?;
    apply_free_shipping(
        cart,
        rules,
        &mut shipping,
        free_shipping,
        &mut applied,
        &mut rejected,
    );

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
        if sum(work.iter().map(|w| w.current))? < *min {
            return reject(R::MinSubtotalNotMet);
        }
    }
    if let Some(min) = c.min_quantity {
        let selector = counted_selector(&p.effect);
        let units = sum(cart
            .lines
            .iter()
            .filter(|l| line_matches(selector, l))
            .map(|l| l.quantity))?;
        if units < min {
            return reject(R::MinQuantityNotMet);
        }
    }
    Ok(Ok(()))
}

/// The discounts a promotion gives on the running state, or why it gives none.
fn outcome(
    p: &Promotion,
    cart: &Cart,
    work: &[LineWork],
    rounding: RoundingMode,
) -> Verdict<Outcome> {
    let currency = cart.currency;
    let matching = |selector: Option<&LineSelector>| -> Vec<usize> {
        (0..cart.lines.len())
            .filter(|&i| !work[i].current.is_zero() && line_matches(selector, &cart.lines[i]))
            .collect()
    };
    let discounts = match &p.effect {
        PromotionEffect::PercentageOff {
            percent,
            target: Target::Order,
        } => {
            let lines = matching(None);
            spread_percent(&lines, *percent, work, currency, rounding)?
        }
        PromotionEffect::PercentageOff {
            percent,
            target: Target::Items(selector),
        } => matching(Some(selector))
            .into_iter()
            .map(|i| {
                let current = work[i].current;
                let d = currency
                    .round(percent_of(current, *percent), rounding)
                    .min(current);
                (i, d)
            })
            .collect(),
        PromotionEffect::AmountOff { amounts, target } => {
            let lines = matching(target.selector());
            spread_amount(&lines, amounts[&currency], work, currency)?
        }
        PromotionEffect::AmountOffEachItem { amounts, items } => {
            let per_unit = amounts[&currency];
            matching(Some(items))
                .into_iter()
                .map(|i| {
                    let current = work[i].current;
                    let raw = per_unit
                        .checked_mul(cart.lines[i].quantity)
                        .unwrap_or(Decimal::MAX);
                    (i, currency.round(raw, rounding).min(current))
                })
                .collect()
        }
        PromotionEffect::FixedPrice { prices, items } => {
            let unit = prices[&currency];
            matching(Some(items))
                .into_iter()
                .map(|i| {
                    let current = work[i].current;
                    let raw = unit
                        .checked_mul(cart.lines[i].quantity)
                        .unwrap_or(Decimal::MAX);
                    let target = currency.round(raw, rounding);
                    (i, (current - target).max(Decimal::ZERO))
                })
                .collect()
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
                buy_quantity: i64::from(*buy_quantity),
                get_quantity: i64::from(*get_quantity),
                max_applications: max_applications.map(i64::from),
                reward,
            };
            match deal.discounts(cart, work, rounding) {
                Some(d) => d,
                None => return Ok(Err(CouponRejection::MinQuantityNotMet)),
            }
        }
        PromotionEffect::TieredSpend { tiers } => {
            let running = sum(work.iter().map(|w| w.current))?;
            let reached = tiers
                .iter()
                .filter_map(|t| t.threshold.get(&currency).map(|th| (th, &t.reward)))
                .filter(|(th, _)| **th <= running)
                .max_by(|a, b| a.0.cmp(b.0));
            let Some((_, reward)) = reached else {
                return Ok(Err(CouponRejection::MinSubtotalNotMet));
            };
            let lines = matching(None);
            match reward {
                TierReward::PercentOff { percent } => {
                    spread_percent(&lines, *percent, work, currency, rounding)?
                }
                TierReward::AmountOff { amounts } => match amounts.get(&currency) {
                    Some(amount) => spread_amount(&lines, *amount, work, currency)?,
                    None => return Ok(Err(CouponRejection::CurrencyMismatch)),
                },
            }
        }
        PromotionEffect::FreeShipping { method_ids } => {
            return Ok(Ok(Outcome::FreeShipping(method_ids.clone())));
        }
    };
    if discounts.iter().all(|(_, d)| d.is_zero()) {
        return Ok(Err(CouponRejection::NotApplicable));
    }
    Ok(Ok(Outcome::Lines(discounts)))
}

/// `percent` of the lines' running amounts, rounded once and allocated pro rata.
fn spread_percent(
    lines: &[usize],
    percent: Decimal,
    work: &[LineWork],
    currency: Currency,
    rounding: RoundingMode,
) -> Result<Vec<(usize, Decimal)>> {
    let base = sum(lines.iter().map(|&i| work[i].current))?;
    let total = currency
        .round(percent_of(base, percent), rounding)
        .min(base);
    spread(lines, total, work, currency)
}

/// A fixed amount off the lines together, capped at their running amounts and allocated pro rata.
fn spread_amount(
    lines: &[usize],
    amount: Decimal,
    work: &[LineWork],
    currency: Currency,
) -> Result<Vec<(usize, Decimal)>> {
    let base = sum(lines.iter().map(|&i| work[i].current))?;
    spread(lines, amount.min(base), work, currency)
}

fn spread(
    lines: &[usize],
    total: Decimal,
    work: &[LineWork],
    currency: Currency,
) -> Result<Vec<(usize, Decimal)>> {
    if lines.is_empty() || total.is_zero() {
        return Ok(Vec::new());
    }
    let weights: Vec<Decimal> = lines.iter().map(|&i| work[i].current).collect();
    let parts = allocate(total, &weights, currency)?;
    Ok(lines.iter().copied().zip(parts).collect())
}

/// A buy-X-get-Y deal being evaluated.
struct Bxgy<'p> {
    buy: &'p LineSelector,
    get: &'p LineSelector,
    buy_quantity: i64,
    get_quantity: i64,
    max_applications: Option<i64>,
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
    ) -> Option<Vec<(usize, Decimal)>> {
        let whole = |i: usize| {
            let l = &cart.lines[i];
            l.sale_unit.is_each() && l.quantity.fract().is_zero()
        };
        let units = |i: usize| cart.lines[i].quantity.trunc().to_i64().unwrap_or(0);
        let in_buy: Vec<bool> = (0..cart.lines.len())
            .map(|i| whole(i) && line_matches(Some(self.buy), &cart.lines[i]))
            .collect();
        let mut pool: Vec<usize> = (0..cart.lines.len())
            .filter(|&i| whole(i) && line_matches(Some(self.get), &cart.lines[i]))
            .collect();
        // Cheapest running unit price first, compared exactly by cross-multiplication; ties keep
        // cart order.
        pool.sort_by(|&a, &b| {
            let lhs = work[a].current * cart.lines[b].quantity;
            let rhs = work[b].current * cart.lines[a].quantity;
            lhs.cmp(&rhs).then(a.cmp(&b))
        });
        let buy_units: i64 = (0..cart.lines.len())
            .filter(|&i| in_buy[i])
            .map(units)
            .sum();
        let pool_units: i64 = pool.iter().map(|&i| units(i)).sum();

        // Reward units taken from the cheapest end of the pool for `a` applications, and how many
        // of them also counted as purchase units.
        let take = |a: i64| -> (Vec<(usize, i64)>, i64) {
            let mut need = a * self.get_quantity;
            let mut taken = Vec::new();
            let mut overlap = 0;
            for &i in &pool {
                if need == 0 {
                    break;
                }
                let k = units(i).min(need);
                need -= k;
                if in_buy[i] {
                    overlap += k;
                }
                taken.push((i, k));
            }
            (taken, overlap)
        };
        let feasible = |a: i64| {
            let (_, overlap) = take(a);
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
            return None;
        }
        let (taken, _) = take(lo);
        let currency = cart.currency;
        Some(
            taken
                .into_iter()
                .map(|(i, k)| {
                    let current = work[i].current;
                    let quantity = cart.lines[i].quantity;
                    let d = match self.reward {
                        BxgyReward::Free if Decimal::from(k) == quantity => current,
                        BxgyReward::Free => {
                            currency.round(current * Decimal::from(k) / quantity, rounding)
                        }
                        BxgyReward::PercentOff { percent } => currency.round(
                            percent_of(current * Decimal::from(k) / quantity, *percent),
                            rounding,
                        ),
                    };
                    (i, d.min(current))
                })
                .collect(),
        )
    }
}

/// The shipping options and the selected method's charge.
fn quote_shipping(
    cart: &Cart,
    rules: &PricingRules,
    merchandise: Decimal,
    notices: &mut Vec<Notice>,
) -> Result<(Vec<ShippingOption>, Option<PricedShipping>)> {
    let currency = cart.currency;
    let country = cart.shipping_address.as_ref().map(|a| a.country.as_str());
    let mut weight = Decimal::ZERO;
    for line in &cart.lines {
        if let Some(w) = line.weight {
            let line_weight = w.checked_mul(line.quantity).ok_or(Error::Overflow)?;
            weight = weight.checked_add(line_weight).ok_or(Error::Overflow)?;
        }
    }
    let options = rules
        .shipping_methods
        .iter()
        .filter_map(|m| {
            m.quote(currency, country, weight, merchandise)
                .ok()
                .map(|amount| ShippingOption {
                    method_id: m.id,
                    name: m.name.clone(),
                    amount,
                })
        })
        .collect();
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
        Ok(amount) => Ok((
            options,
            Some(PricedShipping {
                method_id: method.id,
                name: method.name.clone(),
                amount: currency.round(amount, RoundingMode::HalfUp),
                discounts: Vec::new(),
                discount_total: currency.round(Decimal::ZERO, RoundingMode::HalfUp),
                taxes: Vec::new(),
                tax_total: currency.round(Decimal::ZERO, RoundingMode::HalfUp),
                total: Decimal::ZERO,
            }),
        )),
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
    shipping: &mut Option<PricedShipping>,
    promotions: Vec<(usize, Vec<ShippingMethodId>)>,
    applied: &mut Vec<AppliedPromotion>,
    rejected: &mut Vec<RejectedCoupon>,
) {
    let mut withdrawn = Vec::new();
    for (index, methods) in promotions {
        let covers = |id: ShippingMethodId| methods.is_empty() || methods.contains(&id);
        match shipping.as_mut() {
            Some(s) if covers(s.method_id) => {
                let remaining = s.amount - s.discount_total;
                if !remaining.is_zero() {
                    s.discounts.push(Discount {
                        promotion_id: applied[index].promotion_id,
                        amount: remaining,
                    });
                    s.discount_total += remaining;
                    applied[index].amount += remaining;
                }
            }
            Some(_) => withdrawn.push(index),
            None if cart.shipping_method_id.is_some_and(|id| {
                rules.shipping_methods.iter().any(|m| m.id == id) && !covers(id)
            }) =>
            {
                withdrawn.push(index)
            }
            None => {}
        }
    }
    for index in withdrawn.into_iter().rev() {
        let promotion = applied.remove(index);
        if let Some(code) = promotion.coupon_code {
            rejected.push(rejection(&code, CouponRejection::NotApplicable));
        }
    }
}

/// Tax per line (and for shipping, last), per rate index.
struct TaxResult {
    /// For each line then shipping: `(rate index, amount)`.
    items: Vec<Vec<(usize, Decimal)>>,
}

fn compute_tax(
    cart: &Cart,
    rules: &PricingRules,
    work: &[LineWork],
    shipping: Option<&PricedShipping>,
    notices: &mut Vec<Notice>,
) -> Result<TaxResult> {
    let tax = &rules.tax;
    let currency = cart.currency;
    let n = work.len();
    let mut items: Vec<Vec<(usize, Decimal)>> = vec![Vec::new(); n + 1];
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
        return Ok(TaxResult { items });
    };

    // Taxable items: the lines, then shipping when it is taxable.
    let shipping_item = shipping.filter(|_| tax.shipping_taxable).map(|s| {
        let class = rules
            .shipping_methods
            .iter()
            .find(|m| m.id == s.method_id)
            .and_then(|m| m.tax_class.as_deref())
            .unwrap_or(tax.shipping_tax_class.as_str());
        (s.amount - s.discount_total, class)
    });
    let bases: Vec<(Decimal, &str)> = work
        .iter()
        .zip(&cart.lines)
        .map(|(w, l)| (w.current, l.tax_class.as_str()))
        .chain(shipping_item)
        .collect();

    // Exact (unrounded) share of each rate in each item.
    let mut shares: Vec<Vec<(usize, Decimal)>> = Vec::with_capacity(bases.len());
    for (base, class) in &bases {
        let rates: Vec<usize> = (0..tax.rates.len())
            .filter(|&r| tax.rates[r].applies(country, region, class))
            .collect();
        let combined: Decimal = rates.iter().map(|&r| tax.rates[r].percent).sum();
        let divisor = if tax.prices_include_tax {
            Decimal::ONE_HUNDRED + combined
        } else {
            Decimal::ONE_HUNDRED
        };
        shares.push(
            rates
                .into_iter()
                .map(|r| (r, *base * tax.rates[r].percent / divisor))
                .collect(),
        );
    }

    match tax.calculation {
        TaxCalculation::PerLine => {
            for (k, item) in shares.iter().enumerate() {
                let slot = if k < n { k } else { n };
                items[slot] = item
                    .iter()
                    .map(|&(r, s)| (r, currency.round(s, tax.rounding)))
                    .collect();
            }
        }
        TaxCalculation::PerRate => {
            for r in 0..tax.rates.len() {
                let holders: Vec<(usize, Decimal)> = shares
                    .iter()
                    .enumerate()
                    .filter_map(|(k, item)| {
                        item.iter().find(|(x, _)| *x == r).map(|(_, s)| (k, *s))
                    })
                    .collect();
                if holders.is_empty() {
                    continue;
                }
                let total = currency.round(sum(holders.iter().map(|(_, s)| *s))?, tax.rounding);
                // Weights are rounded well below a minor unit so the integer allocation cannot
                // overflow; the order of the shares is all that matters at that precision.
                let weights: Vec<Decimal> = holders.iter().map(|(_, s)| s.round_dp(12)).collect();
                let parts = allocate(total, &weights, currency)?;
                for ((k, _), amount) in holders.into_iter().zip(parts) {
                    let slot = if k < n { k } else { n };
                    items[slot].push((r, amount));
                }
            }
            for item in &mut items {
                item.sort_by_key(|(r, _)| *r);
            }
        }
    }
    Ok(TaxResult { items })
}

#[allow(clippy::too_many_arguments)]
fn assemble(
    cart: &Cart,
    rules: &PricingRules,
    work: Vec<LineWork>,
    mut shipping: Option<PricedShipping>,
    shipping_options: Vec<ShippingOption>,
    applied: Vec<AppliedPromotion>,
    rejected: Vec<RejectedCoupon>,
    mut taxes: TaxResult,
    notices: Vec<Notice>,
) -> Result<PricedCart> {
    let currency = cart.currency;
    let tax = &rules.tax;
    let inclusive = tax.prices_include_tax;
    // Every amount is already whole minor units; this only fixes the scale ("0" -> "0.00").
    let scaled = |d: Decimal| currency.round(d, RoundingMode::HalfUp);
    let zero = scaled(Decimal::ZERO);
    let to_amounts = |item: &[(usize, Decimal)]| -> Vec<TaxAmount> {
        item.iter()
            .map(|&(r, amount)| TaxAmount {
                rate_id: tax.rates[r].id,
                amount,
            })
            .collect()
    };

    let mut tax_lines: Vec<TaxLine> = Vec::new();
    let mut record_tax = |item: &[(usize, Decimal)], net: Decimal| {
        for &(r, amount) in item {
            let rate = &tax.rates[r];
            match tax_lines.iter_mut().find(|t| t.rate_id == rate.id) {
                Some(t) => {
                    t.taxable_amount += net;
                    t.amount += amount;
                }
                None => tax_lines.push(TaxLine {
                    rate_id: rate.id,
                    name: rate.name.clone(),
                    percent: rate.percent,
                    taxable_amount: net,
                    amount,
                }),
            }
        }
    };

    let mut lines = Vec::with_capacity(work.len());
    for ((w, line), item) in work.into_iter().zip(&cart.lines).zip(&taxes.items) {
        let discount_total = w.subtotal - w.current;
        let tax_total = item.iter().fold(zero, |acc, (_, a)| acc + a);
        let (net, total) = if inclusive {
            (w.current - tax_total, w.current)
        } else {
            (
                w.current,
                w.current.checked_add(tax_total).ok_or(Error::Overflow)?,
            )
        };
        record_tax(item, net);
        lines.push(PricedLine {
            line_id: line.id,
            product_id: line.product_id,
            variant_id: line.variant_id,
            sku: line.sku.clone(),
            name: line.name.clone(),
            quantity: line.quantity,
            unit_price: line.unit_price,
            subtotal: w.subtotal,
            discounts: w.discounts,
            discount_total: currency.round(discount_total, RoundingMode::HalfUp),
            taxes: to_amounts(item),
            tax_total,
            total,
        });
    }
    if let Some(s) = shipping.as_mut() {
        let item = std::mem::take(&mut taxes.items[cart.lines.len()]);
        let charged = s.amount - s.discount_total;
        s.tax_total = item.iter().fold(zero, |acc, (_, a)| acc + a);
        let (net, total) = if inclusive {
            (charged - s.tax_total, charged)
        } else {
            (
                charged,
                charged.checked_add(s.tax_total).ok_or(Error::Overflow)?,
            )
        };
        record_tax(&item, net);
        s.taxes = to_amounts(&item);
        s.total = total;
    }
    tax_lines.sort_by_key(|t| tax.rates.iter().position(|r| r.id == t.rate_id));

    let shipping_parts = shipping
        .as_ref()
        .map(|s| (s.amount, s.discount_total, s.tax_total, s.total));
    let (ship_amount, ship_discount, ship_tax, ship_total) =
        shipping_parts.unwrap_or((zero, zero, zero, zero));
    let totals = Totals {
        subtotal: scaled(sum(lines.iter().map(|l| l.subtotal))?),
        discount_total: scaled(sum(lines
            .iter()
            .map(|l| l.discount_total)
            .chain([ship_discount]))?),
        shipping_total: ship_amount,
        tax_total: scaled(sum(lines.iter().map(|l| l.tax_total).chain([ship_tax]))?),
        total: scaled(sum(lines.iter().map(|l| l.total).chain([ship_total]))?),
        item_count: cart.item_count(),
    };
    Ok(PricedCart {
        cart_id: cart.id,
        cart_version: cart.version,
        currency,
        prices_include_tax: inclusive,
        lines,
        shipping,
        shipping_options,
        applied_promotions: applied,
        rejected_coupons: rejected,
        tax_lines,
        notices,
        totals,
    })
}
