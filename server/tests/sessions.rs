//! Sessions end with the credentials and rights they were granted on: a token issued before a
//! password reset, a password change, or a change of roles or status is refused with
//! `session_revoked`, while the token from signing in again works and unrelated changes (a new
//! name) sign nobody out.

mod common;

use std::sync::Arc;

use common::{assert_error, harness, Harness, PASSWORD};
use merx_core::clock::SystemClock;
use merx_core::event::EventPayload;
use merx_core::user::{PasswordHashing, UserService};
use serde_json::json;

/// Asserts that `token` still signs its holder in as `user_id`.
async fn works(h: &Harness, token: &str, user_id: &str) {
    let me = h.get("/v1/users/me", Some(token)).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["id"], user_id);
}

/// Asserts that `token` is refused as a revoked session, on a route that needs a user and on one
/// that guests may use too (a bad token is never taken for a guest).
async fn revoked(h: &Harness, token: &str) {
    assert_error(
        &h.get("/v1/users/me", Some(token)).await,
        401,
        "session_revoked",
    );
    assert_error(
        &h.get("/v1/products", Some(token)).await,
        401,
        "session_revoked",
    );
}

async fn reset_token(h: &Harness, email: &str) -> String {
    let reply = h
        .post("/v1/users/password-reset", None, json!({"email": email}))
        .await;
    assert_eq!(reply.status, 202);
    h.store
        .events_after(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .rev()
        .find_map(|e| match e.payload {
            EventPayload::PasswordResetRequested {
                email: to, token, ..
            } if to == email => Some(token),
            _ => None,
        })
        .expect("a PasswordResetRequested event")
}

#[tokio::test]
async fn a_password_reset_ends_every_session_of_the_account() {
    let h = harness().await;
    let (id, first) = h.customer("reset@shop.test").await;
    let second = h.login("reset@shop.test", PASSWORD).await;
    let (other_id, other) = h.customer("other@shop.test").await;
    works(&h, &first, &id).await;

    let token = reset_token(&h, "reset@shop.test").await;
    // Asking for a reset proves nothing about who asks, so it ends no session.
    works(&h, &first, &id).await;
    let confirm = h
        .post(
            "/v1/users/password-reset/confirm",
            None,
            json!({"token": token, "newPassword": "brand-new-pass-2"}),
        )
        .await;
    assert_eq!(confirm.status, 204, "{}", confirm.body);

    revoked(&h, &first).await;
    revoked(&h, &second).await;
    works(&h, &other, &other_id).await;

    let login = h
        .post(
            "/v1/users/login",
            None,
            json!({"email": "reset@shop.test", "password": "brand-new-pass-2"}),
        )
        .await;
    assert_eq!(login.status, 200, "{}", login.body);
    assert_eq!(login.body["user"]["sessionGeneration"], 1);
    let fresh = login.body["accessToken"].as_str().unwrap().to_string();
    works(&h, &fresh, &id).await;
    let me = h.get("/v1/users/me", Some(&fresh)).await;
    assert_eq!(me.body["sessionGeneration"], 1);
    assert!(me.body.get("passwordHash").is_none());
}

#[tokio::test]
async fn a_password_change_ends_every_session_including_the_callers() {
    let h = harness().await;
    let (id, before) = h.customer("change@shop.test").await;
    // The HTTP API has no password-change route yet; the core operation is what any shell calls.
    let users = UserService::new(h.store.clone(), Arc::new(SystemClock))
        .with_hashing(PasswordHashing::insecure_fast());
    let user_id = id.parse().unwrap();
    users
        .change_password(user_id, PASSWORD, "changed-password-3")
        .await
        .unwrap();

    revoked(&h, &before).await;
    let relogin = h
        .post(
            "/v1/users/login",
            None,
            json!({"email": "change@shop.test", "password": PASSWORD}),
        )
        .await;
    assert_error(&relogin, 401, "invalid_credentials");
    let fresh = h.login("change@shop.test", "changed-password-3").await;
    works(&h, &fresh, &id).await;

    // A refused change (wrong current password) changes nothing, so it ends nothing.
    assert!(users
        .change_password(user_id, PASSWORD, "changed-password-4")
        .await
        .is_err());
    works(&h, &fresh, &id).await;
}

#[tokio::test]
async fn a_role_change_by_an_admin_ends_the_users_sessions() {
    let h = harness().await;
    let admin = h.admin().await;
    let (id, before) = h.customer("promoted@shop.test").await;

    // Setting the roles the user already has is no change and signs nobody out.
    let same = h
        .put(
            &format!("/v1/users/{id}"),
            Some(&admin),
            json!({"roles": ["customer"]}),
        )
        .await;
    assert_eq!(same.status, 200, "{}", same.body);
    works(&h, &before, &id).await;

    let promoted = h
        .put(
            &format!("/v1/users/{id}"),
            Some(&admin),
            json!({"roles": ["customer", "moderator"]}),
        )
        .await;
    assert_eq!(promoted.status, 200, "{}", promoted.body);
    assert_eq!(promoted.body["roles"], json!(["customer", "moderator"]));
    revoked(&h, &before).await;
    let admin_id = h.get("/v1/users/me", Some(&admin)).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    works(&h, &admin, &admin_id).await;

    let fresh = h.login("promoted@shop.test", PASSWORD).await;
    let me = h.get("/v1/users/me", Some(&fresh)).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["roles"], json!(["customer", "moderator"]));

    let demoted = h
        .put(
            &format!("/v1/users/{id}"),
            Some(&admin),
            json!({"roles": ["customer"]}),
        )
        .await;
    assert_eq!(demoted.status, 200, "{}", demoted.body);
    revoked(&h, &fresh).await;
}

#[tokio::test]
async fn disabling_refuses_at_once_and_re_enabling_does_not_revive_old_tokens() {
    let h = harness().await;
    let admin = h.admin().await;
    let (id, before) = h.customer("paused@shop.test").await;
    let disabled = h
        .put(
            &format!("/v1/users/{id}"),
            Some(&admin),
            json!({"status": "inactive"}),
        )
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.body);
    assert_error(
        &h.get("/v1/users/me", Some(&before)).await,
        403,
        "account_inactive",
    );
    let enabled = h
        .put(
            &format!("/v1/users/{id}"),
            Some(&admin),
            json!({"status": "active"}),
        )
        .await;
    assert_eq!(enabled.status, 200, "{}", enabled.body);
    revoked(&h, &before).await;
    let fresh = h.login("paused@shop.test", PASSWORD).await;
    works(&h, &fresh, &id).await;
}

#[tokio::test]
async fn a_new_name_signs_nobody_out() {
    let h = harness().await;
    let admin = h.admin().await;
    let (id, token) = h.customer("renamed@shop.test").await;
    let own = h
        .put(
            &format!("/v1/users/{id}"),
            Some(&token),
            json!({"name": "Ada Lovelace"}),
        )
        .await;
    assert_eq!(own.status, 200, "{}", own.body);
    assert_eq!(own.body["sessionGeneration"], 0);
    works(&h, &token, &id).await;
    let by_admin = h
        .put(
            &format!("/v1/users/{id}"),
            Some(&admin),
            json!({"name": "Countess of Lovelace"}),
        )
        .await;
    assert_eq!(by_admin.status, 200, "{}", by_admin.body);
    works(&h, &token, &id).await;
    let me = h.get("/v1/users/me", Some(&token)).await;
    assert_eq!(me.body["name"], "Countess of Lovelace");
}
