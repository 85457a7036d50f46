//! The demo history looks like a real shop's: what `merx serve --demo` and `merx demo seed` put in
//! front of a newcomer. Checked on the memory store with the default history (the one the README
//! describes), at a fixed "now" so the run is the same every time.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use merx_core::clock::{Clock, FixedClock};
use merx_core::ids::{ProductId, UserId};
use merx_core::order::{Order, OrderStatus, PaymentStatus};
use merx_core::payment::{TransactionKind, TransactionStatus};
use merx_core::recommend::{train_from_store, RecommendRequest, RecommenderConfig};
use merx_core::store::memory::MemoryStore;
use merx_core::store::{OrderFilter, Page, ProductFilter, Store};
use merx_core::user::PasswordHashing;
use merx_runtime::demo::{load_demo_data, load_demo_history, DemoAdmin, DemoHistory};
use rust_decimal::Decimal;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_780_000_000, 0).unwrap()
}

async fn demo_store(history: &DemoHistory) -> Arc<dyn Store> {
    let clock: Arc<dyn Clock> = Arc::new(FixedClock::new(now()));
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new(clock.clone()));
    let hashing = PasswordHashing::insecure_fast();
    let admin = DemoAdmin {
        email: "admin@merx.example".into(),
        password: "merx-admin-2026".into(),
    };
    load_demo_data(store.clone(), clock.clone(), &admin, hashing)
        .await
        .unwrap();
    load_demo_history(store.clone(), clock, history, hashing)
        .await
        .unwrap();
    store
}

async fn all_orders(store: &dyn Store) -> Vec<Order> {
    let mut out = Vec::new();
    loop {
        let page = store
            .list_orders(&OrderFilter {
                page: Page {
                    offset: out.len() as u32,
                    limit: 200,
                },
                ..OrderFilter::default()
            })
            .await
            .unwrap();
        let done = page.len() < 200;
        out.extend(page);
        if done {
            return out;
        }
    }
}

/// Stock of every SKU.
async fn stock_by_sku(store: &dyn Store) -> BTreeMap<String, Decimal> {
    let products = store
        .list_products(&ProductFilter {
            page: Page {
                offset: 0,
                limit: 1000,
            },
            ..ProductFilter::default()
        })
        .await
        .unwrap();
    products
        .iter()
        .flat_map(|p| p.variants.iter().map(|v| (v.sku.clone(), v.stock)))
        .collect()
}

fn paid_in_full(order: &Order) -> bool {
    order.payment.captured == order.totals.total
        && matches!(
            order.payment.status,
            PaymentStatus::Captured | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded
        )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_history_is_paid_addressed_reviewed_and_consistent() {
    let history = DemoHistory::default();
    let store = demo_store(&history).await;
    let orders = all_orders(store.as_ref()).await;
    assert!(orders.len() >= 590, "{}", orders.len());

    let count = |f: &dyn Fn(&Order) -> bool| orders.iter().filter(|o| f(o)).count();
    // Fulfilment follows payment: nothing leaves the warehouse unpaid.
    for order in &orders {
        match order.status {
            OrderStatus::Processing | OrderStatus::Shipped | OrderStatus::Delivered => {
                assert!(
                    paid_in_full(order),
                    "{:?} {:?}",
                    order.status,
                    order.payment
                )
            }
            OrderStatus::Pending => assert!(
                matches!(
                    order.payment.status,
                    PaymentStatus::Unpaid | PaymentStatus::Captured
                ),
                "{:?}",
                order.payment
            ),
            _ => {}
        }
    }
    let delivered = count(&|o| o.status == OrderStatus::Delivered);
    assert!(delivered > 400, "{delivered}");

    // Refunds in full and in part after delivery; cancellations before and after paying.
    let refunded = count(&|o| {
        o.status == OrderStatus::Delivered && o.payment.status == PaymentStatus::Refunded
    });
    let partly = count(&|o| o.payment.status == PaymentStatus::PartiallyRefunded);
    let cancelled_paid = count(&|o| {
        o.status == OrderStatus::Cancelled && o.payment.status == PaymentStatus::Refunded
    });
    let cancelled_unpaid =
        count(&|o| o.status == OrderStatus::Cancelled && o.payment.status == PaymentStatus::Unpaid);
    for (what, n) in [
        ("refunded in full", refunded),
        ("refunded in part", partly),
        ("cancelled after paying", cancelled_paid),
        ("cancelled unpaid", cancelled_unpaid),
    ] {
        assert!(n >= 5, "{what}: {n}");
    }

    // Every address is complete and in a country its shipping method serves.
    let methods = store.list_shipping_methods().await.unwrap();
    let mut countries = HashSet::new();
    for order in &orders {
        let address = order.shipping_address.as_ref().expect("an address");
        for (field, value) in [
            ("name", &address.name),
            ("line1", &address.line1),
            ("city", &address.city),
            ("postalCode", &address.postal_code),
            ("country", &address.country),
        ] {
            assert!(!value.trim().is_empty(), "{field} of {address:?}");
        }
        let method = methods
            .iter()
            .find(|m| Some(&m.name) == order.shipping_method.as_ref())
            .expect("a shipping method");
        assert!(
            method.countries.is_empty() || method.countries.contains(&address.country),
            "{} does not ship to {}",
            method.name,
            address.country
        );
        countries.insert(address.country.clone());
    }
    assert!(countries.len() >= 4, "{countries:?}");

    // The ledger agrees with every order, and a few cards were declined on the way.
    let mut declined = 0;
    for order in &orders {
        let transactions = store.list_transactions(order.id).await.unwrap();
        let sum = |kind: TransactionKind| -> Decimal {
            transactions
                .iter()
                .filter(|t| t.kind == kind && t.status == TransactionStatus::Succeeded)
                .map(|t| t.amount)
                .sum()
        };
        assert_eq!(
            sum(TransactionKind::Capture),
            order.payment.captured,
            "{}",
            order.id
        );
        assert_eq!(
            sum(TransactionKind::Refund),
            order.payment.refunded,
            "{}",
            order.id
        );
        assert!(order.payment.refunded <= order.payment.captured);
        declined += transactions
            .iter()
            .filter(|t| t.status == TransactionStatus::Declined)
            .count();
    }
    assert!(declined > 0);

    // Stock: what the same catalog had before any order, less what the orders that were not
    // cancelled hold; cancelled orders gave theirs back, refunds keep none back.
    let before = stock_by_sku(
        demo_store(&DemoHistory {
            orders: 0,
            ..history
        })
        .await
        .as_ref(),
    )
    .await;
    let after = stock_by_sku(store.as_ref()).await;
    let mut sold: HashMap<&str, Decimal> = HashMap::new();
    for order in orders.iter().filter(|o| o.status != OrderStatus::Cancelled) {
        for line in &order.lines {
            *sold.entry(line.sku.as_str()).or_default() += line.quantity;
        }
    }
    assert_eq!(before.len(), after.len());
    for (sku, stock) in &after {
        let sold = sold.get(sku.as_str()).copied().unwrap_or_default();
        assert_eq!(before[sku] - sold, *stock, "{sku}");
    }

    // Reviews come from customers who received the product, with a spread of ratings.
    let mut ratings = BTreeMap::new();
    let products = store
        .list_products(&ProductFilter {
            page: Page {
                offset: 0,
                limit: 1000,
            },
            ..ProductFilter::default()
        })
        .await
        .unwrap();
    let received: HashSet<(UserId, ProductId)> = orders
        .iter()
        .filter(|o| o.status == OrderStatus::Delivered)
        .flat_map(|o| {
            o.lines
                .iter()
                .map(|l| (o.customer_id.unwrap(), l.product_id))
        })
        .collect();
    for product in &products {
        for review in store.list_reviews(product.id, true).await.unwrap() {
            assert!(review.verified_purchase);
            assert!(received.contains(&(review.user_id, review.product_id)));
            *ratings.entry(review.rating).or_insert(0) += 1;
        }
    }
    let reviews: usize = ratings.values().sum();
    assert!(reviews >= 100, "{ratings:?}");
    assert!(ratings.len() == 5, "{ratings:?}");

    // Customers' "for you" lists differ: their tastes do.
    let trained = train_from_store(store.as_ref(), RecommenderConfig::sar())
        .await
        .unwrap();
    let model = trained.recommender.unwrap();
    let customers: HashSet<UserId> = orders.iter().filter_map(|o| o.customer_id).collect();
    let request = RecommendRequest::top(3).explain(3);
    let mut lists = HashSet::new();
    let mut tied = 0;
    for customer in &customers {
        let top = model.recommend_for_user(customer, &request);
        assert_eq!(top.len(), 3);
        if top.windows(2).all(|w| w[0].score == w[1].score) {
            tied += 1;
        }
        lists.insert(top.iter().map(|r| r.item).collect::<Vec<_>>());
    }
    assert!(
        lists.len() * 10 >= customers.len() * 9,
        "{} distinct top-3 lists among {} customers",
        lists.len(),
        customers.len()
    );
    assert!(
        tied * 10 <= customers.len(),
        "{tied} of {} lists are one tie",
        customers.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_history_repeats_for_a_seed() {
    let small = DemoHistory {
        products: 60,
        customers: 15,
        orders: 90,
        ..DemoHistory::default()
    };
    let shape = |orders: Vec<Order>| -> Vec<String> {
        orders
            .iter()
            .map(|o| {
                let skus: Vec<&str> = o.lines.iter().map(|l| l.sku.as_str()).collect();
                format!(
                    "{} {} {:?} {:?} {} {} {:?} {:?}",
                    o.created_at,
                    o.email.as_deref().unwrap_or_default(),
                    o.status,
                    o.payment.status,
                    o.totals.total,
                    o.payment.refunded,
                    o.shipping_address,
                    skus
                )
            })
            .collect()
    };
    let first = shape(all_orders(demo_store(&small).await.as_ref()).await);
    let again = shape(all_orders(demo_store(&small).await.as_ref()).await);
    assert_eq!(first, again);
    let other = shape(
        all_orders(
            demo_store(&DemoHistory {
                seed: small.seed + 1,
                ..small
            })
            .await
            .as_ref(),
        )
        .await,
    );
    assert_ne!(first, other);
}
