//! Running the server as a process: the flags both `merx-server` and `merx serve` take, turning
//! them into a [`Config`], logging, and serving until Ctrl-C or SIGTERM.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Extension;
use merx_core::relay::Notifier;
use merx_core::Currency;
use merx_runtime::notify::run_relays;
use tower::Layer;
use tracing_subscriber::EnvFilter;

use crate::conn::ApiErrorListener;
use crate::error::ServerError;
use crate::{app, AppState, Config, Cors, RateLimit};

// Shared with `merx events relay` and every other shell, so they live in the runtime crate.
pub use merx_runtime::notify::NotifierOptions;
pub use merx_runtime::shutdown_signal;

/// Server flags (each with its environment variable).
#[derive(Clone, Debug, clap::Args)]
pub struct ServeOptions {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "MERX_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// HS256 secret for access tokens (at least 32 bytes); random per start when absent.
    #[arg(long, env = "MERX_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Lifetime of access tokens in minutes.
    #[arg(long, env = "MERX_TOKEN_TTL_MINUTES", default_value_t = 60,
        value_parser = clap::value_parser!(u32).range(1..=(7 * 24 * 60)))]
    pub token_ttl_minutes: u32,
    /// Sustained requests per second per client IP; 0 turns rate limiting off.
    #[arg(long, env = "MERX_RATE_LIMIT", default_value_t = 50)]
    pub rate_limit: u32,
    /// Requests a client IP may make at once before the rate limit applies.
    #[arg(long, env = "MERX_RATE_BURST", default_value_t = 100)]
    pub rate_burst: u32,
    /// A proxy (address or CIDR, repeatable) whose `X-Forwarded-For` names the client, for rate
    /// limits behind a load balancer. Only the hops these proxies added are believed.
    #[arg(long = "trusted-proxy", env = "MERX_TRUSTED_PROXIES", value_delimiter = ',',
        value_parser = parse_proxy)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Largest request body in bytes.
    #[arg(long, env = "MERX_BODY_LIMIT", default_value_t = 1024 * 1024,
        value_parser = clap::value_parser!(u64).range(1024..=(64 * 1024 * 1024)))]
    pub body_limit: u64,
    /// An origin browsers may call the API from (repeat, or comma-separate, for several; `*` for
    /// any).
    #[arg(
        long = "cors-origin",
        env = "MERX_CORS_ORIGINS",
        value_name = "ORIGIN",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,
    /// Currency of new carts and of prices when a request names none.
    #[arg(long, env = "MERX_CURRENCY", default_value = "USD")]
    pub currency: String,
    /// Log filter (error, warn, info, debug, trace, or tracing directives); RUST_LOG wins when set.
    #[arg(long, env = "MERX_LOG", default_value = "info")]
    pub log: String,
    /// Log as JSON lines instead of text.
    #[arg(long, env = "MERX_LOG_JSON")]
    pub log_json: bool,
    /// Event delivery.
    #[command(flatten, next_help_heading = "Event delivery")]
    pub notifiers: NotifierOptions,
    /// Milliseconds between relay passes over the outbox (with --webhook-url or --log-events).
    #[arg(long, env = "MERX_RELAY_INTERVAL_MS", default_value_t = 1000,
        value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
    pub relay_interval_ms: u64,
}

/// `--cors-origin` values: none is same-origin only, `*` any origin, otherwise exact origins.
fn cors(origins: &[String]) -> Result<Cors, ServerError> {
    if origins.is_empty() {
        return Ok(Cors::Disabled);
    }
    if origins.iter().any(|o| o == "*") {
        if origins.len() > 1 {
            return Err(ServerError::Config(
                "--cors-origin '*' allows every origin: give it alone".into(),
            ));
        }
        return Ok(Cors::AnyOrigin);
    }
    for origin in origins {
        let valid = (origin.starts_with("https://") || origin.starts_with("http://"))
            && !origin.ends_with('/')
            && origin.parse::<axum::http::HeaderValue>().is_ok();
        if !valid {
            return Err(ServerError::Config(format!(
                "--cors-origin `{origin}` is not an origin like https://shop.example.com"
            )));
        }
    }
    Ok(Cors::Origins(origins.to_vec()))
}

/// A proxy address (`10.0.0.7`, `::1`) or network (`10.0.0.0/8`).
fn parse_proxy(text: &str) -> Result<ipnet::IpNet, String> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("`{text}` is not an IP address or CIDR network"))
}

impl ServeOptions {
    /// Installs the log subscriber (stderr); a bad `--log` filter is a configuration error.
    pub fn init_logging(&self) -> Result<(), ServerError> {
        let filter = match EnvFilter::try_from_default_env() {
            Ok(filter) => filter,
            Err(_) => EnvFilter::try_new(&self.log)
                .map_err(|e| ServerError::Config(format!("--log `{}`: {e}", self.log)))?,
        };
        // Colours only when a person reads the terminal, never in a file or a log collector.
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_writer(std::io::stderr);
        // A subscriber set before (a test harness) stays; logging still works through it.
        let _ = if self.log_json {
            builder.json().try_init()
        } else {
            builder.try_init()
        };
        Ok(())
    }

    /// The server settings these flags ask for.
    pub fn config(&self) -> Result<Config, ServerError> {
        let secret = match &self.jwt_secret {
            Some(secret) if secret.len() >= 32 => secret.clone(),
            Some(_) => {
                return Err(ServerError::Config(
                    "--jwt-secret (MERX_JWT_SECRET) must be at least 32 bytes".into(),
                ))
            }
            None => {
                tracing::warn!(
                    "no MERX_JWT_SECRET: using a random secret; tokens end with this process"
                );
                format!(
                    "{}{}",
                    uuid::Uuid::new_v4().simple(),
                    uuid::Uuid::new_v4().simple()
                )
            }
        };
        let mut config = Config::new(secret);
        config.default_currency = Currency::from_code(&self.currency)
            .map_err(|e| ServerError::Config(format!("--currency: {e}")))?;
        config.rate_limit = (self.rate_limit > 0).then(|| RateLimit {
            per_second: self.rate_limit,
            burst: self.rate_burst.max(1),
        });
        config.trusted_proxies = self.trusted_proxies.clone();
        config.cors = cors(&self.cors_origins)?;
        config.body_limit = usize::try_from(self.body_limit)
            .map_err(|_| ServerError::Config("--body-limit is too large".into()))?;
        config.token_ttl = chrono::Duration::minutes(i64::from(self.token_ttl_minutes));
        Ok(config)
    }
}

/// Binds `listen`, reports the bound address to `on_listening` (port 0 picks one), and serves
/// `state` until `shutdown` resolves, finishing in-flight requests. With notifiers, an outbox
/// relay loop per notifier runs beside it every `relay_interval` and stops with it. The answers
/// hyper gives on its own (URI over 64 KiB, unparseable head) get the API's error body too.
pub async fn serve_until(
    state: AppState,
    listen: SocketAddr,
    notifiers: Vec<Arc<dyn Notifier>>,
    relay_interval: Duration,
    on_listening: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {listen}: {e}")))?;
    on_listening(listener.local_addr()?);
    state
        .metrics()
        .watch_outbox_consumers(notifiers.iter().map(|n| n.consumer().to_string()));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let relays = (!notifiers.is_empty()).then(|| {
        let mut stopped = stopped.clone();
        tokio::spawn(run_relays(
            state.store().clone(),
            notifiers,
            relay_interval,
            async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            },
        ))
    });
    let router = app(state);
    // What `into_make_service_with_connect_info` does, for a listener of our own: axum only
    // derives the client address for its own listener types.
    let make_service = tower::service_fn(
        move |incoming: axum::serve::IncomingStream<'_, ApiErrorListener>| {
            let service = Extension(ConnectInfo(*incoming.remote_addr())).layer(router.clone());
            async move { Ok::<_, std::convert::Infallible>(service) }
        },
    );
    let served = axum::serve(ApiErrorListener(listener), make_service)
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop.send(true);
        })
        .await;
    if let Some(relays) = relays {
        let _ = relays.await;
    }
    served?;
    Ok(())
}
