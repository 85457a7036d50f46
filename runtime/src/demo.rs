//! Demo data: a small, realistic shop built through the core services, for `--demo` and for the
//! CLI to reuse.
//!
//! [`load_demo_data`] creates an admin account, a category tree, 30 active products (most with
//! size or colour variants, all stocked), an automatic 15%-off-mugs promotion, a `WELCOME10`
//! coupon (10% off orders of $30 or more), US and German tax rates, and three shipping methods.
//! Running it twice on one store fails on the admin email, so it is for fresh stores.
//! [`load_demo_history`] then adds a few hundred products, customers and months of past orders.

mod addresses;
mod history;

pub use history::{load_demo_history, DemoHistory, HistorySummary, DEMO_CUSTOMER_PASSWORD};

use std::collections::BTreeMap;
use std::sync::Arc;

use merx_core::catalog::{Category, Product, ProductStatus, Variant};
use merx_core::catalog_service::CatalogService;
use merx_core::clock::Clock;
use merx_core::ids::ProductId;
use merx_core::principal::Principal;
use merx_core::promotion::{
    Conditions, CurrencyAmounts, LineSelector, Promotion, PromotionEffect, Target,
};
use merx_core::settings_service::SettingsService;
use merx_core::shipping::ShippingMethod;
use merx_core::store::{PricingSettings, Store};
use merx_core::tax::{TaxRate, TaxSettings};
use merx_core::user::{PasswordHashing, Registration, UserService};
use merx_core::{Currency, Result};
use rust_decimal::Decimal;

/// The admin account the demo creates.
#[derive(Clone)]
pub struct DemoAdmin {
    /// Email.
    pub email: String,
    /// Password.
    pub password: String,
}

impl std::fmt::Debug for DemoAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoAdmin")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// What the demo created, for printing and for tests.
#[derive(Clone, Debug)]
pub struct DemoSummary {
    /// Products created.
    pub product_ids: Vec<ProductId>,
    /// The coupon code.
    pub coupon_code: String,
}

fn price(amount: &str) -> Decimal {
    amount.parse().expect("demo prices are valid decimals")
}

fn variant(
    sku: &str,
    title: &str,
    options: &[(&str, &str)],
    usd: &str,
    stock: i64,
    weight: &str,
) -> Variant {
    let mut v = Variant::new(sku, Currency::Usd, price(usd));
    v.title = title.to_string();
    v.options = options
        .iter()
        .map(|(k, val)| (k.to_string(), val.to_string()))
        .collect();
    v.stock = Decimal::from(stock);
    v.weight = Some(price(weight));
    v
}

fn sized(sku: &str, usd: &str, weight: &str) -> Vec<Variant> {
    ["S", "M", "L", "XL"]
        .iter()
        .map(|size| {
            variant(
                &format!("{sku}-{size}"),
                size,
                &[("size", size)],
                usd,
                40,
                weight,
            )
        })
        .collect()
}

fn coloured(sku: &str, colours: &[&str], usd: &str, weight: &str) -> Vec<Variant> {
    colours
        .iter()
        .map(|c| {
            let code: String = c.chars().take(3).collect::<String>().to_uppercase();
            variant(
                &format!("{sku}-{code}"),
                c,
                &[("colour", c)],
                usd,
                25,
                weight,
            )
        })
        .collect()
}

/// Fills a fresh store with the demo shop. `hashing` is the admin password's argon2id cost.
pub async fn load_demo_data(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    admin: &DemoAdmin,
    hashing: PasswordHashing,
) -> Result<DemoSummary> {
    let users = UserService::new(store.clone(), clock.clone()).with_hashing(hashing);
    users
        .register_admin(Registration {
            email: admin.email.clone(),
            password: admin.password.clone(),
            name: "Demo admin".into(),
        })
        .await?;
    let catalog = CatalogService::new(store.clone(), clock.clone());
    let settings = SettingsService::new(store.clone());
    // The loader sets the shop up itself; the admin account is for the people trying it.
    let system = Principal::System;

    let apparel = catalog
        .create_category(&system, Category::new("Apparel"))
        .await?;
    let tees = catalog
        .create_category(&system, Category::child_of(apparel.id, "T-shirts"))
        .await?;
    let hoodies = catalog
        .create_category(&system, Category::child_of(apparel.id, "Hoodies"))
        .await?;
    let home = catalog
        .create_category(&system, Category::new("Home"))
        .await?;
    let mugs = catalog
        .create_category(&system, Category::child_of(home.id, "Mugs"))
        .await?;
    let posters = catalog
        .create_category(&system, Category::child_of(home.id, "Posters"))
        .await?;
    let books = catalog
        .create_category(&system, Category::new("Books"))
        .await?;

    let mut specs: Vec<(String, String, _, Vec<Variant>)> = Vec::new();
    for (i, (name, colour_word)) in [
        ("Organic cotton tee", "classic"),
        ("Heavyweight pocket tee", "sturdy"),
        ("Striped breton tee", "nautical"),
        ("Ringer tee", "retro"),
        ("Long-sleeve merino tee", "warm"),
        ("Graphic mountain tee", "outdoorsy"),
        ("Linen summer tee", "airy"),
        ("Tri-blend crew tee", "soft"),
    ]
    .iter()
    .enumerate()
    {
        specs.push((
            name.to_string(),
            format!("A {colour_word} t-shirt, cut for every day."),
            tees.id,
            sized(
                &format!("TEE{:02}", i + 1),
                ["19.99", "24.99", "29.00", "22.50"][i % 4],
                "0.2",
            ),
        ));
    }
    for (i, name) in [
        "Zip hoodie",
        "Fleece pullover hoodie",
        "Recycled terry hoodie",
        "Oversized hoodie",
        "Tech fleece hoodie",
        "Kids hoodie",
    ]
    .iter()
    .enumerate()
    {
        specs.push((
            name.to_string(),
            "A hoodie with a lined hood and kangaroo pocket.".into(),
            hoodies.id,
            sized(
                &format!("HOOD{:02}", i + 1),
                ["49.00", "54.99", "59.90"][i % 3],
                "0.6",
            ),
        ));
    }
    for (i, name) in [
        "Stoneware mug",
        "Enamel camp mug",
        "Double-wall glass mug",
        "Travel tumbler",
        "Espresso cup set",
        "Latte bowl",
    ]
    .iter()
    .enumerate()
    {
        specs.push((
            name.to_string(),
            "Dishwasher safe; holds your morning coffee.".into(),
            mugs.id,
            coloured(
                &format!("MUG{:02}", i + 1),
                &["white", "black", "sage"],
                ["12.00", "14.50", "18.99"][i % 3],
                "0.4",
            ),
        ));
    }
    for (i, name) in [
        "Alpine map poster",
        "Botanical print",
        "Vintage rail poster",
        "Night sky chart",
        "City grid print",
    ]
    .iter()
    .enumerate()
    {
        specs.push((
            name.to_string(),
            "Printed on 200 g matte paper.".into(),
            posters.id,
            vec![
                variant(
                    &format!("POS{:02}-A3", i + 1),
                    "A3",
                    &[("format", "A3")],
                    "24.00",
                    30,
                    "0.1",
                ),
                variant(
                    &format!("POS{:02}-A2", i + 1),
                    "A2",
                    &[("format", "A2")],
                    "34.00",
                    20,
                    "0.15",
                ),
            ],
        ));
    }
    for (i, name) in [
        "The pragmatic shopkeeper",
        "Rust for commerce",
        "A field guide to coffee",
        "Designing small shops",
        "Letters on typography",
    ]
    .iter()
    .enumerate()
    {
        specs.push((
            name.to_string(),
            "Hardcover, 300 pages.".into(),
            books.id,
            vec![variant(
                &format!("BOOK{:02}", i + 1),
                "",
                &[],
                ["29.95", "39.00", "24.50"][i % 3],
                15,
                "0.7",
            )],
        ));
    }

    let mut product_ids = Vec::with_capacity(specs.len());
    for (name, description, category, variants) in specs {
        let mut product = Product::new(name, variants);
        product.description = description;
        product.status = ProductStatus::Active;
        product.category_ids = vec![category];
        product.attributes = BTreeMap::from([("brand".to_string(), "Merx demo".to_string())]);
        product_ids.push(catalog.create_product(&system, product).await?.id);
    }

    settings
        .create_promotion(
            &system,
            Promotion {
                description: "15% off every mug".into(),
                ..Promotion::new(
                    "Mug week",
                    PromotionEffect::PercentageOff {
                        percent: price("15"),
                        target: Target::Items(LineSelector {
                            category_ids: vec![mugs.id],
                            ..LineSelector::default()
                        }),
                    },
                )
            },
        )
        .await?;
    let coupon_code = "WELCOME10".to_string();
    let mut welcome = Promotion::new(
        "Welcome 10%",
        PromotionEffect::PercentageOff {
            percent: price("10"),
            target: Target::Order,
        },
    )
    .with_coupon(&coupon_code)?;
    welcome.conditions = Conditions {
        min_subtotal: Some(CurrencyAmounts::from([(Currency::Usd, price("30"))])),
        ..Conditions::default()
    };
    welcome.per_customer_limit = Some(1);
    settings.create_promotion(&system, welcome).await?;

    let mut ca = TaxRate::new("CA sales tax", "US", "standard", price("7.25"));
    ca.region = Some("CA".into());
    let read_version = settings.pricing_settings(&system).await?.version;
    settings
        .put_pricing_settings(
            &system,
            PricingSettings {
                tax: TaxSettings {
                    default_country: Some("US".into()),
                    rates: vec![
                        ca,
                        TaxRate::new("VAT", "DE", "standard", price("19")),
                        TaxRate::new("VAT reduced", "DE", "reduced", price("7")),
                    ],
                    ..TaxSettings::default()
                },
                version: read_version,
                ..PricingSettings::default()
            },
        )
        .await?;

    let mut standard = ShippingMethod::flat("Standard (3-5 days)", Currency::Usd, price("4.99"));
    standard.free_over = Some(CurrencyAmounts::from([(Currency::Usd, price("50"))]));
    settings.create_shipping_method(&system, standard).await?;
    settings
        .create_shipping_method(
            &system,
            ShippingMethod::flat("Express (1-2 days)", Currency::Usd, price("14.99")),
        )
        .await?;
    let mut international = ShippingMethod::flat("International", Currency::Usd, price("24.00"));
    international.countries = vec!["DE".into(), "FR".into(), "GB".into(), "CA".into()];
    settings
        .create_shipping_method(&system, international)
        .await?;

    Ok(DemoSummary {
        product_ids,
        coupon_code,
    })
}
