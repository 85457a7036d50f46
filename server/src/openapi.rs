//! The OpenAPI 3 document, generated from the handlers' `#[utoipa::path]` annotations.
//!
//! Request and response bodies are the core's own serde types (products, carts, orders, the
//! error body...), documented by the schemas merx-core derives behind its `openapi` feature, so
//! the document says field by field what serde reads and writes and cannot drift from it; the
//! server writes no copy of a core type or enum. `tests/openapi.rs` checks that every body is
//! typed and that required properties match serialized values. Every operation also lists the
//! error statuses the error table can produce, so clients and schema checkers know the full set
//! of answers.

use std::collections::HashMap;

use serde_json::Value;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{Schema, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi, RefOr};
use utoipa::Modify;

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
        (name = "pricing", description = "Pricing a cart with given rules, without a store"),
        (name = "orders", description = "Checkout, order history, transitions, payments"),
        (name = "recommendations", description = "For you, also bought, popular, retraining"),
        (name = "ops", description = "Health, readiness, metrics, documentation")
    ),
    // The error body every error status refers to, and the events webhooks and NATS deliver,
    // which no operation names.
    components(schemas(merx_core::ErrorBody, merx_core::event::OutboxEvent))
)]
pub struct ApiDoc;

/// Adds security schemes and the error statuses to a generated document, refers to named
/// components where the generator inlined them, and adds the response links.
pub fn finish(mut openapi: OpenApi) -> Value {
    Finish.modify(&mut openapi);
    let mut document =
        serde_json::to_value(&openapi).expect("an OpenAPI document always serializes");
    refer_to_inlined_components(&mut document);
    add_links(&mut document);
    document
}

/// `(operation, status, [(link name, target operation, [(parameter, runtime expression)])])`:
/// where the id a response carries can be used next. Clients read them as documentation;
/// Schemathesis follows them in its stateful phase, so it reaches real products, orders and
/// users instead of guessing ids that do not exist.
type LinkTable = &'static [(
    &'static str,
    &'static str,
    &'static [(
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
    )],
)];

const ID: &[(&str, &str)] = &[("id", "$response.body#/id")];
const VARIANT: &[(&str, &str)] = &[
    ("id", "$response.body#/id"),
    ("variantId", "$response.body#/variants/0/id"),
];
const LINE: &[(&str, &str)] = &[("itemId", "$response.body#/cart/lines/0/id")];
const COUPON: &[(&str, &str)] = &[("code", "$request.body#/code")];

const LINKS: LinkTable = &[
    (
        "createProduct",
        "201",
        &[
            ("GetProduct", "getProduct", ID),
            ("UpdateProduct", "updateProduct", ID),
            ("AdjustStock", "adjustStock", VARIANT),
            ("SetStock", "setStock", VARIANT),
            ("ListReviews", "listReviews", ID),
            ("SubmitReview", "submitReview", ID),
            ("AlsoBought", "alsoBought", ID),
            ("DeleteProduct", "deleteProduct", ID),
        ],
    ),
    (
        "createCategory",
        "201",
        &[
            ("UpdateCategory", "updateCategory", ID),
            ("DeleteCategory", "deleteCategory", ID),
        ],
    ),
    (
        "createPromotion",
        "201",
        &[
            ("GetPromotion", "getPromotion", ID),
            ("UpdatePromotion", "updatePromotion", ID),
            ("DeletePromotion", "deletePromotion", ID),
        ],
    ),
    (
        "createTaxRate",
        "201",
        &[
            ("UpdateTaxRate", "updateTaxRate", ID),
            ("DeleteTaxRate", "deleteTaxRate", ID),
        ],
    ),
    (
        "createShippingMethod",
        "201",
        &[
            ("UpdateShippingMethod", "updateShippingMethod", ID),
            ("DeleteShippingMethod", "deleteShippingMethod", ID),
        ],
    ),
    (
        "checkout",
        "201",
        &[
            ("GetOrder", "getOrder", ID),
            ("ListPayments", "listPayments", ID),
            ("PayOrder", "payOrder", ID),
            ("ProcessOrder", "processOrder", ID),
            ("ShipOrder", "shipOrder", ID),
            ("DeliverOrder", "deliverOrder", ID),
            ("RefundOrder", "refundOrder", ID),
            ("CancelOrder", "cancelOrder", ID),
        ],
    ),
    (
        "submitReview",
        "201",
        &[
            ("HideReview", "hideReview", ID),
            ("RestoreReview", "restoreReview", ID),
        ],
    ),
    (
        "registerUser",
        "201",
        &[
            ("GetUser", "getUser", ID),
            ("UpdateUser", "updateUser", ID),
            ("DeleteUser", "deleteUser", ID),
        ],
    ),
    (
        "addCartItem",
        "200",
        &[
            ("UpdateCartItem", "updateCartItem", LINE),
            ("RemoveCartItem", "removeCartItem", LINE),
        ],
    ),
    (
        "applyCoupon",
        "200",
        &[("RemoveCoupon", "removeCoupon", COUPON)],
    ),
];

fn add_links(document: &mut Value) {
    let Some(Value::Object(paths)) = document.get_mut("paths") else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for operation in item.values_mut() {
            let Some(id) = operation["operationId"].as_str().map(str::to_owned) else {
                continue;
            };
            for (source, status, links) in LINKS {
                if *source != id {
                    continue;
                }
                let Some(response) = operation.pointer_mut(&format!("/responses/{status}")) else {
                    continue;
                };
                let table: serde_json::Map<String, Value> = links
                    .iter()
                    .map(|(name, target, parameters)| {
                        let parameters: serde_json::Map<String, Value> = parameters
                            .iter()
                            .map(|(p, e)| ((*p).to_string(), Value::String((*e).to_string())))
                            .collect();
                        (
                            (*name).to_string(),
                            serde_json::json!({ "operationId": target, "parameters": parameters }),
                        )
                    })
                    .collect();
                response["links"] = Value::Object(table);
            }
        }
    }
}

/// The whole document as `/v1/openapi.json` serves it; it needs no state, so tools and tests can
/// produce it without a store.
pub fn document() -> Value {
    let (_, openapi) = crate::routes::api_router().split_for_parts();
    finish(openapi)
}

/// utoipa composes a generic schema (`Paged<Order>`) with its type argument's schema copied in,
/// so a typed client would generate an anonymous twin of `Order` inside every page type. Each
/// object schema (one with `properties`) that equals a named component is replaced by a `$ref`
/// to that component.
fn refer_to_inlined_components(document: &mut Value) {
    let Some(Value::Object(schemas)) = document.pointer_mut("/components/schemas") else {
        return;
    };
    let named: HashMap<String, String> = schemas
        .iter()
        .filter(|(_, schema)| schema.get("properties").is_some())
        .map(|(name, schema)| (schema.to_string(), name.clone()))
        .collect();
    for schema in schemas.values_mut() {
        replace_copies(schema, &named, true);
    }
    if let Some(paths) = document.get_mut("paths") {
        replace_copies(paths, &named, false);
    }
}

fn replace_copies(value: &mut Value, named: &HashMap<String, String>, is_root: bool) {
    if !is_root && value.get("properties").is_some() {
        if let Some(name) = named.get(&value.to_string()) {
            *value = serde_json::json!({ "$ref": format!("#/components/schemas/{name}") });
            return;
        }
    }
    match value {
        Value::Object(map) => map
            .values_mut()
            .for_each(|child| replace_copies(child, named, false)),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|child| replace_copies(child, named, false)),
        _ => {}
    }
}
