//! Accounts: registration, sign-in, profiles, the admin user list, password reset.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, Utc};
use merx_core::ids::UserId;
use merx_core::listing::{self, PageRequest, Paged};
use merx_core::user::{ProfileUpdate, Registration, User, UserStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::{Admin, ApiJson, ApiPath, ApiQuery, CartIdHeader, SignedIn};
use crate::AppState;

/// The user routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register, list_users))
        .routes(routes!(register_alias))
        .routes(routes!(login))
        .routes(routes!(me))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(request_password_reset))
        .routes(routes!(confirm_password_reset))
}

/// Sign-in input.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    /// Email.
    pub email: String,
    /// Password.
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// A signed-in session.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginResponse {
    /// The access token for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
    /// The account.
    pub user: User,
}

/// Password-reset request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResetRequest {
    /// The account's email.
    pub email: String,
}

/// Password-reset confirmation.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResetConfirm {
    /// The token from the reset email.
    pub token: String,
    /// The new password.
    pub new_password: String,
}

impl std::fmt::Debug for ResetConfirm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResetConfirm(..)")
    }
}

/// User list filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// 1-based page (default 1).
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// Only accounts in this status.
    #[param(inline)]
    pub status: Option<UserStatus>,
}

/// Register a customer account.
#[utoipa::path(post, path = "/v1/users", tag = "users", operation_id = "registerUser",
    request_body = Registration,
    responses((status = 201, description = "The new account", body = User)))]
async fn register(
    State(state): State<AppState>,
    ApiJson(registration): ApiJson<Registration>,
) -> ApiResult<impl IntoResponse> {
    let user = state.users().register(registration).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Register a customer account (alias of `POST /v1/users`).
#[utoipa::path(post, path = "/v1/users/register", tag = "users", operation_id = "registerUserAlias",
    request_body = Registration,
    responses((status = 201, description = "The new account", body = User)))]
async fn register_alias(
    state: State<AppState>,
    body: ApiJson<Registration>,
) -> ApiResult<impl IntoResponse> {
    register(state, body).await
}

/// Sign in; with `X-Cart-Id`, the guest cart is merged into the customer's cart.
#[utoipa::path(post, path = "/v1/users/login", tag = "users", operation_id = "login",
    request_body = LoginRequest,
    params(("X-Cart-Id" = Option<uuid::Uuid>, Header, description = "A guest cart to merge")),
    responses((status = 200, body = LoginResponse)))]
async fn login(
    State(state): State<AppState>,
    CartIdHeader(guest_cart): CartIdHeader,
    ApiJson(request): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let user = state
        .users()
        .authenticate(&request.email, &request.password)
        .await?;
    if let Some(cart_id) = guest_cart {
        state.carts().merge_guest_cart(user.id, cart_id).await?;
    }
    let (access_token, expires_at) = state.tokens().issue(&user, state.clock().now())?;
    Ok(Json(LoginResponse {
        access_token,
        token_type: "Bearer",
        expires_at,
        user,
    }))
}

/// The signed-in account.
#[utoipa::path(get, path = "/v1/users/me", tag = "users", operation_id = "getMe",
    security(("bearer" = [])),
    responses((status = 200, description = "The account", body = User)))]
async fn me(SignedIn(user): SignedIn) -> Json<User> {
    Json(user)
}

/// An account (own, or any for admins).
#[utoipa::path(get, path = "/v1/users/{id}", tag = "users", operation_id = "getUser",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The account", body = User)))]
async fn get_user(
    State(state): State<AppState>,
    viewer: SignedIn,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<Json<User>> {
    Ok(Json(state.users().get_for(&viewer.principal(), id).await?))
}

/// Change an account: the owner may change the name; admins also status and roles.
#[utoipa::path(put, path = "/v1/users/{id}", tag = "users", operation_id = "updateUser",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path)), request_body = ProfileUpdate,
    responses((status = 200, description = "The account", body = User)))]
async fn update_user(
    State(state): State<AppState>,
    actor: SignedIn,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(update): ApiJson<ProfileUpdate>,
) -> ApiResult<Json<User>> {
    Ok(Json(
        state
            .users()
            .update_profile(&actor.principal(), id, update)
            .await?,
    ))
}

/// Soft-delete an account (own, or any for admins).
#[utoipa::path(delete, path = "/v1/users/{id}", tag = "users", operation_id = "deleteUser",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
async fn delete_user(
    State(state): State<AppState>,
    actor: SignedIn,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<StatusCode> {
    state.users().close_account(&actor.principal(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List accounts (admins).
#[utoipa::path(get, path = "/v1/users", tag = "users", operation_id = "listUsers",
    security(("bearer" = [])), params(UserListQuery),
    responses((status = 200, description = "A page of accounts", body = Paged<User>)))]
async fn list_users(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(query): ApiQuery<UserListQuery>,
) -> ApiResult<impl IntoResponse> {
    let request = PageRequest::new(query.page, query.limit)?;
    let page =
        listing::list_users(state.store(), &admin.principal(), query.status, request).await?;
    Ok(Json(page))
}

/// Ask for a password-reset email. Always 202, whether or not the account exists; the token goes
/// out as a `PasswordResetRequested` event, never in a response.
#[utoipa::path(post, path = "/v1/users/password-reset", tag = "users", operation_id = "requestPasswordReset",
    request_body = ResetRequest,
    responses((status = 202, description = "Accepted")))]
async fn request_password_reset(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<ResetRequest>,
) -> ApiResult<StatusCode> {
    state.users().send_password_reset(&request.email).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Set a new password with a reset token.
#[utoipa::path(post, path = "/v1/users/password-reset/confirm", tag = "users", operation_id = "confirmPasswordReset",
    request_body = ResetConfirm,
    responses((status = 204, description = "Password changed")))]
async fn confirm_password_reset(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<ResetConfirm>,
) -> ApiResult<StatusCode> {
    state
        .users()
        .reset_password(&request.token, &request.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
