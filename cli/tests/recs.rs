//! `merx recs train|for-user|similar` on a demo shop with a few customer orders.

mod common;

use std::sync::Arc;

use common::Shop;
use merx_core::cart_service::{CartOwner, CartService};
use merx_core::checkout::{CheckoutRequest, CheckoutService};
use merx_core::clock::{Clock, SystemClock};
use merx_core::ids::UserId;
use merx_core::order::Actor;
use merx_core::store::Store;
use merx_core::Currency;
use predicates::prelude::*;
use serde_json::Value;

/// Places one order of `customer` holding one unit of each of `products`, through the core.
fn place_order(shop: &Shop, customer: &str, products: &[&Value]) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store: Arc<dyn Store> =
            Arc::new(merx_sqlite::SqliteStore::open(&shop.url).await.unwrap());
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let carts = CartService::new(store.clone(), clock.clone());
        let customer: UserId = customer.parse().unwrap();
        let mut cart_id = None;
        for product in products {
            let view = carts
                .add_item(
                    CartOwner::Customer(customer),
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
            cart_id = Some(view.cart.id);
        }
        CheckoutService::new(store, clock)
            .checkout(
                CheckoutRequest {
                    cart_id: cart_id.unwrap(),
                    email: None,
                    idempotency_key: None,
                },
                Actor::User { user_id: customer },
            )
            .await
            .unwrap();
    })
}

fn customer(shop: &Shop, email: &str) -> String {
    let user = shop.json(&[
        "users",
        "create",
        "--email",
        email,
        "--password",
        "a long pass phrase 1",
    ]);
    user["id"].as_str().unwrap().to_string()
}

/// A demo shop where ann bought A and B, cid bought A and B, and bob bought A.
fn shop_with_orders() -> (Shop, Vec<Value>, String) {
    let shop = Shop::new();
    shop.merx()
        .args(["demo", "seed", "--catalog-only"])
        .assert()
        .success();
    let products: Vec<Value> = shop.json(&["products", "list", "--status", "active"])["data"]
        .take()
        .as_array()
        .unwrap()
        .clone();
    let (a, b) = (&products[0], &products[1]);
    let ann = customer(&shop, "ann@example.com");
    let cid = customer(&shop, "cid@example.com");
    let bob = customer(&shop, "bob@example.com");
    place_order(&shop, &ann, &[a, b]);
    place_order(&shop, &cid, &[a, b]);
    place_order(&shop, &bob, &[a]);
    (shop, products, bob)
}

#[test]
fn train_then_recommend_for_a_customer_and_a_product() {
    let (shop, products, bob) = shop_with_orders();
    let a = products[0]["id"].as_str().unwrap();
    let b = products[1]["id"].as_str().unwrap();

    // Run from another directory: the model goes beside the database, not into the cwd.
    let elsewhere = tempfile::tempdir().unwrap();
    let output = shop
        .merx()
        .current_dir(elsewhere.path())
        .args(["--json", "recs", "train"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let trained: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(trained["orders"], 3);
    assert_eq!(trained["interactions"], 5);
    assert_eq!(trained["users"], 3);
    assert_eq!(trained["products"], 2);
    let beside = shop.path("merx.recs.json");
    assert_eq!(trained["model"], beside.display().to_string());
    assert!(beside.is_file());
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);

    let for_bob = shop.json(&["recs", "for-user", &bob, "--k", "3"]);
    assert_eq!(for_bob["items"][0]["productId"], b);
    assert_eq!(for_bob["items"][0]["source"], "collaborative");
    assert_eq!(for_bob["items"][0]["because"][0]["productId"], a);

    let similar = shop.json(&["recs", "similar", a]);
    assert_eq!(similar["items"].as_array().unwrap().len(), 1);
    assert_eq!(similar["items"][0]["productId"], b);

    shop.merx()
        .args(["recs", "train", "--model", "other.json"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "trained on 3 orders (5 lines, 3 customers, 2 products); saved to other.json",
        ));
    shop.merx()
        .args(["recs", "similar", a, "--model", "other.json", "--k", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains(b));
}

#[test]
fn a_missing_model_and_an_empty_store_are_errors() {
    let shop = Shop::new();
    shop.merx()
        .args(["demo", "seed", "--catalog-only"])
        .assert()
        .success();
    shop.merx()
        .args([
            "recs",
            "for-user",
            "6f1c2d0e-0d8b-4c1a-9a43-2b1f6c0e9d77",
            "--model",
            "missing.json",
        ])
        .assert()
        .code(2)
        .stderr("error: no model at `missing.json`: run `merx recs train` first\n");
    shop.merx()
        .args(["recs", "train"])
        .assert()
        .code(1)
        .stderr("error: nothing to train on: the store has no non-cancelled customer orders\n");
    shop.merx()
        .args([
            "recs",
            "for-user",
            "6f1c2d0e-0d8b-4c1a-9a43-2b1f6c0e9d77",
            "--k",
            "0",
        ])
        .assert()
        .code(2);
}

#[test]
fn recs_evaluate_beats_popularity_on_the_demo_history() {
    let shop = Shop::new();
    shop.merx()
        .args(["recs", "evaluate"])
        .assert()
        .code(1)
        .stderr("error: nothing to evaluate: the store has no non-cancelled customer orders\n");
    shop.merx().args(["demo", "seed"]).assert().success();

    let report = shop.json(&["recs", "evaluate", "--k", "10"]);
    assert_eq!(report["split"], "last-basket");
    assert_eq!(report["k"], 10);
    let results = report["results"].as_array().unwrap();
    assert_eq!(results[0]["model"], "sar");
    assert_eq!(results[1]["model"], "popularity");
    let ndcg = |i: usize| results[i]["metrics"]["ndcg"].as_f64().unwrap();
    let users = results[0]["metrics"]["users"].as_u64().unwrap();
    assert!(
        users >= 50,
        "most demo customers have a last basket: {users}"
    );
    assert!(
        ndcg(0) > ndcg(1),
        "the demo's co-purchase structure is found: SAR {} vs popularity {}",
        ndcg(0),
        ndcg(1)
    );
    let train = report["trainInteractions"].as_u64().unwrap();
    let test = report["testInteractions"].as_u64().unwrap();
    assert!(train > test && test > 0);

    let random = shop.json(&[
        "recs", "evaluate", "--split", "random", "--ratio", "0.7", "--model", "ease",
    ]);
    assert_eq!(random["split"], "random");
    assert_eq!(random["results"][0]["model"], "ease");
    assert_eq!(
        random,
        shop.json(&["recs", "evaluate", "--split", "random", "--ratio", "0.7", "--model", "ease"]),
        "a seeded split evaluates the same twice"
    );
    shop.merx()
        .args(["recs", "evaluate", "--k", "5"])
        .assert()
        .success()
        .stdout(
            predicate::str::starts_with("last-basket split: ")
                .and(predicate::str::contains("ndcg@5"))
                .and(predicate::str::contains("popularity")),
        );
    shop.merx()
        .args(["recs", "evaluate", "--split", "random", "--ratio", "1.5"])
        .assert()
        .code(2)
        .stderr("error: --ratio 1.5 must be between 0 and 1\n");
    shop.merx()
        .args(["recs", "evaluate", "--k", "0"])
        .assert()
        .code(2)
        .stderr(
            "error: invalid value '0' for '--k <K>': 0 is not in 1..=100 (see `merx --help`)\n",
        );
}

#[test]
fn for_user_takes_an_email_trains_on_first_use_and_names_products() {
    let (shop, products, bob) = shop_with_orders();
    let a = &products[0];
    let b = &products[1];
    // No `recs train` yet: the model is fitted from the store's orders, as the API does.
    let by_email = shop.json(&["recs", "for-user", "bob@example.com", "--k", "3"]);
    assert_eq!(by_email["items"][0]["productId"], b["id"]);
    assert_eq!(by_email["items"][0]["because"][0]["productId"], a["id"]);
    assert_eq!(by_email, shop.json(&["recs", "for-user", &bob, "--k", "3"]));
    assert!(!shop.path("merx.recs.json").exists(), "nothing saved");

    let name = |p: &Value| p["name"].as_str().unwrap().to_string();
    let sku = |p: &Value| p["variants"][0]["sku"].as_str().unwrap().to_string();
    shop.merx()
        .args(["recs", "for-user", "bob@example.com", "--k", "3"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains(name(b))
                .and(predicate::str::contains(sku(b)))
                .and(predicate::str::contains(name(a))),
        );
    shop.merx()
        .args(["recs", "similar", &sku(a), "--k", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains(name(b)).and(predicate::str::contains(sku(b))));
    shop.merx()
        .args(["recs", "for-user", "nobody@example.com"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: "));
}

#[test]
fn a_store_without_a_directory_needs_an_explicit_model_file() {
    let shop = Shop::new();
    shop.bare()
        .args(["--database-url", "memory:", "recs", "train"])
        .assert()
        .code(2)
        .stderr(
            "error: give --model FILE: `memory:` is not a SQLite file to keep the model beside\n",
        );
}
