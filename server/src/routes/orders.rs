//! Orders: checkout, reading, history, admin transitions, payments and refunds.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use merx_core::cart_service::CartOwner;
use merx_core::ids::{OrderId, UserId};
use merx_core::listing::{self, PageRequest, Paged};
use merx_core::order::{Order, OrderStatus};
use merx_core::payment::{PaymentMethod, PaymentTransaction};
use merx_core::Error;
use rust_decimal::Decimal;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use std::future::Future;

use crate::error::{ApiResult, AppError};
use crate::extract::{
    Admin, ApiJson, ApiPath, ApiQuery, Caller, CartIdHeader, IdempotencyKeyHeader, SignedIn,
};
use crate::AppState;

/// The order routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(checkout, list_orders))
        .routes(routes!(get_order))
        .routes(routes!(process_order))
        .routes(routes!(ship_order))
        .routes(routes!(deliver_order))
        .routes(routes!(cancel_order))
        .routes(routes!(refund_order))
        .routes(routes!(pay_order, list_payments))
}

/// Checkout options.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutBody {
    /// Contact email (guests should give one).
    pub email: Option<String>,
}

/// Order history filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct OrderListQuery {
    /// 1-based page (default 1).
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// Only orders in this status.
    #[param(inline)]
    pub status: Option<OrderStatus>,
    /// Only this customer's orders (admins; customers may name only themselves).
    #[param(value_type = Option<uuid::Uuid>)]
    pub customer_id: Option<UserId>,
}

/// Shipping details.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShipBody {
    /// Carrier tracking number.
    pub tracking_number: Option<String>,
}

/// A refund.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefundBody {
    /// Amount to refund (decimal string); everything refundable when left out.
    #[schema(value_type = Option<String>, format = "decimal")]
    pub amount: Option<Decimal>,
}

/// A payment.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PayBody {
    /// The payment token (with the built-in test gateway, a test card number such as
    /// `4242424242424242`).
    pub token: String,
}

impl std::fmt::Debug for PayBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PayBody(..)")
    }
}

const ORDER_DOC: &str = "The order";

/// Check out the caller's cart. With `Idempotency-Key`, a retry returns the first order.
#[utoipa::path(post, path = "/v1/orders", tag = "orders", operation_id = "checkout",
    security((), ("bearer" = [])), request_body = CheckoutBody,
    params(("Idempotency-Key" = Option<String>, Header, pattern = r"^[\x21-\x7E]{1,255}$"), ("X-Cart-Id" = Option<uuid::Uuid>, Header, description = "A guest's cart id")),
    responses((status = 201, description = ORDER_DOC, body = Order)))]
async fn checkout(
    State(state): State<AppState>,
    Caller(principal): Caller,
    CartIdHeader(cart_id): CartIdHeader,
    IdempotencyKeyHeader(key): IdempotencyKeyHeader,
    ApiJson(body): ApiJson<CheckoutBody>,
) -> ApiResult<impl IntoResponse> {
    let owner = CartOwner::of(&principal, cart_id)?;
    let order = state
        .checkout()
        .checkout_for(owner, body.email, key, principal.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(order)))
}

/// Order history: the caller's own, or everyone's for admins.
#[utoipa::path(get, path = "/v1/orders", tag = "orders", operation_id = "listOrders",
    security(("bearer" = [])), params(OrderListQuery),
    responses((status = 200, description = "A page of orders", body = Paged<Order>)))]
async fn list_orders(
    State(state): State<AppState>,
    viewer: SignedIn,
    ApiQuery(query): ApiQuery<OrderListQuery>,
) -> ApiResult<impl IntoResponse> {
    let request = PageRequest::new(query.page, query.limit)?;
    let page = listing::list_orders(
        state.store(),
        &viewer.principal(),
        query.customer_id,
        query.status,
        request,
    )
    .await?;
    Ok(Json(page))
}

/// One order (the buyer's or an admin's; a guest order by its id).
#[utoipa::path(get, path = "/v1/orders/{id}", tag = "orders", operation_id = "getOrder",
    security((), ("bearer" = [])), params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = ORDER_DOC, body = Order)))]
async fn get_order(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiPath(id): ApiPath<OrderId>,
) -> ApiResult<Json<Order>> {
    Ok(Json(state.orders().get_for(&principal, id).await?))
}

/// pending -> processing (admins).
#[utoipa::path(post, path = "/v1/orders/{id}/process", tag = "orders", operation_id = "processOrder",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = ORDER_DOC, body = Order)))]
async fn process_order(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<OrderId>,
) -> ApiResult<Json<Order>> {
    Ok(Json(
        state
            .orders()
            .start_processing(id, admin.principal().actor())
            .await?,
    ))
}

/// processing -> shipped, with an optional tracking number (admins).
#[utoipa::path(post, path = "/v1/orders/{id}/ship", tag = "orders", operation_id = "shipOrder",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path)), request_body = ShipBody,
    responses((status = 200, description = ORDER_DOC, body = Order)))]
async fn ship_order(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<OrderId>,
    ApiJson(body): ApiJson<ShipBody>,
) -> ApiResult<Json<Order>> {
    Ok(Json(
        state
            .orders()
            .ship(id, body.tracking_number, admin.principal().actor())
            .await?,
    ))
}

/// shipped -> delivered (admins).
#[utoipa::path(post, path = "/v1/orders/{id}/deliver", tag = "orders", operation_id = "deliverOrder",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = ORDER_DOC, body = Order)))]
async fn deliver_order(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<OrderId>,
) -> ApiResult<Json<Order>> {
    Ok(Json(
        state
            .orders()
            .deliver(id, admin.principal().actor())
            .await?,
    ))
}

/// Runs an operation that moves money to its end even when the client hangs up. Dropped midway,
/// it would leave its idempotency claim and the order's payment lock held until their leases
/// run out, and the client's retry would be told `request_in_flight` for that long.
async fn run_to_completion<T, Fut>(operation: Fut) -> ApiResult<T>
where
    Fut: Future<Output = Result<T, Error>> + Send + 'static,
    T: Send + 'static,
{
    match tokio::spawn(operation).await {
        Ok(outcome) => Ok(outcome?),
        Err(joined) => Err(AppError::internal(&joined)),
    }
}

/// Cancel an order: voids or refunds the payment, releases stock. Admins cancel pending or
/// processing orders; a customer cancels their own order while it is pending (403 after that);
/// another customer's order is 404. With `Idempotency-Key`, a repeat answers with the cancelled
/// order; one while the first still runs is 409 `request_in_flight`.
#[utoipa::path(post, path = "/v1/orders/{id}/cancel", tag = "orders", operation_id = "cancelOrder",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path), ("Idempotency-Key" = Option<String>, Header, pattern = r"^[\x21-\x7E]{1,255}$")),
    responses((status = 200, description = ORDER_DOC, body = Order)))]
async fn cancel_order(
    State(state): State<AppState>,
    caller: SignedIn,
    ApiPath(id): ApiPath<OrderId>,
    IdempotencyKeyHeader(key): IdempotencyKeyHeader,
) -> ApiResult<Json<Order>> {
    let principal = caller.principal();
    let order = run_to_completion(async move {
        state
            .orders()
            .cancel_for(&principal, id, key.as_deref())
            .await
    })
    .await?;
    Ok(Json(order))
}

/// Refund captured money, all or part (admins). With `Idempotency-Key` a repeat (same amount)
/// refunds nothing more and answers with the order; the key with another amount is 409
/// `idempotency_conflict`; a repeat while the first still runs is 409 `request_in_flight`.
#[utoipa::path(post, path = "/v1/orders/{id}/refund", tag = "orders", operation_id = "refundOrder",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path), ("Idempotency-Key" = Option<String>, Header, pattern = r"^[\x21-\x7E]{1,255}$")),
    request_body = RefundBody,
    responses((status = 200, description = ORDER_DOC, body = Order)))]
async fn refund_order(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<OrderId>,
    IdempotencyKeyHeader(key): IdempotencyKeyHeader,
    ApiJson(body): ApiJson<RefundBody>,
) -> ApiResult<Json<Order>> {
    let actor = admin.principal().actor();
    let order = run_to_completion(async move {
        state
            .payments()
            .refund(id, body.amount, actor, key.as_deref())
            .await
    })
    .await?;
    Ok(Json(order))
}

/// Pay an order through the configured gateway (authorize and capture). With
/// `Idempotency-Key`, a repeat (same order and card) answers with the paid order; another card
/// under the key is 409 `idempotency_conflict`. Concurrent payments of one order reach the
/// provider once; the others are 409 `request_in_flight`, and a paid order is 409
/// `already_captured`.
#[utoipa::path(post, path = "/v1/orders/{id}/payments", tag = "orders", operation_id = "payOrder",
    security((), ("bearer" = [])), params(("id" = uuid::Uuid, Path), ("Idempotency-Key" = Option<String>, Header, pattern = r"^[\x21-\x7E]{1,255}$")),
    request_body = PayBody,
    responses((status = 200, description = ORDER_DOC, body = Order)))]
async fn pay_order(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiPath(id): ApiPath<OrderId>,
    IdempotencyKeyHeader(key): IdempotencyKeyHeader,
    ApiJson(body): ApiJson<PayBody>,
) -> ApiResult<Json<Order>> {
    let method = PaymentMethod::new(body.token);
    let order = run_to_completion(async move {
        state
            .orders()
            .pay_for(&principal, id, &method, key.as_deref())
            .await
    })
    .await?;
    Ok(Json(order))
}

/// An order's payment attempts, oldest first.
#[utoipa::path(get, path = "/v1/orders/{id}/payments", tag = "orders", operation_id = "listPayments",
    security((), ("bearer" = [])), params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "Payment attempts, oldest first", body = Vec<PaymentTransaction>)))]
async fn list_payments(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiPath(id): ApiPath<OrderId>,
) -> ApiResult<Json<Vec<PaymentTransaction>>> {
    Ok(Json(state.orders().transactions_for(&principal, id).await?))
}
