//! `/metrics` reports store latency per store operation and each relay consumer's outbox lag,
//! named by Prometheus conventions and read back with a Prometheus text parser.

mod common;

use common::{harness_with, test_config, Harness};
use serde_json::json;

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

async fn scrape(h: &Harness) -> (prometheus_parse::Scrape, String) {
    let reply = h.get("/metrics", None).await;
    assert_eq!(reply.status, 200);
    let text = reply.body.as_str().unwrap().to_string();
    let parsed = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
    (parsed, text)
}

const CONSUMER: &str = "webhook:https://hooks.example.com/merx";

#[tokio::test]
async fn metrics_report_store_latency_and_outbox_lag_per_consumer() {
    let mut config = test_config();
    config.outbox_consumers = vec![CONSUMER.to_string()];
    let h = harness_with(config).await;
    let (_, token) = h.customer("lag@example.com").await;
    let added = h.add_to_cart(Some(&token), None, 0, "1").await;
    assert_eq!(added.status, 200, "{}", added.body);
    let placed = h.post("/v1/orders", Some(&token), json!({})).await;
    assert_eq!(placed.status, 201, "{}", placed.body);

    let newest = h
        .store
        .events_after(0, 100_000)
        .await
        .unwrap()
        .last()
        .unwrap()
        .sequence;
    let (metrics, text) = scrape(&h).await;
    // Nothing delivered yet: every event in the outbox is pending, the oldest one first.
    let pending = |m: &prometheus_parse::Scrape| {
        sample(m, "merx_outbox_pending_events", &[("consumer", CONSUMER)])
    };
    let age = |m: &prometheus_parse::Scrape| {
        sample(
            m,
            "merx_outbox_oldest_pending_age_seconds",
            &[("consumer", CONSUMER)],
        )
    };
    assert_eq!(pending(&metrics), Some(newest as f64), "{text}");
    assert!(age(&metrics).is_some_and(|a| a >= 0.0), "{text}");
    for (operation, at_least) in [
        ("place_order", 1.0),
        ("get_product", 1.0),
        ("get_user", 1.0),
    ] {
        let count = sample(
            &metrics,
            "merx_store_operation_duration_seconds_count",
            &[("operation", operation)],
        );
        assert!(
            count.is_some_and(|n| n >= at_least),
            "{operation}: {count:?}\n{text}"
        );
    }
    assert!(
        text.contains("# TYPE merx_store_operation_duration_seconds histogram"),
        "{text}"
    );

    // Three events behind, then none.
    h.store
        .advance_delivery_cursor(CONSUMER, newest - 3)
        .await
        .unwrap();
    let (metrics, _) = scrape(&h).await;
    assert_eq!(pending(&metrics), Some(3.0));
    h.store
        .advance_delivery_cursor(CONSUMER, newest)
        .await
        .unwrap();
    let (metrics, _) = scrape(&h).await;
    assert_eq!(pending(&metrics), Some(0.0));
    assert_eq!(age(&metrics), Some(0.0));
}
