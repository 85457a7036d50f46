//! Core errors as Python exceptions.
//!
//! The exception classes are defined in Python (`merx/errors.py`), where they get docstrings,
//! `isinstance`-friendly families and the `code`, `status` and `details` attributes. Which class a
//! code raises comes from the core's table ([`merx_core::ErrorCode::family`], handed over by
//! `error_codes`), not from a list kept in Python. This side only hands over the code, message,
//! status and details of the core's error body.

use merx_core::{Error, ErrorCode};
use pyo3::prelude::*;
use serde::de::DeserializeOwned;

/// Why a native call failed, before the GIL is taken back to build the exception.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The core refused (its error carries the code).
    Core(Error),
}

impl From<Error> for Failure {
    fn from(err: Error) -> Failure {
        Failure::Core(err)
    }
}

impl From<merx_core::store::StorageError> for Failure {
    fn from(err: merx_core::store::StorageError) -> Failure {
        Failure::Core(err.into())
    }
}

impl Failure {
    /// The `merx.errors` exception for this failure.
    pub(crate) fn into_py(self, py: Python<'_>) -> PyErr {
        match self {
            Failure::Core(err) => {
                let body = err.to_body();
                raise(py, body.code, &body.message, body.details.as_ref())
            }
        }
    }
}

/// Parses contract JSON into a core type: text that is not JSON is `malformed_request`, JSON
/// that is not `what` is `validation_failed` (the core's rule, the same in every shell).
pub(crate) fn parse<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, Failure> {
    serde_json::from_str(text).map_err(|e| Failure::Core(Error::from_json(&e, what)))
}

fn raise(
    py: Python<'_>,
    code: ErrorCode,
    message: &str,
    details: Option<&serde_json::Value>,
) -> PyErr {
    let details = details.map(serde_json::Value::to_string);
    let built = py.import("merx.errors").and_then(|module| {
        module
            .getattr("_from_native")?
            .call1((code.as_str(), message, code.http_status(), details))
    });
    match built {
        Ok(exception) => PyErr::from_value(exception),
        // Only when `merx._merx` is imported without its package: say so rather than hide it.
        Err(import_failure) => import_failure,
    }
}
