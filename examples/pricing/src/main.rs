//! `merx-price`: prices a cart with the Merx core and prints the priced cart as JSON.
//!
//! * `merx-price` prices a demo cart in a small demo store (three products, a category promotion,
//!   a coupon, sales tax and shipping) and prints both the request and the result, so the JSON
//!   contract can be read off a real example.
//! * `merx-price FILE` (or `-` for stdin) reads a pricing request (`{"cart", "rules", "now",
//!   "usage"}`) and prints the priced cart; a bad request prints the error body and exits with 2
//!   (`malformed_request` for text that is not JSON, `validation_failed` for JSON that is not a
//!   pricing request, as every shell answers; see `cases/`).

use std::io::Read;
use std::process::ExitCode;

use chrono::Utc;
use merx_core::cart::{Address, Cart};
use merx_core::catalog::{Category, CategoryTree, Product, ProductStatus, Variant};
use merx_core::pricing::PricingRequest;
use merx_core::promotion::{CurrencyAmounts, LineSelector, Promotion, PromotionEffect, Target};
use merx_core::shipping::ShippingMethod;
use merx_core::tax::{TaxRate, TaxSettings};
use merx_core::{Currency, Error, Result};
use rust_decimal::Decimal;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.as_slice() {
        [] => demo(),
        [path] => price_file(path),
        _ => {
            eprintln!("usage: merx-price [REQUEST.json | -]");
            return ExitCode::from(64);
        }
    };
    match outcome {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            let body = serde_json::to_string_pretty(&err.to_body()).unwrap_or_default();
            eprintln!("{body}");
            ExitCode::from(2)
        }
    }
}

fn price_file(path: &str) -> Result<String> {
    let mut text = String::new();
    let read = if path == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(path).map(|t| text = t)
    };
    read.map_err(|e| Error::validation("request", format!("cannot read `{path}`: {e}")))?;
    let request: PricingRequest =
        serde_json::from_str(&text).map_err(|e| Error::from_json(&e, "a pricing request"))?;
    let priced = request.price(Utc::now())?;
    Ok(serde_json::to_string_pretty(&priced).expect("priced carts always serialize"))
}

fn demo() -> Result<String> {
    let now = Utc::now();
    let apparel = Category::new("Apparel");
    let tees = Category::child_of(apparel.id, "T-shirts");
    let tree = CategoryTree::new(vec![apparel.clone(), tees.clone()])?;

    let product = |name: &str, sku: &str, cents: i64, category| -> Result<Product> {
        let mut variant = Variant::new(sku, Currency::Usd, Decimal::new(cents, 2));
        variant.stock = Decimal::from(100);
        variant.weight = Some(Decimal::new(300, 3));
        let mut p = Product::new(name, vec![variant]);
        p.status = ProductStatus::Active;
        p.category_ids = vec![category];
        p.validate()?;
        Ok(p)
    };
    let tee = product("Organic tee", "TEE-ORG-M", 2499, tees.id)?;
    let hoodie = product("Zip hoodie", "HOOD-ZIP-L", 5900, apparel.id)?;
    let cap = product("Logo cap", "CAP-LOGO", 1850, apparel.id)?;

    let mut cart = Cart::new(Currency::Usd, None, now);
    cart.add_item(&tee, tee.variants[0].id, Decimal::from(3), Some(&tree), now)?;
    cart.add_item(
        &hoodie,
        hoodie.variants[0].id,
        Decimal::ONE,
        Some(&tree),
        now,
    )?;
    cart.add_item(&cap, cap.variants[0].id, Decimal::from(2), Some(&tree), now)?;
    cart.apply_coupon("welcome10", now)?;
    cart.set_shipping_address(
        Some(Address {
            region: Some("NY".into()),
            ..Address::in_country("US")
        }),
        now,
    )?;

    let tee_sale = Promotion::new(
        "20% off T-shirts",
        PromotionEffect::PercentageOff {
            percent: Decimal::from(20),
            target: Target::Items(LineSelector {
                category_ids: vec![tees.id],
                ..LineSelector::default()
            }),
        },
    );
    let mut welcome = Promotion::new(
        "$10 off your first order over $100",
        PromotionEffect::AmountOff {
            amounts: CurrencyAmounts::from([(Currency::Usd, Decimal::from(10))]),
            target: Target::Order,
        },
    )
    .with_coupon("WELCOME10")?;
    welcome.priority = 10;
    welcome.conditions.min_subtotal =
        Some(CurrencyAmounts::from([(Currency::Usd, Decimal::from(100))]));
    let mut ground = ShippingMethod::flat("Ground", Currency::Usd, Decimal::new(695, 2));
    ground.free_over = Some(CurrencyAmounts::from([(Currency::Usd, Decimal::from(150))]));
    cart.set_shipping_method(Some(ground.id), now);
    let mut ny = TaxRate::new("NY sales tax", "US", "standard", Decimal::new(8875, 3));
    ny.region = Some("NY".into());

    let request = PricingRequest {
        cart,
        rules: merx_core::pricing::PricingRules {
            promotions: vec![tee_sale, welcome],
            tax: TaxSettings {
                rates: vec![ny],
                ..TaxSettings::default()
            },
            shipping_methods: vec![ground],
            ..Default::default()
        },
        now: Some(now),
        usage: Default::default(),
    };
    let priced = request.price(now)?;
    let both = serde_json::json!({ "request": request, "pricedCart": priced });
    Ok(serde_json::to_string_pretty(&both).expect("requests and priced carts always serialize"))
}
