//! One access-log line per request, at info, with what an operator greps for.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::harness;

/// Log output captured in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

// The only test in this binary, so the capturing subscriber can be the process-wide one (a
// thread-scoped subscriber races tracing's per-callsite interest cache with other tests).
#[tokio::test]
async fn every_request_writes_one_access_log_line_at_info() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("info")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let h = harness().await;
    let listed = h.get("/v1/products?limit=1", None).await;
    assert_eq!(listed.status, 200);
    let missing = h.get("/v1/no-such-thing", None).await;
    assert_eq!(missing.status, 404);

    let text = logs.text();
    let access: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("merx::access"))
        .collect();
    assert_eq!(access.len(), 2, "{text}");
    let products = access[0];
    assert!(products.contains(" INFO "), "{products}");
    for part in [
        "method=GET",
        "path=/v1/products",
        "route=/v1/products",
        "status=200",
        "latency_ms=",
    ] {
        assert!(products.contains(part), "{part} missing in {products}");
    }
    let id = listed.header("x-request-id").unwrap();
    assert!(products.contains(&format!("request_id={id}")), "{products}");
    assert!(access[1].contains("status=404"), "{}", access[1]);
    assert!(access[1].contains("route=unmatched"), "{}", access[1]);
}
