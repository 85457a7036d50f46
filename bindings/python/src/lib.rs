//! `merx._merx`: the native half of the `merx` Python package.
//!
//! A thin shell in the polars manner: the core carries no pyo3 code, and this crate only converts
//! and maps. Everything that crosses into Python crosses as the core's own JSON contract (camelCase
//! keys, decimals as strings), as text: serde_json on this side, `json` on the Python side. That
//! keeps one set of wire types (the core's serde types, never copied into pyclasses) and keeps
//! every amount exact, because no decimal ever becomes a float on the way. The Pythonic API
//! (dicts in and out, `decimal.Decimal` amounts on request, docstrings) lives in
//! `python/merx/__init__.py`; the exception classes live in `python/merx/errors.py`, and
//! [`errors`] raises them by the core's error code.
//!
//! The async store services run on a tokio runtime owned by each [`engine::Engine`]; every call
//! blocks on it with the GIL released, so Python threads can use one engine concurrently.

use chrono::Utc;
use merx_core::pricing::PricingRequest;
use merx_core::ErrorCode;
use pyo3::prelude::*;

mod engine;
mod errors;
mod recommend;

use errors::{parse, Failure};

/// Parses a pricing request (JSON text) and prices it at the request's `now`, or at the system
/// clock's when it has none. Pricing is pure and fast, but the GIL is released anyway so that
/// threads pricing many carts run in parallel.
fn price(py: Python<'_>, request: &str, pretty: bool) -> PyResult<String> {
    py.detach(|| {
        let request: PricingRequest = parse(request, "a pricing request")?;
        let priced = request.price(Utc::now())?;
        Ok(if pretty {
            serde_json::to_string_pretty(&priced)
        } else {
            serde_json::to_string(&priced)
        }
        .expect("priced carts always serialize"))
    })
    .map_err(|f: Failure| f.into_py(py))
}

/// Prices a cart: takes a pricing request as JSON text and returns the priced cart as JSON text,
/// compact, or indented like the `merx-price` command prints it when `pretty` is true.
#[pyfunction]
#[pyo3(signature = (request, *, pretty = false))]
fn price_cart_json(py: Python<'_>, request: &str, pretty: bool) -> PyResult<String> {
    price(py, request, pretty)
}

/// The core's error table: `(code, http_status, family, description)` for every code, in table
/// order. `merx/errors.py` builds its code-to-exception mapping from the family column.
#[pyfunction]
fn error_codes() -> Vec<(&'static str, u16, &'static str, &'static str)> {
    ErrorCode::ALL
        .iter()
        .map(|c| {
            (
                c.as_str(),
                c.http_status(),
                c.family().as_str(),
                c.description(),
            )
        })
        .collect()
}

/// The native module; `merx/__init__.py` wraps it.
#[pymodule]
fn _merx(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(price_cart_json, m)?)?;
    m.add_function(wrap_pyfunction!(error_codes, m)?)?;
    m.add_class::<engine::Engine>()?;
    m.add_class::<recommend::Recommender>()?;
    m.add_function(wrap_pyfunction!(recommend::evaluate, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
