//! Merx pricing for the browser: the core's `price_cart`, compiled to WebAssembly.
//!
//! A storefront prices its cart locally with the very function the server uses, so the total a
//! shopper sees before checkout is the total the server charges, to the minor unit. The bundle
//! is a thin shell: it converts the JSON pricing contract (the same `PricingRequest` and
//! `PricedCart` every Merx shell speaks, camelCase with decimals as strings) and maps errors; all
//! rules live in `merx-core`.
//!
//! Errors are thrown as JavaScript `Error`s with a stable `code` (the core's error table, e.g.
//! `invalid_quantity`, `validation_failed`, or `malformed_request` for text that is not JSON),
//! the code's `family` from the same table (`validation`, `coupon`, ...: what a UI groups
//! messages by) and, when there is one, a `details` object.

use chrono::{DateTime, Utc};
use merx_core::pricing::{PricedCart, PricingRequest};
use merx_core::{Error, ErrorCode};
use serde::Serialize;
use wasm_bindgen::prelude::*;

// The TypeScript types of the wire contract, generated from the OpenAPI document that the server
// builds from the core's serde types (server/tests/contract_files.rs fails when this file drifts),
// so the bundle's `.d.ts` names exactly the fields serde reads and writes.
#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("../types/contract.d.ts");

/// A JavaScript `Error` carrying the stable `code` (and `details`) of a core error.
fn js_error(code: ErrorCode, message: &str, details: Option<serde_json::Value>) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("MerxError");
    let object: &JsValue = error.as_ref();
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(object, &"code".into(), &code.as_str().into());
    let _ = js_sys::Reflect::set(object, &"family".into(), &code.family().as_str().into());
    if let Some(details) = details.and_then(|d| to_js(&d).ok()) {
        let _ = js_sys::Reflect::set(object, &"details".into(), &details);
    }
    error.into()
}

fn core_error(err: &Error) -> JsValue {
    js_error(err.code(), &err.to_string(), err.details())
}

fn malformed(message: String) -> JsValue {
    js_error(ErrorCode::MalformedRequest, &message, None)
}

/// Converts JSON-shaped data to a plain JS value through the engine's own `JSON.parse`. Going
/// through JSON text for objects too (rather than a second, object-walking serde backend) keeps
/// one set of deserializers in the bundle, which measured about a third of its code.
fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(value).map_err(|e| malformed(e.to_string()))?;
    js_sys::JSON::parse(&text)
}

/// The instant a request without `now` is priced at: the browser's clock.
fn now() -> DateTime<Utc> {
    let millis = js_sys::Date::now() as i64;
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

/// Text that is not JSON is `malformed_request`; JSON that is not a pricing request is
/// `validation_failed` (the core's rule, the same in every shell).
fn parse(text: &str) -> Result<PricingRequest, JsValue> {
    serde_json::from_str(text).map_err(|e| core_error(&Error::from_json(&e, "a pricing request")))
}

fn price(request: &PricingRequest) -> Result<PricedCart, JsValue> {
    request.price(now()).map_err(|e| core_error(&e))
}

/// Prices a cart: takes a `PricingRequest` object and returns the `PricedCart` object.
#[wasm_bindgen(js_name = priceCart, unchecked_return_type = "PricedCart")]
pub fn price_cart(
    #[wasm_bindgen(unchecked_param_type = "PricingRequest")] request: JsValue,
) -> Result<JsValue, JsValue> {
    let text: String = js_sys::JSON::stringify(&request)
        .map_err(|_| malformed("the pricing request cannot be turned into JSON".into()))?
        .into();
    to_js(&price(&parse(&text)?)?)
}

/// Prices a cart given as JSON text and returns the priced cart as JSON text (byte-for-byte the
/// same JSON as the server and the `merx-price` command produce for the same request).
#[wasm_bindgen(js_name = priceCartJson)]
pub fn price_cart_json(request: &str) -> Result<String, JsValue> {
    let priced = price(&parse(request)?)?;
    serde_json::to_string(&priced).map_err(|e| malformed(e.to_string()))
}

/// The core's error table: `[{code, status, family, description}]`, for mapping errors in the UI.
#[wasm_bindgen(js_name = errorCodes, unchecked_return_type = "{ code: ErrorCode; status: number; family: ErrorFamily; description: string }[]")]
pub fn error_codes() -> JsValue {
    #[derive(Serialize)]
    struct Entry {
        code: &'static str,
        status: u16,
        family: &'static str,
        description: &'static str,
    }
    let entries: Vec<Entry> = ErrorCode::ALL
        .iter()
        .map(|c| Entry {
            code: c.as_str(),
            status: c.http_status(),
            family: c.family().as_str(),
            description: c.description(),
        })
        .collect();
    to_js(&entries).unwrap_or(JsValue::NULL)
}
