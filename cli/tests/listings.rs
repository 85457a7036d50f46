//! Every listing with a limit says how much of the whole it shows, and filters run in the query,
//! so matches beyond the first window are found and counted.

mod common;

use common::Shop;
use serde_json::Value;

/// Runs `merx ARGS` and returns (stdout, stderr).
fn run(shop: &Shop, args: &[&str]) -> (String, String) {
    let output = shop.merx().args(args).output().unwrap();
    assert!(output.status.success(), "{args:?}: {output:?}");
    (
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn len(value: &Value) -> usize {
    value["data"].as_array().unwrap().len()
}

#[test]
fn listings_show_how_many_of_how_many_with_filters_in_the_query() {
    let shop = Shop::new();
    shop.merx().args(["demo", "seed"]).assert().success();

    // Products: 307 in all, 50 by default.
    let (table, footer) = run(&shop, &["products", "list"]);
    assert_eq!(footer, "showing 50 of 307 (--limit, --page)\n");
    assert!(!table.contains("showing"), "the table alone is on stdout");
    let (_, footer) = run(
        &shop,
        &["products", "list", "--limit", "100", "--page", "4"],
    );
    assert_eq!(footer, "showing 301-307 of 307 (--limit, --page)\n");
    let json = shop.json(&["products", "list", "--limit", "10", "--page", "2"]);
    assert_eq!(
        (json["total"].as_u64(), json["offset"].as_u64()),
        (Some(307), Some(10))
    );
    assert_eq!(len(&json), 10);

    // A status only the newest products have: found beyond the first window and counted.
    for sku in ["LATE-1", "LATE-2", "LATE-3"] {
        shop.json(&[
            "products", "create", "--name", sku, "--sku", sku, "--price", "1", "--status",
            "archived",
        ]);
    }
    let archived = shop.json(&["products", "list", "--status", "archived", "--limit", "2"]);
    assert_eq!(archived["total"], 3);
    assert_eq!(archived["data"][0]["name"], "LATE-1");
    let (table, footer) = run(
        &shop,
        &[
            "products", "list", "--status", "archived", "--limit", "2", "--page", "2",
        ],
    );
    assert!(
        table.contains("LATE-3") && !table.contains("LATE-1"),
        "{table}"
    );
    assert_eq!(footer, "showing 3-3 of 3 (--limit, --page)\n");

    // Orders: one customer's, of one status, counted over the whole history.
    let all: Vec<Value> = shop.json(&["orders", "list", "--limit", "1000"])["data"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(all.len(), 600);
    let delivered_of = |email: &str| {
        all.iter()
            .filter(|o| o["email"] == email && o["status"] == "delivered")
            .count() as u64
    };
    let email = (1..=80)
        .map(|n| format!("customer{n:03}@example.com"))
        .find(|email| delivered_of(email) >= 2)
        .expect("a customer with two delivered orders");
    let expected = delivered_of(&email);
    let window = shop.json(&[
        "orders",
        "list",
        "--customer",
        &email,
        "--status",
        "delivered",
        "--limit",
        "1",
    ]);
    assert_eq!(window["total"].as_u64(), Some(expected));
    assert_eq!(len(&window), 1);
    assert_eq!(window["data"][0]["email"], email.as_str());
    let (_, footer) = run(
        &shop,
        &[
            "orders",
            "list",
            "--customer",
            &email,
            "--status",
            "delivered",
            "--limit",
            "1",
        ],
    );
    assert_eq!(
        footer,
        format!("showing 1 of {expected} (--limit, --page)\n")
    );

    // Users: the admin and 80 customers.
    let (_, footer) = run(&shop, &["users", "list", "--limit", "20", "--offset", "20"]);
    assert_eq!(footer, "showing 21-40 of 81 (--limit, --page)\n");

    // Events: a type filter counts every match after --after, and says where to go on from.
    let placed = shop.json(&[
        "events",
        "list",
        "--type",
        "OrderPlaced",
        "--limit",
        "10000",
    ]);
    let total = len(&placed) as u64;
    assert_eq!(placed["total"].as_u64(), Some(total));
    assert_eq!(total, 600);
    let window = shop.json(&["events", "list", "--type", "OrderPlaced", "--limit", "5"]);
    assert_eq!(window["total"].as_u64(), Some(total));
    let fifth = window["data"][4]["sequence"].as_u64().unwrap();
    let (_, footer) = run(
        &shop,
        &["events", "list", "--type", "OrderPlaced", "--limit", "5"],
    );
    assert_eq!(
        footer,
        format!("showing 5 of {total} (--limit, --after {fifth})\n")
    );
}
