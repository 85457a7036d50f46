//! Store configuration for admins: promotions and coupon codes, tax settings and rates, rounding,
//! shipping methods; and the currencies the engine supports.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use merx_core::ids::{PromotionId, ShippingMethodId, TaxRateId};
use merx_core::promotion::Promotion;
use merx_core::shipping::ShippingMethod;
use merx_core::store::PricingSettings;
use merx_core::tax::TaxRate;
use merx_core::Currency;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::{Admin, ApiJson, ApiPath};
use crate::AppState;

/// The settings routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_promotions, create_promotion))
        .routes(routes!(get_promotion, update_promotion, delete_promotion))
        .routes(routes!(get_pricing_settings, put_pricing_settings))
        .routes(routes!(create_tax_rate))
        .routes(routes!(update_tax_rate, delete_tax_rate))
        .routes(routes!(list_shipping_methods, create_shipping_method))
        .routes(routes!(update_shipping_method, delete_shipping_method))
        .routes(routes!(list_currencies))
}

/// A supported currency.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CurrencyInfo {
    /// ISO-4217 code.
    pub code: String,
    /// Decimals of the minor unit (USD 2, JPY 0, KWD 3).
    pub minor_units: u32,
    /// Whether new carts use it when none is asked for.
    pub default: bool,
}

/// Every promotion (admins).
#[utoipa::path(get, path = "/v1/promotions", tag = "settings", operation_id = "listPromotions",
    security(("bearer" = [])),
    responses((status = 200, description = "Promotions", body = Vec<Promotion>)))]
async fn list_promotions(
    State(state): State<AppState>,
    admin: Admin,
) -> ApiResult<Json<Vec<Promotion>>> {
    Ok(Json(state.settings().promotions(&admin.principal()).await?))
}

/// Create a promotion, automatic or with a coupon code (admins).
#[utoipa::path(post, path = "/v1/promotions", tag = "settings", operation_id = "createPromotion",
    security(("bearer" = [])), request_body = Promotion,
    responses((status = 201, description = "The promotion", body = Promotion)))]
async fn create_promotion(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(promotion): ApiJson<Promotion>,
) -> ApiResult<impl IntoResponse> {
    let promotion = state
        .settings()
        .create_promotion(&admin.principal(), promotion)
        .await?;
    Ok((StatusCode::CREATED, Json(promotion)))
}

/// One promotion (admins).
#[utoipa::path(get, path = "/v1/promotions/{id}", tag = "settings", operation_id = "getPromotion",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The promotion", body = Promotion)))]
async fn get_promotion(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<PromotionId>,
) -> ApiResult<Json<Promotion>> {
    Ok(Json(
        state.settings().promotion(&admin.principal(), id).await?,
    ))
}

/// Replace a promotion (admins).
#[utoipa::path(put, path = "/v1/promotions/{id}", tag = "settings", operation_id = "updatePromotion",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path)),
    request_body = Promotion,
    responses((status = 200, description = "The promotion", body = Promotion)))]
async fn update_promotion(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<PromotionId>,
    ApiJson(promotion): ApiJson<Promotion>,
) -> ApiResult<Json<Promotion>> {
    Ok(Json(
        state
            .settings()
            .update_promotion(&admin.principal(), id, promotion)
            .await?,
    ))
}

/// Delete a promotion (admins).
#[utoipa::path(delete, path = "/v1/promotions/{id}", tag = "settings", operation_id = "deletePromotion",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
async fn delete_promotion(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<PromotionId>,
) -> ApiResult<StatusCode> {
    state
        .settings()
        .delete_promotion(&admin.principal(), id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Tax settings with rates, and the rounding mode (admins).
#[utoipa::path(get, path = "/v1/settings/pricing", tag = "settings", operation_id = "getPricingSettings",
    security(("bearer" = [])),
    responses((status = 200, description = "Tax settings with rates, and the rounding mode", body = PricingSettings)))]
async fn get_pricing_settings(
    State(state): State<AppState>,
    admin: Admin,
) -> ApiResult<Json<PricingSettings>> {
    Ok(Json(
        state
            .settings()
            .pricing_settings(&admin.principal())
            .await?,
    ))
}

/// Replace tax settings, tax rates and rounding (admins). Send back the `version` the settings
/// were read at: if they changed since, the write is 409 `conflict` and changes nothing (read
/// them again and reapply the change). The answer carries the new version.
#[utoipa::path(put, path = "/v1/settings/pricing", tag = "settings", operation_id = "putPricingSettings",
    security(("bearer" = [])), request_body = PricingSettings,
    responses((status = 200, description = "The settings now in force", body = PricingSettings)))]
async fn put_pricing_settings(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(settings): ApiJson<PricingSettings>,
) -> ApiResult<Json<PricingSettings>> {
    Ok(Json(
        state
            .settings()
            .put_pricing_settings(&admin.principal(), settings)
            .await?,
    ))
}

/// Add a tax rate (admins); its id is assigned by the server. Other rates and settings are
/// left as they are, whatever was changed since they were read.
#[utoipa::path(post, path = "/v1/settings/tax-rates", tag = "settings", operation_id = "createTaxRate",
    security(("bearer" = [])), request_body = TaxRate,
    responses((status = 201, description = "The tax rate", body = TaxRate)))]
async fn create_tax_rate(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(rate): ApiJson<TaxRate>,
) -> ApiResult<impl IntoResponse> {
    let rate = state
        .settings()
        .create_tax_rate(&admin.principal(), rate)
        .await?;
    Ok((StatusCode::CREATED, Json(rate)))
}

/// Replace a tax rate (admins).
#[utoipa::path(put, path = "/v1/settings/tax-rates/{id}", tag = "settings", operation_id = "updateTaxRate",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path)),
    request_body = TaxRate,
    responses((status = 200, description = "The tax rate", body = TaxRate)))]
async fn update_tax_rate(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<TaxRateId>,
    ApiJson(rate): ApiJson<TaxRate>,
) -> ApiResult<Json<TaxRate>> {
    Ok(Json(
        state
            .settings()
            .update_tax_rate(&admin.principal(), id, rate)
            .await?,
    ))
}

/// Delete a tax rate (admins).
#[utoipa::path(delete, path = "/v1/settings/tax-rates/{id}", tag = "settings", operation_id = "deleteTaxRate",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
async fn delete_tax_rate(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<TaxRateId>,
) -> ApiResult<StatusCode> {
    state
        .settings()
        .delete_tax_rate(&admin.principal(), id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Shipping methods.
#[utoipa::path(get, path = "/v1/shipping-methods", tag = "settings", operation_id = "listShippingMethods",
    responses((status = 200, description = "Shipping methods", body = Vec<ShippingMethod>)))]
async fn list_shipping_methods(
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<ShippingMethod>>> {
    Ok(Json(state.settings().shipping_methods().await?))
}

/// Create a shipping method (admins).
#[utoipa::path(post, path = "/v1/shipping-methods", tag = "settings", operation_id = "createShippingMethod",
    security(("bearer" = [])), request_body = ShippingMethod,
    responses((status = 201, description = "The shipping method", body = ShippingMethod)))]
async fn create_shipping_method(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(method): ApiJson<ShippingMethod>,
) -> ApiResult<impl IntoResponse> {
    let method = state
        .settings()
        .create_shipping_method(&admin.principal(), method)
        .await?;
    Ok((StatusCode::CREATED, Json(method)))
}

/// Replace a shipping method (admins).
#[utoipa::path(put, path = "/v1/shipping-methods/{id}", tag = "settings", operation_id = "updateShippingMethod",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path)),
    request_body = ShippingMethod,
    responses((status = 200, description = "The shipping method", body = ShippingMethod)))]
async fn update_shipping_method(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<ShippingMethodId>,
    ApiJson(method): ApiJson<ShippingMethod>,
) -> ApiResult<Json<ShippingMethod>> {
    Ok(Json(
        state
            .settings()
            .update_shipping_method(&admin.principal(), id, method)
            .await?,
    ))
}

/// Delete a shipping method (admins).
#[utoipa::path(delete, path = "/v1/shipping-methods/{id}", tag = "settings", operation_id = "deleteShippingMethod",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
async fn delete_shipping_method(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<ShippingMethodId>,
) -> ApiResult<StatusCode> {
    state
        .settings()
        .delete_shipping_method(&admin.principal(), id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The currencies the engine prices in, with their minor units.
#[utoipa::path(get, path = "/v1/currencies", tag = "settings", operation_id = "listCurrencies",
    responses((status = 200, body = Vec<CurrencyInfo>)))]
async fn list_currencies(State(state): State<AppState>) -> Json<Vec<CurrencyInfo>> {
    let default = state.config().default_currency;
    Json(
        Currency::ALL
            .iter()
            .map(|c| CurrencyInfo {
                code: c.to_string(),
                minor_units: c.minor_units(),
                default: *c == default,
            })
            .collect(),
    )
}
