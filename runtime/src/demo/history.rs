//! Shop history for the demo: a few hundred more products, customers, and months of past orders
//! placed through the real cart and checkout services, so search, recommendations and the order
//! admin have something to show on first start.
//!
//! Everything is generated from a seed, so two demo stores are alike. Customers have tastes (two
//! favourite product families) and products have companions (a poster goes with a frame-sized
//! print of the same city, a tee with the matching hoodie), which gives the recommender real
//! co-purchase structure to find. Orders are placed at past instants through a clock the history
//! moves, then taken through the order state machine as far as their age allows.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use merx_core::cart::Address;
use merx_core::cart_service::{CartOwner, CartService};
use merx_core::catalog::{Category, Product, ProductStatus, Variant};
use merx_core::catalog_service::CatalogService;
use merx_core::checkout::CheckoutService;
use merx_core::clock::{Clock, FixedClock};
use merx_core::ids::{ProductId, ShippingMethodId, UserId, VariantId};
use merx_core::order::{Actor, OrderService};
use merx_core::payment::{PaymentProcessor, TestGateway};
use merx_core::principal::Principal;
use merx_core::recommend::data::SeededRng;
use merx_core::store::{Page, ProductFilter, Store};
use merx_core::user::{PasswordHasher, PasswordHashing, Registration, UserService};
use merx_core::{Currency, Error, Result};
use rust_decimal::Decimal;

use crate::TokioSleeper;

/// The password of every demo customer account (`customer001@example.com` ...).
pub const DEMO_CUSTOMER_PASSWORD: &str = "merx-customer-2026";

/// How much history [`load_demo_history`] makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoHistory {
    /// Products added to the demo catalog (at most [`DemoHistory::MAX_PRODUCTS`]).
    pub products: usize,
    /// Customer accounts.
    pub customers: usize,
    /// Orders placed over the period.
    pub orders: usize,
    /// Length of the period, in days before now.
    pub days: u32,
    /// Seed of every random choice.
    pub seed: u64,
}

impl DemoHistory {
    /// How many distinct products the generator can name.
    pub const MAX_PRODUCTS: usize = 277;
}

impl Default for DemoHistory {
    /// 277 more products (about 300 in all), 80 customers, 600 orders over 120 days.
    fn default() -> Self {
        DemoHistory {
            products: DemoHistory::MAX_PRODUCTS,
            customers: 80,
            orders: 600,
            days: 120,
            seed: 2026,
        }
    }
}

/// What [`load_demo_history`] created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HistorySummary {
    /// Products added.
    pub products: usize,
    /// Customer accounts created.
    pub customers: usize,
    /// Orders placed.
    pub orders: usize,
}

const TEE_MOTIFS: [&str; 15] = [
    "Wave",
    "Pine",
    "Fox",
    "Comet",
    "Cactus",
    "Lighthouse",
    "Bicycle",
    "Koi",
    "Mountain",
    "Anchor",
    "Owl",
    "Lotus",
    "Sunset",
    "Atlas",
    "Circuit",
];
const TEE_FITS: [&str; 3] = ["classic", "slim", "relaxed"];
const HOODIE_COLOURS: [&str; 10] = [
    "Harbor", "Forest", "Ember", "Slate", "Dune", "Glacier", "Moss", "Rust", "Ink", "Sand",
];
const HOODIE_CUTS: [&str; 3] = ["zip hoodie", "pullover hoodie", "cropped hoodie"];
const MUG_FINISHES: [&str; 8] = [
    "Speckled",
    "Matte",
    "Glazed",
    "Hand-thrown",
    "Enamel",
    "Porcelain",
    "Ribbed",
    "Two-tone",
];
const MUG_SHAPES: [&str; 4] = ["mug", "cup", "tumbler", "bowl"];
const POSTER_PLACES: [&str; 12] = [
    "Kyoto",
    "Lisbon",
    "Oslo",
    "Patagonia",
    "Sahara",
    "Yosemite",
    "Reykjavik",
    "Marrakesh",
    "Tasmania",
    "Havana",
    "Dolomites",
    "Hokkaido",
];
const POSTER_STYLES: [&str; 5] = [
    "map print",
    "travel poster",
    "line drawing",
    "night print",
    "watercolour",
];
const BOOK_ADJECTIVES: [&str; 10] = [
    "Quiet",
    "Lean",
    "Honest",
    "Curious",
    "Patient",
    "Practical",
    "Small",
    "Open",
    "Modern",
    "Careful",
];
const BOOK_NOUNS: [&str; 11] = [
    "shop",
    "ledger",
    "cart",
    "margin",
    "supplier",
    "storefront",
    "inventory",
    "customer",
    "checkout",
    "catalog",
    "warehouse",
];
const FIRST_NAMES: [&str; 20] = [
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Femi", "Grace", "Hugo", "Ines", "Jonas", "Kira",
    "Liam", "Maya", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sami", "Tara",
];
const LAST_NAMES: [&str; 12] = [
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Silva",
    "Novak",
    "Haddad",
    "Kowalski",
    "Brennan",
    "Ivanova",
    "Mendes",
    "Park",
];

/// A product family: its category name, SKU prefix and how its products are named and priced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    Tees,
    Hoodies,
    Mugs,
    Posters,
    Books,
}

impl Family {
    const ALL: [Family; 5] = [
        Family::Tees,
        Family::Hoodies,
        Family::Mugs,
        Family::Posters,
        Family::Books,
    ];

    fn category(self) -> &'static str {
        match self {
            Family::Tees => "T-shirts",
            Family::Hoodies => "Hoodies",
            Family::Mugs => "Mugs",
            Family::Posters => "Posters",
            Family::Books => "Books",
        }
    }

    /// Every product name of the family, in a fixed order.
    fn names(self) -> Vec<String> {
        let cross = |a: &[&str], b: &[&str], join: &dyn Fn(&str, &str) -> String| {
            a.iter()
                .flat_map(|x| b.iter().map(move |y| (*x, *y)))
                .map(|(x, y)| join(x, y))
                .collect::<Vec<_>>()
        };
        match self {
            Family::Tees => cross(&TEE_MOTIFS, &TEE_FITS, &|m, f| format!("{m} tee ({f} fit)")),
            Family::Hoodies => cross(&HOODIE_COLOURS, &HOODIE_CUTS, &|c, k| format!("{c} {k}")),
            Family::Mugs => cross(&MUG_FINISHES, &MUG_SHAPES, &|f, s| format!("{f} {s}")),
            Family::Posters => cross(&POSTER_PLACES, &POSTER_STYLES, &|p, s| format!("{p} {s}")),
            Family::Books => cross(&BOOK_ADJECTIVES, &BOOK_NOUNS, &|a, n| {
                format!("The {a} {n}")
            }),
        }
    }

    fn prices(self) -> &'static [&'static str] {
        match self {
            Family::Tees => &["18.00", "21.50", "24.99", "27.00"],
            Family::Hoodies => &["45.00", "52.50", "58.99", "64.00"],
            Family::Mugs => &["9.50", "12.00", "15.99", "19.00"],
            Family::Posters => &["19.00", "24.00", "29.50"],
            Family::Books => &["14.99", "22.00", "27.95", "34.50"],
        }
    }

    fn description(self, name: &str) -> String {
        match self {
            Family::Tees => format!("{name}: soft combed cotton, printed in small batches."),
            Family::Hoodies => {
                format!("{name}: brushed fleece inside, ribbed cuffs, deep pockets.")
            }
            Family::Mugs => format!("{name}: stoneware, dishwasher and microwave safe."),
            Family::Posters => format!("{name}: giclée print on 200 g matte archival paper."),
            Family::Books => format!("{name}: a paperback for people who run small shops."),
        }
    }

    fn variants(self, sku: &str, price: Decimal, stock: i64) -> Vec<Variant> {
        let make = |suffix: &str, title: &str, option: Option<(&str, &str)>, weight: &str| {
            let sku = if suffix.is_empty() {
                sku.to_string()
            } else {
                format!("{sku}-{suffix}")
            };
            let mut v = Variant::new(&sku, Currency::Usd, price);
            v.title = title.to_string();
            if let Some((key, value)) = option {
                v.options.insert(key.to_string(), value.to_string());
            }
            v.stock = Decimal::from(stock);
            v.weight = weight.parse().ok();
            v
        };
        match self {
            Family::Tees | Family::Hoodies => {
                let weight = if self == Family::Tees { "0.2" } else { "0.6" };
                ["S", "M", "L", "XL"]
                    .iter()
                    .map(|size| make(size, size, Some(("size", size)), weight))
                    .collect()
            }
            Family::Mugs => ["white", "black", "sage"]
                .iter()
                .map(|c| make(&c[..3].to_uppercase(), c, Some(("colour", c)), "0.4"))
                .collect(),
            Family::Posters => vec![
                make("A3", "A3", Some(("format", "A3")), "0.1"),
                make("A2", "A2", Some(("format", "A2")), "0.15"),
            ],
            Family::Books => vec![make("", "", None, "0.5")],
        }
    }

    fn sku_prefix(self) -> &'static str {
        match self {
            Family::Tees => "DT",
            Family::Hoodies => "DH",
            Family::Mugs => "DM",
            Family::Posters => "DP",
            Family::Books => "DB",
        }
    }
}

/// A product the history can sell: its family and variants with the stock it believes is left.
struct Sellable {
    id: ProductId,
    family: usize,
    variants: Vec<(VariantId, i64)>,
}

fn pick_weighted(rng: &mut SeededRng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut point = rng.next_f64() * total;
    for (index, weight) in weights.iter().enumerate() {
        if point < *weight {
            return index;
        }
        point -= weight;
    }
    weights.len() - 1
}

async fn category_ids(store: &dyn Store) -> Result<HashMap<String, Category>> {
    Ok(store
        .list_categories()
        .await?
        .into_iter()
        .map(|c| (c.name.clone(), c))
        .collect())
}

async fn add_products(
    catalog: &CatalogService,
    store: &dyn Store,
    count: usize,
    rng: &mut SeededRng,
) -> Result<usize> {
    let categories = category_ids(store).await?;
    let mut made = 0;
    // Interleave the families so that a smaller `count` still covers all of them.
    let names: Vec<Vec<String>> = Family::ALL.iter().map(|f| f.names()).collect();
    let longest = names.iter().map(Vec::len).max().unwrap_or(0);
    'outer: for index in 0..longest {
        for (family, family_names) in Family::ALL.iter().zip(&names) {
            if made == count {
                break 'outer;
            }
            let Some(name) = family_names.get(index) else {
                continue;
            };
            let prices = family.prices();
            let price: Decimal = prices[rng.below(prices.len())]
                .parse()
                .map_err(|_| Error::validation("price", "demo price"))?;
            let stock = 120 + rng.below(300) as i64;
            let sku = format!("{}{:03}", family.sku_prefix(), index + 1);
            let mut product = Product::new(name.clone(), family.variants(&sku, price, stock));
            product.description = family.description(name);
            product.status = ProductStatus::Active;
            if let Some(category) = categories.get(family.category()) {
                product.category_ids = vec![category.id];
            }
            product
                .attributes
                .insert("brand".to_string(), "Merx demo".to_string());
            catalog.create_product(&Principal::System, product).await?;
            made += 1;
        }
    }
    Ok(made)
}

async fn sellable_products(store: &dyn Store) -> Result<Vec<Sellable>> {
    let categories = category_ids(store).await?;
    let family_of: HashMap<_, usize> = Family::ALL
        .iter()
        .enumerate()
        .filter_map(|(index, f)| categories.get(f.category()).map(|c| (c.id, index)))
        .collect();
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let products = store
            .list_products(&ProductFilter {
                status: Some(ProductStatus::Active),
                page: Page { offset, limit: 500 },
                ..ProductFilter::default()
            })
            .await?;
        for product in &products {
            let family = product
                .category_ids
                .iter()
                .find_map(|c| family_of.get(c).copied());
            if let Some(family) = family {
                out.push(Sellable {
                    id: product.id,
                    family,
                    variants: product
                        .variants
                        .iter()
                        .map(|v| (v.id, v.stock.trunc().try_into().unwrap_or(0)))
                        .collect(),
                });
            }
        }
        if products.len() < 500 {
            return Ok(out);
        }
        offset += 500;
    }
}

/// Hashes the one password every demo account shares once, and hands that hash to each
/// registration: hashing each of 80 accounts at the production argon2id cost would take most of
/// the loading time. Any other password is hashed as usual.
#[derive(Debug)]
struct SharedPasswordHash {
    password: &'static str,
    phc: String,
}

#[async_trait::async_trait]
impl PasswordHasher for SharedPasswordHash {
    async fn hash(&self, hashing: PasswordHashing, password: String) -> Result<String> {
        if password == self.password {
            Ok(self.phc.clone())
        } else {
            hashing.hash(&password)
        }
    }

    async fn verify(&self, password: String, phc: String) -> bool {
        PasswordHashing::verify(&password, &phc)
    }
}

async fn add_customers(
    store: Arc<dyn Store>,
    count: usize,
    hashing: PasswordHashing,
    since: DateTime<Utc>,
    rng: &mut SeededRng,
) -> Result<Vec<(UserId, String)>> {
    let hasher = SharedPasswordHash {
        password: DEMO_CUSTOMER_PASSWORD,
        phc: hashing.hash(DEMO_CUSTOMER_PASSWORD)?,
    };
    // Registration stamps the account with the service's clock: the history sets it to the day
    // each customer joined.
    let joined_at = Arc::new(FixedClock::new(since));
    let users = UserService::new(store, joined_at.clone())
        .with_hashing(hashing)
        .with_hasher(Arc::new(hasher));
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let first = FIRST_NAMES[rng.below(FIRST_NAMES.len())];
        let last = LAST_NAMES[rng.below(LAST_NAMES.len())];
        joined_at.set(since + Duration::hours(rng.below(24 * 20) as i64));
        let user = users
            .register(Registration {
                email: format!("customer{:03}@example.com", n + 1),
                password: DEMO_CUSTOMER_PASSWORD.into(),
                name: format!("{first} {last}"),
            })
            .await?;
        ids.push((user.id, user.email));
    }
    Ok(ids)
}

/// Each customer's two favourite families and how often they order.
struct Taste {
    families: [usize; 2],
    activity: f64,
}

/// Adds the history to a store that holds the demo shop of [`super::load_demo_data`]: more
/// products in its categories, customer accounts (password [`DEMO_CUSTOMER_PASSWORD`]) and past
/// orders through carts and checkout, moved along the order states by their age. `clock` gives
/// "now"; the orders lie in the `history.days` before it.
pub async fn load_demo_history(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    history: &DemoHistory,
    hashing: PasswordHashing,
) -> Result<HistorySummary> {
    let mut rng = SeededRng::new(history.seed);
    let now = clock.now();
    let start = now - Duration::days(i64::from(history.days.max(1)));
    let catalog = CatalogService::new(store.clone(), clock.clone());
    let products = add_products(
        &catalog,
        store.as_ref(),
        history.products.min(DemoHistory::MAX_PRODUCTS),
        &mut rng,
    )
    .await?;
    let customers = add_customers(
        store.clone(),
        history.customers,
        hashing,
        start - Duration::days(21),
        &mut rng,
    )
    .await?;
    let mut sellable = sellable_products(store.as_ref()).await?;
    if customers.is_empty() || sellable.is_empty() {
        return Ok(HistorySummary {
            products,
            customers: customers.len(),
            orders: 0,
        });
    }

    // Popularity falls off with a random rank; each product's companion is a product of the
    // next family, so buying one often brings the other.
    let mut ranks: Vec<usize> = (0..sellable.len()).collect();
    rng.shuffle(&mut ranks);
    let popularity: Vec<f64> = ranks.iter().map(|&r| 1.0 / (r as f64 + 4.0)).collect();
    let by_family: Vec<Vec<usize>> = (0..Family::ALL.len())
        .map(|f| {
            (0..sellable.len())
                .filter(|&i| sellable[i].family == f)
                .collect()
        })
        .collect();
    let companion: Vec<Option<usize>> = (0..sellable.len())
        .map(|i| {
            let next = &by_family[(sellable[i].family + 1) % Family::ALL.len()];
            (!next.is_empty()).then(|| next[i % next.len()])
        })
        .collect();
    let tastes: Vec<Taste> = customers
        .iter()
        .map(|_| {
            let first = rng.below(Family::ALL.len());
            let second = (first + 1 + rng.below(Family::ALL.len() - 1)) % Family::ALL.len();
            Taste {
                families: [first, second],
                activity: 0.3 + rng.next_f64() * 2.0,
            }
        })
        .collect();
    let activity: Vec<f64> = tastes.iter().map(|t| t.activity).collect();

    let replay = Arc::new(FixedClock::new(start));
    let replay_clock: Arc<dyn Clock> = replay.clone();
    let carts = CartService::new(store.clone(), replay_clock.clone());
    let checkout = CheckoutService::new(store.clone(), replay_clock.clone());
    let payments = Arc::new(PaymentProcessor::new(
        store.clone(),
        Arc::new(TestGateway::new()),
        Arc::new(TokioSleeper),
        replay_clock.clone(),
    ));
    let orders = OrderService::new(store.clone(), payments, replay_clock);
    let standard: Option<ShippingMethodId> = store
        .list_shipping_methods()
        .await?
        .into_iter()
        .find(|m| m.active && m.countries.is_empty())
        .map(|m| m.id);
    let span = (now - start).num_seconds().max(1);
    let mut placed_at: Vec<i64> = (0..history.orders)
        .map(|_| rng.below(span as usize) as i64)
        .collect();
    placed_at.sort_unstable();

    let mut placed = 0;
    for offset in placed_at {
        let at = start + Duration::seconds(offset);
        replay.set(at);
        let who = pick_weighted(&mut rng, &activity);
        let (customer, email) = &customers[who];
        let customer = *customer;
        let owner = CartOwner::Customer(customer);
        let mut chosen: Vec<usize> = Vec::new();
        for _ in 0..1 + rng.below(3) {
            let family = tastes[who].families[rng.below(2)];
            let pool = &by_family[family];
            if pool.is_empty() {
                continue;
            }
            let weights: Vec<f64> = pool.iter().map(|&i| popularity[i]).collect();
            chosen.push(pool[pick_weighted(&mut rng, &weights)]);
        }
        if let Some(&first) = chosen.first() {
            if rng.next_f64() < 0.45 {
                chosen.extend(companion[first]);
            }
        }
        chosen.sort_unstable();
        chosen.dedup();
        let mut lines = 0;
        for index in chosen {
            let quantity = if rng.next_f64() < 0.15 { 2 } else { 1 };
            let product = &mut sellable[index];
            let pick = rng.below(product.variants.len());
            let (variant_id, left) = &mut product.variants[pick];
            if *left < quantity {
                continue;
            }
            carts
                .add_item(
                    owner,
                    Currency::Usd,
                    product.id,
                    *variant_id,
                    Decimal::from(quantity),
                )
                .await?;
            *left -= quantity;
            lines += 1;
        }
        if lines == 0 {
            continue;
        }
        let mut address = Address::in_country("US");
        if rng.next_f64() < 0.3 {
            address.region = Some("CA".into());
        }
        carts
            .set_shipping_address(owner, Currency::Usd, Some(address))
            .await?;
        if standard.is_some() {
            carts
                .set_shipping_method(owner, Currency::Usd, standard)
                .await?;
        }
        let actor = Actor::User { user_id: customer };
        let order = checkout
            .checkout_for(owner, Some(email.clone()), None, actor)
            .await?;
        placed += 1;
        let age = now - at;
        let step = |hours: i64| replay.set(at + Duration::hours(hours));
        if rng.next_f64() < 0.04 && age > Duration::hours(6) {
            step(2);
            orders.cancel(order.id, Actor::System, None).await?;
            continue;
        }
        if age > Duration::hours(12) {
            step(6);
            orders.start_processing(order.id, Actor::System).await?;
        }
        if age > Duration::days(3) {
            step(30);
            let tracking = format!("1Z{:016}", rng.next_u64() % 10_000_000_000_000_000);
            orders.ship(order.id, Some(tracking), Actor::System).await?;
        }
        if age > Duration::days(8) {
            step(24 * 5);
            orders.deliver(order.id, Actor::System).await?;
        }
    }
    Ok(HistorySummary {
        products,
        customers: customers.len(),
        orders: placed,
    })
}
