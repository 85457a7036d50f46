//! Over-long URIs are `414 uri_too_long` with the error body and a request id: refused by the
//! router's own limit, and, past hyper's fixed 64 KiB, by hyper with its answer rewritten on the
//! way out (which only a real listener shows).

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::{assert_error, harness, test_config};
use merx_core::clock::SystemClock;
use merx_core::payment::TestGateway;
use merx_core::store::memory::MemoryStore;
use merx_server::middleware::MAX_URI_BYTES;
use merx_server::serve::serve_until;
use merx_server::AppState;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn the_router_refuses_a_long_uri_in_the_error_format() {
    let h = harness().await;
    let at_limit = format!("/v1/products?q={}", "a".repeat(MAX_URI_BYTES - 15));
    assert_eq!(at_limit.len(), MAX_URI_BYTES);
    // At the limit the URI is let through, and the search text's own rule answers.
    let reply = h.get(&at_limit, None).await;
    assert_error(&reply, 422, "validation_failed");

    let reply = h.get(&format!("{at_limit}a"), None).await;
    assert_error(&reply, 414, "uri_too_long");
    let reply = h
        .get(&format!("/v1/products?q={}", "a".repeat(20_000)), None)
        .await;
    assert_error(&reply, 414, "uri_too_long");
}

struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `request` as raw bytes (no client library builds a URI over 64 KiB) and reads the answer
/// up to the end of its body.
async fn send(addr: SocketAddr, request: &[u8]) -> Raw {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    let (head, body_start, length) = loop {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .expect("an answer in time")
            .unwrap();
        assert!(n > 0, "connection closed before a full answer");
        received.extend_from_slice(&chunk[..n]);
        let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8(received[..end].to_vec()).unwrap();
        let length = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().unwrap())
            })
            .unwrap_or(0);
        break (head, end + 4, length);
    };
    while received.len() < body_start + length {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed inside the body");
        received.extend_from_slice(&chunk[..n]);
    }
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_string(), v.trim().to_string())
        })
        .collect();
    let body = &received[body_start..body_start + length];
    Raw {
        status,
        headers,
        body: serde_json::from_slice(body).unwrap_or(Value::Null),
    }
}

fn assert_api_error(reply: &Raw, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{:?} {}", reply.headers, reply.body);
    assert_eq!(reply.body["code"], code, "{}", reply.body);
    assert!(reply.body["message"].is_string(), "{}", reply.body);
    assert!(
        reply.header("x-request-id").is_some(),
        "{:?}",
        reply.headers
    );
    assert_eq!(reply.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn a_real_listener_answers_every_long_uri_in_the_error_format() {
    let clock = Arc::new(SystemClock);
    let state = AppState::new(
        Arc::new(MemoryStore::new(clock)),
        Arc::new(TestGateway::new()),
        test_config(),
    );
    let (bound, listening) = tokio::sync::oneshot::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_until(
        state,
        "127.0.0.1:0".parse().unwrap(),
        Vec::new(),
        Duration::from_secs(1),
        move |addr| {
            let _ = bound.send(addr);
        },
        async move {
            let _ = stopped.await;
        },
    ));
    let addr = listening.await.unwrap();
    let get = |target: String| format!("GET {target} HTTP/1.1\r\nhost: shop.test\r\n\r\n");

    let healthy = send(addr, get("/healthz".into()).as_bytes()).await;
    assert_eq!(healthy.status, 200);

    // Below hyper's limit: the router's own.
    let long = send(
        addr,
        get(format!("/v1/products?q={}", "a".repeat(20_000))).as_bytes(),
    )
    .await;
    assert_api_error(&long, 414, "uri_too_long");

    // Above it: hyper refuses before routing; the answer is rewritten on its way out.
    let huge = send(
        addr,
        get(format!("/v1/products?q={}", "a".repeat(100_000))).as_bytes(),
    )
    .await;
    assert_api_error(&huge, 414, "uri_too_long");
    assert_eq!(huge.header("connection"), Some("close"));

    // A request line hyper cannot parse at all.
    let garbled = send(
        addr,
        b"GET /v1/products HTTP/1.1\r\nbad header line\r\n\r\n",
    )
    .await;
    assert_api_error(&garbled, 400, "malformed_request");

    // The router's own bare-looking errors carry their request id and pass through untouched.
    let again = send(addr, get("/v1/products/not-an-id".into()).as_bytes()).await;
    assert_api_error(&again, 400, "malformed_request");

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
