//! Worked pricing examples with every amount computed by hand (the arithmetic is in the comments),
//! in USD (2 decimals), JPY (0 decimals), KWD (3 decimals) and EUR, covering each promotion kind,
//! each tax mode and each shipping kind.

use chrono::{DateTime, Duration, Utc};
use merx_core::cart::{Address, Cart};
use merx_core::catalog::{Product, ProductStatus, Variant};
use merx_core::error::CouponRejection;
use merx_core::ids::{CategoryId, UserId};
use merx_core::pricing::{price_cart, NoticeCode, PricedCart, PricingContext, PricingRules};
use merx_core::promotion::{
    BxgyReward, CurrencyAmounts, LineSelector, Promotion, PromotionEffect, PromotionUsage,
    PromotionUsageMap, SpendTier, Target, TierReward,
};
use merx_core::shipping::{ShippingMethod, ShippingRate, WeightTier};
use merx_core::tax::{TaxCalculation, TaxRate};
use merx_core::{Currency, RoundingMode};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn now() -> DateTime<Utc> {
    "2026-11-26T12:00:00Z".parse().unwrap()
}

struct Item {
    sku: &'static str,
    price: Decimal,
    quantity: Decimal,
    tax_class: &'static str,
    weight: Option<Decimal>,
    category: Option<CategoryId>,
}

fn item(sku: &'static str, price: Decimal, quantity: u32) -> Item {
    Item {
        sku,
        price,
        quantity: Decimal::from(quantity),
        tax_class: "standard",
        weight: None,
        category: None,
    }
}

fn cart_of(currency: Currency, items: &[Item]) -> Cart {
    let mut cart = Cart::new(currency, None, now());
    for it in items {
        let mut v = Variant::new(it.sku, currency, it.price);
        v.stock = dec!(1000);
        v.tax_class = it.tax_class.to_string();
        v.weight = it.weight;
        let mut p = Product::new(format!("Product {}", it.sku), vec![v]);
        p.status = ProductStatus::Active;
        p.category_ids = it.category.into_iter().collect();
        cart.add_item(&p, p.variants[0].id, it.quantity, None, now())
            .unwrap();
    }
    cart
}

fn amounts(currency: Currency, amount: Decimal) -> CurrencyAmounts {
    CurrencyAmounts::from([(currency, amount)])
}

fn skus(list: &[&str]) -> LineSelector {
    LineSelector {
        skus: list.iter().map(|s| s.to_string()).collect(),
        ..LineSelector::default()
    }
}

fn price(cart: &Cart, rules: &PricingRules) -> PricedCart {
    let priced = price_cart(cart, &PricingContext::new(rules, now())).unwrap();
    assert_adds_up(&priced);
    priced
}

/// The invariants every priced cart must satisfy, checked on each example.
fn assert_adds_up(p: &PricedCart) {
    let mut total = Decimal::ZERO;
    for l in &p.lines {
        let discounts: Decimal = l.discounts.iter().map(|d| d.amount).sum();
        let taxes: Decimal = l.taxes.iter().map(|t| t.amount).sum();
        assert_eq!(l.discount_total, discounts);
        assert_eq!(l.tax_total, taxes);
        let net = l.subtotal - l.discount_total;
        assert!(net >= Decimal::ZERO);
        let expected = if p.prices_include_tax {
            net
        } else {
            net + l.tax_total
        };
        assert_eq!(l.total, expected);
        total += l.total;
    }
    if let Some(s) = &p.shipping {
        total += s.total;
    }
    assert_eq!(p.totals.total, total);
    let tax = if p.prices_include_tax {
        Decimal::ZERO
    } else {
        p.totals.tax_total
    };
    assert_eq!(
        p.totals.total,
        p.totals.subtotal - p.totals.discount_total + p.totals.shipping_total + tax
    );
    let applied: Decimal = p.applied_promotions.iter().map(|a| a.amount).sum();
    assert_eq!(applied, p.totals.discount_total);
    let tax_lines: Decimal = p.tax_lines.iter().map(|t| t.amount).sum();
    assert_eq!(tax_lines, p.totals.tax_total);
}

fn line_discounts(p: &PricedCart) -> Vec<Decimal> {
    p.lines.iter().map(|l| l.discount_total).collect()
}

fn line_taxes(p: &PricedCart) -> Vec<Decimal> {
    p.lines.iter().map(|l| l.tax_total).collect()
}

#[test]
fn usd_category_percent_then_order_coupon_with_sales_tax_and_flat_shipping() {
    let apparel = CategoryId::new();
    let mut a = item("TEE", dec!(19.99), 3);
    a.category = Some(apparel);
    let mut b = item("SOCKS", dec!(5.55), 1);
    b.category = Some(apparel);
    let mut c = item("GUM", dec!(0.99), 7);
    c.tax_class = "zero";
    let mut cart = cart_of(Currency::Usd, &[a, b, c]);
    cart.apply_coupon("save5", now()).unwrap();
    cart.set_shipping_address(
        Some(Address {
            region: Some("CA".into()),
            ..Address::in_country("US")
        }),
        now(),
    )
    .unwrap();

    let ten_off_apparel = Promotion::new(
        "10% off apparel",
        PromotionEffect::PercentageOff {
            percent: dec!(10),
            target: Target::Items(LineSelector {
                category_ids: vec![apparel],
                ..LineSelector::default()
            }),
        },
    );
    let mut save5 = Promotion::new(
        "$5 off $60",
        PromotionEffect::AmountOff {
            amounts: amounts(Currency::Usd, dec!(5)),
            target: Target::Order,
        },
    )
    .with_coupon("SAVE5")
    .unwrap();
    save5.priority = 10;
    save5.conditions.min_subtotal = Some(amounts(Currency::Usd, dec!(60)));
    let mut ground = ShippingMethod::flat("Ground", Currency::Usd, dec!(4.99));
    ground.free_over = Some(amounts(Currency::Usd, dec!(75)));
    cart.set_shipping_method(Some(ground.id), now());
    let mut ca = TaxRate::new("CA sales tax", "US", "standard", dec!(7.25));
    ca.region = Some("CA".into());
    let rules = PricingRules {
        promotions: vec![ten_off_apparel.clone(), save5.clone()],
        tax: merx_core::tax::TaxSettings {
            rates: vec![ca],
            ..Default::default()
        },
        shipping_methods: vec![ground],
        rounding: RoundingMode::HalfUp,
    };
    let p = price(&cart, &rules);

    // Subtotals: 19.99 x 3 = 59.97, 5.55, 0.99 x 7 = 6.93; 72.45 in all.
    assert_eq!(p.totals.subtotal, dec!(72.45));
    // 10% off apparel, per line: 5.997 -> 6.00 and 0.555 -> 0.56 (half-up). Running 65.89 >= 60,
    // so SAVE5 applies: 5.00 over 53.97 / 4.99 / 6.93 by largest remainder = 4.09 / 0.38 / 0.53.
    assert_eq!(
        line_discounts(&p),
        vec![dec!(10.09), dec!(0.94), dec!(0.53)]
    );
    assert_eq!(p.applied_promotions.len(), 2);
    assert_eq!(p.applied_promotions[0].amount, dec!(6.56));
    assert_eq!(p.applied_promotions[1].amount, dec!(5.00));
    assert_eq!(
        p.applied_promotions[1].coupon_code.as_deref(),
        Some("SAVE5")
    );
    // Tax 7.25% on the discounted lines: 49.88 -> 3.6163 -> 3.62; 4.61 -> 0.334225 -> 0.33; gum is
    // zero-rated.
    assert_eq!(line_taxes(&p), vec![dec!(3.62), dec!(0.33), dec!(0.00)]);
    // Free over 75 is tested on the discounted 60.89: shipping is charged.
    assert_eq!(p.shipping.as_ref().unwrap().total, dec!(4.99));
    assert_eq!(p.totals.discount_total, dec!(11.56));
    assert_eq!(p.totals.tax_total, dec!(3.95));
    // 72.45 - 11.56 + 4.99 + 3.95
    assert_eq!(p.totals.total, dec!(69.83));
    assert_eq!(p.tax_lines[0].taxable_amount, dec!(54.49));
    assert!(p.rejected_coupons.is_empty());
}

#[test]
fn a_coupon_discount_never_counts_against_its_own_minimum() {
    let cart = {
        let mut c = cart_of(Currency::Usd, &[item("A", dec!(61.00), 1)]);
        c.apply_coupon("BIG", now()).unwrap();
        c
    };
    let mut big = Promotion::new(
        "$5 off $60",
        PromotionEffect::AmountOff {
            amounts: amounts(Currency::Usd, dec!(5)),
            target: Target::Order,
        },
    )
    .with_coupon("BIG")
    .unwrap();
    big.conditions.min_subtotal = Some(amounts(Currency::Usd, dec!(60)));
    let mut auto = Promotion::new(
        "2% off",
        PromotionEffect::PercentageOff {
            percent: dec!(2),
            target: Target::Order,
        },
    );
    auto.priority = -1;
    // 61.00 alone qualifies, and the coupon's own 5.00 does not push it below 60.
    let p = price(
        &cart,
        &PricingRules {
            promotions: vec![big.clone()],
            ..Default::default()
        },
    );
    assert_eq!(p.totals.total, dec!(56.00));
    // An earlier 2% (1.22) leaves a running 59.78, below the minimum.
    let p = price(
        &cart,
        &PricingRules {
            promotions: vec![auto, big],
            ..Default::default()
        },
    );
    assert_eq!(p.totals.total, dec!(59.78));
    assert_eq!(
        p.rejected_coupons[0].reason,
        CouponRejection::MinSubtotalNotMet
    );
}

#[test]
fn jpy_order_percent_then_buy_two_get_one_free_and_free_over_threshold() {
    let mut cart = cart_of(
        Currency::Jpy,
        &[
            item("X", dec!(1000), 1),
            item("Y", dec!(333), 3),
            item("Z", dec!(500), 2),
        ],
    );
    let mut ten = Promotion::new(
        "10% off everything",
        PromotionEffect::PercentageOff {
            percent: dec!(10),
            target: Target::Order,
        },
    );
    ten.priority = 0;
    let mut b2g1 = Promotion::new(
        "Buy 2 get 1 free",
        PromotionEffect::BuyXGetY {
            buy: LineSelector::default(),
            buy_quantity: 2,
            get: None,
            get_quantity: 1,
            reward: BxgyReward::Free,
            max_applications: None,
        },
    );
    b2g1.priority = 1;
    let mut post = ShippingMethod::flat("Yamato", Currency::Jpy, dec!(500));
    post.free_over = Some(amounts(Currency::Jpy, dec!(3000)));
    cart.set_shipping_method(Some(post.id), now());
    let rules = PricingRules {
        promotions: vec![ten, b2g1],
        shipping_methods: vec![post],
        ..Default::default()
    };
    let p = price(&cart, &rules);
    // Subtotals 1000 + 999 + 1000 = 2999. 10%: 299.9 -> 300, spread over 1000/999/1000:
    // floors 100/99/100, the leftover yen goes to the largest remainder (Y, .933) -> 100 each.
    // Running 900 / 899 / 900. Six units -> two applications; the two cheapest units are Y's at
    // 899/3 = 299.67 each, so Y loses 899 x 2/3 = 599.33 -> 599.
    assert_eq!(line_discounts(&p), vec![dec!(100), dec!(699), dec!(100)]);
    assert_eq!(p.applied_promotions[1].amount, dec!(599));
    // Discounted merchandise 2100 < 3000: shipping charged.
    assert_eq!(p.totals.shipping_total, dec!(500));
    assert_eq!(p.totals.total, dec!(2600));
    assert_eq!(serde_json::to_value(&p.totals).unwrap()["total"], "2600");
}

#[test]
fn jpy_tax_inclusive_per_line_versus_per_rate_with_truncation() {
    let mut y = item("RICE", dec!(216), 5);
    y.tax_class = "reduced";
    let cart = cart_of(
        Currency::Jpy,
        &[
            item("X", dec!(1078), 3),
            y,
            item("Z", dec!(999), 1),
            item("W", dec!(555), 1),
        ],
    );
    let mut tax = merx_core::tax::TaxSettings {
        prices_include_tax: true,
        rounding: RoundingMode::Down,
        default_country: Some("JP".into()),
        rates: vec![
            TaxRate::new("消費税 10%", "JP", "standard", dec!(10)),
            TaxRate::new("消費税 8%", "JP", "reduced", dec!(8)),
        ],
        ..Default::default()
    };
    let per_line = price(
        &cart,
        &PricingRules {
            tax: tax.clone(),
            ..Default::default()
        },
    );
    // Gross stays fixed: 3234 + 1080 + 999 + 555 = 5868.
    assert_eq!(per_line.totals.total, dec!(5868));
    // Per line, truncated: 3234/11 = 294; 1080 x 8/108 = 80; 999/11 = 90.8 -> 90; 555/11 = 50.4 -> 50.
    assert_eq!(
        line_taxes(&per_line),
        vec![dec!(294), dec!(80), dec!(90), dec!(50)]
    );
    assert_eq!(per_line.totals.tax_total, dec!(514));

    tax.calculation = TaxCalculation::PerRate;
    let per_rate = price(
        &cart,
        &PricingRules {
            tax,
            ..Default::default()
        },
    );
    // Per rate: 10% over 4788 -> 435.27 -> 435 once, allocated back as 294 / 91 / 50; 8% -> 80.
    assert_eq!(per_rate.totals.total, dec!(5868));
    assert_eq!(per_rate.tax_lines[0].amount, dec!(435));
    assert_eq!(per_rate.tax_lines[1].amount, dec!(80));
    assert_eq!(
        line_taxes(&per_rate),
        vec![dec!(294), dec!(80), dec!(91), dec!(50)]
    );
    assert_eq!(per_rate.totals.tax_total, dec!(515));
}

#[test]
fn kwd_three_decimals_per_item_amount_coupon_half_even_weight_tiers_taxable_shipping() {
    let mut a = item("OUD", dec!(12.345), 2);
    a.weight = Some(dec!(1.2));
    let mut b = item("DATE", dec!(0.125), 3);
    b.weight = Some(dec!(0.1));
    let mut cart = cart_of(Currency::Kwd, &[a, b]);
    cart.apply_coupon("KW15", now()).unwrap();
    let per_item = Promotion::new(
        "100 fils off each box of dates",
        PromotionEffect::AmountOffEachItem {
            amounts: amounts(Currency::Kwd, dec!(0.100)),
            items: skus(&["DATE"]),
        },
    );
    let mut kw15 = Promotion::new(
        "15% off",
        PromotionEffect::PercentageOff {
            percent: dec!(15),
            target: Target::Order,
        },
    )
    .with_coupon("KW15")
    .unwrap();
    kw15.priority = 5;
    let courier = ShippingMethod {
        rate: ShippingRate::WeightTiered {
            tiers: vec![
                WeightTier {
                    up_to: Some(dec!(1)),
                    amounts: amounts(Currency::Kwd, dec!(1.000)),
                },
                WeightTier {
                    up_to: Some(dec!(5)),
                    amounts: amounts(Currency::Kwd, dec!(2.500)),
                },
                WeightTier {
                    up_to: None,
                    amounts: amounts(Currency::Kwd, dec!(5.000)),
                },
            ],
        },
        ..ShippingMethod::flat("Courier", Currency::Kwd, dec!(0))
    };
    cart.set_shipping_method(Some(courier.id), now());
    let rules = PricingRules {
        promotions: vec![per_item, kw15],
        tax: merx_core::tax::TaxSettings {
            shipping_taxable: true,
            default_country: Some("KW".into()),
            rates: vec![TaxRate::new("VAT", "KW", "standard", dec!(5))],
            ..Default::default()
        },
        shipping_methods: vec![courier],
        rounding: RoundingMode::HalfEven,
    };
    let p = price(&cart, &rules);
    // Subtotals 24.690 and 0.375. Dates: 0.100 x 3 = 0.300 off -> 0.075.
    // 15% of 24.765 = 3.71475 -> 3.715, over 24.690 / 0.075: floors 3.703 / 0.011, the leftover
    // fils to the larger remainder (.749) -> 3.704 / 0.011.
    assert_eq!(line_discounts(&p), vec![dec!(3.704), dec!(0.311)]);
    // 5% of 20.986 = 1.0493 -> 1.049; of 0.064 = 0.0032 -> 0.003.
    assert_eq!(line_taxes(&p), vec![dec!(1.049), dec!(0.003)]);
    // 2.4 + 0.3 = 2.7 kg falls in the 5 kg band: 2.500, taxed 0.125.
    let s = p.shipping.as_ref().unwrap();
    assert_eq!(
        (s.amount, s.tax_total, s.total),
        (dec!(2.500), dec!(0.125), dec!(2.625))
    );
    // 25.065 - 4.015 + 2.500 + 1.177
    assert_eq!(p.totals.total, dec!(24.727));
    assert_eq!(
        serde_json::to_value(&p.totals).unwrap()["shippingTotal"],
        "2.500"
    );
}

#[test]
fn eur_tax_inclusive_with_taxable_shipping_and_a_full_discount() {
    let mut cart = cart_of(Currency::Eur, &[item("BOOK", dec!(24.99), 1)]);
    cart.set_shipping_address(Some(Address::in_country("de")), now())
        .unwrap();
    let dhl = ShippingMethod::flat("DHL", Currency::Eur, dec!(4.90));
    cart.set_shipping_method(Some(dhl.id), now());
    let mut rules = PricingRules {
        tax: merx_core::tax::TaxSettings {
            prices_include_tax: true,
            shipping_taxable: true,
            rates: vec![TaxRate::new("MwSt", "DE", "standard", dec!(19))],
            ..Default::default()
        },
        shipping_methods: vec![dhl],
        ..Default::default()
    };
    let p = price(&cart, &rules);
    // 24.99 x 19/119 = 3.99; shipping 4.90 x 19/119 = 0.7824 -> 0.78. Gross unchanged.
    assert_eq!(p.lines[0].tax_total, dec!(3.99));
    assert_eq!(p.shipping.as_ref().unwrap().tax_total, dec!(0.78));
    assert_eq!(
        (p.totals.tax_total, p.totals.total),
        (dec!(4.77), dec!(29.89))
    );
    assert_eq!(p.tax_lines[0].taxable_amount, dec!(25.12));

    cart.apply_coupon("ALL", now()).unwrap();
    rules.promotions.push(
        Promotion::new(
            "Everything free",
            PromotionEffect::PercentageOff {
                percent: dec!(100),
                target: Target::Order,
            },
        )
        .with_coupon("ALL")
        .unwrap(),
    );
    let p = price(&cart, &rules);
    assert_eq!(p.lines[0].total, dec!(0.00));
    assert_eq!(p.lines[0].tax_total, dec!(0.00));
    assert_eq!(p.totals.total, dec!(4.90));
}

#[test]
fn fixed_price_and_tiered_spend() {
    let cart = cart_of(
        Currency::Usd,
        &[item("MUG", dec!(12.50), 2), item("PEN", dec!(47.50), 2)],
    );
    let fixed = Promotion::new(
        "Mugs for 10",
        PromotionEffect::FixedPrice {
            prices: amounts(Currency::Usd, dec!(10)),
            items: skus(&["MUG"]),
        },
    );
    let mut tiers = Promotion::new(
        "Spend more, save more",
        PromotionEffect::TieredSpend {
            tiers: vec![
                SpendTier {
                    threshold: amounts(Currency::Usd, dec!(50)),
                    reward: TierReward::PercentOff { percent: dec!(5) },
                },
                SpendTier {
                    threshold: amounts(Currency::Usd, dec!(100)),
                    reward: TierReward::PercentOff { percent: dec!(10) },
                },
                SpendTier {
                    threshold: amounts(Currency::Usd, dec!(200)),
                    reward: TierReward::AmountOff {
                        amounts: amounts(Currency::Usd, dec!(30)),
                    },
                },
            ],
        },
    );
    tiers.priority = 1;
    let p = price(
        &cart,
        &PricingRules {
            promotions: vec![fixed, tiers],
            ..Default::default()
        },
    );
    // Mugs 25.00 -> 20.00. Running 20 + 95 = 115 reaches the 100 tier: 11.50 spread 2.00 / 9.50.
    assert_eq!(line_discounts(&p), vec![dec!(7.00), dec!(9.50)]);
    assert_eq!(p.totals.total, dec!(103.50));
}

#[test]
fn buy_two_shirts_get_socks_half_price_across_pools_with_a_cap() {
    let cart = cart_of(
        Currency::Usd,
        &[
            item("SHIRT", dec!(30), 5),
            item("SOCKS", dec!(8), 3),
            item("HAT", dec!(20), 1),
        ],
    );
    let deal = Promotion::new(
        "Buy 2 shirts, socks half price",
        PromotionEffect::BuyXGetY {
            buy: skus(&["SHIRT"]),
            buy_quantity: 2,
            get: Some(skus(&["SOCKS"])),
            get_quantity: 1,
            reward: BxgyReward::PercentOff { percent: dec!(50) },
            max_applications: Some(2),
        },
    );
    let p = price(
        &cart,
        &PricingRules {
            promotions: vec![deal],
            ..Default::default()
        },
    );
    // Five shirts allow two applications (capped at 2): two pairs of socks at half price.
    assert_eq!(line_discounts(&p), vec![dec!(0.00), dec!(8.00), dec!(0.00)]);
    assert_eq!(p.applied_promotions[0].line_ids, vec![p.lines[1].line_id]);
}

#[test]
fn free_shipping_coupon_applies_only_to_its_methods() {
    let mut cart = cart_of(Currency::Usd, &[item("A", dec!(20), 1)]);
    cart.apply_coupon("SHIPFREE", now()).unwrap();
    let ground = ShippingMethod::flat("Ground", Currency::Usd, dec!(6.00));
    let express = ShippingMethod::flat("Express", Currency::Usd, dec!(15.00));
    let promo = Promotion::new(
        "Free ground shipping",
        PromotionEffect::FreeShipping {
            method_ids: vec![ground.id],
        },
    )
    .with_coupon("SHIPFREE")
    .unwrap();
    let rules = PricingRules {
        promotions: vec![promo],
        shipping_methods: vec![ground.clone(), express.clone()],
        ..Default::default()
    };
    cart.set_shipping_method(Some(ground.id), now());
    let p = price(&cart, &rules);
    assert_eq!(p.shipping.as_ref().unwrap().discount_total, dec!(6.00));
    assert_eq!(p.totals.total, dec!(20.00));
    assert!(p.applied_promotions[0].free_shipping);
    assert_eq!(p.shipping_options.len(), 2);

    cart.set_shipping_method(Some(express.id), now());
    let p = price(&cart, &rules);
    assert_eq!(p.totals.total, dec!(35.00));
    assert_eq!(p.rejected_coupons[0].reason, CouponRejection::NotApplicable);
    assert!(p.applied_promotions.is_empty());
}

#[test]
fn shipping_by_destination_and_free_over_on_discounted_subtotal() {
    let mut cart = cart_of(Currency::Usd, &[item("A", dec!(80), 1)]);
    let mut domestic = ShippingMethod::flat("Domestic", Currency::Usd, dec!(5));
    domestic.countries = vec!["US".into()];
    domestic.free_over = Some(amounts(Currency::Usd, dec!(75)));
    cart.set_shipping_method(Some(domestic.id), now());
    let mut rules = PricingRules {
        shipping_methods: vec![domestic],
        ..Default::default()
    };
    cart.set_shipping_address(Some(Address::in_country("US")), now())
        .unwrap();
    assert_eq!(price(&cart, &rules).totals.shipping_total, dec!(0.00));

    rules.promotions.push(Promotion::new(
        "10% off",
        PromotionEffect::PercentageOff {
            percent: dec!(10),
            target: Target::Order,
        },
    ));
    // 80 - 8 = 72 < 75: charged.
    assert_eq!(price(&cart, &rules).totals.shipping_total, dec!(5.00));

    cart.set_shipping_address(Some(Address::in_country("FR")), now())
        .unwrap();
    let p = price(&cart, &rules);
    assert!(p.shipping.is_none());
    assert!(p.shipping_options.is_empty());
    assert_eq!(p.notices[0].code, NoticeCode::ShippingMethodUnavailable);
}

#[test]
fn stacked_regional_rates_and_unknown_destination() {
    let mut cart = cart_of(Currency::Cad, &[item("SKIS", dec!(100.00), 1)]);
    let mut pst = TaxRate::new("PST", "CA", "standard", dec!(7));
    pst.region = Some("BC".into());
    let tax = merx_core::tax::TaxSettings {
        rates: vec![TaxRate::new("GST", "CA", "standard", dec!(5)), pst],
        ..Default::default()
    };
    let rules = PricingRules {
        tax,
        ..Default::default()
    };
    let p = price(&cart, &rules);
    assert_eq!(p.totals.tax_total, dec!(0.00));
    assert_eq!(p.notices[0].code, NoticeCode::TaxDestinationUnknown);

    cart.set_shipping_address(
        Some(Address {
            region: Some("bc".into()),
            ..Address::in_country("CA")
        }),
        now(),
    )
    .unwrap();
    let p = price(&cart, &rules);
    assert_eq!(line_taxes(&p), vec![dec!(12.00)]);
    assert_eq!(p.tax_lines.len(), 2);
    assert_eq!(p.totals.total, dec!(112.00));

    cart.set_shipping_address(
        Some(Address {
            region: Some("ON".into()),
            ..Address::in_country("CA")
        }),
        now(),
    )
    .unwrap();
    assert_eq!(price(&cart, &rules).totals.total, dec!(105.00));
}

#[test]
fn each_coupon_rejection_reason() {
    let customer = UserId::new();
    let other = UserId::new();
    let usd = |a: Decimal| amounts(Currency::Usd, a);
    let ten = || PromotionEffect::PercentageOff {
        percent: dec!(10),
        target: Target::Order,
    };
    let coupon = |code: &str, f: &dyn Fn(&mut Promotion)| {
        let mut p = Promotion::new(code, ten()).with_coupon(code).unwrap();
        f(&mut p);
        p
    };
    let promotions = vec![
        coupon("EXPIRED", &|p| p.conditions.ends_at = Some(now())),
        coupon("LATER", &|p| {
            p.conditions.starts_at = Some(now() + Duration::days(1))
        }),
        coupon("OFF", &|p| p.active = false),
        coupon("USEDUP", &|p| p.usage_limit = Some(100)),
        coupon("ONCE", &|p| p.per_customer_limit = Some(1)),
        coupon("VIP", &|p| p.conditions.customer_ids = vec![other]),
        coupon("BIGSPEND", &|p| {
            p.conditions.min_subtotal = Some(usd(dec!(500)))
        }),
        coupon("BULK", &|p| p.conditions.min_quantity = Some(dec!(10))),
        coupon("EUROS", &|p| {
            p.effect = PromotionEffect::AmountOff {
                amounts: amounts(Currency::Eur, dec!(5)),
                target: Target::Order,
            }
        }),
        coupon("HATS", &|p| {
            p.effect = PromotionEffect::PercentageOff {
                percent: dec!(10),
                target: Target::Items(skus(&["HAT"])),
            }
        }),
        coupon("SOLO", &|p| {
            p.exclusive = true;
            p.priority = 50;
        }),
        coupon("WORKS", &|p| p.priority = -10),
    ];
    let mut usage = PromotionUsageMap::new();
    usage.insert(
        promotions[3].id,
        PromotionUsage {
            total: 100,
            by_customer: 0,
        },
    );
    usage.insert(
        promotions[4].id,
        PromotionUsage {
            total: 7,
            by_customer: 1,
        },
    );
    let rules = PricingRules {
        promotions,
        ..Default::default()
    };
    let mut cart = cart_of(Currency::Usd, &[item("A", dec!(40), 2)]);
    cart.customer_id = Some(customer);
    let ctx = PricingContext::new(&rules, now()).with_usage(&usage);
    let reason = |cart: &mut Cart, code: &str| {
        // Each code is tried beside WORKS, which applies first (priority -10) and is never
        // rejected, so an exclusive code meets an already-applied promotion.
        cart.coupon_codes = vec!["WORKS".into(), code.into()];
        let p = price_cart(cart, &ctx).unwrap();
        assert_adds_up(&p);
        assert_eq!(p.applied_promotions.len(), 1, "{code}");
        assert_eq!(p.totals.total, dec!(72.00), "{code}");
        assert_eq!(p.rejected_coupons.len(), 1, "{code}");
        p.rejected_coupons[0].reason
    };
    use CouponRejection as R;
    let expected = [
        ("EXPIRED", R::Expired),
        ("LATER", R::NotStarted),
        ("OFF", R::Inactive),
        ("USEDUP", R::UsageLimit),
        ("ONCE", R::CustomerUsageLimit),
        ("VIP", R::CustomerNotEligible),
        ("BIGSPEND", R::MinSubtotalNotMet),
        ("BULK", R::MinQuantityNotMet),
        ("EUROS", R::CurrencyMismatch),
        ("HATS", R::NotApplicable),
        ("SOLO", R::NotCombinable),
        ("NOSUCH", R::NotFound),
    ];
    for (code, want) in expected {
        assert_eq!(reason(&mut cart, code), want, "{code}");
    }
    cart.coupon_codes = vec!["BIGSPEND".into()];
    let p = price_cart(&cart, &ctx).unwrap();
    let json = serde_json::to_value(&p.rejected_coupons).unwrap();
    assert_eq!(json[0]["reason"], "min_subtotal_not_met");
    assert_eq!(json[0]["code"], "BIGSPEND");

    // A per-customer limit needs a signed-in customer.
    cart.customer_id = None;
    cart.coupon_codes = vec!["ONCE".into()];
    let p = price_cart(
        &cart,
        &PricingContext::new(&rules, now()).with_usage(&usage),
    )
    .unwrap();
    assert_eq!(p.rejected_coupons[0].reason, R::CustomerNotEligible);
}

#[test]
fn an_exclusive_promotion_blocks_everything_after_it() {
    let cart = {
        let mut c = cart_of(Currency::Usd, &[item("A", dec!(100), 1)]);
        c.apply_coupon("EXTRA", now()).unwrap();
        c
    };
    let mut flash = Promotion::new(
        "Flash sale 30%",
        PromotionEffect::PercentageOff {
            percent: dec!(30),
            target: Target::Order,
        },
    );
    flash.exclusive = true;
    let mut extra = Promotion::new(
        "Extra 10%",
        PromotionEffect::PercentageOff {
            percent: dec!(10),
            target: Target::Order,
        },
    )
    .with_coupon("EXTRA")
    .unwrap();
    extra.priority = 1;
    let p = price(
        &cart,
        &PricingRules {
            promotions: vec![flash, extra],
            ..Default::default()
        },
    );
    assert_eq!(p.totals.total, dec!(70.00));
    assert_eq!(p.rejected_coupons[0].reason, CouponRejection::NotCombinable);
}

#[test]
fn measure_lines_price_by_precision_and_sit_out_buy_x_get_y() {
    let mut cart = Cart::new(Currency::Usd, None, now());
    let mut cheese = Variant::new("CHEESE", Currency::Usd, dec!(23.99));
    cheese.sale_unit = merx_core::catalog::SaleUnit::Measure {
        unit: "kg".into(),
        precision: 3,
    };
    cheese.stock = dec!(50);
    let mut p = Product::new("Comté", vec![cheese]);
    p.status = ProductStatus::Active;
    cart.add_item(&p, p.variants[0].id, dec!(0.375), None, now())
        .unwrap();
    let deal = Promotion::new(
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
    let p = price(
        &cart,
        &PricingRules {
            promotions: vec![deal],
            ..Default::default()
        },
    );
    // 23.99 x 0.375 = 8.99625 -> 9.00, rounded once for the line.
    assert_eq!(p.totals.total, dec!(9.00));
    assert!(p.applied_promotions.is_empty());
}

#[test]
fn hostile_wire_input_is_refused_with_typed_errors_not_panics() {
    let base = cart_of(Currency::Usd, &[item("A", dec!(10), 1)]);
    let refuse = |cart: Cart, rules: PricingRules| {
        price_cart(&cart, &PricingContext::new(&rules, now()))
            .unwrap_err()
            .code()
            .as_str()
    };
    let mut huge = base.clone();
    huge.lines[0].unit_price = Decimal::MAX;
    assert_eq!(refuse(huge, PricingRules::default()), "validation_failed");
    let mut negative = base.clone();
    negative.lines[0].quantity = dec!(-3);
    assert_eq!(
        refuse(negative, PricingRules::default()),
        "invalid_quantity"
    );
    let mut lower = base.clone();
    lower.shipping_address = Some(Address::in_country("us"));
    assert_eq!(refuse(lower, PricingRules::default()), "validation_failed");
    // Unvalidated rules with absurd amounts still give an answer or a typed error, never a panic.
    let absurd = PricingRules {
        promotions: vec![Promotion::new(
            "absurd",
            PromotionEffect::AmountOffEachItem {
                amounts: amounts(Currency::Usd, Decimal::MAX),
                items: LineSelector::default(),
            },
        )],
        ..Default::default()
    };
    let _ = price_cart(&base, &PricingContext::new(&absurd, now()));
    let json = r#"{"cart": {"currency": "USD", "lines": [{"productId": "00000000-0000-0000-0000-000000000001",
        "variantId": "00000000-0000-0000-0000-000000000002", "sku": "A", "name": "A",
        "unitPrice": "19.99", "quantity": "2"}]}}"#;
    let request: merx_core::pricing::PricingRequest = serde_json::from_str(json).unwrap();
    assert_eq!(request.price(now()).unwrap().totals.total, dec!(39.98));
}
