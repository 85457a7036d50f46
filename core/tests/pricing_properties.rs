//! Property tests: pricing invariants over random carts, promotions, tax and shipping settings,
//! in currencies with 0, 2 and 3 decimals.

use chrono::{DateTime, Duration, Utc};
use merx_core::cart::{Address, Cart, CartLine};
use merx_core::catalog::SaleUnit;
use merx_core::ids::{LineId, ProductId, ShippingMethodId, VariantId};
use merx_core::money::allocate;
use merx_core::pricing::{price_cart, PricedCart, PricingContext, PricingRequest, PricingRules};
use merx_core::promotion::{
    BxgyReward, CurrencyAmounts, LineSelector, Promotion, PromotionEffect, SpendTier, Target,
    TierReward,
};
use merx_core::shipping::{ShippingMethod, ShippingRate, WeightTier};
use merx_core::tax::{TaxCalculation, TaxRate, TaxSettings};
use merx_core::{Currency, RoundingMode};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn now() -> DateTime<Utc> {
    "2026-11-26T12:00:00Z".parse().unwrap()
}

const CURRENCIES: [Currency; 4] = [Currency::Usd, Currency::Jpy, Currency::Kwd, Currency::Eur];
const SKUS: [&str; 4] = ["A", "B", "C", "D"];

fn minor(units: i64, currency: Currency) -> Decimal {
    Decimal::new(units, currency.minor_units())
}

fn rounding() -> impl Strategy<Value = RoundingMode> {
    prop_oneof![
        Just(RoundingMode::HalfUp),
        Just(RoundingMode::HalfEven),
        Just(RoundingMode::Down)
    ]
}

fn selector() -> impl Strategy<Value = LineSelector> {
    prop_oneof![
        Just(LineSelector::default()),
        prop::sample::subsequence(SKUS.to_vec(), 1..3).prop_map(|s| LineSelector {
            skus: s.into_iter().map(String::from).collect(),
            ..LineSelector::default()
        }),
    ]
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![Just(Target::Order), selector().prop_map(Target::Items)]
}

fn percent() -> impl Strategy<Value = Decimal> {
    (1i64..=10_000).prop_map(|bp| Decimal::new(bp, 2))
}

fn effect(currency: Currency) -> impl Strategy<Value = PromotionEffect> {
    let amount = move |max: i64| {
        (0i64..max).prop_map(move |u| CurrencyAmounts::from([(currency, minor(u, currency))]))
    };
    prop_oneof![
        (percent(), target())
            .prop_map(|(percent, target)| PromotionEffect::PercentageOff { percent, target }),
        (amount(50_000), target())
            .prop_map(|(amounts, target)| PromotionEffect::AmountOff { amounts, target }),
        (amount(3_000), selector())
            .prop_map(|(amounts, items)| PromotionEffect::AmountOffEachItem { amounts, items }),
        (amount(20_000), selector())
            .prop_map(|(prices, items)| PromotionEffect::FixedPrice { prices, items }),
        (
            selector(),
            1u32..4,
            prop::option::of(selector()),
            1u32..3,
            prop::option::of(percent()),
            prop::option::of(1u32..4)
        )
            .prop_map(
                |(buy, buy_quantity, get, get_quantity, pct, max_applications)| {
                    PromotionEffect::BuyXGetY {
                        buy,
                        buy_quantity,
                        get,
                        get_quantity,
                        reward: pct.map_or(BxgyReward::Free, |percent| BxgyReward::PercentOff {
                            percent,
                        }),
                        max_applications,
                    }
                }
            ),
        (0i64..30_000, percent(), 1i64..60_000, amount(5_000)).prop_map(
            move |(low, pct, step, off)| PromotionEffect::TieredSpend {
                tiers: vec![
                    SpendTier {
                        threshold: CurrencyAmounts::from([(currency, minor(low, currency))]),
                        reward: TierReward::PercentOff { percent: pct },
                    },
                    SpendTier {
                        threshold: CurrencyAmounts::from([(currency, minor(low + step, currency))]),
                        reward: TierReward::AmountOff { amounts: off },
                    },
                ],
            }
        ),
        Just(PromotionEffect::FreeShipping {
            method_ids: Vec::new()
        }),
    ]
}

fn promotion(currency: Currency) -> impl Strategy<Value = Promotion> {
    (
        effect(currency),
        -3i32..3,
        any::<bool>(),
        prop::option::of(0i64..40_000),
        prop::option::of(prop::sample::select(vec!["ONE", "TWO", "THREE"])),
        any::<bool>(),
    )
        .prop_map(move |(effect, priority, exclusive, min, code, expired)| {
            let mut p = Promotion::new("generated", effect);
            p.priority = priority;
            p.exclusive = exclusive && priority > 1;
            p.conditions.min_subtotal =
                min.map(|m| CurrencyAmounts::from([(currency, minor(m, currency))]));
            if expired && priority == 0 {
                p.conditions.ends_at = Some(now() - Duration::hours(1));
            }
            p.coupon_code = code.map(String::from);
            p
        })
}

fn line(currency: Currency) -> impl Strategy<Value = CartLine> {
    (
        prop::sample::select(SKUS.to_vec()),
        0i64..200_000,
        1u32..12,
        prop::sample::select(vec!["standard", "reduced"]),
        prop::option::of(0i64..5_000),
        prop::option::of(1i64..5_000),
    )
        .prop_map(move |(sku, price, qty, class, weight_g, measure)| {
            let (quantity, sale_unit) = match measure {
                // A fifth of lines are sold by measure, e.g. 1.234 kg.
                Some(grams) if qty % 5 == 0 => (
                    Decimal::new(grams, 3),
                    SaleUnit::Measure {
                        unit: "kg".into(),
                        precision: 3,
                    },
                ),
                _ => (Decimal::from(qty), SaleUnit::Each),
            };
            CartLine {
                id: LineId::new(),
                product_id: ProductId::new(),
                variant_id: VariantId::new(),
                sku: sku.into(),
                name: sku.into(),
                unit_price: minor(price, currency),
                quantity,
                tax_class: class.into(),
                weight: weight_g.map(|g| Decimal::new(g, 3)),
                category_ids: Vec::new(),
                sale_unit,
            }
        })
}

fn tax() -> impl Strategy<Value = TaxSettings> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        rounding(),
        0i64..2_500,
        0i64..1_500,
        0i64..1_000,
    )
        .prop_map(
            |(inclusive, per_rate, ship, rounding, standard, reduced, regional)| {
                let mut regional_rate =
                    TaxRate::new("Regional", "US", "standard", Decimal::new(regional, 2));
                regional_rate.region = Some("NY".into());
                TaxSettings {
                    prices_include_tax: inclusive,
                    shipping_taxable: ship,
                    calculation: if per_rate {
                        TaxCalculation::PerRate
                    } else {
                        TaxCalculation::PerLine
                    },
                    rounding,
                    rates: vec![
                        TaxRate::new("Standard", "US", "standard", Decimal::new(standard, 2)),
                        TaxRate::new("Reduced", "US", "reduced", Decimal::new(reduced, 2)),
                        regional_rate,
                    ],
                    ..TaxSettings::default()
                }
            },
        )
}

fn shipping(currency: Currency) -> impl Strategy<Value = Vec<ShippingMethod>> {
    (0i64..3_000, 0i64..3_000, prop::option::of(0i64..100_000)).prop_map(
        move |(flat, heavy, free_over)| {
            let mut flat_method = ShippingMethod::flat("Flat", currency, minor(flat, currency));
            flat_method.free_over =
                free_over.map(|f| CurrencyAmounts::from([(currency, minor(f, currency))]));
            let tiered = ShippingMethod {
                id: ShippingMethodId::new(),
                rate: ShippingRate::WeightTiered {
                    tiers: vec![
                        WeightTier {
                            up_to: Some(Decimal::from(2)),
                            amounts: CurrencyAmounts::from([(currency, minor(flat, currency))]),
                        },
                        WeightTier {
                            up_to: None,
                            amounts: CurrencyAmounts::from([(currency, minor(heavy, currency))]),
                        },
                    ],
                },
                ..ShippingMethod::flat("Tiered", currency, Decimal::ZERO)
            };
            vec![flat_method, tiered]
        },
    )
}

fn scenario() -> impl Strategy<Value = (Cart, PricingRules)> {
    prop::sample::select(CURRENCIES.to_vec()).prop_flat_map(|currency| {
        (
            prop::collection::vec(line(currency), 0..12),
            prop::collection::vec(promotion(currency), 0..5),
            tax(),
            shipping(currency),
            rounding(),
            prop::sample::subsequence(vec!["ONE", "TWO", "THREE", "NONE"], 0..4),
            0usize..3,
            any::<bool>(),
        )
            .prop_map(
                move |(lines, promotions, tax, methods, rounding, codes, method, addressed)| {
                    let mut cart = Cart::new(currency, None, now());
                    cart.lines = lines;
                    cart.coupon_codes = codes.into_iter().map(String::from).collect();
                    cart.shipping_method_id = methods.get(method).map(|m| m.id);
                    if addressed {
                        cart.shipping_address = Some(Address {
                            region: Some("NY".into()),
                            ..Address::in_country("US")
                        });
                    }
                    // Coupon codes are unique per store.
                    let mut promotions = promotions;
                    let mut seen = Vec::new();
                    for p in &mut promotions {
                        if let Some(code) = p.coupon_code.clone() {
                            if seen.contains(&code) {
                                p.coupon_code = None;
                            } else {
                                seen.push(code);
                            }
                        }
                    }
                    let rules = PricingRules {
                        promotions,
                        tax,
                        shipping_methods: methods,
                        rounding,
                    };
                    (cart, rules)
                },
            )
    })
}

fn check_invariants(cart: &Cart, p: &PricedCart) -> Result<(), TestCaseError> {
    let currency = cart.currency;
    let exact = |d: Decimal| currency.is_exact(d) && !d.is_sign_negative() || d.is_zero();
    let mut total = Decimal::ZERO;
    for (line, priced) in cart.lines.iter().zip(&p.lines) {
        prop_assert_eq!(line.id, priced.line_id);
        prop_assert!(
            exact(priced.subtotal) && exact(priced.discount_total) && exact(priced.tax_total)
        );
        prop_assert!(exact(priced.total));
        for d in &priced.discounts {
            prop_assert!(exact(d.amount) && !d.amount.is_zero());
        }
        // Discounts never exceed what they discount.
        prop_assert!(priced.discount_total <= priced.subtotal);
        prop_assert_eq!(
            priced.discount_total,
            priced.discounts.iter().map(|d| d.amount).sum::<Decimal>()
        );
        prop_assert_eq!(
            priced.tax_total,
            priced.taxes.iter().map(|t| t.amount).sum::<Decimal>()
        );
        let net = priced.subtotal - priced.discount_total;
        if p.prices_include_tax {
            prop_assert_eq!(priced.total, net);
            prop_assert!(priced.tax_total <= net);
        } else {
            prop_assert_eq!(priced.total, net + priced.tax_total);
        }
        total += priced.total;
    }
    if let Some(s) = &p.shipping {
        prop_assert!(exact(s.amount) && exact(s.discount_total) && exact(s.tax_total));
        prop_assert!(s.discount_total <= s.amount);
        total += s.total;
    }
    let t = &p.totals;
    prop_assert!(
        exact(t.total) && exact(t.subtotal) && exact(t.tax_total) && exact(t.discount_total)
    );
    // The grand total is the sum of the parts, exactly to the minor unit.
    prop_assert_eq!(t.total, total);
    let tax = if p.prices_include_tax {
        Decimal::ZERO
    } else {
        t.tax_total
    };
    prop_assert_eq!(
        t.total,
        t.subtotal - t.discount_total + t.shipping_total + tax
    );
    prop_assert_eq!(
        p.applied_promotions
            .iter()
            .map(|a| a.amount)
            .sum::<Decimal>(),
        t.discount_total
    );
    prop_assert_eq!(
        p.tax_lines.iter().map(|l| l.amount).sum::<Decimal>(),
        t.tax_total
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(768))]

    #[test]
    fn priced_carts_always_add_up((cart, rules) in scenario()) {
        let ctx = PricingContext::new(&rules, now());
        let priced = price_cart(&cart, &ctx).unwrap();
        check_invariants(&cart, &priced)?;
        // Pure and deterministic: the same input gives the same output, field for field.
        prop_assert_eq!(&price_cart(&cart, &ctx).unwrap(), &priced);
        // The JSON contract round-trips: a shell that sends the request as JSON gets the same
        // cart back, and the response parses back to the same value.
        let request = PricingRequest { cart, rules, now: Some(now()), usage: Default::default() };
        let wire: PricingRequest = serde_json::from_str(&serde_json::to_string(&request).unwrap()).unwrap();
        let over_the_wire = wire.price(now()).unwrap();
        prop_assert_eq!(&over_the_wire, &priced);
        let json = serde_json::to_string(&priced).unwrap();
        prop_assert_eq!(serde_json::from_str::<PricedCart>(&json).unwrap(), priced);
    }

    #[test]
    fn allocations_sum_exactly_and_stay_within_one_unit_of_the_share(
        currency in prop::sample::select(CURRENCIES.to_vec()),
        total in -1_000_000i64..1_000_000,
        weights in prop::collection::vec(0i64..1_000_000, 1..40),
    ) {
        let total = minor(total, currency);
        let weights: Vec<Decimal> = weights.into_iter().map(|w| Decimal::new(w, 2)).collect();
        let parts = allocate(total, &weights, currency).unwrap();
        prop_assert_eq!(parts.iter().copied().sum::<Decimal>(), total);
        let weight_sum: Decimal = weights.iter().copied().sum();
        for (part, weight) in parts.iter().zip(&weights) {
            prop_assert!(currency.is_exact(*part));
            if !weight_sum.is_zero() {
                let share = total * *weight / weight_sum;
                prop_assert!((*part - share).abs() < currency.minor_unit());
            }
        }
    }
}
