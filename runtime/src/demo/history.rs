//! Shop history for the demo: a few hundred more products, customers, and months of past orders
//! placed through the real cart and checkout services, so search, recommendations and the order
//! admin have something to show on first start.
//!
//! Everything is generated from a seed, so two demo stores are alike. Customers have tastes (two
//! or three favourite product families and a few favourite products in them, so each customer's
//! "for you" differs) and products have companions (a poster goes with a frame-sized print of
//! the same city, a tee with the matching hoodie), which gives the recommender real co-purchase
//! structure to find. Orders are placed at past instants through a clock the history moves, paid
//! through the payment processor, then taken through the order state machine as far as their age
//! allows, the way a shop's history reads: paid before processing, shipped and delivered only
//! when paid, some cancelled or refunded, reviewed by the customers who received them.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use merx_core::cart::Address;
use merx_core::cart_service::{CartOwner, CartService};
use merx_core::catalog::{Category, Product, ProductStatus, Variant};
use merx_core::catalog_service::CatalogService;
use merx_core::checkout::CheckoutService;
use merx_core::clock::{Clock, FixedClock};
use merx_core::ids::{ProductId, ShippingMethodId, VariantId};
use merx_core::order::{Actor, OrderService};
use merx_core::payment::{test_cards, PaymentMethod, PaymentProcessor, TestGateway};
use merx_core::principal::Principal;
use merx_core::recommend::data::SeededRng;
use merx_core::review::{ReviewInput, ReviewService};
use merx_core::shipping::ShippingMethod;
use merx_core::store::{Page, ProductFilter, Store};
use merx_core::user::{PasswordHasher, PasswordHashing, Registration, User, UserService};
use merx_core::{Currency, Error, Result};
use rust_decimal::Decimal;

use super::addresses::home_address;
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
    first_sku: String,
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
                    first_sku: product
                        .variants
                        .first()
                        .map(|v| v.sku.clone())
                        .unwrap_or_default(),
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
            // The store lists by creation time, and products created in the same instant (a
            // test's fixed clock) by id, which is random: SKUs give one order for every run.
            out.sort_by(|a, b| a.first_sku.cmp(&b.first_sku));
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
) -> Result<Vec<User>> {
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
        ids.push(user);
    }
    Ok(ids)
}

/// What a customer likes: a few favourite families (with how much of their shopping each gets)
/// and, within them, a couple of favourite styles (neighbouring products of a family share a
/// motif, colour, place or theme) they keep coming back to; and how often they order. Styles are
/// shared among customers, which is what lets the recommender find them; which styles and
/// families each customer picks differs, so their recommendations do too.
struct Taste {
    families: Vec<(usize, f64)>,
    favourites: Vec<usize>,
    activity: f64,
}

/// How much likelier a customer is to buy a product of a favourite style than another product of
/// the same popularity.
const FAVOURITE_BOOST: f64 = 3.0;
/// Products per style: neighbours in a family's list.
const STYLE_SIZE: usize = 5;

fn taste(rng: &mut SeededRng, by_family: &[Vec<usize>]) -> Taste {
    let mut order: Vec<usize> = (0..by_family.len()).collect();
    rng.shuffle(&mut order);
    let count = 2 + rng.below(2);
    let mut families = Vec::with_capacity(count);
    let mut favourites = Vec::new();
    for (rank, &family) in order.iter().take(count).enumerate() {
        // The first family gets most of the customer's attention, the others less and less.
        families.push((family, 1.0 / (rank as f64 + 1.0)));
        let styles: Vec<&[usize]> = by_family[family].chunks(STYLE_SIZE).collect();
        if styles.is_empty() {
            continue;
        }
        for _ in 0..2 {
            favourites.extend_from_slice(styles[rng.below(styles.len())]);
        }
    }
    favourites.sort_unstable();
    favourites.dedup();
    Taste {
        families,
        favourites,
        activity: 0.3 + rng.next_f64() * 2.0,
    }
}

/// The card every demo customer pays with, and the one a few of them try first.
const GOOD_CARD: &str = test_cards::SUCCEEDS;
const DECLINED_CARD: &str = test_cards::DECLINED;

/// Review headlines by rating, 1 to 5.
const REVIEW_TITLES: [&[&str]; 5] = [
    &["Sent it back", "Not for me", "Poor quality"],
    &["Disappointing", "Not what I expected"],
    &["It's okay", "Decent for the price", "Mixed feelings"],
    &["Very good", "Happy with it", "Nice, with one caveat"],
    &[
        "Love it",
        "Exactly as pictured",
        "Perfect gift",
        "Great quality",
    ],
];

/// What a reviewer says about a family's product: unhappy, so-so, happy.
fn review_body(family: Family, rating: u8) -> &'static str {
    let mood = match rating {
        1 | 2 => 0,
        3 => 1,
        _ => 2,
    };
    match (family, mood) {
        (Family::Tees, 0) => "The print cracked after two washes and the fit runs small.",
        (Family::Tees, 1) => "Soft fabric, but the fit is boxier than the photos suggest.",
        (Family::Tees, _) => "True to size, soft, and the print survived a dozen washes.",
        (Family::Hoodies, 0) => "Pilled within a month; the zip catches.",
        (Family::Hoodies, 1) => "Warm enough, though the sleeves are long.",
        (Family::Hoodies, _) => "Warm without being heavy, and the pockets are deep.",
        (Family::Mugs, 0) => "Arrived chipped and the glaze is uneven.",
        (Family::Mugs, 1) => "Nice colour, smaller than I expected.",
        (Family::Mugs, _) => "Holds a proper coffee and feels good in the hand.",
        (Family::Posters, 0) => "The colours are dull and it came creased.",
        (Family::Posters, 1) => "Good print, the paper is thinner than I hoped.",
        (Family::Posters, _) => "Crisp print on heavy paper; it looks great framed.",
        (Family::Books, 0) => "Too general to be useful for my shop.",
        (Family::Books, 1) => "A few good chapters, a lot of padding.",
        (Family::Books, _) => "Practical advice I used the same week.",
    }
}

/// A star rating: mostly happy customers; those who sent something back are not.
fn rating(rng: &mut SeededRng, refunded: bool) -> u8 {
    let weights: &[f64] = if refunded {
        &[0.5, 0.35, 0.15, 0.0, 0.0]
    } else {
        &[0.03, 0.05, 0.12, 0.3, 0.5]
    };
    pick_weighted(rng, weights) as u8 + 1
}

/// The shipping methods a customer in `country` chooses from: those naming the country, or for
/// a country no method names, the ones that ship everywhere; cheapest first (for a parcel of a
/// kilogram), by name among equals, so the choice is the same in every run.
fn methods_for(methods: &[ShippingMethod], country: &str) -> Vec<ShippingMethodId> {
    let price = |m: &ShippingMethod| {
        m.base_amount(Currency::Usd, Decimal::ONE)
            .unwrap_or(Decimal::MAX)
    };
    let mut active: Vec<&ShippingMethod> = methods.iter().filter(|m| m.active).collect();
    active.sort_by(|a, b| price(a).cmp(&price(b)).then_with(|| a.name.cmp(&b.name)));
    let named: Vec<ShippingMethodId> = active
        .iter()
        .filter(|m| m.countries.iter().any(|c| c == country))
        .map(|m| m.id)
        .collect();
    if !named.is_empty() {
        return named;
    }
    active
        .iter()
        .filter(|m| m.countries.is_empty())
        .map(|m| m.id)
        .collect()
}

/// Adds the history to a store that holds the demo shop of [`super::load_demo_data`]: more
/// products in its categories, customer accounts (password [`DEMO_CUSTOMER_PASSWORD`]) with home
/// addresses, and past orders through carts, checkout and the payment processor (the test
/// gateway), moved along the order states by their age: paid and captured at checkout (a few
/// after a declined card, a few never paid and released), most shipped and delivered, some
/// cancelled (refunded by the cancellation), some refunded in full or in part after delivery, and
/// reviews by the customers who received the products. Every write goes through a core service.
/// `clock` gives "now"; the orders lie in the `history.days` before it.
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
    let homes: Vec<Address> = customers
        .iter()
        .map(|customer| home_address(&customer.name, &mut rng))
        .collect();

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
        .map(|_| taste(&mut rng, &by_family))
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
    let orders = OrderService::new(store.clone(), payments.clone(), replay_clock.clone());
    let reviews = ReviewService::new(store.clone(), replay_clock);
    let methods = store.list_shipping_methods().await?;
    let mut reviewed: HashSet<(usize, ProductId)> = HashSet::new();
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
        let customer = &customers[who];
        let taste = &tastes[who];
        let owner = CartOwner::Customer(customer.id);
        let family_weights: Vec<f64> = taste.families.iter().map(|(_, w)| *w).collect();
        let mut chosen: Vec<usize> = Vec::new();
        for _ in 0..1 + rng.below(3) {
            let family = taste.families[pick_weighted(&mut rng, &family_weights)].0;
            let pool = &by_family[family];
            if pool.is_empty() {
                continue;
            }
            let weights: Vec<f64> = pool
                .iter()
                .map(|&i| {
                    let boost = if taste.favourites.binary_search(&i).is_ok() {
                        FAVOURITE_BOOST
                    } else {
                        1.0
                    };
                    popularity[i] * boost
                })
                .collect();
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
        let address = homes[who].clone();
        let choices = methods_for(&methods, &address.country);
        carts
            .set_shipping_address(owner, Currency::Usd, Some(address))
            .await?;
        if !choices.is_empty() {
            // Most take the first (cheapest) method; one in five pays for a faster one.
            let method = if choices.len() > 1 && rng.below(5) == 0 {
                choices[1 + rng.below(choices.len() - 1)]
            } else {
                choices[0]
            };
            carts
                .set_shipping_method(owner, Currency::Usd, Some(method))
                .await?;
        }
        let actor = Actor::User {
            user_id: customer.id,
        };
        let order = checkout
            .checkout_for(owner, Some(customer.email.clone()), None, actor)
            .await?;
        placed += 1;
        let age = now - at;
        let step = |minutes: i64| replay.set(at + Duration::minutes(minutes));
        let lifecycle = rng.next_f64();

        // One in twenty never pays: the shop releases the order (and its stock) after two days.
        if lifecycle < 0.05 {
            if age > Duration::days(2) {
                step(48 * 60);
                orders.cancel(order.id, Actor::System, None).await?;
            }
            continue;
        }
        step(2);
        if rng.below(30) == 0 {
            // A declined card first: the ledger shows the failure, the order stays unpaid.
            match payments
                .charge(order.id, &PaymentMethod::new(DECLINED_CARD), actor, None)
                .await
            {
                Ok(_) | Err(Error::PaymentDeclined { .. }) => {}
                Err(other) => return Err(other),
            }
            step(5);
        }
        let order = payments
            .charge(order.id, &PaymentMethod::new(GOOD_CARD), actor, None)
            .await?;

        // Cancelled after paying, which refunds the capture: by the customer within the hour, or
        // by the shop once it found it cannot ship.
        if lifecycle < 0.08 {
            if age > Duration::hours(1) {
                step(45);
                orders.cancel(order.id, actor, None).await?;
            }
            continue;
        }
        if lifecycle < 0.10 {
            if age > Duration::hours(14) {
                step(6 * 60);
                orders.start_processing(order.id, Actor::System).await?;
                step(14 * 60);
                orders.cancel(order.id, Actor::System, None).await?;
            }
            continue;
        }
        if age > Duration::hours(12) {
            step(6 * 60);
            orders.start_processing(order.id, Actor::System).await?;
        }
        if age > Duration::days(3) {
            step(30 * 60);
            let tracking = format!("1Z{:016}", rng.next_u64() % 10_000_000_000_000_000);
            orders.ship(order.id, Some(tracking), Actor::System).await?;
        }
        if age <= Duration::days(8) {
            continue;
        }
        let delivered_after = 5 * 24 * 60;
        step(delivered_after);
        orders.deliver(order.id, Actor::System).await?;

        // After delivery: some come back in full, some in part (one line, or a goodwill credit
        // on a one-line order), within two weeks.
        let returned_after = delivered_after + (3 + rng.below(11) as i64) * 24 * 60;
        let settled = at + Duration::minutes(returned_after) < now;
        let aftercare = rng.next_f64();
        let mut refunded = false;
        if settled && aftercare < 0.05 {
            step(returned_after);
            payments.refund(order.id, None, Actor::System, None).await?;
            refunded = true;
        } else if settled && aftercare < 0.12 {
            step(returned_after);
            let amount = match order.lines.as_slice() {
                [_, second, ..] => second.total,
                _ => (order.totals.total * Decimal::new(2, 1)).round_dp(2),
            };
            if amount > Decimal::ZERO {
                payments
                    .refund(order.id, Some(amount), Actor::System, None)
                    .await?;
                refunded = true;
            }
        }

        // Two in five received products get a review, within ten days of delivery.
        for line in &order.lines {
            if rng.next_f64() >= 0.4 || !reviewed.insert((who, line.product_id)) {
                continue;
            }
            let written = delivered_after + (1 + rng.below(10) as i64) * 24 * 60;
            if at + Duration::minutes(written) >= now {
                continue;
            }
            let family = sellable
                .iter()
                .find(|s| s.id == line.product_id)
                .map_or(Family::Tees, |s| Family::ALL[s.family]);
            let stars = rating(&mut rng, refunded);
            let titles = REVIEW_TITLES[usize::from(stars) - 1];
            step(written);
            reviews
                .submit(
                    &Principal::User(customer.clone()),
                    line.product_id,
                    ReviewInput {
                        rating: stars,
                        title: titles[rng.below(titles.len())].to_string(),
                        body: review_body(family, stars).to_string(),
                    },
                )
                .await?;
        }
    }
    Ok(HistorySummary {
        products,
        customers: customers.len(),
        orders: placed,
    })
}
