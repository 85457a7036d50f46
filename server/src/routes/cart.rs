//! The caller's cart. Signed-in customers have their own; guests send back the `X-Cart-Id` a
//! change returned. Every response is the cart with its price from the core (`{"cart",
//! "priced", "stored"}`) and repeats the cart id in `X-Cart-Id`.

use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::Json;
use merx_core::cart::Address;
use merx_core::cart_service::{CartOwner, CartView};
use merx_core::ids::{LineId, ProductId, ShippingMethodId, VariantId};
use rust_decimal::Decimal;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, Caller, CartIdHeader, CART_ID_HEADER};
use crate::AppState;

/// The cart routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_cart))
        .routes(routes!(add_item))
        .routes(routes!(update_item, remove_item))
        .routes(routes!(apply_coupon))
        .routes(routes!(remove_coupon))
        .routes(routes!(set_shipping_address))
        .routes(routes!(set_shipping_method))
}

/// Whose cart: the signed-in customer's, else the guest cart named by `X-Cart-Id`.
fn owner(caller: &Caller, header: CartIdHeader) -> ApiResult<CartOwner> {
    Ok(CartOwner::of(&caller.0, header.0)?)
}

fn respond(view: CartView) -> Response {
    let id = view.cart.id;
    let stored = view.stored;
    let mut response = Json(view).into_response();
    if stored {
        if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
            response.headers_mut().insert(CART_ID_HEADER, value);
        }
    }
    response
}

/// An item to add, named by its SKU or by its product and variant ids (exactly one of the two).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged, try_from = "AddItemFields")]
pub enum AddItem {
    /// By SKU (case-insensitive), as the CLI and the Python engine add items.
    BySku(AddBySku),
    /// By product and variant id, as the catalog lists them.
    ByIds(AddByIds),
}

/// An item named by SKU.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddBySku {
    /// The variant's SKU.
    #[schema(example = "TEE-BLK-M")]
    pub sku: String,
    /// How many (decimal string or number; whole units unless sold by measure).
    #[schema(value_type = String, format = "decimal", example = "1")]
    pub quantity: Decimal,
}

/// An item named by product and variant id.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddByIds {
    /// The product.
    #[schema(value_type = uuid::Uuid)]
    pub product_id: ProductId,
    /// The variant.
    #[schema(value_type = uuid::Uuid)]
    pub variant_id: VariantId,
    /// How many (decimal string or number; whole units unless sold by measure).
    #[schema(value_type = String, format = "decimal", example = "1")]
    pub quantity: Decimal,
}

/// The body as sent, before it is known which form it takes: an untagged enum alone would
/// answer "did not match any variant" where the client needs to hear which fields to send.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddItemFields {
    sku: Option<String>,
    product_id: Option<ProductId>,
    variant_id: Option<VariantId>,
    quantity: Decimal,
}

impl TryFrom<AddItemFields> for AddItem {
    type Error = &'static str;

    fn try_from(fields: AddItemFields) -> Result<AddItem, Self::Error> {
        match (fields.sku, fields.product_id, fields.variant_id) {
            (Some(sku), None, None) => Ok(AddItem::BySku(AddBySku {
                sku,
                quantity: fields.quantity,
            })),
            (None, Some(product_id), Some(variant_id)) => Ok(AddItem::ByIds(AddByIds {
                product_id,
                variant_id,
                quantity: fields.quantity,
            })),
            (Some(_), _, _) => Err("give either sku or productId and variantId, not both"),
            (None, None, None) => Err("name the item by sku, or by productId and variantId"),
            (None, _, _) => Err("productId and variantId go together"),
        }
    }
}

/// A new quantity; zero removes the line.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SetQuantity {
    /// The quantity.
    #[schema(value_type = String, format = "decimal", example = "2")]
    pub quantity: Decimal,
}

/// A coupon code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CouponCode {
    /// The code as typed.
    pub code: String,
}

/// The shipping method to use (`null` clears it).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShippingMethodChoice {
    /// A method id from `priced.shippingOptions`.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub method_id: Option<ShippingMethodId>,
}

const CART_DOC: &str = "The cart and its price";

/// The caller's cart, priced (an empty unsaved cart when there is none yet).
#[utoipa::path(get, path = "/v1/cart", tag = "cart", operation_id = "getCart",
    security((), ("bearer" = [])),
    params(("X-Cart-Id" = Option<uuid::Uuid>, Header, description = "A guest's cart id")),
    responses((status = 200, description = CART_DOC, body = CartView)))]
async fn get_cart(
    State(state): State<AppState>,
    user: Caller,
    header: CartIdHeader,
) -> ApiResult<Response> {
    let view = state
        .carts()
        .get(owner(&user, header)?, state.config().default_currency)
        .await?;
    Ok(respond(view))
}

/// Add an item by SKU or by product and variant id (creates the cart on first use and returns
/// its id in `X-Cart-Id`).
#[utoipa::path(post, path = "/v1/cart/items", tag = "cart", operation_id = "addCartItem",
    security((), ("bearer" = [])), request_body = AddItem,
    params(("X-Cart-Id" = Option<uuid::Uuid>, Header, description = "A guest's cart id")),
    responses((status = 200, description = CART_DOC, body = CartView)))]
async fn add_item(
    State(state): State<AppState>,
    user: Caller,
    header: CartIdHeader,
    ApiJson(item): ApiJson<AddItem>,
) -> ApiResult<Response> {
    let owner = owner(&user, header)?;
    let currency = state.config().default_currency;
    let carts = state.carts();
    let view = match item {
        AddItem::ByIds(item) => {
            carts
                .add_item(
                    owner,
                    currency,
                    item.product_id,
                    item.variant_id,
                    item.quantity,
                )
                .await?
        }
        // An unknown SKU is `not_found` (404), named in the details.
        AddItem::BySku(item) => {
            carts
                .add_item_by_sku(owner, currency, &item.sku, item.quantity)
                .await?
        }
    };
    Ok(respond(view))
}

/// Change a line's quantity (zero removes it).
#[utoipa::path(put, path = "/v1/cart/items/{itemId}", tag = "cart", operation_id = "updateCartItem",
    security((), ("bearer" = [])), request_body = SetQuantity,
    params(("itemId" = uuid::Uuid, Path), ("X-Cart-Id" = Option<uuid::Uuid>, Header, description = "A guest's cart id")),
    responses((status = 200, description = CART_DOC, body = CartView)))]
async fn update_item(
    State(state): State<AppState>,
    user: Caller,
    header: CartIdHeader,
    ApiPath(line_id): ApiPath<LineId>,
    ApiJson(change): ApiJson<SetQuantity>,
) -> ApiResult<Response> {
    let view = state
        .carts()
        .set_quantity(owner(&user, header)?, line_id, change.quantity)
        .await?;
    Ok(respond(view))
}

/// Remove a line.
#[utoipa::path(delete, path = "/v1/cart/items/{itemId}", tag = "cart", operation_id = "removeCartItem",
    security((), ("bearer" = [])),
    params(("itemId" = uuid::Uuid, Path), ("X-Cart-Id" = Option<uuid::Uuid>, Header, description = "A guest's cart id")),
    responses((status = 200, description = CART_DOC, body = CartView)))]
async fn remove_item(
    State(state): State<AppState>,
    user: Caller,
    header: CartIdHeader,
    ApiPath(line_id): ApiPath<LineId>,
) -> ApiResult<Response> {
    let view = state
        .carts()
        .remove_line(owner(&user, header)?, line_id)
        .await?;
    Ok(respond(view))
}

/// Apply a coupon code. An unknown code is refused (422 `coupon_not_found`); a known code that
/// does not apply yet is kept and explained in `priced.rejectedCoupons`.
#[utoipa::path(post, path = "/v1/cart/coupons", tag = "cart", operation_id = "applyCoupon",
    security((), ("bearer" = [])), request_body = CouponCode,
    params(("X-Cart-Id" = Option<uuid::Uuid>, Header, description = "A guest's cart id")),
    responses((status = 200, description = CART_DOC, body = CartView)))]
async fn apply_coupon(
    State(state): State<AppState>,
    user: Caller,
    header: CartIdHeader,
    ApiJson(coupon): ApiJson<CouponCode>,
) -> ApiResult<Response> {
    let view = state
        .carts()
        .apply_coupon(
            owner(&user, header)?,
            state.config().default_currency,
            &coupon.code,
        )
        .await?;
    Ok(respond(view))
}

/// Remove a coupon code.
#[utoipa::path(delete, path = "/v1/cart/coupons/{code}", tag = "cart", operation_id = "removeCoupon",
    security((), ("bearer" = [])),
    params(("code" = String, Path), ("X-Cart-Id" = Option<uuid::Uuid>, Header, description = "A guest's cart id")),
    responses((status = 200, description = CART_DOC, body = CartView)))]
async fn remove_coupon(
    State(state): State<AppState>,
    user: Caller,
    header: CartIdHeader,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Response> {
    let view = state
        .carts()
        .remove_coupon(owner(&user, header)?, &code)
        .await?;
    Ok(respond(view))
}

/// Set the shipping address (country is an ISO-3166 alpha-2 code).
#[utoipa::path(put, path = "/v1/cart/shipping-address", tag = "cart", operation_id = "setShippingAddress",
    security((), ("bearer" = [])), request_body = Address,
    params(("X-Cart-Id" = Option<uuid::Uuid>, Header, description = "A guest's cart id")),
    responses((status = 200, description = CART_DOC, body = CartView)))]
async fn set_shipping_address(
    State(state): State<AppState>,
    user: Caller,
    header: CartIdHeader,
    ApiJson(address): ApiJson<Address>,
) -> ApiResult<Response> {
    let view = state
        .carts()
        .set_shipping_address(
            owner(&user, header)?,
            state.config().default_currency,
            Some(address),
        )
        .await?;
    Ok(respond(view))
}

/// Choose the shipping method.
#[utoipa::path(put, path = "/v1/cart/shipping-method", tag = "cart", operation_id = "setShippingMethod",
    security((), ("bearer" = [])), request_body = ShippingMethodChoice,
    params(("X-Cart-Id" = Option<uuid::Uuid>, Header, description = "A guest's cart id")),
    responses((status = 200, description = CART_DOC, body = CartView)))]
async fn set_shipping_method(
    State(state): State<AppState>,
    user: Caller,
    header: CartIdHeader,
    ApiJson(choice): ApiJson<ShippingMethodChoice>,
) -> ApiResult<Response> {
    let view = state
        .carts()
        .set_shipping_method(
            owner(&user, header)?,
            state.config().default_currency,
            choice.method_id,
        )
        .await?;
    Ok(respond(view))
}
