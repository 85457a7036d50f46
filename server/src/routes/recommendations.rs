//! Recommendations: "for you" for a signed-in customer, "also bought" on a product page, the
//! popular list for anyone, and an admin retrain.
//!
//! The model is fitted from the store's orders ([`merx_core::recommend::train_from_store`], the
//! same training the CLI runs) on first use and kept in the app state; `POST
//! /v1/recommendations/train` fits a new one and swaps it in atomically, so requests keep being
//! served from the old model while the new one trains. Products that cannot be sold right now
//! (inactive or out of stock) are read from the catalog on every request and never returned.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use merx_core::ids::ProductId;
use merx_core::recommend::{
    train_from_store, unavailable_from_catalog, RecommendRequest, RecommenderConfig, Trained,
    TrainingCounts,
};
use merx_core::Error;
use serde::Deserialize;
use tokio::sync::RwLock;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::{Admin, ApiPath, ApiQuery, Caller, SignedIn};
use crate::AppState;

// The lists' JSON shape is shared with `merx recs --json`, so it lives in the runtime crate.
pub use merx_runtime::recommendations::{ContributionBody, RecommendationBody, RecommendationList};

/// Items returned when `k` is not given.
pub const DEFAULT_K: usize = 10;
/// The largest `k` accepted.
pub const MAX_K: usize = 100;
/// Contributing items reported per "for you" recommendation.
const EXPLAIN: usize = 3;

/// The trained model held by the app state: empty until first used or trained.
#[derive(Debug, Default)]
pub struct ModelSlot(RwLock<Option<Arc<Trained>>>);

impl ModelSlot {
    /// The current model, training it from the store first when there is none yet.
    pub async fn current(&self, state: &AppState) -> ApiResult<Arc<Trained>> {
        if let Some(trained) = self.0.read().await.as_ref() {
            return Ok(trained.clone());
        }
        let mut slot = self.0.write().await;
        if let Some(trained) = slot.as_ref() {
            return Ok(trained.clone());
        }
        let trained = Arc::new(train(state).await?);
        *slot = Some(trained.clone());
        Ok(trained)
    }

    /// Trains a new model from the store and swaps it in; requests keep the old one meanwhile.
    pub async fn retrain(&self, state: &AppState) -> ApiResult<Arc<Trained>> {
        let trained = Arc::new(train(state).await?);
        *self.0.write().await = Some(trained.clone());
        Ok(trained)
    }
}

async fn train(state: &AppState) -> ApiResult<Trained> {
    Ok(train_from_store(state.store().as_ref(), RecommenderConfig::sar()).await?)
}

/// The recommendation routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(for_you))
        .routes(routes!(also_bought))
        .routes(routes!(popular))
        .routes(routes!(train_model))
}

/// How many items to return.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TopK {
    /// 1 to 100; 10 when absent.
    #[param(minimum = 1, maximum = 100)]
    pub k: Option<usize>,
}

impl TopK {
    fn get(&self) -> Result<usize, Error> {
        match self.k.unwrap_or(DEFAULT_K) {
            k @ 1..=MAX_K => Ok(k),
            _ => Err(Error::validation("k", format!("must be 1 to {MAX_K}"))),
        }
    }
}

async fn request(
    state: &AppState,
    k: usize,
    explain: usize,
) -> ApiResult<RecommendRequest<ProductId>> {
    let unavailable = unavailable_from_catalog(state.store().as_ref()).await?;
    Ok(RecommendRequest::top(k)
        .unavailable(unavailable)
        .explain(explain))
}

/// Products for the signed-in customer, from what they bought; popular products for a customer
/// without orders.
#[utoipa::path(get, path = "/v1/recommendations/for-you", tag = "recommendations",
    operation_id = "recommendForYou", params(TopK), security(("bearer" = [])),
    responses((status = 200, description = "Recommended products, best first", body = RecommendationList)))]
async fn for_you(
    State(state): State<AppState>,
    SignedIn(customer): SignedIn,
    ApiQuery(query): ApiQuery<TopK>,
) -> ApiResult<Json<RecommendationList>> {
    let k = query.get()?;
    let trained = state.recommendations().current(&state).await?;
    let request = request(&state, k, EXPLAIN).await?;
    let items = trained
        .recommender
        .as_ref()
        .map(|model| model.recommend_for_user(&customer.id, &request))
        .unwrap_or_default();
    Ok(Json(RecommendationList::from(items)))
}

/// Products bought together with this one.
#[utoipa::path(get, path = "/v1/products/{id}/also-bought", tag = "recommendations",
    operation_id = "alsoBought", params(("id" = uuid::Uuid, Path), TopK), security((), ("bearer" = [])),
    responses((status = 200, description = "Products, best first", body = RecommendationList)))]
async fn also_bought(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiPath(product_id): ApiPath<ProductId>,
    ApiQuery(query): ApiQuery<TopK>,
) -> ApiResult<Json<RecommendationList>> {
    let k = query.get()?;
    // A draft or archived product is as unknown here as at `GET /v1/products/{id}`.
    state.catalog().product_for(&principal, product_id).await?;
    let trained = state.recommendations().current(&state).await?;
    let request = request(&state, k, 0).await?.fill_with_popular(false);
    let items = trained
        .recommender
        .as_ref()
        .map(|model| model.also_bought(&[product_id], &request))
        .unwrap_or_default();
    Ok(Json(RecommendationList::from(items)))
}

/// The most bought products.
#[utoipa::path(get, path = "/v1/recommendations/popular", tag = "recommendations",
    operation_id = "popularProducts", params(TopK), security((), ("bearer" = [])),
    responses((status = 200, description = "Products, best first", body = RecommendationList)))]
async fn popular(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<TopK>,
) -> ApiResult<Json<RecommendationList>> {
    let k = query.get()?;
    let trained = state.recommendations().current(&state).await?;
    let request = request(&state, k, 0).await?;
    let items = trained
        .recommender
        .as_ref()
        .map(|model| model.popular(&request))
        .unwrap_or_default();
    Ok(Json(RecommendationList::from(items)))
}

/// Retrain the model from the store's orders and swap it in (admins).
#[utoipa::path(post, path = "/v1/recommendations/train", tag = "recommendations",
    operation_id = "trainRecommendations", security(("bearer" = [])),
    responses((status = 200, description = "What the new model was trained on", body = TrainingCounts)))]
async fn train_model(
    State(state): State<AppState>,
    Admin(_admin): Admin,
) -> ApiResult<Json<TrainingCounts>> {
    let trained = state.recommendations().retrain(&state).await?;
    Ok(Json(trained.counts))
}
