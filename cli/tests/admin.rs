//! `merx orders ...`, `merx users ...`, `merx stock ...`.

mod common;

use std::sync::Arc;

use common::Shop;
use merx_core::cart_service::{CartOwner, CartService};
use merx_core::checkout::{CheckoutRequest, CheckoutService};
use merx_core::clock::{Clock, SystemClock};
use merx_core::order::Actor;
use merx_core::store::Store;
use merx_core::Currency;
use predicates::prelude::*;

/// Places a guest order for `quantity` of the shop's product through the core, on the same file.
fn place_order(shop: &Shop, product: &serde_json::Value, quantity: u32) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store: Arc<dyn Store> =
            Arc::new(merx_sqlite::SqliteStore::open(&shop.url).await.unwrap());
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let carts = CartService::new(store.clone(), clock.clone());
        let view = carts
            .add_item(
                CartOwner::Guest(None),
                Currency::Usd,
                product["id"].as_str().unwrap().parse().unwrap(),
                product["variants"][0]["id"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap(),
                quantity.into(),
            )
            .await
            .unwrap();
        let order = CheckoutService::new(store, clock)
            .checkout(
                CheckoutRequest {
                    cart_id: view.cart.id,
                    email: Some("ann@example.com".into()),
                    idempotency_key: None,
                },
                Actor::Guest,
            )
            .await
            .unwrap();
        order.id.to_string()
    })
}

#[test]
fn orders_list_show_and_transition() {
    let shop = Shop::new();
    let product = shop.product("Canvas tote", "TOTE-1", "19.90", "10");
    let id = place_order(&shop, &product, 2);

    let orders = shop.json(&["orders", "list"])["data"].take();
    assert_eq!(orders[0]["id"], id.as_str());
    assert_eq!(orders[0]["status"], "pending");
    shop.merx()
        .args(["orders", "list", "--status", "pending"])
        .assert()
        .success()
        .stdout(predicate::str::contains(&id).and(predicate::str::contains("ann@example.com")));
    assert_eq!(
        shop.json(&["orders", "list", "--status", "shipped"])["data"].take(),
        serde_json::json!([])
    );
    shop.merx()
        .args(["orders", "show", &id])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(format!(
            "order {id}\nstatus:  pending\n"
        )))
        .stdout(predicate::str::contains("TOTE-1"));

    shop.merx()
        .args([
            "orders",
            "transition",
            &id,
            "--to",
            "processing",
            "--tracking",
            "1Z",
        ])
        .assert()
        .code(2)
        .stderr("error: --tracking goes with --to shipped\n");
    shop.merx()
        .args(["orders", "transition", &id, "--to", "processing"])
        .assert()
        .success()
        .stdout(format!("order {id} is now processing\n"));
    let shipped = shop.json(&[
        "orders",
        "transition",
        &id,
        "--to",
        "shipped",
        "--tracking",
        "1Z999",
    ]);
    assert_eq!(shipped["status"], "shipped");
    assert_eq!(shipped["trackingNumber"], "1Z999");
    // A shipped order cannot be cancelled: the state machine refuses, exit code 1.
    shop.merx()
        .args(["orders", "transition", &id, "--to", "cancelled"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with("error: ").and(predicate::str::contains("shipped")));
    shop.merx()
        .args(["orders", "transition", &id, "--to", "delivered"])
        .assert()
        .success()
        .stdout(format!("order {id} is now delivered\n"));
    let history = shop.json(&["orders", "show", &id])["history"]
        .as_array()
        .unwrap()
        .len();
    assert!(history >= 4, "placed + three transitions, got {history}");
}

#[test]
fn cancelling_releases_stock() {
    let shop = Shop::new();
    let product = shop.product("Canvas tote", "TOTE-1", "19.90", "10");
    let id = place_order(&shop, &product, 3);
    let cancelled = shop.json(&["orders", "transition", &id, "--to", "cancelled"]);
    assert_eq!(cancelled["status"], "cancelled");
    let product = shop.json(&["products", "show", product["id"].as_str().unwrap()]);
    assert_eq!(product["variants"][0]["stock"], "10");
}

#[test]
fn order_errors() {
    let shop = Shop::new();
    shop.merx()
        .args(["orders", "show", "42"])
        .assert()
        .code(2)
        .stderr("error: order: `42` is not a valid order id\n");
    shop.merx()
        .args(["orders", "show", "00000000-0000-0000-0000-000000000007"])
        .assert()
        .code(2)
        .stderr("error: order `00000000-0000-0000-0000-000000000007` not found\n");
    shop.merx()
        .args([
            "orders",
            "transition",
            "00000000-0000-0000-0000-000000000007",
            "--to",
            "shipped",
        ])
        .assert()
        .code(2)
        .stderr("error: order `00000000-0000-0000-0000-000000000007` not found\n");
    shop.merx()
        .args([
            "orders",
            "transition",
            "00000000-0000-0000-0000-000000000007",
            "--to",
            "lost",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "error: invalid value 'lost' for '--to <TO>'",
        ));
}

#[test]
fn users_create_list_disable() {
    let shop = Shop::new();
    let admin = shop.json(&[
        "users",
        "create",
        "--email",
        "Ops@Example.com",
        "--password",
        "correct horse battery 42",
        "--name",
        "Ops",
        "--admin",
    ]);
    assert_eq!(admin["email"], "ops@example.com");
    assert_eq!(admin["roles"], serde_json::json!(["admin", "customer"]));
    assert!(admin.get("passwordHash").is_none());
    shop.merx()
        .args([
            "users",
            "create",
            "--email",
            "ann@example.com",
            "--name",
            "Ann",
        ])
        .env("MERX_USER_PASSWORD", "another long passphrase 7")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "created user ann@example.com (",
        ))
        .stdout(predicate::str::ends_with("; roles: customer; active)\n"));
    let users = shop.json(&["users", "list"])["data"].take();
    assert_eq!(users.as_array().unwrap().len(), 2);
    shop.merx()
        .args(["users", "list"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("ann@example.com")
                .and(predicate::str::contains("admin, customer")),
        );

    let id = admin["id"].as_str().unwrap();
    let disabled = shop.json(&["users", "disable", id]);
    assert_eq!(disabled["status"], "inactive");
    // An email names the account as well as its id does.
    let by_email = shop.json(&["users", "disable", "ANN@example.com"]);
    assert_eq!(by_email["email"], "ann@example.com");
    assert_eq!(by_email["status"], "inactive");

    shop.merx()
        .args([
            "users",
            "create",
            "--email",
            "ops@example.com",
            "--password",
            "correct horse battery 42",
        ])
        .assert()
        .code(1)
        .stderr("error: a user with this email already exists\n");
    shop.merx()
        .args([
            "users",
            "create",
            "--email",
            "not-an-email",
            "--password",
            "correct horse battery 42",
        ])
        .assert()
        .code(2)
        .stderr("error: invalid email: an email needs an @\n");
    shop.merx()
        .args(["users", "disable", "00000000-0000-0000-0000-000000000009"])
        .assert()
        .code(2)
        .stderr("error: user `00000000-0000-0000-0000-000000000009` not found\n");
    shop.merx()
        .args(["users", "create", "--email", "x@example.com"])
        .assert()
        .code(2)
        .stderr(
            "error: the following required arguments were not provided: --password <PASSWORD> \
             (see `merx --help`)\n",
        );
}

#[test]
fn stock_set_and_adjust() {
    let shop = Shop::new();
    shop.product("Canvas tote", "TOTE-1", "19.90", "10");
    shop.merx()
        .args(["stock", "set", "TOTE-1", "25"])
        .assert()
        .success()
        .stdout("TOTE-1: 25 on hand\n");
    shop.merx()
        .args(["stock", "adjust", "TOTE-1", "-3"])
        .assert()
        .success()
        .stdout("TOTE-1: 22 on hand\n");
    let level = shop.json(&["stock", "adjust", "tote-1", "+8"]);
    assert_eq!(level["stock"], "30");
    assert_eq!(level["sku"], "TOTE-1");
    shop.merx()
        .args(["stock", "set", "TOTE-1", "30"])
        .assert()
        .success()
        .stdout("TOTE-1: 30 on hand\n");

    shop.merx()
        .args(["stock", "adjust", "NOPE", "1"])
        .assert()
        .code(2)
        .stderr("error: variant `NOPE` not found\n");
    shop.merx()
        .args(["stock", "set", "TOTE-1", "many"])
        .assert()
        .code(2)
        .stderr("error: quantity `many` is not a number\n");
    shop.merx()
        .args(["stock", "set", "TOTE-1", "-1"])
        .assert()
        .code(2)
        .stderr("error: stock: stock may be negative only when backorders are allowed\n");
    shop.merx()
        .args(["stock", "set", "TOTE-1", "2.5"])
        .assert()
        .code(2)
        .stderr("error: stock: stock of a unit-sold variant must be whole\n");
    shop.merx()
        .args(["stock", "adjust", "TOTE-1", "0"])
        .assert()
        .code(2)
        .stderr("error: delta: delta must not be zero\n");
    shop.merx()
        .args(["stock", "adjust", "TOTE-1", "-31"])
        .assert()
        .code(1)
        .stderr("error: not enough stock for `TOTE-1`: requested 31, available 30\n");
}

#[test]
fn orders_list_filters_by_customer_id_or_email() {
    let shop = Shop::new();
    let product = shop.product("Canvas tote", "TOTE-1", "19.90", "10");
    let guest_order = place_order(&shop, &product, 1);
    let ann = shop.json(&[
        "users",
        "create",
        "--email",
        "ann@example.com",
        "--password",
        "correct horse battery 42",
    ]);
    let ann_id = ann["id"].as_str().unwrap().to_string();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ann_order = runtime.block_on(async {
        let store: Arc<dyn Store> =
            Arc::new(merx_sqlite::SqliteStore::open(&shop.url).await.unwrap());
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let owner = CartOwner::Customer(ann_id.parse().unwrap());
        CartService::new(store.clone(), clock.clone())
            .add_item(
                owner,
                Currency::Usd,
                product["id"].as_str().unwrap().parse().unwrap(),
                product["variants"][0]["id"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap(),
                1.into(),
            )
            .await
            .unwrap();
        let actor = Actor::User {
            user_id: ann_id.parse().unwrap(),
        };
        CheckoutService::new(store, clock)
            .checkout_for(owner, None, None, actor)
            .await
            .unwrap()
            .id
            .to_string()
    });
    let all = shop.json(&["orders", "list"])["data"].take();
    assert_eq!(all.as_array().unwrap().len(), 2);
    for key in [ann_id.as_str(), "ann@example.com", " ANN@example.com"] {
        let mine = shop.json(&["orders", "list", "--customer", key])["data"].take();
        let ids: Vec<&str> = mine
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [ann_order.as_str()], "--customer {key}");
    }
    assert_ne!(guest_order, ann_order);
    shop.merx()
        .args(["orders", "list", "--customer", "bob@example.com"])
        .assert()
        .code(2)
        .stderr("error: user `bob@example.com` not found\n");
    shop.merx()
        .args(["orders", "list", "--customer", "bob"])
        .assert()
        .code(2)
        .stderr("error: user: `bob` is not a valid user id\n");
}
