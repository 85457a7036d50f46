//! `POST /v1/cart/items` names the item by SKU or by product and variant id, exactly one of the
//! two, and the OpenAPI document says so.

mod common;

use common::{assert_error, harness};
use serde_json::json;

#[tokio::test]
async fn a_cart_item_is_added_by_sku_or_by_ids_but_not_both() {
    let h = harness().await;
    let (product, variant) = h.product(0).await;
    let shown = h.get(&format!("/v1/products/{product}"), None).await;
    let sku = shown.body["variants"][0]["sku"]
        .as_str()
        .unwrap()
        .to_string();

    // By SKU, in any case: the same line as by ids.
    let added = h
        .post(
            "/v1/cart/items",
            None,
            json!({"sku": sku.to_lowercase(), "quantity": "2"}),
        )
        .await;
    assert_eq!(added.status, 200, "{}", added.body);
    let line = &added.body["cart"]["lines"][0];
    assert_eq!(line["productId"], product.as_str(), "{}", added.body);
    assert_eq!(line["variantId"], variant.as_str());
    assert_eq!(line["quantity"], "2");
    let cart = added.header("x-cart-id").unwrap();
    let again = h
        .call(
            "POST",
            "/v1/cart/items",
            None,
            &[("x-cart-id", &cart)],
            Some(json!({"productId": product, "variantId": variant, "quantity": 1})),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["cart"]["lines"][0]["quantity"], "3");

    let both = h
        .post(
            "/v1/cart/items",
            None,
            json!({"sku": sku, "productId": product, "variantId": variant, "quantity": 1}),
        )
        .await;
    assert_error(&both, 422, "validation_failed");
    assert!(
        both.body["details"]["reason"]
            .as_str()
            .unwrap()
            .contains("give either sku or productId and variantId, not both"),
        "{}",
        both.body
    );
    let neither = h.post("/v1/cart/items", None, json!({"quantity": 1})).await;
    assert_error(&neither, 422, "validation_failed");
    let half = h
        .post(
            "/v1/cart/items",
            None,
            json!({"productId": product, "quantity": 1}),
        )
        .await;
    assert_error(&half, 422, "validation_failed");

    let unknown = h
        .post(
            "/v1/cart/items",
            None,
            json!({"sku": "NO-SUCH-SKU", "quantity": 1}),
        )
        .await;
    assert_error(&unknown, 404, "not_found");
    assert_eq!(
        unknown.body["details"]["id"], "NO-SUCH-SKU",
        "{}",
        unknown.body
    );
}

#[tokio::test]
async fn the_document_offers_both_forms_as_one_of() {
    let h = harness().await;
    let document = h.get("/v1/openapi.json", None).await.body;
    let schema = &document["components"]["schemas"]["AddItem"];
    let forms: Vec<&str> = schema["oneOf"]
        .as_array()
        .unwrap_or_else(|| panic!("AddItem is not oneOf: {schema}"))
        .iter()
        .map(|form| form["$ref"].as_str().unwrap())
        .collect();
    assert_eq!(
        forms,
        [
            "#/components/schemas/AddBySku",
            "#/components/schemas/AddByIds"
        ]
    );
    let required = |name: &str| document["components"]["schemas"][name]["required"].clone();
    assert_eq!(required("AddBySku"), json!(["sku", "quantity"]));
    assert_eq!(
        required("AddByIds"),
        json!(["productId", "variantId", "quantity"])
    );
}
