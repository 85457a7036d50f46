//! The outbox relay: delivers stored events to notifiers at least once, in outbox order.
//!
//! Each notifier is a consumer with its own delivery cursor in the store (see
//! [`EventStore`](crate::store::EventStore)). A pass reads the events after the cursor in
//! batches and hands them to the notifier one by one; the cursor moves past an event only once the
//! notifier has taken it (or does not want it), so a crash between delivering and recording
//! re-delivers that event on the next pass: at least once, never lost. Receivers deduplicate by
//! the event id.
//!
//! A retryable failure (a timeout, a 5xx) is retried in the same pass with exponential backoff;
//! when the attempts run out the pass stops for that notifier with its cursor on the failing
//! event, and the next pass starts there, so order is kept. A permanent failure (the receiver
//! refuses this event for good, a 4xx) skips the event and reports it as dropped: one malformed
//! event must not block every later one.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::error::Result;
use crate::event::OutboxEvent;
use crate::payment::Sleeper;
use crate::store::Store;

/// Why a notifier did not take an event.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct NotifyError {
    /// What went wrong, for logs.
    pub message: String,
    /// Whether trying again may succeed.
    pub retryable: bool,
}

impl NotifyError {
    /// A failure worth retrying (timeouts, refused connections, 5xx, 429).
    pub fn retryable(message: impl Into<String>) -> NotifyError {
        NotifyError {
            message: message.into(),
            retryable: true,
        }
    }

    /// A refusal that will not change (4xx other than 408 and 429).
    pub fn permanent(message: impl Into<String>) -> NotifyError {
        NotifyError {
            message: message.into(),
            retryable: false,
        }
    }
}

/// Somewhere events go: a webhook, a log, a message broker.
#[cfg_attr(target_family = "wasm", async_trait::async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait::async_trait)]
pub trait Notifier: crate::store::MaybeSendSync + fmt::Debug {
    /// The consumer name its delivery cursor is stored under; keep it stable across restarts
    /// (a new name starts from the first event).
    fn consumer(&self) -> &str;

    /// Whether this notifier takes `event`; events it does not want are passed over.
    fn wants(&self, event: &OutboxEvent) -> bool {
        let _ = event;
        true
    }

    /// Delivers one event.
    async fn deliver(&self, event: &OutboxEvent) -> std::result::Result<(), NotifyError>;
}

/// How the relay paces itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RelayConfig {
    /// Events read from the store per batch.
    pub batch: u32,
    /// Attempts per event in one pass before giving up until the next pass.
    pub max_attempts: u32,
    /// Delay before the first retry; doubled for each further one.
    pub first_backoff: Duration,
    /// Longest delay between retries.
    pub max_backoff: Duration,
}

impl Default for RelayConfig {
    /// Batches of 100, 5 attempts, backoff 200 ms doubling to at most 5 s.
    fn default() -> Self {
        RelayConfig {
            batch: 100,
            max_attempts: 5,
            first_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// What one pass did for one notifier.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerReport {
    /// The notifier's consumer name.
    pub consumer: String,
    /// Events delivered.
    pub delivered: u64,
    /// Events the notifier did not want (passed over).
    pub skipped: u64,
    /// Events refused for good (passed over after a permanent failure).
    pub dropped: u64,
    /// Retries made.
    pub retries: u64,
    /// The cursor after the pass.
    pub cursor: u64,
    /// The failure that stopped the pass, or the last permanent one.
    pub error: Option<String>,
    /// Whether the pass stopped early on a failure that outlasted its retries.
    pub stalled: bool,
    /// Whether another process holds this consumer's lease, so this pass delivered nothing.
    pub held_elsewhere: bool,
}

/// A lease per consumer (`relay:<consumer>` in the store), so that of several processes relaying
/// from one store only one delivers to each consumer at a time.
#[derive(Clone, Debug)]
pub struct RelayLease {
    /// This process's name for itself; unique among the processes.
    pub holder: String,
    /// How long a lease lasts without renewal; renewed before every batch, so it must outlast
    /// one batch with its retries.
    pub ttl: Duration,
    /// The clock lease times come from.
    pub clock: Arc<dyn Clock>,
}

/// Delivers the outbox to notifiers.
#[derive(Clone, Debug)]
pub struct Relay {
    store: Arc<dyn Store>,
    notifiers: Vec<Arc<dyn Notifier>>,
    sleeper: Arc<dyn Sleeper>,
    config: RelayConfig,
    lease: Option<RelayLease>,
}

fn lease_name(consumer: &str) -> String {
    format!("relay:{consumer}")
}

impl Relay {
    /// A relay over `store` to `notifiers`, waiting between retries through `sleeper`.
    pub fn new(
        store: Arc<dyn Store>,
        notifiers: Vec<Arc<dyn Notifier>>,
        sleeper: Arc<dyn Sleeper>,
        config: RelayConfig,
    ) -> Relay {
        Relay {
            store,
            notifiers,
            sleeper,
            config,
            lease: None,
        }
    }

    /// The same relay delivering to a consumer only while it holds that consumer's lease.
    pub fn with_lease(mut self, lease: RelayLease) -> Relay {
        self.lease = Some(lease);
        self
    }

    /// Gives up every lease this relay holds (on shutdown, so another process takes over at
    /// once instead of after the lease ran out).
    pub async fn release_leases(&self) -> Result<()> {
        if let Some(lease) = &self.lease {
            for notifier in &self.notifiers {
                self.store
                    .release_lease(&lease_name(notifier.consumer()), &lease.holder)
                    .await?;
            }
        }
        Ok(())
    }

    /// Takes or renews the consumer's lease; `true` without a lease configured.
    async fn hold(&self, consumer: &str) -> Result<bool> {
        let Some(lease) = &self.lease else {
            return Ok(true);
        };
        let now = lease.clock.now();
        let ttl = chrono::Duration::from_std(lease.ttl).unwrap_or(chrono::Duration::MAX);
        Ok(self
            .store
            .acquire_lease(&lease_name(consumer), &lease.holder, now, now + ttl)
            .await?)
    }

    /// The notifiers, in delivery order.
    pub fn notifiers(&self) -> &[Arc<dyn Notifier>] {
        &self.notifiers
    }

    /// One pass: every notifier gets the events after its cursor, up to the newest. A failing
    /// notifier does not hold up the others.
    pub async fn run_once(&self) -> Result<Vec<ConsumerReport>> {
        let mut reports = Vec::with_capacity(self.notifiers.len());
        for notifier in &self.notifiers {
            reports.push(self.drain(notifier.as_ref()).await?);
        }
        Ok(reports)
    }

    fn backoff(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        self.config
            .first_backoff
            .saturating_mul(factor)
            .min(self.config.max_backoff)
    }

    async fn drain(&self, notifier: &dyn Notifier) -> Result<ConsumerReport> {
        let consumer = notifier.consumer().to_string();
        let mut report = ConsumerReport {
            cursor: self.store.delivery_cursor(&consumer).await?,
            consumer,
            ..ConsumerReport::default()
        };
        loop {
            if !self.hold(&report.consumer).await? {
                report.held_elsewhere = true;
                return Ok(report);
            }
            let events = self
                .store
                .events_after(report.cursor, self.config.batch.max(1))
                .await?;
            if events.is_empty() {
                return Ok(report);
            }
            for event in &events {
                if !notifier.wants(event) {
                    report.skipped += 1;
                } else if !self.deliver(notifier, event, &mut report).await {
                    return Ok(report);
                }
                report.cursor = self
                    .store
                    .advance_delivery_cursor(&report.consumer, event.sequence)
                    .await?;
            }
        }
    }

    /// Delivers with retries; `false` when the pass must stop on this event.
    async fn deliver(
        &self,
        notifier: &dyn Notifier,
        event: &OutboxEvent,
        report: &mut ConsumerReport,
    ) -> bool {
        let mut attempt = 1;
        loop {
            match notifier.deliver(event).await {
                Ok(()) => {
                    report.delivered += 1;
                    return true;
                }
                Err(e) if !e.retryable => {
                    report.dropped += 1;
                    report.error = Some(format!("event {}: {}", event.sequence, e.message));
                    return true;
                }
                Err(e) if attempt >= self.config.max_attempts.max(1) => {
                    report.error = Some(format!(
                        "event {}: {} (after {attempt} attempts)",
                        event.sequence, e.message
                    ));
                    report.stalled = true;
                    return false;
                }
                Err(_) => {
                    self.sleeper.sleep(self.backoff(attempt)).await;
                    report.retries += 1;
                    attempt += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::clock::FixedClock;
    use crate::event::EventPayload;
    use crate::ids::UserId;
    use crate::payment::RecordingSleeper;
    use crate::store::memory::MemoryStore;
    use crate::user::{Role, User, UserStatus};

    /// Takes events, answering each attempt from the script (`None`: success) until it runs
    /// out, then succeeding.
    #[derive(Debug)]
    struct Script {
        name: &'static str,
        failures: Mutex<VecDeque<Option<NotifyError>>>,
        seen: Mutex<Vec<u64>>,
        only_even: bool,
    }

    impl Script {
        fn new(name: &'static str, failures: Vec<Option<NotifyError>>) -> Arc<Script> {
            Arc::new(Script {
                name,
                failures: Mutex::new(failures.into()),
                seen: Mutex::new(Vec::new()),
                only_even: false,
            })
        }

        fn seen(&self) -> Vec<u64> {
            self.seen.lock().unwrap().clone()
        }
    }

    #[async_trait::async_trait]
    impl Notifier for Script {
        fn consumer(&self) -> &str {
            self.name
        }

        fn wants(&self, event: &OutboxEvent) -> bool {
            !self.only_even || event.sequence.is_multiple_of(2)
        }

        async fn deliver(&self, event: &OutboxEvent) -> std::result::Result<(), NotifyError> {
            if let Some(Some(failure)) = self.failures.lock().unwrap().pop_front() {
                return Err(failure);
            }
            self.seen.lock().unwrap().push(event.sequence);
            Ok(())
        }
    }

    async fn store_with_events(count: usize) -> Arc<dyn Store> {
        let at = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new(Arc::new(FixedClock::new(at))));
        add_users(&store, count).await;
        store
    }

    /// Each created user appends one `UserRegistered` event.
    async fn add_users(store: &Arc<dyn Store>, count: usize) {
        let at = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        for _ in 0..count {
            let id = UserId::new();
            store
                .create_user(User {
                    id,
                    email: format!("{id}@example.com"),
                    name: String::new(),
                    password_hash: String::new(),
                    roles: vec![Role::Customer],
                    status: UserStatus::Active,
                    created_at: at,
                    updated_at: at,
                    deleted_at: None,
                    session_generation: 0,
                })
                .await
                .unwrap();
        }
    }

    fn relay(
        store: &Arc<dyn Store>,
        notifiers: Vec<Arc<dyn Notifier>>,
    ) -> (Relay, Arc<RecordingSleeper>) {
        let sleeper = Arc::new(RecordingSleeper::default());
        let config = RelayConfig {
            batch: 2,
            max_attempts: 3,
            first_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(150),
        };
        (
            Relay::new(store.clone(), notifiers, sleeper.clone(), config),
            sleeper,
        )
    }

    #[tokio::test]
    async fn delivers_every_event_once_in_order_and_resumes_from_the_cursor() {
        let store = store_with_events(5).await;
        let log = Script::new("log", Vec::new());
        let (relay, _) = relay(&store, vec![log.clone()]);
        let report = relay.run_once().await.unwrap();
        assert_eq!(log.seen(), [1, 2, 3, 4, 5], "batches of 2 cover all five");
        assert_eq!((report[0].delivered, report[0].cursor), (5, 5));
        assert_eq!(store.delivery_cursor("log").await.unwrap(), 5);

        assert_eq!(relay.run_once().await.unwrap()[0].delivered, 0);
        add_users(&store, 2).await;
        relay.run_once().await.unwrap();
        assert_eq!(log.seen(), [1, 2, 3, 4, 5, 6, 7], "only the new events");
    }

    #[tokio::test]
    async fn retries_with_backoff_then_stalls_without_losing_the_event() {
        let store = store_with_events(3).await;
        let flaky = Script::new(
            "webhook",
            vec![
                Some(NotifyError::retryable("503")),
                Some(NotifyError::retryable("timeout")),
                None,
                // Event 2: three failures in a row outlast the three attempts of a pass.
                Some(NotifyError::retryable("503")),
                Some(NotifyError::retryable("503")),
                Some(NotifyError::retryable("503")),
            ],
        );
        let (relay, sleeper) = relay(&store, vec![flaky.clone()]);
        let report = relay.run_once().await.unwrap().remove(0);
        assert_eq!(flaky.seen(), [1]);
        assert!(report.stalled);
        assert_eq!(
            report.cursor, 1,
            "the cursor stays on the undelivered event"
        );
        assert_eq!(report.retries, 4);
        assert_eq!(
            report.error.as_deref(),
            Some("event 2: 503 (after 3 attempts)")
        );
        assert_eq!(
            sleeper.delays(),
            [100, 150, 100, 150].map(Duration::from_millis),
            "doubling backoff, capped"
        );
        let next = relay.run_once().await.unwrap().remove(0);
        assert_eq!(
            flaky.seen(),
            [1, 2, 3],
            "the next pass starts on the failed event"
        );
        assert!(!next.stalled);
        assert_eq!(next.cursor, 3);
    }

    #[tokio::test]
    async fn permanent_failures_are_dropped_and_do_not_block_later_events() {
        let store = store_with_events(3).await;
        let picky = Script::new(
            "picky",
            vec![Some(NotifyError::permanent("400 bad payload"))],
        );
        let (relay, sleeper) = relay(&store, vec![picky.clone()]);
        let report = relay.run_once().await.unwrap().remove(0);
        assert_eq!(picky.seen(), [2, 3]);
        assert_eq!((report.dropped, report.delivered, report.cursor), (1, 2, 3));
        assert_eq!(report.error.as_deref(), Some("event 1: 400 bad payload"));
        assert!(
            sleeper.delays().is_empty(),
            "no retry of a permanent refusal"
        );
    }

    #[tokio::test]
    async fn a_leased_consumer_is_served_by_one_relay_until_its_lease_runs_out() {
        let at = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let clock = Arc::new(FixedClock::new(at));
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new(clock.clone()));
        add_users(&store, 2).await;
        let leased = |holder: &str, notifier: Arc<Script>| {
            relay(&store, vec![notifier]).0.with_lease(RelayLease {
                holder: holder.into(),
                ttl: Duration::from_secs(30),
                clock: clock.clone(),
            })
        };
        let seen_by_a = Script::new("hook", Vec::new());
        let seen_by_b = Script::new("hook", Vec::new());
        let a = leased("a", seen_by_a.clone());
        let b = leased("b", seen_by_b.clone());
        assert_eq!(a.run_once().await.unwrap()[0].delivered, 2);
        add_users(&store, 1).await;
        let report = b.run_once().await.unwrap().remove(0);
        assert!(report.held_elsewhere);
        assert_eq!(report.delivered, 0);
        assert!(seen_by_b.seen().is_empty(), "one deliverer per consumer");

        // A holder that stops renewing loses the lease once it runs out.
        clock.advance(chrono::Duration::seconds(31));
        let report = b.run_once().await.unwrap().remove(0);
        assert!(!report.held_elsewhere);
        assert_eq!(seen_by_b.seen(), [3], "b starts where a's cursor stands");
        assert!(a.run_once().await.unwrap()[0].held_elsewhere);
        // Released on shutdown: the other takes over at once.
        b.release_leases().await.unwrap();
        add_users(&store, 1).await;
        assert_eq!(a.run_once().await.unwrap()[0].delivered, 1);
        assert_eq!(seen_by_a.seen(), [1, 2, 4]);
    }

    #[tokio::test]
    async fn notifiers_have_their_own_cursors_and_filters() {
        let store = store_with_events(4).await;
        let even = Arc::new(Script {
            only_even: true,
            ..Arc::into_inner(Script::new("even", Vec::new())).unwrap()
        });
        let broken = Script::new(
            "broken",
            (0..3)
                .map(|_| Some(NotifyError::retryable("down")))
                .collect(),
        );
        let all = Script::new("all", Vec::new());
        let (relay, _) = relay(&store, vec![even.clone(), broken.clone(), all.clone()]);
        let reports = relay.run_once().await.unwrap();
        assert_eq!(even.seen(), [2, 4]);
        assert_eq!((reports[0].skipped, reports[0].cursor), (2, 4));
        assert!(reports[1].stalled);
        assert_eq!(reports[1].cursor, 0);
        assert_eq!(
            all.seen(),
            [1, 2, 3, 4],
            "a stalled notifier holds up no other"
        );
        assert!(matches!(
            store.events_after(0, 1).await.unwrap()[0].payload,
            EventPayload::UserRegistered { .. }
        ));
    }
}
