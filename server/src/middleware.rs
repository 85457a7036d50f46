//! Cross-cutting layers: per-client rate limiting, Prometheus metrics, request spans, the URI
//! length limit, and the rewrite of axum's bare statuses into the API's error format.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use merx_core::ErrorCode;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};

use crate::error::AppError;
use crate::{AppState, RateLimit};

/// Buckets kept before idle ones are swept; bounds memory under many distinct clients.
const MAX_TRACKED_CLIENTS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    refreshed: Instant,
}

/// A token bucket per client IP address.
///
/// One mutex over a map is enough here: the critical section is a hash lookup and two float
/// operations, far below the cost of the request it guards.
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RateLimiter {
    /// A limiter enforcing `limit` per client.
    pub fn new(limit: RateLimit) -> RateLimiter {
        RateLimiter {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `client`; `Err(seconds)` says how long until one is available.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        let rate = f64::from(self.limit.per_second.max(1));
        let burst = f64::from(self.limit.burst.max(1));
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= MAX_TRACKED_CLIENTS {
            // A bucket idle long enough to be full again carries no information.
            let full_after = burst / rate;
            buckets.retain(|_, b| now.duration_since(b.refreshed).as_secs_f64() < full_after);
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: burst,
            refreshed: now,
        });
        let elapsed = now.duration_since(bucket.refreshed).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
        bucket.refreshed = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / rate;
            Err(wait.ceil().max(1.0) as u64)
        }
    }
}

/// Refuses a request with 429 and `Retry-After` when its client is over the limit. The client is
/// the peer address; in-process callers without one share a single bucket.
pub async fn rate_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Some(limiter) = state.rate_limiter() {
        let client = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        if let Err(retry_after) = limiter.check(client, Instant::now()) {
            return AppError::rate_limited(retry_after).into_response();
        }
    }
    next.run(request).await
}

/// Request counters and latency histograms in a registry of the server's own (not the process
/// global one), so several servers in one process, as in tests, keep separate counts.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
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
        registry
            .register(Box::new(requests.clone()))
            .expect("registered once");
        registry
            .register(Box::new(latency.clone()))
            .expect("registered once");
        Metrics {
            registry,
            requests,
            latency,
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

/// Counts the request and observes its latency, labelled by route template (not the raw path,
/// which would give one series per product id).
pub async fn record_metrics(
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
    let response = next.run(request).await;
    let metrics = state.metrics();
    metrics
        .requests
        .with_label_values(&[&method, &route, response.status().as_str()])
        .inc();
    metrics
        .latency
        .with_label_values(&[&method, &route])
        .observe(started.elapsed().as_secs_f64());
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
        let limiter = RateLimiter::new(RateLimit {
            per_second: 2,
            burst: 3,
        });
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let t0 = Instant::now();
        for _ in 0..3 {
            limiter.check(ip, t0).unwrap();
        }
        assert_eq!(limiter.check(ip, t0), Err(1));
        let other = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        limiter.check(other, t0).unwrap();
        limiter.check(ip, t0 + Duration::from_millis(500)).unwrap();
        assert!(limiter.check(ip, t0 + Duration::from_millis(500)).is_err());
    }
}
