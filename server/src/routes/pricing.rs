//! Pricing without a store: the core's `price_cart` over a whole pricing request.
//!
//! The same function the WASM bundle, the Python module, `merx price` and `merx-price` call, so a
//! client (or a test) can ask the server for exactly the priced cart any other shell computes,
//! byte for byte. It reads nothing from the store and needs no account: the request carries the
//! cart and the rules. Its cost is bounded by the body limit, and it sits behind the rate limit
//! like every route.

use axum::extract::State;
use axum::Json;
use merx_core::pricing::{PricedCart, PricingRequest};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::ApiJson;
use crate::AppState;

/// The pricing route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(price_cart))
}

/// Price a cart with the given rules, without a store (`now` defaults to the server's clock).
#[utoipa::path(post, path = "/v1/pricing", tag = "pricing", operation_id = "priceCart",
    request_body = PricingRequest,
    responses((status = 200, description = "The priced cart", body = PricedCart)))]
async fn price_cart(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<PricingRequest>,
) -> ApiResult<Json<PricedCart>> {
    Ok(Json(request.price(state.clock().now())?))
}
