//! Errors: the HTTP error ([`AppError`]) every handler and extractor returns, and the crate's own
//! error enum ([`ServerError`]) for start-up.
//!
//! Every error response is `{"code", "message", "details"?}` with the status the core's one code
//! table ([`ErrorCode::http_status`]) gives for the code; nothing here picks a status by hand.
//! Internal and storage errors are logged in full (inside the request's span, so the log line
//! carries the request id) and answered with a generic message that names the request id, never
//! with the internal text.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use merx_core::{Error, ErrorBody, ErrorCode};
use serde_json::Value;

/// An error answered to an HTTP client.
#[derive(Debug)]
pub struct AppError {
    code: ErrorCode,
    message: String,
    details: Option<Value>,
    retry_after_secs: Option<u64>,
}

impl AppError {
    /// An error with `code` and a message for the client.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> AppError {
        AppError {
            code,
            message: message.into(),
            details: None,
            retry_after_secs: None,
        }
    }

    /// Adds structured details.
    pub fn with_details(mut self, details: Value) -> AppError {
        self.details = Some(details);
        self
    }

    /// A `rate_limited` error telling the client when to come back.
    pub fn rate_limited(retry_after_secs: u64) -> AppError {
        let mut err = AppError::new(
            ErrorCode::RateLimited,
            format!("too many requests; retry after {retry_after_secs} s"),
        );
        err.retry_after_secs = Some(retry_after_secs);
        err.details = Some(serde_json::json!({ "retryAfterSeconds": retry_after_secs }));
        err
    }

    /// An internal failure: `source` goes to the log, the client gets a generic message.
    pub fn internal(source: &dyn std::fmt::Display) -> AppError {
        tracing::error!(error = %source, "internal error");
        AppError::new(
            ErrorCode::Internal,
            "an unexpected error occurred; quote the x-request-id response header when reporting it",
        )
    }

    /// The error's code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }
}

impl From<Error> for AppError {
    fn from(err: Error) -> AppError {
        match &err {
            Error::StorageUnavailable(source) => {
                tracing::error!(error = %source, "storage unavailable");
                AppError::new(
                    ErrorCode::StorageUnavailable,
                    "the store is unavailable; retry later and quote the x-request-id response header if it persists",
                )
            }
            _ => {
                let body = err.to_body();
                AppError {
                    code: body.code,
                    message: body.message,
                    details: body.details,
                    retry_after_secs: None,
                }
            }
        }
    }
}

impl From<merx_core::store::StorageError> for AppError {
    fn from(err: merx_core::store::StorageError) -> AppError {
        AppError::from(Error::from(err))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ErrorBody {
            code: self.code,
            message: self.message,
            details: self.details,
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs {
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

/// `Result` for handlers.
pub type ApiResult<T> = std::result::Result<T, AppError>;

/// What can stop the server from starting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The database URL names a backend this build cannot open.
    #[error(
        "unsupported database url `{0}`: this build opens `memory:`, `sqlite://` and `postgres://`"
    )]
    UnsupportedDatabase(String),
    /// The store could not be opened.
    #[error("cannot open the store: {0}")]
    Store(String),
    /// The configuration is unusable.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// An event notifier could not be reached at start (a NATS server down).
    #[error("cannot reach an event notifier: {0}")]
    Notifier(String),
    /// The demo data could not be created.
    #[error("cannot load demo data: {0}")]
    Demo(#[from] Error),
    /// Binding or serving failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl From<merx_runtime::RuntimeError> for ServerError {
    /// Start-up steps the server shares with the CLI fail with the runtime's error; each keeps
    /// its meaning here (a bad flag stays a configuration error).
    fn from(err: merx_runtime::RuntimeError) -> ServerError {
        use merx_runtime::RuntimeError;
        match err {
            RuntimeError::UnsupportedDatabase(url) => ServerError::UnsupportedDatabase(url),
            RuntimeError::Store(reason) => ServerError::Store(reason),
            RuntimeError::Config(reason) => ServerError::Config(reason),
            RuntimeError::Notifier(reason) => ServerError::Notifier(reason),
            RuntimeError::Demo(err) => ServerError::Demo(err),
        }
    }
}

/// `Result` with [`ServerError`].
pub type Result<T, E = ServerError> = std::result::Result<T, E>;
