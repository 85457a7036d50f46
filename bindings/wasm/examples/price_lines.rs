//! The native side of the WASM parity tests: prices pricing requests with the core, natively.
//!
//! Reads one JSON `PricingRequest` per line on stdin and writes one line per request: the
//! `PricedCart` JSON exactly as `serde_json` writes it (what `priceCartJson` returns in the
//! browser), or `{"error":{"code","message"}}` for a request the core refuses (what the bundle
//! throws). The tests compare these lines byte for byte with the bundle's.
//!
//!     node bindings/wasm/tests/carts.mjs 500 | cargo run -p merx-wasm --example price_lines

use std::io::{BufRead, Write};

use merx_core::pricing::PricingRequest;
use merx_core::ErrorCode;

fn price(line: &str) -> String {
    let (code, message) = match serde_json::from_str::<PricingRequest>(line) {
        Err(e) => (
            ErrorCode::MalformedRequest,
            format!("not a pricing request: {e}"),
        ),
        Ok(request) => match request.price(chrono::Utc::now()) {
            Ok(priced) => return serde_json::to_string(&priced).expect("a priced cart serializes"),
            Err(e) => (e.code(), e.to_string()),
        },
    };
    serde_json::json!({ "error": { "code": code.as_str(), "message": message } }).to_string()
}

fn main() -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for line in std::io::stdin().lock().lines() {
        writeln!(out, "{}", price(&line?))?;
    }
    Ok(())
}
