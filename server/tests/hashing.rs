//! Password hashing runs off the async runtime: sign-ins at the production argon2id cost do not
//! hold up the requests served beside them.

mod common;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use common::{harness_with, test_config};
use merx_core::user::PasswordHashing;
use serde_json::json;
use tower::ServiceExt;

const EMAIL: &str = "slow@shop.test";
const PASSWORD: &str = "customer-password-1";

/// Runs on tokio's default single-threaded test runtime, where a hash computed in a request's
/// own task would keep every other task waiting until it is done.
#[tokio::test]
async fn sign_ins_do_not_hold_up_other_requests() {
    let mut config = test_config();
    // Costly enough that a verification takes far longer than serving `/healthz`.
    config.password_hashing = PasswordHashing {
        memory_kib: 32 * 1024,
        iterations: 4,
        parallelism: 1,
    };
    let h = harness_with(config).await;
    let registered = h
        .post(
            "/v1/users",
            None,
            json!({"email": EMAIL, "password": PASSWORD}),
        )
        .await;
    assert_eq!(registered.status, 201, "{}", registered.body);

    let started = Instant::now();
    let logins: Vec<_> = (0..3)
        .map(|_| {
            let app = h.app.clone();
            tokio::spawn(async move {
                let request = Request::post("/v1/users/login")
                    .header("content-type", "application/json")
                    .body(Body::from(
                        json!({"email": EMAIL, "password": PASSWORD}).to_string(),
                    ))
                    .unwrap();
                let response = app.oneshot(request).await.unwrap();
                assert_eq!(response.status(), 200);
                started.elapsed()
            })
        })
        .collect();

    // Let the sign-ins start hashing, then ask for something cheap.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let health = h.get("/healthz", None).await;
    assert_eq!(health.status, 200);
    let health_done = started.elapsed();

    let mut first_login = Duration::MAX;
    for login in logins {
        first_login = first_login.min(login.await.unwrap());
    }
    assert!(
        health_done < first_login,
        "/healthz answered after {health_done:?}, behind a sign-in that took {first_login:?}"
    );
}
