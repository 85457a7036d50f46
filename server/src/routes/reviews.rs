//! Product reviews: read by everyone, written by signed-in customers, moderated by moderators
//! and admins.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use merx_core::ids::{ProductId, ReviewId};
use merx_core::review::{Review, ReviewInput};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, SignedIn};
use crate::AppState;

/// The review routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_reviews, submit_review))
        .routes(routes!(hide_review))
        .routes(routes!(restore_review))
}

/// Review list options.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ReviewQuery {
    /// Include hidden reviews (moderators and admins).
    pub include_hidden: Option<bool>,
}

/// A product's reviews, newest first.
#[utoipa::path(get, path = "/v1/products/{id}/reviews", tag = "reviews", operation_id = "listReviews",
    params(("id" = uuid::Uuid, Path), ReviewQuery), security((), ("bearer" = [])),
    responses((status = 200, description = "Reviews, newest first", body = Vec<Review>)))]
async fn list_reviews(
    State(state): State<AppState>,
    Caller(viewer): Caller,
    ApiPath(product_id): ApiPath<ProductId>,
    ApiQuery(query): ApiQuery<ReviewQuery>,
) -> ApiResult<Json<Vec<Review>>> {
    let include_hidden = query.include_hidden.unwrap_or(false);
    Ok(Json(
        state
            .reviews()
            .for_product(&viewer, product_id, include_hidden)
            .await?,
    ))
}

/// Review a product (one review per customer and product).
#[utoipa::path(post, path = "/v1/products/{id}/reviews", tag = "reviews", operation_id = "submitReview",
    params(("id" = uuid::Uuid, Path)), security(("bearer" = [])), request_body = ReviewInput,
    responses((status = 201, description = "The review", body = Review)))]
async fn submit_review(
    State(state): State<AppState>,
    author: SignedIn,
    ApiPath(product_id): ApiPath<ProductId>,
    ApiJson(input): ApiJson<ReviewInput>,
) -> ApiResult<impl IntoResponse> {
    let review = state
        .reviews()
        .submit(&author.principal(), product_id, input)
        .await?;
    Ok((StatusCode::CREATED, Json(review)))
}

/// Hide a review (moderators and admins).
#[utoipa::path(post, path = "/v1/reviews/{id}/hide", tag = "reviews", operation_id = "hideReview",
    params(("id" = uuid::Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, description = "The review", body = Review)))]
async fn hide_review(
    State(state): State<AppState>,
    moderator: SignedIn,
    ApiPath(id): ApiPath<ReviewId>,
) -> ApiResult<Json<Review>> {
    Ok(Json(
        state.reviews().hide(&moderator.principal(), id).await?,
    ))
}

/// Show a hidden review again (moderators and admins).
#[utoipa::path(post, path = "/v1/reviews/{id}/restore", tag = "reviews", operation_id = "restoreReview",
    params(("id" = uuid::Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, description = "The review", body = Review)))]
async fn restore_review(
    State(state): State<AppState>,
    moderator: SignedIn,
    ApiPath(id): ApiPath<ReviewId>,
) -> ApiResult<Json<Review>> {
    Ok(Json(
        state.reviews().restore(&moderator.principal(), id).await?,
    ))
}
