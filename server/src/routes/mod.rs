//! The resource modules, one `router()` each, merged into the documented API router.

pub mod cart;
pub mod catalog;
pub mod ops;
pub mod orders;
pub mod pricing;
pub mod recommendations;
pub mod reviews;
pub mod settings;
pub mod users;

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::openapi::ApiDoc;
use crate::AppState;

/// Every documented route.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(users::router())
        .merge(catalog::router())
        .merge(reviews::router())
        .merge(settings::router())
        .merge(cart::router())
        .merge(pricing::router())
        .merge(orders::router())
        .merge(recommendations::router())
        .merge(ops::documented())
}
