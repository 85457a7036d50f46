//! The cross-shell pricing cases (`examples/pricing/cases/`) through `merx price`: each input gets
//! the error code every other shell gives (in the `--json` error body), or the priced cart whose
//! bytes are the core's, indented as the CLI prints JSON.

mod common;

use std::path::{Path, PathBuf};

use common::Shop;
use merx_core::pricing::PricedCart;
use serde_json::Value;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/pricing/cases")
}

#[test]
fn merx_price_gives_each_case_the_same_code_or_bytes() {
    let shop = Shop::new();
    let dir = cases_dir();
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cases.json")).unwrap()).unwrap();
    let cases = manifest.as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let input = dir.join(case["input"].as_str().unwrap());
        let output = shop
            .bare()
            .args(["--json", "price"])
            .arg(&input)
            .output()
            .unwrap();
        if let Some(code) = case["code"].as_str() {
            assert_eq!(output.status.code(), Some(2), "{name}");
            let body: Value = serde_json::from_slice(&output.stderr)
                .unwrap_or_else(|e| panic!("{name}: stderr is not the error body: {e}"));
            assert_eq!(body["code"], code, "{name}: {body}");
            continue;
        }
        assert!(output.status.success(), "{name}: {output:?}");
        let compact = std::fs::read_to_string(dir.join(case["priced"].as_str().unwrap())).unwrap();
        let priced: PricedCart = serde_json::from_str(&compact).unwrap();
        assert_eq!(serde_json::to_string(&priced).unwrap(), compact, "{name}");
        let pretty = serde_json::to_string_pretty(&priced).unwrap() + "\n";
        assert_eq!(String::from_utf8(output.stdout).unwrap(), pretty, "{name}");
    }
}
