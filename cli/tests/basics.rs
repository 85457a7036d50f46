//! `--help`, completions, usage errors, `migrate`, `demo seed`, `price`.

mod common;

use common::Shop;
use predicates::prelude::*;

#[test]
fn help_lists_commands_examples_and_exit_codes() {
    let shop = Shop::new();
    shop.merx()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("serve"))
        .stdout(predicate::str::contains("products"))
        .stdout(predicate::str::contains("Exit codes:"))
        .stdout(predicate::str::contains("2  bad input or usage"));
    // Every command, found by walking the help tree, has examples; `help` itself is clap's.
    let mut pending: Vec<Vec<String>> = vec![Vec::new()];
    let mut leaves = 0;
    while let Some(path) = pending.pop() {
        let output = shop.merx().args(&path).arg("--help").output().unwrap();
        assert!(output.status.success(), "merx {path:?} --help");
        let help = String::from_utf8(output.stdout).unwrap();
        let subcommands: Vec<String> = help
            .split("Commands:\n")
            .nth(1)
            .map(|list| {
                list.lines()
                    .take_while(|line| line.starts_with("  "))
                    .filter_map(|line| line.split_whitespace().next())
                    .filter(|name| *name != "help")
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        if !path.is_empty() {
            assert!(
                help.contains("Examples:\n  merx "),
                "`merx {} --help` shows examples",
                path.join(" ")
            );
        }
        if subcommands.is_empty() {
            leaves += 1;
        }
        for name in subcommands {
            let mut next = path.clone();
            next.push(name);
            pending.push(next);
        }
    }
    assert!(leaves >= 38, "every command was visited: {leaves}");
}

#[test]
fn completions_for_each_shell() {
    let shop = Shop::new();
    for (shell, marker) in [
        ("bash", "_merx()"),
        ("zsh", "#compdef merx"),
        ("fish", "complete -c merx"),
    ] {
        shop.merx()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains(marker));
    }
    shop.merx()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(
            "error: invalid value 'tcsh' for '<SHELL>' [possible values: bash, elvish, fish, \
             powershell, zsh] (see `merx --help`)\n",
        );
}

#[test]
fn usage_errors_are_one_line_with_exit_code_2() {
    let shop = Shop::new();
    shop.merx()
        .arg("frobnicate")
        .assert()
        .code(2)
        .stdout("")
        .stderr("error: unrecognized subcommand 'frobnicate' (see `merx --help`)\n");
    shop.merx()
        .args(["products", "list", "--limit", "many"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "error: invalid value 'many' for '--limit <LIMIT>'",
        ));
}

#[test]
fn unsupported_database_url_is_bad_input() {
    let shop = Shop::new();
    shop.bare()
        .args([
            "--database-url",
            "mysql://localhost/shop",
            "products",
            "list",
        ])
        .assert()
        .code(2)
        .stderr(
            "error: unsupported database URL `mysql://localhost/shop`: use sqlite://PATH, \
             postgres://... or memory:\n",
        );
}

#[test]
fn the_default_database_is_merx_db_in_the_working_directory() {
    let shop = Shop::new();
    shop.bare().arg("migrate").assert().success();
    assert!(shop.path("merx.db").exists());
}

#[test]
fn an_unopenable_database_is_a_runtime_failure() {
    let shop = Shop::new();
    for command in [&["products", "list"][..], &["migrate"]] {
        shop.bare()
            .args(["--database-url", "sqlite:///no/such/dir/x.db"])
            .args(command)
            .assert()
            .code(1)
            .stderr(
                "error: cannot open `sqlite:///no/such/dir/x.db`: sqlite: unable to open database \
                 file: /no/such/dir/x.db\n",
            );
    }
}

#[test]
fn migrate_creates_the_schema_and_reports_its_version() {
    let shop = Shop::new();
    shop.merx().arg("migrate").assert().success().stdout(
        predicate::str::is_match("^sqlite database is at schema version [1-9][0-9]*\n$").unwrap(),
    );
    assert!(shop.path("merx.db").exists());
    let report = shop.json(&["migrate"]);
    assert_eq!(report["backend"], "sqlite");
    assert!(report["schemaVersion"].as_i64().unwrap() >= 1);
    shop.bare()
        .args(["--database-url", "memory:", "migrate"])
        .assert()
        .code(2)
        .stderr("error: `memory:` has no schema to migrate: use sqlite://PATH or postgres://...\n");
}

#[test]
fn demo_seed_loads_an_empty_store_once() {
    let shop = Shop::new();
    shop.merx()
        .args(["demo", "seed"])
        .assert()
        .success()
        .stdout(
            "demo data loaded: 307 products, 80 customers, 600 orders, coupon WELCOME10, \
             admin admin@merx.example\n",
        );
    let products = shop.json(&["products", "list", "--limit", "1000"])["data"].take();
    assert_eq!(products.as_array().unwrap().len(), 307);
    let orders = shop.json(&["orders", "list", "--limit", "1000"])["data"].take();
    let orders = orders.as_array().unwrap();
    assert_eq!(orders.len(), 600);
    for status in ["pending", "processing", "shipped", "delivered", "cancelled"] {
        assert!(
            orders.iter().any(|o| o["status"] == status),
            "the history has {status} orders"
        );
    }
    let users = shop.json(&["users", "list", "--limit", "1000"])["data"].take();
    assert_eq!(
        users.as_array().unwrap().len(),
        81,
        "the admin and 80 customers"
    );
    let first = &orders[orders.len() - 1];
    assert!(first["email"].as_str().unwrap().ends_with("@example.com"));
    shop.merx()
        .args(["demo", "seed"])
        .assert()
        .code(1)
        .stderr("error: the catalog is not empty; demo data goes into a fresh store\n");
}

#[test]
fn demo_seed_catalog_only_loads_the_small_shop() {
    let shop = Shop::new();
    let report = shop.json(&["demo", "seed", "--catalog-only"]);
    assert_eq!(
        report,
        serde_json::json!({"products": 30, "customers": 0, "orders": 0,
            "couponCode": "WELCOME10", "adminEmail": "admin@merx.example"})
    );
    assert_eq!(
        shop.json(&["orders", "list"])["data"].take(),
        serde_json::json!([])
    );
}

const REQUEST: &str = include_str!("../../examples/pricing/request.json");

#[test]
fn price_prints_the_priced_cart_from_a_file_or_stdin() {
    let shop = Shop::new();
    let file = shop.write("cart.json", REQUEST);
    let output = shop.merx().arg("price").arg(&file).output().unwrap();
    assert!(output.status.success());
    let from_file: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // The same function as the library (the request names its instant, so this is exact).
    let request: merx_core::pricing::PricingRequest = serde_json::from_str(REQUEST).unwrap();
    let expected = serde_json::to_value(request.price(Default::default()).unwrap()).unwrap();
    assert_eq!(from_file, expected);
    assert!(from_file["totals"]["total"].is_string());
    let output = shop
        .merx()
        .args(["price", "-"])
        .write_stdin(REQUEST)
        .output()
        .unwrap();
    assert!(output.status.success());
    let from_stdin: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(from_stdin, from_file);
}

#[test]
fn price_reports_bad_input() {
    let shop = Shop::new();
    shop.merx()
        .args(["price", "missing.json"])
        .assert()
        .code(2)
        .stderr("error: cannot read `missing.json`: No such file or directory (os error 2)\n");
    shop.write("bad.json", "{\"cart\": 3}");
    shop.merx()
        .args(["price", "bad.json"])
        .assert()
        .code(2)
        .stderr(
            "error: `bad.json` is not a pricing request: invalid type: integer `3`, expected \
             struct Cart at line 1 column 10\n",
        );
    shop.merx()
        .args(["price", "-"])
        .write_stdin("not json")
        .assert()
        .code(2)
        .stderr("error: stdin is not a pricing request: expected ident at line 1 column 2\n");
}

/// Against PostgreSQL when `MERX_TEST_DATABASE_URL` names one (as `scripts/test` and CI do).
#[test]
fn migrate_postgres() {
    let Ok(url) = std::env::var("MERX_TEST_DATABASE_URL") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI must provide MERX_TEST_DATABASE_URL"
        );
        eprintln!("skipped: MERX_TEST_DATABASE_URL is not set");
        return;
    };
    let shop = Shop::new();
    let output = shop
        .bare()
        .args(["--database-url", &url, "--json", "migrate"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["backend"], "postgres");
    assert!(report["schemaVersion"].as_i64().unwrap() >= 1);
}

#[test]
fn a_closed_pipe_ends_a_listing_quietly() {
    let shop = Shop::new();
    shop.merx()
        .args(["demo", "seed", "--catalog-only"])
        .assert()
        .success();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_merx"))
        .current_dir(shop.dir.path())
        .args(["--database-url", &shop.url, "products", "list"])
        .env_remove("MERX_DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before the listing is written, as `| head -0` would.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(141), "{output:?}");
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn json_errors_are_the_api_error_body_on_stderr() {
    let shop = Shop::new();
    let missing = shop
        .merx()
        .args([
            "--json",
            "products",
            "show",
            "00000000-0000-4000-8000-000000000000",
        ])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    let body: serde_json::Value = serde_json::from_slice(&missing.stderr).unwrap();
    assert_eq!(body["code"], "not_found", "{body}");
    assert!(body["message"].is_string());
    assert!(missing.stdout.is_empty());

    let usage = shop
        .merx()
        .args(["--json", "products", "list", "--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(usage.status.code(), Some(2));
    let body: serde_json::Value = serde_json::from_slice(&usage.stderr).unwrap();
    assert_eq!(body["code"], "malformed_request", "{body}");

    let unopenable = shop
        .bare()
        .args([
            "--json",
            "--database-url",
            "sqlite:///nonexistent-dir/x/merx.db",
            "products",
            "list",
        ])
        .output()
        .unwrap();
    assert_eq!(unopenable.status.code(), Some(1));
    let body: serde_json::Value = serde_json::from_slice(&unopenable.stderr).unwrap();
    assert_eq!(body["code"], "storage_unavailable", "{body}");

    // Without --json the same failure stays one plain line.
    shop.merx()
        .args(["products", "show", "00000000-0000-4000-8000-000000000000"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: "));
}

#[test]
fn an_unreachable_postgres_is_reported_at_once_by_name() {
    // A port nothing listens on: bound for a free number, then closed again.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let shop = Shop::new();
    shop.bare()
        .args([
            "--database-url",
            &format!("postgres://merx:hunter2@127.0.0.1:{port}/shop"),
            "products",
            "list",
        ])
        .assert()
        .code(1)
        .stderr(format!(
            "error: cannot connect to postgres://merx@127.0.0.1:{port}/shop: connection refused\n"
        ));
}
