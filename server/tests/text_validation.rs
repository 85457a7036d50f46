//! Free text with a NUL byte is `422 validation_failed` naming the field, and nothing is stored,
//! on every store: before the core checked text, PostgreSQL answered `503 storage_unavailable`
//! (it refuses NUL in `text` and `jsonb`) where SQLite and the memory store kept the byte.

mod common;

use common::{assert_error, harness_over, test_config, Backend, Harness, Reply, PASSWORD};
use serde_json::{json, Value};

const NUL: &str = "\u{0}";

fn assert_refused(reply: &Reply, field: &str) {
    assert_error(reply, 422, "validation_failed");
    assert_eq!(
        reply.body["details"]["field"], field,
        "body: {}",
        reply.body
    );
    assert!(
        !reply.body["message"].as_str().unwrap().contains(NUL),
        "the message echoes the NUL: {}",
        reply.body
    );
}

fn len(reply: &Reply) -> usize {
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body.as_array().unwrap().len()
}

async fn product_total(h: &Harness, admin: &str) -> Value {
    let listed = h.get("/v1/products?limit=100", Some(admin)).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    listed.body["total"].clone()
}

async fn nul_bytes_are_refused_and_not_stored(backend: Backend) {
    let Some(h) = harness_over(backend, test_config()).await else {
        return;
    };
    let admin = h.admin().await;

    let before = product_total(&h, &admin).await;
    let product = json!({
        "name": format!("Tee{NUL}"),
        "variants": [{"sku": "NUL-1", "prices": {"USD": "5.00"}}],
    });
    assert_refused(&h.post("/v1/products", Some(&admin), product).await, "name");
    let product = json!({
        "name": "Tee",
        "description": format!("Soft.\n{NUL}"),
        "variants": [{"sku": "NUL-2", "prices": {"USD": "5.00"}}],
    });
    assert_refused(
        &h.post("/v1/products", Some(&admin), product).await,
        "description",
    );
    assert_eq!(product_total(&h, &admin).await, before);

    let categories = len(&h.get("/v1/categories", None).await);
    let category = json!({"name": format!("Stickers{NUL}")});
    assert_refused(
        &h.post("/v1/categories", Some(&admin), category).await,
        "name",
    );
    assert_eq!(len(&h.get("/v1/categories", None).await), categories);

    let promotions = len(&h.get("/v1/promotions", Some(&admin)).await);
    let promotion = json!({
        "name": format!("Summer{NUL}"),
        "effect": {"type": "amount_off", "amounts": {"USD": "5"}, "target": {"type": "order"}},
    });
    assert_refused(
        &h.post("/v1/promotions", Some(&admin), promotion).await,
        "name",
    );
    assert_eq!(
        len(&h.get("/v1/promotions", Some(&admin)).await),
        promotions
    );

    let registration =
        json!({"email": "nul@shop.test", "password": PASSWORD, "name": format!("Ada{NUL}")});
    assert_refused(&h.post("/v1/users", None, registration).await, "name");
    let login = h
        .post(
            "/v1/users/login",
            None,
            json!({"email": "nul@shop.test", "password": PASSWORD}),
        )
        .await;
    assert_error(&login, 401, "invalid_credentials");

    let (user_id, customer) = h.customer("ada@shop.test").await;
    let address =
        json!({"name": "Ada", "line1": format!("1 Main St{NUL}"), "city": "LA", "country": "US"});
    assert_refused(
        &h.put("/v1/cart/shipping-address", Some(&customer), address)
            .await,
        "shippingAddress.line1",
    );
    let cart = h.get("/v1/cart", Some(&customer)).await;
    assert_eq!(cart.status, 200, "{}", cart.body);
    assert!(
        cart.body["cart"]["shippingAddress"].is_null(),
        "{}",
        cart.body
    );

    let rename = json!({"name": format!("Ada{NUL}Lovelace")});
    assert_refused(
        &h.put(&format!("/v1/users/{user_id}"), Some(&customer), rename)
            .await,
        "name",
    );
    let me = h.get("/v1/users/me", Some(&customer)).await;
    assert_eq!(me.body["name"], "ada@shop.test");

    let (product, _) = h.product(0).await;
    let reviews = format!("/v1/products/{product}/reviews");
    let before = len(&h.get(&reviews, None).await);
    let review = json!({"rating": 5, "title": "Great", "body": format!("Soft.{NUL}")});
    assert_refused(&h.post(&reviews, Some(&customer), review).await, "body");
    assert_eq!(len(&h.get(&reviews, None).await), before);

    // Search text goes to the store's query engine, which is where PostgreSQL refused it.
    assert_refused(&h.get("/v1/products?q=tee%00", None).await, "q");
}

#[tokio::test]
async fn nul_bytes_are_refused_on_the_memory_store() {
    nul_bytes_are_refused_and_not_stored(Backend::Memory).await;
}

#[tokio::test]
async fn nul_bytes_are_refused_on_sqlite() {
    nul_bytes_are_refused_and_not_stored(Backend::Sqlite).await;
}

#[tokio::test]
async fn nul_bytes_are_refused_on_postgres() {
    nul_bytes_are_refused_and_not_stored(Backend::Postgres).await;
}

#[tokio::test]
async fn unassigned_country_codes_are_refused() {
    let h = common::harness().await;
    let (_, customer) = h.customer("zz@shop.test").await;
    for country in ["ZZ", "XK", "uk"] {
        let address = json!({"line1": "1 Main St", "country": country});
        assert_refused(
            &h.put("/v1/cart/shipping-address", Some(&customer), address)
                .await,
            "shippingAddress.country",
        );
    }
    let address = json!({"line1": "1 Main St", "country": "gb"});
    let reply = h
        .put("/v1/cart/shipping-address", Some(&customer), address)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["cart"]["shippingAddress"]["country"], "GB");

    let admin = h.admin().await;
    let rates = json!({"tax": {"rates": [{"name": "VAT", "country": "ZZ", "percent": "5"}]}});
    assert_refused(
        &h.put("/v1/settings/pricing", Some(&admin), rates).await,
        "country",
    );
}
