//! The authorization matrix: anonymous, customer A, customer B and an admin against each route.
//!
//! The matrix must name every route and method the router answers: the routes come from the
//! OpenAPI document (utoipa-axum's `routes!` registers a handler and documents it in one step,
//! so the document lists what the router serves), and a probe of the real router checks that each
//! documented path answers exactly its documented methods and nothing else. A route added without
//! a row here fails `the_matrix_covers_every_route_the_router_answers`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use common::{assert_error, harness, Harness, PASSWORD};
use serde_json::{json, Value};

/// Every `(method, path)` a matrix row has called, queries left off.
static CALLED: Mutex<BTreeSet<(String, String)>> = Mutex::new(BTreeSet::new());

/// Routes outside the OpenAPI document: the document itself and the docs page's files. Public,
/// read-only and the same for everyone; the probe below checks they answer GET only.
const UNDOCUMENTED: &[&str] = &[
    "/v1/openapi.json",
    "/v1/docs",
    "/v1/docs/swagger-ui-bundle.js",
    "/v1/docs/swagger-ui.css",
];

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "PATCH"];

/// `path template -> methods` of every route the router serves.
fn routes() -> BTreeMap<String, BTreeSet<String>> {
    let doc = merx_server::openapi::document();
    let mut routes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().expect("the document has paths") {
        for method in METHODS {
            if item.get(method.to_ascii_lowercase()).is_some() {
                routes
                    .entry(path.clone())
                    .or_default()
                    .insert(method.to_string());
            }
        }
    }
    for path in UNDOCUMENTED {
        routes
            .entry((*path).to_string())
            .or_default()
            .insert("GET".to_string());
    }
    routes
}

/// The template a concrete path was served by: same number of segments, each literal equal or a
/// `{parameter}`; of several, the one with the most literal segments (`/v1/users/me` before
/// `/v1/users/{id}`), as the router picks.
fn template_of<'r>(path: &str, templates: impl Iterator<Item = &'r String>) -> Option<&'r String> {
    let segments: Vec<&str> = path.split('/').collect();
    templates
        .filter_map(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (part, segment) in parts.iter().zip(&segments) {
                if part.starts_with('{') && part.ends_with('}') {
                    continue;
                }
                if part != segment {
                    return None;
                }
                literal += 1;
            }
            Some((literal, template))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, template)| template)
}

#[derive(Clone, Copy)]
enum Who {
    Anonymous,
    A,
    B,
    Admin,
}

struct Tokens {
    a: String,
    b: String,
    admin: String,
}

impl Tokens {
    fn of(&self, who: Who) -> Option<&str> {
        match who {
            Who::Anonymous => None,
            Who::A => Some(&self.a),
            Who::B => Some(&self.b),
            Who::Admin => Some(&self.admin),
        }
    }
}

async fn expect(
    h: &Harness,
    tokens: &Tokens,
    method: &str,
    uri: &str,
    body: Option<Value>,
    expected: [u16; 4],
) {
    CALLED.lock().unwrap().insert((
        method.to_string(),
        uri.split('?').next().unwrap_or(uri).to_string(),
    ));
    for (who, status) in [Who::Anonymous, Who::A, Who::B, Who::Admin]
        .into_iter()
        .zip(expected)
    {
        let reply = h.call(method, uri, tokens.of(who), &[], body.clone()).await;
        let label = ["anonymous", "customer A", "customer B", "admin"][who as usize];
        assert_eq!(
            reply.status.as_u16(),
            status,
            "{label} {method} {uri}: {}",
            reply.body
        );
        if status >= 400 {
            assert!(
                reply.body["code"].is_string(),
                "{label} {method} {uri}: {}",
                reply.body
            );
        }
    }
}

#[tokio::test]
async fn every_route_checks_who_is_calling() {
    let h = harness().await;
    let (a_id, mut a) = h.customer("a@shop.test").await;
    let (_b_id, b) = h.customer("b@shop.test").await;
    let admin = h.admin().await;
    let mut tokens = Tokens {
        a: a.clone(),
        b: b.clone(),
        admin: admin.clone(),
    };

    // A places an order the matrix can aim at.
    assert_eq!(h.add_to_cart(Some(&a), None, 0, "1").await.status, 200);
    let order = h.post("/v1/orders", Some(&a), json!({})).await;
    assert_eq!(order.status, 201, "{}", order.body);
    let order_id = order.body["id"].as_str().unwrap().to_string();
    let (product, variant) = h.product(1).await;
    let review = h
        .post(
            &format!("/v1/products/{product}/reviews"),
            Some(&a),
            json!({"rating": 4, "title": "Nice"}),
        )
        .await;
    assert_eq!(review.status, 201);
    let review_id = review.body["id"].as_str().unwrap().to_string();
    let new_product = json!({"name": "Matrix mug", "status": "active", "variants": [{"sku": "MATRIX-1", "prices": {"USD": "9.99"}}]});

    // Users.
    expect(
        &h,
        &tokens,
        "GET",
        &format!("/v1/users/{a_id}"),
        None,
        [401, 200, 403, 200],
    )
    .await;
    expect(
        &h,
        &tokens,
        "PUT",
        &format!("/v1/users/{a_id}"),
        Some(json!({"name": "Ada"})),
        [401, 200, 403, 200],
    )
    .await;
    expect(
        &h,
        &tokens,
        "PUT",
        &format!("/v1/users/{a_id}"),
        Some(json!({"roles": ["customer", "admin"]})),
        [401, 403, 403, 200],
    )
    .await;
    let demoted = h
        .put(
            &format!("/v1/users/{a_id}"),
            Some(&admin),
            json!({"roles": ["customer"]}),
        )
        .await;
    assert_eq!(demoted.body["roles"], json!(["customer"]));
    // A role change ends the account's sessions: A signs in again.
    assert_error(
        &h.get("/v1/users/me", Some(&a)).await,
        401,
        "session_revoked",
    );
    a = h.login("a@shop.test", PASSWORD).await;
    tokens.a = a.clone();
    expect(
        &h,
        &tokens,
        "PUT",
        &format!("/v1/users/{a_id}"),
        Some(json!({"status": "inactive"})),
        [401, 403, 403, 200],
    )
    .await;
    assert_eq!(
        h.put(
            &format!("/v1/users/{a_id}"),
            Some(&admin),
            json!({"status": "active"})
        )
        .await
        .status,
        200
    );
    // So does a change of status, and re-enabling does not bring the old token back.
    a = h.login("a@shop.test", PASSWORD).await;
    tokens.a = a.clone();
    expect(&h, &tokens, "GET", "/v1/users", None, [401, 403, 403, 200]).await;
    expect(
        &h,
        &tokens,
        "GET",
        "/v1/users/me",
        None,
        [401, 200, 200, 200],
    )
    .await;

    // Catalog writes.
    expect(
        &h,
        &tokens,
        "POST",
        "/v1/products",
        Some(new_product.clone()),
        [401, 403, 403, 201],
    )
    .await;
    let product_body = h.get(&format!("/v1/products/{product}"), None).await.body;
    expect(
        &h,
        &tokens,
        "PUT",
        &format!("/v1/products/{product}"),
        Some(product_body),
        [401, 403, 403, 200],
    )
    .await;
    expect(
        &h,
        &tokens,
        "POST",
        &format!("/v1/products/{product}/variants/{variant}/stock"),
        Some(json!({"delta": "5"})),
        [401, 403, 403, 200],
    )
    .await;
    expect(
        &h,
        &tokens,
        "PUT",
        &format!("/v1/products/{product}/variants/{variant}/stock"),
        Some(json!({"stock": "40"})),
        [401, 403, 403, 200],
    )
    .await;
    expect(
        &h,
        &tokens,
        "POST",
        "/v1/categories",
        Some(json!({"name": "Matrix"})),
        [401, 403, 403, 201],
    )
    .await;
    let doomed = h.demo.product_ids[29];
    expect(
        &h,
        &tokens,
        "DELETE",
        &format!("/v1/products/{doomed}"),
        None,
        [401, 403, 403, 204],
    )
    .await;

    // Settings.
    expect(
        &h,
        &tokens,
        "GET",
        "/v1/promotions",
        None,
        [401, 403, 403, 200],
    )
    .await;
    expect(&h, &tokens, "POST", "/v1/promotions", Some(json!({"name": "Five off", "effect": {"type": "percentage_off", "percent": "5", "target": {"type": "order"}}})), [401, 403, 403, 201]).await;
    expect(
        &h,
        &tokens,
        "GET",
        "/v1/settings/pricing",
        None,
        [401, 403, 403, 200],
    )
    .await;
    // A pricing write names the version it read.
    let version = h.get("/v1/settings/pricing", Some(&admin)).await.body["version"].clone();
    expect(
        &h,
        &tokens,
        "PUT",
        "/v1/settings/pricing",
        Some(json!({"tax": {"rates": []}, "version": version})),
        [401, 403, 403, 200],
    )
    .await;
    expect(
        &h,
        &tokens,
        "POST",
        "/v1/settings/tax-rates",
        Some(json!({"name": "VAT", "country": "DE", "percent": "19"})),
        [401, 403, 403, 201],
    )
    .await;
    let rates = h.get("/v1/settings/pricing", Some(&admin)).await.body["tax"]["rates"].clone();
    let rate_id = rates[0]["id"].as_str().unwrap().to_string();
    expect(
        &h,
        &tokens,
        "PUT",
        &format!("/v1/settings/tax-rates/{rate_id}"),
        Some(json!({"name": "VAT", "country": "DE", "percent": "20"})),
        [401, 403, 403, 200],
    )
    .await;
    expect(
        &h,
        &tokens,
        "DELETE",
        &format!("/v1/settings/tax-rates/{rate_id}"),
        None,
        [401, 403, 403, 204],
    )
    .await;
    expect(
        &h,
        &tokens,
        "POST",
        "/v1/shipping-methods",
        Some(json!({"name": "Pigeon", "rate": {"type": "flat", "amounts": {"USD": "1.00"}}})),
        [401, 403, 403, 201],
    )
    .await;
    expect(
        &h,
        &tokens,
        "GET",
        "/v1/shipping-methods",
        None,
        [200, 200, 200, 200],
    )
    .await;

    // Public reads.
    expect(
        &h,
        &tokens,
        "GET",
        "/v1/products?limit=5",
        None,
        [200, 200, 200, 200],
    )
    .await;
    expect(
        &h,
        &tokens,
        "GET",
        &format!("/v1/products/{product}/reviews"),
        None,
        [200, 200, 200, 200],
    )
    .await;
    expect(
        &h,
        &tokens,
        "GET",
        &format!("/v1/products/{product}/reviews?includeHidden=true"),
        None,
        [403, 403, 403, 200],
    )
    .await;

    // Moderation.
    expect(
        &h,
        &tokens,
        "POST",
        &format!("/v1/reviews/{review_id}/hide"),
        None,
        [401, 403, 403, 200],
    )
    .await;
    expect(
        &h,
        &tokens,
        "POST",
        &format!("/v1/reviews/{review_id}/restore"),
        None,
        [401, 403, 403, 200],
    )
    .await;

    // Orders: another customer's order does not exist for them.
    expect(
        &h,
        &tokens,
        "GET",
        &format!("/v1/orders/{order_id}"),
        None,
        [404, 200, 404, 200],
    )
    .await;
    expect(
        &h,
        &tokens,
        "GET",
        &format!("/v1/orders/{order_id}/payments"),
        None,
        [404, 200, 404, 200],
    )
    .await;
    expect(
        &h,
        &tokens,
        "POST",
        &format!("/v1/orders/{order_id}/payments"),
        Some(json!({"token": "4000000000000002"})),
        [404, 402, 404, 402],
    )
    .await;
    expect(&h, &tokens, "GET", "/v1/orders", None, [401, 200, 200, 200]).await;
    expect(
        &h,
        &tokens,
        "GET",
        &format!("/v1/orders?customerId={a_id}"),
        None,
        [401, 200, 403, 200],
    )
    .await;
    expect(
        &h,
        &tokens,
        "POST",
        &format!("/v1/orders/{order_id}/process"),
        None,
        [401, 403, 403, 200],
    )
    .await;
    expect(
        &h,
        &tokens,
        "POST",
        &format!("/v1/orders/{order_id}/ship"),
        Some(json!({"trackingNumber": "1Z"})),
        [401, 403, 403, 200],
    )
    .await;
    expect(
        &h,
        &tokens,
        "POST",
        &format!("/v1/orders/{order_id}/deliver"),
        None,
        [401, 403, 403, 200],
    )
    .await;
    expect(
        &h,
        &tokens,
        "POST",
        &format!("/v1/orders/{order_id}/cancel"),
        None,
        [401, 409, 404, 409],
    )
    .await;
    expect(
        &h,
        &tokens,
        "POST",
        &format!("/v1/orders/{order_id}/refund"),
        Some(json!({})),
        [401, 403, 403, 409],
    )
    .await;

    // Order history is each customer's own.
    let a_orders = h.get("/v1/orders", Some(&a)).await;
    assert_eq!(a_orders.body["total"], 1);
    let b_orders = h.get("/v1/orders", Some(&b)).await;
    assert_eq!(b_orders.body["total"], 0);
    let all = h.get("/v1/orders", Some(&admin)).await;
    assert_eq!(all.body["total"], 1);

    // The rest of the API, row by row: who may call each route. Public routes answer everyone
    // alike; a refusal of the input (422, 404) shows the route let the caller through.
    let request = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/pricing/request.json"
    ))
    .unwrap();
    let pricing: Value = serde_json::from_str(&request).unwrap();
    let unknown = uuid::Uuid::new_v4();
    let public: [u16; 4] = [200, 200, 200, 200];
    let admin_only = |ok: u16| [401, 403, 403, ok];
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/v1/currencies",
        "/v1/categories",
    ] {
        expect(&h, &tokens, "GET", path, None, public).await;
    }
    for path in UNDOCUMENTED {
        expect(&h, &tokens, "GET", path, None, public).await;
    }
    expect(&h, &tokens, "POST", "/v1/pricing", Some(pricing), public).await;

    // Sign-up, sign-in and password reset are open to everyone, signed in or not.
    let weak = json!({"email": "new@shop.test", "password": "short", "name": "New"});
    expect(
        &h,
        &tokens,
        "POST",
        "/v1/users",
        Some(weak.clone()),
        [422; 4],
    )
    .await;
    expect(
        &h,
        &tokens,
        "POST",
        "/v1/users/register",
        Some(weak),
        [422; 4],
    )
    .await;
    let wrong = json!({"email": "a@shop.test", "password": "not-the-password"});
    expect(
        &h,
        &tokens,
        "POST",
        "/v1/users/login",
        Some(wrong),
        [401; 4],
    )
    .await;
    let reset = json!({"email": "nobody@shop.test"});
    expect(
        &h,
        &tokens,
        "POST",
        "/v1/users/password-reset",
        Some(reset),
        [202; 4],
    )
    .await;
    let confirm = json!({"token": "not-a-token", "newPassword": "a-new-password-1"});
    expect(
        &h,
        &tokens,
        "POST",
        "/v1/users/password-reset/confirm",
        Some(confirm),
        [401; 4],
    )
    .await;

    // Catalog reads are public; category changes are for admins.
    expect(
        &h,
        &tokens,
        "GET",
        &format!("/v1/products/{product}"),
        None,
        public,
    )
    .await;
    expect(
        &h,
        &tokens,
        "GET",
        "/v1/search/products?q=mug",
        None,
        public,
    )
    .await;
    let category = h
        .post(
            "/v1/categories",
            Some(&admin),
            json!({"name": "Matrix row"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    expect(
        &h,
        &tokens,
        "PUT",
        &format!("/v1/categories/{category}"),
        Some(json!({"name": "Matrix row 2"})),
        admin_only(200),
    )
    .await;
    expect(
        &h,
        &tokens,
        "DELETE",
        &format!("/v1/categories/{category}"),
        None,
        admin_only(204),
    )
    .await;
    // Any signed-in account may review a product.
    let (reviewed, _) = h.product(2).await;
    expect(
        &h,
        &tokens,
        "POST",
        &format!("/v1/products/{reviewed}/reviews"),
        Some(json!({"rating": 5, "title": "Good"})),
        [401, 201, 201, 201],
    )
    .await;

    // Recommendations: "for you" needs an account, the lists are public, training is for admins.
    expect(
        &h,
        &tokens,
        "GET",
        "/v1/recommendations/for-you?k=3",
        None,
        [401, 200, 200, 200],
    )
    .await;
    expect(
        &h,
        &tokens,
        "GET",
        "/v1/recommendations/popular?k=3",
        None,
        public,
    )
    .await;
    expect(
        &h,
        &tokens,
        "GET",
        &format!("/v1/products/{product}/also-bought?k=3"),
        None,
        public,
    )
    .await;
    expect(
        &h,
        &tokens,
        "POST",
        "/v1/recommendations/train",
        None,
        admin_only(200),
    )
    .await;

    // One promotion and one shipping method, read, changed and deleted by admins only.
    let promotion = h
        .post(
            "/v1/promotions",
            Some(&admin),
            json!({"name": "Row", "effect": {"type": "percentage_off", "percent": "5", "target": {"type": "order"}}}),
        )
        .await
        .body;
    let promotion_id = promotion["id"].as_str().unwrap().to_string();
    let promotion_path = format!("/v1/promotions/{promotion_id}");
    expect(&h, &tokens, "GET", &promotion_path, None, admin_only(200)).await;
    let mut renamed = promotion.clone();
    renamed["name"] = json!("Row, renamed");
    expect(
        &h,
        &tokens,
        "PUT",
        &promotion_path,
        Some(renamed),
        admin_only(200),
    )
    .await;
    expect(
        &h,
        &tokens,
        "DELETE",
        &promotion_path,
        None,
        admin_only(204),
    )
    .await;
    let method = h
        .post(
            "/v1/shipping-methods",
            Some(&admin),
            json!({"name": "Row post", "rate": {"type": "flat", "amounts": {"USD": "2.00"}}}),
        )
        .await
        .body;
    let method_path = format!("/v1/shipping-methods/{}", method["id"].as_str().unwrap());
    let mut slower = method.clone();
    slower["name"] = json!("Row post, slower");
    expect(
        &h,
        &tokens,
        "PUT",
        &method_path,
        Some(slower),
        admin_only(200),
    )
    .await;
    expect(&h, &tokens, "DELETE", &method_path, None, admin_only(204)).await;

    // Checkout and the cart: everyone, guests included, works on their own cart only (the
    // carts here are empty, or were just filled by the same caller; a guest without an
    // `X-Cart-Id` has no cart to change yet).
    expect(&h, &tokens, "POST", "/v1/orders", Some(json!({})), [422; 4]).await;
    expect(&h, &tokens, "GET", "/v1/cart", None, public).await;
    let item = json!({"productId": product, "variantId": variant, "quantity": "1"});
    expect(&h, &tokens, "POST", "/v1/cart/items", Some(item), public).await;
    let line = format!("/v1/cart/items/{unknown}");
    expect(
        &h,
        &tokens,
        "PUT",
        &line,
        Some(json!({"quantity": "2"})),
        [404; 4],
    )
    .await;
    expect(&h, &tokens, "DELETE", &line, None, [404; 4]).await;
    expect(
        &h,
        &tokens,
        "POST",
        "/v1/cart/coupons",
        Some(json!({"code": "NOPE"})),
        [422; 4],
    )
    .await;
    for token in [&a, &b, &admin] {
        let applied = h
            .post(
                "/v1/cart/coupons",
                Some(token),
                json!({"code": "WELCOME10"}),
            )
            .await;
        assert_eq!(applied.status, 200, "{}", applied.body);
    }
    expect(
        &h,
        &tokens,
        "DELETE",
        "/v1/cart/coupons/WELCOME10",
        None,
        [404, 200, 200, 200],
    )
    .await;
    let address = json!({"name": "Ada", "line1": "1 Main St", "city": "Albany", "region": "NY", "postalCode": "12207", "country": "US"});
    expect(
        &h,
        &tokens,
        "PUT",
        "/v1/cart/shipping-address",
        Some(address),
        public,
    )
    .await;
    let no_such_method = json!({"methodId": unknown});
    expect(
        &h,
        &tokens,
        "PUT",
        "/v1/cart/shipping-method",
        Some(no_such_method),
        [404; 4],
    )
    .await;

    // Deleting accounts: only oneself or an admin.
    let b_id = h.get("/v1/users/me", Some(&b)).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    expect(
        &h,
        &tokens,
        "DELETE",
        &format!("/v1/users/{b_id}"),
        None,
        [401, 403, 204, 204],
    )
    .await;

    // Last: every route and method the router serves has a row above.
    let routes = routes();
    let covered: BTreeSet<(String, String)> = CALLED
        .lock()
        .unwrap()
        .iter()
        .filter_map(|(method, path)| {
            template_of(path, routes.keys()).map(|t| (method.clone(), t.clone()))
        })
        .collect();
    let missing: Vec<String> = routes
        .iter()
        .flat_map(|(template, methods)| methods.iter().map(move |m| (m.clone(), template.clone())))
        .filter(|route| !covered.contains(route))
        .map(|(method, template)| format!("{method} {template}"))
        .collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the authorization matrix:\n{}",
        missing.join("\n")
    );
}

/// A concrete path for a template: every parameter a fresh id, which no resource has.
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|part| {
            if part.starts_with('{') {
                uuid::Uuid::new_v4().to_string()
            } else {
                part.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Asks the real router which methods it serves on each path: a method no route has (`TRACE`)
/// gets 405 with `Allow` listing the methods the router holds for that path.
async fn methods_the_router_serves(h: &Harness, template: &str) -> BTreeSet<String> {
    let path = concrete(template);
    let reply = h.call("TRACE", &path, None, &[], None).await;
    assert_eq!(reply.status.as_u16(), 405, "TRACE {path}: {}", reply.body);
    let allow = reply
        .header("allow")
        .unwrap_or_else(|| panic!("405 without Allow on {path}"));
    allow
        .split(',')
        .map(|m| m.trim().to_ascii_uppercase())
        .filter(|m| !m.is_empty() && m != "HEAD")
        .collect()
}

#[tokio::test]
async fn the_router_serves_exactly_the_routes_the_matrix_checks_against() {
    let h = harness().await;
    for (template, documented) in routes() {
        let served = methods_the_router_serves(&h, &template).await;
        assert_eq!(
            served, documented,
            "{template}: the router serves {served:?}, the document lists {documented:?}"
        );
    }
    // A path the document does not have is not served at all.
    let unknown = h.get("/v1/no-such-route", None).await;
    assert_error(&unknown, 404, "not_found");
}

#[tokio::test]
async fn carts_are_private_to_their_owner() {
    let h = harness().await;
    let (_, a) = h.customer("a@shop.test").await;
    let (_, b) = h.customer("b@shop.test").await;
    let added = h.add_to_cart(Some(&a), None, 0, "2").await;
    assert_eq!(added.status, 200);
    let a_cart = added.header("x-cart-id").unwrap();

    // B signed in gets their own (empty) cart whatever X-Cart-Id says.
    let b_view = h
        .call("GET", "/v1/cart", Some(&b), &[("x-cart-id", &a_cart)], None)
        .await;
    assert_eq!(b_view.status, 200);
    assert_eq!(b_view.body["cart"]["lines"].as_array().unwrap().len(), 0);
    assert_ne!(b_view.body["cart"]["id"], a_cart.as_str());

    // A guest holding A's cart id cannot read or change it: customer carts are never guest carts.
    let guest_view = h
        .call("GET", "/v1/cart", None, &[("x-cart-id", &a_cart)], None)
        .await;
    assert_eq!(
        guest_view.body["cart"]["lines"].as_array().unwrap().len(),
        0
    );
    let line = added.body["cart"]["lines"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let guest_change = h
        .call(
            "PUT",
            &format!("/v1/cart/items/{line}"),
            None,
            &[("x-cart-id", &a_cart)],
            Some(json!({"quantity": "5"})),
        )
        .await;
    assert_eq!(guest_change.status, 404);
    let b_change = h
        .put(
            &format!("/v1/cart/items/{line}"),
            Some(&b),
            json!({"quantity": "5"}),
        )
        .await;
    assert_eq!(b_change.status, 404);

    // And B cannot check out A's cart.
    let b_checkout = h
        .call(
            "POST",
            "/v1/orders",
            Some(&b),
            &[("x-cart-id", &a_cart)],
            Some(json!({})),
        )
        .await;
    common::assert_error(&b_checkout, 422, "cart_empty");
    let a_view = h.get("/v1/cart", Some(&a)).await;
    assert_eq!(a_view.body["cart"]["lines"][0]["quantity"], "2");
}
