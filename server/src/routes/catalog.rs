//! The catalog: product search and reads for everyone, product, category and stock writes for
//! admins.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use merx_core::catalog::{Category, Product, ProductStatus};
use merx_core::ids::{CategoryId, ProductId, VariantId};
use merx_core::listing::{PageRequest, Paged};
use merx_core::principal::Principal;
use merx_core::search::{ProductSearch, ProductSort};
use merx_core::store::StockLevel;
use merx_core::Currency;
use rust_decimal::Decimal;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::{Admin, ApiJson, ApiPath, ApiQuery, Caller};
use crate::AppState;

/// The catalog routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_products, create_product))
        .routes(routes!(search_products))
        .routes(routes!(get_product, update_product, delete_product))
        .routes(routes!(adjust_stock, set_stock))
        .routes(routes!(list_categories, create_category))
        .routes(routes!(update_category, delete_category))
}

/// Catalog query: full text, filters, sort and page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    /// Full-text query over name, description, categories and SKUs.
    pub q: Option<String>,
    /// Only this category and its descendants.
    #[param(value_type = Option<uuid::Uuid>)]
    pub category_id: Option<CategoryId>,
    /// Lowest price, inclusive (decimal string).
    #[param(value_type = Option<String>, pattern = r"^\d{1,12}(\.\d{1,4})?$")]
    pub min_price: Option<Decimal>,
    /// Highest price, inclusive (decimal string).
    #[param(value_type = Option<String>, pattern = r"^\d{1,12}(\.\d{1,4})?$")]
    pub max_price: Option<Decimal>,
    /// Only products that can (`true`) or cannot (`false`) be bought now.
    pub in_stock: Option<bool>,
    /// `relevance`, `newest`, `price,asc`, `price,desc`, `name,asc`, `name,desc`.
    pub sort: Option<String>,
    /// ISO-4217 currency of prices (default: the store's).
    #[param(pattern = "^([A-Za-z]{3})?$")]
    pub currency: Option<String>,
    /// Only products in this status (admins; shoppers always see active products).
    #[param(inline)]
    pub status: Option<ProductStatus>,
    /// 1-based page (default 1).
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// A stock change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StockAdjustment {
    /// Units to add (negative to remove), as a decimal string or number.
    #[schema(value_type = String, format = "decimal", example = "5")]
    pub delta: Decimal,
}

/// A stocktake: the units on hand.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StockCount {
    /// Units on hand, as a decimal string or number.
    #[schema(value_type = String, format = "decimal", example = "25")]
    pub stock: Decimal,
}

async fn search(
    state: &AppState,
    principal: &Principal,
    query: ProductQuery,
) -> ApiResult<Paged<Product>> {
    let request = PageRequest::new(query.page, query.limit)?;
    // An empty parameter (`currency=`) means the same as a missing one.
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let currency = match given(&query.currency) {
        Some(code) => Currency::from_code(&code)?,
        None => state.config().default_currency,
    };
    let search = ProductSearch {
        text: query.q,
        category_id: query.category_id,
        currency,
        min_price: query.min_price,
        max_price: query.max_price,
        in_stock: query.in_stock,
        status: query.status,
        sort: match given(&query.sort) {
            Some(sort) => ProductSort::parse(&sort)?,
            None => ProductSort::Relevance,
        },
        page: request.to_page()?,
    };
    let found = state.catalog().search(principal, search).await?;
    Ok(Paged {
        total: found.total,
        page: request.page,
        limit: request.limit,
        data: found.items,
    })
}

/// Products: full text (`q`), filters, sort (`sort=price,asc`) and pages.
#[utoipa::path(get, path = "/v1/products", tag = "catalog", operation_id = "listProducts",
    params(ProductQuery), security((), ("bearer" = [])),
    responses((status = 200, description = "A page of products", body = Paged<Product>)))]
async fn list_products(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiQuery(query): ApiQuery<ProductQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(search(&state, &principal, query).await?))
}

/// Product search (the same as `GET /v1/products`).
#[utoipa::path(get, path = "/v1/search/products", tag = "catalog", operation_id = "searchProducts",
    params(ProductQuery), security((), ("bearer" = [])),
    responses((status = 200, description = "A page of products", body = Paged<Product>)))]
async fn search_products(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiQuery(query): ApiQuery<ProductQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(search(&state, &principal, query).await?))
}

/// One product (shoppers see active products only).
#[utoipa::path(get, path = "/v1/products/{id}", tag = "catalog", operation_id = "getProduct",
    params(("id" = uuid::Uuid, Path)), security((), ("bearer" = [])),
    responses((status = 200, description = "The product", body = Product)))]
async fn get_product(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiPath(id): ApiPath<ProductId>,
) -> ApiResult<Json<Product>> {
    Ok(Json(state.catalog().product_for(&principal, id).await?))
}

/// Create a product (admins). Ids and timestamps are assigned by the server.
#[utoipa::path(post, path = "/v1/products", tag = "catalog", operation_id = "createProduct",
    security(("bearer" = [])), request_body = Product,
    responses((status = 201, description = "The product", body = Product)))]
async fn create_product(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(product): ApiJson<Product>,
) -> ApiResult<impl IntoResponse> {
    let product = state
        .catalog()
        .create_product(&admin.principal(), product)
        .await?;
    Ok((StatusCode::CREATED, Json(product)))
}

/// Replace a product (admins); stock of existing variants is kept.
#[utoipa::path(put, path = "/v1/products/{id}", tag = "catalog", operation_id = "updateProduct",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path)),
    request_body = Product,
    responses((status = 200, description = "The product", body = Product)))]
async fn update_product(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<ProductId>,
    ApiJson(product): ApiJson<Product>,
) -> ApiResult<Json<Product>> {
    Ok(Json(
        state
            .catalog()
            .update_product(&admin.principal(), id, product)
            .await?,
    ))
}

/// Delete a product (admins).
#[utoipa::path(delete, path = "/v1/products/{id}", tag = "catalog", operation_id = "deleteProduct",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
async fn delete_product(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<ProductId>,
) -> ApiResult<StatusCode> {
    state
        .catalog()
        .delete_product(&admin.principal(), id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add or remove stock of a variant (admins); emits `InventoryUpdated`.
#[utoipa::path(post, path = "/v1/products/{id}/variants/{variantId}/stock", tag = "catalog",
    operation_id = "adjustStock", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path), ("variantId" = uuid::Uuid, Path)),
    request_body = StockAdjustment,
    responses((status = 200, description = "The stock level after the change", body = StockLevel)))]
async fn adjust_stock(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, variant_id)): ApiPath<(ProductId, VariantId)>,
    ApiJson(adjustment): ApiJson<StockAdjustment>,
) -> ApiResult<Json<StockLevel>> {
    Ok(Json(
        state
            .catalog()
            .adjust_stock(&admin.principal(), id, variant_id, adjustment.delta)
            .await?,
    ))
}

/// Set the units on hand of a variant (admins), in one write; emits `InventoryUpdated`.
#[utoipa::path(put, path = "/v1/products/{id}/variants/{variantId}/stock", tag = "catalog",
    operation_id = "setStock", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path), ("variantId" = uuid::Uuid, Path)),
    request_body = StockCount,
    responses((status = 200, description = "The stock level after the change", body = StockLevel)))]
async fn set_stock(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, variant_id)): ApiPath<(ProductId, VariantId)>,
    ApiJson(count): ApiJson<StockCount>,
) -> ApiResult<Json<StockLevel>> {
    Ok(Json(
        state
            .catalog()
            .set_stock(&admin.principal(), id, variant_id, count.stock)
            .await?,
    ))
}

/// Every category (a tree through `parentId`).
#[utoipa::path(get, path = "/v1/categories", tag = "catalog", operation_id = "listCategories",
    responses((status = 200, description = "Categories", body = Vec<Category>)))]
async fn list_categories(State(state): State<AppState>) -> ApiResult<Json<Vec<Category>>> {
    Ok(Json(state.catalog().categories().await?))
}

/// Create a category (admins).
#[utoipa::path(post, path = "/v1/categories", tag = "catalog", operation_id = "createCategory",
    security(("bearer" = [])), request_body = Category,
    responses((status = 201, description = "The category", body = Category)))]
async fn create_category(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(category): ApiJson<Category>,
) -> ApiResult<impl IntoResponse> {
    let category = state
        .catalog()
        .create_category(&admin.principal(), category)
        .await?;
    Ok((StatusCode::CREATED, Json(category)))
}

/// Replace a category (admins).
#[utoipa::path(put, path = "/v1/categories/{id}", tag = "catalog", operation_id = "updateCategory",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path)),
    request_body = Category,
    responses((status = 200, description = "The category", body = Category)))]
async fn update_category(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<CategoryId>,
    ApiJson(category): ApiJson<Category>,
) -> ApiResult<Json<Category>> {
    Ok(Json(
        state
            .catalog()
            .update_category(&admin.principal(), id, category)
            .await?,
    ))
}

/// Delete a category without children (admins).
#[utoipa::path(delete, path = "/v1/categories/{id}", tag = "catalog", operation_id = "deleteCategory",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
async fn delete_category(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<CategoryId>,
) -> ApiResult<StatusCode> {
    state
        .catalog()
        .delete_category(&admin.principal(), id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
