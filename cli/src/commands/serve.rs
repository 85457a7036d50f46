//! `merx serve`: the merx-server router on the store from `--database-url`.

use std::net::SocketAddr;
use std::sync::Arc;

use merx_core::payment::TestGateway;
use merx_core::Currency;
use merx_server::{app, AppState, Config, Cors, RateLimit};

use super::admin::{catalog_is_empty, seed};
use super::Context;
use crate::cli::ServeArgs;
use crate::error::{CliError, Result};

fn config(args: &ServeArgs) -> Result<Config> {
    let secret = match &args.jwt_secret {
        Some(secret) if secret.len() >= 32 => secret.clone(),
        Some(_) => {
            return Err(CliError::Input(
                "--jwt-secret must be at least 32 bytes".into(),
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
    config.default_currency = Currency::from_code(&args.currency)
        .map_err(|e| CliError::Input(format!("--currency: {e}")))?;
    config.rate_limit = (args.rate_limit > 0).then(|| RateLimit {
        per_second: args.rate_limit,
        burst: args.rate_burst.max(1),
    });
    config.cors = cors(&args.cors_origins)?;
    config.body_limit = usize::try_from(args.body_limit)
        .map_err(|_| CliError::Input("--body-limit is too large".into()))?;
    config.token_ttl = chrono::Duration::minutes(i64::from(args.token_ttl_minutes));
    Ok(config)
}

/// `--cors-origin` values: none is same-origin only, `*` any origin, otherwise exact origins.
fn cors(origins: &[String]) -> Result<Cors> {
    if origins.is_empty() {
        return Ok(Cors::Disabled);
    }
    if origins.iter().any(|o| o == "*") {
        if origins.len() > 1 {
            return Err(CliError::Input(
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
            return Err(CliError::Input(format!(
                "--cors-origin `{origin}` is not an origin like https://shop.example.com"
            )));
        }
    }
    Ok(Cors::Origins(origins.to_vec()))
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

/// Serves the API until Ctrl-C or SIGTERM.
pub async fn serve(database_url: &str, args: &ServeArgs) -> Result<()> {
    let filter = match tracing_subscriber::EnvFilter::try_from_default_env() {
        Ok(filter) => filter,
        Err(_) => tracing_subscriber::EnvFilter::try_new(&args.log)
            .map_err(|e| CliError::Input(format!("--log `{}`: {e}", args.log)))?,
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    let config = config(args)?;
    let ctx = Context {
        store: crate::store::open(database_url).await?,
        clock: Arc::new(merx_core::clock::SystemClock),
        json: false,
    };
    if args.demo {
        if catalog_is_empty(ctx.store.as_ref()).await? {
            println!("{}", seed(&ctx, &args.demo_args).await?);
        } else {
            println!("demo data not loaded: the catalog already has products");
        }
    }
    let state = AppState::new(ctx.store.clone(), Arc::new(TestGateway::new()), config);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| CliError::Runtime(format!("cannot listen on {}: {e}", args.listen)))?;
    let address = listener
        .local_addr()
        .map_err(|e| CliError::Runtime(format!("cannot read the listening address: {e}")))?;
    println!("listening on http://{address}");
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| CliError::Runtime(format!("server stopped: {e}")))
}
