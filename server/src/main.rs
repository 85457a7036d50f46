//! `merx-server`: serves the Merx REST API.
//!
//! Configuration comes from flags or their environment variables; nothing secret has a built-in
//! value except the demo admin's documented password, which only `--demo` uses. Without
//! `MERX_JWT_SECRET` a random secret is generated at start, so tokens do not survive a restart.

use std::net::SocketAddr;
use std::sync::Arc;

use clap::Parser;
use merx_core::clock::{Clock, SystemClock};
use merx_core::payment::TestGateway;
use merx_core::user::PasswordHashing;
use merx_core::Currency;
use merx_server::demo::{load_demo_data, DemoAdmin};
use merx_server::error::{Result, ServerError};
use merx_server::store_url::open_store;
use merx_server::{app, AppState, Config, Cors, RateLimit};
use tracing_subscriber::EnvFilter;

/// Command-line flags.
#[derive(Debug, Parser)]
#[command(name = "merx-server", version, about = "Serves the Merx REST API")]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "MERX_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Store URL: `memory:`, `sqlite://path/to/shop.db` or `postgres://user@host/db`.
    #[arg(long, env = "MERX_DATABASE_URL", default_value = "memory:")]
    database_url: String,
    /// Load the demo shop (30 products, promotions, tax, shipping, an admin account).
    #[arg(long)]
    demo: bool,
    /// Demo admin email.
    #[arg(long, env = "MERX_ADMIN_EMAIL", default_value = "admin@merx.example")]
    admin_email: String,
    /// Demo admin password.
    #[arg(
        long,
        env = "MERX_ADMIN_PASSWORD",
        default_value = "merx-admin-2026",
        hide_env_values = true
    )]
    admin_password: String,
    /// HS256 secret for access tokens (at least 32 bytes); random per start when absent.
    #[arg(long, env = "MERX_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// Access-token lifetime in minutes.
    #[arg(long, env = "MERX_TOKEN_TTL_MINUTES", default_value_t = 60)]
    token_ttl_minutes: i64,
    /// Sustained requests per second per client IP; 0 turns rate limiting off.
    #[arg(long, env = "MERX_RATE_LIMIT", default_value_t = 50)]
    rate_limit: u32,
    /// Burst size per client IP.
    #[arg(long, env = "MERX_RATE_BURST", default_value_t = 100)]
    rate_burst: u32,
    /// Largest request body in bytes.
    #[arg(long, env = "MERX_BODY_LIMIT", default_value_t = 1024 * 1024)]
    body_limit: usize,
    /// Allowed browser origin (repeatable); `*` for any.
    #[arg(long = "cors-origin", env = "MERX_CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Vec<String>,
    /// Currency of new carts.
    #[arg(long, env = "MERX_CURRENCY", default_value = "USD")]
    currency: String,
    /// Log as JSON lines instead of text.
    #[arg(long, env = "MERX_LOG_JSON")]
    log_json: bool,
}

fn random_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn config(args: &Args) -> Result<Config> {
    let secret = match &args.jwt_secret {
        Some(s) if s.len() >= 32 => s.clone(),
        Some(_) => {
            return Err(ServerError::Config(
                "MERX_JWT_SECRET must be at least 32 bytes".into(),
            ))
        }
        None => {
            tracing::warn!(
                "no MERX_JWT_SECRET: using a random secret; tokens end with this process"
            );
            random_secret()
        }
    };
    let mut config = Config::new(secret);
    config.token_ttl = chrono::Duration::minutes(args.token_ttl_minutes.max(1));
    config.default_currency =
        Currency::from_code(&args.currency).map_err(|e| ServerError::Config(e.to_string()))?;
    config.body_limit = args.body_limit;
    config.rate_limit = (args.rate_limit > 0).then_some(RateLimit {
        per_second: args.rate_limit,
        burst: args.rate_burst.max(1),
    });
    config.cors = match args.cors_origins.as_slice() {
        [] => Cors::Disabled,
        origins if origins.iter().any(|o| o == "*") => Cors::AnyOrigin,
        origins => Cors::Origins(origins.to_vec()),
    };
    Ok(config)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}

async fn run(args: Args) -> Result<()> {
    let config = config(&args)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = open_store(&args.database_url, clock.clone()).await?;
    if args.demo {
        let summary = load_demo_data(
            store.clone(),
            clock.clone(),
            &DemoAdmin {
                email: args.admin_email.clone(),
                password: args.admin_password.clone(),
            },
            PasswordHashing::default(),
        )
        .await?;
        tracing::info!(
            products = summary.product_ids.len(),
            coupon = %summary.coupon_code,
            admin = %args.admin_email,
            "demo data loaded"
        );
    }
    let state = AppState::new(store, Arc::new(TestGateway::new()), config);
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    tracing::info!(address = %listener.local_addr()?, "merx-server listening");
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    if args.log_json {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "merx-server stopped");
            std::process::ExitCode::FAILURE
        }
    }
}
