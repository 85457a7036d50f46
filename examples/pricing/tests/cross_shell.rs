//! The cross-shell pricing cases (`examples/pricing/cases/`) through the core itself and through
//! the `merx-price` command. The core is the reference: it writes the expected priced carts
//! (`MERX_REGENERATE_CASES=1 cargo test -p merx-example-pricing --test cross_shell`), and every
//! other shell (REST, CLI, Python, WASM) is held to the same bytes and the same error codes.

use std::path::{Path, PathBuf};
use std::process::Command;

use merx_core::pricing::{PricedCart, PricingRequest};
use merx_core::Error;
use serde_json::Value;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("cases")
}

/// `(name, input file, expectation)` of every case.
fn cases() -> Vec<(String, PathBuf, Value)> {
    let dir = cases_dir();
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cases.json")).unwrap()).unwrap();
    manifest
        .as_array()
        .expect("cases.json is a list")
        .iter()
        .map(|case| {
            (
                case["name"].as_str().unwrap().to_string(),
                dir.join(case["input"].as_str().unwrap()),
                case.clone(),
            )
        })
        .collect()
}

/// What the core answers for an input: the compact priced cart, or the error.
fn core_price(text: &str) -> Result<String, Error> {
    let request: PricingRequest =
        serde_json::from_str(text).map_err(|e| Error::from_json(&e, "a pricing request"))?;
    let priced = request.price(chrono::Utc::now())?;
    Ok(serde_json::to_string(&priced).unwrap())
}

#[test]
fn the_core_gives_each_case_its_code_or_its_bytes() {
    let regenerate = std::env::var_os("MERX_REGENERATE_CASES").is_some();
    let all = cases();
    assert!(all.len() >= 10, "only {} cases", all.len());
    for (name, input, expected) in all {
        let text = std::fs::read_to_string(&input).unwrap();
        let answer = core_price(&text);
        match (expected["code"].as_str(), expected["priced"].as_str()) {
            (Some(code), None) => {
                let err = answer.expect_err(&name);
                assert_eq!(err.code().as_str(), code, "{name}: {err}");
            }
            (None, Some(priced_file)) => {
                let priced = answer.unwrap_or_else(|e| panic!("{name}: {e}"));
                let path = cases_dir().join(priced_file);
                if regenerate {
                    std::fs::write(&path, &priced).unwrap();
                }
                let committed = std::fs::read_to_string(&path).unwrap_or_default();
                assert!(
                    committed == priced,
                    "{name}: {} is not what the core prices now; after a deliberate pricing \
                     change regenerate it with\n    MERX_REGENERATE_CASES=1 cargo test -p \
                     merx-example-pricing --test cross_shell",
                    path.display()
                );
            }
            _ => panic!("{name}: a case expects either a code or a priced file"),
        }
    }
}

#[test]
fn merx_price_gives_each_case_the_same_code_or_bytes() {
    for (name, input, expected) in cases() {
        let output = Command::new(env!("CARGO_BIN_EXE_merx-price"))
            .arg(&input)
            .output()
            .unwrap();
        if let Some(code) = expected["code"].as_str() {
            assert_eq!(output.status.code(), Some(2), "{name}");
            let body: Value = serde_json::from_slice(&output.stderr)
                .unwrap_or_else(|e| panic!("{name}: stderr is not the error body: {e}"));
            assert_eq!(body["code"], code, "{name}: {body}");
            continue;
        }
        assert!(output.status.success(), "{name}: {output:?}");
        // `merx-price` prints the priced cart indented: the same value, serialized by the core's
        // type, must give exactly its bytes.
        let compact =
            std::fs::read_to_string(cases_dir().join(expected["priced"].as_str().unwrap()))
                .unwrap();
        let priced: PricedCart = serde_json::from_str(&compact).unwrap();
        assert_eq!(serde_json::to_string(&priced).unwrap(), compact, "{name}");
        let pretty = serde_json::to_string_pretty(&priced).unwrap() + "\n";
        assert_eq!(String::from_utf8(output.stdout).unwrap(), pretty, "{name}");
    }
}
