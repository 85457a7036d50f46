//! `merx promotions ...`, `merx taxes ...`, `merx shipping ...`: flags and JSON files, what the
//! store keeps, and every bad input with its message and exit code.

mod common;

use common::Shop;
use predicates::prelude::*;
use serde_json::json;

const UNKNOWN: &str = "00000000-0000-0000-0000-000000000001";

/// Runs `merx ARGS` and expects exit `code` with exactly `message` as the one stderr line.
fn fails(shop: &Shop, args: &[&str], code: i32, message: &str) {
    shop.merx()
        .args(args)
        .assert()
        .code(code)
        .stdout("")
        .stderr(format!("error: {message}\n"));
}

#[test]
fn promotions_from_flags_round_trip() {
    let shop = Shop::new();
    let created = shop.json(&[
        "promotions",
        "create",
        "--name",
        "Welcome",
        "--amount-off",
        "5.00",
        "--coupon",
        "welcome5",
        "--min-subtotal",
        "30",
        "--starts-at",
        "2026-12-01T00:00:00Z",
        "--ends-at",
        "2027-01-01T00:00:00+01:00",
        "--usage-limit",
        "500",
        "--per-customer-limit",
        "1",
        "--priority",
        "-2",
    ]);
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(
        created["couponCode"], "WELCOME5",
        "codes are stored uppercase"
    );
    assert_eq!(
        created["effect"],
        json!({"type": "amount_off", "amounts": {"USD": "5.00"}, "target": {"type": "order"}})
    );
    assert_eq!(
        created["conditions"],
        json!({"minSubtotal": {"USD": "30"}, "startsAt": "2026-12-01T00:00:00Z",
            "endsAt": "2026-12-31T23:00:00Z"})
    );
    assert_eq!(
        (
            &created["usageLimit"],
            &created["perCustomerLimit"],
            &created["priority"]
        ),
        (&json!(500), &json!(1), &json!(-2))
    );

    let tees = shop.json(&[
        "promotions",
        "create",
        "--name",
        "Tees 20% off",
        "--percent-off",
        "20",
        "--skus",
        "TEE-S,TEE-M",
    ]);
    assert_eq!(
        tees["effect"],
        json!({"type": "percentage_off", "percent": "20",
            "target": {"type": "items", "skus": ["TEE-S", "TEE-M"]}})
    );
    assert_eq!(tees["couponCode"], json!(null));

    shop.merx()
        .args(["promotions", "list"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("WELCOME5")
                .and(predicate::str::contains("5.00 USD off the order"))
                .and(predicate::str::contains("20% off TEE-S,TEE-M"))
                .and(predicate::str::contains("(automatic)"))
                .and(predicate::str::contains(
                    "2026-12-01 00:00 to 2026-12-31 23:00",
                )),
        );
    let listed = shop.json(&["promotions", "list"]);
    assert_eq!(listed[0]["id"], id.as_str(), "lower priority first");

    let updated = shop.json(&[
        "promotions",
        "update",
        &id,
        "--active",
        "false",
        "--usage-limit",
        "100",
    ]);
    assert_eq!(
        (&updated["active"], &updated["usageLimit"]),
        (&json!(false), &json!(100))
    );
    assert_eq!(
        updated["couponCode"], "WELCOME5",
        "fields not given are kept"
    );
    let automatic = shop.json(&["promotions", "update", &id, "--no-coupon"]);
    assert_eq!(automatic["couponCode"], json!(null));
    assert_eq!(shop.json(&["promotions", "show", &id]), automatic);

    shop.merx()
        .args(["promotions", "delete", &id])
        .assert()
        .success()
        .stdout(format!("deleted promotion {id}\n"));
    fails(
        &shop,
        &["promotions", "show", &id],
        2,
        &format!("promotion `{id}` not found"),
    );
}

#[test]
fn promotions_from_json_files_and_stdin() {
    let shop = Shop::new();
    let bogo = json!({"name": "3 for 2", "effect": {"type": "buy_x_get_y",
        "buy": {"skus": ["SOCK-1"]}, "buyQuantity": 2, "getQuantity": 1,
        "reward": {"type": "free"}}});
    let path = shop.write("bogo.json", &bogo.to_string());
    let created = shop.json(&["promotions", "create", "--file", path.to_str().unwrap()]);
    assert_eq!(created["effect"]["type"], "buy_x_get_y");
    assert_eq!(created["active"], true);
    let id = created["id"].as_str().unwrap().to_string();

    let mut changed = created.clone();
    changed["name"] = json!("Buy 2 socks, get 1 free");
    let output = shop
        .merx()
        .args(["--json", "promotions", "update", &id, "--file", "-"])
        .write_stdin(changed.to_string())
        .output()
        .unwrap();
    assert!(output.status.success());
    let replaced: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(replaced, changed);
    shop.merx()
        .args(["promotions", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("buy 2 get 1 free (SOCK-1)"));
}

#[test]
fn promotions_refuse_bad_input() {
    let shop = Shop::new();
    shop.json(&[
        "promotions",
        "create",
        "--name",
        "Ten",
        "--percent-off",
        "10",
        "--coupon",
        "SAVE10",
    ]);
    let create = |extra: &[&str]| {
        let mut args = vec!["promotions", "create"];
        args.extend_from_slice(extra);
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let cases: Vec<(Vec<String>, i32, &str)> = vec![
        (
            create(&["--name", "X", "--percent-off", "150"]),
            2,
            "effect.percent: percent must be above 0 and at most 100",
        ),
        (
            create(&["--name", "X", "--percent-off", "-5"]),
            2,
            "effect.percent: percent must be above 0 and at most 100",
        ),
        (
            create(&["--name", "X", "--percent-off", "ten"]),
            2,
            "--percent-off `ten` is not a number",
        ),
        (
            create(&["--name", "X", "--amount-off", "5.001"]),
            2,
            "effect.amounts: 5.001 has more than 2 decimals for USD",
        ),
        (
            create(&["--name", "X", "--amount-off", "5", "--currency", "XYZ"]),
            2,
            "unknown currency `XYZ`",
        ),
        (
            create(&["--name", "X", "--percent-off", "5", "--coupon", "save 10"]),
            2,
            "code: a coupon code is 1-64 letters, digits, '-' or '_'",
        ),
        (
            create(&["--name", "Other", "--percent-off", "5", "--coupon", "save10"]),
            1,
            "promotion conflict: coupon code `SAVE10` is taken",
        ),
        (
            create(&["--name", "X"]),
            2,
            "give --percent-off, --amount-off or --free-shipping (or --file with the promotion JSON)",
        ),
        (
            create(&["--percent-off", "5"]),
            2,
            "give --name (or --file with the promotion JSON)",
        ),
        (
            create(&["--name", "X", "--free-shipping", "--skus", "A"]),
            2,
            "--skus cannot be used with --free-shipping",
        ),
        (
            create(&["--name", "X", "--percent-off", "5", "--ends-at", "tomorrow"]),
            2,
            "--ends-at `tomorrow` is not an RFC 3339 instant (e.g. 2026-12-01T00:00:00Z)",
        ),
        (
            create(&["--name", "X", "--percent-off", "5", "--amount-off", "3"]),
            2,
            "the argument '--percent-off <P>' cannot be used with '--amount-off <AMOUNT>' \
             (see `merx --help`)",
        ),
        (
            create(&["--file", "missing.json"]),
            2,
            "cannot read `missing.json`: No such file or directory (os error 2)",
        ),
        (
            vec!["promotions".into(), "show".into(), "nope".into()],
            2,
            "promotion: `nope` is not a valid promotion id",
        ),
        (
            vec!["promotions".into(), "show".into(), UNKNOWN.into()],
            2,
            "promotion `00000000-0000-0000-0000-000000000001` not found",
        ),
        (
            vec![
                "promotions".into(),
                "update".into(),
                UNKNOWN.into(),
                "--active".into(),
                "no".into(),
            ],
            2,
            "promotion `00000000-0000-0000-0000-000000000001` not found",
        ),
        (
            vec!["promotions".into(), "delete".into(), UNKNOWN.into()],
            2,
            "promotion `00000000-0000-0000-0000-000000000001` not found",
        ),
        (
            vec![
                "promotions".into(),
                "update".into(),
                UNKNOWN.into(),
                "--active".into(),
                "maybe".into(),
            ],
            2,
            "invalid value 'maybe' for '--active <BOOL>': `maybe` is not true or false \
             (see `merx --help`)",
        ),
    ];
    for (args, code, message) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        fails(&shop, &args, code, message);
    }
    let bad = shop.write("bad.json", r#"{"name": 1}"#);
    fails(
        &shop,
        &["promotions", "create", "--file", bad.to_str().unwrap()],
        2,
        &format!(
            "`{}` is not a promotion: invalid type: integer `1`, expected a string at line 1 \
             column 10",
            bad.display()
        ),
    );
    let id = shop.json(&["promotions", "list"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    fails(
        &shop,
        &["promotions", "update", &id],
        2,
        "nothing to update: give --file or at least one field to change",
    );
    assert_eq!(
        shop.json(&["promotions", "list"]).as_array().unwrap().len(),
        1,
        "nothing bad was stored"
    );
}

#[test]
fn taxes_rates_and_settings() {
    let shop = Shop::new();
    let vat = shop.json(&[
        "taxes",
        "create",
        "--name",
        "VAT",
        "--country",
        "gb",
        "--percent",
        "20",
    ]);
    assert_eq!(
        (
            &vat["country"],
            &vat["taxClass"],
            &vat["percent"],
            &vat["region"]
        ),
        (&json!("GB"), &json!("standard"), &json!("20"), &json!(null))
    );
    let id = vat["id"].as_str().unwrap().to_string();
    let ca = shop.json(&[
        "taxes",
        "create",
        "--name",
        "CA sales tax",
        "--country",
        "US",
        "--region",
        "CA",
        "--percent",
        "7.25",
    ]);
    let updated = shop.json(&[
        "taxes",
        "update",
        &id,
        "--percent",
        "21",
        "--class",
        "reduced",
    ]);
    assert_eq!(
        (&updated["percent"], &updated["taxClass"]),
        (&json!("21"), &json!("reduced"))
    );
    let ca_id = ca["id"].as_str().unwrap();
    let whole = shop.json(&["taxes", "update", ca_id, "--no-region"]);
    assert_eq!(whole["region"], json!(null));

    let settings = shop.json(&[
        "taxes",
        "settings",
        "--prices-include-tax",
        "yes",
        "--calculation",
        "per-rate",
        "--tax-rounding",
        "down",
        "--rounding",
        "half-even",
        "--default-country",
        "gb",
    ]);
    assert_eq!(settings["tax"]["pricesIncludeTax"], true);
    assert_eq!(settings["tax"]["calculation"], "per_rate");
    assert_eq!(settings["tax"]["rounding"], "down");
    assert_eq!(settings["tax"]["defaultCountry"], "GB");
    assert_eq!(settings["rounding"], "half_even");
    assert_eq!(settings["tax"]["rates"].as_array().unwrap().len(), 2);
    shop.merx()
        .args(["taxes", "list"])
        .assert()
        .success()
        .stdout(
            predicate::str::starts_with(
                "prices include tax: yes\n\
                 shipping taxable:   no (class standard)\n\
                 calculation:        per-rate\n\
                 tax rounding:       down\n\
                 line rounding:      half-even\n\
                 default country:    GB\n",
            )
            .and(predicate::str::contains("CA sales tax"))
            .and(predicate::str::contains("21%")),
        );
    assert_eq!(
        shop.json(&["taxes", "settings"]),
        settings,
        "no flags only shows"
    );

    shop.merx()
        .args(["taxes", "delete", &id])
        .assert()
        .success()
        .stdout(format!("deleted tax rate {id}\n"));
    let left = shop.json(&["taxes", "list"]);
    assert_eq!(left["tax"]["rates"].as_array().unwrap().len(), 1);

    fails(
        &shop,
        &[
            "taxes",
            "create",
            "--name",
            "VAT",
            "--country",
            "GBR",
            "--percent",
            "20",
        ],
        2,
        "country: `GBR` is not an ISO-3166 alpha-2 country code",
    );
    // Two letters are not enough: the code must be assigned to a country.
    fails(
        &shop,
        &[
            "taxes",
            "create",
            "--name",
            "VAT",
            "--country",
            "ZZ",
            "--percent",
            "20",
        ],
        2,
        "country: `ZZ` is not an ISO-3166 alpha-2 country code",
    );
    fails(
        &shop,
        &[
            "taxes",
            "create",
            "--name",
            "VAT",
            "--country",
            "GB",
            "--percent",
            "-1",
        ],
        2,
        "percent: percent must be between 0 and 100",
    );
    fails(
        &shop,
        &[
            "taxes",
            "create",
            "--name",
            "VAT",
            "--country",
            "GB",
            "--percent",
            "x",
        ],
        2,
        "--percent `x` is not a number",
    );
    fails(
        &shop,
        &["taxes", "update", UNKNOWN, "--percent", "3"],
        2,
        "tax rate `00000000-0000-0000-0000-000000000001` not found",
    );
    fails(
        &shop,
        &["taxes", "delete", &id],
        2,
        &format!("tax rate `{id}` not found"),
    );
    fails(
        &shop,
        &["taxes", "update", ca_id],
        2,
        "nothing to update: give --file or at least one field to change",
    );
    fails(
        &shop,
        &["taxes", "settings", "--default-country", "usa"],
        2,
        "country: `usa` is not an ISO-3166 alpha-2 country code",
    );
    assert_eq!(
        shop.json(&["taxes", "list"]),
        left,
        "refused writes change nothing"
    );
}

#[test]
fn shipping_methods_round_trip() {
    let shop = Shop::new();
    let standard = shop.json(&[
        "shipping",
        "create",
        "--name",
        "Standard",
        "--flat",
        "4.99",
        "--countries",
        "us,ca",
        "--free-over",
        "50",
    ]);
    assert_eq!(
        standard["rate"],
        json!({"type": "flat", "amounts": {"USD": "4.99"}})
    );
    assert_eq!(standard["countries"], json!(["US", "CA"]));
    assert_eq!(standard["freeOver"], json!({"USD": "50"}));
    let id = standard["id"].as_str().unwrap().to_string();
    let freight = shop.json(&[
        "shipping",
        "create",
        "--name",
        "Freight",
        "--tier",
        "2=5.99",
        "--tier",
        "10=12.99",
        "--tier",
        "*=29.99",
        "--currency",
        "EUR",
    ]);
    assert_eq!(
        freight["rate"],
        json!({"type": "weight_tiered", "tiers": [
            {"upTo": "2", "amounts": {"EUR": "5.99"}},
            {"upTo": "10", "amounts": {"EUR": "12.99"}},
            {"upTo": null, "amounts": {"EUR": "29.99"}}]})
    );
    let express = json!({"name": "Express", "rate": {"type": "flat",
        "amounts": {"USD": "14.99", "EUR": "13.99"}}});
    let path = shop.write("express.json", &express.to_string());
    let express = shop.json(&["shipping", "create", "--file", path.to_str().unwrap()]);
    assert_eq!(express["rate"]["amounts"]["EUR"], "13.99");

    let updated = shop.json(&[
        "shipping",
        "update",
        &id,
        "--flat",
        "5.49",
        "--no-free-over",
        "--active",
        "false",
    ]);
    assert_eq!(updated["rate"]["amounts"]["USD"], "5.49");
    assert_eq!(
        (
            &updated["freeOver"],
            &updated["active"],
            &updated["countries"]
        ),
        (&json!(null), &json!(false), &json!(["US", "CA"]))
    );
    shop.merx()
        .args(["shipping", "list"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("<= 2 kg: 5.99 EUR; <= 10 kg: 12.99 EUR; heavier: 29.99 EUR")
                .and(predicate::str::contains("13.99 EUR / 14.99 USD")),
        );
    shop.merx()
        .args(["shipping", "delete", &id])
        .assert()
        .success()
        .stdout(format!("deleted shipping method {id}\n"));
    assert_eq!(
        shop.json(&["shipping", "list"]).as_array().unwrap().len(),
        2
    );

    fails(
        &shop,
        &["shipping", "create", "--name", "F", "--tier", "2:5.99"],
        2,
        "--tier `2:5.99` is not UP_TO=AMOUNT (e.g. 2=5.99 or *=19.99)",
    );
    fails(
        &shop,
        &[
            "shipping", "create", "--name", "F", "--tier", "*=5.99", "--tier", "2=9",
        ],
        2,
        "rate.tiers.upTo: only the last band may be open-ended",
    );
    fails(
        &shop,
        &["shipping", "create", "--name", "F"],
        2,
        "give --flat AMOUNT or --tier UP_TO=AMOUNT (or --file)",
    );
    fails(
        &shop,
        &[
            "shipping",
            "create",
            "--name",
            "F",
            "--flat",
            "3",
            "--countries",
            "XX1",
        ],
        2,
        "country: `XX1` is not an ISO-3166 alpha-2 country code",
    );
    fails(
        &shop,
        &[
            "shipping",
            "create",
            "--name",
            "F",
            "--flat",
            "3",
            "--countries",
            "DE,XK",
        ],
        2,
        "country: `XK` is not an ISO-3166 alpha-2 country code",
    );
    fails(
        &shop,
        &["shipping", "update", UNKNOWN, "--flat", "3"],
        2,
        "shipping method `00000000-0000-0000-0000-000000000001` not found",
    );
    fails(
        &shop,
        &["shipping", "delete", &id],
        2,
        &format!("shipping method `{id}` not found"),
    );
    assert_eq!(
        shop.json(&["shipping", "list"]).as_array().unwrap().len(),
        2
    );
}

#[test]
fn configured_settings_price_carts() {
    // What the commands store is what pricing uses: a coupon, a rate and a method set up from
    // the command line price a cart on the same database.
    let shop = Shop::new();
    let product = shop.product("Canvas tote", "TOTE-1", "40.00", "10");
    shop.json(&[
        "promotions",
        "create",
        "--name",
        "Ten",
        "--percent-off",
        "10",
    ]);
    shop.json(&[
        "taxes",
        "create",
        "--name",
        "VAT",
        "--country",
        "DE",
        "--percent",
        "19",
    ]);
    let method = shop.json(&["shipping", "create", "--name", "Std", "--flat", "5.00"]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let totals = runtime.block_on(async {
        use merx_core::cart_service::{CartOwner, CartService};
        use std::sync::Arc;
        let store: Arc<dyn merx_core::store::Store> =
            Arc::new(merx_sqlite::SqliteStore::open(&shop.url).await.unwrap());
        let clock: Arc<dyn merx_core::clock::Clock> = Arc::new(merx_core::clock::SystemClock);
        let carts = CartService::new(store, clock);
        let view = carts
            .add_item(
                CartOwner::Guest(None),
                merx_core::Currency::Usd,
                product["id"].as_str().unwrap().parse().unwrap(),
                product["variants"][0]["id"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap(),
                2.into(),
            )
            .await
            .unwrap();
        let owner = CartOwner::Guest(Some(view.cart.id));
        carts
            .set_shipping_address(
                owner,
                merx_core::Currency::Usd,
                Some(merx_core::cart::Address::in_country("DE")),
            )
            .await
            .unwrap();
        let view = carts
            .set_shipping_method(
                owner,
                merx_core::Currency::Usd,
                Some(method["id"].as_str().unwrap().parse().unwrap()),
            )
            .await
            .unwrap();
        serde_json::to_value(&view.priced.totals).unwrap()
    });
    assert_eq!(totals["subtotal"], "80.00");
    assert_eq!(totals["discountTotal"], "8.00");
    assert_eq!(totals["shippingTotal"], "5.00");
    assert_eq!(totals["taxTotal"], "13.68", "19% of 72.00");
    assert_eq!(totals["total"], "90.68");
}
