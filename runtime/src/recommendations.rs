//! The JSON shape of a recommendation list, shared by the REST API (`/v1/recommendations/...`)
//! and `merx recs ... --json`, so a script reading one reads the other. The core's
//! [`Recommendation`] is generic over the item type and keeps raw contribution data; this is the
//! product-id form the shells print.

use merx_core::ids::ProductId;
use merx_core::recommend::{Contribution, Recommendation, Source};
use serde::Serialize;

/// A contributing product and its share of the score.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ContributionBody {
    /// A product the customer bought.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub product_id: ProductId,
    /// Its share of the score.
    pub weight: f32,
}

/// One recommended product.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RecommendationBody {
    /// The product.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub product_id: ProductId,
    /// Higher is better; comparable within one list only.
    pub score: f32,
    /// Which part of the engine put it there.
    pub source: Source,
    /// The customer's products that contributed most (for-you only; otherwise empty).
    pub because: Vec<ContributionBody>,
}

/// A list of recommendations.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RecommendationList {
    /// Best first.
    pub items: Vec<RecommendationBody>,
}

impl From<Vec<Recommendation<ProductId>>> for RecommendationList {
    fn from(recommendations: Vec<Recommendation<ProductId>>) -> Self {
        let items = recommendations
            .into_iter()
            .map(|recommendation| RecommendationBody {
                product_id: recommendation.item,
                score: recommendation.score,
                source: recommendation.source,
                because: recommendation
                    .because
                    .into_iter()
                    .map(|Contribution { item, weight }| ContributionBody {
                        product_id: item,
                        weight,
                    })
                    .collect(),
            })
            .collect();
        RecommendationList { items }
    }
}
