//! The OpenAPI 3 document, generated from the handlers' `#[utoipa::path]` annotations.
//!
//! Request and response bodies of the core's wire types (products, carts, orders...) are
//! described as JSON objects named after the core type rather than field by field: the core keeps
//! no OpenAPI derives, so that it stays free of server concerns, and a hand-written copy of every
//! field here would drift. The envelopes the server owns (errors, pages, tokens) are exact.
//! Every operation also lists the error statuses the error table can produce, so clients and
//! schema checkers know the full set of answers.

use serde::Serialize;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{Schema, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi, RefOr};
use utoipa::{Modify, PartialSchema, ToSchema};

/// The error body: `{"code", "message", "details"?}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorDoc {
    /// Stable snake_case code from the core's error table.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
    /// Structured details, when useful.
    #[schema(nullable = false)]
    pub details: Option<serde_json::Value>,
}

/// A page of results.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Page)]
pub struct PageDoc {
    /// Matches over all pages.
    pub total: u64,
    /// This page's number (1-based).
    pub page: u32,
    /// The page size.
    pub limit: u32,
    /// The records of this page.
    pub data: Vec<serde_json::Value>,
}

/// Order statuses, for query parameters.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum OrderStatusDoc {
    /// Placed, not yet worked on.
    Pending,
    /// Being prepared.
    Processing,
    /// Handed to the carrier.
    Shipped,
    /// Arrived.
    Delivered,
    /// Cancelled.
    Cancelled,
}

/// Account statuses, for query parameters.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum UserStatusDoc {
    /// May sign in.
    Active,
    /// Disabled or deleted.
    Inactive,
}

/// Product statuses, for query parameters.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ProductStatusDoc {
    /// Being prepared.
    Draft,
    /// On sale.
    Active,
    /// Withdrawn.
    Archived,
}

/// The statuses added to every operation, with what they mean here.
const ERROR_STATUSES: &[(&str, &str)] = &[
    (
        "400",
        "Malformed request: unparseable JSON, query or path parameter",
    ),
    ("401", "Missing, invalid or expired access token"),
    ("403", "The caller's role or account does not allow this"),
    ("404", "Not found or not visible to the caller"),
    ("405", "Method not allowed"),
    (
        "409",
        "Conflict: stock, state transition, version or uniqueness",
    ),
    ("413", "Request body too large"),
    ("414", "Request URI (path and query) too long"),
    ("422", "Validation failed"),
    ("429", "Rate limited; see Retry-After"),
    (
        "500",
        "Internal error (details in the server log under the request id)",
    ),
    ("503", "The store is unavailable"),
];

fn error_response(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                Content::new(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                    "Error",
                )))),
            )
            .build(),
    )
}

/// Optional parameters are left out when absent, never sent as `null`; the generator marks
/// `Option<T>` parameters nullable, which would tell clients that a literal `null` works.
fn strip_null(schema: &mut Option<RefOr<Schema>>) {
    if let Some(RefOr::T(Schema::Object(object))) = schema {
        if let SchemaType::Array(types) = &object.schema_type {
            let kept: Vec<Type> = types
                .iter()
                .filter(|t| **t != Type::Null)
                .cloned()
                .collect();
            object.schema_type = match kept.as_slice() {
                [single] => SchemaType::Type(single.clone()),
                _ => SchemaType::Array(kept),
            };
        }
    }
}

struct Finish;

impl Modify for Finish {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components
            .schemas
            .insert("Error".into(), ErrorDoc::schema());
        components.schemas.insert("Page".into(), PageDoc::schema());
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                for param in op.parameters.iter_mut().flatten() {
                    strip_null(&mut param.schema);
                }
                for (status, description) in ERROR_STATUSES {
                    op.responses
                        .responses
                        .entry((*status).to_string())
                        .or_insert_with(|| error_response(description));
                }
                if op
                    .operation_id
                    .as_deref()
                    .is_some_and(|id| id.contains("pay"))
                {
                    for (status, description) in [
                        ("402", "The payment was declined"),
                        ("502", "The payment provider failed"),
                    ] {
                        op.responses
                            .responses
                            .entry(status.to_string())
                            .or_insert_with(|| error_response(description));
                    }
                }
            }
        }
    }
}

/// The document's fixed parts: title, version, servers, tags.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    info(
        title = "Merx API",
        description = "REST API of the Merx commerce engine. JSON everywhere, camelCase fields, \
                       decimals as strings. Errors are `{\"code\", \"message\", \"details\"?}`. \
                       Sign in with `POST /v1/users/login` and send `Authorization: Bearer <token>`; \
                       guests send back the `X-Cart-Id` their first cart change returned.",
        license(name = "MIT OR Apache-2.0")
    ),
    tags(
        (name = "users", description = "Accounts, sign-in, password reset"),
        (name = "catalog", description = "Products, categories, stock, search"),
        (name = "reviews", description = "Product reviews and moderation"),
        (name = "settings", description = "Promotions, tax, shipping, currencies (admin)"),
        (name = "cart", description = "The caller's cart, always priced"),
        (name = "orders", description = "Checkout, order history, transitions, payments"),
        (name = "recommendations", description = "For you, also bought, popular, retraining"),
        (name = "ops", description = "Health, readiness, metrics, documentation")
    )
)]
pub struct ApiDoc;

/// Adds security schemes, the shared schemas and the error statuses to a generated document.
pub fn finish(mut openapi: OpenApi) -> OpenApi {
    Finish.modify(&mut openapi);
    openapi
}
