//! Delivery to NATS JetStream: one message per event on `<prefix>.<EventType>`, deduplicated by
//! event id. Needs a JetStream server at `MERX_TEST_NATS_URL` (`scripts/test` sets
//! `nats://127.0.0.1:4222`); without it the test skips with a note, except under `CI=true`.

use std::sync::Arc;

use merx_core::clock::{Clock, SystemClock};
use merx_core::relay::Notifier;
use merx_core::store::memory::MemoryStore;
use merx_core::store::Store;
use merx_core::user::{PasswordHashing, Registration, UserService};
use merx_server::notify::{relay, EventFilter, NatsNotifier};

const URL_VARIABLE: &str = "MERX_TEST_NATS_URL";

fn nats_url() -> Option<String> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    match std::env::var(URL_VARIABLE) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if ci => panic!("{URL_VARIABLE} is not set and CI=true: the NATS test must run in CI"),
        _ => {
            eprintln!("SKIPPED (no NATS): set {URL_VARIABLE}=nats://host:4222 to run it");
            None
        }
    }
}

#[tokio::test]
async fn events_reach_jetstream_once_each() {
    let Some(url) = nats_url() else { return };
    let run = uuid::Uuid::new_v4().simple().to_string();
    let stream = format!("MERX_TEST_{}", &run[..12]);
    let prefix = format!("merxtest.{}", &run[..12]);
    let notifier = NatsNotifier::connect(&url, &stream, &prefix, EventFilter::default())
        .await
        .unwrap();
    assert_eq!(notifier.consumer(), format!("nats:{stream}"));

    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new(clock.clone()));
    let users =
        UserService::new(store.clone(), clock).with_hashing(PasswordHashing::insecure_fast());
    for email in ["a@example.com", "b@example.com", "c@example.com"] {
        users
            .register(Registration {
                email: email.into(),
                password: "long enough pass 42".into(),
                name: String::new(),
            })
            .await
            .unwrap();
    }
    let notifier = Arc::new(notifier);
    let report = relay(store.clone(), vec![notifier.clone()])
        .run_once()
        .await
        .unwrap()
        .remove(0);
    assert_eq!((report.delivered, report.cursor), (3, 3));

    // The relay may send an event twice (a crash before the cursor moved): JetStream keeps one.
    let first = store.events_after(0, 1).await.unwrap().remove(0);
    notifier.deliver(&first).await.unwrap();

    let client = async_nats::connect(&url).await.unwrap();
    let jetstream = async_nats::jetstream::new(client);
    let mut handle = jetstream.get_stream(&stream).await.unwrap();
    assert_eq!(handle.info().await.unwrap().state.messages, 3);
    let last = handle
        .get_last_raw_message_by_subject(&format!("{prefix}.UserRegistered"))
        .await
        .unwrap();
    let event: serde_json::Value = serde_json::from_slice(&last.payload).unwrap();
    assert_eq!(event["sequence"], 3);
    assert_eq!(event["payload"]["email"], "c@example.com");
    jetstream.delete_stream(&stream).await.unwrap();
}
