//! In-process tests of every endpoint: users, catalog, reviews, settings, cart, orders, payments,
//! operations, and the error format for bad input.

mod common;

use axum::body::Body;
use axum::http::Request;
use common::{assert_error, harness, harness_with, test_config, PASSWORD};
use merx_core::event::EventPayload;
use merx_server::RateLimit;
use serde_json::json;

#[tokio::test]
async fn registration_login_profile_and_soft_delete() {
    let h = harness().await;
    let reply = h
        .post(
            "/v1/users",
            None,
            json!({"email": " Ada@Shop.TEST ", "password": PASSWORD, "name": "Ada"}),
        )
        .await;
    assert_eq!(reply.status, 201);
    assert_eq!(reply.body["email"], "ada@shop.test");
    assert!(reply.body["createdAt"].is_string());
    assert!(reply.body.get("passwordHash").is_none());
    assert!(reply.body.get("password_hash").is_none());
    let id = reply.body["id"].as_str().unwrap().to_string();

    let again = h
        .post(
            "/v1/users/register",
            None,
            json!({"email": "ada@shop.test", "password": PASSWORD}),
        )
        .await;
    assert_error(&again, 409, "email_taken");
    let weak = h
        .post(
            "/v1/users/register",
            None,
            json!({"email": "bob@shop.test", "password": "short"}),
        )
        .await;
    assert_error(&weak, 422, "weak_password");
    let bad_email = h
        .post(
            "/v1/users",
            None,
            json!({"email": "nope", "password": PASSWORD}),
        )
        .await;
    assert_error(&bad_email, 422, "invalid_email");
    let alias = h
        .post(
            "/v1/users/register",
            None,
            json!({"email": "bob@shop.test", "password": PASSWORD}),
        )
        .await;
    assert_eq!(alias.status, 201);

    let wrong = h
        .post(
            "/v1/users/login",
            None,
            json!({"email": "ada@shop.test", "password": "wrong-password-1"}),
        )
        .await;
    assert_error(&wrong, 401, "invalid_credentials");
    let login = h
        .post(
            "/v1/users/login",
            None,
            json!({"email": "ada@shop.test", "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status, 200);
    assert_eq!(login.body["tokenType"], "Bearer");
    assert!(login.body["expiresAt"].is_string());
    let token = login.body["accessToken"].as_str().unwrap().to_string();

    let me = h.get("/v1/users/me", Some(&token)).await;
    assert_eq!(me.body["id"], id.as_str());
    let renamed = h
        .put(
            &format!("/v1/users/{id}"),
            Some(&token),
            json!({"name": "Ada L."}),
        )
        .await;
    assert_eq!(renamed.body["name"], "Ada L.");

    let forged = h.get("/v1/users/me", Some("not-a-jwt")).await;
    assert_error(&forged, 401, "invalid_token");
    let bad_scheme = h
        .call(
            "GET",
            "/v1/users/me",
            None,
            &[("authorization", "Basic abc")],
            None,
        )
        .await;
    assert_error(&bad_scheme, 401, "invalid_token");

    let admin = h.admin().await;
    let listed = h
        .get("/v1/users?page=1&limit=2&status=active", Some(&admin))
        .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["total"], 3);
    assert_eq!(listed.body["page"], 1);
    assert_eq!(listed.body["limit"], 2);
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 2);
    assert_error(
        &h.get("/v1/users?limit=0", Some(&admin)).await,
        422,
        "validation_failed",
    );
    assert_error(
        &h.get("/v1/users?status=bogus", Some(&admin)).await,
        400,
        "malformed_request",
    );

    let deleted = h.delete(&format!("/v1/users/{id}"), Some(&token)).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(deleted.body, serde_json::Value::Null);
    assert_error(
        &h.get("/v1/users/me", Some(&token)).await,
        403,
        "account_inactive",
    );
    let relogin = h
        .post(
            "/v1/users/login",
            None,
            json!({"email": "ada@shop.test", "password": PASSWORD}),
        )
        .await;
    assert_error(&relogin, 403, "account_inactive");
    let inactive = h.get("/v1/users?status=inactive", Some(&admin)).await;
    assert_eq!(inactive.body["total"], 1);
    let still_there = h.get(&format!("/v1/users/{id}"), Some(&admin)).await;
    assert!(still_there.body["deletedAt"].is_string());
}

#[tokio::test]
async fn password_reset_token_travels_only_in_the_outbox() {
    let h = harness().await;
    h.customer("reset@shop.test").await;
    let reply = h
        .post(
            "/v1/users/password-reset",
            None,
            json!({"email": "reset@shop.test"}),
        )
        .await;
    assert_eq!(reply.status, 202);
    assert_eq!(reply.body, serde_json::Value::Null);
    let unknown = h
        .post(
            "/v1/users/password-reset",
            None,
            json!({"email": "nobody@shop.test"}),
        )
        .await;
    assert_eq!(unknown.status, 202);

    let events = h.store.events_after(0, 1000).await.unwrap();
    let token = events
        .iter()
        .find_map(|e| match &e.payload {
            EventPayload::PasswordResetRequested { email, token, .. }
                if email == "reset@shop.test" =>
            {
                Some(token.clone())
            }
            _ => None,
        })
        .expect("a PasswordResetRequested event");
    let confirm = h
        .post(
            "/v1/users/password-reset/confirm",
            None,
            json!({"token": token, "newPassword": "brand-new-pass-2"}),
        )
        .await;
    assert_eq!(confirm.status, 204);
    h.login("reset@shop.test", "brand-new-pass-2").await;
    let reuse = h
        .post(
            "/v1/users/password-reset/confirm",
            None,
            json!({"token": token, "newPassword": "another-pass-3"}),
        )
        .await;
    assert_error(&reuse, 401, "invalid_token");
}

#[tokio::test]
async fn catalog_search_filters_sorts_and_hides_drafts() {
    let h = harness().await;
    let all = h.get("/v1/products?limit=100", None).await;
    assert_eq!(all.body["total"], 30);
    let tees = h.get("/v1/products?q=tee&limit=100", None).await;
    assert_eq!(tees.body["total"], 8);
    let by_search = h.get("/v1/search/products?q=tee", None).await;
    assert_eq!(by_search.body["total"], 8);
    let sorted = h.get("/v1/products?sort=price,asc&limit=100", None).await;
    let prices: Vec<f64> = sorted.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["variants"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["prices"]["USD"].as_str().unwrap().parse::<f64>().unwrap())
                .fold(f64::MAX, f64::min)
        })
        .collect();
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "{prices:?}");
    let ranged = h
        .get("/v1/products?minPrice=40&maxPrice=60&limit=100", None)
        .await;
    assert_eq!(ranged.body["total"], 6, "the six hoodies");
    let categories = h.get("/v1/categories", None).await;
    let books = categories
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Books")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let in_books = h
        .get(
            &format!("/v1/products?categoryId={books}&inStock=true"),
            None,
        )
        .await;
    assert_eq!(in_books.body["total"], 5);
    let paged = h.get("/v1/products?page=2&limit=25", None).await;
    assert_eq!(paged.body["data"].as_array().unwrap().len(), 5);
    assert_error(
        &h.get("/v1/products?sort=colour", None).await,
        422,
        "validation_failed",
    );
    assert_error(
        &h.get("/v1/products?minPrice=abc", None).await,
        400,
        "malformed_request",
    );
    assert_error(
        &h.get("/v1/products?currency=XXX", None).await,
        422,
        "unknown_currency",
    );

    let admin = h.admin().await;
    let created = h
        .post("/v1/products", Some(&admin), json!({"name": "Secret draft", "variants": [{"sku": "DRAFT-1", "prices": {"USD": "5.00"}, "stock": "3"}]}))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["slug"], "secret-draft");
    let id = created.body["id"].as_str().unwrap().to_string();
    assert_error(
        &h.get(&format!("/v1/products/{id}"), None).await,
        404,
        "not_found",
    );
    assert_eq!(
        h.get(&format!("/v1/products/{id}"), Some(&admin))
            .await
            .status,
        200
    );
    assert_eq!(
        h.get("/v1/products?status=draft", None).await.body["total"],
        30
    );
    assert_eq!(
        h.get("/v1/products?status=draft", Some(&admin)).await.body["total"],
        1
    );
    let duplicate = h
        .post(
            "/v1/products",
            Some(&admin),
            json!({"name": "Other", "variants": [{"sku": "DRAFT-1", "prices": {"USD": "5.00"}}]}),
        )
        .await;
    assert_error(&duplicate, 409, "conflict");
    let invalid = h
        .post(
            "/v1/products",
            Some(&admin),
            json!({"name": "", "variants": []}),
        )
        .await;
    assert_error(&invalid, 422, "validation_failed");

    let variant = created.body["variants"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let stock = h
        .post(
            &format!("/v1/products/{id}/variants/{variant}/stock"),
            Some(&admin),
            json!({"delta": "7"}),
        )
        .await;
    assert_eq!(stock.body["stock"], "10");
    let too_much = h
        .post(
            &format!("/v1/products/{id}/variants/{variant}/stock"),
            Some(&admin),
            json!({"delta": "-11"}),
        )
        .await;
    assert_error(&too_much, 409, "out_of_stock");
    let counted = h
        .put(
            &format!("/v1/products/{id}/variants/{variant}/stock"),
            Some(&admin),
            json!({"stock": "4"}),
        )
        .await;
    assert_eq!(counted.body["stock"], "4");
    let negative = h
        .put(
            &format!("/v1/products/{id}/variants/{variant}/stock"),
            Some(&admin),
            json!({"stock": "-1"}),
        )
        .await;
    assert_error(&negative, 422, "validation_failed");
    let fractional = h
        .put(
            &format!("/v1/products/{id}/variants/{variant}/stock"),
            Some(&admin),
            json!({"stock": "2.5"}),
        )
        .await;
    assert_error(&fractional, 422, "validation_failed");
    h.put(
        &format!("/v1/products/{id}/variants/{variant}/stock"),
        Some(&admin),
        json!({"stock": "10"}),
    )
    .await;
    let events = h.store.events_after(0, 10_000).await.unwrap();
    assert!(events.iter().any(
        |e| matches!(&e.payload, EventPayload::InventoryUpdated { sku, .. } if sku == "DRAFT-1")
    ));

    let mut body = created.body.clone();
    body["status"] = json!("active");
    body["name"] = json!("Now public");
    let updated = h
        .put(&format!("/v1/products/{id}"), Some(&admin), body)
        .await;
    assert_eq!(updated.status, 200);
    assert_eq!(
        updated.body["variants"][0]["stock"], "10",
        "catalog edits keep stock"
    );
    assert_eq!(
        h.get(&format!("/v1/products/{id}"), None).await.body["name"],
        "Now public"
    );
    assert_eq!(
        h.delete(&format!("/v1/products/{id}"), Some(&admin))
            .await
            .status,
        204
    );
    assert_error(
        &h.get(&format!("/v1/products/{id}"), Some(&admin)).await,
        404,
        "not_found",
    );

    let category = h
        .post(
            "/v1/categories",
            Some(&admin),
            json!({"name": "Stickers", "parentId": books}),
        )
        .await;
    assert_eq!(category.status, 201);
    let cat_id = category.body["id"].as_str().unwrap().to_string();
    let renamed = h
        .put(
            &format!("/v1/categories/{cat_id}"),
            Some(&admin),
            json!({"name": "Sticker packs", "parentId": books}),
        )
        .await;
    assert_eq!(renamed.body["name"], "Sticker packs");
    assert_error(
        &h.delete(&format!("/v1/categories/{books}"), Some(&admin))
            .await,
        409,
        "conflict",
    );
    assert_eq!(
        h.delete(&format!("/v1/categories/{cat_id}"), Some(&admin))
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn reviews_are_submitted_once_and_moderated() {
    let h = harness().await;
    let (_, token) = h.customer("critic@shop.test").await;
    let (product, _) = h.product(3).await;
    let uri = format!("/v1/products/{product}/reviews");
    assert_error(
        &h.post(&uri, None, json!({"rating": 5})).await,
        401,
        "unauthenticated",
    );
    assert_error(
        &h.post(&uri, Some(&token), json!({"rating": 9})).await,
        422,
        "validation_failed",
    );
    let review = h
        .post(
            &uri,
            Some(&token),
            json!({"rating": 5, "title": "Great", "body": "Soft."}),
        )
        .await;
    assert_eq!(review.status, 201);
    assert_eq!(review.body["verifiedPurchase"], false);
    assert_error(
        &h.post(&uri, Some(&token), json!({"rating": 4})).await,
        409,
        "conflict",
    );
    assert_eq!(h.get(&uri, None).await.body.as_array().unwrap().len(), 1);

    let admin = h.admin().await;
    let id = review.body["id"].as_str().unwrap();
    assert_eq!(
        h.post(&format!("/v1/reviews/{id}/hide"), Some(&admin), json!({}))
            .await
            .body["status"],
        "hidden"
    );
    assert_error(
        &h.post(&format!("/v1/reviews/{id}/hide"), Some(&admin), json!({}))
            .await,
        409,
        "invalid_transition",
    );
    assert_eq!(h.get(&uri, None).await.body.as_array().unwrap().len(), 0);
    assert_eq!(
        h.get(&format!("{uri}?includeHidden=true"), Some(&admin))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let missing = uuid::Uuid::new_v4();
    assert_error(
        &h.get(&format!("/v1/products/{missing}/reviews"), None)
            .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn store_settings_promotions_tax_shipping_currencies() {
    let h = harness().await;
    let admin = h.admin().await;
    let promotions = h.get("/v1/promotions", Some(&admin)).await;
    assert_eq!(promotions.body.as_array().unwrap().len(), 2);
    let created = h
        .post("/v1/promotions", Some(&admin), json!({"name": "Summer", "couponCode": " summer5 ", "effect": {"type": "amount_off", "amounts": {"USD": "5"}, "target": {"type": "order"}}}))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["couponCode"], "SUMMER5");
    let id = created.body["id"].as_str().unwrap().to_string();
    let clash = h
        .post("/v1/promotions", Some(&admin), json!({"name": "Clash", "couponCode": "SUMMER5", "effect": {"type": "amount_off", "amounts": {"USD": "1"}, "target": {"type": "order"}}}))
        .await;
    assert_error(&clash, 409, "conflict");
    let mut body = created.body.clone();
    body["active"] = json!(false);
    assert_eq!(
        h.put(&format!("/v1/promotions/{id}"), Some(&admin), body)
            .await
            .body["active"],
        false
    );
    assert_eq!(
        h.get(&format!("/v1/promotions/{id}"), Some(&admin))
            .await
            .status,
        200
    );
    assert_eq!(
        h.delete(&format!("/v1/promotions/{id}"), Some(&admin))
            .await
            .status,
        204
    );
    assert_error(
        &h.get(&format!("/v1/promotions/{id}"), Some(&admin)).await,
        404,
        "not_found",
    );

    let settings = h.get("/v1/settings/pricing", Some(&admin)).await;
    assert_eq!(settings.body["tax"]["rates"].as_array().unwrap().len(), 3);
    let bad = h
        .put(
            "/v1/settings/pricing",
            Some(&admin),
            json!({"tax": {"rates": [{"name": "X", "country": "Narnia", "percent": "5"}]}}),
        )
        .await;
    assert_error(&bad, 422, "validation_failed");

    // Writes name the version they read; a write based on settings that changed since is
    // refused and changes nothing.
    let read = settings.body.clone();
    let rate = h
        .post(
            "/v1/settings/tax-rates",
            Some(&admin),
            json!({"name": "GST", "country": "ca", "percent": "5"}),
        )
        .await;
    assert_eq!(rate.status, 201, "{}", rate.body);
    assert_eq!(rate.body["country"], "CA");
    let rate_id = rate.body["id"].as_str().unwrap().to_string();
    let mut stale = read.clone();
    stale["rounding"] = json!("down");
    assert_error(
        &h.put("/v1/settings/pricing", Some(&admin), stale).await,
        409,
        "conflict",
    );
    let current = h.get("/v1/settings/pricing", Some(&admin)).await.body;
    assert_eq!(current["version"], read["version"].as_u64().unwrap() + 1);
    assert_eq!(current["tax"]["rates"].as_array().unwrap().len(), 4);
    assert_ne!(current["rounding"], "down");
    let mut fresh = current.clone();
    fresh["rounding"] = json!("down");
    let saved = h.put("/v1/settings/pricing", Some(&admin), fresh).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(
        saved.body["version"],
        current["version"].as_u64().unwrap() + 1
    );

    let changed = h
        .put(
            &format!("/v1/settings/tax-rates/{rate_id}"),
            Some(&admin),
            json!({"name": "GST", "country": "CA", "percent": "6"}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(
        (changed.body["id"].as_str(), &changed.body["percent"]),
        (Some(rate_id.as_str()), &json!("6"))
    );
    let after = h.get("/v1/settings/pricing", Some(&admin)).await.body;
    assert_eq!(
        after["rounding"], "down",
        "a rate change keeps the other settings"
    );
    assert_error(
        &h.put(
            &format!("/v1/settings/tax-rates/{rate_id}"),
            Some(&admin),
            json!({"name": "GST", "country": "Canada", "percent": "5"}),
        )
        .await,
        422,
        "validation_failed",
    );
    assert_eq!(
        h.delete(&format!("/v1/settings/tax-rates/{rate_id}"), Some(&admin))
            .await
            .status,
        204
    );
    assert_error(
        &h.delete(&format!("/v1/settings/tax-rates/{rate_id}"), Some(&admin))
            .await,
        404,
        "not_found",
    );

    let methods = h.get("/v1/shipping-methods", None).await;
    assert_eq!(methods.body.as_array().unwrap().len(), 3);
    let method = h
        .post("/v1/shipping-methods", Some(&admin), json!({"name": "Courier", "countries": ["us"], "rate": {"type": "flat", "amounts": {"USD": "9.00"}}}))
        .await;
    assert_eq!(method.status, 201, "{}", method.body);
    let mid = method.body["id"].as_str().unwrap().to_string();
    let mut changed = method.body.clone();
    changed["name"] = json!("Bike courier");
    assert_eq!(
        h.put(
            &format!("/v1/shipping-methods/{mid}"),
            Some(&admin),
            changed
        )
        .await
        .body["name"],
        "Bike courier"
    );
    assert_eq!(
        h.delete(&format!("/v1/shipping-methods/{mid}"), Some(&admin))
            .await
            .status,
        204
    );

    let currencies = h.get("/v1/currencies", None).await;
    let list = currencies.body.as_array().unwrap();
    assert!(list
        .iter()
        .any(|c| c["code"] == "JPY" && c["minorUnits"] == 0));
    assert!(list
        .iter()
        .any(|c| c["code"] == "USD" && c["default"] == true));
}

#[tokio::test]
async fn guest_cart_flow_every_response_is_priced() {
    let h = harness().await;
    let empty = h.get("/v1/cart", None).await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.body["stored"], false);
    assert_eq!(empty.body["priced"]["totals"]["total"], "0.00");
    assert!(empty.header("x-cart-id").is_none());

    let first = h.add_to_cart(None, None, 0, "2").await;
    assert_eq!(first.status, 200, "{}", first.body);
    let cart_id = first.header("x-cart-id").expect("a guest gets its cart id");
    assert_eq!(first.body["cart"]["id"], cart_id.as_str());
    assert_eq!(first.body["priced"]["totals"]["itemCount"], "2");
    let second = h.add_to_cart(None, Some(&cart_id), 14, "1").await; // a mug: 15% off
    assert_eq!(second.body["cart"]["lines"].as_array().unwrap().len(), 2);
    assert!(!second.body["priced"]["appliedPromotions"]
        .as_array()
        .unwrap()
        .is_empty());

    // Without its id a guest cannot see the cart.
    assert_eq!(
        h.get("/v1/cart", None).await.body["cart"]["lines"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let cart = [("x-cart-id", cart_id.as_str())];
    let line = second.body["cart"]["lines"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let updated = h
        .call(
            "PUT",
            &format!("/v1/cart/items/{line}"),
            None,
            &cart,
            Some(json!({"quantity": "3"})),
        )
        .await;
    assert_eq!(updated.body["priced"]["lines"][0]["quantity"], "3");
    let too_many = h
        .call(
            "PUT",
            &format!("/v1/cart/items/{line}"),
            None,
            &cart,
            Some(json!({"quantity": "41"})),
        )
        .await;
    assert_error(&too_many, 409, "out_of_stock");
    let fractional = h
        .call(
            "PUT",
            &format!("/v1/cart/items/{line}"),
            None,
            &cart,
            Some(json!({"quantity": "1.5"})),
        )
        .await;
    assert_error(&fractional, 422, "invalid_quantity");

    let coupon = h
        .call(
            "POST",
            "/v1/cart/coupons",
            None,
            &cart,
            Some(json!({"code": "welcome10"})),
        )
        .await;
    assert_eq!(coupon.status, 200, "{}", coupon.body);
    assert_eq!(coupon.body["cart"]["couponCodes"], json!(["WELCOME10"]));
    // WELCOME10 is once per customer, so a guest keeps the code with the reason it does not apply.
    let rejected = &coupon.body["priced"]["rejectedCoupons"][0];
    assert_eq!(rejected["code"], "WELCOME10", "{}", coupon.body["priced"]);
    assert_eq!(rejected["reason"], "customer_not_eligible");
    let unknown = h
        .call(
            "POST",
            "/v1/cart/coupons",
            None,
            &cart,
            Some(json!({"code": "NOPE"})),
        )
        .await;
    assert_error(&unknown, 422, "coupon_not_found");
    let removed = h
        .call("DELETE", "/v1/cart/coupons/WELCOME10", None, &cart, None)
        .await;
    assert_eq!(removed.body["cart"]["couponCodes"], json!([]));

    let address = h
        .call("PUT", "/v1/cart/shipping-address", None, &cart, Some(json!({"name": "Ada", "line1": "1 Main St", "city": "LA", "region": "ca", "postalCode": "90001", "country": "us"})))
        .await;
    assert_eq!(address.status, 200, "{}", address.body);
    assert_eq!(address.body["cart"]["shippingAddress"]["country"], "US");
    assert_ne!(
        address.body["priced"]["totals"]["taxTotal"], "0.00",
        "CA sales tax applies"
    );
    let option = address.body["priced"]["shippingOptions"][0]["methodId"]
        .as_str()
        .unwrap()
        .to_string();
    let shipping = h
        .call(
            "PUT",
            "/v1/cart/shipping-method",
            None,
            &cart,
            Some(json!({"methodId": option})),
        )
        .await;
    assert!(
        shipping.body["priced"]["shipping"].is_object(),
        "{}",
        shipping.body
    );
    let missing = h
        .call(
            "PUT",
            "/v1/cart/shipping-method",
            None,
            &cart,
            Some(json!({"methodId": uuid::Uuid::new_v4()})),
        )
        .await;
    assert_error(&missing, 404, "not_found");

    let gone = h
        .call(
            "DELETE",
            &format!("/v1/cart/items/{line}"),
            None,
            &cart,
            None,
        )
        .await;
    assert_eq!(gone.body["cart"]["lines"].as_array().unwrap().len(), 1);
    let again = h
        .call(
            "DELETE",
            &format!("/v1/cart/items/{line}"),
            None,
            &cart,
            None,
        )
        .await;
    assert_error(&again, 404, "not_found");
    assert_error(
        &h.call("GET", "/v1/cart", None, &[("x-cart-id", "junk")], None)
            .await,
        400,
        "malformed_request",
    );
}

#[tokio::test]
async fn login_merges_the_guest_cart() {
    let h = harness().await;
    let (_, token) = h.customer("merge@shop.test").await;
    h.add_to_cart(Some(&token), None, 0, "1").await;
    let guest = h.add_to_cart(None, None, 0, "2").await;
    let guest_id = guest.header("x-cart-id").unwrap();
    h.add_to_cart(None, Some(&guest_id), 20, "1").await;
    let login = h
        .call(
            "POST",
            "/v1/users/login",
            None,
            &[("x-cart-id", &guest_id)],
            Some(json!({"email": "merge@shop.test", "password": PASSWORD})),
        )
        .await;
    assert_eq!(login.status, 200);
    let token = login.body["accessToken"].as_str().unwrap();
    let cart = h.get("/v1/cart", Some(token)).await;
    let lines = cart.body["cart"]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["quantity"], "3");
    let guest_after = h
        .call("GET", "/v1/cart", None, &[("x-cart-id", &guest_id)], None)
        .await;
    assert_eq!(guest_after.body["stored"], false, "the guest cart is gone");
}

#[tokio::test]
async fn checkout_is_idempotent_and_orders_move_through_their_states() {
    let h = harness().await;
    let (_, token) = h.customer("buyer@shop.test").await;
    assert_error(
        &h.post("/v1/orders", Some(&token), json!({})).await,
        422,
        "cart_empty",
    );
    h.add_to_cart(Some(&token), None, 0, "2").await;
    h.add_to_cart(Some(&token), None, 8, "1").await;
    let key = [("idempotency-key", "order-attempt-1")];
    let first = h
        .call("POST", "/v1/orders", Some(&token), &key, Some(json!({})))
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let order_id = first.body["id"].as_str().unwrap().to_string();
    assert_eq!(first.body["status"], "pending");
    let retry = h
        .call("POST", "/v1/orders", Some(&token), &key, Some(json!({})))
        .await;
    assert_eq!(retry.status, 201);
    assert_eq!(retry.body["id"], order_id.as_str());
    assert_error(
        &h.post("/v1/orders", Some(&token), json!({})).await,
        422,
        "cart_empty",
    );
    // Another customer's identical key is theirs alone.
    let (_, other) = h.customer("other@shop.test").await;
    let theirs = h
        .call("POST", "/v1/orders", Some(&other), &key, Some(json!({})))
        .await;
    assert_error(&theirs, 422, "cart_empty");

    let history = h.get("/v1/orders?page=1&limit=10", Some(&token)).await;
    assert_eq!(history.body["total"], 1);
    assert_eq!(history.body["data"][0]["id"], order_id.as_str());

    let declined = h
        .post(
            &format!("/v1/orders/{order_id}/payments"),
            Some(&token),
            json!({"token": "4000000000000002"}),
        )
        .await;
    assert_error(&declined, 402, "payment_declined");
    let paid = h
        .post(
            &format!("/v1/orders/{order_id}/payments"),
            Some(&token),
            json!({"token": "4242424242424242"}),
        )
        .await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    assert_eq!(paid.body["payment"]["status"], "captured");
    let twice = h
        .post(
            &format!("/v1/orders/{order_id}/payments"),
            Some(&token),
            json!({"token": "4242424242424242"}),
        )
        .await;
    assert_error(&twice, 409, "already_captured");
    let attempts = h
        .get(&format!("/v1/orders/{order_id}/payments"), Some(&token))
        .await;
    assert!(attempts.body.as_array().unwrap().len() >= 3);

    let admin = h.admin().await;
    let refund = h
        .call(
            "POST",
            &format!("/v1/orders/{order_id}/refund"),
            Some(&admin),
            &[("idempotency-key", "r1")],
            Some(json!({"amount": "5.00"})),
        )
        .await;
    assert_eq!(refund.status, 200, "{}", refund.body);
    assert_eq!(refund.body["payment"]["status"], "partially_refunded");
    let too_big = h
        .post(
            &format!("/v1/orders/{order_id}/refund"),
            Some(&admin),
            json!({"amount": "100000"}),
        )
        .await;
    assert_error(&too_big, 422, "refund_exceeds_capture");
    assert_eq!(
        h.post(
            &format!("/v1/orders/{order_id}/process"),
            Some(&admin),
            json!({})
        )
        .await
        .body["status"],
        "processing"
    );
    let shipped = h
        .post(
            &format!("/v1/orders/{order_id}/ship"),
            Some(&admin),
            json!({"trackingNumber": "1Z999"}),
        )
        .await;
    assert_eq!(shipped.body["status"], "shipped");
    assert_eq!(shipped.body["trackingNumber"], "1Z999");
    assert_error(
        &h.post(
            &format!("/v1/orders/{order_id}/cancel"),
            Some(&admin),
            json!({}),
        )
        .await,
        409,
        "invalid_transition",
    );
    assert_eq!(
        h.post(
            &format!("/v1/orders/{order_id}/deliver"),
            Some(&admin),
            json!({})
        )
        .await
        .body["status"],
        "delivered"
    );
}

#[tokio::test]
async fn guest_checkout_and_cancellation_release_stock() {
    let h = harness().await;
    let added = h.add_to_cart(None, None, 25, "2").await; // a book with 15 in stock
    let cart_id = added.header("x-cart-id").unwrap();
    let (product, _) = h.product(25).await;
    let order = h
        .call(
            "POST",
            "/v1/orders",
            None,
            &[("x-cart-id", &cart_id)],
            Some(json!({"email": "guest@shop.test"})),
        )
        .await;
    assert_eq!(order.status, 201, "{}", order.body);
    let order_id = order.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        h.get(&format!("/v1/products/{product}"), None).await.body["variants"][0]["stock"],
        "13"
    );
    let paid = h
        .post(
            &format!("/v1/orders/{order_id}/payments"),
            None,
            json!({"token": "4242424242424242"}),
        )
        .await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    let admin = h.admin().await;
    let cancelled = h
        .post(
            &format!("/v1/orders/{order_id}/cancel"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!(cancelled.body["payment"]["status"], "refunded");
    assert_eq!(
        h.get(&format!("/v1/products/{product}"), None).await.body["variants"][0]["stock"],
        "15"
    );
}

#[tokio::test]
async fn bad_input_is_answered_in_the_error_format() {
    let mut config = test_config();
    config.body_limit = 2048;
    let h = harness_with(config).await;
    let malformed = h
        .raw(
            Request::post("/v1/users")
                .header("content-type", "application/json")
                .body(Body::from("{\"email\":"))
                .unwrap(),
        )
        .await;
    assert_error(&malformed, 400, "malformed_request");
    let wrong_type = h
        .post(
            "/v1/users",
            None,
            json!({"email": 42, "password": PASSWORD}),
        )
        .await;
    assert_error(&wrong_type, 422, "validation_failed");
    let missing_field = h
        .post("/v1/users/login", None, json!({"email": "a@b.co"}))
        .await;
    assert_error(&missing_field, 422, "validation_failed");
    let no_content_type = h
        .raw(
            Request::post("/v1/users/login")
                .body(Body::from("{}"))
                .unwrap(),
        )
        .await;
    assert_error(&no_content_type, 400, "malformed_request");
    let too_big = h
        .post(
            "/v1/users",
            None,
            json!({"email": "a@b.co", "password": "x".repeat(5000)}),
        )
        .await;
    assert_error(&too_big, 413, "payload_too_large");
    assert_error(
        &h.get("/v1/products/not-a-uuid", None).await,
        400,
        "malformed_request",
    );
    assert_error(
        &h.get("/v1/products?page=x", None).await,
        400,
        "malformed_request",
    );
    assert_error(
        &h.get(&format!("/v1/products/{}", uuid::Uuid::new_v4()), None)
            .await,
        404,
        "not_found",
    );
    assert_error(&h.get("/v1/nowhere", None).await, 404, "not_found");
    let wrong_method = h.call("PATCH", "/v1/cart", None, &[], None).await;
    assert_error(&wrong_method, 405, "method_not_allowed");
    assert!(wrong_method.header("allow").is_some());
    assert_error(&h.get("/v1/users/me", None).await, 401, "unauthenticated");

    // A client's request id is echoed; otherwise one is made.
    let traced = h
        .call(
            "GET",
            "/healthz",
            None,
            &[("x-request-id", "trace-me-42")],
            None,
        )
        .await;
    assert_eq!(
        traced.header("x-request-id").as_deref(),
        Some("trace-me-42")
    );
    assert!(h
        .get("/healthz", None)
        .await
        .header("x-request-id")
        .is_some());
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let mut config = test_config();
    config.rate_limit = Some(RateLimit {
        per_second: 1,
        burst: 2,
    });
    let h = harness_with(config).await;
    // Probes are never limited (tests/operations.rs), so an API route spends the burst.
    assert_eq!(h.get("/v1/currencies", None).await.status, 200);
    assert_eq!(h.get("/v1/currencies", None).await.status, 200);
    let limited = h.get("/v1/currencies", None).await;
    assert_error(&limited, 429, "rate_limited");
    assert_eq!(limited.header("retry-after").as_deref(), Some("1"));
}

#[tokio::test]
async fn operations_endpoints_and_the_openapi_document() {
    let h = harness().await;
    assert_eq!(h.get("/healthz", None).await.body["status"], "ok");
    assert_eq!(h.get("/readyz", None).await.body["status"], "ready");
    h.get("/v1/products", None).await;
    let metrics = h.get("/metrics", None).await;
    let text = metrics.body.as_str().unwrap();
    assert!(
        text.contains(
            "merx_http_requests_total{method=\"GET\",route=\"/v1/products\",status=\"200\"}"
        ),
        "{text}"
    );
    assert!(text.contains("merx_http_request_duration_seconds_bucket"));

    let doc = h.get("/v1/openapi.json", None).await;
    assert_eq!(doc.body["openapi"], "3.1.0");
    let paths = doc.body["paths"].as_object().unwrap();
    for path in [
        "/v1/users",
        "/v1/users/login",
        "/v1/products/{id}",
        "/v1/cart/items/{itemId}",
        "/v1/orders",
        "/v1/orders/{id}/payments",
        "/healthz",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
    }
    let op = &paths["/v1/products/{id}"]["get"];
    for status in ["200", "400", "404", "429", "500"] {
        assert!(op["responses"].get(status).is_some(), "{status}");
    }
    assert!(doc.body["components"]["securitySchemes"]["bearer"].is_object());

    let docs = h.get("/v1/docs", None).await;
    assert!(docs
        .body
        .as_str()
        .unwrap()
        .contains("/v1/docs/swagger-ui-bundle.js"));
    let js = h.get("/v1/docs/swagger-ui-bundle.js", None).await;
    assert_eq!(js.status, 200);
    assert!(
        js.body.as_str().unwrap().len() > 100_000,
        "the bundle is embedded, not fetched"
    );
}

#[tokio::test]
async fn admins_cannot_lock_themselves_out_and_bodies_must_be_objects() {
    let h = harness().await;
    let admin = h.admin().await;
    let me = h.get("/v1/users/me", Some(&admin)).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_error(
        &h.put(
            &format!("/v1/users/{me}"),
            Some(&admin),
            json!({"status": "inactive"}),
        )
        .await,
        409,
        "conflict",
    );
    assert_error(
        &h.put(
            &format!("/v1/users/{me}"),
            Some(&admin),
            json!({"roles": ["customer"]}),
        )
        .await,
        409,
        "conflict",
    );
    assert_error(
        &h.delete(&format!("/v1/users/{me}"), Some(&admin)).await,
        409,
        "conflict",
    );
    assert_eq!(h.get("/v1/users/me", Some(&admin)).await.status, 200);

    let array = h
        .put(
            &format!("/v1/users/{me}"),
            Some(&admin),
            json!([null, null]),
        )
        .await;
    assert_error(&array, 422, "validation_failed");
    let scalar = h.post("/v1/users/login", None, json!("admin")).await;
    assert_error(&scalar, 422, "validation_failed");
    let empty_sort = h.get("/v1/products?sort=&currency=", None).await;
    assert_eq!(empty_sort.status, 200);
}

#[tokio::test]
async fn customers_cancel_their_own_pending_orders_only() {
    let h = harness().await;
    let (_, ann) = h.customer("ann@shop.test").await;
    let (_, bob) = h.customer("bob@shop.test").await;
    let (product, _) = h.product(25).await; // a book with 15 in stock
    let place = |token: String| {
        let h = &h;
        async move {
            assert_eq!(h.add_to_cart(Some(&token), None, 25, "2").await.status, 200);
            let order = h.post("/v1/orders", Some(&token), json!({})).await;
            assert_eq!(order.status, 201, "{}", order.body);
            order.body["id"].as_str().unwrap().to_string()
        }
    };
    let first = place(ann.clone()).await;
    let stock_uri = format!("/v1/products/{product}");
    let stock = || async { h.get(&stock_uri, None).await.body["variants"][0]["stock"].clone() };
    assert_eq!(stock().await, "13");

    let cancel = |id: &str, token: Option<&str>| {
        let uri = format!("/v1/orders/{id}/cancel");
        let token = token.map(str::to_string);
        let h = &h;
        async move { h.post(&uri, token.as_deref(), json!({})).await }
    };
    assert_error(&cancel(&first, None).await, 401, "unauthenticated");
    assert_error(&cancel(&first, Some(&bob)).await, 404, "not_found");
    let cancelled = cancel(&first, Some(&ann)).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    assert_eq!(cancelled.body["status"], "cancelled");
    let last = &cancelled.body["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["actor"]["type"], "user");
    assert_eq!(stock().await, "15", "the stock came back");
    assert_error(&cancel(&first, Some(&ann)).await, 409, "invalid_transition");

    // Once the shop has started on an order, only the shop can cancel it.
    let second = place(ann.clone()).await;
    let admin = h.admin().await;
    h.post(
        &format!("/v1/orders/{second}/process"),
        Some(&admin),
        json!({}),
    )
    .await;
    let refused = cancel(&second, Some(&ann)).await;
    assert_error(&refused, 403, "forbidden");
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .contains("processing"),
        "{}",
        refused.body
    );
    assert_eq!(
        cancel(&second, Some(&admin)).await.body["status"],
        "cancelled"
    );
}
