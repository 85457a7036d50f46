//! Extractors whose rejections speak the API's error format.
//!
//! axum's own `Json`, `Query` and `Path` answer bad input with plain-text bodies; these wrap them
//! and turn every rejection into an [`AppError`]: unparseable input is `malformed_request` (400),
//! well-formed JSON with wrong types or missing fields is `validation_failed` (422), an oversized
//! body is `payload_too_large` (413). The caller extractors read the bearer token and load the
//! user, so handlers get a [`merx_core::user::User`] (or a [`Principal`] to hand to the core's
//! services) or a rejection, never a raw header.

use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use merx_core::ids::CartId;
use merx_core::principal::Principal;
use merx_core::store::StorageError;
use merx_core::user::{Role, User};
use merx_core::{Error, ErrorCode};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::error::AppError;
use crate::AppState;

/// A JSON body.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::trim)
            .is_some_and(|mime| {
                mime.eq_ignore_ascii_case("application/json")
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            });
        if !is_json {
            return Err(AppError::new(
                ErrorCode::MalformedRequest,
                "expected a JSON body with `Content-Type: application/json`",
            ));
        }
        let bytes = match Bytes::from_request(req, state).await {
            Ok(bytes) => bytes,
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(AppError::new(
                    ErrorCode::PayloadTooLarge,
                    "the request body is too large",
                ))
            }
            Err(_) => {
                return Err(AppError::new(
                    ErrorCode::MalformedRequest,
                    "the body could not be read",
                ))
            }
        };
        // Every body of this API is an object. serde would also read a struct from a JSON array
        // (`[null, null]`), which no client means.
        match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => {}
            Some(b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n') => {
                return Err(AppError::new(
                    ErrorCode::ValidationFailed,
                    "the body must be a JSON object",
                ))
            }
            _ => {
                return Err(AppError::new(
                    ErrorCode::MalformedRequest,
                    "the body is not valid JSON",
                ))
            }
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> AppError {
    let reason = rejection.body_text();
    match rejection {
        JsonRejection::JsonDataError(_) => AppError::new(
            ErrorCode::ValidationFailed,
            "the JSON body does not match the expected shape",
        )
        .with_details(json!({ "reason": reason })),
        JsonRejection::MissingJsonContentType(_) => AppError::new(
            ErrorCode::MalformedRequest,
            "expected a JSON body with `Content-Type: application/json`",
        ),
        _ if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::new(ErrorCode::PayloadTooLarge, "the request body is too large")
        }
        _ => AppError::new(ErrorCode::MalformedRequest, "the body is not valid JSON")
            .with_details(json!({ "reason": reason })),
    }
}

/// Query parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(query_rejection(&rejection)),
        }
    }
}

fn query_rejection(rejection: &QueryRejection) -> AppError {
    AppError::new(ErrorCode::MalformedRequest, "invalid query parameters")
        .with_details(json!({ "reason": rejection.body_text() }))
}

/// Path parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(path_rejection(&rejection)),
        }
    }
}

fn path_rejection(rejection: &PathRejection) -> AppError {
    AppError::new(ErrorCode::MalformedRequest, "invalid path parameter")
        .with_details(json!({ "reason": rejection.body_text() }))
}

fn bearer_token(parts: &Parts) -> Result<Option<&str>, AppError> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| AppError::from(Error::InvalidToken))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim()))
        }
        _ => Err(AppError::from(Error::InvalidToken)),
    }
}

async fn load_caller(parts: &Parts, state: &AppState) -> Result<Option<User>, AppError> {
    let Some(token) = bearer_token(parts)? else {
        return Ok(None);
    };
    let session = state.tokens().verify(token)?;
    let user = match state.store().get_user(session.user_id).await {
        Ok(user) => user,
        Err(StorageError::NotFound { .. }) => return Err(Error::InvalidToken.into()),
        Err(e) => return Err(e.into()),
    };
    // Disabling and deleting also end sessions, but `account_inactive` says more to a client
    // than `session_revoked` would (signing in again will not help), so it is checked first.
    if !user.is_active() {
        return Err(Error::AccountInactive.into());
    }
    session.check(&user)?;
    Ok(Some(user))
}

/// The signed-in user, or `None` for a guest. A token that is present but bad is refused, never
/// treated as a guest.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<User>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(MaybeUser(load_caller(parts, state).await?))
    }
}

/// The caller as the core's services take it: the signed-in user, or a guest. A token that is
/// present but bad is refused, never treated as a guest.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Caller(Principal::from(load_caller(parts, state).await?)))
    }
}

fn unauthenticated() -> AppError {
    AppError::new(
        ErrorCode::Unauthenticated,
        "sign in and send `Authorization: Bearer <token>`",
    )
}

/// A signed-in, active user.
#[derive(Debug, Clone)]
pub struct SignedIn(pub User);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        load_caller(parts, state)
            .await?
            .map(SignedIn)
            .ok_or_else(unauthenticated)
    }
}

/// A signed-in admin. The services decide who may do what; this only turns everyone else away
/// before the request body is read, so a customer's request to an admin route is 403 whatever
/// it carries.
#[derive(Debug, Clone)]
pub struct Admin(pub User);

impl Admin {
    /// The admin as a principal for the core's services.
    pub fn principal(self) -> Principal {
        Principal::User(self.0)
    }
}

impl SignedIn {
    /// The user as a principal for the core's services.
    pub fn principal(self) -> Principal {
        Principal::User(self.0)
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let SignedIn(user) = SignedIn::from_request_parts(parts, state).await?;
        user.require_any_role(&[Role::Admin], "use admin routes")?;
        Ok(Admin(user))
    }
}

/// The `X-Cart-Id` header of a guest.
#[derive(Debug, Clone, Copy)]
pub struct CartIdHeader(pub Option<CartId>);

/// The header carrying a guest's cart id.
pub const CART_ID_HEADER: &str = "x-cart-id";

impl<S: Send + Sync> FromRequestParts<S> for CartIdHeader {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(CART_ID_HEADER) else {
            return Ok(CartIdHeader(None));
        };
        value
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .map(|id| CartIdHeader(Some(id)))
            .ok_or_else(|| AppError::new(ErrorCode::MalformedRequest, "X-Cart-Id is not a cart id"))
    }
}

/// The `Idempotency-Key` header.
#[derive(Debug, Clone)]
pub struct IdempotencyKeyHeader(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKeyHeader {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get("idempotency-key") else {
            return Ok(IdempotencyKeyHeader(None));
        };
        match value.to_str() {
            Ok(key) if !key.trim().is_empty() && key.len() <= 255 => {
                Ok(IdempotencyKeyHeader(Some(key.trim().to_string())))
            }
            _ => Err(AppError::new(
                ErrorCode::MalformedRequest,
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            )),
        }
    }
}
