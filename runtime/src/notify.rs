//! Notifiers the relay delivers outbox events to: signed webhooks, NATS JetStream and the log;
//! the flags that choose them ([`NotifierOptions`]); and the background task that runs the relay
//! next to a server or as `merx events relay`.
//!
//! # Webhook requests
//! `POST <url>` with the event as JSON (`{"sequence", "id", "occurredAt", "payload": {"type", ...}}`)
//! and these headers:
//! - `merx-event-id`: the event's unique id (receivers deduplicate by it: delivery is at least once);
//! - `merx-event-type`: the payload type (`OrderPlaced`, ...);
//! - `merx-signature`: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>`.
//!
//! A receiver recomputes the HMAC over the raw body, compares in constant time and refuses old
//! timestamps ([`verify_signature`] does all three). 2xx is success; 408, 429, 5xx, timeouts and
//! connection failures are retried; any other status drops the event (see [`merx_core::relay`]).

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use merx_core::clock::SystemClock;
use merx_core::event::OutboxEvent;
use merx_core::relay::{Notifier, NotifyError, Relay, RelayConfig, RelayLease};
use merx_core::store::Store;
use sha2::Sha256;

use crate::error::RuntimeError;
use crate::TokioSleeper;

/// Header carrying the signature.
pub const SIGNATURE_HEADER: &str = "merx-signature";
/// Header carrying the event id.
pub const EVENT_ID_HEADER: &str = "merx-event-id";
/// Header carrying the event type.
pub const EVENT_TYPE_HEADER: &str = "merx-event-type";
/// Shortest webhook secret accepted.
pub const MIN_SECRET_BYTES: usize = 16;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `merx-signature` value for `body` sent at `timestamp` (unix seconds).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let digest = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(digest))
}

/// Whether `header` is a valid signature of `body` made within `tolerance` of `now` (unix
/// seconds). The comparison is constant-time.
pub fn verify_signature(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: i64,
    tolerance: Duration,
) -> bool {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.extend(hex::decode(value).ok()),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return false;
    };
    let age = now.abs_diff(timestamp);
    if age > tolerance.as_secs() {
        return false;
    }
    signatures
        .iter()
        .any(|signature| mac(secret, timestamp, body).verify_slice(signature).is_ok())
}

/// Which events a notifier takes: all, or the listed payload types.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventFilter(Option<HashSet<String>>);

impl EventFilter {
    /// Only these payload types (`OrderPlaced`, ...); an empty list takes every event that
    /// carries no secret.
    pub fn only(kinds: impl IntoIterator<Item = impl Into<String>>) -> EventFilter {
        let kinds: HashSet<String> = kinds.into_iter().map(Into::into).collect();
        EventFilter((!kinds.is_empty()).then_some(kinds))
    }

    /// Listed types when there is a list; otherwise every event except those carrying a secret
    /// (password-reset tokens go only where they are asked for by name, e.g. the mailer).
    pub fn wants(&self, event: &OutboxEvent) -> bool {
        match &self.0 {
            Some(kinds) => kinds.contains(event.payload.kind()),
            None => !event.payload.is_sensitive(),
        }
    }
}

/// Posts events to an HTTP endpoint, signed with a shared secret.
#[derive(Clone)]
pub struct WebhookNotifier {
    consumer: String,
    url: reqwest::Url,
    secret: Vec<u8>,
    filter: EventFilter,
    client: reqwest::Client,
}

impl std::fmt::Debug for WebhookNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookNotifier")
            .field("consumer", &self.consumer)
            .field("url", &self.url.as_str())
            .field("filter", &self.filter)
            .finish_non_exhaustive()
    }
}

impl WebhookNotifier {
    /// A webhook to `url` (http or https) signing with `secret` (at least [`MIN_SECRET_BYTES`]).
    /// Its delivery cursor is stored as `webhook:<url>`. Requests time out after `timeout`.
    pub fn new(
        url: &str,
        secret: &[u8],
        filter: EventFilter,
        timeout: Duration,
    ) -> Result<WebhookNotifier, String> {
        let given = url;
        let url = reqwest::Url::parse(given).map_err(|e| format!("`{given}` is not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(format!("`{given}` is not an http(s) URL"));
        }
        if secret.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "the webhook secret must be at least {MIN_SECRET_BYTES} bytes"
            ));
        }
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("merx-webhooks/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(WebhookNotifier {
            consumer: format!("webhook:{url}"),
            url,
            secret: secret.to_vec(),
            filter,
            client,
        })
    }
}

#[async_trait::async_trait]
impl Notifier for WebhookNotifier {
    fn consumer(&self) -> &str {
        &self.consumer
    }

    fn wants(&self, event: &OutboxEvent) -> bool {
        self.filter.wants(event)
    }

    async fn deliver(&self, event: &OutboxEvent) -> Result<(), NotifyError> {
        let body = serde_json::to_vec(event)
            .map_err(|e| NotifyError::permanent(format!("cannot encode the event: {e}")))?;
        let signature = sign(&self.secret, chrono::Utc::now().timestamp(), &body);
        let response = self
            .client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(EVENT_ID_HEADER, event.id.to_string())
            .header(EVENT_TYPE_HEADER, event.payload.kind())
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await
            .map_err(|e| NotifyError::retryable(format!("POST {}: {e}", self.url)))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let message = format!("POST {} answered {status}", self.url);
        let retry = status.is_server_error()
            || status == reqwest::StatusCode::REQUEST_TIMEOUT
            || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
        Err(if retry {
            NotifyError::retryable(message)
        } else {
            NotifyError::permanent(message)
        })
    }
}

/// Publishes events to NATS JetStream, on `<prefix>.<EventType>` subjects of one stream, with the
/// event id as `Nats-Msg-Id` so JetStream drops the duplicates an at-least-once relay can send.
#[derive(Clone)]
pub struct NatsNotifier {
    consumer: String,
    prefix: String,
    filter: EventFilter,
    jetstream: async_nats::jetstream::Context,
}

impl std::fmt::Debug for NatsNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsNotifier")
            .field("consumer", &self.consumer)
            .field("prefix", &self.prefix)
            .field("filter", &self.filter)
            .finish_non_exhaustive()
    }
}

impl NatsNotifier {
    /// Connects to `url` and makes sure the stream `stream` captures `<prefix>.>` (created when
    /// missing, with a two-minute duplicate window). The cursor is stored as
    /// `nats:<stream>`.
    pub async fn connect(
        url: &str,
        stream: &str,
        prefix: &str,
        filter: EventFilter,
    ) -> Result<NatsNotifier, String> {
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(|e| format!("cannot connect to NATS at `{url}`: {e}"))?;
        let jetstream = async_nats::jetstream::new(client);
        jetstream
            .get_or_create_stream(async_nats::jetstream::stream::Config {
                name: stream.to_string(),
                subjects: vec![format!("{prefix}.>")],
                duplicate_window: Duration::from_secs(120),
                ..Default::default()
            })
            .await
            .map_err(|e| format!("cannot open the JetStream stream `{stream}`: {e}"))?;
        Ok(NatsNotifier {
            consumer: format!("nats:{stream}"),
            prefix: prefix.to_string(),
            filter,
            jetstream,
        })
    }
}

#[async_trait::async_trait]
impl Notifier for NatsNotifier {
    fn consumer(&self) -> &str {
        &self.consumer
    }

    fn wants(&self, event: &OutboxEvent) -> bool {
        self.filter.wants(event)
    }

    async fn deliver(&self, event: &OutboxEvent) -> Result<(), NotifyError> {
        let body = serde_json::to_vec(event)
            .map_err(|e| NotifyError::permanent(format!("cannot encode the event: {e}")))?;
        let subject = format!("{}.{}", self.prefix, event.payload.kind());
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", event.id.to_string().as_str());
        headers.insert(EVENT_TYPE_HEADER, event.payload.kind());
        let ack = self
            .jetstream
            .publish_with_headers(subject.clone(), headers, body.into())
            .await
            .map_err(|e| NotifyError::retryable(format!("publish to {subject}: {e}")))?;
        ack.await
            .map_err(|e| NotifyError::retryable(format!("no JetStream ack on {subject}: {e}")))?;
        Ok(())
    }
}

/// Writes every event to the log (target `merx::events`), one line each, secrets redacted.
#[derive(Clone, Debug, Default)]
pub struct LogNotifier {
    filter: EventFilter,
}

impl LogNotifier {
    /// A log notifier for the events `filter` takes.
    pub fn new(filter: EventFilter) -> LogNotifier {
        LogNotifier { filter }
    }
}

#[async_trait::async_trait]
impl Notifier for LogNotifier {
    fn consumer(&self) -> &str {
        "log"
    }

    fn wants(&self, event: &OutboxEvent) -> bool {
        self.filter.wants(event)
    }

    async fn deliver(&self, event: &OutboxEvent) -> Result<(), NotifyError> {
        // Logs are read by more people than the mailer: secrets never reach them.
        let payload = serde_json::to_string(&event.payload.redacted()).unwrap_or_default();
        tracing::info!(
            target: "merx::events",
            sequence = event.sequence,
            id = %event.id,
            kind = event.payload.kind(),
            occurred_at = %event.occurred_at,
            %payload,
            "event"
        );
        Ok(())
    }
}

/// A relay over `store` to `notifiers` that sleeps on the tokio timer.
pub fn relay(store: Arc<dyn Store>, notifiers: Vec<Arc<dyn Notifier>>) -> Relay {
    Relay::new(
        store,
        notifiers,
        Arc::new(TokioSleeper),
        RelayConfig::default(),
    )
}

/// [`relay`] holding a lease per consumer for this process, so that of several servers (or a
/// server and `merx events relay`) on one store only one delivers to each consumer. The lease
/// lasts `ttl` and is renewed before every batch.
pub fn leased_relay(
    store: Arc<dyn Store>,
    notifiers: Vec<Arc<dyn Notifier>>,
    ttl: Duration,
) -> Relay {
    relay(store, notifiers).with_lease(RelayLease {
        holder: process_holder().to_string(),
        ttl,
        clock: Arc::new(SystemClock),
    })
}

/// This process's lease-holder name: host and a random id, fixed for the process's life.
fn process_holder() -> &'static str {
    static HOLDER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HOLDER.get_or_init(|| {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "merx".into());
        format!("{host}-{}", uuid::Uuid::new_v4().simple())
    })
}

/// Runs `relay` every `interval` until `shutdown` resolves (which also abandons a pass in
/// flight), logging what each pass did. A pass that fails on the store is logged and tried again
/// next interval.
pub async fn run_relay(
    relay: Relay,
    interval: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    tokio::pin!(shutdown);
    loop {
        // A pass is abandoned on shutdown, even mid-request: the cursor only moves after a
        // delivery, so the event simply goes out again on the next start.
        let pass = tokio::select! {
            () = &mut shutdown => break,
            pass = relay.run_once() => pass,
        };
        match pass {
            Ok(reports) => {
                for report in reports {
                    if report.held_elsewhere {
                        tracing::debug!(consumer = %report.consumer, "another process relays this consumer");
                    } else if report.stalled || report.dropped > 0 {
                        tracing::warn!(
                            consumer = %report.consumer,
                            delivered = report.delivered,
                            dropped = report.dropped,
                            cursor = report.cursor,
                            error = report.error.as_deref().unwrap_or(""),
                            "event delivery incomplete"
                        );
                    } else if report.delivered > 0 {
                        tracing::debug!(
                            consumer = %report.consumer,
                            delivered = report.delivered,
                            cursor = report.cursor,
                            "events delivered"
                        );
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "event relay pass failed"),
        }
        tokio::select! {
            () = &mut shutdown => break,
            () = tokio::time::sleep(interval) => {}
        }
    }
    if let Err(e) = relay.release_leases().await {
        tracing::warn!(error = %e, "could not release the relay's leases");
    }
}

/// Runs one relay loop per notifier, so a slow or failing receiver delays no other, until
/// `shutdown` resolves; then waits for every loop to stop.
pub async fn run_relays(
    store: Arc<dyn Store>,
    notifiers: Vec<Arc<dyn Notifier>>,
    interval: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let tasks: Vec<_> = notifiers
        .into_iter()
        .map(|notifier| {
            let mut stopped = stopped.clone();
            // Renewed every pass; ten intervals (at least 30 s) survive a slow pass.
            let ttl = (interval * 10).max(Duration::from_secs(30));
            let relay = leased_relay(store.clone(), vec![notifier], ttl);
            tokio::spawn(run_relay(relay, interval, async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            }))
        })
        .collect();
    shutdown.await;
    let _ = stop.send(true);
    for task in tasks {
        let _ = task.await;
    }
}

/// The flags that choose where outbox events are delivered, as `merx serve`, `merx-server` and
/// `merx events relay` all take them.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct NotifierOptions {
    /// POST every event to this http(s) URL, signed with --webhook-secret.
    #[arg(long, env = "MERX_WEBHOOK_URL", requires = "webhook_secret")]
    pub webhook_url: Option<String>,
    /// HMAC-SHA256 key of the `merx-signature` header (at least 16 bytes).
    #[arg(long, env = "MERX_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,
    /// Only these event types to the webhook (comma-separated, e.g. OrderPlaced,PaymentCaptured);
    /// by default every type but PasswordResetRequested, whose reset token goes only to a
    /// webhook that lists it (the mailer).
    #[arg(
        long,
        env = "MERX_WEBHOOK_EVENTS",
        value_delimiter = ',',
        value_name = "TYPE"
    )]
    pub webhook_events: Vec<String>,
    /// Seconds before a webhook request is abandoned (and retried).
    #[arg(long, env = "MERX_WEBHOOK_TIMEOUT", default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..=300))]
    pub webhook_timeout: u64,
    /// Publish every event to NATS JetStream at this URL (e.g. nats://127.0.0.1:4222).
    #[arg(long, env = "MERX_NATS_URL")]
    pub nats_url: Option<String>,
    /// The JetStream stream (created when missing).
    #[arg(long, env = "MERX_NATS_STREAM", default_value = "MERX_EVENTS")]
    pub nats_stream: String,
    /// Subject prefix: events go to `<prefix>.<EventType>`.
    #[arg(long, env = "MERX_NATS_SUBJECT_PREFIX", default_value = "merx.events")]
    pub nats_subject_prefix: String,
    /// Only these event types to NATS (comma-separated); by default all but
    /// PasswordResetRequested.
    #[arg(
        long,
        env = "MERX_NATS_EVENTS",
        value_delimiter = ',',
        value_name = "TYPE"
    )]
    pub nats_events: Vec<String>,
    /// Write every event to the log (target `merx::events`), secrets redacted.
    #[arg(long, env = "MERX_LOG_EVENTS")]
    pub log_events: bool,
}

impl NotifierOptions {
    /// The notifiers these flags ask for (none when no flag is given); connects to NATS.
    pub async fn notifiers(&self) -> Result<Vec<Arc<dyn Notifier>>, RuntimeError> {
        let mut out: Vec<Arc<dyn Notifier>> = Vec::new();
        if let Some(url) = &self.webhook_url {
            let secret = self.webhook_secret.as_deref().unwrap_or_default();
            // Checked here, not only in the notifier, so the message names the flag at fault.
            if secret.len() < MIN_SECRET_BYTES {
                return Err(RuntimeError::Config(format!(
                    "--webhook-secret (MERX_WEBHOOK_SECRET) must be at least {MIN_SECRET_BYTES} bytes"
                )));
            }
            let filter =
                EventFilter::only(self.webhook_events.iter().map(|k| k.trim().to_string()));
            let webhook = WebhookNotifier::new(
                url,
                secret.as_bytes(),
                filter,
                Duration::from_secs(self.webhook_timeout),
            )
            .map_err(|e| RuntimeError::Config(format!("--webhook-url: {e}")))?;
            out.push(Arc::new(webhook));
        } else if !self.webhook_events.is_empty() {
            return Err(RuntimeError::Config(
                "--webhook-events needs --webhook-url".into(),
            ));
        }
        if let Some(url) = &self.nats_url {
            let filter = EventFilter::only(self.nats_events.iter().map(|k| k.trim().to_string()));
            let nats =
                NatsNotifier::connect(url, &self.nats_stream, &self.nats_subject_prefix, filter)
                    .await
                    .map_err(RuntimeError::Notifier)?;
            out.push(Arc::new(nats));
        } else if !self.nats_events.is_empty() {
            return Err(RuntimeError::Config(
                "--nats-events needs --nats-url".into(),
            ));
        }
        if self.log_events {
            out.push(Arc::new(LogNotifier::default()));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use merx_core::event::EventPayload;

    use super::*;

    #[test]
    fn signatures_verify_only_with_the_secret_body_and_a_fresh_timestamp() {
        let secret = b"0123456789abcdef-secret";
        let body = br#"{"sequence":1}"#;
        let header = sign(secret, 1_700_000_000, body);
        assert!(header.starts_with("t=1700000000,v1="));
        let minute = Duration::from_secs(300);
        assert!(verify_signature(
            secret,
            &header,
            body,
            1_700_000_100,
            minute
        ));
        assert!(!verify_signature(
            b"another secret!!",
            &header,
            body,
            1_700_000_100,
            minute
        ));
        assert!(!verify_signature(
            secret,
            &header,
            br#"{"sequence":2}"#,
            1_700_000_100,
            minute
        ));
        assert!(
            !verify_signature(secret, &header, body, 1_700_001_000, minute),
            "too old"
        );
        assert!(!verify_signature(
            secret,
            "v1=00",
            body,
            1_700_000_000,
            minute
        ));
        assert!(!verify_signature(
            secret,
            "garbage",
            body,
            1_700_000_000,
            minute
        ));
    }

    #[test]
    fn secrets_go_only_where_they_are_asked_for_by_name() {
        let at = chrono::Utc::now();
        let event = |payload| OutboxEvent {
            sequence: 1,
            id: merx_core::ids::EventId::new(),
            occurred_at: at,
            payload,
        };
        let reset = event(EventPayload::PasswordResetRequested {
            user_id: merx_core::ids::UserId::new(),
            email: "ann@example.com".into(),
            token: "tok-secret".into(),
            expires_at: at,
        });
        let registered = event(EventPayload::UserRegistered {
            user_id: merx_core::ids::UserId::new(),
            email: "ann@example.com".into(),
        });
        assert!(!EventFilter::default().wants(&reset));
        assert!(EventFilter::default().wants(&registered));
        let mailer = EventFilter::only(["PasswordResetRequested"]);
        assert!(mailer.wants(&reset));
        assert!(!mailer.wants(&registered));
        let shown = serde_json::to_string(&reset.payload.redacted()).unwrap();
        assert!(
            shown.contains("[redacted]") && !shown.contains("tok-secret"),
            "{shown}"
        );
    }

    #[test]
    fn webhooks_need_an_http_url_and_a_long_secret() {
        let secret = [7u8; 16];
        let timeout = Duration::from_secs(1);
        let ok = WebhookNotifier::new(
            "https://hooks.example.com/merx",
            &secret,
            EventFilter::default(),
            timeout,
        )
        .unwrap();
        assert_eq!(ok.consumer(), "webhook:https://hooks.example.com/merx");
        assert_eq!(
            WebhookNotifier::new("ftp://x.example", &secret, EventFilter::default(), timeout)
                .unwrap_err(),
            "`ftp://x.example` is not an http(s) URL"
        );
        assert_eq!(
            WebhookNotifier::new(
                "https://x.example",
                b"short",
                EventFilter::default(),
                timeout
            )
            .unwrap_err(),
            "the webhook secret must be at least 16 bytes"
        );
        assert!(
            WebhookNotifier::new("not a url", &secret, EventFilter::default(), timeout).is_err()
        );
    }
}
