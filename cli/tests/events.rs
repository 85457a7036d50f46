//! `merx events list|relay`, and `merx serve` delivering events while it runs.

mod common;

use common::{Receiver, Shop};
use predicates::prelude::*;

const SECRET: &str = "whsec-0123456789abcdef";

#[test]
fn events_list_shows_the_outbox_in_order() {
    let shop = Shop::new();
    shop.product("Canvas tote", "TOTE-1", "19.90", "10");
    shop.json(&["stock", "set", "TOTE-1", "12"]);
    let events = shop.json(&["events", "list"])["data"].take();
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["payload"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["ProductChanged", "InventoryUpdated"]);
    assert_eq!(events[1]["sequence"], 2);
    assert_eq!(events[1]["payload"]["stock"], "12");
    assert_eq!(
        shop.json(&["events", "list", "--after", "1"])["data"]
            .take()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        shop.json(&["events", "list", "--type", "InventoryUpdated"])["data"].take()[0]["sequence"],
        2
    );
    shop.merx()
        .args(["events", "list"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("ProductChanged")
                .and(predicate::str::contains(r#"{"sku":"TOTE-1","stock":"12""#)),
        );
}

#[test]
fn a_type_filter_finds_events_beyond_the_first_window() {
    let shop = Shop::new();
    shop.merx()
        .args(["demo", "seed", "--catalog-only"])
        .assert()
        .success();
    shop.json(&[
        "users",
        "create",
        "--email",
        "late@example.com",
        "--password",
        "correct horse battery 42",
        "--name",
        "Late",
    ]);
    let window = shop.json(&["events", "list", "--limit", "5"])["data"].take();
    assert_eq!(window.as_array().unwrap().len(), 5);
    let found =
        shop.json(&["events", "list", "--type", "UserRegistered", "--limit", "5"])["data"].take();
    let found = found.as_array().unwrap();
    assert!(!found.is_empty());
    assert!(
        found
            .iter()
            .all(|e| e["payload"]["type"] == "UserRegistered"),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|e| e["payload"]["email"] == "late@example.com"),
        "{found:?}"
    );
}

#[test]
fn events_relay_once_delivers_signed_events_and_remembers_its_cursor() {
    let shop = Shop::new();
    shop.product("Canvas tote", "TOTE-1", "19.90", "10");
    shop.json(&["stock", "adjust", "TOTE-1", "5"]);
    let receiver = Receiver::start();
    let relay = |extra: &[&str]| {
        let mut command = shop.merx();
        command
            .args(["events", "relay", "--once", "--webhook-url", &receiver.url])
            .args(["--webhook-secret", SECRET])
            .args(extra);
        command
    };
    relay(&[]).assert().success().stdout(format!(
        "webhook:{}: 2 delivered, 0 skipped, 0 dropped, cursor 2\n",
        receiver.url
    ));
    let events = receiver.events();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["payload"]["type"], "ProductChanged");
    assert_eq!(events[1]["payload"]["stock"], "15");
    let head = receiver.requests.lock().unwrap()[1].0.clone();
    assert!(head.contains("merx-event-type: inventoryupdated"), "{head}");
    assert!(head.contains("merx-signature: t="), "{head}");

    // Nothing new, nothing sent; a new event goes out alone; a filter passes the others over.
    relay(&[]).assert().success();
    assert_eq!(receiver.events().len(), 2);
    shop.json(&["stock", "adjust", "TOTE-1", "1"]);
    shop.product("Mug", "MUG-1", "9.00", "5");
    let report = {
        let output = relay(&["--webhook-events", "InventoryUpdated"])
            .arg("--json")
            .output()
            .unwrap();
        assert!(output.status.success());
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };
    assert_eq!(report[0]["delivered"], 1);
    assert_eq!(report[0]["skipped"], 1);
    assert_eq!(report[0]["cursor"], 4);
    assert_eq!(receiver.events()[2]["payload"]["stock"], "16");
}

#[test]
fn events_relay_reports_bad_targets() {
    let shop = Shop::new();
    shop.product("Canvas tote", "TOTE-1", "19.90", "10");
    let fails = |args: &[&str], code: i32, message: &str| {
        shop.merx()
            .args(["events", "relay", "--once"])
            .args(args)
            .assert()
            .code(code)
            .stderr(format!("error: {message}\n"));
    };
    fails(
        &[],
        2,
        "nothing to deliver to: give --webhook-url (with --webhook-secret), --nats-url or --log-events",
    );
    fails(
        &[
            "--webhook-url",
            "https://hooks.example.com/x",
            "--webhook-secret",
            "short",
        ],
        2,
        "--webhook-secret (MERX_WEBHOOK_SECRET) must be at least 16 bytes",
    );
    fails(
        &[
            "--webhook-url",
            "ftp://hooks.example.com/x",
            "--webhook-secret",
            SECRET,
        ],
        2,
        "--webhook-url: `ftp://hooks.example.com/x` is not an http(s) URL",
    );
    fails(
        &["--webhook-url", "https://hooks.example.com/x"],
        2,
        "the following required arguments were not provided: --webhook-secret <WEBHOOK_SECRET> \
         (see `merx --help`)",
    );
    fails(
        &["--webhook-events", "OrderPlaced", "--log-events"],
        2,
        "--webhook-events needs --webhook-url",
    );
    fails(
        &["--nats-events", "OrderPlaced", "--log-events"],
        2,
        "--nats-events needs --nats-url",
    );
    fails(
        &["--nats-url", "nats://127.0.0.1:1"],
        1,
        "cannot reach an event notifier: cannot connect to NATS at `nats://127.0.0.1:1`: IO error: \
         Connection refused (os error 111)",
    );
    // A receiver that is not there: the pass stops, exit 1, and the cursor stays at 0.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/hook");
    shop.merx()
        .args(["events", "relay", "--once", "--webhook-url", &url])
        .args(["--webhook-secret", SECRET, "--webhook-timeout", "1"])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with(format!(
            "webhook:{url}: 0 delivered, 0 skipped, 0 dropped, cursor 0 (event 1: POST {url}"
        )))
        .stderr(format!(
            "error: delivery to webhook:{url} stopped on a failure; the next run starts there\n"
        ));
}

#[test]
fn events_relay_leaves_a_consumer_another_process_holds() {
    let shop = Shop::new();
    shop.product("Canvas tote", "TOTE-1", "19.90", "10");
    let receiver = Receiver::start();
    let consumer = format!("webhook:{}", receiver.url);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = runtime
        .block_on(merx_sqlite::SqliteStore::open(&shop.url))
        .unwrap();
    let now = chrono::Utc::now();
    use merx_core::store::EventStore;
    assert!(runtime
        .block_on(store.acquire_lease(
            &format!("relay:{consumer}"),
            "a running server",
            now,
            now + chrono::Duration::minutes(5),
        ))
        .unwrap());
    shop.merx()
        .args(["events", "relay", "--once", "--webhook-url", &receiver.url])
        .args(["--webhook-secret", SECRET])
        .assert()
        .success()
        .stdout(format!(
            "{consumer}: another process is delivering to it; nothing sent\n"
        ));
    assert!(receiver.events().is_empty());
    runtime
        .block_on(store.release_lease(&format!("relay:{consumer}"), "a running server"))
        .unwrap();
    shop.merx()
        .args(["events", "relay", "--once", "--webhook-url", &receiver.url])
        .args(["--webhook-secret", SECRET])
        .assert()
        .success();
    assert_eq!(receiver.events().len(), 1);
}
