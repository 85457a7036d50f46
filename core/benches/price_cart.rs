//! `price_cart` on a 10-line cart with three active promotions, tax and shipping, and on a
//! 100-line cart under the same rules. Run: `cargo bench -p merx-core --bench price_cart`.

use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use merx_core::cart::{Address, Cart};
use merx_core::catalog::{Category, CategoryTree, Product, ProductStatus, Variant};
use merx_core::pricing::{price_cart, PricingContext, PricingRules};
use merx_core::promotion::{
    BxgyReward, CurrencyAmounts, LineSelector, Promotion, PromotionEffect, Target,
};
use merx_core::shipping::ShippingMethod;
use merx_core::tax::{TaxRate, TaxSettings};
use merx_core::Currency;
use rust_decimal::Decimal;
use std::hint::black_box;

fn now() -> DateTime<Utc> {
    "2026-11-26T12:00:00Z".parse().unwrap()
}

fn setup(lines: usize) -> (Cart, PricingRules) {
    let apparel = Category::new("Apparel");
    let shirts = Category::child_of(apparel.id, "Shirts");
    let tree = CategoryTree::new(vec![apparel.clone(), shirts.clone()]).unwrap();
    let mut cart = Cart::new(Currency::Usd, None, now());
    for i in 0..lines {
        // Prices from 4.99 to 103.99 with odd cents, so every rounding path is taken.
        let price = Decimal::new(499 + (i as i64 * 1_337) % 9_900, 2);
        let mut v = Variant::new(format!("SKU-{i}"), Currency::Usd, price);
        v.stock = Decimal::from(1_000);
        v.weight = Some(Decimal::new(250, 3));
        if i % 4 == 3 {
            v.tax_class = "reduced".into();
        }
        let mut p = Product::new(format!("Product {i}"), vec![v]);
        p.status = ProductStatus::Active;
        p.category_ids = vec![if i % 2 == 0 { shirts.id } else { apparel.id }];
        let qty = Decimal::from(1 + (i % 3) as i64);
        cart.add_item(&p, p.variants[0].id, qty, Some(&tree), now())
            .unwrap();
    }
    cart.apply_coupon("SAVE10", now()).unwrap();
    cart.set_shipping_address(
        Some(Address {
            region: Some("NY".into()),
            ..Address::in_country("US")
        }),
        now(),
    )
    .unwrap();
    let ground = ShippingMethod::flat("Ground", Currency::Usd, Decimal::new(599, 2));
    cart.set_shipping_method(Some(ground.id), now());

    let shirts_off = Promotion::new(
        "15% off shirts",
        PromotionEffect::PercentageOff {
            percent: Decimal::from(15),
            target: Target::Items(LineSelector {
                category_ids: vec![shirts.id],
                ..LineSelector::default()
            }),
        },
    );
    let mut three_for_two = Promotion::new(
        "3 for 2 on apparel",
        PromotionEffect::BuyXGetY {
            buy: LineSelector {
                category_ids: vec![apparel.id],
                ..LineSelector::default()
            },
            buy_quantity: 2,
            get: None,
            get_quantity: 1,
            reward: BxgyReward::Free,
            max_applications: None,
        },
    );
    three_for_two.priority = 1;
    let mut coupon = Promotion::new(
        "$10 off $50",
        PromotionEffect::AmountOff {
            amounts: CurrencyAmounts::from([(Currency::Usd, Decimal::from(10))]),
            target: Target::Order,
        },
    )
    .with_coupon("SAVE10")
    .unwrap();
    coupon.priority = 2;
    coupon.conditions.min_subtotal =
        Some(CurrencyAmounts::from([(Currency::Usd, Decimal::from(50))]));
    let mut state = TaxRate::new("NY state", "US", "standard", Decimal::new(4, 0));
    state.region = Some("NY".into());
    let rules = PricingRules {
        promotions: vec![shirts_off, three_for_two, coupon],
        tax: TaxSettings {
            shipping_taxable: true,
            rates: vec![
                state,
                TaxRate::new("Local", "US", "standard", Decimal::new(4_875, 3)),
                TaxRate::new("Reduced", "US", "reduced", Decimal::new(2, 0)),
            ],
            ..TaxSettings::default()
        },
        shipping_methods: vec![ground],
        ..PricingRules::default()
    };
    (cart, rules)
}

fn bench_price_cart(c: &mut Criterion) {
    let mut group = c.benchmark_group("price_cart");
    for lines in [10usize, 100] {
        let (cart, rules) = setup(lines);
        let ctx = PricingContext::new(&rules, now());
        let priced = price_cart(&cart, &ctx).unwrap();
        assert_eq!(
            priced.applied_promotions.len(),
            3,
            "all three promotions must apply"
        );
        group.throughput(Throughput::Elements(lines as u64));
        group.bench_with_input(BenchmarkId::new("lines", lines), &cart, |b, cart| {
            b.iter(|| price_cart(black_box(cart), black_box(&ctx)).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench_price_cart);
criterion_main!(benches);
