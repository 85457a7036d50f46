//! The OpenAPI document against the code: every body has a typed schema, every reference
//! resolves, and what the server really sends and accepts (the core's serde types) validates
//! against the document, so the contract cannot drift from serde unnoticed.

mod common;

use std::collections::{BTreeSet, HashMap};

use common::{harness, Harness, Reply};
use serde_json::{json, Value};

/// Places where an untyped schema is the truth, with the reason. Labels are
/// `Component.property`, as the untyped-body report prints them.
const FREE_FORM: &[(&str, &str)] = &[(
    "Error.details",
    "structured details whose shape depends on the error code",
)];

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

fn document() -> Value {
    merx_server::openapi::document()
}

fn component<'d>(doc: &'d Value, reference: &str) -> Option<(&'d Value, String)> {
    let name = reference.strip_prefix("#/components/schemas/")?;
    doc["components"]["schemas"]
        .get(name)
        .map(|schema| (schema, name.to_string()))
}

fn types_of(schema: &Value) -> Vec<&str> {
    match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Records in `untyped` every place under `schema` (following references) that says nothing
/// about its value: `{}`, a bare `{"type": "object"}`, an array without items.
fn find_untyped(
    doc: &Value,
    schema: &Value,
    label: &str,
    seen: &mut BTreeSet<String>,
    untyped: &mut Vec<String>,
) {
    if FREE_FORM.iter().any(|(place, _)| *place == label) {
        return;
    }
    if let Some(reference) = schema["$ref"].as_str() {
        match component(doc, reference) {
            Some((target, name)) => {
                if seen.insert(name.clone()) {
                    find_untyped(doc, target, &name, seen, untyped);
                }
            }
            None => untyped.push(format!("{label}: dangling {reference}")),
        }
        return;
    }
    let mut typed = false;
    for combinator in ["oneOf", "anyOf", "allOf"] {
        if let Some(parts) = schema[combinator].as_array() {
            typed = true;
            for part in parts {
                find_untyped(doc, part, label, seen, untyped);
            }
        }
    }
    if schema.get("enum").is_some() || schema.get("const").is_some() {
        typed = true;
    }
    let types = types_of(schema);
    if types
        .iter()
        .any(|t| ["string", "integer", "number", "boolean", "null"].contains(t))
    {
        typed = true;
    }
    if types.contains(&"array") {
        match schema.get("items") {
            Some(items) => {
                typed = true;
                find_untyped(doc, items, &format!("{label}[]"), seen, untyped);
            }
            None => untyped.push(format!("{label}: array without items")),
        }
    }
    if let Some(properties) = schema["properties"].as_object() {
        typed = true;
        for (name, property) in properties {
            find_untyped(doc, property, &format!("{label}.{name}"), seen, untyped);
        }
    }
    if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
        typed = true;
        find_untyped(doc, values, &format!("{label}.*"), seen, untyped);
    }
    if !typed {
        untyped.push(format!("{label}: untyped {schema}"));
    }
}

/// `(operation id, what, schema)` of every request body and every response body.
fn bodies(doc: &Value) -> Vec<(String, String, Value)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let id = op["operationId"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{method} {path}"));
            for (media, content) in op["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flatten()
            {
                found.push((
                    id.clone(),
                    format!("request {media}"),
                    content["schema"].clone(),
                ));
            }
            for (status, response) in op["responses"].as_object().unwrap() {
                for (media, content) in response["content"].as_object().into_iter().flatten() {
                    found.push((
                        id.clone(),
                        format!("{status} {media}"),
                        content["schema"].clone(),
                    ));
                }
            }
        }
    }
    found
}

#[test]
fn every_request_and_response_body_is_typed() {
    let doc = document();
    let mut failures = Vec::new();
    let all = bodies(&doc);
    assert!(all.len() > 80, "only {} bodies documented", all.len());
    for (operation, what, schema) in &all {
        let mut untyped = Vec::new();
        find_untyped(&doc, schema, what, &mut BTreeSet::new(), &mut untyped);
        failures.extend(
            untyped
                .into_iter()
                .map(|place| format!("{operation} {what}: {place}")),
        );
    }
    assert!(
        failures.is_empty(),
        "operations with untyped bodies (type them, or add the place to FREE_FORM with a reason):\n{}",
        failures.join("\n")
    );
}

fn collect_refs<'d>(value: &'d Value, refs: &mut BTreeSet<&'d str>) {
    match value {
        Value::Object(map) => {
            if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                refs.insert(reference);
            }
            map.values().for_each(|child| collect_refs(child, refs));
        }
        Value::Array(items) => items.iter().for_each(|child| collect_refs(child, refs)),
        _ => {}
    }
}

#[test]
fn every_referenced_component_exists() {
    let doc = document();
    let mut refs = BTreeSet::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.contains("#/components/schemas/Order"));
    let dangling: Vec<&str> = refs
        .into_iter()
        .filter(|reference| component(&doc, reference).is_none())
        .collect();
    assert!(dangling.is_empty(), "dangling references: {dangling:?}");
}

#[test]
fn the_document_has_no_secrets_and_no_hand_copies() {
    let doc = document();
    let user = &doc["components"]["schemas"]["User"]["properties"];
    assert!(user["email"].is_object());
    assert!(user.get("passwordHash").is_none() && user.get("password_hash").is_none());
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for copy in [
        "OrderStatusDoc",
        "ProductStatusDoc",
        "UserStatusDoc",
        "PageDoc",
        "Page",
    ] {
        assert!(!schemas.contains_key(copy), "{copy} is back");
    }
    // Query parameters take the core's enums, with the core's wire names.
    let status = doc["paths"]["/v1/orders"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "status")
        .unwrap();
    let names: Vec<Value> = merx_core::order::OrderStatus::ALL
        .iter()
        .map(|s| serde_json::to_value(s).unwrap())
        .collect();
    assert_eq!(status["schema"]["enum"], Value::Array(names));
}

/// Checks `value` against `schema` as strictly as serde's output allows: required properties
/// present, no property the schema does not declare, enums, types, items, `oneOf` matching once.
struct Validator<'d> {
    doc: &'d Value,
    components: BTreeSet<String>,
}

impl<'d> Validator<'d> {
    fn new(doc: &'d Value) -> Self {
        Validator {
            doc,
            components: BTreeSet::new(),
        }
    }

    fn check(&mut self, value: &Value, schema: &'d Value, at: &str) -> Vec<String> {
        let mut errors = Vec::new();
        self.validate(value, schema, at, false, &mut errors);
        errors
    }

    /// The property names `schema` declares, through references and `allOf`.
    fn declared(&self, schema: &'d Value, names: &mut BTreeSet<String>) {
        if let Some((target, _)) = schema["$ref"].as_str().and_then(|r| component(self.doc, r)) {
            return self.declared(target, names);
        }
        if let Some(properties) = schema["properties"].as_object() {
            names.extend(properties.keys().cloned());
        }
        for part in schema["allOf"].as_array().into_iter().flatten() {
            self.declared(part, names);
        }
    }

    fn validate(
        &mut self,
        value: &Value,
        schema: &'d Value,
        at: &str,
        allow_undeclared: bool,
        errors: &mut Vec<String>,
    ) {
        if let Some(reference) = schema["$ref"].as_str() {
            match component(self.doc, reference) {
                Some((target, name)) => {
                    self.components.insert(name);
                    self.validate(value, target, at, allow_undeclared, errors);
                }
                None => errors.push(format!("{at}: dangling {reference}")),
            }
            return;
        }
        if let Some(parts) = schema["oneOf"].as_array() {
            let matching = parts
                .iter()
                .filter(|part| {
                    let mut part_errors = Vec::new();
                    let mut probe = Validator::new(self.doc);
                    probe.validate(value, part, at, allow_undeclared, &mut part_errors);
                    part_errors.is_empty()
                })
                .count();
            if matching != 1 {
                errors.push(format!(
                    "{at}: {value} matches {matching} of the oneOf schemas"
                ));
            }
            // Record the components of the matching branch.
            for part in parts {
                let mut part_errors = Vec::new();
                let mut probe = Validator::new(self.doc);
                probe.validate(value, part, at, allow_undeclared, &mut part_errors);
                if part_errors.is_empty() {
                    self.components.extend(probe.components);
                }
            }
        }
        if let Some(parts) = schema["allOf"].as_array() {
            for part in parts {
                self.validate(value, part, at, true, errors);
            }
            if !allow_undeclared {
                self.check_undeclared(value, schema, at, errors);
            }
        }
        if let Some(allowed) = schema["enum"].as_array() {
            if !allowed.contains(value) {
                errors.push(format!("{at}: {value} is not one of {allowed:?}"));
            }
        }
        let types = types_of(schema);
        if !types.is_empty() && !types.iter().any(|t| has_type(value, t)) {
            errors.push(format!("{at}: {value} is not of type {types:?}"));
            return;
        }
        if let (Some(minimum), Some(number)) = (schema["minimum"].as_f64(), value.as_f64()) {
            if number < minimum {
                errors.push(format!("{at}: {number} is below the minimum {minimum}"));
            }
        }
        if let (Some(items), Some(elements)) = (schema.get("items"), value.as_array()) {
            for (index, element) in elements.iter().enumerate() {
                self.validate(element, items, &format!("{at}[{index}]"), false, errors);
            }
        }
        let Some(object) = value.as_object() else {
            return;
        };
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap();
            if !object.contains_key(name) {
                errors.push(format!("{at}: required property `{name}` is missing"));
            }
        }
        let properties = schema["properties"].as_object();
        let additional = schema.get("additionalProperties").filter(|v| v.is_object());
        for (name, property_value) in object {
            let place = format!("{at}.{name}");
            if let Some(names) = schema.get("propertyNames") {
                self.validate(&json!(name), names, &place, false, errors);
            }
            match (properties.and_then(|p| p.get(name)), additional) {
                (Some(property), _) => {
                    self.validate(property_value, property, &place, false, errors)
                }
                (None, Some(values)) => {
                    self.validate(property_value, values, &place, false, errors)
                }
                (None, None) => {}
            }
        }
        if properties.is_some() && additional.is_none() && !allow_undeclared {
            self.check_undeclared(value, schema, at, errors);
        }
    }

    fn check_undeclared(
        &self,
        value: &Value,
        schema: &'d Value,
        at: &str,
        errors: &mut Vec<String>,
    ) {
        let mut names = BTreeSet::new();
        self.declared(schema, &mut names);
        for key in value.as_object().into_iter().flatten().map(|(k, _)| k) {
            if !names.contains(key) {
                errors.push(format!("{at}: property `{key}` is not in the schema"));
            }
        }
    }
}

fn has_type(value: &Value, t: &str) -> bool {
    match t {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    }
}

/// Calls the API and checks the request body against the operation's documented request schema
/// and the response body against the schema documented for the status it answered with.
struct Checked<'d> {
    h: Harness,
    doc: &'d Value,
    validator: Validator<'d>,
    failures: Vec<String>,
    operations: HashMap<String, usize>,
}

impl<'d> Checked<'d> {
    #[allow(clippy::too_many_arguments)]
    async fn call(
        &mut self,
        method: &str,
        template: &str,
        uri: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let op = &self.doc["paths"][template][method.to_ascii_lowercase()];
        assert!(op.is_object(), "{method} {template} is not documented");
        let id = op["operationId"].as_str().unwrap().to_string();
        *self.operations.entry(id.clone()).or_default() += 1;
        if let Some(body) = &body {
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            let errors = self.validator.check(body, schema, &format!("{id} request"));
            self.failures.extend(errors);
        }
        let reply = self.h.call(method, uri, token, headers, body).await;
        let status = reply.status.as_u16().to_string();
        let response = &op["responses"][&status];
        if !response.is_object() {
            self.failures
                .push(format!("{id}: status {status} is not documented"));
        } else if let Some(schema) = response["content"]["application/json"].get("schema") {
            let errors = self
                .validator
                .check(&reply.body, schema, &format!("{id} {status}"));
            self.failures.extend(errors);
        } else if !reply.body.is_null() {
            self.failures.push(format!(
                "{id} {status}: a body the document does not describe"
            ));
        }
        reply
    }
}

/// A shopping flow through most operations, every request and response checked against the
/// document. Orders, products and priced carts come out of the core's serde impls, so a field
/// serde writes that the schema does not declare (or a required one it leaves out) fails here.
#[tokio::test]
async fn real_requests_and_responses_match_the_document() {
    let doc = document();
    let h = harness().await;
    let admin = h.admin().await;
    let (_, customer) = h.customer("contract@example.com").await;
    let demo = h.demo.clone();
    let mut c = Checked {
        h,
        doc: &doc,
        validator: Validator::new(&doc),
        failures: Vec::new(),
        operations: HashMap::new(),
    };
    let (admin, customer) = (Some(admin.as_str()), Some(customer.as_str()));

    // Catalog.
    let products = c
        .call(
            "GET",
            "/v1/products",
            "/v1/products?limit=100",
            None,
            &[],
            None,
        )
        .await;
    assert_eq!(products.status, 200);
    c.call(
        "GET",
        "/v1/search/products",
        "/v1/search/products?q=tee&sort=price,asc",
        admin,
        &[],
        None,
    )
    .await;
    let product_id = demo.product_ids[0].to_string();
    let product = c
        .call(
            "GET",
            "/v1/products/{id}",
            &format!("/v1/products/{product_id}"),
            None,
            &[],
            None,
        )
        .await;
    let variant_id = product.body["variants"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let categories = c
        .call("GET", "/v1/categories", "/v1/categories", None, &[], None)
        .await;
    let category = c
        .call(
            "POST",
            "/v1/categories",
            "/v1/categories",
            admin,
            &[],
            Some(json!({"name": "Contract", "parentId": categories.body[0]["id"]})),
        )
        .await;
    assert_eq!(category.status, 201, "{}", category.body);
    let created = c
        .call(
            "POST",
            "/v1/products",
            "/v1/products",
            admin,
            &[],
            Some(json!({
                "name": "Contract scale", "status": "active",
                "categoryIds": [category.body["id"]],
                "attributes": {"material": "steel"},
                "images": [{"url": "https://example.invalid/scale.png", "alt": "A scale"}],
                "variants": [{
                    "sku": "SCALE-1", "prices": {"USD": "12.50", "EUR": "11.00"}, "stock": "3.5",
                    "weight": "0.25", "options": {"size": "L"},
                    "saleUnit": {"type": "measure", "unit": "kg", "precision": 3}
                }]
            })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let scale = created.body["id"].as_str().unwrap().to_string();
    let scale_variant = created.body["variants"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    c.call(
        "POST",
        "/v1/products/{id}/variants/{variantId}/stock",
        &format!("/v1/products/{scale}/variants/{scale_variant}/stock"),
        admin,
        &[],
        Some(json!({"delta": "2"})),
    )
    .await;
    c.call(
        "PUT",
        "/v1/products/{id}/variants/{variantId}/stock",
        &format!("/v1/products/{scale}/variants/{scale_variant}/stock"),
        admin,
        &[],
        Some(json!({"stock": "40"})),
    )
    .await;

    // Settings.
    c.call(
        "GET",
        "/v1/settings/pricing",
        "/v1/settings/pricing",
        admin,
        &[],
        None,
    )
    .await;
    c.call("GET", "/v1/promotions", "/v1/promotions", admin, &[], None)
        .await;
    let promotion = c
        .call(
            "POST",
            "/v1/promotions",
            "/v1/promotions",
            admin,
            &[],
            Some(json!({
                "name": "Scales: 10% off", "couponCode": "SCALES",
                "effect": {"type": "percentage_off", "percent": "10",
                           "target": {"type": "items", "productIds": [scale]}},
                "conditions": {"minSubtotal": {"USD": "1"}, "minQuantity": "1"}
            })),
        )
        .await;
    assert_eq!(promotion.status, 201, "{}", promotion.body);
    c.call(
        "GET",
        "/v1/shipping-methods",
        "/v1/shipping-methods",
        None,
        &[],
        None,
    )
    .await;
    c.call("GET", "/v1/currencies", "/v1/currencies", None, &[], None)
        .await;

    // A customer's cart, priced with a coupon, an address and a shipping method.
    c.call("GET", "/v1/cart", "/v1/cart", customer, &[], None)
        .await;
    let add = |product: &str, variant: &str, quantity: &str| json!({"productId": product, "variantId": variant, "quantity": quantity});
    c.call(
        "POST",
        "/v1/cart/items",
        "/v1/cart/items",
        customer,
        &[],
        Some(add(&product_id, &variant_id, "2")),
    )
    .await;
    c.call(
        "POST",
        "/v1/cart/items",
        "/v1/cart/items",
        customer,
        &[],
        Some(add(&scale, &scale_variant, "3.25")),
    )
    .await;
    for code in [&demo.coupon_code, "SCALES"] {
        c.call(
            "POST",
            "/v1/cart/coupons",
            "/v1/cart/coupons",
            customer,
            &[],
            Some(json!({ "code": code })),
        )
        .await;
    }
    let addressed = c
        .call(
            "PUT",
            "/v1/cart/shipping-address",
            "/v1/cart/shipping-address",
            customer,
            &[],
            Some(
                json!({"name": "Ada", "line1": "1 Main St", "city": "LA", "region": "CA",
                        "postalCode": "90001", "country": "US"}),
            ),
        )
        .await;
    let method = addressed.body["priced"]["shippingOptions"][0]["methodId"].clone();
    let cart = c
        .call(
            "PUT",
            "/v1/cart/shipping-method",
            "/v1/cart/shipping-method",
            customer,
            &[],
            Some(json!({ "methodId": method })),
        )
        .await;
    let priced = &cart.body["priced"];
    assert!(priced["shipping"].is_object(), "{priced}");
    assert!(
        !priced["taxLines"].as_array().unwrap().is_empty(),
        "{priced}"
    );
    assert!(
        !priced["appliedPromotions"].as_array().unwrap().is_empty(),
        "{priced}"
    );

    // Checkout, payment, fulfilment.
    let order = c
        .call(
            "POST",
            "/v1/orders",
            "/v1/orders",
            customer,
            &[],
            Some(json!({"email": "contract@example.com"})),
        )
        .await;
    assert_eq!(order.status, 201, "{}", order.body);
    let order_id = order.body["id"].as_str().unwrap().to_string();
    let at = |suffix: &str| format!("/v1/orders/{order_id}{suffix}");
    c.call(
        "POST",
        "/v1/orders/{id}/payments",
        &at("/payments"),
        customer,
        &[],
        Some(json!({"token": "4242424242424242"})),
    )
    .await;
    c.call(
        "GET",
        "/v1/orders/{id}/payments",
        &at("/payments"),
        customer,
        &[],
        None,
    )
    .await;
    c.call(
        "POST",
        "/v1/orders/{id}/process",
        &at("/process"),
        admin,
        &[],
        None,
    )
    .await;
    c.call(
        "POST",
        "/v1/orders/{id}/ship",
        &at("/ship"),
        admin,
        &[],
        Some(json!({"trackingNumber": "1Z999"})),
    )
    .await;
    c.call(
        "POST",
        "/v1/orders/{id}/refund",
        &at("/refund"),
        admin,
        &[],
        Some(json!({"amount": "1.00"})),
    )
    .await;
    c.call(
        "POST",
        "/v1/orders/{id}/deliver",
        &at("/deliver"),
        admin,
        &[],
        None,
    )
    .await;
    c.call("GET", "/v1/orders/{id}", &at(""), customer, &[], None)
        .await;
    c.call(
        "GET",
        "/v1/orders",
        "/v1/orders?status=delivered",
        admin,
        &[],
        None,
    )
    .await;

    // Accounts and reviews.
    c.call(
        "GET",
        "/v1/users",
        "/v1/users?status=active",
        admin,
        &[],
        None,
    )
    .await;
    c.call("GET", "/v1/users/me", "/v1/users/me", customer, &[], None)
        .await;
    let review = c
        .call(
            "POST",
            "/v1/products/{id}/reviews",
            &format!("/v1/products/{product_id}/reviews"),
            customer,
            &[],
            Some(json!({"rating": 5, "title": "Fits", "body": "As described."})),
        )
        .await;
    assert_eq!(review.status, 201, "{}", review.body);
    c.call(
        "POST",
        "/v1/reviews/{id}/hide",
        &format!("/v1/reviews/{}/hide", review.body["id"].as_str().unwrap()),
        admin,
        &[],
        None,
    )
    .await;
    c.call(
        "GET",
        "/v1/products/{id}/reviews",
        &format!("/v1/products/{product_id}/reviews?includeHidden=true"),
        admin,
        &[],
        None,
    )
    .await;

    // Recommendations and errors.
    c.call(
        "POST",
        "/v1/recommendations/train",
        "/v1/recommendations/train",
        admin,
        &[],
        None,
    )
    .await;
    c.call(
        "GET",
        "/v1/recommendations/for-you",
        "/v1/recommendations/for-you?k=5",
        customer,
        &[],
        None,
    )
    .await;
    let missing = c
        .call(
            "GET",
            "/v1/orders/{id}",
            "/v1/orders/00000000-0000-4000-8000-000000000000",
            customer,
            &[],
            None,
        )
        .await;
    assert_eq!(missing.status, 404);

    assert!(
        c.failures.is_empty(),
        "the API and its document disagree:\n{}",
        c.failures.join("\n")
    );
    for schema in [
        "Order",
        "OrderLine",
        "HistoryEntry",
        "OrderChange",
        "Actor",
        "Product",
        "Variant",
        "SaleUnit",
        "PricedCart",
        "PricedShipping",
        "TaxLine",
        "AppliedPromotion",
        "Promotion",
        "PromotionEffect",
        "Target",
        "PaymentTransaction",
        "User",
        "Review",
        "Error",
    ] {
        assert!(
            c.validator.components.contains(schema),
            "no response exercised `{schema}`"
        );
    }
}

/// The brief form of the check above for the three central types: each property the schema
/// requires is present in the core's serde output, and the output has no property the schema
/// leaves out.
#[tokio::test]
async fn order_product_and_priced_cart_schemas_match_serde() {
    let doc = document();
    let h = harness().await;
    let (_, token) = h.customer("serde@example.com").await;
    let added = h.add_to_cart(Some(&token), None, 0, "1").await;
    let order = h
        .post(
            "/v1/orders",
            Some(&token),
            json!({"email": "serde@example.com"}),
        )
        .await;
    assert_eq!(order.status, 201, "{}", order.body);
    let product = h
        .get(&format!("/v1/products/{}", h.demo.product_ids[0]), None)
        .await;
    for (name, value) in [
        ("Order", &order.body),
        ("Product", &product.body),
        ("PricedCart", &added.body["priced"]),
    ] {
        let schema = &doc["components"]["schemas"][name];
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        assert!(!required.is_empty(), "{name} requires nothing");
        let object = value.as_object().unwrap();
        for property in &required {
            assert!(
                object.contains_key(*property),
                "{name}: `{property}` is required but serde does not write it: {value}"
            );
        }
        for key in object.keys() {
            assert!(
                schema["properties"].get(key).is_some(),
                "{name}: serde writes `{key}`, which the schema does not declare"
            );
        }
    }
}

#[test]
fn every_link_names_an_existing_operation_and_its_path_parameters() {
    let doc = document();
    let mut operations: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if let Some(id) = item.get(method).and_then(|op| op["operationId"].as_str()) {
                let parameters = path
                    .split('/')
                    .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                    .map(str::to_owned)
                    .collect();
                operations.insert(id.to_string(), parameters);
            }
        }
    }
    let mut links = 0;
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            for response in op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|r| r.1)
            {
                for (name, link) in response["links"].as_object().into_iter().flatten() {
                    links += 1;
                    let target = link["operationId"].as_str().unwrap();
                    let wanted = operations
                        .get(target)
                        .unwrap_or_else(|| panic!("link {name} names no operation: {target}"));
                    let given: BTreeSet<String> = link["parameters"]
                        .as_object()
                        .unwrap()
                        .keys()
                        .cloned()
                        .collect();
                    assert_eq!(&given, wanted, "link {name} to {target}");
                }
            }
        }
    }
    assert!(links >= 30, "only {links} links");
}
