//! Merx REST server: the core's services over HTTP with axum.
//!
//! [`app`] builds the whole router from an [`AppState`] (stores and the payment gateway as trait
//! objects, plus [`Config`]); tests drive it in-process with `oneshot`, the binary serves it. Each
//! resource module under [`routes`] has one `router()` that is merged here. Handlers parse input,
//! call a core service and map the result; business rules live in `merx-core`.
//!
//! Layers, outermost first: request id (`x-request-id`, generated when absent, echoed on every
//! response), tracing span per request (carrying the id), metrics, URI length limit, CORS,
//! per-client rate limit, body size limit, panic catcher, then the routes. Bare statuses that axum
//! produces itself (unknown route, wrong method, oversized body) are rewritten into the API's error
//! format, and so are the ones hyper writes below the router when [`serve`] runs it.
#![warn(missing_docs)]

pub mod auth;
mod conn;
pub mod error;
pub mod extract;
pub mod middleware;
pub mod openapi;
pub mod routes;
pub mod serve;
pub mod store_metrics;

// The runtime pieces live in merx-runtime (shared with the CLI); these paths stay for code and
// docs that name them through the server (`merx_server::notify::verify_signature`).
pub use merx_runtime::{demo, notify, store_url, BlockingPoolHasher, TokioSleeper};

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method};
use axum::Router;
use merx_core::cart_service::CartService;
use merx_core::catalog_service::CatalogService;
use merx_core::checkout::CheckoutService;
use merx_core::clock::{Clock, SystemClock};
use merx_core::order::OrderService;
use merx_core::payment::{PaymentGateway, PaymentProcessor, Sleeper};
use merx_core::review::ReviewService;
use merx_core::settings_service::SettingsService;
use merx_core::store::Store;
use merx_core::user::{PasswordHashing, UserService};
use merx_core::Currency;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::auth::TokenKeys;
use crate::middleware::{Metrics, RateLimiter};

pub use crate::error::{AppError, ServerError};

/// A per-client token bucket: `per_second` requests on average, bursts up to `burst`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained requests per second per client.
    pub per_second: u32,
    /// Requests a client may make at once.
    pub burst: u32,
}

/// Which origins may call the API from a browser.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Cors {
    /// No CORS headers: same-origin only.
    #[default]
    Disabled,
    /// Any origin (no credentials).
    AnyOrigin,
    /// These exact origins.
    Origins(Vec<String>),
}

/// Server settings, passed explicitly (never read from the environment here).
#[derive(Clone)]
pub struct Config {
    /// HS256 secret for access tokens.
    pub jwt_secret: Vec<u8>,
    /// How long an access token lives.
    pub token_ttl: chrono::Duration,
    /// Currency of new carts and of catalog prices when a request names none.
    pub default_currency: Currency,
    /// Largest request body in bytes.
    pub body_limit: usize,
    /// Per-client rate limit; `None` turns it off.
    pub rate_limit: Option<RateLimit>,
    /// Proxies whose `X-Forwarded-For` is believed when finding a client's address (for rate
    /// limits); empty: the peer address is the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// CORS policy.
    pub cors: Cors,
    /// argon2id cost for new password hashes.
    pub password_hashing: PasswordHashing,
    /// Relay consumers (`webhook:<url>`, `nats:<stream>`, `log`) whose outbox lag `/metrics`
    /// reports; [`serve::serve_until`] adds the ones it relays to.
    pub outbox_consumers: Vec<String>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("token_ttl", &self.token_ttl)
            .field("default_currency", &self.default_currency)
            .field("body_limit", &self.body_limit)
            .field("rate_limit", &self.rate_limit)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("cors", &self.cors)
            .field("outbox_consumers", &self.outbox_consumers)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Production defaults around a secret: one-hour tokens, USD, 1 MiB bodies, 50 requests per
    /// second per client with bursts of 100, no CORS, OWASP argon2id cost.
    pub fn new(jwt_secret: impl Into<Vec<u8>>) -> Config {
        Config {
            jwt_secret: jwt_secret.into(),
            token_ttl: chrono::Duration::hours(1),
            default_currency: Currency::Usd,
            body_limit: 1024 * 1024,
            rate_limit: Some(RateLimit {
                per_second: 50,
                burst: 100,
            }),
            trusted_proxies: Vec::new(),
            cors: Cors::Disabled,
            password_hashing: PasswordHashing::default(),
            outbox_consumers: Vec::new(),
        }
    }
}

/// Everything a handler needs: the store, the gateway, the core services and the settings.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    store: Arc<dyn Store>,
    gateway: Arc<dyn PaymentGateway>,
    clock: Arc<dyn Clock>,
    config: Config,
    tokens: TokenKeys,
    users: UserService,
    carts: CartService,
    catalog: CatalogService,
    settings: SettingsService,
    checkout: CheckoutService,
    orders: OrderService,
    payments: Arc<PaymentProcessor>,
    reviews: ReviewService,
    recommendations: routes::recommendations::ModelSlot,
    metrics: Metrics,
    rate_limiter: Option<RateLimiter>,
}

impl AppState {
    /// State over `store` and `gateway` with the system clock and the tokio sleeper.
    pub fn new(
        store: Arc<dyn Store>,
        gateway: Arc<dyn PaymentGateway>,
        config: Config,
    ) -> AppState {
        AppState::with_clock(
            store,
            gateway,
            config,
            Arc::new(SystemClock),
            Arc::new(TokioSleeper),
        )
    }

    /// State with an explicit clock and sleeper (tests move time and skip real sleeps).
    pub fn with_clock(
        store: Arc<dyn Store>,
        gateway: Arc<dyn PaymentGateway>,
        config: Config,
        clock: Arc<dyn Clock>,
        sleeper: Arc<dyn Sleeper>,
    ) -> AppState {
        let metrics = Metrics::new();
        metrics.watch_outbox_consumers(config.outbox_consumers.iter().cloned());
        // Every store call made for a request is timed, whichever service makes it.
        let store: Arc<dyn Store> = Arc::new(store_metrics::TimedStore::new(
            store,
            metrics.store_latency(),
        ));
        let payments = Arc::new(PaymentProcessor::new(
            store.clone(),
            gateway.clone(),
            sleeper,
            clock.clone(),
        ));
        AppState(Arc::new(Inner {
            users: UserService::new(store.clone(), clock.clone())
                .with_hashing(config.password_hashing)
                .with_hasher(Arc::new(BlockingPoolHasher)),
            carts: CartService::new(store.clone(), clock.clone()),
            catalog: CatalogService::new(store.clone(), clock.clone()),
            settings: SettingsService::new(store.clone()),
            checkout: CheckoutService::new(store.clone(), clock.clone()),
            orders: OrderService::new(store.clone(), payments.clone(), clock.clone()),
            reviews: ReviewService::new(store.clone(), clock.clone()),
            recommendations: routes::recommendations::ModelSlot::default(),
            tokens: TokenKeys::new(&config.jwt_secret, config.token_ttl),
            rate_limiter: config.rate_limit.map(RateLimiter::new),
            metrics,
            payments,
            store,
            gateway,
            clock,
            config,
        }))
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.0.store
    }
    /// The payment gateway.
    pub fn gateway(&self) -> &Arc<dyn PaymentGateway> {
        &self.0.gateway
    }
    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.0.clock
    }
    /// The settings.
    pub fn config(&self) -> &Config {
        &self.0.config
    }
    /// The token keys.
    pub fn tokens(&self) -> &TokenKeys {
        &self.0.tokens
    }
    /// Accounts.
    pub fn users(&self) -> &UserService {
        &self.0.users
    }
    /// Carts.
    pub fn carts(&self) -> &CartService {
        &self.0.carts
    }
    /// Catalog administration.
    pub fn catalog(&self) -> &CatalogService {
        &self.0.catalog
    }
    /// Store settings.
    pub fn settings(&self) -> &SettingsService {
        &self.0.settings
    }
    /// Checkout.
    pub fn checkout(&self) -> &CheckoutService {
        &self.0.checkout
    }
    /// Order transitions.
    pub fn orders(&self) -> &OrderService {
        &self.0.orders
    }
    /// Payments.
    pub fn payments(&self) -> &PaymentProcessor {
        &self.0.payments
    }
    /// Reviews.
    pub fn reviews(&self) -> &ReviewService {
        &self.0.reviews
    }
    /// The recommendation model, trained on first use.
    pub fn recommendations(&self) -> &routes::recommendations::ModelSlot {
        &self.0.recommendations
    }
    /// Request metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }
    /// The rate limiter, when one is configured.
    pub fn rate_limiter(&self) -> Option<&RateLimiter> {
        self.0.rate_limiter.as_ref()
    }
}

fn cors_layer(cors: &Cors) -> Option<CorsLayer> {
    let base = || {
        CorsLayer::new()
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
            .allow_headers([
                axum::http::header::AUTHORIZATION,
                axum::http::header::CONTENT_TYPE,
                HeaderName::from_static(extract::CART_ID_HEADER),
                HeaderName::from_static("idempotency-key"),
            ])
            .expose_headers([
                HeaderName::from_static("x-request-id"),
                HeaderName::from_static(extract::CART_ID_HEADER),
                axum::http::header::RETRY_AFTER,
            ])
    };
    match cors {
        Cors::Disabled => None,
        Cors::AnyOrigin => Some(base().allow_origin(AllowOrigin::any())),
        Cors::Origins(origins) => {
            let origins: Vec<HeaderValue> = origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect();
            Some(base().allow_origin(AllowOrigin::list(origins)))
        }
    }
}

/// The whole API as one router: `/v1/...`, `/healthz`, `/readyz`, `/metrics`, the OpenAPI
/// document at `/v1/openapi.json` and the docs page at `/v1/docs`.
pub fn app(state: AppState) -> Router {
    let (api, openapi) = routes::api_router().split_for_parts();
    let openapi = openapi::finish(openapi);
    let request_id = HeaderName::from_static("x-request-id");
    let mut router = api
        .merge(routes::ops::router(openapi))
        .fallback(middleware::not_found)
        .layer(DefaultBodyLimit::max(state.config().body_limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::rate_limit,
        ));
    if let Some(cors) = cors_layer(&state.config().cors) {
        router = router.layer(cors);
    }
    router
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(axum::middleware::from_fn(
            middleware::error_format_for_bare_statuses,
        ))
        .layer(axum::middleware::from_fn(middleware::limit_uri_length))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::observe_request,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(middleware::request_span))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}
