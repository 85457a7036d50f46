//! Test harness: the router over a store with the demo shop, driven in-process.
//!
//! The store is the memory store unless a test asks for another [`Backend`]: SQLite in memory, or
//! PostgreSQL in a fresh schema of `MERX_TEST_DATABASE_URL` (skipped when that is unset, except
//! under `CI=true`, where a missing or unreachable database fails the test).

#![allow(dead_code)]

// The PostgreSQL tests' own way to open a fresh, isolated schema (and drop stale ones).
#[path = "../../../adapters/postgres/tests/support/mod.rs"]
mod pg_support;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use merx_core::clock::{Clock, SystemClock};
use merx_core::payment::{RecordingSleeper, TestGateway};
use merx_core::store::memory::MemoryStore;
use merx_core::store::Store;
use merx_core::user::PasswordHashing;
use merx_server::demo::{load_demo_data, DemoAdmin, DemoSummary};
use merx_server::{app, AppState, Config};
use merx_sqlite::{Location, SqliteOptions, SqliteStore};
use serde_json::{json, Value};
use tower::ServiceExt;

pub const ADMIN_EMAIL: &str = "admin@shop.test";
pub const ADMIN_PASSWORD: &str = "admin-password-1";
pub const PASSWORD: &str = "customer-password-1";

#[derive(Debug)]
pub struct Harness {
    pub app: Router,
    pub store: Arc<dyn Store>,
    pub demo: DemoSummary,
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }
}

pub fn test_config() -> Config {
    let mut config = Config::new("test-secret-for-merx-server-tests-0123456789");
    config.password_hashing = PasswordHashing::insecure_fast();
    config.rate_limit = None;
    config
}

/// The store a harness runs over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Memory,
    Sqlite,
    Postgres,
}

impl Backend {
    pub const ALL: [Backend; 3] = [Backend::Memory, Backend::Sqlite, Backend::Postgres];

    /// A fresh, empty store; `None` when PostgreSQL is not configured (outside CI).
    pub async fn open(self, clock: Arc<dyn Clock>) -> Option<Arc<dyn Store>> {
        Some(match self {
            Backend::Memory => Arc::new(MemoryStore::new(clock)),
            Backend::Sqlite => {
                let options = SqliteOptions {
                    clock,
                    ..SqliteOptions::default()
                };
                Arc::new(
                    SqliteStore::open_location(Location::Memory, options)
                        .await
                        .expect("in-memory SQLite opens"),
                )
            }
            Backend::Postgres => Arc::new(pg_support::fresh_store().await?.with_clock(clock)),
        })
    }
}

pub async fn harness_with(config: Config) -> Harness {
    harness_over(Backend::Memory, config)
        .await
        .expect("the memory store is always there")
}

/// The router over a fresh `backend` store with the demo shop; `None` when the backend is
/// skipped.
pub async fn harness_over(backend: Backend, config: Config) -> Option<Harness> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = backend.open(clock.clone()).await?;
    let demo = load_demo_data(
        store.clone(),
        clock.clone(),
        &DemoAdmin {
            email: ADMIN_EMAIL.into(),
            password: ADMIN_PASSWORD.into(),
        },
        PasswordHashing::insecure_fast(),
    )
    .await
    .unwrap();
    let state = AppState::with_clock(
        store.clone(),
        Arc::new(TestGateway::new()),
        config,
        clock,
        Arc::new(RecordingSleeper::default()),
    );
    Some(Harness {
        app: app(state),
        store,
        demo,
    })
}

pub async fn harness() -> Harness {
    harness_with(test_config()).await
}

impl Harness {
    pub async fn raw(&self, request: Request<Body>) -> Reply {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let mut builder = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(uri);
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = match body {
            Some(body) => builder
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
            None => builder.body(Body::empty()).unwrap(),
        };
        self.raw(request).await
    }

    pub async fn get(&self, uri: &str, token: Option<&str>) -> Reply {
        self.call("GET", uri, token, &[], None).await
    }

    pub async fn post(&self, uri: &str, token: Option<&str>, body: Value) -> Reply {
        self.call("POST", uri, token, &[], Some(body)).await
    }

    pub async fn put(&self, uri: &str, token: Option<&str>, body: Value) -> Reply {
        self.call("PUT", uri, token, &[], Some(body)).await
    }

    pub async fn delete(&self, uri: &str, token: Option<&str>) -> Reply {
        self.call("DELETE", uri, token, &[], None).await
    }

    /// Registers a customer and signs in: (user id, token).
    pub async fn customer(&self, email: &str) -> (String, String) {
        let reply = self
            .post(
                "/v1/users",
                None,
                json!({"email": email, "password": PASSWORD, "name": email}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        let id = reply.body["id"].as_str().unwrap().to_string();
        (id, self.login(email, PASSWORD).await)
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let reply = self
            .post(
                "/v1/users/login",
                None,
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        reply.body["accessToken"].as_str().unwrap().to_string()
    }

    pub async fn admin(&self) -> String {
        self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    /// (product id, first variant id) of the demo product at `index`.
    pub async fn product(&self, index: usize) -> (String, String) {
        let id = self.demo.product_ids[index];
        let reply = self.get(&format!("/v1/products/{id}"), None).await;
        assert_eq!(reply.status, StatusCode::OK);
        (
            id.to_string(),
            reply.body["variants"][0]["id"]
                .as_str()
                .unwrap()
                .to_string(),
        )
    }

    /// Adds one unit of demo product `index` to the cart of `token` (or the guest cart).
    pub async fn add_to_cart(
        &self,
        token: Option<&str>,
        cart_id: Option<&str>,
        index: usize,
        quantity: &str,
    ) -> Reply {
        let (product, variant) = self.product(index).await;
        let headers: Vec<(&str, &str)> =
            cart_id.map(|c| vec![("x-cart-id", c)]).unwrap_or_default();
        self.call(
            "POST",
            "/v1/cart/items",
            token,
            &headers,
            Some(json!({"productId": product, "variantId": variant, "quantity": quantity})),
        )
        .await
    }
}

/// Asserts the API error format and code.
pub fn assert_error(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status.as_u16(), status, "body: {}", reply.body);
    assert_eq!(reply.body["code"], code, "body: {}", reply.body);
    assert!(reply.body["message"].is_string(), "body: {}", reply.body);
    assert!(reply.header("x-request-id").is_some());
}
