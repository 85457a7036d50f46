//! The relay delivering outbox events to a real HTTP receiver: signed, in order, retried on 5xx,
//! dropped on 4xx, resumed from the stored cursor.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use merx_core::clock::{Clock, SystemClock};
use merx_core::relay::Notifier;
use merx_core::store::memory::MemoryStore;
use merx_core::store::Store;
use merx_core::user::{PasswordHashing, Registration, UserService};
use merx_server::notify::{relay, verify_signature, EventFilter, WebhookNotifier};

const SECRET: &[u8] = b"whsec-0123456789abcdef";

/// What the receiver saw, and the statuses it answers with (200 once the script runs out).
#[derive(Default)]
struct Receiver {
    requests: Mutex<Vec<(HeaderMap, Bytes)>>,
    script: Mutex<VecDeque<StatusCode>>,
}

async fn hook(
    State(receiver): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    receiver.requests.lock().unwrap().push((headers, body));
    receiver
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(StatusCode::OK)
}

async fn start(receiver: Arc<Receiver>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/hook", post(hook))
        .with_state(receiver);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}/hook")
}

async fn register(store: &Arc<dyn Store>, clock: &Arc<dyn Clock>, emails: &[&str]) {
    let users = UserService::new(store.clone(), clock.clone())
        .with_hashing(PasswordHashing::insecure_fast());
    for email in emails {
        users
            .register(Registration {
                email: email.to_string(),
                password: "long enough pass 42".into(),
                name: String::new(),
            })
            .await
            .unwrap();
    }
}

fn seen(receiver: &Receiver) -> Vec<(HeaderMap, serde_json::Value)> {
    receiver
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|(h, b)| (h.clone(), serde_json::from_slice(b).unwrap()))
        .collect()
}

#[tokio::test]
async fn webhooks_are_signed_ordered_retried_and_resumed() {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new(clock.clone()));
    register(&store, &clock, &["a@example.com", "b@example.com"]).await;
    let receiver = Arc::new(Receiver::default());
    receiver
        .script
        .lock()
        .unwrap()
        .extend([StatusCode::SERVICE_UNAVAILABLE]);
    let url = start(receiver.clone()).await;
    let webhook =
        WebhookNotifier::new(&url, SECRET, EventFilter::default(), Duration::from_secs(5)).unwrap();
    let consumer = webhook.consumer().to_string();
    let relay = relay(store.clone(), vec![Arc::new(webhook)]);

    let report = relay.run_once().await.unwrap().remove(0);
    assert_eq!((report.delivered, report.retries, report.cursor), (2, 1, 2));
    let requests = receiver.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 3, "one 503, then both events");
    let now = chrono::Utc::now().timestamp();
    for (headers, body) in &requests {
        let signature = headers["merx-signature"].to_str().unwrap();
        assert!(verify_signature(
            SECRET,
            signature,
            body,
            now,
            Duration::from_secs(300)
        ));
        assert!(!verify_signature(
            b"not-the-secret-at-all",
            signature,
            body,
            now,
            Duration::from_secs(300)
        ));
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(headers["merx-event-type"], "UserRegistered");
    }
    let events = seen(&receiver);
    assert_eq!(
        events[0].1, events[1].1,
        "the retried request carries the same event"
    );
    assert_eq!(events[1].1["sequence"], 1);
    assert_eq!(events[2].1["sequence"], 2);
    assert_eq!(events[2].1["payload"]["email"], "b@example.com");
    assert_eq!(
        events[2].0["merx-event-id"].to_str().unwrap(),
        events[2].1["id"].as_str().unwrap()
    );
    assert_eq!(store.delivery_cursor(&consumer).await.unwrap(), 2);

    // A 4xx refuses one event for good: it is dropped and the next one still goes out.
    register(&store, &clock, &["c@example.com", "d@example.com"]).await;
    receiver
        .script
        .lock()
        .unwrap()
        .extend([StatusCode::UNPROCESSABLE_ENTITY]);
    let report = relay.run_once().await.unwrap().remove(0);
    assert_eq!((report.delivered, report.dropped, report.cursor), (1, 1, 4));
    assert!(report
        .error
        .unwrap()
        .ends_with("answered 422 Unprocessable Entity"));
    let events = seen(&receiver);
    assert_eq!(events.len(), 5);
    assert_eq!(events[4].1["payload"]["email"], "d@example.com");
}

#[tokio::test]
async fn an_unreachable_webhook_stalls_and_keeps_its_events() {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new(clock.clone()));
    register(&store, &clock, &["a@example.com"]).await;
    // Nothing listens on a port just released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let webhook = WebhookNotifier::new(
        &format!("http://127.0.0.1:{port}/hook"),
        SECRET,
        EventFilter::only(["OrderPlaced", "UserRegistered"]),
        Duration::from_secs(2),
    )
    .unwrap();
    let consumer = webhook.consumer().to_string();
    let relay = merx_core::relay::Relay::new(
        store.clone(),
        vec![Arc::new(webhook)],
        Arc::new(merx_core::payment::RecordingSleeper::default()),
        merx_core::relay::RelayConfig::default(),
    );
    let report = relay.run_once().await.unwrap().remove(0);
    assert!(report.stalled);
    assert_eq!(report.retries, 4);
    assert_eq!(store.delivery_cursor(&consumer).await.unwrap(), 0);
    assert!(report.error.unwrap().contains("(after 5 attempts)"));
}

/// Accepts requests and never answers them while the test runs.
async fn hanging(
    State(receiver): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    receiver.requests.lock().unwrap().push((headers, body));
    std::future::pending::<()>().await;
    StatusCode::OK
}

#[tokio::test]
async fn a_hanging_receiver_delays_no_other_notifier_and_shutdown_does_not_wait_for_it() {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new(clock.clone()));
    register(
        &store,
        &clock,
        &["a@example.com", "b@example.com", "c@example.com"],
    )
    .await;
    let fast = Arc::new(Receiver::default());
    let fast_url = start(fast.clone()).await;
    let slow = Arc::new(Receiver::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let slow_url = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/hook", post(hanging))
        .with_state(slow.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let notifier = |url: &str| -> Arc<dyn Notifier> {
        Arc::new(
            WebhookNotifier::new(
                url,
                SECRET,
                EventFilter::default(),
                Duration::from_secs(600),
            )
            .unwrap(),
        )
    };
    // The hanging one first: with one loop for both, the fast one would wait behind it.
    let notifiers = vec![notifier(&slow_url), notifier(&fast_url)];
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let relays = tokio::spawn(merx_server::notify::run_relays(
        store.clone(),
        notifiers,
        Duration::from_millis(20),
        async move {
            let _ = stopped.await;
        },
    ));
    // A generous guard against a hang, not a speed requirement.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while fast.requests.lock().unwrap().len() < 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the fast receiver was held up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        slow.requests.lock().unwrap().len(),
        1,
        "still waiting on the first event"
    );
    let slow_consumer = format!("webhook:{slow_url}");
    assert_eq!(store.delivery_cursor(&slow_consumer).await.unwrap(), 0);
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(30), relays)
        .await
        .expect("shutdown abandons the hanging request")
        .unwrap();
    assert_eq!(
        store.delivery_cursor(&slow_consumer).await.unwrap(),
        0,
        "nothing lost"
    );
}
