//! `merx serve`: the merx-server router on the store from `--database-url`, with the same flags
//! and settings as the `merx-server` binary.

use std::sync::Arc;

use merx_core::payment::TestGateway;
use merx_runtime::shutdown_signal;
use merx_server::serve::serve_until;
use merx_server::{AppState, ServerError};

use super::admin::{catalog_is_empty, seed};
use super::Context;
use crate::cli::ServeArgs;
use crate::error::{CliError, Result};

/// A bad flag is bad input (exit 2); anything else stopping the server is a runtime failure.
pub fn server_error(error: ServerError) -> CliError {
    match error {
        ServerError::Config(message) => CliError::Input(message),
        other => CliError::Runtime(other.to_string()),
    }
}

/// Serves the API until Ctrl-C or SIGTERM.
pub async fn serve(database_url: &str, args: &ServeArgs) -> Result<()> {
    args.options.init_logging().map_err(server_error)?;
    let config = args.options.config().map_err(server_error)?;
    let notifiers = args
        .options
        .notifiers
        .notifiers()
        .await
        .map_err(crate::error::runtime_error)?;
    let ctx = Context {
        database_url: database_url.to_string(),
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
    serve_until(
        state,
        args.options.listen,
        notifiers,
        std::time::Duration::from_millis(args.options.relay_interval_ms),
        |address| println!("listening on http://{address}"),
        shutdown_signal(),
    )
    .await
    .map_err(server_error)
}
