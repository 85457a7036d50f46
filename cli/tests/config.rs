//! The TOML configuration file (`--config` / `MERX_CONFIG`) and `merx config show`: flag over
//! environment over file over default, secrets redacted, unknown keys refused.

mod common;

use common::Shop;
use predicates::prelude::*;
use serde_json::Value;

/// `merx config show --json` as a map from key to (value, source).
fn shown(output: &std::process::Output) -> std::collections::HashMap<String, (Value, String)> {
    assert!(output.status.success(), "{output:?}");
    let list: Value = serde_json::from_slice(&output.stdout).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["key"].as_str().unwrap().to_string(),
                (
                    s["value"].clone(),
                    s["source"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

#[test]
fn settings_come_from_flag_then_env_then_file_then_default() {
    let shop = Shop::new();
    let file = shop.write(
        "merx.toml",
        r#"
database_url = "postgres://merx:hunter2@db.internal/shop"
listen = "0.0.0.0:9090"
rate_limit = 20
rate_burst = 40
currency = "EUR"
jwt_secret = "a-file-secret-that-is-long-enough-for-hs256"
cors_origins = ["https://shop.example.com", "https://admin.example.com"]
log_json = true
"#,
    );
    let output = shop
        .bare()
        .args([
            "--config",
            file.to_str().unwrap(),
            "--json",
            "config",
            "show",
        ])
        .args(["--rate-limit", "5"])
        .env("MERX_RATE_BURST", "7")
        .output()
        .unwrap();
    let settings = shown(&output);
    let get = |key: &str| settings.get(key).unwrap_or_else(|| panic!("{key} shown"));
    assert_eq!(get("rate_limit"), &(Value::from("5"), "flag".to_string()));
    assert_eq!(
        get("rate_burst"),
        &(Value::from("7"), "env MERX_RATE_BURST".to_string())
    );
    assert_eq!(get("listen"), &(Value::from("0.0.0.0:9090"), "file".into()));
    assert_eq!(get("currency"), &(Value::from("EUR"), "file".into()));
    assert_eq!(get("log_json"), &(Value::from("true"), "file".into()));
    assert_eq!(
        get("cors_origins").0,
        serde_json::json!(["https://shop.example.com", "https://admin.example.com"])
    );
    assert_eq!(
        get("body_limit"),
        &(Value::from("1048576"), "default".into())
    );
    // Secrets never appear: the token secret, and the password in a database URL.
    assert_eq!(
        get("jwt_secret"),
        &(Value::from("[redacted]"), "file".into())
    );
    assert_eq!(
        get("database_url").0,
        Value::from("postgres://merx:***@db.internal/shop")
    );
    assert_eq!(get("webhook_secret").0, Value::Null);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(!text.contains("hunter2") && !text.contains("a-file-secret"));

    // MERX_CONFIG names the file too; the readable form is TOML a file can be made from.
    shop.bare()
        .env("MERX_CONFIG", &file)
        .args(["config", "show"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains(r#"listen = "0.0.0.0:9090"  # file"#)
                .and(predicate::str::contains(
                    r#"jwt_secret = "[redacted]"  # file"#,
                ))
                .and(predicate::str::contains("# webhook_secret is not set"))
                .and(predicate::str::contains("hunter2").not()),
        );
}

#[test]
fn the_file_configures_every_command() {
    let shop = Shop::new();
    shop.product("Canvas tote", "TOTE-1", "19.90", "10");
    // The database comes from the file alone.
    let file = shop.write("merx.toml", &format!("database_url = \"{}\"\n", shop.url));
    shop.bare()
        .current_dir(std::env::temp_dir())
        .args(["--config", file.to_str().unwrap(), "products", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("TOTE-1"));
}

#[test]
fn an_unknown_key_or_bad_toml_is_bad_input() {
    let shop = Shop::new();
    let typo = shop.write("typo.toml", "rate_limt = 20\n");
    shop.bare()
        .args(["--config", typo.to_str().unwrap(), "config", "show"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(format!(
            "error: config file `{}`: unknown key `rate_limt` (the keys are ",
            typo.display()
        )));
    let broken = shop.write("broken.toml", "listen = \n");
    shop.bare()
        .args(["--config", broken.to_str().unwrap(), "config", "show"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(format!(
            "error: config file `{}` is not valid TOML",
            broken.display()
        )));
    let wrong = shop.write("wrong.toml", "rate_limit = \"many\"\n");
    shop.bare()
        .args(["--config", wrong.to_str().unwrap(), "config", "show"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid value 'many' for '--rate-limit",
        ));
    shop.bare()
        .args(["--config", "/no/such/merx.toml", "config", "show"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "error: cannot read config file `/no/such/merx.toml`",
        ));
}
