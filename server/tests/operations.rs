//! What an operator relies on: probes and metrics never rate limited, client addresses behind
//! trusted proxies, and metrics a Prometheus parser reads (the access log has its own file).

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use common::{assert_error, harness, harness_with, test_config, Harness, Reply};
use merx_server::RateLimit;
use serde_json::json;

fn limited(burst: u32) -> merx_server::Config {
    let mut config = test_config();
    config.rate_limit = Some(RateLimit {
        per_second: 1,
        burst,
    });
    config
}

#[tokio::test]
async fn probes_and_metrics_are_never_rate_limited() {
    let h = harness_with(limited(1)).await;
    for path in ["/healthz", "/readyz", "/metrics"] {
        for _ in 0..5 {
            assert_eq!(h.get(path, None).await.status, 200, "{path}");
        }
    }
    assert_eq!(h.get("/v1/currencies", None).await.status, 200);
    assert_error(&h.get("/v1/currencies", None).await, 429, "rate_limited");
}

/// A GET from `peer` with an optional `X-Forwarded-For`, as hyper would hand it to the router.
async fn from_peer(h: &Harness, peer: &str, forwarded_for: Option<&str>) -> Reply {
    let mut builder = Request::builder().uri("/v1/currencies");
    if let Some(chain) = forwarded_for {
        builder = builder.header("x-forwarded-for", chain);
    }
    let mut request = builder.body(Body::empty()).unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
    h.raw(request).await
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_bucket() {
    let mut config = limited(1);
    config.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
    let h = harness_with(config).await;
    let proxy = "10.1.2.3:40000";
    assert_eq!(from_peer(&h, proxy, Some("198.51.100.1")).await.status, 200);
    assert_error(
        &from_peer(&h, proxy, Some("198.51.100.1")).await,
        429,
        "rate_limited",
    );
    // Another client behind the same proxy is not held back by the first one.
    assert_eq!(from_peer(&h, proxy, Some("198.51.100.2")).await.status, 200);
    // A client prepending a fake address to the chain still lands in its own bucket.
    assert_error(
        &from_peer(&h, proxy, Some("6.6.6.6, 198.51.100.2")).await,
        429,
        "rate_limited",
    );
    // An untrusted peer cannot pick a bucket by sending the header.
    let direct = "203.0.113.5:5000";
    assert_eq!(from_peer(&h, direct, Some("1.1.1.1")).await.status, 200);
    assert_error(
        &from_peer(&h, direct, Some("2.2.2.2")).await,
        429,
        "rate_limited",
    );
}

fn sample(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .samples
        .iter()
        .find(|s| {
            s.metric == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(k).is_some_and(|found| found == *v))
        })
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => f64::NAN,
        })
}

#[tokio::test]
async fn metrics_cover_the_process_requests_and_commerce_operations() {
    let h = harness().await;
    let (_, token) = h.customer("metrics@example.com").await;
    let added = h.add_to_cart(Some(&token), None, 0, "1").await;
    assert_eq!(added.status, 200, "{}", added.body);
    let placed = h.post("/v1/orders", Some(&token), json!({})).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    let order_id = placed.body["id"].as_str().unwrap();
    let declined = h
        .post(
            &format!("/v1/orders/{order_id}/payments"),
            Some(&token),
            json!({"token": "4000000000000002"}),
        )
        .await;
    assert_eq!(declined.status, 402);
    let empty = h.post("/v1/orders", Some(&token), json!({})).await;
    assert_eq!(empty.status, 422);

    let scraped = h.get("/metrics", None).await;
    assert_eq!(scraped.status, 200);
    let text = scraped.body.as_str().unwrap().to_string();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
    let op = |operation: &str, outcome: &str| {
        sample(
            &scrape,
            "merx_commerce_operations_total",
            &[("operation", operation), ("outcome", outcome)],
        )
    };
    assert_eq!(op("checkout", "succeeded"), Some(1.0), "{text}");
    assert_eq!(op("checkout", "refused"), Some(1.0));
    assert_eq!(op("payment", "refused"), Some(1.0));
    assert_eq!(
        sample(
            &scrape,
            "merx_http_requests_total",
            &[
                ("method", "POST"),
                ("route", "/v1/orders"),
                ("status", "201")
            ]
        ),
        Some(1.0)
    );
    assert!(sample(
        &scrape,
        "merx_http_request_duration_seconds_count",
        &[("route", "/v1/orders")]
    )
    .is_some_and(|n| n >= 2.0));
    for process in ["process_resident_memory_bytes", "process_open_fds"] {
        let value = sample(&scrape, process, &[]);
        assert!(value.is_some_and(|v| v > 0.0), "{process}: {value:?}");
    }
    // Whole seconds of CPU: present, possibly still zero this early in a test process.
    assert!(sample(&scrape, "process_cpu_seconds_total", &[]).is_some_and(|v| v >= 0.0));
}
