//! The authorization matrix: anonymous, customer A, customer B and an admin against each route.

mod common;

use common::{assert_error, harness, Harness, PASSWORD};
use serde_json::{json, Value};

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
