//! `merx serve`: the merx-server router on the store from `--database-url`.

use std::net::SocketAddr;
use std::sync::Arc;

use merx_core::payment::TestGateway;
use merx_server::{app, AppState, Config};

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
    Ok(Config::new(secret))
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
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
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
            let summary = seed(&ctx, &args.admin).await?;
            println!(
                "demo data loaded: {} products, coupon {}, admin {}",
                summary.product_ids.len(),
                summary.coupon_code,
                args.admin.admin_email
            );
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
