//! Recommendations over HTTP: who may call what, "for you" from co-purchases, "also bought",
//! popular fallback, availability filtering and the admin retrain.

mod common;

use common::{assert_error, harness, Harness};
use merx_core::catalog::ProductStatus;
use serde_json::{json, Value};

/// Puts demo products `indexes` in the cart of `token` and places the order.
async fn buy(h: &Harness, token: &str, indexes: &[usize]) {
    for &index in indexes {
        let reply = h.add_to_cart(Some(token), None, index, "1").await;
        assert!(reply.status.is_success(), "{}", reply.body);
    }
    let order = h.post("/v1/orders", Some(token), json!({})).await;
    assert_eq!(order.status, 201, "{}", order.body);
}

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["productId"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_customer_who_bought_a_gets_what_others_bought_with_a() {
    let h = harness().await;
    let (a, _) = h.product(0).await;
    let (b, _) = h.product(1).await;
    let (c, _) = h.product(2).await;
    let (_, alice) = h.customer("alice@shop.test").await;
    let (_, bob) = h.customer("bob@shop.test").await;
    let (_, carol) = h.customer("carol@shop.test").await;
    buy(&h, &alice, &[0, 1]).await;
    buy(&h, &carol, &[0, 1]).await;
    buy(&h, &carol, &[2]).await;
    buy(&h, &bob, &[0]).await;

    // Trained lazily on this first request.
    let for_bob = h.get("/v1/recommendations/for-you?k=5", Some(&bob)).await;
    assert_eq!(for_bob.status, 200, "{}", for_bob.body);
    let first = &for_bob.body["items"][0];
    assert_eq!(first["productId"], b.as_str());
    assert_eq!(first["source"], "collaborative");
    assert_eq!(first["because"][0]["productId"], a.as_str());
    assert!(first["score"].as_f64().unwrap() > 0.0);
    assert!(!ids(&for_bob.body).contains(&a), "already bought");

    let also = h
        .get(&format!("/v1/products/{a}/also-bought?k=3"), None)
        .await;
    assert_eq!(also.status, 200, "{}", also.body);
    assert_eq!(ids(&also.body)[0], b);
    assert!(!ids(&also.body).contains(&a));

    let popular = h.get("/v1/recommendations/popular?k=2", None).await;
    assert_eq!(popular.status, 200, "{}", popular.body);
    assert_eq!(ids(&popular.body), vec![a.clone(), b.clone()]);
    assert_eq!(popular.body["items"][0]["source"], "popular");

    // No history: the popular list.
    let (_, dave) = h.customer("dave@shop.test").await;
    let for_dave = h.get("/v1/recommendations/for-you?k=3", Some(&dave)).await;
    assert_eq!(for_dave.status, 200);
    assert_eq!(ids(&for_dave.body), vec![a.clone(), b.clone(), c.clone()]);
    assert_eq!(for_dave.body["items"][0]["source"], "popular");

    // A product that cannot be sold is never recommended.
    let mut archived = h.store.get_product(b.parse().unwrap()).await.unwrap();
    archived.status = ProductStatus::Archived;
    h.store.put_product(archived).await.unwrap();
    let for_bob = h.get("/v1/recommendations/for-you", Some(&bob)).await;
    assert!(!ids(&for_bob.body).contains(&b));
    let also = h.get(&format!("/v1/products/{a}/also-bought"), None).await;
    assert!(!ids(&also.body).contains(&b));

    // Nor does it have an "also bought" list a shopper could use to learn that it exists; the
    // admin, who can see it, still gets one.
    let hidden = h.get(&format!("/v1/products/{b}/also-bought"), None).await;
    assert_error(&hidden, 404, "not_found");
    let hidden = h
        .get(&format!("/v1/products/{b}/also-bought"), Some(&bob))
        .await;
    assert_error(&hidden, 404, "not_found");
    let admin = h.admin().await;
    let seen = h
        .get(&format!("/v1/products/{b}/also-bought"), Some(&admin))
        .await;
    assert_eq!(seen.status, 200, "{}", seen.body);
}

#[tokio::test]
async fn only_admins_retrain_and_the_new_model_is_swapped_in() {
    let h = harness().await;
    let admin = h.admin().await;
    let (_, alice) = h.customer("alice@shop.test").await;

    assert_error(
        &h.post("/v1/recommendations/train", None, json!({})).await,
        401,
        "unauthenticated",
    );
    assert_error(
        &h.post("/v1/recommendations/train", Some(&alice), json!({}))
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &h.get("/v1/recommendations/for-you", None).await,
        401,
        "unauthenticated",
    );

    // No orders yet: empty lists, not an error.
    let popular = h.get("/v1/recommendations/popular", None).await;
    assert_eq!(popular.status, 200);
    assert_eq!(popular.body["items"], json!([]));
    let empty = h
        .post("/v1/recommendations/train", Some(&admin), json!({}))
        .await;
    assert_eq!(empty.status, 200, "{}", empty.body);
    assert_eq!(
        empty.body,
        json!({"orders": 0, "interactions": 0, "users": 0, "products": 0})
    );

    buy(&h, &alice, &[0, 1]).await;
    // The held model is kept until a retrain.
    let stale = h.get("/v1/recommendations/popular", None).await;
    assert_eq!(stale.body["items"], json!([]));
    let trained = h
        .post("/v1/recommendations/train", Some(&admin), json!({}))
        .await;
    assert_eq!(trained.status, 200, "{}", trained.body);
    assert_eq!(
        trained.body,
        json!({"orders": 1, "interactions": 2, "users": 1, "products": 2})
    );
    let fresh = h.get("/v1/recommendations/popular", Some(&alice)).await;
    assert_eq!(fresh.body["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn bad_k_and_unknown_products_are_refused() {
    let h = harness().await;
    for k in ["0", "101"] {
        let reply = h
            .get(&format!("/v1/recommendations/popular?k={k}"), None)
            .await;
        assert_error(&reply, 422, "validation_failed");
    }
    let not_a_number = h.get("/v1/recommendations/popular?k=ten", None).await;
    assert_error(&not_a_number, 400, "malformed_request");
    let missing = h
        .get(
            "/v1/products/00000000-0000-4000-8000-000000000000/also-bought",
            None,
        )
        .await;
    assert_error(&missing, 404, "not_found");

    let doc = h.get("/v1/openapi.json", None).await;
    for path in [
        "/v1/recommendations/for-you",
        "/v1/recommendations/popular",
        "/v1/recommendations/train",
        "/v1/products/{id}/also-bought",
    ] {
        assert!(doc.body["paths"][path].is_object(), "{path} documented");
    }
}
