//! Exactly once over HTTP: racing repeats of a refund, a checkout and a payment, as a client that
//! retries after a timeout (or a hostile one) sends them. The store-level guarantees are checked
//! on every store by the conformance suite; these check that the routes pass the client's
//! `Idempotency-Key` through and answer with the codes the API promises.

mod common;

use std::sync::Arc;

use common::{assert_error, harness, Harness, Reply};
use serde_json::{json, Value};

/// Sends `count` copies of one request at once.
async fn race(
    h: &Arc<Harness>,
    count: usize,
    method: &'static str,
    uri: String,
    token: Option<String>,
    key: Option<&'static str>,
    body: Value,
) -> Vec<Reply> {
    let mut tasks = Vec::new();
    for _ in 0..count {
        let (h, uri, token, body) = (h.clone(), uri.clone(), token.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let headers: Vec<(&str, &str)> = key
                .map(|k| vec![("idempotency-key", k)])
                .unwrap_or_default();
            h.call(method, &uri, token.as_deref(), &headers, Some(body))
                .await
        }));
    }
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.unwrap());
    }
    replies
}

/// A POST with an `Idempotency-Key`.
async fn post_with_key(h: &Harness, uri: &str, token: &str, key: &str, body: Value) -> Reply {
    h.call(
        "POST",
        uri,
        Some(token),
        &[("idempotency-key", key)],
        Some(body),
    )
    .await
}

async fn events_of_kind(h: &Harness, kind: &str) -> usize {
    h.store
        .events_after(0, u32::MAX)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.payload.kind() == kind)
        .count()
}

/// A signed-in customer with one demo product in the cart: (token, user id).
async fn shopper(h: &Harness, email: &str) -> (String, String) {
    let (id, token) = h.customer(email).await;
    let added = h.add_to_cart(Some(&token), None, 0, "2").await;
    assert_eq!(added.status, 200, "{}", added.body);
    (token, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_checkouts_with_one_key_all_get_the_first_order() {
    let h = Arc::new(harness().await);
    let (token, _) = shopper(&h, "racer@example.com").await;
    let placed_before = events_of_kind(&h, "OrderPlaced").await;
    let replies = race(
        &h,
        20,
        "POST",
        "/v1/orders".into(),
        Some(token.clone()),
        Some("checkout-1"),
        json!({"email": "racer@example.com"}),
    )
    .await;
    let mut ids = std::collections::HashSet::new();
    for reply in &replies {
        assert_eq!(reply.status, 201, "{}", reply.body);
        ids.insert(reply.body["id"].as_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), 1, "every repeat gets the first order");
    assert_eq!(events_of_kind(&h, "OrderPlaced").await, placed_before + 1);

    let other_email = post_with_key(
        &h,
        "/v1/orders",
        &token,
        "checkout-1",
        json!({"email": "other@example.com"}),
    )
    .await;
    assert_error(&other_email, 409, "idempotency_conflict");
    let refilled = h.add_to_cart(Some(&token), None, 1, "1").await;
    assert_eq!(refilled.status, 200, "{}", refilled.body);
    let new_cart = post_with_key(
        &h,
        "/v1/orders",
        &token,
        "checkout-1",
        json!({"email": "racer@example.com"}),
    )
    .await;
    assert_error(&new_cart, 409, "idempotency_conflict");
    assert_eq!(events_of_kind(&h, "OrderPlaced").await, placed_before + 1);
}

/// Places and pays an order for a fresh customer: (customer token, order id).
async fn paid_order(h: &Harness, email: &str) -> (String, String) {
    let (token, _) = shopper(h, email).await;
    let placed = h.post("/v1/orders", Some(&token), json!({})).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    let order_id = placed.body["id"].as_str().unwrap().to_string();
    let paid = h
        .post(
            &format!("/v1/orders/{order_id}/payments"),
            Some(&token),
            json!({"token": "4242424242424242"}),
        )
        .await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    (token, order_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_refunds_with_one_key_refund_once() {
    let h = Arc::new(harness().await);
    let (_, order_id) = paid_order(&h, "refunded@example.com").await;
    let admin = h.admin().await;
    let refunds_before = events_of_kind(&h, "PaymentRefunded").await;
    let replies = race(
        &h,
        10,
        "POST",
        format!("/v1/orders/{order_id}/refund"),
        Some(admin.clone()),
        Some("refund-1"),
        json!({"amount": "1.00"}),
    )
    .await;
    let mut succeeded = 0;
    for reply in &replies {
        if reply.status == 200 {
            succeeded += 1;
            assert_eq!(reply.body["payment"]["refunded"], "1.00", "{}", reply.body);
        } else {
            assert_error(reply, 409, "request_in_flight");
        }
    }
    assert!(succeeded >= 1);
    assert_eq!(
        events_of_kind(&h, "PaymentRefunded").await,
        refunds_before + 1
    );

    let replay = post_with_key(
        &h,
        &format!("/v1/orders/{order_id}/refund"),
        &admin,
        "refund-1",
        json!({"amount": "1.00"}),
    )
    .await;
    assert_eq!(replay.status, 200, "{}", replay.body);
    assert_eq!(replay.body["payment"]["refunded"], "1.00");
    let other_amount = post_with_key(
        &h,
        &format!("/v1/orders/{order_id}/refund"),
        &admin,
        "refund-1",
        json!({"amount": "2.00"}),
    )
    .await;
    assert_error(&other_amount, 409, "idempotency_conflict");
    let refunds: Vec<Value> = h
        .get(&format!("/v1/orders/{order_id}/payments"), Some(&admin))
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "refund")
        .cloned()
        .collect();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_payments_authorize_and_capture_once() {
    let h = Arc::new(harness().await);
    let (token, _) = shopper(&h, "payer@example.com").await;
    let placed = h.post("/v1/orders", Some(&token), json!({})).await;
    let order_id = placed.body["id"].as_str().unwrap().to_string();
    let replies = race(
        &h,
        10,
        "POST",
        format!("/v1/orders/{order_id}/payments"),
        Some(token.clone()),
        Some("pay-1"),
        json!({"token": "4242424242424242"}),
    )
    .await;
    for reply in &replies {
        if reply.status == 200 {
            assert_eq!(reply.body["payment"]["status"], "captured");
        } else {
            assert_error(reply, 409, "request_in_flight");
        }
    }
    let ledger: Vec<(String, String)> = h
        .get(&format!("/v1/orders/{order_id}/payments"), Some(&token))
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["kind"].as_str().unwrap().to_string(),
                t["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        ledger,
        vec![
            ("authorize".to_string(), "succeeded".to_string()),
            ("capture".to_string(), "succeeded".to_string())
        ]
    );
    // The key replays the paid order; another card under it is a different request.
    let replay = post_with_key(
        &h,
        &format!("/v1/orders/{order_id}/payments"),
        &token,
        "pay-1",
        json!({"token": "4242424242424242"}),
    )
    .await;
    assert_eq!(replay.status, 200, "{}", replay.body);
    assert_eq!(replay.body["payment"]["status"], "captured");
    let other_card = post_with_key(
        &h,
        &format!("/v1/orders/{order_id}/payments"),
        &token,
        "pay-1",
        json!({"token": "4000000000000002"}),
    )
    .await;
    assert_error(&other_card, 409, "idempotency_conflict");
    let keyless = h
        .post(
            &format!("/v1/orders/{order_id}/payments"),
            Some(&token),
            json!({"token": "4242424242424242"}),
        )
        .await;
    assert_error(&keyless, 409, "already_captured");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_repeated_cancellation_with_its_key_replays() {
    let h = Arc::new(harness().await);
    let (token, order_id) = paid_order(&h, "canceller@example.com").await;
    let uri = format!("/v1/orders/{order_id}/cancel");
    let first = post_with_key(&h, &uri, &token, "c-1", json!({})).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["status"], "cancelled");
    assert_eq!(first.body["payment"]["status"], "refunded");
    let again = post_with_key(&h, &uri, &token, "c-1", json!({})).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["id"], first.body["id"]);
    let keyless = h.post(&uri, Some(&token), json!({})).await;
    assert_error(&keyless, 409, "invalid_transition");
}
