//! Cross-cutting layers: per-client rate limiting (behind trusted proxies too), Prometheus
//! metrics, the access log, request spans, the URI length limit, and the rewrite of axum's bare
//! statuses into the API's error format.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use ipnet::IpNet;
use merx_core::ErrorCode;
use prometheus::{
    Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::error::AppError;
use crate::{AppState, RateLimit};

/// Clients tracked before idle ones are swept; bounds memory under many distinct clients.
const MAX_TRACKED_CLIENTS: usize = 100_000;

/// Paths never rate-limited: a load balancer's or orchestrator's probe loop and a Prometheus
/// scraper poll them from one address on a schedule, and a 429 there would take a healthy
/// replica out of rotation.
const UNLIMITED_PATHS: &[&str] = &["/healthz", "/readyz", "/metrics"];

type KeyedLimiter<C> = governor::RateLimiter<
    IpAddr,
    governor::state::keyed::DefaultKeyedStateStore<IpAddr>,
    C,
    governor::middleware::NoOpMiddleware<<C as governor::clock::Clock>::Instant>,
>;

/// A token bucket (GCRA, from the `governor` crate) per client IP address.
pub struct RateLimiter<C: governor::clock::Clock = governor::clock::DefaultClock> {
    limiter: KeyedLimiter<C>,
    clock: C,
}

impl<C: governor::clock::Clock> std::fmt::Debug for RateLimiter<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("clients", &self.limiter.len())
            .finish_non_exhaustive()
    }
}

fn quota(limit: RateLimit) -> governor::Quota {
    let per_second = NonZeroU32::new(limit.per_second.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(limit.burst.max(1)).unwrap_or(NonZeroU32::MIN);
    governor::Quota::per_second(per_second).allow_burst(burst)
}

impl RateLimiter {
    /// A limiter enforcing `limit` per client.
    pub fn new(limit: RateLimit) -> RateLimiter {
        RateLimiter::with_clock(limit, governor::clock::DefaultClock::default())
    }
}

impl<C: governor::clock::Clock + Clone> RateLimiter<C> {
    /// A limiter on `clock` (a fake one in tests).
    pub fn with_clock(limit: RateLimit, clock: C) -> RateLimiter<C> {
        RateLimiter {
            limiter: governor::RateLimiter::new(quota(limit), Default::default(), clock.clone()),
            clock,
        }
    }

    /// Takes one token for `client`; `Err(seconds)` says how long until one is available.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        if self.limiter.len() >= MAX_TRACKED_CLIENTS {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&client).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            wait.as_secs_f64().ceil().max(1.0) as u64
        })
    }
}

/// The address of the client a request comes from. The peer is the client unless it is a trusted
/// proxy; then the `X-Forwarded-For` chain is read from the right (each proxy appends the address
/// it received from), skipping trusted proxies, and the first address not trusted is the client.
/// Entries left of it were written by the client itself and prove nothing, so they are never
/// used: a client cannot pick its own bucket by sending the header.
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[IpNet],
) -> IpAddr {
    let Some(peer) = peer else {
        // In-process callers (tests, an embedding app) have no peer and share one bucket.
        return IpAddr::V4(Ipv4Addr::UNSPECIFIED);
    };
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    if let Some(chain) = forwarded_for {
        for hop in chain.rsplit(',') {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => {
                    client = ip;
                    if !is_trusted(&ip) {
                        break;
                    }
                }
                // A malformed hop ends what can be believed.
                Err(_) => break,
            }
        }
    }
    client
}

/// Refuses a request with 429 and `Retry-After` when its client is over the limit (see
/// [`client_address`]); probes and metrics are never limited.
pub async fn rate_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Some(limiter) = state.rate_limiter() {
        if !UNLIMITED_PATHS.contains(&request.uri().path()) {
            let peer = request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip());
            let forwarded = request
                .headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok());
            let client = client_address(peer, forwarded, &state.config().trusted_proxies);
            if let Err(retry_after) = limiter.check(client) {
                return AppError::rate_limited(retry_after).into_response();
            }
        }
    }
    next.run(request).await
}

/// Metrics in a registry of the server's own (not the process global one), so several servers in
/// one process, as in tests, keep separate counts. Names follow Prometheus conventions (`_total`
/// counters, base units in the name).
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    operations: IntCounterVec,
    store_latency: HistogramVec,
    outbox_pending: IntGaugeVec,
    outbox_oldest_age: GaugeVec,
    /// The relay consumers whose lag is reported (those this process delivers to).
    outbox_consumers: Arc<std::sync::RwLock<Vec<String>>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Fresh metrics.
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("merx_http_requests_total", "HTTP requests answered"),
            &["method", "route", "status"],
        )
        .expect("static metric definition");
        let latency = HistogramVec::new(
            HistogramOpts::new("merx_http_request_duration_seconds", "HTTP request latency"),
            &["method", "route"],
        )
        .expect("static metric definition");
        let operations = IntCounterVec::new(
            Opts::new(
                "merx_commerce_operations_total",
                "Checkouts, payments, refunds and cancellations, by outcome (succeeded: 2xx, \
                 refused: 4xx, failed: 5xx)",
            ),
            &["operation", "outcome"],
        )
        .expect("static metric definition");
        let store_latency = HistogramVec::new(
            HistogramOpts::new(
                "merx_store_operation_duration_seconds",
                "Store call latency by store operation (trait method)",
            )
            .buckets(crate::store_metrics::LATENCY_BUCKETS.to_vec()),
            &["operation"],
        )
        .expect("static metric definition");
        let outbox_pending = IntGaugeVec::new(
            Opts::new(
                "merx_outbox_pending_events",
                "Outbox events a relay consumer has not yet been delivered, read at scrape time",
            ),
            &["consumer"],
        )
        .expect("static metric definition");
        let outbox_oldest_age = GaugeVec::new(
            Opts::new(
                "merx_outbox_oldest_pending_age_seconds",
                "Age of the oldest outbox event a relay consumer has not yet been delivered \
                 (0 when none is pending)",
            ),
            &["consumer"],
        )
        .expect("static metric definition");
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(operations.clone()),
            Box::new(store_latency.clone()),
            Box::new(outbox_pending.clone()),
            Box::new(outbox_oldest_age.clone()),
        ] {
            registry.register(collector).expect("registered once");
        }
        // CPU seconds, resident memory, open and maximum file descriptors, threads, start time.
        #[cfg(target_os = "linux")]
        registry
            .register(Box::new(
                prometheus::process_collector::ProcessCollector::for_self(),
            ))
            .expect("registered once");
        Metrics {
            registry,
            requests,
            latency,
            operations,
            store_latency,
            outbox_pending,
            outbox_oldest_age,
            outbox_consumers: Arc::default(),
        }
    }

    /// The histogram [`crate::store_metrics::TimedStore`] observes store calls into.
    pub fn store_latency(&self) -> HistogramVec {
        self.store_latency.clone()
    }

    /// Reports the outbox lag of these relay consumers from now on (the server registers the
    /// consumers its relay delivers to when it starts them).
    pub fn watch_outbox_consumers(&self, consumers: impl IntoIterator<Item = String>) {
        let mut watched = self
            .outbox_consumers
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for consumer in consumers {
            if !watched.contains(&consumer) {
                watched.push(consumer);
            }
        }
    }

    /// Reads every watched consumer's lag from `store` into the gauges, before a scrape. A store
    /// that cannot answer leaves the last values and is logged: a scrape still answers.
    pub async fn refresh_outbox_lag(
        &self,
        store: &dyn merx_core::store::Store,
        now: DateTime<Utc>,
    ) {
        let consumers = self
            .outbox_consumers
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        for consumer in consumers {
            match crate::store_metrics::outbox_lag(store, &consumer).await {
                Ok(lag) => {
                    let age = lag
                        .oldest
                        .map(|at| (now - at).num_milliseconds().max(0) as f64 / 1000.0)
                        .unwrap_or(0.0);
                    self.outbox_pending
                        .with_label_values(&[&consumer])
                        .set(i64::try_from(lag.pending).unwrap_or(i64::MAX));
                    self.outbox_oldest_age
                        .with_label_values(&[&consumer])
                        .set(age);
                }
                Err(error) => {
                    tracing::warn!(%consumer, %error, "cannot read the outbox lag");
                }
            }
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        // Encoding in-memory metrics into a Vec cannot fail.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The commerce operation a route performs, for `merx_commerce_operations_total`.
fn operation(method: &str, route: &str) -> Option<&'static str> {
    match (method, route) {
        ("POST", "/v1/orders") => Some("checkout"),
        ("POST", "/v1/orders/{id}/payments") => Some("payment"),
        ("POST", "/v1/orders/{id}/refund") => Some("refund"),
        ("POST", "/v1/orders/{id}/cancel") => Some("cancel"),
        _ => None,
    }
}

/// Counts the request, observes its latency (labelled by route template, not the raw path, which
/// would give one series per product id) and writes the access-log line: one `info` event per
/// request with method, route, status, latency and request id, as operators of any HTTP service
/// expect to grep.
pub async fn observe_request(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let path = request.uri().path().to_owned();
    // Set on the request by the request-id layer outside this one (the response gets it later).
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status();
    let metrics = state.metrics();
    metrics
        .requests
        .with_label_values(&[&method, &route, status.as_str()])
        .inc();
    metrics
        .latency
        .with_label_values(&[&method, &route])
        .observe(elapsed.as_secs_f64());
    if let Some(operation) = operation(&method, &route) {
        let outcome = if status.is_success() {
            "succeeded"
        } else if status.is_client_error() {
            "refused"
        } else {
            "failed"
        };
        metrics
            .operations
            .with_label_values(&[operation, outcome])
            .inc();
    }
    tracing::info!(
        target: "merx::access",
        method = %method,
        path = %path,
        route = %route,
        status = status.as_u16(),
        latency_ms = format_args!("{:.3}", elapsed.as_secs_f64() * 1000.0),
        request_id = %request_id,
        "request"
    );
    response
}

/// The tracing span of a request, carrying its id so every log line inside names it.
pub fn request_span(request: &Request<Body>) -> tracing::Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %request_id,
    )
}

/// The answer when a handler panics: logged (inside the request span, so with the request id),
/// answered as `internal` without the panic text.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let text = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    AppError::internal(&format!("handler panicked: {text}")).into_response()
}

/// Longest path and query, in bytes, the API takes.
///
/// Every route takes ids and short parameters (a search text is at most 200 characters, under
/// 2 KiB even percent-encoded), and 8 KiB is what common proxies let through. hyper's own limit is
/// a fixed 64 KiB answered with an empty body below the router (see `conn`); refusing far below
/// it here means the answer carries the error body and request id in every server the router is
/// mounted in, in-process tests included.
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// Refuses a request whose path and query are longer than [`MAX_URI_BYTES`] with `uri_too_long`.
pub async fn limit_uri_length(request: Request, next: Next) -> Response {
    let length = request
        .uri()
        .path_and_query()
        .map_or(0, |target| target.as_str().len());
    if length > MAX_URI_BYTES {
        return AppError::new(
            ErrorCode::UriTooLong,
            format!("the request URI is {length} bytes long; at most {MAX_URI_BYTES} are accepted"),
        )
        .into_response();
    }
    next.run(request).await
}

/// The answer for a path no route matches.
pub async fn not_found() -> AppError {
    AppError::new(ErrorCode::NotFound, "no such resource")
}

/// Gives the responses axum makes on its own (wrong method, oversized body) the API's error body,
/// keeping their headers (`Allow` on 405).
pub async fn error_format_for_bare_statuses(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json || response.status().is_success() {
        return response;
    }
    let code = match response.status() {
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::URI_TOO_LONG => ErrorCode::UriTooLong,
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::UNSUPPORTED_MEDIA_TYPE | StatusCode::BAD_REQUEST => ErrorCode::MalformedRequest,
        _ => return response,
    };
    let (mut parts, _) = response.into_parts();
    let body = AppError::new(code, code.description()).into_response();
    let (body_parts, body) = body.into_parts();
    parts.status = body_parts.status;
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_allows_a_burst_then_refills_at_the_rate() {
        let clock = governor::clock::FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(
            RateLimit {
                per_second: 2,
                burst: 3,
            },
            clock.clone(),
        );
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        for _ in 0..3 {
            limiter.check(ip).unwrap();
        }
        assert_eq!(limiter.check(ip), Err(1));
        let other = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        limiter.check(other).unwrap();
        clock.advance(Duration::from_millis(500));
        limiter.check(ip).unwrap();
        assert!(limiter.check(ip).is_err());
    }

    #[test]
    fn the_client_is_the_first_untrusted_hop_from_the_right() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // An untrusted peer is the client, whatever it claims.
        assert_eq!(
            client_address(Some(ip("203.0.113.9")), Some("198.51.100.1"), &trusted),
            ip("203.0.113.9")
        );
        // Behind two trusted proxies, the address the outer one saw.
        assert_eq!(
            client_address(
                Some(ip("10.0.0.2")),
                Some("6.6.6.6, 198.51.100.7, 10.0.0.1"),
                &trusted
            ),
            ip("198.51.100.7")
        );
        // A trusted peer without the header, or with garbage, is taken as the client.
        assert_eq!(client_address(Some(ip("::1")), None, &trusted), ip("::1"));
        assert_eq!(
            client_address(Some(ip("10.0.0.2")), Some("not-an-ip"), &trusted),
            ip("10.0.0.2")
        );
        // No trusted proxies configured: the header is ignored.
        assert_eq!(
            client_address(Some(ip("10.0.0.2")), Some("198.51.100.7"), &[]),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_address(None, Some("198.51.100.7"), &trusted),
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        );
    }
}
