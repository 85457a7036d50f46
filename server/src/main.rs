//! `merx-server`: serves the Merx REST API.
//!
//! Configuration comes from flags or their environment variables; nothing secret has a built-in
//! value except the demo admin's documented password, which only `--demo` uses. Without
//! `MERX_JWT_SECRET` a random secret is generated at start, so tokens do not survive a restart.

use std::sync::Arc;

use clap::Parser;
use merx_core::clock::{Clock, SystemClock};
use merx_core::payment::TestGateway;
use merx_core::user::PasswordHashing;
use merx_runtime::demo::{load_demo_data, DemoAdmin};
use merx_runtime::shutdown_signal;
use merx_runtime::store_url::open_store;
use merx_server::error::Result;
use merx_server::serve::{serve_until, ServeOptions};
use merx_server::AppState;

/// Command-line flags.
#[derive(Debug, Parser)]
#[command(name = "merx-server", version, about = "Serves the Merx REST API")]
struct Args {
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
    #[command(flatten)]
    serve: ServeOptions,
}

async fn run(args: Args) -> Result<()> {
    let config = args.serve.config()?;
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
    let notifiers = args.serve.notifiers.notifiers().await?;
    serve_until(
        state,
        args.serve.listen,
        notifiers,
        std::time::Duration::from_millis(args.serve.relay_interval_ms),
        |address| tracing::info!(%address, "merx-server listening"),
        shutdown_signal(),
    )
    .await
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    if let Err(err) = args.serve.init_logging() {
        eprintln!("merx-server: {err}");
        return std::process::ExitCode::from(2);
    }
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "merx-server stopped");
            std::process::ExitCode::FAILURE
        }
    }
}
