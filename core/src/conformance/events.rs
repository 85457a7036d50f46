//! [`EventStore`](crate::store::EventStore): outbox sequences and delivery cursors, and leases with
//! one holder at a time.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

use crate::event::{EventPayload, NewEvent};
use crate::ids::{EventId, OrderId, ProductId};
use crate::order::OrderStatus;
use crate::store::{StorageError, Store};

use super::fixtures::*;
use super::Spawn;

/// `acquire_lease`/`release_lease`: one holder at a time, renewal by the holder, takeover only
/// after the time ran out, release; and under racing acquirers exactly one wins.
pub async fn leases_have_one_holder_at_a_time(store: Arc<dyn Store>, spawn: Spawn<'_>) {
    let t0 = DateTime::<Utc>::from_timestamp(1_793_534_400, 0).unwrap();
    let later = move |s: i64| t0 + Duration::seconds(s);
    assert!(store
        .acquire_lease("relay:a", "one", t0, later(30))
        .await
        .unwrap());
    assert!(!store
        .acquire_lease("relay:a", "two", later(10), later(40))
        .await
        .unwrap());
    assert!(
        store
            .acquire_lease("relay:b", "two", later(10), later(40))
            .await
            .unwrap(),
        "names are independent"
    );
    assert!(
        store
            .acquire_lease("relay:a", "one", later(20), later(50))
            .await
            .unwrap(),
        "the holder renews"
    );
    assert!(!store
        .acquire_lease("relay:a", "two", later(45), later(75))
        .await
        .unwrap());
    assert!(
        store
            .acquire_lease("relay:a", "two", later(50), later(80))
            .await
            .unwrap(),
        "taken over once the time ran out"
    );
    assert!(!store
        .acquire_lease("relay:a", "one", later(55), later(85))
        .await
        .unwrap());
    store.release_lease("relay:a", "one").await.unwrap();
    assert!(
        !store
            .acquire_lease("relay:a", "one", later(56), later(86))
            .await
            .unwrap(),
        "only the holder can release"
    );
    store.release_lease("relay:a", "two").await.unwrap();
    assert!(store
        .acquire_lease("relay:a", "one", later(57), later(87))
        .await
        .unwrap());

    let winners = Arc::new(Mutex::new(0));
    let mut racers = Vec::new();
    for n in 0..8 {
        let store = store.clone();
        let winners = winners.clone();
        racers.push(spawn(Box::pin(async move {
            let won = store
                .acquire_lease("relay:race", &format!("racer-{n}"), t0, later(30))
                .await
                .unwrap();
            if won {
                *winners.lock().expect("winners lock") += 1;
            }
        })));
    }
    for racer in racers {
        racer.await;
    }
    let winners = *winners.lock().expect("winners lock");
    assert_eq!(winners, 1, "exactly one racer holds the lease");
}

/// The outbox: unique ids, increasing sequences, paging, and cursors that only move forward.
pub async fn outbox_sequences_and_delivery_cursors(store: Arc<dyn Store>, _spawn: Spawn<'_>) {
    let events: Vec<NewEvent> = (0..5)
        .map(|i| {
            NewEvent::new(
                EventPayload::ProductChanged {
                    product_id: ProductId::new(),
                    deleted: false,
                },
                at(i),
            )
        })
        .collect();
    let appended = store.append_events(events.clone()).await.unwrap();
    assert_eq!(
        appended.iter().map(|e| e.id).collect::<Vec<EventId>>(),
        events.iter().map(|e| e.id).collect::<Vec<_>>()
    );
    assert!(appended.windows(2).all(|w| w[0].sequence < w[1].sequence));
    assert_eq!(appended[0].payload, events[0].payload);
    assert_eq!(appended[0].occurred_at, events[0].occurred_at);

    let duplicate = vec![
        NewEvent::new(
            EventPayload::ProductChanged {
                product_id: ProductId::new(),
                deleted: true,
            },
            at(9),
        ),
        events[0].clone(),
    ];
    assert!(matches!(
        store.append_events(duplicate).await,
        Err(StorageError::Conflict { .. })
    ));
    assert_eq!(
        all_events(&store).await.len(),
        5,
        "a refused batch appends nothing"
    );

    let first_two = store.events_after(0, 2).await.unwrap();
    assert_eq!(first_two, appended[..2].to_vec());
    let rest = store.events_after(first_two[1].sequence, 10).await.unwrap();
    assert_eq!(rest, appended[2..].to_vec());
    assert!(store
        .events_after(appended[4].sequence, 10)
        .await
        .unwrap()
        .is_empty());

    assert_eq!(store.delivery_cursor("webhook").await.unwrap(), 0);
    assert_eq!(
        store
            .advance_delivery_cursor("webhook", appended[2].sequence)
            .await
            .unwrap(),
        appended[2].sequence
    );
    assert_eq!(
        store
            .advance_delivery_cursor("webhook", appended[0].sequence)
            .await
            .unwrap(),
        appended[2].sequence,
        "never back"
    );
    assert!(matches!(
        store
            .advance_delivery_cursor("webhook", appended[4].sequence + 1)
            .await,
        Err(StorageError::Conflict { .. })
    ));
    assert_eq!(
        store.delivery_cursor("webhook").await.unwrap(),
        appended[2].sequence
    );
    assert_eq!(
        store.delivery_cursor("email").await.unwrap(),
        0,
        "cursors are per consumer"
    );
    let pending = store
        .events_after(store.delivery_cursor("webhook").await.unwrap(), 100)
        .await
        .unwrap();
    assert_eq!(pending, appended[3..].to_vec());
    // A kind filter runs before the limit: one rare event after many others is found.
    let many: Vec<NewEvent> = (0..60)
        .map(|i| {
            NewEvent::new(
                EventPayload::ProductChanged {
                    product_id: ProductId::new(),
                    deleted: false,
                },
                at(10 + i),
            )
        })
        .chain(std::iter::once(NewEvent::new(
            EventPayload::OrderStatusChanged {
                order_id: OrderId::new(),
                from: OrderStatus::Pending,
                to: OrderStatus::Processing,
            },
            at(80),
        )))
        .collect();
    let many = store.append_events(many).await.unwrap();
    let seq: Vec<u64> = many.iter().map(|e| e.sequence).collect();
    let rare = store
        .find_events(0, &["OrderStatusChanged".to_string()], 50)
        .await
        .unwrap();
    assert_eq!(rare.len(), 1);
    assert_eq!(rare[0].sequence, seq[60]);
    let two_kinds = store
        .find_events(
            seq[0],
            &[
                "OrderStatusChanged".to_string(),
                "ProductChanged".to_string(),
            ],
            3,
        )
        .await
        .unwrap();
    assert_eq!(
        two_kinds.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        seq[1..4].to_vec()
    );
    let any = store.find_events(seq[58], &[], 50).await.unwrap();
    assert_eq!(
        any.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        seq[59..].to_vec()
    );
    assert!(store
        .find_events(0, &["NoSuchKind".to_string()], 50)
        .await
        .unwrap()
        .is_empty());
}
